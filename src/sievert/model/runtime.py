"""Running containers as the runtime audit sees them: how each is run, what was found, its risk."""

from __future__ import annotations

import msgspec

from sievert.model.checks import CheckFinding, Rule
from sievert.model.finding import ScanResult
from sievert.model.policy import PolicyVerdict


class Mount(msgspec.Struct, frozen=True):
    """A volume or bind mount of a container."""

    source: str
    """The host path (bind) or volume name (volume)."""
    destination: str
    writable: bool
    propagation: str = ""
    type: str = "bind"


class PortBinding(msgspec.Struct, frozen=True):
    """A container port published on the host."""

    container_port: str
    """'80/tcp'."""
    host_ip: str
    """'' or '0.0.0.0' or '::' mean every interface."""
    host_port: int


class ContainerConfig(msgspec.Struct, frozen=True):
    """The facts of one container's inspect data (`GET /containers/{id}/json`) the rules read."""

    id: str
    name: str
    image: str
    """The image as the container was started with it ('nginx:1.27')."""
    image_id: str
    """'sha256:<hex>' of the image config."""
    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    """Added capabilities, upper case without the CAP_ prefix ('SYS_ADMIN', 'ALL')."""
    cap_drop: tuple[str, ...] = ()
    network_mode: str = ""
    pid_mode: str = ""
    ipc_mode: str = ""
    uts_mode: str = ""
    mounts: tuple[Mount, ...] = ()
    security_opt: tuple[str, ...] = ()
    apparmor_profile: str = ""
    readonly_rootfs: bool = False
    user: str = ""
    """The user the process runs as ('' = the image's user, root when the image sets none)."""
    memory: int = 0
    nano_cpus: int = 0
    cpu_quota: int = 0
    cpu_shares: int = 0
    pids_limit: int = 0
    """0 or negative: no limit."""
    restart_policy: str = ""
    restart_max: int = 0
    ports: tuple[PortBinding, ...] = ()
    processes: tuple[tuple[str, ...], ...] | None = None
    """Each process's command cells from `top` (name, command line); None when not known."""
    pid: int = 0
    """The host PID of the container's main process (State.Pid; 0 when not running)."""
    exposed_ports: tuple[str, ...] = ()
    """Config.ExposedPorts ('8080/tcp')."""

    @property
    def short_id(self) -> str:
        """The first 12 hex digits of the id."""
        return self.id.removeprefix("sha256:")[:12]


class ContainerRisk(msgspec.Struct, frozen=True):
    """One container's overall risk, from its runtime findings and its image's vulnerabilities."""

    severity: str
    """A Severity word ('none' when nothing was found)."""
    reason: str


class ContainerAudit(msgspec.Struct, frozen=True):
    """One running container: how it runs, what the rules found, its image's scan, its risk."""

    container: ContainerConfig
    findings: tuple[CheckFinding, ...]
    risk: ContainerRisk
    image: ScanResult | None = None
    """The image's analysis; None when the image was not scanned (see image_error)."""
    image_error: str = ""
    verdict: PolicyVerdict | None = None
    """The policy's verdict on the container and its image, when `--policy` was given."""


class RuntimeAudit(msgspec.Struct, frozen=True):
    """Every running container of one engine, audited."""

    engine: str
    """Where the engine was reached ('unix:///run/podman/podman.sock')."""
    containers: tuple[ContainerAudit, ...]
    image_scan: bool = True
    """Whether the containers' images were scanned."""
    rules: tuple[Rule, ...] = ()
    """The rules that ran."""


class WatchEvent(msgspec.Struct, frozen=True):
    """One event of `sievert runtime watch`, in Falco's JSON output shape."""

    time: str
    rule: str
    priority: str
    output: str
    fields: tuple[tuple[str, str | int | bool], ...]
    """The event's fields (`container.name`, `proc.exe`, `fs.path`...), Falco's output_fields."""
    tags: tuple[str, ...] = ()
