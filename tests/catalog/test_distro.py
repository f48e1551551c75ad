"""Distro detection from os-release and the older release files."""

from __future__ import annotations

import pytest

from sievert.catalog.distro import (
    DISTRO_GLOBS,
    detect_distro,
    distro_from_release_file,
    parse_os_release,
)
from sievert.model import Distro
from sievert.source.view import matches
from tests.catalog.helpers import Link, view_of

BOOKWORM = """PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
"""


def test_debian_through_symlink() -> None:
    view = view_of(
        {"usr/lib/os-release": BOOKWORM, "etc/os-release": Link("../usr/lib/os-release")}
    )
    assert detect_distro(view) == Distro(
        id="debian",
        version_id="12",
        codename="bookworm",
        name="Debian GNU/Linux",
        pretty_name="Debian GNU/Linux 12 (bookworm)",
    )


@pytest.mark.parametrize(
    ("os_release", "debian_version", "codename"),
    [
        ('ID=debian\nVERSION_ID="12"\nVERSION="12 (bookworm)"\n', "12.4", "bookworm"),
        ('ID=debian\nVERSION_ID="11"\n', "11.8", "bullseye"),
        ("ID=debian\n", "13.1", "trixie"),
        ('ID=debian\nVERSION_ID="10"\n', "", "buster"),
        ("ID=debian\n", "trixie/sid", "trixie"),
    ],
)
def test_debian_codename_derived(os_release: str, debian_version: str, codename: str) -> None:
    files = {"etc/os-release": os_release}
    if debian_version:
        files["etc/debian_version"] = debian_version + "\n"
    distro = detect_distro(view_of(files))
    assert distro is not None and distro.codename == codename


def test_distroless_is_debian_with_version_from_debian_version() -> None:
    text = 'PRETTY_NAME="Distroless"\nNAME="Debian GNU/Linux"\nID="debian"\nVERSION_ID="12"\n'
    distro = detect_distro(view_of({"etc/os-release": text, "etc/debian_version": "12.5"}))
    assert distro is not None
    assert (distro.id, distro.version_id, distro.codename) == ("debian", "12", "bookworm")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n'
            "VERSION_CODENAME=jammy\n",
            ("ubuntu", "22.04", "jammy", ("debian",)),
        ),
        (
            'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.23.6\n',
            ("alpine", "3.23.6", "", ()),
        ),
        (
            'NAME="Red Hat Enterprise Linux"\nID="rhel"\nID_LIKE="fedora"\nVERSION_ID="9.2"\n',
            ("rhel", "9.2", "", ("fedora",)),
        ),
        (
            'ID="rocky"\nID_LIKE="rhel centos fedora"\nVERSION_ID="9.3"\n',
            ("rocky", "9.3", "", ("rhel", "centos", "fedora")),
        ),
        ('ID="almalinux"\nVERSION_ID="8.9"\n', ("almalinux", "8.9", "", ())),
        ('ID="centos"\nVERSION_ID="7"\n', ("centos", "7", "", ())),
        ("ID=fedora\nVERSION_ID=39\n", ("fedora", "39", "", ())),
        ('ID="amzn"\nVERSION_ID="2023"\n', ("amzn", "2023", "", ())),
        ('ID="sles"\nVERSION_ID="15.5"\n', ("sles", "15.5", "", ())),
        (
            'ID="opensuse-leap"\nID_LIKE="suse opensuse"\nVERSION_ID="15.5"\n',
            ("opensuse-leap", "15.5", "", ("suse", "opensuse")),
        ),
        ('ID=wolfi\nNAME="Wolfi"\nVERSION_ID=20230201\n', ("wolfi", "20230201", "", ())),
        ('ID=chainguard\nNAME="Chainguard"\n', ("chainguard", "", "", ())),
    ],
)
def test_os_release_ids(text: str, expected: tuple[str, str, str, tuple[str, ...]]) -> None:
    distro = detect_distro(view_of({"usr/lib/os-release": text}))
    assert distro is not None
    assert (distro.id, distro.version_id, distro.codename, distro.id_like) == expected


def test_usr_lib_os_release_used_when_etc_missing() -> None:
    distro = detect_distro(view_of({"usr/lib/os-release": "ID=fedora\nVERSION_ID=40\n"}))
    assert distro is not None and distro.id == "fedora"


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("etc/alpine-release", "3.19.1\n", ("alpine", "3.19.1")),
        ("etc/debian_version", "11.8\n", ("debian", "11")),
        ("etc/redhat-release", "Red Hat Enterprise Linux release 8.9 (Ootpa)\n", ("rhel", "8.9")),
        ("etc/redhat-release", "CentOS Linux release 7.9.2009 (Core)\n", ("centos", "7.9.2009")),
        ("etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)\n", ("rocky", "9.3")),
        ("etc/system-release", "Amazon Linux release 2 (Karoo)\n", ("amzn", "2")),
    ],
)
def test_fallback_release_files(path: str, text: str, expected: tuple[str, str]) -> None:
    distro = detect_distro(view_of({path: text}))
    assert distro is not None and (distro.id, distro.version_id) == expected


def test_debian_version_fallback_has_codename() -> None:
    distro = detect_distro(view_of({"etc/debian_version": "12.15\n"}))
    assert distro is not None and distro.codename == "bookworm"


def test_nothing_found() -> None:
    assert detect_distro(view_of({"etc/hostname": "x"})) is None
    assert detect_distro(view_of({"etc/os-release": "NAME=nothing\n"})) is None
    assert distro_from_release_file("") is None
    assert distro_from_release_file("Slackware 15.0") is None


def test_os_release_quoting_and_garbage() -> None:
    fields = parse_os_release(
        b'# comment\nNAME=\'It\'\'s\'\nPRETTY_NAME="A \\"quoted\\" name"\nBROKEN="open\n'
        b"no equals here\nlower=case\n\xff\xfe=1\n"
    )
    assert fields["NAME"] == "Its"
    assert fields["PRETTY_NAME"] == 'A "quoted" name'
    assert fields["BROKEN"] == "open"
    assert "lower" not in fields


def test_globs_cover_every_read() -> None:
    for path in (
        "etc/os-release",
        "usr/lib/os-release",
        "etc/alpine-release",
        "etc/debian_version",
        "etc/redhat-release",
        "etc/system-release",
    ):
        assert any(matches(path, glob) for glob in DISTRO_GLOBS)
