"""The web UI in headless Chromium against a real `sievert server` with images analysed.

Debian's `chromium` driven through Playwright (never a downloaded browser); skipped with a reason
when either is missing outside CI, failed in CI. Every page is checked for console errors, failed
requests and requests to any other site (aborted); every page passes axe-core (vendored in
tests/service/vendor) without a serious or critical violation, in light and dark mode; the
keyboard reaches filters, sort headers, tabs and links with a visible focus. Screenshots go to
out/ui/ (and the README's two to docs/img/ when SIEVERT_README_SHOTS=1).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import REPO_ROOT, SHARED_IMAGES
from tests.imagebuilder import write_docker_archive
from tests.service.helpers import APP_IMAGE, bearer
from tests.service.test_fleet_routes import BAD, HOSTS, audit_document
from tests.service.uihelpers import APP_IMAGE_V2, POLICY, SievertServer, oci_archive

# Playwright's 5 s default is too short for a server on a loaded machine; expectations return as
# soon as they hold, so only a failing run waits longer.
WAIT_MS = 20_000
expect.set_options(timeout=WAIT_MS)

RELEASE = """\
version: 1
policies:
  - id: release
    description: Release gate
    rules:
      - id: fixable-critical
        action: stop
        description: Critical vulnerabilities with a fix
        when: {severity: critical, fix_available: true}
      - id: fixable-high
        action: warn
        description: High vulnerabilities with a fix
        when: {severity: high, fix_available: true}
