"""Base image advice, the pure part: tag shapes, candidate choice, comparison, recommendation."""

from __future__ import annotations

import pytest

from sievert.model import Affected, Package, Vulnerability
from sievert.model.finding import Finding, MatchEvidence
from sievert.model.severity import Severity
from sievert.policy.advice import (
    CandidateResult,
    candidate_tags,
    compare,
    finding_keys,
    parse_tag,
    recommend,
)


@pytest.mark.parametrize(
    ("tag", "prefix", "numbers", "suffix", "revision", "dated"),
    [
        ("3.19.1", "", (3, 19, 1), "", -1, False),
        ("v1.2.3", "v", (1, 2, 3), "", -1, False),
        ("1.25-alpine", "", (1, 25), "-alpine", -1, False),
        ("8.0.3-jdk-jammy", "", (8, 0, 3), "-jdk-jammy", -1, False),
        ("3.11.7-slim-bookworm", "", (3, 11, 7), "-slim-bookworm", -1, False),
        ("3.12.1-alpine3.19", "", (3, 12, 1), "-alpine3.19", -1, False),
        ("17.0.9_9-jre-jammy", "", (17, 0, 9, 9), "-jre-jammy", -1, False),
        ("1.25.3-debian-12-r4", "", (1, 25, 3), "-debian-12", 4, False),
        ("release-v2.0", "release-v", (2, 0), "", -1, False),
        ("22.04", "", (22, 4), "", -1, False),
        ("20240110", "", (20240110,), "", -1, True),
        ("bookworm-20240110-slim", "bookworm-", (20240110,), "-slim", -1, True),
        ("jammy-20240111", "jammy-", (20240111,), "", -1, True),
        ("2024-01-10", "", (2024, 1, 10), "", -1, True),
    ],
)
def test_parse_tag_shapes(
    tag: str, prefix: str, numbers: tuple[int, ...], suffix: str, revision: int, dated: bool
) -> None:
    parsed = parse_tag(tag)
    assert parsed is not None
    assert (parsed.prefix, parsed.numbers, parsed.suffix) == (prefix, numbers, suffix)
    assert (parsed.revision, parsed.dated) == (revision, dated)


@pytest.mark.parametrize(
    "tag",
    ["latest", "stable", "sha-abc", "sha-1234567", "git-0123456", "3.13.0rc1", "ltsc2022", ""],
)
def test_tags_without_a_version(tag: str) -> None:
    assert parse_tag(tag) is None


PYTHON_TAGS = [
    "3.11.6-slim-bookworm",
    "3.11.7-slim-bookworm",
    "3.11.8-slim-bookworm",
    "3.11.9-slim-bookworm",
    "3.11.10-slim-bookworm",
    "3.11-slim-bookworm",
    "3.11.9-bookworm",
    "3.11.9-slim-bullseye",
    "3.12.1-slim-bookworm",
    "4.0.0-slim-bookworm",
    "3.11.8rc1-slim-bookworm",
    "latest",
]


def test_same_line_newer_patches_newest_first() -> None:
    found = candidate_tags("3.11.7-slim-bookworm", PYTHON_TAGS)
    assert found == ["3.11.10-slim-bookworm", "3.11.9-slim-bookworm", "3.11.8-slim-bookworm"]


def test_major_scope_allows_newer_minors_but_not_majors() -> None:
    found = candidate_tags("3.11.7-slim-bookworm", PYTHON_TAGS, scope="major")
    assert found[0] == "3.12.1-slim-bookworm"
    assert "4.0.0-slim-bookworm" not in found and "3.11.6-slim-bookworm" not in found


def test_alpine_patch_tags_and_limit() -> None:
    tags = ["3.18.6", "3.19.0", "3.19.1", "3.19.2", "3.19.4", "3.20.0", "3.19", "3", "edge"]
    assert candidate_tags("3.19.1", tags) == ["3.19.4", "3.19.2"]
    assert candidate_tags("3.19.1", tags, limit=1) == ["3.19.4"]
    assert candidate_tags("3.19.1", tags, scope="major") == ["3.20.0", "3.19.4", "3.19.2"]


