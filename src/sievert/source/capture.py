"""What the layer walk keeps: the capture spec and the extractors that summarise big files."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import msgspec

HEAD = 64
"""Bytes of a file's start `FileData.head` keeps: an ELF header's size."""


class FileData:
    """A file an extractor may read at random, e.g. from an uncompressed layer on disk, where
    a large executable need not be read whole to find the one section an extractor wants.

    `memo` lets the extractors of one file share what they parsed (e.g. its section table)."""

    __slots__ = ("memo", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self.memo: dict[str, object] = {}

    def read_at(self, offset: int, size: int) -> bytes:
        """Up to `size` bytes from `offset` (fewer past the end; b"" outside the file)."""
        raise NotImplementedError

    def read_all(self) -> bytes:
        """The whole file."""
        return self.read_at(0, self.size)

    def head(self) -> bytes:
        """The first HEAD bytes (fewer in a smaller file), read once."""
        head = self.memo.get("head")
        if head is None:
            head = self.memo["head"] = self.read_at(0, HEAD)
        return head  # type: ignore[return-value]


class BytesData(FileData):
    """A file already read (from a compressed layer's stream, or from a directory)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        super().__init__(len(data))
        self.data = data

    def read_at(self, offset: int, size: int) -> bytes:
        """See `FileData.read_at`."""
        if offset < 0 or size < 0:
            return b""
        return self.data[offset : offset + size]

    def read_all(self) -> bytes:
        """See `FileData.read_all`."""
        return self.data


class Extractor(msgspec.Struct, frozen=True):
    """Reduces a (possibly large) file to a small summary during the walk, e.g. Go build info.

    The walk reads files matching `globs` (executables only when `executable_only`; only those
    starting with `magic` when set), calls `reduce(path, data)` and keeps its non-None result.
    An extractor with `reduce_at` (the same answer from a `FileData`; `reduce` then wraps it)
    is called with the file left in place when the layer allows it and every extractor wanting
    the file has one: it reads only what it needs.
    """

    name: str
    globs: tuple[str, ...]
    reduce: Callable[[str, bytes], bytes | None]
    executable_only: bool = False
    magic: bytes = b""
    max_size: int = 512 * 1024 * 1024
    reduce_at: Callable[[str, FileData], bytes | None] | None = None


def run_extractors(
    extractors: Sequence[Extractor], path: str, data: bytes, notice: Callable[[str], None]
) -> dict[str, bytes]:
    """Each extractor's summary of one file; a failing extractor becomes a notice, not a crash."""
    return _summaries(extractors, path, data, lambda x: x.reduce(path, data), notice)


def run_extractors_at(
    extractors: Sequence[Extractor], path: str, data: FileData, notice: Callable[[str], None]
) -> dict[str, bytes]:
    """`run_extractors` on a file read at random: every extractor has a `reduce_at`."""
    for extractor in extractors:
        if extractor.reduce_at is None:
            raise ValueError(f"extractor {extractor.name} cannot read a file at random")
    return _summaries(
        extractors, path, data.head(), lambda x: x.reduce_at and x.reduce_at(path, data), notice
    )


def _summaries(
    extractors: Sequence[Extractor],
    path: str,
    head: bytes,
    reduce: Callable[[Extractor], bytes | None],
    notice: Callable[[str], None],
) -> dict[str, bytes]:
    """The non-None results of `reduce` for the extractors whose magic starts `head`."""
    summaries: dict[str, bytes] = {}
    for extractor in extractors:
        if not head.startswith(extractor.magic):
            continue
        try:
            summary = reduce(extractor)
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
