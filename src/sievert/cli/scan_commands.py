"""`sievert scan`: inventory plus vulnerability matching, with filters and a CI gate."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

import click

from sievert.cli.main import cli
from sievert.cli.options import (
    db_option,
    format_option,
    image_options,
    inventory_options,
    output_option,
    source_options,
)
from sievert.cli.output import output_stream
from sievert.errors import EXIT_POLICY, UsageError
from sievert.model.scanners import SCANNERS
from sievert.model.severity import valid_words
from sievert.report.order import SORT_KEYS
from sievert.report.plugins import ALWAYS, ON_REQUEST, scan_entry, scan_writer_names
from sievert.terminal import escape

if TYPE_CHECKING:  # the pipeline, the database and the writers load when a scan runs
    from sievert.checks.secrets import SecretConfig
    from sievert.model.finding import ScanResult
    from sievert.pipeline import ScanOptions
    from sievert.report.base import ScanWriter

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
    "--server",
    metavar="URL",
    help="Scan on a Sievert server (token in $SIEVERT_SERVER_TOKEN): the image is walked here, "
    "only the layer analyses the server lacks and the image's description are sent (never a "
    "layer), and the server matches, checks and stores it.",
)
@format_option(scan_writer_names())
@output_option
@click.option("--severity", metavar="SEV,...", help=f"Only these severities ({valid_words()}).")
@click.option("--ignore-unfixed", is_flag=True, help="Drop findings that have no fixed version.")
@click.option(
    "--fail-on",
    metavar="SEVERITY",
    help="Exit 1 when a vulnerability, misconfiguration or secret at or above this severity "
    "remains.",
)
@click.option(
    "--sort", "sort_by", type=click.Choice(list(SORT_KEYS)), default="severity", show_default=True
)
@db_option
@click.option(
    "--max-db-age",
    type=int,
    default=DEFAULT_MAX_DB_AGE_DAYS,
    show_default=True,
    help="Warn when the database is older than this many days.",
)
@click.option(
    "--scanners",
    default="vuln",
    show_default=True,
    metavar="vuln,config,secret",
    help="What to look for, in one layer walk: vulnerabilities, image misconfigurations, secrets.",
)
@click.option(
    "--secret-config",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="YAML with allow_paths (replace the default skipped paths), disabled_rules, max_size.",
)
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Gate the result with this policy file: exit 1 when its verdict is stop.",
)
@click.option(
    "--vex",
    "vex_paths",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="OpenVEX, CycloneDX VEX or CSAF VEX document (repeatable): not_affected and "
    "fixed statements suppress findings.",
)
@click.option(
    "--base",
    "base_ref",
    metavar="TARGET",
    help="The base image (any target): the policy counts its layers as the base's; "
    "--base-advice needs a registry image.",
)
@click.option("--image-ref", metavar="REF", help="Reference the policy mappings select by.")
@click.option(
    "--show-suppressed",
    is_flag=True,
    help="List what exceptions and VEX statements suppressed, and why (table, markdown, junit; "
    "json, template and html always carry them; other formats refuse it).",
)
@click.option(
    "--template",
    "template_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Jinja2 template for -f template.",
)
@click.option(
    "--dockerfile",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The image's Dockerfile: its rules run too, and findings show the instruction (file "
    "and line) that made their layer.",
)
@click.option(
    "--base-advice",
    "advise",
    is_flag=True,
    help="Scan newer tags of the base image's line (--base REF or the OCI base annotation, a "
    "registry image) and recommend the one that removes the most findings.",
)
@click.option(
    "--advice-scope",
    type=click.Choice(["minor", "major"]),
    default="minor",
    show_default=True,
    help="Candidate tags keep the base's major and minor version, or only its major.",
)
@click.option(
    "--advice-limit",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="How many of the newest candidate tags are scanned.",
)
@image_options
def scan_command(
    target: str | None,
    sbom_path: Path | None,
    server: str | None,
    fmt: str,
    output: Path | None,
    severity: str | None,
    ignore_unfixed: bool,
    fail_on: str | None,
    sort_by: str,
    db_path: Path | None,
    max_db_age: int,
    scanners: str,
    secret_config: Path | None,
    policy_path: Path | None,
    vex_paths: tuple[Path, ...],
    base_ref: str | None,
    image_ref: str | None,
    show_suppressed: bool,
    template_path: Path | None,
    dockerfile: Path | None,
    advise: bool,
    advice_scope: str,
    advice_limit: int,
    platform: str,
    insecure_registry: bool,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
    pkg_types: str,
) -> None:
    """Find the known vulnerabilities in TARGET (any image target) or in an SBOM."""
    from sievert.pipeline import (
        GateOptions,
        ScanOptions,
        apply_gate,
        decide,
        load_gate,
        parse_severities,
        parse_severity,
        scan,
        scan_inventory,
    )
    from sievert.report.order import sort_findings

    if (target is None) == (sbom_path is None):
        raise UsageError("give either a TARGET or --sbom FILE")
    chosen = parse_scanners(scanners)
    if sbom_path is not None and chosen != ("vuln",):
        raise UsageError("--sbom scans vulnerabilities only (--scanners vuln)")
    if advise and (sbom_path is not None or "vuln" not in chosen):
        raise UsageError("--base-advice needs an image TARGET and the vuln scanner")
    if advise and base_ref:
        from sievert.pipeline import registry_reference

        registry_reference(base_ref)
    gate = load_gate(
        GateOptions(
            severities=parse_severities(severity),
            ignore_unfixed=ignore_unfixed,
            fail_on=parse_severity(fail_on) if fail_on else None,
            policy=policy_path,
            vex=tuple(vex_paths),
            base=base_ref or "",
            image_ref=image_ref or "",
            source=source_options(platform, insecure_registry),
        )
    )
    writer = _writer(fmt, template_path, show_suppressed)
    reading = inventory_options(platform, insecure_registry, cache_dir, no_cache, quiet, pkg_types)
    advice = None
    if advise:
        from sievert.pipeline import AdviceOptions  # base image advice loads when asked for

        advice = AdviceOptions(reading, advice_scope, advice_limit)
    options = ScanOptions(
        inventory=reading,
        db_path=db_path,
        scanners=chosen,
        secret_config=load_secret_config(secret_config),
        dockerfile=dockerfile,
        advice=advice,
        gate=gate,
    )
    if server:
        name = image_ref or target or ""
        result = apply_gate(_remote(server, target, sbom_path, options, quiet, name), gate)
    elif sbom_path is not None:
        from sievert.report.sbom_input import parse_sbom

        result = scan_inventory(parse_sbom(sbom_path.read_bytes(), str(sbom_path)), options)
    else:
        assert target is not None
        result = scan(target, options)
    if not quiet:
        _warn_if_stale(result, max_db_age)
    result = sort_findings(result, sort_by)
    with output_stream(output) as out:
        writer.write(result, out)
    if result.base_advice is not None and fmt != "json":
        from sievert.report.scan.table import advice_lines

        click.echo(escape("\n".join(advice_lines(result.base_advice)), keep_lines=True), err=True)
    decision = decide(result, gate)
    for reason in decision.reasons:
        click.echo(f"sievert: {reason}", err=True)
    if decision.failed:
        sys.exit(EXIT_POLICY)


def _remote(
    server: str,
    target: str | None,
    sbom_path: Path | None,
    options: ScanOptions,
    quiet: bool,
    name: str,
) -> ScanResult:
    """Matched by a Sievert server: the image walked here (only the layer analyses the server
    lacks are sent, then its description), or the SBOM's inventory; cut to the scanners asked."""
    from msgspec.structs import replace

    from sievert.service.client import remote_image_scan, remote_scan

    if options.advice is not None or options.dockerfile is not None:
        raise UsageError("--server: --base-advice and --dockerfile run only in a local scan")
    if options.secret_config is not None:
        raise UsageError("--server: the server scans secrets with its own configuration")
    token = os.environ.get("SIEVERT_SERVER_TOKEN", "")
    if sbom_path is not None:
        from sievert.report.sbom_input import parse_sbom

        inventory = parse_sbom(sbom_path.read_bytes(), str(sbom_path))
        return remote_scan(server, token, inventory, name if name else sbom_path.name)
    assert target is not None
    say = None if quiet else (lambda line: click.echo(f"sievert: {line}", err=True))
    result, _ = remote_image_scan(server, token, target, options.inventory, name, say)
    chosen = options.scanners
    return replace(
        result,
        findings=result.findings if "vuln" in chosen else (),
        config_findings=result.config_findings if "config" in chosen else (),
        secret_findings=result.secret_findings if "secret" in chosen else (),
        scanners=chosen,
    )


