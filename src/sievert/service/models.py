"""The service's tables (SQLAlchemy 2): the same schema on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    """Now, timezone-aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every service table."""


STATUSES = ("queued", "analysing", "analysed", "failed")


class ApiToken(Base):
    """An API token: its public id, role and argon2 hash of the whole token."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    secret_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class Registry(Base):
    """Credentials for one registry host, the password encrypted (never returned)."""

    __tablename__ = "registries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(255), unique=True)
    username: Mapped[str] = mapped_column(String(255), default="")
    secret: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    insecure: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Image(Base):
    """One image submitted for analysis, its status and summary."""

    __tablename__ = "images"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(20))
    """'registry', 'archive' or 'sbom'."""
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    manifest_digest: Mapped[str] = mapped_column(String(100), default="", index=True)
    config_digest: Mapped[str] = mapped_column(String(100), default="")
    distro: Mapped[str] = mapped_column(String(100), default="")
    platform: Mapped[str] = mapped_column(String(50), default="linux/amd64")
    package_count: Mapped[int] = mapped_column(Integer, default=0)
    vuln_count: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    db_built: Mapped[str] = mapped_column(String(50), default="")
    db_identity: Mapped[str] = mapped_column(String(200), default="")
    """The vulnerability DB the findings were last matched with (`dbidentity.db_identity`):
    an analysed image marked with another than the current one is matched again."""
    upload_path: Mapped[str] = mapped_column(Text, default="")
    pull_auth: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    """An Authorization header value for the pull (Harbor's), encrypted; cleared after use."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    analysed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ImageLayer(Base):
    """A layer of an analysed image with the history line that made it."""

    __tablename__ = "image_layers"
    __table_args__ = (UniqueConstraint("image_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(100), default="")
    diff_id: Mapped[str] = mapped_column(String(100), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    created_by: Mapped[str] = mapped_column(Text, default="")


class ImagePackage(Base):
    """A package found in an image."""

    __tablename__ = "image_packages"
    __table_args__ = (
        Index("ix_image_packages_name_version", "name", "version"),
        Index("ix_image_packages_image", "image_id", "position"),
        Index("ix_image_packages_name_image", "name", "image_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(500))
    version: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(50))
    purl: Mapped[str] = mapped_column(Text, default="")
    introduced_by: Mapped[int] = mapped_column(Integer, default=-1)
    files: Mapped[list[str]] = mapped_column(JSON, default=list)


class ImageVuln(Base):
    """A vulnerability finding of an image."""

    __tablename__ = "image_vulns"
    __table_args__ = (
        Index("ix_image_vulns_image", "image_id", "position"),
        Index("ix_image_vulns_vuln_image", "vuln_id", "image_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    vuln_id: Mapped[str] = mapped_column(String(100), index=True)
    severity: Mapped[str] = mapped_column(String(20))
    fix_state: Mapped[str] = mapped_column(String(30), default="")
    fixed_versions: Mapped[list[str]] = mapped_column(JSON, default=list)
    package_name: Mapped[str] = mapped_column(String(500))
    package_version: Mapped[str] = mapped_column(String(200))
    package_type: Mapped[str] = mapped_column(String(50))
    purl: Mapped[str] = mapped_column(Text, default="")
    epss: Mapped[float | None] = mapped_column(Float, nullable=True)
    kev: Mapped[bool] = mapped_column(Boolean, default=False)
    layer_index: Mapped[int] = mapped_column(Integer, default=-1)
    risk: Mapped[float] = mapped_column(Float, default=0.0)
    cvss_score: Mapped[float | None] = mapped_column(Float, nullable=True)
    """Base score of the preferred CVSS (the newest version, then the highest score)."""
    cvss_vector: Mapped[str] = mapped_column(String(200), default="")


class ImageCheck(Base):
    """A misconfiguration ('config') or secret ('secret') finding of an image."""

    __tablename__ = "image_checks"
    __table_args__ = (Index("ix_image_checks_image", "image_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    rule_id: Mapped[str] = mapped_column(String(100))
    severity: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    path: Mapped[str] = mapped_column(Text, default="")
    line: Mapped[int] = mapped_column(Integer, default=0)
    layer_index: Mapped[int] = mapped_column(Integer, default=-1)


class ImageReport(Base):
    """The whole JSON scan document of an image's last analysis (Sievert's `scan -f json`)."""

    __tablename__ = "image_reports"
    image_id: Mapped[int] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), primary_key=True
    )
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class Policy(Base):
    """One version of a named policy (the YAML policy language), content-addressed."""

    __tablename__ = "policies"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    digest: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PolicyAttachment(Base):
    """A policy applied to images whose reference matches a pattern."""

    __tablename__ = "policy_attachments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pattern: Mapped[str] = mapped_column(String(500))
    policy_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Certification(Base):
    """One stored policy evaluation of an image."""

    __tablename__ = "certifications"
    __table_args__ = (Index("ix_certifications_image", "image_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    image_digest: Mapped[str] = mapped_column(String(100), default="")
    policy_name: Mapped[str] = mapped_column(String(200))
    policy_version: Mapped[int] = mapped_column(Integer)
    policy_digest: Mapped[str] = mapped_column(String(100))
    db_built: Mapped[str] = mapped_column(String(50), default="")
    verdict: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HarborScan(Base):
    """A scan request Harbor made, and the image analysed for it."""

    __tablename__ = "harbor_scans"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    artifact: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LayerAnalysis(Base):
    """A layer's analysis shared by the fleet, keyed by diff_id and the analyzers' version."""

    __tablename__ = "layer_analyses"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ImageDiff(Base):
    """How an image's findings changed when it was matched again against a newer DB."""

    __tablename__ = "image_diffs"
    __table_args__ = (Index("ix_image_diffs_image", "image_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[int] = mapped_column(ForeignKey("images.id", ondelete="CASCADE"))
    db_built_before: Mapped[str] = mapped_column(String(50), default="")
    db_built_after: Mapped[str] = mapped_column(String(50), default="")
    added: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    removed: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    changed: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    verdict_before: Mapped[str] = mapped_column(String(10), default="")
    verdict_after: Mapped[str] = mapped_column(String(10), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Subscription(Base):
    """A webhook for an event on images whose reference matches a pattern."""

    __tablename__ = "subscriptions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event: Mapped[str] = mapped_column(String(30))
    pattern: Mapped[str] = mapped_column(String(500), default="*")
    url: Mapped[str] = mapped_column(Text)
    secret: Mapped[bytes] = mapped_column(LargeBinary, default=b"")
    """The HMAC key, encrypted (never returned)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Delivery(Base):
    """One webhook delivery and its attempts: pending, delivered or failed."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_subscription", "subscription_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ServiceState(Base):
    """Small facts the service remembers."""

    __tablename__ = "service_state"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class UiUser(Base):
    """A person who signs in to the web UI with a password (argon2 hash), and their role."""

    __tablename__ = "ui_users"
    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DbUpdate(Base):
    """A triggered vulnerability DB update (`db update` run as a job) and how it ended."""

    __tablename__ = "db_updates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    """'queued', 'running', 'done', 'partial' (some sources failed) or 'failed'."""
    message: Mapped[str] = mapped_column(Text, default="")
    failed_sources: Mapped[list[str]] = mapped_column(JSON, default=list)
    db_built_before: Mapped[str] = mapped_column(String(50), default="")
    db_built_after: Mapped[str] = mapped_column(String(50), default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class TagSubscription(Base):
    """A watched repository (every tag) or one tag: new digests are added and analysed."""

    __tablename__ = "tag_subscriptions"
    __table_args__ = (UniqueConstraint("repository", "tag", "platform"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repository: Mapped[str] = mapped_column(String(500))
    """'registry.example/team/app' (no tag, no digest)."""
    tag: Mapped[str] = mapped_column(String(200), default="")
    """One tag, or '' for every tag of the repository."""
    platform: Mapped[str] = mapped_column(String(50), default="linux/amd64")
    last_polled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WatchedTag(Base):
    """The digest a subscribed tag pointed at when last polled, and the image analysed for it."""

    __tablename__ = "watched_tags"
    __table_args__ = (UniqueConstraint("subscription_id", "tag"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("tag_subscriptions.id", ondelete="CASCADE")
    )
    tag: Mapped[str] = mapped_column(String(200))
    digest: Mapped[str] = mapped_column(String(100))
    image_id: Mapped[int | None] = mapped_column(
        ForeignKey("images.id", ondelete="SET NULL"), nullable=True
    )
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RuntimeAuditRecord(Base):
    """One `sievert runtime audit` sent to the service: the engine and its containers' risks."""

    __tablename__ = "runtime_audits"
    __table_args__ = (Index("ix_runtime_audits_engine", "engine", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    engine: Mapped[str] = mapped_column(String(500))
    image_scan: Mapped[bool] = mapped_column(Boolean, default=True)
    container_count: Mapped[int] = mapped_column(Integer, default=0)
    risk: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    """Containers per risk severity."""
    tool_version: Mapped[str] = mapped_column(String(50), default="")
    submitted_by: Mapped[str] = mapped_column(String(32), default="")
    """The id of the token that sent it."""
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RuntimeContainer(Base):
    """A container of a runtime audit: its image (linked to a stored image when known),
    its SV-RT findings and its risk."""

    __tablename__ = "runtime_containers"
    __table_args__ = (Index("ix_runtime_containers_audit", "audit_id", "position"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(ForeignKey("runtime_audits.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    container_id: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    image_ref: Mapped[str] = mapped_column(String(1000), default="")
    image_digest: Mapped[str] = mapped_column(String(100), default="", index=True)
    """The image config digest the container runs ('sha256:...')."""
    image_id: Mapped[int | None] = mapped_column(
        ForeignKey("images.id", ondelete="SET NULL"), nullable=True, index=True
    )
    """The stored image it runs, when the service knows it."""
    risk: Mapped[str] = mapped_column(String(20))
    risk_reason: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    rules: Mapped[list[str]] = mapped_column(JSON, default=list)
    """The SV-RT rule ids found (for filtering)."""
    vulnerabilities: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    """The image's vulnerabilities per severity as the audit found them."""
    image_error: Mapped[str] = mapped_column(Text, default="")
    verdict: Mapped[str] = mapped_column(String(10), default="")


class HostRecord(Base):
    """One host of a `sievert host scan` sent to the service."""

    __tablename__ = "host_reports"
    __table_args__ = (Index("ix_host_reports_name", "name", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    target: Mapped[str] = mapped_column(String(1000), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    distro: Mapped[str] = mapped_column(String(100), default="")
    kernel_running: Mapped[str] = mapped_column(String(200), default="")
    kernel_newest: Mapped[str] = mapped_column(String(200), default="")
    running_kernel_packages: Mapped[list[str]] = mapped_column(JSON, default=list)
    reboot_required: Mapped[bool] = mapped_column(Boolean, default=False)
    reboot_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    package_count: Mapped[int] = mapped_column(Integer, default=0)
    vuln_count: Mapped[int] = mapped_column(Integer, default=0)
    escape_count: Mapped[int] = mapped_column(Integer, default=0)
    """Running-kernel vulnerabilities flagged as container-escape relevant."""
    summary: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notices: Mapped[list[str]] = mapped_column(JSON, default=list)
    tool_version: Mapped[str] = mapped_column(String(50), default="")
    submitted_by: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FindingsSnapshot(Base):
    """Findings by severity at one moment: an image's after its analysis or a re-match after a
    DB update, or the fleet's totals (image_id NULL) after either."""

    __tablename__ = "findings_snapshots"
    __table_args__ = (Index("ix_findings_snapshots_image", "image_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    image_id: Mapped[int | None] = mapped_column(
        ForeignKey("images.id", ondelete="CASCADE"), nullable=True
    )
    event: Mapped[str] = mapped_column(String(20))
    """'analysis' or 'db-update'."""
    db_built: Mapped[str] = mapped_column(String(50), default="")
    images: Mapped[int] = mapped_column(Integer, default=1)
    """Images counted (1 for an image's own snapshot)."""
    critical: Mapped[int] = mapped_column(Integer, default=0)
    high: Mapped[int] = mapped_column(Integer, default=0)
    medium: Mapped[int] = mapped_column(Integer, default=0)
    low: Mapped[int] = mapped_column(Integer, default=0)
    negligible: Mapped[int] = mapped_column(Integer, default=0)
    unknown: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
