"""What a matcher is: the package types it handles and a function from a package to candidates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import msgspec

from sievert.model import Affected, Distro, Package, Vulnerability
from sievert.model.finding import MatchEvidence


class VulnSource(Protocol):
    """The lookups matching needs (sievert.vulndb.VulnDB provides them)."""

    def affected(self, namespace: str, package: str) -> list[Affected]:
        """Every statement about a package in a namespace."""
        ...

    def get(self, vuln_id: str) -> Vulnerability | None:
        """The merged record of a vulnerability (aliases resolved)."""
        ...


class Candidate(msgspec.Struct, frozen=True):
    """A statement that matched a package, before aliases are merged and records enriched."""

    package: Package
    affected: Affected
    evidence: MatchEvidence
    fix_state: str
    fixed_versions: tuple[str, ...] = ()


class MatchOutcome(msgspec.Struct, frozen=True):
    """Candidates from one matcher run, and notices (e.g. a range that could not be evaluated)."""

    candidates: tuple[Candidate, ...] = ()
    notices: tuple[str, ...] = ()


NOTHING = MatchOutcome()
"""The outcome of a package nothing matched (immutable: one shared value)."""


class Matcher(Protocol):
    """A plug-in matching some package types against their own advisory data."""

    @property
    def name(self) -> str:
        """Stable id of the matcher."""
        ...

    @property
    def package_types(self) -> Sequence[str]:
        """Package types (purl types) it handles."""
        ...

    def match(self, package: Package, distro: Distro | None, db: VulnSource) -> MatchOutcome:
        """Candidates for one package."""
        ...
