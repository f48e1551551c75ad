"""Ruby gems: installed `specifications/*.gemspec` files, and Gemfile.lock of source trees."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sievert.catalog.base import CatalogContext, CatalogResult, ParseResult
from sievert.catalog.lang.common import (
    SCOPE_ALL,
    SCOPE_DIR,
    make_purl,
    missing,
    outside,
    parse_files,
)
from sievert.model import Notice, Package
from sievert.source.view import FileView

INSTALLED = "gem-installed"
LOCK = "gem-lock"

Literal = str | list[str]

_ASSIGN = re.compile(r"^\s*[a-z_]\w*\.(name|version|licenses?)\s*=\s*(.+?)\s*$")
_CLOSERS = {"{": "}", "(": ")", "[": "]", "<": ">"}
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "s": " ", "e": "\x1b", "0": "\x00"}
_SPEC_LINE = re.compile(r"^    (\S+) \(([^)]+)\)\s*$")
_DEPENDENCY_LINE = re.compile(r"^  ([^\s(!]+)")


def gem_package(
    name: str,
    version: str,
    cataloger: str,
    *,
    licenses: tuple[str, ...] = (),
    metadata: tuple[tuple[str, str], ...] = (),
) -> Package:
    """A gem Package."""
    return Package(
        name=name,
        version=version,
        type="gem",
        purl=make_purl("gem", name, version),
        cataloger=cataloger,
        licenses=licenses,
        metadata=metadata,
    )


# Ruby literals (never evaluated) --------------------------------------------------------------
def ruby_literal(text: str) -> Literal | None:
    """A string or array-of-strings literal (with `.freeze`), None for anything else.

    Trailing modifiers (`if s.respond_to? ...`) and comments after the literal are ignored.
    """
    value, rest = _value(text, 0)
    if value is None:
        return None
    tail = text[rest:].strip()
    if tail and not tail.startswith(("if ", "unless ", "#")):
        return None
    return value


def _value(text: str, i: int) -> tuple[Literal | None, int]:
    """Read one literal at text[i:]: ("...", '...', %q{...}, %w[...], [ ... ])."""
    i = _skip_space(text, i)
    if text.startswith("[", i):
        return _array(text, i + 1)
    if text.startswith(("%w", "%W"), i) and i + 2 < len(text) and text[i + 2] in _CLOSERS:
        body, end = _delimited(text, i + 2)
        return (body.split() if body is not None else None), end
    string, end = _string(text, i)
    if string is not None and text.startswith(".freeze", end):
        end += len(".freeze")
    return string, end


def _string(text: str, i: int) -> tuple[str | None, int]:
    """One string literal at text[i:]."""
    if text.startswith('"', i):
        return _quoted(text, i + 1, '"', interpolating=True)
    if text.startswith("'", i):
        return _quoted(text, i + 1, "'", interpolating=False)
    if text.startswith(("%q", "%Q"), i) and i + 2 < len(text) and text[i + 2] in _CLOSERS:
        return _delimited(text, i + 2)
    return None, i


def _quoted(text: str, i: int, quote: str, *, interpolating: bool) -> tuple[str | None, int]:
    """The body of a quoted string starting after its opening quote; None if unterminated."""
    out: list[str] = []
    while i < len(text):
        char = text[i]
        if char == quote:
            return "".join(out), i + 1
        if interpolating and text.startswith("#{", i):
            return None, i  # interpolation needs evaluation: refuse
        if char == "\\" and i + 1 < len(text):
            escaped, i = _escape(text, i + 1, interpolating=interpolating, quote=quote)
            out.append(escaped)
            continue
        out.append(char)
        i += 1
    return None, i


def _escape(text: str, i: int, *, interpolating: bool, quote: str) -> tuple[str, int]:
    """One escape sequence after its backslash: (characters, next index)."""
    char = text[i]
    if not interpolating:
        return (char, i + 1) if char in (quote, "\\") else ("\\" + char, i + 1)
    if char == "u":
        match = re.match(r"\{([0-9a-fA-F]{1,6})\}|([0-9a-fA-F]{4})", text[i + 1 :])
        if match:
            code = int(match.group(1) or match.group(2), 16)
            return (chr(code) if code <= 0x10FFFF else "\ufffd"), i + 1 + match.end()
    return _ESCAPES.get(char, char), i + 1


def _delimited(text: str, i: int) -> tuple[str | None, int]:
    """Body of a %-literal whose opening bracket is at text[i] (nesting counted)."""
    opener, closer = text[i], _CLOSERS[text[i]]
    depth, j = 1, i + 1
    while j < len(text):
        if text[j] == opener:
            depth += 1
        elif text[j] == closer:
            depth -= 1
            if depth == 0:
                return text[i + 1 : j], j + 1
        j += 1
    return None, j


def _array(text: str, i: int) -> tuple[list[str] | None, int]:
    """Elements of an array literal of strings, after its '['."""
    items: list[str] = []
    i = _skip_space(text, i)
    while i < len(text) and text[i] != "]":
        item, i = _string(text, i)
        if item is None:
            return None, i
        if text.startswith(".freeze", i):
            i += len(".freeze")
        items.append(item)
        i = _skip_space(text, i)
        if text.startswith(",", i):
            i = _skip_space(text, i + 1)
        elif not text.startswith("]", i):
            return None, i
    return (items, i + 1) if i < len(text) else (None, i)


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


# installed gemspecs ---------------------------------------------------------------------------
def parse_gemspec(data: bytes, where: str) -> ParseResult:
    """The gem of an installed specification: name, version and licences assignments."""
    fields: dict[str, Literal] = {}
    for line in data.decode("utf-8", "replace").splitlines():
        match = _ASSIGN.match(line)
        if match and match.group(1) not in fields:
            value = ruby_literal(match.group(2))
            if value is not None:
                fields[match.group(1)] = value
    name, version = fields.get("name", ""), fields.get("version", "")
    if not isinstance(name, str) or not isinstance(version, str) or not name or not version:
        return ParseResult(notices=[missing(str(name), str(version), "gemspec", where)])
    licenses: list[str] = []
    for key in ("licenses", "license"):
        value = fields.get(key, [])
        licenses.extend([value] if isinstance(value, str) else value)
    unique = tuple(dict.fromkeys(x.strip() for x in licenses if x.strip()))
    return ParseResult(packages=[gem_package(name, version, INSTALLED, licenses=unique)])


class GemInstalledCataloger:
    """Installed gems: RubyGems' `specifications/` (and `specifications/default/`) files."""

    name: str = INSTALLED
    version: str = "1"
    scopes: tuple[str, ...] = SCOPE_ALL
    globs: Sequence[str] = ("**/specifications/*.gemspec", "**/specifications/default/*.gemspec")

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """One gem per specification file."""
        return parse_files(view, [(glob, parse_gemspec) for glob in self.globs])


