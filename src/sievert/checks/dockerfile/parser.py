"""A Dockerfile parser: directives, continuations, heredocs, flags, exec form, stages, ARG/ENV.

`parse_dockerfile(text, path)` is pure. Every instruction keeps its exact line span and the
comment lines before it (inline suppressions live there). Malformed input raises ParseError
naming the file and the line: an unknown instruction, an instruction before the first FROM
other than ARG, a bad FROM, an unterminated heredoc, an invalid escape directive, no FROM.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from sievert.checks.dockerfile.expand import expand
from sievert.checks.dockerfile.syntax import Dockerfile, Heredoc, Instruction, Stage
from sievert.errors import LimitError, ParseError
from sievert.limits import (
    DOCKERFILE_INSTRUCTIONS,
    DOCKERFILE_LINE,
    DOCKERFILE_SIZE,
    jsonload,
    read_capped,
)

KEYWORDS = frozenset(
    (
        "ADD",
        "ARG",
        "CMD",
        "COPY",
        "ENTRYPOINT",
        "ENV",
        "EXPOSE",
        "FROM",
        "HEALTHCHECK",
        "LABEL",
        "MAINTAINER",
        "ONBUILD",
        "RUN",
        "SHELL",
        "STOPSIGNAL",
        "USER",
        "VOLUME",
        "WORKDIR",
    )
)
SHELL_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "HEALTHCHECK", "ONBUILD"})
"""Arguments the builder does not expand: the shell resolves their variables at run time."""
JSON_KEYWORDS = frozenset({"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"})
HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
FLAG_KEYWORDS = frozenset({"FROM", "RUN", "COPY", "ADD", "HEALTHCHECK"})
DIRECTIVES = frozenset({"syntax", "escape", "check"})

_DIRECTIVE = re.compile(r"#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_KEYWORD = re.compile(r"\s*([A-Za-z]+)(?:\s+|$)(.*)", re.DOTALL)
_HEREDOC = re.compile(r"(?<!<)<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_FLAG = re.compile(r"--([A-Za-z][A-Za-z0-9-]*)(?:=((?:\"[^\"]*\"|'[^']*'|\S)*))?(?:\s+|$)")


@dataclass(slots=True)
class _Raw:
    """An instruction's text before stage and variable processing."""

    keyword: str
    rest: str
    start: int
    end: int
    original: str
    comments: tuple[tuple[int, str], ...]
    heredocs: list[Heredoc] = field(default_factory=list)


def read_text(path: Path, name: str = "") -> str:
    """A Dockerfile's text, read without going past DOCKERFILE_SIZE (LimitError).

    Raises OSError when it cannot be read, UnicodeDecodeError when it is not UTF-8.
    """
    return read_capped(path, DOCKERFILE_SIZE, name or str(path)).decode("utf-8")


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    """The Dockerfile in `text`; ParseError naming `path` and the line when it is malformed.

    LimitError when it is over the bounds of `sievert.limits` (size, instruction length and
    count, substitution depth).
    """
    DOCKERFILE_SIZE.check(len(text), path)
    lines = [line.rstrip("\r") for line in text.removeprefix("\ufeff").split("\n")]
    directives, first = _directives(lines, path)
    escape = dict(directives).get("escape", "\\")
    if escape not in ("\\", "`"):
        raise ParseError(f"{path}:1: invalid escape directive {escape!r} (use \\ or `)")
    raws = _Reader(lines, escape, path).read(first)
    return _Builder(path, escape).build(raws, directives)


def _directives(lines: list[str], path: str) -> tuple[tuple[tuple[str, str], ...], int]:
    """The parser directives at the top of the file and the index of the first other line."""
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line.strip())
        if match is None or match.group(1).lower() not in DIRECTIVES:
            return tuple(found.items()), index
        name = match.group(1).lower()
        if name in found:
            raise ParseError(f"{path}:{index + 1}: the {name} directive is given twice")
        found[name] = match.group(2)
    return tuple(found.items()), len(lines)


