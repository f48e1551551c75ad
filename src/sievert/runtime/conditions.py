"""Falco-like rule files for `sievert runtime watch`: lists, macros and rules whose conditions
are boolean expressions over event fields.

    - list: shell_binaries
      items: [sh, bash, dash, ash, zsh]
    - macro: spawned_process
      condition: evt.type = exec
    - rule: Shell in container
      condition: spawned_process and proc.name in (shell_binaries) and not proc.is_init
      priority: NOTICE
      output: Shell in container (container=%container.name cmdline=%proc.cmdline)

Operators: `=`, `!=`, `<`, `<=`, `>`, `>=` (numbers when both sides are), `in (a, b, list)`,
`startswith`, `endswith`, `contains`, `glob`; `and`, `or`, `not`, parentheses; a field alone
tests its truth. Parsing is pure; a malformed file is a ParseError naming the rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import msgspec
import yaml

from sievert.errors import ParseError
from sievert.limits import YAML_SIZE, read_capped, yamlload

Value = str | int | bool
Fields = Mapping[str, Value]
Test = Callable[[Fields], bool]

PRIORITIES = (
    "DEBUG",
    "INFORMATIONAL",
    "NOTICE",
    "WARNING",
    "ERROR",
    "CRITICAL",
    "ALERT",
    "EMERGENCY",
)
TOKEN = re.compile(
    r"""\s*(?:(?P<paren>[(),])|(?P<op><=|>=|!=|=|<|>)|"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<word>[^\s(),=<>!]+))"""
)
WORD_OPS = frozenset({"in", "startswith", "endswith", "contains", "glob"})
FIELD = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
OUTPUT_FIELD = re.compile(r"%([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)")


class WatchRule(msgspec.Struct, frozen=True):
    """A rule: its name, compiled condition, priority and output template."""

    name: str
    condition: str
    test: Test
    priority: str
    output: str
    tags: tuple[str, ...] = ()

    def render(self, fields: Fields) -> str:
        """The output text with `%field` replaced by the event's values (`<NA>` when absent)."""
        return OUTPUT_FIELD.sub(lambda m: str(fields.get(m.group(1), "<NA>")), self.output)


class _Token(msgspec.Struct):
    kind: str
    text: str


def tokenize(text: str) -> list[_Token]:
    """The tokens of a condition; ParseError on a character that starts none."""
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ParseError(f"unexpected {text[position:].strip()[:20]!r}")
        position = match.end()
        kind = match.lastgroup or ""
        value = match.group(kind)
        if kind in ("dq", "sq"):
            tokens.append(_Token("string", value))
        elif kind == "word" and value.lower() in ("and", "or", "not"):
            tokens.append(_Token(value.lower(), value))
        elif kind == "word" and value.lower() in WORD_OPS:
            tokens.append(_Token("op", value.lower()))
        else:
            tokens.append(_Token(kind, value))
    return tokens


class _Parser:
    """Recursive descent over the tokens, expanding macros and lists."""

    def __init__(
        self, tokens: list[_Token], macros: Mapping[str, Test], lists: Mapping[str, tuple[str, ...]]
    ) -> None:
        self.tokens = tokens
        self.position = 0
        self.macros = macros
        self.lists = lists

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, kind: str = "") -> _Token:
        token = self.peek()
        if token is None or (kind and token.kind != kind):
            raise ParseError(f"expected {kind or 'more'} at token {self.position + 1}")
        self.position += 1
        return token

    def parse(self) -> Test:
        test = self.disjunction()
        if self.peek() is not None:
            raise ParseError(f"unexpected {self.peek().text!r}")  # type: ignore[union-attr]
        return test

    def disjunction(self) -> Test:
        parts = [self.conjunction()]
        while (token := self.peek()) is not None and token.kind == "or":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda f: any(p(f) for p in parts))

    def conjunction(self) -> Test:
        parts = [self.negation()]
        while (token := self.peek()) is not None and token.kind == "and":
            self.take()
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda f: all(p(f) for p in parts))

    def negation(self) -> Test:
        token = self.peek()
        if token is not None and token.kind == "not":
            self.take()
            inner = self.negation()
            return lambda f: not inner(f)
        return self.primary()

    def primary(self) -> Test:
        token = self.take()
        if token.kind == "paren" and token.text == "(":
            inner = self.disjunction()
            closing = self.take("paren")
            if closing.text != ")":
                raise ParseError("expected )")
            return inner
        if token.kind != "word":
            raise ParseError(f"expected a field or macro, not {token.text!r}")
        if token.text in self.macros:
            return self.macros[token.text]
        if not FIELD.fullmatch(token.text):
            raise ParseError(f"unknown macro or field {token.text!r}")
        following = self.peek()
        if following is None or following.kind != "op":
            name = token.text
            return lambda f: bool(f.get(name))
        op = self.take().text
        return comparison(token.text, op, self.operand(op))

    def operand(self, op: str) -> tuple[str, ...]:
        if op != "in":
            return (self.value(),)
        opening = self.take("paren")
        if opening.text != "(":
            raise ParseError("expected ( after in")
        items: list[str] = []
        while True:
            word = self.value()
            items.extend(self.lists.get(word, (word,)))
            separator = self.take("paren")
            if separator.text == ")":
                return tuple(items)
            if separator.text != ",":
                raise ParseError("expected , or ) in a list")

    def value(self) -> str:
        token = self.take()
        if token.kind not in ("word", "string"):
            raise ParseError(f"expected a value, not {token.text!r}")
        return token.text


