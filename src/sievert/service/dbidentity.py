"""Which vulnerability DB the service matches with: its build time, and an identity that tells
one DB file from another (what each image was last matched with is stored against it)."""

from __future__ import annotations

from sievert import vulndb
from sievert.errors import SievertError
from sievert.service.settings import Settings


def db_built(settings: Settings) -> str:
    """The build time of the vulnerability DB, or "" when there is none."""
    try:
        with vulndb.open(settings.vuln_db) as db:
            return db.status().built_at
    except SievertError:
        return ""


def db_identity(settings: Settings) -> str:
    """Build time plus file identity of the vulnerability DB ("" when there is none).

    Two builds within one second share a build time; the file's inode and mtime tell a swapped
    DB apart. The file is described before it is opened: a swap in between pairs the new build
    time with the old file, a name no DB has, so whatever is marked with it is matched again.
    Taken before a match, it never claims a newer DB than the one the match read.
    """
    path = settings.vuln_db or vulndb.default_path()
    try:
        stat = path.stat()
    except OSError:
        return ""
    built = db_built(settings)
    return f"{built}|{stat.st_ino}|{stat.st_mtime_ns}" if built else ""
