"""Language package catalogers for text formats: Python, JavaScript, Ruby, PHP, .NET, JVM."""

from sievert.catalog.lang.dotnet import DotnetDepsCataloger, NugetLockCataloger
from sievert.catalog.lang.javascript import NpmInstalledCataloger, NpmLockCataloger
from sievert.catalog.lang.jvm import GradleLockCataloger, MavenPomCataloger
from sievert.catalog.lang.php import ComposerInstalledCataloger, ComposerLockCataloger
from sievert.catalog.lang.python import (
    PylockCataloger,
    PythonInstalledCataloger,
    PythonLockCataloger,
)
from sievert.catalog.lang.ruby import GemInstalledCataloger, GemLockCataloger

__all__ = [
    "ComposerInstalledCataloger",
    "ComposerLockCataloger",
    "DotnetDepsCataloger",
    "GemInstalledCataloger",
    "GemLockCataloger",
    "GradleLockCataloger",
    "MavenPomCataloger",
    "NpmInstalledCataloger",
    "NpmLockCataloger",
    "NugetLockCataloger",
    "PylockCataloger",
    "PythonInstalledCataloger",
    "PythonLockCataloger",
]