default: release
"""
AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
SERIOUS = ("serious", "critical")
DOCS_IMG = REPO_ROOT / "docs" / "img"

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = REPO_ROOT / "out" / "ui"
WIDE = {"width": 1280, "height": 900}
NARROW = {"width": 390, "height": 844}


def _missing(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI installs it)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright."""
    if not Path(CHROMIUM).exists():
        _missing("Debian's chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, vuln_db: Path) -> Iterator[SievertServer]:
    """A server with tags 1 and 2 of example/app analysed, then a vulnerability DB update (a
    new DB file swapped in, as `sievert db update` does) re-matched, and a stored policy."""
    root = tmp_path_factory.mktemp("ui-browser")
    db = root / "vuln.db"
    shutil.copyfile(vuln_db, db)
    with SievertServer(root, db, SIEVERT_DB_CHECK="0.3") as live:
        for tag, image in (("1", APP_IMAGE), ("2", APP_IMAGE_V2)):
            archive = write_docker_archive(root / f"app{tag}.tar", image, tag=f"example/app:{tag}")
            live.add_archive(archive, f"example/app:{tag}")
        shutil.copyfile(vuln_db, root / "new.db")
        os.replace(root / "new.db", db)
        analyst = bearer(live.tokens["analyst"])
        with httpx.Client(base_url=live.url, headers=analyst, timeout=60) as client:
            deadline = time.monotonic() + 120
            while "db-update" not in {p["event"] for p in _fleet(client)}:
                assert time.monotonic() < deadline, "no re-evaluation after the DB update"
                time.sleep(0.3)
            put = client.put("/v1/policies/stored-gate", content=POLICY.encode())
            assert put.status_code == 200, put.text
            audit = audit_document("unix:///run.sock", BAD)
            for path, document in (("/v1/runtime/audits", audit), ("/v1/hosts", HOSTS)):
                sent = client.post(path, content=json.dumps(document))
                assert sent.status_code == 201, sent.text
        yield live


def _fleet(client: httpx.Client) -> list[dict[str, Any]]:
    answer = client.get("/v1/findings/history")
    assert answer.status_code == 200, answer.text
    points: list[dict[str, Any]] = answer.json()
    return points


def settled(page: Any) -> None:
    """Wait until htmx has swapped and settled the tab (its new forms are bound only then)."""
    expect(page.locator("#tab")).not_to_have_class(re.compile(r"htmx-(request|swapping|settling)"))
    page.wait_for_timeout(100)  # htmx binds the new content's triggers in the settle task


class Watch:
    """A browser page that records console errors, failed requests and off-site requests."""

    def __init__(
        self, browser: Any, base: str, viewport: dict[str, int], axe: bool = False, **options: Any
    ) -> None:
        self.base = base
        self.context = browser.new_context(viewport=viewport, **options)
        if axe:  # a DevTools-protocol script: the page's CSP stays as served
            self.context.add_init_script(path=str(AXE))
        self.context.set_default_timeout(WAIT_MS)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.context.route("**/*", self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on(
            "requestfailed",
            lambda req: self.problems.append(f"failed: {req.url} {req.failure}"),
        )
        self.page.on("response", self._response)

    def _route(self, route: Any) -> None:
        if route.request.url.startswith(self.base):
            route.continue_()
        else:
            self.problems.append(f"off-site request: {route.request.url}")
            route.abort()

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def goto(self, path: str) -> Any:
        """Open a page of the server."""
        return self.page.goto(self.base + path)

    def follow(self, link: Any, url: re.Pattern[str]) -> None:
        """Click a link to another page; return once that page has loaded.

        A click returns when the new page starts loading: its server-rendered table is there, but
        htmx (a deferred script) binds the filter forms only at DOMContentLoaded, and a change
        made before that sends no request. `wait_for_url` waits for the load event (after
        DOMContentLoaded), so the page's forms are live when this returns."""
        link.click()
        self.page.wait_for_url(url)

    def shot(self, name: str, full: bool = True) -> None:
        """A screenshot (the full page, or what the window shows) into out/ui/."""
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full)

    def violations(self) -> list[str]:
        """axe-core's serious and critical violations on the page as it is now."""
        found: list[dict[str, Any]] = self.page.evaluate(
            """async () => {
                const result = await axe.run(document, { resultTypes: ["violations"] });
                return result.violations.map(v => ({ id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")) }));
            }"""
        )
        return [
            f"{self.page.url}: {v['impact']} {v['id']} ({v['help']}) at {', '.join(v['nodes'])}"
            for v in found
            if v["impact"] in SERIOUS
        ]

    def focused(self) -> dict[str, str]:
        """What has the keyboard focus: tag, id, role, accessible text, outline."""
        info: dict[str, str] = self.page.evaluate(
            """() => {
                const e = document.activeElement;
                const style = getComputedStyle(e);
                const label = (e.labels && e.labels.length ? e.labels[0].innerText : "").trim();
                const own = e.innerText || e.getAttribute("aria-label") || "";
                const field = ["input", "select", "textarea"].includes(e.tagName.toLowerCase());
                return { tag: e.tagName.toLowerCase(), id: e.id, role: e.getAttribute("role") || "",
                    text: (field ? label || e.value : own).trim(), label: label,
                    outline: style.outlineStyle + " " + style.outlineWidth };
            }"""
        )
        return info

    def sign_in(self, token: str) -> None:
        """Sign in with the keyboard: skip link, token field, Enter."""
        self.goto("/login")
        self.page.keyboard.press("Tab")
        self.page.keyboard.press("Tab")
        assert self.page.evaluate("document.activeElement.id") == "token"
        self.page.keyboard.type(token)
        self.page.keyboard.press("Enter")
        self.page.wait_for_url(self.base + "/")

    def close(self) -> None:
        """Close the context; fail on anything recorded."""
        self.context.close()
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def wide(browser: Any, server: SievertServer) -> Iterator[Watch]:
    watch = Watch(browser, server.url, WIDE)
    yield watch
    watch.close()


def test_analyst_journey(wide: Watch, server: SievertServer) -> None:
    page = wide.page
    wide.goto("/images")
    assert "/login" in page.url
    wide.shot("login")
    wide.sign_in(server.tokens["analyst"])
    assert page.locator("h1").inner_text() == "Overview"
    page.wait_for_selector("#chart .uplot")
    wide.shot("overview")
    points = json.loads(page.locator("#chart-data").text_content() or "{}")
    assert len(points["t"]) >= 3 and points["event"][-1] == "db-update", points
    assert points["event"].count("analysis") == 2
    page.get_by_text("The chart's figures").click()
    expect(page.locator(".chart-table tbody tr").first).to_contain_text("DB update")

    wide.follow(page.get_by_role("link", name="Images", exact=True), re.compile(r"/images$"))
    assert page.locator("#images-table tbody tr").count() == 2
    page.get_by_label("Tag").fill("2")
    expect(page.locator("#images-table tbody tr")).to_have_count(1)
    assert "tag=2" in page.url
    assert "example/app" in page.locator("#images-table tbody").inner_text()
    page.get_by_label("Tag").fill("")
    expect(page.locator("#images-table tbody tr")).to_have_count(2)
    page.get_by_label("has fix").check()
    page.wait_for_url(re.compile(r"fix=true"))
    wide.shot("images")

    page.get_by_label("has fix").uncheck()
    page.wait_for_url(re.compile(r"^(?!.*fix=true)"))
    page.get_by_label("Tag").fill("1")
    expect(page.locator("#images-table tbody tr")).to_have_count(1)
    page.locator("#images-table tbody a").first.click()
    page.wait_for_selector("#vulns")
    page.wait_for_load_state("load")  # htmx (a deferred script) is bound
    assert page.locator("h1").inner_text() == "example/app:1"
    assert "critical" in page.locator("#vulns").inner_text().lower() or "high" in (
        page.locator("#vulns").inner_text().lower()
    )
    image_url = page.url.split("?")[0]
    wide.shot("image")

    page.get_by_role("tab", name="Packages").click()
    page.wait_for_selector("#packages")
    page.wait_for_load_state("load")  # htmx (a deferred script) is bound
    settled(page)
    page.get_by_label("Type").select_option("pypi")
    expect(page.locator("#packages tbody tr")).to_have_count(1)
    assert "requests" in page.locator("#packages").inner_text()
    page.get_by_role("tab", name="Checks").click()
    page.wait_for_selector("#checks")
    page.wait_for_load_state("load")  # htmx (a deferred script) is bound
    assert "/app/.env" in page.locator("#checks").inner_text()
    assert "AKIAZ3MSJV4WWNKWW5FG" not in page.content()

    page.get_by_role("tab", name="Vulnerabilities").click()
    page.wait_for_selector("#vulns")
    page.wait_for_load_state("load")  # htmx (a deferred script) is bound
    page.get_by_role("link", name="CVE-2024-2961").first.click()
    page.wait_for_url(re.compile(r"/vulns/CVE-2024-2961$"))
    text = page.locator("main").inner_text()
    assert "Attack vector" in text and "Network" in text and "EPSS" in text
    wide.shot("vulnerability")
    page.locator("#affected").get_by_role("link", name="layer 1").first.click()
    page.wait_for_url(re.compile(r"tab=layers#layer-0$"))
    assert page.locator("#layer-0").is_visible()
    assert "ADD file:base" in page.locator("#layer-0").inner_text()
    wide.shot("layers")

    wide.goto(image_url.removeprefix(server.url) + "?tab=compare")
    other = page.locator("#compare-other option", has_text="example/app:2").get_attribute("value")
    page.locator("#compare-other").select_option(value=other)
    page.get_by_role("button", name="Compare").click()
    page.wait_for_selector("#cmp-fixed")
    page.wait_for_load_state("load")  # htmx (a deferred script) is bound
    assert "CVE-2024-2961" in page.locator("#cmp-fixed").inner_text()
    assert "added zlib1g" in page.locator("#cmp-packages").inner_text()
    wide.shot("compare")

    page.get_by_role("searchbox").fill("requests")
    page.get_by_role("searchbox").press("Enter")
    page.wait_for_url(re.compile(r"/search\?q=requests"))
    assert "example/app:2" in page.locator("main").inner_text()
    wide.shot("search")

    wide.follow(page.get_by_role("link", name="Policies", exact=True), re.compile(r"/policies$"))
    page.get_by_label("Name").fill("ui-gate")
    page.locator("textarea[name=text]").fill(POLICY)
    page.get_by_role("button", name="Store policy").click()
    page.wait_for_url(re.compile(r"/policies/ui-gate$"))
    assert "v1" in page.locator("h1").inner_text()
    page.get_by_label("Vulnerability id").fill("CVE-2024-2961")
    page.get_by_label("Owner").fill("platform-team")
    page.get_by_label("Ticket").fill("SEC-42")
    page.get_by_label("Reason").fill("not reachable from the app")
    page.get_by_label("Expires").fill("2099-12-31")
    page.get_by_role("button", name="Add exception").click()
    page.wait_for_url(re.compile(r"/policies/ui-gate#exceptions$"))
    assert "v2" in page.locator("h1").inner_text()
    assert "platform-team" in page.locator("pre.policy").inner_text()
    listed = page.locator("#exception-list tbody").inner_text()
    assert "CVE-2024-2961" in listed and "SEC-42" in listed and "active" in listed
    wide.shot("policy")
    wide.follow(page.get_by_role("link", name="Policies", exact=True), re.compile(r"/policies$"))
    assert "SEC-42" in page.locator("#exception-list").inner_text()
    wide.shot("policies")


def test_read_only_sees_no_write_controls(browser: Any, server: SievertServer) -> None:
    watch = Watch(browser, server.url, WIDE)
    try:
        watch.sign_in(server.tokens["read-only"])
        watch.goto("/policies")
        assert watch.page.locator("form#policy-upload").count() == 0
        assert watch.page.locator("textarea").count() == 0
        assert watch.page.locator("#exception-list").is_visible()
        watch.shot("policies-read-only")
        names = [a.inner_text() for a in watch.page.locator("#policies tbody a").all()]
        assert "stored-gate" in names
        for name in names:
            watch.goto(f"/policies/{name}")
            assert watch.page.locator("#exception-list").is_visible()
            assert watch.page.locator("form#exception-form").count() == 0
            assert watch.page.get_by_role("button", name="Add exception").count() == 0
        for path in ("/", "/images", "/images/1", "/images/1?tab=history"):
            watch.goto(path)
            # the only forms a reader gets: search, filters, sign-out; nothing posts but sign-out
            posting = watch.page.locator("form[method=post]").all()
            assert [f.get_attribute("action") for f in posting] == ["/logout"], path
        watch.shot("policy-read-only")
    finally:
        watch.close()


def test_a_reader_follows_containers_and_hosts(browser: Any, server: SievertServer) -> None:
    watch = Watch(browser, server.url, WIDE)
    page = watch.page
    try:
        watch.sign_in(server.tokens["read-only"])
        watch.follow(
            page.get_by_role("link", name="Containers", exact=True), re.compile(r"/containers$")
        )
        expect(page.locator("#containers-table tbody tr")).to_have_count(1)
        assert "web" in page.locator("#containers-table tbody").inner_text()
        page.get_by_label("Risk").select_option("low")
        expect(page.locator("#containers-table")).to_contain_text("0 containers")
        expect(page).to_have_url(re.compile(r"[?&]risk=low"))  # pushed by htmx with the swap
        page.get_by_label("Risk").select_option("")
        expect(page.locator("#containers-table")).to_contain_text("1 container")
        watch.follow(
            page.locator("#containers-table").get_by_role("link", name="SV-RT-001"),
            re.compile(r"/containers\?rule=SV-RT-001$"),
        )
        expect(page.locator("#containers-table tbody tr")).to_have_count(1)
        watch.shot("containers")
        watch.follow(page.get_by_role("link", name="Hosts", exact=True), re.compile(r"/hosts$"))
        watch.follow(page.get_by_role("link", name="db1"), re.compile(r"/hosts/\d+$"))
        expect(page.locator("h1")).to_have_text("db1")
        assert "CVE-2024-1086" in page.locator("table").inner_text()
        watch.shot("host")
    finally:
        watch.close()


SCREENS = (
    ("/", "overview"),
    ("/images", "images"),
    ("/images/1", "image"),
    ("/images/1?tab=packages", "packages"),
    ("/images/1?tab=history", "history"),
    ("/vulns/CVE-2024-2961", "vulnerability"),
    ("/policies", "policies"),
)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", ["390", "1280"])
def test_widths_and_colour_schemes(
    browser: Any, server: SievertServer, scheme: str, size: str
) -> None:
    viewport = NARROW if size == "390" else WIDE
    watch = Watch(browser, server.url, viewport, color_scheme=scheme)
    try:
        watch.sign_in(server.tokens["read-only"])
        for path, name in SCREENS:
            watch.goto(path)
            width = watch.page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"] + 1, f"{path} is {width}px wide at {size}px"
            if "chart" in watch.page.content():
                watch.page.wait_for_selector(".chart .uplot")
            watch.shot(f"{name}-{size}-{scheme}")
        background = watch.page.evaluate("getComputedStyle(document.body).backgroundColor")
        dark = background != "rgb(255, 255, 255)"
        assert dark == (scheme == "dark"), background
    finally:
        watch.close()


AXE_PAGES = (
    "/",
    "/images",
    "/images?sort=highest&dir=desc",
    "/images/1",
    "/images/1?sort=cvss&dir=desc",
    "/images/1?tab=packages",
    "/images/1?tab=layers",
    "/images/1?tab=checks",
    "/images/1?tab=history",
    "/images/1?tab=compare&other=2",
    "/vulns/CVE-2024-2961",
    "/search?q=requests",
    "/policies",
    "/policies/stored-gate",
    "/containers",
    "/containers?rule=SV-RT-001",
    "/hosts",
    "/hosts/1",
)


TOGGLED = """() => {
    window.sievertToggled = new Promise((resolve) => document.addEventListener(
        "toggle", () => resolve(true), { once: true, capture: true }));
}"""
"""Arms a promise kept once the next toggle event has gone through app.js's handler."""


@pytest.mark.parametrize(
    ("scheme", "viewport"), [("light", WIDE), ("dark", WIDE), ("light", NARROW)]
)
def test_every_page_passes_axe(
    browser: Any, server: SievertServer, scheme: str, viewport: dict[str, int]
) -> None:
    watch = Watch(browser, server.url, viewport, axe=True, color_scheme=scheme)
    try:
        watch.goto("/login")
        found = watch.violations()
        watch.sign_in(server.tokens["analyst"])  # the analyst's forms are checked too
        for path in AXE_PAGES:
            watch.goto(path)
            if "chart" in watch.page.content():
                watch.page.wait_for_selector(".chart .uplot")
            found += watch.violations()
        watch.goto("/")
        watch.page.wait_for_selector(".chart .uplot")
        # An open <details> too. Its toggle event comes in a task of its own, where app.js
        # makes a table that now scrolls sideways reachable: wait for that event to have been
        # handled (a listener added after app.js's runs after it), not for a fixed time.
        watch.page.evaluate(TOGGLED)
        watch.page.get_by_text("The chart's figures").click()
        watch.page.evaluate("() => window.sievertToggled")
        found += watch.violations()
        assert not found, "\n".join(found)
    finally:
        watch.close()


def _tab_until(watch: Watch, wanted: Any, limit: int = 60) -> list[dict[str, str]]:
    """Press Tab until `wanted(focused)`; every stop on the way (each with a visible focus)."""
    stops = []
    for _ in range(limit):
        watch.page.keyboard.press("Tab")
        now = watch.focused()
        stops.append(now)
        assert not now["outline"].startswith("none"), f"no visible focus on {now}"
        if wanted(now):
            return stops
    raise AssertionError(f"Tab never reached it; stops: {[s['text'] for s in stops]}")


def test_keyboard_reaches_filters_sorting_tabs_and_links(
    browser: Any, server: SievertServer
) -> None:
    watch = Watch(browser, server.url, WIDE)
    page = watch.page
    try:
        watch.sign_in(server.tokens["read-only"])
        watch.goto("/images")
        page.wait_for_load_state("load")
        page.keyboard.press("Tab")
        assert watch.focused()["text"] == "Skip to content"
        stops = [
            s["text"] or s["label"] for s in _tab_until(watch, lambda f: f["text"] == "Findings")
        ]
        for expected in (
            "Overview",
            "Images",
            "Policies",
            "Search",
            "Sign out",
            "has fix",
            "Filter",
        ):
            assert any(expected in s for s in stops), (expected, stops)
        order = [stops.index(next(s for s in stops if w in s)) for w in ("Repository", "Filter")]
        assert order == sorted(order), stops
        page.keyboard.press("Enter")  # sort by findings, from the keyboard
        expect(page.locator("th[aria-sort]")).to_have_text(re.compile("Findings"))
        assert page.locator("th[aria-sort]").get_attribute("aria-sort") == "descending"
        expect(page.locator("#sort-vulns")).to_be_focused()  # the focus stays on the header
        page.keyboard.press("Enter")
        expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
        assert "sort=vulns" in page.url and "dir=asc" in page.url
        _tab_until(watch, lambda f: f["tag"] == "a" and f["text"] == "example/app")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"/images/\d+$"))
        page.wait_for_load_state("load")
        _tab_until(watch, lambda f: f["role"] == "tab" and f["text"] == "Packages")
        page.keyboard.press("Enter")
        page.wait_for_selector("#packages")
        settled(page)
        expect(page.locator("#tab-packages")).to_have_attribute("aria-selected", "true")
        _tab_until(watch, lambda f: f["label"].startswith("Type"))
        _tab_until(watch, lambda f: f["tag"] == "a" and f["text"].startswith("Name"))
        page.keyboard.press("Enter")
        expect(page.locator("#packages th[aria-sort]")).to_have_text(re.compile("Name"))
        _tab_until(watch, lambda f: f["tag"] == "a" and f["text"].startswith("layer"))
        watch.shot("keyboard-focus", full=False)
    finally:
        watch.close()


