"""rpm header parsing and the three rpmdb formats, on databases real tools wrote."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from sievert.catalog.base import CatalogContext
from sievert.catalog.rpm import RpmCataloger, parse_rpmdb, split_source_rpm
from sievert.catalog.rpmdb_bdb import read_bdb_blobs
from sievert.catalog.rpmdb_ndb import read_ndb_blobs
from sievert.catalog.rpmheader import parse_rpm_header
from sievert.errors import PackageDbError
from sievert.model import Distro, Package
from tests.catalog.conftest import db_load_hash, rpm_bdb_records
from tests.catalog.helpers import INT32, STRING, Link, header_blob, ndb_file, simple_header, view_of

RHEL = Distro(id="rhel", version_id="9.2")


def by_name(packages: list[Package] | tuple[Package, ...]) -> dict[str, Package]:
    return {p.name: p for p in packages}


def check_real_packages(packages: list[Package] | tuple[Package, ...]) -> None:
    """What rpmbuild put into the two test packages."""
    found = by_name(packages)
    assert sorted(found) == ["hello", "world"]
    hello = found["hello"]
    assert (hello.version, hello.epoch, hello.release, hello.arch) == (
        "1.2-3.el9",
        1,
        "3.el9",
        "noarch",
    )
    assert (hello.source_name, hello.source_version) == ("hello", "1.2-3.el9")
    assert hello.licenses == ("MIT and BSD",)
    assert hello.files == ("/etc/hello/hello.conf", "/usr/bin/hello")
    assert hello.meta("vendor") == "Sievert Tests"
    assert hello.meta("modularity_label") == "perl:5.32:8090020230101:abc"
    assert hello.meta("installed_size") == "5"
    assert hello.purl == (
        "pkg:rpm/redhat/hello@1.2-3.el9?arch=noarch&distro=rhel-9.2&epoch=1"
        "&upstream=hello-1.2-3.el9.src.rpm"
    )
    world = found["world"]
    assert (world.version, world.epoch, world.licenses) == (
        "0.9-1.el9",
        None,
        ("GPL-2.0-or-later",),
    )
    assert "epoch=" not in world.purl


# formats -------------------------------------------------------------------------------------
def test_sqlite_written_by_rpm(rpm_sqlite_db: bytes) -> None:
    result = parse_rpmdb(rpm_sqlite_db, "/var/lib/rpm/rpmdb.sqlite", "sqlite", distro=RHEL)
    assert result.notices == []
    check_real_packages(result.packages)


@pytest.mark.parametrize("page_size", [512, 4096, 65536])
def test_bdb_written_by_db_load(rpm_blobs: list[bytes], tmp_path: Path, page_size: int) -> None:
    """Page sizes from 512 B (every header on an overflow chain) to 64 KiB."""
    data = db_load_hash(
        tmp_path / "Packages", rpm_bdb_records(rpm_blobs), {"db_pagesize": page_size}
    )
    result = parse_rpmdb(data, "/var/lib/rpm/Packages", "bdb", distro=RHEL)
    assert result.notices == []
    check_real_packages(result.packages)


def test_bdb_file_is_one_rpm_reads(rpm_blobs: list[bytes], tmp_path: Path) -> None:
    """The oracle: rpm's own read-only BerkeleyDB backend lists the same packages."""
    db_load_hash(tmp_path / "Packages", rpm_bdb_records(rpm_blobs), {"db_pagesize": 4096})
    query = [
        "rpm",
        "--dbpath",
        str(tmp_path),
        "--define",
        "_db_backend bdb_ro",
        "-qa",
        "--qf",
        "%{NAME}\n",
    ]
    listed = subprocess.run(query, capture_output=True, text=True, check=True).stdout.split()
    assert sorted(listed) == ["hello", "world"]


def test_bdb_with_empty_buckets(rpm_blobs: list[bytes], tmp_path: Path) -> None:
    """Many preallocated, empty bucket pages (dissect.database.bsd raises TypeError here)."""
    params = {"db_pagesize": 512, "h_nelem": 2000, "h_ffactor": 4}
    data = db_load_hash(tmp_path / "Packages", rpm_bdb_records(rpm_blobs), params)
    blobs, problems = read_bdb_blobs(data)
    assert problems == [] and sorted(blobs) == sorted(rpm_blobs)


