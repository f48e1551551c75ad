"""Which version scheme each ecosystem or distro namespace uses: one explicit mapping."""

from __future__ import annotations

from sievert.errors import UsageError
from sievert.versions import (
    apk,
    composer,
    dpkg,
    generic,
    golang,
    maven,
    nuget,
    pep440,
    rpm,
    rubygems,
)
from sievert.versions import semver as semver_
from sievert.versions._scheme import Scheme

SCHEMES: dict[str, Scheme] = {
    # Debian family
    "deb": dpkg.SCHEME,
    "dpkg": dpkg.SCHEME,
    "debian": dpkg.SCHEME,
    "ubuntu": dpkg.SCHEME,
    # Alpine family
    "apk": apk.SCHEME,
    "alpine": apk.SCHEME,
    "wolfi": apk.SCHEME,
    "chainguard": apk.SCHEME,
    # RPM family
    "rpm": rpm.SCHEME,
    "rhel": rpm.SCHEME,
    "red hat": rpm.SCHEME,
    "redhat": rpm.SCHEME,
    "centos": rpm.SCHEME,
    "rocky": rpm.SCHEME,
    "rocky linux": rpm.SCHEME,
    "almalinux": rpm.SCHEME,
    "alma": rpm.SCHEME,
    "fedora": rpm.SCHEME,
    "amazon": rpm.SCHEME,
    "amzn": rpm.SCHEME,
    "oracle": rpm.SCHEME,
    "ol": rpm.SCHEME,
    "opensuse": rpm.SCHEME,
    "suse": rpm.SCHEME,
    "sles": rpm.SCHEME,
    "mariner": rpm.SCHEME,
    "azurelinux": rpm.SCHEME,
    "photon": rpm.SCHEME,
    # Language ecosystems (OSV names, lower case)
    "pypi": pep440.SCHEME,
    "pep440": pep440.SCHEME,
    "npm": semver_.SCHEME,
    "crates.io": semver_.SCHEME,
    "semver": semver_.SCHEME,
    "go": golang.SCHEME,
    "golang": golang.SCHEME,
    "maven": maven.SCHEME,
    "rubygems": rubygems.SCHEME,
    "gem": rubygems.SCHEME,
    "packagist": composer.SCHEME,
    "composer": composer.SCHEME,
    "nuget": nuget.SCHEME,
    # Upstream products named by CVE/CPE vendor:product (unpackaged binaries)
    "cpe": generic.SCHEME,
    "generic": generic.SCHEME,
}
"""Ecosystem or namespace family (the part before ':', lower case) → scheme."""


def scheme_for(ecosystem: str) -> Scheme:
    """The scheme of an ecosystem or namespace ('pypi', 'debian:12', 'Alpine:v3.19')."""
    name = ecosystem.strip().lower()
    scheme = SCHEMES.get(name) or SCHEMES.get(name.split(":", 1)[0])
    if scheme is None:
        raise UsageError(f"no version ordering known for ecosystem {ecosystem!r}")
    return scheme


def compare(ecosystem: str, a: str, b: str) -> int:
    """Compare two versions in an ecosystem's order: -1, 0 or 1.

    Raises UsageError for an unknown ecosystem, VersionError for an unparsable version.
    """
    return scheme_for(ecosystem).compare(a, b)
