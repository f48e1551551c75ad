"""Blob streams: digest verification while reading, and gzip/zstd/plain detection."""

from __future__ import annotations

import functools
import hashlib
import io
import os
import threading
import zlib
from typing import Any, BinaryIO, cast

import zstandard
from zstandard import ZstdError

from sievert.errors import DigestMismatchError, LayerError

GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
CHUNK = 1024 * 1024


@functools.cache
def decode_errors() -> tuple[type[Exception], ...]:
    """What a damaged compressed stream raises (ISA-L's own error is not an OSError)."""
    from isal import isal_zlib  # loads with the first layer read, not to open an image

    return (OSError, EOFError, zlib.error, cast(type[Exception], isal_zlib.error), ZstdError)


class _BackgroundHash:
    """Feeds chunks to a hash on a worker thread (hashlib releases the GIL), in order."""

    def __init__(self, algo: str) -> None:
        import queue  # loads with the first layer read, not to open an image

        self.hash = hashlib.new(algo)
        self._queue: queue.Queue[bytes | None] = queue.Queue(maxsize=16)  # <= 16 chunks held
        self._thread = threading.Thread(target=self._run, name="sievert-digest", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            self.hash.update(chunk)

    def update(self, chunk: bytes) -> None:
        """Queue a chunk (bytes are immutable, so no copy is needed)."""
        self._queue.put(chunk)

    def hexdigest(self) -> str:
        """Wait for the queued chunks, then the digest."""
        self.close()
        return self.hash.hexdigest()

    def close(self) -> None:
        """Stop the worker once it has hashed everything queued."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


def expected_digest(expected: str, name: str) -> tuple[str, str]:
    """('sha256', hex) of an expected 'algo:hex' digest; DigestMismatchError if unsupported."""
    algo, _, want = expected.partition(":")
    if algo not in ("sha256", "sha512") or not want:
        raise DigestMismatchError(f"{name}: unsupported digest {expected!r}")
    return algo, want.lower()


def check_digest(name: str, algo: str, want: str, got: str) -> None:
    """Raise DigestMismatchError unless the content's digest is the expected one."""
    if got != want:
        raise DigestMismatchError(
            f"{name}: digest mismatch: expected {algo}:{want}, content hashes to {algo}:{got}"
        )


class RegionDigests:
    """Hashes `size` bytes of an open file from `start` on a worker thread, against one or more
    expected digests ('sha256:...', with the name used in a mismatch error).

    hashlib releases the GIL on large blocks, so this runs beside the tar walk of the same bytes.
    `verify()` waits for the hash and raises DigestMismatchError (also when the file is short).
    """

    BLOCK = 4 * 1024 * 1024

    def __init__(self, fd: int, start: int, size: int, expected: list[tuple[str, str]]) -> None:
        self._checks = []
        for digest, name in expected:
            algo, want = expected_digest(digest, name)
            self._checks.append((name, algo, want, hashlib.new(algo)))
        self._fd, self._start, self._size = fd, start, size
        self._stop = threading.Event()
        self._done = threading.Event()
        self._error: OSError | None = None

    def run(self) -> None:
        """Hash the region (call on a worker thread); stops early when cancelled."""
        try:
            buffer = bytearray(min(self.BLOCK, max(self._size, 1)))
            view = memoryview(buffer)
            pos, end = self._start, self._start + self._size
            while pos < end and not self._stop.is_set():
                n = os.preadv(self._fd, [view[: min(len(view), end - pos)]], pos)
                if not n:
                    break  # a cut file: the digest cannot match
                for _, _, _, digest in self._checks:
                    digest.update(view[:n])
                pos += n
        except OSError as exc:
            self._error = exc
        finally:
            self._done.set()

    def cancel(self) -> None:
        """Stop hashing (the result is then never verified)."""
        self._stop.set()

    def verify(self) -> None:
        """Wait for the hash; DigestMismatchError unless every expected digest matches."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        for name, algo, want, digest in self._checks:
            check_digest(name, algo, want, digest.hexdigest())


class _InlineHash:
    """A hash updated on the reading thread (for small documents, or a reader that is itself
    a worker thread)."""

    def __init__(self, algo: str) -> None:
        self.hash = hashlib.new(algo)
        self.update = self.hash.update

    def hexdigest(self) -> str:
        """The digest."""
        return self.hash.hexdigest()

    def close(self) -> None:
        """Nothing to stop."""


class DigestReader(io.RawIOBase):
    """Reads a stream while hashing it; at EOF the digest must equal `expected` ('sha256:...').

    Hashing runs on a background thread, overlapping the decompression and tar parsing that
    consume the stream (`inline`: on the reading thread).
    """

    def __init__(self, raw: BinaryIO, expected: str, name: str, inline: bool = False) -> None:
        algo, want = expected_digest(expected, name)
        self._raw = raw
        self._hash: _BackgroundHash | _InlineHash = (
            _InlineHash(algo) if inline else _BackgroundHash(algo)
        )
        self._want = want
        self._name = name
        self._checked = False
        self.bytes_read = 0

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read into `buffer`, hashing; verify the digest at EOF."""
        data = self._raw.read(len(buffer))
        if not data:
            self._verify()
            return 0
        self._hash.update(data)
        self.bytes_read += len(data)
        memoryview(buffer)[: len(data)] = data
        return len(data)

    def _verify(self) -> None:
        if self._checked:
            return
        self._checked = True
        got = self._hash.hexdigest()
        check_digest(self._name, self._hash.hash.name, self._want, got)

    def close(self) -> None:
        """Stop the hashing thread too."""
        self._hash.close()
        super().close()

    def drain(self) -> None:
        """Read what is left (to verify the digest of a stream a consumer stopped reading)."""
        while self.read(CHUNK):
            pass


class BoundedReader(io.RawIOBase):
    """Refuses to yield more than `limit` bytes: the guard against decompression bombs."""

    def __init__(self, raw: BinaryIO, limit: int, layer: str) -> None:
        self._raw = raw
        self._limit = limit
        self._layer = layer
        self.count = 0

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read into `buffer`; raise LayerError once past the limit."""
        try:
            data = self._raw.read(len(buffer))
        except decode_errors() as exc:
            raise LayerError(self._layer, f"corrupt or truncated compressed data ({exc})") from exc
        self.count += len(data)
        if self.count > self._limit:
            raise LayerError(
                self._layer,
                f"uncompressed size exceeds the limit of {self._limit} bytes (decompression bomb?)",
            )
        memoryview(buffer)[: len(data)] = data
        return len(data)


def decompressed(raw: BinaryIO, layer: str, limit: int) -> BinaryIO:
    """Wrap a layer blob stream: detect gzip/zstd/plain by magic, bound the output size."""
    buffered = (
        raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw_stream(raw), CHUNK)
    )
    magic = buffered.peek(4)[:4]
    inner: Any
    if magic.startswith(GZIP_MAGIC):
        from isal import igzip_threaded  # loads with the first gzip layer read

        inner = igzip_threaded.open(buffered, "rb", threads=1)  # type: ignore[no-untyped-call]
    elif magic == ZSTD_MAGIC:
        # Bounded output per read; a frame cut short ends quietly here, and the blob and
        # diff_id digests (checked at EOF by every source) report the truncation.
        inner = zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True)
    else:
        inner = buffered
    return io.BufferedReader(BoundedReader(inner, limit, layer), CHUNK)


def raw_stream(stream: BinaryIO) -> io.RawIOBase:
    """Adapt any binary stream to what io.BufferedReader wraps."""
    return stream if isinstance(stream, io.RawIOBase) else _Adapter(stream)


class _Adapter(io.RawIOBase):
    """A RawIOBase over a file-like object with only `read`."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read into `buffer`."""
        data = self._stream.read(len(buffer))
        memoryview(buffer)[: len(data)] = data
        return len(data)
