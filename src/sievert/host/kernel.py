"""The running kernel among a host's packages (pure functions).

As Vuls does, only the packages of the kernel that is running are matched: an installed but not
yet booted fix still shows as open. A kernel package's release (what `uname -r` prints) is read
from its name on Debian and Ubuntu (`linux-image-6.1.0-18-amd64`), from version, release and arch
on RPM systems (`kernel-core` 5.14.0-362.8.1.el9_3 x86_64 -> `5.14.0-362.8.1.el9_3.x86_64`) and
from version and flavour on Alpine (`linux-lts` 6.6.31-r0 -> `6.6.31-0-lts`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from msgspec.structs import replace

from sievert.errors import VersionError
from sievert.model import Package
from sievert.model.finding import Finding
from sievert.model.host import KernelFinding
from sievert.model.vuln import CvssScore, Vulnerability
from sievert.versions import compare

DEB_PREFIXES = (
    "linux-image-unsigned-",
    "linux-image-",
    "linux-headers-",
    "linux-modules-extra-",
    "linux-modules-",
)
DEB_IMAGE_PREFIXES = ("linux-image-unsigned-", "linux-image-")
RPM_KERNELS = frozenset(
    {
        "kernel",
        "kernel-core",
        "kernel-modules",
        "kernel-modules-core",
        "kernel-modules-extra",
        "kernel-devel",
        "kernel-debug",
        "kernel-debug-core",
        "kernel-uek",
        "kernel-uek-core",
        "kernel-uek-modules",
        "kernel-rt",
        "kernel-rt-core",
        "kernel-rt-modules",
    }
)
RPM_IMAGES = frozenset({"kernel", "kernel-core", "kernel-uek", "kernel-uek-core", "kernel-rt-core"})
APK_KERNEL = re.compile(r"linux-(lts|virt|edge|rpi\d*)")
APK_REVISION = re.compile(r"(.+)-r(\d+)")
KERNEL_SOURCES = frozenset({"linux", "linux-signed-amd64", "linux-signed-arm64", "kernel"})
ESCAPE_TEXT = re.compile(
    r"privilege escalation|escalat\w* (?:of )?privileges?|gain (?:root |elevated )?privileges"
    r"|container escape|escape (?:from )?(?:the |a )?container|user namespace|namespaces?",
    re.IGNORECASE,
)
"""CVE text that suggests a kernel flaw matters to containers: a local privilege escalation or a
namespace or container escape. Only the fallback when the CVE data says nothing structured."""
ESCAPE_CWES = frozenset(
    {
        "CWE-250",  # execution with unnecessary privileges
        "CWE-264",  # permissions, privileges and access controls (NVD's older category)
        "CWE-266",  # incorrect privilege assignment
        "CWE-267",  # privilege defined with unsafe actions
        "CWE-268",  # privilege chaining
        "CWE-269",  # improper privilege management
        "CWE-270",  # privilege context switching error
        "CWE-271",  # privilege dropping / lowering errors
        "CWE-272",  # least privilege violation
        "CWE-273",  # improper check for dropped privileges
        "CWE-274",  # improper handling of insufficient privileges
        "CWE-648",  # incorrect use of privileged APIs
        "CWE-653",  # improper isolation or compartmentalization
        "CWE-668",  # exposure of resource to wrong sphere
    }
)
"""Weaknesses (CVE records' CNA and CISA-ADP problem types, NVD) that are privilege or isolation
failures: in the kernel every container shares, such a flaw is a way out of the container."""
ESCAPE_BASIS_DATA = "data"
ESCAPE_BASIS_TEXT = "text"


def kernel_release(package: Package) -> str:
    """The `uname -r` a kernel package belongs to; '' for any other package."""
    if package.type == "deb":
        for prefix in DEB_PREFIXES:
            rest = package.name.removeprefix(prefix)
            if rest != package.name and rest[:1].isdecimal():
                return rest.removesuffix("-unsigned").removesuffix("-dbg")
        return ""
    if package.type == "rpm" and package.name in RPM_KERNELS:
        return f"{package.version}.{package.arch}" if package.arch else package.version
    if package.type == "apk":
        flavour = APK_KERNEL.fullmatch(package.name)
        revision = APK_REVISION.fullmatch(package.version)
        if flavour and revision:
            return f"{revision.group(1)}-{revision.group(2)}-{flavour.group(1)}"
    return ""


def is_kernel_image(package: Package) -> bool:
    """The package that holds a bootable kernel (not its headers or modules)."""
    if not kernel_release(package):
        return False
    if package.type == "deb":
        return package.name.startswith(DEB_IMAGE_PREFIXES)
    return package.type == "apk" or package.name in RPM_IMAGES


def running_only(
    packages: Sequence[Package], running: str
) -> tuple[tuple[Package, ...], tuple[Package, ...]]:
    """(packages to match, kernel packages of other releases left out); with `running` unknown
    every package is kept."""
    if not running:
        return tuple(tracked_source(p) for p in packages), ()
    kept: list[Package] = []
    dropped: list[Package] = []
    for package in packages:
        release = kernel_release(package)
        if release and release != running:
            dropped.append(package)
        else:
            kept.append(tracked_source(package))
    return tuple(kept), tuple(dropped)


def tracked_source(package: Package) -> Package:
    """A Debian kernel package from a signed source (`linux-signed-amd64` 6.1.76+1) as the
    `linux` source the security tracker follows, at the binary's version (6.1.76-1)."""
    if package.type != "deb" or not package.source_name.startswith("linux-signed"):
        return package
    if not kernel_release(package):
        return package
    return replace(package, source_name="linux", source_version=package.version)


def newest_kernel(packages: Iterable[Package]) -> str:
    """The release of the newest installed kernel image ('' when none is installed)."""
    images = [p for p in packages if is_kernel_image(p)]
    newest: Package | None = None
    for package in images:
        if newest is None or _newer(package, newest):
            newest = package
    return kernel_release(newest) if newest else ""


def _newer(a: Package, b: Package) -> bool:
    """Whether kernel package a is newer than b (by release for Debian, version otherwise)."""
    if a.type == "deb":
        left, right = kernel_release(a), kernel_release(b)
        left_version, right_version = left.rsplit("-", 1)[0], right.rsplit("-", 1)[0]
    else:
        left_version, right_version = a.version, b.version
    try:
        return compare(a.type, left_version, right_version) > 0
    except VersionError:
        return left_version > right_version


def reboot_reasons(running: str, newest: str, reboot_file: bool) -> tuple[str, ...]:
    """Why the host needs a reboot: Debian's flag file, or a newer kernel than the running one."""
    reasons = []
    if reboot_file:
        reasons.append("/var/run/reboot-required exists")
    if running and newest and newest != running:
        reasons.append(f"newest installed kernel {newest} is not the running kernel {running}")
    return tuple(reasons)


def is_kernel_package(package: Package) -> bool:
    """A package of the kernel itself (by release or by source package)."""
    return bool(kernel_release(package)) or package.source_name in KERNEL_SOURCES


def kernel_findings(findings: Iterable[Finding]) -> tuple[KernelFinding, ...]:
    """The findings on kernel packages, each flagged when the CVE data (or, failing that, its
    text) makes it relevant to a container escape, with the evidence used."""
    flagged = []
    for finding in findings:
        if not is_kernel_package(finding.package):
            continue
        evidence, basis = escape_evidence(finding.vulnerability)
        flagged.append(
            KernelFinding(
                vulnerability_id=finding.id,
                package=finding.package.name,
                version=finding.package.version,
                severity=finding.severity,
                escape=bool(basis),
                escape_evidence=evidence,
                escape_basis=basis,
            )
        )
    return tuple(flagged)


def escape_evidence(vuln: Vulnerability) -> tuple[tuple[str, ...], str]:
    """(evidence, basis) that a kernel CVE is relevant to a container escape.

    Structured data first (basis 'data'): a privilege or isolation CWE (`cwe:CWE-269`), a CVSS
    vector with a local attack vector whose impact crosses the vulnerable component's scope
    (v3 `S:C`, v4 a high subsequent-system impact: `cvss:nvd:3.1:AV:L/S:C`), or a CISA KEV entry
    (exploited in the wild) for a flaw that is local or has no vector (`kev`). Without any, the
    description's words (basis 'text', lower confidence: `text:privilege escalation`).
    """
    evidence = [f"cwe:{cwe}" for cwe in vuln.cwes if cwe.upper() in ESCAPE_CWES]
    local = False
    for score in vuln.cvss:
        metrics = cvss_metrics(score)
        if metrics.get("AV") != "L":
            continue
        local = True
        if metrics.get("S") == "C":
            evidence.append(f"cvss:{score.source}:{score.version}:AV:L/S:C")
        elif any(metrics.get(key) == "H" for key in ("SC", "SI", "SA")):
            evidence.append(f"cvss:{score.source}:{score.version}:AV:L/subsequent-system:H")
    if vuln.kev_date_added and (local or not vuln.cvss):
        evidence.append("kev")
    if evidence:
        return tuple(dict.fromkeys(evidence)), ESCAPE_BASIS_DATA
    found = ESCAPE_TEXT.search(f"{vuln.summary} {vuln.description}")
    if found:
        return (f"text:{found.group(0).lower()}",), ESCAPE_BASIS_TEXT
    return (), ""


def cvss_metrics(score: CvssScore) -> dict[str, str]:
    """The metrics of a CVSS vector ('CVSS:3.1/AV:L/...' -> {'AV': 'L', ...})."""
    metrics = {}
    for part in score.vector.split("/"):
        key, sep, value = part.partition(":")
        if sep and key != "CVSS":
            metrics[key.upper()] = value.upper()
    return metrics
