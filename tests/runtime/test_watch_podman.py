"""`sievert runtime watch --once` against real podman containers started here: a shell exec'd
into one, a file written below /etc in another, a binary dropped and run in a third, a port
listened on in a fourth; each raises exactly its event (and a quiet one raises none). Also the
webhook (a real HTTP server on loopback), a custom rule file and `runtime ingest`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.clitools import run_sievert
from tests.podman_fixtures import Podman, podman_service
from tests.runtime.busybox_image import write_busybox_archive

pytestmark = pytest.mark.engine

IMAGE = "localhost/sievert/rt-watch:v1"
ACTIONS: dict[str, tuple[str, ...]] = {
    "quiet": (),
    "shell": ("-d", "sh", "-c", "sleep 2000; true"),
    "etc": ("sh", "-c", "echo evil > /etc/cron.evil"),
    "drop": (
        "-d",
        "sh",
        "-c",
        "cat /bin/busybox > /tmp/sleep; chmod +x /tmp/sleep; exec /tmp/sleep 2000",
    ),
    "listen": ("-d", "nc", "-l", "-p", "9999"),
}
"""What is done in each container (`podman exec [-d] NAME ...`)."""
RUNNING = {"shell": "sleep 2000; true", "drop": "/tmp/sleep 2000", "listen": "nc -l -p 9999"}
"""What the detached commands show in `podman top` once they run."""
EXPECTED = {
    "quiet": set(),
    "shell": {("Shell in container", "sh")},
    "etc": {("Write below etc", "/etc/cron.evil")},
    "drop": {("Drop and execute new binary in container", "/tmp/sleep")},
    "listen": {("Unexpected listening socket", 9999)},
}


@dataclass
class World:
    """The engine and the containers by role."""

    podman: Podman
    names: dict[str, str]

    def watch(self, *args: str) -> Any:
        """`sievert runtime watch --once ARGS` against this engine."""
        env = {"DOCKER_HOST": f"unix://{self.podman.socket}"}
        return run_sievert("runtime", "watch", "--once", *args, env=env)

    def events(self, stdout: str) -> dict[str, set[tuple[str, object]]]:
        """(rule, what) per container role."""
        roles = {name: role for role, name in self.names.items()}
        found: dict[str, set[tuple[str, object]]] = {role: set() for role in self.names}
        for line in stdout.splitlines():
            event = json.loads(line)
            fields = event["output_fields"]
            role = roles.get(fields["container.name"])
            if role is None:
                continue
            what = fields.get("fs.path") or fields.get("fd.lport") or fields.get("proc.exe")
            if event["rule"] == "Shell in container":
                what = fields["proc.name"]
            found[role].add((event["rule"], what))
        return found


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("watch")
    with podman_service(root / "podman") as podman:
        podman.run("load", "-q", "-i", str(write_busybox_archive(root / "bb.tar", IMAGE)))
        tag = uuid.uuid4().hex[:8]
        names = {role: f"sievert-watch-{role}-{tag}" for role in ACTIONS}
        for role, action in ACTIONS.items():
            podman.run(
                "run", "-d", "--name", names[role], "--network", "none", IMAGE, "sleep", "3000"
            )
            flags = action[:1] if action[:1] == ("-d",) else ()
            if action:
                podman.run("exec", *flags, names[role], *action[len(flags) :])
        for role, text in RUNNING.items():
            wait_for_process(podman, names[role], text)
        yield World(podman, names)


def wait_for_process(podman: Podman, name: str, text: str) -> None:
    """Until a process of the container shows `text` in its command line (exec -d returns
    before the command has run)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if text in podman.run("top", name, "args"):
            return
        time.sleep(0.2)
    pytest.fail(f"{name}: no process with {text!r} after 60 s")


def test_each_container_raises_exactly_its_event(world: World) -> None:
    proc = world.watch()
    assert proc.returncode == 0, proc.stderr
    assert world.events(proc.stdout) == EXPECTED
    event = next(json.loads(line) for line in proc.stdout.splitlines() if "/tmp/sleep" in line)
    assert event["priority"] == "CRITICAL" and event["source"] == "sievert"
    assert event["output_fields"]["proc.exe_in_image"] is False
    assert "exe=/tmp/sleep" in event["output"]


