"""A loopback HTTP server in a thread whose handlers can wait on a gate, to hold a download and
catch the process making it in the middle of its work."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self


class GatedServer:
    """Serves with `handler` on 127.0.0.1; handlers wait on `gate` until `release()`."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.gate = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def host(self) -> str:
        """'127.0.0.1:<port>'."""
        return f"127.0.0.1:{self.port}"

    def release(self) -> None:
        """Let held and future requests through."""
        self.gate.set()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
