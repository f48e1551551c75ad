"""The web UI through FastAPI's TestClient: sign-in, sessions, CSRF, roles, every page."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sievert.service.app import create_app
from sievert.service.models import ApiToken, Certification, Image, ImageDiff, Policy, UiUser
from sievert.service.settings import Settings
from sievert.service.ui.auth import hash_password
from tests.imagebuilder import write_docker_archive
from tests.service.helpers import APP_IMAGE, add_token, bearer, settings_for, wait_status
from tests.service.uihelpers import APP_IMAGE_V2, POLICY, csrf_of, sign_in

with warnings.catch_warnings():
    # Starlette asks for its httpx fork ("httpx2"); the TestClient works the same with httpx.
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

SIEVERT = [sys.executable, "-m", "sievert", "server"]
PAGES = ("/", "/images", "/images/1", "/vulns/CVE-2024-2961", "/search?q=libc", "/policies")


@pytest.fixture(scope="module")
def stocked(tmp_path_factory: pytest.TempPathFactory, vuln_db: Path) -> Iterator[dict[str, Any]]:
    """A service with tags 1 and 2 of example/app analysed, and tokens of every role."""
    root = tmp_path_factory.mktemp("ui-server")
    settings = settings_for(root, vuln_db)
    tokens = {role: add_token(settings, role) for role in ("read-only", "analyst", "admin")}
    app = create_app(settings)
    ids = {}
    with TestClient(app) as client:
        for tag, image in (("1", APP_IMAGE), ("2", APP_IMAGE_V2)):
            archive = write_docker_archive(root / f"app{tag}.tar", image, tag=f"example/app:{tag}")
            answer = client.post(
                "/v1/images/archive",
                params={"name": f"example/app:{tag}"},
                content=archive.read_bytes(),
                headers={**bearer(tokens["analyst"]), "Content-Type": "application/x-tar"},
            )
            done = wait_status(client, answer.json()["id"], bearer(tokens["analyst"]))
            assert done["status"] == "analysed", done
            ids[tag] = done["id"]
        yield {"app": app, "settings": settings, "tokens": tokens, "ids": ids}


def user_create(db_url: str, name: str, role: str, password: str) -> Any:
    """`sievert server user create NAME --role R --password-stdin`."""
    return subprocess.run(
        [
            *SIEVERT,
            "--database",
            db_url,
            "user",
            "create",
            name,
            "--role",
            role,
            "--password-stdin",
        ],
        input=password + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def client_for(stocked: dict[str, Any], base_url: str = "http://testserver") -> TestClient:
    return TestClient(stocked["app"], base_url=base_url)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_redirects_to_login_without_a_session(
    stocked: dict[str, Any], path: str
) -> None:
    with client_for(stocked) as client:
        answer = client.get(path, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login")


def test_login_page_and_static_files_need_no_session(stocked: dict[str, Any]) -> None:
    with client_for(stocked) as client:
        assert client.get("/login").status_code == 200
        for path in (
            "/static/app.css",
            "/static/vendor/htmx.org-2.0.4/htmx.min.js",
            "/static/vendor/uplot-1.6.31/uPlot.iife.min.js",
        ):
            assert client.get(path).status_code == 200, path
        answer = client.get("/images", headers={"HX-Request": "true"}, follow_redirects=False)
        assert answer.headers["HX-Redirect"].startswith("/login")


def test_token_login_sets_a_strict_httponly_cookie_and_opens_the_pages(
    stocked: dict[str, Any],
) -> None:
    with client_for(stocked) as client:
        answer = sign_in(client, token=stocked["tokens"]["read-only"])
        assert answer.status_code == 303 and answer.headers["location"] == "/"
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
        for path in PAGES:
            page = client.get(path)
            assert page.status_code == 200, path
            assert "Sign out" in page.text
            assert "script-src 'self'" in page.headers["content-security-policy"]
            assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


def test_cookie_is_secure_over_https(stocked: dict[str, Any]) -> None:
    with client_for(stocked, "https://testserver") as client:
        answer = sign_in(client, token=stocked["tokens"]["analyst"])
    assert answer.status_code == 303
    assert "secure" in answer.headers["set-cookie"].lower()


def test_bad_token_and_bad_password_are_refused(stocked: dict[str, Any]) -> None:
    with client_for(stocked) as client:
        answer = sign_in(client, token="svt_0123456789abcdef_nope")
        assert answer.status_code == 401 and "not valid" in answer.text
        answer = sign_in(client, username="nobody", password="whatever-pass")
        assert answer.status_code == 401 and "Wrong username or password" in answer.text
        assert client.get("/", follow_redirects=False).status_code == 303


def test_password_login_with_an_argon2_hash(stocked: dict[str, Any]) -> None:
    db_url = stocked["settings"].database_url
    proc = user_create(db_url, "carol", "analyst", "correct horse battery")
    assert proc.returncode == 0, proc.stderr
    services = stocked["app"].state.services
    with services.db.session() as session:
        row = session.get(UiUser, "carol")
        assert row is not None and row.password_hash.startswith("$argon2")
        assert "correct horse" not in row.password_hash
    with client_for(stocked) as client:
        assert sign_in(client, username="carol", password="wrong password!").status_code == 401
        answer = sign_in(client, username="carol", password="correct horse battery")
        assert answer.status_code == 303
        page = client.get("/policies")
        assert "carol (analyst)" in page.text and 'id="policy-upload"' in page.text


def test_short_password_is_a_usage_error(stocked: dict[str, Any]) -> None:
    db_url = stocked["settings"].database_url
    proc = user_create(db_url, "dan", "admin", "short")
    assert proc.returncode == 2 and "8 characters" in proc.stderr


def test_forms_without_the_csrf_token_are_refused(stocked: dict[str, Any]) -> None:
    with client_for(stocked) as client:
        client.get("/login")
        token = stocked["tokens"]["analyst"]
        assert client.post("/login", data={"token": token}).status_code == 403
        assert client.post("/login", data={"token": token, "csrf_token": "x"}).status_code == 403
        assert sign_in(client, token=token).status_code == 303
        before = _policy_count(stocked)
        answer = client.post("/policies", data={"name": "nocsrf", "text": POLICY})
        assert answer.status_code == 403
        answer = client.post(
            "/policies", data={"name": "nocsrf", "text": POLICY, "csrf_token": "forged"}
        )
        assert answer.status_code == 403
        assert _policy_count(stocked) == before
        assert client.post("/logout", data={}).status_code == 403
        assert client.get("/").status_code == 200


def _policy_count(stocked: dict[str, Any]) -> int:
    with stocked["app"].state.services.db.session() as session:
        return len(session.scalars(select(Policy)).all())


def test_read_only_sees_no_write_controls_and_is_refused(stocked: dict[str, Any]) -> None:
    with client_for(stocked) as client:
        assert sign_in(client, token=stocked["tokens"]["read-only"]).status_code == 303
        page = client.get("/policies")
        assert page.status_code == 200
        assert 'id="policy-upload"' not in page.text and "Upload a policy" not in page.text
        csrf = csrf_of(page.text)
        answer = client.post("/policies", data={"csrf_token": csrf, "name": "ro", "text": POLICY})
        assert answer.status_code == 403
        answer = client.post(
            "/policies/ro/exceptions",
            data={"csrf_token": csrf, "vulnerability": "CVE-1", "owner": "a", "reason": "b"},
        )
        assert answer.status_code == 403


def test_analyst_uploads_a_policy_and_adds_an_exception(stocked: dict[str, Any]) -> None:
    with client_for(stocked) as client:
        assert sign_in(client, token=stocked["tokens"]["analyst"]).status_code == 303
        csrf = csrf_of(client.get("/policies").text)
        bad = client.post("/policies", data={"csrf_token": csrf, "name": "gate", "text": "x: ["})
        assert bad.status_code == 422 and 'class="error"' in bad.text
        answer = client.post(
            "/policies",
            data={"csrf_token": csrf, "name": "gate", "text": POLICY},
            follow_redirects=False,
        )
        assert answer.status_code == 303 and answer.headers["location"] == "/policies/gate"
        page = client.get("/policies/gate")
        assert ">v1<" in page.text and "UI test gate" in page.text
        again = client.post("/policies", data={"csrf_token": csrf, "name": "gate", "text": POLICY})
        # same text, same version (matched as markup: the random CSRF token may contain "v2")
        assert again.status_code == 200 and ">v2<" not in again.text
        form = {
            "csrf_token": csrf,
            "vulnerability": "CVE-2024-2961",
            "owner": "platform-team",
            "reason": "not reachable",
            "expires": "2000-01-01",
        }
        past = client.post("/policies/gate/exceptions", data=form)
        assert past.status_code == 422 and "in the past" in past.text
        form["expires"] = "2099-12-31"
        answer = client.post("/policies/gate/exceptions", data=form, follow_redirects=False)
        assert answer.status_code == 303
        page = client.get("/policies/gate")
        assert ">v2<" in page.text and "platform-team" in page.text
    with stocked["app"].state.services.db.session() as session:
        versions = session.scalars(select(Policy).where(Policy.name == "gate")).all()
        assert sorted(v.version for v in versions) == [1, 2]


def test_revoked_token_ends_the_session(stocked: dict[str, Any]) -> None:
    settings: Settings = stocked["settings"]
    token = add_token(settings, "read-only")
    with client_for(stocked) as client:
        assert sign_in(client, token=token).status_code == 303
        assert client.get("/").status_code == 200
        with stocked["app"].state.services.db.session() as session:
            row = session.get(ApiToken, token.split("_")[1])
            assert row is not None
            row.revoked = True
        assert client.get("/", follow_redirects=False).status_code == 303


def test_next_never_leaves_the_site(stocked: dict[str, Any]) -> None:
    with client_for(stocked) as client:
        csrf = csrf_of(client.get("/login?next=//evil.example/x").text)
        answer = client.post(
            "/login",
            data={
                "csrf_token": csrf,
                "token": stocked["tokens"]["admin"],
                "next": "//evil.example",
            },
            follow_redirects=False,
        )
    assert answer.headers["location"] == "/"


def test_pages_show_the_analysed_images(stocked: dict[str, Any]) -> None:
    one, two = stocked["ids"]["1"], stocked["ids"]["2"]
    with client_for(stocked) as client:
        sign_in(client, token=stocked["tokens"]["read-only"])
        overview = client.get("/").text
        assert "example/app:1" in overview and "Images most at risk" in overview
        table = client.get("/images", params={"tag": "1"}).text
        assert f"/images/{one}" in table and f"/images/{two}" not in table
        fixed = client.get("/images", params={"fix": "true", "repository": "example/app"}).text
        assert f"/images/{one}" in fixed
        fragment = client.get("/images", params={"tag": "2"}, headers={"HX-Request": "true"})
        assert "<html" not in fragment.text and f"/images/{two}" in fragment.text
        page = client.get(f"/images/{one}")
        assert "CVE-2024-2961" in page.text and "libc6" in page.text
        assert 'href="/vulns/CVE-2024-2961"' in page.text
        assert re.search(r'<td class="num" title="CVSS:3\.1/AV:N/AC:H[^"]*">\d\.\d</td>', page.text)
        assert f'href="/images/{one}?tab=layers#layer-0"' in page.text
        layers = client.get(f"/images/{one}", params={"tab": "layers"}).text
        assert 'id="layer-1"' in layers and "RUN pip install requests==2.19.1" in layers
        packages = client.get(f"/images/{one}", params={"tab": "packages", "type": "pypi"})
        assert "requests" in packages.text and "libpam0g" not in packages.text
        checks = client.get(f"/images/{one}", params={"tab": "checks"}).text
        assert "/app/.env" in checks and "AKIAZ3MSJV4WWNKWW5FG" not in checks
        compare = client.get(f"/images/{one}", params={"tab": "compare", "other": two}).text
        fixed_part = compare.split('id="cmp-fixed"')[1].split("</ul>")[0]
        assert "CVE-2024-2961" in fixed_part
        assert "added zlib1g" in compare and "changed requests" in compare
        vuln = client.get("/vulns/CVE-2024-2961").text
        assert "AV:N/AC:H" in vuln and "Attack vector" in vuln and "Network" in vuln
        assert f'href="/images/{one}"' in vuln and "2.36-9+deb12u6" in vuln
        found = client.get("/search", params={"q": "requests"}).text
        assert "example/app:1" in found and "example/app:2" in found
        assert client.get("/vulns/CVE-0000-0000").status_code == 404
        assert client.get("/images/99999").status_code == 404


def test_hostile_query_values_are_refused_not_crashed(stocked: dict[str, Any]) -> None:
    with client_for(stocked) as client:
        sign_in(client, token=stocked["tokens"]["read-only"])
        assert client.get("/images", params={"page": "-1"}).status_code == 422
        assert client.get("/images", params={"sort": "id; drop"}).status_code == 422
        page = client.get("/images", params={"repository": "%_<script>", "severity": "x"})
        assert page.status_code == 200 and "<script>" not in page.text.split("<main")[1]
        assert client.get("/search", params={"q": "<b>x</b>"}).status_code == 200


def test_password_hash_helper_is_argon2() -> None:
    assert hash_password("something long").startswith("$argon2id$")


def test_error_pages_are_html_for_the_ui_and_json_for_the_api(stocked: dict[str, Any]) -> None:
    with client_for(stocked) as client:
        sign_in(client, token=stocked["tokens"]["read-only"])
        page = client.get("/images/99999")
        assert page.status_code == 404 and "text/html" in page.headers["content-type"]
        assert "no image 99999" in page.text and "Sign out" in page.text
        api = client.get("/v1/images/99999", headers=bearer(stocked["tokens"]["read-only"]))
        assert api.status_code == 404 and api.json() == {"detail": "no image 99999"}
        assert client.get("/v1/images").status_code == 401  # a UI session is no API credential


def test_verdicts_from_stored_certifications(stocked: dict[str, Any]) -> None:
    one, two = stocked["ids"]["1"], stocked["ids"]["2"]
    with stocked["app"].state.services.db.session() as session:
        for image_id, verdict in ((one, "warn"), (one, "stop"), (two, "go")):
            session.add(
                Certification(
                    image_id=image_id,
                    policy_name="gate",
                    policy_version=1,
                    policy_digest="sha256:0",
                    verdict=verdict,
                    reasons=[
                        {
                            "rule_id": "exploited",
                            "action": verdict,
                            "description": f"rule said {verdict}",
                            "count": 1,
                            "findings": ["CVE-2024-2961 libc6"],
                        }
                    ],
                )
            )
    with client_for(stocked) as client:
        sign_in(client, token=stocked["tokens"]["read-only"])
        stops = client.get("/images", params={"verdict": "stop"}).text
        assert f"/images/{one}" in stops and f"/images/{two}" not in stops
        goes = client.get("/images", params={"verdict": "go"}).text
        assert f"/images/{two}" in goes and f"/images/{one}" not in goes
        overview = client.get("/").text
        assert re.search(r"verdict-stop\">stop</span></a></td><td class=\"num\">1<", overview)
        page = client.get(f"/images/{one}").text
        assert "rule said stop" in page
        history = client.get(f"/images/{one}", params={"tab": "history"}).text
        assert history.split('role="tabpanel"')[1].count("verdict verdict-") == 2


def test_images_table_pages_on_the_server(stocked: dict[str, Any]) -> None:
    with stocked["app"].state.services.db.session() as session:
        session.add_all(
            Image(reference=f"bulk/img:b{n:02d}", source="registry", status="queued")
            for n in range(30)
        )
    with client_for(stocked) as client:
        sign_in(client, token=stocked["tokens"]["read-only"])
        first = client.get("/images", params={"repository": "bulk/", "sort": "reference"}).text
        assert "30 images" in first and "Page 1 of 2" in first
        assert "bulk/img" in first and first.count('href="/images/') == 25
        assert "b00" in first and "b29" not in first
        second = client.get(
            "/images", params={"repository": "bulk/", "sort": "reference", "page": "2"}
        ).text
        assert "Page 2 of 2" in second and second.count('href="/images/') == 5


def test_overview_lists_recent_changes_after_db_updates(stocked: dict[str, Any]) -> None:
    one = stocked["ids"]["1"]
    with stocked["app"].state.services.db.session() as session:
        session.add(
            ImageDiff(
                image_id=one,
                db_built_before="2026-01-01",
                db_built_after="2026-02-01",
                added=[{"id": "CVE-2026-1"}, {"id": "CVE-2026-2"}],
                verdict_before="go",
                verdict_after="stop",
            )
        )
    with client_for(stocked) as client:
        sign_in(client, token=stocked["tokens"]["read-only"])
        table = client.get("/").text.split('id="notifications"')[1].split("</table>")[0]
    assert "example/app:1" in table and "2026-01-01 → 2026-02-01" in table
    assert '<td class="num">2</td>' in table and "go → stop" in table
