"""The fast read paths answer what the slow ones did: image pages read as plain rows, the Harbor
report converted once per stored analysis (and again when the analysis is replaced), the token
read on every request (a revocation holds at once), the API thread limit applied."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from anyio import to_thread
from msgspec.structs import replace
from sqlalchemy import func, select, update

from sievert.service.analysis import store_result
from sievert.service.app import create_app
from sievert.service.certify import stored_result
from sievert.service.database import Database, json_text, json_value
from sievert.service.deps import read
from sievert.service.harbor import ReportCache
from sievert.service.image_query import ImageFilter, image_page
from sievert.service.models import (
    ApiToken,
    Certification,
    HarborScan,
    Image,
    ImageLayer,
    ImagePackage,
    ImageVuln,
)
from sievert.service.routes.images import VulnFilter, approvals, vuln_page
from sievert.service.schemas import ImageOut, VulnOut
from sievert.service.settings import Settings, from_env
from tests.service.helpers import LiveServer, add_token, bearer, settings_for, wait_status

VULN_1_1 = "application/vnd.security.vulnerability.report; version=1.1"
RAW = "application/vnd.scanner.adapter.vuln.report.raw"


def _analysed(client: Any, archive: Path, headers: dict[str, str]) -> int:
    image = client.post(
        "/v1/images/archive",
        content=archive.read_bytes(),
        headers={**headers, "Content-Type": "application/x-tar"},
    ).json()
    assert wait_status(client, image["id"], headers)["status"] == "analysed"
    return int(image["id"])


def test_harbor_report_follows_a_replaced_analysis(
    tmp_path: Path, vuln_db: Path, archives: dict[str, Path]
) -> None:
    settings = settings_for(tmp_path, vuln_db)
    admin = bearer(add_token(settings, "admin"))
    with LiveServer(create_app(settings)) as client:
        image_id = _analysed(client, archives["docker"], admin)
        scan_id = str(uuid.uuid4())
        db = Database(settings)
        try:
            with db.session() as session:
                artifact = {"repository": "example/app", "digest": "sha256:" + "a" * 64}
                session.add(HarborScan(id=scan_id, image_id=image_id, artifact=artifact))
            path = f"/harbor/api/v1/scan/{scan_id}/report"
            first = client.get(path, headers={**admin, "Accept": VULN_1_1})
            again = client.get(path, headers={**admin, "Accept": VULN_1_1})
            assert first.status_code == again.status_code == 200
            assert first.content == again.content  # the converted report, kept
            assert first.headers["Content-Type"] == again.headers["Content-Type"] == VULN_1_1
            found = {v["id"] for v in first.json()["vulnerabilities"]}
            assert len(found) > 1
            raw = client.get(path, headers={**admin, "Accept": RAW})
            assert raw.status_code == 200 and raw.headers["Content-Type"] == RAW
            assert len(raw.json()["findings"]) == len(first.json()["vulnerabilities"])
            with db.session() as session:  # re-analysed: one finding left
                image = session.get(Image, image_id)
                assert image is not None
                result = stored_result(session, image)
                assert result is not None
                store_result(session, image, replace(result, findings=result.findings[:1]))
            after = client.get(path, headers={**admin, "Accept": VULN_1_1}).json()
            assert [v["id"] for v in after["vulnerabilities"]] == [result.findings[0].id]
            raw_after = client.get(path, headers={**admin, "Accept": RAW}).json()
            assert len(raw_after["findings"]) == 1
        finally:
            db.dispose()


def test_report_cache_is_bounded_and_keeps_the_recent() -> None:
    cache = ReportCache(size=2)
    cache.put(("a",), b"1", "x/a")
    cache.put(("b",), b"2", "x/b")
    assert cache.get(("a",)) == (b"1", "x/a")  # now the most recent
    cache.put(("c",), b"3", "x/c")
    assert cache.get(("b",)) is None
    assert cache.get(("a",)) == (b"1", "x/a") and cache.get(("c",)) == (b"3", "x/c")
    assert len(cache) == 2


def test_image_pages_read_as_rows_match_the_model(
    tmp_path: Path, vuln_db: Path, archives: dict[str, Path]
) -> None:
    settings = settings_for(tmp_path, vuln_db)
    admin = bearer(add_token(settings, "admin"))
    with LiveServer(create_app(settings)) as client:
        first = _analysed(client, archives["docker"], admin)
        second = _analysed(client, archives["oci"], admin)
        page = client.get("/v1/images?limit=1&offset=1", headers=admin).json()
        assert page["total"] == 2 and page["limit"] == 1 and page["offset"] == 1
        assert [i["id"] for i in page["items"]] == [first]
        item = page["items"][0]
        assert list(item) == list(ImageOut.model_fields)
        detail = client.get(f"/v1/images/{first}", headers=admin).json()
        assert {k: detail[k] for k in item} == item
        assert client.get("/v1/images?reference=no-such", headers=admin).json()["items"] == []
        vuln = client.get(f"/v1/images/{second}/vulnerabilities", headers=admin).json()
        assert vuln["total"] == len(vuln["items"]) > 1
        assert all(list(v) == list(VulnOut.model_fields) for v in vuln["items"])
        assert any(v["layer_created_by"] for v in vuln["items"])
        high = client.get(
            f"/v1/images/{second}/vulnerabilities?severity=high&limit=1", headers=admin
        )
        assert high.json()["limit"] == 1 and len(high.json()["items"]) <= 1
        assert all(v["severity"].lower() == "high" for v in high.json()["items"])
        assert client.get("/v1/images/99999/vulnerabilities", headers=admin).status_code == 404
        cve = vuln["items"][0]["vuln_id"]
        affected = client.get(f"/v1/vulnerabilities/{cve}/images", headers=admin).json()
        assert [i["id"] for i in affected["items"]] == [second, first]
        assert affected["total"] == 2
        package = vuln["items"][0]["package_name"]
        holding = client.get(f"/v1/packages/images?name={package}&limit=1", headers=admin)
        assert holding.json()["total"] == 2
        assert [i["id"] for i in holding.json()["items"]] == [second]
        assert client.get("/v1/packages/images?name=no-such", headers=admin).json() == {
            "items": [],
            "total": 0,
            "limit": 50,
            "offset": 0,
        }


def test_a_revoked_token_is_refused_at_once(tmp_path: Path, vuln_db: Path) -> None:
    settings = settings_for(tmp_path, vuln_db)
    token = add_token(settings, "read-only")
    with LiveServer(create_app(settings)) as client:
        assert client.get("/v1/images", headers=bearer(token)).status_code == 200
        db = Database(settings)
        try:
            with db.session() as session:
                session.execute(update(ApiToken).values(revoked=True))
        finally:
            db.dispose()
        assert client.get("/v1/images", headers=bearer(token)).status_code == 401


def test_api_threads_setting_limits_the_threadpool(
    tmp_path: Path, vuln_db: Path, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SIEVERT_API_THREADS", "3")
    assert from_env(f"sqlite:///{tmp_path / 's.sqlite'}", "").api_threads == 3
    monkeypatch.setenv("SIEVERT_API_THREADS", "0")
    assert from_env(f"sqlite:///{tmp_path / 's.sqlite'}", "").api_threads == 1
    app = create_app(settings_for(tmp_path, vuln_db, api_threads=3))

    async def tokens_while_serving() -> float:
        async with app.router.lifespan_context(app):
            return to_thread.current_default_thread_limiter().total_tokens

    assert asyncio.run(tokens_while_serving()) == 3


def test_json_columns_keep_what_orjson_refuses(tmp_path: Path, vuln_db: Path) -> None:
    """JSON columns go through orjson, and through the stdlib for what orjson refuses: the
    stored value reads back as the stdlib would have stored it."""
    db = Database(settings_for(tmp_path, vuln_db))
    db.migrate()
    hostile = {"big": 2**70, "lone": "a\udc80b", 3: "int key", "nested": [{"x": 1.5e-7}]}
    try:
        with db.session() as session:
            image = Image(reference="example/json:1", source="archive", summary=hostile)
            session.add(image)
            session.flush()
            image_id = image.id
        with db.session() as session:
            stored = session.get(Image, image_id)
            assert stored is not None
            assert stored.summary == json.loads(json.dumps(hostile))
    finally:
        db.dispose()
    assert json_value(json_text({"a": [1, None, True]})) == {"a": [1, None, True]}
    assert json_value(json_text({1: 2})) == {"1": 2}


class _ServerDatabase(Database):
    """A SQLite database standing in for a database server (reads go to worker threads)."""

    inline_reads = False


def test_reads_run_on_the_event_loop_only_for_sqlite(tmp_path: Path, vuln_db: Path) -> None:
    settings = settings_for(tmp_path, vuln_db)
    threads: dict[str, int] = {}

    def where(session: Any) -> int:
        assert session.scalar(select(func.count(Image.id))) == 0
        return threading.get_ident()

    async def both() -> None:
        for name, db in (("sqlite", Database(settings)), ("server", _ServerDatabase(settings))):
            db.migrate()
            services = SimpleNamespace(db=db)
            try:
                threads[name] = await read(services, where)  # type: ignore[arg-type]
            finally:
                db.dispose()
        threads["loop"] = threading.get_ident()

    asyncio.run(both())
    assert threads["sqlite"] == threads["loop"]
    assert threads["server"] != threads["loop"]


def test_reads_stay_in_threads_where_sqlite_is_not_in_wal_mode(tmp_path: Path) -> None:
    """Without WAL a SQLite reader waits out a writer's commit: not on the event loop."""
    wal = Database(Settings(database_url=f"sqlite:///{tmp_path / 'wal.sqlite'}"))
    memory = Database(Settings(database_url="sqlite:///:memory:"))
    try:
        assert wal.inline_reads is True
        assert memory.inline_reads is False  # an in-memory database has no WAL
    finally:
        wal.dispose()
        memory.dispose()


