"""Product data of CVE JSON 5 `affected` entries and NVD CPE configurations, as `cpe` statements."""

from __future__ import annotations

import json
from pathlib import Path

from sievert.model.vuln import AFFECTED, FIXED, Affected, RangeEvent, VersionRange
from sievert.vulndb.feeds.base import FeedResult
from sievert.vulndb.feeds.cve5 import cpe_package, parse_cve5, product_statements
from sievert.vulndb.feeds.nvd import parse_nvd, split_cpe
from sievert.vulndb.store import Builder, VulnDB
from tests.vulndb import feedfactory as ff

CVE = "CVE-2099-1000"


def record(
    cna: list[dict[str, object]], adp: list[dict[str, object]] | None = None
) -> dict[str, object]:
    containers: dict[str, object] = {"cna": {"affected": cna}}
    if adp is not None:
        containers["adp"] = [{"providerMetadata": {"shortName": "CISA-ADP"}, "affected": adp}]
    return {"cveMetadata": {"cveId": CVE, "state": "PUBLISHED"}, "containers": containers}


def product(
    vendor: str, name: str, *versions: dict[str, str], default: str = ""
) -> dict[str, object]:
    entry: dict[str, object] = {"vendor": vendor, "product": name, "versions": list(versions)}
    if default:
        entry["defaultStatus"] = default
    return entry


def statements(*entries: dict[str, object]) -> tuple[list[Affected], FeedResult]:
    out = FeedResult()
    return list(product_statements(record(list(entries)), CVE, "t", out)), out


def rng(*events: tuple[str, str]) -> VersionRange:
    return VersionRange("ECOSYSTEM", tuple(RangeEvent(k, v) for k, v in events))


def test_ranges_and_exact_versions_of_one_product() -> None:
    out = FeedResult()
    entry = product(
        "Redis",
        "Redis",
        {"status": "affected", "version": "7.0.0", "lessThan": "7.0.15", "versionType": "semver"},
        {"status": "affected", "version": "0", "lessThanOrEqual": "6.2.13"},
        {"status": "affected", "version": "7.2.4"},
        {"status": "unaffected", "version": "7.0.15"},
    )
    (stmt,) = product_statements(record([entry]), CVE, "t", out)
    assert (stmt.namespace, stmt.package, stmt.source, stmt.record_id) == (
        "cpe",
        "redis:redis",
        "cve",
        CVE,
    )
    assert stmt.ranges == (
        rng(("introduced", "7.0.0"), ("fixed", "7.0.15")),
        rng(("introduced", "0"), ("last_affected", "6.2.13")),
    )
    assert stmt.versions == ("7.2.4",)
    assert (stmt.fix_state, stmt.fixed_version) == (FIXED, "7.0.15")
    assert out.notices == []


def test_names_are_lower_case_with_underscores() -> None:
    assert (
        cpe_package("Python Software Foundation", "CPython") == "python_software_foundation:cpython"
    )
    assert cpe_package(" F5 ", "NGINX  Open Source") == "f5:nginx_open_source"


def test_na_and_unparsable_versions_are_notices_not_statements() -> None:
    found, out = statements(
        product("n/a", "n/a", {"status": "affected", "version": "n/a"}),
        product("acme", "tool", {"status": "affected", "version": "n/a"}),
        product(
            "acme", "other", {"status": "affected", "version": "Fixed in 1.2 (Affected 1.0-1.1)"}
        ),
        product(
            "acme", "third", {"status": "affected", "version": "1.0", "lessThan": "see advisory"}
        ),
    )
    assert found == []
    assert len(out.notices) == 3  # legacy n/a vendor/product entries are dropped silently
    assert "acme:tool" in out.notices[0] and "'n/a'" in out.notices[0]


def test_unspecified_start_and_open_end() -> None:
    (stmt,), out = statements(
        product(
            "acme",
            "tool",
            {"status": "affected", "version": "unspecified", "lessThan": "2.1"},
            {"status": "affected", "version": "3.0", "lessThan": "*"},
        )
    )
    assert stmt.ranges == (rng(("introduced", "0"), ("fixed", "2.1")), rng(("introduced", "3.0")))
    assert out.notices == []


