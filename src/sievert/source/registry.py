"""Images read straight from a registry over the OCI distribution API v2, never stored on disk.

Plain HTTP follows Docker's rule: a registry is "insecure" when `insecure_registry` is set or its
host is a loopback address (`localhost`, 127.0.0.0/8, ::1), as Docker treats 127.0.0.0/8 as an
insecure registry by default. For an insecure registry HTTPS is tried first without certificate
verification, then plain HTTP; every other registry is reached over verified HTTPS only.

Every blob (manifest, config, layer) is checked against its digest. For a multi-platform index the
platform's manifest is chosen; `ImageMetadata.manifest_digest` is that image manifest's digest and
`repo_digests` holds `name@digest` of what the reference resolved to (the index when there is one),
the digest `docker pull` records.
"""

from __future__ import annotations

import hashlib
import io
import ipaddress
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, cast

import httpx

from sievert.errors import (
    AuthError,
    DigestMismatchError,
    ImageFormatError,
    LayerError,
    LimitError,
    RegistryError,
    SievertError,
    TargetNotFoundError,
)
from sievert.limits import jsonload
from sievert.model import ImageMetadata, LayerInfo, Notice
from sievert.model.reference import Reference, parse_reference
from sievert.source import manifest as mf
from sievert.source.auth import Authenticator, find_credentials
from sievert.source.base import LayerCacheLike, OpenedImage, Progress, SourceOptions
from sievert.source.blob import CHUNK, DigestReader, decompressed
from sievert.source.capture import CaptureSpec
from sievert.source.httpbody import ResponseReader
from sievert.source.layerindex import LayerIndex

log = logging.getLogger(__name__)

ACCEPT = ", ".join((mf.OCI_INDEX, mf.OCI_MANIFEST, mf.DOCKER_LIST, mf.DOCKER_MANIFEST))
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
RETRY_DELAYS: tuple[float, ...] = (0.5, 1.0, 2.0)
"""Seconds to wait before each retry of a 429/5xx answer; its length bounds the retries."""
MAX_RETRY_AFTER = 10.0
TAGS_PAGE = 1000
"""Tags asked for per page of `/tags/list` (`n`); registries may return fewer."""
MAX_TAG_PAGES = 200
"""Pages of a tag list followed at most (a loop or a hostile registry ends there)."""
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;[^,]*rel="?next"?')
USER_AGENT = "sievert (container image scanner)"
DEFAULT_LAYER_LIMIT = 64 * 1024 * 1024 * 1024


class ImageNotFoundError(TargetNotFoundError, RegistryError):
    """The registry does not know the repository or the manifest."""


