"""The remote-scan endpoints treat every upload as hostile: bounded, parsed strictly, refused with
one clear reason (never a 500), and a refused or forged upload touches no other image."""

from __future__ import annotations

import contextlib
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import zstandard
from hypothesis import given, settings
from hypothesis import strategies as st

from sievert.pipeline.remote import server_spec
from sievert.service.app import create_app
from sievert.service.remote import UploadError, UploadLimits, parse_upload
from sievert.source.layerindex import Entry, LayerIndex
from tests.service.helpers import LiveServer, add_token, bearer, settings_for

DIFF = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32
LIMIT = 1024 * 1024
KIND = "docker-archive"


def index(diff_id: str = DIFF) -> LayerIndex:
    status = b"Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13\n\n"
    return LayerIndex(
        diff_id,
        (Entry("var", "dir"), Entry("var/lib/dpkg/status", "file", len(status), 0o644)),
        {"var/lib/dpkg/status": status},
        extracts={"usr/bin/app": {"gobuildinfo": b"{}"}},
        bytes_read=4096,
    )


def parts(data: bytes) -> tuple[dict[str, Any], bytes]:
    """The header and the body of a serialised layer index."""
    raw = zstandard.ZstdDecompressor().decompressobj().decompress(data)
    (size,) = struct.unpack(">Q", raw[:8])
    return json.loads(raw[8 : 8 + size]), raw[8 + size :]


def forged(change: dict[str, Any] | None = None, body: Any = None, **entry: Any) -> bytes:
    """A one-file layer index, its header changed, its body changed by `body(old)`, its entry
    made with these fields."""
    fields = {"path": "etc/x", "kind": "file", "size": 3, "mode": 0o644, **entry}
    good = LayerIndex(DIFF, (Entry(**fields),), {"etc/x": b"abc"}).to_bytes()
    header, old = parts(good)
    header.update(change or {})
    head = json.dumps(header).encode()
    raw = struct.pack(">Q", len(head)) + head + (body(old) if body else old)
    return zstandard.ZstdCompressor().compress(raw)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, vuln_db: Path) -> Iterator[dict[str, Any]]:
    settings = settings_for(tmp_path_factory.mktemp("uploads"), vuln_db, max_layer_analysis=LIMIT)
    tokens = {role: add_token(settings, role) for role in ("analyst", "read-only")}
    with LiveServer(create_app(settings)) as client:
        yield {"client": client, **tokens}


def put(api: dict[str, Any], data: bytes, diff_id: str = DIFF, **params: str) -> httpx.Response:
    query = {"version": server_spec(KIND).version, "source_kind": KIND, **params}
    return api["client"].put(  # type: ignore[no-any-return]
        f"/v1/layers/{diff_id}", params=query, content=data, headers=bearer(api["analyst"])
    )


def test_a_well_formed_upload_round_trips() -> None:
    parsed = parse_upload(index().to_bytes(), DIFF, UploadLimits(LIMIT))
    assert parsed == index()
    assert parsed.to_bytes() == index().to_bytes()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not zstd at all", "not zstd"),
        (zstandard.ZstdCompressor().compress(b"\0" * (8 * LIMIT)), "larger than"),
        (zstandard.ZstdCompressor().compress(b"\0\0\0"), "too short"),
        (forged({"diff_id": OTHER}), "diff_id"),
        (forged(body=lambda old: old[:-1]), "runs past the end"),
        (forged(body=lambda old: old + b"!"), "longer than"),
        (forged(path="../etc/x"), "not normalised"),
        (forged(path="/etc/x"), "not normalised"),
        (forged(kind="no-such-kind"), "kind"),
        (forged(size=-3), "not a count"),
        (forged({"entries": {"x": 1}}), "not a packed table"),
        (forged({"entries": [2**40, 10]}), "out of bounds"),
        (forged({"entries": [2, 36]}), "damaged entry table"),
        (forged({"odd_entries": [[0, "x"]]}), "not 8 values"),
        (forged({"contents": [["etc/x", -3]]}), "not a count"),
        (forged({"contents": [["../x", 3]]}), "not normalised"),
        (forged({"bytes_read": -1}), "bytes_read"),
        (forged({"notices": [[1, 2, 3]]}), "notice"),
        (zstandard.ZstdCompressor().compress(struct.pack(">Q", 2**40) + b"{}"), "past the end"),
        (zstandard.ZstdCompressor().compress(struct.pack(">Q", 2) + b"[]"), "not an object"),
        (zstandard.ZstdCompressor().compress(struct.pack(">Q", 3) + b"{x}"), "not JSON"),
    ],
)
def test_malformed_uploads_are_refused_with_a_reason(
    api: dict[str, Any], data: bytes, reason: str
) -> None:
    with pytest.raises(UploadError, match=reason):
        parse_upload(data, DIFF, UploadLimits(LIMIT))
    answer = put(api, data)
    assert answer.status_code == 422 and reason in answer.json()["detail"]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=400))
