"""Parse a container's inspect data (Docker's and podman's `GET /containers/{id}/json`).

Pure functions over decoded JSON: a missing or mistyped field reads as its engine default, so a
hostile or partial answer gives a ContainerConfig, never an exception.
"""

from __future__ import annotations

from typing import Any

from sievert.model.runtime import ContainerConfig, Mount, PortBinding


def parse_container(
    data: Any, processes: tuple[tuple[str, ...], ...] | None = None
) -> ContainerConfig:
    """The ContainerConfig of one inspect answer (and its process list from `top`, if known)."""
    doc = _obj(data)
    host = _obj(doc.get("HostConfig"))
    config = _obj(doc.get("Config"))
    restart = _obj(host.get("RestartPolicy"))
    return ContainerConfig(
        id=_str(doc.get("Id")),
        name=_str(doc.get("Name")).lstrip("/"),
        image=_str(config.get("Image")) or _str(doc.get("Image")),
        image_id=_image_id(_str(doc.get("Image"))),
        privileged=host.get("Privileged") is True,
        cap_add=_caps(host.get("CapAdd")),
        cap_drop=_caps(host.get("CapDrop")),
        network_mode=_str(host.get("NetworkMode")),
        pid_mode=_str(host.get("PidMode")),
        ipc_mode=_str(host.get("IpcMode")),
        uts_mode=_str(host.get("UTSMode")),
        mounts=_mounts(doc.get("Mounts")),
        security_opt=_strings(host.get("SecurityOpt")),
        apparmor_profile=_str(doc.get("AppArmorProfile")),
        readonly_rootfs=host.get("ReadonlyRootfs") is True,
        user=_str(config.get("User")),
        memory=_int(host.get("Memory")),
        nano_cpus=_int(host.get("NanoCpus")),
        cpu_quota=_int(host.get("CpuQuota")),
        cpu_shares=_int(host.get("CpuShares")),
        pids_limit=_int(host.get("PidsLimit")),
        restart_policy=_str(restart.get("Name")),
        restart_max=_int(restart.get("MaximumRetryCount")),
        ports=_ports(host.get("PortBindings"), _obj(doc.get("NetworkSettings")).get("Ports")),
        processes=processes,
        pid=_int(_obj(doc.get("State")).get("Pid")),
        exposed_ports=tuple(sorted(str(k) for k in _obj(config.get("ExposedPorts")))),
    )


def parse_top(data: Any) -> tuple[tuple[str, ...], ...] | None:
    """Command cells of each process of a `top` answer (PID-like columns dropped); None when the
    answer lists no processes (podman 4's compat endpoint answers empty)."""
    doc = _obj(data)
    titles = [
        _str(t).upper() for t in doc.get("Titles") or () if isinstance(doc.get("Titles"), list)
    ]
    rows = doc.get("Processes")
    if not isinstance(rows, list) or not rows:
        return None
    skip = {i for i, title in enumerate(titles) if title in {"PID", "PPID", "UID", "USER"}}
    return tuple(
        tuple(_str(cell) for i, cell in enumerate(row) if i not in skip)
        for row in rows
        if isinstance(row, list)
    )


def _mounts(value: Any) -> tuple[Mount, ...]:
    if not isinstance(value, list):
        return ()
    mounts = []
    for item in value:
        entry = _obj(item)
        source = _str(entry.get("Source")) or _str(entry.get("Name"))
        mounts.append(
            Mount(
                source=source,
                destination=_str(entry.get("Destination")),
                writable=entry.get("RW") is not False,
                propagation=_str(entry.get("Propagation")),
                type=_str(entry.get("Type")) or "bind",
            )
        )
    return tuple(mounts)


def _ports(bindings: Any, published: Any) -> tuple[PortBinding, ...]:
    """Host port bindings from HostConfig.PortBindings, else NetworkSettings.Ports."""
    found: dict[tuple[str, str, int], PortBinding] = {}
    for source in (bindings, published):
        if not isinstance(source, dict):
            continue
        for container_port, hosts in source.items():
            for host in hosts if isinstance(hosts, list) else ():
                entry = _obj(host)
                port = _int(entry.get("HostPort"))
                if port > 0:
                    binding = PortBinding(str(container_port), _str(entry.get("HostIp")), port)
                    found.setdefault((binding.container_port, binding.host_ip, port), binding)
        if found:
            break
    return tuple(found.values())


def _image_id(value: str) -> str:
    if value and ":" not in value and len(value) == 64:
        return f"sha256:{value}"
    return value


def _caps(value: Any) -> tuple[str, ...]:
    return tuple(c.upper().removeprefix("CAP_") for c in _strings(value))


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _int(value: Any) -> int:
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdecimal():
        return int(value)
    return 0
