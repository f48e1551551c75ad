"""Start-up cost: `--version` and `sbom --help` must not load the pipeline, writers or service."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from sievert.cli.main import COMMAND_MODULES, COMMAND_SUMMARIES, cli

# Modules that only a running command needs; none may load just to print help or the version.
HEAVY = (
    "rich",
    "httpx",
    "jinja2",
    "univers",
    "license_expression",
    "cvss",
    "fastapi",
    "sqlalchemy",
    "uvicorn",
    "asyncssh",
    "yaml",
    "sievert.pipeline",
    "sievert.catalog",
    "sievert.source.tarwalk",
    "sievert.match",
    "sievert.vulndb",
    "sievert.service",
    "sievert.runtime",
    "sievert.host",
    "sievert.report.sbom",
    "sievert.report.scan",
    "sievert.model.finding",
    "sievert.model.vuln",
    "sievert.checks",
    "sievert.policy",
    "orjson",
    "msgspec",  # ~7 ms to import: the records' classes load with the stages that use them
    "traceback",  # --debug only
)

PROBE = """
import json, sys
from sievert.cli.main import cli
if len(sys.argv) > 1:
    try:
        cli.main(args=sys.argv[1:], prog_name="sievert", standalone_mode=False)
    except SystemExit:
        pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def loaded_modules(*args: str) -> set[str]:
    """The names in sys.modules after running `sievert ARGS` in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, check=True
    )
    return set(json.loads(proc.stderr.strip().splitlines()[-1]))


def heavy_in(modules: set[str]) -> list[str]:
    """The HEAVY packages (or their submodules) present in `modules`."""
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("--version",),
        ("--help",),
        ("sbom", "--help"),
        ("scan", "--help"),
        ("inspect", "--help"),
        ("cache", "--help"),
    ],
    ids=["import", "version", "help", "sbom-help", "scan-help", "inspect-help", "cache-help"],
)
def test_start_up_loads_no_heavy_module(args: tuple[str, ...]) -> None:
    """Printing help or the version imports click and the CLI shell only."""
    modules = loaded_modules(*args)
    assert heavy_in(modules) == []


def test_probe_sees_the_pipeline_when_a_command_runs(tmp_path: Path) -> None:
    """The probe is real: running `cache info` does load the layer cache (not a vacuous check)."""
    modules = loaded_modules("cache", "info", "--cache-dir", str(tmp_path))
    assert "sievert.source.cache" in modules
    assert heavy_in({"rich.console", "sievert.pipeline.inventory", "click"}) == [
        "rich.console",
        "sievert.pipeline.inventory",
    ]


def test_summaries_match_the_commands_docstrings() -> None:
    """COMMAND_SUMMARIES is the first paragraph of each real command's help, word for word."""
    ctx = click.Context(cli)
    for name, summary in COMMAND_SUMMARIES.items():
        command = cli.get_command(ctx, name)
        assert command is not None, name
        assert (command.help or "").split("\n\n")[0].strip() == summary, name
    assert set(COMMAND_SUMMARIES) == set(COMMAND_MODULES)


