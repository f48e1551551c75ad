"""`sievert host scan ssh://...` against a real OpenSSH server on loopback (this machine, so
the SSH scan must equal the local scan; and a Rocky Linux root logged into through a chroot, so
the RPM path runs the remote `rpm -qa`), host key checking, and many hosts with one down."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clitools import run_sievert
from tests.host.roots import rocky_machine
from tests.host.sshd_fixtures import Sshd, sshd_server, write_key
from tests.source.registry_fixtures import free_port, unavailable


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    with sshd_server(tmp_path_factory.mktemp("sshd")) as server:
        yield server


def host_scan(db: Path, *args: str) -> Any:
    """Run `sievert host scan` with the test database."""
    return run_sievert("host", "scan", "--db", str(db), *args)


def by_name(stdout: str) -> dict[str, dict[str, Any]]:
    """The JSON report's hosts by name."""
    return {h["name"]: h for h in json.loads(stdout)["hosts"]}


def test_ssh_scan_equals_the_local_scan(sshd: Sshd, demo_db: Path, tmp_path: Path) -> None:
    known = sshd.known_hosts(tmp_path / "known_hosts")
    args = ("--identity", str(sshd.client_key), "--known-hosts", str(known), "-f", "json")
    remote = host_scan(demo_db, sshd.target, *args)
    assert remote.returncode == 0, remote.stderr + sshd.log.read_text()[-2000:]
    local = host_scan(demo_db, "local", "-f", "json")
    assert local.returncode == 0, local.stderr
    (over_ssh,) = json.loads(remote.stdout)["hosts"]
    (here,) = json.loads(local.stdout)["hosts"]
    assert over_ssh["target"] == f"ssh://{sshd.user}@127.0.0.1:{sshd.port}"
    assert over_ssh["error"] == "" and over_ssh["kernel"]["running"] == os.uname().release
    assert over_ssh["packages"] > 50 and over_ssh["distro"] == here["distro"]
    for key in ("packages", "findings", "kernel", "rebootRequired", "vulnerabilities"):
        assert over_ssh[key] == here[key], key
    assert "Accepted publickey" in sshd.log.read_text()


def enter_root(machine: Path) -> list[str]:
    """The command that runs a shell inside `machine`: chroot(8) as root, else unshare(1) with
    the user mapped to root in a new user namespace; unavailable when neither works here."""
    command = ["chroot", str(machine)] if os.getuid() == 0 else []
    command = command or ["unshare", "--map-root-user", f"--root={machine}"]
    probe = subprocess.run([*command, "/bin/sh", "-c", "rpm --version"], capture_output=True)
    if probe.returncode != 0:
        unavailable(f"cannot enter the Rocky Linux root: {probe.stderr.decode()[:200]}")
    return command


