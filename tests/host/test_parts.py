"""The host scan's pure parts: rpm -qa lines, kernel releases, paths inside a root, hosts files."""

from __future__ import annotations

from pathlib import Path

import pytest

from sievert.errors import ParseError, UsageError
from sievert.host.collect import inside, parse_ssh_target
from sievert.host.hosts_file import load_hosts_file
from sievert.host.inventory import parse_rpm_qa
from sievert.host.kernel import (
    ESCAPE_TEXT,
    escape_evidence,
    kernel_release,
    newest_kernel,
    running_only,
)
from sievert.model import Distro, Package
from sievert.model.vuln import CvssScore, Vulnerability

ROCKY = Distro("rocky", "9.3")


def pkg(name: str, version: str, kind: str, arch: str = "x86_64", source: str = "") -> Package:
    return Package(name, version, kind, "", "test", arch=arch, source_name=source)


def test_rpm_qa_lines() -> None:
    text = (
        "kernel-core\t0\t5.14.0\t362.8.1.el9_3\tx86_64\tkernel-5.14.0-362.8.1.el9_3.src.rpm"
        "\tGPLv2\tRocky Enterprise Software Foundation\n"
        "gpg-pubkey\t0\t1\t2\t(none)\t(none)\tpubkey\t(none)\n"
        "openssl\t1\t3.0.7\t24.el9\tx86_64\topenssl-3.0.7-24.el9.src.rpm\tASL 2.0\t(none)\n"
        "garbage line\n"
    )
    parsed = parse_rpm_qa(text, ROCKY)
    kernel, openssl = parsed.packages
    assert (kernel.name, kernel.version, kernel.epoch, kernel.source_name) == (
        "kernel-core", "5.14.0-362.8.1.el9_3", None, "kernel",
    )  # fmt: skip
    assert (openssl.epoch, openssl.source_version, openssl.licenses) == (
        1,
        "3.0.7-24.el9",
        ("ASL 2.0",),
    )
    assert "rocky" in openssl.purl and "epoch=1" in openssl.purl
    assert [n.message for n in parsed.notices] == ["line 4: not a package line, skipped"]


@pytest.mark.parametrize(
    ("package", "release"),
    [
        (pkg("linux-image-6.1.0-18-amd64", "6.1.76-1", "deb"), "6.1.0-18-amd64"),
        (pkg("linux-image-6.1.0-18-amd64-unsigned", "6.1.76-1", "deb"), "6.1.0-18-amd64"),
        (pkg("linux-modules-5.15.0-91-generic", "5.15.0-91.101", "deb"), "5.15.0-91-generic"),
        (pkg("linux-image-amd64", "6.1.76-1", "deb"), ""),
        (pkg("kernel-core", "5.14.0-362.8.1.el9_3", "rpm"), "5.14.0-362.8.1.el9_3.x86_64"),
        (pkg("kernel-headers", "5.14.0-362.8.1.el9_3", "rpm"), ""),
        (pkg("linux-lts", "6.6.31-r0", "apk"), "6.6.31-0-lts"),
        (pkg("linux-firmware", "20240513-r0", "apk"), ""),
        (pkg("libc6", "2.36-9", "deb"), ""),
    ],
)
def test_kernel_release(package: Package, release: str) -> None:
    assert kernel_release(package) == release


def test_running_only_and_newest() -> None:
    old = pkg("linux-image-6.1.0-9-amd64", "6.1.27-1", "deb", source="linux-signed-amd64")
    new = pkg("linux-image-6.1.0-18-amd64", "6.1.76-1", "deb", source="linux-signed-amd64")
    libc = pkg("libc6", "2.36-9", "deb")
    kept, dropped = running_only([old, new, libc], "6.1.0-9-amd64")
    assert [p.name for p in kept] == [old.name, "libc6"] and dropped == (new,)
    assert (kept[0].source_name, kept[0].source_version) == ("linux", "6.1.27-1")
    assert newest_kernel([old, new, libc]) == "6.1.0-18-amd64"  # 18 > 9, not string order
    assert running_only([old], "") == ((kept[0],), ())


def test_escape_text() -> None:
    assert ESCAPE_TEXT.search("allows a local user to gain privileges")
    assert ESCAPE_TEXT.search("Container escape via cgroups release_agent")
    assert not ESCAPE_TEXT.search("A NULL pointer dereference in the USB driver")


def cvss(vector: str, source: str = "nvd") -> CvssScore:
    return CvssScore(vector.split("/")[0].split(":")[1], vector, 7.8, "high", source)


LOCAL_CHANGED = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H"
LOCAL_UNCHANGED = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
NETWORK_CHANGED = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"
V4_LOCAL_SUBSEQUENT = "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H"
V4_LOCAL_CONTAINED = "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"


