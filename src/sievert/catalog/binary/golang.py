"""Go modules: build info in Go executables (ELF, Mach-O, PE) and, for directories, go.mod."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Literal

import msgspec

from sievert.catalog.base import CatalogContext, CatalogResult
from sievert.catalog.binary.common import SCOPES, decode, encode, error_summary, merge, purl, text
from sievert.catalog.binary.execfile import (
    ELF_MAGIC,
    ExecFormatError,
    Image,
    elf_segments_at,
    elf_tables_at,
    exec_format,
    parse_image,
    read_mapped,
)
from sievert.model import Location, Notice, Package
from sievert.source.capture import BytesData, Extractor, FileData
from sievert.source.view import FileView

CATALOGER = "go-module-binary"
MOD_CATALOGER = "go-module-file"
EXTRACTOR = "go-buildinfo"
EXE_EXTRACTOR = "go-buildinfo-exe"
MAGIC = b"\xff Go buildinf:"
HEADER_SIZE = 32
MAX_STRING = 1 << 20
MAX_HITS = 8
MAX_LINES = 100_000
MAX_GO_MOD = 4 * 1024 * 1024
_SENTINEL_LEN = 16
DEVEL = "(devel)"


class GoBuildInfoError(ValueError):
    """The build info block is truncated or inconsistent."""


class Module(msgspec.Struct, frozen=True):
    """A module line of the mod info: path, version, go.sum hash, and its replacement."""

    path: str
    version: str = ""
    sum: str = ""
    replace: Module | None = None


class ModInfo(msgspec.Struct):
    """The parsed `runtime/debug.BuildInfo` text."""

    path: str = ""
    main: Module | None = None
    deps: list[Module] = msgspec.field(default_factory=list)
    settings: list[tuple[str, str]] = msgspec.field(default_factory=list)


# reading the build info block ------------------------------------------------------------------
def read_buildinfo(data: bytes) -> tuple[str, str] | None:
    """(Go version, mod info text) of a Go executable; None when there is no build info."""
    start = data.find(MAGIC)
    if start < 0:
        return None
    error: GoBuildInfoError | None = None
    for _ in range(MAX_HITS):
        try:
            return _read_at(data, start)
        except GoBuildInfoError as exc:
            error = error or exc
        start = data.find(MAGIC, start + 1)
        if start < 0:
            break
    raise error or GoBuildInfoError("no readable build info")


AddressReader = Callable[[int, int], bytes]
"""`size` bytes at a virtual address of the executable (ExecFormatError when unmapped)."""


def _read_at(data: bytes, pos: int, at_address: AddressReader | None = None) -> tuple[str, str]:
    """The build info block at `pos` of `data`; a pre-1.18 one's pointers are followed with
    `at_address` (default: in `data`, the whole file)."""
    header = data[pos : pos + HEADER_SIZE]
    if len(header) < HEADER_SIZE:
        raise GoBuildInfoError("build info header is truncated")
    ptr_size, flags = header[14], header[15]
    if flags & 2:
        version, end = _varint_string(data, pos + HEADER_SIZE)
        mod, _ = _varint_string(data, end)
    else:
        if ptr_size not in (4, 8):
            raise GoBuildInfoError(f"bad pointer size {ptr_size}")
        order: Literal["little", "big"] = "big" if flags & 1 else "little"
        read = at_address or _addresses_in(data)
        version = _pointer_string(read, header[16 : 16 + ptr_size], ptr_size, order)
        mod = _pointer_string(read, header[16 + ptr_size : 16 + 2 * ptr_size], ptr_size, order)
    if not version:
        raise GoBuildInfoError("build info has no Go version")
    return version, _strip_sentinels(mod)


def _addresses_in(data: bytes) -> AddressReader:
    """Reads virtual addresses of the whole file `data` (its headers parsed once, on first use:
    a parse error is raised by the read, where `_pointer_string` reports it)."""
    images: list[Image] = []

    def read(addr: int, size: int) -> bytes:
        if not images:
            images.append(parse_image(data))
        return images[0].read_address(data, addr, size)

    return read


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    for i in range(10):
        if pos + i >= len(data):
            break
        byte = data[pos + i]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos + i + 1
        shift += 7
    raise GoBuildInfoError("truncated or overlong varint")


def _varint_string(data: bytes, pos: int) -> tuple[str, int]:
    size, start = _varint(data, pos)
    if size > MAX_STRING or start + size > len(data):
        raise GoBuildInfoError(f"string of {size} bytes runs past the end")
    return data[start : start + size].decode("utf-8", "replace"), start + size


def _pointer_string(
    read: AddressReader, raw: bytes, ptr_size: int, order: Literal["little", "big"]
) -> str:
    """Pre-1.18 layout: a pointer to a Go string header (data pointer, length)."""
    if len(raw) != ptr_size:
        raise GoBuildInfoError("build info pointer is truncated")
    try:
        header = read(int.from_bytes(raw, order), 2 * ptr_size)
        addr = int.from_bytes(header[:ptr_size], order)
        size = int.from_bytes(header[ptr_size:], order)
        if size > MAX_STRING:
            raise GoBuildInfoError(f"string of {size} bytes is over the bound")
        return read(addr, size).decode("utf-8", "replace") if size else ""
    except ExecFormatError as exc:
        raise GoBuildInfoError(str(exc)) from exc


def _strip_sentinels(mod: str) -> str:
    """Mod info is framed by 16 bytes each side; an unframed one is treated as absent."""
    if len(mod) >= 2 * _SENTINEL_LEN + 1 and mod[-_SENTINEL_LEN - 1] == "\n":
        return mod[_SENTINEL_LEN:-_SENTINEL_LEN]
    return ""


GO_LINKER_NAMES = (
    b".go.",
    b".gopclntab\x00",
    b".gosymtab\x00",
    b".noptrdata\x00",
    b".noptrbss\x00",
    b".typelink\x00",
    b".itablink\x00",
)
"""Bytes of ELF section names only the Go linker writes (`.go.buildinfo`, `.note.go.buildid`,
`.data.rel.ro.gopclntab` in a PIE...): an ELF file whose section names hold none of them is
not a Go program (`go version -m` finds no build info in it either)."""
MAX_BLOCK = HEADER_SIZE + 2 * (MAX_STRING + 10)
"""Bytes of a `.go.buildinfo` section read: the header and two bounded strings."""


def reduce_buildinfo(path: str, data: bytes) -> bytes | None:
    """Extractor: an executable's Go version and mod info as JSON, None for non-Go files."""
    return reduce_buildinfo_at(path, BytesData(data))


