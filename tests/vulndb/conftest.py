"""A real HTTP server on loopback serving small feeds in the upstream layouts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.vulndb.feedfactory import write_mirror


@dataclass
class Route:
    """How the server answers one path."""

    body: bytes
    status: int = 200
    etag: str = ""
    delay: float = 0.0
    claim_length: int | None = None
    """Content-Length to announce (larger than the body = a truncated download)."""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra response headers (e.g. Content-Encoding)."""


@dataclass
class FeedServer:
    """Serves routes; every path not in routes falls back to files under root (or 404)."""

    root: Path | None = None
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    url: str = ""


def _handler(state: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            state.requests.append((self.path, dict(self.headers.items())))
            route = state.routes.get(self.path) or state.routes.get(path) or self._file_route(path)
            if route is None:
                self.send_error(404)
                return
            if route.delay:
                time.sleep(route.delay)
            if route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(route.status)
            if route.etag:
                self.send_header("ETag", route.etag)
            for name, value in route.headers.items():
                self.send_header(name, value)
            length = route.claim_length if route.claim_length is not None else len(route.body)
            self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(route.body)
            if route.claim_length is not None:
                self.close_connection = True

        def _file_route(self, path: str) -> Route | None:
            if state.root is None:
                return None
            local = state.root / path.lstrip("/")
            return Route(local.read_bytes()) if local.is_file() else None

    return Handler


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[FeedServer]:
    """A loopback server whose root is a freshly written mirror of every feed."""
    root = tmp_path / "mirror"
    write_mirror(root)
    state = FeedServer(root=root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def mirror_dir(tmp_path: Path) -> Path:
    """A directory mirror of every feed (small, written by the tests)."""
    root = tmp_path / "dirmirror"
    write_mirror(root)
    return root
