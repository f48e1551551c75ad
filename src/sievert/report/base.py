"""The report writer contract and the document stamp (time, serial, tool) that SBOMs carry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol, TextIO, runtime_checkable

import msgspec

from sievert import __version__

if TYPE_CHECKING:
    from sievert.model import Inventory
    from sievert.model.finding import ScanResult

TOOL_NAME = "sievert"
FALLBACK_URL = "https://sievert.invalid/"
"""Where the tool's information lives when the distribution declares no project URL."""


def tool_version() -> str:
    """The running Sievert's version (`sievert --version`; the distribution's, which a test
    checks, without reading the installed metadata on every report)."""
    return __version__


def project_url() -> str:
    """The project's home page from the installed distribution's metadata, else FALLBACK_URL."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        meta = metadata(TOOL_NAME)
    except PackageNotFoundError:
        return FALLBACK_URL
    entries: list[str] = meta.get_all("Project-URL") or []
    home: str = meta["Home-page"] or ""
    for url in [*(entry.partition(",")[2].strip() for entry in entries), home]:
        if url.startswith("https://"):
            return url
    return FALLBACK_URL


class Stamp(msgspec.Struct, frozen=True):
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


@runtime_checkable
class ScanWriter(Protocol):
    """Writes a scan result (inventory and findings) in one output format."""

    @property
    def name(self) -> str:
        """The format name users pass to `--format`."""
        ...

    @property
    def media_type(self) -> str:
        """The IANA media type of the output."""
        ...

    def write(self, result: ScanResult, out: TextIO) -> None:
        """Write the report for `result` to `out`."""
        ...