def test_ndb_built_to_the_rpmpkg_layout(rpm_blobs: list[bytes]) -> None:
    """Debian's rpm has no ndb backend, so the file is laid out in the test as rpmpkg.c does."""
    blobs, problems = read_ndb_blobs(ndb_file(rpm_blobs))
    assert problems == [] and blobs == rpm_blobs
    result = parse_rpmdb(ndb_file(rpm_blobs, slot_pages=2), "/x/Packages.db", "ndb", distro=RHEL)
    check_real_packages(result.packages)


def test_ndb_damaged_blob_is_skipped_with_notice() -> None:
    data = bytearray(ndb_file([simple_header("a"), simple_header("b")]))
    data[4096 + 40] ^= 0xFF  # inside the first blob: checksum mismatch
    blobs, problems = read_ndb_blobs(bytes(data))
    assert [parse_rpm_header(b).name for b in blobs] == ["b"]
    assert problems == ["ndb: package 1 blob checksum mismatch"]


@pytest.mark.parametrize("kind", ["sqlite", "ndb", "bdb"])
def test_garbage_database_gives_one_notice(kind: str) -> None:
    garbage = bytes(range(256)) * 64
    result = parse_rpmdb(garbage, "/var/lib/rpm/x", kind)
    assert result.packages == []
    assert len(result.notices) == 1 and result.notices[0].message.startswith("rpmdb unreadable")


def test_sqlite_with_other_schema(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (x)")
    result = parse_rpmdb(path.read_bytes(), "/r", "sqlite")
    assert result.packages == [] and "no such table" in result.notices[0].message


def test_truncated_bdb_keeps_what_it_can(rpm_blobs: list[bytes], tmp_path: Path) -> None:
    data = db_load_hash(tmp_path / "Packages", rpm_bdb_records(rpm_blobs), {"db_pagesize": 512})
    result = parse_rpmdb(data[: len(data) // 2], "/var/lib/rpm/Packages", "bdb")
    assert len(result.packages) < 2
    assert result.notices  # the cut overflow chains are reported


def test_bdb_overflow_cycle_is_an_error_not_a_hang() -> None:
    page = 512
    meta = bytearray(page)
    struct.pack_into("<3I", meta, 12, 0x061561, 9, page)
    meta[25] = 8
    hash_page = bytearray(page)
    hash_page[25] = 13
    struct.pack_into("<H", hash_page, 20, 2)
    struct.pack_into("<2H", hash_page, 26, 500, 480)
    hash_page[500] = 1
    hash_page[501:505] = struct.pack("<I", 1)
    hash_page[480] = 3
    struct.pack_into("<2I", hash_page, 484, 2, 5000)
    overflow = bytearray(page)
    overflow[25] = 7
    struct.pack_into("<I", overflow, 16, 2)  # next page: itself
    struct.pack_into("<H", overflow, 22, 100)
    blobs, problems = read_bdb_blobs(bytes(meta + hash_page + overflow))
    assert blobs == [] and problems and "larger than the file" in problems[0]
    struct.pack_into("<2I", hash_page, 484, 2, 500)
    blobs, problems = read_bdb_blobs(bytes(meta + hash_page + overflow))
    assert blobs == [] and "broken overflow chain" in problems[0]


# headers -------------------------------------------------------------------------------------
def test_header_fields_and_skip_gpg_pubkey() -> None:
    blobs = [simple_header(), simple_header("gpg-pubkey", "fd431d51", "4ae0493b", None, ())]
    result = parse_rpmdb(ndb_file(blobs), "/usr/lib/sysimage/rpm/Packages.db", "ndb", distro=RHEL)
    (pkg,) = result.packages
    assert pkg.purl == (
        "pkg:rpm/redhat/openssl@3.0.7-18.el9?arch=x86_64&distro=rhel-9.2&epoch=1"
        "&upstream=openssl-3.0.7-18.el9.src.rpm"
    )
    assert pkg.files == ("/usr/bin/openssl", "/etc/pki/tls/openssl.cnf")


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"\x00\x00", "too short"),
        (struct.pack(">II", 0, 0), "implausible"),
        (struct.pack(">II", 2, 10) + b"\x00" * 8, "needs"),
        (header_blob([(1000, STRING, "x")])[:-1], "needs"),
    ],
)
def test_header_structure_errors(blob: bytes, message: str) -> None:
    with pytest.raises(PackageDbError, match=message):
        parse_rpm_header(blob)