def _two_analysed(
    tmp_path: Path, vuln_db: Path, archives: dict[str, Path]
) -> tuple[Database, list[int]]:
    """A service database holding the docker and the OCI archive analysed; (it, their ids)."""
    settings = settings_for(tmp_path, vuln_db)
    admin = bearer(add_token(settings, "admin"))
    with LiveServer(create_app(settings)) as client:
        ids = [_analysed(client, archives[kind], admin) for kind in ("docker", "oci")]
    return Database(settings), ids


def _oracle_vulns(session: Any, image_id: int, wanted: VulnFilter) -> list[dict[str, Any]]:
    """An image's findings the slow way: ORM objects filtered in Python, history as a map."""
    layers = session.scalars(select(ImageLayer).where(ImageLayer.image_id == image_id)).all()
    history = {layer.position: layer.created_by for layer in layers}
    found = session.scalars(
        select(ImageVuln).where(ImageVuln.image_id == image_id).order_by(ImageVuln.position)
    ).all()
    kept = [
        v
        for v in found
        if (not wanted.severity or v.severity.lower() == wanted.severity)
        and (not wanted.fix_state or v.fix_state == wanted.fix_state)
        and (wanted.kev is None or v.kev == wanted.kev)
    ]
    out = [VulnOut.model_validate(v) for v in kept]
    for item in out:
        item.layer_created_by = history.get(item.layer_index, "")
    return [item.model_dump() for item in out]


