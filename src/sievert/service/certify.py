"""Policies applied to stored images: the attached policy, its evaluation, the certification."""

from __future__ import annotations

import hashlib
from fnmatch import fnmatchcase
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sievert.errors import SievertError
from sievert.model.finding import ScanResult
from sievert.pipeline import Gate, GateOptions, apply_gate
from sievert.policy import parse_policy
from sievert.policy.result_input import load_scan_result
from sievert.service.models import Certification, Image, ImageReport, Policy, PolicyAttachment

MAX_REASON_FINDINGS = 50
"""Findings listed per triggered rule in a stored certification (the count is always kept)."""


def policy_digest(text: str) -> str:
    """The content address of a policy's text."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def latest_policy(session: Session, name: str) -> Policy | None:
    """The newest version of a named policy."""
    return session.scalar(
        select(Policy).where(Policy.name == name).order_by(Policy.version.desc()).limit(1)
    )


def store_policy(session: Session, name: str, text: str) -> tuple[Policy, bool]:
    """Validate and store a new version (unchanged text keeps the latest); (row, created)."""
    parse_policy(text, name)  # SievertError (ParseError) when invalid
    digest = policy_digest(text)
    latest = latest_policy(session, name)
    if latest is not None and latest.digest == digest:
        return latest, False
    version = (latest.version + 1) if latest is not None else 1
    row = Policy(name=name, version=version, digest=digest, text=text)
    session.add(row)
    session.flush()
    return row, True


def attached_policy(session: Session, reference: str) -> Policy | None:
    """The latest version of the policy attached by the most specific matching pattern."""
    rows = session.scalars(select(PolicyAttachment).order_by(PolicyAttachment.id.desc())).all()
    matching = [a for a in rows if fnmatchcase(reference, a.pattern)]
    if not matching:
        return None
    best = max(matching, key=lambda a: len(a.pattern.replace("*", "").replace("?", "")))
    return latest_policy(session, best.policy_name)


def stored_result(session: Session, image: Image) -> ScanResult | None:
    """The image's last analysis, rebuilt from its stored JSON report."""
    report = session.get(ImageReport, image.id)
    return load_scan_result(report.document) if report is not None else None


def certify(session: Session, image: Image, result: ScanResult, policy: Policy) -> Certification:
    """Evaluate a policy on a result and store the certification (an error is a verdict too)."""
    try:
        document = parse_policy(policy.text, f"{policy.name} v{policy.version}")
        gate = Gate(GateOptions(image_ref=image.reference), policy=document)
        judged = apply_gate(result, gate)
        verdict = judged.verdict
        action = verdict.action if verdict is not None else "go"
        reasons = _reasons(judged)
    except SievertError as exc:
        action, reasons = "error", [{"rule_id": "", "action": "error", "description": str(exc)}]
    row = Certification(
        image_id=image.id,
        image_digest=image.manifest_digest or image.config_digest,
        policy_name=policy.name,
        policy_version=policy.version,
        policy_digest=policy.digest,
        db_built=result.db_built,
        verdict=action,
        reasons=reasons,
    )
    session.add(row)
    session.flush()
    return row


def _reasons(result: ScanResult) -> list[dict[str, Any]]:
    verdict = result.verdict
    if verdict is None:
        return []
    return [
        {
            "rule_id": t.rule_id,
            "action": t.action,
            "description": t.description,
            "count": len(t.findings),
            "findings": [f.summary or f.key for f in t.findings[:MAX_REASON_FINDINGS]],
        }
        for t in verdict.triggered
    ]


def certify_after_analysis(session: Session, image: Image, result: ScanResult) -> None:
    """After an analysis: evaluate the attached policy, if any."""
    policy = attached_policy(session, image.reference)
    if policy is not None:
        certify(session, image, result, policy)
