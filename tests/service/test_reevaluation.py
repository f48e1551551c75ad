"""A DB update: stored inventories matched again without reading layers, the difference stored,
the policy evaluated again, webhooks signed, retried with backoff, failures listed."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace

from sievert.service import tasks
from sievert.service.app import build_services, create_app
from sievert.service.reevaluate import Outcome, needs_reevaluation, reevaluate_all
from sievert.service.tasks import InProcessEngine
from tests.clitools import run_sievert
from tests.pgcluster import free_port
from tests.service.helpers import (
    SECRET,
    LiveServer,
    Receiver,
    add_token,
    bearer,
    settings_for,
    wait_for,
    wait_status,
)


@pytest.fixture
def debian_only_db(tmp_path: Path, feed_mirror: Path) -> Path:
    db = tmp_path / "debian-only.db"
    proc = run_sievert(
        "db", "update", "--mirror", str(feed_mirror), "--db", str(db), "--only", "debian", "-q"
    )
    assert proc.returncode == 0, proc.stderr
    return db


def test_db_update_rematches_notifies_and_lists_failed_deliveries(
    tmp_path: Path, vuln_db: Path, debian_only_db: Path, archives: dict[str, Path]
) -> None:
    db = tmp_path / "service-vuln.db"
    db.write_bytes(vuln_db.read_bytes())
    settings = settings_for(tmp_path, db, db_check=0.3, webhook_attempts=3, webhook_backoff=0.1)
    admin = bearer(add_token(settings, "admin"))
    with Receiver() as receiver, LiveServer(create_app(settings)) as client:
        good = client.post(
            "/v1/subscriptions",
            json={
                "event": "vuln_update",
                "pattern": "team/*",
                "url": receiver.url,
                "secret": SECRET,
            },
            headers=admin,
        )
        assert good.status_code == 201, good.text
        assert SECRET not in good.text
        down_url = f"http://127.0.0.1:{free_port()}/hook"
        down = client.post(
            "/v1/subscriptions",
            json={"event": "vuln_update", "url": down_url, "secret": SECRET},
            headers=admin,
        ).json()
        image = client.post(
            "/v1/images/archive",
            params={"name": "team/app:1"},
            content=archives["docker"].read_bytes(),
            headers={**admin, "Content-Type": "application/x-tar"},
        ).json()
        before = wait_status(client, image["id"], admin)
        assert before["status"] == "analysed"
        vulns = client.get(f"/v1/images/{image['id']}/vulnerabilities", headers=admin).json()
        assert any(v["package_name"] == "requests" for v in vulns["items"])
        os.replace(debian_only_db, db)  # the DB is swapped as `sievert db update` does
        diffs = wait_for(
            lambda: client.get(f"/v1/images/{image['id']}/diffs", headers=admin).json()
        )
        assert diffs, "no re-evaluation happened"
        removed = {(d["vuln_id"], d["package"]) for d in diffs[0]["removed"]}
        assert removed and all(pkg == "requests" for _, pkg in removed)
        assert diffs[0]["added"] == []
        after = client.get(f"/v1/images/{image['id']}/vulnerabilities", headers=admin).json()
        assert not any(v["package_name"] == "requests" for v in after["items"])
        assert after["total"] == vulns["total"] - len(removed)
        assert wait_for(lambda: receiver.received)
        headers, body = receiver.received[0]
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Sievert-Signature"] == expected
        payload = json.loads(body)
        assert payload["event"] == "vuln_update" and payload["image_id"] == image["id"]
        assert {(r["vuln_id"], r["package"]) for r in payload["removed"]} == removed
        failed = wait_for(
            lambda: client.get(
                f"/v1/subscriptions/{down['id']}/deliveries",
                params={"status": "failed"},
                headers=admin,
            ).json()["items"]
        )
        assert failed and failed[0]["attempts"] == 3 and failed[0]["last_error"]
        delivered = client.get(
            f"/v1/subscriptions/{good.json()['id']}/deliveries", headers=admin
        ).json()
        assert delivered["items"][0]["status"] == "delivered"
        layers_read = client.sievert_app.state.services.analyser.layers.misses  # type: ignore[attr-defined]
        assert layers_read == 2  # the first analysis only: re-evaluation reads no layer


def _upload(client: Any, headers: dict[str, str], archive: Path) -> int:
    """Upload the app image as team/app:1; its id once analysed."""
    image = client.post(
        "/v1/images/archive",
        params={"name": "team/app:1"},
        content=archive.read_bytes(),
        headers={**headers, "Content-Type": "application/x-tar"},
    ).json()
    assert wait_status(client, image["id"], headers)["status"] == "analysed"
    return int(image["id"])


def _requests_findings(client: Any, image_id: int, headers: dict[str, str]) -> int:
    items = client.get(
        f"/v1/images/{image_id}/vulnerabilities", params={"limit": 500}, headers=headers
    ).json()["items"]
    return sum(v["package_name"] == "requests" for v in items)


def test_a_db_swapped_before_the_first_check_is_still_a_db_update(
    tmp_path: Path, vuln_db: Path, debian_only_db: Path, archives: dict[str, Path]
) -> None:
    """The first check after a start (a minute later by default) finds a DB newer than the one
    the images were analysed with: that is a DB update, not the baseline."""
    db = tmp_path / "service-vuln.db"
    shutil.copyfile(vuln_db, db)
    settings = settings_for(tmp_path, db, db_check=0)  # the test makes the checks itself
    admin = bearer(add_token(settings, "admin"))
    with LiveServer(create_app(settings)) as client:
        image_id = _upload(client, admin, archives["docker"])
        assert _requests_findings(client, image_id, admin)
        database = client.sievert_app.state.services.db  # type: ignore[attr-defined]
        os.replace(debian_only_db, db)  # before the service ever looked at the DB
        assert needs_reevaluation(database, settings)
        outcome = reevaluate_all(database, settings)
        assert (outcome.images, outcome.changed) == (1, 1)
        assert not needs_reevaluation(database, settings)
        assert not _requests_findings(client, image_id, admin)
        diffs = client.get(f"/v1/images/{image_id}/diffs", headers=admin).json()
        assert len(diffs) == 1 and diffs[0]["removed"]


def test_an_analysis_that_read_the_old_db_and_finished_after_a_reevaluation_began(
    tmp_path: Path, vuln_db: Path, debian_only_db: Path, archives: dict[str, Path]
) -> None:
    """The DB is swapped and a re-evaluation runs while an image is being matched with the old
    DB: the re-evaluation passes the image over (not analysed yet), so the next check must see
    that the image holds findings of the old DB and match it again."""
    db = tmp_path / "service-vuln.db"
    shutil.copyfile(vuln_db, db)
    settings = settings_for(tmp_path, db, db_check=0)
    admin = bearer(add_token(settings, "admin"))
    passes: list[Any] = []
    with LiveServer(create_app(settings)) as client:
        services = client.sievert_app.state.services  # type: ignore[attr-defined]
        analyser, database = services.analyser, services.db
        run = analyser._run

        def run_then_update(job: Any) -> Any:
            result = run(job)  # matched with the old DB
            os.replace(debian_only_db, db)
            passes.append(reevaluate_all(database, settings))  # the image is still analysing
            return result

        analyser._run = run_then_update
        image_id = _upload(client, admin, archives["docker"])
        assert [p.images for p in passes] == [0]
        assert _requests_findings(client, image_id, admin)  # stored from the old DB
        assert needs_reevaluation(database, settings), "an image is left with the old DB"
        outcome = reevaluate_all(database, settings)
        assert (outcome.images, outcome.changed) == (1, 1)
        assert not needs_reevaluation(database, settings)
        assert not _requests_findings(client, image_id, admin)


def test_the_watcher_rematches_an_image_analysed_with_a_db_it_never_saw(
    tmp_path: Path, vuln_db: Path, debian_only_db: Path, archives: dict[str, Path]
) -> None:
    """The in-process engine's watcher, started after the swap, re-evaluates on its own."""
    db = tmp_path / "service-vuln.db"
    shutil.copyfile(vuln_db, db)
    settings = settings_for(tmp_path, db, db_check=0)
    admin = bearer(add_token(settings, "admin"))
    with LiveServer(create_app(settings)) as client:
        image_id = _upload(client, admin, archives["docker"])
    os.replace(debian_only_db, db)  # while the service is stopped
    with LiveServer(create_app(replace(settings, db_check=0.2))) as client:
        diffs = wait_for(lambda: client.get(f"/v1/images/{image_id}/diffs", headers=admin).json())
        assert diffs and diffs[0]["removed"], "no re-evaluation happened"