def reduce_buildinfo_at(path: str, data: FileData) -> bytes | None:
    """`reduce_buildinfo` reading only what it needs: in an ELF file with a section table, the
    `.go.buildinfo` section where Go 1.18+ writes the build info inline (as `go version -m`
    reads it), or nothing more when no section name is one only Go writes; otherwise (other
    formats, older layouts, damage) the whole file, searched for the build info's magic."""
    head = data.head()
    if exec_format(head) is None:
        return None
    tables = elf_tables_at(data) if head.startswith(ELF_MAGIC) else None
    if tables:  # a section table was read (None: not ELF, or damaged; empty: none)
        if not tables.mentions(*GO_LINKER_NAMES):
            return None
        block = tables.section(".go.buildinfo")
        if block is not None:
            found = _section_block(data, data.read_at(block.offset, min(block.size, MAX_BLOCK)))
            if found is not None:
                return encode({"go": found[0][:200], "mod": found[1]})
    return _reduce_whole(data.read_all())


def _section_block(data: FileData, section: bytes) -> tuple[str, str] | None:
    """(Go version, mod info) of the block a `.go.buildinfo` section starts with: inline
    (1.18+), or pointers followed through the program headers; None for anything else or any
    damage (the whole file is then read, and its errors reported, as before)."""
    if not section.startswith(MAGIC) or len(section) < HEADER_SIZE:
        return None
    at_address = None
    if not section[15] & 2:  # pre-1.18: pointers
        segments = elf_segments_at(data)
        if segments is None:
            return None
        at_address = partial(read_mapped, data, segments)
    try:
        return _read_at(section, 0, at_address)
    except GoBuildInfoError:
        return None


def _reduce_whole(data: bytes) -> bytes | None:
    """The build info found by searching the whole file for its magic."""
    if exec_format(data) is None or MAGIC not in data:
        return None
    try:
        found = read_buildinfo(data)
    except GoBuildInfoError as exc:
        return error_summary(f"Go build info unreadable: {exc}")
    if found is None:
        return None
    version, mod = found
    return encode({"go": version[:200], "mod": mod})


