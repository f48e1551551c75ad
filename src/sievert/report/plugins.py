"""The report formats Sievert knows, by name: one explicit tuple per kind of result.

A writer's module is imported only when its format is asked for, so a command writing JSON
never loads the table renderer.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, NamedTuple, cast

from sievert.errors import UsageError

if TYPE_CHECKING:  # the writer modules (and their libraries) load only when a format is used
    from sievert.report.base import ReportWriter, ScanWriter
    from sievert.report.config.common import ConfigWriter
    from sievert.report.host.common import HostWriter
    from sievert.report.runtime.common import RuntimeWriter

ALWAYS = "always"
"""The format always carries what the policy suppressed (`--show-suppressed` changes nothing)."""
ON_REQUEST = "on-request"
"""The format lists what the policy suppressed only with `--show-suppressed`."""
NO_PLACE = "no-place"
"""The format has no place for suppressed findings: `--show-suppressed` is refused."""


class WriterEntry(NamedTuple):
    """A format name, where its writer class lives and how it shows suppressed findings.

    The one record that is not a `msgspec.Struct`: every `--help` lists the format names, and
    importing msgspec would cost it some 7 ms (a NamedTuple class costs about 0.1 ms)."""

    name: str
    module: str
    cls: str
    suppressed: str = NO_PLACE

    def load(self) -> object:
        """An instance of the writer (its module is imported now)."""
        return getattr(importlib.import_module(f"sievert.report.{self.module}"), self.cls)()


WRITERS: tuple[WriterEntry, ...] = (
    WriterEntry("table", "sbom.table", "TableWriter"),
    WriterEntry("json", "sbom.native", "JsonWriter"),
    WriterEntry("cyclonedx-json", "sbom.cyclonedx", "CycloneDxJsonWriter"),
    WriterEntry("spdx-json", "sbom.spdx", "SpdxJsonWriter"),
)
SCAN_WRITERS: tuple[WriterEntry, ...] = (
    WriterEntry("table", "scan.table", "ScanTableWriter", ON_REQUEST),
    WriterEntry("json", "scan.native", "ScanJsonWriter", ALWAYS),
    WriterEntry("cyclonedx-json", "scan.cyclonedx", "ScanCycloneDxJsonWriter"),
    WriterEntry("sarif", "scan.sarif", "SarifWriter"),
    WriterEntry("junit", "scan.junit", "JunitWriter", ON_REQUEST),
    WriterEntry("gitlab", "scan.gitlab", "GitlabWriter"),
    WriterEntry("cyclonedx-vex", "scan.vex", "CycloneDxVexWriter"),
    WriterEntry("markdown", "scan.markdown", "MarkdownWriter", ON_REQUEST),
    WriterEntry("template", "scan.template", "TemplateWriter", ALWAYS),
    WriterEntry("html", "scan.html", "HtmlWriter", ALWAYS),
)
CONFIG_WRITERS: tuple[WriterEntry, ...] = (
    WriterEntry("table", "config.table", "ConfigTableWriter", ON_REQUEST),
    WriterEntry("json", "config.native", "ConfigJsonWriter", ON_REQUEST),
    WriterEntry("sarif", "config.sarif", "ConfigSarifWriter", ON_REQUEST),
)
RUNTIME_WRITERS: tuple[WriterEntry, ...] = (
    WriterEntry("table", "runtime.table", "RuntimeTableWriter"),
    WriterEntry("json", "runtime.native", "RuntimeJsonWriter"),
    WriterEntry("sarif", "runtime.sarif", "RuntimeSarifWriter"),
)
HOST_WRITERS: tuple[WriterEntry, ...] = (
    WriterEntry("table", "host.table", "HostTableWriter"),
    WriterEntry("json", "host.native", "HostJsonWriter"),
)


def writer_names() -> tuple[str, ...]:
    """The valid inventory format names, in registry order."""
    return tuple(entry.name for entry in WRITERS)


def scan_writer_names() -> tuple[str, ...]:
    """The valid scan report format names, in registry order."""
    return tuple(entry.name for entry in SCAN_WRITERS)


def config_writer_names() -> tuple[str, ...]:
    """The valid `sievert config` format names, in registry order."""
    return tuple(entry.name for entry in CONFIG_WRITERS)


def writer_for(name: str) -> ReportWriter:
    """The inventory writer registered under `name`; UsageError listing the valid names."""
    return cast("ReportWriter", _entry(WRITERS, name, "report format").load())


def scan_writer_for(name: str) -> ScanWriter:
    """The scan writer registered under `name`; UsageError listing the valid names."""
    return cast("ScanWriter", _entry(SCAN_WRITERS, name, "scan report format").load())


def config_writer_for(name: str) -> ConfigWriter:
    """The config report writer registered under `name`; UsageError listing the valid names."""
    return cast("ConfigWriter", _entry(CONFIG_WRITERS, name, "config report format").load())


def runtime_writer_names() -> tuple[str, ...]:
    """The valid `sievert runtime audit` format names, in registry order."""
    return tuple(entry.name for entry in RUNTIME_WRITERS)


def runtime_writer_for(name: str) -> RuntimeWriter:
    """The runtime audit writer registered under `name`; UsageError listing the valid names."""
    return cast("RuntimeWriter", _entry(RUNTIME_WRITERS, name, "runtime report format").load())


def host_writer_names() -> tuple[str, ...]:
    """The valid `sievert host scan` format names, in registry order."""
    return tuple(entry.name for entry in HOST_WRITERS)


def host_writer_for(name: str) -> HostWriter:
    """The host scan writer registered under `name`; UsageError listing the valid names."""
    return cast("HostWriter", _entry(HOST_WRITERS, name, "host report format").load())


def scan_entry(name: str) -> WriterEntry:
    """The scan format registered under `name`; UsageError listing the valid names."""
    return _entry(SCAN_WRITERS, name, "scan report format")


def _entry(entries: tuple[WriterEntry, ...], name: str, what: str) -> WriterEntry:
    for entry in entries:
        if entry.name == name:
            return entry
    valid = ", ".join(e.name for e in entries)
    raise UsageError(f"unknown {what} {name!r}; valid formats: {valid}")
