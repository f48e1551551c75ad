"""Reads a policy file into a PolicyDocument; every error names the file, line and key path."""

from __future__ import annotations

from pathlib import Path

from sievert.errors import ParseError
from sievert.limits import POLICY_DEPTH, POLICY_SIZE, read_capped
from sievert.model.policy import ACTIONS
from sievert.policy.document import (
    AllOf,
    AnyOf,
    Leaf,
    Mapping,
    NotOf,
    Policy,
    PolicyDocument,
    PolicyException,
    Predicate,
    Rule,
)
from sievert.policy.patterns import ImagePattern, parse_image_pattern
from sievert.policy.plugins import PREDICATES
from sievert.policy.yamlnode import Node, check_keys, parse_yaml

TOP_KEYS = ("version", "policies", "mappings", "default", "exceptions")
POLICY_KEYS = ("id", "description", "rules", "exceptions")
RULE_KEYS = ("id", "action", "description", "for", "when")
MAPPING_KEYS = ("name", "image", "registry", "repository", "tag", "digest", "policy")
EXCEPTION_KEYS = (
    "id",
    "vulnerability",
    "package",
    "rule",
    "secret_path",
    "image",
    "reason",
    "owner",
    "ticket",
    "expires",
)
SELECTORS = ("vulnerability", "package", "rule", "secret_path", "image")
COMBINATORS = ("all", "any", "not")
FOR_WORDS = {
    "vulnerabilities": "vulnerability",
    "packages": "package",
    "config": "config",
    "secrets": "secret",
    "runtime": "runtime",
    "image": "image",
}


def load_policy(path: str | Path) -> PolicyDocument:
    """Read and check a policy file; ParseError naming the file, line and key on any fault."""
    name = str(path)
    try:
        text = read_capped(path, POLICY_SIZE, name).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParseError(f"{name}: cannot read policy: {exc}") from None
    return parse_policy(text, Path(path).name)


def parse_policy(text: str, file: str = "policy.yaml") -> PolicyDocument:
    """The policy document in `text` (`file` names it in errors)."""
    root = parse_yaml(text, file)
    check_keys(root, TOP_KEYS, ("policies",))
    fields = root.mapping()
    if "version" in fields and fields["version"].value not in (1, "1"):
        raise fields["version"].error(f"unsupported version {fields['version'].value!r} (use 1)")
    policies = _policies(fields["policies"])
    ids = {p.id for p in policies}
    mappings = (
        tuple(_mapping(n, ids) for n in fields["mappings"].sequence())
        if ("mappings" in fields)
        else ()
    )
    default = _default(fields, ids, policies, bool(mappings))
    exceptions = _exceptions(fields["exceptions"]) if "exceptions" in fields else ()
    return PolicyDocument(file, policies, mappings, default, exceptions)


def _default(
    fields: dict[str, Node], ids: set[str], policies: tuple[Policy, ...], mapped: bool
) -> str:
    if "default" in fields:
        node = fields["default"]
        return _policy_ref(node, ids)
    return "" if mapped else policies[0].id


def _policy_ref(node: Node, ids: set[str]) -> str:
    name = node.text()
    if name not in ids:
        raise node.error(f"unknown policy {name!r} (defined: {', '.join(sorted(ids))})")
    return name


def _policies(node: Node) -> tuple[Policy, ...]:
    items = node.sequence()
    if not items:
        raise node.error("at least one policy is needed")
    policies: dict[str, Policy] = {}
    for item in items:
        policy = _policy(item)
        if policy.id in policies:
            raise item.mapping()["id"].error(f"duplicate policy id {policy.id!r}")
        policies[policy.id] = policy
    return tuple(policies.values())


def _policy(node: Node) -> Policy:
    check_keys(node, POLICY_KEYS, ("id", "rules"))
    fields = node.mapping()
    rules: dict[str, Rule] = {}
    for item in fields["rules"].sequence():
        rule = _rule(item)
        if rule.id in rules:
            raise item.mapping()["id"].error(f"duplicate rule id {rule.id!r}")
        rules[rule.id] = rule
    exceptions = _exceptions(fields["exceptions"]) if "exceptions" in fields else ()
    description = fields["description"].text() if "description" in fields else ""
    return Policy(fields["id"].text(), description, tuple(rules.values()), exceptions)


def _rule(node: Node) -> Rule:
    check_keys(node, RULE_KEYS, ("id", "action", "when"))
    fields = node.mapping()
    action = fields["action"].choice(ACTIONS, "action")
    when = predicate(fields["when"])
    scope = _scope(fields, when)
    description = fields["description"].text() if "description" in fields else ""
    return Rule(fields["id"].text(), action, description, scope, when, node.line)


