"""Honest exit codes on every output: full devices, devices and FIFOs, symlinks, modes, stdout."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from tests.hostile.runner import assert_no_output, assert_one_line_error, run_bounded, unwritable


def sbom_args(layout: Path, out: str) -> tuple[str, ...]:
    return ("sbom", f"oci-dir:{layout}:t", "-q", "--no-cache", "-f", "json", "-o", out)


def test_full_device_is_an_error(layout: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    proc = run_bounded(*sbom_args(layout, "/dev/full"))
    assert_one_line_error(proc, 3, "/dev/full", "No space left on device")
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)  # written through, never replaced


def test_dev_null_is_written_through(layout: Path) -> None:
    proc = run_bounded(*sbom_args(layout, "/dev/null"))
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISCHR(Path("/dev/null").stat().st_mode)


def test_dash_is_stdout(layout: Path, tmp_path: Path) -> None:
    proc = run_bounded(*sbom_args(layout, "-"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.lstrip().startswith("{")
    assert not (tmp_path / "-").exists()


def test_fifo_is_written_through(layout: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    proc = run_bounded(*sbom_args(layout, str(fifo)))
    reader.join(timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert got and got[0].lstrip().startswith(b"{")
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_symlink_is_followed_to_its_target(layout: Path, tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    (tmp_path / "link.json").symlink_to("real.json")
    proc = run_bounded(*sbom_args(layout, str(tmp_path / "link.json")))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "link.json").is_symlink()
    assert target.read_text().lstrip().startswith("{")


@pytest.mark.parametrize("kind", ["dangling", "loop"])
def test_bad_symlinks_are_refused(kind: str, layout: Path, tmp_path: Path) -> None:
    link = tmp_path / "out.json"
    link.symlink_to("nowhere/x.json" if kind == "dangling" else "out.json")
    proc = run_bounded(*sbom_args(layout, str(link)))
    assert_one_line_error(proc, 3, "out.json")
    assert link.is_symlink() and not (tmp_path / "nowhere").exists()


def test_new_files_get_the_umask_mode(layout: Path, tmp_path: Path) -> None:
    previous = os.umask(0o027)
    try:
        proc = run_bounded(*sbom_args(layout, str(tmp_path / "out.json")))
    finally:
        os.umask(previous)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_IMODE((tmp_path / "out.json").stat().st_mode) == 0o640


def test_replaced_files_keep_their_mode(layout: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("old")
    out.chmod(0o604)
    assert run_bounded(*sbom_args(layout, str(out))).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o604


def test_failed_write_keeps_the_previous_file(layout: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    out.write_text("previous report\n")
    proc = run_bounded(*sbom_args(layout, str(out)), file_size=200)  # EFBIG past 200 bytes
    assert_one_line_error(proc, 3, str(out), "File too large")
    assert out.read_text() == "previous report\n"
    assert_no_output(tmp_path)


def test_unwritable_directory_is_named(layout: Path, tmp_path: Path) -> None:
    with unwritable(tmp_path / "ro") as directory:
        proc = run_bounded(*sbom_args(layout, str(directory / "out.json")))
        assert_one_line_error(proc, 3, str(directory), "cannot write to this directory")
        assert not list(directory.iterdir())


def test_directory_as_output_is_a_usage_error(layout: Path, tmp_path: Path) -> None:
    proc = run_bounded(*sbom_args(layout, str(tmp_path)))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_db_export_to_a_full_device(small_db: Path, tmp_path: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    proc = run_bounded("db", "export", "/dev/full", "--db", str(small_db))
    assert_one_line_error(proc, 3, "/dev/full", "No space left on device")
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)


def test_db_export_to_stdout_imports_back(small_db: Path, tmp_path: Path) -> None:
    exported = run_bounded("db", "export", "-", "--db", str(small_db), binary=True)
    assert exported.returncode == 0, exported.stderr
    (tmp_path / "db.zst").write_bytes(exported.stdout_bytes)
    imported = run_bounded("db", "import", str(tmp_path / "db.zst"), "--db", str(tmp_path / "v.db"))
    assert imported.returncode == 0, imported.stderr
    assert (tmp_path / "v.db").read_bytes() == small_db.read_bytes()
