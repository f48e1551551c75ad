"""The documented Python API: the same results the CLI prints, as typed objects."""

from __future__ import annotations

from pathlib import Path

from sievert.model import Inventory, Platform
from sievert.model.finding import ScanResult
from sievert.pipeline import InventoryOptions, ScanOptions, take_inventory
from sievert.pipeline import scan as _scan
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


def scan(
    target: str,
    *,
    db: str | Path | None = None,
    platform: str | Platform = "linux/amd64",
    cache_dir: str | Path | None = None,
    use_cache: bool = True,
    insecure_registry: bool = False,
) -> ScanResult:
    """Inventory plus vulnerability findings, exactly what `sievert scan -f json` reports.

    >>> result = scan("docker-archive:app.tar", db="vuln.db")      # doctest: +SKIP
    >>> [(f.id, f.package.name, f.fixed_versions) for f in result.findings][:1]  # doctest: +SKIP
    [('CVE-2024-2961', 'libc6', ('2.36-9+deb12u6',))]
    """
    plat = platform if isinstance(platform, Platform) else Platform.parse(platform)
    options = InventoryOptions(
        source=SourceOptions(platform=plat, insecure_registry=insecure_registry),
        cache_dir=Path(cache_dir) if cache_dir else None,
        use_cache=use_cache,
    )
    return _scan(target, ScanOptions(inventory=options, db_path=Path(db) if db else None))
