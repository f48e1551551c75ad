"""Stored match results: a rescan of an unchanged inventory against an unchanged database reads
the findings the last scan made instead of matching again.

The key names everything matching reads: the inventory (every field of every package, and the
distro), the database's content (`VulnDB.content_identity`: a build id every build writes, and
the file's identity), the code that matches (Sievert's version and the path, size and mtime of
every module of the packages in MATCH_CODE, as the analysis cache does for the catalogers; the
Python and SQLite versions and the files of the libraries in MATCH_DEPENDENCIES) and the stored
layout. A database update, an import, an edit of the file or of the code, an upgraded library,
or another `--pkg-types`: another key, so a stored result is never read for anything else.
What is stored is the matcher's output alone (findings and notices); the database's status,
warnings and the gate are applied afresh on every scan.

Results live in the layer cache's table of stored analyses (`LayerCache.get_analysis`), under
the same size bound and least-recently-used eviction. A stored entry is read as hostile: any
damage, wrong shape or wrong type in it is a miss (the entry is dropped and the inventory
matched), never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import orjson
import zstandard

from sievert.errors import CacheError
from sievert.model import Affected, Inventory, Notice, Package, Severity, Vulnerability
from sievert.model.finding import Finding, MatchEvidence
from sievert.model.vuln import CvssScore, Exploit, RangeEvent, VersionRange
from sievert.pipeline.analysis import (
    PACKAGE_ROOT,
    code_identity,
    dependency_identity,
    distro_row,
    package_row,
)

if TYPE_CHECKING:
    from sievert.source.cache import LayerCache
    from sievert.vulndb import VulnDB

MATCH_FORMAT = "1"
"""Bumped when the stored layout below changes."""
MATCH_CODE = ("match", "vulndb", "versions", "model", "pipeline")
"""The sievert packages whose code decides findings (with the top-level modules)."""
MATCH_DEPENDENCIES = ("packaging", "orjson")
"""Libraries whose code decides findings too: PEP 440 order, the database's JSON columns."""
KEY_PREFIX = "match|"
MAX_STORED = 512 * 1024 * 1024
"""The largest stored result read back (its JSON text): a bound on what a damaged or planted
entry can make a scan allocate."""

Matched = tuple[tuple[Finding, ...], tuple[Notice, ...]]


def stored_match(inventory: Inventory, db: VulnDB, store: LayerCache) -> Matched:
    """The matcher's findings and notices for inventory: read from the store when this
    inventory was matched against this database by this code before, else matched and kept."""
    key = match_key(inventory, db)
    if key is None:
        return _match(inventory, db)
    try:
        data = store.get_analysis(key)
    except CacheError:  # an unreadable cache slows the scan down, nothing more
        return _match(inventory, db)
    if data is not None:
        found = decode(data, inventory.packages)
        if found is not None:
            return found
    matched = _match(inventory, db)
    data = encode(matched, inventory.packages)
    if data is not None:
        # Replaces a damaged entry under the same key; a cache that cannot take it (full,
        # locked, read-only: its eviction's reads are not wrapped) costs the next scan a match.
        with contextlib.suppress(CacheError, sqlite3.Error):
            store.put_analysis(key, data)
    return matched


def _match(inventory: Inventory, db: VulnDB) -> Matched:
    from sievert.match.engine import match_inventory  # loads on a miss only

    return match_inventory(inventory, db)


def match_key(inventory: Inventory, db: VulnDB) -> str | None:
    """The stored result's key; None when the database cannot name its content."""
    content = db.content_identity()
    if content is None:
        return None
    digest = hashlib.sha256(f"{MATCH_FORMAT}|{_running_code()}|{content}\n".encode())
    rows = [distro_row(inventory.distro), [package_row(p) for p in inventory.packages]]
    digest.update(orjson.dumps(rows))
    return KEY_PREFIX + digest.hexdigest()


@cache
def _running_code() -> str:
    return "|".join(
        (code_identity(PACKAGE_ROOT, MATCH_CODE), dependency_identity(MATCH_DEPENDENCIES))
    )


