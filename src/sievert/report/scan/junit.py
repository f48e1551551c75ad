"""JUnit XML scan report (`scan --format junit`) for CI test views (Jenkins, GitLab, Azure...).

Two modes, chosen by the writer's `mode` or `$SIEVERT_JUNIT_MODE` (default `findings`):

- `findings`: one testsuite per finding kind (`sievert.vulnerabilities`, `sievert.config`,
  `sievert.secrets`, each when its scanner ran or it has findings) with one test case per
  finding: a `<failure>` when active, `<skipped>` when suppressed (VEX, exception or inline).
  A kind without findings has one passing case so CI shows the check ran. With a policy
  verdict, the `sievert.policy` suite is added (see `rules`).
- `rules`: only the policy: one test case per triggered rule (`<failure>` on stop, a
  `<system-out>` warning on warn) and a `verdict` case failing on stop. Without a verdict, one
  gate case per finding kind, failing while an active finding of that kind remains.

Timestamps come from the document stamp, so the output is deterministic for a fixed stamp.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from typing import TextIO

import msgspec
from msgspec.structs import replace

from sievert.errors import UsageError
from sievert.model.checks import CheckFinding, SecretFinding
from sievert.model.finding import Finding, ScanResult
from sievert.model.policy import STOP, WARN, PolicyVerdict, TriggeredRule
from sievert.report.base import Stamp
from sievert.report.scan.common import db_warnings, describe, fix_label, vulnerability_url
from sievert.report.verdict_view import Suppressions, describe_suppression

MODES = ("findings", "rules")
MODE_ENV = "SIEVERT_JUNIT_MODE"
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    """Text without the characters XML 1.0 cannot carry (control characters, lone surrogates)."""
    return _NOT_XML.sub("\ufffd", text)


def resolve_mode(option: str) -> str:
    """The mode from the option, else the environment, else `findings`; UsageError if unknown."""
    mode = (option or os.environ.get(MODE_ENV, "") or "findings").strip().lower()
    if mode not in MODES:
        raise UsageError(f"unknown JUnit mode {mode!r} ({MODE_ENV}); valid: {', '.join(MODES)}")
    return mode


class _Case(msgspec.Struct, frozen=True):
    """One test case before it becomes XML."""

    name: str
    classname: str
    outcome: str = "pass"
    """'pass', 'failure' or 'skipped'."""
    message: str = ""
    kind: str = ""
    body: str = ""
    out: str = ""


def _vulnerability_case(finding: Finding, suppressions: Suppressions) -> _Case:
    pkg = finding.package
    name = f"{finding.id} in {pkg.name} {pkg.version}".strip()
    classname = f"vulnerability.{pkg.type or 'unknown'}.{pkg.name}"
    suppression = suppressions.vulnerability(finding)
    if suppression is not None:
        return _Case(name, classname, "skipped", describe_suppression(suppression))
    fix = f"fixed in {fix_label(finding)}" if finding.fixed_versions else fix_label(finding)
    message = f"{finding.severity}: {name}, {fix}"
    summary = finding.vulnerability.summary
    body = "\n".join(
        line
        for line in (
            summary,
            describe(finding.vulnerability) if describe(finding.vulnerability) != summary else "",
            f"package: {pkg.purl}",
            f"fix state: {finding.fix_state}",
            f"advisory: {vulnerability_url(finding.id)}",
        )
        if line
    )
    return _Case(name, classname, "failure", message, finding.severity, body)


def _check_case(finding: CheckFinding, why: str) -> _Case:
    region = finding.region
    where = f"{region.path or 'image config'}:{region.start_line}"
    name = f"{finding.rule.id} {where}"
    classname = f"config.{finding.rule.id}"
    if why:
        return _Case(name, classname, "skipped", why)
    body = "\n".join(x for x in (finding.instruction, finding.rule.remediation) if x)
    message = f"{finding.severity}: {finding.rule.title}: {finding.message}"
    return _Case(name, classname, "failure", message, finding.severity, body)


def _secret_case(finding: SecretFinding, why: str) -> _Case:
    region = finding.region
    name = f"{finding.rule.id} {region.path}:{region.start_line}"
    classname = f"secret.{finding.rule.id}"
    if why:
        return _Case(name, classname, "skipped", why)
    severity = finding.severity or finding.rule.severity
    body = f"{finding.redacted}\nlayer: {finding.layer_digest}"
    if finding.deleted_later:
        body += "\nthe file is deleted by a later layer but still ships in the image"
    return _Case(name, classname, "failure", f"{severity}: {finding.rule.title}", severity, body)


def finding_suites(result: ScanResult) -> list[tuple[str, list[_Case]]]:
    """The per-kind suites of `findings` mode."""
    sup = Suppressions.of(result)
    suites: list[tuple[str, list[_Case]]] = []
    if "vuln" in result.scanners or result.findings:
        cases = [_vulnerability_case(f, sup) for f in result.findings]
        suites.append(("sievert.vulnerabilities", cases or [_clean("vulnerabilities")]))
    if "config" in result.scanners or result.config_findings:
        cases = [_check_case(f, sup.check(f)) for f in result.config_findings]
        suites.append(("sievert.config", cases or [_clean("misconfigurations")]))
    if "secret" in result.scanners or result.secret_findings:
        cases = [_secret_case(f, sup.secret(f)) for f in result.secret_findings]
        suites.append(("sievert.secrets", cases or [_clean("secrets")]))
    return suites


def _clean(what: str) -> _Case:
    return _Case(f"no {what} found", f"sievert.{what}")


def _rule_case(rule: TriggeredRule) -> _Case:
    name = f"{rule.rule_id}: {rule.description}" if rule.description else rule.rule_id
    found = "\n".join(ref.summary or ref.key for ref in rule.findings)
    if rule.action == STOP:
        message = f"stop: {len(rule.findings)} finding(s)"
        return _Case(name, "policy.rule", "failure", message, STOP, found)
    if rule.action == WARN:
        return _Case(name, "policy.rule", out=f"warning: {len(rule.findings)} finding(s)\n{found}")
    return _Case(name, "policy.rule", out=found)


def policy_suite(verdict: PolicyVerdict, show_suppressed: bool = False) -> tuple[str, list[_Case]]:
    """One case per triggered rule (and, with `show_suppressed`, a skipped case per suppressed
    finding), then the verdict case."""
    cases = [_rule_case(rule) for rule in verdict.triggered]
    if show_suppressed:
        cases += [
            _Case(s.finding.summary, "policy.suppressed", "skipped", describe_suppression(s))
            for s in verdict.suppressed
        ]
    lines = [f"policy {verdict.policy}: {verdict.action}"]
    lines += [f"expired exception: {e}" for e in verdict.expired_exceptions]
    final = _Case(f"verdict {verdict.policy}", "policy.verdict", out="\n".join(lines))
    if verdict.action == STOP:
        final = replace(final, outcome="failure", message="policy verdict: stop", kind=STOP)
    return ("sievert.policy", [*cases, final])


def gate_suite(result: ScanResult) -> tuple[str, list[_Case]]:
    """Without a verdict, `rules` mode: one case per kind, failing while active findings remain."""
    cases: list[_Case] = []
    for name, suite in finding_suites(result):
        failing = [c for c in suite if c.outcome == "failure"]
        kind = name.rpartition(".")[2]
        case = _Case(f"no active {kind}", "sievert.gate")
        if failing:
            case = replace(case, outcome="failure", message=f"{len(failing)} active {kind}")
        cases.append(case)
    return ("sievert.gate", cases)


def suites_for(
    result: ScanResult, mode: str, show_suppressed: bool = False
) -> list[tuple[str, list[_Case]]]:
    """The suites of the chosen mode."""
    verdict = result.verdict
    if mode == "rules":
        return [policy_suite(verdict, show_suppressed) if verdict else gate_suite(result)]
    suites = finding_suites(result)
    if verdict is not None:
        suites.append(policy_suite(verdict, show_suppressed))
    return suites


def _count(cases: Iterable[_Case], outcome: str) -> int:
    return sum(1 for c in cases if c.outcome == outcome)


def _case_element(case: _Case) -> ET.Element:
    name, classname = xml_text(case.name), xml_text(case.classname)
    element = ET.Element("testcase", name=name, classname=classname, time="0")
    if case.outcome == "failure":
        failure = ET.SubElement(element, "failure", message=xml_text(case.message), type=case.kind)
        failure.text = xml_text(case.body) or None
    elif case.outcome == "skipped":
        ET.SubElement(element, "skipped", message=xml_text(case.message))
    if case.out:
        ET.SubElement(element, "system-out").text = xml_text(case.out)
    return element


def _properties(result: ScanResult) -> ET.Element:
    image = result.inventory.image
    pairs = [("image", image.reference), ("manifest_digest", image.manifest_digest)]
    pairs += [("db_built", result.db_built), ("scanners", ",".join(result.scanners))]
    pairs += [("db_warning", text) for text in db_warnings(result)]
    if result.verdict is not None:
        pairs += [("policy", result.verdict.policy), ("verdict", result.verdict.action)]
    element = ET.Element("properties")
    for name, value in pairs:
        ET.SubElement(element, "property", name=name, value=xml_text(value))
    return element


def junit_document(
    result: ScanResult, mode: str, stamp: Stamp, show_suppressed: bool = False
) -> ET.Element:
    """The `<testsuites>` root of the report."""
    suites = suites_for(result, mode, show_suppressed)
    every = [case for _, cases in suites for case in cases]
    root = ET.Element("testsuites", name="sievert", time="0")
    root.attrib.update(_totals(every))
    timestamp = stamp.iso_timestamp.rstrip("Z")
    for index, (name, cases) in enumerate(suites):
        suite = ET.SubElement(root, "testsuite", name=name, id=str(index), package="sievert")
        suite.attrib.update(_totals(cases))
        suite.attrib.update(time="0", timestamp=timestamp, hostname="sievert")
        suite.append(_properties(result))
        suite.extend(_case_element(case) for case in cases)
    return root


def _totals(cases: list[_Case]) -> dict[str, str]:
    return {
        "tests": str(len(cases)),
        "failures": str(_count(cases, "failure")),
        "errors": "0",
        "skipped": str(_count(cases, "skipped")),
    }


class JunitWriter(msgspec.Struct, frozen=True):
    """Writes the JUnit XML report; `mode` overrides `$SIEVERT_JUNIT_MODE`."""

    mode: str = ""
    stamp: Callable[[], Stamp] = msgspec.field(default=Stamp.fresh)
    show_suppressed: bool = False
    """Add a skipped case per finding the policy's exceptions and VEX statements suppressed."""
    name: str = "junit"
    media_type: str = "application/xml"

    def write(self, result: ScanResult, out: TextIO) -> None:
        """Write the JUnit XML document."""
        mode = resolve_mode(self.mode)
        root = junit_document(result, mode, self.stamp(), self.show_suppressed)
        ET.indent(root)
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        out.write(ET.tostring(root, encoding="unicode"))
        out.write("\n")
