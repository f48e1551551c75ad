"""ARG/ENV substitution as the builder does it: `$VAR`, `${VAR}`, `${VAR:-word}`, `${VAR:+word}`.

Single-quoted text is not expanded; the escape character before `$` makes it literal. In
builder mode an unknown variable expands to '' (as `docker build` does in FROM, COPY, ENV...);
in shell mode (RUN, CMD) it is kept as written, since the shell resolves it when the image runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sievert.limits import DOCKERFILE_LINE, SUBSTITUTION_DEPTH

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS = (":-", ":+", "-", "+")


def expand(
    text: str, env: Mapping[str, str], escape: str = "\\", *, shell: bool = False, depth: int = 0
) -> str:
    """`text` with the variables of `env` substituted.

    LimitError (where: 'Dockerfile') when `${a:-${b:-...}}` nest deeper than SUBSTITUTION_DEPTH
    or the result grows longer than DOCKERFILE_LINE; the parser names the file and line.
    """
    if depth > SUBSTITUTION_DEPTH.value():
        raise SUBSTITUTION_DEPTH.error("Dockerfile")
    out: list[str] = []
    i = 0
    quote = ""
    while i < len(text):
        char = text[i]
        if char == escape and i + 1 < len(text) and quote != "'":
            out.append(text[i : i + 2] if shell or text[i + 1] != "$" else "$")
            i += 2
            continue
        if char in "'\"" and quote in ("", char):
            quote = "" if quote else char
        if char == "$" and quote != "'":
            replacement, i = _variable(text, i, env, escape, shell, depth)
            out.append(replacement)
            continue
        out.append(char)
        i += 1
    result = "".join(out)
    DOCKERFILE_LINE.check(len(result), "Dockerfile")
    return result


def _variable(
    text: str, start: int, env: Mapping[str, str], escape: str, shell: bool, depth: int
) -> tuple[str, int]:
    """The expansion of the `$...` reference at `start`, and the index after it."""
    if text.startswith("${", start):
        end = _closing_brace(text, start + 2)
        if end < 0:
            return text[start:], len(text)
        inner, original = text[start + 2 : end], text[start : end + 1]
        return _braced(inner, original, env, escape, shell, depth), end + 1
    match = _NAME.match(text, start + 1)
    if match is None:
        return "$", start + 1
    name = match.group()
    if name in env:
        return env[name], match.end()
    return (text[start : match.end()] if shell else ""), match.end()


def _closing_brace(text: str, start: int) -> int:
    depth = 1
    for index in range(start, len(text)):
        if text[index] == "{":
            depth += 1
        elif text[index] == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def _braced(
    inner: str, original: str, env: Mapping[str, str], escape: str, shell: bool, depth: int
) -> str:
    match = _NAME.match(inner)
    if match is None:
        return original
    name, rest = match.group(), inner[match.end() :]
    value = env.get(name)
    if not rest:
        if value is None:
            return original if shell else ""
        return value
    operator = next((op for op in _OPERATORS if rest.startswith(op)), "")
    if not operator:
        return original if value is None or shell else value
    word = expand(rest[len(operator) :], env, escape, shell=shell, depth=depth + 1)
    return _apply(operator, value, word, original, shell)


def _apply(operator: str, value: str | None, word: str, original: str, shell: bool) -> str:
    set_and_not_empty = bool(value)
    if operator == ":-":
        return value if value else word
    if operator == "-":
        return word if value is None else value
    if operator == ":+":
        return word if set_and_not_empty else ""
    if value is None and shell:
        return original
    return word if value is not None else ""
