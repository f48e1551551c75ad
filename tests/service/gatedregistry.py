"""A minimal read-only distribution-API server on loopback whose layer downloads can be held.

It lets a test catch a worker in the middle of an analysis (a layer download in progress) and
kill it there. Manifests and blobs come from tests/imagebuilder.py images.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

from tests.imagebuilder import BuiltImage, Image, sha256
from tests.service.gated import GatedServer


class GatedRegistry(GatedServer):
    """Serves `<repo>:<tag>` images; layer blob GETs wait until `release()` is called."""

    def __init__(self, images: dict[str, Image]) -> None:
        self.manifests: dict[str, bytes] = {}
        self.blobs: dict[str, bytes] = {}
        self.layers: set[str] = set()
        for name, image in images.items():
            built: BuiltImage = image.built()
            manifest = built.manifest()
            self.manifests[name] = manifest
            self.manifests[sha256(manifest)] = manifest
            self.blobs[sha256(built.config)] = built.config
            for blob in built.blobs:
                self.blobs[sha256(blob)] = blob
                self.layers.add(sha256(blob))
        self.layer_requested = threading.Event()
        super().__init__(self._handler())

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        registry = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return

            def do_HEAD(self) -> None:
                self._answer(body=False)

            def do_GET(self) -> None:
                self._answer(body=True)

            def _answer(self, body: bool) -> None:
                path = self.path.split("?")[0]
                if path in ("/v2/", "/v2"):
                    return self._send(200, b"{}", "application/json", body)
                repo, kind, ref = _split(path)
                if kind == "manifests":
                    data = registry.manifests.get(ref) or registry.manifests.get(f"{repo}:{ref}")
                    media = "application/vnd.oci.image.manifest.v1+json"
                    return self._send(200 if data else 404, data or b"{}", media, body)
                if kind == "blobs" and ref in registry.blobs:
                    if ref in registry.layers and body:
                        registry.layer_requested.set()
                        registry.gate.wait(120)
                    return self._send(200, registry.blobs[ref], "application/octet-stream", body)
                return self._send(404, b"{}", "application/json", body)

            def _send(self, code: int, data: bytes, media: str, body: bool) -> None:
                self.send_response(code)
                self.send_header("Content-Type", media)
                self.send_header("Content-Length", str(len(data)))
                if code == 200 and data:
                    self.send_header("Docker-Content-Digest", sha256(data))
                self.end_headers()
                if body:
                    try:
                        self.wfile.write(data)
                    except (BrokenPipeError, ConnectionResetError):
                        return

        return Handler


def _split(path: str) -> tuple[str, str, str]:
    """('/v2/<repo>/<kind>/<ref>') -> (repo, kind, ref)."""
    inner = path.removeprefix("/v2/")
    for kind in ("manifests", "blobs"):
        marker = f"/{kind}/"
        if marker in inner:
            repo, _, ref = inner.partition(marker)
            return repo, kind, ref
    return "", "", ""
