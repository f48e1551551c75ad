"""The SQLite vulnerability store: built in a new file, swapped in, then read by the matcher."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import sqlite3
import stat
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
import orjson

from sievert import dirs
from sievert.errors import DatabaseError, SievertError
from sievert.model.vuln import (
    FIXED,
    NOT_AFFECTED,
    Affected,
    CvssScore,
    Exploit,
    RangeEvent,
    VersionRange,
    Vulnerability,
)
from sievert.versions.names import normalize_name, pep503

if TYPE_CHECKING:
    from sievert.vulndb.feeds.base import FeedResult

SCHEMA_VERSION = 2  # 2: NuGet package ids stored lower-cased
DB_NAME = "vuln.db"
DATA_TABLES = ("affected", "vuln", "alias", "cvss", "kev", "epss", "exploit")
TABLE_COLUMNS = {
    "meta": 2, "source_status": 8, "affected": 12, "vuln": 9, "alias": 3, "cvss": 7, "kev": 5,
    "epss": 4, "exploit": 7,
}  # fmt: skip
"""Every table of the schema and its column count, checked when a database is opened."""
REBUILD = "rebuild it with `sievert db update`"
PARTIAL = "partial"
"""Status of a source whose last update skipped malformed records (the rest imported)."""
INDEXES = (
    "CREATE INDEX affected_ns_pkg ON affected(namespace, package)",
    "CREATE INDEX affected_pkg ON affected(package)",
    "CREATE INDEX affected_vuln ON affected(vuln_id)",
    "CREATE INDEX alias_alias ON alias(alias)",
)
INSERTS = {
    "affected": "INSERT INTO affected VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
    "vuln": "INSERT OR IGNORE INTO vuln VALUES (?,?,?,?,?,?,?,?,?)",
    "alias": "INSERT OR IGNORE INTO alias VALUES (?,?,?)",
    "cvss": "INSERT OR IGNORE INTO cvss VALUES (?,?,?,?,?,?,?)",
    "kev": "INSERT OR REPLACE INTO kev VALUES (?,?,?,?,?)",
    "epss": "INSERT OR REPLACE INTO epss VALUES (?,?,?,?)",
    "exploit": "INSERT OR IGNORE INTO exploit VALUES (?,?,?,?,?,?,?)",
}
MMAP_BYTES = 256 * 1024 * 1024
"""Reads go through a memory map of up to this much of the file (no copy per page read); a
database is never rewritten in place (updates and imports replace the file), so the map holds."""
DESCRIPTION_ORDER = ("cve", "nvd", "osv", "debian", "alpine")
"""Whose description wins when several feeds describe the same id."""


def default_path() -> Path:
    """Where the database lives by default: `sievert.dirs.data_dir() / "vuln.db"`."""
    return dirs.data_dir() / DB_NAME


def now() -> str:
    """The current UTC time, ISO 8601 with seconds."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class SourceStatus(msgspec.Struct, frozen=True):
    """How one source fared in the update that built the database."""

    name: str
    status: str
    records: int
    affected: int
    notices: int
    fetched_at: str
    message: str
    detail: dict[str, object] = msgspec.field(default_factory=dict)

    def warning(self) -> str:
        """What a scan should say about this source ('' when its data is complete)."""
        if self.status == "failed":
            kept = "previous data kept" in self.message
            state = "its previous data was kept" if kept else "its data may be incomplete"
            return f"source {self.name} failed in the last database update; {state}"
        if self.status == PARTIAL:
            skipped = self.detail.get("skipped_records", 0)
            return (
                f"source {self.name} is partial: the last database update skipped "
                f"{skipped} malformed record(s)"
            )
        return ""


class DbStatus(msgspec.Struct, frozen=True):
    """What `sievert db status` shows."""

    path: Path
    size: int
    schema_version: int
    built_at: str
    meta: dict[str, str]
    sources: tuple[SourceStatus, ...]

    def warnings(self) -> tuple[str, ...]:
        """One line per source the last update left failed or partial."""
        return tuple(w for w in (s.warning() for s in self.sources) if w)


# ---------------------------------------------------------------- building


