"""A host's inventory from what was read on it (pure functions over HostFacts).

The same parsers as for images read the package databases (dpkg status, apk installed, the rpmdb
file); over SSH the rpm list comes from `rpm -qa` with a tab-separated query format.
"""

from __future__ import annotations

from sievert.catalog.apk import parse_apk_installed
from sievert.catalog.base import ParseResult
from sievert.catalog.distro import distro_from_os_release, parse_os_release, with_codename
from sievert.catalog.dpkg import parse_dpkg_status
from sievert.catalog.rpm import PSEUDO_PACKAGES, parse_rpmdb, rpm_package
from sievert.catalog.rpmheader import RpmHeader
from sievert.model import Distro, ImageMetadata, Inventory, Notice, Package
from sievert.model.host import HostFacts

RPM_QUERYFORMAT = (
    r"%{NAME}\t%{EPOCHNUM}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{LICENSE}\t%{VENDOR}\n"
)
"""`rpm -qa --queryformat` of the fields a package needs (EPOCHNUM: 0 when none)."""


def parse_rpm_qa(text: str, distro: Distro | None, where: str = "rpm -qa") -> ParseResult:
    """Packages of `rpm -qa --queryformat RPM_QUERYFORMAT` output; bad lines become notices."""
    result = ParseResult()
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 8 or not fields[0] or not fields[2]:
            result.notices.append(Notice(f"line {number}: not a package line, skipped", where))
            continue
        name, epoch, version, release, arch, source, licence, vendor = fields
        if name in PSEUDO_PACKAGES:
            continue
        header = RpmHeader(
            name=name,
            version=version,
            release=release,
            epoch=int(epoch) if epoch.isdecimal() and int(epoch) > 0 else None,
            arch="" if arch == "(none)" else arch,
            source_rpm="" if source == "(none)" else source,
            license="" if licence == "(none)" else licence,
            vendor="" if vendor == "(none)" else vendor,
            modularity_label="",
            size=None,
            files=(),
        )
        result.packages.append(rpm_package(header, distro))
    return result


def host_distro(facts: HostFacts) -> Distro | None:
    """The host's distro from its os-release (Debian codename filled in)."""
    if facts.os_release is None:
        return None
    return with_codename(
        distro_from_os_release(parse_os_release(facts.os_release), facts.debian_version)
    )


def host_packages(facts: HostFacts, distro: Distro | None) -> ParseResult:
    """Every installed OS package the facts hold."""
    found = ParseResult()
    parts: list[ParseResult] = []
    if facts.dpkg_status is not None:
        parts.append(parse_dpkg_status(facts.dpkg_status, distro=distro))
    if facts.apk_installed is not None:
        parts.append(parse_apk_installed(facts.apk_installed, distro=distro))
    if facts.rpmdb is not None:
        kind, data = facts.rpmdb
        parts.append(parse_rpmdb(data, "rpmdb", kind, distro=distro))
    elif facts.rpm_qa is not None:
        parts.append(parse_rpm_qa(facts.rpm_qa, distro))
    for part in parts:
        found.packages.extend(part.packages)
        found.notices.extend(part.notices)
    return found


def host_inventory(
    facts: HostFacts,
    packages: tuple[Package, ...],
    distro: Distro | None,
    notices: tuple[Notice, ...],
) -> Inventory:
    """The inventory the matchers take: the host as a one-layer 'image' of its packages."""
    image = ImageMetadata(reference=facts.target, source_kind="host")
    ordered = tuple(sorted(packages, key=lambda p: (p.type, p.name, p.version, p.arch)))
    return Inventory(image=image, distro=distro, packages=ordered, notices=notices)
