"""Bounded readers for executable formats (ELF, Mach-O, PE): sections and address mapping."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import NamedTuple

import msgspec

from sievert.source.capture import BytesData, FileData

ELF_MAGIC = b"\x7fELF"
MACHO_MAGICS = (b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe")
FAT_MAGIC = b"\xca\xfe\xba\xbe"
PE_MAGIC = b"MZ"
MAX_SECTIONS = 4096
MAX_LOAD_COMMANDS = 4096
MAX_FAT_ARCHS = 32
MAX_PE_SECTIONS = 96


class ExecFormatError(ValueError):
    """The executable's headers are malformed or over a bound."""


class Section(msgspec.Struct, frozen=True):
    """A named part of the file: `offset`/`size` in the file, `addr` its virtual address."""

    name: str
    offset: int
    size: int
    addr: int = 0


class Image(msgspec.Struct, frozen=True):
    """An executable's file format, sections and loadable ranges (as sections, by address)."""

    format: str
    sections: tuple[Section, ...]
    segments: tuple[Section, ...]

    def section(self, *names: str) -> Section | None:
        """The first section with one of these names."""
        return next((s for s in self.sections if s.name in names), None)

    def read_address(self, data: bytes, addr: int, size: int) -> bytes:
        """`size` bytes at a virtual address; raises ExecFormatError when unmapped."""
        return read_mapped(BytesData(data), self.segments, addr, size)


def read_mapped(data: FileData, segments: Sequence[Section], addr: int, size: int) -> bytes:
    """`size` bytes at a virtual address, from the first loadable segment holding them all;
    raises ExecFormatError when none does."""
    for seg in segments:
        if seg.addr <= addr and addr + size <= seg.addr + seg.size:
            chunk = data.read_at(seg.offset + addr - seg.addr, size)
            if len(chunk) == size:
                return chunk
    raise ExecFormatError(f"address {addr:#x} (+{size}) is not in the file")


def exec_format(data: bytes) -> str | None:
    """'elf', 'macho' or 'pe' from the first bytes, None otherwise."""
    if data.startswith(ELF_MAGIC):
        return "elf"
    if data[:4] in MACHO_MAGICS or (data.startswith(FAT_MAGIC) and _fat_count(data) > 0):
        return "macho"
    if data.startswith(PE_MAGIC):
        return "pe"
    return None


def parse_image(data: bytes) -> Image:
    """Read an executable's section and segment tables; raises ExecFormatError on damage."""
    kind = exec_format(data)
    try:
        if kind == "elf":
            return _elf(data)
        if kind == "macho":
            return _macho(data)
        if kind == "pe":
            return _pe(data)
    except ExecFormatError:
        raise
    except (struct.error, IndexError, ValueError, OverflowError) as exc:  # offsets past 2**63
        raise ExecFormatError(f"malformed {kind} headers ({exc!r:.120})") from exc
    raise ExecFormatError("not an ELF, Mach-O or PE file")


def find_section(data: bytes, *names: str) -> Section | None:
    """`parse_image(data).section(*names)`, with the same answer and the same ExecFormatError,
    without building the whole image for an ELF file whose tables lie inside it (the common
    case: every executable of an image is asked for a section it rarely holds)."""
    if exec_format(data) == "elf" and _elf_tables_inside(data):
        return _elf_find(data, names)
    return parse_image(data).section(*names)


_ELF64 = struct.Struct("<QQ"), struct.Struct("<5H"), struct.Struct("<IIQQQQ")
_ELF64BE = struct.Struct(">QQ"), struct.Struct(">5H"), struct.Struct(">IIQQQQ")
_ELF32 = struct.Struct("<II"), struct.Struct("<5H"), struct.Struct("<6I")
_ELF32BE = struct.Struct(">II"), struct.Struct(">5H"), struct.Struct(">6I")


def _elf_layout(data: bytes) -> tuple[tuple[struct.Struct, ...], bool]:
    wide = data[4] == 2
    little = data[5] == 1
    if wide:
        return (_ELF64 if little else _ELF64BE), True
    return (_ELF32 if little else _ELF32BE), False


class _ElfHeader(NamedTuple):
    """The table fields of an ELF header, as `_elf` reads them."""

    wide: bool
    entry: struct.Struct
    """A section header's fields (name, kind, flags, address, offset, size)."""
    phoff: int
    shoff: int
    phentsize: int
    phnum: int
    shentsize: int
    shnum: int
    shstrndx: int

    def program_span(self) -> int:
        """Bytes from `phoff` that `_elf_segments` may read."""
        return (self.phnum - 1) * self.phentsize + (40 if self.wide else 20) if self.phnum else 0

    def section_span(self) -> int:
        """Bytes from `shoff` that the section headers take."""
        return (self.shnum - 1) * self.shentsize + self.entry.size if self.shnum else 0

    def inside(self, size: int) -> bool:
        """Whether both tables lie inside a file of `size` bytes (an empty one anywhere)."""
        return (not self.phnum or self.phoff + self.program_span() <= size) and (
            not self.shnum or self.shoff + self.section_span() <= size
        )


