"""Where command output goes: stdout, or a file written safely (see `sievert.files`)."""

from __future__ import annotations

from pathlib import Path

import click

from sievert.files import open_output as output_stream

__all__ = ["output_option", "output_stream"]

output_option = click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Write to this file (atomically; '-' is stdout) instead of stdout.",
)
"""The `-o/--output` option every reporting command shares (see `sievert.files.open_output`)."""
