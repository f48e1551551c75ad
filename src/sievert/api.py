"""The documented Python API: the same results the CLI prints, as typed objects."""

from __future__ import annotations

from pathlib import Path

from sievert.model import Inventory, Platform
from sievert.pipeline import InventoryOptions, take_inventory
from sievert.source.base import SourceOptions


def inventory(
    target: str,
    *,
    platform: str | Platform = "linux/amd64",
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    insecure_registry: bool = False,
    username: str = "",
    password: str = "",
) -> Inventory:
    """List the packages in an image (any target `sievert sbom` accepts), layer by layer.

    >>> inv = inventory("oci-dir:./layout:bookworm")          # doctest: +SKIP
    >>> [(p.name, p.version, p.introduced_by) for p in inv.packages][:1]  # doctest: +SKIP
    [('adduser', '3.134', 0)]
    """
    plat = platform if isinstance(platform, Platform) else Platform.parse(platform)
    options = InventoryOptions(
        source=SourceOptions(
            platform=plat,
            insecure_registry=insecure_registry,
            username=username,
            password=password,
        ),
        cache_dir=Path(cache_dir) if cache_dir else None,
        use_cache=use_cache,
    )
    return take_inventory(target, options)