# ------------------------------------------------------------------ the stored layout


class _Table:
    """Rows stored once each, referred to by index: objects the matcher shares (a record, a
    statement, a ranges list, a versions list) are stored and rebuilt once."""

    def __init__(self) -> None:
        self.rows: list[Any] = []
        self._places: dict[Any, int] = {}

    def place(self, key: Any, row: Any) -> int:
        found = self._places.get(key)
        if found is None:
            found = self._places[key] = len(self.rows)
            self.rows.append(row)
        return found


def encode(matched: Matched, packages: Sequence[Package]) -> bytes | None:
    """Findings and notices as compact JSON tables, zstd-compressed: a finding's package is its
    index in `packages`; records, statements, their ranges and versions lists and evidences
    are stored once each. None when a finding's package is not one of `packages` or a value
    has no JSON form (the result is then not stored)."""
    findings, notices = matched
    place = {id(p): n for n, p in enumerate(packages)}
    vulns, statements, ranges, versions, evidences = (_Table() for _ in range(5))
    rows: list[list[Any]] = []
    for f in findings:
        where = place.get(id(f.package))
        if where is None:
            return None
        a, e, v = f.affected, f.evidence, f.vulnerability
        statement = statements.place(id(a), [
            a.vuln_id, a.namespace, a.package, a.source, a.fix_state, a.fixed_version,
            a.severity, a.record_id, a.note,
            ranges.place(id(a.ranges), [_range_row(r) for r in a.ranges]),
            versions.place(id(a.versions), a.versions),
        ])  # fmt: skip
        evidence = [e.source, e.record_id, e.namespace, e.matched_by, e.matched_name,
                    e.constraint, e.confidence]  # fmt: skip
        rows.append([
            vulns.place(id(v), _vuln_row(v)), where, statement,
            evidences.place(tuple(evidence), evidence),
            f.severity.value, f.severity_source, f.fix_state, f.fixed_versions, f.risk,
        ])  # fmt: skip
    document = {
        "vulns": vulns.rows,
        "statements": statements.rows,
        "ranges": ranges.rows,
        "versions": versions.rows,
        "evidences": evidences.rows,
        "findings": rows,
        "notices": [[n.message, n.where, n.level] for n in notices],
    }
    try:
        text = orjson.dumps(document)
    except (orjson.JSONEncodeError, TypeError):
        return None
    return zstandard.ZstdCompressor(level=1).compress(text) if len(text) <= MAX_STORED else None


def _vuln_row(v: Vulnerability) -> list[Any]:
    return [
        v.id, v.summary, v.description, v.published, v.modified, v.kev_date_added,
        v.kev_due_date, v.aliases, v.cwes, v.references,
        [[s.version, s.vector, s.severity, s.source, s.base_score] for s in v.cvss],
        [[x.source, x.id, x.url, x.title, x.published] for x in v.exploits],
        v.kev_ransomware, v.epss_score, v.epss_percentile, v.rejected,
    ]  # fmt: skip


def _range_row(r: VersionRange) -> list[Any]:
    return [r.type, [[e.kind, e.version] for e in r.events]]


def decode(data: bytes, packages: Sequence[Package]) -> Matched | None:
    """Inverse of `encode`; None when the bytes are damaged, of another layout, or hold a
    value of the wrong type anywhere (strings are checked by joining them: a TypeError)."""
    try:
        if not 0 <= zstandard.frame_content_size(data) <= MAX_STORED:
            return None  # no declared size, or more than a result can be: not ours
        document = orjson.loads(zstandard.ZstdDecompressor().decompress(data))
        vulns = [_vulnerability(row) for row in _list(document["vulns"])]
        ranges = [tuple(_range(r) for r in _list(rows)) for rows in _list(document["ranges"])]
        versions = [_strings(row) for row in _list(document["versions"])]
        statements = [_affected(row, ranges, versions) for row in _list(document["statements"])]
        evidences = [MatchEvidence(*_texts(row, 7)) for row in _list(document["evidences"])]
        tables = (vulns, packages, statements, evidences)
        findings = tuple(_finding(row, tables) for row in _list(document["findings"]))
        notices = tuple(Notice(*_texts(row, 3)) for row in _list(document["notices"]))
    except (zstandard.ZstdError, KeyError, IndexError, TypeError, ValueError):
        return None  # ValueError: JSON errors, a wrong shape or type, an unknown severity
    return findings, notices