class _Reader:
    """Turns physical lines into raw instructions: continuations, comments, heredocs."""

    def __init__(self, lines: list[str], escape: str, path: str) -> None:
        self.lines = lines
        self.escape = escape
        self.path = path

    def read(self, start: int) -> list[_Raw]:
        """Every instruction from line index `start` on."""
        raws: list[_Raw] = []
        comments: list[tuple[int, str]] = []
        index = start
        count, bound = 0, DOCKERFILE_INSTRUCTIONS.value()
        while index < len(self.lines):
            stripped = self.lines[index].strip()
            if not stripped:
                comments = []
                index += 1
            elif stripped.startswith("#"):
                comments.append((index + 1, stripped))
                index += 1
            else:
                raw, index = self._instruction(index, tuple(comments))
                raws.append(raw)
                count += 1 + len(raw.heredocs)
                if count > bound:
                    raise DOCKERFILE_INSTRUCTIONS.error(f"{self.path}:{raw.start}", bound)
                comments = []
        return raws

    def _skippable(self, index: int) -> bool:
        stripped = self.lines[index].strip()
        return not stripped or stripped.startswith("#")

    def _instruction(self, start: int, comments: tuple[tuple[int, str], ...]) -> tuple[_Raw, int]:
        parts: list[str] = []
        inner: list[tuple[int, str]] = []
        index, last = start, start
        length, bound = 0, DOCKERFILE_LINE.value()
        while index < len(self.lines):
            body = self.lines[index].rstrip()
            last = index
            index += 1
            length += len(body)
            if length > bound:
                raise DOCKERFILE_LINE.error(f"{self.path}:{start + 1}", bound)
            if not body.endswith(self.escape):
                parts.append(body)
                break
            parts.append(body[: -len(self.escape)])
            while index < len(self.lines) and self._skippable(index):
                if self.lines[index].strip():
                    inner.append((index + 1, self.lines[index].strip()))
                index += 1
        raw = self._raw("".join(parts), start, last, comments + tuple(inner))
        if raw.keyword in HEREDOC_KEYWORDS and not raw.rest.lstrip().startswith("["):
            index = self._heredocs(raw, index)
        raw.original = "\n".join(self.lines[start : raw.end])
        return raw, index

    def _raw(
        self, logical: str, start: int, last: int, comments: tuple[tuple[int, str], ...]
    ) -> _Raw:
        match = _KEYWORD.match(logical)
        if match is None:
            raise ParseError(f"{self.path}:{start + 1}: cannot parse {logical.strip()[:40]!r}")
        keyword = match.group(1).upper()
        if keyword not in KEYWORDS:
            raise ParseError(f"{self.path}:{start + 1}: unknown instruction {match.group(1)!r}")
        return _Raw(keyword, match.group(2).strip(), start + 1, last + 1, "", comments)

    def _heredocs(self, raw: _Raw, index: int) -> int:
        """Read the body of each heredoc marker of `raw`, in order; the index after the last."""
        for match in _HEREDOC.finditer(raw.rest):
            strip_tabs, quote, delimiter = match.group(1) == "-", match.group(2), match.group(3)
            body: list[str] = []
            first = index
            while True:
                if index >= len(self.lines):
                    raise ParseError(
                        f"{self.path}:{first}: heredoc {delimiter!r} is not terminated"
                    )
                line = self.lines[index].lstrip("\t") if strip_tabs else self.lines[index]
                index += 1
                if line == delimiter:
                    break
                body.append(line)
            text = "".join(line + "\n" for line in body)
            raw.heredocs.append(Heredoc(delimiter, text, strip_tabs, bool(quote), first + 1, index))
            raw.end = index
        return index


def split_flags(rest: str) -> tuple[tuple[tuple[str, str], ...], str]:
    """The leading `--name[=value]` flags of an instruction and the text after them."""
    flags: list[tuple[str, str]] = []
    text = rest.lstrip()
    while text.startswith("--"):
        match = _FLAG.match(text)
        if match is None:
            break
        value = match.group(2) or ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        flags.append((match.group(1).lower(), value))
        text = text[match.end() :]
    return tuple(flags), text.strip()


def json_array(text: str) -> list[str] | None:
    """The strings of a JSON array, None when `text` is not one (then it is shell form)."""
    if not text.startswith("["):
        return None
    try:
        value = jsonload.loads(text, "Dockerfile")
    except (ValueError, LimitError):
        return None
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None


def words(text: str, escape: str = "\\") -> list[str]:
    """Split on unquoted whitespace, keeping quotes and escapes in the words."""
    result: list[str] = []
    current: list[str] = []
    quote = ""
    i = 0
    while i < len(text):
        char = text[i]
        if char == escape and quote != "'" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if char in "'\"" and quote in ("", char):
            quote = "" if quote else char
        if char.isspace() and not quote:
            if current:
                result.append("".join(current))
                current = []
        else:
            current.append(char)
        i += 1
    if current:
        result.append("".join(current))
    return result


def unquote(word: str, escape: str = "\\") -> str:
    """Remove the quotes and escape characters of one word."""
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(word):
        char = word[i]
        if char == escape and quote != "'" and i + 1 < len(word):
            out.append(word[i + 1])
            i += 2
            continue
        if char in "'\"" and quote in ("", char):
            quote = "" if quote else char
        else:
            out.append(char)
        i += 1
    return "".join(out)


