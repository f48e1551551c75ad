"""Findings over time, exceptions from the UI and sorting by column, through the real app.

One point per analysis and one per DB update (fleet and image), as the API returns them and as
the Overview and the image's history tab embed them for the chart; an exception added in the UI
changes the next evaluation; the tables sort on the server by any column, both directions.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sievert.service import history
from sievert.service.app import create_app
from sievert.service.models import FindingsSnapshot
from sievert.service.reevaluate import reevaluate_all
from tests.clitools import run_sievert
from tests.service.helpers import add_token, bearer, settings_for, wait_status
from tests.service.uihelpers import csrf_of, sign_in

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

GLIBC_GATE = """\
version: 1
policies:
  - id: gate
    description: no iconv overflow
    rules:
      - id: iconv
        action: stop
        description: CVE-2024-2961 must be fixed or excepted
        when: {vulnerability_id: CVE-2024-2961}
"""


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
    vuln_db: Path,
    feed_mirror: Path,
    archives: dict[str, Path],
) -> Iterator[dict[str, Any]]:
    """The app image analysed under the glibc gate, then a DB update without the PyPI feed."""
    root = tmp_path_factory.mktemp("ui-history")
    debian_only = root / "debian-only.db"
    made = run_sievert(
        "db", "update", "--mirror", str(feed_mirror), "--db", str(debian_only), "--only", "debian"
    )
    assert made.returncode == 0, made.stderr
    # No periodic check: the test re-evaluates against the debian-only DB itself, and a check of
    # the app's own DB (a minute in on a slow run) would add a DB update point of its own.
    settings = settings_for(root, vuln_db, db_check=0)
    tokens = {role: add_token(settings, role) for role in ("read-only", "analyst", "admin")}
    admin = bearer(tokens["admin"])
    app = create_app(settings)
    with TestClient(app) as client:
        put = client.put("/v1/policies/gate", content=GLIBC_GATE.encode(), headers=admin)
        assert put.status_code == 200, put.text
        attach = {"pattern": "team/*", "policy": "gate"}
        assert client.post("/v1/policy-attachments", json=attach, headers=admin).status_code == 201
        answer = client.post(
            "/v1/images/archive",
            params={"name": "team/app:1"},
            content=archives["docker"].read_bytes(),
            headers={**admin, "Content-Type": "application/x-tar"},
        )
        image = wait_status(client, answer.json()["id"], admin)
        assert image["status"] == "analysed", image
        updated = settings_for(root, debian_only, settings.database_url)
        outcome = reevaluate_all(app.state.services.db, updated)
        assert outcome.images == 1 and outcome.changed == 1
        yield {"app": app, "tokens": tokens, "image": image, "client": client}


def test_api_has_a_point_per_analysis_and_per_db_update(world: dict[str, Any]) -> None:
    client, image = world["client"], world["image"]
    reader = bearer(world["tokens"]["read-only"])
    fleet = client.get("/v1/findings/history", headers=reader).json()
    assert [p["event"] for p in fleet] == ["analysis", "db-update"]
    assert [p["images"] for p in fleet] == [1, 1]
    before, after = fleet
    assert before["critical"] + before["high"] + before["medium"] > 0
    total = sum(before[s] for s in history.SEVERITIES)
    assert total == image["vuln_count"]
    # the PyPI advisories of requests 2.19.1 are gone from the debian-only DB
    assert sum(after[s] for s in history.SEVERITIES) < total
    own = client.get(
        "/v1/findings/history", params={"image_id": image["id"]}, headers=reader
    ).json()
    assert [(p["event"], p["images"]) for p in own] == [("analysis", 1), ("db-update", 1)]
    assert [p["high"] for p in own] == [p["high"] for p in fleet]
    assert (
        client.get("/v1/findings/history", params={"image_id": 999}, headers=reader).status_code
        == 404
    )
    assert client.get("/v1/findings/history").status_code == 401


def _chart_data(html: str, source: str) -> dict[str, Any]:
    found = re.search(rf'<script type="application/json" id="{source}">(.*?)</script>', html, re.S)
    assert found, f"no {source} on the page"
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def test_overview_and_history_tab_embed_the_points(world: dict[str, Any]) -> None:
    with TestClient(world["app"]) as client:
        sign_in(client, token=world["tokens"]["read-only"])
        overview = client.get("/").text
        fleet = _chart_data(overview, "chart-data")
        assert len(fleet["t"]) == 2 and fleet["event"] == ["analysis", "db-update"]
        assert fleet["t"] == sorted(fleet["t"])
        assert "<td>DB update</td>" in overview
        tab = client.get(f"/images/{world['image']['id']}", params={"tab": "history"}).text
        own = _chart_data(tab, "image-chart-data")
        assert own["event"] == ["analysis", "db-update"]
        assert own["critical"] == fleet["critical"]


def test_snapshots_go_with_their_image(world: dict[str, Any]) -> None:
    services = world["app"].state.services
    with services.db.session() as session:
        rows = session.query(FindingsSnapshot).all()
        assert {r.image_id for r in rows} == {None, world["image"]["id"]}


def test_an_exception_added_in_the_ui_changes_the_next_evaluation(world: dict[str, Any]) -> None:
    image_id = world["image"]["id"]
    analyst = bearer(world["tokens"]["analyst"])
    api = world["client"]
    first = api.get(f"/v1/images/{image_id}/certifications", headers=analyst).json()
    assert first[0]["verdict"] == "stop" and first[0]["reasons"][0]["rule_id"] == "iconv"
    with TestClient(world["app"]) as client:
        sign_in(client, token=world["tokens"]["analyst"])
        page = client.get("/policies/gate").text
        assert "No exceptions." in page
        form = {
            "csrf_token": csrf_of(page),
            "vulnerability": "CVE-2024-2961",
            "owner": "platform-team",
            "ticket": "SEC-42",
            "reason": "iconv is not reachable from the app",
            "expires": "2099-12-31",
        }
        assert (
            client.post("/policies/gate/exceptions", data={**form, "csrf_token": "x"}).status_code
            == 403
        )
        answer = client.post("/policies/gate/exceptions", data=form, follow_redirects=False)
        assert answer.status_code == 303, answer.text
        page = client.get("/policies/gate").text
        listed = page.split('id="exception-list"')[1].split("</table>")[0]
        assert "CVE-2024-2961" in listed and "platform-team" in listed and "SEC-42" in listed
        assert "2099-12-31" in listed and "active" in listed
        assert "description: no iconv overflow" in page  # appended: the author's text stays
        overview = client.get("/policies").text
        assert "SEC-42" in overview.split('id="exception-list"')[1]
    again = api.post(f"/v1/images/{image_id}/evaluate", headers=analyst)
    assert again.status_code == 201, again.text
    assert again.json()["policy_version"] == 2 and again.json()["verdict"] == "go"


def test_read_only_sees_exceptions_but_no_form(world: dict[str, Any]) -> None:
    with TestClient(world["app"]) as client:
        sign_in(client, token=world["tokens"]["read-only"])
        page = client.get("/policies/gate").text
        assert 'id="exception-list"' in page and 'id="exception-form"' not in page
        assert "Add an exception" not in page


def _column(html: str, table: str, index: int) -> list[str]:
    body = html.split(f'id="{table}"')[1].split("</tbody>")[0].split("<tbody>")[1]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", r, re.S) for r in rows]
    return [re.sub(r"<[^>]+>|\s+", " ", c[index]).strip() for c in cells]


def test_findings_and_packages_sort_by_any_column(world: dict[str, Any]) -> None:
    image_id = world["image"]["id"]
    with TestClient(world["app"]) as client:
        sign_in(client, token=world["tokens"]["read-only"])
        url = f"/images/{image_id}"
        page = client.get(url, params={"sort": "id", "dir": "asc"}).text
        ids = _column(page, "vulns", 1)
        assert ids == sorted(ids) and len(ids) > 1
        assert '<th aria-sort="ascending"><a class="sort" id="sort-id"' in page
        assert page.count("aria-sort=") == 1
        assert f'href="{url}?sort=id&amp;dir=desc"' in page  # the same header turns it around
        desc = _column(client.get(url, params={"sort": "id", "dir": "desc"}).text, "vulns", 1)
        assert desc == sorted(ids, reverse=True)
        sev = _column(client.get(url, params={"sort": "severity"}).text, "vulns", 0)
        ranks = [history.SEVERITIES.index(s) for s in sev]
        assert ranks == sorted(ranks)  # first click: the worst first
        cvss = _column(client.get(url, params={"sort": "cvss"}).text, "vulns", 3)
        scores = [float(c) if c != "—" else -1 for c in cvss]
        assert scores == sorted(scores, reverse=True)  # (this DB has no CVSS for them)
        kept = client.get(url, params={"sort": "package", "dir": "asc", "kev": "false"}).text
        assert 'name="sort" value="package"' in kept  # filtering keeps the sort
        names = _column(
            client.get(url, params={"tab": "packages", "sort": "name", "dir": "desc"}).text,
            "packages",
            0,
        )
        assert names == sorted(names, reverse=True)
        assert client.get(url, params={"sort": "drop table"}).status_code == 422
        assert client.get(url, params={"dir": "sideways"}).status_code == 422


def test_images_table_sorts_by_column_and_keeps_it_when_filtering(world: dict[str, Any]) -> None:
    with TestClient(world["app"]) as client:
        sign_in(client, token=world["tokens"]["read-only"])
        page = client.get("/images", params={"sort": "vulns", "dir": "desc"}).text
        assert (
            '<th aria-sort="descending"><a class="sort" id="sort-vulns"'
            ' href="/images?sort=vulns&amp;dir=asc"' in page
        )
        assert 'id="f-sort" value="vulns"' in page
        fragment = client.get(
            "/images", params={"sort": "highest", "dir": "asc"}, headers={"HX-Request": "true"}
        ).text
        assert 'id="f-sort" value="highest" hx-swap-oob="true"' in fragment
        assert 'id="f-dir" value="asc" hx-swap-oob="true"' in fragment
        for key in (
            "reference",
            "verdict",
            "highest",
            "vulns",
            "kev",
            "packages",
            "status",
            "oldest",
        ):
            for direction in ("asc", "desc"):
                answer = client.get("/images", params={"sort": key, "dir": direction})
                assert answer.status_code == 200 and "team/app" in answer.text, (key, direction)