def _number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    return int(text) if text.lstrip("-").isdecimal() else None


def comparison(field: str, op: str, values: tuple[str, ...]) -> Test:
    """The test of `field op value(s)`."""
    want = values[0]

    def ordered(actual: Value, check: Callable[[int], bool]) -> bool:
        left, right = _number(actual), _number(want)
        return left is not None and right is not None and check(left - right)

    checks: dict[str, Callable[[Value], bool]] = {
        "=": lambda a: _text(a) == want,
        "!=": lambda a: _text(a) != want,
        "<": lambda a: ordered(a, lambda d: d < 0),
        "<=": lambda a: ordered(a, lambda d: d <= 0),
        ">": lambda a: ordered(a, lambda d: d > 0),
        ">=": lambda a: ordered(a, lambda d: d >= 0),
        "in": lambda a: _text(a) in values,
        "startswith": lambda a: _text(a).startswith(want),
        "endswith": lambda a: _text(a).endswith(want),
        "contains": lambda a: want in _text(a),
        "glob": lambda a: fnmatchcase(_text(a), want),
    }
    check = checks[op]
    return lambda f: field in f and check(f[field])


def _text(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compile_condition(
    text: str,
    macros: Mapping[str, Test] | None = None,
    lists: Mapping[str, tuple[str, ...]] | None = None,
) -> Test:
    """A condition's test; ParseError when malformed."""
    return _Parser(tokenize(text), macros or {}, lists or {}).parse()


def parse_rules(document: Any, where: str) -> tuple[WatchRule, ...]:
    """The rules of a rule file's items (lists and macros apply to the items after them)."""
    if not isinstance(document, list):
        raise ParseError(f"{where}: expected a list of rule, macro and list items")
    lists: dict[str, tuple[str, ...]] = {}
    macros: dict[str, Test] = {}
    rules: list[WatchRule] = []
    for index, item in enumerate(document):
        label = f"{where}: item {index + 1}"
        if not isinstance(item, dict):
            raise ParseError(f"{label}: expected a mapping")
        try:
            _item(item, lists, macros, rules)
        except ParseError as exc:
            name = item.get("rule") or item.get("macro") or item.get("list") or ""
            raise ParseError(f"{label} ({name}): {exc}") from None
    return tuple(rules)


def _item(
    item: dict[str, Any],
    lists: dict[str, tuple[str, ...]],
    macros: dict[str, Test],
    rules: list[WatchRule],
) -> None:
    if "list" in item:
        items = item.get("items")
        if not isinstance(items, list):
            raise ParseError("a list needs items: [...]")
        lists[str(item["list"])] = tuple(
            word for entry in items for word in lists.get(str(entry), (str(entry),))
        )
    elif "macro" in item:
        macros[str(item["macro"])] = compile_condition(
            str(item.get("condition", "")), macros, lists
        )
    elif "rule" in item:
        if item.get("enabled") is False:
            return
        priority = str(item.get("priority", "WARNING")).upper()
        if priority not in PRIORITIES:
            raise ParseError(
                f"unknown priority {priority!r} (expected one of {', '.join(PRIORITIES)})"
            )
        condition = str(item.get("condition", ""))
        rules.append(
            WatchRule(
                name=str(item["rule"]),
                condition=condition,
                test=compile_condition(condition, macros, lists),
                priority=priority,
                output=str(item.get("output", item["rule"])),
                tags=tuple(str(t) for t in item.get("tags") or ()),
            )
        )
    else:
        raise ParseError("expected a rule, macro or list key")


def load_rules(path: Path) -> tuple[WatchRule, ...]:
    """The rules of a YAML rule file."""
    try:
        document = yamlload.load(read_capped(path, YAML_SIZE), str(path))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ParseError(f"{path}: cannot read the rule file ({exc})") from exc
    return parse_rules(document, str(path))


def default_rules() -> tuple[WatchRule, ...]:
    """The rule set that ships with Sievert (runtime/default_rules.yaml)."""
    return load_rules(Path(__file__).with_name("default_rules.yaml"))
