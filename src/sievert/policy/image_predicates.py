"""Predicates about the image as a whole: base image, user, ports, labels, size, DB age."""

from __future__ import annotations

from collections.abc import Callable

from sievert.policy.context import Context, parse_day
from sievert.policy.document import Leaf
from sievert.policy.packages import parse_matchers
from sievert.policy.patterns import ImagePattern, parse_image_pattern, parse_size
from sievert.policy.yamlnode import Node

IMAGE = frozenset({"image"})
ROOT_USERS = ("", "root", "0")

Detail = Callable[[Context], str]


def _leaf(key: str, text: str, detail: Detail) -> Leaf:
    """An image leaf: it holds when `detail` finds something to say."""
    return Leaf(key, text, IMAGE, lambda ctx, _subject: bool(detail(ctx)), detail)


def _patterns(node: Node) -> tuple[ImagePattern, ...]:
    patterns = []
    for item in node.items():
        try:
            patterns.append(parse_image_pattern(item.text()))
        except ValueError as exc:
            raise item.error(str(exc)) from None
    return tuple(patterns)


def _base_matches(ctx: Context, patterns: tuple[ImagePattern, ...]) -> bool:
    base = ctx.base
    return base is not None and any(p.matches(base.reference, base.digest) for p in patterns)


def _base_image_in(node: Node) -> Leaf:
    patterns = _patterns(node)

    def detail(ctx: Context) -> str:
        if not _base_matches(ctx, patterns):
            return ""
        return f"base image {ctx.base.reference if ctx.base else ''} is denied"

    return _leaf("base_image_in", f"base image in {_joined(patterns)}", detail)


def _base_image_not_in(node: Node) -> Leaf:
    patterns = _patterns(node)

    def detail(ctx: Context) -> str:
        if ctx.base is None or _base_matches(ctx, patterns):
            return ""
        return f"base image {ctx.base.reference} is not allowed"

    return _leaf("base_image_not_in", f"base image not in {_joined(patterns)}", detail)


def _base_image_known(node: Node) -> Leaf:
    wanted = node.boolean()

    def detail(ctx: Context) -> str:
        if (ctx.base is not None) != wanted:
            return ""
        return f"base image is {ctx.base.reference}" if ctx.base else "base image is unknown"

    return _leaf("base_image_known", f"base image known: {wanted}", detail)


def _joined(patterns: tuple[ImagePattern, ...]) -> str:
    return ", ".join(p.text for p in patterns)


def is_root(user: str) -> bool:
    """Whether a config User runs as root ('' defaults to root; 'root:x', '0:0')."""
    return user.strip().partition(":")[0] in ROOT_USERS


def _user_root(node: Node) -> Leaf:
    wanted = node.boolean()

    def detail(ctx: Context) -> str:
        user = ctx.result.inventory.image.user
        if is_root(user) != wanted:
            return ""
        return f"user is {user or 'root (default)'}"

    return _leaf("user_root", "runs as root" if wanted else "runs as non-root", detail)


def _port_matches(pattern: str, exposed: str) -> bool:
    number, _, proto = exposed.partition("/")
    want_number, _, want_proto = pattern.partition("/")
    if want_proto and want_proto.lower() != (proto or "tcp").lower():
        return False
    low, _, high = want_number.partition("-")
    if not number.isdecimal():
        return False
    return int(low) <= int(number) <= int(high or low)


def _exposed_ports(node: Node) -> Leaf:
    patterns = tuple(item.text() for item in node.items())
    for item, pattern in zip(node.items(), patterns, strict=True):
        low, _, rest = pattern.partition("/")[0].partition("-")
        if not low.isdecimal() or (rest and not rest.isdecimal()):
            raise item.error(f"bad port {pattern!r} (e.g. 22, 23/tcp, 6000-6063)")

    def detail(ctx: Context) -> str:
        ports = ctx.result.inventory.image.exposed_ports
        hits = [p for p in ports if any(_port_matches(want, p) for want in patterns)]
        return f"exposes {', '.join(hits)}" if hits else ""

    return _leaf("exposed_ports", f"exposes any of {', '.join(patterns)}", detail)


def _missing_labels(node: Node) -> Leaf:
    keys = node.texts()

    def detail(ctx: Context) -> str:
        present = {key for key, _ in ctx.result.inventory.image.labels}
        missing = [key for key in keys if key not in present]
        return f"missing label {', '.join(missing)}" if missing else ""

    return _leaf("missing_labels", f"lacks a label of {', '.join(keys)}", detail)


def _missing_packages(node: Node) -> Leaf:
    matchers = parse_matchers(node)

    def detail(ctx: Context) -> str:
        packages = ctx.result.inventory.packages
        missing = [m.text for m in matchers if not any(m.matches(p) for p in packages)]
        return f"missing required package {', '.join(missing)}" if missing else ""

    text = f"lacks a package of {', '.join(m.text for m in matchers)}"
    return _leaf("missing_packages", text, detail)


def _size_over(node: Node) -> Leaf:
    try:
        limit = parse_size(node.value if isinstance(node.value, int | float) else node.text())
    except ValueError as exc:
        raise node.error(str(exc)) from None

    def detail(ctx: Context) -> str:
        size = ctx.result.inventory.image.size
        return f"image size {size} bytes is over {limit}" if size > limit else ""

    return _leaf("size_over", f"image larger than {limit} bytes", detail)


def _layers_over(node: Node) -> Leaf:
    limit = node.integer()

    def detail(ctx: Context) -> str:
        count = len(ctx.result.inventory.image.layers)
        return f"{count} layers is over {limit}" if count > limit else ""

    return _leaf("layers_over", f"more than {limit} layers", detail)


def _db_older_than(node: Node) -> Leaf:
    days = node.integer()

    def detail(ctx: Context) -> str:
        result = ctx.result
        built = parse_day(result.db_built) if result.db_built else None
        if built is None:
            return "vulnerability database build time unknown" if "vuln" in result.scanners else ""
        age = (ctx.now - built).days
        return f"vulnerability database is {age} days old" if age > days else ""

    return _leaf("db_older_than", f"vulnerability database older than {days} days", detail)


PARSERS: dict[str, Callable[[Node], Leaf]] = {
    "base_image_in": _base_image_in,
    "base_image_not_in": _base_image_not_in,
    "base_image_known": _base_image_known,
    "user_root": _user_root,
    "exposed_ports": _exposed_ports,
    "missing_labels": _missing_labels,
    "missing_packages": _missing_packages,
    "size_over": _size_over,
    "layers_over": _layers_over,
    "db_older_than": _db_older_than,
}
