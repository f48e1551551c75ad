"""Predicate keys a rule's `when` may use, each parsed from YAML into a `Leaf` test."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sievert.model.checks import CheckFinding, SecretFinding
from sievert.model.finding import Finding
from sievert.model.package import Package
from sievert.model.severity import Severity
from sievert.model.vuln import FIX_STATES, FIXED
from sievert.policy.context import Context, layer_origin, package_of, parse_day
from sievert.policy.document import Leaf
from sievert.policy.packages import PackageMatcher, parse_matchers
from sievert.policy.patterns import glob
from sievert.policy.yamlnode import Node

VULN = frozenset({"vulnerability"})
PKG = frozenset({"vulnerability", "package"})
LICENSE = frozenset({"package"})
CONFIG = frozenset({"config"})
SECRET = frozenset({"secret"})

Parser = Callable[[Node], Leaf]


def severity_of(node: Node) -> Severity:
    """The severity a node names; an error listing the valid words otherwise."""
    return Severity(node.choice(tuple(Severity), "severity"))


def _vuln(test: Callable[[Finding], bool]) -> Callable[[Context, Any], bool]:
    return lambda _ctx, subject: isinstance(subject, Finding) and test(subject)


def _severity(node: Node) -> Leaf:
    level = severity_of(node)
    return Leaf("severity", f"severity >= {level}", VULN, _vuln(lambda f: f.severity >= level))


def _cvss(version: str) -> Parser:
    def parse(node: Node) -> Leaf:
        threshold = node.number(0, 10)

        def test(finding: Finding) -> bool:
            scores = [s.base_score for s in finding.vulnerability.cvss if s.version[:1] == version]
            return bool(scores) and max(scores) >= threshold

        return Leaf(f"cvss_v{version}", f"CVSS v{version} >= {threshold:g}", VULN, _vuln(test))

    return parse


def _fix_available(node: Node) -> Leaf:
    wanted = node.boolean()
    return Leaf(
        "fix_available",
        "a fix is available" if wanted else "no fix is available",
        VULN,
        _vuln(lambda f: (f.fix_state == FIXED) == wanted),
    )


def _fix_state(node: Node) -> Leaf:
    states = frozenset(item.choice(FIX_STATES, "fix state") for item in node.items())
    text = f"fix state in {', '.join(sorted(states))}"
    return Leaf("fix_state", text, VULN, _vuln(lambda f: f.fix_state in states))


def _kev(node: Node) -> Leaf:
    wanted = node.boolean()
    text = "listed in CISA KEV" if wanted else "not listed in CISA KEV"
    return Leaf("kev", text, VULN, _vuln(lambda f: bool(f.vulnerability.kev_date_added) == wanted))


def _exploit_known(node: Node) -> Leaf:
    wanted = node.boolean()
    text = "a public exploit is known" if wanted else "no public exploit is known"
    return Leaf(
        "exploit_known", text, VULN, _vuln(lambda f: bool(f.vulnerability.exploits) == wanted)
    )


def _epss(field: str) -> Parser:
    def parse(node: Node) -> Leaf:
        threshold = node.number(0, 1)

        def test(finding: Finding) -> bool:
            value = getattr(finding.vulnerability, field)
            return value is not None and float(value) >= threshold

        return Leaf(field, f"EPSS {field[5:]} >= {threshold:g}", VULN, _vuln(test))

    return parse


def _days_since_published(node: Node) -> Leaf:
    days = node.integer()

    def test(ctx: Context, subject: Any) -> bool:
        if not isinstance(subject, Finding):
            return False
        day = parse_day(subject.vulnerability.published)
        return day is not None and (ctx.now - day).days >= days

    return Leaf("days_since_published", f"published {days}+ days ago", VULN, test)


def _days_since_fix(node: Node) -> Leaf:
    days = node.integer()

    def test(ctx: Context, subject: Any) -> bool:
        if not isinstance(subject, Finding) or subject.fix_state != FIXED:
            return False
        day = parse_day(fix_date(subject))
        return day is not None and (ctx.now - day).days >= days

    return Leaf("days_since_fix", f"fix available {days}+ days", VULN, test)


def fix_date(finding: Finding) -> str:
    """When the fix appeared: the statement's date is not recorded, so the publication date."""
    return finding.vulnerability.published