class SlowPasses:
    """An in-process engine whose re-evaluation passes are counted, the first one held until
    `go_on` is set (the real pass replaced: only the engine's ordering is under test)."""

    def __init__(self, tmp_path: Path, vuln_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.services = build_services(settings_for(tmp_path, vuln_db, db_check=0, poll_interval=0))
        engine = self.services.tasks
        assert isinstance(engine, InProcessEngine)
        self.engine = engine
        self.running, self.go_on = threading.Event(), threading.Event()
        self.passes: list[int] = []
        monkeypatch.setattr(tasks, "reevaluate_all", self._pass)

    def _pass(self, database: Any, current: Any) -> Outcome:
        self.passes.append(len(self.passes))
        if len(self.passes) == 1:
            self.running.set()
            assert self.go_on.wait(60)
        return Outcome(deliveries=[])

    def stop(self) -> None:
        """Stop the engine (a running pass finishes) and release the database."""
        self.engine.stop()
        self.services.db.dispose()


def test_a_reevaluation_asked_for_while_one_runs_is_run_after_it(
    tmp_path: Path, vuln_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DB update that ends while a pass runs asks for another: that pass may have opened the
    DB just replaced, so one more follows (one, however many were asked for), even with the
    periodic check off."""
    slow = SlowPasses(tmp_path, vuln_db, monkeypatch)
    engine = slow.engine
    engine.start()
    try:
        engine.enqueue_reevaluation()
        assert slow.running.wait(60)
        engine.enqueue_reevaluation()  # e.g. a DB update finished now
        engine.enqueue_reevaluation()
        slow.go_on.set()
        assert wait_for(lambda: len(slow.passes) >= 2), "the request made during the pass was lost"
    finally:
        slow.stop()
    assert slow.passes == [0, 1]


class HeldJobs:
    """An executor that keeps what is submitted until the test runs it (pure ordering logic)."""

    def __init__(self) -> None:
        self.jobs: list[Any] = []

    def submit(self, fn: Any, *args: Any) -> None:
        """Keep the job."""
        self.jobs.append((fn, args))

    def run_next(self) -> None:
        """Run the oldest job kept."""
        fn, args = self.jobs.pop(0)
        fn(*args)


def test_requests_made_during_a_pass_give_one_more_pass_whenever_their_jobs_start(
    tmp_path: Path, vuln_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The jobs asked for during a pass may start only after it ended (a busy pool): the
    request still counts from the moment it was made, so one more pass follows, not two."""
    slow = SlowPasses(tmp_path, vuln_db, monkeypatch)
    engine = slow.engine
    engine.start()
    held = HeldJobs()
    real, engine._side = engine._side, held  # type: ignore[assignment]
    try:
        engine.enqueue_reevaluation()
        first = threading.Thread(target=held.run_next)
        first.start()
        assert slow.running.wait(60)
        engine.enqueue_reevaluation()  # two requests during the pass, their jobs held back
        engine.enqueue_reevaluation()
        slow.go_on.set()
        first.join(60)
        while held.jobs:  # the held jobs start after the pass ended
            held.run_next()
    finally:
        engine._side = real
        slow.stop()
    assert slow.passes == [0, 1]
