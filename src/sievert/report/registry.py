"""The report formats Sievert knows, by name."""

from __future__ import annotations

from sievert.errors import UsageError
from sievert.report.base import ReportWriter, ScanWriter
from sievert.report.cyclonedx import CycloneDxJsonWriter
from sievert.report.native_json import JsonWriter
from sievert.report.sarif import SarifWriter
from sievert.report.scan_cyclonedx import ScanCycloneDxJsonWriter
from sievert.report.scan_json import ScanJsonWriter
from sievert.report.scan_table import ScanTableWriter
from sievert.report.spdx import SpdxJsonWriter
from sievert.report.table import TableWriter

WRITERS: tuple[ReportWriter, ...] = (
    TableWriter(),
    JsonWriter(),
    CycloneDxJsonWriter(),
    SpdxJsonWriter(),
)


def writer_names() -> tuple[str, ...]:
    """The valid format names, in registry order."""
    return tuple(writer.name for writer in WRITERS)


def writer_for(name: str) -> ReportWriter:
    """The writer registered under `name`; UsageError listing the valid names otherwise."""
    for writer in WRITERS:
        if writer.name == name:
            return writer
    raise UsageError(f"unknown report format {name!r}; valid formats: {', '.join(writer_names())}")


SCAN_WRITERS: tuple[ScanWriter, ...] = (
    ScanTableWriter(),
    ScanJsonWriter(),
    ScanCycloneDxJsonWriter(),
    SarifWriter(),
)


def scan_writer_names() -> tuple[str, ...]:
    """The valid scan report format names, in registry order."""
    return tuple(writer.name for writer in SCAN_WRITERS)


def scan_writer_for(name: str) -> ScanWriter:
    """The scan writer registered under `name`; UsageError listing the valid names otherwise."""
    for writer in SCAN_WRITERS:
        if writer.name == name:
            return writer
    valid = ", ".join(scan_writer_names())
    raise UsageError(f"unknown scan report format {name!r}; valid formats: {valid}")
