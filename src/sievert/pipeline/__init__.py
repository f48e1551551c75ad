"""The one orchestrator: the only package that wires the stages together.

    target -> source (layers) -> catalog (inventory) -> match (findings, against vulndb)
           -> checks (image, secrets, Dockerfile) -> gate (filters, policy, VEX) -> report

The CLI, the Python API (`sievert.api`) and the service call these, and nothing else wires
stages. Nothing here keeps global state: every call takes its options, and the vulnerability
database is either passed in open (a long-running service keeps one) or opened by path.

- `take_inventory(target, InventoryOptions)` -> `Inventory`
- `match_inventory(inventory, db)` -> `ScanResult` (an open `VulnDB`)
- `scan(target, ScanOptions, db=None)` -> `ScanResult`: walk, match, checks, advice, gate
- `scan_inventory(inventory, ScanOptions, db=None)` -> `ScanResult` (e.g. an SBOM's packages)
- `load_gate(GateOptions)` -> `Gate` (arguments checked, policy and VEX read: do it first)
- `apply_gate(result, gate)` -> `ScanResult`; `decide(result, gate)` -> `Decision` (exit 1?)
- `policy_verdict(result, gate)` -> `PolicyVerdict` (a saved result re-evaluated)
- `check_dockerfiles(path, ConfigOptions, gate)` -> `ConfigReport`
- `base_advice(result, base_ref, db_path, AdviceOptions)` -> `BaseAdvice`
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sievert.lazy import lazy_names

if TYPE_CHECKING:  # the names load from their modules on first use (see __getattr__)
    from sievert.pipeline.advice import AdviceOptions, advise, base_advice, registry_reference
    from sievert.pipeline.config import ConfigOptions, check_dockerfiles, decide_config
    from sievert.pipeline.dockerfile import read_dockerfile
    from sievert.pipeline.gate import (
        Decision,
        Gate,
        GateOptions,
        apply_gate,
        decide,
        load_gate,
        parse_severities,
        parse_severity,
        policy_verdict,
    )

# Eager: the module `sievert.pipeline.scan` would otherwise shadow the function `scan` here.
from sievert.model.scanners import SCANNERS
from sievert.pipeline.inventory import InventoryOptions, take_inventory
from sievert.pipeline.match import match_inventory
from sievert.pipeline.scan import ScanOptions, scan, scan_inventory

_HOMES = {
    "advice": ("AdviceOptions", "advise", "base_advice", "registry_reference"),
    "config": ("ConfigOptions", "check_dockerfiles", "decide_config"),
    "dockerfile": ("read_dockerfile",),
    "gate": (
        "Decision",
        "Gate",
        "GateOptions",
        "apply_gate",
        "decide",
        "load_gate",
        "parse_severities",
        "parse_severity",
        "policy_verdict",
    ),
}
__getattr__ = lazy_names(__name__, _HOMES, globals())


__all__ = [
    "SCANNERS",
    "AdviceOptions",
    "ConfigOptions",
    "Decision",
    "Gate",
    "GateOptions",
    "InventoryOptions",
    "ScanOptions",
    "advise",
    "apply_gate",
    "base_advice",
    "check_dockerfiles",
    "decide",
    "decide_config",
    "load_gate",
    "match_inventory",
    "parse_severities",
    "parse_severity",
    "policy_verdict",
    "read_dockerfile",
    "registry_reference",
    "scan",
    "scan_inventory",
    "take_inventory",
]