def predicate(node: Node, depth: int = 0) -> Predicate:
    """A `when` tree: a mapping of predicates (all must hold) and all/any/not combinators.

    Combinators nest at most `sievert.limits.POLICY_DEPTH` deep (LimitError past it).
    """
    if depth > POLICY_DEPTH.value():
        raise POLICY_DEPTH.error(f"{node.file}:{node.line}")
    fields = node.mapping()
    if not fields:
        raise node.error("an empty condition matches nothing; give at least one predicate")
    parts = [_part(key, child, depth) for key, child in fields.items()]
    return parts[0] if len(parts) == 1 else AllOf(tuple(parts))


def _part(key: str, node: Node, depth: int) -> Predicate:
    if key == "not":
        return NotOf(predicate(node, depth + 1))
    if key in ("all", "any"):
        items = node.sequence()
        if not items:
            raise node.error(f"`{key}` needs at least one condition")
        children = tuple(predicate(item, depth + 1) for item in items)
        return AllOf(children) if key == "all" else AnyOf(children)
    parser = PREDICATES.get(key)
    if parser is None:
        known = ", ".join((*COMBINATORS, *sorted(PREDICATES)))
        raise node.error(f"unknown predicate (expected one of {known})")
    return parser(node)


def leaves(tree: Predicate) -> list[Leaf]:
    """Every leaf of a predicate tree."""
    if isinstance(tree, Leaf):
        return [tree]
    if isinstance(tree, NotOf):
        return leaves(tree.child)
    return [leaf for child in tree.children for leaf in leaves(child)]


def _scope(fields: dict[str, Node], when: Predicate) -> str:
    """What the rule iterates over: `for:` when given, else inferred from its predicates."""
    found = [leaf for leaf in leaves(when) if leaf.scopes != {"image"}]
    common = set(FOR_WORDS.values()) - {"image"}
    for leaf in found:
        common &= leaf.scopes
    if "for" in fields:
        scope = FOR_WORDS.get(fields["for"].choice(tuple(FOR_WORDS), "subject"), "")
        if found and scope not in common:
            keys = ", ".join(sorted({leaf.key for leaf in found}))
            raise fields["for"].error(f"predicates {keys} do not apply to {scope} findings")
        return scope
    if not found:
        return "image"
    if not common:
        keys = ", ".join(sorted({leaf.key for leaf in found}))
        raise fields["when"].error(f"predicates {keys} apply to different kinds of findings")
    return "package" if "package" in common else common.pop()


def _mapping(node: Node, ids: set[str]) -> Mapping:
    check_keys(node, MAPPING_KEYS, ("policy",))
    fields = node.mapping()
    policy = _policy_ref(fields["policy"], ids)
    if "image" in fields:
        if any(k in fields for k in ("registry", "repository", "tag", "digest")):
            raise fields["image"].error("give either image or registry/repository/tag/digest")
        pattern = _image_pattern(fields["image"])
    else:
        parts = {
            k: fields[k].text() for k in ("registry", "repository", "tag", "digest") if k in fields
        }
        text = " ".join(f"{k}={v}" for k, v in parts.items()) or "*"
        pattern = ImagePattern(text, **{"registry": "*", "repository": "*", "tag": "*", **parts})
    name = fields["name"].text() if "name" in fields else pattern.text
    return Mapping(name, pattern, policy)


def _image_pattern(node: Node) -> ImagePattern:
    try:
        return parse_image_pattern(node.text())
    except ValueError as exc:
        raise node.error(str(exc)) from None


def _exceptions(node: Node) -> tuple[PolicyException, ...]:
    return tuple(_exception(item) for item in node.sequence())


def _exception(node: Node) -> PolicyException:
    check_keys(node, EXCEPTION_KEYS, ("reason", "owner"))
    fields = node.mapping()
    if not any(key in fields for key in SELECTORS):
        raise node.error(f"an exception needs one of {', '.join(SELECTORS)}")
    text = {
        k: fields[k].text()
        for k in ("vulnerability", "package", "rule", "secret_path", "ticket")
        if k in fields
    }
    return PolicyException(
        label=fields["id"].text() if "id" in fields else node.path,
        reason=fields["reason"].text(),
        owner=fields["owner"].text(),
        image=_image_pattern(fields["image"]) if "image" in fields else None,
        expires=fields["expires"].date() if "expires" in fields else None,
        **text,
    )
