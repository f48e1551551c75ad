"""A triggered DB update (`POST /v1/db/update`) runs `db update` as a job with the configured
mirror; the server swaps the DB under concurrent reads without failing one, a server killed in
the middle of a swap keeps answering from the old DB after its restart, then finishes it."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from sievert.service.app import create_app
from tests.clitools import run_sievert
from tests.service.gatedmirror import GatedMirror
from tests.service.helpers import (
    LiveServer,
    add_token,
    bearer,
    settings_for,
    wait_for,
    wait_status,
)
from tests.service.uihelpers import SievertServer

PYPI_QUERY = {"package": "requests", "version": "2.19.1", "ecosystem": "PyPI"}
"""Answered only by the full DB (OSV PyPI), not by the Debian-only one."""


@pytest.fixture(scope="module")
def old_db(tmp_path_factory: pytest.TempPathFactory, feed_mirror: Path) -> Path:
    """A DB built from the Debian source alone: the DB before the update."""
    db = tmp_path_factory.mktemp("old-db") / "debian-only.db"
    proc = run_sievert(
        "db", "update", "--mirror", str(feed_mirror), "--db", str(db), "--only", "debian", "-q"
    )
    assert proc.returncode == 0, proc.stderr
    return db


def copy_of(db: Path, root: Path) -> Path:
    """A private copy of a DB file (each test swaps its own)."""
    root.mkdir(parents=True, exist_ok=True)
    target = root / "vuln.db"
    target.write_bytes(db.read_bytes())
    return target


def wait_update(client: Any, headers: dict[str, str], timeout: float = 120) -> dict[str, Any]:
    """Poll GET /v1/db until the latest update has ended; its state."""
    deadline = time.monotonic() + timeout
    while True:
        update = client.get("/v1/db", headers=headers).json()["update"]
        if update["status"] not in ("queued", "running") or time.monotonic() > deadline:
            return dict(update)
        time.sleep(0.1)


class Readers:
    """Threads reading the DB through the API as fast as they can, recording every answer."""

    def __init__(self, url: str, headers: dict[str, str], count: int = 6) -> None:
        self.url = url
        self.headers = headers
        self.stop = threading.Event()
        self.answers: list[Answer] = []
        self.refused = 0
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._read, daemon=True) for _ in range(count)]

    def __enter__(self) -> Readers:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(30)

    def _read(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30, headers=self.headers) as client:
            while not self.stop.is_set():
                for what, path, params in (
                    ("db", "/v1/db", None),
                    ("pypi", "/v1/vulnerabilities", PYPI_QUERY),
                    ("cve", "/v1/vulnerabilities/CVE-2024-2961", None),
                ):
                    started = time.monotonic()
                    try:
                        answer = client.get(path, params=params)
                    except httpx.TransportError:
                        with self._lock:
                            self.refused += 1  # the server is down (restart tests only)
                        time.sleep(0.05)
                        continue
                    body = answer.json() if answer.status_code == 200 else answer.text
                    with self._lock:
                        self.answers.append(
                            Answer(started, time.monotonic(), what, answer.status_code, body)
                        )

    def of(self, what: str) -> list[Answer]:
        """The answers to one kind of read, in the order they were asked."""
        with self._lock:
            return sorted((a for a in self.answers if a.what == what), key=lambda a: a.started)

    def builds(self) -> list[str]:
        """The DB build times `/v1/db` answered, in the order they were asked."""
        return [a.body["built"] for a in self.of("db")]

    def assert_never_back_to(self, old_built: str) -> None:
        """Once one answer came from a new DB, no request asked later is answered from the old one.

        Requests that were already running when the DB was swapped may still finish on the old
        file after another reader has seen the new one; only requests started after that are bound.
        """
        answers = self.of("db")
        first_new = min(a.finished for a in answers if a.body["built"] != old_built)
        late = [a for a in answers if a.started > first_new and a.body["built"] == old_built]
        assert not late, late[:3]


class Answer(NamedTuple):
    """One answer a reader got: when it asked, when the answer came, to what, and the answer."""

    started: float
    finished: float
    what: str
    status: int
    body: Any


def test_concurrent_reads_all_succeed_while_the_db_is_swapped(
    tmp_path: Path, old_db: Path, feed_mirror: Path, archives: dict[str, Path]
) -> None:
    db = copy_of(old_db, tmp_path / "db")
    settings = settings_for(tmp_path, db, db_mirror=str(feed_mirror), db_check=0)
    admin = bearer(add_token(settings, "admin"))
    analyst = bearer(add_token(settings, "analyst"))
    with LiveServer(create_app(settings)) as client:
        old_built = client.get("/v1/db", headers=admin).json()["built"]
        assert old_built and client.get("/v1/db", headers=admin).json()["update"] is None
        image = client.post(
            "/v1/images/archive",
            content=archives["docker"].read_bytes(),
            headers={**admin, "Content-Type": "application/x-tar"},
        ).json()
        assert wait_status(client, image["id"], admin)["status"] == "analysed"
        assert client.post("/v1/db/update", headers=analyst).status_code == 403
        with Readers(str(client.base_url), admin) as readers:
            time.sleep(0.5)
            first = client.post("/v1/db/update", headers=admin)
            assert first.status_code == 202, first.text
            assert first.json()["status"] in ("queued", "running")
            done = wait_update(client, admin)
            assert done["status"] == "done", done
            assert done["db_built_before"] == old_built and done["db_built_after"] != old_built
            second = client.post("/v1/db/update", headers=admin).json()  # a second swap
            assert second["id"] != first.json()["id"]
            assert wait_update(client, admin)["status"] == "done"
            time.sleep(0.5)
        final = client.get("/v1/db", headers=admin).json()
        diffs = wait_for(
            lambda: client.get(f"/v1/images/{image['id']}/diffs", headers=admin).json()
        )
    assert final["built"] not in ("", old_built) and final["source"] == "mirror"
    assert readers.answers and not [a for a in readers.answers if a.status != 200]
    builds = readers.builds()
    assert builds[0] == old_built and builds[-1] == final["built"]
    assert "" not in builds  # a half-written DB is never read
    readers.assert_never_back_to(old_built)
    pypi = [a.body for a in readers.of("pypi")]
    assert pypi[0] == [] and pypi[-1] and pypi[-1][0]["vuln_id"]
    assert diffs and any(a["package"] == "requests" for a in diffs[0]["added"])


def test_simultaneous_requests_get_one_update(
    tmp_path: Path, old_db: Path, feed_mirror: Path
) -> None:
    db = copy_of(old_db, tmp_path / "db")
    with GatedMirror(feed_mirror) as mirror:
        settings = settings_for(tmp_path, db, db_mirror=mirror.url, db_check=0)
        admin = bearer(add_token(settings, "admin"))
        with LiveServer(create_app(settings)) as client:
            answers: list[httpx.Response] = []

            def ask() -> None:
                with httpx.Client(base_url=str(client.base_url), timeout=30) as own:
                    answers.append(own.post("/v1/db/update", headers=admin))

            threads = [threading.Thread(target=ask) for _ in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
            assert mirror.requested.wait(60)
            mirror.release()
            done = wait_update(client, admin)
            listed = client.get("/v1/db/updates", headers=admin).json()
    assert [a.status_code for a in answers] == [202] * 8
    assert {a.json()["id"] for a in answers} == {done["id"]}
    assert listed["total"] == 1 and done["status"] == "done"


def test_failed_update_keeps_the_old_db(tmp_path: Path, old_db: Path) -> None:
    db = copy_of(old_db, tmp_path / "db")
    empty = tmp_path / "empty-mirror"
    empty.mkdir()
    settings = settings_for(tmp_path, db, db_mirror=str(empty), db_check=0)
    admin = bearer(add_token(settings, "admin"))
    with LiveServer(create_app(settings)) as client:
        before = client.get("/v1/db", headers=admin).json()["built"]
        assert client.post("/v1/db/update", headers=admin).status_code == 202
        done = wait_update(client, admin)
        listed = client.get("/v1/db/updates", headers=admin).json()
        assert client.get("/v1/db", headers=admin).json()["built"] == before
    assert done["status"] == "failed" and "unchanged" in done["message"], done
    assert listed["total"] == 1 and listed["items"][0]["id"] == done["id"]
    assert db.read_bytes() == old_db.read_bytes()


def test_server_killed_during_a_swap_answers_from_the_old_db_then_finishes(
    tmp_path: Path, old_db: Path, feed_mirror: Path
) -> None:
    db = copy_of(old_db, tmp_path / "db")
    old_bytes = db.read_bytes()
    mirror = GatedMirror(feed_mirror)
    server = SievertServer(tmp_path, db)
    server.env.update(SIEVERT_DB_MIRROR=mirror.url, SIEVERT_DB_CHECK="0")
    with mirror, server:
        admin = bearer(server.tokens["admin"])
        first_pid = server.pid
        old_built = httpx.get(f"{server.url}/v1/db", headers=admin).json()["built"]
        with Readers(server.url, admin, count=3) as readers:
            answer = httpx.post(f"{server.url}/v1/db/update", headers=admin)
            assert answer.status_code == 202, answer.text
            assert mirror.requested.wait(60), server.log.read_text()
            half = db.with_name(f"{db.name}.building-{first_pid}")
            assert half.exists()  # the new DB is being written next to the old one
            server.kill()  # in the middle of the update
            assert db.read_bytes() == old_bytes
            mirror.requested.clear()
            server.start()
            second_pid = server.pid
            assert mirror.requested.wait(60), server.log.read_text()  # resumed at start
            state = httpx.get(f"{server.url}/v1/db", headers=admin).json()
            assert state["built"] == old_built
            assert state["update"]["status"] == "running" and state["update"]["attempts"] == 2
            again = httpx.post(f"{server.url}/v1/db/update", headers=admin).json()
            assert again["id"] == answer.json()["id"]  # no second update while one runs
            assert not half.exists()  # the dead process's half-built file was removed
            assert db.with_name(f"{db.name}.building-{second_pid}").exists()
            time.sleep(0.5)
            mirror.release()
            with httpx.Client(base_url=server.url, timeout=30) as client:
                done = wait_update(client, admin)
            assert done["status"] == "done", (done, server.log.read_text())
            time.sleep(0.5)
    assert done["db_built_after"] != old_built
    assert not list(db.parent.glob("*.building-*"))
    assert readers.refused > 0  # the readers really saw the server go down
    failed = [a for a in readers.answers if a.status != 200]
    assert not failed, failed[:3]
    builds = readers.builds()
    assert "" not in builds and builds[0] == old_built and builds[-1] == done["db_built_after"]
    assert set(builds) == {old_built, done["db_built_after"]}
    readers.assert_never_back_to(old_built)
    pypi = [a.body for a in readers.of("pypi")]
    assert pypi[0] == [] and pypi[-1]


@pytest.mark.postgres
@pytest.mark.slow
def test_update_runs_on_a_postgresql_worker_then_reevaluates(
    tmp_path: Path, old_db: Path, feed_mirror: Path, pg_url: str, archives: dict[str, Path]
) -> None:
    from tests.service.test_postgres_workers import Workers

    db = copy_of(old_db, tmp_path / "db")
    settings = settings_for(tmp_path, db, pg_url, db_check=0)
    admin = bearer(add_token(settings, "admin"))
    workers = Workers(settings, tmp_path)
    try:
        with LiveServer(create_app(settings)) as client:
            workers.start(SIEVERT_DB_MIRROR=str(feed_mirror), SIEVERT_DB_CHECK="0")
            image = client.post(
                "/v1/images/archive",
                content=archives["docker"].read_bytes(),
                headers={**admin, "Content-Type": "application/x-tar"},
            ).json()
            done = wait_status(client, image["id"], admin, timeout=120)
            assert done["status"] == "analysed", (done, workers.logs())
            old_built = client.get("/v1/db", headers=admin).json()["built"]
            assert client.post("/v1/db/update", headers=admin).status_code == 202
            update = wait_update(client, admin)
            assert update["status"] == "done", (update, workers.logs())
            assert client.get("/v1/db", headers=admin).json()["built"] == update["db_built_after"]
            assert update["db_built_after"] != old_built
            diffs = wait_for(
                lambda: client.get(f"/v1/images/{image['id']}/diffs", headers=admin).json()
            )
            assert diffs and any(a["package"] == "requests" for a in diffs[0]["added"]), diffs
    finally:
        workers.stop()


@pytest.mark.postgres
@pytest.mark.slow
def test_worker_killed_during_an_update_another_worker_finishes_it(
    tmp_path: Path, old_db: Path, feed_mirror: Path, pg_url: str
) -> None:
    import signal

    from tests.service.test_postgres_workers import Workers

    db = copy_of(old_db, tmp_path / "db")
    settings = settings_for(tmp_path, db, pg_url, db_check=0)
    admin = bearer(add_token(settings, "admin"))
    workers = Workers(settings, tmp_path)
    with GatedMirror(feed_mirror) as mirror, LiveServer(create_app(settings)) as client:
        env = {"SIEVERT_DB_MIRROR": mirror.url, "SIEVERT_DB_CHECK": "0"}
        try:
            first = workers.start(**env)
            old_built = client.get("/v1/db", headers=admin).json()["built"]
            asked = client.post("/v1/db/update", headers=admin)
            assert asked.status_code == 202, asked.text
            assert mirror.requested.wait(90), workers.logs()
            assert db.with_name(f"{db.name}.building-{first.pid}").exists()
            first.send_signal(signal.SIGKILL)  # mid-update: a feed download is held
            first.wait(10)
            mirror.requested.clear()
            workers.start(**env)  # the stalled job is retried here
            assert mirror.requested.wait(90), workers.logs()
            state = client.get("/v1/db", headers=admin).json()
            assert state["built"] == old_built, state
            assert state["update"]["status"] == "running" and state["update"]["attempts"] == 2
            mirror.release()
            done = wait_update(client, admin)
        finally:
            workers.stop()
    assert done["status"] == "done", (done, workers.logs())
    assert done["id"] == asked.json()["id"] and done["db_built_after"] != old_built
    assert not list(db.parent.glob("*.building-*"))
