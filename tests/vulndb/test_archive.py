"""Export / import round trip and a tampered export."""

from __future__ import annotations

from pathlib import Path

import pytest

import sievert.vulndb as vulndb
from sievert.errors import DatabaseError
from sievert.vulndb.archive import MAGIC
from sievert.vulndb.update import update
from tests.vulndb import feedfactory as ff


@pytest.fixture
def built(mirror_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "vuln.db"
    update(path, mirror=str(mirror_dir))
    return path


def test_round_trip(built: Path, tmp_path: Path) -> None:
    archive = tmp_path / "db.sievert.zst"
    digest = vulndb.export_db(built, archive)
    assert archive.read_bytes().startswith(MAGIC)
    target = tmp_path / "elsewhere" / "vuln.db"
    assert vulndb.import_db(archive, target) == digest
    assert target.read_bytes() == built.read_bytes()
    with vulndb.open(target) as db:
        assert db.get(ff.CVE_1) is not None


def test_tampered_export_is_refused_and_leaves_the_db(built: Path, tmp_path: Path) -> None:
    archive = tmp_path / "db.sievert.zst"
    vulndb.export_db(built, archive)
    data = archive.read_bytes()
    header_end = data.index(b"\n", len(MAGIC)) + 1
    header = data[:header_end].decode()
    digest = header.split()[3]
    forged = header.replace(digest, ("0" if digest[0] != "0" else "1") + digest[1:]).encode()
    (tmp_path / "forged.zst").write_bytes(forged + data[header_end:])
    target = tmp_path / "target.db"
    target.write_bytes(built.read_bytes())
    before = target.read_bytes()
    with pytest.raises(DatabaseError, match=r"forged\.zst: checksum mismatch"):
        vulndb.import_db(tmp_path / "forged.zst", target)
    assert target.read_bytes() == before
    damaged = bytearray(data)
    damaged[-40] ^= 0xFF
    (tmp_path / "damaged.zst").write_bytes(bytes(damaged))
    with pytest.raises(DatabaseError, match=r"damaged\.zst: (corrupt zstd|checksum mismatch)"):
        vulndb.import_db(tmp_path / "damaged.zst", target)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if ".import" in p.name) == []


def test_not_an_export(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.zst"
    bogus.write_bytes(b"hello")
    with pytest.raises(DatabaseError, match="not a Sievert database export"):
        vulndb.import_db(bogus, tmp_path / "vuln.db")
