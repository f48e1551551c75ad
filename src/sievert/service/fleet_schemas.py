"""Bodies of the runtime and host routes: the uploads are the documents that `sievert runtime
audit -f json` and `sievert host scan -f json` print (validated, bounded); the answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["critical", "high", "medium", "low", "negligible", "unknown"]
Risk = Literal["critical", "high", "medium", "low", "negligible", "unknown", "none"]
MAX_CONTAINERS = 5000
MAX_FINDINGS = 500
MAX_HOSTS = 1000
MAX_HOST_FINDINGS = 50_000
SeverityCounts = dict[Severity, int]


class _In(BaseModel):
    """Upload parts: unknown keys ignored (newer clients), known ones checked and bounded."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class ToolIn(_In):
    """The program that wrote the document."""

    name: str = Field(default="", max_length=100)
    version: str = Field(default="", max_length=50)


class RiskIn(_In):
    """A container's one risk."""

    severity: Risk
    reason: str = Field(default="", max_length=4000)


class RuntimeFindingIn(_In):
    """One SV-RT finding."""

    rule_id: str = Field(alias="ruleId", pattern=r"^SV-RT-[0-9]{3}$")
    severity: Severity
    title: str = Field(default="", max_length=500)
    message: str = Field(default="", max_length=4000)


class VerdictIn(_In):
    """The policy verdict the audit gave the container."""

    action: Literal["go", "warn", "stop"]


class ImageScanIn(_In):
    """The image's scan as the audit summarised it."""

    reference: str = Field(default="", max_length=1000)
    vulnerabilities: dict[Severity, int] = Field(default_factory=dict)
    error: str = Field(default="", max_length=4000)


class ContainerIn(_In):
    """One audited container."""

    id: str = Field(min_length=1, max_length=100)
    name: str = Field(default="", max_length=300)
    image: str = Field(default="", max_length=1000)
    image_id: str = Field(alias="imageId", default="", max_length=100)
    risk: RiskIn
    verdict: VerdictIn | None = None
    findings: list[RuntimeFindingIn] = Field(default_factory=list, max_length=MAX_FINDINGS)
    image_scan: ImageScanIn | None = Field(default=None, alias="imageScan")


class RuntimeAuditIn(_In):
    """`sievert runtime audit -f json` (schemaVersion 1)."""

    schema_version: Literal["1"] = Field(alias="schemaVersion")
    tool: ToolIn = Field(default_factory=ToolIn)
    engine: str = Field(default="", max_length=500)
    image_scan: bool = Field(default=True, alias="imageScan")
    containers: list[ContainerIn] = Field(max_length=MAX_CONTAINERS)


class KernelIn(_In):
    """The host's kernels."""

    running: str = Field(default="", max_length=200)
    running_packages: list[str] = Field(
        alias="runningPackages", default_factory=list, max_length=200
    )
    newest_installed: str = Field(alias="newestInstalled", default="", max_length=200)


class HostFindingIn(_In):
    """One vulnerability of a host."""

    id: str = Field(min_length=1, max_length=100)
    package: str = Field(max_length=500)
    version: str = Field(default="", max_length=200)
    type: str = Field(default="", max_length=50)
    severity: Severity
    fixed_versions: list[str] = Field(alias="fixedVersions", default_factory=list, max_length=50)
    kernel: bool = False
    container_escape: bool = Field(default=False, alias="containerEscape")
    container_escape_basis: Literal["", "data", "text"] = Field(
        default="", alias="containerEscapeBasis"
    )
    container_escape_evidence: list[str] = Field(
        alias="containerEscapeEvidence", default_factory=list, max_length=20
    )


class HostIn(_In):
    """One scanned (or unreachable) host."""

    name: str = Field(min_length=1, max_length=300)
    target: str = Field(default="", max_length=1000)
    error: str = Field(default="", max_length=4000)
    distro: str = Field(default="", max_length=100)
    packages: int = Field(default=0, ge=0)
    kernel: KernelIn = Field(default_factory=KernelIn)
    reboot_required: bool = Field(default=False, alias="rebootRequired")
    reboot_reasons: list[str] = Field(alias="rebootReasons", default_factory=list, max_length=20)
    vulnerabilities: dict[Severity, int] = Field(default_factory=dict)
    findings: list[HostFindingIn] = Field(default_factory=list, max_length=MAX_HOST_FINDINGS)
    notices: list[str] = Field(default_factory=list, max_length=1000)


class HostScanIn(_In):
    """`sievert host scan -f json` (schemaVersion 1)."""

    schema_version: Literal["1"] = Field(alias="schemaVersion")
    tool: ToolIn = Field(default_factory=ToolIn)
    hosts: list[HostIn] = Field(min_length=1, max_length=MAX_HOSTS)


class ContainerOut(BaseModel):
    """A stored container of a runtime audit."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    audit_id: int
    container_id: str
    name: str
    image_ref: str
    image_digest: str
    image_id: int | None
    """The stored image it runs (null: not known to the service)."""
    risk: str
    risk_reason: str
    rules: list[str]
    findings: list[dict[str, Any]]
    vulnerabilities: dict[str, int]
    image_error: str
    verdict: str


class RunningContainer(ContainerOut):
    """A container running an image, as the latest audit of its engine saw it."""

    engine: str
    audited_at: datetime


class RuntimeAuditOut(BaseModel):
    """A stored runtime audit."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    engine: str
    image_scan: bool
    container_count: int
    risk: dict[str, int]
    tool_version: str
    created_at: datetime


class RuntimeAuditDetail(RuntimeAuditOut):
    """A runtime audit with its containers (riskiest first)."""

    containers: list[ContainerOut]


class HostOut(BaseModel):
    """A stored host report (without its findings)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    target: str
    error: str
    distro: str
    kernel_running: str
    kernel_newest: str
    reboot_required: bool
    reboot_reasons: list[str]
    package_count: int
    vuln_count: int
    escape_count: int
    summary: dict[str, int]
    tool_version: str
    created_at: datetime


class HostDetail(HostOut):
    """A host report with its findings and notices."""

    running_kernel_packages: list[str]
    findings: list[dict[str, Any]]
    notices: list[str]
