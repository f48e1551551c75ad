"""`sievert db update`: fetch every selected feed, parse it, build a new database, swap it in."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

import msgspec

from sievert.errors import FeedError, LimitError, UsageError
from sievert.vulndb.store import (
    PARTIAL,
    Builder,
    SourceStatus,
    default_path,
    now,
    old_sources,
    unwritable,
)

if TYPE_CHECKING:  # fetching (httpx), the feed parsers and progress (rich) load for an update only
    import httpx

    from sievert.vulndb.feeds import Feed, FeedResult, FileSpec, Settings
    from sievert.vulndb.fetch import Fetched, Fetcher, Mirror
    from sievert.vulndb.progress import Reporter

OK, FAILED, SKIPPED = "ok", "failed", "skipped"
MAX_SKIPPED_NAMED = 200
"""Skipped records named per source in the database's status (the rest are counted)."""


class SourceReport(msgspec.Struct):
    """How one source fared: files read, skipped, failed; records written; notices."""

    name: str
    fetched_at: str = ""
    files: list[str] = msgspec.field(default_factory=list)
    skipped: list[str] = msgspec.field(default_factory=list)
    errors: list[str] = msgspec.field(default_factory=list)
    notices: list[str] = msgspec.field(default_factory=list)
    notice_count: int = 0
    records: int = 0
    affected: int = 0
    info: dict[str, str] = msgspec.field(default_factory=dict)
    skipped_records: int = 0
    """Malformed records skipped whole (the rest of the source imported)."""
    skipped_notes: list[str] = msgspec.field(default_factory=list)
    kept: SourceStatus | None = None
    """Failed, and the previous database's rows (and counts) for it were kept."""

    @property
    def status(self) -> str:
        """ok, partial (malformed records skipped), failed (a file failed: none of this
        update's rows are kept), or skipped (no file present)."""
        if self.errors:
            return FAILED
        if not self.files:
            return SKIPPED
        return PARTIAL if self.skipped_records else OK

    def as_status(self) -> SourceStatus:
        """The row stored in the database's `source_status` table."""
        lines = [*self.errors, *(f"skipped: {s}" for s in self.skipped)]
        message = "\n".join([*lines, "previous data kept"] if self.kept else lines)
        detail: dict[str, object] = {"files": self.files, "notices": self.notices, **self.info}
        if self.skipped_records:
            detail |= {"skipped_records": self.skipped_records, "skipped": self.skipped_notes}
        records, affected = (self.kept.records, self.kept.affected) if self.kept else (
            self.records, self.affected
        )  # fmt: skip
        return SourceStatus(
            self.name, self.status, records, affected, self.notice_count,
            self.fetched_at, message, detail,
        )  # fmt: skip


class UpdateReport(msgspec.Struct):
    """The outcome of an update; `failed` names the sources that did not import fully."""

    path: Path
    sources: list[SourceReport]
    written: bool
    seconds: float

    @property
    def failed(self) -> list[str]:
        """Names of the sources with an error."""
        return [s.name for s in self.sources if s.status == FAILED]

    @property
    def partial(self) -> list[str]:
        """Names of the sources that skipped malformed records."""
        return [s.name for s in self.sources if s.status == PARTIAL]


def select_feeds(only: str | None) -> tuple[Feed, ...]:
    """The feeds named in `--only a,b` (UsageError for an unknown name), or the default ones."""
    from sievert.vulndb.plugins import FEEDS

    if not only:
        return tuple(f for f in FEEDS if f.default)
    names = [n.strip() for n in only.split(",") if n.strip()]
    known = {f.name: f for f in FEEDS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"unknown source(s) {', '.join(unknown)}: choose from {', '.join(known)}")
    return tuple(known[n] for n in dict.fromkeys(names))


def mirror_settings(settings: Settings, mirror: Mirror | None) -> Settings:
    """A directory mirror also offers every OSV ecosystem and Alpine branch it holds."""
    if mirror is None or not mirror.is_dir:
        return settings
    base = Path(mirror.base)
    ecosystems = sorted(p.parent.name for p in base.glob("osv/*/all.zip"))
    branches = sorted(p.name.removeprefix("v") for p in base.glob("alpine/*") if p.is_dir())
    return msgspec.structs.replace(
        settings,
        osv_ecosystems=tuple(dict.fromkeys([*settings.osv_ecosystems, *ecosystems])),
        alpine_branches=tuple(dict.fromkeys([*settings.alpine_branches, *branches])),
    )


