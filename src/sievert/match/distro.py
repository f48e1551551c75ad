"""OS packages matched only against their distro's own data, by source package and release."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from sievert.errors import VersionError
from sievert.match.base import NOTHING, Candidate, MatchOutcome, VulnSource
from sievert.model import Affected, Distro, Package
from sievert.model.finding import MatchEvidence
from sievert.model.vuln import FIXED, NOT_AFFECTED
from sievert.versions import scheme_for

if TYPE_CHECKING:
    from sievert.versions import Scheme

DEBIAN_LIKE = ("debian", "ubuntu")


def namespace_for(distro: Distro | None, package_type: str) -> str:
    """'debian:bookworm', 'ubuntu:jammy', 'alpine:3.23', 'rhel:9'...; '' when not matchable."""
    if distro is None:
        return ""
    if package_type == "deb" and distro.id in DEBIAN_LIKE and distro.codename:
        return f"{distro.id}:{distro.codename}"
    if package_type == "apk" and distro.id in ("alpine", "wolfi", "chainguard"):
        return f"{distro.id}:{distro.release}" if distro.id == "alpine" else f"{distro.id}:rolling"
    if package_type == "rpm" and distro.version_id:
        return f"{distro.id}:{distro.version_id.split('.')[0]}"
    return ""


class DistroMatcher(msgspec.Struct, frozen=True):
    """Matches one OS package type against distro advisories (vendor data first, as Trivy does)."""

    name: str
    package_types: tuple[str, ...]
    scheme: str

    def match(self, package: Package, distro: Distro | None, db: VulnSource) -> MatchOutcome:
        """Statements for the package's source name in its release; fixed ones compared."""
        namespace = namespace_for(distro, package.type)
        if not namespace:
            return NOTHING
        source = package.source_name or package.name
        statements = self._statements(db, namespace, package, source)
        if not statements:
            return NOTHING
        installed = self._installed_version(package)
        below = _below(scheme_for(self.scheme), installed)
        candidates: list[Candidate] = []
        notices: list[str] = []
        for statement in statements:
            state = statement.fix_state
            if state == NOT_AFFECTED:
                continue
            if state == FIXED:  # most statements: fixed at or below the installed version
                fixed = statement.fixed_version
                try:
                    if not fixed or not below(fixed):
                        continue
                except VersionError as exc:
                    notices.append(f"{statement.vuln_id} for {package.name}: {exc}")
                    continue
            candidates.append(self._candidate(package, statement))
        return MatchOutcome(tuple(candidates), tuple(notices))

    def _statements(
        self, db: VulnSource, namespace: str, package: Package, source: str
    ) -> list[Affected]:
        """Statements by source package; rpm feeds (OSV Red Hat/Alma/Rocky) also key binaries."""
        statements = db.affected(namespace, source)
        if package.type == "rpm" and package.name != source:
            seen = {s.vuln_id for s in statements}
            statements += [s for s in db.affected(namespace, package.name) if s.vuln_id not in seen]
        return statements

    def _installed_version(self, package: Package) -> str:
        """Source version for Debian (the tracker speaks of source uploads), else the package's."""
        if package.type == "deb" and package.source_version:
            return package.source_version
        if package.type == "rpm":
            epoch = f"{package.epoch}:" if package.epoch else ""
            return f"{epoch}{package.version}"
        return package.version

    def _candidate(self, package: Package, statement: Affected) -> Candidate:
        """The candidate of a statement that applies to the installed version: below its fixed
        version, or with no fix (affected, won't fix, deferred...)."""
        state = statement.fix_state
        fixed = statement.fixed_version
        if state == FIXED:
            constraint = f"< {fixed}"
        else:
            constraint = f"all versions ({state}{': ' + statement.note if statement.note else ''})"
        evidence = MatchEvidence(
            source=statement.source,
            record_id=statement.record_id or statement.vuln_id,
            namespace=statement.namespace,
            matched_by="source-package" if statement.package != package.name else "package",
            matched_name=statement.package,
            constraint=constraint,
        )
        fixes = (fixed,) if state == FIXED and fixed else ()
        return Candidate(package, statement, evidence, state, fixes)


def _below(scheme: Scheme, installed: str) -> Callable[[str], bool]:
    """Whether the installed version is below a fixed one (`scheme.compare(installed, fixed) <
    0`): through the scheme's order key when it has one, the installed version's key computed
    once (its VersionError, like compare's, is raised first and on every comparison)."""
    key = scheme.key
    if key is None:
        compare = scheme.compare
        return lambda fixed: compare(installed, fixed) < 0
    keys: list[Any] = []

    def below(fixed: str) -> bool:
        if not keys:
            keys.append(key(installed))
        return bool(keys[0] < key(fixed))

    return below
