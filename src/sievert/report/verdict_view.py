"""What the CI and people-facing writers share: finding keys, suppressions and the status word.

A policy verdict points at findings through `FindingRef` keys (see `sievert.model.policy`; the
policy engine builds them in `sievert.policy.refs`, which this module mirrors since `report`
may not import `policy`): `ID|purl (or name)|first location path` for vulnerabilities,
`RULE|path:line` for config (path 'image config' when none) and secret findings.
`Suppressions` answers "is this finding suppressed, and by what?" for each kind.
"""

from __future__ import annotations

import msgspec

from sievert.model.checks import CheckFinding, SecretFinding
from sievert.model.finding import Finding, ScanResult
from sievert.model.policy import GO, STOP, WARN, Suppression
from sievert.report.scan.common import package_path

STATUS_WORDS = {STOP: "FAIL", WARN: "WARN", GO: "PASS"}


def vulnerability_key(finding: Finding) -> str:
    """`ID|purl|path`: the key a verdict uses for a vulnerability finding."""
    package = finding.package
    return f"{finding.id}|{package.purl or package.name}|{package_path(package)}"


def check_key(finding: CheckFinding) -> str:
    """`RULE|path:line` ('image config' for no path): the key a verdict uses for it."""
    return f"{finding.rule.id}|{finding.region.path or 'image config'}:{finding.region.start_line}"


def secret_key(finding: SecretFinding) -> str:
    """`RULE|path:line`: the key a verdict uses for a secret."""
    return f"{finding.rule.id}|{finding.region.path}:{finding.region.start_line}"


def _alias_keys(finding: Finding) -> list[str]:
    rest = vulnerability_key(finding).partition("|")[2]
    return [f"{alias}|{rest}" for alias in finding.vulnerability.aliases]


class Suppressions(msgspec.Struct, frozen=True):
    """The verdict's suppressions indexed by finding key (empty without a verdict)."""

    by_key: dict[str, Suppression]

    @classmethod
    def of(cls, result: ScanResult) -> Suppressions:
        """Index the suppressions of the result's verdict."""
        verdict = result.verdict
        items = verdict.suppressed if verdict is not None else ()
        return cls({s.finding.key: s for s in items})

    def vulnerability(self, finding: Finding) -> Suppression | None:
        """The suppression of a vulnerability finding (also matched through its aliases)."""
        for key in (vulnerability_key(finding), *_alias_keys(finding)):
            if key in self.by_key:
                return self.by_key[key]
        return None

    def check(self, finding: CheckFinding) -> str:
        """Why a misconfiguration is suppressed ('' when active)."""
        found = self.by_key.get(check_key(finding))
        if found is not None:
            return describe_suppression(found)
        return finding.suppressed_by

    def secret(self, finding: SecretFinding) -> str:
        """Why a secret finding is suppressed ('' when active)."""
        found = self.by_key.get(secret_key(finding))
        return describe_suppression(found) if found is not None else ""


def describe_suppression(suppression: Suppression) -> str:
    """One line: source, status and reason, e.g. 'vex:app.vex.json not_affected: reason'."""
    head = suppression.source
    if suppression.status:
        head = f"{head} {suppression.status}"
    return f"{head}: {suppression.reason}" if suppression.reason else head


def status_word(result: ScanResult, active_findings: int) -> str:
    """FAIL/WARN/PASS from the verdict; without one FINDINGS or CLEAN."""
    if result.verdict is not None:
        return STATUS_WORDS.get(result.verdict.action, result.verdict.action.upper())
    return "FINDINGS" if active_findings else "CLEAN"


def active_findings(result: ScanResult) -> list[Finding]:
    """The vulnerability findings no suppression takes out, in the result's order."""
    suppressions = Suppressions.of(result)
    return [f for f in result.findings if suppressions.vulnerability(f) is None]


def suppressed_count(result: ScanResult) -> int:
    """How many findings of every kind are suppressed (verdict or inline)."""
    suppressions = Suppressions.of(result)
    count = sum(1 for f in result.findings if suppressions.vulnerability(f) is not None)
    count += sum(1 for f in result.config_findings if suppressions.check(f))
    return count + sum(1 for f in result.secret_findings if suppressions.secret(f))
