"""Language package catalogers for text formats: Python, JavaScript, Ruby, PHP and .NET."""

from sievert.catalog.base import Cataloger
from sievert.catalog.lang.dotnet import DotnetDepsCataloger, NugetLockCataloger
from sievert.catalog.lang.javascript import NpmInstalledCataloger, NpmLockCataloger
from sievert.catalog.lang.php import ComposerInstalledCataloger, ComposerLockCataloger
from sievert.catalog.lang.python import PythonInstalledCataloger, PythonLockCataloger
from sievert.catalog.lang.ruby import GemInstalledCataloger, GemLockCataloger

__all__ = [
    "ComposerInstalledCataloger",
    "ComposerLockCataloger",
    "DotnetDepsCataloger",
    "GemInstalledCataloger",
    "GemLockCataloger",
    "NpmInstalledCataloger",
    "NpmLockCataloger",
    "NugetLockCataloger",
    "PythonInstalledCataloger",
    "PythonLockCataloger",
    "language_catalogers",
]


def language_catalogers() -> tuple[Cataloger, ...]:
    """One instance of every language cataloger, installed-data ones first."""
    return (
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
    )