def _vulnerability_id(node: Node) -> Leaf:
    patterns = node.texts()

    def test(finding: Finding) -> bool:
        ids = (finding.vulnerability.id, *finding.vulnerability.aliases)
        return any(glob(p, i) for p in patterns for i in ids)

    return Leaf("vulnerability_id", f"id in {', '.join(patterns)}", VULN, _vuln(test))


def _package(node: Node) -> Leaf:
    matchers = parse_matchers(node)

    def test(_ctx: Context, subject: Any) -> bool:
        package = package_of(subject)
        return package is not None and any(m.matches(package) for m in matchers)

    text = "package is " + " or ".join(m.text for m in matchers)
    return Leaf("package", text, PKG, test)


def _layer_origin(node: Node) -> Leaf:
    origin = node.choice(("base", "own"), "layer origin")

    def test(ctx: Context, subject: Any) -> bool:
        package = package_of(subject)
        return package is not None and layer_origin(ctx, package) == origin

    text = "introduced by a base image layer" if origin == "base" else "introduced by own layers"
    return Leaf("layer_origin", text, PKG, test)


def _license(node: Node) -> Leaf:
    patterns = node.texts()

    def test(_ctx: Context, subject: Any) -> bool:
        if not isinstance(subject, Package):
            return False
        ids = [word for text in subject.licenses for word in license_ids(text)]
        return any(glob(p, i) for p in patterns for i in ids)

    return Leaf("license", f"licence in {', '.join(patterns)}", LICENSE, test)


def license_ids(expression: str) -> list[str]:
    """The licence ids of a declared licence or SPDX expression ('MIT OR GPL-2.0+' -> 2 ids)."""
    words = expression.replace("(", " ").replace(")", " ").split()
    return [w for w in words if w.upper() not in ("AND", "OR", "WITH")] or [expression]


def _rule_ids(
    key: str, scope: frozenset[str], kind: type[CheckFinding] | type[SecretFinding]
) -> Parser:
    def parse(node: Node) -> Leaf:
        patterns = node.texts()

        def test(_ctx: Context, subject: Any) -> bool:
            return isinstance(subject, kind) and any(glob(p, subject.rule.id) for p in patterns)

        return Leaf(key, f"rule in {', '.join(patterns)}", scope, test)

    return parse


def _config_severity(node: Node) -> Leaf:
    level = severity_of(node)

    def test(_ctx: Context, subject: Any) -> bool:
        return isinstance(subject, CheckFinding) and subject.severity >= level

    return Leaf("config_severity", f"severity >= {level}", CONFIG, test)


def _secret(node: Node) -> Leaf:
    if not node.boolean():
        raise node.error("only `secret: true` is meaningful (any secret found)")

    def test(_ctx: Context, subject: Any) -> bool:
        return isinstance(subject, SecretFinding)

    return Leaf("secret", "a secret is present", SECRET, test)


PARSERS: dict[str, Parser] = {
    "severity": _severity,
    "cvss_v3": _cvss("3"),
    "cvss_v4": _cvss("4"),
    "fix_available": _fix_available,
    "fix_state": _fix_state,
    "kev": _kev,
    "epss_score": _epss("epss_score"),
    "epss_percentile": _epss("epss_percentile"),
    "exploit_known": _exploit_known,
    "days_since_published": _days_since_published,
    "days_since_fix": _days_since_fix,
    "vulnerability_id": _vulnerability_id,
    "package": _package,
    "layer_origin": _layer_origin,
    "license": _license,
    "config_rule": _rule_ids("config_rule", CONFIG, CheckFinding),
    "config_severity": _config_severity,
    "secret_rule": _rule_ids("secret_rule", SECRET, SecretFinding),
    "secret": _secret,
}
"""The finding and package predicate keys, with the parser compiling each value."""

__all__ = ["PARSERS", "PackageMatcher", "fix_date", "license_ids", "severity_of"]
