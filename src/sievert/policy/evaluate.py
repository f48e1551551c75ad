"""The verdict: choose the policy for the image, suppress what exceptions and VEX cover, run
every rule over its subjects, and keep the strongest triggered action."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TypeVar

import msgspec
from msgspec.structs import replace

from sievert.errors import SievertError
from sievert.model.checks import CheckFinding, SecretFinding
from sievert.model.finding import Finding, ScanResult
from sievert.model.policy import ACTIONS, GO, PolicyVerdict, Suppression, TriggeredRule
from sievert.model.runtime import ContainerConfig
from sievert.policy.context import BaseImage, Context
from sievert.policy.document import (
    AllOf,
    Leaf,
    NotOf,
    Policy,
    PolicyDocument,
    PolicyException,
    Predicate,
    Rule,
)
from sievert.policy.exceptions import covers, expired_label, suppression
from sievert.policy.loader import leaves
from sievert.policy.refs import ref_of
from sievert.policy.vex import SUPPRESSING, VexDocument

T = TypeVar("T")
RuntimeSubject = tuple[ContainerConfig, tuple[CheckFinding, ...]]
"""A running container and its runtime findings (a runtime audit's subject)."""


class Outcome(msgspec.Struct, frozen=True):
    """A verdict and the findings that remain once suppressions are taken out."""

    verdict: PolicyVerdict
    findings: tuple[Finding, ...]
    config_findings: tuple[CheckFinding, ...]
    secret_findings: tuple[SecretFinding, ...]


def default_image_ref(result: ScanResult) -> str:
    """The reference mappings match: the first repo tag, else the reference scanned."""
    image = result.inventory.image
    return image.repo_tags[0] if image.repo_tags else image.reference


def choose_policy(document: PolicyDocument, image_ref: str, digest: str = "") -> tuple[Policy, str]:
    """The policy of the first mapping matching the image, else the default."""
    for mapping in document.mappings:
        if mapping.pattern.matches(image_ref, digest):
            return document.policy(mapping.policy), mapping.name
    if not document.default:
        raise SievertError(
            f"{document.path}: no mapping matches image {image_ref!r} and there is no default"
        )
    return document.policy(document.default), "default"


def holds(tree: Predicate, ctx: Context, subject: object) -> bool:
    """Whether a predicate tree holds for a subject."""
    if isinstance(tree, Leaf):
        return tree.test(ctx, subject)
    if isinstance(tree, NotOf):
        return not holds(tree.child, ctx, subject)
    if isinstance(tree, AllOf):
        return all(holds(child, ctx, subject) for child in tree.children)
    return any(holds(child, ctx, subject) for child in tree.children)


def evaluate(
    result: ScanResult,
    policy_doc: PolicyDocument,
    *,
    image_ref: str | None = None,
    vex: Sequence[VexDocument] = (),
    now: dt.date,
    base: BaseImage | None = None,
) -> PolicyVerdict:
    """The policy verdict on a scan result (the result itself is not changed)."""
    return run(result, policy_doc, image_ref=image_ref, vex=vex, now=now, base=base).verdict


def apply_policy(
    result: ScanResult,
    document: PolicyDocument,
    vex_docs: Sequence[VexDocument],
    now: dt.date,
    base: BaseImage | None = None,
    *,
    image_ref: str | None = None,
    container: RuntimeSubject | None = None,
) -> ScanResult:
    """The result with `verdict` set and suppressed findings removed (listed in the verdict)."""
    outcome = run(
        result, document, image_ref=image_ref, vex=vex_docs, now=now, base=base, container=container
    )
    return replace(
        result,
        findings=outcome.findings,
        config_findings=outcome.config_findings,
        secret_findings=outcome.secret_findings,
        verdict=outcome.verdict,
    )


def run(
    result: ScanResult,
    document: PolicyDocument,
    *,
    image_ref: str | None,
    vex: Sequence[VexDocument],
    now: dt.date,
    base: BaseImage | None,
    container: RuntimeSubject | None = None,
) -> Outcome:
    """Evaluate and also return the findings that stay (with a container and its runtime
    findings in a runtime audit)."""
    ref = image_ref or default_image_ref(result)
    policy, mapping = choose_policy(document, ref, result.inventory.image.manifest_digest)
    running, runtime = container if container is not None else (None, ())
    ctx = Context(result, now, ref, base, running, runtime)
    exceptions = (*document.exceptions, *policy.exceptions)
    active = tuple(e for e in exceptions if not e.expired(now))
    suppressed: list[Suppression] = []
    findings = tuple(_keep(ctx, result.findings, active, vex, suppressed))
    configs = tuple(_keep(ctx, result.config_findings, active, (), suppressed))
    secrets = tuple(_keep(ctx, result.secret_findings, active, (), suppressed))
    kept = replace(result, findings=findings, config_findings=configs, secret_findings=secrets)
    ctx = Context(kept, now, ref, base, running, runtime)
    triggered = []
    for rule in policy.rules:
        hit = _run_rule(rule, ctx, active, suppressed)
        if hit is not None:
            triggered.append(hit)
    verdict = PolicyVerdict(
        policy=policy.id,
        action=max((t.action for t in triggered), key=ACTIONS.index, default=GO),
        triggered=tuple(triggered),
        suppressed=tuple(suppressed),
        expired_exceptions=tuple(expired_label(e) for e in exceptions if e.expired(now)),
        mapping=mapping,
        base_image=base.reference if base else "",
        base_layers=max(base.layers, 0) if base else 0,
    )
    return Outcome(verdict, findings, configs, secrets)


def _keep(
    ctx: Context,
    items: Sequence[T],
    exceptions: tuple[PolicyException, ...],
    vex: Sequence[VexDocument],
    suppressed: list[Suppression],
) -> list[T]:
    """The items no exception (without a policy rule) or VEX statement suppresses."""
    kept = []
    for item in items:
        record = _finding_suppression(ctx, item, exceptions, vex)
        if record is None:
            kept.append(item)
        else:
            suppressed.append(record)
    return kept


def _finding_suppression(
    ctx: Context,
    item: object,
    exceptions: tuple[PolicyException, ...],
    vex: Sequence[VexDocument],
) -> Suppression | None:
    for exc in exceptions:
        if covers(exc, ctx, item):
            return suppression(exc, ref_of(item))
    if not isinstance(item, Finding):
        return None
    decided = [(doc, s) for doc in vex if (s := doc.decide(item)) is not None]
    if not decided:
        return None
    doc, statement = decided[-1]
    if statement.status not in SUPPRESSING:
        return None
    return Suppression(
        finding=ref_of(item),
        source=f"vex:{doc.path}",
        reason=statement.reason or statement.status,
        status=statement.status,
    )


def _subjects(rule: Rule, ctx: Context) -> Sequence[object]:
    result = ctx.result
    if rule.scope == "vulnerability":
        return result.findings
    if rule.scope == "package":
        return tuple(dict.fromkeys(result.inventory.packages))
    if rule.scope == "config":
        return result.config_findings
    if rule.scope == "secret":
        return result.secret_findings
    if rule.scope == "runtime":
        return ctx.runtime
    return (None,)


def _run_rule(
    rule: Rule,
    ctx: Context,
    exceptions: tuple[PolicyException, ...],
    suppressed: list[Suppression],
) -> TriggeredRule | None:
    refs = []
    # findings were already filtered by the exceptions naming no policy rule
    candidates = [e for e in exceptions if e.rule or rule.scope in ("package", "image")]
    for subject in _subjects(rule, ctx):
        if not holds(rule.when, ctx, subject):
            continue
        ref = ref_of(subject, _image_summary(rule, ctx) if subject is None else "")
        exc = next((e for e in candidates if covers(e, ctx, subject, rule.id)), None)
        if exc is not None:
            suppressed.append(suppression(exc, ref))
        else:
            refs.append(ref)
    if not refs:
        return None
    return TriggeredRule(rule.id, rule.action, rule.description, tuple(refs))


def _image_summary(rule: Rule, ctx: Context) -> str:
    details = [leaf.detail(ctx) for leaf in leaves(rule.when) if leaf.detail]
    return "; ".join(d for d in details if d) or rule.description or rule.id
