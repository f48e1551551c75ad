"""Package URLs for OS packages, shaped as syft and grype write them."""

from __future__ import annotations

from functools import lru_cache

from packageurl import PackageURL

from sievert.model import Distro

RPM_NAMESPACES = {"rhel": "redhat"}
"""os-release IDs whose purl namespace differs from the ID."""


def distro_qualifier(distro: Distro | None) -> dict[str, str]:
    """`distro=<id>-<version_id>` (or just `<id>` without a version), empty without a distro."""
    if distro is None:
        return {}
    value = f"{distro.id}-{distro.version_id}" if distro.version_id else distro.id
    return {"distro": value}


@lru_cache(maxsize=8192)
def purl_string(
    kind: str,
    namespace: str | None,
    name: str,
    version: str | None,
    qualifiers: tuple[tuple[str, str], ...] = (),
) -> str:
    """`PackageURL(...).to_string()`, remembered: catalogers run again on each layer that
    changed their files, and build the purls of the same packages each time."""
    kept = dict(qualifiers) or None
    return str(PackageURL(kind, namespace, name, version, kept).to_string())


def _build(
    kind: str, namespace: str | None, name: str, version: str, qualifiers: dict[str, str]
) -> str:
    """Serialise a purl, dropping empty qualifiers."""
    kept = tuple((k, v) for k, v in qualifiers.items() if v)
    return purl_string(kind, namespace or None, name, version, kept)


def deb_purl(
    name: str,
    version: str,
    arch: str,
    distro: Distro | None,
    source: str = "",
    source_version: str = "",
) -> str:
    """`pkg:deb/<distro id>/<name>@<full version incl. epoch>?arch=..&distro=..&upstream=..`.

    Like syft the epoch stays in the version; `upstream` names the source package when it
    differs from the binary, with `@<source version>` when that differs from the version.
    """
    qualifiers = {"arch": arch, **distro_qualifier(distro)}
    if source and source != name:
        keep_version = source_version and source_version != version
        qualifiers["upstream"] = f"{source}@{source_version}" if keep_version else source
    namespace = distro.id if distro is not None else "debian"
    return _build("deb", namespace, name, version, qualifiers)


def apk_purl(name: str, version: str, arch: str, distro: Distro | None, origin: str = "") -> str:
    """`pkg:apk/<distro id>/<name>@<version>?arch=..&distro=..&upstream=<origin>`."""
    qualifiers = {"arch": arch, **distro_qualifier(distro)}
    if origin and origin != name:
        qualifiers["upstream"] = origin
    namespace = distro.id if distro is not None else "alpine"
    return _build("apk", namespace, name, version, qualifiers)


def rpm_purl(
    name: str,
    version: str,
    arch: str,
    distro: Distro | None,
    epoch: int | None = None,
    source_rpm: str = "",
) -> str:
    """`pkg:rpm/<vendor>/<name>@<version>-<release>?arch=..&epoch=..&distro=..&upstream=<srpm>`."""
    qualifiers = {"arch": arch, **distro_qualifier(distro), "upstream": source_rpm}
    if epoch is not None:
        qualifiers["epoch"] = str(epoch)
    namespace = RPM_NAMESPACES.get(distro.id, distro.id) if distro is not None else None
    return _build("rpm", namespace, name, version, qualifiers)