@pytest.mark.parametrize(
    ("vuln", "expected"),
    [
        (Vulnerability("A", cwes=("CWE-269", "CWE-416")), (("cwe:CWE-269",), "data")),
        (Vulnerability("B", cvss=(cvss(LOCAL_CHANGED),)), (("cvss:nvd:3.1:AV:L/S:C",), "data")),
        (Vulnerability("C", cvss=(cvss(LOCAL_UNCHANGED),)), ((), "")),
        (Vulnerability("D", cvss=(cvss(NETWORK_CHANGED),)), ((), "")),
        (
            Vulnerability("E", cvss=(cvss(V4_LOCAL_SUBSEQUENT, "cna"),)),
            (("cvss:cna:4.0:AV:L/subsequent-system:H",), "data"),
        ),
        (Vulnerability("F", cvss=(cvss(V4_LOCAL_CONTAINED),)), ((), "")),
        (
            Vulnerability("G", cvss=(cvss(LOCAL_UNCHANGED),), kev_date_added="2024-05-30"),
            (("kev",), "data"),
        ),
        (Vulnerability("H", kev_date_added="2024-05-30"), (("kev",), "data")),
        (Vulnerability("I", cvss=(cvss(NETWORK_CHANGED),), kev_date_added="2024-05-30"), ((), "")),
        (
            Vulnerability("J", description="lets a local user gain root privileges"),
            (("text:gain root privileges",), "text"),
        ),
        (
            Vulnerability("K", description="local privilege escalation", cwes=("CWE-668",)),
            (("cwe:CWE-668",), "data"),  # the data wins over the words
        ),
        (Vulnerability("L", description="A NULL pointer dereference in a USB driver"), ((), "")),
    ],
)
def test_escape_evidence_prefers_the_cve_data(
    vuln: Vulnerability, expected: tuple[tuple[str, ...], str]
) -> None:
    assert escape_evidence(vuln) == expected


def test_inside_follows_links_within_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "usr/lib").mkdir(parents=True)
    (root / "usr/lib/os-release").write_text("ID=x\n")
    (root / "etc").mkdir()
    (root / "etc/os-release").symlink_to("/usr/lib/os-release")  # absolute: taken from the root
    (root / "etc/escape").symlink_to("../../../../../../etc/passwd")
    (root / "etc/loop").symlink_to("loop")
    assert inside(root, "etc/os-release") == root / "usr/lib/os-release"
    assert inside(root, "etc/escape") is None  # clamped at the root: /etc/passwd of the root
    assert inside(root, "etc/loop") is None


def test_ssh_targets() -> None:
    target = parse_ssh_target("ssh://deploy@10.0.0.5:2222")
    assert (target.user, target.host, target.port, target.text) == (
        "deploy", "10.0.0.5", 2222, "ssh://deploy@10.0.0.5:2222",
    )  # fmt: skip
    assert parse_ssh_target("ssh://[::1]").text == "ssh://[::1]:22"
    for bad in ("ssh://", "http://host", "ssh://host:99999", "ssh://host/path"):
        with pytest.raises(UsageError):
            parse_ssh_target(bad)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n", "expected a mapping with a list `hosts`"),
        ("hosts: [ftp://x]\n", "hosts[0]: unknown host target 'ftp://x'"),
        ("hosts: [{name: a, root: /r, target: local}]\n", "hosts[0]: give either target or root"),
        ("hosts: [{target: local, port: 2}]\n", "hosts[0]: expected a target or a mapping"),
        ("hosts: [local, local]\n", "host names must be unique"),
        ("concurrency: 0\nhosts: [local]\n", "concurrency must be a positive integer"),
        ("hosts: [\n", "cannot read the hosts file"),
    ],
)
def test_bad_hosts_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "hosts.yaml"
    path.write_text(text)
    with pytest.raises(ParseError, match=message.replace("[", r"\[").replace("(", r"\(")):
        load_hosts_file(path)


def test_hosts_file(tmp_path: Path) -> None:
    path = tmp_path / "hosts.yaml"
    path.write_text(
        "concurrency: 3\nknown_hosts: ~/kh\nhosts:\n"
        "  - ssh://a@h1\n  - {name: img, root: /srv/r, kernel: 6.1.0-18-amd64}\n"
    )
    loaded = load_hosts_file(path)
    assert loaded.concurrency == 3 and loaded.known_hosts == Path("~/kh").expanduser()
    first, second = loaded.hosts
    assert (first.name, first.kind, first.target) == ("h1", "ssh", "ssh://a@h1:22")
    assert (second.name, second.kind, second.kernel, second.target) == (
        "img", "root", "6.1.0-18-amd64", "root:/srv/r",
    )  # fmt: skip
