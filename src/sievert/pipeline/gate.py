"""The gate: everything that turns findings into a decision.

Severity and fix-state filters, `--fail-on`, the policy with its exceptions and VEX statements,
and the base image the policy reasons about. `load_gate` validates and reads every argument
before any scan work starts; `apply_gate` and `policy_verdict` run it on a result; `decide`
says whether the run fails (exit 1) and why.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec
from msgspec.structs import replace

from sievert.errors import UsageError
from sievert.model.severity import Severity
from sievert.model.vuln import FIXED
from sievert.source.base import SourceOptions
from sievert.source.detect import open_target, split_prefix

if TYPE_CHECKING:  # the policy model loads with a policy (see `decide`)
    from sievert.checks.dockerfile.syntax import Dockerfile
    from sievert.model.finding import ScanResult
    from sievert.model.image import ImageMetadata
    from sievert.model.policy import PolicyVerdict
    from sievert.policy import BaseImage, PolicyDocument, VexDocument


def parse_severity(text: str, option: str = "--fail-on") -> Severity:
    """A severity word given on the command line; UsageError naming the option otherwise."""
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise UsageError(f"{option}: {exc}") from None


def parse_severities(text: str | None, option: str = "--severity") -> frozenset[Severity] | None:
    """`high,critical` -> those severities; None (no filter) for no or empty text."""
    if not text:
        return None
    return frozenset(parse_severity(word, option) for word in text.split(",") if word.strip())


class GateOptions(msgspec.Struct, frozen=True):
    """What decides a scan, as given: filters, threshold, policy, VEX, base image."""

    severities: frozenset[Severity] | None = None
    """Keep only findings of these severities (all when None)."""
    ignore_unfixed: bool = False
    """Keep only vulnerability findings whose fix state is 'fixed'."""
    fail_on: Severity | None = None
    """Fail when an active finding at or above this severity remains."""
    policy: Path | None = None
    vex: tuple[Path, ...] = ()
    base: str = ""
    """A known base image (any target) whose layers the scanned image starts with."""
    image_ref: str = ""
    """The reference policy mappings select by (default: the image's tag or the target)."""
    now: date | None = None
    source: SourceOptions = msgspec.field(default_factory=SourceOptions)
    """How to open the base image."""


class Gate(msgspec.Struct, frozen=True):
    """A gate ready to run: its options with the policy and VEX documents already read."""

    options: GateOptions = msgspec.field(default_factory=GateOptions)
    policy: PolicyDocument | None = None
    vex: tuple[VexDocument, ...] = ()


def load_gate(options: GateOptions) -> Gate:
    """Check the options and read the policy and VEX files (before any scan work starts)."""
    if options.vex and options.policy is None:
        raise UsageError("--vex needs --policy (the VEX statements are applied by the policy gate)")
    if options.policy is None:
        return Gate(options)
    from sievert.policy import load_policy, load_vex  # the policy engine loads for a policy only

    policy = load_policy(options.policy)
    return Gate(options, policy, tuple(load_vex(path) for path in options.vex))


def base_image_name(target: str) -> str:
    """The reference a base target names for policies ('' when the image itself must say):
    a registry or Docker daemon name, not a local archive or layout path."""
    kind, rest = split_prefix(target)
    if kind in ("registry", "docker"):
        return rest
    if not kind and not Path(target).exists():
        return target
    return ""


def open_base(target: str, options: SourceOptions) -> ImageMetadata:
    """The metadata of a base image target (manifest and config only: no layer is read)."""
    opened = open_target(target, options)
    try:
        return opened.metadata
    finally:
        opened.close()


def find_base(
    image: ImageMetadata, gate: Gate, dockerfile: Dockerfile | None = None
) -> BaseImage | None:
    """The image's base: from the known base image's layers, the Dockerfile or annotations."""
    from sievert.policy import detect_base

    target = gate.options.base
    known = open_base(target, gate.options.source) if target else None
    name = base_image_name(target) if target else ""
    return detect_base(image, dockerfile=dockerfile, known=known, known_name=name)


def policy_verdict(
    result: ScanResult, gate: Gate, dockerfile: Dockerfile | None = None
) -> PolicyVerdict:
    """The policy's verdict on a result (the result itself is not changed)."""
    from sievert.policy import evaluate

    if gate.policy is None:
        raise UsageError("a policy verdict needs --policy")
    opts = gate.options
    return evaluate(
        result,
        gate.policy,
        image_ref=opts.image_ref or None,
        vex=gate.vex,
        now=opts.now or date.today(),
        base=find_base(result.inventory.image, gate, dockerfile),
    )


def apply_gate(result: ScanResult, gate: Gate, dockerfile: Dockerfile | None = None) -> ScanResult:
    """The result with the policy's verdict set (suppressed findings moved into it), then only
    the findings the severity and fix filters keep."""
    opts = gate.options
    if gate.policy is not None:
        from sievert.policy import apply_policy

        base = find_base(result.inventory.image, gate, dockerfile)
        now = opts.now or date.today()
        result = apply_policy(
            result, gate.policy, gate.vex, now, base, image_ref=opts.image_ref or None
        )
    return filter_result(result, opts.severities, ignore_unfixed=opts.ignore_unfixed)


def filter_result(
    result: ScanResult, severities: Iterable[Severity] | None, *, ignore_unfixed: bool = False
) -> ScanResult:
    """Only the findings of the given severities (all when None) and, with `ignore_unfixed`,
    only the vulnerability findings whose fix state is 'fixed'."""
    wanted = None if severities is None else frozenset(severities)
    return replace(
        result,
        findings=tuple(
            f
            for f in result.findings
            if (wanted is None or f.severity in wanted)
            and not (ignore_unfixed and f.fix_state != FIXED)
        ),
        config_findings=tuple(
            f for f in result.config_findings if wanted is None or f.severity in wanted
        ),
        secret_findings=tuple(
            f for f in result.secret_findings if wanted is None or f.severity in wanted
        ),
    )


def exceeds(result: ScanResult, threshold: Severity) -> bool:
    """An active vulnerability, misconfiguration or secret finding at or above `threshold`."""
    severities = [f.severity for f in result.findings]
    severities += [f.severity for f in result.config_findings if not f.suppressed_by]
    severities += [f.severity for f in result.secret_findings]
    return any(s >= threshold for s in severities)


class Decision(msgspec.Struct, frozen=True):
    """Whether the run fails (exit 1) and the lines saying why (warn verdicts included)."""

    failed: bool
    reasons: tuple[str, ...] = ()


def decide(result: ScanResult, gate: Gate) -> Decision:
    """Fail on a stop verdict or when `--fail-on` is met; a warn verdict is said, not failed."""
    reasons: list[str] = []
    failed = False
    verdict = result.verdict
    if verdict is not None:
        from sievert.model.policy import STOP, WARN

        if verdict.action in (STOP, WARN):
            rules = ", ".join(r.rule_id for r in verdict.triggered if r.action == verdict.action)
            reasons.append(f"policy {verdict.policy}: {verdict.action} ({rules})")
            failed = verdict.action == STOP
    threshold = gate.options.fail_on
    if threshold is not None and exceeds(result, threshold):
        reasons.append(f"findings at or above {threshold} remain (--fail-on)")
        failed = True
    return Decision(failed, tuple(reasons))
