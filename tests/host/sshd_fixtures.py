"""A real OpenSSH server on loopback for the host scan tests: `/usr/sbin/sshd -D` on a free port
with a temporary host key and config, letting the current user in with a temporary key only."""

from __future__ import annotations

import os
import pwd
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncssh

from tests.source.registry_fixtures import free_port, stop, unavailable, wait_for_port

SSHD = Path("/usr/sbin/sshd")
CONFIG = """Port {port}
ListenAddress 127.0.0.1
HostKey {root}/host_key
PidFile none
AuthorizedKeysFile {root}/authorized_keys
AllowUsers {user}
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PermitRootLogin prohibit-password
LogLevel VERBOSE
"""


@dataclass
class Sshd:
    """A running sshd, the key that logs in and a known_hosts line for it."""

    port: int
    user: str
    client_key: Path
    host_key_line: str
    log: Path

    @property
    def target(self) -> str:
        """ssh://user@127.0.0.1:port."""
        return f"ssh://{self.user}@127.0.0.1:{self.port}"

    def known_hosts(self, path: Path) -> Path:
        """A known_hosts file listing this server."""
        path.write_text(self.host_key_line)
        return path


def write_key(path: Path) -> asyncssh.SSHKey:
    """A new ed25519 private key at `path` (0600) and its public key beside it."""
    key = asyncssh.generate_private_key("ssh-ed25519")
    path.write_bytes(key.export_private_key())
    path.chmod(0o600)
    path.with_suffix(".pub").write_bytes(key.export_public_key())
    return key


@contextmanager
def sshd_server(root: Path, extra_config: str = "") -> Iterator[Sshd]:
    """Start sshd for this test run (`extra_config`: more sshd_config lines); skip (fail under
    CI=true) where sshd is missing."""
    if not SSHD.is_file():
        unavailable("sshd is not installed (apt-get install openssh-server)")
    root.mkdir(parents=True, exist_ok=True)
    user = pwd.getpwuid(os.getuid()).pw_name
    host_key = write_key(root / "host_key")
    client_key = root / "client_key"
    (root / "authorized_keys").write_bytes(write_key(client_key).export_public_key())
    port = free_port()
    config = root / "sshd_config"
    config.write_text(CONFIG.format(port=port, root=root, user=user) + extra_config)
    if os.getuid() == 0:
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation dir
    check = subprocess.run([str(SSHD), "-t", "-f", str(config)], capture_output=True, text=True)
    if check.returncode != 0:
        unavailable(f"sshd cannot run here: {check.stderr.strip()[:300]}")
    log = root / "sshd.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        wait_for_port(port, process, log)
        line = f"[127.0.0.1]:{port} {host_key.export_public_key().decode().strip()}\n"
        yield Sshd(port, user, client_key, line, log)
    finally:
        stop(process)
