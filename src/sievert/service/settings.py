"""Every setting of the service in one place, read once from the environment and the CLI."""

from __future__ import annotations

import os
from pathlib import Path

import msgspec

from sievert import dirs
from sievert.errors import UsageError

DEFAULT_MAX_UPLOAD = 4 * 1024**3
"""Largest image archive or SBOM accepted by upload (bytes)."""
DEFAULT_MAX_LAYER_ANALYSIS = 512 * 1024**2
"""Largest layer analysis a client may upload (bytes, compressed and uncompressed)."""


def default_database_url() -> str:
    """SQLite under the user's data directory."""
    return f"sqlite:///{dirs.data_dir() / 'service.sqlite'}"


class Settings(msgspec.Struct, frozen=True):
    """How the service runs: where its state lives, which vulnerability DB it reads, limits."""

    database_url: str = msgspec.field(default_factory=default_database_url)
    vuln_db: Path | None = None
    """The vulnerability DB file (None: the CLI's default under the data directory)."""
    storage_dir: Path = msgspec.field(default_factory=lambda: dirs.data_dir() / "service-storage")
    """Uploaded archives wait here for analysis (shared by workers on other machines)."""
    max_upload: int = DEFAULT_MAX_UPLOAD
    max_layer_analysis: int = DEFAULT_MAX_LAYER_ANALYSIS
    """Bound on one uploaded layer analysis (`sievert scan --server`)."""
    secret_key: str = ""
    """Fernet key that encrypts stored registry credentials (SIEVERT_SECRET_KEY)."""
    workers: int = 2
    """In-process analysis threads (embedded mode)."""
    api_threads: int = 4
    """Threads running the API's synchronous routes (SIEVERT_API_THREADS). Their work holds the
    GIL, so a few threads serve as much as many, without queueing behind one another for it."""
    insecure_registries: tuple[str, ...] = ()
    """Registry hosts reached over plain HTTP (loopback registries are always allowed)."""
    stalled_after: float = 30.0
    """Seconds without a worker heartbeat before its jobs are retried elsewhere."""
    heartbeat: float = 10.0
    """Seconds between a worker's heartbeats."""
    harbor_refresh: int = 5
    """Seconds Harbor is told to wait before polling a report again."""
    db_check: float = 60.0
    """Seconds between checks for a new vulnerability DB (0: never re-evaluate on its own)."""
    webhook_attempts: int = 6
    """Attempts of a webhook delivery before it is marked failed."""
    webhook_backoff: float = 5.0
    """Seconds before the second attempt; doubled after each failure."""
    db_mirror: str = ""
    """Where a triggered DB update reads the feeds: a directory or URL mirror, as
    `sievert db update --mirror` (SIEVERT_DB_MIRROR; '' for the upstream feeds)."""
    db_sources: str = ""
    """The sources a triggered DB update imports, as `--only` (SIEVERT_DB_SOURCES; '' for the
    default ones)."""
    db_update_timeout: float = 60.0
    """HTTP timeout of a triggered DB update, seconds (SIEVERT_DB_UPDATE_TIMEOUT)."""
    poll_interval: float = 300.0
    """Seconds between polls of the subscribed repositories and tags (SIEVERT_POLL_INTERVAL;
    0: only when asked with POST /v1/tag-subscriptions/poll)."""

    @property
    def is_postgres(self) -> bool:
        """Whether state lives in PostgreSQL (analysis then runs on Procrastinate workers)."""
        return self.database_url.startswith(("postgresql:", "postgres:", "postgresql+"))

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with the driver SQLAlchemy uses (psycopg 3 for PostgreSQL)."""
        url = self.database_url
        for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url

    @property
    def conninfo(self) -> str:
        """The libpq connection string (Procrastinate's)."""
        url = self.database_url
        for prefix in ("postgresql+psycopg://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql://" + url[len(prefix) :]
        return url


def _int(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{name}={text!r} is not a whole number") from None


def _float(name: str, default: float) -> float:
    text = os.environ.get(name, "")
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{name}={text!r} is not a number") from None


def from_env(database: str = "", db: str = "") -> Settings:
    """Settings from SIEVERT_* variables; a CLI `--database`/`--db` wins over the variable."""
    url = database or os.environ.get("SIEVERT_DATABASE_URL", "") or default_database_url()
    if not url.startswith(("sqlite:", "postgresql", "postgres:")):
        raise UsageError(f"--database {url!r}: give a sqlite:/// or postgresql:// URL")
    vuln_db = db or os.environ.get("SIEVERT_DB", "")
    storage = os.environ.get("SIEVERT_STORAGE_DIR", "")
    insecure = os.environ.get("SIEVERT_INSECURE_REGISTRIES", "")
    return Settings(
        database_url=url,
        vuln_db=Path(vuln_db) if vuln_db else None,
        storage_dir=Path(storage) if storage else dirs.data_dir() / "service-storage",
        max_upload=_int("SIEVERT_MAX_UPLOAD", DEFAULT_MAX_UPLOAD),
        max_layer_analysis=_int("SIEVERT_MAX_LAYER_ANALYSIS", DEFAULT_MAX_LAYER_ANALYSIS),
        secret_key=os.environ.get("SIEVERT_SECRET_KEY", ""),
        workers=max(1, _int("SIEVERT_WORKERS", 2)),
        api_threads=max(1, _int("SIEVERT_API_THREADS", 4)),
        insecure_registries=tuple(h.strip() for h in insecure.split(",") if h.strip()),
        stalled_after=_float("SIEVERT_STALLED_AFTER", 30.0),
        heartbeat=_float("SIEVERT_HEARTBEAT", 10.0),
        harbor_refresh=_int("SIEVERT_HARBOR_REFRESH", 5),
        db_check=_float("SIEVERT_DB_CHECK", 60.0),
        webhook_attempts=max(1, _int("SIEVERT_WEBHOOK_ATTEMPTS", 6)),
        webhook_backoff=_float("SIEVERT_WEBHOOK_BACKOFF", 5.0),
        db_mirror=os.environ.get("SIEVERT_DB_MIRROR", "").strip(),
        db_sources=os.environ.get("SIEVERT_DB_SOURCES", "").strip(),
        db_update_timeout=max(1.0, _float("SIEVERT_DB_UPDATE_TIMEOUT", 60.0)),
        poll_interval=max(0.0, _float("SIEVERT_POLL_INTERVAL", 300.0)),
    )
