"""Match an inventory: run each package's matcher, merge aliases, enrich and rate findings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sievert.match.base import Candidate, Matcher, VulnSource
from sievert.match.plugins import MATCHERS
from sievert.match.risk import risk_score
from sievert.match.severity import rate
from sievert.model import Inventory, Notice, Vulnerability
from sievert.model.finding import Finding

SOURCE_PREFERENCE = ("debian-tracker", "alpine-secdb", "osv")


def match_inventory(
    inventory: Inventory, db: VulnSource, matchers: Sequence[Matcher] = MATCHERS
) -> tuple[tuple[Finding, ...], tuple[Notice, ...]]:
    """Findings for every package: one per (vulnerability, package location), aliases merged."""
    by_type = {t: m for m in matchers for t in m.package_types}
    records = _Records(db)
    groups: dict[tuple[tuple[str, str, str, str], str, str], list[Candidate]] = {}
    notices: list[Notice] = []
    for package in inventory.packages:
        matcher = by_type.get(package.type)
        if matcher is None:
            continue
        outcome = matcher.match(package, inventory.distro, db)
        notices.extend(Notice(n, package.purl) for n in outcome.notices)
        for candidate in outcome.candidates:
            canonical = records.canonical_id(candidate.affected.vuln_id)
            where = package.locations[0].path if package.locations else ""
            groups.setdefault((package.key, where, canonical), []).append(candidate)
    findings = [_finding(key[2], group, records) for key, group in groups.items()]
    findings.sort(key=lambda f: (-f.severity.rank, f.package.name, f.id))
    return tuple(findings), tuple(notices)


def _finding(canonical: str, group: list[Candidate], records: _Records) -> Finding:
    best = min(group, key=_preference)
    ids = {c.affected.vuln_id for c in group}
    vulnerability = records.merged(canonical, ids)
    severity, severity_source = rate(best.affected, vulnerability)
    fixes = tuple(dict.fromkeys(v for c in group for v in c.fixed_versions))
    return Finding(
        vulnerability=vulnerability,
        package=best.package,
        affected=best.affected,
        evidence=best.evidence,
        severity=severity,
        severity_source=severity_source,
        fix_state=best.fix_state,
        fixed_versions=fixes,
        risk=risk_score(vulnerability, severity),
    )


def _preference(candidate: Candidate) -> tuple[int, int, str]:
    source = candidate.affected.source
    order = (
        SOURCE_PREFERENCE.index(source) if source in SOURCE_PREFERENCE else len(SOURCE_PREFERENCE)
    )
    return (order, 0 if candidate.fixed_versions else 1, candidate.affected.vuln_id)


class _Records:
    """Merged vulnerability records, looked up once per id."""

    def __init__(self, db: VulnSource) -> None:
        self._db = db
        self._cache: dict[str, Vulnerability | None] = {}

    def get(self, vuln_id: str) -> Vulnerability | None:
        if vuln_id not in self._cache:
            self._cache[vuln_id] = self._db.get(vuln_id)
        return self._cache[vuln_id]

    def canonical_id(self, vuln_id: str) -> str:
        """The CVE id among a record's aliases when there is one, else the id itself."""
        if vuln_id.startswith("CVE-"):
            return vuln_id
        record = self.get(vuln_id)
        names = (record.id, *record.aliases) if record else ()
        cves = sorted(a for a in names if a.startswith("CVE-"))
        return cves[0] if cves else vuln_id

    def merged(self, canonical: str, ids: set[str]) -> Vulnerability:
        """The canonical record, with every matched id among its aliases."""
        record = self.get(canonical) or Vulnerability(id=canonical)
        aliases = sorted((set(record.aliases) | ids) - {canonical})
        return replace(record, id=canonical, aliases=tuple(aliases))
