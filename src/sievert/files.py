"""Writing output files safely: every write checked, nothing partial left, nothing replaced
that is not a regular file.

- `-` is stdout;
- a character device or a FIFO (`/dev/null`, `/dev/full`, a named pipe) is written through,
  never renamed over, and a failed write (`/dev/full`: no space left) is an error;
- a symlink is followed: its target is what gets written (a dangling or looping one is refused);
- anything else is written to a temp file beside the target, flushed and synced, then renamed
  into place, so a failed write leaves the previous file exactly as it was; a new file gets the
  umask's mode (0644 under umask 022), a replaced one keeps its own mode.

Every failure is an `OutputError` naming the path or the directory.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import io
import os
import stat
import sys
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO, cast

from sievert.errors import OutputError

STDOUT = "-"
_PLAIN_TEXT: weakref.WeakSet[IO[str]] = weakref.WeakSet()
"""Text files `open_output` opened: UTF-8, newlines written as they are (see `utf8_sink`)."""


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def resolve_target(path: Path) -> tuple[Path, os.stat_result | None]:
    """Where writing to path lands (symlinks followed) and what is there now (None: nothing)."""
    try:
        target = Path(os.path.realpath(path, strict=False))
        info = target.stat() if target.exists() or target.is_symlink() else None
    except OSError as exc:
        raise OutputError(f"{path}: cannot resolve the output path ({_reason(exc)})") from exc
    if info is None and path.is_symlink():
        raise OutputError(f"{path}: refusing to write through a dangling symlink")
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise OutputError(f"{path}: is a directory")
    return target, info


@contextmanager
def open_output(path: Path | str | None, *, binary: bool = False) -> Iterator[TextIO]:
    """A stream for the output at path (None or '-' is stdout); see the module docstring.

    The file appears (or changes) only when the block ends without an exception.
    """
    if path is None or str(path) == STDOUT:
        yield from _stdout(binary)
        return
    target, info = resolve_target(Path(path))
    if info is not None and (stat.S_ISCHR(info.st_mode) or stat.S_ISFIFO(info.st_mode)):
        yield from _write_through(Path(path), target, binary)
        return
    if info is not None and not stat.S_ISREG(info.st_mode):
        raise OutputError(f"{path}: not a regular file, character device or FIFO")
    mode = stat.S_IMODE(info.st_mode) if info is not None else 0o666 & ~_umask()
    yield from _replace(Path(path), target, mode, binary)


@contextmanager
def open_binary_output(path: Path | str | None) -> Iterator[BinaryIO]:
    """`open_output` for bytes (`db export`...): the same rules, a binary stream."""
    with open_output(path, binary=True) as stream:
        yield cast(BinaryIO, stream)


def utf8_sink(stream: IO[str]) -> BinaryIO | None:
    """The binary stream under a text stream that writes UTF-8 and leaves newlines as they are
    (stdout, or a file `open_output` opened, on a POSIX system), flushed so that bytes written
    to it follow the text written before; None for any other stream (write text to that one).

    A large report already encoded as UTF-8 is then written as it is, not decoded and encoded
    again."""
    if os.linesep != "\n" or type(stream) is not io.TextIOWrapper:
        return None  # subclasses (test captures) and other streams take text
    if stream not in _PLAIN_TEXT and not (stream is sys.stdout and os.name == "posix"):
        return None  # a stream someone else opened may translate newlines
    if codecs.lookup(stream.encoding).name != "utf-8":
        return None
    stream.flush()
    return cast(BinaryIO, stream.buffer)


def _stdout(binary: bool) -> Iterator[TextIO]:
    stream: TextIO = sys.stdout.buffer if binary else sys.stdout  # type: ignore[assignment]
    yield stream
    try:
        stream.flush()
    except OSError as exc:
        raise OutputError(f"stdout: cannot write output ({_reason(exc)})") from exc


def _write_through(path: Path, target: Path, binary: bool) -> Iterator[TextIO]:
    try:
        handle = target.open("wb" if binary else "w", encoding=None if binary else "utf-8")
    except OSError as exc:
        raise OutputError(f"{path}: cannot open for writing ({_reason(exc)})") from exc
    if not binary:
        _PLAIN_TEXT.add(handle)
    with _closing(handle, path):
        yield cast(TextIO, handle)
        _finish(handle, path, sync=False)


def _replace(path: Path, target: Path, mode: int, binary: bool) -> Iterator[TextIO]:
    directory = target.parent
    try:
        import tempfile  # (with shutil and random) only when a file is written

        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise OutputError(f"{directory}: cannot write to this directory ({_reason(exc)})") from exc
    try:
        out = os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8")
        if not binary:
            _PLAIN_TEXT.add(out)
        with _closing(out, path):
            yield out  # type: ignore[misc]
            _finish(out, path, sync=True)
        try:
            Path(tmp).chmod(mode)
            Path(tmp).replace(target)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write output ({_reason(exc)})") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)


WRITE_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EROFS, errno.EPIPE}
)
"""OSErrors a write can raise; raised inside the block they are reported against the output."""


@contextmanager
def _closing(handle: IO[Any], path: Path) -> Iterator[None]:
    """Close handle however the block ends; a write error becomes an OutputError naming path."""
    try:
        yield
    except OSError as exc:
        with contextlib.suppress(OSError):
            handle.close()
        if exc.errno in WRITE_ERRNOS:
            raise OutputError(f"{path}: cannot write output ({_reason(exc)})") from exc
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            handle.close()
        raise


def _finish(handle: IO[Any], path: Path, *, sync: bool) -> None:
    """Flush (and sync) then close handle, so a full device or disk is seen here."""
    try:
        handle.flush()
        if sync:
            os.fsync(handle.fileno())
        handle.close()
    except OSError as exc:
        raise OutputError(f"{path}: cannot write output ({_reason(exc)})") from exc
