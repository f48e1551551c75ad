"""Language packages found inside binaries and archives: Java, Go, Rust, unpackaged programs."""

from sievert.catalog.binary.golang import GoBinaryCataloger, GoModCataloger
from sievert.catalog.binary.java import JavaArchiveCataloger
from sievert.catalog.binary.rust import CargoLockCataloger, RustAuditCataloger
from sievert.catalog.binary.versions import BinaryVersionCataloger

__all__ = [
    "BinaryVersionCataloger",
    "CargoLockCataloger",
    "GoBinaryCataloger",
    "GoModCataloger",
    "JavaArchiveCataloger",
    "RustAuditCataloger",
]
