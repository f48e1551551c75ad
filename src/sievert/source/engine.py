"""Images held by a local container engine (Docker, or podman's Docker-compatible API).

The engine is found at `$DOCKER_HOST` (`unix:///path` or `tcp://host:port`), else the first of
`/var/run/docker.sock`, `$XDG_RUNTIME_DIR/podman/podman.sock`, `/run/podman/podman.sock` that
exists. Metadata comes from `GET /images/{name}/json` and `/history`; layers from one pass over
`GET /images/{name}/get` (a `docker save` tar stream), never written to disk. A layer member is
recognised by the sha256 of its uncompressed bytes, which is its diff_id; when every layer is in the
layer cache the stream is not requested at all. The API is used without a version prefix, which
Docker and podman both route to their current version.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, cast
from urllib.parse import quote

import httpx
from msgspec.structs import replace

from sievert.errors import (
    DigestMismatchError,
    ImageFormatError,
    LayerError,
    LimitError,
    RegistryError,
    SievertError,
    TargetNotFoundError,
    UsageError,
)
from sievert.limits import jsonload
from sievert.model import ImageMetadata, LayerInfo, Notice, Platform
from sievert.source.base import LayerCacheLike, OpenedImage, Progress, SourceOptions
from sievert.source.blob import CHUNK, DigestReader, decompressed
from sievert.source.capture import CaptureSpec
from sievert.source.httpbody import ResponseReader
from sievert.source.layerindex import LayerIndex
from sievert.source.manifest import run_config
from sievert.source.tarwalk import index_tar

DEFAULT_SOCKETS = ("/var/run/docker.sock", "{xdg}/podman/podman.sock", "/run/podman/podman.sock")
LAYER_MEDIA_TYPE = "application/vnd.docker.image.rootfs.diff.tar"
MAX_JSON = 64 * 1024 * 1024
DEFAULT_LAYER_LIMIT = 64 * 1024 * 1024 * 1024
_HEX64 = re.compile(r"[0-9a-f]{64}")


def engine_endpoint(env: Mapping[str, str] | None = None) -> tuple[str, httpx.HTTPTransport, str]:
    """(where, transport, base URL) of the engine API; RegistryError when none is found."""
    environ = os.environ if env is None else env
    host = environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        path = host.removeprefix("unix://")
        return host, httpx.HTTPTransport(uds=path), "http://engine"
    if host.startswith("tcp://"):
        return host, httpx.HTTPTransport(), "http://" + host.removeprefix("tcp://")
    if host:
        raise UsageError(f"DOCKER_HOST={host!r}: only unix:// and tcp:// are supported")
    xdg = environ.get("XDG_RUNTIME_DIR", f"/run/user/{os.getuid()}")
    tried = [s.format(xdg=xdg) for s in DEFAULT_SOCKETS]
    for path in tried:
        if Path(path).exists():
            return f"unix://{path}", httpx.HTTPTransport(uds=path), "http://engine"
    raise RegistryError(
        f"no container engine socket found (tried {', '.join(tried)}); set DOCKER_HOST"
    )


class EngineClient:
    """The few Docker Engine API calls an image scan needs."""

    def __init__(self, target: str, timeout: float, env: Mapping[str, str] | None = None) -> None:
        self.target = target
        self.where, transport, base = engine_endpoint(env)
        socket_path = self.where.removeprefix("unix://")
        if self.where.startswith("unix://") and not Path(socket_path).exists():
            raise RegistryError(
                f"docker:{target}: cannot reach the container engine at {self.where}: "
                "no such socket"
            )
        self._client = httpx.Client(transport=transport, base_url=base, timeout=timeout)

    def close(self) -> None:
        """Close the connection."""
        self._client.close()

    def image_path(self, suffix: str) -> str:
        """`/images/<name>/<suffix>` with the name kept readable (`/` and `:` unescaped)."""
        return f"/images/{quote(self.target, safe='/:@')}/{suffix}"

    def get_json(self, suffix: str) -> Any:
        """GET an image endpoint and parse its JSON answer."""
        return self.api_json(self.image_path(suffix))

    def api_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET any engine endpoint (`/containers/json`) and parse its JSON answer; an empty
        body is None."""
        with self.stream_path(path, params) as raw:
            data = raw.read(MAX_JSON + 1)
        if len(data) > MAX_JSON:
            raise ImageFormatError(f"docker:{self.target}: engine answer to {path} is too large")
        if not data.strip():
            return None
        try:
            return jsonload.loads(data, f"docker:{self.target}: {path}")
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ImageFormatError(f"docker:{self.target}: engine sent malformed JSON") from exc

    @contextmanager
    def stream(self, suffix: str) -> Iterator[BinaryIO]:
        """An image endpoint's body as a stream; errors name the image and the engine."""
        with self.stream_path(self.image_path(suffix)) as raw:
            yield raw

    @contextmanager
    def stream_path(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[BinaryIO]:
        """Any endpoint's body as a stream; errors name the target and the engine."""
        try:
            with self._client.stream("GET", path, params=params) as response:
                if response.status_code != 200:
                    raise self._status_error(response)
                yield cast(
                    BinaryIO,
                    io.BufferedReader(
                        ResponseReader(response, f"docker:{self.target}", "engine stream"), CHUNK
                    ),
                )
        except httpx.TransportError as exc:
            raise RegistryError(
                f"docker:{self.target}: cannot reach the container engine at {self.where}: {exc}"
            ) from exc

    def _status_error(self, response: httpx.Response) -> SievertError:
        response.read()
        try:
            message = str(jsonload.loads(response.content, "engine error").get("message", ""))
        except (ValueError, AttributeError, UnicodeDecodeError, LimitError):
            message = response.text[:200]
        text = f"docker:{self.target}: engine at {self.where} answered HTTP {response.status_code}"
        if response.status_code == 404:
            return TargetNotFoundError(f"{text}: no such image ({message})")
        return RegistryError(f"{text}: {message}")


class HashingReader(io.RawIOBase):
    """Passes a stream through, hashing it with sha256."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.hash = hashlib.sha256()

    def readable(self) -> bool:
        """Always readable."""
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        """Read and hash."""
        data = self._raw.read(len(buffer))
        self.hash.update(data)
        memoryview(buffer)[: len(data)] = data
        return len(data)

    def digest(self) -> str:
        """'sha256:<hex>' of everything read (after draining the rest)."""
        while self.read(CHUNK):
            pass
        return "sha256:" + self.hash.hexdigest()


# metadata --------------------------------------------------------------------------------------
def engine_metadata(target: str, inspect: Any, history: Any) -> ImageMetadata:
    """ImageMetadata from `/images/{name}/json` and `/images/{name}/history` answers."""
    if not isinstance(inspect, dict):
        raise ImageFormatError(f"docker:{target}: engine inspect answer is not an object")
    diff_ids = (inspect.get("RootFS") or {}).get("Layers") or []
    if not isinstance(diff_ids, list) or not all(isinstance(d, str) for d in diff_ids):
        raise ImageFormatError(f"docker:{target}: engine lists no RootFS layers")
    entries = (
        [h for h in reversed(history) if isinstance(h, dict)] if isinstance(history, list) else []
    )
    layered = _layer_history(entries, len(diff_ids))
    layers = tuple(
        LayerInfo(
            index=i,
            digest=diff_id,
            diff_id=diff_id,
            size=int(layered[i].get("Size") or 0) if layered else 0,
            media_type=LAYER_MEDIA_TYPE,
            created_by=str(layered[i].get("CreatedBy") or "") if layered else "",
            created=_timestamp(layered[i].get("Created")) if layered else "",
            comment=str(layered[i].get("Comment") or "") if layered else "",
        )
        for i, diff_id in enumerate(diff_ids)
    )
    image_id = str(inspect.get("Id") or "")
    return ImageMetadata(
        reference=target,
        source_kind="docker",
        config_digest=image_id if ":" in image_id or not image_id else f"sha256:{image_id}",
        repo_tags=tuple(str(t) for t in inspect.get("RepoTags") or ()),
        repo_digests=tuple(str(d) for d in inspect.get("RepoDigests") or ()),
        platform=Platform(
            str(inspect.get("Os") or ""),
            str(inspect.get("Architecture") or ""),
            str(inspect.get("Variant") or ""),
        ),
        layers=layers,
        created=str(inspect.get("Created") or ""),
        **run_config(inspect.get("Config")),
        history=tuple(
            (str(h.get("CreatedBy") or ""), not any(h is x for x in layered)) for h in entries
        ),
    )


def _layer_history(entries: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """History entries (oldest first) that made the layers: those with a size, else all."""
    sized = [h for h in entries if h.get("Size")]
    if len(sized) == count:
        return sized
    return entries if len(entries) == count else []


def _timestamp(value: Any) -> str:
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value or "")


# the archive stream -------------------------------------------------------------------------
def looks_like_layer(head: bytes) -> bool:
    """Whether a member's first bytes are gzip, zstd or a tar header (or an empty tar)."""
    if head.startswith((b"\x1f\x8b", b"\x28\xb5\x2f\xfd")):
        return True
    if len(head) < tarfile.BLOCKSIZE:
        return False
    if head[: tarfile.BLOCKSIZE] == bytes(tarfile.BLOCKSIZE):
        return True
    try:
        tarfile.TarInfo.frombuf(head[: tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


class ArchiveIndexer:
    """One pass over a `docker save` stream, indexing the members that are wanted layers."""

    def __init__(self, name: str, layers: tuple[LayerInfo, ...], spec: CaptureSpec) -> None:
        self.name = name
        self.spec = spec
        self.known = {layer.diff_id for layer in layers}
        self.members: dict[str, str] = {}
        """diff_id -> member name, learnt on the way."""

    def indexes(self, stream: BinaryIO, wanted: set[str]) -> Iterator[tuple[str, LayerIndex]]:
        """(diff_id, index) for each wanted layer met; stops reading once all are met."""
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    if not wanted:
                        return
                    hit = self._member(tar, member, wanted)
                    if hit is not None:
                        wanted.discard(hit[0])
                        yield hit
        except tarfile.TarError as exc:
            raise ImageFormatError(
                f"{self.name}: engine image stream is not a tar ({exc})"
            ) from exc

    def _member(
        self, tar: tarfile.TarFile, member: tarfile.TarInfo, wanted: set[str]
    ) -> tuple[str, LayerIndex] | None:
        if not member.isfile():
            return None
        handle = tar.extractfile(member)
        if handle is None or not looks_like_layer(handle.peek(tarfile.BLOCKSIZE)):  # type: ignore[attr-defined]
            return None
        guess = self.guess(member.name)
        if guess and guess not in wanted:
            return None
        label = guess or f"{self.name} member {member.name}"
        hashing = HashingReader(
            decompressed(cast(BinaryIO, handle), label, self.spec.max_layer_size)
        )
        placeholder = LayerInfo(-1, guess, guess, member.size, LAYER_MEDIA_TYPE)
        index = index_tar(cast(BinaryIO, io.BufferedReader(hashing, CHUNK)), self.spec, placeholder)
        diff_id = hashing.digest()
        if guess and diff_id != guess:
            raise DigestMismatchError(
                f"{self.name}: layer {guess}: digest mismatch: member {member.name} "
                f"content hashes to {diff_id}"
            )
        if diff_id in self.known:
            self.members[diff_id] = member.name
        if diff_id not in wanted:
            return None
        return diff_id, _renamed(index, diff_id)

    def guess(self, member_name: str) -> str:
        """The diff_id a member's name suggests (podman and Docker's OCI layout name by digest)."""
        for hexpart in _HEX64.findall(member_name):
            if f"sha256:{hexpart}" in self.known:
                return f"sha256:{hexpart}"
        return ""


def _renamed(index: LayerIndex, diff_id: str) -> LayerIndex:
    """The index with its diff_id set and its notices placed at the layer."""
    notices = tuple(Notice(n.message, n.where or diff_id, n.level) for n in index.notices)
    return replace(index, diff_id=diff_id, notices=notices)


class EngineImage(OpenedImage):
    """An image in a local engine: metadata from the API, layers from one `get` stream."""

    def __init__(self, client: EngineClient, metadata: ImageMetadata) -> None:
        self.client = client
        self.metadata = metadata
        self._members: dict[str, str] = {}

    def layer_indexes(
        self,
        spec: CaptureSpec,
        cache: LayerCacheLike | None,
        progress: Progress | None = None,
        *,
        deferred: bool = False,
    ) -> Iterator[tuple[LayerInfo, LayerIndex]]:
        """Cached layers from the cache, the others from one pass over the image stream."""
        del deferred  # every layer is checked as the stream is read
        layers = self.metadata.layers
        ready: dict[str, LayerIndex] = {}
        for layer in layers:
            cached = cache.get(layer.diff_id, spec) if cache else None
            if cached is not None:
                ready[layer.diff_id] = cached
        wanted = {layer.diff_id for layer in layers} - set(ready)
        emitted = 0
        found = self._stream_indexes(spec, wanted) if wanted else iter(())
        while emitted < len(layers):
            layer = layers[emitted]
            if layer.diff_id in ready:
                if progress:
                    progress(layer, "done" if layer.diff_id in wanted else "cached")
                yield layer, ready[layer.diff_id]
                emitted += 1
                continue
            diff_id, index = next(found, ("", None))
            if index is None:
                raise LayerError(
                    layer.diff_id, f"not in the engine's stream of {self.client.target}"
                )
            if cache:
                cache.put(diff_id, spec, index)
            ready[diff_id] = index

    def _stream_indexes(
        self, spec: CaptureSpec, wanted: set[str]
    ) -> Iterator[tuple[str, LayerIndex]]:
        indexer = ArchiveIndexer(f"docker:{self.client.target}", self.metadata.layers, spec)
        with self.client.stream("get") as stream:
            yield from indexer.indexes(stream, set(wanted))
        self._members.update(indexer.members)

    @contextmanager
    def open_layer(self, layer: LayerInfo) -> Iterator[BinaryIO]:
        """One layer's uncompressed tar, found in the image stream by name or by content."""
        spec = CaptureSpec(globs=(), version="open_layer")
        indexer = ArchiveIndexer(f"docker:{self.client.target}", self.metadata.layers, spec)
        member_name = self._members.get(layer.diff_id, "")
        with self.client.stream("get") as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if member.isfile() and (
                    member.name == member_name or indexer.guess(member.name) == layer.diff_id
                ):
                    handle = cast(BinaryIO, tar.extractfile(member))
                    inner = decompressed(handle, layer.diff_id, DEFAULT_LAYER_LIMIT)
                    checked = DigestReader(inner, layer.diff_id, f"docker:{self.client.target}")
                    yield cast(BinaryIO, io.BufferedReader(checked, CHUNK))
                    checked.drain()
                    return
        if not member_name:
            self._learn_members(spec)
            if layer.diff_id in self._members:
                with self.open_layer(layer) as found:
                    yield found
                return
        raise LayerError(layer.diff_id, f"not in the engine's stream of {self.client.target}")

    def _learn_members(self, spec: CaptureSpec) -> None:
        """A pass over the stream that only learns which member holds which layer."""
        indexer = ArchiveIndexer(f"docker:{self.client.target}", self.metadata.layers, spec)
        with self.client.stream("get") as stream:
            for _ in indexer.indexes(stream, set(indexer.known)):
                pass
        self._members.update(indexer.members)

    def close(self) -> None:
        """Close the engine connection."""
        self.client.close()


class EngineSource:
    """`docker:` targets: an image held by the local Docker (or podman) engine."""

    kind = "docker"

    def claims(self, target: str) -> bool:
        """Never by guess: engine images are scanned with the explicit `docker:` prefix."""
        return False

    def open(self, target: str, options: SourceOptions) -> EngineImage:
        """Look the image up in the engine: inspect and history (layers are read later)."""
        client = EngineClient(target, options.timeout)
        try:
            inspect = client.get_json("json")
            history = client.get_json("history")
            return EngineImage(client, engine_metadata(target, inspect, history))
        except BaseException:
            client.close()
            raise
