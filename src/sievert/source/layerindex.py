"""What one layer holds: every entry's metadata plus the captured bytes of files catalogers need."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field

import zstandard

from sievert.model import Notice

KIND_WHITEOUT = "whiteout"
"""Entry kind for `.wh.<name>`: `path` (the hidden name) is removed from lower layers."""
KIND_OPAQUE = "opaque"
"""Entry kind for `.wh..wh..opq`: `path` (the directory) loses its lower-layer children."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One tar member (or directory walk entry), path normalised: no leading '/', no '..'."""

    path: str
    kind: str
    size: int = 0
    mode: int = 0
    uid: int = 0
    gid: int = 0
    link: str = ""


@dataclass(frozen=True, slots=True)
class LayerIndex:
    """The cacheable result of reading one layer once."""

    diff_id: str
    entries: tuple[Entry, ...]
    contents: dict[str, bytes] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    bytes_read: int = 0
    extracts: dict[str, dict[str, bytes]] = field(default_factory=dict)
    """Extractor summaries: path -> {extractor name: reduced bytes}."""

    def to_bytes(self) -> bytes:
        """Serialise for the layer cache (JSON header + raw contents, zstd-compressed)."""
        names = list(self.contents)
        extracts = [(p, n, d) for p, by_name in self.extracts.items() for n, d in by_name.items()]
        header = {
            "diff_id": self.diff_id,
            "entries": [
                [e.path, e.kind, e.size, e.mode, e.uid, e.gid, e.link] for e in self.entries
            ],
            "contents": [[n, len(self.contents[n])] for n in names],
            "notices": [[n.message, n.where, n.level] for n in self.notices],
            "bytes_read": self.bytes_read,
            "extracts": [[p, n, len(d)] for p, n, d in extracts],
        }
        head = json.dumps(header, separators=(",", ":")).encode()
        body = b"".join(self.contents[n] for n in names) + b"".join(d for _, _, d in extracts)
        raw = struct.pack(">Q", len(head)) + head + body
        return zstandard.ZstdCompressor(level=3).compress(raw)

    @classmethod
    def from_bytes(cls, data: bytes) -> LayerIndex:
        """Inverse of `to_bytes`; raises ValueError on damaged data."""
        try:
            raw = zstandard.ZstdDecompressor().decompress(data)
            (head_len,) = struct.unpack(">Q", raw[:8])
            header = json.loads(raw[8 : 8 + head_len])
        except (zstandard.ZstdError, struct.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"damaged layer index: {exc}") from exc
        offset = 8 + head_len
        contents: dict[str, bytes] = {}
        for name, size in header["contents"]:
            contents[name] = raw[offset : offset + size]
            offset += size
        extracts: dict[str, dict[str, bytes]] = {}
        for path, name, size in header.get("extracts", []):
            extracts.setdefault(path, {})[name] = raw[offset : offset + size]
            offset += size
        if offset != len(raw):
            raise ValueError("damaged layer index: content length mismatch")
        return cls(
            diff_id=header["diff_id"],
            entries=tuple(Entry(*row) for row in header["entries"]),
            contents=contents,
            notices=tuple(Notice(*row) for row in header["notices"]),
            bytes_read=header["bytes_read"],
            extracts=extracts,
        )