def test_webhook_receives_every_event(world: World) -> None:
    received: list[dict[str, Any]] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/events"
        proc = world.watch("--webhook", url)
    finally:
        server.shutdown()
        server.server_close()
    assert proc.returncode == 0, proc.stderr
    assert len(received) == len(proc.stdout.splitlines()) >= 4
    assert {e["rule"] for e in received} >= {"Shell in container", "Write below etc"}
    refused = world.watch("--webhook", url)  # the server is gone now
    assert refused.returncode == 3 and "webhook" in refused.stderr


def test_custom_rules(world: World, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "- list: sleepers\n  items: [sleep]\n"
        "- rule: Sleeping main process\n"
        "  condition: evt.type = exec and proc.name in (sleepers) and proc.is_init\n"
        "  priority: INFORMATIONAL\n"
        "  output: '%container.name sleeps (%proc.cmdline)'\n"
    )
    proc = world.watch("--rules", str(rules))
    assert proc.returncode == 0, proc.stderr
    found = world.events(proc.stdout)
    assert all(found[role] == {("Sleeping main process", "/bin/busybox")} for role in ACTIONS)
    bad = tmp_path / "bad.yaml"
    bad.write_text("- rule: x\n  condition: evt.type = = exec\n")
    refused = world.watch("--rules", str(bad))
    assert refused.returncode == 3 and "item 1 (x)" in refused.stderr


def test_ingest_links_falco_events(world: World, tmp_path: Path) -> None:
    watched = world.watch()
    container_id = json.loads(watched.stdout.splitlines()[0])["output_fields"]["container.id"]
    falco = tmp_path / "falco.jsonl"
    falco.write_text(
        json.dumps(
            {
                "time": "2026-12-05T04:00:00.000000000Z",
                "rule": "Terminal shell in container",
                "priority": "Notice",
                "output": "A shell was spawned in a container with an attached terminal",
                "output_fields": {"container.id": container_id[:12], "proc.name": "bash"},
                "tags": ["container", "shell"],
                "source": "syscall",
                "hostname": "node1",
            }
        )
        + "\nnot json\n"
        + json.dumps({"rule": "x", "output": "y", "output_fields": {"container.id": "host"}})
        + "\n"
    )
    env = {"DOCKER_HOST": f"unix://{world.podman.socket}"}
    proc = run_sievert("runtime", "ingest", str(falco), env=env)
    assert proc.returncode == 0, proc.stderr
    first, second = (json.loads(line) for line in proc.stdout.splitlines())
    assert first["sievert"]["container"]["id"] == container_id
    assert first["sievert"]["image"] == IMAGE and first["rule"] == "Terminal shell in container"
    assert second["sievert"] == {"container": None}
    assert f"{falco}:2: not a Falco JSON event" in proc.stderr


def test_long_run_reports_each_event_once_and_stops_on_sigterm(
    world: World, tmp_path: Path
) -> None:
    out = tmp_path / "events.jsonl"
    env = {**os.environ, "DOCKER_HOST": f"unix://{world.podman.socket}"}
    command = [
        sys.executable,
        "-m",
        "sievert",
        "runtime",
        "watch",
        "--interval",
        "0.5",
        "-o",
        str(out),
    ]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(_lines(out)) < 4:
            time.sleep(0.2)
        time.sleep(1.5)  # more passes: nothing new to report
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, stderr
    lines = _lines(out)
    assert len(lines) == len(set(lines)) == 4  # the four events, once each
    assert world.events("\n".join(lines)) == EXPECTED


def _lines(path: Path) -> list[str]:
    """The events written so far (the file is appended to as they come)."""
    if not path.exists():
        return []
    return [json.dumps({**json.loads(x), "time": ""}) for x in path.read_text().splitlines() if x]
