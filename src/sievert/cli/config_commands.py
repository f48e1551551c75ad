"""`sievert config PATH`: misconfigurations in Dockerfiles (a file, or every one under a folder)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sievert.checks.dockerfile.config import CONFIG_NAME, CheckConfig, load_config
from sievert.checks.dockerfile.engine import analyze_file, discover
from sievert.checks.dockerfile.rules import DOCKERFILE_RULES
from sievert.cli.main import cli
from sievert.cli.output import output_option, output_stream
from sievert.errors import EXIT_POLICY, TargetNotFoundError
from sievert.model.checks import CheckFinding
from sievert.model.vuln import SEVERITIES
from sievert.report.config.common import ConfigReport
from sievert.report.filters import parse_severity
from sievert.report.plugins import config_writer_for, config_writer_names
from sievert.report.scan.common import severity_rank


@cli.command("config")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(list(config_writer_names())),
    default="table",
    show_default=True,
    help="Output format.",
)
@output_option
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help=f"Rule configuration (default: {CONFIG_NAME} beside each Dockerfile).",
)
@click.option(
    "--severity",
    metavar="SEV,...",
    help=f"Only these severities ({', '.join(reversed(SEVERITIES))}).",
)
@click.option(
    "--fail-on", metavar="SEVERITY", help="Exit 1 when an active finding at or above this remains."
)
@click.option("--show-suppressed", is_flag=True, help="Also list suppressed findings.")
def config_command(
    path: Path,
    fmt: str,
    output: Path | None,
    config_path: Path | None,
    severity: str | None,
    fail_on: str | None,
    show_suppressed: bool,
) -> None:
    """Check the Dockerfile(s) at PATH: a Dockerfile, Containerfile, or a folder to search."""
    wanted = {parse_severity(s) for s in severity.split(",") if s.strip()} if severity else None
    threshold = severity_rank(parse_severity(fail_on)) if fail_on else None
    writer = config_writer_for(fmt)
    if not path.exists():
        raise TargetNotFoundError(f"{path}: no such file or directory")
    files = discover(path)
    if not files:
        click.echo(f"sievert: no Dockerfile found under {path}", err=True)
    shared = load_config(config_path) if config_path else None
    findings: list[CheckFinding] = []
    for file in files:
        findings += analyze_file(file, shared or _config_beside(file, path))
    if wanted is not None:
        findings = [f for f in findings if f.severity in wanted]
    shown = [f for f in findings if show_suppressed or not f.suppressed_by]
    report = ConfigReport(
        files=tuple(str(f) for f in files),
        findings=tuple(shown),
        rules=tuple(entry.rule for entry in DOCKERFILE_RULES),
        suppressed=len(findings) - len(shown),
    )
    with output_stream(output) as out:
        writer.write(report, out)
    if threshold is not None and any(
        not f.suppressed_by and severity_rank(f.severity) >= threshold for f in findings
    ):
        click.echo(f"sievert: findings at or above {fail_on} remain (--fail-on)", err=True)
        sys.exit(EXIT_POLICY)


_LOADED: dict[Path, CheckConfig] = {}


def _config_beside(file: Path, root: Path) -> CheckConfig:
    """`.sievert.yaml` in the Dockerfile's folder, else in the searched folder, else defaults."""
    for folder in (file.parent, root if root.is_dir() else file.parent):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            if candidate not in _LOADED:
                _LOADED[candidate] = load_config(candidate)
            return _LOADED[candidate]
    return CheckConfig()
