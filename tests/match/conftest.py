"""Fixtures the matching tests share with the database tests (a small directory mirror)."""

from tests.vulndb.conftest import mirror_dir

__all__ = ["mirror_dir"]
