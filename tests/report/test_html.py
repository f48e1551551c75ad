"""HTML report: self-contained, escaped, golden; in headless Chromium: renders, filters, sorts.

The browser tests drive Debian's `chromium` through Playwright's bundled driver (never a
downloaded browser) and skip with a reason when either is missing. Every request other than the
report file itself is aborted and recorded, so a report that reached for the network fails.
"""

from __future__ import annotations

import io
import re
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace

from sievert.model.finding import ScanResult
from sievert.model.severity import Severity
from sievert.report.plugins import scan_writer_for
from sievert.report.scan.html import HtmlWriter
from tests.report.inventories import fixed_stamp
from tests.report.scan_results import empty_scan, odd_scan, small_scan
from tests.report.test_golden import GOLDEN, UPDATE
from tests.report.verdict_results import verdict_scan

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _render(result: ScanResult) -> str:
    out = io.StringIO()
    HtmlWriter(stamp=fixed_stamp).write(result, out)
    return out.getvalue()


def many_findings(count: int = 2000) -> ScanResult:
    """`count` findings cycling through every severity, package and fix state of small_scan."""
    base = small_scan()
    findings = []
    for n in range(count):
        template = base.findings[n % len(base.findings)]
        vuln = replace(template.vulnerability, id=f"CVE-2025-{n:05d}", aliases=())
        severity = list(Severity)[n % len(Severity)]
        findings.append(replace(template, vulnerability=vuln, severity=severity, risk=n / 20))
    return replace(base, findings=tuple(findings))


class _Resources(HTMLParser):
    """Collects every attribute that would make a browser load something."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag in {"script", "img", "iframe", "audio", "video", "source", "embed"}:
            self.loads += [values["src"] or ""] if "src" in values else []
        if tag == "link":
            self.loads.append(values.get("href") or "")


@pytest.mark.parametrize("factory", [small_scan, empty_scan, odd_scan, verdict_scan])
def test_self_contained(factory: Any) -> None:
    text = _render(factory())
    parser = _Resources()
    parser.feed(text)
    assert parser.loads == []
    assert "@import" not in text and "url(" not in text
    assert parser.tags.count("script") == 1 and parser.tags.count("svg") == 3


def test_hostile_text_is_escaped() -> None:
    result = small_scan()
    vuln = replace(result.findings[0].vulnerability, summary="<img src=x onerror=alert(1)>")
    text = _render(replace(result, findings=(replace(result.findings[0], vulnerability=vuln),)))
    assert "<img src=x" not in text and "&lt;img src=x" in text


def test_charts_count_active_findings() -> None:
    text = _render(verdict_scan())
    bars = dict(re.findall(r'data-label="([^"]+)" data-count="(\d+)"', text))
    assert bars["critical"] == "1" and bars["medium"] == "0"  # requests is suppressed
    assert bars["#0 /bin/sh -c #(nop) ADD file:4b03b5f551e3fbdf47ec609712007 in /"] == "3"


def test_advisory_links_and_fixed_versions() -> None:
    text = _render(small_scan())
    assert 'href="https://nvd.nist.gov/vuln/detail/CVE-2024-35195"' in text
    assert 'href="https://github.com/advisories/GHSA-9wx4-h78v-vm56"' in text
    assert "2.36-9+deb12u7" in text


def test_registered() -> None:
    assert scan_writer_for("html").media_type == "text/html"


def test_matches_golden() -> None:
    actual = _render(verdict_scan())
    path = GOLDEN / "verdict.report.html"
    if UPDATE:
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


# --- in the browser ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield instance
        instance.close()


class _Page:
    """A loaded report with its console errors and the requests it tried."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context = browser.new_context()
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else 0)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(path.as_uri())

    def _route(self, route: Any) -> None:
        if route.request.url.startswith("file://"):
            route.continue_()
            return
        self.requests.append(route.request.url)
        route.abort()

    def visible(self) -> int:
        return int(self.page.locator("#findings tbody tr:visible").count())

    def shown(self) -> int:
        return int(self.page.locator("#shown-count").inner_text())

    def column(self, index: int) -> list[str]:
        cells = self.page.locator(f"#findings tbody tr:visible td:nth-child({index})")
        return [str(t).strip() for t in cells.all_text_contents()]


