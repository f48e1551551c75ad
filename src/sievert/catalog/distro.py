"""Which operating system release an image holds: os-release first, then release-file fallbacks."""

from __future__ import annotations

import re
import shlex

from msgspec.structs import replace

from sievert.model import Distro
from sievert.source.view import FileView

OS_RELEASE_PATHS = ("etc/os-release", "usr/lib/os-release")
FALLBACK_PATHS = (
    "etc/alpine-release",
    "etc/debian_version",
    "etc/redhat-release",
    "etc/system-release",
)
DISTRO_GLOBS = OS_RELEASE_PATHS + FALLBACK_PATHS
"""Every file `detect_distro` reads (globs without a leading '/')."""

DEBIAN_CODENAMES = {
    "8": "jessie",
    "9": "stretch",
    "10": "buster",
    "11": "bullseye",
    "12": "bookworm",
    "13": "trixie",
    "14": "forky",
}
"""Debian major release -> codename, for images whose os-release lacks VERSION_CODENAME."""

# Release-file first words -> (os-release ID, NAME); longest prefixes first.
RELEASE_FILE_IDS = (
    ("red hat enterprise linux", "rhel", "Red Hat Enterprise Linux"),
    ("centos stream", "centos", "CentOS Stream"),
    ("centos", "centos", "CentOS Linux"),
    ("rocky linux", "rocky", "Rocky Linux"),
    ("almalinux", "almalinux", "AlmaLinux"),
    ("fedora", "fedora", "Fedora Linux"),
    ("amazon linux", "amzn", "Amazon Linux"),
    ("oracle linux", "ol", "Oracle Linux Server"),
)

MAX_RELEASE_FILE = 64 * 1024
_RELEASE_RX = re.compile(r"release\s+([0-9][0-9A-Za-z.]*)", re.IGNORECASE)
_PAREN_RX = re.compile(r"\(([A-Za-z]+)\)")


def parse_os_release(data: bytes) -> dict[str, str]:
    """Parse os-release `KEY=value` lines (shell quoting) into a dict; bad lines are skipped."""
    fields: dict[str, str] = {}
    for raw in data[:MAX_RELEASE_FILE].decode("utf-8", "replace").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        if not re.fullmatch(r"[A-Z0-9_]+", key.strip()):
            continue
        fields[key.strip()] = _unquote(value.strip())
    return fields


def _unquote(value: str) -> str:
    """Undo shell quoting; falls back to stripping quote marks when the quoting is broken."""
    try:
        parts = shlex.split(value, posix=True)
    except ValueError:
        return value.strip("\"'")
    return " ".join(parts)


def distro_from_os_release(fields: dict[str, str], debian_version: str = "") -> Distro | None:
    """Build a Distro from parsed os-release fields (None without an ID)."""
    distro_id = fields.get("ID", "").strip().lower()
    if not distro_id:
        return None
    version_id = fields.get("VERSION_ID", "")
    codename = fields.get("VERSION_CODENAME", "") or fields.get("UBUNTU_CODENAME", "")
    if distro_id == "debian" and not codename:
        codename = _debian_codename(fields.get("VERSION", ""), version_id, debian_version)
    if distro_id == "debian" and not version_id and debian_version[:1].isdecimal():
        version_id = debian_version.split(".")[0]
    return Distro(
        id=distro_id,
        version_id=version_id,
        codename=codename,
        name=fields.get("NAME", ""),
        pretty_name=fields.get("PRETTY_NAME", ""),
        id_like=tuple(fields.get("ID_LIKE", "").lower().split()),
    )


def _debian_codename(version: str, version_id: str, debian_version: str) -> str:
    """Codename from VERSION '12 (bookworm)', else VERSION_ID, else /etc/debian_version."""
    match = _PAREN_RX.search(version)
    if match:
        return match.group(1).lower()
    major = version_id.split(".")[0] or debian_version.split(".")[0]
    if major in DEBIAN_CODENAMES:
        return DEBIAN_CODENAMES[major]
    if "/" in debian_version:  # testing/unstable: 'trixie/sid'
        return debian_version.split("/")[0].strip().lower()
    return ""


def distro_from_release_file(text: str) -> Distro | None:
    """Parse a redhat-release line such as 'Rocky Linux release 9.3 (Blue Onyx)'."""
    line = text.strip().splitlines()[0] if text.strip() else ""
    lower = line.lower()
    for prefix, distro_id, name in RELEASE_FILE_IDS:
        if lower.startswith(prefix):
            match = _RELEASE_RX.search(line)
            version = match.group(1) if match else ""
            return Distro(id=distro_id, version_id=version, name=name, pretty_name=line)
    return None


def detect_distro(view: FileView) -> Distro | None:
    """The image's distro from os-release (symlinks followed), else from release files."""
    debian_version = _read_line(view, "etc/debian_version")
    for path in OS_RELEASE_PATHS:
        data = view.read(path)
        if data is not None:
            distro = distro_from_os_release(parse_os_release(data), debian_version)
            if distro is not None:
                return distro
    return _fallback(view, debian_version)


def _fallback(view: FileView, debian_version: str) -> Distro | None:
    """Distro from the older release files when there is no usable os-release."""
    alpine = _read_line(view, "etc/alpine-release")
    if alpine:
        return Distro(id="alpine", version_id=alpine, name="Alpine Linux")
    for path in ("etc/system-release", "etc/redhat-release"):
        distro = distro_from_release_file(_read_line(view, path))
        if distro is not None:
            return distro
    if debian_version:
        return distro_from_os_release({"ID": "debian", "NAME": "Debian GNU/Linux"}, debian_version)
    return None


def _read_line(view: FileView, path: str) -> str:
    """First line of a small text file in the view ('' when absent)."""
    data = view.read(path)
    if data is None:
        return ""
    lines = data[:MAX_RELEASE_FILE].decode("utf-8", "replace").strip().splitlines()
    return lines[0].strip() if lines else ""


def with_codename(distro: Distro | None) -> Distro | None:
    """A Debian distro with the codename an SBOM left out filled in (Debian data is keyed by
    codename); any other distro unchanged."""
    if distro is None or distro.id != "debian" or distro.codename:
        return distro
    codename = DEBIAN_CODENAMES.get(distro.version_id.split(".")[0], "")
    return replace(distro, codename=codename) if codename else distro