def _writer(fmt: str, template: Path | None, show_suppressed: bool) -> ScanWriter:
    """The scan writer, with the template file and --show-suppressed where they apply;
    UsageError when the format cannot honour them (checked before any scan work)."""
    from msgspec.structs import replace  # loads with the writer, not for --help

    entry = scan_entry(fmt)
    if show_suppressed and entry.suppressed not in (ALWAYS, ON_REQUEST):
        raise UsageError(
            f"--show-suppressed: -f {fmt} has no place for suppressed findings "
            "(table, markdown and junit list them on request; json, template and html always)"
        )
    writer = cast("ScanWriter", entry.load())
    if fmt == "template":
        if template is None and not os.environ.get("SIEVERT_TEMPLATE"):
            raise UsageError("-f template needs --template FILE (or $SIEVERT_TEMPLATE)")
        if template is not None:
            writer = replace(writer, template=str(template))  # type: ignore[type-var]
    if show_suppressed and entry.suppressed == ON_REQUEST:
        writer = replace(writer, show_suppressed=True)  # type: ignore[type-var]
    return writer


# scanners 'config' and 'secret' -------------------------------------------------------------
def parse_scanners(text: str) -> tuple[str, ...]:
    """`vuln,config,secret` (any order, any subset) in canonical order; UsageError otherwise."""
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    unknown = [w for w in words if w not in SCANNERS]
    if unknown or not words:
        raise UsageError(
            f"unknown scanner {', '.join(unknown) or text!r}; valid: vuln,config,secret"
        )
    return tuple(s for s in SCANNERS if s in words)


def load_secret_config(path: Path | None) -> SecretConfig | None:
    """The secret scan configuration of a YAML file (None without a file)."""
    if path is None:
        return None
    from sievert.checks.secrets.config import load_secret_config as load

    return load(path)


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
