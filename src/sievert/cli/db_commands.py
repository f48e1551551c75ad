"""`sievert db update|status|export|import`: the local vulnerability database."""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TextIO

import click
from rich.table import Table

from sievert import vulndb
from sievert.cli.main import cli
from sievert.cli.options import db_option, format_option, output_option, quiet_option
from sievert.cli.output import output_stream
from sievert.errors import EXIT_ERROR
from sievert.model.record import as_dict
from sievert.report.sbom.table import SafeConsole as Console
from sievert.terminal import one_line
from sievert.vulndb.plugins import FEEDS
from sievert.vulndb.progress import RichReporter, SilentReporter
from sievert.vulndb.store import DbStatus, default_path
from sievert.vulndb.update import UpdateReport

SOURCE_NAMES = ", ".join(f.name + ("" if f.default else " (opt-in)") for f in FEEDS)


@cli.group()
def db() -> None:
    """Build, inspect, export and import the local vulnerability database."""


@db.command()
@click.option(
    "--mirror",
    metavar="DIR|URL",
    help="Read every feed from <base>/<folder>/<path> instead of upstream (a directory is "
    "read in place).",
)
@click.option("--only", metavar="SOURCE,...", help=f"Import only these sources: {SOURCE_NAMES}.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=60.0,
    show_default=True,
    help="HTTP timeout (s).",
)
@db_option
@quiet_option
def update(
    mirror: str | None, only: str | None, timeout: float, db_path: Path | None, quiet: bool
) -> None:
    """Download the public feeds and build the vulnerability database.

    The new database is built next to the old one and swapped in atomically, so an interrupted
    or failed update leaves the previous database usable. When some sources fail, what the other
    sources imported is kept (and a failed source keeps its rows from the previous database),
    the failed sources are listed on stderr and the exit code is 3. A source or file missing
    from a mirror (e.g. exploitdb) is reported as skipped, not as a failure.

    NVD (API 2.0) is opt-in: `--only nvd,...`; set $NVD_API_KEY for its higher rate limit.
    $SIEVERT_ALPINE_BRANCHES (e.g. "3.22,3.23,edge") chooses the Alpine branches.

    Exit codes: 0 every selected source imported, 2 usage error, 3 a source failed or nothing
    could be built.
    """
    reporter = nullcontext(SilentReporter()) if quiet else RichReporter()
    with reporter as progress:
        report = vulndb.update(
            db_path, mirror=mirror, only=only, timeout=timeout, reporter=progress
        )
    if not quiet:
        _print_report(report)
        _print_skipped(report)
    if not report.written:
        click.echo(f"sievert: error: nothing imported; {report.path} left unchanged", err=True)
        _print_errors(report)
        sys.exit(EXIT_ERROR)
    if report.failed:
        kept = [s.name for s in report.sources if s.kept]
        note = f" (previous data kept for {', '.join(kept)})" if kept else ""
        click.echo(
            f"sievert: error: source(s) failed: {', '.join(report.failed)}{note}; "
            "the other sources were imported",
            err=True,
        )
        _print_errors(report)
        sys.exit(EXIT_ERROR)


def _print_errors(report: UpdateReport) -> None:
    for source in report.sources:
        for error in source.errors:
            click.echo(f"  {source.name}: {one_line(error)}", err=True)


SKIPPED_SHOWN = 5
"""Skipped records named per source on stderr (`db status -f json` lists up to 200)."""


def _print_skipped(report: UpdateReport) -> None:
    """Name the malformed records each source skipped (the rest of the source imported)."""
    for source in report.sources:
        if not source.skipped_records:
            continue
        click.echo(
            f"sievert: warning: {source.name}: {source.skipped_records} malformed record(s) "
            "skipped, the rest imported:",
            err=True,
        )
        for note in source.skipped_notes[:SKIPPED_SHOWN]:
            click.echo(f"  {one_line(note)}", err=True)
        if source.skipped_records > SKIPPED_SHOWN:
            click.echo(f"  ... and {source.skipped_records - SKIPPED_SHOWN} more", err=True)


def _print_report(report: UpdateReport) -> None:
    table = Table(title=f"{report.path} ({report.seconds:.1f} s)", title_justify="left")
    for column in ("source", "status", "facts", "statements", "notices", "skipped"):
        table.add_column(column, justify="right" if column not in ("source", "status") else "left")
    for s in report.sources:
        table.add_row(
            s.name, s.status, f"{s.records:,}", f"{s.affected:,}", str(s.notice_count),
            str(len(s.skipped)),
        )  # fmt: skip
    Console(stderr=True).print(table)


@db.command()
@db_option
@format_option(["table", "json"])
@output_option
def status(db_path: Path | None, fmt: str, output: Path | None) -> None:
    """Show the database's build time, schema and per-source status."""
    with vulndb.open(db_path) as database:
        info = database.status()
    with output_stream(output) as out:
        if fmt == "json":
            out.write(json.dumps(_status_dict(info), indent=2) + "\n")
        else:
            _print_status(info, out)


def _status_dict(info: DbStatus) -> dict[str, Any]:
    data = as_dict(info)
    data["path"] = str(info.path)
    return data


def _print_status(info: DbStatus, out: TextIO) -> None:
    console = Console(file=out, highlight=False)
    console.print(f"database: {info.path} ({info.size / 1e6:.1f} MB)", markup=False)
    console.print(f"built: {info.built_at}   schema: {info.schema_version}", markup=False)
    table = Table()
    for column in ("source", "status", "facts", "statements", "notices", "fetched"):
        table.add_column(column, no_wrap=True)
    for s in info.sources:
        table.add_row(
            s.name,
            s.status,
            f"{s.records:,}",
            f"{s.affected:,}",
            str(s.notices),
            s.fetched_at[:16].replace("T", " "),
        )
    console.print(table)
    for s in info.sources:
        for line in s.message.splitlines():
            console.print(f"{s.name}: {line}", markup=False)


@db.command("export")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, allow_dash=True))
@db_option
def export_command(file: Path, db_path: Path | None) -> None:
    """Write the database to FILE (zstd-compressed, with its sha256) for offline transfer."""
    digest = vulndb.export_db(db_path or default_path(), file)
    click.echo(f"exported {file} (sha256 {digest})", err=str(file) == "-")


@db.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@db_option
def import_command(file: Path, db_path: Path | None) -> None:
    """Install a database exported with `sievert db export`; the checksum is verified first.

    A damaged or altered file is refused (exit 3) and the current database is left as it was.
    """
    target = db_path or default_path()
    digest = vulndb.import_db(file, target)
    click.echo(f"imported {file} into {target} (sha256 {digest})")
