"""`find_section` and the random-access readers answer exactly as a whole `parse_image`, damaged
headers included."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from sievert.catalog.binary.execfile import (
    ExecFormatError,
    Section,
    elf_segments_at,
    elf_tables_at,
    find_section,
    parse_image,
)
from sievert.source.capture import BytesData
from tests.catalog.binary.builders import Counting, tiny_elf

NAMES = (".dep-v0", "__dep_v0")
BASE_ELF = tiny_elf(b"\x90" * 40, {".text": b"\xc3" * 16, ".dep-v0": b"x\x9c\x03\x00"})


def answer(data: bytes, names: tuple[str, ...]) -> Section | str | None:
    """The section a whole parse finds, or the error it raises (type and message)."""
    try:
        return parse_image(data).section(*names)
    except Exception as exc:  # whatever it is, the fast path must raise the same
        return f"{type(exc).__name__}: {exc}"


def fast(data: bytes, names: tuple[str, ...]) -> Section | str | None:
    """The same from `find_section`."""
    try:
        return find_section(data, *names)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


def elf32(big: bool) -> bytes:
    """A 32-bit ELF (either byte order) with a `.dep-v0` section and a NOBITS one."""
    e = ">" if big else "<"
    strtab = b"\x00.bss\x00.dep-v0\x00.shstrtab\x00"
    shoff = 52 + 32 + len(strtab) + 8
    header = b"\x7fELF" + bytes([1, 2 if big else 1, 1]) + bytes(9)
    header += struct.pack(e + "HHIIIIIHHHHHH", 2, 3, 1, 0, 52, shoff, 0, 52, 32, 1, 40, 4, 3)
    phdr = struct.pack(e + "8I", 1, 0, 0, 0, shoff + 160, shoff + 160, 5, 0x1000)
    body = header + phdr + strtab + b"payload!"
    sections = [
        bytes(40),
        struct.pack(e + "10I", 1, 8, 3, 0x2000, 60, 99, 0, 0, 1, 0),  # .bss: no file bytes
        struct.pack(e + "10I", 6, 1, 0, 0, 52 + 32 + len(strtab), 8, 0, 0, 1, 0),
        struct.pack(e + "10I", 14, 3, 0, 0, 52 + 32, len(strtab), 0, 0, 1, 0),
    ]
    return body + b"".join(sections)


def test_the_sections_of_well_formed_files() -> None:
    for data in (BASE_ELF, elf32(False), elf32(True)):
        found = fast(data, NAMES)
        assert isinstance(found, Section) and found.name == ".dep-v0"
        assert found == answer(data, NAMES)
        assert fast(data, (".bss",)) == answer(data, (".bss",))
        assert fast(data, ("none",)) is None


BASES = st.sampled_from([BASE_ELF, elf32(False), elf32(True)])
WRITES = st.lists(
    st.tuples(st.integers(0, 400), st.binary(min_size=1, max_size=8)), min_size=1, max_size=4
)
"""Overwrites of a file's first bytes: header fields, table entries, names."""


@settings(max_examples=800, deadline=None)
@given(
    BASES,
    WRITES,
    st.integers(0, 600),
    st.sampled_from([NAMES, (".text",), (".bss", ".dep-v0"), ("",)]),
)
def test_damaged_files_get_the_same_answer_or_error(
    base: bytes, writes: list[tuple[int, bytes]], cut: int, names: tuple[str, ...]
) -> None:
    """Header fields, table entries and names overwritten, the file cut short: the same section,
    or the same error, as parsing the whole image."""
    data = bytearray(base)
    for pos, chunk in writes:
        data[pos : pos + len(chunk)] = chunk
    damaged = bytes(data[: max(cut, 4)] if cut < len(data) else data)
    if not damaged.startswith(b"\x7fELF"):
        damaged = b"\x7fELF" + damaged[4:]
    assert fast(damaged, names) == answer(damaged, names)


def test_a_name_read_past_the_end_of_the_string_table() -> None:
    """A name starting at the table's last byte is read on past its end (and found) by both."""
    data = bytearray(elf32(False))
    shoff = struct.unpack_from("<I", data, 32)[0]
    struct.pack_into("<I", data, shoff + 3 * 40 + 20, 7)  # .shstrtab's size: ".dep-v0" at 6
    found = fast(bytes(data), NAMES)
    assert isinstance(found, Section) and found.name == ".dep-v0"
    assert found == answer(bytes(data), NAMES)
    struct.pack_into("<I", data, shoff + 3 * 40 + 20, 6)  # now past the table: no name
    assert fast(bytes(data), NAMES) is None is answer(bytes(data), NAMES)


def test_an_offset_past_the_largest_file_is_a_malformed_header() -> None:
    """A program header table offset near 2**64 is an ExecFormatError like any damage (it
    overflowed struct's offset before), found by both readers."""
    data = bytearray(BASE_ELF)
    data[32:40] = (2**63 + 5).to_bytes(8, "little")  # e_phoff
    expected = answer(bytes(data), NAMES)
    assert isinstance(expected, str) and expected.startswith("ExecFormatError: malformed elf")
    assert fast(bytes(data), NAMES) == expected


def whole(data: bytes) -> tuple[tuple[Section, ...], tuple[Section, ...]] | None:
    """The sections and segments of a whole parse, None when it fails."""
    try:
        image = parse_image(data)
    except ExecFormatError:
        return None
    return image.sections, image.segments


def placed(data: bytes) -> tuple[tuple[Section, ...], tuple[Section, ...]] | None:
    """The same read at random (`elf_tables_at`, `elf_segments_at`), None when they decline."""
    file = BytesData(data)
    tables = elf_tables_at(file)
    segments = elf_segments_at(file)
    if tables is None or segments is None:
        assert tables is None is segments
        return None
    return tables.sections(), segments


@settings(max_examples=800, deadline=None)
@given(
    BASES,
    WRITES,
    st.integers(0, 600),
    st.sampled_from([NAMES, (".text",), (".bss", ".dep-v0"), ("",), (".shstrtab",)]),
)
def test_tables_read_at_random_are_the_whole_parse_or_decline(
    base: bytes, writes: list[tuple[int, bytes]], cut: int, names: tuple[str, ...]
) -> None:
    """Damaged and cut files: what the random-access reader returns is exactly what a whole
    parse finds (sections, segments, the section asked for), and it declines wherever a whole
    parse fails (the caller then reads the whole file and reports that parse's error)."""
    data = bytearray(base)
    for pos, chunk in writes:
        data[pos : pos + len(chunk)] = chunk
    damaged = b"\x7fELF" + bytes(data[4 : max(cut, 4)] if cut < len(data) else data[4:])
    found = placed(damaged)
    if found is None:
        return
    assert found == whole(damaged)
    tables = elf_tables_at(BytesData(damaged))
    assert tables is not None and tables.section(*names) == answer(damaged, names)


def test_well_formed_tables_are_read_at_random_in_two_reads() -> None:
    """A large executable: its header, then its section table with the names before it."""
    big = tiny_elf(b"\x90" * 3_000_000, {".text": b"\xc3" * 16, ".dep-v0": b"x\x9c\x03\x00"})
    file = Counting(big)
    tables = elf_tables_at(file)
    assert tables is not None and tables.sections() == parse_image(big).sections
    assert tables.section(".dep-v0") == parse_image(big).section(".dep-v0")
    assert len(file.reads) == 2 and sum(file.reads) < 8 * 1024
    assert elf_tables_at(file) is tables and len(file.reads) == 2  # kept in the file's memo
    assert tables.mentions(b".dep-v0\x00") and not tables.mentions(b".go.")
