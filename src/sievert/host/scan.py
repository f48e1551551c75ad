"""`sievert host scan`: hosts read concurrently (a bounded number at a time), then matched with
the image scan's database and matchers, the running kernel's packages only.

A host that cannot be reached or read is reported with its error; the others go on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from sievert.errors import SievertError
from sievert.host.collect import SshOptions, SshTarget, file_facts, local_facts, ssh_facts
from sievert.host.inventory import host_distro, host_inventory, host_packages
from sievert.host.kernel import (
    kernel_findings,
    kernel_release,
    newest_kernel,
    reboot_reasons,
    running_only,
)
from sievert.model import Notice
from sievert.model.host import HostFacts, HostReport, HostScan
from sievert.pipeline import match_inventory

if TYPE_CHECKING:
    from sievert.vulndb import VulnDB


class HostSpec(msgspec.Struct, frozen=True):
    """One host to scan: the local machine, a root directory, or an SSH target."""

    name: str
    kind: str
    """'local', 'root' or 'ssh'."""
    root: Path | None = None
    ssh: SshTarget | None = None
    kernel: str = ""
    """The running kernel release for a root directory ('' = unknown)."""
    identities: tuple[Path, ...] = ()

    @property
    def target(self) -> str:
        """The target as the report names it."""
        if self.kind == "ssh" and self.ssh is not None:
            return self.ssh.text
        if self.kind == "root":
            return f"root:{self.root}"
        return "local"


class HostScanOptions(msgspec.Struct, frozen=True):
    """The database, the concurrency bound and how to reach SSH hosts."""

    db_path: Path | None = None
    concurrency: int = 8
    ssh: SshOptions = msgspec.field(default_factory=SshOptions)


def scan_hosts(specs: Sequence[HostSpec], options: HostScanOptions | None = None) -> HostScan:
    """Read every host (at most `concurrency` at once) and match each one's packages."""
    from sievert import vulndb

    opts = options or HostScanOptions()
    with vulndb.open(opts.db_path) as db:  # fail fast, before any host is contacted
        gathered = asyncio.run(gather_facts(specs, opts))
        reports = [
            HostReport(spec.name, spec.target, error=found)
            if isinstance(found, str)
            else host_report(found, db)
            for spec, found in zip(specs, gathered, strict=True)
        ]
    return HostScan(tuple(reports))


async def gather_facts(specs: Sequence[HostSpec], opts: HostScanOptions) -> list[HostFacts | str]:
    """Each host's facts, or the one-line reason it could not be read."""
    bound = asyncio.Semaphore(max(1, opts.concurrency))

    async def one(spec: HostSpec) -> HostFacts | str:
        async with bound:
            try:
                return await _facts(spec, opts)
            except SievertError as exc:
                return str(exc)

    return list(await asyncio.gather(*(one(spec) for spec in specs)))


async def _facts(spec: HostSpec, opts: HostScanOptions) -> HostFacts:
    if spec.kind == "ssh" and spec.ssh is not None:
        ssh = replace(opts.ssh, identities=spec.identities or opts.ssh.identities)
        return await ssh_facts(spec.name, spec.ssh, ssh)
    if spec.kind == "root" and spec.root is not None:
        return await asyncio.to_thread(file_facts, spec.name, spec.target, spec.root, spec.kernel)
    return await asyncio.to_thread(local_facts, spec.name)


def host_report(facts: HostFacts, db: VulnDB) -> HostReport:
    """Match one host's packages (the running kernel's only) and judge its kernel."""
    distro = host_distro(facts)
    parsed = host_packages(facts, distro)
    if not parsed.packages and not parsed.notices:
        missing = f"{facts.target}: no package database found (dpkg status, apk installed, rpmdb)"
        return HostReport(facts.name, facts.target, error=missing)
    running = facts.kernel_release
    packages, dropped = running_only(parsed.packages, running)
    notices = list(parsed.notices)
    if dropped:
        names = ", ".join(sorted({f"{p.name} {p.version}" for p in dropped}))
        notices.append(Notice(f"not matched (not the running kernel {running}): {names}", "kernel"))
    if not running:
        notices.append(
            Notice("running kernel unknown: every installed kernel was matched", "kernel")
        )
    if distro is None:
        notices.append(Notice("no os-release: OS packages cannot be matched to a distro", "host"))
    result = match_inventory(host_inventory(facts, packages, distro, tuple(notices)), db)
    newest = newest_kernel(parsed.packages)
    return HostReport(
        name=facts.name,
        target=facts.target,
        result=result,
        kernel_release=running,
        running_kernel_packages=tuple(
            f"{p.name} {p.version}" for p in packages if running and kernel_release(p) == running
        ),
        newest_kernel=newest,
        reboot_required=reboot_reasons(running, newest, facts.reboot_required_file),
        kernel_findings=kernel_findings(result.findings),
    )