def test_top_level_help_is_the_same_lazy_and_loaded() -> None:
    """`sievert --help` before any command module is loaded equals the fully loaded one."""
    probe = (
        "import importlib, sys\n"
        "from click.testing import CliRunner\n"
        "from sievert.cli.main import cli, COMMAND_MODULES\n"
        "lazy = CliRunner().invoke(cli, ['--help'], terminal_width=100).output\n"
        "for module in set(COMMAND_MODULES.values()): importlib.import_module(module)\n"
        "loaded = CliRunner().invoke(cli, ['--help'], terminal_width=100).output\n"
        "assert 'sbom' in lazy and 'worker' in lazy, lazy\n"
        "sys.exit(0 if lazy == loaded else f'lazy:\\n{lazy}\\nloaded:\\n{loaded}')\n"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# What a rescan of analysed layers must not load: the catalogers (the stored analysis answers),
# the stages and libraries the chosen output and scanners do not use.
NOT_ON_THE_WARM_PATH = (
    "rich",
    "httpx",
    "jinja2",
    "yaml",
    "fastapi",
    "sqlalchemy",
    "importlib.metadata",
    "sievert.catalog.plugins",
    "sievert.catalog.dpkg",
    "sievert.catalog.lang",
    "sievert.catalog.binary",
    "sievert.pipeline.advice",
    "sievert.pipeline.gate.policy",
    "sievert.policy",
    "sievert.checks",
    "sievert.service",
    "sievert.vulndb.fetch",
    "sievert.vulndb.feeds",
    "sievert.vulndb.plugins",
    "cvss",
    "sievert.report.scan.table",
    "sievert.report.sbom.table",
    # opening an image reads its manifest and config: no layer-walking code
    "sievert.source.tarwalk",
    "sievert.source.layerindex",
    "sievert.source.capture",
    "sievert.source.view",
    "sievert.source.rootfs",
    "isal",
    "concurrent.futures",
    # a scan without checks, policy or advice builds none of their records
    "sievert.model.checks",
    "sievert.model.policy",
    "sievert.model.advice",
    # version orderings load per ecosystem met (the fixture image holds Debian packages)
    "sievert.versions.apk",
    "sievert.versions.rpm",
    "sievert.versions.maven",
    "sievert.versions.rubygems",
    "sievert.versions.composer",
    "sievert.versions.nuget",
)


def not_wanted(modules: set[str]) -> list[str]:
    """The NOT_ON_THE_WARM_PATH modules (or their submodules) present in `modules`."""
    return sorted(
        m for m in modules if any(m == h or m.startswith(h + ".") for h in NOT_ON_THE_WARM_PATH)
    )


@pytest.fixture
def analysed_image(tmp_path: Path) -> tuple[str, Path]:
    """A small three-layer image whose layers and analysis are in a fresh cache."""
    from tests.imagebuilder import write_oci_layout
    from tests.test_pipeline import three_layer_image

    layout = write_oci_layout(tmp_path / "layout", {"t": three_layer_image()})
    target, cache = f"oci-dir:{layout}:t", tmp_path / "cache"
    cold = loaded_modules("sbom", target, "-q", "-f", "json", "--cache-dir", str(cache))
    assert "sievert.catalog.plugins" in cold  # the first run does analyse the layers
    return target, cache


def test_a_warm_sbom_loads_only_what_json_output_needs(analysed_image: tuple[str, Path]) -> None:
    target, cache = analysed_image
    warm = loaded_modules("sbom", target, "-q", "-f", "json", "--cache-dir", str(cache))
    assert "sievert.report.sbom.native" in warm
    assert not_wanted(warm) == []
    assert {"sievert.model.finding", "sievert.match", "sievert.vulndb"}.isdisjoint(warm)


def test_a_warm_vulnerability_scan_loads_no_cataloger(
    analysed_image: tuple[str, Path], mirror_dir: Path, tmp_path: Path
) -> None:
    target, cache = analysed_image
    db = tmp_path / "vuln.db"
    update = ["db", "update", "--mirror", str(mirror_dir), "--db", str(db), "-q"]
    proc = subprocess.run(
        [sys.executable, "-m", "sievert", *update], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    warm = loaded_modules(
        "scan", target, "-q", "-f", "json", "--cache-dir", str(cache), "--db", str(db)
    )
    assert {"sievert.match.engine", "sievert.report.scan.native"} <= warm
    assert not_wanted(warm) == []


ENTRY_PROBE = """
import gc, json, sys
seen = []
def hook(event, args):
    if event == "import" and args[0] == "click" and not seen:
        seen.append(gc.get_threshold())
sys.addaudithook(hook)
sys.argv = ["sievert", "--version"]
from sievert.cli.console import GC_THRESHOLD, run
try:
    run()
except SystemExit:
    pass
print(json.dumps([list(seen[0]), list(GC_THRESHOLD), gc.get_freeze_count()]), file=sys.stderr)
"""


def test_the_process_entry_tunes_the_collector_before_click_and_freezes_at_the_end() -> None:
    """`sievert` (console script and `-m`) sets the CLI's collector thresholds before click
    loads, and freezes what is alive when the command ends (no last full collection)."""
    proc = subprocess.run(
        [sys.executable, "-c", ENTRY_PROBE], capture_output=True, text=True, check=True
    )
    at_click, wanted, frozen = json.loads(proc.stderr.strip().splitlines()[-1])
    assert at_click == wanted
    assert frozen > 1000
    assert "sievert, version" in proc.stdout


# What a first (cold) analysis of a docker-archive must still not load: the layers are hashed
# on plain threads, uncompressed layers need no decompressor, traceback is for --debug only.
NOT_ON_THE_COLD_PATH = (
    "concurrent.futures",
    "logging",
    "traceback",
    "isal",
    "sievert.source.decode",
    "sievert.match",
    "rich",
    # an image without an rpmdb reads none: the rpm cataloger loads its readers on one
    "sievert.catalog.rpmheader",
    "sievert.catalog.rpmdb_bdb",
    "sievert.catalog.rpmdb_ndb",
    "sievert.catalog.rpmdb_sqlite",
)


def cold_sbom(target: str, cache: Path) -> set[str]:
    """The modules a first `sbom` of the target loads (its layers are walked: checked)."""
    cold = loaded_modules("sbom", target, "-q", "-f", "json", "--cache-dir", str(cache))
    assert {"sievert.catalog.plugins", "sievert.source.layerindex"} <= cold
    return cold


def loaded_of(modules: set[str], names: tuple[str, ...]) -> list[str]:
    """The `names` (or their submodules) present in `modules`."""
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_a_cold_docker_archive_sbom_loads_no_executor_or_logging(tmp_path: Path) -> None:
    from tests.imagebuilder import write_docker_archive
    from tests.test_pipeline import three_layer_image

    archive = write_docker_archive(tmp_path / "image.tar", three_layer_image())
    cold = cold_sbom(f"docker-archive:{archive}", tmp_path / "c")
    assert loaded_of(cold, NOT_ON_THE_COLD_PATH) == []


def test_a_one_layer_archive_loads_no_fork_machinery_and_a_layout_no_tarfile(
    tmp_path: Path,
) -> None:
    """Walking one uncompressed layer forks nothing (the parallel walk does not load), an image
    without Python packages parses no CSV, an OCI layout directory is read without `tarfile`."""
    from tests.imagebuilder import Image, write_docker_archive, write_oci_layout
    from tests.test_pipeline import OS_RELEASE

    image = Image([[OS_RELEASE]])
    archive = write_docker_archive(tmp_path / "image.tar", image)
    one_layer = cold_sbom(f"docker-archive:{archive}", tmp_path / "c1")
    assert loaded_of(one_layer, ("sievert.source.parallel", "csv")) == []  # csv: Python RECORDs
    layout = write_oci_layout(tmp_path / "layout", {"t": image})
    assert "tarfile" not in cold_sbom(f"oci-dir:{layout}:t", tmp_path / "c2")