def test_sorting_by_header_and_the_image_history_chart(wide: Watch, server: SievertServer) -> None:
    page = wide.page
    wide.sign_in(server.tokens["read-only"])
    wide.goto("/images")
    page.wait_for_load_state("load")
    page.locator("#images-table thead").get_by_role("link", name="Findings").click()
    expect(page.locator("#images-table th[aria-sort]")).to_have_attribute("aria-sort", "descending")
    refs = page.locator("#images-table tbody tr td:first-child a").all_inner_texts()
    assert len(refs) == 2
    page.get_by_label("Repository").fill("example")  # filtering keeps the sort
    page.wait_for_url(re.compile(r"repository=example"))
    assert "sort=vulns" in page.url and "dir=desc" in page.url
    expect(page.locator("#images-table th[aria-sort]")).to_have_text(re.compile("Findings"))
    wide.goto("/images/1")
    page.wait_for_load_state("load")
    page.locator("#vulns thead").get_by_role("link", name="Vulnerability").click()
    expect(page.locator("#vulns th[aria-sort]")).to_have_attribute("aria-sort", "ascending")
    ids = page.locator("#vulns tbody tr td:nth-child(2)").all_inner_texts()
    assert ids == sorted(ids) and len(ids) > 1
    assert "sort=id" in page.url
    settled(page)
    page.get_by_label("has fix").check()
    page.wait_for_url(re.compile(r"fix=true"))
    expect(page.locator("#vulns th[aria-sort]")).to_have_text(re.compile("Vulnerability"))
    assert "sort=id" in page.url
    page.get_by_role("link", name="riskiest first").click()
    expect(page.locator("#vulns th[aria-sort]")).to_have_count(0)
    settled(page)
    page.get_by_role("tab", name="History").click()
    page.wait_for_selector("#image-chart .uplot")  # drawn after the htmx swap
    own = json.loads(page.locator("#image-chart-data").text_content() or "{}")
    assert own["event"] == ["analysis", "db-update"], own
    wide.shot("history")