class Builder:
    """Writes a new database next to the target and swaps it in with `os.replace`."""

    def __init__(self, target: Path) -> None:
        self.target = target
        self.tmp = target.with_name(f"{target.name}.building-{os.getpid()}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _remove_stale_builds(target)
            self.tmp.unlink(missing_ok=True)
            self.conn = sqlite3.connect(self.tmp)
            self.conn.execute("PRAGMA journal_mode=OFF")
            self.conn.execute("PRAGMA synchronous=OFF")
            from importlib import resources  # building only

            self.conn.executescript(
                resources.files("sievert.vulndb").joinpath("schema.sql").read_text()
            )
        except (OSError, sqlite3.Error) as exc:
            self.tmp.unlink(missing_ok=True)
            raise unwritable(target.parent, exc) from exc

    def add(self, feed: str, result: FeedResult) -> tuple[int, int]:
        """Insert one parsed file's records; returns (facts written, statements written)."""
        rows: dict[str, list[tuple[object, ...]]] = {t: [] for t in INSERTS}
        rows["affected"] = [_affected_row(a, feed) for a in result.affected]
        for vuln in result.vulns:
            _vuln_rows(feed, vuln, rows)
        rows["epss"] += [(cve, score, percentile, feed) for cve, score, percentile in result.scores]
        with self.conn:
            for table, sql in INSERTS.items():
                if rows[table]:
                    self.conn.executemany(sql, rows[table])
        return len(result.vulns) + len(result.scores), len(result.affected)

    def discard(self, feed: str) -> None:
        """Drop every row this update wrote for feed (its source failed part-way)."""
        with self.conn:
            for table in DATA_TABLES:
                self.conn.execute(f"DELETE FROM {table} WHERE feed = ?", (feed,))

    def carry_over(self, old: Path, feeds: Sequence[str]) -> list[SourceStatus]:
        """Copy feeds' rows and status from the previous database; returns what was kept."""
        if not feeds or not old.is_file() or _schema_of(old) != SCHEMA_VERSION:
            return []
        marks = ",".join("?" * len(feeds))
        self.conn.execute("ATTACH DATABASE ? AS old", (f"{old.resolve().as_uri()}?mode=ro",))
        try:
            with self.conn:
                for table in DATA_TABLES:
                    self.conn.execute(
                        f"INSERT OR IGNORE INTO {table} SELECT * FROM old.{table}"
                        f" WHERE feed IN ({marks})",
                        tuple(feeds),
                    )
                rows = self.conn.execute(
                    f"SELECT * FROM old.source_status WHERE name IN ({marks})", tuple(feeds)
                ).fetchall()
        finally:
            self.conn.execute("DETACH DATABASE old")
        return [_status_from_row(row) for row in rows]

    def finish(self, meta: dict[str, str], sources: Iterable[SourceStatus]) -> None:
        """Index, write meta and per-source status, then atomically replace the target."""
        with self.conn:
            for statement in INDEXES:
                self.conn.execute(statement)
            self.conn.executemany("INSERT INTO source_status VALUES (?,?,?,?,?,?,?,?)", (
                (s.name, s.status, s.records, s.affected, s.notices, s.fetched_at, s.message,
                 json.dumps(s.detail)) for s in sources
            ))  # fmt: skip
            base = {
                "schema_version": str(SCHEMA_VERSION),
                "built_at": now(),
                "build_id": os.urandom(16).hex(),  # names this build (`content_identity`)
            }
            self.conn.executemany("INSERT INTO meta VALUES (?,?)", ({**meta, **base}).items())
        self.conn.execute("ANALYZE")
        self.conn.close()
        try:
            self.tmp.replace(self.target)
        except OSError as exc:
            raise unwritable(self.target.parent, exc) from exc

    def abort(self) -> None:
        """Drop the half-built file; the previous database stays as it was."""
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()
        self.tmp.unlink(missing_ok=True)


def unwritable(directory: Path, exc: BaseException) -> DatabaseError:
    """The one-line error for a database directory that cannot be written."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return DatabaseError(
        f"{directory}: cannot write the database directory ({reason}); "
        "choose a writable one with --db or SIEVERT_DB_DIR"
    )


def _remove_stale_builds(target: Path) -> None:
    for stale in target.parent.glob(f"{target.name}.building-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdecimal() and not _alive(int(pid)):
            stale.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _vuln_rows(feed: str, v: Vulnerability, rows: dict[str, list[tuple[object, ...]]]) -> None:
    if v.summary or v.description or v.published or v.modified or v.cwes or v.references:
        rows["vuln"].append(
            (v.id, feed, v.summary, v.description, v.published, v.modified,
             json.dumps(v.cwes), json.dumps(v.references), int(v.rejected))
        )  # fmt: skip
    rows["alias"] += [(v.id, alias, feed) for alias in v.aliases]
    rows["cvss"] += [
        (v.id, s.version, s.vector, s.base_score, s.severity, s.source, feed) for s in v.cvss
    ]
    if v.kev_date_added:
        rows["kev"].append((v.id, v.kev_date_added, v.kev_due_date, int(v.kev_ransomware), feed))
    if v.epss_score is not None:
        rows["epss"].append((v.id, v.epss_score, v.epss_percentile or 0.0, feed))
    rows["exploit"] += [
        (v.id, e.source, e.id, e.url, e.title, e.published, feed) for e in v.exploits
    ]


def _affected_row(a: Affected, feed: str) -> tuple[object, ...]:
    ranges = [[r.type, [[e.kind, e.version] for e in r.events]] for r in a.ranges]
    return (
        a.vuln_id, a.namespace, a.package, a.source, a.fix_state, a.fixed_version,
        json.dumps(ranges), json.dumps(list(a.versions)), a.severity, a.record_id, a.note, feed,
    )  # fmt: skip


def _status_from_row(row: Sequence[object]) -> SourceStatus:
    name, status, records, affected, notices, fetched_at, message, detail = row
    return SourceStatus(
        str(name), str(status), int(str(records)), int(str(affected)), int(str(notices)),
        str(fetched_at), str(message), json.loads(str(detail)) or {},
    )  # fmt: skip


def old_sources(path: Path) -> set[str]:
    """Names of the sources a previous database (same schema) holds status for."""
    if not path.is_file() or _schema_of(path) != SCHEMA_VERSION:
        return set()
    rows = _query_read_only(path, "SELECT name, status FROM source_status") or []
    return {str(name) for name, status in rows if status != "skipped"}


def _schema_of(path: Path) -> int | None:
    rows = _query_read_only(path, "SELECT value FROM meta WHERE key='schema_version'")
    value = str(rows[0][0]) if rows else ""
    return int(value) if value.isdecimal() else None


def _query_read_only(path: Path, sql: str) -> list[Any] | None:
    """The rows of one query on a database opened read-only; None when it cannot be read."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return None


# ---------------------------------------------------------------- reading


class VulnDB:
    """Read-only access to a built database: the matcher's lookups and merged records."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: os.stat_result | None = None
        with contextlib.suppress(OSError):
            self._file = path.stat()  # before the connection: see `content_identity`
        if self._file is None or not stat.S_ISREG(self._file.st_mode):
            raise DatabaseError(f"no vulnerability database at {path}: run `sievert db update`")
        try:
            self.conn = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
            self.conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
            meta = dict(self.conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:
            raise DatabaseError(
                f"{path}: not a Sievert vulnerability database ({exc}): {REBUILD}"
            ) from exc
        if meta.get("schema_version") != str(SCHEMA_VERSION):
            self.conn.close()
            raise DatabaseError(
                f"{path}: schema version {meta.get('schema_version')!r}, this Sievert reads "
                f"{SCHEMA_VERSION}: {REBUILD}"
            )
        self.meta: dict[str, str] = meta
        self._check_tables()

    def _check_tables(self) -> None:
        """DatabaseError (rebuild) when a table is missing or has the wrong columns."""
        try:
            for table, columns in TABLE_COLUMNS.items():
                found = len(self.conn.execute(f"PRAGMA table_info({table})").fetchall())
                if found != columns:
                    problem = "missing table" if found == 0 else "wrong columns in table"
                    raise DatabaseError(
                        f"{self.path}: damaged database ({problem} {table}): {REBUILD}"
                    )
        except sqlite3.Error as exc:
            raise self.damaged(exc) from exc
        except DatabaseError:
            self.conn.close()
            raise

    def content_identity(self) -> str | None:
        """A name for what this database holds, for results stored from it: the build id every
        build writes into meta (a new one each time, kept by export and import), and the file's
        device, inode, size and modification time (so a file written in place reads as another
        database too); None for a database built before build ids existed.

        The file is described before it was opened: if an update replaced it in between, the
        name pairs the new build id with the old file and matches neither database later."""
        build = self.meta.get("build_id", "")
        if not build or self._file is None:
            return None
        info = self._file
        return f"{build}:{info.st_dev}:{info.st_ino}:{info.st_size}:{info.st_mtime_ns}"

    def damaged(self, exc: sqlite3.Error) -> DatabaseError:
        """The one-line error for a query that failed on a damaged database file."""
        return DatabaseError(f"{self.path}: damaged database ({exc}): {REBUILD}")

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        """All rows of a query; sqlite errors (a damaged file) become DatabaseError."""
        try:
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise self.damaged(exc) from exc

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()

    def __enter__(self) -> VulnDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def affected(self, namespace: str, package: str) -> list[Affected]:
        """Every statement about package in namespace (exact names, as stored)."""
        rows = self._rows(
            f"SELECT {_STATEMENT} FROM affected WHERE namespace = ? AND package = ?",
            (namespace, package),
        )
        return _statements(rows)

    def search(
        self,
        name: str,
        version: str | None = None,
        ecosystem: str | None = None,
        distro: str | None = None,
    ) -> list[Affected]:
        """Statements naming a package, optionally within an ecosystem ('PyPI') or a distro
        ('debian:bookworm', or 'debian' for every release); with `version`, only those that
        may affect it (ranges via `sievert.versions`; unparsable versions are kept)."""
        found = self._by_name(name, ecosystem, distro)
        if version is None:
            return found
        return [a for a in found if may_affect(a, version)]

    def _by_name(self, name: str, ecosystem: str | None, distro: str | None) -> list[Affected]:
        if ecosystem:
            namespace = ecosystem.lower()
            return self.affected(namespace, normalize_name(namespace, name))
        if distro and ":" in distro:
            return self.affected(distro.lower(), name)
        if distro:
            sql = f"SELECT {_STATEMENT} FROM affected WHERE package = ? AND namespace LIKE ?"
            return _statements(self._rows(sql, (name, f"{distro}:%")))
        rows = self._rows(
            f"SELECT {_STATEMENT} FROM affected WHERE package IN (?, ?)", (name, pep503(name))
        )
        return _statements([r for r in rows if r[1] == "pypi" or r[2] == name])

    def affected_many(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], list[Affected]]:
        """`affected(namespace, package)` for many keys at once: one query per namespace, each
        key's statements in the order `affected` gives them."""
        by_namespace: dict[str, set[str]] = {}
        for namespace, package in keys:
            by_namespace.setdefault(namespace, set()).add(package)
        found: dict[tuple[str, str], list[Affected]] = {}
        parsed = _Parsed()
        for namespace, packages in by_namespace.items():
            for package in packages:
                found[(namespace, package)] = []
            sql = (
                f"SELECT {_STATEMENT} FROM affected WHERE namespace = ? AND package IN ({_LISTED}) "
                "ORDER BY package, rowid"
            )
            ranges, versions = parsed.ranges, parsed.versions
            for row in self._rows(sql, (namespace, _json_list(packages))):
                listed = ranges.get(row[6])  # `_affected_from_row`, inline: 900 rows a scan
                if listed is None:
                    listed = parsed.of_ranges(row[6])
                named = versions.get(row[7])
                if named is None:
                    named = parsed.of_versions(row[7])
                statement = Affected(
                    row[0], row[1], row[2], row[3], row[4], row[5], listed, named,
                    row[8], row[9], row[10],
                )  # fmt: skip
                found[(namespace, row[2])].append(statement)
        return found

    def get_many(self, vuln_ids: Iterable[str]) -> dict[str, Vulnerability | None]:
        """`get(id)` for many ids at once, with a few queries per table instead of several per
        id; each record exactly as `get` builds it."""
        wanted = sorted(set(vuln_ids))
        aliases = self.aliases_many(wanted)
        every = sorted({*wanted, *(a for names in aliases.values() for a in names)})
        vulns = self._grouped("SELECT * FROM vuln WHERE id IN ({}) ORDER BY id, feed", every)
        cvss = self._grouped(
            "SELECT vuln_id, version, vector, base_score, severity, source FROM cvss "
            "WHERE vuln_id IN ({}) ORDER BY vuln_id, source, version, vector",
            every,
        )
        exploits = self._grouped(
            "SELECT cve, source, id, url, title, published FROM exploit WHERE cve IN ({}) "
            "ORDER BY cve, source, id",
            every,
        )
        kev = {
            r[0]: r
            for rows in self._grouped("SELECT * FROM kev WHERE cve IN ({})", every).values()
            for r in rows
        }
        epss = {
            r[0]: r
            for rows in self._grouped("SELECT * FROM epss WHERE cve IN ({})", every).values()
            for r in rows
        }
        records: dict[str, Vulnerability | None] = {}
        unknown: list[str] = []
        for vuln_id in wanted:
            names = aliases[vuln_id]
            if names:
                ids = [vuln_id, *names]
                ordered = sorted(ids)
                rows = [row for i in ordered if i in vulns for row in vulns[i]]
                scores = _unique([CvssScore(*r[1:]) for i in ordered for r in cvss.get(i, ())])
                known_exploits = _unique(
                    [Exploit(*r[1:]) for i in ordered for r in exploits.get(i, ())]
                )
                first_kev = next((kev[i] for i in ids if i in kev), None)
                first_epss = next((epss[i] for i in ids if i in epss), None)
            else:  # the common case: one id, its rows as the queries ordered them
                rows = vulns.get(vuln_id, [])
                found = cvss.get(vuln_id)
                scores = _unique([CvssScore(*r[1:]) for r in found]) if found else ()
                found = exploits.get(vuln_id)
                known_exploits = _unique([Exploit(*r[1:]) for r in found]) if found else ()
                first_kev = kev.get(vuln_id)
                first_epss = epss.get(vuln_id)
            known = rows or scores or first_kev or first_epss or known_exploits or names
            if not known:
                unknown.append(vuln_id)  # a record only if some statement names it (below)
            records[vuln_id] = _merge(
                vuln_id, tuple(names), rows, scores, first_kev, first_epss, known_exploits
            )
        if unknown:
            sql = "SELECT DISTINCT vuln_id FROM affected WHERE vuln_id IN ({})"
            stated = self._grouped(sql, unknown)
            records.update((i, None) for i in unknown if i not in stated)
        return records

    def aliases_many(self, vuln_ids: Iterable[str]) -> dict[str, list[str]]:
        """`aliases(id)` for many ids at once."""
        wanted = sorted(set(vuln_ids))
        partners = self._alias_map(wanted)
        return {i: sorted(found - {i}) if (found := partners.get(i)) else [] for i in wanted}

    def _alias_map(self, ids: Sequence[str]) -> dict[str, set[str]]:
        """Every id's alias partners, both ways (as `aliases` reads them)."""
        partners: dict[str, set[str]] = {}
        listed = _LISTED.replace("?", "?1")
        sql = (  # UNION ALL: the pairs land in sets (no temporary b-tree to remove duplicates)
            f"SELECT id, alias FROM alias WHERE id IN ({listed}) "
            f"UNION ALL SELECT alias, id FROM alias WHERE alias IN ({listed})"
        )
        for one, other in self._rows(sql, (_json_list(ids),)):
            partners.setdefault(str(one), set()).add(str(other))
        return partners

    def _grouped(self, sql: str, ids: Sequence[str]) -> dict[str, list[tuple[Any, ...]]]:
        """The rows of `sql` (its `{}` the id list) for ids, grouped by column 0."""
        groups: dict[str, list[tuple[Any, ...]]] = {}
        for row in self._rows(sql.format(_LISTED), (_json_list(ids),)):
            groups.setdefault(str(row[0]), []).append(tuple(row))
        return groups

    def aliases(self, vuln_id: str) -> list[str]:
        """Ids that name the same vulnerability, both ways (GHSA -> CVE and CVE -> GHSA)."""
        rows = self._rows(
            "SELECT alias FROM alias WHERE id = ? UNION SELECT id FROM alias WHERE alias = ?",
            (vuln_id, vuln_id),
        )
        return sorted({r[0] for r in rows} - {vuln_id})

    def statements(self, vuln_id: str) -> list[Affected]:
        """Every affected-package statement about vuln_id or one of its aliases."""
        ids = [vuln_id, *self.aliases(vuln_id)]
        marks = ",".join("?" * len(ids))
        rows = self._rows(f"SELECT {_STATEMENT} FROM affected WHERE vuln_id IN ({marks})", ids)
        return _statements(rows)

    def get(self, vuln_id: str) -> Vulnerability | None:
        """Everything known about vuln_id merged across feeds and aliases; None if nothing."""
        aliases = self.aliases(vuln_id)
        ids = [vuln_id, *aliases]
        marks = ",".join("?" * len(ids))
        rows = self._rows(f"SELECT * FROM vuln WHERE id IN ({marks})", ids)
        cvss = self._cvss(ids, marks)
        kev = self._first(f"SELECT * FROM kev WHERE cve IN ({marks})", ids)
        epss = self._first(f"SELECT * FROM epss WHERE cve IN ({marks})", ids)
        exploits = self._exploits(ids, marks)
        known = rows or cvss or kev or epss or exploits or aliases
        if not known and not self._has_statements(vuln_id):
            return None
        return _merge(vuln_id, tuple(aliases), rows, cvss, kev, epss, exploits)

    def _cvss(self, ids: list[str], marks: str) -> tuple[CvssScore, ...]:
        rows = self._rows(
            "SELECT version, vector, base_score, severity, source FROM cvss"
            f" WHERE vuln_id IN ({marks})",
            ids,
        )
        return tuple(dict.fromkeys(CvssScore(*r) for r in rows))

    def _exploits(self, ids: list[str], marks: str) -> tuple[Exploit, ...]:
        rows = self._rows(
            f"SELECT source, id, url, title, published FROM exploit WHERE cve IN ({marks})", ids
        )
        return tuple(dict.fromkeys(Exploit(*r) for r in rows))

    def _first(self, sql: str, ids: list[str]) -> tuple[object, ...] | None:
        rows = {r[0]: tuple(r) for r in self._rows(sql, ids)}
        return next((rows[i] for i in ids if i in rows), None)

    def _has_statements(self, vuln_id: str) -> bool:
        sql = "SELECT 1 FROM affected WHERE vuln_id = ? LIMIT 1"
        return bool(self._rows(sql, (vuln_id,)))

    def status(self) -> DbStatus:
        """Schema, build time and per-source status of this database."""
        rows = self._rows("SELECT * FROM source_status ORDER BY name")
        return DbStatus(
            path=self.path,
            size=self.path.stat().st_size,
            schema_version=int(self.meta.get("schema_version", "0")),
            built_at=self.meta.get("built_at", ""),
            meta=dict(self.meta),
            sources=tuple(_status_from_row(r) for r in rows),
        )


_STATEMENT = ", ".join(
    f"CAST({column} AS TEXT)"
    for column in (
        "vuln_id", "namespace", "package", "source", "fix_state", "fixed_version", "ranges",
        "versions", "severity", "record_id", "note",
    )
)  # fmt: skip
"""The columns of an `Affected` statement, in its fields' order, each read as text whatever a
damaged file holds (a value that is not UTF-8 is then a database error, not a stray type)."""

_LISTED = "SELECT value FROM json_each(?)"
"""An `IN (...)` list as one JSON parameter: the statement's text (and its prepared form) is the
same for any number of names, and no bound on the number of parameters applies."""


def _json_list(items: Iterable[str]) -> str:
    """The JSON array `_LISTED` reads."""
    return orjson.dumps(list(items)).decode()


def may_affect(statement: Affected, version: str) -> bool:
    """Whether statement can apply to version (kept when the version cannot be compared)."""
    from sievert.versions import compare, is_affected  # `vuln search --version` only

    if statement.fix_state == NOT_AFFECTED:
        return False
    try:
        if statement.ranges or statement.versions:
            scheme = statement.namespace
            return is_affected(scheme, version, statement.ranges, statement.versions) is not None
        if statement.fix_state == FIXED and statement.fixed_version:
            return compare(statement.namespace, version, statement.fixed_version) < 0
    except SievertError:
        return True
    return True


class _Parsed:
    """The JSON columns of affected rows parsed once per distinct text over a batch (many
    statements share their ranges or versions list)."""

    def __init__(self) -> None:
        self.ranges: dict[str, tuple[VersionRange, ...]] = {"[]": ()}
        self.versions: dict[str, tuple[str, ...]] = {"[]": ()}
        self.events: dict[tuple[str, str], RangeEvent] = {}

    def of_ranges(self, text: str) -> tuple[VersionRange, ...]:
        found = self.ranges.get(text)
        if found is None:
            found = self.ranges[text] = _ranges(text, self.events)
        return found

    def of_versions(self, text: str) -> tuple[str, ...]:
        found = self.versions.get(text)
        if found is None:
            found = self.versions[text] = tuple(orjson.loads(text))
        return found


def _statements(rows: Iterable[Sequence[Any]]) -> list[Affected]:
    """Affected statements of rows of the `affected` table."""
    parsed = _Parsed()
    return [_affected_from_row(row, parsed) for row in rows]


def _affected_from_row(row: Sequence[Any], parsed: _Parsed) -> Affected:
    """The statement of a row selected as `_STATEMENT` (every column text already)."""
    ranges = parsed.ranges.get(row[6])
    if ranges is None:
        ranges = parsed.of_ranges(row[6])
    versions = parsed.versions.get(row[7])
    if versions is None:
        versions = parsed.of_versions(row[7])
    return Affected(
        row[0], row[1], row[2], row[3], row[4], row[5], ranges, versions, row[8], row[9], row[10]
    )


def _ranges(
    text: str, known: dict[tuple[str, str], RangeEvent] | None = None
) -> tuple[VersionRange, ...]:
    """The ranges of a `ranges` column; events already in `known` are shared, not rebuilt."""
    if text == "[]":
        return ()
    events = {} if known is None else known
    ranges = []
    for kind, pairs in orjson.loads(text):
        built = []
        for event_kind, version in pairs:
            event = events.get(pair := (event_kind, version))
            if event is None:
                event = events[pair] = RangeEvent(event_kind, version)
            built.append(event)
        ranges.append(VersionRange(kind, tuple(built)))
    return tuple(ranges)


def _unique(items: list[Any]) -> tuple[Any, ...]:
    """Items in order, each once."""
    return tuple(dict.fromkeys(items)) if len(items) > 1 else tuple(items)


def _texts(rows: list[tuple[object, ...]]) -> tuple[str, str, str, str]:
    """Summary, description, published, modified: each from the first row that has it."""
    if len(rows) == 1:
        row = rows[0]
        return str(row[2] or ""), str(row[3] or ""), str(row[4] or ""), str(row[5] or "")
    if not rows:
        return "", "", "", ""
    picked = [next((str(r[column]) for r in rows if r[column]), "") for column in (2, 3, 4, 5)]
    return picked[0], picked[1], picked[2], picked[3]


def _json_union(
    rows: list[tuple[object, ...]], column: int, *, skip_empty: bool = False
) -> tuple[str, ...]:
    """The items of a JSON list column over rows, first seen first, each once."""
    lists = [orjson.loads(str(r[column])) for r in rows if r[column] != "[]"]
    if not lists:
        return ()
    items = lists[0] if len(lists) == 1 else itertools.chain.from_iterable(lists)
    return tuple(dict.fromkeys(filter(None, items) if skip_empty else items))


def _json_items(text: object, *, skip_empty: bool = False) -> tuple[str, ...]:
    """`_json_union` of one row's column."""
    if text == "[]":
        return ()
    items = orjson.loads(str(text))
    return tuple(dict.fromkeys(filter(None, items) if skip_empty else items))


def _merge(
    vuln_id: str,
    aliases: tuple[str, ...],
    rows: list[tuple[object, ...]],
    cvss: tuple[CvssScore, ...],
    kev: tuple[object, ...] | None,
    epss: tuple[object, ...] | None,
    exploits: tuple[Exploit, ...],
) -> Vulnerability:
    if len(rows) > 1:
        rows = sorted(rows, key=lambda row: _description_rank(vuln_id, row))
    if len(rows) == 1:  # the common case: one feed describes the id
        row = rows[0]
        cwes = _json_items(row[6])
        references = _json_items(row[7], skip_empty=True)
        rejected = bool(row[8]) and row[0] == vuln_id
    else:
        cwes = _json_union(rows, 6) if rows else ()
        references = _json_union(rows, 7, skip_empty=True) if rows else ()
        rejected = any(bool(r[8]) for r in rows if r[0] == vuln_id)
    summary, description, published, modified = _texts(rows)
    return Vulnerability(
        id=vuln_id,
        aliases=aliases,
        summary=summary,
        description=description,
        published=published,
        modified=modified,
        cvss=cvss,
        cwes=cwes,
        references=references,
        kev_date_added=str(kev[1]) if kev else "",
        kev_due_date=str(kev[2]) if kev else "",
        kev_ransomware=bool(kev[3]) if kev else False,
        epss_score=float(str(epss[1])) if epss else None,
        epss_percentile=float(str(epss[2])) if epss else None,
        exploits=exploits,
        rejected=rejected,
    )


def _description_rank(vuln_id: str, row: tuple[object, ...]) -> tuple[bool, int]:
    """Rows of the id itself first, then its aliases'; within each, by DESCRIPTION_ORDER."""
    feed = str(row[1])
    order = DESCRIPTION_ORDER.index(feed) if feed in DESCRIPTION_ORDER else 99
    return (row[0] != vuln_id, order)