def _elf_header(data: bytes) -> _ElfHeader | None:
    """The header of an ELF file's first 64 bytes; None when shorter, or when the tables are
    over `MAX_SECTIONS` (`_elf` refuses those)."""
    if len(data) < 64:
        return None
    (offsets, counts, entry), wide = _elf_layout(data)
    phoff, shoff = offsets.unpack_from(data, 32 if wide else 28)
    phentsize, phnum, shentsize, shnum, shstrndx = counts.unpack_from(data, 54 if wide else 42)
    if shnum > MAX_SECTIONS or phnum > MAX_SECTIONS:
        return None
    return _ElfHeader(wide, entry, phoff, shoff, phentsize, phnum, shentsize, shnum, shstrndx)


def _elf_tables_inside(data: bytes) -> bool:
    """Whether `_elf` reads nothing past the end of the file and no bound is crossed (then it
    cannot fail, and `_elf_find` gives its answer)."""
    header = _elf_header(data)
    return header is not None and header.inside(len(data))


def _elf_find(data: bytes, names: tuple[str, ...]) -> Section | None:
    """The first section named one of `names`, read as `_elf` reads it (tables inside)."""
    (offsets, counts, entry), wide = _elf_layout(data)
    shoff = offsets.unpack_from(data, 32 if wide else 28)[1]
    _, _, shentsize, shnum, shstrndx = counts.unpack_from(data, 54 if wide else 42)
    table: tuple[int, int, int, int] | None = None
    if shnum and shstrndx < shnum:
        name, kind, _flags, addr, offset, size = entry.unpack_from(
            data, shoff + shstrndx * shentsize
        )
        table = (name, offset, 0 if kind == 8 else size, addr)
    if "" not in names and (table is None or not _in_table(data, table, names)):
        return None  # no section can have one of these names: most executables, at once
    for i in range(shnum):
        name_off, kind, _flags, addr, offset, size = entry.unpack_from(data, shoff + i * shentsize)
        name = _elf_name(data, table, name_off)
        if name in names:
            return Section(name, offset, 0 if kind == 8 else size, addr)
    return None


def _in_table(data: bytes, table: tuple[int, int, int, int], names: tuple[str, ...]) -> bool:
    """Whether one of the (non-empty) names, NUL-ended, starts inside the string table: where
    `_elf_name` reads every section's name from (without it, no section has these names)."""
    start, size = table[1], table[2]
    return any(
        data.find(name.encode("latin-1", "replace") + b"\x00", start, start + size + len(name)) >= 0
        for name in names
    )


MAX_TABLE_READ = 1024 * 1024
"""Bytes of section table or of section names `elf_tables_at` reads; past this, it declines."""
_NAME_SPAN = 256
"""How far past its start `_elf_name` looks for the NUL that ends a section name."""
_BEFORE_TABLE = 4 * 1024
"""Bytes read before the section table with it: linkers put the section names there."""


class ElfTables:
    """An ELF file's section table and section names, read alone (`elf_tables_at`)."""

    __slots__ = ("_entries", "_names", "_names_size")

    def __init__(self, entries: list[tuple[int, ...]], names: bytes, names_size: int) -> None:
        self._entries = entries
        self._names = names
        self._names_size = names_size

    def __len__(self) -> int:
        """How many sections the table lists."""
        return len(self._entries)

    def mentions(self, *tokens: bytes) -> bool:
        """Whether the section names' bytes hold one of these tokens (a section named one
        of them, or ending with one NUL-ended, has its name there: no false negative)."""
        return any(token in self._names for token in tokens)

    def section(self, *names: str) -> Section | None:
        """`parse_image(data).section(*names)`, from these tables (its first section with
        one of these names, SHT_NOBITS ones with size 0)."""
        if "" not in names and not self.mentions(
            *(n.encode("latin-1", "replace") + b"\x00" for n in names)
        ):
            return None
        return next((s for s in self.sections() if s.name in names), None)

    def sections(self) -> tuple[Section, ...]:
        """Every section, as `parse_image` lists them."""
        return tuple(
            Section(self._name(name_off), offset, 0 if kind == 8 else size, addr)
            for name_off, kind, _flags, addr, offset, size in self._entries
        )

    def _name(self, offset: int) -> str:
        """`_elf_name` on the name table's bytes (and the `_NAME_SPAN` after them) read alone."""
        if offset >= self._names_size:
            return ""
        names = self._names
        end = names.find(b"\x00", offset, offset + _NAME_SPAN)
        return names[offset : end if end >= 0 else offset].decode("latin-1")


