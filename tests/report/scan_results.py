"""Hand-built scan results for the scan writer tests (on top of the small inventory)."""

from __future__ import annotations

from msgspec.structs import replace

from sievert.model import Affected, CvssScore, Exploit, Notice, Package, Vulnerability
from sievert.model.finding import Finding, MatchEvidence, ScanResult
from sievert.model.severity import Severity
from sievert.model.vuln import AFFECTED, DEFERRED, FIXED, WONT_FIX
from tests.report.inventories import odd_inventory, small_inventory


def _package(name: str) -> Package:
    (package,) = [p for p in small_inventory().packages if p.name == name]
    return package


def _finding(
    vuln: Vulnerability,
    package: Package,
    *,
    severity: str,
    severity_source: str,
    fix_state: str,
    fixed: tuple[str, ...] = (),
    risk: float,
    source: str = "debian-tracker",
    namespace: str = "debian:bookworm",
) -> Finding:
    matched = package.source_name or package.name
    affected = Affected(
        vuln_id=vuln.id,
        namespace=namespace,
        package=matched,
        source=source,
        fix_state=fix_state,
        fixed_version=fixed[0] if fixed else "",
        severity=severity if not severity_source.startswith("cvss") else "",
        record_id=f"{source}:{vuln.id}",
    )
    evidence = MatchEvidence(
        source=source,
        record_id=affected.record_id,
        namespace=namespace,
        matched_by="source-package" if package.source_name else "package",
        matched_name=matched,
        constraint=f"< {fixed[0]}" if fixed else "all versions",
    )
    return Finding(
        vulnerability=vuln,
        package=package,
        affected=affected,
        evidence=evidence,
        severity=Severity(severity),
        severity_source=severity_source,
        fix_state=fix_state,
        fixed_versions=fixed,
        risk=risk,
    )


GLIBC = Vulnerability(
    id="CVE-2024-0001",
    aliases=("DSA-5600-1",),
    summary="glibc: heap overflow in the syslog functions",
    description="A heap-based buffer overflow in __vsyslog_internal lets a local attacker "
    "gain root.",
    published="2024-01-30T14:15:08.123",
    modified="2024-02-10",
    cvss=(
        CvssScore("3.1", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL", "nvd"),
        CvssScore(
            "4.0",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
            "CRITICAL",
            "cna",
        ),
    ),
    cwes=("CWE-787", "NVD-CWE-Other"),
    references=("https://www.openwall.com/lists/oss-security/2024/01/30/6",),
    kev_date_added="2024-03-01",
    kev_ransomware=True,
    kev_due_date="2024-03-22",
    epss_score=0.97347,
    epss_percentile=0.99959,
    exploits=(Exploit("exploitdb", "51234", "https://www.exploit-db.com/exploits/51234"),),
)
BASH = Vulnerability(
    id="CVE-2023-0002",
    summary="bash: command injection | via crafted env",
    published="2023-06-01",
    cvss=(CvssScore("2.0", "AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5, "HIGH", "nvd"),),
    epss_score=0.0123,
    epss_percentile=0.8,
)
REQUESTS = Vulnerability(
    id="CVE-2024-35195",
    aliases=("GHSA-9wx4-h78v-vm56",),
    summary="Requests Session object does not verify requests after making first request",
    description="When making requests through a Requests Session, if the first request is "
    "made with verify=False, all subsequent requests ignore certificate verification.",
    published="2024-05-20T21:15:09Z",
    cvss=(CvssScore("3.1", "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N", 5.6, "MEDIUM", "ghsa"),),
    cwes=("CWE-670",),
    references=("https://github.com/psf/requests/pull/6655",),
    epss_score=0.00043,
    epss_percentile=0.0958,
)
RUBY = Vulnerability(id="CVE-2024-0003", summary="ruby: regular expression denial of service")
TEMP = Vulnerability(id="TEMP-0000001-ABCDEF")


def small_scan() -> ScanResult:
    """Five findings of every severity and fix state on the small inventory, two sharing an id."""
    libc, bash, ruby = _package("libc6"), _package("bash"), _package("ruby3.1")
    gem, requests = _package("json"), _package("requests")
    findings = (
        _finding(GLIBC, libc, severity="critical", severity_source="cvss3.1:nvd",
                 fix_state=FIXED, fixed=("2.36-9+deb12u7",), risk=100.0),
        _finding(BASH, bash, severity="high", severity_source="debian-tracker",
                 fix_state=WONT_FIX, risk=15.6),
        _finding(REQUESTS, requests, severity="medium", severity_source="cvss3.1:ghsa",
                 fix_state=FIXED, fixed=("2.32.0",), risk=11.4, source="osv",
                 namespace="pypi"),
        _finding(RUBY, ruby, severity="low", severity_source="debian-tracker",
                 fix_state=DEFERRED, risk=0.7),
        _finding(RUBY, gem, severity="negligible", severity_source="debian-tracker",
                 fix_state=FIXED, fixed=("2.6.2", "2.7.0"), risk=0.1),
        _finding(TEMP, bash, severity="unknown", severity_source="", fix_state=AFFECTED,
                 risk=1.0),
    )  # fmt: skip
    notices = (Notice("CVE-2024-9999 for bash: unparsable version range", "pkg:deb/debian/bash"),)
    return ScanResult(
        inventory=small_inventory(),
        findings=findings,
        db_built="2024-05-16T06:00:00Z",
        db_sources=(("debian-tracker", "ok"), ("osv", "ok")),
        notices=notices,
    )


def odd_scan() -> ScanResult:
    """Awkward findings: unicode text, a package missing from the inventory, odd dates and ids."""
    inventory = odd_inventory()
    unicode_pkg = inventory.packages[150]
    stray = Package("stray", "0.1", "npm", "pkg:npm/stray@0.1", "npm")
    no_path = Package("nopurl", "", "binary", "", "binary")
    weird = Vulnerability(
        id="PYSEC-2024-1",
        summary="ünïcode | pipes\nand newlines " + "x" * 300,
        description="日本語の説明",
        published="not a date",
        cvss=(CvssScore("3.0", "", 0.0, "NONE", "osv"), CvssScore("9.9", "?", 1.0, "odd", "x")),
        cwes=("CWE-abc",),
        epss_score=0.5,
    )
    findings = (
        _finding(weird, unicode_pkg, severity="high", severity_source="osv", fix_state=FIXED,
                 fixed=("1.1",), risk=50.0, source="osv", namespace="npm"),
        _finding(weird, stray, severity="medium", severity_source="cvss3.0:osv",
                 fix_state=AFFECTED, risk=5.0, source="osv", namespace="npm"),
        _finding(TEMP, no_path, severity="unknown", severity_source="", fix_state="strange",
                 risk=0.0),
    )  # fmt: skip
    return ScanResult(inventory=inventory, findings=findings)


def empty_scan() -> ScanResult:
    """The small inventory with no findings and no database facts."""
    return replace(small_scan(), findings=(), notices=(), db_built="", db_sources=())