# mod info text -> packages ---------------------------------------------------------------------
def parse_modinfo(mod: str) -> ModInfo:
    """Parse `path`, `mod`, `dep`, `=>` and `build` lines (unknown lines are ignored)."""
    info = ModInfo()
    last: Module | None = None
    for line in mod.splitlines()[:MAX_LINES]:
        kind, _, rest = line.partition("\t")
        parts = rest.split("\t")
        if kind == "path":
            info.path = rest
        elif kind in ("mod", "dep") and parts[0]:
            last = Module(parts[0], _at(parts, 1), _at(parts, 2))
            if kind == "mod":
                info.main = last
            else:
                info.deps.append(last)
        elif kind == "=>" and last is not None and parts[0]:
            _replace_last(info, last, Module(parts[0], _at(parts, 1), _at(parts, 2)))
            last = None
        elif kind == "build" and "=" in rest:
            key, _, value = rest.partition("=")
            info.settings.append((_unquote(key), _unquote(value)))
    return info


def _at(parts: list[str], index: int) -> str:
    return parts[index] if index < len(parts) else ""


def _replace_last(info: ModInfo, last: Module, replacement: Module) -> None:
    replaced = Module(last.path, last.version, last.sum, replacement)
    if info.main is last:
        info.main = replaced
    elif info.deps and info.deps[-1] is last:
        info.deps[-1] = replaced


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            loaded = json.loads(value)
        except ValueError:
            return value
        return loaded if isinstance(loaded, str) else value
    return value


def go_purl(path: str, version: str) -> str:
    """`pkg:golang/<module path>@<version>` with the last path element as the name."""
    namespace, _, name = path.rpartition("/")
    return purl("golang", namespace, name, version)


def stdlib_version(go_version: str) -> str:
    """'go1.17.2' -> '1.17.2' ('go1.22.0 X:boringcrypto' keeps only the release)."""
    first = go_version.split()[0] if go_version.split() else ""
    return first[2:] if first.startswith("go") else first


def pseudo_version(settings: dict[str, str]) -> str:
    """A module pseudo-version from the VCS stamp, as the go tool would write it; '' if absent."""
    revision, stamp = settings.get("vcs.revision", ""), settings.get("vcs.time", "")
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return ""
    if len(revision) < 12:
        return ""
    return f"v0.0.0-{when:%Y%m%d%H%M%S}-{revision[:12]}"


_PSEUDO = re.compile(r"-(?:[0-9A-Za-z.]*\.)?\d{14}-[0-9a-f]{12}(?:\+[0-9A-Za-z.]+)?$")
_VERSION_VARS = frozenset(
    {
        "version",
        "Version",
        "VERSION",
        "gitVersion",
        "GitVersion",
        "buildVersion",
        "BuildVersion",
        "appVersion",
        "AppVersion",
    }
)
_VERSION_PKGS = frozenset({"version", "versions", "buildinfo", "build", "info", "meta", "release"})
_VERSION_VALUE = re.compile(r"^v?\d+(?:\.\d+){0,3}(?:[-+][0-9A-Za-z.\-+]*)?$")


def is_pseudo_version(version: str) -> bool:
    """Whether a module version is a pseudo-version (`v0.0.0-20240101120000-abcdef123456`)."""
    return _PSEUDO.search(version) is not None


def ldflags_version(ldflags: str, main_path: str = "") -> str:
    """The version a `-ldflags` build setting stamped with `-X` into a version variable.

    Variables named like `version`/`Version`/`gitVersion` in `main`, in a package whose last
    path element says version (`.../version.Version`, `.../buildinfo.Version`) or in the main
    module's own packages count; the value must look like a version. '' when none does.
    """
    try:
        tokens = shlex.split(ldflags)
    except ValueError:
        tokens = ldflags.split()
    for index, token in enumerate(tokens):
        if token in ("-X", "--X") and index + 1 < len(tokens):
            assignment = tokens[index + 1]
        elif token.startswith(("-X=", "--X=")):
            assignment = token.partition("=")[2]
        else:
            continue
        symbol, _, value = assignment.partition("=")
        package, _, variable = symbol.rpartition(".")
        if variable in _VERSION_VARS and _version_package(package, main_path):
            value = value.strip().strip("'\"")
            if _VERSION_VALUE.match(value):
                return value if value.startswith("v") else f"v{value}"
    return ""