def _vulnerability(row: Any) -> Vulnerability:
    (vuln_id, summary, description, published, modified, kev_added, kev_due) = _texts(row, 16, 7)
    (aliases, cwes, references, cvss, exploits, ransomware, epss, percentile, rejected) = row[7:]
    return Vulnerability(
        id=vuln_id,
        aliases=_strings(aliases),
        summary=summary,
        description=description,
        published=published,
        modified=modified,
        cvss=tuple(_cvss(s) for s in _list(cvss)),
        cwes=_strings(cwes),
        references=_strings(references),
        kev_date_added=kev_added,
        kev_ransomware=_flag(ransomware),
        kev_due_date=kev_due,
        epss_score=_score(epss),
        epss_percentile=_score(percentile),
        exploits=tuple(Exploit(*_texts(x, 5)) for x in _list(exploits)),
        rejected=_flag(rejected),
    )


def _cvss(row: Any) -> CvssScore:
    version, vector, severity, source = _texts(row, 5, 4)
    return CvssScore(version, vector, _number(row[4]), severity, source)


def _range(row: Any) -> VersionRange:
    (kind,) = _texts(row, 2, 1)
    return VersionRange(kind, tuple(RangeEvent(*_texts(e, 2)) for e in _list(row[1])))


def _affected(row: Any, ranges: list[Any], versions: list[tuple[str, ...]]) -> Affected:
    vuln_id, namespace, package, source, state, fixed, severity, record, note = _texts(row, 11, 9)
    return Affected(
        vuln_id,
        namespace,
        package,
        source,
        state,
        fixed,
        ranges[_index(row[9])],
        versions[_index(row[10])],
        severity,
        record,
        note,
    )


def _finding(row: Any, tables: tuple[Any, ...]) -> Finding:
    vulns, packages, statements, evidences = tables
    record, where, statement, evidence, severity, severity_source, state = _list(row, 9)[:7]
    "".join((severity, severity_source, state))  # a TypeError unless all are strings
    return Finding(
        vulnerability=vulns[_index(record)],
        package=packages[_index(where)],
        affected=statements[_index(statement)],
        evidence=evidences[_index(evidence)],
        severity=_SEVERITIES[severity],  # a KeyError for a word that is not a severity
        severity_source=severity_source,
        fix_state=state,
        fixed_versions=_strings(row[7]),
        risk=_number(row[8]),
    )


# ------------------------------------------------------------------ checked JSON values

_SEVERITIES = {severity.value: severity for severity in Severity}


def _list(value: Any, length: int | None = None) -> list[Any]:
    if type(value) is not list or (length is not None and len(value) != length):
        raise ValueError("not a list of the stored length")
    return value


def _texts(value: Any, length: int, strings: int | None = None) -> list[str]:
    """A list of `length` items whose first `strings` (all by default) are strings."""
    items = _list(value, length)[:strings]
    "".join(items)  # a TypeError unless every one is a string
    return items


def _strings(value: Any) -> tuple[str, ...]:
    items = _list(value)
    "".join(items)  # a TypeError unless every one is a string
    return tuple(items)


def _flag(value: Any) -> bool:
    if type(value) is not bool:
        raise ValueError("not a boolean")
    return value


def _number(value: Any) -> float:
    if type(value) is not float:  # scores and risks are floats (7.0 stays 7.0 in a report)
        raise ValueError("not a float")
    return value


def _score(value: Any) -> float | None:
    return None if value is None else _number(value)


def _index(value: Any) -> int:
    """A table index (negative ones are refused: they would read from the end)."""
    if type(value) is not int or value < 0:
        raise ValueError("not an index")
    return value