def test_prepared_reads_match_the_orm_oracle(
    tmp_path: Path, vuln_db: Path, archives: dict[str, Path]
) -> None:
    """Every filter combination and page of an image's findings, and the approval on image
    pages, equal what ORM objects filtered in Python give."""
    db, ids = _two_analysed(tmp_path, vuln_db, archives)
    try:
        with db.session() as session:
            for image_id, verdict in zip(ids, ("stop", "warn"), strict=True):
                session.add(
                    Certification(
                        image_id=image_id,
                        policy_name="p",
                        policy_version=1,
                        policy_digest="d",
                        verdict=verdict,
                    )
                )
            fix_states = sorted(set(session.scalars(select(ImageVuln.fix_state)).all()))
        with db.session() as session:
            for image_id in ids:
                for severity in ("", "critical", "high", "medium", "low", "unknown"):
                    for fix_state in ("", *fix_states):
                        for kev in (None, True, False):
                            wanted = VulnFilter(severity, fix_state, kev)
                            expected = _oracle_vulns(session, image_id, wanted)
                            for limit, offset in ((1000, 0), (2, 1)):
                                page = vuln_page(session, image_id, wanted, limit, offset)
                                got = [item.model_dump() for item in page.items]
                                assert got == expected[offset : offset + limit], wanted
                                assert page.total == len(expected)
            assert json.loads(image_page(session, ImageFilter(), 50, 0).body) == {
                "items": [
                    {
                        **ImageOut.model_validate(session.get(Image, i)).model_dump(mode="json"),
                        "approved": approved,
                    }
                    for i, approved in zip(reversed(ids), (True, False), strict=True)
                ],
                "total": 2,
                "limit": 50,
                "offset": 0,
            }
            assert approvals(session, ids) == {ids[0]: False, ids[1]: True}
    finally:
        db.dispose()