def elf_tables_at(data: FileData) -> ElfTables | None:
    """An ELF file's section table and names, read without the rest of the file (a large
    executable is not read whole to learn what sections it holds). None (the caller reads the
    whole file) for another format, or when those parts, or the program headers `parse_image`
    reads, do not lie inside the file or are over a bound. Kept in `data.memo`."""
    if "elf-tables" not in data.memo:
        data.memo["elf-tables"] = _elf_tables_at(data)
    return data.memo["elf-tables"]  # type: ignore[return-value]


def elf_segments_at(data: FileData) -> tuple[Section, ...] | None:
    """An ELF file's loadable segments (as `parse_image` lists them), read from its program
    headers alone; None when `elf_tables_at` declines the file."""
    header = _elf_header(data.head()) if elf_tables_at(data) is not None else None
    if header is None or header.program_span() > MAX_TABLE_READ:
        return None
    table = data.read_at(header.phoff, header.program_span())
    endian = "<" if data.head()[5] == 1 else ">"
    return tuple(_elf_segments(table, endian, header.wide, 0, header.phentsize, header.phnum))


def _elf_tables_at(data: FileData) -> ElfTables | None:
    head = data.head()
    header = _elf_header(head) if head.startswith(ELF_MAGIC) else None
    if header is None or not header.inside(data.size):
        return None  # `parse_image` fails on these: the caller's whole-file path says so
    if not header.shnum:
        return ElfTables([], b"", 0)
    shoff, span = header.shoff, header.section_span()
    if span > MAX_TABLE_READ:
        return None
    low = max(0, shoff - _BEFORE_TABLE)
    window = data.read_at(low, shoff + span + _NAME_SPAN - low)  # cut at the end of the file
    entries = [
        header.entry.unpack_from(window, shoff - low + i * header.shentsize)
        for i in range(header.shnum)
    ]
    if header.shstrndx >= header.shnum:
        return ElfTables(entries, b"", 0)
    _name, kind, _flags, _addr, offset, size = entries[header.shstrndx]
    size = 0 if kind == 8 else size
    if size > MAX_TABLE_READ or offset > data.size:
        return None
    end = min(offset + size + _NAME_SPAN, data.size)
    if low <= offset and end <= low + len(window):
        names = window[offset - low : end - low]  # the usual place: just before the table
    else:
        names = data.read_at(offset, end - offset)
    return ElfTables(entries, names, size)


def section_bytes(data: bytes, section: Section) -> bytes:
    """A section's bytes; raises ExecFormatError when it lies outside the file."""
    if section.offset < 0 or section.size < 0 or section.offset + section.size > len(data):
        raise ExecFormatError(f"section {section.name} lies outside the file")
    return data[section.offset : section.offset + section.size]


def _elf(data: bytes) -> Image:
    """Section and PT_LOAD tables read with struct (pyelftools parses far more than needed)."""
    wide = data[4] == 2
    endian = "<" if data[5] == 1 else ">"
    if wide:
        phoff, shoff = struct.unpack_from(endian + "QQ", data, 32)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(endian + "5H", data, 54)
    else:
        phoff, shoff = struct.unpack_from(endian + "II", data, 28)
        phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(endian + "5H", data, 42)
    if shnum > MAX_SECTIONS or phnum > MAX_SECTIONS:
        raise ExecFormatError("too many ELF sections or segments")
    segments = tuple(_elf_segments(data, endian, wide, phoff, phentsize, phnum))
    raw = [_elf_section(data, endian, wide, shoff + i * shentsize) for i in range(shnum)]
    names = raw[shstrndx] if shnum and shstrndx < shnum else None
    sections = tuple(
        Section(_elf_name(data, names, name_off), offset, size, addr)
        for name_off, offset, size, addr in raw
    )
    return Image("elf", sections, segments)


def _elf_segments(
    data: bytes, endian: str, wide: bool, phoff: int, phentsize: int, phnum: int
) -> list[Section]:
    segments = []
    for i in range(phnum):
        pos = phoff + i * phentsize
        p_type = struct.unpack_from(endian + "I", data, pos)[0]
        if p_type != 1:  # PT_LOAD
            continue
        if wide:
            offset, vaddr, _paddr, filesz = struct.unpack_from(endian + "4Q", data, pos + 8)
        else:
            offset, vaddr, _paddr, filesz = struct.unpack_from(endian + "4I", data, pos + 4)
        segments.append(Section("", offset, filesz, vaddr))
    return segments