def test_lessthanorequal_equal_to_the_start_is_an_exact_version() -> None:
    (stmt,), _ = statements(
        product(
            "curl",
            "curl",
            {"status": "affected", "version": "8.6.0", "lessThanOrEqual": "8.6.0"},
            {"status": "affected", "version": "8.5.0", "lessThanOrEqual": "8.5.0"},
            default="unaffected",
        )
    )
    assert stmt.ranges == () and stmt.versions == ("8.6.0", "8.5.0")
    assert (stmt.fix_state, stmt.fixed_version) == (AFFECTED, "")


def test_curl_style_start_from_an_unaffected_entry() -> None:
    (stmt,), _ = statements(
        product(
            "curl",
            "curl",
            {
                "status": "affected",
                "version": "8.4.0",
                "lessThan": "8.4.0",
                "versionType": "semver",
            },
            {
                "status": "unaffected",
                "version": "7.69.0",
                "lessThan": "7.69.0",
                "versionType": "semver",
            },
        )
    )
    assert stmt.ranges == (rng(("introduced", "7.69.0"), ("fixed", "8.4.0")),)


def test_default_status_without_affected_versions() -> None:
    found, out = statements(
        product(
            "acme",
            "safe",
            {"status": "unaffected", "version": "0", "lessThan": "9"},
            default="unaffected",
        ),
        product("acme", "all", default="affected"),
    )
    assert found == []
    assert len(out.notices) == 1 and "acme:all" in out.notices[0]


def test_comparator_lists_in_the_version_field() -> None:
    (stmt,), out = statements(
        product(
            "redis",
            "redis",
            {"status": "affected", "version": ">= 7.0.0, < 7.0.15"},
            {"status": "affected", "version": "<= 6.2.13"},
            {"status": "affected", "version": "= 7.2.4"},
            {"status": "affected", "version": "> 5.0"},
            {"status": "affected", "version": "<=Harbor 2.6.x, <=Harbor 2.7.2"},
        )
    )
    assert stmt.ranges == (
        rng(("introduced", "7.0.0"), ("fixed", "7.0.15")),
        rng(("introduced", "0"), ("last_affected", "6.2.13")),
    )
    assert stmt.versions == ("7.2.4",)
    assert len(out.notices) == 2 and all("not understood" in n for n in out.notices)


def test_git_versions_are_skipped() -> None:
    found, out = statements(
        product(
            "linux",
            "linux",
            {
                "status": "affected",
                "version": "1da177e4",
                "lessThan": "abc123",
                "versionType": "git",
            },
        )
    )
    assert found == [] and "versionType 'git'" in out.notices[0]


def test_adp_entries_and_the_zip_parser(tmp_path: Path) -> None:
    cna = [
        product(
            "OpenSSL", "OpenSSL", {"status": "affected", "version": "3.0.0", "lessThan": "3.0.13"}
        )
    ]
    adp = [
        product(
            "openssl", "openssl", {"status": "affected", "version": "1.1.1", "lessThan": "1.1.1x"}
        )
    ]
    rejected = {
        "cveMetadata": {"cveId": "CVE-2099-1001", "state": "REJECTED"},
        "containers": {"cna": {"affected": cna}},
    }
    path = tmp_path / "cves.zip"
    path.write_bytes(
        ff.zip_bytes(
            {
                f"cves/2099/1xxx/{CVE}.json": json.dumps(record(cna, adp)).encode(),
                "cves/2099/1xxx/CVE-2099-1001.json": json.dumps(rejected).encode(),
            }
        )
    )
    result = parse_cve5(path)
    assert [(a.vuln_id, a.package, a.note) for a in result.affected] == [
        (CVE, "openssl:openssl", "from cna"),
        (CVE, "openssl:openssl", "from CISA-ADP"),
    ]
    assert result.affected[1].ranges == (rng(("introduced", "1.1.1"), ("fixed", "1.1.1x")),)


