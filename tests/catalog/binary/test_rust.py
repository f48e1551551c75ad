"""cargo-auditable `.dep-v0` sections and Cargo.lock."""

from __future__ import annotations

import json
import shutil
import subprocess
import zlib
from pathlib import Path

import pytest

from sievert.catalog.binary.rust import (
    MAX_JSON,
    AuditDataError,
    CargoLockCataloger,
    RustAuditCataloger,
    read_audit_data,
    reduce_audit,
    reduce_audit_at,
)
from tests.catalog.binary.builders import Counting, scan_dir, tiny_elf, write_tree

AUDIT = {
    "packages": [
        {
            "name": "myapp",
            "version": "0.1.0",
            "source": "local",
            "dependencies": [1, 2],
            "root": True,
        },
        {"name": "serde", "version": "1.0.188", "source": "crates.io"},
        {"name": "cc", "version": "1.0.83", "source": "crates.io", "kind": "build"},
        {"name": "", "version": "1"},
        "junk",
    ]
}


def _section(value: object) -> bytes:
    return zlib.compress(json.dumps(value).encode())


def test_the_section_alone_is_read_from_a_large_executable() -> None:
    """A 3 MB executable: header, section table and `.dep-v0` read, the same crates found."""
    exe = tiny_elf(b"\x90" * 3_000_000, {".text": b"\x90", ".dep-v0": _section(AUDIT)})
    file = Counting(exe)
    assert reduce_audit_at("usr/bin/app", file) == reduce_audit("usr/bin/app", exe)
    assert len(file.reads) == 3 and sum(file.reads) < 16 * 1024
    plain = Counting(tiny_elf(b"\x90" * 3_000_000, {".text": b"\x90"}))
    assert reduce_audit_at("usr/bin/plain", plain) is None and sum(plain.reads) < 8 * 1024


def test_dep_v0_section_in_an_elf(tmp_path: Path) -> None:
    exe = tiny_elf(b"", {".text": b"\x90" * 16, ".dep-v0": _section(AUDIT)})
    result, walk = scan_dir(
        write_tree(tmp_path, {"usr/local/bin/myapp": (exe, 0o755)}), [RustAuditCataloger()]
    )
    assert walk == [] and result.notices == ()
    pkgs = {p.name: p for p in result.packages}
    assert {p.purl for p in result.packages} == {
        "pkg:cargo/myapp@0.1.0",
        "pkg:cargo/serde@1.0.188",
        "pkg:cargo/cc@1.0.83",
    }
    assert pkgs["cc"].meta("kind") == "build"
    assert pkgs["myapp"].meta("root") == "true"
    assert pkgs["serde"].meta("source") == "crates.io"
    assert all(p.type == "cargo" and p.cataloger == "rust-cargo-auditable" for p in pkgs.values())
    assert pkgs["serde"].locations[0].path == "/usr/local/bin/myapp"


def test_binaries_without_the_section_are_ignored() -> None:
    assert read_audit_data(tiny_elf(b"x", {".text": b"\x90"})) is None
    assert read_audit_data(b"#!/bin/sh\n.dep-v0") is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not zlib", "not zlib"),
        (zlib.compress(b"{}")[:-6], "truncated"),
        (zlib.compress(b"[1, 2]"), "no package list"),
        (zlib.compress(b"{bad json"), "not JSON"),
        (zlib.compress(b" " * (MAX_JSON + 10)), "inflates past"),
    ],
)
def test_malformed_sections_give_notices(tmp_path: Path, content: bytes, message: str) -> None:
    exe = tiny_elf(b"", {".dep-v0": content})
    with pytest.raises(AuditDataError, match=message):
        read_audit_data(exe)
    result, _ = scan_dir(write_tree(tmp_path, {"bin/app": (exe, 0o755)}), [RustAuditCataloger()])
    assert result.packages == ()
    assert [n.where for n in result.notices] == ["/bin/app"]


def test_corrupt_section_table_gives_a_notice(tmp_path: Path) -> None:
    exe = bytearray(tiny_elf(b"", {".dep-v0": _section(AUDIT)}))
    exe[0x28:0x30] = (len(exe) + 4096).to_bytes(8, "little")  # e_shoff past the end
    result, _ = scan_dir(
        write_tree(tmp_path, {"bin/app": (bytes(exe), 0o755)}), [RustAuditCataloger()]
    )
    assert result.packages == ()
    assert len(result.notices) == 1 and "malformed elf" in result.notices[0].message


def test_section_outside_the_file(tmp_path: Path) -> None:
    exe = bytearray(tiny_elf(b"", {".dep-v0": _section(AUDIT)}))
    shoff = int.from_bytes(exe[0x28:0x30], "little")
    exe[shoff + 64 + 24 : shoff + 64 + 32] = (10**9).to_bytes(8, "little")  # sh_offset
    with pytest.raises(AuditDataError, match="outside the file"):
        read_audit_data(bytes(exe))


@pytest.mark.slow
def test_real_format_added_with_objcopy(tmp_path: Path) -> None:
    if shutil.which("gcc") is None or shutil.which("objcopy") is None:
        pytest.skip("gcc and objcopy (apt gcc, binutils) are needed")
    (tmp_path / "main.c").write_text("int main(void) { return 0; }\n")
    (tmp_path / "audit.zlib").write_bytes(_section(AUDIT))
    subprocess.run(["gcc", "-o", "plain", "main.c"], cwd=tmp_path, check=True)
    subprocess.run(
        ["objcopy", "--add-section", ".dep-v0=audit.zlib", "plain", "app"], cwd=tmp_path, check=True
    )
    root = tmp_path / "root"
    write_tree(root, {"usr/bin/app": ((tmp_path / "app").read_bytes(), 0o755)})
    result, _ = scan_dir(root, [RustAuditCataloger()])
    assert {p.name for p in result.packages} == {"myapp", "serde", "cc"}


CARGO_LOCK = b"""# This file is automatically @generated by Cargo.
version = 3

[[package]]
name = "myapp"
version = "0.1.0"
dependencies = ["serde"]

[[package]]
name = "serde"
version = "1.0.188"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "cf9e0fcba69a370eed61bcf2b728575f726b50b55cba78064753d708ddc7549e"
"""


def test_cargo_lock(tmp_path: Path) -> None:
    files = {"proj/Cargo.lock": CARGO_LOCK, "bad/Cargo.lock": b"[[package]\nname="}
    result, _ = scan_dir(write_tree(tmp_path, files), [CargoLockCataloger()])
    pkgs = {p.name: p for p in result.packages}
    assert {p.purl for p in pkgs.values()} == {"pkg:cargo/myapp@0.1.0", "pkg:cargo/serde@1.0.188"}
    assert pkgs["serde"].meta("checksum").startswith("cf9e0fcb")
    assert [n.where for n in result.notices] == ["/bad/Cargo.lock"]
    assert CargoLockCataloger.scopes == ("directory",)
