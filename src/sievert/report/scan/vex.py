"""CycloneDX 1.6 with VEX analysis (`scan --format cyclonedx-vex`).

The `cyclonedx-json` scan BOM, with each vulnerability's `analysis` filled from the policy
verdict. Findings of one id are split by their analysis, so one vulnerability entry never mixes
a suppressed package with an active one (the bom-ref of the second and later entries of an id
gets a `:N` suffix). The analysis of:

- a VEX `not_affected` suppression: state `not_affected`, the OpenVEX justification mapped to
  CycloneDX's (`component_not_present` and `vulnerable_code_not_present` -> `code_not_present`,
  `vulnerable_code_not_in_execute_path` -> `code_not_reachable`,
  `vulnerable_code_cannot_be_controlled_by_adversary` -> `requires_environment`,
  `inline_mitigations_already_exist` -> `protected_by_mitigating_control`; a CycloneDX word
  is kept as is), detail the statement's source and reason;
- a VEX `fixed` suppression: state `resolved`;
- an exception: state `exploitable`, response `will_not_fix` (the risk is accepted), detail
  naming the owner, ticket and expiry;
- an active finding when a verdict exists: state `in_triage`. Without a verdict no analysis is
  written (Sievert does not triage on its own).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

import msgspec

from sievert.model.finding import Finding, ScanResult
from sievert.model.policy import Suppression
from sievert.report.base import Stamp
from sievert.report.sbom.cyclonedx import BomContext, bom_document
from sievert.report.sbom.native import dump
from sievert.report.scan.cyclonedx import _RefFinder, add_db_warnings, vulnerability_entry
from sievert.report.verdict_view import Suppressions

CDX_JUSTIFICATIONS = (
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
)
OPENVEX_JUSTIFICATIONS = {
    "component_not_present": "code_not_present",
    "vulnerable_code_not_present": "code_not_present",
    "vulnerable_code_not_in_execute_path": "code_not_reachable",
    "vulnerable_code_cannot_be_controlled_by_adversary": "requires_environment",
    "inline_mitigations_already_exist": "protected_by_mitigating_control",
}
_DETAIL_LIMIT = 4000


def justification(reason: str) -> str:
    """The CycloneDX justification of a VEX reason ('' when the reason names none)."""
    word = reason.strip().split(":", 1)[0].strip().lower().replace("-", "_")
    if word in CDX_JUSTIFICATIONS:
        return word
    return OPENVEX_JUSTIFICATIONS.get(word, "")


def _detail(suppression: Suppression) -> str:
    parts = [suppression.source]
    parts += [f"{k} {v}" for k, v in (("owner", suppression.owner),
              ("ticket", suppression.ticket), ("expires", suppression.expires)) if v]  # fmt: skip
    head = ", ".join(parts)
    return (f"{head}: {suppression.reason}" if suppression.reason else head)[:_DETAIL_LIMIT]


def analysis(suppression: Suppression | None, has_verdict: bool) -> dict[str, Any] | None:
    """The `analysis` object of findings with this suppression (None: write none)."""
    if suppression is None:
        return {"state": "in_triage"} if has_verdict else None
    detail = _detail(suppression)
    status = suppression.status.strip().lower()
    if suppression.source.startswith("vex") and status == "fixed":
        return {"state": "resolved", "detail": detail}
    if suppression.source.startswith("vex"):
        result: dict[str, Any] = {"state": "not_affected"}
        word = justification(suppression.reason)
        if word:
            result["justification"] = word
        return {**result, "detail": detail}
    return {"state": "exploitable", "response": ["will_not_fix"], "detail": detail}


def vex_vulnerabilities(result: ScanResult, context: BomContext) -> list[dict[str, Any]]:
    """One entry per (id, analysis), in the order the result first lists them."""
    suppressions = Suppressions.of(result)
    has_verdict = result.verdict is not None
    groups: dict[tuple[str, str], tuple[dict[str, Any] | None, list[Finding]]] = {}
    for finding in result.findings:
        found = analysis(suppressions.vulnerability(finding), has_verdict)
        key = (finding.id, repr(sorted(found.items())) if found else "")
        groups.setdefault(key, (found, []))[1].append(finding)
    refs = _RefFinder(context)
    entries: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for (vuln_id, _), (found, group) in groups.items():
        entry = vulnerability_entry(group, refs)
        seen[vuln_id] = seen.get(vuln_id, 0) + 1
        if seen[vuln_id] > 1:
            entry["bom-ref"] = f"{entry['bom-ref']}:{seen[vuln_id]}"
        if found is not None:
            entry["analysis"] = found
        entries.append(entry)
    return entries


def vex_document(result: ScanResult, stamp: Stamp) -> dict[str, Any]:
    """The inventory BOM with vulnerabilities and their analysis."""
    document = bom_document(result.inventory, stamp)
    entries = vex_vulnerabilities(result, BomContext.of(result.inventory))
    if entries:
        document["vulnerabilities"] = entries
    add_db_warnings(document, result)
    return document


class CycloneDxVexWriter(msgspec.Struct, frozen=True):
    """Writes a CycloneDX 1.6 BOM whose vulnerabilities carry VEX analysis."""

    stamp: Callable[[], Stamp] = msgspec.field(default=Stamp.fresh)
    name: str = "cyclonedx-vex"
    media_type: str = "application/vnd.cyclonedx+json; version=1.6"

    def write(self, result: ScanResult, out: TextIO) -> None:
        """Write the BOM."""
        dump(vex_document(result, self.stamp()), out)
