"""Where command output goes: stdout, or a file written atomically."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import click


@contextmanager
def output_stream(path: Path | None) -> Iterator[TextIO]:
    """stdout, or a temp file beside `path` renamed into place only on success."""
    if path is None:
        yield sys.stdout
        return
    directory = path.parent if str(path.parent) else Path()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            yield out
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


output_option = click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write to this file (atomically) instead of stdout.",
)
"""The `-o/--output` option every reporting command shares (see `output_stream`)."""
