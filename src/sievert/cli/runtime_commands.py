"""`sievert runtime audit`: how the running containers of the local engine are run."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click

from sievert.cli.main import cli
from sievert.cli.options import (
    cache_dir_option,
    db_option,
    format_option,
    inventory_options,
    quiet_option,
)
from sievert.cli.output import output_option, output_stream
from sievert.cli.server_option import send_results, server_option, server_token
from sievert.errors import EXIT_ERROR, EXIT_POLICY, ParseError
from sievert.model.runtime import RuntimeAudit
from sievert.model.severity import valid_words
from sievert.pipeline import parse_severities, parse_severity
from sievert.report.base import tool_version
from sievert.report.plugins import runtime_writer_for, runtime_writer_names
from sievert.report.runtime.native import json_document
from sievert.runtime.audit import AuditOptions, audit, rank, with_findings
from sievert.runtime.policy import gate_containers

AUDITS_ROUTE = "/v1/runtime/audits"


@cli.group("runtime")
def runtime_group() -> None:
    """Running containers: how they are run, and what their images hold."""


@runtime_group.command("audit")
@format_option(runtime_writer_names())
@output_option
@click.option(
    "--severity",
    metavar="SEV,...",
    help=f"Only runtime findings of these severities ({valid_words()}).",
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
@server_option("runtime audit")
@db_option
@cache_dir_option
@click.option("--no-cache", is_flag=True, help="Neither read nor write the layer cache.")
@quiet_option
def audit_command(
    fmt: str,
    output: Path | None,
    severity: str | None,
    fail_on: str | None,
    skip_image_scan: bool,
    policy_path: Path | None,
    server: str | None,
    db_path: Path | None,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
) -> None:
    """Check every running container of the local engine against the SV-RT rules (CIS Docker
    Benchmark), with its image's vulnerabilities and one risk per container."""
    wanted = parse_severities(severity)
    threshold = parse_severity(fail_on).rank if fail_on else None
    token = server_token(server)
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
    if server:
        stored = send_results(server, token, AUDITS_ROUTE, json_document(result, tool_version()))
        click.echo(
            f"sievert: runtime audit stored on {server} as {AUDITS_ROUTE}/{stored['id']}", err=True
        )
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


@runtime_group.command("watch")
@click.option("--once", is_flag=True, help="One pass, then exit (for tests and cron).")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.5),
    default=10.0,
    show_default=True,
    help="Seconds between passes (without --once; stop with Ctrl-C or SIGTERM).",
)
@click.option(
    "--rules",
    "rules_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A YAML rule file (Falco-like lists, macros and rules) instead of the default rules.",
)
@output_option
@click.option("--webhook", metavar="URL", help="Also POST each event as JSON to this URL.")
def watch_command(
    once: bool, interval: float, rules_path: Path | None, output: Path | None, webhook: str | None
) -> None:
    """Watch the running containers for drift and anomalies (executables not in the image,
    shells, package managers, writes below /etc and binary dirs, unexpected sockets); events
    are JSON lines in Falco's shape."""
    from sievert.runtime.conditions import default_rules, load_rules
    from sievert.runtime.watcher import Watcher

    rules = load_rules(rules_path) if rules_path else default_rules()
    if once:
        with output_stream(output) as out:
            failures = Watcher(rules, out, webhook).run_once()
    else:
        with _appending(output) as out:
            failures = Watcher(rules, out, webhook).run_forever(interval)
    if failures:
        click.echo(f"sievert: error: webhook {webhook}: {failures[0]}", err=True)
        sys.exit(EXIT_ERROR)


@contextmanager
def _appending(path: Path | None) -> Iterator[TextIO]:
    """stdout, or the file opened for appending (a long run writes events as they come)."""
    if path is None:
        yield sys.stdout
        return
    with path.open("a", encoding="utf-8") as out:
        yield out


@runtime_group.command("ingest")
@click.argument("events_path", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@output_option
@click.option(
    "--no-engine",
    is_flag=True,
    help="Do not ask the local engine which containers and images the events name.",
)
def ingest_command(events_path: Path, output: Path | None, no_engine: bool) -> None:
    """Read Falco's JSON output (one event a line; `-` for stdin) and link each event to the
    container and image Sievert knows: JSON lines with a `sievert` object added."""
    from sievert.runtime.ingest import ingest

    text = sys.stdin.read() if str(events_path) == "-" else _read_text(events_path)
    with output_stream(output) as out:
        ingest(text, str(events_path), out, use_engine=not no_engine)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"{path}: cannot read ({exc})") from exc
