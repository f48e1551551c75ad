"""The catalogers a scan runs, in order: one explicit list, no discovery magic."""

from __future__ import annotations

from sievert.catalog.apk import ApkCataloger
from sievert.catalog.base import Cataloger
from sievert.catalog.binary import (
    BinaryVersionCataloger,
    CargoLockCataloger,
    GoBinaryCataloger,
    GoModCataloger,
    JavaArchiveCataloger,
    RustAuditCataloger,
)
from sievert.catalog.dpkg import DpkgCataloger
from sievert.catalog.lang import (
    ComposerInstalledCataloger,
    ComposerLockCataloger,
    DotnetDepsCataloger,
    GemInstalledCataloger,
    GemLockCataloger,
    GradleLockCataloger,
    MavenPomCataloger,
    NpmInstalledCataloger,
    NpmLockCataloger,
    NugetLockCataloger,
    PylockCataloger,
    PythonInstalledCataloger,
    PythonLockCataloger,
)
from sievert.catalog.rpm import RpmCataloger

CATALOGERS: tuple[Cataloger, ...] = (
    DpkgCataloger(),
    ApkCataloger(),
    RpmCataloger(),
    PythonInstalledCataloger(),
    NpmInstalledCataloger(),
    GemInstalledCataloger(),
    ComposerInstalledCataloger(),
    DotnetDepsCataloger(),
    PythonLockCataloger(),
    NpmLockCataloger(),
    GemLockCataloger(),
    ComposerLockCataloger(),
    NugetLockCataloger(),
    PylockCataloger(),
    MavenPomCataloger(),
    GradleLockCataloger(),
    JavaArchiveCataloger(),
    GoBinaryCataloger(),
    RustAuditCataloger(),
    BinaryVersionCataloger(),
    GoModCataloger(),
    CargoLockCataloger(),
)
"""Every cataloger: OS package databases first, then language and binary catalogers."""

OS_CATALOGERS: tuple[Cataloger, ...] = CATALOGERS[:3]
"""The OS package database catalogers (`--pkg-types os`)."""
LIBRARY_CATALOGERS: tuple[Cataloger, ...] = CATALOGERS[3:]
"""Language, archive and binary catalogers (`--pkg-types library`)."""
PKG_TYPES = {"os": OS_CATALOGERS, "library": LIBRARY_CATALOGERS}
"""`--pkg-types` groups."""


def all_globs() -> tuple[str, ...]:
    """The union of every cataloger's globs, sorted: what the layer reader must capture."""
    return tuple(sorted({glob for cataloger in CATALOGERS for glob in cataloger.globs}))
