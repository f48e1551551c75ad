"""Scan results with a policy verdict, config and secret findings for the CI/people writers."""

from __future__ import annotations

from msgspec.structs import replace

from sievert.model.checks import CheckFinding, Region, Rule, SecretFinding
from sievert.model.finding import Finding, ScanResult
from sievert.model.policy import STOP, WARN, FindingRef, PolicyVerdict, Suppression, TriggeredRule
from sievert.model.severity import Severity
from sievert.report.verdict_view import check_key, secret_key, vulnerability_key
from tests.report.scan_results import small_scan

ROOT_RULE = Rule("SV-IMG-001", Severity.HIGH, "Image runs as root", remediation="Add a USER line.")
CURL_RULE = Rule(
    "SV-DF-004", Severity.MEDIUM, "curl piped to a shell", docs="docs/rules/SV-DF-004.md"
)
AWS_RULE = Rule("SV-SEC-001", Severity.CRITICAL, "AWS access key")


def _ref(finding: Finding) -> FindingRef:
    return FindingRef("vulnerability", vulnerability_key(finding), f"{finding.id} summary")


def config_findings() -> tuple[CheckFinding, ...]:
    """An active image finding and an inline-suppressed Dockerfile finding."""
    return (
        CheckFinding(ROOT_RULE, "the image has no USER", Region("", 0, 0, -1), Severity.HIGH),
        CheckFinding(
            CURL_RULE,
            "curl | sh downloads and runs a script",
            Region("Dockerfile", 3, 3),
            Severity.MEDIUM,
            instruction="RUN curl https://x.example/i.sh | sh",
            suppressed_by="inline: vendor installer, pinned by checksum",
        ),
    )


def secret_findings() -> tuple[SecretFinding, ...]:
    """One secret in a layer file, deleted by a later layer."""
    return (
        SecretFinding(
            AWS_RULE,
            Region("/app/.env", 2, 2, 1),
            "sha256:" + "2" * 64,
            "aws_access_key_id = AKIA************",
            deleted_later=True,
            severity=Severity.CRITICAL,
        ),
    )


def verdict_for(result: ScanResult) -> PolicyVerdict:
    """A stop verdict: requests suppressed by VEX, the gem's finding by an exception."""
    glibc, bash, requests, _ruby, gem, _temp = result.findings
    config = result.config_findings[0]
    secret = result.secret_findings[0]
    return PolicyVerdict(
        policy="production",
        action=STOP,
        triggered=(
            TriggeredRule("no-critical", STOP, "No critical vulnerabilities", (_ref(glibc),)),
            TriggeredRule("no-secrets", STOP, "No secrets in layers", (
                FindingRef("secret", secret_key(secret), "AWS access key in /app/.env"),)),
            TriggeredRule("unfixed-high", WARN, "High findings without a fix", (_ref(bash),)),
            TriggeredRule("root-user", WARN, "Images should not run as root", (
                FindingRef("config", check_key(config), "image runs as root"),)),
        ),
        suppressed=(
            Suppression(_ref(requests), "vex:app.vex.json", "vulnerable_code_not_in_execute_path",
                        status="not_affected"),
            Suppression(_ref(gem), "exception", "accepted until the ruby upgrade",
                        owner="team-app", ticket="APP-12", expires="2099-01-01"),
        ),
        expired_exceptions=("CVE-2020-0001 (expired 2024-01-01)",),
        mapping="registry.example/team/*",
    )  # fmt: skip


def verdict_scan() -> ScanResult:
    """The small scan with every scanner's findings and a policy verdict."""
    result = replace(
        small_scan(),
        config_findings=config_findings(),
        secret_findings=secret_findings(),
        scanners=("vuln", "config", "secret"),
    )
    return replace(result, verdict=verdict_for(result))
