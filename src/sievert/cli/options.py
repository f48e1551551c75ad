"""Options shared by the commands that read an image."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from sievert.catalog.plugins import PKG_TYPES
from sievert.errors import UsageError
from sievert.model import LayerInfo, Platform
from sievert.pipeline import InventoryOptions
from sievert.source.base import SourceOptions
from sievert.terminal import one_line

F = Callable[..., Any]


def image_options(func: F) -> F:
    """Attach --platform, --insecure-registry, --cache-dir, --no-cache and -q to a command."""
    decorators = [
        click.option(
            "--platform",
            default="linux/amd64",
            show_default=True,
            help="os/arch[/variant] to pick from a multi-platform image.",
        ),
        click.option(
            "--insecure-registry",
            is_flag=True,
            help="Allow plain HTTP and unverified TLS for the registry.",
        ),
        click.option(
            "--cache-dir",
            type=click.Path(path_type=Path),
            help="Layer cache directory (default: $SIEVERT_CACHE_DIR or XDG cache).",
        ),
        click.option("--no-cache", is_flag=True, help="Neither read nor write the layer cache."),
        click.option("-q", "--quiet", is_flag=True, help="No progress on stderr."),
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


def inventory_options(
    platform: str,
    insecure_registry: bool,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
    pkg_types: str = "os,library",
) -> InventoryOptions:
    """Turn the shared CLI options into pipeline options."""
    try:
        plat = Platform.parse(platform)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    return InventoryOptions(
        source=SourceOptions(
            platform=plat,
            insecure_registry=insecure_registry,
            username=os.environ.get("SIEVERT_REGISTRY_USERNAME", ""),
            password=os.environ.get("SIEVERT_REGISTRY_PASSWORD", ""),
        ),
        cache_dir=cache_dir,
        use_cache=not no_cache,
        progress=None if quiet else layer_progress(),
        pkg_types=parse_pkg_types(pkg_types),
        max_layer_size=_env_int("SIEVERT_MAX_LAYER_SIZE", 64 * 1024**3),
    )


def _env_int(name: str, default: int) -> int:
    """A positive integer from the environment, or UsageError naming the variable."""
    text = os.environ.get(name, "")
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise UsageError(f"${name} must be a positive number of bytes, not {text!r}")
    return int(text)


def parse_pkg_types(text: str) -> tuple[str, ...]:
    """'os,library' -> ('os', 'library'); UsageError naming the valid groups otherwise."""
    kinds = tuple(k.strip() for k in text.split(",") if k.strip())
    unknown = [k for k in kinds if k not in PKG_TYPES]
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
