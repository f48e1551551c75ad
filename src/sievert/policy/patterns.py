"""Small matchers policies are made of: image reference patterns, version ranges, sizes, globs."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase

import msgspec

from sievert.errors import SievertError, UsageError
from sievert.model.reference import DOCKER_HUB, LEGACY_HUB_NAMES, parse_reference
from sievert.versions import compare, scheme_for

PURL_TYPE_ECOSYSTEM = {
    "cargo": "crates.io",
    "golang": "go",
    "gem": "rubygems",
    "composer": "packagist",
    "pypi": "pypi",
    "npm": "npm",
    "maven": "maven",
    "nuget": "nuget",
    "deb": "deb",
    "apk": "apk",
    "rpm": "rpm",
}
"""Package (purl) type -> the ecosystem name `sievert.versions` orders by."""

ECOSYSTEM_PURL_TYPE = {
    "crates.io": "cargo",
    "go": "golang",
    "rubygems": "gem",
    "packagist": "composer",
    "debian": "deb",
    "dpkg": "deb",
    "alpine": "apk",
}
"""Ecosystem names users may write -> the package type they mean."""

_OPS = ("<=", ">=", "!=", "==", "<", ">", "=")
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]i?b?|b)?\s*\Z", re.IGNORECASE)


def glob(pattern: str, text: str) -> bool:
    """Case-insensitive shell-style match."""
    return fnmatchcase(text.lower(), pattern.lower())


def package_type(word: str) -> str:
    """A package type from a type or ecosystem name ('crates.io' -> 'cargo')."""
    lowered = word.strip().lower()
    return ECOSYSTEM_PURL_TYPE.get(lowered, lowered)


def ecosystem_of(pkg_type: str) -> str:
    """The version ecosystem of a package type ('' when none is known)."""
    name = PURL_TYPE_ECOSYSTEM.get(pkg_type.lower(), pkg_type.lower())
    try:
        scheme_for(name)
    except UsageError:
        return ""
    return name


class Constraint(msgspec.Struct, frozen=True):
    """One comparison: operator and version."""

    op: str
    version: str

    def holds(self, ecosystem: str, version: str) -> bool:
        """Whether `version` satisfies this comparison in the ecosystem's order."""
        result = compare(ecosystem, version, self.version)
        return {
            "<": result < 0,
            "<=": result <= 0,
            ">": result > 0,
            ">=": result >= 0,
            "=": result == 0,
            "==": result == 0,
            "!=": result != 0,
        }[self.op]


class VersionRange(msgspec.Struct, frozen=True):
    """Comparisons that must all hold, e.g. '>= 2.0, < 2.17.1'."""

    text: str
    constraints: tuple[Constraint, ...]

    def contains(self, ecosystem: str, version: str) -> bool:
        """Whether the version is in the range; False when it cannot be compared."""
        if not ecosystem or not version:
            return False
        try:
            return all(c.holds(ecosystem, version) for c in self.constraints)
        except SievertError:
            return False


def parse_range(text: str) -> VersionRange:
    """Parse '< 2.17.1' or '>= 1.0, < 2.0' (a bare version means '='); ValueError otherwise."""
    constraints = []
    for part in text.split(","):
        item = part.strip()
        if not item:
            raise ValueError(f"empty comparison in version range {text!r}")
        op = next((o for o in _OPS if item.startswith(o)), "=")
        version = item[len(op) :].strip() if item.startswith(op) else item
        if not version or " " in version:
            raise ValueError(f"bad comparison {item!r} in version range {text!r}")
        constraints.append(Constraint(op, version))
    return VersionRange(text, tuple(constraints))


def check_range_versions(version_range: VersionRange, ecosystem: str) -> None:
    """ValueError when a version of the range is invalid in the ecosystem."""
    scheme = scheme_for(ecosystem)
    for constraint in version_range.constraints:
        if not scheme.is_valid(constraint.version):
            raise ValueError(f"{constraint.version!r} is not a valid {ecosystem} version")


def parse_size(value: int | float | str) -> int:
    """Bytes from 123, '500MB', '1.5GiB', '200k'; ValueError otherwise."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    match = _SIZE.match(str(value))
    if not match:
        raise ValueError(f"bad size {value!r} (e.g. 500MB, 1.5GiB, 1048576)")
    unit = (match.group(2) or "").lower()
    base = 1024 if "i" in unit else 1000
    power = "bkmgt".find(unit[:1]) if unit[:1] in "kmgt" else 0
    return int(float(match.group(1)) * (base**power if power > 0 else 1))


class ImagePattern(msgspec.Struct, frozen=True):
    """Registry, repository and tag globs, or a digest: matches image references."""

    text: str
    registry: str = "*"
    repository: str = "*"
    tag: str = "*"
    digest: str = ""

    def matches(self, reference: str, digest: str = "") -> bool:
        """Whether a reference (and its known manifest digest) matches."""
        parts = split_reference(reference)
        if parts is None:
            return False
        registry, repository, tag, ref_digest = parts
        if self.digest:
            return any(glob(self.digest, d) for d in (ref_digest, digest) if d)
        return (
            glob(self.registry, registry)
            and _repository_matches(self.repository, registry, repository)
            and (glob(self.tag, tag) if tag else self.tag == "*")
        )


def _repository_matches(pattern: str, registry: str, repository: str) -> bool:
    if glob(pattern, repository):
        return True
    short = repository.removeprefix("library/")
    return registry == DOCKER_HUB and short != repository and glob(pattern, short)


def split_reference(reference: str) -> tuple[str, str, str, str] | None:
    """(registry, repository, tag, digest) of a reference normalised as Docker does."""
    try:
        ref = parse_reference(reference)
    except UsageError:
        return None
    return ref.domain, ref.path, ref.tag, ref.digest


def parse_image_pattern(text: str) -> ImagePattern:
    """'[registry/]repository[:tag][@digest]' with globs; a missing tag means any tag."""
    raw = text.strip()
    name, _, digest = raw.partition("@")
    if digest and not re.fullmatch(r"[a-z0-9]+:[0-9a-fA-F]{32,}", digest):
        raise ValueError(f"bad digest {digest!r} in image pattern {text!r}")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = "*"
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    if not name and not digest:
        raise ValueError(f"empty image pattern {text!r}")
    registry, repository = _split_pattern_name(name or "*")
    return ImagePattern(raw, registry, repository, tag or "*", digest)


def _split_pattern_name(name: str) -> tuple[str, str]:
    first, sep, rest = name.partition("/")
    is_host = "." in first or ":" in first or first == "localhost" or first in ("*", "**")
    if sep and is_host:
        if first in LEGACY_HUB_NAMES:
            first = DOCKER_HUB
        return first, rest
    if name in ("*", "**"):
        return "*", "*"
    return DOCKER_HUB, name if "/" in name or "*" in name else f"library/{name}"
