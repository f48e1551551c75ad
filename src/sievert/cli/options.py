"""The options every command shares, defined once so they mean the same everywhere.

`-f/--format`, `-o/--output`, `-q/--quiet`, `--db` and `--cache-dir` (see the README's
"Options every command shares"), plus the options of the commands that read an image.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from sievert.cli.output import output_option
from sievert.errors import UsageError
from sievert.terminal import one_line

if TYPE_CHECKING:  # the pipeline loads when a command runs, not for --help
    from sievert.model import LayerInfo
    from sievert.pipeline import InventoryOptions
    from sievert.source.base import SourceOptions

F = Callable[..., Any]

__all__ = [
    "cache_dir_option",
    "db_option",
    "format_option",
    "image_options",
    "inventory_options",
    "output_option",
    "quiet_option",
    "source_options",
]


def format_option(choices: Sequence[str], default: str = "table") -> Callable[[F], F]:
    """`-f/--format`: the output format, one of `choices`."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format.",
    )


quiet_option = click.option(
    "-q", "--quiet", is_flag=True, help="No progress, notes or warnings on stderr (errors stay)."
)
"""`-q/--quiet`: stderr carries errors only."""

db_option = click.option(
    "--db",
    "db_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Vulnerability database file (default: $SIEVERT_DB_DIR/vuln.db, else "
    "$XDG_DATA_HOME/sievert/vuln.db).",
)
"""`--db FILE`: the vulnerability database."""

cache_dir_option = click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Layer cache directory (default: $SIEVERT_CACHE_DIR, else $XDG_CACHE_HOME/sievert).",
)
"""`--cache-dir DIR`: the layer cache."""

platform_option = click.option(
    "--platform",
    default="linux/amd64",
    show_default=True,
    help="os/arch[/variant] to pick from a multi-platform image.",
)
insecure_registry_option = click.option(
    "--insecure-registry",
    is_flag=True,
    help="Allow plain HTTP and unverified TLS for the registry.",
)


def image_options(func: F) -> F:
    """Attach the options of commands that read an image: --platform, --insecure-registry,
    --cache-dir, --no-cache, -q and --pkg-types."""
    decorators = [
        platform_option,
        insecure_registry_option,
        cache_dir_option,
        click.option("--no-cache", is_flag=True, help="Neither read nor write the layer cache."),
        quiet_option,
        click.option(
            "--pkg-types",
            default="os,library",
            show_default=True,
            help="Package groups to list: os (dpkg, apk, rpm), library (languages, "
            "binaries), or both.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def source_options(platform: str = "linux/amd64", insecure_registry: bool = False) -> SourceOptions:
    """How to open a target: platform, registry switches and credentials from the environment."""
    from sievert.model import Platform
    from sievert.source.base import SourceOptions

    try:
        plat = Platform.parse(platform)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return SourceOptions(
        platform=plat,
        insecure_registry=insecure_registry,
        username=os.environ.get("SIEVERT_REGISTRY_USERNAME", ""),
        password=os.environ.get("SIEVERT_REGISTRY_PASSWORD", ""),
    )


def inventory_options(
    platform: str,
    insecure_registry: bool,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
    pkg_types: str = "os,library",
) -> InventoryOptions:
    """Turn the shared CLI options into pipeline options."""
    from sievert.limits import LAYER_SIZE  # a record: help and --version load no msgspec
    from sievert.pipeline import InventoryOptions

    return InventoryOptions(
        source=source_options(platform, insecure_registry),
        cache_dir=cache_dir,
        use_cache=not no_cache,
        progress=None if quiet else layer_progress(),
        pkg_types=parse_pkg_types(pkg_types),
        max_layer_size=LAYER_SIZE.value(),
        walk_processes=walk_processes(),
    )


def walk_processes() -> int:
    """1 (every walk in this process) unless SIEVERT_WALK_PROCESSES=2 asks for a forked child
    walking a share of a docker-archive's layers, on a machine with 2 or more cores. Opt-in:
    on an idle 2-core machine it gave no gain on the apps image (1.13x trivy either way) for
    about 30 MiB more peak memory; the layer hashing and decoding threads already use the
    second core."""
    cores = os.cpu_count() or 1
    wanted = os.environ.get("SIEVERT_WALK_PROCESSES", "").strip()
    if wanted != "2":
        return 1
    return 2 if cores >= 2 and hasattr(os, "fork") else 1


def parse_pkg_types(text: str) -> tuple[str, ...]:
    """'os,library' -> ('os', 'library'); UsageError naming the valid groups otherwise."""
    from sievert.catalog.ownership import PKG_TYPE_GROUPS

    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in PKG_TYPE_GROUPS]
    if unknown or not kinds:
        raise UsageError(f"unknown --pkg-types {text!r}; valid: os, library")
    return kinds


def layer_progress() -> Callable[[LayerInfo, str], None]:
    """Per-layer progress lines on stderr."""
    from rich.console import Console  # only when progress is shown

    console = Console(stderr=True, highlight=False)

    def report(layer: LayerInfo, status: str) -> None:
        if status == "reading":
            return
        digest = layer.digest.split(":")[-1][:12]
        line = one_line(f"layer {layer.index + 1} {digest} {status}")
        console.print(line, style="dim", markup=False)

    return report
