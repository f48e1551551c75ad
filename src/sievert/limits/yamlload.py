"""Size-, depth- and alias-checked YAML: the one loader for YAML that comes from outside.

Aliases are counted and their expansion measured while the document is composed (each node's
expanded size is the sum of its children's, an alias adding the size of what it names), so a
"billion laughs" document is refused after reading it once instead of being walked forever.
Recursive aliases (`&a [*a]`) are refused outright. libyaml parses when available.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.composer import Composer, ComposerError
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.resolver import Resolver

from sievert.limits import YAML_ALIASES, YAML_DEPTH, YAML_NODES, YAML_SIZE, Limit


class _PyParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's own reader, scanner and parser, for when libyaml is not built in."""

    def __init__(self, stream: str | bytes) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


_Parser: Any = getattr(getattr(yaml, "cyaml", None), "CParser", None) or _PyParser
"""libyaml's parser when PyYAML was built with it (the composer above stays in Python)."""


class _BoundedComposer(Composer):
    """PyYAML's composer, counting depth, aliases and expanded nodes as it builds the graph."""

    where = ""
    _depth = 0
    _aliases = 0

    def _setup(self, where: str) -> None:
        self.where = where
        self._bounds = (YAML_DEPTH.value(), YAML_ALIASES.value(), YAML_NODES.value())
        self._sizes: dict[int, int] = {}

    def _refuse(self, limit: Limit, bound: int) -> None:
        raise limit.error(self.where, bound)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        """Compose one node, refusing too deep, too many aliases or too large an expansion."""
        max_depth, max_aliases, max_nodes = self._bounds
        if self.check_event(AliasEvent):  # type: ignore[attr-defined]
            event = self.peek_event()  # type: ignore[attr-defined]
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._sizes:
                raise ComposerError(
                    None, None, f"recursive alias *{event.anchor}", event.start_mark
                )
            self._aliases += 1
            if self._aliases > max_aliases:
                self._refuse(YAML_ALIASES, max_aliases)
            return super().compose_node(parent, index)
        self._depth += 1
        if self._depth > max_depth:
            self._refuse(YAML_DEPTH, max_depth)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is None:
            return None
        size = 1 + sum(self._sizes.get(id(child), 1) for child in _children(node))
        if size > max_nodes:
            self._refuse(YAML_NODES, max_nodes)
        self._sizes[id(node)] = size
        return node


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


class BoundedLoader(_BoundedComposer, _Parser, SafeConstructor, Resolver):  # type: ignore[misc]
    """A safe loader with the bounds above; `where` names the input in errors."""

    def __init__(self, stream: str | bytes, where: str = "<yaml>") -> None:
        _Parser.__init__(self, stream)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        Resolver.__init__(self)
        self._setup(where)


def _checked(text: str | bytes, where: str) -> str | bytes:
    size = len(text.encode("utf-8", "surrogatepass")) if isinstance(text, str) else len(text)
    YAML_SIZE.check(size, where)
    return text


def load(text: str | bytes, where: str) -> Any:
    """The Python value of one YAML document, within the bounds (LimitError naming `where`).

    Raises yaml.YAMLError for text that is not YAML.
    """
    loader = BoundedLoader(_checked(text, where), where)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def compose(text: str | bytes, where: str) -> yaml.Node | None:
    """The node graph of one YAML document (marks kept for messages), within the bounds."""
    loader = BoundedLoader(_checked(text, where), where)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()
