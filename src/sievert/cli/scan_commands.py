"""`sievert scan`: inventory plus vulnerability matching, with filters and a CI gate."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from sievert.cli.main import cli
from sievert.cli.options import image_options, inventory_options, output_stream
from sievert.errors import EXIT_POLICY, UsageError
from sievert.model.finding import ScanResult
from sievert.model.vuln import SEVERITIES
from sievert.pipeline import ScanOptions, scan, scan_inventory
from sievert.report.filters import SORT_KEYS, exceeds, filter_findings, sort_findings
from sievert.report.registry import scan_writer_for, scan_writer_names
from sievert.report.sbom_input import parse_sbom

DEFAULT_MAX_DB_AGE_DAYS = 7


@cli.command("scan")
@click.argument("target", required=False)
@click.option(
    "--sbom",
    "sbom_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Scan the packages of a CycloneDX or SPDX JSON SBOM instead of an image.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(list(scan_writer_names())),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write to this file (atomically) instead of stdout.",
)
@click.option(
    "--severity",
    metavar="SEV,...",
    help=f"Only these severities ({', '.join(reversed(SEVERITIES))}).",
)
@click.option("--ignore-unfixed", is_flag=True, help="Drop findings that have no fixed version.")
@click.option(
    "--fail-on", metavar="SEVERITY", help="Exit 1 when a finding at or above this severity remains."
)
@click.option(
    "--sort", "sort_by", type=click.Choice(list(SORT_KEYS)), default="severity", show_default=True
)
@click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Vulnerability database file.",
)
@click.option(
    "--max-db-age",
    type=int,
    default=DEFAULT_MAX_DB_AGE_DAYS,
    show_default=True,
    help="Warn when the database is older than this many days.",
)
@image_options
def scan_command(
    target: str | None,
    sbom_path: Path | None,
    fmt: str,
    output: Path | None,
    severity: str | None,
    ignore_unfixed: bool,
    fail_on: str | None,
    sort_by: str,
    db_path: Path | None,
    max_db_age: int,
    platform: str,
    insecure_registry: bool,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
    pkg_types: str,
) -> None:
    """Find the known vulnerabilities in TARGET (any image target) or in an SBOM."""
    if (target is None) == (sbom_path is None):
        raise UsageError("give either a TARGET or --sbom FILE")
    if sbom_path is not None:
        inventory = parse_sbom(sbom_path.read_bytes(), str(sbom_path))
        result = scan_inventory(inventory, db_path)
    else:
        assert target is not None
        options = inventory_options(
            platform, insecure_registry, cache_dir, no_cache, quiet, pkg_types
        )
        result = scan(target, ScanOptions(inventory=options, db_path=db_path))
    _warn_if_stale(result, max_db_age)
    severities = [s for s in severity.split(",") if s] if severity else None
    result = filter_findings(result, severities=severities, ignore_unfixed=ignore_unfixed)
    result = sort_findings(result, sort_by)
    with output_stream(output) as out:
        scan_writer_for(fmt).write(result, out)
    if fail_on and exceeds(result, fail_on):
        click.echo(f"sievert: findings at or above {fail_on} remain (--fail-on)", err=True)
        sys.exit(EXIT_POLICY)


def _warn_if_stale(result: ScanResult, max_days: int) -> None:
    if not result.db_built:
        return
    try:
        built = datetime.fromisoformat(result.db_built)
    except ValueError:
        return
    age = (datetime.now(UTC) - built).days
    if age > max_days:
        click.echo(
            f"sievert: warning: the vulnerability database is {age} days old "
            "(run `sievert db update`)",
            err=True,
        )
