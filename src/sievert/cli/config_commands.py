"""`sievert config PATH`: misconfigurations in Dockerfiles (a file, or every one under a folder)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sievert.checks.dockerfile.config import CONFIG_NAME
from sievert.cli.main import cli
from sievert.cli.options import format_option, output_option, quiet_option
from sievert.cli.output import output_stream
from sievert.errors import EXIT_POLICY
from sievert.model.severity import valid_words
from sievert.pipeline import (
    ConfigOptions,
    GateOptions,
    check_dockerfiles,
    decide_config,
    load_gate,
    parse_severities,
    parse_severity,
)
from sievert.report.plugins import config_writer_for, config_writer_names


@cli.command("config")
@click.argument("path", type=click.Path(path_type=Path))
@format_option(config_writer_names())
@output_option
@quiet_option
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help=f"Rule configuration (default: {CONFIG_NAME} beside each Dockerfile).",
)
@click.option("--severity", metavar="SEV,...", help=f"Only these severities ({valid_words()}).")
@click.option(
    "--fail-on", metavar="SEVERITY", help="Exit 1 when an active finding at or above this remains."
)
@click.option("--show-suppressed", is_flag=True, help="Also list suppressed findings.")
def config_command(
    path: Path,
    fmt: str,
    output: Path | None,
    quiet: bool,
    config_path: Path | None,
    severity: str | None,
    fail_on: str | None,
    show_suppressed: bool,
) -> None:
    """Check the Dockerfile(s) at PATH: a Dockerfile, Containerfile, or a folder to search."""
    gate = load_gate(
        GateOptions(
            severities=parse_severities(severity),
            fail_on=parse_severity(fail_on) if fail_on else None,
        )
    )
    writer = config_writer_for(fmt)
    report = check_dockerfiles(path, ConfigOptions(config_path, show_suppressed), gate)
    if not report.files and not quiet:
        click.echo(f"sievert: no Dockerfile found under {path}", err=True)
    with output_stream(output) as out:
        writer.write(report, out)
    decision = decide_config(report, gate)
    for reason in decision.reasons:
        click.echo(f"sievert: {reason}", err=True)
    if decision.failed:
        sys.exit(EXIT_POLICY)
