"""Match an inventory: run each package's matcher, merge aliases, enrich and rate findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, runtime_checkable

from msgspec.structs import replace

from sievert.match.base import Candidate, Matcher, VulnSource
from sievert.match.plugins import MATCHERS
from sievert.match.risk import risk_by
from sievert.match.severity import rate_by
from sievert.model import Affected, Distro, Inventory, Notice, Package, Vulnerability
from sievert.model.finding import Finding
from sievert.model.vuln import preferred_cvss

SOURCE_PREFERENCE = ("debian-tracker", "alpine-secdb", "osv")


@runtime_checkable
class BatchVulnSource(VulnSource, Protocol):
    """A VulnSource that also answers many lookups at once (sievert.vulndb.VulnDB does)."""

    def affected_many(
        self, keys: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], list[Affected]]:
        """`affected` for every (namespace, package) key."""
        ...

    def get_many(self, vuln_ids: Iterable[str]) -> dict[str, Vulnerability | None]:
        """`get` for every id."""
        ...

    def aliases_many(self, vuln_ids: Iterable[str]) -> dict[str, list[str]]:
        """Every id's aliases, as `get(id).aliases` lists them."""
        ...


def match_inventory(
    inventory: Inventory, db: VulnSource, matchers: Sequence[Matcher] = MATCHERS
) -> tuple[tuple[Finding, ...], tuple[Notice, ...]]:
    """Findings for every package: one per (vulnerability, package location), aliases merged."""
    by_type = {t: m for m in matchers for t in m.package_types}
    pairs = [(p, by_type[p.type]) for p in inventory.packages if p.type in by_type]
    source = _prefetched(db, pairs, inventory.distro)
    records = _Records(db)
    matched: list[Candidate] = []
    notices: list[Notice] = []
    for package, matcher in pairs:
        outcome = matcher.match(package, inventory.distro, source)
        notices.extend(Notice(n, package.purl) for n in outcome.notices)
        matched.extend(outcome.candidates)
    records.prefetch_aliases(
        c.affected.vuln_id for c in matched if not c.affected.vuln_id.startswith("CVE-")
    )
    groups: dict[tuple[tuple[str, str, str, str], str, str], list[Candidate]] = {}
    for candidate in matched:
        package = candidate.package
        canonical = records.canonical_id(candidate.affected.vuln_id)
        where = package.locations[0].path if package.locations else ""
        groups.setdefault((package.key, where, canonical), []).append(candidate)
    records.prefetch(key[2] for key in groups)
    findings = [_finding(key[2], group, records) for key, group in groups.items()]
    findings.sort(key=lambda f: (-f.severity.rank, f.package.name, f.id))
    return tuple(findings), tuple(notices)


def _finding(canonical: str, group: list[Candidate], records: _Records) -> Finding:
    if len(group) == 1:  # the common case: one statement matched
        best = group[0]
        ids = {best.affected.vuln_id}
        fixes = tuple(dict.fromkeys(best.fixed_versions))
    else:
        best = min(group, key=_preference)
        ids = {c.affected.vuln_id for c in group}
        fixes = tuple(dict.fromkeys(v for c in group for v in c.fixed_versions))
    vulnerability = records.merged(canonical, ids)
    score = preferred_cvss(vulnerability.cvss) if vulnerability.cvss else None
    severity, severity_source = rate_by(best.affected, score)
    return Finding(
        vulnerability=vulnerability,
        package=best.package,
        affected=best.affected,
        evidence=best.evidence,
        severity=severity,
        severity_source=severity_source,
        fix_state=best.fix_state,
        fixed_versions=fixes,
        risk=risk_by(vulnerability, severity, score),
    )


def _preference(candidate: Candidate) -> tuple[int, int, str]:
    source = candidate.affected.source
    order = (
        SOURCE_PREFERENCE.index(source) if source in SOURCE_PREFERENCE else len(SOURCE_PREFERENCE)
    )
    return (order, 0 if candidate.fixed_versions else 1, candidate.affected.vuln_id)


def _prefetched(
    db: VulnSource, pairs: Sequence[tuple[Package, Matcher]], distro: Distro | None
) -> VulnSource:
    """A source answering every lookup the matchers will make from one batch of queries.

    A first pass runs the matchers against a recorder (no statements, so no version is
    compared) to learn their (namespace, package) keys; a key the real pass asks for that the
    recorder did not see is looked up in the database then, so the result never depends on
    the prefetch."""
    if not isinstance(db, BatchVulnSource):
        return db
    recorder = _Recorder()
    for package, matcher in pairs:
        matcher.match(package, distro, recorder)
    return _Answers(db, db.affected_many(recorder.keys))


class _Recorder:
    """Notes the lookups a matcher makes; has no statements and no records."""

    def __init__(self) -> None:
        self.keys: set[tuple[str, str]] = set()

    def affected(self, namespace: str, package: str) -> list[Affected]:
        self.keys.add((namespace, package))
        return []

    def get(self, vuln_id: str) -> Vulnerability | None:
        return None


class _Answers:
    """Prefetched statements, with the database behind them for anything else."""

    def __init__(self, db: VulnSource, statements: dict[tuple[str, str], list[Affected]]) -> None:
        self._db = db
        self._statements = statements

    def affected(self, namespace: str, package: str) -> list[Affected]:
        found = self._statements.get((namespace, package))
        return list(found) if found is not None else self._db.affected(namespace, package)

    def get(self, vuln_id: str) -> Vulnerability | None:
        return self._db.get(vuln_id)


class _Records:
    """Merged vulnerability records, looked up once per id (in batches where the source can)."""

    def __init__(self, db: VulnSource) -> None:
        self._db = db
        self._cache: dict[str, Vulnerability | None] = {}
        self._aliases: dict[str, list[str]] = {}

    def prefetch_aliases(self, vuln_ids: Iterable[str]) -> None:
        """Read the aliases of ids in one batch: all `canonical_id` needs of a record."""
        if isinstance(self._db, BatchVulnSource):
            self._aliases.update(self._db.aliases_many(set(vuln_ids) - set(self._aliases)))

    def prefetch(self, vuln_ids: Iterable[str]) -> None:
        """Look up every id not seen yet in one batch (when the source answers batches)."""
        if isinstance(self._db, BatchVulnSource):
            missing = {i for i in vuln_ids if i not in self._cache}
            if missing:
                self._cache.update(self._db.get_many(missing))

    def get(self, vuln_id: str) -> Vulnerability | None:
        if vuln_id not in self._cache:
            self._cache[vuln_id] = self._db.get(vuln_id)
        return self._cache[vuln_id]

    def canonical_id(self, vuln_id: str) -> str:
        """The CVE id among a record's aliases when there is one, else the id itself."""
        if vuln_id.startswith("CVE-"):
            return vuln_id
        if vuln_id in self._aliases:  # a record has exactly these aliases (or none: no record)
            names: tuple[str, ...] = (vuln_id, *self._aliases[vuln_id])
        else:
            record = self.get(vuln_id)
            names = (record.id, *record.aliases) if record else ()
        cves = sorted(a for a in names if a.startswith("CVE-"))
        return cves[0] if cves else vuln_id

    def merged(self, canonical: str, ids: set[str]) -> Vulnerability:
        """The canonical record, with every matched id among its aliases."""
        record = self.get(canonical) or Vulnerability(id=canonical)
        aliases = tuple(sorted((set(record.aliases) | ids) - {canonical}))
        if record.id == canonical and record.aliases == aliases:
            return record  # the common case: a CVE matched by its own id
        return replace(record, id=canonical, aliases=aliases)
