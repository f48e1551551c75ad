"""The format registry."""

from __future__ import annotations

import io

import pytest

from sievert.errors import UsageError
from sievert.report.base import ReportWriter, Stamp
from sievert.report.plugins import WRITERS, writer_for, writer_names
from tests.report.inventories import small_inventory


def test_names_are_unique_and_known() -> None:
    assert writer_names() == ("table", "json", "cyclonedx-json", "spdx-json")


@pytest.mark.parametrize("name", ["table", "json", "cyclonedx-json", "spdx-json"])
def test_writer_for_each_name_writes(name: str) -> None:
    writer = writer_for(name)
    assert isinstance(writer, ReportWriter)
    assert writer.name == name
    assert writer.media_type
    out = io.StringIO()
    writer.write(small_inventory(), out)
    assert "libc6" in out.getvalue()


def test_unknown_name_lists_valid_names() -> None:
    with pytest.raises(UsageError) as info:
        writer_for("xml")
    message = str(info.value)
    assert "'xml'" in message
    assert all(writer.name in message for writer in WRITERS)
    assert info.value.exit_code == 2


def test_fresh_stamps_differ_and_are_utc() -> None:
    first, second = Stamp.fresh(), Stamp.fresh()
    assert first.serial != second.serial
    assert first.iso_timestamp.endswith("Z")
    assert first.tool_version


def test_tool_version_is_the_installed_distributions() -> None:
    """Reports name the version `sievert --version` prints, which is the distribution's."""
    from importlib.metadata import version

    from sievert import __version__
    from sievert.report.base import tool_version

    assert tool_version() == __version__ == version("sievert")
