"""RUNTIME_RULES: how a running container is run, ids SV-RT-001 onwards, mapped to the CIS
Docker Benchmark (v1.6.0 section 5 numbering, as docker-bench-security checks it).

Each rule is a pure function of a ContainerConfig that yields one message per problem found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import msgspec

from sievert.model.checks import CheckFinding, Region, Rule
from sievert.model.runtime import ContainerConfig
from sievert.model.severity import Severity

Check = Callable[[ContainerConfig], Iterator[str]]

DOCKER_DEFAULT_CAPS = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "NET_RAW",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
"""Docker's 14 default capabilities (podman's defaults are a subset): adding these is no finding."""
SENSITIVE_PATHS = ("/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr")
"""Host directories whose mount exposes the host (CIS 5.6); a path below one counts too."""
ENGINE_SOCKETS = ("docker.sock", "podman.sock", "containerd.sock", "crio.sock")
SSH_DAEMONS = frozenset({"sshd", "dropbear"})
ROOT_USERS = frozenset({"", "root", "0"})
MAX_RESTARTS = 5
EVERY_INTERFACE = ("", "0.0.0.0", "::")  # noqa: S104 - compared with, not bound to


class RuntimeRule(msgspec.Struct, frozen=True):
    """A rule (with its CIS Docker Benchmark control) and the check that applies it."""

    rule: Rule
    check: Check


def _entry(
    number: int, cis: str, severity: str, text: tuple[str, str, str], check: Check
) -> RuntimeRule:
    """SV-RT-<number>: (title, rationale, remediation) checked by `check`."""
    rule_id = f"SV-RT-{number:03d}"
    title, rationale, remediation = text
    docs = f"docs/rules/{rule_id}.md"
    return RuntimeRule(
        Rule(rule_id, Severity(severity), title, rationale, remediation, docs, cis), check
    )


def privileged(c: ContainerConfig) -> Iterator[str]:
    """HostConfig.Privileged."""
    if c.privileged:
        yield "the container runs with --privileged"


def added_capabilities(c: ContainerConfig) -> Iterator[str]:
    """Capabilities added beyond Docker's defaults."""
    extra = sorted(set(c.cap_add) - DOCKER_DEFAULT_CAPS)
    if extra:
        yield f"capabilities added: {', '.join(extra)}"


def _host_mode(field: str, flag: str) -> Check:
    def check(c: ContainerConfig) -> Iterator[str]:
        if getattr(c, field) == "host":
            yield f"the container shares the host's namespace ({flag}=host)"

    check.__doc__ = f"{field} is 'host'."
    return check


def _is_sensitive(source: str) -> bool:
    path = "/" + source.strip("/")
    return any(path == p or (p != "/" and path.startswith(p + "/")) for p in SENSITIVE_PATHS)


def sensitive_mount(c: ContainerConfig) -> Iterator[str]:
    """A bind mount of a sensitive host directory (engine sockets are SV-RT-008's)."""
    for mount in c.mounts:
        if mount.type != "bind" or _is_engine_socket(mount.source):
            continue
        if _is_sensitive(mount.source):
            mode = "read-write" if mount.writable else "read-only"
            yield f"host path {mount.source} is mounted {mode} at {mount.destination}"


def _is_engine_socket(source: str) -> bool:
    return source.rsplit("/", 1)[-1] in ENGINE_SOCKETS


def engine_socket(c: ContainerConfig) -> Iterator[str]:
    """A container engine's API socket mounted into the container."""
    for mount in c.mounts:
        if _is_engine_socket(mount.source):
            yield f"the engine socket {mount.source} is mounted at {mount.destination}"


def _opt_values(c: ContainerConfig, key: str) -> list[str]:
    """Values of `key=value` / `key:value` security options (Docker accepts both forms)."""
    values = []
    for opt in c.security_opt:
        for sep in ("=", ":"):
            name, found, value = opt.partition(sep)
            if found and name.strip().lower() == key:
                values.append(value.strip())
                break
    return values


def seccomp_unconfined(c: ContainerConfig) -> Iterator[str]:
    """seccomp=unconfined in SecurityOpt."""
    if "unconfined" in _opt_values(c, "seccomp"):
        yield "the container runs without a seccomp profile (seccomp=unconfined)"


def apparmor_unconfined(c: ContainerConfig) -> Iterator[str]:
    """AppArmorProfile 'unconfined', or apparmor=unconfined in SecurityOpt."""
    if c.apparmor_profile == "unconfined" or "unconfined" in _opt_values(c, "apparmor"):
        yield "the container runs without an AppArmor profile (apparmor=unconfined)"


def no_new_privileges(c: ContainerConfig) -> Iterator[str]:
    """No `no-new-privileges` (or `no-new-privileges=true`) in SecurityOpt."""
    for opt in c.security_opt:
        name, _, value = opt.replace(":", "=").partition("=")
        if name.strip() == "no-new-privileges" and value.strip().lower() in ("", "true"):
            return
    yield "setuid binaries can raise privileges (--security-opt no-new-privileges)"


