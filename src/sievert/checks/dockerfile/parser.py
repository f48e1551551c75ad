"""A Dockerfile parser: directives, continuations, heredocs, flags, exec form, stages, ARG/ENV.

`parse_dockerfile(text, path)` is pure. Every instruction keeps its exact line span and the
comment lines before it (inline suppressions live there). An instruction the builder would
reject (unknown keyword, a non-ARG before the first FROM, a malformed FROM or ENV, missing
arguments, an unterminated heredoc, a bad directive, a FROM variable no global ARG declares)
becomes a `Problem` at its lines and parsing goes on with the rest of the file. Only a file
without any FROM raises ParseError (naming the file and the line): there is nothing to check.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import msgspec

from sievert.checks.dockerfile.expand import expand
from sievert.checks.dockerfile.syntax import Dockerfile, Heredoc, Instruction, Problem, Stage
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
EXACTLY_ONE = frozenset({"USER", "STOPSIGNAL"})
"""Instructions that take exactly one argument (after their flags)."""
NOT_ON_ONBUILD = frozenset({"ONBUILD", "FROM", "MAINTAINER"})

_DIRECTIVE = re.compile(r"#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_KEYWORD = re.compile(r"\s*([A-Za-z]+)(?:\s+|$)(.*)", re.DOTALL)
_HEREDOC = re.compile(r"(?<!<)<<(-?)([\"']?)([A-Za-z_][A-Za-z0-9_.-]*)\2")
_FLAG = re.compile(r"--([A-Za-z][A-Za-z0-9-]*)(?:=((?:\"[^\"]*\"|'[^']*'|\S)*))?(?:\s+|$)")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


class _Raw(msgspec.Struct):
    """An instruction's text before stage and variable processing."""

    keyword: str
    rest: str
    start: int
    end: int
    original: str
    comments: tuple[tuple[int, str], ...]
    heredocs: list[Heredoc] = msgspec.field(default_factory=list)


def read_bytes(path: Path, name: str = "") -> bytes:
    """A Dockerfile's bytes, read without going past DOCKERFILE_SIZE (LimitError).

    Raises OSError when it cannot be read.
    """
    return read_capped(path, DOCKERFILE_SIZE, name or str(path))


def read_text(path: Path, name: str = "") -> str:
    """A Dockerfile's text, bounded as `read_bytes`; UnicodeDecodeError when not UTF-8."""
    return read_bytes(path, name).decode("utf-8")


def parse_dockerfile(text: str, path: str) -> Dockerfile:
    """The Dockerfile in `text`, its problems recorded; ParseError when it has no FROM.

    LimitError when it is over the bounds of `sievert.limits` (size, instruction length and
    count, substitution depth).
    """
    DOCKERFILE_SIZE.check(len(text), path)
    lines = [line.rstrip("\r") for line in text.removeprefix("\ufeff").split("\n")]
    problems: list[Problem] = []
    directives, first = _directives(lines, problems)
    escape = dict(directives).get("escape", "\\")
    if escape not in ("\\", "`"):
        line = next(n for n, text in enumerate(lines, 1) if "escape" in text.lower())
        message = f"invalid escape directive {escape!r} (use \\ or `): \\ is used"
        problems.append(Problem(line, line, message, lines[line - 1].strip()))
        escape = "\\"
        directives = tuple((name, value) for name, value in directives if name != "escape")
    raws = _Reader(lines, escape, path, problems).read(first)
    return _Builder(path, escape, problems).build(raws, directives)


def _directives(
    lines: list[str], problems: list[Problem]
) -> tuple[tuple[tuple[str, str], ...], int]:
    """The parser directives at the top of the file and the index of the first other line."""
    found: dict[str, str] = {}
    for index, line in enumerate(lines):
        match = _DIRECTIVE.match(line.strip())
        if match is None or match.group(1).lower() not in DIRECTIVES:
            return tuple(found.items()), index
        name = match.group(1).lower()
        if name in found:
            message = f"the {name} directive is given twice (the first one is used)"
            problems.append(Problem(index + 1, index + 1, message, line.strip()))
            continue
        found[name] = match.group(2)
    return tuple(found.items()), len(lines)


