"""Human-readable tables: the package table (`--format table`) and the layers view of `inspect`."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Iterable
from typing import TextIO

import msgspec
from rich import box
from rich.console import Console, ConsoleOptions, RenderableType
from rich.filesize import decimal
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from sievert.model import ImageMetadata, Inventory, Package
from sievert.report.common import layer_by_index, ordered_packages, short_digest
from sievert.terminal import escape

DEFAULT_WIDTH = 160
"""Width used when the output is not a terminal (a terminal uses its own width)."""


def console_for(out: TextIO, width: int | None = None) -> Console:
    """A rich console on `out`: colour only on a terminal, fixed width elsewhere."""
    terminal = out.isatty()
    return SafeConsole(
        file=out,
        width=width or (None if terminal else DEFAULT_WIDTH),
        no_color=not terminal,
        force_terminal=terminal,
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
    )


def emit(out: TextIO, renderables: list[RenderableType], width: int | None = None) -> None:
    """Print renderables to `out`; off a terminal, without rich's trailing padding.

    Control characters in the text (an image's package names, `created_by` lines...) are
    printed as escapes (`\\x1b`), so no input can send terminal sequences.
    """
    if out.isatty():
        console = console_for(out, width)
        for item in renderables:
            console.print(item)
        return
    buffer = io.StringIO()
    console = console_for(buffer, width)
    for item in renderables:
        console.print(item)
    out.writelines(line.rstrip() + "\n" for line in buffer.getvalue().splitlines())


class SafeConsole(Console):
    """A rich console that prints control characters in text as escapes (`\\x1b`)."""

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        """Rich's segments, their text escaped (styling stays rich's own)."""
        for seg in super().render(renderable, options):
            if seg.control:
                yield seg
            else:
                yield Segment(escape(seg.text, keep_lines=True), seg.style)


def header_lines(inventory: Inventory) -> list[str]:
    """The header: image, digest, platform, distro, layer and package counts."""
    image = inventory.image
    lines = [f"Image:    {image.reference}"]
    if image.manifest_digest:
        lines.append(f"Digest:   {image.manifest_digest}")
    lines.append(f"Platform: {image.platform}")
    lines.append(f"Distro:   {distro_label(inventory)}")
    lines.append(f"Layers:   {len(image.layers)}")
    lines.append(f"Packages: {len(ordered_packages(inventory))}")
    return lines


def header_renderables(inventory: Inventory) -> list[RenderableType]:
    """The header lines as rich Text, then a blank line."""
    return [*(Text(line) for line in header_lines(inventory)), Text("")]


def distro_label(inventory: Inventory) -> str:
    """The distro's pretty name, or id and version, or 'unknown'."""
    distro = inventory.distro
    if distro is None:
        return "unknown"
    return distro.pretty_name or f"{distro.id} {distro.version_id}".strip()


def layer_label(image: ImageMetadata, index: int) -> str:
    """`index short-digest` of a layer, `index` alone when unknown, '-' for no layer."""
    if index < 0:
        return "-"
    layer = layer_by_index(image, index)
    return f"{index} {short_digest(layer.digest)}" if layer is not None else str(index)


def location_label(package: Package) -> str:
    """The first location path, with `(+N)` when there are more."""
    if not package.locations:
        return ""
    extra = len(package.locations) - 1
    first = package.locations[0].path
    return f"{first} (+{extra})" if extra else first


def package_table(inventory: Inventory) -> Table:
    """The package table sorted by name, type, version."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("Name", "Version", "Type", "Layer", "Location"):
        table.add_column(column, overflow="fold")
    image = inventory.image
    rows = sorted(ordered_packages(inventory), key=lambda p: (p.name, p.type, p.version, p.arch))
    for p in rows:
        name = f"{p.name} ({p.arch})" if p.arch else p.name
        layer = layer_label(image, p.introduced_by)
        table.add_row(name, p.version, p.type, layer, location_label(p))
    return table


def notice_renderables(inventory: Inventory) -> list[RenderableType]:
    """The notices, one line each, after a blank line (nothing when there are none)."""
    lines: list[RenderableType] = [Text("")] if inventory.notices else []
    for notice in inventory.notices:
        where = f" ({notice.where})" if notice.where else ""
        lines.append(Text(f"{notice.level}: {notice.message}{where}"))
    return lines


class TableWriter(msgspec.Struct, frozen=True):
    """Writes the package table with an image header."""

    width: int | None = None
    name: str = "table"
    media_type: str = "text/plain"

    def write(self, inventory: Inventory, out: TextIO) -> None:
        """Write header, package table and notices."""
        body: RenderableType = (
            package_table(inventory) if inventory.packages else Text("No packages found.")
        )
        notices = notice_renderables(inventory)
        emit(out, [*header_renderables(inventory), body, *notices], self.width)


def introduced_by_layer(inventory: Inventory) -> dict[int, list[Package]]:
    """Packages grouped by the index of the layer that introduced them (-1: unknown)."""
    groups: dict[int, list[Package]] = defaultdict(list)
    for package in sorted(ordered_packages(inventory), key=lambda p: (p.name, p.version)):
        groups[package.introduced_by].append(package)
    return dict(groups)


def names_label(packages: list[Package], limit: int) -> str:
    """Distinct package names, at most `limit` of them, then `+N more`."""
    names = list(dict.fromkeys(p.name for p in packages))
    shown = ", ".join(names[:limit])
    return f"{shown}, +{len(names) - limit} more" if len(names) > limit else shown


def truncate(text: str, limit: int) -> str:
    """Collapse whitespace and cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def layers_table(inventory: Inventory, *, max_names: int = 5, max_command: int = 60) -> Table:
    """One row per layer: index, short digest, size, created_by, packages it introduced."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("#", "Digest", "Size", "Created by", "Pkgs", "Introduced"):
        right = column in ("#", "Size", "Pkgs")
        table.add_column(column, justify="right" if right else "left", overflow="fold")
    groups = introduced_by_layer(inventory)
    for layer in inventory.image.layers:
        introduced = groups.get(layer.index, [])
        table.add_row(
            str(layer.index),
            short_digest(layer.digest),
            decimal(layer.size),
            truncate(layer.created_by, max_command),
            str(len(introduced)),
            names_label(introduced, max_names),
        )
    return table


def write_layers(inventory: Inventory, out: TextIO, *, width: int | None = None) -> None:
    """The layers view of `sievert inspect`: header, then the layers table."""
    renderables = [*header_renderables(inventory), layers_table(inventory)]
    unknown = introduced_by_layer(inventory).get(-1, [])
    if unknown:
        renderables.append(Text(f"{len(unknown)} packages in no known layer"))
    emit(out, renderables, width)
