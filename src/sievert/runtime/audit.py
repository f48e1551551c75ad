"""`sievert runtime audit`: every running container checked against the SV-RT rules, linked to
its image's scan (through the engine, a `docker:` target), with one risk per container.

Risk: the higher of the worst runtime finding and the worst image vulnerability; raised to
critical when the container can reach the host (privileged, added capabilities, host PID or
network namespace, a sensitive mount or the engine socket) and its image has a high or critical
vulnerability, since a compromise of the application is then a compromise of the host.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import msgspec
from msgspec.structs import replace

from sievert.errors import SievertError
from sievert.model.checks import CheckFinding
from sievert.model.finding import ScanResult
from sievert.model.runtime import ContainerAudit, ContainerConfig, ContainerRisk, RuntimeAudit
from sievert.model.severity import Severity
from sievert.pipeline import InventoryOptions, ScanOptions, scan
from sievert.runtime.engine import ContainerEngine
from sievert.runtime.rules import RUNTIME_RULES, RuntimeRule, check_container

ESCAPE_RULES = frozenset(
    {"SV-RT-001", "SV-RT-002", "SV-RT-003", "SV-RT-004", "SV-RT-007", "SV-RT-008"}
)
"""Findings that let a compromised container reach the host."""
NO_RISK = "none"


class AuditOptions(msgspec.Struct, frozen=True):
    """How to audit: whether and how the containers' images are scanned."""

    scan_images: bool = True
    db_path: Path | None = None
    inventory: InventoryOptions = msgspec.field(default_factory=InventoryOptions)
    timeout: float = 30.0
    rules: tuple[RuntimeRule, ...] = RUNTIME_RULES


ImageScanner = Callable[[str], ScanResult]


def audit(options: AuditOptions | None = None) -> RuntimeAudit:
    """Audit every running container of the local engine (images scanned with one open DB)."""
    from sievert import vulndb

    opts = options or AuditOptions()
    with ContainerEngine(opts.timeout) as engine:
        containers = list(engine.running())
        where = engine.where
    if not opts.scan_images:
        return audit_containers(containers, where, None, opts.rules)
    with vulndb.open(opts.db_path) as db:  # fails fast, before any image is read, without a DB
        scan_options = ScanOptions(inventory=opts.inventory, db_path=opts.db_path)

        def scanner(image: str) -> ScanResult:
            return scan(f"docker:{image}", scan_options, db)

        return audit_containers(containers, where, scanner, opts.rules)


def audit_containers(
    containers: Iterable[ContainerConfig],
    where: str,
    scanner: ImageScanner | None,
    rules: tuple[RuntimeRule, ...] = RUNTIME_RULES,
) -> RuntimeAudit:
    """Check the containers; scan each distinct image once with `scanner` (None: no image scan)."""
    scans: dict[str, ScanResult | str] = {}
    audits = []
    for container in containers:
        findings = check_container(container, rules)
        image: ScanResult | None = None
        error = ""
        if scanner is not None:
            key = container.image_id or container.image
            if key not in scans:
                scans[key] = _scan_one(scanner, key)
            outcome = scans[key]
            image, error = (outcome, "") if isinstance(outcome, ScanResult) else (None, outcome)
        audits.append(
            ContainerAudit(container, findings, container_risk(findings, image), image, error)
        )
    return RuntimeAudit(where, tuple(audits), image_scan=scanner is not None)


def _scan_one(scanner: ImageScanner, image: str) -> ScanResult | str:
    """The image's scan, or the one-line reason it failed (the audit goes on)."""
    try:
        return scanner(image)
    except SievertError as exc:
        return str(exc)


def rank(severity: str) -> int:
    """'none' -1, then the Severity order (unknown 0 ... critical 5)."""
    return -1 if severity == NO_RISK else Severity.parse(severity).rank


def container_risk(findings: tuple[CheckFinding, ...], image: ScanResult | None) -> ContainerRisk:
    """The container's one risk (see the module docstring)."""
    runtime_worst = max((f.severity for f in findings), key=rank, default=NO_RISK)
    vulns = image.findings if image is not None else ()
    vuln_worst = max((f.severity for f in vulns), key=rank, default=NO_RISK)
    escapes = sorted({f.rule.id for f in findings if f.rule.id in ESCAPE_RULES})
    if escapes and rank(vuln_worst) >= rank("high"):
        count = sum(1 for f in vulns if rank(f.severity) >= rank("high"))
        return ContainerRisk(
            "critical",
            f"{count} high or critical vulnerabilities in an image run with host access "
            f"({', '.join(escapes)})",
        )
    if rank(runtime_worst) >= rank(vuln_worst):
        if runtime_worst == NO_RISK:
            return ContainerRisk(NO_RISK, "no runtime finding and no vulnerability")
        worst = [f.rule.id for f in findings if f.severity == runtime_worst]
        return ContainerRisk(runtime_worst, f"runtime: {', '.join(dict.fromkeys(worst))}")
    worst_ids = [f.id for f in vulns if f.severity == vuln_worst]
    shown = ", ".join(list(dict.fromkeys(worst_ids))[:3])
    more = len(set(worst_ids)) - 3
    return ContainerRisk(vuln_worst, f"image: {shown}" + (f" and {more} more" if more > 0 else ""))


def with_findings(audit_result: RuntimeAudit, keep: Callable[[CheckFinding], bool]) -> RuntimeAudit:
    """The audit with only the runtime findings `keep` accepts (risk recomputed)."""
    containers = []
    for entry in audit_result.containers:
        findings = tuple(f for f in entry.findings if keep(f))
        risk = container_risk(findings, entry.image)
        containers.append(replace(entry, findings=findings, risk=risk))
    return replace(audit_result, containers=tuple(containers))
