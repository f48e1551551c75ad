"""A small runnable image built by the tests: the host's busybox and the libraries it links,
a Debian os-release and a dpkg status (so the image scan finds packages), and a script named
/usr/sbin/sshd (so an "SSH server" can run)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from tests.imagebuilder import D, F, Image, L, write_docker_archive
from tests.source.registry_fixtures import need

STATUS = "".join(
    f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n"
    f"Source: {source}\nVersion: {version}\n\n"
    for name, source, version in (
        ("libc6", "glibc", "2.36-9+deb12u4"),
        ("busybox", "busybox", "1:1.35.0-4+b3"),
    )
)
OS_RELEASE = 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
SSHD = "#!/bin/sh\nsleep 3000\n"


def linked_libraries(binary: str) -> list[Path]:
    """The shared libraries `ldd` lists for a binary (none for a static one)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True, check=False).stdout
    return [Path(p) for p in re.findall(r"(/\S+\.so[.\d]*)", out)]


def busybox_image() -> Image:
    """The image; skips (fails under CI) without busybox."""
    busybox = Path(shutil.which("busybox") or need("busybox")).resolve()
    members: list[D | F | L] = [D("bin"), D("etc"), D("tmp"), D("usr"), D("usr/sbin"), D("var")]
    members += [D("var/lib"), D("var/lib/dpkg")]
    members.append(F("bin/busybox", busybox.read_bytes(), 0o755))
    members += [
        L(f"bin/{applet}", "busybox")
        for applet in ("sh", "sleep", "cat", "id", "cp", "chmod", "nc", "ls")
    ]
    folders: set[str] = set()
    for library in linked_libraries(str(busybox)):
        parts = library.parts[1:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            if folder not in folders and folder not in ("usr",):
                folders.add(folder)
                members.append(D(folder))
        members.append(F(str(library).lstrip("/"), library.resolve().read_bytes(), 0o755))
    members += [
        F("usr/sbin/sshd", SSHD, 0o755),
        F("etc/os-release", OS_RELEASE),
        F("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"),
        F("var/lib/dpkg/status", STATUS),
    ]
    return Image(layers=[members], config={"Cmd": ["/bin/sleep", "3000"]})


def write_busybox_archive(path: Path, tag: str) -> Path:
    """A docker-archive of the image under `tag`."""
    return write_docker_archive(path, busybox_image(), tag=tag)
