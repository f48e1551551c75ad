"""The report formats Sievert knows, by name."""

from __future__ import annotations

from sievert.errors import UsageError
from sievert.report.base import ReportWriter
from sievert.report.cyclonedx import CycloneDxJsonWriter
from sievert.report.native_json import JsonWriter
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
