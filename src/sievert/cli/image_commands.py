"""`sievert sbom`, `sievert inspect` and `sievert cache`: commands over an image's inventory."""

from __future__ import annotations

from pathlib import Path

import click

from sievert import dirs
from sievert.cli.main import cli
from sievert.cli.options import (
    cache_dir_option,
    format_option,
    image_options,
    inventory_options,
    output_option,
)
from sievert.cli.output import output_stream
from sievert.report.plugins import writer_for, writer_names

SBOM_FORMATS = list(writer_names())


@cli.command()
@click.argument("target")
@format_option(SBOM_FORMATS)
@output_option
@image_options
def sbom(
    target: str,
    fmt: str,
    output: Path | None,
    platform: str,
    insecure_registry: bool,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
    pkg_types: str,
) -> None:
    """List every package in TARGET (image, archive, layout, registry ref or directory)."""
    from sievert.pipeline import take_inventory  # loaded when the command runs, not for --help

    options = inventory_options(platform, insecure_registry, cache_dir, no_cache, quiet, pkg_types)
    inventory = take_inventory(target, options)
    writer = writer_for(fmt)
    with output_stream(output) as out:
        writer.write(inventory, out)


@cli.command()
@click.argument("target")
@format_option(["table", "json"])
@output_option
@image_options
def inspect(
    target: str,
    fmt: str,
    output: Path | None,
    platform: str,
    insecure_registry: bool,
    cache_dir: Path | None,
    no_cache: bool,
    quiet: bool,
    pkg_types: str,
) -> None:
    """Show TARGET's layers (digest, size, created_by) and the packages each introduced."""
    from sievert.pipeline import take_inventory
    from sievert.report.sbom.layers import write_layers_json
    from sievert.report.sbom.table import write_layers

    options = inventory_options(platform, insecure_registry, cache_dir, no_cache, quiet, pkg_types)
    inventory = take_inventory(target, options)
    with output_stream(output) as out:
        (write_layers_json if fmt == "json" else write_layers)(inventory, out)


@cli.group()
def cache() -> None:
    """Manage the layer analysis cache."""


@cache.command("clean")
@cache_dir_option
def cache_clean(cache_dir: Path | None) -> None:
    """Remove every cached layer analysis."""
    from sievert.source.cache import LayerCache

    removed = LayerCache(cache_dir or dirs.cache_dir()).clear()
    click.echo(f"removed {removed} cached layer(s)")


@cache.command("info")
@cache_dir_option
def cache_info(cache_dir: Path | None) -> None:
    """Where the cache is, how many layers it holds and its size."""
    from sievert.source.cache import LayerCache

    layer_cache = LayerCache(cache_dir or dirs.cache_dir())
    count, size = layer_cache.stats()
    click.echo(f"{layer_cache.path}: {count} layer(s), {size} bytes")