class _Builder:
    """Groups raw instructions into stages and resolves ARG and ENV as the builder does."""

    def __init__(self, path: str, escape: str) -> None:
        self.path = path
        self.escape = escape
        self.global_args: dict[str, str] = {}
        self.stage_envs: list[dict[str, str]] = []

    def build(self, raws: list[_Raw], directives: tuple[tuple[str, str], ...]) -> Dockerfile:
        """The Dockerfile of the raw instructions."""
        args: list[Instruction] = []
        position = 0
        while position < len(raws) and raws[position].keyword != "FROM":
            raw = raws[position]
            if raw.keyword != "ARG":
                where = f"{self.path}:{raw.start}"
                raise ParseError(f"{where}: {raw.keyword} before the first FROM (only ARG may be)")
            try:
                instruction = self._instruction(raw, self.global_args)
                self._declare(instruction, self.global_args, {})
            except LimitError as exc:
                raise exc.at(f"{self.path}:{raw.start}") from None
            args.append(instruction)
            position += 1
        if position == len(raws):
            line = raws[-1].end if raws else 1
            raise ParseError(f"{self.path}:{line}: no FROM instruction")
        stages: list[Stage] = []
        while position < len(raws):
            end = next(
                (n for n in range(position + 1, len(raws)) if raws[n].keyword == "FROM"), len(raws)
            )
            stages.append(self._stage(raws[position:end], stages))
            position = end
        return Dockerfile(self.path, tuple(stages), directives, tuple(args))

    def _stage(self, raws: list[_Raw], earlier: list[Stage]) -> Stage:
        try:
            head = self._instruction(raws[0], self.global_args)
        except LimitError as exc:
            raise exc.at(f"{self.path}:{raws[0].start}") from None
        base, name = self._from(head)
        base_stage = next((s.index for s in earlier if s.name and s.name == base.lower()), -1)
        env = dict(self.stage_envs[base_stage]) if base_stage >= 0 else {}
        args: dict[str, str] = {}
        instructions = [head]
        for raw in raws[1:]:
            try:
                instruction = self._instruction(raw, {**args, **env})
                if raw.keyword == "ARG":
                    self._declare(instruction, args, self.global_args)
                elif raw.keyword == "ENV":
                    env.update(self._env_pairs(raw.rest, {**args, **env}, raw.start))
            except LimitError as exc:
                raise exc.at(f"{self.path}:{raw.start}") from None
            instructions.append(instruction)
        self.stage_envs.append(env)
        return Stage(name, len(earlier), base, tuple(instructions), base_stage)

    def _from(self, head: Instruction) -> tuple[str, str]:
        parts = head.expanded.split()
        if len(parts) == 1:
            return parts[0], ""
        if len(parts) == 3 and parts[1].lower() == "as":
            return parts[0], parts[2].lower()
        raise ParseError(
            f"{self.path}:{head.start_line}: FROM takes an image and an optional 'AS name'"
        )

    def _instruction(self, raw: _Raw, env: dict[str, str]) -> Instruction:
        flags, text = split_flags(raw.rest) if raw.keyword in FLAG_KEYWORDS else ((), raw.rest)
        array = json_array(text) if raw.keyword in JSON_KEYWORDS else None
        shell = raw.keyword in SHELL_KEYWORDS
        if array is not None:
            items = array if shell else [expand(item, env, self.escape) for item in array]
            expanded = json.dumps(items)
        else:
            expanded = expand(text, env, self.escape, shell=shell)
        flags = tuple((name, expand(value, env, self.escape)) for name, value in flags)
        return Instruction(
            keyword=raw.keyword,
            arguments=text,
            flags=flags,
            json_form=array is not None,
            heredocs=tuple(raw.heredocs),
            start_line=raw.start,
            end_line=raw.end,
            original=raw.original,
            expanded=expanded,
            comments=raw.comments,
        )

    def _declare(
        self, instruction: Instruction, into: dict[str, str], defaults: dict[str, str]
    ) -> None:
        """Record the names an ARG declares, with their default or the global one."""
        for word in words(instruction.arguments, self.escape):
            name, has_value, value = word.partition("=")
            if has_value:
                into[name] = unquote(expand(value, into, self.escape), self.escape)
            elif name in defaults:
                into[name] = defaults[name]

    def _env_pairs(self, text: str, env: dict[str, str], line: int) -> dict[str, str]:
        """The variables an ENV sets, each value expanded with the variables before it."""
        items = words(text, self.escape)
        if not items:
            raise ParseError(f"{self.path}:{line}: ENV needs at least one variable")
        if "=" not in items[0]:
            value = text[len(items[0]) :].strip()
            return {items[0]: unquote(expand(value, env, self.escape), self.escape)}
        pairs: dict[str, str] = {}
        for item in items:
            name, has_value, value = item.partition("=")
            if not has_value:
                raise ParseError(f"{self.path}:{line}: ENV {item!r} has no '=value'")
            pairs[name] = unquote(expand(value, env, self.escape), self.escape)
        return pairs


def env_pairs(instruction: Instruction, escape: str = "\\") -> list[tuple[str, str]]:
    """The (name, value) pairs an ENV, ARG or LABEL instruction sets, as written (expanded)."""
    items = words(instruction.expanded, escape)
    if instruction.keyword == "ENV" and items and "=" not in items[0]:
        return [(items[0], unquote(instruction.expanded[len(items[0]) :].strip(), escape))]
    pairs = []
    for item in items:
        name, _, value = item.partition("=")
        pairs.append((unquote(name, escape), unquote(value, escape)))
    return pairs
