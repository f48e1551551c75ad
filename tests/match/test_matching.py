"""Matching rules a user can check by hand, against an in-memory advisory source."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from sievert.match.engine import match_inventory
from sievert.model import (
    Affected,
    CvssScore,
    Distro,
    ImageMetadata,
    Inventory,
    Location,
    Package,
    RangeEvent,
    VersionRange,
    Vulnerability,
)
from sievert.model.vuln import AFFECTED, DEFERRED, FIXED, NOT_AFFECTED, WONT_FIX

BOOKWORM = Distro("debian", "12", "bookworm")
ALPINE = Distro("alpine", "3.23.0")


@dataclass
class FakeDB:
    """In-memory VulnSource: statements by (namespace, package), records by id."""

    statements: list[Affected] = field(default_factory=list)
    records: dict[str, Vulnerability] = field(default_factory=dict)

    def affected(self, namespace: str, package: str) -> list[Affected]:
        return [s for s in self.statements if (s.namespace, s.package) == (namespace, package)]

    def get(self, vuln_id: str) -> Vulnerability | None:
        for record in self.records.values():
            if vuln_id == record.id or vuln_id in record.aliases:
                return record
        return None


def deb(name: str, version: str, source: str = "", source_version: str = "") -> Package:
    return Package(
        name,
        version,
        "deb",
        f"pkg:deb/debian/{name}@{version}",
        "dpkg-db",
        locations=(Location("/var/lib/dpkg/status", 0),),
        arch="amd64",
        source_name=source or name,
        source_version=source_version or version,
    )


def lang(kind: str, name: str, version: str, path: str, owner: str = "") -> Package:
    return Package(
        name,
        version,
        kind,
        f"pkg:{kind}/{name}@{version}",
        "t",
        locations=(Location(path, 1),),
        owner=owner,
    )


def inventory(distro: Distro | None, *packages: Package) -> Inventory:
    return Inventory(ImageMetadata("test", "oci-dir"), distro, packages)


def debian(
    vuln: str,
    package: str,
    state: str,
    fixed: str = "",
    release: str = "bookworm",
    severity: str = "",
) -> Affected:
    return Affected(
        vuln, f"debian:{release}", package, "debian-tracker", state, fixed, severity=severity
    )


def osv(vuln: str, ns: str, package: str, introduced: str, fixed: str) -> Affected:
    events = (RangeEvent("introduced", introduced), RangeEvent("fixed", fixed))
    return Affected(
        vuln, ns, package, "osv", FIXED, fixed, ranges=(VersionRange("ECOSYSTEM", events),)
    )


def test_debian_fixed_version_is_compared_with_the_source_version() -> None:
    db = FakeDB([debian("CVE-2024-22365", "pam", FIXED, "1.5.2-6+deb12u3")])
    old = deb("libpam0g", "1.5.2-6+deb12u2", "pam")
    new = deb("libpam-runtime", "1.5.2-6+deb12u3", "pam")
    findings, _ = match_inventory(inventory(BOOKWORM, old, new), db)
    assert [(f.id, f.package.name, f.fixed_versions) for f in findings] == [
        ("CVE-2024-22365", "libpam0g", ("1.5.2-6+deb12u3",))
    ]
    assert findings[0].evidence.matched_by == "source-package"
    assert findings[0].evidence.constraint == "< 1.5.2-6+deb12u3"


def test_binnmu_binary_version_uses_the_source_version() -> None:
    db = FakeDB([debian("CVE-X", "libssh2", FIXED, "1.10.0-3+deb12u1")])
    pkg = deb("libssh2-1", "1.10.0-3+b1", "libssh2", "1.10.0-3")
    findings, _ = match_inventory(inventory(BOOKWORM, pkg), db)
    assert len(findings) == 1


def test_fix_states_stay_distinct_and_not_affected_is_dropped() -> None:
    db = FakeDB(
        [
            debian("CVE-A", "pam", AFFECTED),
            debian("CVE-B", "pam", WONT_FIX),
            debian("CVE-C", "pam", DEFERRED),
            debian("CVE-D", "pam", NOT_AFFECTED, "0"),
        ]
    )
    findings, _ = match_inventory(inventory(BOOKWORM, deb("libpam0g", "1.5.2-6", "pam")), db)
    assert {f.id: f.fix_state for f in findings} == {
        "CVE-A": AFFECTED,
        "CVE-B": WONT_FIX,
        "CVE-C": DEFERRED,
    }
    assert all(f.fixed_versions == () for f in findings)


def test_no_finding_for_another_release_or_another_distro() -> None:
    db = FakeDB([debian("CVE-A", "pam", AFFECTED, release="bullseye")])
    assert match_inventory(inventory(BOOKWORM, deb("libpam0g", "1.0", "pam")), db)[0] == ()
    ubuntu = Distro("ubuntu", "22.04", "jammy")
    assert match_inventory(inventory(ubuntu, deb("libpam0g", "1.0", "pam")), db)[0] == ()
    assert match_inventory(inventory(None, deb("libpam0g", "1.0", "pam")), db)[0] == ()


def test_alpine_secfix_by_origin_and_branch() -> None:
    db = FakeDB(
        [Affected("CVE-2025-1", "alpine:3.23", "openssl", "alpine-secdb", FIXED, "3.5.4-r0")]
    )
    pkg = Package(
        "libcrypto3",
        "3.5.3-r1",
        "apk",
        "pkg:apk/alpine/libcrypto3@3.5.3-r1",
        "apk-db",
        source_name="openssl",
    )
    fixed = Package(
        "libssl3",
        "3.5.4-r0",
        "apk",
        "pkg:apk/alpine/libssl3@3.5.4-r0",
        "apk-db",
        source_name="openssl",
    )
    findings, _ = match_inventory(inventory(ALPINE, pkg, fixed), db)
    assert [f.package.name for f in findings] == ["libcrypto3"]


def test_language_packages_match_osv_ranges_but_not_at_the_fix() -> None:
    db = FakeDB([osv("GHSA-p6mc-m468-83gw", "npm", "lodash", "0", "4.17.19")])
    vulnerable = lang("npm", "lodash", "4.17.15", "/app/node_modules/lodash/package.json")
    fixed = lang("npm", "lodash", "4.17.19", "/srv/node_modules/lodash/package.json")
    findings, _ = match_inventory(inventory(BOOKWORM, vulnerable, fixed), db)
    assert [(f.package.version, f.fixed_versions) for f in findings] == [("4.17.15", ("4.17.19",))]
    assert findings[0].evidence.constraint == "introduced 0 (all earlier versions), fixed 4.17.19"


def test_packages_owned_by_an_os_package_are_not_matched_through_language_feeds() -> None:
    db = FakeDB([osv("GHSA-x", "rubygems", "rexml", "0", "3.2.7")])
    owned = lang("gem", "rexml", "3.2.5", "/usr/lib/ruby/x.gemspec", owner="pkg:deb/debian/ruby3.1")
    assert match_inventory(inventory(BOOKWORM, owned), db)[0] == ()


def test_pypi_names_are_normalised() -> None:
    db = FakeDB([osv("PYSEC-1", "pypi", "pyjwt", "0", "1.5.1")])
    pkg = lang("pypi", "PyJWT", "1.5.0", "/app/site-packages/PyJWT-1.5.0.dist-info/METADATA")
    assert len(match_inventory(inventory(BOOKWORM, pkg), db)[0]) == 1


def test_aliases_merge_into_one_finding_per_package_with_the_cve_id() -> None:
    record = Vulnerability(
        "CVE-2019-1",
        aliases=("GHSA-aaaa", "PYSEC-1"),
        cvss=(CvssScore("3.1", "CVSS:3.1/AV:N", 9.8, "critical", "nvd"),),
        kev_date_added="2024-01-01",
        epss_score=0.5,
    )
    db = FakeDB(
        [
            osv("GHSA-aaaa", "pypi", "django", "2.0", "2.2.1"),
            osv("PYSEC-1", "pypi", "django", "0", "2.2.2"),
        ],
        {"CVE-2019-1": record},
    )
    pkg = lang("pypi", "Django", "2.2", "/app/site-packages/Django-2.2.dist-info/METADATA")
    findings, _ = match_inventory(inventory(BOOKWORM, pkg), db)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.id == "CVE-2019-1"
    assert set(finding.vulnerability.aliases) == {"GHSA-aaaa", "PYSEC-1"}
    assert finding.fixed_versions == ("2.2.1", "2.2.2")
    assert finding.severity == "critical"
    assert finding.risk == 98.0  # 10 * 9.8 * (0.2 + 0.8 * 1.0): KEV means likelihood 1


def test_vendor_severity_wins_over_cvss() -> None:
    record = Vulnerability("CVE-1", cvss=(CvssScore("3.1", "v", 9.8, "critical", "nvd"),))
    db = FakeDB([debian("CVE-1", "pam", AFFECTED, severity="unimportant")], {"CVE-1": record})
    finding = match_inventory(inventory(BOOKWORM, deb("libpam0g", "1", "pam")), db)[0][0]
    assert (finding.severity, finding.severity_source) == ("negligible", "debian-tracker")


def test_an_unparsable_range_version_becomes_a_notice() -> None:
    db = FakeDB([osv("GHSA-bad", "npm", "left-pad", "0", "not a version!!")])
    pkg = lang("npm", "left-pad", "1.0.0", "/app/node_modules/left-pad/package.json")
    findings, notices = match_inventory(inventory(BOOKWORM, pkg), db)
    assert findings == ()
    assert notices and "GHSA-bad" in notices[0].message


def test_rpm_matches_by_source_rpm_and_by_binary_name_with_epochs() -> None:
    rocky = Distro("rocky", "9.3")
    db = FakeDB(
        [
            Affected("CVE-1", "rocky:9", "openssl", "osv", FIXED, "1:3.0.7-25.el9_3"),
            Affected("CVE-2", "rocky:9", "openssl-libs", "osv", FIXED, "1:3.0.7-27.el9"),
            Affected("CVE-3", "rocky:9", "openssl", "osv", FIXED, "1:3.0.7-18.el9"),
            Affected("CVE-4", "rocky:8", "openssl", "osv", FIXED, "1:9.9.9-1.el8"),
        ]
    )
    pkg = Package(
        "openssl-libs",
        "3.0.7-24.el9",
        "rpm",
        "pkg:rpm/rocky/openssl-libs",
        "rpm-db",
        epoch=1,
        source_name="openssl",
    )
    findings, _ = match_inventory(inventory(rocky, pkg), db)
    assert {(f.id, f.evidence.matched_by) for f in findings} == {
        ("CVE-1", "source-package"),
        ("CVE-2", "package"),
    }


@pytest.mark.parametrize(
    "installed", ["zope.interface-extra", "Zope_Interface.Extra", "ZOPE-INTERFACE-EXTRA"]
)
def test_feed_import_and_matcher_name_a_pypi_project_alike(installed: str) -> None:
    from sievert.vulndb.feeds.base import FeedResult
    from sievert.vulndb.feeds.osv import parse_record

    record = {
        "id": "PYSEC-9",
        "affected": [
            {
                "package": {"ecosystem": "PyPI", "name": "Zope.Interface__Extra"},
                "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2"}]}],
            }
        ],
    }
    imported = FeedResult()
    parse_record(record, "t", imported)
    db = FakeDB(imported.affected, {"PYSEC-9": Vulnerability("PYSEC-9")})
    pkg = lang("pypi", installed, "1.0", "/app/x.dist-info/METADATA")
    findings, _ = match_inventory(inventory(None, pkg), db)
    assert [f.id for f in findings] == ["PYSEC-9"]


@pytest.mark.parametrize("installed", ["Newtonsoft.Json", "newtonsoft.json", "NEWTONSOFT.JSON"])
def test_feed_import_and_matcher_name_a_nuget_package_alike(installed: str) -> None:
    """NuGet compares package ids without regard to case, so the DB and the matcher do too."""
    from sievert.vulndb.feeds.base import FeedResult
    from sievert.vulndb.feeds.osv import parse_record

    record = {
        "id": "GHSA-5crp-9r3c-p9vr",
        "affected": [
            {
                "package": {"ecosystem": "NuGet", "name": "Newtonsoft.Json"},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "13.0.1"}]}
                ],
            }
        ],
    }
    imported = FeedResult()
    parse_record(record, "t", imported)
    db = FakeDB(imported.affected, {"GHSA-5crp-9r3c-p9vr": Vulnerability("GHSA-5crp-9r3c-p9vr")})
    pkg = lang("nuget", installed, "12.0.3", "/app/packages.lock.json")
    findings, _ = match_inventory(inventory(None, pkg), db)
    assert [f.id for f in findings] == ["GHSA-5crp-9r3c-p9vr"]


def test_distro_versions_that_cannot_be_compared_become_notices() -> None:
    """Each fixed statement names its own failure; open statements still match; a fixed one
    without a version never does."""
    db = FakeDB(
        [
            debian("CVE-1", "pam", FIXED, "1.5.2-6+deb12u3"),
            debian("CVE-2", "pam", FIXED, "not a version"),
            debian("CVE-3", "pam", AFFECTED),
            debian("CVE-4", "pam", FIXED, ""),
        ]
    )
    good, notes = match_inventory(inventory(BOOKWORM, deb("libpam0g", "1.5.2-6", "pam")), db)
    assert {f.id for f in good} == {"CVE-1", "CVE-3"}
    assert [n.message.split(":")[0] for n in notes] == ["CVE-2 for libpam0g"]
    bad = deb("libpam0g", "1.5.2-6", "pam", "bad version")
    findings, notices = match_inventory(inventory(BOOKWORM, bad), db)
    assert {f.id for f in findings} == {"CVE-3"}
    assert [n.message.split(":")[0] for n in notices] == [
        "CVE-1 for libpam0g",
        "CVE-2 for libpam0g",
    ]
    assert all("bad version" in n.message for n in notices)
