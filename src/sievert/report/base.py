"""The report writer contract and the document stamp (time, serial, tool) that SBOMs carry."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Protocol, TextIO, runtime_checkable

from sievert.model import Inventory

TOOL_NAME = "sievert"


def tool_version() -> str:
    """The installed Sievert version ('unknown' when not installed as a distribution)."""
    try:
        return version(TOOL_NAME)
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class Stamp:
    """What makes one generated document unique: when, its serial uuid and the tool version."""

    timestamp: datetime
    serial: uuid.UUID
    tool_version: str

    @classmethod
    def fresh(cls) -> Stamp:
        """A stamp for now, with a random uuid and the installed tool version."""
        return cls(datetime.now(UTC).replace(microsecond=0), uuid.uuid4(), tool_version())

    @property
    def iso_timestamp(self) -> str:
        """The timestamp as RFC 3339 UTC with a `Z` suffix, to the second."""
        moment = self.timestamp.astimezone(UTC).replace(microsecond=0, tzinfo=None)
        return moment.isoformat() + "Z"


class StampFactory(Protocol):
    """Makes a new Stamp for each document; tests inject a fixed one."""

    def __call__(self) -> Stamp:
        """Return the stamp of the next document."""
        ...


@runtime_checkable
class ReportWriter(Protocol):
    """Writes an image inventory in one output format."""

    @property
    def name(self) -> str:
        """The format name users pass to `--format`."""
        ...

    @property
    def media_type(self) -> str:
        """The IANA media type of the output."""
        ...

    def write(self, inventory: Inventory, out: TextIO) -> None:
        """Write the report for `inventory` to `out`."""
        ...
