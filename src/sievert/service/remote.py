"""`sievert scan --server`: the protocol between a client that walks an image and the server.

1. The client asks which layer analyses the server lacks (`POST /v1/layers/missing`, keyed by
   diff_id and the capture spec's version: the key of the CLI's cache and the fleet store).
2. It uploads only those (`PUT /v1/layers/{diff_id}`), never a layer tarball.
3. It sends the image's description (`POST /v1/images/described`): config, layers, history.
   The server assembles the inventory from the analyses, matches it with its DB, runs the
   image checks, stores and certifies the image like any other, and the client fetches it.

Trust: the server cannot check that an uploaded analysis is what the layer holds (it never sees
the layer). So an upload is stored under its uploader's key (diff_id + version + token id) and
is only ever used for images that the same token describes; the analyses the server walked
itself are shared by the whole fleet (and spare clients the upload). A forged analysis can only
falsify its uploader's own results, as a forged SBOM could; it cannot reach other images.
Every upload is parsed strictly (bounded decompression, types, paths, sizes) and stored
re-serialised by the server, so what the store holds is always well formed."""

from __future__ import annotations

import io
import json
import re
import struct
from typing import Annotated, Any

import msgspec
import zstandard
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from sievert.model import ImageMetadata, LayerInfo, Notice, Platform
from sievert.source.layerindex import KIND_CODES, Entry, EntryTable, LayerIndex

DIFF_ID = r"^sha(256:[0-9a-f]{64}|512:[0-9a-f]{128})$"
DIFF_ID_RE = re.compile(DIFF_ID)
VERSION = r"^[0-9a-f]{1,64}$"
MAX_DESCRIPTION = 4 * 1024 * 1024
"""Bytes of an image description."""
MAX_LAYERS = 1000
"""Layers of one described image (and diff_ids in one query)."""
ENTRY_KINDS = frozenset(KIND_CODES)
MAX_PATH = 4096
MAX_NOTICES = 10_000
MAX_TEXT = 65_536

