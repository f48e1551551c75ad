"""Policies: upload and version (analyst), attach by reference pattern, evaluate, certifications."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from sqlalchemy import select

from sievert.errors import SievertError
from sievert.service.certify import attached_policy, certify, store_policy, stored_result
from sievert.service.deps import Admin, Analyst, Reader, SessionDep, read_bounded
from sievert.service.models import Certification, Policy, PolicyAttachment
from sievert.service.routes.images import get_image
from sievert.service.schemas import (
    AttachmentIn,
    AttachmentOut,
    CertificationOut,
    PolicyOut,
    PolicyText,
)

router = APIRouter(tags=["policies"])
MAX_POLICY = 1024 * 1024
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
PolicyName = Annotated[str, Path(pattern=NAME.pattern)]


@router.put(
    "/v1/policies/{name}",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/yaml": {"schema": {"type": "string"}}},
        }
    },
)
async def upload_policy(
    name: PolicyName, request: Request, session: SessionDep, _: Analyst
) -> PolicyOut:
    """Store the YAML policy as a new version of NAME (unchanged text keeps the version)."""
    data = await read_bounded(request, MAX_POLICY)
    try:
        text = data.decode("utf-8")
        row, _created = store_policy(session, name, text)
    except UnicodeDecodeError as exc:
        raise HTTPException(422, f"the policy is not UTF-8 text ({exc.reason})") from exc
    except SievertError as exc:
        raise HTTPException(422, str(exc)) from exc
    return PolicyOut.model_validate(row)


@router.get("/v1/policies")
def list_policies(session: SessionDep, _: Reader) -> list[PolicyOut]:
    """Every version of every policy."""
    rows = session.scalars(select(Policy).order_by(Policy.name, Policy.version)).all()
    return [PolicyOut.model_validate(r) for r in rows]


@router.get("/v1/policies/{name}/versions/{version}")
def show_policy(name: PolicyName, version: int, session: SessionDep, _: Reader) -> PolicyText:
    """One version with its text."""
    row = session.scalar(select(Policy).where(Policy.name == name, Policy.version == version))
    if row is None:
        raise HTTPException(404, f"no policy {name} version {version}")
    return PolicyText.model_validate(row)


@router.post("/v1/policy-attachments", status_code=201)
def attach_policy(body: AttachmentIn, session: SessionDep, _: Admin) -> AttachmentOut:
    """Apply a policy to images whose reference matches the glob (most specific wins)."""
    if session.scalar(select(Policy.id).where(Policy.name == body.policy).limit(1)) is None:
        raise HTTPException(422, f"no policy named {body.policy!r}")
    row = PolicyAttachment(pattern=body.pattern, policy_name=body.policy)
    session.add(row)
    session.flush()
    return AttachmentOut.model_validate(row)


@router.get("/v1/policy-attachments")
def list_attachments(session: SessionDep, _: Reader) -> list[AttachmentOut]:
    """Every attachment."""
    rows = session.scalars(select(PolicyAttachment).order_by(PolicyAttachment.id)).all()
    return [AttachmentOut.model_validate(r) for r in rows]


@router.delete("/v1/policy-attachments/{attachment_id}", status_code=204)
def detach_policy(attachment_id: int, session: SessionDep, _: Admin) -> None:
    """Remove an attachment."""
    row = session.get(PolicyAttachment, attachment_id)
    if row is None:
        raise HTTPException(404, f"no attachment {attachment_id}")
    session.delete(row)


@router.post("/v1/images/{image_id}/evaluate", status_code=201)
def evaluate_image(
    image_id: int, session: SessionDep, _: Analyst, policy: str = ""
) -> CertificationOut:
    """Evaluate the attached policy (or the named one) now and store the certification."""
    image = get_image(session, image_id)
    result = stored_result(session, image)
    if result is None:
        raise HTTPException(409, f"image {image_id} is not analysed yet ({image.status})")
    if policy:
        row = session.scalar(
            select(Policy).where(Policy.name == policy).order_by(Policy.version.desc()).limit(1)
        )
    else:
        row = attached_policy(session, image.reference)
    if row is None:
        raise HTTPException(
            409,
            f"no policy {policy!r}" if policy else f"no policy is attached to {image.reference}",
        )
    return CertificationOut.model_validate(certify(session, image, result, row))


@router.get("/v1/images/{image_id}/certifications")
def list_certifications(image_id: int, session: SessionDep, _: Reader) -> list[CertificationOut]:
    """The image's certifications, newest first."""
    get_image(session, image_id)
    rows = session.scalars(
        select(Certification)
        .where(Certification.image_id == image_id)
        .order_by(Certification.id.desc())
    ).all()
    return [CertificationOut.model_validate(r) for r in rows]
