"""The rpm header blob as rpmdbs store it: index entries plus a data store, bounds-checked."""

from __future__ import annotations

import struct

import msgspec

from sievert.errors import PackageDbError

# Tag numbers (rpmtag.h).
NAME, VERSION, RELEASE, EPOCH = 1000, 1001, 1002, 1003
SIZE, VENDOR, LICENSE, ARCH = 1009, 1011, 1014, 1022
OLDFILENAMES, SOURCERPM = 1027, 1044
DIRINDEXES, BASENAMES, DIRNAMES = 1116, 1117, 1118
LONGSIZE, MODULARITYLABEL = 5009, 5096
WANTED = frozenset(
    {
        NAME,
        VERSION,
        RELEASE,
        EPOCH,
        SIZE,
        VENDOR,
        LICENSE,
        ARCH,
        OLDFILENAMES,
        SOURCERPM,
        DIRINDEXES,
        BASENAMES,
        DIRNAMES,
        LONGSIZE,
        MODULARITYLABEL,
    }
)

# Tag types.
CHAR, INT8, INT16, INT32, INT64, STRING, BIN, STRING_ARRAY, I18NSTRING = range(1, 10)
FIXED_SIZES = {CHAR: 1, INT8: 1, INT16: 2, INT32: 4, INT64: 8, BIN: 1}
INT_FORMATS = {INT8: "B", INT16: "H", INT32: "I", INT64: "Q"}
STRING_TYPES = (STRING, STRING_ARRAY, I18NSTRING)

MAX_TAGS = 0xFFFF
MAX_DATA = 0x0FFFFFFF
ENTRY_SIZE = 16

Value = str | tuple[str, ...] | tuple[int, ...] | bytes


class RpmHeader(msgspec.Struct, frozen=True):
    """The facts of one installed rpm that catalogers need."""

    name: str
    version: str
    release: str
    epoch: int | None
    arch: str
    source_rpm: str
    license: str
    vendor: str
    modularity_label: str
    size: int | None
    files: tuple[str, ...]


def read_tags(blob: bytes) -> dict[int, Value]:
    """Decode the wanted tags of a header blob; raises PackageDbError on any bad bound."""
    if len(blob) < 8:
        raise PackageDbError(f"rpm header: {len(blob)} bytes, too short")
    il, dl = struct.unpack_from(">II", blob, 0)
    if not 0 < il <= MAX_TAGS or dl > MAX_DATA:
        raise PackageDbError(f"rpm header: implausible sizes (il={il}, dl={dl})")
    store = 8 + il * ENTRY_SIZE
    if store + dl > len(blob):
        raise PackageDbError(f"rpm header: needs {store + dl} bytes, blob has {len(blob)}")
    store_end = store + dl
    tags: dict[int, Value] = {}
    for i in range(il):
        tag, kind, offset, count = struct.unpack_from(">iIII", blob, 8 + i * ENTRY_SIZE)
        if tag in WANTED:
            tags[tag] = _decode(blob, (store, store_end), (tag, kind, offset, count))
    return tags


def _decode(blob: bytes, store: tuple[int, int], entry: tuple[int, int, int, int]) -> Value:
    """One entry's value from the data store `blob[start:end]`, every offset and count checked."""
    start, end = store
    tag, kind, offset, count = entry
    if offset >= end - start or count == 0 or count > end - start:
        raise PackageDbError(f"rpm header: tag {tag} offset {offset}/count {count} out of range")
    if kind in STRING_TYPES:
        strings = _strings(blob, start + offset, end, (tag, 1 if kind == STRING else count))
        return strings[0] if kind == STRING else tuple(strings)
    size = FIXED_SIZES.get(kind)
    if size is None:
        raise PackageDbError(f"rpm header: tag {tag} has unknown type {kind}")
    stop = start + offset + size * count
    if stop > end:
        raise PackageDbError(f"rpm header: tag {tag} data runs past the store")
    if kind in INT_FORMATS:
        return struct.unpack_from(f">{count}{INT_FORMATS[kind]}", blob, start + offset)
    return blob[start + offset : stop]


def _strings(blob: bytes, pos: int, end: int, what: tuple[int, int]) -> list[str]:
    """`count` NUL-terminated strings from pos, each ending before `end`."""
    tag, count = what
    out: list[str] = []
    for _ in range(count):
        nul = blob.find(b"\x00", pos, end)
        if nul < 0:
            raise PackageDbError(f"rpm header: tag {tag} string runs past the store")
        out.append(blob[pos:nul].decode("utf-8", "replace"))
        pos = nul + 1
    return out


def parse_rpm_header(blob: bytes) -> RpmHeader:
    """The package facts of one header blob; raises PackageDbError when it is malformed."""
    tags = read_tags(blob)
    name = _text(tags, NAME)
    version = _text(tags, VERSION)
    if not name or not version:
        raise PackageDbError("rpm header: no NAME or VERSION tag")
    epochs = _ints(tags, EPOCH)
    sizes = _ints(tags, LONGSIZE) or _ints(tags, SIZE)
    return RpmHeader(
        name=name,
        version=version,
        release=_text(tags, RELEASE),
        epoch=epochs[0] if epochs else None,
        arch=_text(tags, ARCH),
        source_rpm=_text(tags, SOURCERPM),
        license=_text(tags, LICENSE),
        vendor=_text(tags, VENDOR),
        modularity_label=_text(tags, MODULARITYLABEL),
        size=sizes[0] if sizes else None,
        files=_files(tags),
    )


def _text(tags: dict[int, Value], tag: int) -> str:
    """A string tag ('' when absent or of another shape)."""
    value = tags.get(tag)
    if isinstance(value, str):
        return value
    if isinstance(value, tuple) and value and isinstance(value[0], str):
        return value[0]
    return ""


def _strs(tags: dict[int, Value], tag: int) -> tuple[str, ...]:
    """A string-array tag (empty when absent or of another shape)."""
    value = tags.get(tag)
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, tuple) else ()


def _ints(tags: dict[int, Value], tag: int) -> tuple[int, ...]:
    """An integer-array tag (empty when absent or of another shape)."""
    value = tags.get(tag)
    return tuple(v for v in value if isinstance(v, int)) if isinstance(value, tuple) else ()


def _files(tags: dict[int, Value]) -> tuple[str, ...]:
    """Owned paths from BASENAMES/DIRNAMES/DIRINDEXES (or the old OLDFILENAMES)."""
    basenames, dirnames = _strs(tags, BASENAMES), _strs(tags, DIRNAMES)
    indexes = _ints(tags, DIRINDEXES)
    if not basenames:
        return _strs(tags, OLDFILENAMES)
    if len(indexes) != len(basenames):
        raise PackageDbError("rpm header: BASENAMES and DIRINDEXES differ in length")
    if any(i >= len(dirnames) for i in indexes):
        raise PackageDbError("rpm header: a DIRINDEXES entry is out of range")
    return tuple(dirnames[i] + base for i, base in zip(indexes, basenames, strict=True))