class _Reader:
    """Turns physical lines into raw instructions: continuations, comments, heredocs."""

    def __init__(self, lines: list[str], escape: str, path: str, problems: list[Problem]) -> None:
        self.lines = lines
        self.escape = escape
        self.path = path
        self.problems = problems

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
                line = index + 1
                raw, index = self._instruction(index, tuple(comments))
                comments = []
                count += 1 + (len(raw.heredocs) if raw else 0)
                if count > bound:
                    raise DOCKERFILE_INSTRUCTIONS.error(f"{self.path}:{line}", bound)
                if raw is not None:
                    raws.append(raw)
        return raws

    def _skippable(self, index: int) -> bool:
        stripped = self.lines[index].strip()
        return not stripped or stripped.startswith("#")

    def _instruction(
        self, start: int, comments: tuple[tuple[int, str], ...]
    ) -> tuple[_Raw | None, int]:
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
        if raw is None:
            return None, index
        if raw.keyword in HEREDOC_KEYWORDS and not raw.rest.lstrip().startswith("["):
            index = self._heredocs(raw, index)
        raw.original = "\n".join(self.lines[start : raw.end])
        return raw, index

    def _raw(
        self, logical: str, start: int, last: int, comments: tuple[tuple[int, str], ...]
    ) -> _Raw | None:
        """The raw instruction, None (and a problem) when it has no known keyword."""
        match = _KEYWORD.match(logical)
        first = self.lines[start].strip()
        if match is None:
            message = f"cannot parse {logical.strip()[:40]!r}: not an instruction"
            self.problems.append(Problem(start + 1, last + 1, message, first))
            return None
        keyword = match.group(1).upper()
        if keyword not in KEYWORDS:
            message = f"unknown instruction {match.group(1)!r}"
            self.problems.append(Problem(start + 1, last + 1, message, first))
            return None
        return _Raw(keyword, match.group(2).strip(), start + 1, last + 1, "", comments)

    def _heredocs(self, raw: _Raw, index: int) -> int:
        """Read the body of each heredoc marker of `raw`, in order; the index after the last."""
        for match in _HEREDOC.finditer(raw.rest):
            strip_tabs, quote, delimiter = match.group(1) == "-", match.group(2), match.group(3)
            body: list[str] = []
            first = index
            while True:
                if index >= len(self.lines):
                    message = f"heredoc {delimiter!r} is not terminated (read to the end)"
                    text = self.lines[raw.start - 1].strip()
                    self.problems.append(Problem(raw.start, raw.start, message, text))
                    break
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


PLATFORM_ARGS = frozenset(
    (
        "BUILDPLATFORM",
        "BUILDOS",
        "BUILDARCH",
        "BUILDVARIANT",
        "TARGETPLATFORM",
        "TARGETOS",
        "TARGETARCH",
        "TARGETVARIANT",
    )
)
"""Arguments BuildKit declares in the global scope: FROM may use them without an ARG."""
NEED_ARGUMENTS = KEYWORDS - {"CMD", "ENTRYPOINT"}