@pytest.mark.shared
@pytest.mark.slow
def test_the_shared_images(
    browser: Any, tmp_path_factory: pytest.TempPathFactory, real_db: Path
) -> None:
    if not SHARED_IMAGES.is_dir():
        pytest.skip("../shared/images not present (fresh clone): real-image UI test skipped")
    root = tmp_path_factory.mktemp("ui-shared")
    db = root / "vuln.db"
    shutil.copyfile(real_db, db)
    with SievertServer(root, db, SIEVERT_DB_CHECK="0.3") as live:
        admin = bearer(live.tokens["admin"])
        with httpx.Client(base_url=live.url, headers=admin, timeout=60) as client:
            assert client.put("/v1/policies/release", content=RELEASE.encode()).is_success
            attach = {"pattern": "shared/*", "policy": "release"}
            assert client.post("/v1/policy-attachments", json=attach).status_code == 201
        ids = {}
        for tag, name in (
            ("bookworm", "shared/debian:bookworm"),
            ("bookworm-apps", "shared/debian:bookworm-apps"),
            ("alpine-3.23", "shared/alpine:3.23"),
        ):
            archive = oci_archive(SHARED_IMAGES, tag, root / f"{tag}.tar")
            ids[tag] = live.add_archive(archive, name)["id"]
            archive.unlink()
        shutil.copyfile(real_db, root / "new.db")  # a DB update: one more point on the chart
        os.replace(root / "new.db", db)
        with httpx.Client(base_url=live.url, headers=admin, timeout=60) as client:
            deadline = time.monotonic() + 300
            while "db-update" not in {p["event"] for p in _fleet(client)}:
                assert time.monotonic() < deadline, "no re-evaluation after the DB update"
                time.sleep(0.3)
        watch = Watch(browser, live.url, WIDE)
        try:
            watch.sign_in(live.tokens["analyst"])
            watch.page.wait_for_selector("#chart .uplot")
            watch.shot("shared-overview")
            watch.shot("readme-overview", full=False)
            watch.goto("/images")
            assert watch.page.locator("#images-table tbody tr").count() == 3
            watch.goto(f"/images/{ids['bookworm-apps']}")
            assert watch.page.locator("#vulns tbody tr").count() == 50
            total = int(
                watch.page.get_by_text(re.compile(r"^\d+ findings")).inner_text().split()[0]
            )
            assert total > 100, total
            watch.shot("shared-image")
            watch.shot("readme-image", full=False)
            if os.environ.get("SIEVERT_README_SHOTS") == "1":  # refresh the README's two
                shutil.copyfile(SHOTS / "readme-overview.png", DOCS_IMG / "ui-overview.png")
                shutil.copyfile(SHOTS / "readme-image.png", DOCS_IMG / "ui-image.png")
            watch.page.get_by_role("link", name="Next →").click()
            watch.page.wait_for_url(re.compile(r"page=2"))
            assert watch.page.get_by_text("Page 2 of").is_visible()
            watch.goto(f"/images/{ids['bookworm-apps']}?tab=layers")
            assert watch.page.locator("ol.layers li").count() == 3
            watch.shot("shared-layers")
            watch.goto(f"/images/{ids['bookworm']}?tab=compare&other={ids['bookworm-apps']}")
            added = watch.page.locator("#cmp-added li").count()
            assert added > 50, added
            assert "removed" not in watch.page.locator("#cmp-packages").inner_text()
            watch.shot("shared-compare")
        finally:
            watch.close()
