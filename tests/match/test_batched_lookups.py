"""Oracle tests: the batched lookups matching uses answer exactly what the one-at-a-time ones do,
and matching through them gives the same findings as matching one lookup at a time."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

import sievert.vulndb as vulndb
from sievert.match.base import VulnSource
from sievert.match.engine import BatchVulnSource, match_inventory
from sievert.model import Affected, Inventory, Vulnerability
from sievert.pipeline import InventoryOptions, take_inventory
from sievert.vulndb.store import VulnDB
from sievert.vulndb.update import update


class OneAtATime:
    """The database seen through the plain VulnSource lookups only (no batches)."""

    def __init__(self, db: VulnDB) -> None:
        self._db = db

    def affected(self, namespace: str, package: str) -> list[Affected]:
        return self._db.affected(namespace, package)

    def get(self, vuln_id: str) -> Vulnerability | None:
        return self._db.get(vuln_id)


@pytest.fixture
def small_db(mirror_dir: Path, tmp_path: Path) -> Iterator[VulnDB]:
    report = update(tmp_path / "vuln.db", mirror=str(mirror_dir))
    assert report.written
    with vulndb.open(tmp_path / "vuln.db") as opened:
        yield opened


def every_key_and_id(db: VulnDB) -> tuple[list[tuple[str, str]], list[str]]:
    keys = db.conn.execute("SELECT DISTINCT namespace, package FROM affected").fetchall()
    ids = db.conn.execute(
        "SELECT vuln_id FROM affected UNION SELECT id FROM vuln UNION SELECT alias FROM alias "
        "UNION SELECT cve FROM epss UNION SELECT cve FROM kev UNION SELECT cve FROM exploit"
    ).fetchall()
    return [tuple(k) for k in keys], [i[0] for i in ids]


def assert_batches_agree(db: VulnDB, keys: list[tuple[str, str]], ids: list[str]) -> None:
    unknown = [("npm", "no-such-package"), ("debian:bookworm", "no-such-source")]
    batched = db.affected_many([*keys, *unknown])
    assert batched == {k: db.affected(*k) for k in [*keys, *unknown]}
    records = db.get_many([*ids, "CVE-1900-0001"])
    assert records == {i: db.get(i) for i in [*ids, "CVE-1900-0001"]}
    assert db.aliases_many(ids) == {i: db.aliases(i) for i in ids}
    assert all(r is None or list(r.aliases) == db.aliases(i) for i, r in records.items())


def test_the_database_answers_batches() -> None:
    assert issubclass(VulnDB, BatchVulnSource)
    assert not isinstance(OneAtATime.__new__(OneAtATime), BatchVulnSource)


def test_batches_agree_with_single_lookups_on_the_small_mirror(small_db: VulnDB) -> None:
    keys, ids = every_key_and_id(small_db)
    assert keys and ids
    assert_batches_agree(small_db, keys, ids)


def test_batches_agree_on_the_real_feeds(real_db: Path) -> None:
    """Thousands of keys and ids (chunked queries, many aliases, several feeds per id)."""
    with vulndb.open(real_db) as db:
        keys, ids = every_key_and_id(db)
        sample = random.Random(14)
        assert_batches_agree(db, sample.sample(keys, 1500), sample.sample(ids, 1500))


def findings_both_ways(inventory: Inventory, db: VulnDB) -> None:
    batched = match_inventory(inventory, db)
    single = match_inventory(inventory, OneAtATime(db))
    assert batched == single


def test_matching_is_the_same_batched_or_not_on_the_real_images(
    real_db: Path, shared_images: Path, tmp_path: Path
) -> None:
    with vulndb.open(real_db) as db:
        for tag in ("bookworm", "bookworm-apps", "alpine-3.23"):
            inventory = take_inventory(
                f"oci-dir:{shared_images}:{tag}",
                InventoryOptions(cache_dir=tmp_path / "cache"),
            )
            findings, _ = match_inventory(inventory, db)
            assert findings or tag != "bookworm-apps"
            findings_both_ways(inventory, db)


def test_a_lookup_the_recorder_did_not_see_still_reaches_the_database(small_db: VulnDB) -> None:
    """A matcher whose second lookup depends on the first one's answer is still served."""
    from sievert.match import engine

    source: VulnSource = engine._Answers(small_db, {("npm", "leftpad"): []})
    assert source.affected("npm", "leftpad") == []  # the prefetched answer
    assert source.affected("npm", "lodash") == small_db.affected("npm", "lodash")
