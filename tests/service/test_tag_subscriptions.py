"""Tag subscriptions against a real docker-registry: a repository or a tag is watched, a new
digest pushed with skopeo is added and analysed once (never a digest already stored), in the
embedded server (manual and periodic polls) and on PostgreSQL with a real worker process."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sievert.service.app import create_app
from sievert.service.settings import Settings
from tests.imagebuilder import F, Image
from tests.pgcluster import free_port
from tests.service.helpers import (
    APP_IMAGE,
    BASE_LAYER,
    SECRET,
    LiveServer,
    Receiver,
    add_token,
    bearer,
    settings_for,
    wait_for,
    wait_status,
)
from tests.service.test_postgres_workers import Workers
from tests.source.registry_fixtures import Registry, start_registry
from tests.source.test_registry_auth import htpasswd_registry_at

pytestmark = [pytest.mark.registry]
USER, PASSWORD = "watcher", "w4tcher-secret"
NEW_IMAGE = Image(
    [
        BASE_LAYER,
        [F("app/lib/requests-2.31.0.dist-info/METADATA", "Name: requests\nVersion: 2.31.0\n")],
    ],
    history=["/bin/sh -c #(nop) ADD file:base in /", "RUN pip install requests==2.31.0"],
)
"""The same base with a newer requests: what a rebuild pushed to the same tag looks like."""
THIRD_IMAGE = Image([BASE_LAYER, [F("app/VERSION", "3.0\n")]], history=["base", "COPY VERSION"])


@pytest.fixture
def private_registry(tmp_path: Path) -> Iterator[Registry]:
    """A registry that needs Basic credentials (htpasswd), as a private one does."""
    yield from htpasswd_registry_at(tmp_path, USER, PASSWORD)


class Pusher:
    """Pushes images to a registry with skopeo, each push from its own OCI layout."""

    def __init__(self, registry: Registry, root: Path, creds: str = "") -> None:
        self.registry, self.root, self.creds = registry, root, creds
        self.count = 0

    def push(self, tag: str, image: Image, repo: str = "team/app") -> None:
        self.count += 1
        self.registry.push(self.root / f"push{self.count}", {tag: image}, repo, creds=self.creds)


def subscription(client: Any, headers: dict[str, str], sub_id: int) -> dict[str, Any]:
    answer = client.get(f"/v1/tag-subscriptions/{sub_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def polled_after(client: Any, headers: dict[str, str], sub_id: int, since: str | None) -> Any:
    """The subscription once polled after `since` (None: polled at all)."""

    def check() -> dict[str, Any] | None:
        doc = subscription(client, headers, sub_id)
        stamp = doc["last_polled_at"]
        return doc if stamp and (since is None or stamp > since) else None

    doc = wait_for(check, timeout=90)
    assert doc, subscription(client, headers, sub_id)
    return doc


def images_total(client: Any, headers: dict[str, str]) -> int:
    return int(client.get("/v1/images", headers=headers).json()["total"])


def test_watched_tag_new_digest_is_analysed_once(
    tmp_path: Path, vuln_db: Path, private_registry: Registry
) -> None:
    pusher = Pusher(private_registry, tmp_path, f"{USER}:{PASSWORD}")
    pusher.push("1.2", APP_IMAGE)
    settings = settings_for(tmp_path, vuln_db, poll_interval=0)
    admin = bearer(add_token(settings, "admin"))
    analyst = bearer(add_token(settings, "analyst"))
    reader = bearer(add_token(settings, "read-only"))
    host = private_registry.host
    with LiveServer(create_app(settings)) as client:
        stored = client.put(
            "/v1/registries",
            json={"host": host, "username": USER, "password": PASSWORD},
            headers=admin,
        )
        assert stored.status_code == 200, stored.text
        refused = client.post(
            "/v1/tag-subscriptions", json={"reference": f"{host}/team/app:1.2"}, headers=reader
        )
        assert refused.status_code == 403
        made = client.post(
            "/v1/tag-subscriptions", json={"reference": f"{host}/team/app:1.2"}, headers=analyst
        )
        assert made.status_code == 201, made.text
        sub = made.json()
        assert (sub["repository"], sub["tag"]) == (f"{host}/team/app", "1.2")
        first = polled_after(client, reader, sub["id"], None)  # a new subscription is polled
        assert first["last_error"] == "" and len(first["tags"]) == 1, first
        old = first["tags"][0]
        done = wait_status(client, old["image_id"], reader)
        assert done["status"] == "analysed", done
        assert done["reference"] == f"{host}/team/app:1.2@{old['digest']}"
        assert done["manifest_digest"] == old["digest"]

        pusher.push("1.2", NEW_IMAGE)  # a rebuild pushed to the same tag
        assert client.post("/v1/tag-subscriptions/poll", headers=reader).status_code == 403
        assert client.post("/v1/tag-subscriptions/poll", headers=analyst).status_code == 202
        second = polled_after(client, reader, sub["id"], first["last_polled_at"])
        new = second["tags"][0]
        assert new["digest"] != old["digest"] and new["image_id"] != old["image_id"]
        done = wait_status(client, new["image_id"], reader)
        assert done["status"] == "analysed" and done["manifest_digest"] == new["digest"], done
        packages = client.get(f"/v1/images/{new['image_id']}/packages", headers=reader).json()
        assert ("requests", "2.31.0") in {(p["name"], p["version"]) for p in packages["items"]}
        assert images_total(client, reader) == 2

        assert client.post("/v1/tag-subscriptions/poll", headers=admin).status_code == 202
        third = polled_after(client, reader, sub["id"], second["last_polled_at"])
        assert third["tags"] == second["tags"] and images_total(client, reader) == 2

        pusher.push("2.0", NEW_IMAGE)  # another tag, a digest already analysed
        repo = client.post(
            "/v1/tag-subscriptions", json={"reference": f"{host}/team/app"}, headers=analyst
        ).json()
        assert repo["tag"] == ""
        whole = polled_after(client, reader, repo["id"], None)
        assert {t["tag"]: t["image_id"] for t in whole["tags"]} == {
            "1.2": new["image_id"],
            "2.0": new["image_id"],
        }
        assert images_total(client, reader) == 2  # nothing analysed twice
        pusher.push("3.0", THIRD_IMAGE)  # a new tag with a new digest in the watched repository
        assert client.post("/v1/tag-subscriptions/poll", headers=analyst).status_code == 202
        grown = polled_after(client, reader, repo["id"], whole["last_polled_at"])
        third_tag = {t["tag"]: t for t in grown["tags"]}["3.0"]
        done = wait_status(client, third_tag["image_id"], reader)
        assert done["status"] == "analysed" and done["manifest_digest"] == third_tag["digest"]
        assert images_total(client, reader) == 3
        listed = client.get("/v1/tag-subscriptions", headers=reader).json()
        assert [s["id"] for s in listed] == [sub["id"], repo["id"]]
        assert PASSWORD not in str(listed)
        assert (
            client.delete(f"/v1/tag-subscriptions/{repo['id']}", headers=reader).status_code == 403
        )
        assert (
            client.delete(f"/v1/tag-subscriptions/{repo['id']}", headers=analyst).status_code == 204
        )
        assert client.get(f"/v1/tag-subscriptions/{repo['id']}", headers=reader).status_code == 404


def test_bad_subscriptions_are_refused_or_report_their_error(tmp_path: Path, vuln_db: Path) -> None:
    settings = settings_for(tmp_path, vuln_db, poll_interval=0)
    analyst = bearer(add_token(settings, "analyst"))
    with LiveServer(create_app(settings)) as client:
        for reference in ("registry.example/app@sha256:" + "a" * 64, "Not A Ref!", ""):
            answer = client.post(
                "/v1/tag-subscriptions", json={"reference": reference}, headers=analyst
            )
            assert answer.status_code == 422, answer.text
        down = f"127.0.0.1:{free_port()}/team/app:1"
        made = client.post("/v1/tag-subscriptions", json={"reference": down}, headers=analyst)
        assert made.status_code == 201
        doc = polled_after(client, analyst, made.json()["id"], None)
        assert doc["tags"] == [] and "cannot reach" in doc["last_error"], doc
        assert images_total(client, analyst) == 0


def test_periodic_poll_picks_up_a_new_digest_and_stops_cleanly(
    tmp_path: Path, vuln_db: Path
) -> None:
    gen = start_registry(tmp_path / "registry")
    registry = next(gen)
    try:
        pusher = Pusher(registry, tmp_path)
        pusher.push("stable", APP_IMAGE)
        settings = settings_for(tmp_path, vuln_db, poll_interval=0.5)
        token = bearer(add_token(settings, "analyst"))
        admin = bearer(add_token(settings, "admin"))
        with Receiver() as receiver, LiveServer(create_app(settings)) as client:
            hook = client.post(
                "/v1/subscriptions",
                json={"event": "tag_update", "url": receiver.url, "secret": SECRET},
                headers=admin,
            )
            assert hook.status_code == 201, hook.text
            sub = client.post(
                "/v1/tag-subscriptions",
                json={"reference": f"{registry.host}/team/app:stable"},
                headers=token,
            ).json()
            first = polled_after(client, token, sub["id"], None)
            assert len(first["tags"]) == 1
            pusher.push("stable", NEW_IMAGE)  # no POST .../poll: the timer finds it

            def moved() -> dict[str, Any] | None:
                doc = subscription(client, token, sub["id"])
                tags = doc["tags"]
                return doc if tags and tags[0]["digest"] != first["tags"][0]["digest"] else None

            second = wait_for(moved, timeout=60)
            assert second, subscription(client, token, sub["id"])
            done = wait_status(client, second["tags"][0]["image_id"], token)
            assert done["status"] == "analysed", done
            told = wait_for(lambda: len(receiver.received) >= 2)  # the first digest, the new one
            assert told, receiver.received
            bodies = [json.loads(body) for _, body in receiver.received]
            assert [b["event"] for b in bodies] == ["tag_update", "tag_update"]
            assert bodies[1]["digest"] == second["tags"][0]["digest"]
            assert bodies[1]["reference"] == f"{registry.host}/team/app:stable"
        names = {t.name for t in threading.enumerate()}
        assert not names & {"sievert-poll-timer", "sievert-poll_0"}  # stopped with the server
    finally:
        next(gen, None)


@pytest.mark.postgres
@pytest.mark.slow
def test_subscriptions_poll_on_a_postgresql_worker(
    tmp_path: Path, vuln_db: Path, pg_url: str, private_registry: Registry
) -> None:
    pusher = Pusher(private_registry, tmp_path, f"{USER}:{PASSWORD}")
    pusher.push("1.2", APP_IMAGE)
    settings: Settings = settings_for(tmp_path, vuln_db, pg_url, poll_interval=0)
    admin = bearer(add_token(settings, "admin"))
    host = private_registry.host
    workers = Workers(settings, tmp_path)
    try:
        with LiveServer(create_app(settings)) as client:
            client.put(
                "/v1/registries",
                json={"host": host, "username": USER, "password": PASSWORD},
                headers=admin,
            )
            workers.start(SIEVERT_POLL_INTERVAL="1")  # the periodic poll runs on the worker
            sub = client.post(
                "/v1/tag-subscriptions", json={"reference": f"{host}/team/app:1.2"}, headers=admin
            ).json()
            first = polled_after(client, admin, sub["id"], None)
            assert len(first["tags"]) == 1, (first, workers.logs())
            done = wait_status(client, first["tags"][0]["image_id"], admin, timeout=120)
            assert done["status"] == "analysed", (done, workers.logs())
            pusher.push("1.2", NEW_IMAGE)

            def moved() -> dict[str, Any] | None:
                doc = subscription(client, admin, sub["id"])
                return doc if doc["tags"][0]["digest"] != first["tags"][0]["digest"] else None

            second = wait_for(moved, timeout=90)
            assert second, workers.logs()
            done = wait_status(client, second["tags"][0]["image_id"], admin, timeout=120)
            assert done["status"] == "analysed", (done, workers.logs())
            assert client.post("/v1/tag-subscriptions/poll", headers=admin).status_code == 202
            time.sleep(3)
            assert images_total(client, admin) == 2, workers.logs()
    finally:
        workers.stop()
