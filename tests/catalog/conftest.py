"""Real rpm databases built with Debian's rpm tools (skipped where they are missing)."""

from __future__ import annotations

import shutil
import sqlite3
import struct
import subprocess
from pathlib import Path

import pytest

SPEC = """Name: {name}
Version: {version}
Release: {release}
{epoch}
Summary: sievert test package
License: {license}
Vendor: Sievert Tests
BuildArch: noarch
%description
A tiny package for catalog tests.
%install
mkdir -p %{{buildroot}}/usr/bin %{{buildroot}}/etc/{name}
echo hi > %{{buildroot}}/usr/bin/{name}
echo x > %{{buildroot}}/etc/{name}/{name}.conf
%files
/usr/bin/{name}
/etc/{name}/{name}.conf
"""

PACKAGES = (
    ("hello", "1.2", "3.el9", "Epoch: 1", "MIT and BSD", "perl:5.32:8090020230101:abc"),
    ("world", "0.9", "1.el9", "", "GPL-2.0-or-later", ""),
)


def _build_rpms(top: Path) -> list[Path]:
    """rpmbuild the test packages; returns the .rpm files."""
    rpms = []
    for name, version, release, epoch, license_, label in PACKAGES:
        spec = top / f"{name}.spec"
        spec.write_text(
            SPEC.format(name=name, version=version, release=release, epoch=epoch, license=license_)
        )
        defines = ["--define", f"_topdir {top}", "--define", "_build_id_links none"]
        if label:
            defines += ["--define", f"modularitylabel {label}"]
        subprocess.run(["rpmbuild", "-bb", *defines, str(spec)], check=True, capture_output=True)
        rpms.append(top / "RPMS" / "noarch" / f"{name}-{version}-{release}.noarch.rpm")
    return rpms


@pytest.fixture(scope="session")
def rpm_sqlite_db(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """An rpmdb.sqlite with the two test packages, written by rpm itself."""
    if shutil.which("rpm") is None or shutil.which("rpmbuild") is None:
        pytest.skip("rpm/rpmbuild not installed (apt-get install rpm)")
    top = tmp_path_factory.mktemp("rpmbuild")
    rpms = _build_rpms(top)
    dbpath = top / "db"
    dbpath.mkdir()
    base = ["rpm", "--dbpath", str(dbpath), "--define", "_db_backend sqlite"]
    subprocess.run([*base, "--initdb"], check=True, capture_output=True)
    install = [*base, "-i", "--justdb", "--nodeps", "--ignorearch", "--ignoreos", *map(str, rpms)]
    subprocess.run(install, check=True, capture_output=True)
    return (dbpath / "rpmdb.sqlite").read_bytes()


@pytest.fixture(scope="session")
def rpm_blobs(rpm_sqlite_db: bytes, tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """The header blobs rpm wrote, read back with the sqlite3 module (the oracle)."""
    path = tmp_path_factory.mktemp("blobs") / "rpmdb.sqlite"
    path.write_bytes(rpm_sqlite_db)
    with sqlite3.connect(path) as connection:
        return [bytes(row[0]) for row in connection.execute("SELECT blob FROM Packages")]


def db_load_hash(path: Path, records: list[tuple[bytes, bytes]], params: dict[str, int]) -> bytes:
    """A BerkeleyDB hash file written by db_load from (key, value) pairs."""
    if shutil.which("db_load") is None:
        pytest.skip("db_load not installed (apt-get install db-util)")
    lines = ["VERSION=3", "format=bytevalue", "type=hash"]
    lines += [f"{key}={value}" for key, value in params.items()]
    lines.append("HEADER=END")
    for key, value in records:
        lines += [" " + key.hex(), " " + value.hex()]
    lines.append("DATA=END")
    subprocess.run(
        ["db_load", str(path)],
        input="\n".join(lines) + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    return path.read_bytes()


def rpm_bdb_records(blobs: list[bytes]) -> list[tuple[bytes, bytes]]:
    """Records as rpm keeps them in Packages: key 0 = next instance, then numbered headers."""
    records = [(struct.pack("<I", 0), struct.pack("<I", len(blobs) + 1))]
    records += [(struct.pack("<I", i), blob) for i, blob in enumerate(blobs, 1)]
    return records
