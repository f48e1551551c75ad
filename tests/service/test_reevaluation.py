"""A DB update: stored inventories matched again without reading layers, the difference stored,
the policy evaluated again, webhooks signed, retried with backoff, failures listed."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from pathlib import Path

import pytest

from sievert.service.app import create_app
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
