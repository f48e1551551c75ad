"""`sievert policy validate|eval|schema`: check policy files and re-evaluate saved scans."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from sievert.cli.main import cli
from sievert.errors import EXIT_POLICY, ParseError, UsageError
from sievert.limits import jsonload
from sievert.model.policy import STOP, WARN
from sievert.policy import detect_base, evaluate, load_policy, load_vex
from sievert.policy.base_image import open_base_metadata, read_dockerfile
from sievert.policy.result_input import load_scan_result
from sievert.policy.schema import schema_text
from sievert.report.verdict_doc import verdict_document, verdict_lines
from sievert.source.base import SourceOptions
from sievert.source.detect import split_prefix
from sievert.terminal import escape


@cli.group("policy")
def policy_group() -> None:
    """Policy files: validate them, print their JSON Schema, evaluate a saved scan result."""


@policy_group.command("validate")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
def validate_command(file: Path) -> None:
    """Check a policy file; prints the first error with its line and key (exit 3)."""
    document = load_policy(file)
    rules = sum(len(p.rules) for p in document.policies)
    click.echo(f"{file}: valid ({len(document.policies)} policies, {rules} rules)")


@policy_group.command("schema")
def schema_command() -> None:
    """Print the policy file's JSON Schema (for editors)."""
    click.echo(schema_text(), nl=False)


@policy_group.command("eval")
@click.argument("result_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--policy", "policy_file", required=True, type=click.Path(path_type=Path))
@click.option("--vex", "vex_files", multiple=True, type=click.Path(path_type=Path))
@click.option("--image-ref", help="Reference mappings match (default: the scanned image's).")
@click.option("--now", "now_text", metavar="YYYY-MM-DD", help="Date for expiries and ages.")
@click.option("--dockerfile", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--base", "base_ref", metavar="REF", help="Known base image (metadata only).")
@click.option("--insecure-registry", is_flag=True, help="Allow plain HTTP for --base.")
@click.option("--show-suppressed", is_flag=True, help="List suppressed findings and why.")
@click.option("-f", "--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def eval_command(
    result_file: Path,
    policy_file: Path,
    vex_files: tuple[Path, ...],
    image_ref: str | None,
    now_text: str | None,
    dockerfile: Path | None,
    base_ref: str | None,
    insecure_registry: bool,
    show_suppressed: bool,
    fmt: str,
) -> None:
    """Evaluate a saved `sievert scan -f json` RESULT against a policy (exit 1 on stop)."""
    now = _parse_now(now_text)
    document = load_policy(policy_file)
    vex = [load_vex(path) for path in vex_files]
    result = load_scan_result(_read_json(result_file))
    known, name = None, ""
    if base_ref:
        known = open_base_metadata(base_ref, SourceOptions(insecure_registry=insecure_registry))
        kind, rest = split_prefix(base_ref)
        name = rest if kind in ("", "registry", "docker") else ""
    base = detect_base(
        result.inventory.image,
        dockerfile=read_dockerfile(dockerfile) if dockerfile else None,
        known=known,
        known_name=name,
    )
    verdict = evaluate(result, document, image_ref=image_ref, vex=vex, now=now, base=base)
    if fmt == "json":
        click.echo(json.dumps(verdict_document(verdict), indent=2, ensure_ascii=False))
    else:
        click.echo(escape("\n".join(verdict_lines(verdict, show_suppressed)), keep_lines=True))
    if verdict.action == WARN and fmt == "json":
        click.echo("sievert: policy verdict: warn", err=True)
    if verdict.action == STOP:
        sys.exit(EXIT_POLICY)


def _parse_now(text: str | None) -> dt.date:
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now {text!r} is not a date YYYY-MM-DD") from None


def _read_json(path: Path) -> object:
    try:
        return jsonload.load_file(path)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg}") from None
