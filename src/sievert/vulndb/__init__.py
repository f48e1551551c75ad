"""vulndb stage: the local vulnerability database, built from public feeds and read by the matcher.

`open()` gives a `VulnDB` (`.affected`, `.search`, `.get`, `.status`); `update()` builds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sievert.lazy import lazy_names
from sievert.vulndb.store import DbStatus, SourceStatus, VulnDB, default_path

# Eager: the module `sievert.vulndb.update` would otherwise shadow the function `update` here.
from sievert.vulndb.update import UpdateReport, update

if TYPE_CHECKING:  # export and import load when used (a scan needs neither)
    from sievert.vulndb.archive import export_db, import_db

__getattr__ = lazy_names(__name__, {"archive": ("export_db", "import_db")}, globals())


def open(path: Path | None = None) -> VulnDB:
    """Open the database at path (default: `data_dir()/vuln.db`); DatabaseError when missing."""
    return VulnDB(path or default_path())


__all__ = [
    "DbStatus",
    "SourceStatus",
    "UpdateReport",
    "VulnDB",
    "default_path",
    "export_db",
    "import_db",
    "open",
    "update",
]
