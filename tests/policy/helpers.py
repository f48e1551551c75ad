"""Scan results and one-rule policies for the policy tests."""

from __future__ import annotations

import datetime as dt
import textwrap

from msgspec.structs import replace

from sievert.model.checks import CheckFinding, Region, Rule, SecretFinding
from sievert.model.finding import ScanResult
from sievert.model.policy import PolicyVerdict
from sievert.model.severity import Severity
from sievert.policy import BaseImage, PolicyDocument, evaluate, parse_policy
from tests.report.scan_results import small_scan

NOW = dt.date(2024, 6, 1)

DF_ROOT = Rule("SV-DF-002", Severity.HIGH, "Last USER is root")
DF_PIN = Rule("SV-DF-003", Severity.MEDIUM, "Base image not pinned")
SEC_AWS = Rule("SV-SEC-001", Severity.CRITICAL, "AWS access key")
SEC_PEM = Rule("SV-SEC-004", Severity.HIGH, "Private key")


def scan() -> ScanResult:
    """The small scan (6 findings) with config and secret findings and a DB built 2024-05-16."""
    return replace(
        small_scan(),
        config_findings=(
            CheckFinding(
                DF_ROOT, "USER root", Region("Dockerfile", 9, 9), Severity.HIGH, "USER root"
            ),
            CheckFinding(DF_PIN, "FROM debian", Region("Dockerfile", 1, 1), Severity.MEDIUM),
        ),
        secret_findings=(
            SecretFinding(
                SEC_AWS,
                Region("/app/.env", 2, 2, 2),
                "sha256:c",
                "AKIA****",
                severity=Severity.CRITICAL,
            ),
            SecretFinding(
                SEC_PEM,
                Region("/usr/share/doc/x/key.pem", 1, 1, 1),
                "sha256:b",
                "--",
                severity=Severity.HIGH,
            ),
        ),
        scanners=("vuln", "config", "secret"),
    )


def one_rule(when: str, action: str = "stop", extra: str = "") -> PolicyDocument:
    """A policy with a single rule `r` whose `when` is the given YAML flow mapping."""
    text = f"""
    policies:
      - id: p
        rules:
          - id: r
            action: {action}
            description: test rule
            {extra}
            when: {when}
    """
    return parse_policy(textwrap.dedent(text))


def verdict_of(
    when: str,
    result: ScanResult | None = None,
    base: BaseImage | None = None,
    now: dt.date = NOW,
    extra: str = "",
) -> PolicyVerdict:
    """The verdict of a one-rule policy on the scan."""
    return evaluate(result or scan(), one_rule(when, extra=extra), now=now, base=base)


def subjects(verdict: PolicyVerdict) -> list[str]:
    """What triggered: 'CVE-x/package' for vulnerabilities, the package name, the config or
    secret key ('SV-DF-002|Dockerfile:9'), or 'image'."""
    out = []
    for rule in verdict.triggered:
        for ref in rule.findings:
            words = ref.summary.split()
            if ref.kind == "vulnerability":
                out.append(f"{words[0]}/{words[2]}")
            elif ref.kind == "package":
                out.append(words[0])
            else:
                out.append(ref.key)
    return sorted(out)
