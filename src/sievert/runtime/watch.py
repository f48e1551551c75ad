"""`sievert runtime watch`: drift and anomalies of running containers, without kernel modules.

For each running container: its processes are the host processes in the PID namespace of its
main process (`/proc/<pid>/ns/pid`), each with its executable, command line, uid and whether it
was started from outside (an exec); its sockets come from `/proc/<pid>/net/{tcp,tcp6,udp,udp6}`;
its file changes from the engine's diff API (`GET /containers/{id}/changes`). An executable the
container added or changed is not in the image (drift). Observations become events (pure), and
the rules (runtime/conditions.py) decide which events are reported.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from sievert.model.runtime import ContainerConfig, WatchEvent
from sievert.runtime.conditions import Fields, WatchRule
from sievert.runtime.engine import ContainerEngine
from sievert.runtime.rules import ROOT_USERS

PROC = Path("/proc")
TCP_LISTEN, TCP_ESTABLISHED = "0A", "01"
UDP_UNCONNECTED = "07"
MAX_CMDLINE = 4096


class Process(msgspec.Struct, frozen=True):
    """One process of a container, as /proc shows it."""

    pid: int
    ppid: int
    name: str
    exe: str
    cmdline: str
    uid: int
    is_init: bool
    is_exec: bool
    """Started from outside the container (`docker exec`): its parent is not in the container."""


class Socket(msgspec.Struct, frozen=True):
    """A listening socket or an established connection of the container's network namespace."""

    kind: str
    """'listen' or 'connect'."""
    proto: str
    local_ip: str
    local_port: int
    remote_ip: str
    remote_port: int


class Observation(msgspec.Struct, frozen=True):
    """What one pass saw of one container."""

    container: ContainerConfig
    processes: tuple[Process, ...]
    sockets: tuple[Socket, ...]
    changes: tuple[tuple[str, str], ...]
    """(path, 'added' | 'changed' | 'deleted') from the engine's diff."""


# /proc ----------------------------------------------------------------------------------------
def _read(path: Path, limit: int = 1 << 20) -> bytes | None:
    try:
        with path.open("rb") as handle:
            return handle.read(limit)
    except OSError:
        return None


def _link(path: Path) -> str:
    try:
        return str(path.readlink())
    except OSError:
        return ""


def namespace_members(init_pid: int, proc: Path = PROC) -> list[int]:
    """The PIDs in the PID namespace of `init_pid` (empty when it is gone or unreadable)."""
    wanted = _link(proc / str(init_pid) / "ns" / "pid")
    if not wanted:
        return []
    return sorted(
        int(entry.name)
        for entry in proc.iterdir()
        if entry.name.isdecimal() and _link(entry / "ns" / "pid") == wanted
    )


def read_process(pid: int, init_pid: int, members: set[int], proc: Path = PROC) -> Process | None:
    """One process's facts (None when it exited meanwhile)."""
    base = proc / str(pid)
    status = _read(base / "status")
    if status is None:
        return None
    fields = dict(
        line.split(":", 1) for line in status.decode("utf-8", "replace").splitlines() if ":" in line
    )
    ppid = int(fields.get("PPid", "0").strip() or 0)
    uids = fields.get("Uid", "").split()
    cmdline = (_read(base / "cmdline", MAX_CMDLINE) or b"").replace(b"\0", b" ").strip()
    return Process(
        pid=pid,
        ppid=ppid,
        name=fields.get("Name", "").strip(),
        exe=_link(base / "exe"),
        cmdline=cmdline.decode("utf-8", "replace"),
        uid=int(uids[1]) if len(uids) > 1 and uids[1].isdecimal() else -1,
        is_init=pid == init_pid,
        is_exec=pid != init_pid and ppid not in members,
    )


def container_processes(init_pid: int, proc: Path = PROC) -> tuple[Process, ...]:
    """Every process of the container whose main process is `init_pid`."""
    members = namespace_members(init_pid, proc)
    found = (read_process(pid, init_pid, set(members), proc) for pid in members)
    return tuple(p for p in found if p is not None)


