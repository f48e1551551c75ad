"""Unpackaged binaries matched through `cpe` product statements, always with low confidence."""

from __future__ import annotations

from sievert.catalog.binary.versions import CLASSIFIERS
from sievert.match.binary import PRODUCTS, BinaryMatcher, product_version
from sievert.match.engine import match_inventory
from sievert.model import Affected, Location, Package, RangeEvent, VersionRange, Vulnerability
from sievert.model.vuln import AFFECTED, FIXED
from tests.match.test_matching import FakeDB, inventory


def binary(name: str, version: str, path: str = "/usr/local/bin/x", owner: str = "") -> Package:
    return Package(
        name,
        version,
        "binary",
        f"pkg:generic/{name}@{version}",
        "binary-version",
        locations=(Location(path, 1),),
        metadata=(("confidence", "low"),),
        owner=owner,
    )


def cpe(
    vuln: str, product: str, *events: tuple[str, str], versions: tuple[str, ...] = ()
) -> Affected:
    ranges = (
        (VersionRange("ECOSYSTEM", tuple(RangeEvent(k, v) for k, v in events)),) if events else ()
    )
    fixed = next((v for k, v in events if k == "fixed"), "")
    state = FIXED if fixed else AFFECTED
    return Affected(vuln, "cpe", product, "cve", state, fixed, ranges, versions, record_id=vuln)


def test_redis_in_range_matches_with_low_confidence() -> None:
    db = FakeDB([cpe("CVE-2099-1", "redis:redis", ("introduced", "7.0.0"), ("fixed", "7.0.15"))])
    findings, notices = match_inventory(inventory(None, binary("redis", "7.0.14")), db)
    (finding,) = findings
    assert finding.id == "CVE-2099-1" and finding.fixed_versions == ("7.0.15",)
    assert finding.fix_state == FIXED
    ev = finding.evidence
    assert (ev.confidence, ev.matched_by, ev.namespace, ev.matched_name) == (
        "low",
        "binary",
        "cpe",
        "redis:redis",
    )
    assert ev.constraint == "introduced 7.0.0, fixed 7.0.15"
    assert notices == ()


def test_fixed_and_earlier_versions_do_not_match() -> None:
    db = FakeDB([cpe("CVE-2099-1", "redis:redis", ("introduced", "7.0.0"), ("fixed", "7.0.15"))])
    for version in ("7.0.15", "7.2.4", "6.2.13"):
        findings, _ = match_inventory(inventory(None, binary("redis", version)), db)
        assert findings == (), version


def test_openssl_letter_releases_and_last_affected() -> None:
    db = FakeDB(
        [
            cpe("CVE-2099-2", "openssl:openssl", ("introduced", "1.1.1"), ("fixed", "1.1.1w")),
            cpe("CVE-2099-3", "openssl:openssl", ("introduced", "0"), ("last_affected", "1.1.1v")),
        ]
    )
    old, _ = match_inventory(inventory(None, binary("openssl", "1.1.1t")), db)
    assert sorted(f.id for f in old) == ["CVE-2099-2", "CVE-2099-3"]
    new, _ = match_inventory(inventory(None, binary("openssl", "1.1.1w")), db)
    assert new == ()


def test_every_alias_name_is_consulted_and_one_finding_kept() -> None:
    db = FakeDB(
        [
            cpe("CVE-2023-38545", "curl:curl", ("introduced", "7.69.0"), ("fixed", "8.4.0")),
            cpe("CVE-2023-38545", "haxx:curl", ("introduced", "0"), ("fixed", "8.4.0")),
            cpe("CVE-2099-4", "haxx:libcurl", versions=("8.3.0",)),
        ]
    )
    findings, _ = match_inventory(inventory(None, binary("curl", "8.3.0")), db)
    assert sorted(f.id for f in findings) == ["CVE-2023-38545", "CVE-2099-4"]
    listed = next(f for f in findings if f.id == "CVE-2099-4")
    assert listed.evidence.constraint == "listed affected version 8.3.0"


def test_unknown_programs_owned_files_and_other_products_are_left_alone() -> None:
    db = FakeDB(
        [
            cpe("CVE-2099-5", "redis:redis", ("introduced", "0")),
            cpe("CVE-2099-6", "acme:redis", ("introduced", "0")),
        ]
    )
    matcher = BinaryMatcher()
    assert matcher.match(binary("redis", "7.0.1", owner="redis-server"), None, db).candidates == ()
    assert matcher.match(binary("unknowntool", "1.0"), None, db).candidates == ()
    (only,) = matcher.match(binary("redis", "7.0.1"), None, db).candidates
    assert only.affected.vuln_id == "CVE-2099-5"


def test_incomparable_versions_give_notices() -> None:
    db = FakeDB([cpe("CVE-2099-7", "redis:redis", ("introduced", "0"), ("fixed", "??"))])
    outcome = BinaryMatcher().match(binary("redis", "7.0.1"), None, db)
    assert outcome.candidates == () and "CVE-2099-7 for redis:redis" in outcome.notices[0]
    odd = BinaryMatcher().match(binary("redis", "unknown"), None, db)
    assert odd.candidates == () and "not comparable" in odd.notices[0]


def test_versions_as_upstream_spells_them() -> None:
    assert product_version(binary("go", "go1.21.6")) == "1.21.6"
    assert product_version(binary("openjdk", "1.8.0_392-b08")) == "1.8.0_392"
    assert product_version(binary("openjdk", "17.0.9+9")) == "17.0.9+9"
    db = FakeDB([cpe("CVE-2099-8", "oracle:jdk", ("introduced", "17.0.0"), ("fixed", "17.0.10"))])
    (finding,), _ = match_inventory(inventory(None, binary("openjdk", "17.0.9+9")), db)
    assert finding.id == "CVE-2099-8"


def test_table_covers_every_detected_program() -> None:
    assert {c.purl_name or c.name for c in CLASSIFIERS} == set(PRODUCTS)
    assert all(
        ":" in name and name == name.lower() for names in PRODUCTS.values() for name in names
    )


def test_record_merging_uses_the_cve_record() -> None:
    record = Vulnerability("CVE-2099-1", description="redis flaw")
    db = FakeDB([cpe("CVE-2099-1", "redis:redis", ("introduced", "7.0.0"))], {"CVE-2099-1": record})
    (finding,), _ = match_inventory(inventory(None, binary("redis", "7.0.1")), db)
    assert finding.vulnerability.description == "redis flaw" and finding.fix_state == AFFECTED
