"""`sievert runtime audit`: how the running containers of the local engine are run."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sievert.cli.main import cli
from sievert.cli.options import inventory_options
from sievert.cli.output import output_option, output_stream
from sievert.errors import EXIT_POLICY
from sievert.model.runtime import RuntimeAudit
from sievert.model.vuln import SEVERITIES
from sievert.report.filters import parse_severity
from sievert.report.plugins import runtime_writer_for, runtime_writer_names
from sievert.runtime.audit import AuditOptions, audit, rank, with_findings
from sievert.runtime.policy import gate_containers


@cli.group("runtime")
def runtime_group() -> None:
    """Running containers: how they are run, and what their images hold."""


@runtime_group.command("audit")
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(list(runtime_writer_names())),
    default="table",
    show_default=True,
    help="Output format.",
)
@output_option
@click.option(
    "--severity",
    metavar="SEV,...",
    help=f"Only runtime findings of these severities ({', '.join(reversed(SEVERITIES))}).",
)
@click.option(
    "--fail-on",
    metavar="SEVERITY",
    help="Exit 1 when a container's risk is at or above this severity.",
)
@click.option(
    "--skip-image-scan",
    is_flag=True,
    help="Only check how containers run; do not scan their images (no database needed).",
)
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Gate each container (its runtime findings and its image) with this policy file: "
    "exit 1 when a verdict is stop.",
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Vulnerability database file.",
)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path),
    help="Layer cache directory (default: $SIEVERT_CACHE_DIR or XDG cache).",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the layer cache.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
def audit_command(
    fmt: str,
    output: Path | None,
    severity: str | None,
    fail_on: str | None,
    skip_image_scan: bool,
    policy_path: Path | None,
    db_path: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
) -> None:
    """Check every running container of the local engine against the SV-RT rules (CIS Docker
    Benchmark), with its image's vulnerabilities and one risk per container."""
    wanted = {parse_severity(s) for s in severity.split(",") if s.strip()} if severity else None
    threshold = rank(parse_severity(fail_on)) if fail_on else None
    writer = runtime_writer_for(fmt)
    options = AuditOptions(
        scan_images=not skip_image_scan,
        db_path=db_path,
        inventory=inventory_options("linux/amd64", False, cache_dir, no_cache, quiet),
    )
    result = audit(options)
    if wanted is not None:
        result = with_findings(result, lambda f: f.severity in wanted)
    if policy_path is not None:
        result = gate_containers(result, policy_path)
    with output_stream(output) as out:
        writer.write(result, out)
    _exit_for(result, threshold, fail_on or "")


def _exit_for(result: RuntimeAudit, threshold: int | None, fail_on: str) -> None:
    """Exit 1 on a stop verdict or a risk at or above --fail-on."""
    stopped = [c for c in result.containers if c.verdict is not None and c.verdict.action == "stop"]
    for entry in stopped:
        click.echo(f"sievert: container {entry.container.name}: policy verdict stop", err=True)
    risky = [
        c for c in result.containers if threshold is not None and rank(c.risk.severity) >= threshold
    ]
    if risky:
        names = ", ".join(c.container.name for c in risky)
        click.echo(f"sievert: containers at or above {fail_on} risk: {names} (--fail-on)", err=True)
    if stopped or risky:
        sys.exit(EXIT_POLICY)
