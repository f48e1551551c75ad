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
from sievert.catalog.ownership import PKG_TYPE_GROUPS
from sievert.catalog.rpm import RpmCataloger

OS_CATALOGERS: tuple[Cataloger, ...] = (DpkgCataloger(), ApkCataloger(), RpmCataloger())
"""The OS package database catalogers (`--pkg-types os`); they decide file ownership."""

LANGUAGE_CATALOGERS: tuple[Cataloger, ...] = (
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
)
"""Language package catalogers, installed-data ones first, then lockfiles and manifests."""

BINARY_CATALOGERS: tuple[Cataloger, ...] = (
    JavaArchiveCataloger(),
    GoBinaryCataloger(),
    RustAuditCataloger(),
    BinaryVersionCataloger(),
    GoModCataloger(),
    CargoLockCataloger(),
)
"""Archive and binary catalogers (and the Go and Cargo files next to such builds)."""

CATALOGERS: tuple[Cataloger, ...] = (*OS_CATALOGERS, *LANGUAGE_CATALOGERS, *BINARY_CATALOGERS)
"""Every cataloger, in the order a scan runs them."""

LIBRARY_CATALOGERS: tuple[Cataloger, ...] = (*LANGUAGE_CATALOGERS, *BINARY_CATALOGERS)
"""Language, archive and binary catalogers (`--pkg-types library`)."""
PKG_TYPES = dict(zip(PKG_TYPE_GROUPS, (OS_CATALOGERS, LIBRARY_CATALOGERS), strict=True))
"""`--pkg-types` groups."""


def all_globs() -> tuple[str, ...]:
    """The union of every cataloger's globs, sorted: what the layer reader must capture."""
    return tuple(sorted({glob for cataloger in CATALOGERS for glob in cataloger.globs}))
