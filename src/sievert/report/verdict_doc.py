"""The verdict as plain JSON-ready dicts (`policy eval -f json`, scan reports)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sievert.model.policy import FindingRef, PolicyVerdict


def _ref(ref: FindingRef) -> dict[str, str]:
    return {"kind": ref.kind, "key": ref.key, "summary": ref.summary}


def verdict_document(verdict: PolicyVerdict) -> dict[str, Any]:
    """The verdict: policy, action, mapping, base image, triggered, suppressed, expired."""
    return {
        "policy": verdict.policy,
        "action": verdict.action,
        "mapping": verdict.mapping,
        "baseImage": verdict.base_image,
        "baseLayers": verdict.base_layers,
        "triggered": [
            {
                "ruleId": t.rule_id,
                "action": t.action,
                "description": t.description,
                "findings": [_ref(f) for f in t.findings],
            }
            for t in verdict.triggered
        ],
        "suppressed": [
            {
                "finding": _ref(s.finding),
                "source": s.source,
                "reason": s.reason,
                "owner": s.owner,
                "ticket": s.ticket,
                "expires": s.expires,
                "status": s.status,
            }
            for s in verdict.suppressed
        ],
        "expiredExceptions": list(verdict.expired_exceptions),
    }


def verdict_lines(verdict: PolicyVerdict, show_suppressed: bool = False) -> list[str]:
    """The verdict as text lines for a terminal."""
    lines = [f"policy {verdict.policy} ({verdict.mapping}): {verdict.action.upper()}"]
    if verdict.base_image:
        lines.append(f"base image: {verdict.base_image} ({verdict.base_layers} layers)")
    for rule in verdict.triggered:
        count = len(rule.findings)
        lines.append(f"[{rule.action.upper()}] {rule.rule_id}: {rule.description} ({count})")
        lines += [f"    {ref.summary or ref.key}" for ref in rule.findings]
    for label in verdict.expired_exceptions:
        lines.append(f"expired exception: {label}")
    if verdict.suppressed and show_suppressed:
        lines.append(f"suppressed ({len(verdict.suppressed)}):")
        for item in verdict.suppressed:
            why = item.status or item.reason
            owner = f", owner {item.owner}" if item.owner else ""
            lines.append(
                f"    {item.finding.summary or item.finding.key} [{item.source}: {why}{owner}]"
            )
    elif verdict.suppressed:
        lines.append(f"{len(verdict.suppressed)} suppressed (--show-suppressed lists them)")
    return lines
