"""Combinators, the verdict's action, mappings, exceptions with expiry, and apply_policy."""

from __future__ import annotations

import datetime as dt
import textwrap

import pytest
from msgspec.structs import replace

from sievert.errors import SievertError
from sievert.policy import PolicyDocument, apply_policy, evaluate, parse_policy
from tests.policy.helpers import NOW, scan, subjects, verdict_of

GLIBC = "CVE-2024-0001/libc6"
BASH = "CVE-2023-0002/bash"
REQUESTS = "CVE-2024-35195/requests"
RUBY_DEB = "CVE-2024-0003/ruby3.1"
TEMP = "TEMP-0000001-ABCDEF/bash"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("{severity: high, fix_available: true}", [GLIBC]),
        ("{all: [{severity: high}, {fix_available: false}]}", [BASH]),
        ("{any: [{kev: true}, {fix_state: deferred}]}", [GLIBC, RUBY_DEB]),
        ("{severity: low, not: {fix_available: true}}", [BASH, RUBY_DEB]),
        ("{not: {any: [{severity: low}, {fix_available: true}]}}", [TEMP]),
        (
            "{any: [{all: [{severity: medium}, {epss_percentile: 0.05}]},"
            " {vulnerability_id: TEMP-*}]}",
            [GLIBC, BASH, REQUESTS, TEMP],
        ),
        # image predicates combine with any subject: all or nothing
        ("{severity: critical, user_root: false}", [GLIBC]),
        ("{severity: critical, user_root: true}", []),
    ],
)
def test_combinators(when: str, expected: list[str]) -> None:
    assert subjects(verdict_of(when)) == sorted(expected)


POLICIES = """
version: 1
policies:
  - id: strict
    description: everything high stops
    rules:
      - {id: high, action: stop, description: High or worse, when: {severity: high}}
      - {id: medium, action: warn, description: Medium, when: {severity: medium}}
  - id: lenient
    rules:
      - {id: medium, action: warn, description: Medium or worse, when: {severity: medium}}
      - {id: info, action: go, description: Low, when: {severity: low}}
  - id: nothing
    rules:
      - {id: none, action: stop, description: never, when: {cvss_v4: 10}}
mappings:
  - {name: prod, registry: registry.example, repository: 'prod/*', policy: strict}
  - {image: 'registry.example/team/*:1.*', policy: lenient}
  - {image: 'debian', policy: strict}
  - {name: pinned, digest: 'sha256:1111*', policy: strict}
"""


def _doc(default: str = "nothing") -> PolicyDocument:
    text = POLICIES + (f"default: {default}\n" if default else "")
    return parse_policy(textwrap.dedent(text))


@pytest.mark.parametrize(
    ("ref", "policy", "mapping", "action"),
    [
        ("registry.example/prod/api:2", "strict", "prod", "stop"),
        ("registry.example/team/app:1.2", "lenient", "registry.example/team/*:1.*", "warn"),
        ("registry.example/team/app:2.0", "nothing", "default", "go"),
        ("debian:bookworm", "strict", "debian", "stop"),
        ("docker.io/library/debian:12", "strict", "debian", "stop"),
        ("other@sha256:" + "1" * 64, "strict", "pinned", "stop"),
    ],
)
def test_mappings_choose_the_policy(ref: str, policy: str, mapping: str, action: str) -> None:
    verdict = evaluate(scan(), _doc(), image_ref=ref, now=NOW)
    assert (verdict.policy, verdict.mapping, verdict.action) == (policy, mapping, action)


def test_default_image_ref_is_the_repo_tag() -> None:
    verdict = evaluate(scan(), _doc(), now=NOW)
    assert verdict.policy == "lenient"
    assert [t.rule_id for t in verdict.triggered] == ["medium", "info"]
    assert verdict.action == "warn"


def test_unmapped_image_without_default_is_an_error() -> None:
    with pytest.raises(SievertError, match=r"no mapping matches image 'quay\.io/x/y:1'"):
        evaluate(scan(), _doc(""), image_ref="quay.io/x/y:1", now=NOW)


def test_strongest_action_and_findings_per_rule() -> None:
    verdict = evaluate(scan(), _doc(), image_ref="debian", now=NOW)
    assert verdict.action == "stop"
    high, medium = verdict.triggered
    assert (high.rule_id, high.action, high.description) == ("high", "stop", "High or worse")
    assert [f.summary for f in high.findings] == [
        "CVE-2024-0001 in libc6 2.36-9+deb12u4 (critical, fixed in 2.36-9+deb12u7)",
        "CVE-2023-0002 in bash 5.2.15-2+b2 (high, wont-fix)",
    ]
    assert high.findings[0].key.startswith("CVE-2024-0001|pkg:deb/debian/libc6@")
    assert len(medium.findings) == 3


