"""YAML read as a tree of nodes that remember their line and key path, for precise errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import msgspec
import yaml

from sievert.errors import ParseError
from sievert.limits import yamlload

Scalar = str | int | float | bool | dt.date | None


class Node(msgspec.Struct, frozen=True):
    """A YAML value with its file, 1-based line and dotted key path ('rules[3].when')."""

    value: Any
    """A scalar, a list of Node or a dict of str to Node."""
    line: int
    path: str
    file: str

    def error(self, message: str) -> ParseError:
        """A ParseError `file:line: path: message`."""
        where = f"{self.path}: " if self.path else ""
        return ParseError(f"{self.file}:{self.line}: {where}{message}")

    def child_path(self, key: str | int) -> str:
        """The path of a child key or list index."""
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def mapping(self) -> dict[str, Node]:
        """The value as a mapping, or an error."""
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping, got {kind(self.value)}")
        return self.value

    def items(self) -> list[Node]:
        """The value as a list (a single value is a one-item list)."""
        if isinstance(self.value, list):
            return self.value
        return [self]

    def sequence(self) -> list[Node]:
        """The value as a list, or an error."""
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, got {kind(self.value)}")
        return self.value

    def text(self) -> str:
        """The value as a non-empty string (numbers are taken as written), or an error."""
        value = self.value
        if isinstance(value, bool) or value is None or isinstance(value, list | dict):
            raise self.error(f"expected a string, got {kind(value)}")
        text = value.isoformat() if isinstance(value, dt.date) else str(value)
        if not text.strip():
            raise self.error("expected a non-empty string")
        return text.strip()

    def texts(self) -> tuple[str, ...]:
        """A string or a list of strings."""
        return tuple(item.text() for item in self.items())

    def boolean(self) -> bool:
        """The value as true/false, or an error."""
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {kind(self.value)}")
        return self.value

    def number(self, low: float | None = None, high: float | None = None) -> float:
        """The value as a number within [low, high], or an error."""
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"expected a number, got {kind(value)}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.error(f"{value} is out of range [{low}, {high}]")
        return float(value)

    def integer(self, low: int = 0) -> int:
        """The value as an integer >= low, or an error."""
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"expected an integer, got {kind(value)}")
        if value < low:
            raise self.error(f"{value} is below the minimum {low}")
        return value

    def date(self) -> dt.date:
        """The value as a YYYY-MM-DD date, or an error."""
        value = self.value
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            raise self.error(f"expected a date YYYY-MM-DD, got {value!r}") from None

    def choice(self, allowed: tuple[str, ...], what: str) -> str:
        """A string among `allowed` (case-insensitive), or an error listing them."""
        word = self.text().lower()
        if word not in allowed:
            raise self.error(
                f"unknown {what} {self.text()!r} (expected one of {', '.join(allowed)})"
            )
        return word


def kind(value: Any) -> str:
    """A YAML type name for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a string"


def check_keys(node: Node, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> None:
    """Error on a key outside `allowed` or a missing required key."""
    mapping = node.mapping()
    for key, child in mapping.items():
        if key not in allowed:
            raise child.error(f"unknown key (expected one of {', '.join(allowed)})")
    for key in required:
        if key not in mapping:
            raise node.error(f"missing required key {key!r}")


def parse_yaml(text: str, file: str) -> Node:
    """The YAML document in `text` as a Node tree; ParseError with the line on bad YAML."""
    try:
        root = yamlload.compose(text, file)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise ParseError(f"{file}:{line}: invalid YAML: {exc.problem}") from None
    except yaml.YAMLError as exc:
        raise ParseError(f"{file}: invalid YAML: {exc}") from None
    if root is None:
        raise ParseError(f"{file}:1: the document is empty")
    return _convert(root, "", file)


def _convert(node: yaml.Node, path: str, file: str) -> Node:
    line = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        return Node(dict(_pairs(node, path, file)), line, path, file)
    if isinstance(node, yaml.SequenceNode):
        items = [_convert(item, f"{path}[{i}]", file) for i, item in enumerate(node.value)]
        return Node(items, line, path, file)
    return Node(_scalar(node, path, file), line, path, file)


def _pairs(node: yaml.MappingNode, path: str, file: str) -> Iterator[tuple[str, Node]]:
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key = str(_scalar(key_node, path, file))
        line = key_node.start_mark.line + 1
        where = f"{path}.{key}" if path else key
        if key in seen:
            raise ParseError(f"{file}:{line}: {where}: duplicate key")
        seen.add(key)
        yield key, _convert(value_node, where, file)


class _ScalarConstructor(yaml.constructor.SafeConstructor):
    """Builds one scalar's value at a time (no cache kept between scalars)."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """The value of a scalar node."""
        try:
            return super().construct_object(node, deep)
        finally:
            self.constructed_objects.clear()
            self.recursive_objects.clear()


_SCALARS = _ScalarConstructor()


def _scalar(node: yaml.Node, path: str, file: str) -> Scalar:
    if not isinstance(node, yaml.ScalarNode):
        line = node.start_mark.line + 1
        raise ParseError(f"{file}:{line}: {path}: a key must be a plain value")
    try:
        value = _SCALARS.construct_object(node)
    except ValueError:
        return str(node.value)
    except yaml.YAMLError as exc:
        raise ParseError(f"{file}:{node.start_mark.line + 1}: {path}: {exc}") from None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value  # type: ignore[no-any-return]
