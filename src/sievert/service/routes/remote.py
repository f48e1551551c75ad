"""`sievert scan --server`: missing layer analyses, their upload, the image's description."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from sievert.pipeline.remote import server_spec
from sievert.service.analysis import storage_temp
from sievert.service.deps import Analyst, Reader, Services, ServicesDep, read_bounded
from sievert.service.layerstore import counts, present, store_row, uploaded_key
from sievert.service.models import Image
from sievert.service.remote import (
    DIFF_ID,
    MAX_DESCRIPTION,
    VERSION,
    ImageDescription,
    LayersAnswer,
    LayersQuery,
    LayerStats,
    LayerStored,
    UploadError,
    UploadLimits,
    parse_upload,
)
from sievert.service.routes.images import image_out, queue
from sievert.service.schemas import ImageOut

router = APIRouter(tags=["remote scan"])
SOURCE = "client"
"""The `source` of images a client described (their layer analyses came from it)."""


@lru_cache(maxsize=16)
def server_version(source_kind: str) -> str:
    """The capture spec version this server's analyzers walk an image of this kind with."""
    return server_spec(source_kind).version


def _check_version(version: str, source_kind: str) -> None:
    if source_kind in ("dir", "sbom"):
        raise HTTPException(422, f"a {source_kind!r} target has no layers to describe")
    mine = server_version(source_kind)
    if version != mine:
        raise HTTPException(
            409,
            f"the client's analyzers (version {version}) differ from the server's ({mine}): "
            "use the same Sievert release on both sides, or send an SBOM",
        )


@router.post("/v1/layers/missing")
def missing_layers(body: LayersQuery, services: ServicesDep, who: Analyst) -> LayersAnswer:
    """Which of these layers' analyses the server lacks (those the client should upload)."""
    _check_version(body.version, body.source_kind)
    have = present(services.db, body.diff_ids, body.version, who.token_id)
    missing = list(dict.fromkeys(d for d in body.diff_ids if d not in have))
    return LayersAnswer(version=body.version, missing=missing)


@router.put(
    "/v1/layers/{diff_id}",
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_layer(
    request: Request,
    services: ServicesDep,
    who: Analyst,
    diff_id: Annotated[str, Path(pattern=DIFF_ID)],
    version: Annotated[str, Query(pattern=VERSION)],
    source_kind: Annotated[str, Query(pattern=r"^[a-z][a-z0-9-]{0,30}$")],
) -> LayerStored:
    """Upload one layer's analysis (as `sievert scan --server` makes it), stored under the
    uploader's key: only this token's described images will read it."""
    counters = services.remote
    counters.uploads_received += 1
    _check_version(version, source_kind)
    limit = services.settings.max_layer_analysis
    data = await read_bounded(request, limit)
    limits = UploadLimits(max_bytes=limit)
    try:
        index = await run_in_threadpool(parse_upload, data, diff_id, limits)
    except UploadError as exc:
        counters.uploads_rejected += 1
        raise HTTPException(422, f"layer analysis {diff_id}: {exc}") from exc
    canonical = await run_in_threadpool(index.to_bytes)
    key = uploaded_key(diff_id, version, who.token_id)
    stored = await run_in_threadpool(store_row, services.db, key, canonical)
    counters.uploads_stored += int(stored)
    return LayerStored(diff_id=diff_id, stored=stored, size=len(canonical))


@router.get("/v1/layers/stats")
def layer_stats(services: ServicesDep, _: Reader) -> LayerStats:
    """How many layer analyses the server walked and clients uploaded, and the uploads seen."""
    walked, uploaded, size = counts(services.db)
    counters = services.remote
    return LayerStats(
        walked=walked,
        uploaded=uploaded,
        bytes=size,
        uploads_received=counters.uploads_received,
        uploads_stored=counters.uploads_stored,
        uploads_rejected=counters.uploads_rejected,
    )


@router.post(
    "/v1/images/described",
    status_code=202,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": ImageDescription.model_json_schema()}},
        }
    },
)
async def add_described(
    request: Request,
    services: ServicesDep,
    who: Analyst,
    name: Annotated[str, Query(max_length=1000)] = "",
) -> ImageOut:
    """Add an image by its description (config, layers, history) once every layer's analysis
    is on the server: assembled, matched, checked, stored and certified like any image."""
    data = await read_bounded(request, MAX_DESCRIPTION)
    try:
        description = ImageDescription.model_validate_json(data)
    except ValidationError as exc:
        raise HTTPException(422, _first_error(exc)) from exc
    _check_version(description.version, description.source_kind)
    diff_ids = [layer.diff_id for layer in description.layers]
    have = await run_in_threadpool(
        present, services.db, diff_ids, description.version, who.token_id
    )
    missing = [d for d in dict.fromkeys(diff_ids) if d not in have]
    if missing:
        raise HTTPException(
            409, f"upload the analyses of these layers first: {', '.join(missing[:20])}"
        )
    path = await run_in_threadpool(_keep, services, who.token_id, description)
    with services.db.session() as session:
        image = Image(
            reference=name or description.reference or "described",
            source=SOURCE,
            platform=str(_platform(description)),
            upload_path=path,
        )
        session.add(image)
        queue(services, session, image)
        return image_out(image, None)


def _platform(description: ImageDescription) -> str:
    p = description.platform
    return f"{p.os}/{p.architecture}/{p.variant}" if p.variant else f"{p.os}/{p.architecture}"


def _keep(services: Services, uploader: str, description: ImageDescription) -> str:
    """Write the description and its uploader to the storage dir (the job reads it there)."""
    fd, path = storage_temp(services.settings, ".described.json")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"uploader": uploader, "description": description.model_dump(mode="json")}, out)
    return path


def _first_error(exc: ValidationError) -> str:
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
    where = ".".join(str(part) for part in first.get("loc", ()))
    return f"the image description is not valid: {where or 'body'}: {first.get('msg', '')}"
