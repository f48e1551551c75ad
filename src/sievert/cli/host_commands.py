"""`sievert host scan`: agentless vulnerability scans of machines (local, a root directory, SSH)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sievert.cli.main import cli
from sievert.cli.options import db_option, format_option
from sievert.cli.output import output_option, output_stream
from sievert.cli.server_option import send_results, server_option, server_token
from sievert.errors import EXIT_ERROR, EXIT_POLICY, UsageError
from sievert.host.collect import SshOptions
from sievert.host.hosts_file import load_hosts_file, target_spec
from sievert.host.scan import HostScanOptions, HostSpec, scan_hosts
from sievert.model.host import HostScan
from sievert.model.severity import Severity
from sievert.pipeline import parse_severity
from sievert.report.base import tool_version
from sievert.report.host.common import worst_severity
from sievert.report.host.native import host_document
from sievert.report.plugins import host_writer_for, host_writer_names


@cli.group("host")
def host_group() -> None:
    """Machines: their installed packages, running kernel and reboot state, read agentlessly."""


@host_group.command("scan")
@click.argument("target", required=False)
@click.option(
    "-i",
    "--inventory",
    "hosts_file",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A hosts file (YAML) of many hosts, scanned concurrently.",
)
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    help="Scan the root directory of a machine (an unpacked image or a mounted disk).",
)
@click.option("--kernel", metavar="RELEASE", help="With --root: the kernel release it runs.")
@format_option(host_writer_names())
@output_option
@click.option(
    "--fail-on",
    metavar="SEVERITY",
    help="Exit 1 when a host has a vulnerability at or above this severity.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=256),
    default=8,
    show_default=True,
    help="Hosts read at once.",
)
@click.option(
    "--identity",
    "identities",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="SSH private key file (repeatable; default: the SSH agent and ~/.ssh/id_*).",
)
@click.option(
    "--known-hosts",
    type=click.Path(path_type=Path, dir_okay=False),
    help="known_hosts file the host keys are checked against (default ~/.ssh/known_hosts).",
)
@click.option(
    "--accept-new-host-key",
    is_flag=True,
    help="Trust a host not yet in known_hosts and record its key (a changed key is refused).",
)
@click.option(
    "--timeout", type=click.FloatRange(min=1), default=30.0, show_default=True, help="SSH seconds."
)
@server_option("host scan")
@db_option
def scan_command(
    target: str | None,
    hosts_file: Path | None,
    root: Path | None,
    kernel: str | None,
    fmt: str,
    output: Path | None,
    fail_on: str | None,
    concurrency: int,
    identities: tuple[Path, ...],
    known_hosts: Path | None,
    accept_new_host_key: bool,
    timeout: float,
    server: str | None,
    db_path: Path | None,
) -> None:
    """Scan TARGET (`local` or `ssh://[user@]host[:port]`), a root directory (--root DIR) or
    the hosts of a hosts file (-i FILE): installed packages matched with the vulnerability
    database, the running kernel only, and whether a reboot is needed. Exit 3 when a host could
    not be scanned (the others are still reported)."""
    if sum(x is not None for x in (target, hosts_file, root)) != 1:
        raise UsageError("give one of TARGET (local or ssh://...), --root DIR or -i HOSTS.yaml")
    if kernel and root is None:
        raise UsageError("--kernel goes with --root (a running host reports its own kernel)")
    threshold = parse_severity(fail_on) if fail_on else None
    token = server_token(server)
    writer = host_writer_for(fmt)
    specs: tuple[HostSpec, ...]
    if hosts_file is not None:
        loaded = load_hosts_file(hosts_file)
        specs = loaded.hosts
        concurrency = loaded.concurrency or concurrency
        known_hosts = known_hosts or loaded.known_hosts
    elif root is not None:
        specs = (HostSpec(str(root), "root", root=root, kernel=kernel or ""),)
    else:
        assert target is not None
        specs = (target_spec(target, identities=identities),)
    ssh = SshOptions(known_hosts, accept_new_host_key, identities, timeout)
    result = scan_hosts(specs, HostScanOptions(db_path, concurrency, ssh))
    with output_stream(output) as out:
        writer.write(result, out)
    if server:
        stored = send_results(server, token, "/v1/hosts", host_document(result, tool_version()))
        ids = ", ".join(f"/v1/hosts/{row['id']}" for row in stored)
        click.echo(f"sievert: host reports stored on {server} as {ids}", err=True)
    _exit_for(result, threshold, fail_on or "")


def _exit_for(result: HostScan, threshold: Severity | None, fail_on: str) -> None:
    """Exit 3 when a host was not scanned, else 1 when --fail-on is met."""
    for report in result.hosts:
        if report.error:
            click.echo(f"sievert: error: host {report.name}: {report.error}", err=True)
    if any(report.error for report in result.hosts):
        sys.exit(EXIT_ERROR)
    if threshold is None:
        return
    hit = [h.name for h in result.hosts if (worst := worst_severity(h)) and worst >= threshold]
    if hit:
        click.echo(
            f"sievert: hosts with findings at or above {fail_on}: {', '.join(hit)}", err=True
        )
        sys.exit(EXIT_POLICY)
