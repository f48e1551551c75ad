"""Request and response bodies of the API (what /docs shows)."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from sievert.service.fleet_schemas import RunningContainer

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a listing."""

    items: list[T]
    total: int
    limit: int
    offset: int


class ImageAdd(BaseModel):
    """Add an image by registry reference."""

    reference: str = Field(min_length=1, max_length=1000, examples=["docker.io/library/nginx:1"])
    platform: str = Field(default="linux/amd64", max_length=50)
    force: bool = Field(default=False, description="Analyse again even when already stored")


class ImageOut(BaseModel):
    """An image, its status and finding counts."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    reference: str
    source: str
    status: str
    reason: str
    manifest_digest: str
    config_digest: str
    distro: str
    platform: str
    package_count: int
    vuln_count: int
    summary: dict[str, int]
    db_built: str
    attempts: int
    created_at: datetime
    analysed_at: datetime | None
    approved: bool | None = None
    """Whether its latest certification says go or warn (null: never evaluated)."""


class LayerOut(BaseModel):
    """A layer and the history line that made it."""

    model_config = ConfigDict(from_attributes=True)
    index: int = Field(validation_alias="position")
    digest: str
    diff_id: str
    size: int
    created_by: str


class ImageDetail(ImageOut):
    """An image with its layers and the containers running it."""

    layers: list[LayerOut]
    containers: list[RunningContainer] = []
    """Containers running this image in the latest runtime audit of each engine."""


class PackageOut(BaseModel):
    """A package of an image and the layer that introduced it."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    version: str
    type: str
    purl: str
    introduced_by: int
    introduced_by_created_by: str = ""


class PackageFiles(BaseModel):
    """The files a package owns (or where it was found)."""

    package: PackageOut
    files: list[str]


class VulnOut(BaseModel):
    """A vulnerability of an image with the layer and history line that introduced it."""

    model_config = ConfigDict(from_attributes=True)
    vuln_id: str
    severity: str
    fix_state: str
    fixed_versions: list[str]
    package_name: str
    package_version: str
    package_type: str
    purl: str
    epss: float | None
    kev: bool
    risk: float
    layer_index: int
    layer_created_by: str = ""


class CheckOut(BaseModel):
    """A misconfiguration or (redacted) secret finding."""

    model_config = ConfigDict(from_attributes=True)
    kind: str
    rule_id: str
    severity: str
    title: str
    message: str
    path: str
    line: int
    layer_index: int


class TokenCreate(BaseModel):
    """A new API token."""

    role: str = Field(pattern="^(admin|analyst|read-only)$")
    name: str = Field(default="", max_length=200)


class TokenOut(BaseModel):
    """A token's public facts (never its secret)."""

    model_config = ConfigDict(from_attributes=True)
    id: str
    name: str
    role: str
    created_at: datetime
    revoked: bool


class TokenCreated(TokenOut):
    """A new token: `token` is shown this once."""

    token: str


class RegistryIn(BaseModel):
    """Credentials for a registry host (the password is stored encrypted, never returned)."""

    host: str = Field(min_length=1, max_length=255, examples=["registry.example.com:5000"])
    username: str = Field(default="", max_length=255)
    password: str = Field(default="", max_length=10000)
    insecure: bool = False


class RegistryOut(BaseModel):
    """A registry entry without its secret."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    host: str
    username: str
    insecure: bool
    has_password: bool
    created_at: datetime


class PolicyOut(BaseModel):
    """One version of a policy (text only on request)."""

    model_config = ConfigDict(from_attributes=True)
    name: str
    version: int
    digest: str
    created_at: datetime


class PolicyText(PolicyOut):
    """A policy version with its YAML text."""

    text: str


class AttachmentIn(BaseModel):
    """Attach a policy to images whose reference matches a glob pattern."""

    pattern: str = Field(min_length=1, max_length=500, examples=["registry.example/team/*"])
    policy: str = Field(min_length=1, max_length=200)


class AttachmentOut(BaseModel):
    """A policy attachment."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    pattern: str
    policy_name: str
    created_at: datetime


class CertificationOut(BaseModel):
    """A stored policy evaluation: approved while the image's latest one says go or warn."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    image_id: int
    image_digest: str
    policy_name: str
    policy_version: int
    policy_digest: str
    db_built: str
    verdict: str
    reasons: list[dict[str, object]]
    created_at: datetime


class SubscriptionIn(BaseModel):
    """A webhook subscription."""

    event: str = Field(pattern="^(vuln_update|policy_eval|tag_update)$")
    pattern: str = Field(default="*", min_length=1, max_length=500)
    url: str = Field(pattern="^https?://", max_length=2000)
    secret: str = Field(min_length=16, max_length=500, description="HMAC-SHA256 key")


class SubscriptionOut(BaseModel):
    """A subscription without its secret."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    event: str
    pattern: str
    url: str
    active: bool
    created_at: datetime


class DeliveryOut(BaseModel):
    """A webhook delivery."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    subscription_id: int
    event: str
    status: str
    attempts: int
    last_status: int
    last_error: str
    payload: dict[str, object]
    created_at: datetime
    next_attempt_at: datetime | None


class DiffOut(BaseModel):
    """Findings added, removed and changed by a re-evaluation."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    image_id: int
    db_built_before: str
    db_built_after: str
    added: list[dict[str, object]]
    removed: list[dict[str, object]]
    changed: list[dict[str, object]]
    verdict_before: str
    verdict_after: str
    created_at: datetime


class DbUpdateOut(BaseModel):
    """A triggered vulnerability DB update and how it ended."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    status: str = Field(description="queued, running, done, partial (some sources failed), failed")
    message: str
    failed_sources: list[str]
    db_built_before: str
    db_built_after: str
    attempts: int
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class DbStatusOut(BaseModel):
    """The vulnerability DB the service matches with, and the latest triggered update."""

    built: str
    path: str
    source: str = Field(description="'mirror' or 'upstream': where a triggered update reads")
    update: DbUpdateOut | None


class TagSubscriptionIn(BaseModel):
    """Watch a repository (every tag) or one tag."""

    reference: str = Field(min_length=1, max_length=700, examples=["registry.example/team/app:1.2"])
    platform: str = Field(default="linux/amd64", max_length=50)


class WatchedTagOut(BaseModel):
    """A tag as last polled: the digest it points at and the image analysed for it."""

    model_config = ConfigDict(from_attributes=True)
    tag: str
    digest: str
    image_id: int | None
    changed_at: datetime


class TagSubscriptionOut(BaseModel):
    """A tag subscription and the tags it follows."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    repository: str
    tag: str = Field(description="'' when every tag of the repository is watched")
    platform: str
    last_polled_at: datetime | None
    last_error: str
    created_at: datetime
    tags: list[WatchedTagOut] = []