def _address(text: str) -> tuple[str, int]:
    """'0100007F:1F90' -> ('127.0.0.1', 8080); IPv6 in /proc's 32-hex-digit form."""
    host, _, port = text.partition(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        ip = socket.inet_ntop(socket.AF_INET, raw[::-1])
    else:
        words = struct.unpack("<4I", raw)
        ip = socket.inet_ntop(socket.AF_INET6, struct.pack(">4I", *words))
    return ip, int(port, 16)


def parse_proc_net(text: str, proto: str) -> list[Socket]:
    """Listening sockets and established connections of a /proc/net/{tcp,udp}[6] table."""
    sockets = []
    for line in text.splitlines()[1:]:
        cells = line.split()
        if len(cells) < 4:
            continue
        try:
            local_ip, local_port = _address(cells[1])
            remote_ip, remote_port = _address(cells[2])
        except (ValueError, OSError, struct.error):
            continue
        state = cells[3]
        if proto.startswith("tcp") and state == TCP_LISTEN:
            kind = "listen"
        elif proto.startswith("tcp") and state == TCP_ESTABLISHED:
            kind = "connect"
        elif proto.startswith("udp") and state == UDP_UNCONNECTED and remote_port == 0:
            kind = "listen"
        else:
            continue
        sockets.append(
            Socket(kind, proto.rstrip("6"), local_ip, local_port, remote_ip, remote_port)
        )
    return sockets


def container_sockets(init_pid: int, proc: Path = PROC) -> tuple[Socket, ...]:
    """The sockets of the network namespace of the container's main process."""
    found: list[Socket] = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        data = _read(proc / str(init_pid) / "net" / proto)
        if data is not None:
            found += parse_proc_net(data.decode("ascii", "replace"), proto)
    listening = {s.local_port for s in found if s.kind == "listen"}
    # a connection to one of its own listening ports is inbound, not outbound
    return tuple(s for s in found if s.kind == "listen" or s.local_port not in listening)


# events ---------------------------------------------------------------------------------------
def _container_fields(c: ContainerConfig) -> dict[str, str | int | bool]:
    return {
        "container.id": c.id,
        "container.name": c.name,
        "container.image": c.image,
        "container.image_id": c.image_id,
        "container.privileged": c.privileged,
        "container.user": c.user or "root",
        "container.user_root": c.user.split(":", 1)[0].strip() in ROOT_USERS,
    }


def _directories(paths: Iterable[str]) -> set[str]:
    """Paths that are the parent of another changed path (the diff lists both)."""
    parents: set[str] = set()
    for path in paths:
        parent = path.rsplit("/", 1)[0]
        while parent:
            parents.add(parent)
            parent = parent.rsplit("/", 1)[0]
    return parents


def observation_events(seen: Observation) -> Iterator[dict[str, str | int | bool]]:
    """The raw events of one observation: one per process, changed file and socket."""
    base = _container_fields(seen.container)
    drifted = {path for path, kind in seen.changes if kind in ("added", "changed")}
    for p in seen.processes:
        exe = p.exe.removesuffix(" (deleted)")
        drift = bool(exe) and (exe in drifted or exe != p.exe)
        yield base | {
            "evt.type": "exec",
            "proc.pid": p.pid,
            "proc.ppid": p.ppid,
            "proc.name": p.name,
            "proc.exe": p.exe,
            "proc.cmdline": p.cmdline,
            "proc.uid": p.uid,
            "proc.is_init": p.is_init,
            "proc.is_exec": p.is_exec,
            "proc.exe_in_image": not drift,
        }
    folders = _directories(path for path, _ in seen.changes)
    for path, kind in seen.changes:
        if path not in folders:
            yield base | {"evt.type": "write", "fs.path": path, "fs.kind": kind}
    exposed = {
        int(p.split("/")[0]) for p in seen.container.exposed_ports if p.split("/")[0].isdecimal()
    }
    for s in seen.sockets:
        yield base | {
            "evt.type": s.kind,
            "fd.proto": s.proto,
            "fd.lip": s.local_ip,
            "fd.lport": s.local_port,
            "fd.rip": s.remote_ip,
            "fd.rport": s.remote_port,
            "fd.exposed": s.local_port in exposed,
        }


def evaluate(
    observations: Iterable[Observation], rules: Iterable[WatchRule], now: datetime | None = None
) -> list[WatchEvent]:
    """The events the rules raise on these observations, in observation and rule order."""
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    rule_list = list(rules)
    events = []
    for seen in observations:
        for fields in observation_events(seen):
            events += [_event(stamp, rule, fields) for rule in rule_list if rule.test(fields)]
    return events


def _event(stamp: str, rule: WatchRule, fields: Fields) -> WatchEvent:
    return WatchEvent(
        time=stamp,
        rule=rule.name,
        priority=rule.priority,
        output=" ".join(rule.render(fields).split()),
        fields=tuple(sorted(fields.items())),
        tags=rule.tags,
    )


def event_key(event: WatchEvent) -> tuple[object, ...]:
    """What makes an event the same one on the next pass (for long runs)."""
    fields = dict(event.fields)
    return (
        event.rule,
        fields.get("container.id"),
        fields.get("proc.pid"),
        fields.get("proc.exe"),
        fields.get("fs.path"),
        fields.get("fd.lport"),
        fields.get("fd.rip"),
        fields.get("fd.rport"),
    )


def observe(engine: ContainerEngine, proc: Path = PROC) -> list[Observation]:
    """One pass over the engine's running containers (processes and sockets not read for a
    container in the host's PID namespace: they would be the host's)."""
    observations = []
    for container in engine.running(with_processes=False):
        changes = engine.changes(container.id)
        if changes is None:
            continue  # gone meanwhile
        local = container.pid > 0 and container.pid_mode != "host"
        processes = container_processes(container.pid, proc) if local else ()
        sockets = (
            container_sockets(container.pid, proc)
            if local and container.network_mode != "host"
            else ()
        )
        observations.append(Observation(container, processes, sockets, changes))
    return observations
