"""`bench/floor.py` lists the libraries a command imports, none of Sievert's, and its floor
command imports them (no figure is asserted: speed is measured in `make bench`)."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("bench_floor", REPO / "bench" / "floor.py")
assert _SPEC is not None and _SPEC.loader is not None
floor = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(floor)


def test_the_floor_imports_the_libraries_of_a_scan_and_no_sievert_module(tmp_path: Path) -> None:
    from tests.imagebuilder import write_oci_layout
    from tests.test_pipeline import three_layer_image

    layout = write_oci_layout(tmp_path / "layout", {"t": three_layer_image()})
    argv = ["sbom", f"oci-dir:{layout}:t", "-q", "-f", "json", "--cache-dir", str(tmp_path / "c")]
    names = floor.library_modules(argv)
    assert {"click", "msgspec", "sqlite3", "hashlib"} <= set(names)
    assert not [n for n in names if n.split(".")[0] in ("sievert", "__main__")]
    probe = (
        "print(sorted(m for m in sys.modules if m.startswith('sievert')),"
        " {'click', 'msgspec'} <= set(sys.modules))"
    )
    command = floor.floor_command(argv)
    script = command[2].replace("gc.freeze()", f"gc.freeze()\n{probe}")
    proc = subprocess.run(
        [*command[:2], script, *command[3:]], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[] True"


def test_a_failing_command_lists_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    assert floor.library_modules(["sbom", "nowhere:at-all"]) == []
    assert "no modules listed" in capsys.readouterr().out
