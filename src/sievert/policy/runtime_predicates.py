"""Predicates about a running container (`sievert runtime audit --policy`).

`runtime_rule` and `runtime_severity` look at each runtime finding (SV-RT-*); `privileged`,
`host_namespace`, `capability_added` and `host_path_mounted` hold for the container as a whole.
Outside a runtime audit (an image scan) there is no container: none of them holds.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sievert.model.checks import CheckFinding
from sievert.model.runtime import ContainerConfig
from sievert.model.severity import Severity
from sievert.policy.context import Context
from sievert.policy.document import Leaf
from sievert.policy.patterns import glob
from sievert.policy.yamlnode import Node

RUNTIME = frozenset({"runtime"})
CONTAINER = frozenset({"image"})
NAMESPACES = {"network": "network_mode", "pid": "pid_mode", "ipc": "ipc_mode", "uts": "uts_mode"}


def _is_runtime(ctx: Context, subject: Any) -> bool:
    return isinstance(subject, CheckFinding) and any(subject is f for f in ctx.runtime)


def _runtime_rule(node: Node) -> Leaf:
    patterns = node.texts()

    def test(ctx: Context, subject: Any) -> bool:
        return _is_runtime(ctx, subject) and any(glob(p, subject.rule.id) for p in patterns)

    return Leaf("runtime_rule", f"runtime rule in {', '.join(patterns)}", RUNTIME, test)


def _runtime_severity(node: Node) -> Leaf:
    level = Severity(node.choice(tuple(Severity), "severity"))

    def test(ctx: Context, subject: Any) -> bool:
        return _is_runtime(ctx, subject) and bool(subject.severity >= level)

    return Leaf("runtime_severity", f"runtime severity >= {level}", RUNTIME, test)


def _container_leaf(key: str, text: str, detail: Callable[[ContainerConfig], str]) -> Leaf:
    """A container-wide leaf: it holds when `detail` finds something to say."""

    def say(ctx: Context) -> str:
        return detail(ctx.container) if ctx.container is not None else ""

    return Leaf(key, text, CONTAINER, lambda ctx, _subject: bool(say(ctx)), say)


def _privileged(node: Node) -> Leaf:
    wanted = node.boolean()

    def detail(c: ContainerConfig) -> str:
        if c.privileged != wanted:
            return ""
        return f"container {c.name} {'runs' if wanted else 'does not run'} privileged"

    return _container_leaf("privileged", f"privileged: {wanted}", detail)


def _host_namespace(node: Node) -> Leaf:
    names = tuple(item.choice(tuple(NAMESPACES), "namespace") for item in node.items())

    def detail(c: ContainerConfig) -> str:
        shared = [n for n in names if getattr(c, NAMESPACES[n]) == "host"]
        return f"container {c.name} shares the host's {', '.join(shared)}" if shared else ""

    return _container_leaf("host_namespace", f"host namespace in {', '.join(names)}", detail)


def _capability_added(node: Node) -> Leaf:
    patterns = tuple(p.upper().removeprefix("CAP_") for p in node.texts())

    def detail(c: ContainerConfig) -> str:
        hits = [cap for cap in c.cap_add if any(glob(p, cap) for p in patterns)]
        return f"container {c.name} adds {', '.join(hits)}" if hits else ""

    return _container_leaf("capability_added", f"adds {', '.join(patterns)}", detail)


def _host_path_mounted(node: Node) -> Leaf:
    patterns = node.texts()

    def detail(c: ContainerConfig) -> str:
        hits = [
            m.source
            for m in c.mounts
            if m.type == "bind" and any(glob(p, m.source) for p in patterns)
        ]
        return f"container {c.name} mounts {', '.join(hits)}" if hits else ""

    return _container_leaf("host_path_mounted", f"mounts {', '.join(patterns)}", detail)


PARSERS: dict[str, Callable[[Node], Leaf]] = {
    "runtime_rule": _runtime_rule,
    "runtime_severity": _runtime_severity,
    "privileged": _privileged,
    "host_namespace": _host_namespace,
    "capability_added": _capability_added,
    "host_path_mounted": _host_path_mounted,
}