EXCEPTIONS = """
policies:
  - id: p
    rules:
      - {id: vulns, action: stop, description: any, when: {severity: unknown}}
      - {id: dockerfile, action: stop, description: any, when: {config_severity: low}}
      - {id: secrets, action: stop, description: any, when: {secret: true}}
      - {id: root, action: warn, description: root, when: {user_root: false}}
      - {id: deny, action: stop, description: deny, when: {package: [bash, requests]}}
    exceptions:
      - {rule: root, reason: accepted for this image, owner: ops, image: 'registry.example/team/*'}
      - {rule: deny, package: bash, reason: shell needed, owner: ops}
exceptions:
  - {id: glibc, vulnerability: DSA-5600-1, reason: not reachable, owner: sec, ticket: SEC-1,
     expires: 2024-06-01}
  - {id: old, vulnerability: CVE-2023-0002, reason: was fine, owner: sec, expires: 2024-05-31}
  - {package: 'pkg:gem/json', reason: vendored, owner: dev}
  - {package: requests@2.31.0, vulnerability: CVE-2024-35195, reason: ok, owner: dev}
  - {rule: SV-DF-003, reason: pinned upstream, owner: ops}
  - {secret_path: '/usr/share/doc/**', reason: doc samples, owner: sec}
  - {image: 'quay.io/*', reason: everything for quay, owner: sec}
"""


def test_exceptions_suppress_each_kind_of_finding() -> None:
    verdict = evaluate(scan(), parse_policy(EXCEPTIONS), now=NOW)
    triggered = {t.rule_id: [f.key.split("|")[0] for f in t.findings] for t in verdict.triggered}
    assert triggered == {
        "vulns": ["CVE-2023-0002", "CVE-2024-0003", "TEMP-0000001-ABCDEF"],
        "dockerfile": ["SV-DF-002"],
        "secrets": ["SV-SEC-001"],
        "deny": ["pkg:pypi/requests@2.31.0"],
    }
    by_key = {s.finding.key.split("|")[0]: s for s in verdict.suppressed}
    glibc = by_key["CVE-2024-0001"]
    assert (glibc.source, glibc.reason, glibc.owner, glibc.ticket, glibc.expires) == (
        "exception",
        "not reachable",
        "sec",
        "SEC-1",
        "2024-06-01",
    )
    assert set(by_key) == {
        "CVE-2024-0001",
        "CVE-2024-0003",  # the json gem's finding
        "CVE-2024-35195",
        "SV-DF-003",
        "SV-SEC-004",
        "image",  # the root rule, excepted for this image
        "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12",
    }
    assert verdict.expired_exceptions == ("old (CVE-2023-0002, owner sec, expired 2024-05-31)",)


def test_exception_expiry_with_a_fixed_clock() -> None:
    on_the_day = evaluate(scan(), parse_policy(EXCEPTIONS), now=dt.date(2024, 6, 1))
    after = evaluate(scan(), parse_policy(EXCEPTIONS), now=dt.date(2024, 6, 2))
    assert "CVE-2024-0001" not in [f.key.split("|")[0] for t in on_the_day.triggered
                                   for f in t.findings]  # fmt: skip
    assert "CVE-2024-0001" in [f.key.split("|")[0] for t in after.triggered for f in t.findings]
    assert any(label.startswith("glibc (DSA-5600-1") for label in after.expired_exceptions)
    before = evaluate(scan(), parse_policy(EXCEPTIONS), now=dt.date(2024, 5, 1))
    assert before.expired_exceptions == ()
    assert "CVE-2023-0002" not in [f.key.split("|")[0] for t in before.triggered
                                   for f in t.findings]  # fmt: skip


def test_image_scoped_exceptions() -> None:
    other = evaluate(scan(), parse_policy(EXCEPTIONS), now=NOW, image_ref="ghcr.io/o/app:1")
    assert "root" in [t.rule_id for t in other.triggered]
    quay = evaluate(scan(), parse_policy(EXCEPTIONS), now=NOW, image_ref="quay.io/o/app:1")
    assert quay.action == "go" and quay.triggered == ()


def test_apply_policy_removes_suppressed_findings_and_sets_the_verdict() -> None:
    result = scan()
    applied = apply_policy(result, parse_policy(EXCEPTIONS), (), NOW)
    assert applied.verdict is not None and applied.verdict.action == "stop"
    assert [f.id for f in applied.findings] == ["CVE-2023-0002", "CVE-2024-0003",
                                                "TEMP-0000001-ABCDEF"]  # fmt: skip
    assert [f.rule.id for f in applied.config_findings] == ["SV-DF-002"]
    assert [f.rule.id for f in applied.secret_findings] == ["SV-SEC-001"]
    assert applied.inventory is result.inventory
    assert len(result.findings) == 6  # the input is not changed


def test_no_rule_triggered_is_go() -> None:
    verdict = verdict_of("{cvss_v4: 10}")
    assert (verdict.action, verdict.triggered, verdict.policy, verdict.mapping) == (
        "go",
        (),
        "p",
        "default",
    )


def test_rules_see_the_result_after_suppression() -> None:
    text = EXCEPTIONS.replace("{user_root: false}", "{db_older_than: 1000}")
    result = replace(scan(), db_built="")
    verdict = evaluate(result, parse_policy(text), now=NOW, image_ref="ghcr.io/a/b:1")
    assert "root" in [t.rule_id for t in verdict.triggered]
