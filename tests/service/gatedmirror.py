"""A feed mirror served over loopback HTTP whose downloads can be held, to catch a DB update
mid-way (the new DB half built next to the old one) and kill the process running it."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.service.gated import GatedServer


class GatedMirror(GatedServer):
    """Serves the files of a mirror directory; while closed, every GET waits for `release()`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requested = threading.Event()
        self.paths: list[str] = []
        super().__init__(self._handler())
        self.url = f"http://{self.host}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        mirror = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                mirror.paths.append(path)
                mirror.requested.set()
                mirror.gate.wait(120)
                local = (mirror.root / path.lstrip("/")).resolve()
                if not local.is_file() or mirror.root.resolve() not in local.parents:
                    self.send_error(404)
                    return
                data = local.read_bytes()
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    return

        return Handler
