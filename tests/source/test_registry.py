"""RegistrySource against a real docker-registry, images pushed with skopeo."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from sievert.errors import (
    DigestMismatchError,
    PlatformNotFoundError,
    RegistryError,
    TargetNotFoundError,
    UsageError,
)
from sievert.model import Platform
from sievert.source import registry as registry_module
from sievert.source.base import SourceOptions
from sievert.source.capture import CaptureSpec
from sievert.source.layerindex import LayerIndex
from sievert.source.registry import RegistryImage, RegistrySource
from sievert.source.view import FileView
from tests.imagebuilder import D, F, Image, L, W
from tests.source.registry_fixtures import Registry, free_port, registry

pytestmark = pytest.mark.registry
__all__ = ["registry"]

SPEC = CaptureSpec(globs=("etc/os-release", "app/**"), version="test")


@pytest.fixture(autouse=True)
def no_ambient_credentials(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Anonymous pulls: an empty DOCKER_CONFIG and no SIEVERT_REGISTRY_* variables."""
    (tmp_path / "docker-config").mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker-config"))
    monkeypatch.delenv("SIEVERT_REGISTRY_USERNAME", raising=False)
    monkeypatch.delenv("SIEVERT_REGISTRY_PASSWORD", raising=False)


def two_layers(compression: str = "gzip", marker: str = "base") -> Image:
    """A small two-layer image with a whiteout in the second layer."""
    return Image(
        layers=[
            [D("etc"), F("etc/os-release", f"ID={marker}\n"), F("etc/gone", "x")],
            [D("app"), F("app/main.py", "print(1)\n"), L("app/link", "main.py"), W("etc/gone")],
        ],
        compression=compression,
        config={"User": "app", "Cmd": ["python", "/app/main.py"]},
    )


def scan(image: RegistryImage, cache: DictCache | None = None) -> FileView:
    """Apply every layer index to a file view."""
    view = FileView(image.metadata.layers)
    for layer, index in image.layer_indexes(SPEC, cache):
        view.apply(layer.index, index)
    return view


def open_image(target: str, **options: object) -> RegistryImage:
    """Open a registry target with default options plus overrides."""
    return RegistrySource().open(target, SourceOptions(**options))  # type: ignore[arg-type]


class DictCache:
    """An in-memory layer cache (the real one lives in source/cache.py)."""

    def __init__(self) -> None:
        self.data: dict[str, LayerIndex] = {}

    def get(self, diff_id: str, spec: CaptureSpec) -> LayerIndex | None:
        """The cached index, if any."""
        return self.data.get(diff_id)

    def put(
        self, diff_id: str, spec: CaptureSpec, index: LayerIndex, *, last_use: bool = False
    ) -> None:
        """Remember an index."""
        self.data[diff_id] = index


def manifest_digest(reg: Registry, repo: str, tag: str) -> str:
    """The digest the registry itself reports for a tag."""
    accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json"
    response = httpx.get(
        f"http://{reg.host}/v2/{repo}/manifests/{tag}",
        headers={"Accept": accept + ", application/vnd.docker.distribution.manifest.v2+json"},
    )
    assert response.status_code == 200
    return str(response.headers["Docker-Content-Digest"])


def test_pull_by_tag_reads_layers_config_and_files(registry: Registry, tmp_path: Path) -> None:
    registry.push(tmp_path, {"v1": two_layers()}, "team/app")
    image = open_image(f"{registry.host}/team/app:v1")
    meta = image.metadata
    assert meta.source_kind == "registry"
    assert meta.reference == f"{registry.host}/team/app:v1"
    assert meta.platform == Platform("linux", "amd64")
    assert meta.user == "app" and meta.cmd == ("python", "/app/main.py")
    assert len(meta.layers) == 2
    assert all(layer.media_type.endswith("tar+gzip") for layer in meta.layers)
    digest = manifest_digest(registry, "team/app", "v1")
    assert meta.manifest_digest == digest
    assert meta.repo_digests == (f"{registry.host}/team/app@{digest}",)
    assert meta.repo_tags == (f"{registry.host}/team/app:v1",)
    view = scan(image)
    image.close()
    assert view.read_text("etc/os-release") == "ID=base\n"
    assert view.read_text("app/link") == "print(1)\n"
    assert not view.exists("etc/gone")
    assert view.location("app/main.py").layer_index == 1


def test_pull_by_digest_and_by_tag_plus_digest(registry: Registry, tmp_path: Path) -> None:
    registry.push(tmp_path, {"v1": two_layers()}, "team/app")
    digest = manifest_digest(registry, "team/app", "v1")
    for target in (f"{registry.host}/team/app@{digest}", f"{registry.host}/team/app:v1@{digest}"):
        image = open_image(target)
        assert image.metadata.manifest_digest == digest
        assert scan(image).read_text("etc/os-release") == "ID=base\n"
        image.close()


