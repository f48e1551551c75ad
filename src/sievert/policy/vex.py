"""VEX documents (OpenVEX, CycloneDX VEX, CSAF 2.0 VEX) reduced to statements about purls.

`not_affected` and `fixed` statements suppress the findings they name; `affected` and
`under_investigation` do not. When several statements match a finding, the latest (by
timestamp, then by position in the document) decides.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec

from sievert.errors import ParseError
from sievert.limits import jsonload
from sievert.model.finding import Finding
from sievert.policy.purls import purl_matches

NOT_AFFECTED = "not_affected"
FIXED = "fixed"
AFFECTED = "affected"
UNDER_INVESTIGATION = "under_investigation"
SUPPRESSING = (NOT_AFFECTED, FIXED)

CYCLONEDX_STATES = {
    "not_affected": NOT_AFFECTED,
    "false_positive": NOT_AFFECTED,
    "resolved": FIXED,
    "resolved_with_pedigree": FIXED,
    "exploitable": AFFECTED,
    "in_triage": UNDER_INVESTIGATION,
}
CSAF_STATUSES = {
    "known_not_affected": NOT_AFFECTED,
    "fixed": FIXED,
    "first_fixed": FIXED,
    "known_affected": AFFECTED,
    "first_affected": AFFECTED,
    "last_affected": AFFECTED,
    "under_investigation": UNDER_INVESTIGATION,
}


class VexStatement(msgspec.Struct, frozen=True):
    """One statement: these vulnerability ids have this status in these products."""

    ids: tuple[str, ...]
    """The vulnerability id first, then its aliases."""
    products: tuple[str, ...]
    """Package URLs the statement is about."""
    status: str
    justification: str = ""
    detail: str = ""
    timestamp: str = ""
    order: int = 0

    def applies(self, finding: Finding) -> bool:
        """Whether it names the finding's vulnerability (or an alias) and its package."""
        vuln = finding.vulnerability
        wanted = {i.upper() for i in (vuln.id, *vuln.aliases)}
        if not wanted & {i.upper() for i in self.ids}:
            return False
        return any(purl_matches(p, finding.package.purl) for p in self.products)

    @property
    def reason(self) -> str:
        """Justification and detail as one line."""
        return ": ".join(part for part in (self.justification, self.detail) if part)


class VexDocument(msgspec.Struct, frozen=True):
    """A VEX file's statements."""

    path: str
    format: str
    """'openvex', 'cyclonedx' or 'csaf'."""
    statements: tuple[VexStatement, ...]

    def decide(self, finding: Finding) -> VexStatement | None:
        """The statement deciding a finding's status here (latest wins), or None."""
        hits = [s for s in self.statements if s.applies(finding)]
        return max(hits, key=lambda s: (s.timestamp, s.order), default=None)


def load_vex(path: str | Path) -> VexDocument:
    """Read a VEX file of any supported format; ParseError naming the file otherwise."""
    name = str(path)
    try:
        data = jsonload.load_file(path, name)
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"{name}: cannot read VEX: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"{name}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    return parse_vex(data, name)


def parse_vex(data: Any, name: str) -> VexDocument:
    """The statements of an OpenVEX, CycloneDX or CSAF document already decoded from JSON."""
    if not isinstance(data, dict):
        raise ParseError(f"{name}: a VEX document is a JSON object")
    try:
        if "statements" in data and "openvex" in str(data.get("@context", "")):
            return VexDocument(name, "openvex", tuple(_openvex(data)))
        if data.get("bomFormat") == "CycloneDX":
            return VexDocument(name, "cyclonedx", tuple(_cyclonedx(data)))
        if isinstance(data.get("document"), dict) and "csaf_version" in data["document"]:
            return VexDocument(name, "csaf", tuple(_csaf(data)))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ParseError(f"{name}: malformed VEX document: {exc!r}") from None
    raise ParseError(f"{name}: not an OpenVEX, CycloneDX or CSAF document")


def _openvex(data: dict[str, Any]) -> Iterator[VexStatement]:
    default_time = str(data.get("timestamp", ""))
    for order, item in enumerate(data["statements"]):
        vuln = item["vulnerability"]
        if isinstance(vuln, dict):
            ids = (vuln.get("name") or vuln["@id"], *vuln.get("aliases", ()))
        else:
            ids = (str(vuln),)
        yield VexStatement(
            ids=tuple(str(i) for i in ids),
            products=tuple(_openvex_products(item)),
            status=_status(
                str(item["status"]), (NOT_AFFECTED, FIXED, AFFECTED, UNDER_INVESTIGATION)
            ),
            justification=str(item.get("justification", "")),
            detail=str(item.get("impact_statement") or item.get("status_notes") or ""),
            timestamp=str(item.get("timestamp") or default_time),
            order=order,
        )


