"""OSV range evaluation: introduced/fixed/last_affected/limit, OR-ed ranges, lists, skips."""

from __future__ import annotations

import pytest

from sievert.model import RangeEvent, VersionRange
from sievert.versions import evaluate, is_affected, scheme_for


def _range(*events: tuple[str, str], kind: str = "ECOSYSTEM") -> VersionRange:
    return VersionRange(kind, tuple(RangeEvent(k, v) for k, v in events))


LOG4J = [_range(("introduced", "2.0.0"), ("fixed", "2.17.1"))]


@pytest.mark.parametrize(
    ("version", "affected"),
    [("1.9", False), ("2.0.0", True), ("2.15.0", True), ("2.17.1", False), ("2.18.0", False)],
)
def test_introduced_inclusive_fixed_exclusive(version: str, affected: bool) -> None:
    match = is_affected("maven", version, LOG4J, ())
    assert (match is not None) == affected
    if match is not None:
        assert match.evidence == "introduced 2.0.0, fixed 2.17.1"
        assert match.fixed_versions == ("2.17.1",)


def test_introduced_zero_and_last_affected_inclusive() -> None:
    ranges = [_range(("introduced", "0"), ("last_affected", "1.7"))]
    assert is_affected("pypi", "0.0.1", ranges) is not None
    hit = is_affected("pypi", "1.7", ranges)
    assert hit is not None and hit.fixed_versions == ()
    assert hit.evidence == "introduced 0 (all earlier versions), last_affected 1.7"
    assert is_affected("pypi", "1.7.post1", ranges) is None


def test_unsorted_events_with_several_intervals() -> None:
    ranges = [
        _range(("fixed", "1.5"), ("introduced", "1.4"), ("fixed", "1.0"), ("introduced", "0"))
    ]
    verdicts = {v: is_affected("pypi", v, ranges) for v in ["0.5", "1.0", "1.2", "1.4", "1.5"]}
    assert [v for v, m in verdicts.items() if m is not None] == ["0.5", "1.4"]
    assert verdicts["1.4"] is not None and verdicts["1.4"].fixed_versions == ("1.5",)
    assert verdicts["0.5"] is not None and verdicts["0.5"].fixed_versions == ("1.0",)


def test_no_fix_is_affected_forever() -> None:
    match = is_affected("npm", "9.9.9", [_range(("introduced", "1.0.0"))])
    assert match is not None and match.evidence == "introduced 1.0.0, no fix"


def test_limit_bounds_the_range() -> None:
    ranges = [_range(("introduced", "1.0"), ("limit", "2.0"))]
    assert is_affected("pypi", "1.5", ranges) is not None
    assert is_affected("pypi", "2.0", ranges) is None
    assert is_affected("pypi", "3.0", [_range(("introduced", "1.0"), ("limit", "*"))]) is not None


def test_ranges_are_ored_and_fixes_collected() -> None:
    ranges = [
        _range(("introduced", "1.0.0"), ("fixed", "1.2.0")),
        _range(("introduced", "1.1.0"), ("fixed", "1.3.0")),
        _range(("introduced", "5.0.0"), ("fixed", "5.1.0")),
    ]
    match = is_affected("npm", "1.1.5", ranges)
    assert match is not None
    assert [hit.range_index for hit in match.hits] == [0, 1]
    assert match.fixed_versions == ("1.2.0", "1.3.0")
    assert is_affected("npm", "1.3.0", ranges) is None


def test_versions_list_is_an_explicit_match() -> None:
    match = is_affected("pypi", "1.0", [], ["0.9", "1.0.0"])
    assert match is not None and match.evidence == "listed affected version 1.0.0"
    assert is_affected("pypi", "1.1", [], ["0.9", "1.0.0"]) is None


def test_git_ranges_only_match_through_versions() -> None:
    git = [_range(("introduced", "0"), ("fixed", "a" * 40), kind="GIT")]
    assert is_affected("pypi", "1.0", git, ()) is None
    result = evaluate("pypi", "1.0", git, ["1.0"])
    assert result.skipped == ()
    assert result.match is not None and result.match.hits[0].listed == "1.0"


def test_semver_ranges_use_semver_order_whatever_the_ecosystem() -> None:
    # In PEP 440, 1.0.0-rc.1 is a pre-release; in semver 1.0.0-rc.1 < 1.0.0 too, but
    # '1.0.0-1' is a post-release in PEP 440 and a pre-release in semver.
    ranges = [_range(("introduced", "0"), ("fixed", "1.0.0"), kind="SEMVER")]
    assert scheme_for("pypi").compare("1.0.0-1", "1.0.0") == 1
    assert is_affected("pypi", "1.0.0-1", ranges) is not None
    assert is_affected("go", "v0.9.0", ranges) is not None


def test_unparsable_feed_version_skips_the_range_with_a_reason() -> None:
    ranges = [
        _range(("introduced", "0"), ("fixed", "not a version!")),
        _range(("introduced", "2.0"), ("fixed", "3.0")),
    ]
    result = evaluate("pypi", "2.5", ranges)
    assert result.match is not None and [h.range_index for h in result.match.hits] == [1]
    assert len(result.skipped) == 1
    assert "range 0" in result.skipped[0] and "not a version!" in result.skipped[0]
    none = evaluate("pypi", "1.0", ranges)
    assert none.match is None and len(none.skipped) == 1


def test_unparsable_installed_version_is_skipped_not_fatal() -> None:
    result = evaluate("apk", "1.0-1", [_range(("introduced", "0"), ("fixed", "1.1-r0"))])
    assert result.match is None
    assert "installed" in result.skipped[0] and "'1.0-1'" in result.skipped[0]


def test_distro_ranges_with_scheme_object() -> None:
    ranges = [_range(("introduced", "0"), ("fixed", "2.36.1-8+deb12u1"))]
    dpkg = scheme_for("debian:12")
    assert is_affected(dpkg, "2.36.1-8", ranges) is not None
    assert is_affected(dpkg, "2.36.1-8+deb12u1", ranges) is None
    apk_ranges = [_range(("introduced", "0"), ("fixed", "1.2.3_git20200101-r0"))]
    assert is_affected("alpine:3.20", "1.2.3-r9", apk_ranges) is not None