def test_docker_v2s2_manifests(registry: Registry, tmp_path: Path) -> None:
    registry.push(tmp_path, {"v2": two_layers()}, "team/docker", "--format", "v2s2")
    image = open_image(f"{registry.host}/team/docker:v2")
    assert all("docker.image.rootfs.diff.tar.gzip" in x.media_type for x in image.metadata.layers)
    assert scan(image).read_text("app/main.py") == "print(1)\n"
    image.close()


def test_zstd_layers(registry: Registry, tmp_path: Path) -> None:
    registry.push(tmp_path, {"z": two_layers("zstd", "zstd")}, "team/zstd")
    image = open_image(f"{registry.host}/team/zstd:z")
    assert all(layer.media_type.endswith("tar+zstd") for layer in image.metadata.layers)
    assert scan(image).read_text("etc/os-release") == "ID=zstd\n"
    image.close()


def test_uncompressed_layers_uploaded_as_they_are(registry: Registry) -> None:
    built = two_layers("none", "plain").built()
    registry.upload(built, "team/plain", "raw")
    image = open_image(f"{registry.host}/team/plain:raw")
    first = image.metadata.layers[0]
    assert first.media_type.endswith("layer.v1.tar")
    assert first.digest == first.diff_id
    assert scan(image).read_text("etc/os-release") == "ID=plain\n"
    image.close()


def multi_platform() -> list[Image]:
    """amd64 and arm64/v8 variants of one image, told apart by a file."""
    return [
        Image(layers=[[F("etc/arch", "amd64\n")]], architecture="amd64"),
        Image(layers=[[F("etc/arch", "arm64\n")]], architecture="arm64", variant="v8"),
    ]


def test_index_platform_selection(registry: Registry, tmp_path: Path) -> None:
    registry.push(tmp_path, {"multi": multi_platform()}, "team/multi")
    spec = CaptureSpec(globs=("etc/arch",), version="t")
    index_digest = manifest_digest(registry, "team/multi", "multi")
    for wanted, text in ((Platform(), "amd64\n"), (Platform("linux", "arm64"), "arm64\n")):
        image = open_image(f"{registry.host}/team/multi:multi", platform=wanted)
        assert image.metadata.platform.architecture == wanted.architecture
        assert image.metadata.manifest_digest != index_digest
        assert image.metadata.repo_digests == (f"{registry.host}/team/multi@{index_digest}",)
        [(_, index)] = list(image.layer_indexes(spec, None))
        assert index.contents["etc/arch"].decode() == text
        image.close()


def test_missing_platform_lists_the_available_ones(registry: Registry, tmp_path: Path) -> None:
    registry.push(tmp_path, {"multi": multi_platform()}, "team/multi")
    target = f"{registry.host}/team/multi:multi"
    with pytest.raises(PlatformNotFoundError) as err:
        open_image(target, platform=Platform("linux", "s390x"))
    message = str(err.value)
    assert target in message and "linux/s390x" in message
    assert "available: linux/amd64, linux/arm64/v8" in message


def test_corrupt_layer_blob_is_a_digest_mismatch(registry: Registry, tmp_path: Path) -> None:
    registry.push(tmp_path, {"bad": two_layers(marker="corrupt-layer")}, "team/bad")
    target = f"{registry.host}/team/bad:bad"
    image = open_image(target)
    layer = image.metadata.layers[1]
    blob = registry.blob_path(layer.digest)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0xFF
    blob.write_bytes(bytes(data))
    with pytest.raises(DigestMismatchError) as err:
        scan(image)
    image.close()
    assert target in str(err.value) and layer.digest in str(err.value)
    assert "digest mismatch" in str(err.value)


def test_corrupt_config_blob_fails_at_open(registry: Registry, tmp_path: Path) -> None:
    registry.push(tmp_path, {"cfg": two_layers(marker="corrupt-config")}, "team/cfg")
    target = f"{registry.host}/team/cfg:cfg"
    image = open_image(target)
    image.close()
    config_digest = image.metadata.config_digest
    path = registry.blob_path(config_digest)
    path.write_bytes(path.read_bytes().replace(b"amd64", b"arm64"))
    with pytest.raises(DigestMismatchError, match=r"config .*digest mismatch"):
        open_image(target)


def test_unknown_tag_and_repository_are_not_found(registry: Registry, tmp_path: Path) -> None:
    registry.push(tmp_path, {"v1": two_layers()}, "team/app")
    for target in (f"{registry.host}/team/app:nope", f"{registry.host}/team/other:v1"):
        with pytest.raises(TargetNotFoundError) as err:
            open_image(target)
        assert isinstance(err.value, RegistryError)
        assert target in str(err.value) and "404" in str(err.value)
        assert "UNKNOWN" in str(err.value)


