"""Reading a host, read-only: the local machine or a root directory (files), or a machine over
SSH (asyncssh; only `cat` of the package databases, `uname -r`, `rpm -qa` and `test -e`).

Nothing is installed or written on the host. Over SSH the server's host key is checked against
known_hosts; `accept_new` trusts a host that is not listed at all (and records its key), never
a host whose key changed.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import msgspec

from sievert.catalog.rpm import DB_PATHS
from sievert.errors import HostError, UsageError
from sievert.host.inventory import RPM_QUERYFORMAT
from sievert.model.host import HostFacts

if TYPE_CHECKING:
    import asyncssh

OS_RELEASE_PATHS = ("etc/os-release", "usr/lib/os-release")
DEBIAN_VERSION = "etc/debian_version"
DPKG_STATUS = "var/lib/dpkg/status"
APK_INSTALLED = "lib/apk/db/installed"
REBOOT_REQUIRED = ("var/run/reboot-required", "run/reboot-required")
MAX_FILE = 512 * 1024 * 1024
"""Largest package database read (an rpmdb of a big host is a few hundred MiB at most)."""
MAX_LINKS = 40


class SshTarget(msgspec.Struct, frozen=True):
    """`ssh://[user@]host[:port]`."""

    host: str
    port: int = 22
    user: str = ""

    @property
    def text(self) -> str:
        """The target as written back: ssh://user@host:port."""
        user = f"{self.user}@" if self.user else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"ssh://{user}{host}:{self.port}"


def parse_ssh_target(text: str) -> SshTarget:
    """The parts of an `ssh://` target; UsageError when malformed."""
    parts = urlsplit(text)
    try:
        port = parts.port or 22
    except ValueError:
        raise UsageError(f"{text!r}: bad port") from None
    if parts.scheme != "ssh" or not parts.hostname or parts.path not in ("", "/"):
        raise UsageError(f"{text!r}: expected ssh://[user@]host[:port]")
    return SshTarget(parts.hostname, port, parts.username or "")


class SshOptions(msgspec.Struct, frozen=True):
    """How to reach hosts over SSH."""

    known_hosts: Path | None = None
    """Default: ~/.ssh/known_hosts."""
    accept_new_host_key: bool = False
    identities: tuple[Path, ...] = ()
    """Private key files; none: the SSH agent and the default keys (~/.ssh/id_*)."""
    timeout: float = 30.0
    env: dict[str, str] = msgspec.field(default_factory=dict)


# files: the local machine or a root directory ------------------------------------------------
def inside(root: Path, relative: str) -> Path | None:
    """`relative` under `root` with symlinks followed inside `root` (an absolute link target
    is taken from `root`); None when it does not exist or leaves `root` by `..`."""
    parts = list(PurePosixPath(relative.lstrip("/")).parts)
    current: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            if current:
                current.pop()
            continue
        candidate = root.joinpath(*current, part)
        if candidate.is_symlink():
            hops += 1
            if hops > MAX_LINKS:
                return None
            target = PurePosixPath(candidate.readlink())
            if target.is_absolute():
                current = []
            parts = [*target.parts[1:], *parts] if target.is_absolute() else [*target.parts, *parts]
            continue
        current.append(part)
    path = root.joinpath(*current)
    return path if path.exists() else None


def read_inside(root: Path, relative: str) -> bytes | None:
    """A regular file's bytes under `root` (None when absent, not a file, or too large)."""
    path = inside(root, relative)
    if path is None or not path.is_file():
        return None
    try:
        if path.stat().st_size > MAX_FILE:
            raise HostError(f"{path}: larger than {MAX_FILE} bytes, not read")
        return path.read_bytes()
    except PermissionError as exc:
        raise HostError(f"{path}: cannot read ({exc.strerror})") from exc


def file_facts(name: str, target: str, root: Path, kernel_release: str) -> HostFacts:
    """Facts of a root directory (the local machine is the root `/`)."""
    if not root.is_dir():
        raise HostError(f"{target}: {root} is not a directory")
    os_release = next(
        (data for path in OS_RELEASE_PATHS if (data := read_inside(root, path)) is not None), None
    )
    debian_version = (read_inside(root, DEBIAN_VERSION) or b"").decode("utf-8", "replace")
    rpmdb = None
    for path, kind in DB_PATHS:
        data = read_inside(root, path)
        if data:
            rpmdb = (kind, data)
            break
    return HostFacts(
        name=name,
        target=target,
        os_release=os_release,
        debian_version=debian_version.strip(),
        kernel_release=kernel_release,
        dpkg_status=read_inside(root, DPKG_STATUS),
        apk_installed=read_inside(root, APK_INSTALLED),
        rpmdb=rpmdb,
        reboot_required_file=any(inside(root, p) is not None for p in REBOOT_REQUIRED),
    )


def local_facts(name: str = "local") -> HostFacts:
    """Facts of the machine Sievert runs on."""
    return file_facts(name, "local", Path("/"), os.uname().release)