def writable_rootfs(c: ContainerConfig) -> Iterator[str]:
    """HostConfig.ReadonlyRootfs false."""
    if not c.readonly_rootfs:
        yield "the root filesystem is writable (run with --read-only)"


def runs_as_root(c: ContainerConfig) -> Iterator[str]:
    """Config.User empty, 'root' or uid 0."""
    user = c.user.split(":", 1)[0].strip()
    if user in ROOT_USERS:
        yield "the container's process runs as root" + ("" if user else " (no user set)")


def no_memory_limit(c: ContainerConfig) -> Iterator[str]:
    """HostConfig.Memory 0."""
    if c.memory <= 0:
        yield "no memory limit (--memory)"


def no_cpu_limit(c: ContainerConfig) -> Iterator[str]:
    """Neither NanoCpus, CpuQuota nor non-default CpuShares."""
    if c.nano_cpus <= 0 and c.cpu_quota <= 0 and c.cpu_shares in (0, 1024):
        yield "no CPU limit (--cpus or --cpu-shares)"


def no_pids_limit(c: ContainerConfig) -> Iterator[str]:
    """HostConfig.PidsLimit null, 0 or -1."""
    if c.pids_limit <= 0:
        yield "no process limit (--pids-limit): a fork bomb exhausts the host"


def restart_policy(c: ContainerConfig) -> Iterator[str]:
    """Restart policy other than 'no' or on-failure with at most 5 retries."""
    name = c.restart_policy or "no"
    if name in ("always", "unless-stopped"):
        yield f"restart policy {name}: a crashing container restarts forever"
    elif name == "on-failure" and not 0 < c.restart_max <= MAX_RESTARTS:
        limit = c.restart_max or "unlimited"
        yield f"restart policy on-failure with {limit} retries (at most {MAX_RESTARTS})"


def privileged_ports(c: ContainerConfig) -> Iterator[str]:
    """A host port below 1024 published."""
    for port in c.ports:
        if port.host_port < 1024:
            yield f"{port.container_port} is published on privileged host port {port.host_port}"


def all_interfaces(c: ContainerConfig) -> Iterator[str]:
    """A port published on every host interface."""
    for port in c.ports:
        if port.host_ip in EVERY_INTERFACE:
            where = f"host port {port.host_port}"
            yield f"{port.container_port} is published on every interface ({where})"


def ssh_inside(c: ContainerConfig) -> Iterator[str]:
    """An SSH server among the container's processes."""
    for cells in c.processes or ():
        for cell in cells:
            words = cell.split()
            program = words[0].rstrip(":").rsplit("/", 1)[-1] if words else ""
            if program in SSH_DAEMONS or (len(words) > 1 and _script_is_ssh(words)):
                yield f"process {' '.join(cells[-1:])}"
                return


def _script_is_ssh(words: list[str]) -> bool:
    """`/bin/sh /usr/sbin/sshd ...`: an interpreter running a program named like an SSH server."""
    interpreter = words[0].rsplit("/", 1)[-1]
    return (
        interpreter in ("sh", "bash", "dash", "busybox")
        and words[1].rsplit("/", 1)[-1] in SSH_DAEMONS
    )


def shared_propagation(c: ContainerConfig) -> Iterator[str]:
    """A mount with shared propagation."""
    for mount in c.mounts:
        if mount.propagation in ("shared", "rshared"):
            yield f"mount {mount.destination} uses {mount.propagation} propagation"


