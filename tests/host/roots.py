"""Root directories of three distros built by the tests, with installed kernels: Debian (dpkg
status), Alpine (apk installed) and Rocky Linux (an rpmdb.sqlite written by rpm itself)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from tests.imagebuilder import D, F, L, rootfs
from tests.source.registry_fixtures import unavailable


def deb(name: str, version: str, source: str = "") -> str:
    """One installed dpkg status stanza."""
    line = f"Source: {source}\n" if source else ""
    return (
        f"Package: {name}\nStatus: install ok installed\nArchitecture: amd64\n"
        f"{line}Version: {version}\n\n"
    )


DEBIAN_STATUS = "".join(
    (
        deb("libc6", "2.36-9+deb12u4", "glibc"),
        deb("linux-image-6.1.0-17-amd64", "6.1.69-1", "linux-signed-amd64 (6.1.69+1)"),
        deb("linux-image-6.1.0-18-amd64", "6.1.76-1", "linux-signed-amd64 (6.1.76+1)"),
        deb("linux-image-amd64", "6.1.76-1", "linux-signed-amd64 (6.1.76+1)"),
    )
)
KERNEL_CVES = {
    "CVE-2024-1086": (
        "A use-after-free in the netfilter nf_tables component can be exploited to achieve "
        "local privilege escalation.",
        "6.1.76-1",
    ),
    "CVE-2022-0492": (
        "A flaw in the cgroups v1 release_agent feature: a missing capability check.",
        "6.1.76-1",
    ),
    "CVE-2023-32233": (
        "A use-after-free in Netfilter nf_tables batch requests allows local privilege escalation.",
        "6.1.76-1",
    ),
    "CVE-2023-6039": (
        "A use-after-free in the lan78xx USB driver when the device is unplugged.",
        "6.1.69-1",
    ),
}
"""Kernel advisories added to the demo mirror: (description, fixed version in bookworm)."""
KERNEL_RECORDS = {
    "CVE-2024-1086": {
        "cna": {"cwe": "CWE-416", "vector": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"},
    },
    "CVE-2022-0492": {
        "cna": {"cwe": "CWE-862", "vector": ""},
        "CISA-ADP": {"cwe": "CWE-269", "vector": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H"},
    },
    "CVE-2023-6039": {
        "cna": {"cwe": "CWE-416", "vector": "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:H"},
    },
}
"""CVE JSON 5 records of the kernel CVEs (container: CWE and CVSS vector): CVE-2024-1086 local
with no scope change (but in KEV), CVE-2022-0492 with CISA-ADP's CWE-269 and S:C, CVE-2023-6039
a physical-access flaw; CVE-2023-32233 has no record (only the tracker's text speaks)."""
KERNEL_KEV = {"CVE-2024-1086": "2024-05-30"}
ROCKY_ADVISORIES = (
    ("RLSA-2024:0001", "bash", "5.1.8-9.el9", ()),
    ("RLSA-2024:1249", "kernel-core", "5.14.0-362.13.1.el9_3", ("CVE-2024-1086",)),
)
"""OSV `Rocky Linux:9` advisories added to the mirror: (id, package, fixed version, aliases)."""
KERNEL_ESCAPES = {
    "CVE-2024-1086": ("data", ["kev"]),
    "CVE-2022-0492": ("data", ["cwe:CWE-269", "cvss:cisa-adp:3.1:AV:L/S:C"]),
    "CVE-2023-32233": ("text", ["text:privilege escalation"]),
}
"""What the host scan says of each kernel CVE open on 6.1.69-1: (basis, evidence)."""


def debian_root(path: Path, reboot_flag: bool = True) -> Path:
    """Debian 12 with two kernel images installed (and the reboot-required flag)."""
    members: list[F | D | L] = [
        F("usr/lib/os-release", 'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'),
        L("etc/os-release", "../usr/lib/os-release"),
        F("etc/debian_version", "12.5\n"),
        F("var/lib/dpkg/status", DEBIAN_STATUS),
    ]
    if reboot_flag:
        members.append(F("var/run/reboot-required", "*** System restart required ***\n"))
    return rootfs(path, members)


ALPINE_INSTALLED = (
    "C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\no:musl\n\n"
    "C:Q1def=\nP:linux-lts\nV:6.6.31-r0\nA:x86_64\no:linux-lts\n\n"
)


def alpine_root(path: Path) -> Path:
    """Alpine 3.20 with the lts kernel installed."""
    return rootfs(
        path,
        [
            F("etc/os-release", 'ID=alpine\nVERSION_ID=3.20.1\nNAME="Alpine Linux"\n'),
            F("lib/apk/db/installed", ALPINE_INSTALLED),
        ],
    )


KERNEL_SPEC = """Name: {name}
Version: {version}
Release: {release}
Summary: sievert test kernel
License: GPL-2.0-only
BuildArch: x86_64
%description
A tiny stand-in for a kernel package.
%install
mkdir -p %{{buildroot}}/lib/modules/{version}-{release}.x86_64
echo k > %{{buildroot}}/lib/modules/{version}-{release}.x86_64/vmlinuz
%files
/lib/modules/{version}-{release}.x86_64/vmlinuz
"""
ROCKY_PACKAGES = (
    ("kernel-core", "5.14.0", "362.8.1.el9_3"),
    ("kernel-core", "5.14.0", "362.13.1.el9_3"),
    ("bash", "5.1.8", "6.el9_1"),
)


def rocky_root(path: Path, work: Path) -> Path:
    """Rocky Linux 9.3 with two kernel-core packages, in an rpmdb.sqlite written by rpm."""
    if shutil.which("rpm") is None or shutil.which("rpmbuild") is None:
        unavailable("rpm/rpmbuild not installed (apt-get install rpm)")
    work.mkdir(parents=True, exist_ok=True)
    rpms = []
    for name, version, release in ROCKY_PACKAGES:
        spec = work / f"{name}-{release}.spec"
        text = KERNEL_SPEC.format(name=name, version=version, release=release)
        spec.write_text(text.replace("/lib/modules/", f"/usr/share/{name}/"))
        defines = ["--define", f"_topdir {work}", "--define", "_build_id_links none"]
        command = ["rpmbuild", "-bb", "--target", "x86_64", *defines, str(spec)]
        subprocess.run(command, check=True, capture_output=True)
        rpms.append(work / "RPMS" / "x86_64" / f"{name}-{version}-{release}.x86_64.rpm")
    dbpath = path / "var" / "lib" / "rpm"
    dbpath.mkdir(parents=True)
    base = ["rpm", "--dbpath", str(dbpath), "--define", "_db_backend sqlite"]
    subprocess.run([*base, "--initdb"], check=True, capture_output=True)
    install = [*base, "-i", "--justdb", "--nodeps", "--ignorearch", "--ignoreos", *map(str, rpms)]
    subprocess.run(install, check=True, capture_output=True)
    os_release = 'ID="rocky"\nVERSION_ID="9.3"\nNAME="Rocky Linux"\nID_LIKE="rhel centos fedora"\n'
    return rootfs(path, [F("etc/os-release", os_release)])


ROCKY_MACROS = "%_dbpath /var/lib/rpm\n"
"""Rocky's rpm keeps its database in /var/lib/rpm (Debian's rpm defaults to ~/.rpmdb)."""
MACHINE_TOOLS = ("sh", "cat", "uname", "test")


def rocky_machine(path: Path, work: Path) -> Path:
    """A Rocky Linux 9.3 root one can log into: the rocky_root rpmdb and os-release, plus a
    shell with cat, uname and test (busybox) and a real `rpm` with its libraries and its
    configuration, so `rpm -qa` inside it (chroot) reads the rootfs's own rpmdb."""
    root = rocky_root(path, work)
    for binary in (shutil.which("busybox"), shutil.which("rpm")):
        if binary is None:
            unavailable("busybox and rpm are needed (apt-get install busybox rpm)")
        _copy_with_libraries(Path(binary), root)
    busybox = root / str(Path(shutil.which("busybox") or "").resolve()).lstrip("/")
    (root / "bin").mkdir(exist_ok=True)
    for tool in MACHINE_TOOLS:
        link = root / "bin" / tool
        if not link.exists():
            link.symlink_to(os.path.relpath(busybox, link.parent))
    shutil.copytree("/usr/lib/rpm", root / "usr/lib/rpm", dirs_exist_ok=True, symlinks=True)
    (root / "etc/rpm").mkdir(parents=True, exist_ok=True)
    (root / "etc/rpm/macros").write_text(ROCKY_MACROS)
    return root


def _copy_with_libraries(binary: Path, root: Path) -> None:
    """The binary and the shared libraries `ldd` lists, at their paths under root."""
    listed = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=False)
    for source in [binary, *(Path(p) for p in re.findall(r"(/\S+\.so[.\d]*)", listed.stdout))]:
        target = root / str(source.resolve() if source == binary else source).lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source.resolve(), target)