def is_loopback(host: str) -> bool:
    """Whether a host name is localhost or a loopback IP address."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RegistryClient:
    """The distribution API for one repository: ping, manifests, blobs; auth and retries."""

    def __init__(self, ref: Reference, options: SourceOptions, target: str) -> None:
        self.ref = ref
        self.target = target
        self.notices: list[Notice] = []
        insecure = options.insecure_registry or is_loopback(ref.hostname)
        self._schemes = ("https", "http") if insecure else ("https",)
        self._client = httpx.Client(
            timeout=options.timeout, verify=not insecure, headers={"User-Agent": USER_AGENT}
        )
        creds = find_credentials(
            ref.domain, options.username, options.password, notices=self.notices
        )
        self.auth = Authenticator(creds, target, options.authorization)
        self.base = ""

    @property
    def scope(self) -> str:
        """The token scope for pulling this repository."""
        return f"repository:{self.ref.path}:pull"

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    # transport ----------------------------------------------------------------------------
    def ping(self) -> None:
        """`GET /v2/`: pick the scheme that answers, and authenticate if challenged."""
        last: httpx.TransportError | None = None
        for scheme in self._schemes:
            base = f"{scheme}://{self.ref.api_host}"
            headers = {"Authorization": self.auth.header} if self.auth.header else {}
            try:
                response = self._client.get(f"{base}/v2/", headers=headers)
            except httpx.TransportError as exc:
                last = exc
                continue
            self.base = base
            if response.status_code == 401:
                self._challenge(response)
            elif response.status_code not in (200, 404):
                raise self._status_error(response, "registry ping")
            return
        raise RegistryError(f"{self.target}: cannot reach registry {self.ref.api_host}: {last}")

    def _challenge(self, response: httpx.Response) -> None:
        header = response.headers.get("WWW-Authenticate", "")
        if not header:
            raise AuthError(f"{self.target}: registry answered 401 without a challenge")
        self.auth.respond(self._client, header, self.scope)

    def send(self, path: str, accept: str = "") -> httpx.Response:
        """GET a registry path (streamed): auth once on 401, bounded retries on 429/5xx."""
        authenticated = False
        for delay in (*RETRY_DELAYS, None):
            response = self._send_once(path, accept)
            if response.status_code == 401 and not authenticated:
                response.close()
                self._challenge(response)
                authenticated = True
                response = self._send_once(path, accept)
            if response.status_code not in RETRY_STATUSES or delay is None:
                return response
            response.close()
            time.sleep(_retry_delay(response, delay))
        raise AssertionError("unreachable")

    def _send_once(self, path: str, accept: str) -> httpx.Response:
        headers = {"Accept": accept} if accept else {}
        if self.auth.header:
            headers["Authorization"] = self.auth.header
        request = self._client.build_request("GET", f"{self.base}{path}", headers=headers)
        try:
            return self._client.send(request, stream=True, follow_redirects=True)
        except httpx.TransportError as exc:
            raise RegistryError(
                f"{self.target}: cannot reach registry {self.ref.api_host}: {exc}"
            ) from exc

    def _status_error(self, response: httpx.Response, what: str) -> SievertError:
        response.read()
        detail = _error_detail(response)
        status = response.status_code
        text = f"{self.target}: {what}: HTTP {status}{detail}"
        if status in (401, 403):
            return AuthError(f"{text} (access denied)")
        if status == 404 and what.startswith("manifest"):
            return ImageNotFoundError(f"{text} (no such image)")
        return RegistryError(text)

    # content ------------------------------------------------------------------------------
    def manifest(self, identifier: str) -> tuple[bytes, str]:
        """A manifest or index by tag or digest: its bytes and their verified digest."""
        path = f"/v2/{self.ref.path}/manifests/{identifier}"
        response = self.send(path, ACCEPT)
        try:
            if response.status_code != 200:
                raise self._status_error(response, f"manifest {identifier}")
            body = self._read_bounded(response, f"manifest {identifier}")
        finally:
            response.close()
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        claimed = identifier if ":" in identifier else response.headers.get("Docker-Content-Digest")
        _check_digest(body, claimed or digest, f"{self.target}: manifest {identifier}")
        return body, digest

    def blob_bytes(self, digest: str, what: str) -> bytes:
        """A small blob (config) read whole and verified."""
        with self.blob(digest, what) as raw:
            reader = DigestReader(raw, digest, f"{self.target}: {what} {digest}")
            data = reader.read(mf.MAX_DOCUMENT + 1)
            if len(data) > mf.MAX_DOCUMENT:
                raise ImageFormatError(f"{self.target}: {what} {digest} is too large")
            reader.drain()
        return data

    @contextmanager
    def blob(self, digest: str, what: str) -> Iterator[BinaryIO]:
        """A blob's raw bytes streamed (redirects followed), unverified: wrap in DigestReader."""
        response = self.send(f"/v2/{self.ref.path}/blobs/{digest}")
        try:
            if response.status_code != 200:
                raise self._status_error(response, f"{what} {digest}")
            reader = io.BufferedReader(ResponseReader(response, f"{self.target}: {what}"), CHUNK)
            yield reader
        finally:
            response.close()

    def tags_page(self, path: str) -> tuple[list[str], str | None]:
        """One page of the repository's tags, and the path of the next page when linked."""
        response = self.send(path)
        try:
            if response.status_code == 404:
                response.read()
                detail = _error_detail(response)
                raise ImageNotFoundError(
                    f"{self.target}: tags list: HTTP 404{detail} (no such repository)"
                )
            if response.status_code != 200:
                raise self._status_error(response, "tags list")
            body = self._read_bounded(response, "tags list")
        finally:
            response.close()
        return _parse_tags(body, self.target), _next_path(response.headers.get("Link", ""))

    def _read_bounded(self, response: httpx.Response, what: str) -> bytes:
        reader = ResponseReader(response, f"{self.target}: {what}")
        data = bytearray()
        while chunk := reader.read(CHUNK):
            data += chunk
            if len(data) > mf.MAX_DOCUMENT:
                raise ImageFormatError(f"{self.target}: {what} is too large")
        return bytes(data)


def _retry_delay(response: httpx.Response, default: float) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER) if value else default
    except ValueError:
        return default


def _error_detail(response: httpx.Response) -> str:
    """' MANIFEST_UNKNOWN: manifest unknown' from a distribution error body, if there is one."""
    try:
        errors = jsonload.loads(response.content, "registry error").get("errors") or []
        first = errors[0]
        return f" {first.get('code', '')}: {first.get('message', '')}".rstrip(": ")
    except (ValueError, AttributeError, IndexError, TypeError, UnicodeDecodeError, LimitError):
        return ""


def _check_digest(data: bytes, expected: str, name: str) -> None:
    algo, _, want = expected.partition(":")
    if algo not in ("sha256", "sha384", "sha512"):
        return
    got = hashlib.new(algo, data).hexdigest()
    if got != want.lower():
        raise DigestMismatchError(
            f"{name}: digest mismatch: expected {expected}, content hashes to {algo}:{got}"
        )