def test_prefix_suffix_and_revision_must_line_up() -> None:
    tags = ["v1.2.4", "1.2.5", "v1.2.10", "v1.3.0"]
    assert candidate_tags("v1.2.3", tags) == ["v1.2.10", "v1.2.4"]
    bitnami = ["1.25.3-debian-12-r5", "1.25.3-debian-12-r3", "1.25.4-debian-12-r0", "1.25.4"]
    assert candidate_tags("1.25.3-debian-12-r4", bitnami) == [
        "1.25.4-debian-12-r0",
        "1.25.3-debian-12-r5",
    ]
    temurin = ["8.0.4-jdk-jammy", "8.0.4-jre-jammy", "8.0.4-jdk-focal", "8.1.0-jdk-jammy"]
    assert candidate_tags("8.0.3-jdk-jammy", temurin) == ["8.0.4-jdk-jammy"]


def test_two_part_tags_need_major_scope() -> None:
    tags = ["1.25-alpine", "1.26-alpine", "1.27-alpine", "1.26.1-alpine", "2.0-alpine"]
    assert candidate_tags("1.25-alpine", tags) == []
    assert candidate_tags("1.25-alpine", tags, scope="major") == ["1.27-alpine", "1.26-alpine"]


def test_dated_tags_move_to_later_dates_of_the_same_line() -> None:
    tags = ["bookworm-20240211-slim", "bookworm-20231201-slim", "bookworm-20240211", "bookworm"]
    assert candidate_tags("bookworm-20240110-slim", tags) == ["bookworm-20240211-slim"]
    assert candidate_tags("20240110", ["20240301", "20231231", "3.19.1"]) == ["20240301"]


def test_unversioned_current_tag_has_no_candidates() -> None:
    assert candidate_tags("latest", PYTHON_TAGS) == []
    assert candidate_tags("sha-abc", ["sha-abd"]) == []


def test_unknown_scope_is_refused() -> None:
    with pytest.raises(ValueError, match="scope 'patch'"):
        candidate_tags("3.19.1", [], scope="patch")


def finding(vuln: str, package: str, severity: str, version: str = "1") -> Finding:
    """A finding of a Debian package (only the fields advice reads matter)."""
    pkg = Package(package, version, "deb", f"pkg:deb/debian/{package}@{version}", "dpkg")
    affected = Affected(vuln, "debian:bookworm", package, "debian-tracker")
    evidence = MatchEvidence("debian-tracker", vuln, "debian:bookworm", "package", package, "")
    return Finding(
        Vulnerability(vuln), pkg, affected, evidence, Severity(severity), "vendor", "fixed"
    )


CURRENT = [
    finding("CVE-1", "libssl3", "high"),
    finding("CVE-2", "libssl3", "medium"),
    finding("CVE-3", "zlib1g", "low"),
]


def test_compare_counts_removed_and_added_by_key() -> None:
    keys = finding_keys(CURRENT)
    after = [finding("CVE-3", "zlib1g", "low", "2"), finding("CVE-9", "curl", "critical")]
    result = compare("1.0.2", after, keys, "registry:r/base:1.0.2")
    assert (result.total, result.removed, result.added) == (2, 2, 1)
    assert result.removed_ids == ("CVE-1 libssl3", "CVE-2 libssl3")
    assert result.added_ids == ("CVE-9 curl",)
    assert dict(result.by_severity) == {
        "critical": 1,
        "high": 0,
        "medium": 0,
        "low": 1,
        "negligible": 0,
        "unknown": 0,
    }
    assert result.by_severity[0][0] == "critical"


def test_duplicate_locations_count_once_at_their_worst_severity() -> None:
    doubled = [*CURRENT, finding("CVE-1", "libssl3", "critical")]
    current = compare("1.0.1", doubled)
    assert (current.total, current.removed, current.added) == (3, 0, 0)
    assert dict(current.by_severity)["critical"] == 1


def result(tag: str, total: int, removed: int) -> CandidateResult:
    return CandidateResult(tag, total, (), removed, 0)


def test_recommend_fewest_findings_then_most_removed_then_newest() -> None:
    now = result("1.0.1", 5, 0)
    assert recommend(now, [result("1.0.4", 3, 2), result("1.0.3", 1, 4)]) == "1.0.3"
    assert recommend(now, [result("1.0.4", 2, 3), result("1.0.3", 2, 4)]) == "1.0.3"
    assert recommend(now, [result("1.0.4", 2, 3), result("1.0.3", 2, 3)]) == "1.0.4"
    assert recommend(now, [result("1.0.4", 5, 2), result("1.0.3", 7, 0)]) == ""
    assert recommend(now, []) == ""
