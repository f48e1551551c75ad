"""`update()` against a real loopback HTTP server: failures per source, ETag, atomic swap."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sievert.vulndb as vulndb
from sievert.errors import UsageError
from sievert.vulndb.feeds import Settings
from sievert.vulndb.update import UpdateReport, update
from tests.vulndb import feedfactory as ff
from tests.vulndb.conftest import FeedServer, Route


def run(server: FeedServer, db: Path, **kwargs: object) -> UpdateReport:
    return update(db, mirror=server.url, **kwargs)  # type: ignore[arg-type]


def by_name(report: UpdateReport) -> dict[str, object]:
    return {s.name: s for s in report.sources}


def test_url_mirror_builds_every_source(feed_server: FeedServer, tmp_path: Path) -> None:
    report = run(feed_server, tmp_path / "vuln.db")
    assert report.written and report.failed == []
    statuses = {s.name: s.status for s in report.sources}
    broken = {"osv", "debian", "kev", "epss"}  # the fixtures hold one malformed record each
    assert statuses == {n: "partial" if n in broken else "ok" for n in statuses}
    assert {s.name: s.skipped_records for s in report.sources if s.name in broken} == dict.fromkeys(
        broken, 1
    )
    osv = next(s for s in report.sources if s.name == "osv")
    assert "osv/Go/all.zip" in osv.skipped  # the mirror has no Go: skipped, not failed
    assert any("BROKEN.json" in n for n in osv.notices)
    with vulndb.open(tmp_path / "vuln.db") as db:
        assert db.get(ff.CVE_1).exploits[0].id == "51234"  # type: ignore[union-attr]
        assert db.affected("alpine:3.23", "musl")
    paths = {p.split("?")[0] for p, _ in feed_server.requests}
    assert "/alpine/v3.23/main.json" in paths and "/osv/npm/all.zip" in paths


@pytest.mark.parametrize(
    ("path", "route", "message"),
    [
        ("/debian/tracker.json", Route(b"gone", status=404), "not found"),
        ("/kev/known_exploited_vulnerabilities.json", Route(b"oops", status=500), "HTTP 500"),
        ("/kev/known_exploited_vulnerabilities.json", Route(b'{"vuln', status=200), "invalid JSON"),
        ("/epss/epss_scores-current.csv.gz", Route(b"\x1f\x8b" + b"x" * 50), "corrupt gzip"),
        ("/cvelistV5/cves.zip", Route(b"PK\x03\x04garbage"), "corrupt zip"),
        ("/debian/tracker.json", Route(b"{}", claim_length=5000), "truncated"),
    ],
)
def test_one_source_fails_the_others_import(
    feed_server: FeedServer, tmp_path: Path, path: str, route: Route, message: str
) -> None:
    feed_server.routes[path] = route
    report = run(feed_server, tmp_path / "vuln.db")
    source = {"debian": "debian", "kev": "kev", "epss": "epss", "cvelistV5": "cve"}[
        path.split("/")[1]
    ]
    assert report.failed == [source]
    failed = next(s for s in report.sources if s.name == source)
    assert message in failed.errors[0] and path in failed.errors[0]
    assert report.written
    with vulndb.open(tmp_path / "vuln.db") as db:
        assert db.affected("npm", "leftpad")  # osv still imported
        statuses = {s.name: s.status for s in db.status().sources}
        assert statuses[source] == "failed"


def test_slow_server_times_out(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.routes["/kev/known_exploited_vulnerabilities.json"] = Route(b"{}", delay=1.0)
    report = run(feed_server, tmp_path / "vuln.db", timeout=0.2)
    assert report.failed == ["kev"]
    (error,) = next(s for s in report.sources if s.name == "kev").errors
    assert "timed out after 0.2 s" in error


def test_corrupt_zip_of_one_ecosystem_keeps_the_other(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    feed_server.routes["/osv/npm/all.zip"] = Route(b"not a zip at all")
    report = run(feed_server, tmp_path / "vuln.db")
    assert report.failed == ["osv"]
    with vulndb.open(tmp_path / "vuln.db") as db:
        assert db.affected("pypi", "foo-bar-baz")
        assert not db.affected("npm", "leftpad")


def test_missing_optional_file_is_skipped(feed_server: FeedServer, tmp_path: Path) -> None:
    assert feed_server.root is not None
    (feed_server.root / "exploitdb" / "files_exploits.csv").unlink()
    report = run(feed_server, tmp_path / "vuln.db")
    assert report.failed == []
    assert {s.name: s.status for s in report.sources}["exploitdb"] == "skipped"


def test_etag_gives_304_and_reuses_the_file(feed_server: FeedServer, tmp_path: Path) -> None:
    kev_path = "/kev/known_exploited_vulnerabilities.json"
    body = json.dumps(ff.kev_catalog()).encode()
    feed_server.routes[kev_path] = Route(body, etag='"kev-v1"')
    run(feed_server, tmp_path / "vuln.db", only="kev")
    feed_server.requests.clear()
    report = run(feed_server, tmp_path / "vuln.db", only="kev")
    ((_, headers),) = [r for r in feed_server.requests if r[0] == kev_path]
    assert headers.get("If-None-Match") == '"kev-v1"'
    assert report.failed == []
    with vulndb.open(tmp_path / "vuln.db") as db:
        assert db.get(ff.CVE_1).kev_date_added == "2099-01-05"  # type: ignore[union-attr]


def test_no_validators_kept_for_a_file_that_did_not_parse(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    kev_path = "/kev/known_exploited_vulnerabilities.json"
    feed_server.routes[kev_path] = Route(b'{"broken', etag='"bad"')
    run(feed_server, tmp_path / "vuln.db", only="kev,osv")
    feed_server.requests.clear()
    run(feed_server, tmp_path / "vuln.db", only="kev,osv")
    ((_, headers),) = [r for r in feed_server.requests if r[0] == kev_path]
    assert "If-None-Match" not in headers


def test_failed_update_leaves_the_old_database(feed_server: FeedServer, tmp_path: Path) -> None:
    db = tmp_path / "vuln.db"
    run(feed_server, db)
    before = db.read_bytes()
    feed_server.root = None  # every file now answers 404 / the routes below
    for path in ("/debian/tracker.json", "/cvelistV5/cves.zip"):
        feed_server.routes[path] = Route(b"down", status=500)
    report = run(feed_server, db)
    assert not report.written
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("vuln.db.building-*"))


class Interrupt:
    """A reporter that raises KeyboardInterrupt (Ctrl-C) in the middle of a download."""

    def start(self, label: str, total: int | None) -> None:
        pass

    def advance(self, label: str, amount: int) -> None:
        if "cves.zip" in label:
            raise KeyboardInterrupt

    def finish(self, label: str, message: str) -> None:
        pass


def test_interrupted_update_leaves_the_old_database(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    db = tmp_path / "vuln.db"
    run(feed_server, db)
    before = db.read_bytes()
    with pytest.raises(KeyboardInterrupt):
        run(feed_server, db, reporter=Interrupt())
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("vuln.db.building-*"))
    assert not list(tmp_path.rglob("*.part"))
    with vulndb.open(db) as opened:
        assert opened.affected("npm", "leftpad")


def test_failed_source_keeps_previous_rows(feed_server: FeedServer, tmp_path: Path) -> None:
    db = tmp_path / "vuln.db"
    run(feed_server, db)
    feed_server.routes["/kev/known_exploited_vulnerabilities.json"] = Route(b"x", status=500)
    report = run(feed_server, db)
    assert report.failed == ["kev"]
    assert next(s for s in report.sources if s.name == "kev").kept
    with vulndb.open(db) as opened:
        assert opened.get(ff.CVE_1).kev_ransomware  # type: ignore[union-attr]
        kev = next(s for s in opened.status().sources if s.name == "kev")
        assert kev.status == "failed" and "previous data kept" in kev.message


def test_only_keeps_the_other_sources(feed_server: FeedServer, tmp_path: Path) -> None:
    db = tmp_path / "vuln.db"
    run(feed_server, db)
    report = run(feed_server, db, only="kev")
    assert [s.name for s in report.sources] == ["kev"]
    with vulndb.open(db) as opened:
        assert opened.affected("debian:bookworm", "demo")
        names = {s.name for s in opened.status().sources}
        assert {"osv", "debian", "alpine", "kev", "epss"} <= names


def test_unknown_source_and_bad_mirror_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown source"):
        update(tmp_path / "vuln.db", only="kev,bogus")
    with pytest.raises(UsageError, match="not a directory"):
        update(tmp_path / "vuln.db", mirror=str(tmp_path / "nope"))


def test_nvd_pages_at_the_rate_limit(feed_server: FeedServer, tmp_path: Path) -> None:
    def page(start: int, cve: str) -> Route:
        item = {"cve": {"id": cve, "descriptions": [{"lang": "en", "value": cve}]}}
        doc = {
            "resultsPerPage": 1,
            "startIndex": start,
            "totalResults": 2,
            "vulnerabilities": [item],
        }
        return Route(json.dumps(doc).encode())

    feed_server.routes["/nvd?startIndex=0&resultsPerPage=1"] = page(0, "CVE-2099-0100")
    feed_server.routes["/nvd?startIndex=1&resultsPerPage=1"] = page(1, "CVE-2099-0101")
    settings = Settings(
        nvd_url=f"{feed_server.url}/nvd", nvd_page_size=1, nvd_delay=0.0, nvd_api_key="k"
    )
    report = update(tmp_path / "vuln.db", only="nvd", settings=settings)
    assert report.failed == []
    assert all(h.get("apiKey") == "k" for p, h in feed_server.requests if p.startswith("/nvd"))
    with vulndb.open(tmp_path / "vuln.db") as db:
        assert db.get("CVE-2099-0101").description == "CVE-2099-0101"  # type: ignore[union-attr]