def _version_package(package: str, main_path: str) -> bool:
    """Whether `-X <package>.<var>` names a package that holds the program's version."""
    if package == "main" or package.rpartition("/")[2] in _VERSION_PKGS:
        return True
    return bool(main_path) and (package == main_path or package.startswith(main_path + "/"))


def _main_version(main: Module, settings: dict[str, str]) -> Module:
    """The main module with a version when build info has none ((devel) or a pseudo-version):
    from `-ldflags -X ...version=`, else (for (devel)) from the VCS stamp."""
    if main.replace is not None:
        return main
    devel = main.version in ("", DEVEL)
    if devel or is_pseudo_version(main.version):
        stamped = ldflags_version(settings.get("-ldflags", ""), main.path)
        if stamped:
            return Module(main.path, stamped, main.sum)
    if devel and pseudo_version(settings):
        return Module(main.path, pseudo_version(settings), main.sum)
    return main


def _source_of(main: Module, settings: dict[str, str]) -> str:
    """Where a main module version not in the build info came from: 'ldflags' or 'vcs'."""
    return "vcs" if main.version == pseudo_version(settings) else "ldflags"


def modinfo_packages(go_version: str, mod: str, location: Location) -> list[Package]:
    """The main module, its dependencies and the Go standard library of one binary."""
    info = parse_modinfo(mod)
    settings = dict(info.settings)
    arch = settings.get("GOARCH", "")
    common = (
        ("go_version", go_version),
        *((("main_module", info.main.path),) if info.main else ()),
    )
    packages = [_module_package(dep, location, arch, common) for dep in info.deps]
    build = tuple((f"build.{k}", v) for k, v in info.settings)
    if info.main is not None:
        main = info.main
        stamped = _main_version(main, settings)
        source = () if stamped == main else (("version_source", _source_of(stamped, settings)),)
        main = stamped
        extra = (("main", "true"), ("package_path", info.path), *source, *build)
        packages.append(_module_package(main, location, arch, (*common, *extra)))
    std = stdlib_version(go_version)
    if std:
        meta = (("go_version", go_version), *(() if info.main else build))
        packages.append(
            Package(
                "stdlib",
                std,
                "golang",
                purl("golang", "", "stdlib", std),
                CATALOGER,
                (location,),
                arch=arch,
                metadata=meta,
            )
        )
    return packages


def _module_package(
    module: Module, location: Location, arch: str, extra: tuple[tuple[str, str], ...]
) -> Package:
    path, version, digest = module.path, module.version or DEVEL, module.sum
    meta = list(extra)
    if module.replace is not None:
        meta.append(("replaced", f"{module.path} {module.version}".strip()))
        if module.replace.version not in ("", DEVEL):
            path, version, digest = module.replace.path, module.replace.version, module.replace.sum
        else:
            meta.append(("replaced_by", module.replace.path))
            version, digest = DEVEL, ""
    if digest:
        meta.append(("h1", digest))
    return Package(
        path,
        version,
        "golang",
        go_purl(path, version),
        CATALOGER,
        (location,),
        arch=arch,
        metadata=tuple(meta),
    )