@pytest.fixture
def open_report(browser: Any, tmp_path: Path) -> Iterator[Any]:
    pages: list[_Page] = []

    def load(result: ScanResult) -> _Page:
        path = tmp_path / f"report{len(pages)}.html"
        path.write_text(_render(result), encoding="utf-8")
        pages.append(_Page(browser, path))
        return pages[-1]

    yield load
    for page in pages:
        assert page.errors == [], page.errors
        assert page.requests == [], page.requests
        page.context.close()


def test_renders_with_everything(open_report: Any) -> None:
    report = open_report(verdict_scan())
    page = report.page
    assert page.title() == "Sievert report: registry.example/team/app:1.2"
    assert page.locator("#status-word").inner_text() == "FAIL"
    assert page.locator("#rules tbody tr").count() == 4
    assert page.locator("#config tbody tr").count() == 2
    assert page.locator("#secrets tbody tr").count() == 1
    assert page.locator("svg.chart").count() == 3
    assert report.visible() == report.shown() == 6


def test_severity_filters(open_report: Any) -> None:
    report = open_report(small_scan())
    page = report.page
    page.click(".sev-filter[data-severity=critical]")
    assert report.visible() == report.shown() == 1
    page.click(".sev-filter[data-severity=high]")
    assert report.visible() == 2
    assert report.column(2) == ["critical", "high"]
    page.click(".sev-filter[data-severity=critical]")
    assert report.column(2) == ["high"]
    page.click(".sev-filter[data-severity=high]")
    assert report.visible() == 6  # nothing pressed: everything shown


def test_search_and_fixed_only(open_report: Any) -> None:
    report = open_report(small_scan())
    page = report.page
    page.fill("#search", "requests")
    assert report.visible() == report.shown() == 1
    page.fill("#search", "GHSA-9wx4")  # aliases are searchable
    assert report.visible() == 1
    page.fill("#search", "bash")
    assert report.visible() == 2
    page.fill("#search", "")
    page.check("#fixed-only")
    assert report.visible() == 3  # libc6, requests and the json gem have a fixed version
    page.fill("#search", "no-such-thing")
    assert report.visible() == report.shown() == 0


def test_sorting(open_report: Any) -> None:
    report = open_report(small_scan())
    page = report.page
    page.click("#findings th:nth-child(7) button")  # risk, ascending
    risks = [float(x) for x in report.column(7)]
    assert risks == sorted(risks) and risks[0] == 0.1
    page.click("#findings th:nth-child(7) button")
    assert [float(x) for x in report.column(7)] == sorted(risks, reverse=True)
    assert page.locator("#findings th:nth-child(7)").get_attribute("aria-sort") == "descending"
    page.click("#findings th:nth-child(3) button")  # package, text
    assert report.column(3)[0].startswith("bash")


def test_no_findings(open_report: Any) -> None:
    report = open_report(empty_scan())
    assert report.page.locator("#no-findings").is_visible()
    assert report.shown() == 0
    assert report.page.locator("#status-word").inner_text() == "CLEAN"
    report.page.click(".sev-filter[data-severity=critical]")
    assert report.shown() == 0


@pytest.mark.slow
def test_two_thousand_findings(open_report: Any) -> None:
    result = many_findings()
    report = open_report(result)
    page = report.page
    assert report.shown() == 2000
    expected = sum(1 for f in result.findings if f.severity == "critical")
    page.click(".sev-filter[data-severity=critical]")
    assert report.visible() == report.shown() == expected
    page.fill("#search", "cve-2025-00005")
    assert report.visible() == 1
    page.fill("#search", "")
    page.click(".sev-filter[data-severity=critical]")
    page.click("#findings th:nth-child(7) button")
    page.click("#findings th:nth-child(7) button")
    assert report.column(7)[0] == "100.0"  # risk n / 20, highest n = 1999