def _oracle_images(session: Any, wanted: ImageFilter) -> list[int]:
    """The ids of the images a filter lists, the slow way (newest first)."""
    images = session.scalars(select(Image).order_by(Image.id.desc())).all()
    vulns = session.scalars(select(ImageVuln)).all()
    packages = session.scalars(select(ImagePackage)).all()
    affected = {(v.image_id, v.vuln_id) for v in vulns}

    def holds(image: Image) -> bool:
        return any(
            p.image_id == image.id
            and p.name == wanted.package
            and wanted.package_version in ("", p.version)
            and wanted.package_type in ("", p.type)
            for p in packages
        )

    return [
        i.id
        for i in images
        if wanted.status in ("", i.status)
        and wanted.source in ("", i.source)
        and wanted.digest in ("", i.manifest_digest)
        and wanted.reference.lower() in i.reference.lower()
        and (not wanted.vuln_id or (i.id, wanted.vuln_id) in affected)
        and (not wanted.package or holds(i))
    ]


def test_image_pages_match_the_orm_oracle(
    tmp_path: Path, vuln_db: Path, archives: dict[str, Path]
) -> None:
    """Every filter of the image pages (alone and combined, LIKE's wildcards taken literally)
    lists what ORM objects filtered in Python list, newest first, paged."""
    db, ids = _two_analysed(tmp_path, vuln_db, archives)
    try:
        with db.session() as session:
            session.add(Image(reference="example/odd_100%/x:1", source="sbom", status="failed"))
            session.add(Image(reference="example/oddA100B/x:1", source="sbom", status="queued"))
        with db.session() as session:
            first = session.get(Image, ids[0])
            vuln = session.scalars(select(ImageVuln).where(ImageVuln.image_id == ids[1])).first()
            package = session.scalars(
                select(ImagePackage).where(ImagePackage.image_id == ids[0])
            ).first()
            assert first is not None and vuln is not None and package is not None
            filters = [
                ImageFilter(),
                ImageFilter(status="analysed"),
                ImageFilter(status="failed", source="sbom"),
                ImageFilter(source="archive"),
                ImageFilter(reference="odd_100%"),
                ImageFilter(reference="ODD"),
                ImageFilter(reference="/"),
                ImageFilter(reference="no-such"),
                ImageFilter(digest=first.manifest_digest),
                ImageFilter(vuln_id=vuln.vuln_id),
                ImageFilter(vuln_id=vuln.vuln_id, status="analysed"),
                ImageFilter(package=package.name),
                ImageFilter(package=package.name, package_version=package.version),
                ImageFilter(package=package.name, package_type=package.type),
                ImageFilter(package=package.name, package_version="0-no-such"),
            ]
            for wanted in filters:
                expected = _oracle_images(session, wanted)
                for limit, offset in ((50, 0), (1, 1)):
                    page = json.loads(image_page(session, wanted, limit, offset).body)
                    assert page["total"] == len(expected), wanted
                    got = [item["id"] for item in page["items"]]
                    assert got == expected[offset : offset + limit], wanted
            assert _oracle_images(session, ImageFilter(reference="odd_100%")) != []
    finally:
        db.dispose()
