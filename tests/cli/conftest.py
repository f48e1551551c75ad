"""Fixtures the command tests share with the stage tests (feed server, feed mirror)."""

from tests.vulndb.conftest import feed_server, mirror_dir

__all__ = ["feed_server", "mirror_dir"]