class _Builder:
    """Groups raw instructions into stages and resolves ARG and ENV as the builder does."""

    def __init__(self, path: str, escape: str, problems: list[Problem]) -> None:
        self.path = path
        self.escape = escape
        self.problems = problems
        self.global_args: dict[str, str] = {}
        self.global_declared: set[str] = set(PLATFORM_ARGS)
        self.stage_envs: list[dict[str, str]] = []

    def _problem(self, raw: _Raw, message: str) -> None:
        first = raw.original.splitlines()[0].strip() if raw.original else raw.keyword
        self.problems.append(Problem(raw.start, raw.end, message, first))

    def build(self, raws: list[_Raw], directives: tuple[tuple[str, str], ...]) -> Dockerfile:
        """The Dockerfile of the raw instructions."""
        args: list[Instruction] = []
        position = 0
        while position < len(raws) and raws[position].keyword != "FROM":
            raw = raws[position]
            position += 1
            if raw.keyword != "ARG":
                self._problem(raw, f"{raw.keyword} before the first FROM (only ARG may be)")
                continue
            try:
                instruction = self._checked(raw, self.global_args)
                self.global_declared |= self._declare(instruction, self.global_args, {})
            except LimitError as exc:
                raise exc.at(f"{self.path}:{raw.start}") from None
            args.append(instruction)
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
        problems = tuple(sorted(self.problems, key=lambda p: (p.start_line, p.message)))
        return Dockerfile(self.path, tuple(stages), directives, tuple(args), problems)

    def _stage(self, raws: list[_Raw], earlier: list[Stage]) -> Stage:
        try:
            head = self._checked(raws[0], self.global_args, keep_unknown=True)
        except LimitError as exc:
            raise exc.at(f"{self.path}:{raws[0].start}") from None
        base, name = self._from(head, raws[0])
        base_stage = next((s.index for s in earlier if s.name and s.name == base.lower()), -1)
        env = dict(self.stage_envs[base_stage]) if base_stage >= 0 else {}
        args: dict[str, str] = {}
        instructions = [head]
        for raw in raws[1:]:
            try:
                instruction = self._checked(raw, {**args, **env})
                if raw.keyword == "ARG":
                    self._declare(instruction, args, self.global_args)
                elif raw.keyword == "ENV":
                    env.update(self._env_pairs(raw, {**args, **env}))
            except LimitError as exc:
                raise exc.at(f"{self.path}:{raw.start}") from None
            instructions.append(instruction)
        self.stage_envs.append(env)
        return Stage(name, len(earlier), base, tuple(instructions), base_stage)

    def _from(self, head: Instruction, raw: _Raw) -> tuple[str, str]:
        """The base and the stage name; unknown variables stay as written (and are reported)."""
        for variable in dict.fromkeys(_VARIABLE.findall(head.arguments)):
            if variable not in self.global_args and variable not in self.global_declared:
                self._problem(
                    raw,
                    f"FROM uses ${variable}, which no ARG before the first FROM declares: the "
                    "builder sees it empty (an ARG inside a stage is not visible to FROM)",
                )
        parts = head.expanded.split()
        if len(parts) == 1:
            return parts[0], ""
        if len(parts) == 3 and parts[1].lower() == "as":
            return parts[0], parts[2].lower()
        if parts:
            self._problem(raw, "FROM takes an image and an optional 'AS name'")
        return (parts[0] if parts else ""), ""

    def _checked(self, raw: _Raw, env: dict[str, str], keep_unknown: bool = False) -> Instruction:
        """The instruction, with a problem recorded when the builder would reject its form."""
        instruction = self._instruction(raw, env, keep_unknown)
        message = argument_problem(instruction)
        if message:
            self._problem(raw, message)
        return instruction

    def _instruction(self, raw: _Raw, env: dict[str, str], keep_unknown: bool) -> Instruction:
        flags, text = split_flags(raw.rest) if raw.keyword in FLAG_KEYWORDS else ((), raw.rest)
        array = json_array(text) if raw.keyword in JSON_KEYWORDS else None
        shell = raw.keyword in SHELL_KEYWORDS
        if array is not None:
            items = array if shell else [expand(item, env, self.escape) for item in array]
            expanded = json.dumps(items)
        else:
            expanded = expand(text, env, self.escape, shell=shell or keep_unknown)
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
    ) -> set[str]:
        """Record the names an ARG declares, with their default or the global one."""
        names: set[str] = set()
        for word in words(instruction.arguments, self.escape):
            name, has_value, value = word.partition("=")
            names.add(name)
            if has_value:
                into[name] = unquote(expand(value, into, self.escape), self.escape)
            elif name in defaults:
                into[name] = defaults[name]
        return names

    def _env_pairs(self, raw: _Raw, env: dict[str, str]) -> dict[str, str]:
        """The variables an ENV sets, each value expanded with the variables before it."""
        text = raw.rest
        items = words(text, self.escape)
        if not items:
            return {}
        if "=" not in items[0]:
            value = text[len(items[0]) :].strip()
            if not value:
                self._problem(raw, f"ENV {items[0]} has no value")
                return {}
            return {items[0]: unquote(expand(value, env, self.escape), self.escape)}
        pairs: dict[str, str] = {}
        for item in items:
            name, has_value, value = item.partition("=")
            if not has_value:
                self._problem(raw, f"ENV {item!r} has no '=value'")
                continue
            pairs[name] = unquote(expand(value, env, self.escape), self.escape)
        return pairs


def argument_problem(instruction: Instruction) -> str:
    """Why the builder would reject the instruction's arguments ('' when it would not)."""
    keyword, text = instruction.keyword, instruction.arguments.strip()
    if not text and not instruction.heredocs and keyword in NEED_ARGUMENTS:
        return f"{keyword} needs arguments"
    if keyword == "SHELL" and not instruction.json_form:
        return 'SHELL takes a JSON array: SHELL ["/bin/bash", "-c"]'
    if keyword in ("COPY", "ADD"):
        count = len(instruction.exec_args()) if instruction.json_form else len(words(text))
        if count < 2:
            return f"{keyword} needs a source and a destination"
    if keyword == "ONBUILD":
        inner = text.split(maxsplit=1)[0].upper() if text else ""
        if inner in NOT_ON_ONBUILD:
            return f"ONBUILD {inner} is not allowed"
    return ""


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
