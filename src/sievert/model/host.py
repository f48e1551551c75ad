"""Hosts as the agentless host scan sees them: what was read from each, and what it found."""

from __future__ import annotations

import msgspec

from sievert.model.finding import ScanResult


class HostFacts(msgspec.Struct, frozen=True):
    """What read-only commands and file reads returned on one host (None: absent)."""

    name: str
    target: str
    """'local', 'ssh://user@host:port' or 'root:/path'."""
    os_release: bytes | None = None
    debian_version: str = ""
    kernel_release: str = ""
    """`uname -r`; '' when not known (a root directory without --kernel)."""
    dpkg_status: bytes | None = None
    apk_installed: bytes | None = None
    rpm_qa: str | None = None
    """`rpm -qa --queryformat` lines (over SSH)."""
    rpmdb: tuple[str, bytes] | None = None
    """(kind, bytes) of the rpmdb file (a local or root directory scan)."""
    reboot_required_file: bool = False
    """Debian's /var/run/reboot-required exists."""


class KernelFinding(msgspec.Struct, frozen=True):
    """A vulnerability of the running kernel's packages."""

    vulnerability_id: str
    package: str
    version: str
    severity: str
    escape: bool
    """The CVE is relevant to a container escape (see escape_evidence and escape_basis)."""
    escape_evidence: tuple[str, ...] = ()
    """What says so: 'cwe:CWE-269', 'cvss:nvd:3.1:AV:L/S:C', 'kev', or 'text:<words>'."""
    escape_basis: str = ""
    """'data' (CWE, CVSS or KEV data), 'text' (the description only: lower confidence), ''."""


class HostReport(msgspec.Struct, frozen=True):
    """One host: its packages' scan, its kernel and whether it needs a reboot."""

    name: str
    target: str
    result: ScanResult | None = None
    kernel_release: str = ""
    running_kernel_packages: tuple[str, ...] = ()
    """'name version' of the installed packages of the running kernel."""
    newest_kernel: str = ""
    """The release of the newest installed kernel ('' when no kernel package is installed)."""
    reboot_required: tuple[str, ...] = ()
    """Why a reboot is needed; empty when none is known to be."""
    kernel_findings: tuple[KernelFinding, ...] = ()
    error: str = ""
    """Why the host could not be scanned (then result is None)."""


class HostScan(msgspec.Struct, frozen=True):
    """Every host of one `sievert host scan`."""

    hosts: tuple[HostReport, ...]
