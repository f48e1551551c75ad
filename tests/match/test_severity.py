"""Severity: the notice that explains findings rated 'unknown' and where a rating comes from."""

from __future__ import annotations

from msgspec.structs import replace

from sievert.match.severity import unrated_notice
from sievert.model import Severity
from tests.report.scan_results import small_scan

WITH_CVE = (("debian", "ok"), ("cve", "ok"))
WITHOUT_CVE = (("debian", "ok"), ("cve", "failed"))


def test_no_notice_when_every_finding_is_rated() -> None:
    findings = [f for f in small_scan().findings if f.severity != Severity.UNKNOWN]
    assert findings
    assert unrated_notice(findings, WITHOUT_CVE) is None


def test_without_cve_records_the_notice_names_the_cve_source() -> None:
    first, second, *_ = small_scan().findings
    findings = [
        replace(first, severity=Severity.UNKNOWN),
        replace(second, severity=Severity.UNKNOWN),
        second,
    ]
    notice = unrated_notice(findings, WITHOUT_CVE)
    assert notice is not None
    assert notice.message.startswith("2 vulnerabilities have severity unknown: no distro rating")
    assert "run `sievert db update` with the `cve` source" in notice.message
    assert notice.level == "info"


def test_with_cve_records_the_notice_points_at_nvd() -> None:
    first, *_ = small_scan().findings
    notice = unrated_notice([replace(first, severity=Severity.UNKNOWN)] * 2, WITH_CVE)
    assert notice is not None
    assert notice.message.startswith("1 vulnerability has severity unknown")
    assert "add `nvd` to `sievert db update --only`" in notice.message


def test_the_spelling_table_reads_as_from_vendor() -> None:
    from sievert.match import severity as rating

    words = [*rating._SPELLINGS, "high*", " Medium ", "MoDeRaTe", "none", "", "not yet assigned"]
    words += ["Important", "CRITICAL", "unimportant**", "bogus"]
    for word in words:
        assert rating._vendor(word) == Severity.from_vendor(word), word
    assert len(rating._SPELLINGS) >= 3 * len(Severity)  # not vacuous
