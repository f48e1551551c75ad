"""`sievert vuln show|search|exploits|compare-versions`: query the database like Vulners/Dagda."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import click

from sievert import vulndb
from sievert.cli.main import cli
from sievert.cli.options import db_option, format_option, output_option
from sievert.cli.output import output_stream
from sievert.errors import TargetNotFoundError
from sievert.model import Vulnerability
from sievert.report.vulntext import (
    exploitation_json,
    statement_json,
    vulnerability_json,
    write_json,
    write_statements,
    write_vulnerability,
)
from sievert.versions import compare

table_or_json = format_option(["table", "json"])


@cli.group()
def vuln() -> None:
    """Query the vulnerability database."""


@vuln.command()
@click.argument("vuln_id")
@db_option
@table_or_json
@output_option
def show(vuln_id: str, db_path: Path | None, fmt: str, output: Path | None) -> None:
    """Everything known about VULN_ID (CVE, GHSA, PYSEC, GO, RUSTSEC...), CVSS explained."""
    with vulndb.open(db_path) as db:
        record = db.get(vuln_id)
        if record is None:
            raise TargetNotFoundError(f"{vuln_id}: not in the vulnerability database ({db.path})")
        statements = db.statements(vuln_id)
    with output_stream(output) as out:
        if fmt == "json":
            write_json(vulnerability_json(record, statements), out)
        else:
            write_vulnerability(record, statements, out)


@vuln.command()
@click.argument("name")
@click.argument("version", required=False)
@click.option("--ecosystem", help="OSV ecosystem: PyPI, npm, Go, Maven, crates.io, RubyGems...")
@click.option("--distro", help="Distro namespace: debian:bookworm, alpine:3.23, or debian.")
@db_option
@table_or_json
@output_option
def search(
    name: str,
    version: str | None,
    ecosystem: str | None,
    distro: str | None,
    db_path: Path | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Every vulnerability statement naming package NAME (and affecting VERSION when given)."""
    with vulndb.open(db_path) as db:
        statements = db.search(name, version, ecosystem=ecosystem, distro=distro)
    with output_stream(output) as out:
        if fmt == "json":
            write_json([statement_json(s) for s in statements], out)
        else:
            write_statements(statements, out)


@vuln.command()
@click.argument("vuln_id")
@db_option
@table_or_json
@output_option
def exploits(vuln_id: str, db_path: Path | None, fmt: str, output: Path | None) -> None:
    """Known exploits and exploitation signals (KEV, EPSS, Exploit-DB) for VULN_ID."""
    with vulndb.open(db_path) as db:
        record = db.get(vuln_id)
    if record is None:
        raise TargetNotFoundError(f"{vuln_id}: not in the vulnerability database")
    data = {"id": record.id, **exploitation_json(record)}
    with output_stream(output) as out:
        if fmt == "json":
            write_json(data, out)
        else:
            _write_exploits(record, out)


def _write_exploits(record: Vulnerability, out: TextIO) -> None:
    """One line of exploitation signals, then one line per known exploit."""
    kev = "yes, added " + record.kev_date_added if record.kev_date_added else "no"
    epss = record.epss_score if record.epss_score is not None else "unknown"
    out.write(f"{record.id}: KEV {kev}; EPSS {epss}; {len(record.exploits)} public exploit(s)\n")
    for e in record.exploits:
        out.write(f"  {e.source} {e.id} {e.published} {e.title} {e.url}".rstrip() + "\n")


@vuln.command("compare-versions")
@click.argument("ecosystem")
@click.argument("a")
@click.argument("b")
def compare_versions(ecosystem: str, a: str, b: str) -> None:
    """Print A <, = or > B in ECOSYSTEM's order (deb, apk, rpm, pypi, npm, maven, go, ...)."""
    click.echo(f"{a} {'<=>'[compare(ecosystem, a, b) + 1]} {b}")
