"""The one orchestrator: the only package that wires the stages together.

    target -> source (layers) -> catalog (inventory) -> match (findings, against vulndb)
           -> checks (image, secrets, Dockerfile) -> gate (filters, policy, VEX) -> report

The CLI, the Python API (`sievert.api`) and the service call these, and nothing else wires
stages. Nothing here keeps global state: every call takes its options, and the vulnerability
database is either passed in open (a long-running service keeps one) or opened by path.

- `take_inventory(target, InventoryOptions)` -> `Inventory`
- `match_inventory(inventory, db)` -> `ScanResult` (an open `VulnDB`)
- `scan_inventory(inventory, db_path)` -> `ScanResult` (an inventory read elsewhere, e.g. an SBOM)
- `scan(target, ScanOptions, db=None)` -> `ScanResult`
- `gate(result, PolicyOptions)` -> `ScanResult` with its verdict
- `base_advice(result, base_ref, db_path, AdviceOptions)` -> `BaseAdvice`
"""

from sievert.pipeline.advice import AdviceOptions, base_advice, registry_reference
from sievert.pipeline.gate import PolicyOptions, gate
from sievert.pipeline.inventory import InventoryOptions, take_inventory
from sievert.pipeline.scan import SCANNERS, ScanOptions, match_inventory, scan, scan_inventory

__all__ = [
    "SCANNERS",
    "AdviceOptions",
    "InventoryOptions",
    "PolicyOptions",
    "ScanOptions",
    "base_advice",
    "gate",
    "match_inventory",
    "registry_reference",
    "scan",
    "scan_inventory",
    "take_inventory",
]