class RegistryImage(OpenedImage):
    """An image in a registry: layers streamed, verified and decompressed on demand."""

    def __init__(self, client: RegistryClient, metadata: ImageMetadata) -> None:
        self.client = client
        self.metadata = metadata
        self.notices = client.notices
        self._limit = DEFAULT_LAYER_LIMIT

    def layer_indexes(
        self,
        spec: CaptureSpec,
        cache: LayerCacheLike | None,
        progress: Progress | None = None,
        *,
        deferred: bool = False,
    ) -> Iterator[tuple[LayerInfo, LayerIndex]]:
        """Index every layer not cached, bounding each by the spec's uncompressed size."""
        self._limit = spec.max_layer_size
        return super().layer_indexes(spec, cache, progress, deferred=deferred)

    @contextmanager
    def open_layer(self, layer: LayerInfo) -> Iterator[BinaryIO]:
        """The layer's uncompressed tar stream; its digest is checked when the stream ends."""
        with self.client.blob(layer.digest, "layer") as raw:
            checked = DigestReader(raw, layer.digest, f"{self.client.target}: layer {layer.digest}")
            stream = decompressed(cast(BinaryIO, checked), layer.digest, self._limit)
            try:
                yield stream
            except LayerError as exc:
                checked.drain()  # a damaged blob is reported as the digest mismatch it is
                raise exc
            while stream.read(CHUNK):
                pass
            checked.drain()

    def close(self) -> None:
        """Close the registry connections."""
        self.client.close()


class RegistrySource:
    """`registry:` targets: an image reference pulled over the distribution API."""

    kind = "registry"

    def claims(self, target: str) -> bool:
        """A well-formed reference that is not an existing path."""
        try:
            parse_reference(target)
        except SievertError:
            return False
        return not Path(target).exists()

    def open(self, target: str, options: SourceOptions) -> RegistryImage:
        """Resolve the reference (and platform) to one image's manifest and config."""
        ref = parse_reference(target)
        client = RegistryClient(ref, options, target)
        try:
            return self._resolve(client, ref, options, target)
        except BaseException:
            client.close()
            raise

    def _resolve(
        self, client: RegistryClient, ref: Reference, options: SourceOptions, target: str
    ) -> RegistryImage:
        for notice in client.notices:
            log.warning("%s", notice.message)
        client.ping()
        body, top_digest = client.manifest(ref.identifier)
        doc = mf.load_json(body, f"{target}: manifest")
        digest = top_digest
        if mf.is_index(doc):
            entry = mf.select_platform(mf.parse_index(doc, target), options.platform, target)
            body, digest = client.manifest(entry.digest)
            doc = mf.load_json(body, f"{target}: manifest {entry.digest}")
            if mf.is_index(doc):
                raise ImageFormatError(f"{target}: index entry {entry.digest} is another index")
        manifest = mf.parse_manifest(doc, target)
        config = client.blob_bytes(manifest.config.digest, "config")
        metadata = mf.image_metadata(
            config,
            manifest,
            reference=target,
            source_kind=self.kind,
            manifest_digest=digest,
            repo_tags=(f"{ref.name}:{ref.tag}",) if ref.tag else (),
            repo_digests=(f"{ref.name}@{top_digest}",),
        )
        return RegistryImage(client, metadata)


def manifest_digest(reference: str, options: SourceOptions) -> str:
    """The digest a tag points at now (an index's own digest for a multi-platform image)."""
    ref = parse_reference(reference.removeprefix("registry:"))
    client = RegistryClient(ref, options, str(ref))
    try:
        client.ping()
        return client.manifest(ref.identifier)[1]
    finally:
        client.close()


# tag lists ---------------------------------------------------------------------------------
def list_tags(reference: str, options: SourceOptions) -> list[str]:
    """Every tag of the reference's repository (`GET /v2/<name>/tags/list`, all pages)."""
    ref = parse_reference(reference.removeprefix("registry:"))
    client = RegistryClient(ref, options, ref.name)
    try:
        client.ping()
        return _all_tags(client)
    finally:
        client.close()


def _all_tags(client: RegistryClient) -> list[str]:
    """Follow `Link: <...>; rel="next"` from the first page until the list ends."""
    path: str | None = f"/v2/{client.ref.path}/tags/list?n={TAGS_PAGE}"
    seen: set[str] = set()
    known: set[str] = set()
    tags: list[str] = []
    while path is not None:
        if path in seen or len(seen) >= MAX_TAG_PAGES:
            raise RegistryError(f"{client.target}: tags list: pagination does not end")
        seen.add(path)
        page, path = client.tags_page(path)
        tags.extend(t for t in page if t not in known)
        known.update(page)
    return tags


def _parse_tags(body: bytes, repository: str) -> list[str]:
    """The `tags` array of a tags/list answer (null means none); RegistryError when malformed."""
    try:
        doc = jsonload.loads(body, f"{repository}: tags list")
    except (ValueError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{repository}: tags list is not JSON: {exc}") from None
    tags = doc.get("tags") if isinstance(doc, dict) else None
    if tags is None and isinstance(doc, dict):
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise RegistryError(f"{repository}: tags list has no array of tag names")
    return list(tags)


def _next_path(link: str) -> str | None:
    """The path and query of a `rel="next"` link (absolute URLs keep only those)."""
    found = _NEXT_LINK.search(link)
    if found is None:
        return None
    url = httpx.URL(found.group(1))
    query = url.query.decode()
    return url.path + (f"?{query}" if query else "")