def _patch_entry(
    blob: bytes,
    index: int,
    offset: int | None = None,
    count: int | None = None,
    kind: int | None = None,
) -> bytes:
    out = bytearray(blob)
    base = 8 + 16 * index
    tag, old_kind, old_offset, old_count = struct.unpack_from(">iIII", out, base)
    struct.pack_into(
        ">iIII",
        out,
        base,
        tag,
        old_kind if kind is None else kind,
        old_offset if offset is None else offset,
        old_count if count is None else count,
    )
    return bytes(out)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"index": 0, "offset": 1_000_000}, "out of range"),
        ({"index": 7, "count": 1_000_000}, "out of range"),
        ({"index": 7, "count": 40}, "runs past"),
        ({"index": 9, "count": 30}, "string runs past"),
        ({"index": 1, "kind": 99}, "unknown type"),
        ({"index": 8, "count": 0}, "out of range"),
    ],
)
def test_hostile_entries_raise(patch: dict[str, int], message: str) -> None:
    with pytest.raises(PackageDbError, match=message):
        parse_rpm_header(_patch_entry(simple_header(), **patch))


def test_hostile_dirindex_and_missing_name() -> None:
    bad_index = header_blob(
        [
            (1000, STRING, "a"),
            (1001, STRING, "1"),
            (1116, INT32, [5]),
            (1117, 8, ["f"]),
            (1118, 8, ["/d/"]),
        ]
    )
    with pytest.raises(PackageDbError, match="DIRINDEXES entry"):
        parse_rpm_header(bad_index)
    with pytest.raises(PackageDbError, match="no NAME"):
        parse_rpm_header(header_blob([(1001, STRING, "1")]))


def test_bad_header_is_a_notice_and_the_rest_is_kept() -> None:
    bad = _patch_entry(simple_header("broken"), 0, offset=99999)
    result = parse_rpmdb(ndb_file([simple_header("good"), bad]), "/db", "ndb")
    assert [p.name for p in result.packages] == ["good"]
    assert result.notices[0].message.startswith("package record 2 skipped: rpm header: tag 1000")


def test_split_source_rpm() -> None:
    assert split_source_rpm("openssl-3.0.7-18.el9.src.rpm") == ("openssl", "3.0.7-18.el9")
    assert split_source_rpm("python-foo-bar-1.0-2.nosrc.rpm") == ("python-foo-bar", "1.0-2")
    assert split_source_rpm("weird.src.rpm") == ("", "")
    assert split_source_rpm("") == ("", "")


# cataloger -----------------------------------------------------------------------------------
def test_cataloger_prefers_the_newest_format_and_follows_symlinks() -> None:
    ndb = ndb_file([simple_header("from-ndb")])
    bdb_garbage = b"\x00" * 1024
    view = view_of(
        {
            "usr/lib/sysimage/rpm/Packages.db": ndb,
            "var/lib/rpm": Link("../../usr/lib/sysimage/rpm"),
        },
        {"var/lib/rpm/Packages": bdb_garbage},
    )
    result = RpmCataloger().catalog(view, CatalogContext(RHEL))
    assert [p.name for p in result.packages] == ["from-ndb"]
    assert result.packages[0].locations[0].path == "/usr/lib/sysimage/rpm/Packages.db"
    assert result.notices == ()


def test_cataloger_falls_back_after_an_unreadable_database(rpm_blobs: list[bytes]) -> None:
    view = view_of(
        {
            "var/lib/rpm/rpmdb.sqlite": b"SQLite format 3\x00" + b"\x00" * 200,
            "var/lib/rpm/Packages.db": ndb_file(rpm_blobs),
        }
    )
    result = RpmCataloger().catalog(view, CatalogContext(None))
    assert sorted(p.name for p in result.packages) == ["hello", "world"]
    assert len(result.notices) == 1 and result.notices[0].where == "/var/lib/rpm/rpmdb.sqlite"
    assert by_name(result.packages)["hello"].purl.startswith("pkg:rpm/hello@")
