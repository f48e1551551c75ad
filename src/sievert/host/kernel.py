"""The running kernel among a host's packages (pure functions).

As Vuls does, only the packages of the kernel that is running are matched: an installed but not
yet booted fix still shows as open. A kernel package's release (what `uname -r` prints) is read
from its name on Debian and Ubuntu (`linux-image-6.1.0-18-amd64`), from version, release and arch
on RPM systems (`kernel-core` 5.14.0-362.8.1.el9_3 x86_64 -> `5.14.0-362.8.1.el9_3.x86_64`) and
from version and flavour on Alpine (`linux-lts` 6.6.31-r0 -> `6.6.31-0-lts`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from sievert.errors import VersionError
from sievert.model import Package
from sievert.model.finding import Finding
from sievert.model.host import KernelFinding
from sievert.versions import compare

DEB_PREFIXES = (
    "linux-image-unsigned-",
    "linux-image-",
    "linux-headers-",
    "linux-modules-extra-",
    "linux-modules-",
)
DEB_IMAGE_PREFIXES = ("linux-image-unsigned-", "linux-image-")
RPM_KERNELS = frozenset(
    {
        "kernel",
        "kernel-core",
        "kernel-modules",
        "kernel-modules-core",
        "kernel-modules-extra",
        "kernel-devel",
        "kernel-debug",
        "kernel-debug-core",
        "kernel-uek",
        "kernel-uek-core",
        "kernel-uek-modules",
        "kernel-rt",
        "kernel-rt-core",
        "kernel-rt-modules",
    }
)
RPM_IMAGES = frozenset({"kernel", "kernel-core", "kernel-uek", "kernel-uek-core", "kernel-rt-core"})
APK_KERNEL = re.compile(r"linux-(lts|virt|edge|rpi\d*)")
APK_REVISION = re.compile(r"(.+)-r(\d+)")
KERNEL_SOURCES = frozenset({"linux", "linux-signed-amd64", "linux-signed-arm64", "kernel"})
ESCAPE_TEXT = re.compile(
    r"privilege escalation|escalat\w* (?:of )?privileges?|gain (?:root |elevated )?privileges"
    r"|container escape|escape (?:from )?(?:the |a )?container|user namespace|namespaces?",
    re.IGNORECASE,
)
"""CVE text that makes a kernel flaw relevant to containers: a local privilege escalation or a
namespace or container escape (the kernel is shared by every container on the host)."""


def kernel_release(package: Package) -> str:
    """The `uname -r` a kernel package belongs to; '' for any other package."""
    if package.type == "deb":
        for prefix in DEB_PREFIXES:
            rest = package.name.removeprefix(prefix)
            if rest != package.name and rest[:1].isdecimal():
                return rest.removesuffix("-unsigned").removesuffix("-dbg")
        return ""
    if package.type == "rpm" and package.name in RPM_KERNELS:
        return f"{package.version}.{package.arch}" if package.arch else package.version
    if package.type == "apk":
        flavour = APK_KERNEL.fullmatch(package.name)
        revision = APK_REVISION.fullmatch(package.version)
        if flavour and revision:
            return f"{revision.group(1)}-{revision.group(2)}-{flavour.group(1)}"
    return ""


def is_kernel_image(package: Package) -> bool:
    """The package that holds a bootable kernel (not its headers or modules)."""
    if not kernel_release(package):
        return False
    if package.type == "deb":
        return package.name.startswith(DEB_IMAGE_PREFIXES)
    return package.type == "apk" or package.name in RPM_IMAGES


def running_only(
    packages: Sequence[Package], running: str
) -> tuple[tuple[Package, ...], tuple[Package, ...]]:
    """(packages to match, kernel packages of other releases left out); with `running` unknown
    every package is kept."""
    if not running:
        return tuple(tracked_source(p) for p in packages), ()
    kept: list[Package] = []
    dropped: list[Package] = []
    for package in packages:
        release = kernel_release(package)
        if release and release != running:
            dropped.append(package)
        else:
            kept.append(tracked_source(package))
    return tuple(kept), tuple(dropped)


def tracked_source(package: Package) -> Package:
    """A Debian kernel package from a signed source (`linux-signed-amd64` 6.1.76+1) as the
    `linux` source the security tracker follows, at the binary's version (6.1.76-1)."""
    if package.type != "deb" or not package.source_name.startswith("linux-signed"):
        return package
    if not kernel_release(package):
        return package
    return replace(package, source_name="linux", source_version=package.version)


def newest_kernel(packages: Iterable[Package]) -> str:
    """The release of the newest installed kernel image ('' when none is installed)."""
    images = [p for p in packages if is_kernel_image(p)]
    newest: Package | None = None
    for package in images:
        if newest is None or _newer(package, newest):
            newest = package
    return kernel_release(newest) if newest else ""


def _newer(a: Package, b: Package) -> bool:
    """Whether kernel package a is newer than b (by release for Debian, version otherwise)."""
    if a.type == "deb":
        left, right = kernel_release(a), kernel_release(b)
        left_version, right_version = left.rsplit("-", 1)[0], right.rsplit("-", 1)[0]
    else:
        left_version, right_version = a.version, b.version
    try:
        return compare(a.type, left_version, right_version) > 0
    except VersionError:
        return left_version > right_version


def reboot_reasons(running: str, newest: str, reboot_file: bool) -> tuple[str, ...]:
    """Why the host needs a reboot: Debian's flag file, or a newer kernel than the running one."""
    reasons = []
    if reboot_file:
        reasons.append("/var/run/reboot-required exists")
    if running and newest and newest != running:
        reasons.append(f"newest installed kernel {newest} is not the running kernel {running}")
    return tuple(reasons)


def is_kernel_package(package: Package) -> bool:
    """A package of the kernel itself (by release or by source package)."""
    return bool(kernel_release(package)) or package.source_name in KERNEL_SOURCES


def kernel_findings(findings: Iterable[Finding]) -> tuple[KernelFinding, ...]:
    """The findings on kernel packages, each flagged when its text describes an escape."""
    flagged = []
    for finding in findings:
        if not is_kernel_package(finding.package):
            continue
        vuln = finding.vulnerability
        text = f"{vuln.summary} {vuln.description}"
        flagged.append(
            KernelFinding(
                vulnerability_id=finding.id,
                package=finding.package.name,
                version=finding.package.version,
                severity=finding.severity,
                escape=bool(ESCAPE_TEXT.search(text)),
            )
        )
    return tuple(flagged)
