"""Tricky-case tables per version scheme: each row is (a, b, expected compare(a, b))."""

from __future__ import annotations

import random

import pytest

from sievert.errors import SievertError, UsageError, VersionError
from sievert.versions import compare, scheme_for

DPKG = [
    ("1.0", "1.0", 0),
    ("1:1.0", "2.0", 1),
    ("0:1.0", "1.0", 0),
    ("1.0~rc1", "1.0", -1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~", "1.0~~", 1),
    ("1.0", "1.0+deb12u1", -1),
    ("2.36.1-8+deb12u1", "2.36.1-8", 1),
    ("2.36.1-8+deb12u1", "2.36.1-8+deb12u2", -1),
    ("1.0-1", "1.0-1~bpo12+1", 1),
    ("1.0", "1.00", 0),
    ("1.0", "1.0.", -1),
    ("1.0-0", "1.0", 0),
    ("1.0a", "1.0", 1),
    ("1.0a", "1.0+", -1),
    ("1.0-1ubuntu1", "1.0-1", 1),
    ("1.2.3-1ubuntu0.22.04.1", "1.2.3-1ubuntu0.22.04.2", -1),
    ("3.0.11-1~deb12u2", "3.0.11-1", -1),
    ("1.0-1-2", "1.0-1", 1),
]
APK = [
    ("1.0", "1.0.1", -1),
    ("1.0a", "1.0.1", -1),
    ("1.0b", "1.0a", 1),
    ("1.0", "1.0_p1", -1),
    ("1.0_p1", "1.0-r1", 1),
    ("1.0_p1-r0", "1.0-r5", 1),
    ("1.0_p", "1.0_p0", -1),
    ("1.0_rc1", "1.0", -1),
    ("1.0_rc", "1.0_rc1", -1),
    ("1.0_alpha", "1.0_beta", -1),
    ("1.0_beta", "1.0_pre", -1),
    ("1.0_pre", "1.0_rc", -1),
    ("1.0_cvs", "1.0_svn", -1),
    ("1.0_svn", "1.0_git", -1),
    ("1.0_git", "1.0_hg", -1),
    ("1.0_hg", "1.0_p", -1),
    ("1.2.3_git20200101-r0", "1.2.3-r0", 1),
    ("1.2.3_git20200101-r0", "1.2.3-r9", 1),
    ("1.2.3_git20200101-r0", "1.2.4-r0", -1),
    ("1.2.3_git20200101-r0", "1.2.3_git20200202-r0", -1),
    ("1.0~abc123", "1.0", 1),
    ("1.0~abc123", "1.0-r1", 1),
    ("1.0~abc123", "1.0~abd000", -1),
    ("1.0~abc123-r1", "1.0~abc123-r0", 1),
    ("1.02", "1.2", -1),
    ("1.010", "1.01", 1),
    ("1.05", "1.1", -1),
    ("01.2", "1.2", 0),
    ("1.0_rc1_p2", "1.0_rc1", 1),
    ("2.6.0-r1", "2.6.0-r0", 1),
    ("1.0-r10", "1.0-r9", 1),
    ("3.0.15-r0", "3.0.15-r0", 0),
]
RPM = [
    ("1.0~rc1", "1.0", -1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0^git1", "1.0", 1),
    ("1.0^git1", "1.0.1", -1),
    ("1.0^", "1.0", 1),
    ("1.0~", "1.0", -1),
    ("1:1.0", "2.0", 1),
    ("0:1.0", "1.0", 0),
    ("1.0", "1_0", 0),
    ("1.0a", "1.0", 1),
    ("1.0", "1.0.a", -1),
    ("1.0a", "1.0.1", -1),
    ("1.0-1", "1.0", 1),
    ("1.0-1.el9", "1.0-1.el9_1", -1),
    ("2.28-236.el9_4.2", "2.28-236.el9", 1),
    ("1.01", "1.1", 0),
    ("2.0", "2.0.", 0),
]
PEP440 = [
    ("1.0.post1", "1.0", 1),
    ("1.0.dev1", "1.0a1", -1),
    ("1.0a1", "1.0b1", -1),
    ("1.0rc1", "1.0", -1),
    ("1.0+local", "1.0", 1),
    ("1.0", "1.0.0", 0),
    ("1!0.1", "2.0", 1),
    ("1.0.post1.dev1", "1.0.post1", -1),
    ("2.0.0", "10.0", -1),
]
SEMVER = [
    ("1.0", "1.0.0", 0),  # partial versions in advisory ranges mean missing parts are 0
    ("1", "1.0.1", -1),
    ("1.0.0-alpha", "1.0.0-alpha.1", -1),
    ("1.0.0-alpha.1", "1.0.0-alpha.beta", -1),
    ("1.0.0-alpha.beta", "1.0.0-beta", -1),
    ("1.0.0-beta.2", "1.0.0-beta.11", -1),
    ("1.0.0-rc.1", "1.0.0", -1),
    ("1.0.0-2", "1.0.0-10", -1),
    ("1.0.0+build.5", "1.0.0", 0),
    ("v1.2.3", "1.2.3", 0),
    ("1.10.0", "1.9.9", 1),
]
GO = [
    ("v0.0.0-20210101000000-abcdef123456", "v0.0.1", -1),
    ("v0.0.0-20210101000000-abcdef123456", "v0.0.0-20200101000000-fedcba654321", 1),
    ("v1.2.4-0.20210101000000-abcdef123456", "v1.2.3", 1),
    ("v1.2.4-0.20210101000000-abcdef123456", "v1.2.4", -1),
    ("v1.2.4-pre.0.20210101000000-abcdef123456", "v1.2.4-pre", 1),
    ("v2.0.0+incompatible", "v2.0.0", 0),
    ("v2.0.0+incompatible", "2.0.1", -1),
    ("go1.21rc2", "1.21.0", -1),
    ("go1.21.5", "1.21.4", 1),
    ("go1.21", "1.21.0", 0),
]
MAVEN = [
    ("1-alpha", "1-beta", -1),
    ("1-beta", "1-milestone", -1),
    ("1-milestone", "1-rc", -1),
    ("1.0-rc1", "1.0-cr1", 0),
    ("1-rc", "1-snapshot", -1),
    ("1.0-SNAPSHOT", "1.0", -1),
    ("1.0", "1.0-ga", 0),
    ("1.0", "1.0-final", 0),
    ("2.0.0.RELEASE", "2.0.0", 0),
    ("1.0", "1.0-sp", -1),
    ("1-sp", "1-foo", -1),
    ("1.0-bar", "1.0-foo", -1),
    ("1-1", "1.1", -1),
    ("1.0-1", "1", 1),
    ("1.0.0", "1", 0),
    ("1.0-alpha1", "1.0a1", 0),
    ("1.0-m1", "1.0-milestone-1", 0),
    ("1.0-alpha-1", "1.0-alpha-2", -1),
    ("2.17.1", "2.17.0", 1),
    ("2.14.1", "2.3", 1),
    ("1.0-RC1", "1.0", -1),
]
RUBYGEMS = [
    ("1.0.a", "1.a", 0),
    ("1.0.0", "1", 0),
    ("1.0.a", "1.0", -1),
    ("1.0-1", "1.0", -1),
    ("1.9", "1.10", -1),
    ("1.0.0.pre1", "1.0.0", -1),
    ("1.0.b1", "1.0.a2", 1),
    ("2.0.0.rc1", "2.0.0.beta2", 1),
    ("1.2.3.pre", "1.2.3", -1),
    ("", "0", 0),
    ("7.0.8.1", "7.0.8", 1),
    # platform gems order as their base version (nokogiri, grpc, ffi ship them)
    ("1.2.0-x86_64-linux", "1.2.0", 0),
    ("1.16.0-x86_64-linux-gnu", "1.16.0", 0),
    ("1.16.0-aarch64-linux-musl", "1.15.9", 1),
    ("1.2.0-x64-mingw-ucrt", "1.2.1", -1),
    ("9.4.3.0-java", "9.4.3.0", 0),
    ("1.62.0-arm64-darwin", "1.62.0.pre1", 1),
    ("1.2.0-x86_64-linux", "1.2.0.rc1", 1),
]
NUGET = [
    ("1.0.0-ALPHA", "1.0.0-alpha", 0),
    ("1.0.0.0", "1.0.0", 0),
    ("1.0", "1.0.0.0", 0),
    ("1.0.0.1", "1.0.0", 1),
    ("1.0.0-alpha.2", "1.0.0-alpha.10", -1),
    ("1.01", "1.1", 0),
    ("1.0.0-1", "1.0.0-alpha", -1),
    ("1.0.0-rc.1", "1.0.0", -1),
    ("1.0.0-Beta", "1.0.0-alpha", 1),
    ("1.0.0+meta", "1.0.0", 0),
]
COMPOSER = [
    ("1.0", "1.0.0", 0),
    ("v1.2.3", "1.2.3", 0),
    ("1.0.0-RC1", "1.0.0", -1),
    ("1.0.0-beta2", "1.0.0-RC1", -1),
    ("1.0.0-alpha", "1.0.0-beta", -1),
    ("1.0.0-dev", "1.0.0-alpha", -1),
    ("1.0.0-p1", "1.0.0", 1),
    ("1.0.0-patch1", "1.0.0", 1),
    ("1.0.0.1", "1.0.0", 1),
    ("5.4.0-beta.2", "5.4.0-beta.10", -1),
    ("1.0.0-stable", "1.0.0", 0),
]

TABLES = {
    "debian:12": DPKG,
    "alpine:3.20": APK,
    "rhel:9": RPM,
    "pypi": PEP440,
    "npm": SEMVER,
    "go": GO,
    "maven": MAVEN,
    "rubygems": RUBYGEMS,
    "nuget": NUGET,
    "packagist": COMPOSER,
}
CASES = [(eco, a, b, want) for eco, rows in TABLES.items() for a, b, want in rows]


@pytest.mark.parametrize(("ecosystem", "a", "b", "want"), CASES)
def test_tricky_case(ecosystem: str, a: str, b: str, want: int) -> None:
    assert compare(ecosystem, a, b) == want
    assert compare(ecosystem, b, a) == -want


@pytest.mark.parametrize(("ecosystem", "rows"), TABLES.items())
def test_sorting_is_consistent(ecosystem: str, rows: list[tuple[str, str, int]]) -> None:
    """Sorting every version of a table respects each row's verdict (a total order)."""
    scheme = scheme_for(ecosystem)
    ordered = sorted({v for a, b, _ in rows for v in (a, b)}, key=scheme.sort_key())
    rank = {v: i for i, v in enumerate(ordered)}
    for a, b, want in rows:
        if want < 0:
            assert rank[a] < rank[b], (a, b)
        elif want > 0:
            assert rank[a] > rank[b], (a, b)


INVALID = [
    ("debian", "1.0 1"),
    ("debian", ":1.0"),
    ("debian", "1.0-"),
    ("debian", "x:1.0"),
    ("apk", "a1"),
    ("apk", "1.0a1"),
    ("apk", "1.0_foo"),
    ("apk", "1.0-1"),
    ("apk", "1.0~"),
    ("apk", "1.0~XYZ"),
    ("apk", "1.0-r1_p1"),
    ("apk", "1.0."),
    ("rpm", ""),
    ("rpm", "1.0 2"),
    ("pypi", "not-a-version"),
    ("npm", "1.2.3.4"),
    ("npm", "1.x"),
    ("go", "latest"),
    ("maven", ""),
    ("rubygems", "1.0 beta"),
    ("nuget", "1.2.3.4.5"),
    ("packagist", "dev-master"),
]


@pytest.mark.parametrize(("ecosystem", "version"), INVALID)
def test_unparsable_version_raises_version_error(ecosystem: str, version: str) -> None:
    scheme = scheme_for(ecosystem)
    with pytest.raises(VersionError) as info:
        compare(ecosystem, version, version)
    assert repr(version) in str(info.value)
    assert scheme.name in str(info.value)
    assert isinstance(info.value, SievertError)
    assert not scheme.is_valid(version)


@pytest.mark.parametrize(
    ("ecosystem", "scheme"),
    [
        ("deb", "dpkg"),
        ("debian:12", "dpkg"),
        ("Debian:11", "dpkg"),
        ("ubuntu:22.04", "dpkg"),
        ("apk", "apk"),
        ("alpine:3.20", "apk"),
        ("Alpine:v3.19", "apk"),
        ("wolfi:rolling", "apk"),
        ("rpm", "rpm"),
        ("rhel:9", "rpm"),
        ("Rocky Linux:9", "rpm"),
        ("PyPI", "pep440"),
        ("npm", "semver"),
        ("crates.io", "semver"),
        ("Go", "go"),
        ("Maven", "maven"),
        ("RubyGems", "rubygems"),
        ("Packagist", "composer"),
        ("NuGet", "nuget"),
    ],
)
def test_registry_maps_ecosystems(ecosystem: str, scheme: str) -> None:
    assert scheme_for(ecosystem).name == scheme


def test_unknown_ecosystem_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="cobol"):
        compare("cobol", "1", "2")


@pytest.mark.parametrize(("ecosystem", "rows"), TABLES.items())
def test_order_key_agrees_with_compare(ecosystem: str, rows: list[tuple[str, str, int]]) -> None:
    """Ranges compare order keys: for every pair of a table, keys order as `compare` does,
    whether the scheme has its own key or compares through `compare`."""
    scheme = scheme_for(ecosystem)
    key = scheme.order_key()
    versions = sorted({v for a, b, _ in rows for v in (a, b)})
    for a in versions:
        for b in versions:
            want = scheme.compare(a, b)
            assert (key(a) > key(b)) - (key(a) < key(b)) == want, (a, b)
            assert (key(a) == key(b)) == (want == 0), (a, b)


KEYED = [(eco, version) for eco, version in INVALID if scheme_for(eco).key is not None]


def test_the_common_schemes_have_their_own_key() -> None:
    assert {scheme_for(eco).name for eco, _ in KEYED} == {"dpkg", "pep440", "semver", "go", "nuget"}


@pytest.mark.parametrize(("ecosystem", "version"), KEYED)
def test_order_key_refuses_what_check_refuses(ecosystem: str, version: str) -> None:
    """A scheme's own key raises VersionError where `check` does."""
    key = scheme_for(ecosystem).key
    assert key is not None
    with pytest.raises(VersionError):
        key(version)


def _pep440_versions(count: int, seed: int) -> list[str]:
    """Generated PEP 440 versions: epochs, zero padding, pre, post, dev and local labels."""
    rng = random.Random(seed)
    made = []
    for _ in range(count):
        release = ".".join(str(rng.choice([0, 0, 1, 2, 10])) for _ in range(rng.randint(1, 4)))
        text = rng.choice(["", "", "", "1!", "0!"]) + release
        text += rng.choice(["", "", "a1", "b2", "rc1", "rc0", "a0", "-preview1", "c3"])
        text += rng.choice(["", "", ".post1", ".post0", "-1", ".post"])
        text += rng.choice(["", "", ".dev0", ".dev3", "dev"])
        text += rng.choice(["", "", "", "+ubuntu1", "+1", "+abc.2", "+2.abc", "+ABC-1"])
        made.append(text)
    return made


def test_pep440_order_key_is_packagings_order() -> None:
    """The plain-tuple key orders and equates PyPI versions exactly as packaging does."""
    scheme = scheme_for("pypi")
    key = scheme.order_key()
    versions = sorted(set(_pep440_versions(300, seed=14)))
    for a in versions:
        for b in versions:
            want = scheme.compare(a, b)
            assert (key(a) > key(b)) - (key(a) < key(b)) == want, (a, b)