# Gemfile.lock ---------------------------------------------------------------------------------
def parse_gemfile_lock(data: bytes, where: str) -> ParseResult:
    """Gems of a Gemfile.lock: GEM / GIT / PATH specs, direct ones from DEPENDENCIES."""
    specs: list[tuple[str, str, str]] = []
    direct: set[str] = set()
    bundler = section = ""
    sections: set[str] = set()
    for line in data.decode("utf-8", "replace").splitlines():
        if line and not line[0].isspace():
            section = line.strip()
            sections.add(section)
        elif section in ("GEM", "GIT", "PATH") and (match := _SPEC_LINE.match(line)):
            specs.append((section, match.group(1), match.group(2)))
        elif section == "DEPENDENCIES" and (match := _DEPENDENCY_LINE.match(line)):
            direct.add(match.group(1))
        elif section == "BUNDLED WITH" and line.strip():
            bundler = line.strip()
    if not sections & {"GEM", "GIT", "PATH", "DEPENDENCIES"}:
        return ParseResult(notices=[Notice("no GEM section: not a Gemfile.lock", where)])
    return ParseResult(packages=[_locked_gem(s, direct, bundler) for s in specs])


def _locked_gem(spec: tuple[str, str, str], direct: set[str], bundler: str) -> Package:
    """One locked gem; a platform suffix (`1.13.10-x86_64-linux`) goes to metadata."""
    section, name, full_version = spec
    version, _, platform = full_version.partition("-")
    metadata: list[tuple[str, str]] = [("direct", "true")] if name in direct else []
    if platform:
        metadata.append(("platform", platform))
    if section != "GEM":
        metadata.append(("source", section.lower()))
    if bundler:
        metadata.append(("bundled_with", bundler))
    return gem_package(name, version, LOCK, metadata=tuple(metadata))


class GemLockCataloger:
    """Gemfile.lock files of a source tree (directory scans only)."""

    name: str = LOCK
    version: str = "1"
    scopes: tuple[str, ...] = SCOPE_DIR
    globs: Sequence[str] = ("**/Gemfile.lock",)

    def catalog(self, view: FileView, context: CatalogContext) -> CatalogResult:
        """Gems of every Gemfile.lock outside vendored bundles."""
        return parse_files(view, [(self.globs[0], parse_gemfile_lock)], outside("vendor"))
