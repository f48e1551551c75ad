"""A layer blob decompressed on a worker thread, read by the tar walk in large chunks."""

from __future__ import annotations

import hashlib
import io
import queue
import threading
from typing import Any, BinaryIO, cast

import zstandard
from isal import igzip

from sievert.errors import DigestMismatchError, LayerError
from sievert.source.blob import (
    CHUNK,
    GZIP_MAGIC,
    ZSTD_MAGIC,
    DigestReader,
    check_digest,
    decode_errors,
    expected_digest,
    raw_stream,
)
from sievert.source.tarstream import TarFormatError

_END = object()
"""Queued by the decoding thread after the last chunk."""


class LayerDecoder:
    """A layer blob decompressed on a worker thread and read by the tar walk in large chunks.

    The worker reads the blob (hashed for its digest on a thread of its own, which takes that
    work off the decompressing thread; checked when the blob ends), decompresses it (gzip
    through ISA-L, zstd, or plain: by magic) and queues the output, at most `limit` bytes
    (decompression bombs) and a few chunks at a time; all run without the GIL, so they overlap
    the walk. The walk takes windows of it (the `TarInput` protocol of `tarstream`) and hashes
    each chunk for the diff_id as it takes it; `finish()` reads what is
    left and checks that digest. Errors keep the messages of `verified_layer` + `index_tar`.
    """

    QUEUED = 4
    """Chunks held between the worker and the walk (each at most CHUNK bytes)."""

    def __init__(
        self, raw: BinaryIO, name: str, blob_digest: str, diff_id: str, limit: int, layer: str
    ) -> None:
        self._name = name
        self._layer = layer
        self._limit = limit
        self._blob = (
            DigestReader(raw, blob_digest, f"layer {name}: blob")  # hashed on its own thread
            if (blob_digest)
            else None
        )
        self._diff: tuple[str, str, Any] | None = None
        if diff_id and diff_id != blob_digest:
            algo, want = expected_digest(diff_id, f"layer {name}: uncompressed content (diff_id)")
            self._diff = (algo, want, hashlib.new(algo))
        self._source = cast(BinaryIO, self._blob or raw)
        self._queue: queue.Queue[object] = queue.Queue(self.QUEUED)
        self._stop = threading.Event()
        self._chunk = b""
        """The window the walk reads (see `window`)."""
        self._carry: tuple[bytes, int] | None = None
        """A chunk and the offset in it where the bytes after `_chunk` begin, when `_chunk`
        was joined from pieces of chunks."""
        self._ended = False
        self._thread = threading.Thread(target=self._run, name="sievert-decode", daemon=True)
        self._thread.start()

    # The worker thread.

    def _run(self) -> None:
        try:
            stream = self._open()
            total = 0
            while not self._stop.is_set():
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > self._limit:
                    raise LayerError(
                        self._layer,
                        f"uncompressed size exceeds the limit of {self._limit} bytes "
                        "(decompression bomb?)",
                    )
                self._put(chunk)
            if self._blob is not None and not self._stop.is_set():
                self._blob.drain()  # bytes after the compressed stream count for the digest
        except (LayerError, DigestMismatchError) as exc:
            self._put(exc)
        except decode_errors() as exc:
            self._put(LayerError(self._name, f"corrupt or truncated compressed data ({exc})"))
        except Exception as exc:  # handed to the walk, which raises it
            self._put(exc)
        else:
            self._put(_END)
        finally:
            if self._blob is not None:
                self._blob.close()  # its hashing thread ends with this one

    def _open(self) -> BinaryIO:
        buffered = io.BufferedReader(raw_stream(self._source), CHUNK)
        magic = buffered.peek(4)[:4]
        if magic.startswith(GZIP_MAGIC):
            return cast(BinaryIO, igzip.IGzipFile(fileobj=buffered, mode="rb"))  # type: ignore[no-untyped-call]
        if magic == ZSTD_MAGIC:
            # A frame cut short ends quietly; the digests report the truncation.
            return cast(
                BinaryIO,
                zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True),
            )
        return cast(BinaryIO, buffered)

    def _put(self, item: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue

    # The walk's side.

    def _next(self) -> bytes:
        """The next chunk (hashed for the diff_id), b"" at the end; raises what the worker hit."""
        if self._ended:
            return b""
        item = self._queue.get()
        if isinstance(item, bytes):
            if self._diff is not None:
                self._diff[2].update(item)
            return item
        self._ended = True
        if item is _END:
            return b""
        raise cast(BaseException, item)

    def window(self, at: int, need: int) -> tuple[bytes, int]:
        """See `tarstream.TarInput.window`: a chunk as the worker queued it, no copy, unless
        the bytes asked for span chunks (then exactly those bytes, joined; the rest of the
        last chunk is carried to the next window)."""
        chunk = self._chunk
        if at + need <= len(chunk):
            return chunk, at
        while at >= len(chunk):  # past this window: on to the next (skipping whole chunks)
            at -= len(chunk)
            if self._carry is not None:
                chunk, start = self._carry
                self._carry = None
                at += start
                continue
            chunk = self._next()
            if not chunk:
                self._chunk = b""
                if at:
                    raise TarFormatError("unexpected end of data inside a member (truncated)")
                return b"", 0
        if at + need <= len(chunk):
            self._chunk = chunk
            return chunk, at
        parts = [chunk[at:]]
        got = len(chunk) - at
        while got < need:
            more, start = self._carry or (self._next(), 0)
            self._carry = None
            if not more:
                break
            take = min(need - got, len(more) - start)
            parts.append(more[start : start + take])
            got += take
            if start + take < len(more):
                self._carry = (more, start + take)
        self._chunk = b"".join(parts)
        return self._chunk, 0

    def finish(self) -> None:
        """Read to the end of the layer and check its digests (DigestMismatchError)."""
        self._chunk, self._carry = b"", None
        while self._next():
            pass
        if self._diff is not None:
            algo, want, digest = self._diff
            check_digest(
                f"layer {self._name}: uncompressed content (diff_id)",
                algo,
                want,
                digest.hexdigest(),
            )

    def close(self) -> None:
        """Stop the worker (its queued chunks are dropped)."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                continue
        self._thread.join()

    def __enter__(self) -> LayerDecoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