def _elf_section(data: bytes, endian: str, wide: bool, pos: int) -> tuple[int, int, int, int]:
    """(name offset, file offset, size in the file, address) of one section header."""
    if wide:
        name, kind, _flags, addr, offset, size = struct.unpack_from(endian + "IIQQQQ", data, pos)
    else:
        name, kind, _flags, addr, offset, size = struct.unpack_from(endian + "6I", data, pos)
    return name, offset, 0 if kind == 8 else size, addr  # SHT_NOBITS has no file bytes


def _elf_name(data: bytes, names: tuple[int, int, int, int] | None, offset: int) -> str:
    if names is None or offset >= names[2]:
        return ""
    start = names[1] + offset
    end = data.find(b"\x00", start, min(start + 256, len(data)))
    return data[start : end if end >= 0 else start].decode("latin-1")


def _fat_count(data: bytes) -> int:
    if len(data) < 8:
        return 0
    count = int.from_bytes(data[4:8], "big")
    return count if 0 < count <= MAX_FAT_ARCHS else 0


def _macho(data: bytes) -> Image:
    base = 0
    if data.startswith(FAT_MAGIC):
        _cpu, _sub, offset, size = struct.unpack_from(">4I", data, 8)
        if offset + size > len(data) or data[offset : offset + 4] not in MACHO_MAGICS:
            raise ExecFormatError("fat Mach-O slice outside the file")
        base = offset
    magic = data[base : base + 4]
    endian = ">" if magic in (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf") else "<"
    wide = magic in (b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe")
    ncmds, sizeofcmds = struct.unpack_from(endian + "2I", data, base + 16)
    if ncmds > MAX_LOAD_COMMANDS or sizeofcmds > len(data):
        raise ExecFormatError("too many Mach-O load commands")
    pos = base + (32 if wide else 28)
    sections: list[Section] = []
    segments: list[Section] = []
    for _ in range(ncmds):
        cmd, cmdsize = struct.unpack_from(endian + "2I", data, pos)
        if cmdsize < 8 or pos + cmdsize > len(data):
            raise ExecFormatError("Mach-O load command outside the file")
        if cmd in (0x1, 0x19):
            _macho_segment(data, pos, endian, cmd == 0x19, base, sections, segments)
        pos += cmdsize
    return Image("macho", tuple(sections), tuple(segments))


def _macho_segment(
    data: bytes,
    pos: int,
    endian: str,
    wide: bool,
    base: int,
    sections: list[Section],
    segments: list[Section],
) -> None:
    word = "Q" if wide else "I"
    vmaddr, _vmsize, fileoff, filesize = struct.unpack_from(endian + 4 * word, data, pos + 24)
    nsects = struct.unpack_from(endian + "I", data, pos + (64 if wide else 48))[0]
    if nsects > MAX_SECTIONS:
        raise ExecFormatError("too many Mach-O sections")
    segments.append(Section("", base + fileoff, filesize, vmaddr))
    sect = pos + (72 if wide else 56)
    for _ in range(nsects):
        name = data[sect : sect + 16].split(b"\x00", 1)[0].decode("latin-1")
        addr, size = struct.unpack_from(endian + 2 * word, data, sect + 32)
        offset = struct.unpack_from(endian + "I", data, sect + (48 if wide else 40))[0]
        sections.append(Section(name, base + offset, size, addr))
        sect += 80 if wide else 68


def _pe(data: bytes) -> Image:
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe : pe + 4] != b"PE\x00\x00":
        raise ExecFormatError("no PE signature")
    nsections, opt_size = struct.unpack_from("<H12xH", data, pe + 6)
    if nsections > MAX_PE_SECTIONS:
        raise ExecFormatError("too many PE sections")
    opt = pe + 24
    magic = struct.unpack_from("<H", data, opt)[0]
    if magic == 0x20B:
        image_base = struct.unpack_from("<Q", data, opt + 24)[0]
    else:
        image_base = struct.unpack_from("<I", data, opt + 28)[0]
    table = opt + opt_size
    sections: list[Section] = []
    for i in range(nsections):
        entry = table + 40 * i
        name = data[entry : entry + 8].split(b"\x00", 1)[0].decode("latin-1")
        vsize, rva, raw_size, raw_ptr = struct.unpack_from("<4I", data, entry + 8)
        size = min(vsize, raw_size) if vsize else raw_size
        sections.append(Section(name, raw_ptr, size, image_base + rva))
    return Image("pe", tuple(sections), tuple(sections))
