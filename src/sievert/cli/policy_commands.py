"""`sievert policy validate|eval|schema`: check policy files and re-evaluate saved scans."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from sievert.cli.main import cli
from sievert.cli.options import (
    format_option,
    insecure_registry_option,
    output_option,
    platform_option,
    source_options,
)
from sievert.cli.output import output_stream
from sievert.errors import EXIT_POLICY, ParseError, UsageError
from sievert.limits import jsonload
from sievert.model.policy import STOP, WARN
from sievert.pipeline import GateOptions, load_gate, policy_verdict, read_dockerfile
from sievert.policy import load_policy
from sievert.policy.result_input import load_scan_result
from sievert.policy.schema import schema_text
from sievert.report.verdict_doc import verdict_document, verdict_lines
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
@output_option
def schema_command(output: Path | None) -> None:
    """Print the policy file's JSON Schema (for editors)."""
    with output_stream(output) as out:
        out.write(schema_text())


@policy_group.command("eval")
@click.argument("result_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--policy", "policy_file", required=True, type=click.Path(path_type=Path))
@click.option("--vex", "vex_files", multiple=True, type=click.Path(path_type=Path))
@click.option("--image-ref", help="Reference mappings match (default: the scanned image's).")
@click.option("--now", "now_text", metavar="YYYY-MM-DD", help="Date for expiries and ages.")
@click.option("--dockerfile", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--base",
    "base_ref",
    metavar="TARGET",
    help="The base image (any target, as in `scan --base`): the policy counts its layers as "
    "the base's (metadata only, no layer is read).",
)
@platform_option
@insecure_registry_option
@click.option("--show-suppressed", is_flag=True, help="List suppressed findings and why.")
@format_option(["table", "json"])
@output_option
def eval_command(
    result_file: Path,
    policy_file: Path,
    vex_files: tuple[Path, ...],
    image_ref: str | None,
    now_text: str | None,
    dockerfile: Path | None,
    base_ref: str | None,
    platform: str,
    insecure_registry: bool,
    show_suppressed: bool,
    fmt: str,
    output: Path | None,
) -> None:
    """Evaluate a saved `sievert scan -f json` RESULT against a policy (exit 1 on stop)."""
    gate = load_gate(
        GateOptions(
            policy=policy_file,
            vex=tuple(vex_files),
            base=base_ref or "",
            image_ref=image_ref or "",
            now=_parse_now(now_text),
            source=source_options(platform, insecure_registry),
        )
    )
    parsed = read_dockerfile(dockerfile) if dockerfile else None
    result = load_scan_result(_read_json(result_file))
    verdict = policy_verdict(result, gate, parsed)
    with output_stream(output) as out:
        if fmt == "json":
            out.write(json.dumps(verdict_document(verdict), indent=2, ensure_ascii=False) + "\n")
        else:
            lines = "\n".join(verdict_lines(verdict, show_suppressed))
            out.write(escape(lines, keep_lines=True) + "\n")
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