def _openvex_products(item: dict[str, Any]) -> Iterator[str]:
    for product in item.get("products", ()):
        yield from _openvex_ids(product)
        if isinstance(product, dict):
            for sub in product.get("subcomponents", ()):
                yield from _openvex_ids(sub)
    for sub in item.get("subcomponents", ()):
        yield from _openvex_ids(sub)


def _openvex_ids(component: Any) -> Iterator[str]:
    if isinstance(component, str):
        yield component
        return
    if component.get("@id"):
        yield str(component["@id"])
    purl = (component.get("identifiers") or {}).get("purl")
    if purl:
        yield str(purl)


def _status(word: str, allowed: tuple[str, ...]) -> str:
    if word not in allowed:
        raise ValueError(f"unknown status {word!r}")
    return word


def _cyclonedx(data: dict[str, Any]) -> Iterator[VexStatement]:
    refs = dict(_bom_refs(data.get("components", ())))
    if isinstance(data.get("metadata"), dict) and data["metadata"].get("component"):
        refs.update(_bom_refs([data["metadata"]["component"]]))
    for order, vuln in enumerate(data.get("vulnerabilities", ())):
        analysis = vuln.get("analysis") or {}
        state = analysis.get("state")
        if not state:
            continue
        aliases = [r["id"] for r in vuln.get("references", ()) if r.get("id")]
        products = [refs.get(_local_ref(a["ref"]), a["ref"]) for a in vuln.get("affects", ())]
        yield VexStatement(
            ids=(str(vuln["id"]), *aliases),
            products=tuple(str(p) for p in products),
            status=CYCLONEDX_STATES[str(state)],
            justification=str(analysis.get("justification", "")),
            detail=str(analysis.get("detail", "")),
            timestamp=str(analysis.get("lastUpdated") or vuln.get("updated") or ""),
            order=order,
        )


def _local_ref(ref: str) -> str:
    """The bom-ref part of a BOM-Link ('urn:cdx:serial/1#ref' -> 'ref')."""
    return ref.partition("#")[2] if ref.startswith("urn:cdx:") else ref


def _bom_refs(components: Any) -> Iterator[tuple[str, str]]:
    for component in components:
        if component.get("bom-ref") and component.get("purl"):
            yield str(component["bom-ref"]), str(component["purl"])
        yield from _bom_refs(component.get("components", ()))


def _csaf(data: dict[str, Any]) -> Iterator[VexStatement]:
    purls = _csaf_products(data.get("product_tree") or {})
    order = 0
    for vuln in data.get("vulnerabilities", ()):
        ids = [vuln["cve"]] if vuln.get("cve") else []
        ids += [i["text"] for i in vuln.get("ids", ()) if i.get("text")]
        if not ids:
            continue
        reasons = _csaf_reasons(vuln)
        for key, status in CSAF_STATUSES.items():
            for product_id in (vuln.get("product_status") or {}).get(key, ()):
                justification, detail = reasons.get(product_id, ("", ""))
                order += 1
                yield VexStatement(
                    ids=tuple(str(i) for i in ids),
                    products=purls.get(product_id, ()),
                    status=status,
                    justification=justification,
                    detail=detail,
                    order=order,
                )


def _csaf_reasons(vuln: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """product id -> (flag label, impact threat details)."""
    reasons: dict[str, tuple[str, str]] = {}
    for flag in vuln.get("flags", ()):
        for pid in flag.get("product_ids", ()):
            reasons[pid] = (str(flag.get("label", "")), reasons.get(pid, ("", ""))[1])
    for threat in vuln.get("threats", ()):
        if threat.get("category") != "impact":
            continue
        for pid in threat.get("product_ids", ()):
            reasons[pid] = (reasons.get(pid, ("", ""))[0], str(threat.get("details", "")))
    return reasons


def _csaf_products(tree: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """product id -> purls, from branches, full product names and relationships."""
    found: dict[str, tuple[str, ...]] = {}
    for product in _csaf_named(tree):
        helper = product.get("product_identification_helper") or {}
        ids = [helper["purl"]] if helper.get("purl") else list(helper.get("purls", ()))
        found[str(product["product_id"])] = tuple(str(p) for p in ids)
    for relation in tree.get("relationships", ()):
        component = found.get(str(relation["product_reference"]), ())
        found[str(relation["full_product_name"]["product_id"])] = component
    return found


def _csaf_named(tree: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from tree.get("full_product_names", ())
    stack = list(tree.get("branches", ()))
    while stack:
        branch = stack.pop()
        if branch.get("product"):
            yield branch["product"]
        stack.extend(branch.get("branches", ()))