def test_ssh_scan_of_a_rocky_linux_machine(
    demo_db: Path, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The login lands in a Rocky Linux 9 root (sshd ForceCommand into it): the scanner finds no
    dpkg or apk database, runs the machine's own `rpm -qa` against its rpmdb, and reports what
    the root scan of the same filesystem reports for the kernel that runs."""
    machine = rocky_machine(tmp_path / "rocky", tmp_path / "rpmbuild")
    enter = " ".join(enter_root(machine))
    force = f'ForceCommand {enter} /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n'
    with sshd_server(tmp_path_factory.mktemp("sshd-rocky"), force) as rocky:
        known = rocky.known_hosts(tmp_path / "known_hosts")
        args = ("--identity", str(rocky.client_key), "--known-hosts", str(known), "-f", "json")
        remote = host_scan(demo_db, rocky.target, *args)
        log = rocky.log.read_text()
    assert remote.returncode == 0, remote.stderr + log[-2000:]
    (over_ssh,) = json.loads(remote.stdout)["hosts"]
    running = os.uname().release  # a chroot shares the kernel: the host's runs
    local = host_scan(demo_db, "--root", str(machine), "--kernel", running, "-f", "json")
    (root,) = json.loads(local.stdout)["hosts"]
    assert over_ssh["distro"] == "rocky 9.3" and over_ssh["kernel"]["running"] == running
    assert over_ssh["packages"] == 1  # bash; neither installed kernel-core is running
    assert over_ssh["kernel"]["newestInstalled"] == "5.14.0-362.13.1.el9_3.x86_64"
    assert over_ssh["rebootRequired"]
    assert [f["id"] for f in over_ssh["findings"]] == ["RLSA-2024:0001"]
    for key in ("distro", "packages", "findings", "kernel", "rebootReasons", "vulnerabilities"):
        assert over_ssh[key] == root[key], key
    assert "Accepted publickey" in log


def test_unknown_host_key_is_refused_unless_accepted(
    sshd: Sshd, demo_db: Path, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    args = (sshd.target, "--identity", str(sshd.client_key), "--known-hosts", str(known))
    refused = host_scan(demo_db, *args)
    assert refused.returncode == 3
    assert "host key not verifiable" in refused.stderr and not known.exists()
    accepted = host_scan(demo_db, *args, "--accept-new-host-key")
    assert accepted.returncode == 0, accepted.stderr
    assert known.read_text() == sshd.host_key_line  # recorded, so the next run needs no flag
    assert host_scan(demo_db, *args).returncode == 0


def test_changed_host_key_is_never_accepted(sshd: Sshd, demo_db: Path, tmp_path: Path) -> None:
    other = write_key(tmp_path / "other_host_key").export_public_key().decode().strip()
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd.port} {other}\n")
    args = (sshd.target, "--identity", str(sshd.client_key), "--known-hosts", str(known))
    proc = host_scan(demo_db, *args, "--accept-new-host-key")
    assert proc.returncode == 3 and "host key not verifiable" in proc.stderr
    assert known.read_text() == f"[127.0.0.1]:{sshd.port} {other}\n"


def test_wrong_key_is_an_authentication_error(sshd: Sshd, demo_db: Path, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger"
    write_key(stranger)
    known = sshd.known_hosts(tmp_path / "known_hosts")
    proc = host_scan(demo_db, sshd.target, "--identity", str(stranger), "--known-hosts", str(known))
    assert proc.returncode == 3
    assert proc.stderr.strip().splitlines() == [
        f"sievert: error: host 127.0.0.1: ssh://{sshd.user}@127.0.0.1:{sshd.port}: "
        "authentication failed (Permission denied for user "
        f"{sshd.user} on host 127.0.0.1)"
    ]


def test_hosts_file_scans_concurrently_and_reports_the_unreachable(
    sshd: Sshd, demo_db: Path, tmp_path: Path
) -> None:
    known = sshd.known_hosts(tmp_path / "known_hosts")
    hosts = tmp_path / "hosts.yaml"
    down = free_port()
    hosts.write_text(
        f"concurrency: 2\nknown_hosts: {known}\nhosts:\n"
        f"  - name: up\n    target: {sshd.target}\n    identity: {sshd.client_key}\n"
        f"  - name: down\n    target: ssh://nobody@127.0.0.1:{down}\n"
        f"  - name: again\n    target: {sshd.target}\n    identity: {sshd.client_key}\n"
        "  - local\n"
    )
    proc = host_scan(demo_db, "-i", str(hosts), "-f", "json", "--timeout", "5")
    assert proc.returncode == 3
    reports = by_name(proc.stdout)
    assert list(reports) == ["up", "down", "again", "local"]
    assert "cannot connect" in reports["down"]["error"] and reports["down"]["packages"] == 0
    assert reports["up"]["error"] == reports["again"]["error"] == reports["local"]["error"] == ""
    assert reports["up"]["findings"] == reports["local"]["findings"]
    assert proc.stderr.count("sievert: error: host down:") == 1
