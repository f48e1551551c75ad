"""Which version scheme each ecosystem or distro namespace uses: one explicit mapping."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Iterator, Mapping
from typing import cast

from sievert.errors import UsageError
from sievert.versions._scheme import Scheme

MODULES: dict[str, str] = {
    # Debian family
    "deb": "dpkg",
    "dpkg": "dpkg",
    "debian": "dpkg",
    "ubuntu": "dpkg",
    # Alpine family
    "apk": "apk",
    "alpine": "apk",
    "wolfi": "apk",
    "chainguard": "apk",
    # RPM family
    "rpm": "rpm",
    "rhel": "rpm",
    "red hat": "rpm",
    "redhat": "rpm",
    "centos": "rpm",
    "rocky": "rpm",
    "rocky linux": "rpm",
    "almalinux": "rpm",
    "alma": "rpm",
    "fedora": "rpm",
    "amazon": "rpm",
    "amzn": "rpm",
    "oracle": "rpm",
    "ol": "rpm",
    "opensuse": "rpm",
    "suse": "rpm",
    "sles": "rpm",
    "mariner": "rpm",
    "azurelinux": "rpm",
    "photon": "rpm",
    # Language ecosystems (OSV names, lower case)
    "pypi": "pep440",
    "pep440": "pep440",
    "npm": "semver",
    "crates.io": "semver",
    "semver": "semver",
    "go": "golang",
    "golang": "golang",
    "maven": "maven",
    "rubygems": "rubygems",
    "gem": "rubygems",
    "packagist": "composer",
    "composer": "composer",
    "nuget": "nuget",
    # Upstream products named by CVE/CPE vendor:product (unpackaged binaries)
    "cpe": "generic",
    "generic": "generic",
}
"""Ecosystem or namespace family (the part before ':', lower case) → the module of its scheme,
imported on first use (a scan loads the orderings of the ecosystems it meets, no others)."""


@functools.cache
def _load(module: str) -> Scheme:
    return cast(Scheme, importlib.import_module(f"sievert.versions.{module}").SCHEME)


class _Schemes(Mapping[str, Scheme]):
    """MODULES with each scheme loaded when first read."""

    def __getitem__(self, name: str) -> Scheme:
        return _load(MODULES[name])

    def __iter__(self) -> Iterator[str]:
        return iter(MODULES)

    def __len__(self) -> int:
        return len(MODULES)


SCHEMES: Mapping[str, Scheme] = _Schemes()
"""Ecosystem or namespace family (the part before ':', lower case) → scheme."""


def scheme_for(ecosystem: str) -> Scheme:
    """The scheme of an ecosystem or namespace ('pypi', 'debian:12', 'Alpine:v3.19')."""
    name = ecosystem.strip().lower()
    module = MODULES.get(name) or MODULES.get(name.split(":", 1)[0])
    if module is None:
        raise UsageError(f"no version ordering known for ecosystem {ecosystem!r}")
    return _load(module)


def compare(ecosystem: str, a: str, b: str) -> int:
    """Compare two versions in an ecosystem's order: -1, 0 or 1.

    Raises UsageError for an unknown ecosystem, VersionError for an unparsable version.
    """
    return scheme_for(ecosystem).compare(a, b)
