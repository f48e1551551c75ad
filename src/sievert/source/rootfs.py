"""A root file system directory (`dir:PATH`) scanned as one synthetic layer, never cached."""

from __future__ import annotations

import os
import stat
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, cast

from sievert.errors import LayerError, TargetNotFoundError
from sievert.model import ImageMetadata, LayerInfo, Notice, Platform
from sievert.source.base import LayerCacheLike, OpenedImage, Progress, SourceOptions
from sievert.source.capture import CaptureSpec, run_extractors
from sievert.source.layerindex import EntryTable, LayerIndex
from sievert.source.view import glob_matcher

DIR_MEDIA_TYPE = "application/x-sievert-directory"
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_SPECIAL = (
    (stat.S_ISCHR, "char"),
    (stat.S_ISBLK, "block"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "socket"),
)


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISREG(mode):
        return "file"
    return next((name for test, name in _SPECIAL if test(mode)), "other")


class _DirWalker:
    """Walks a directory with lstat only: symlinks recorded not followed, special files not read."""

    def __init__(self, root: Path, spec: CaptureSpec, where: str) -> None:
        self.root = root
        self.spec = spec
        self.where = where
        self.capture = glob_matcher(spec.globs)
        self.extractors = [(x, glob_matcher(x.globs)) for x in spec.extractors]
        self.extracts: dict[str, dict[str, bytes]] = {}
        self.entries = EntryTable()
        self.contents: dict[str, bytes] = {}
        self.notices: list[Notice] = []
        self.bytes = 0
        self.device = root.lstat().st_dev

    def walk(self) -> LayerIndex:
        """Every entry under the root, in sorted order, with wanted files captured."""
        pending = [""]
        while pending:
            rel = pending.pop()
            subdirs = self._scan(rel)
            pending.extend(reversed(subdirs))
        notices = tuple(self.notices)
        return LayerIndex("", self.entries, self.contents, notices, self.bytes, self.extracts)

    def _scan(self, rel: str) -> list[str]:
        try:
            with os.scandir(self.root / rel if rel else self.root) as it:
                items = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            self._notice(f"{rel or '/'}: directory cannot be listed ({exc.strerror})")
            return []
        subdirs = []
        for item in items:
            path = f"{rel}/{item.name}" if rel else item.name
            if self._add(item, path):
                subdirs.append(path)
        return subdirs

    def _add(self, item: os.DirEntry[str], path: str) -> bool:
        """Record one entry; True when it is a directory to descend into."""
        if len(self.entries) >= self.spec.max_entries:
            raise LayerError(self.where, f"more than {self.spec.max_entries} entries")
        try:
            st = item.stat(follow_symlinks=False)
            kind = _kind(st.st_mode)
            link = str(Path(item.path).readlink()) if kind == "symlink" else ""
        except OSError as exc:
            self._notice(f"{path}: cannot be read ({exc.strerror})")
            return False
        size = st.st_size if kind == "file" else 0
        self.entries.add(path, kind, size, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, link)
        self.bytes += size
        if kind == "file" and self.capture.match(path):
            self._capture(Path(item.path), path, st)
        if kind == "file" and self.extractors:
            self._extract(Path(item.path), path, st)
        if kind == "dir" and st.st_dev != self.device:
            self._notice(f"{path}: another file system is mounted here, not descended into")
            return False
        return kind == "dir"

    def _capture(self, full: Path, path: str, st: os.stat_result) -> None:
        if st.st_size > self.spec.max_file_size:
            self._notice(
                f"{path}: {st.st_size} bytes is over the {self.spec.max_file_size}-byte "
                "limit for files read, skipped"
            )
            return
        try:
            data = _read_regular(full, st, self.spec.max_file_size)
        except OSError as exc:
            self._notice(f"{path}: cannot be read ({exc.strerror or exc})")
            return
        if data is None:
            self._notice(f"{path}: changed while being read, skipped")
            return
        self.contents[path] = data

    def _extract(self, full: Path, path: str, st: os.stat_result) -> None:
        wanted = [
            x
            for x, rx in self.extractors
            if rx.match(path) and (not x.executable_only or st.st_mode & 0o111)
        ]
        limit = max((x.max_size for x in wanted), default=0)
        if not wanted or st.st_size > limit:
            if wanted:
                self._notice(f"{path}: {st.st_size} bytes is over the {limit}-byte limit")
            return
        try:
            data = _read_regular(full, st, limit)
        except OSError as exc:
            self._notice(f"{path}: cannot be read ({exc.strerror or exc})")
            return
        if data is None:
            return
        summaries = run_extractors(wanted, path, data, self._notice)
        if summaries:
            self.extracts[path] = summaries

    def _notice(self, message: str) -> None:
        self.notices.append(Notice(message, self.where))


def _read_regular(full: Path, st: os.stat_result, limit: int) -> bytes | None:
    """A regular file's bytes, opened without following links; None if it was swapped."""
    fd = os.open(full, _READ_FLAGS)
    with os.fdopen(fd, "rb") as handle:
        now = os.fstat(handle.fileno())
        if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            return None
        data = handle.read(limit + 1)
    return None if len(data) > limit else data


class RootfsImage(OpenedImage):
    """A directory as one synthetic layer (no digest, so the layer cache never keeps it)."""

    def __init__(self, root: Path, reference: str) -> None:
        self.root = root
        layer = LayerInfo(index=0, digest="", diff_id="", size=0, media_type=DIR_MEDIA_TYPE)
        self.metadata = ImageMetadata(
            reference=reference,
            source_kind="dir",
            platform=Platform("", ""),
            layers=(layer,),
        )

    def layer_indexes(
        self,
        spec: CaptureSpec,
        cache: LayerCacheLike | None,
        progress: Progress | None = None,
        *,
        deferred: bool = False,
    ) -> Iterator[tuple[LayerInfo, LayerIndex]]:
        """Walk the directory (the cache is not used: directories change)."""
        del deferred  # a directory has no digest to check
        layer = self.metadata.layers[0]
        if progress:
            progress(layer, "reading")
        index = _DirWalker(self.root, spec, str(self.root)).walk()
        if progress:
            progress(layer, "done")
        yield layer, index

    @contextmanager
    def open_layer(self, layer: LayerInfo) -> Iterator[BinaryIO]:
        """The directory as a tar stream (spooled to a temporary file past 64 MiB)."""
        with tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024) as spool:
            with tarfile.open(fileobj=spool, mode="w", format=tarfile.PAX_FORMAT) as tar:
                for child in sorted(self.root.iterdir()):
                    tar.add(child, arcname=child.name, recursive=True)
            spool.seek(0)
            yield cast(BinaryIO, spool)


class DirSource:
    """`dir:PATH`: a root file system directory, e.g. an extracted image or a mounted volume.

    Walked with lstat only: symlinks are recorded and never followed, special files are recorded
    and never read, nothing outside PATH is read, and other file systems mounted below PATH are
    not descended into.
    """

    kind = "dir"

    def claims(self, target: str) -> bool:
        """An existing directory."""
        return Path(target).is_dir()

    def open(self, target: str, options: SourceOptions) -> OpenedImage:
        """The directory as an image of one layer."""
        root = Path(target)
        if not root.is_dir():
            raise TargetNotFoundError(f"{target}: no such directory (dir)")
        return RootfsImage(root, target)