def test_split_cpe_unescapes_fields() -> None:
    fields = split_cpe(r"cpe:2.3:a:nodejs:node.js:20.1.0:*:*:*:*:*:*:*")
    assert fields[3:6] == ["nodejs", "node.js", "20.1.0"]
    assert split_cpe(r"cpe:2.3:a:acme:a\:b:1.0:*:*:*:*:*:*:*")[4] == "a:b"
    assert split_cpe("cpe:/a:acme:tool:1.0") == []


def nvd_page(*matches: dict[str, object]) -> dict[str, object]:
    nodes = [{"operator": "OR", "negate": False, "cpeMatch": list(matches)}]
    cve = {"id": CVE, "descriptions": [], "configurations": [{"nodes": nodes}]}
    return {
        "resultsPerPage": 1,
        "startIndex": 0,
        "totalResults": 1,
        "vulnerabilities": [{"cve": cve}],
    }


def test_nvd_cpe_configurations(tmp_path: Path) -> None:
    page = nvd_page(
        {
            "vulnerable": True,
            "criteria": "cpe:2.3:a:redis:redis:*:*:*:*:*:*:*:*",
            "versionStartIncluding": "7.0.0",
            "versionEndExcluding": "7.0.15",
        },
        {
            "vulnerable": True,
            "criteria": "cpe:2.3:a:redis:redis:*:*:*:*:*:*:*:*",
            "versionEndIncluding": "6.2.13",
        },
        {"vulnerable": True, "criteria": "cpe:2.3:a:redis:redis:7.2.4:*:*:*:*:*:*:*"},
        {"vulnerable": True, "criteria": "cpe:2.3:a:openssl:openssl:3.0.0:alpha1:*:*:*:*:*:*"},
        {"vulnerable": False, "criteria": "cpe:2.3:o:debian:debian_linux:12.0:*:*:*:*:*:*:*"},
        {"vulnerable": True, "criteria": "cpe:2.3:o:linux:linux_kernel:6.1:*:*:*:*:*:*:*"},
        {"vulnerable": True, "criteria": "cpe:2.3:a:acme:tool:*:*:*:*:*:*:*:*"},
        {
            "vulnerable": True,
            "criteria": "cpe:2.3:a:acme:tool:*:*:*:*:*:*:*:*",
            "versionStartExcluding": "1.0",
        },
        {
            "vulnerable": True,
            "criteria": "cpe:2.3:a:acme:tool:*:*:*:*:*:*:*:*",
            "versionEndExcluding": "n/a",
        },
    )
    path = tmp_path / "p.json"
    path.write_text(json.dumps(page))
    result = parse_nvd(path)
    by_package = {a.package: a for a in result.affected}
    assert set(by_package) == {"redis:redis", "openssl:openssl"}
    redis = by_package["redis:redis"]
    assert (redis.namespace, redis.source, redis.fix_state) == ("cpe", "nvd", FIXED)
    assert redis.ranges == (
        rng(("introduced", "7.0.0"), ("fixed", "7.0.15")),
        rng(("introduced", "0"), ("last_affected", "6.2.13")),
    )
    assert redis.versions == ("7.2.4",)
    assert by_package["openssl:openssl"].versions == ("3.0.0-alpha1",)
    assert len(result.notices) == 3
    assert all("acme:tool" in n for n in result.notices)


def test_statements_survive_the_store(tmp_path: Path) -> None:
    (stmt,), _ = statements(
        product(
            "redis",
            "redis",
            {"status": "affected", "version": "7.0.0", "lessThan": "7.0.15"},
            {"status": "affected", "version": "7.2.4"},
        )
    )
    builder = Builder(tmp_path / "vuln.db")
    builder.add("cve", FeedResult(affected=[stmt]))
    builder.finish({}, [])
    with VulnDB(tmp_path / "vuln.db") as db:
        assert db.affected("cpe", "redis:redis") == [stmt]
        assert [a.vuln_id for a in db.search("redis:redis", "7.0.14", ecosystem="cpe")] == [CVE]
        assert db.search("redis:redis", "7.0.15", ecosystem="cpe") == []
        assert [a.vuln_id for a in db.search("redis:redis", "7.2.4", ecosystem="cpe")] == [CVE]
