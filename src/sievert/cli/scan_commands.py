"""`sievert scan`: inventory plus vulnerability matching, with filters and a CI gate."""

from __future__ import annotations

import dataclasses
import os
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sievert.cli.main import cli
from sievert.cli.options import image_options, inventory_options
from sievert.cli.output import output_option, output_stream
from sievert.errors import EXIT_POLICY, UsageError
from sievert.model.advice import BaseAdvice
from sievert.model.finding import ScanResult
from sievert.model.vuln import SEVERITIES
from sievert.pipeline import (
    SCANNERS,
    AdviceOptions,
    PolicyOptions,
    ScanOptions,
    base_advice,
    gate,
    scan,
    scan_inventory,
)
from sievert.report.base import ScanWriter
from sievert.report.filters import (
    SORT_KEYS,
    exceeds,
    filter_findings,
    parse_severity,
    sort_findings,
)
from sievert.report.plugins import scan_writer_for, scan_writer_names
from sievert.report.sbom_input import parse_sbom
from sievert.report.scan.common import severity_rank
from sievert.report.scan.table import advice_lines
from sievert.terminal import escape

if TYPE_CHECKING:
    from sievert.checks.secrets import SecretConfig

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
@output_option
@click.option(
    "--severity",
    metavar="SEV,...",
    help=f"Only these severities ({', '.join(reversed(SEVERITIES))}).",
)
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
    help="The base image (any target): its layers count as the base's in the policy and in "
    "--base-advice (which needs a registry image).",
)
@click.option("--image-ref", metavar="REF", help="Reference the policy mappings select by.")
@click.option(
    "--show-suppressed",
    is_flag=True,
    help="List what exceptions and VEX statements suppressed, and why.",
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
    if (target is None) == (sbom_path is None):
        raise UsageError("give either a TARGET or --sbom FILE")
    chosen = parse_scanners(scanners)
    if sbom_path is not None and chosen != ("vuln",):
        raise UsageError("--sbom scans vulnerabilities only (--scanners vuln)")
    if advise and (sbom_path is not None or "vuln" not in chosen):
        raise UsageError("--base-advice needs an image TARGET and the vuln scanner")
    options = inventory_options(platform, insecure_registry, cache_dir, no_cache, quiet, pkg_types)
    if sbom_path is not None:
        inventory = parse_sbom(sbom_path.read_bytes(), str(sbom_path))
        result = scan_inventory(inventory, db_path)
    else:
        assert target is not None
        result = scan(
            target,
            ScanOptions(
                inventory=options,
                db_path=db_path,
                scanners=chosen,
                secret_config=load_secret_config(secret_config),
                dockerfile=dockerfile,
            ),
        )
    _warn_if_stale(result, max_db_age)
    if advise:
        advice_options = AdviceOptions(options, advice_scope, advice_limit)
        advice = advise_on_base(result, base_ref, db_path, advice_options)
        result = replace(result, base_advice=advice)
    if vex_paths and policy_path is None:
        raise UsageError("--vex needs --policy (the VEX statements are applied by the policy gate)")
    if policy_path is not None:
        gate_options = PolicyOptions(
            policy=policy_path,
            vex=tuple(vex_paths),
            base=base_ref or "",
            dockerfile=dockerfile,
            image_ref=image_ref or "",
            source=options.source,
        )
        result = gate(result, gate_options)
    severities = [s for s in severity.split(",") if s] if severity else None
    result = filter_findings(result, severities=severities, ignore_unfixed=ignore_unfixed)
    result = filter_checks(result, severities)
    result = sort_findings(result, sort_by)
    with output_stream(output) as out:
        _writer(fmt, template_path, show_suppressed).write(result, out)
    if result.base_advice is not None and fmt != "json":
        click.echo(escape("\n".join(advice_lines(result.base_advice)), keep_lines=True), err=True)
    _exit_for(result, fail_on)


def advise_on_base(
    result: ScanResult, base_ref: str | None, db_path: Path | None, options: AdviceOptions
) -> BaseAdvice:
    """Base image advice for --base REF, else for the base the OCI annotation names."""
    from sievert.policy.base_image import base_from_annotations

    reference = base_ref or ""
    if not reference:
        annotated = base_from_annotations(result.inventory.image)
        if annotated is not None and annotated.reference != annotated.digest:
            reference = annotated.reference
    if not reference:
        raise UsageError(
            "--base-advice needs --base REF (a registry image) or an image annotated with "
            "org.opencontainers.image.base.name"
        )
    return base_advice(result, reference, db_path, options)


def _writer(fmt: str, template: Path | None, show_suppressed: bool) -> ScanWriter:
    """The scan writer, with the template file and --show-suppressed where they apply."""
    writer = scan_writer_for(fmt)
    if fmt == "template":
        if template is None and not os.environ.get("SIEVERT_TEMPLATE"):
            raise UsageError("-f template needs --template FILE (or $SIEVERT_TEMPLATE)")
        if template is not None:
            writer = dataclasses.replace(writer, template=str(template))  # type: ignore[type-var]
    if fmt == "table" and show_suppressed:
        writer = dataclasses.replace(writer, show_suppressed=True)  # type: ignore[type-var]
    return writer


def _exit_for(result: ScanResult, fail_on: str | None) -> None:
    """Exit 1 on a stop verdict or a --fail-on threshold met; warn verdicts are printed."""
    verdict = result.verdict
    if verdict is not None and verdict.action != "go":
        rules = ", ".join(r.rule_id for r in verdict.triggered if r.action == verdict.action)
        click.echo(f"sievert: policy {verdict.policy}: {verdict.action} ({rules})", err=True)
    if fail_on and (exceeds(result, fail_on) or checks_exceed(result, fail_on)):
        click.echo(f"sievert: findings at or above {fail_on} remain (--fail-on)", err=True)
        sys.exit(EXIT_POLICY)
    if verdict is not None and verdict.action == "stop":
        sys.exit(EXIT_POLICY)


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


def filter_checks(result: ScanResult, severities: list[str] | None) -> ScanResult:
    """Keep only config and secret findings of the `--severity` severities."""
    if severities is None:
        return result
    wanted = {parse_severity(s) for s in severities}
    return replace(
        result,
        config_findings=tuple(f for f in result.config_findings if f.severity in wanted),
        secret_findings=tuple(f for f in result.secret_findings if f.severity in wanted),
    )


def checks_exceed(result: ScanResult, fail_on: str) -> bool:
    """A config or secret finding at or above the `--fail-on` severity (suppressed ones aside)."""
    threshold = severity_rank(parse_severity(fail_on))
    active = [f.severity for f in result.config_findings if not f.suppressed_by]
    active += [f.severity for f in result.secret_findings]
    return any(severity_rank(s) >= threshold for s in active)


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
