"""What the layer walk keeps: the capture spec and the extractors that summarise big files."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec


class Extractor(msgspec.Struct, frozen=True):
    """Reduces a (possibly large) file to a small summary during the walk, e.g. Go build info.

    The walk reads files matching `globs` (executables only when `executable_only`; only those
    starting with `magic` when set), calls `reduce(path, data)` and keeps its non-None result.
    """

    name: str
    globs: tuple[str, ...]
    reduce: Callable[[str, bytes], bytes | None]
    executable_only: bool = False
    magic: bytes = b""
    max_size: int = 512 * 1024 * 1024


def run_extractors(
    extractors: Sequence[Extractor], path: str, data: bytes, notice: Callable[[str], None]
) -> dict[str, bytes]:
    """Each extractor's summary of one file; a failing extractor becomes a notice, not a crash."""
    summaries: dict[str, bytes] = {}
    for extractor in extractors:
        if not data.startswith(extractor.magic):
            continue
        try:
            summary = extractor.reduce(path, data)
        except Exception as exc:  # a hostile file must not stop the scan
            notice(f"{path}: {extractor.name} could not read it ({exc!r:.200})")
            continue
        if summary is not None:
            summaries[extractor.name] = summary
    return summaries


class CaptureSpec(msgspec.Struct, frozen=True):
    """Which files' bytes to keep while walking a layer, and the size bounds."""

    globs: tuple[str, ...]
    version: str
    """Digest of globs and analyzer versions: part of the layer-cache key."""
    max_file_size: int = 64 * 1024 * 1024
    """Captured files larger than this are skipped with a notice."""
    max_layer_size: int = 64 * 1024 * 1024 * 1024
    """Uncompressed bytes read from one layer before it is refused as a bomb."""
    max_entries: int = 2_000_000
    """Tar members in one layer before it is refused."""
    extractors: tuple[Extractor, ...] = ()