class GoBinaryCataloger:
    """Go modules compiled into executables, read from their build info."""

    name: str = CATALOGER
    version: str = "3"
    globs: Sequence[str] = ()
    scopes = SCOPES
    extractors = (
        Extractor(
            EXTRACTOR,
            ("**",),
            reduce_buildinfo,
            executable_only=True,
            reduce_at=reduce_buildinfo_at,
        ),
        Extractor(
            EXE_EXTRACTOR,
            ("**/*.exe",),
            reduce_buildinfo,
            magic=b"MZ",
            reduce_at=reduce_buildinfo_at,
        ),
    )

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every Go binary the walk summarised."""
        notices: list[Notice] = []
        packages: list[Package] = []
        summaries = dict(view.extracted(EXE_EXTRACTOR))
        summaries.update(view.extracted(EXTRACTOR))
        for path, summary in sorted(summaries.items()):
            value = decode(path, summary, notices)
            if value is None:
                continue
            go_version, mod = text(value.get("go"), 200), text(value.get("mod"), MAX_STRING)
            packages += modinfo_packages(go_version, mod, view.location(path))
        return CatalogResult(merge(packages), tuple(notices))


# go.mod / go.sum (directory scans) -------------------------------------------------------------
_REQUIRE_RX = re.compile(r"^\s*(\S+)\s+(v\S+)\s*(//.*)?$")
_REPLACE_RX = re.compile(r"^\s*(\S+)(?:\s+(v\S+))?\s*=>\s*(\S+)(?:\s+(v\S+))?\s*(?://.*)?$")


def parse_go_mod(text_: str) -> tuple[list[tuple[str, str, bool]], dict[str, tuple[str, str]]]:
    """(requires as (path, version, indirect), replacements keyed by path or 'path@version')."""
    requires: list[tuple[str, str, bool]] = []
    replaces: dict[str, tuple[str, str]] = {}
    block = ""
    for raw in text_.splitlines()[:MAX_LINES]:
        line = raw.strip()
        if block:
            if line.startswith(")"):
                block = ""
                continue
            _directive(block, line, requires, replaces)
            continue
        word, _, rest = line.partition(" ")
        if word in ("require", "replace"):
            if rest.strip().startswith("("):
                block = word
            else:
                _directive(word, rest, requires, replaces)
    return requires, replaces


def _directive(
    kind: str,
    line: str,
    requires: list[tuple[str, str, bool]],
    replaces: dict[str, tuple[str, str]],
) -> None:
    if kind == "require":
        match = _REQUIRE_RX.match(line)
        if match:
            indirect = bool(match.group(3) and "indirect" in match.group(3))
            requires.append((match.group(1), match.group(2), indirect))
    elif kind == "replace":
        match = _REPLACE_RX.match(line)
        if match:
            key = f"{match.group(1)}@{match.group(2)}" if match.group(2) else match.group(1)
            replaces[key] = (match.group(3), match.group(4) or "")


def parse_go_sum(text_: str) -> dict[tuple[str, str], str]:
    """h1 hashes keyed by (module path, version) (the `/go.mod` lines are skipped)."""
    sums: dict[tuple[str, str], str] = {}
    for line in text_.splitlines()[:MAX_LINES]:
        parts = line.split()
        if len(parts) == 3 and not parts[1].endswith("/go.mod"):
            sums[(parts[0], parts[1])] = parts[2]
    return sums


def go_mod_packages(mod_text: str, sum_text: str, location: Location) -> list[Package]:
    """Required modules of a go.mod (replacements applied), with go.sum hashes when present."""
    requires, replaces = parse_go_mod(mod_text)
    sums = parse_go_sum(sum_text)
    packages: list[Package] = []
    for path, version, indirect in requires:
        meta: list[tuple[str, str]] = [("indirect", "true")] if indirect else []
        target = replaces.get(f"{path}@{version}") or replaces.get(path)
        name, ver = path, version
        if target is not None:
            meta.append(("replaced", f"{path} {version}"))
            if target[1]:
                name, ver = target
            else:
                meta.append(("replaced_by", target[0]))
                ver = DEVEL
        digest = sums.get((name, ver))
        if digest:
            meta.append(("h1", digest))
        packages.append(
            Package(
                name,
                ver,
                "golang",
                go_purl(name, ver),
                MOD_CATALOGER,
                (location,),
                metadata=tuple(meta),
            )
        )
    return packages


class GoModCataloger:
    """Modules required by go.mod files (directory scans only: images hold binaries)."""

    name: str = MOD_CATALOGER
    version: str = "1"
    globs: Sequence[str] = ("**/go.mod", "**/go.sum")
    scopes = ("directory",)

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Packages of every go.mod in the view."""
        packages: list[Package] = []
        notices: list[Notice] = []
        for path in view.glob("**/go.mod"):
            data = view.read(path) or b""
            if len(data) > MAX_GO_MOD:
                notices.append(Notice("go.mod is too large, skipped", "/" + path))
                continue
            sum_data = view.read(path[: -len("go.mod")] + "go.sum") or b""
            packages += go_mod_packages(
                data.decode("utf-8", "replace"),
                sum_data[:MAX_GO_MOD].decode("utf-8", "replace"),
                view.location(path),
            )
        return CatalogResult(merge(packages), tuple(notices))