def test_connection_refused_names_the_reference() -> None:
    target = f"127.0.0.1:{free_port()}/team/app:v1"
    with pytest.raises(RegistryError, match=r"cannot reach registry") as err:
        open_image(target, timeout=5.0)
    assert target in str(err.value)


def test_malformed_reference_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="lowercase"):
        open_image("127.0.0.1:5000/Team/App:v1")


def test_cached_layers_are_not_downloaded(registry: Registry, tmp_path: Path) -> None:
    registry.push(tmp_path, {"c": two_layers(marker="cached")}, "team/cached")
    target = f"{registry.host}/team/cached:c"
    cache = DictCache()
    image = open_image(target)
    first = scan(image, cache)
    image.close()
    assert len(cache.data) == 2
    image = open_image(target)
    for layer in image.metadata.layers:
        registry.blob_path(layer.digest).unlink()  # a download would now fail
    second = scan(image, cache)
    image.close()
    assert second.read_text("etc/os-release") == first.read_text("etc/os-release") == "ID=cached\n"


class FlakyRedirectingProxy(BaseHTTPRequestHandler):
    """In front of the registry: first answer per path is 503 or 429; blobs are redirected."""

    upstream = ""
    port = 0
    seen: ClassVar[list[str]] = []
    failed: ClassVar[set[str]] = set()

    def do_GET(self) -> None:
        self.seen.append(self.path)
        if self.path.startswith("/storage/"):
            self._forward(self.path.removeprefix("/storage"))
        elif self.path not in self.failed and "/v2/team/" in self.path:
            self.failed.add(self.path)
            self.send_response(429 if "/blobs/" in self.path else 503)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif "/blobs/" in self.path:
            self.send_response(307)
            self.send_header("Location", f"http://localhost:{self.port}/storage{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._forward(self.path)

    def _forward(self, path: str) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() in ("accept",)}
        response = httpx.get(self.upstream + path, headers=headers)
        self.send_response(response.status_code)
        for key in ("Content-Type", "Docker-Content-Digest"):
            if key in response.headers:
                self.send_header(key, response.headers[key])
        self.send_header("Content-Length", str(len(response.content)))
        self.end_headers()
        self.wfile.write(response.content)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def proxy(registry: Registry) -> Iterator[tuple[int, type[FlakyRedirectingProxy]]]:
    """The flaky, redirecting proxy in a thread on a loopback port."""
    handler = type("Proxy", (FlakyRedirectingProxy,), {})
    handler.upstream = f"http://{registry.host}"
    handler.seen, handler.failed = [], set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield handler.port, handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_retries_on_503_and_429_and_follows_blob_redirects(
    registry: Registry,
    proxy: tuple[int, type[FlakyRedirectingProxy]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry_module, "RETRY_DELAYS", (0.0, 0.0))
    port, handler = proxy
    registry.push(tmp_path, {"r": two_layers(marker="retry")}, "team/retry")
    image = open_image(f"127.0.0.1:{port}/team/retry:r")
    assert scan(image).read_text("etc/os-release") == "ID=retry\n"
    image.close()
    blob_paths = [p for p in handler.seen if p.startswith("/v2/team/retry/blobs/")]
    assert len(blob_paths) == 2 * 3, "config + 2 layers, each 429 then redirect"
    assert len([p for p in handler.seen if p.startswith("/storage/")]) == 3
    manifests = [p for p in handler.seen if "/manifests/" in p]
    assert manifests == ["/v2/team/retry/manifests/r"] * 2


def test_retries_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry that always answers 503 gives up after the retries with an error."""
    monkeypatch.setattr(registry_module, "RETRY_DELAYS", (0.0, 0.0, 0.0))
    calls: list[str] = []

    class Always503(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            calls.append(self.path)
            code = 200 if self.path == "/v2/" else 503
            body = (
                b"{}"
                if code == 200
                else json.dumps({"errors": [{"code": "UNAVAILABLE", "message": "busy"}]}).encode()
            )
            self.send_response(code)
            self.send_header("Retry-After", "0")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Always503)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        target = f"127.0.0.1:{server.server_address[1]}/team/busy:v1"
        with pytest.raises(RegistryError, match=r"HTTP 503 UNAVAILABLE: busy") as err:
            open_image(target)
        assert target in str(err.value)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    retries = len(registry_module.RETRY_DELAYS)
    assert calls.count("/v2/team/busy/manifests/v1") == retries + 1


def test_manifest_digest_is_sha256_of_the_bytes(registry: Registry, tmp_path: Path) -> None:
    registry.push(tmp_path, {"d": two_layers(marker="digest")}, "team/digest")
    raw = httpx.get(
        f"http://{registry.host}/v2/team/digest/manifests/d",
        headers={"Accept": "application/vnd.oci.image.manifest.v1+json"},
    ).content
    image = open_image(f"{registry.host}/team/digest:d")
    image.close()
    assert image.metadata.manifest_digest == "sha256:" + hashlib.sha256(raw).hexdigest()
