"""The `generic` scheme for upstream release versions (namespace `cpe`)."""

from __future__ import annotations

import pytest

from sievert.errors import VersionError
from sievert.model.vuln import RangeEvent, VersionRange
from sievert.versions import compare, evaluate, scheme_for
from sievert.versions.generic import SCHEME

ORDER = [
    ("1.1.1w", "1.1.1", 1),  # OpenSSL letter releases come after the bare release
    ("1.1.1w", "1.1.2", -1),
    ("1.1.1a", "1.1.1w", -1),
    ("3.0.13", "3.0.2", 1),  # numeric, not string, order
    ("7.0.15", "7.2.4", -1),
    ("1.35.0", "1.36.1", -1),
    ("11.0.21+9", "11.0.21", 0),  # build metadata ignored
    ("11.0.21+9", "11.0.22", -1),
    ("1.22", "1.22.0", 0),  # missing parts count as zero
    ("1.22", "1.22.1", -1),
    ("3.0.0-alpha1", "3.0.0", -1),  # pre-release words come before the release
    ("3.0.0-alpha1", "3.0.0-beta1", -1),
    ("3.0.0-beta2", "3.0.0-rc1", -1),
    ("3.12.0a1", "3.12.0", -1),  # Python's a/b/rc with a number are pre-releases
    ("3.12.0rc2", "3.12.0b4", 1),
    ("2.0.0.beta.8", "2.0.0", -1),
    ("1.0.0-dev", "1.0.0-alpha", -1),
    ("v1.21.6", "1.21.6", 0),
    ("1.21.0-0", "1.21.0", 0),
    ("1.0.2", "1.0.2.1", -1),
    ("1.0.2w", "1.0.2.1", -1),
]


@pytest.mark.parametrize(("a", "b", "expected"), ORDER)
def test_order(a: str, b: str, expected: int) -> None:
    assert compare("cpe", a, b) == expected
    assert compare("cpe", b, a) == -expected


@pytest.mark.parametrize("bad", ["", "n/a", "*", "Fixed in 1.2", "<= 8.5.1", "1.2 and earlier"])
def test_invalid_versions(bad: str) -> None:
    with pytest.raises(VersionError, match="generic"):
        SCHEME.check(bad)


def test_registered_for_the_cpe_namespace() -> None:
    assert scheme_for("cpe") is SCHEME
    assert sorted(["1.1.1w", "3.0.13", "1.1.1", "3.0.2", "1.1.1a"], key=SCHEME.sort_key()) == [
        "1.1.1",
        "1.1.1a",
        "1.1.1w",
        "3.0.2",
        "3.0.13",
    ]


def test_ranges_evaluate_with_letter_releases() -> None:
    rng = VersionRange(
        "ECOSYSTEM", (RangeEvent("introduced", "1.1.1"), RangeEvent("fixed", "1.1.1q"))
    )
    assert evaluate("cpe", "1.1.1p", [rng]).match is not None
    assert evaluate("cpe", "1.1.1w", [rng]).match is None
    assert evaluate("cpe", "1.1.0l", [rng]).match is None