# SSH -------------------------------------------------------------------------------------------
async def ssh_facts(name: str, target: SshTarget, options: SshOptions) -> HostFacts:
    """Facts of a host over SSH; HostError when it cannot be reached, logged into or trusted."""
    import asyncssh

    try:
        conn = await connect(target, options)
        try:
            return await _remote_facts(conn, name, target)
        finally:
            conn.close()
    except asyncssh.HostKeyNotVerifiable as exc:
        raise HostError(f"{target.text}: host key not verifiable ({exc.reason})") from exc
    except asyncssh.PermissionDenied as exc:
        raise HostError(f"{target.text}: authentication failed ({exc.reason})") from exc
    except asyncssh.Error as exc:
        raise HostError(f"{target.text}: SSH error: {exc.reason}") from exc
    except (OSError, TimeoutError) as exc:
        raise HostError(f"{target.text}: cannot connect: {exc or type(exc).__name__}") from exc


async def connect(target: SshTarget, options: SshOptions) -> asyncssh.SSHClientConnection:
    """An SSH connection with the host key checked (and a new one trusted when asked)."""
    import asyncssh

    known_hosts = options.known_hosts or Path.home() / ".ssh" / "known_hosts"
    keys = [str(p) for p in options.identities] or ()
    settings: dict[str, object] = {
        "port": target.port,
        "connect_timeout": options.timeout,
        "login_timeout": options.timeout,
        "client_keys": keys or (),
    }
    if target.user:
        settings["username"] = target.user
    if not keys:
        del settings["client_keys"]  # the agent and the default keys
    listed = _known(known_hosts)
    try:
        return await asyncssh.connect(target.host, known_hosts=listed, **settings)
    except asyncssh.HostKeyNotVerifiable:
        if not options.accept_new_host_key or _is_listed(listed, target):
            raise
    conn = await asyncssh.connect(target.host, known_hosts=None, **settings)
    try:
        _remember(known_hosts, target, conn)
    except OSError as exc:
        conn.close()
        raise HostError(
            f"{target.text}: cannot record the new host key in {known_hosts}: {exc}"
        ) from exc
    return conn


def _known(path: Path) -> asyncssh.SSHKnownHosts:
    import asyncssh

    try:
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        return asyncssh.import_known_hosts(text)
    except (OSError, ValueError) as exc:
        raise HostError(f"{path}: unreadable known_hosts ({exc})") from exc


def _is_listed(known: asyncssh.SSHKnownHosts, target: SshTarget) -> bool:
    """Whether known_hosts names this host at all (then a mismatch is never accepted)."""
    host_keys = known.match(target.host, "", target.port)[0]
    return bool(host_keys)


def _remember(path: Path, target: SshTarget, conn: asyncssh.SSHClientConnection) -> None:
    """Append the server's host key to known_hosts (created 0600 when absent)."""
    key = conn.get_server_host_key()
    if key is None:
        return
    name = target.host if target.port == 22 else f"[{target.host}]:{target.port}"
    line = f"{name} {key.export_public_key('openssh').decode('ascii').strip()}\n"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="ascii") as out:
        out.write(line)


async def _remote_facts(
    conn: asyncssh.SSHClientConnection, name: str, target: SshTarget
) -> HostFacts:
    """Run the read-only commands."""
    os_release = None
    for path in OS_RELEASE_PATHS:
        os_release = await _cat(conn, path)
        if os_release is not None:
            break
    dpkg = await _cat(conn, DPKG_STATUS)
    apk = await _cat(conn, APK_INSTALLED)
    rpm_qa = None
    if dpkg is None and apk is None:
        code, out = await _run(conn, f"rpm -qa --queryformat {shlex.quote(RPM_QUERYFORMAT)}")
        rpm_qa = out.decode("utf-8", "replace") if code == 0 else None
    code, uname = await _run(conn, "uname -r")
    reboot = [await _run(conn, f"test -e /{path}") for path in REBOOT_REQUIRED]
    return HostFacts(
        name=name,
        target=target.text,
        os_release=os_release,
        debian_version=((await _cat(conn, DEBIAN_VERSION)) or b"")
        .decode("utf-8", "replace")
        .strip(),
        kernel_release=uname.decode("utf-8", "replace").strip() if code == 0 else "",
        dpkg_status=dpkg,
        apk_installed=apk,
        rpm_qa=rpm_qa,
        reboot_required_file=any(code == 0 for code, _ in reboot),
    )


async def _cat(conn: asyncssh.SSHClientConnection, path: str) -> bytes | None:
    """A remote file's bytes (None when absent or unreadable)."""
    code, out = await _run(conn, f"cat -- /{shlex.quote(path)}")
    return out if code == 0 else None


async def _run(conn: asyncssh.SSHClientConnection, command: str) -> tuple[int, bytes]:
    """(exit status, stdout bytes) of a fixed read-only command."""
    result = await conn.run(command, check=False, encoding=None)
    out = result.stdout if isinstance(result.stdout, bytes) else b""
    if len(out) > MAX_FILE:
        raise HostError(f"`{command}` answered more than {MAX_FILE} bytes")
    return result.exit_status if result.exit_status is not None else -1, out
