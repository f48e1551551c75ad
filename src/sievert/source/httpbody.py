"""A readable stream over an HTTP response body, shared by the registry and engine sources."""

from __future__ import annotations

import io

import httpx

from sievert.errors import RegistryError
from sievert.source.blob import CHUNK


class ResponseReader(io.RawIOBase):
    """An httpx response body as a raw stream (bytes as sent, no content decoding)."""

    def __init__(self, response: httpx.Response, name: str, what: str = "download") -> None:
        self._chunks = response.iter_raw(CHUNK)
        self._pending = b""
        self._name = name
        self._what = what

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Fill `buffer` from the body; 0 at its end."""
        while not self._pending:
            try:
                chunk = next(self._chunks, None)
            except httpx.HTTPError as exc:
                raise RegistryError(f"{self._name}: {self._what} interrupted ({exc})") from exc
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        memoryview(buffer)[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