def test_any_damage_is_an_upload_error_never_a_crash(noise: bytes, cut: int) -> None:
    raw = zstandard.ZstdDecompressor().decompressobj().decompress(index().to_bytes())
    damaged = raw[:cut] + noise + raw[cut + len(noise) :]
    for data in (noise, zstandard.ZstdCompressor().compress(damaged)):
        with contextlib.suppress(UploadError):
            parse_upload(data, DIFF, UploadLimits(LIMIT))


def test_bounds_roles_and_versions(api: dict[str, Any]) -> None:
    client = api["client"]
    assert put(api, b"\0" * (LIMIT + 1)).status_code == 413
    assert put(api, index().to_bytes(), version="0123abcd").status_code == 409
    assert put(api, index().to_bytes(), source_kind="dir").status_code == 422
    assert put(api, index().to_bytes(), diff_id="sha256:XYZ").status_code == 422
    reader = client.put(
        f"/v1/layers/{DIFF}",
        params={"version": server_spec(KIND).version, "source_kind": KIND},
        content=index().to_bytes(),
        headers=bearer(api["read-only"]),
    )
    assert reader.status_code == 403
    first = put(api, index().to_bytes())
    assert first.status_code == 201 and first.json()["stored"] is True
    again = put(api, index().to_bytes())
    assert again.status_code == 201 and again.json()["stored"] is False
    stats = client.get("/v1/layers/stats", headers=bearer(api["read-only"])).json()
    assert stats["uploaded"] >= 1 and stats["uploads_rejected"] >= 1


def describe(api: dict[str, Any], doc: Any, raw: bytes | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(doc).encode()
    return api["client"].post(  # type: ignore[no-any-return]
        "/v1/images/described",
        content=content,
        headers={**bearer(api["analyst"]), "Content-Type": "application/json"},
    )


def description(*diff_ids: str) -> dict[str, Any]:
    return {
        "version": server_spec(KIND).version,
        "source_kind": KIND,
        "reference": "team/described:1",
        "layers": [{"diff_id": d, "created_by": f"RUN step {n}"} for n, d in enumerate(diff_ids)],
        "history": [[f"RUN step {n}", False] for n in range(len(diff_ids))],
    }


def test_descriptions_are_validated(api: dict[str, Any]) -> None:
    assert describe(api, None, b"{not json").status_code == 422
    assert describe(api, None, b" " * (4 * 1024 * 1024 + 1)).status_code == 413
    assert describe(api, {**description(DIFF), "extra": 1}).status_code == 422
    assert describe(api, description()).status_code == 422  # no layer
    assert describe(api, description(*[DIFF] * 1001)).status_code == 422
    assert describe(api, {**description(DIFF), "env": ["x" * 70_000]}).status_code == 422
    bad = describe(api, {**description(DIFF), "layers": [{"diff_id": "sha256:../../x"}]})
    assert bad.status_code == 422 and "diff_id" in bad.json()["detail"]
    lacking = describe(api, description(DIFF, OTHER))
    assert lacking.status_code == 409 and OTHER in lacking.json()["detail"]
    assert describe(api, {**description(DIFF), "version": "ffff"}).status_code == 409


def test_a_described_image_is_assembled_from_its_uploads(api: dict[str, Any]) -> None:
    from tests.service.helpers import wait_status

    assert put(api, index().to_bytes()).status_code == 201
    answer = describe(api, description(DIFF))
    assert answer.status_code == 202, answer.text
    done = wait_status(api["client"], answer.json()["id"], bearer(api["analyst"]))
    assert done["status"] == "analysed" and done["source"] == "client", done
    packages = (
        api["client"]
        .get(f"/v1/images/{done['id']}/packages", headers=bearer(api["analyst"]))
        .json()
    )
    assert [p["name"] for p in packages["items"]] == ["zlib1g"]