DiffId = Annotated[str, StringConstraints(pattern=DIFF_ID)]
Short = Annotated[str, StringConstraints(max_length=1000)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
SourceKind = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
Strings = Annotated[list[Text], Field(max_length=MAX_LAYERS)]
Pairs = Annotated[list[tuple[Text, Text]], Field(max_length=MAX_LAYERS)]


class LayersQuery(BaseModel):
    """Which of these layers' analyses does the server lack?"""

    model_config = ConfigDict(extra="forbid")
    version: Annotated[str, StringConstraints(pattern=VERSION)]
    source_kind: SourceKind
    diff_ids: Annotated[list[DiffId], Field(max_length=MAX_LAYERS)]


class LayersAnswer(BaseModel):
    """The layers whose analyses the client should upload."""

    version: str
    missing: list[str]


class LayerStored(BaseModel):
    """One uploaded layer analysis, accepted."""

    diff_id: str
    stored: bool
    """False when this uploader's analysis of the layer was already stored (kept as it was)."""
    size: int


class LayerStats(BaseModel):
    """The fleet layer store: analyses the server walked and analyses clients uploaded."""

    walked: int
    uploaded: int
    bytes: int
    uploads_received: int
    """Upload requests since the server started (accepted or not)."""
    uploads_stored: int
    uploads_rejected: int


class PlatformDescription(BaseModel):
    """An OCI platform."""

    model_config = ConfigDict(extra="forbid")
    os: Annotated[str, StringConstraints(min_length=1, max_length=50)] = "linux"
    architecture: Annotated[str, StringConstraints(min_length=1, max_length=50)] = "amd64"
    variant: Annotated[str, StringConstraints(max_length=50)] = ""


class LayerDescription(BaseModel):
    """One layer: digests, size and the history line that made it."""

    model_config = ConfigDict(extra="forbid")
    digest: Short = ""
    diff_id: DiffId
    size: Annotated[int, Field(ge=0)] = 0
    media_type: Short = ""
    created_by: Text = ""
    created: Short = ""
    comment: Text = ""


class ImageDescription(BaseModel):
    """Everything about an image but its layers' contents (whose analyses are on the server)."""

    model_config = ConfigDict(extra="forbid")
    version: Annotated[str, StringConstraints(pattern=VERSION)]
    """The capture spec's version the layer analyses were made with."""
    reference: Short = ""
    source_kind: SourceKind
    manifest_digest: Short = ""
    config_digest: Short = ""
    repo_tags: Strings = []
    repo_digests: Strings = []
    platform: PlatformDescription = PlatformDescription()
    layers: Annotated[list[LayerDescription], Field(min_length=1, max_length=MAX_LAYERS)]
    created: Short = ""
    user: Short = ""
    env: Strings = []
    entrypoint: Strings = []
    cmd: Strings = []
    working_dir: Text = ""
    exposed_ports: Strings = []
    labels: Pairs = []
    annotations: Pairs = []
    history: Annotated[list[tuple[Text, bool]], Field(max_length=MAX_LAYERS * 4)] = []


def describe(metadata: ImageMetadata, version: str) -> ImageDescription:
    """The description of an opened image the client sends (the metadata's own field names)."""
    fields = {
        name: getattr(metadata, name) for name in ImageDescription.model_fields if name != "version"
    }
    return ImageDescription.model_validate({**fields, "version": version}, from_attributes=True)


def metadata_of(description: ImageDescription, reference: str) -> ImageMetadata:
    """The image metadata the server assembles the inventory with."""
    platform = description.platform
    return ImageMetadata(
        reference=reference or description.reference,
        source_kind=description.source_kind,
        manifest_digest=description.manifest_digest,
        config_digest=description.config_digest,
        repo_tags=tuple(description.repo_tags),
        repo_digests=tuple(description.repo_digests),
        platform=Platform(platform.os, platform.architecture, platform.variant),
        layers=tuple(
            LayerInfo(
                index=n,
                digest=layer.digest,
                diff_id=layer.diff_id,
                size=layer.size,
                media_type=layer.media_type,
                created_by=layer.created_by,
                created=layer.created,
                comment=layer.comment,
            )
            for n, layer in enumerate(description.layers)
        ),
        created=description.created,
        user=description.user,
        env=tuple(description.env),
        entrypoint=tuple(description.entrypoint),
        cmd=tuple(description.cmd),
        working_dir=description.working_dir,
        exposed_ports=tuple(description.exposed_ports),
        labels=tuple(description.labels),
        annotations=tuple(description.annotations),
        history=tuple(description.history),
    )


# uploaded layer analyses ----------------------------------------------------------------------
class UploadError(ValueError):
    """An uploaded layer analysis is not well formed (the message says where)."""


class UploadLimits(msgspec.Struct, frozen=True):
    """Bounds on one uploaded layer analysis."""

    max_bytes: int
    """Uncompressed bytes."""
    max_entries: int = 2_000_000
    max_file: int = 64 * 1024 * 1024


def parse_upload(data: bytes, diff_id: str, limits: UploadLimits) -> LayerIndex:
    """An uploaded layer analysis (`LayerIndex.to_bytes`), checked field by field; UploadError
    names the first problem. Decompression is bounded, so a bomb costs at most the bound."""
    raw = _decompress(data, limits.max_bytes)
    if len(raw) < 8:
        raise UploadError("too short to be a layer analysis")
    (head_len,) = struct.unpack(">Q", raw[:8])
    if head_len > len(raw) - 8:
        raise UploadError("the header runs past the end")
    try:
        header = json.loads(raw[8 : 8 + head_len])
    except (ValueError, RecursionError) as exc:
        raise UploadError(f"the header is not JSON ({exc})") from exc
    if not isinstance(header, dict):
        raise UploadError("the header is not an object")
    if header.get("diff_id") != diff_id:
        raise UploadError("its diff_id is not the one it is uploaded as")
    body = memoryview(raw)[8 + head_len :]
    entries, offset = _entries(header, body, limits)
    contents: dict[str, bytes] = {}
    for path, size in _rows(header, "contents", 2, limits.max_entries):
        end = offset + _size(size, limits.max_file)
        if end > len(body):
            raise UploadError("a captured file runs past the end")
        contents[_path(path)] = bytes(body[offset:end])
        offset = end
    extracts: dict[str, dict[str, bytes]] = {}
    for path, name, size in _rows(header, "extracts", 3, limits.max_entries):
        end = offset + _size(size, limits.max_file)
        if end > len(body):
            raise UploadError("an extract runs past the end")
        extracts.setdefault(_path(path), {})[_text(name, "extract name", 200)] = bytes(
            body[offset:end]
        )
        offset = end
    if offset != len(body):
        raise UploadError("the body is longer than its header says")
    notices = _rows(header, "notices", 3, MAX_NOTICES)
    bytes_read = header.get("bytes_read", 0)
    if type(bytes_read) is not int or bytes_read < 0:
        raise UploadError("bytes_read is not a count")
    return LayerIndex(
        diff_id=diff_id,
        entries=entries,
        contents=contents,
        notices=tuple(Notice(*(_text(v, "notice", MAX_TEXT) for v in row)) for row in notices),
        bytes_read=bytes_read,
        extracts=extracts,
    )


def _entries(
    header: dict[str, Any], body: memoryview, limits: UploadLimits
) -> tuple[EntryTable, int]:
    """The packed entry table at the start of the body, every entry checked; its end."""
    shape = header.get("entries")
    if not (isinstance(shape, list) and len(shape) == 2 and all(type(v) is int for v in shape)):
        raise UploadError("entries is not a packed table (count, size)")
    count, size = shape
    if not 0 <= count <= limits.max_entries or not 0 <= size <= len(body):
        raise UploadError("the entry table's count or size is out of bounds")
    odd = _rows(header, "odd_entries", 8, limits.max_entries)
    try:
        table = EntryTable.from_parts(bytes(body[:size]), count, odd)
        for entry in table:
            _entry(entry)
    except ValueError as exc:  # the table's own checks (UploadError is one too)
        raise UploadError(str(exc)) from exc
    return table, size


def _rows(header: dict[str, Any], key: str, width: int, most: int) -> list[list[Any]]:
    rows = header.get(key, [])
    if not isinstance(rows, list) or len(rows) > most:
        raise UploadError(f"{key} is not a list of at most {most}")
    for row in rows:
        if not isinstance(row, list) or len(row) != width:
            raise UploadError(f"{key} holds a row that is not {width} values")
    return rows


def _entry(entry: Entry) -> None:
    _path(entry.path)
    if entry.kind not in ENTRY_KINDS:
        raise UploadError(f"unknown entry kind {str(entry.kind)[:40]!r}")
    for value in (entry.size, entry.mode, entry.uid, entry.gid):
        if type(value) is not int or not 0 <= value < 2**63:
            raise UploadError(f"{entry.path[:80]}: a size, mode or owner is not a count")
    _text(entry.link, "link", MAX_PATH)


def _decompress(data: bytes, limit: int) -> bytes:
    try:
        reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
        raw = reader.read(limit + 1)
    except zstandard.ZstdError as exc:
        raise UploadError(f"not zstd-compressed ({exc})") from exc
    if len(raw) > limit:
        raise UploadError(f"larger than {limit} bytes uncompressed")
    return raw


def _path(value: Any) -> str:
    text = _text(value, "path", MAX_PATH)
    parts = text.split("/")
    if text.startswith("/") or "\0" in text or ".." in parts:
        raise UploadError(f"path {text[:80]!r} is not normalised")
    return text


def _text(value: Any, what: str, most: int) -> str:
    if not isinstance(value, str) or len(value) > most:
        raise UploadError(f"a {what} is not text of at most {most} characters")
    return value


def _size(value: Any, most: int) -> int:
    if type(value) is not int or not 0 <= value <= most:
        raise UploadError(f"a size is not a count of at most {most}")
    return value