RUNTIME_RULES: tuple[RuntimeRule, ...] = (
    _entry(
        1,
        "5.5",
        "critical",
        (
            "Privileged container",
            "A privileged container has every capability, every host device and no seccomp or "
            "AppArmor confinement: root in it is root on the host.",
            "Remove --privileged; add only the capabilities and devices the workload needs.",
        ),
        privileged,
    ),
    _entry(
        2,
        "5.4",
        "high",
        (
            "Capabilities added beyond the defaults",
            "Capabilities such as SYS_ADMIN, SYS_PTRACE, SYS_MODULE or NET_ADMIN let a process "
            "mount filesystems, trace host-visible processes, load kernel modules or reconfigure "
            "the network, the usual steps of a container escape.",
            "Drop --cap-add, or add only the one capability needed; prefer --cap-drop=ALL.",
        ),
        added_capabilities,
    ),
    _entry(
        3,
        "5.10",
        "high",
        (
            "Host network namespace shared",
            "With --network=host the container sees and binds every host interface and reaches "
            "services listening on the host's loopback.",
            "Use a bridge or user-defined network and publish only the needed ports.",
        ),
        _host_mode("network_mode", "--network"),
    ),
    _entry(
        4,
        "5.16",
        "high",
        (
            "Host PID namespace shared",
            "With --pid=host the container sees every host process, and with enough privilege can "
            "signal, trace or enter them.",
            "Remove --pid=host.",
        ),
        _host_mode("pid_mode", "--pid"),
    ),
    _entry(
        5,
        "5.17",
        "medium",
        (
            "Host IPC namespace shared",
            "With --ipc=host the container reaches the host's shared memory segments and "
            "semaphores.",
            "Remove --ipc=host.",
        ),
        _host_mode("ipc_mode", "--ipc"),
    ),
    _entry(
        6,
        "5.21",
        "medium",
        (
            "Host UTS namespace shared",
            "With --uts=host the container can change the host's hostname.",
            "Remove --uts=host.",
        ),
        _host_mode("uts_mode", "--uts"),
    ),
    _entry(
        7,
        "5.6",
        "high",
        (
            "Sensitive host directory mounted",
            "Mounting /, /boot, /dev, /etc, /lib, /proc, /sys or /usr of the host exposes its "
            "secrets (/etc/shadow), devices and kernel settings; read-write lets the container "
            "change the host.",
            "Mount only the application's own data directories, read-only where possible.",
        ),
        sensitive_mount,
    ),
    _entry(
        8,
        "5.32",
        "critical",
        (
            "Container engine socket mounted",
            "Whoever reaches the engine's API socket can start a privileged container with the "
            "host's root filesystem: it is root on the host.",
            "Do not mount docker.sock or podman.sock; use a narrowly scoped API proxy if needed.",
        ),
        engine_socket,
    ),
    _entry(
        9,
        "5.22",
        "high",
        (
            "Seccomp disabled",
            "Without a seccomp profile every system call is reachable, including those behind "
            "known kernel escapes.",
            "Remove --security-opt seccomp=unconfined (the default profile applies).",
        ),
        seccomp_unconfined,
    ),
    _entry(
        10,
        "5.2",
        "medium",
        (
            "AppArmor disabled",
            "The container runs with AppArmor explicitly unconfined, losing the default "
            "profile's protection of /proc and /sys. (An empty profile only means AppArmor is not "
            "enabled on the host; that is a host setting and not reported here.)",
            "Remove --security-opt apparmor=unconfined.",
        ),
        apparmor_unconfined,
    ),
    _entry(
        11,
        "5.26",
        "medium",
        (
            "no-new-privileges not set",
            "Without no-new-privileges, setuid and setgid binaries in the image can raise a "
            "process's privileges.",
            "Run with --security-opt no-new-privileges.",
        ),
        no_new_privileges,
    ),
    _entry(
        12,
        "5.13",
        "low",
        (
            "Writable root filesystem",
            "A writable root filesystem lets an intruder drop and run new binaries and change the "
            "application's files.",
            "Run with --read-only and mount tmpfs or volumes where writes are needed.",
        ),
        writable_rootfs,
    ),
    _entry(
        13,
        "4.1",
        "medium",
        (
            "Container runs as root",
            "A process running as root in the container is root on the host once it escapes.",
            "Run with --user <uid> or set USER in the image.",
        ),
        runs_as_root,
    ),
    _entry(
        14,
        "5.11",
        "low",
        (
            "No memory limit",
            "Without a memory limit one container can exhaust the host's memory.",
            "Run with --memory.",
        ),
        no_memory_limit,
    ),
    _entry(
        15,
        "5.12",
        "low",
        (
            "No CPU limit",
            "Without a CPU limit or share one container can starve the others.",
            "Run with --cpus or --cpu-shares.",
        ),
        no_cpu_limit,
    ),
    _entry(
        16,
        "5.29",
        "low",
        (
            "No process limit",
            "Without a PID limit a fork bomb in one container exhausts the host's process table.",
            "Run with --pids-limit.",
        ),
        no_pids_limit,
    ),
    _entry(
        17,
        "5.15",
        "low",
        (
            "Restart policy without a bound",
            "A container that restarts forever hides a crash loop and can be used to keep a "
            "denial of service going.",
            f"Use --restart on-failure:{MAX_RESTARTS} (or no restart policy).",
        ),
        restart_policy,
    ),
    _entry(
        18,
        "5.8",
        "low",
        (
            "Privileged host port published",
            "Host ports below 1024 are reserved for system services.",
            "Publish on a host port of 1024 or above.",
        ),
        privileged_ports,
    ),
    _entry(
        19,
        "5.14",
        "low",
        (
            "Port published on every interface",
            "A port bound to 0.0.0.0 is reachable from every network the host is on.",
            "Publish on one address: -p 127.0.0.1:8080:80.",
        ),
        all_interfaces,
    ),
    _entry(
        20,
        "5.7",
        "medium",
        (
            "SSH server running in the container",
            "An SSH server inside a container is an extra, separately managed way in; use the "
            "engine's exec instead.",
            "Remove the SSH server from the image; use `docker exec` / `kubectl exec`.",
        ),
        ssh_inside,
    ),
    _entry(
        21,
        "5.20",
        "medium",
        (
            "Shared mount propagation",
            "With shared propagation, mounts made inside the container appear on the host.",
            "Use the default private propagation.",
        ),
        shared_propagation,
    ),
)
RULES_BY_ID = {entry.rule.id: entry for entry in RUNTIME_RULES}


def check_container(
    container: ContainerConfig, rules: tuple[RuntimeRule, ...] = RUNTIME_RULES
) -> tuple[CheckFinding, ...]:
    """Every finding of the rules on one container, in rule order."""
    region = Region(path=container.name or container.short_id)
    return tuple(
        CheckFinding(entry.rule, message, region, entry.rule.severity)
        for entry in rules
        for message in entry.check(container)
    )