def update(
    db_path: Path | None = None,
    *,
    mirror: str | None = None,
    only: str | None = None,
    settings: Settings | None = None,
    timeout: float = 60.0,
    reporter: Reporter | None = None,
    client: httpx.Client | None = None,
) -> UpdateReport:
    """Build the database from the feeds; sources that fail keep their previous rows.

    The new database is written next to the old one and swapped in with `os.replace`; when no
    selected source imports anything the old file is left untouched (`written` is False).
    """
    from sievert.vulndb.fetch import Fetcher, Mirror

    started = time.monotonic()
    path = db_path or default_path()
    feeds = select_feeds(only)
    mirror_obj = Mirror.parse(mirror) if mirror else None
    settings = mirror_settings(settings or _env_settings(), mirror_obj)
    check_writable(path.parent)
    cache = path.parent / "feed-cache"
    fetcher = Fetcher(cache, mirror_obj, timeout=timeout, reporter=reporter, client=client)
    builder = Builder(path)
    try:
        reports = [_run_feed(f, fetcher, builder, settings, reporter) for f in feeds]
        written = _finish(builder, path, feeds, reports, mirror)
    except BaseException:
        builder.abort()
        raise
    finally:
        if client is None:
            fetcher.close()
    return UpdateReport(path, reports, written, time.monotonic() - started)


def check_writable(directory: Path) -> None:
    """DatabaseError naming the directory when the database cannot be written there."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        import tempfile

        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise unwritable(directory, exc) from exc


def _env_settings() -> Settings:
    from sievert.vulndb.feeds import Settings

    branches = os.environ.get("SIEVERT_ALPINE_BRANCHES", "")
    base = Settings(nvd_api_key=os.environ.get("NVD_API_KEY", ""))
    if branches:
        chosen = tuple(b.strip().removeprefix("v") for b in branches.split(",") if b.strip())
        return msgspec.structs.replace(base, alpine_branches=chosen)
    return base


def _finish(
    builder: Builder,
    path: Path,
    feeds: tuple[Feed, ...],
    reports: list[SourceReport],
    mirror: str | None,
) -> bool:
    from sievert.vulndb.plugins import FEEDS

    if not any(r.files for r in reports):
        builder.abort()
        return False
    selected = {f.name for f in feeds}
    previous = old_sources(path)
    # A source is replaced only when all of it parsed: a failed one gets its previous rows back
    # exactly (what this update wrote for it is dropped); without previous rows, what parsed stays.
    restore = [r.name for r in reports if r.status == FAILED and r.name in previous]
    for name in restore:
        builder.discard(name)
    others = [f.name for f in FEEDS if f.name not in selected]
    kept = {k.name: k for k in builder.carry_over(path, [*restore, *others])}
    for report in reports:
        report.kept = kept.get(report.name)
    statuses = [r.as_status() for r in reports]
    statuses += [k for name, k in kept.items() if name not in selected]
    builder.finish({"mirror": mirror or ""}, statuses)
    return True


def _run_feed(
    feed: Feed, fetcher: Fetcher, builder: Builder, settings: Settings, reporter: Reporter | None
) -> SourceReport:
    from sievert.vulndb.progress import SilentReporter

    report = SourceReport(feed.name, fetched_at=now())
    say = reporter or SilentReporter()
    for spec in feed.files(settings):
        label = f"{feed.folder}/{spec.path}"
        try:
            _run_file(feed, spec, fetcher, builder, settings, report)
        except (FeedError, LimitError) as exc:
            report.errors.append(f"{label}: {exc}")
            say.finish(label, f"FAILED: {exc}")
    return report


def _run_file(
    feed: Feed,
    spec: FileSpec,
    fetcher: Fetcher,
    builder: Builder,
    settings: Settings,
    report: SourceReport,
) -> None:
    from sievert.vulndb.fetch import MISSING

    label = f"{feed.folder}/{spec.path}"
    if feed.paged:
        if fetcher.mirror is not None:
            report.skipped.append(f"{label} (not available from a mirror)")
            return
        fetched = fetcher.fetch_pages(feed, spec, settings)
    else:
        fetched = [fetcher.fetch(feed, spec)]
    if any(f.status == MISSING for f in fetched):
        if not spec.optional:
            raise FeedError(f"{fetched[0].url}: not found (HTTP 404 or missing from the mirror)")
        report.skipped.append(label)
        return
    for item in fetched:
        _import(feed, spec, item, builder, report)
    report.files.append(label)


def _import(
    feed: Feed, spec: FileSpec, item: Fetched, builder: Builder, report: SourceReport
) -> None:
    assert item.path is not None
    result: FeedResult = feed.parse(item.path, spec.path)
    records, affected = builder.add(feed.name, result)
    report.records += records
    report.affected += affected
    report.notices += result.notices[: max(0, 200 - len(report.notices))]
    report.notice_count += len(result.notices) + result.notices_dropped
    report.skipped_records += result.skipped_count
    room = max(0, MAX_SKIPPED_NAMED - len(report.skipped_notes))
    report.skipped_notes += result.skipped[:room]
    report.info.update(result.info)
    item.commit()
