"""Findings: a vulnerability matched to a package, with the evidence of how it matched."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:  # annotations only: a scan without checks, policy or advice builds none of them
    from sievert.model.advice import BaseAdvice
    from sievert.model.checks import CheckFinding, LayerSource, SecretFinding
    from sievert.model.inventory import Inventory, Notice
    from sievert.model.package import Package
    from sievert.model.policy import PolicyVerdict
    from sievert.model.severity import Severity
    from sievert.model.vuln import Affected, Vulnerability


class MatchEvidence(msgspec.Struct, frozen=True):
    """Why a package matched: the record and the range, and how the names lined up."""

    source: str
    """Feed of the statement: 'debian-tracker', 'alpine-secdb', 'osv'."""
    record_id: str
    namespace: str
    matched_by: str
    """'source-package' (distro data keyed by source name), 'package' (direct name), 'binary'."""
    matched_name: str
    constraint: str
    """Human-readable range that matched, e.g. '< 1.5.2-6+deb12u3' or 'introduced 0, fixed 4.1'."""
    confidence: str = "high"


class Finding(msgspec.Struct, frozen=True):
    """One vulnerability affecting one package (aliases merged)."""

    vulnerability: Vulnerability
    package: Package
    affected: Affected
    evidence: MatchEvidence
    severity: Severity
    """Final severity: vendor rating first, then CVSS."""
    severity_source: str
    fix_state: str
    fixed_versions: tuple[str, ...] = ()
    risk: float = 0.0
    """Documented risk score (see sievert.match.risk) used for sorting."""

    @property
    def id(self) -> str:
        """The displayed id (CVE when known)."""
        return self.vulnerability.id


class ScanResult(msgspec.Struct, frozen=True):
    """An inventory and the findings matched against it."""

    inventory: Inventory
    findings: tuple[Finding, ...]
    db_built: str = ""
    db_sources: tuple[tuple[str, str], ...] = ()
    notices: tuple[Notice, ...] = ()
    config_findings: tuple[CheckFinding, ...] = ()
    """Misconfigurations of the image (metadata, files) and of its Dockerfile when given."""
    secret_findings: tuple[SecretFinding, ...] = ()
    scanners: tuple[str, ...] = ("vuln",)
    """Which scanners ran: 'vuln', 'config', 'secret'."""
    verdict: PolicyVerdict | None = None
    """The policy verdict when `--policy` was given."""
    layer_sources: tuple[LayerSource, ...] = ()
    """Layer -> Dockerfile instruction, when `--dockerfile` was given."""
    base_advice: BaseAdvice | None = None
    """Which newer tag of the base image to switch to, when `--base-advice` was given."""

    def layer_source(self, layer_index: int) -> LayerSource | None:
        """The Dockerfile instruction that made a layer, when known."""
        return next((s for s in self.layer_sources if s.layer_index == layer_index), None)
