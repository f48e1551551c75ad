"""Subscriptions (webhooks), their deliveries and image diffs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select

from sievert.service.deps import Admin, Reader, ServicesDep, SessionDep
from sievert.service.models import Delivery, ImageDiff, Subscription
from sievert.service.routes.images import Limit, Offset, get_image
from sievert.service.schemas import (
    DeliveryOut,
    DiffOut,
    Page,
    SubscriptionIn,
    SubscriptionOut,
)

router = APIRouter(tags=["subscriptions"])


@router.post("/v1/subscriptions", status_code=201)
def subscribe(
    body: SubscriptionIn, session: SessionDep, services: ServicesDep, _: Admin
) -> SubscriptionOut:
    """A webhook for an event on images matching the pattern (the secret is never returned)."""
    row = Subscription(
        event=body.event,
        pattern=body.pattern,
        url=body.url,
        secret=services.cipher.encrypt(body.secret),
    )
    session.add(row)
    session.flush()
    return SubscriptionOut.model_validate(row)


@router.get("/v1/subscriptions")
def list_subscriptions(session: SessionDep, _: Reader) -> list[SubscriptionOut]:
    """Every subscription, without secrets."""
    rows = session.scalars(select(Subscription).order_by(Subscription.id)).all()
    return [SubscriptionOut.model_validate(r) for r in rows]


@router.delete("/v1/subscriptions/{subscription_id}", status_code=204)
def unsubscribe(subscription_id: int, session: SessionDep, _: Admin) -> None:
    """Stop a subscription (its deliveries stay listed)."""
    row = session.get(Subscription, subscription_id)
    if row is None:
        raise HTTPException(404, f"no subscription {subscription_id}")
    row.active = False


@router.get("/v1/subscriptions/{subscription_id}/deliveries")
def list_deliveries(
    subscription_id: int,
    session: SessionDep,
    _: Reader,
    status: Annotated[str, Query(pattern="^(|pending|delivered|failed)$")] = "",
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DeliveryOut]:
    """The subscription's deliveries, newest first, with attempts and the last error."""
    if session.get(Subscription, subscription_id) is None:
        raise HTTPException(404, f"no subscription {subscription_id}")
    where = [Delivery.subscription_id == subscription_id]
    if status:
        where.append(Delivery.status == status)
    total = session.scalar(select(func.count(Delivery.id)).where(*where)) or 0
    rows = session.scalars(
        select(Delivery).where(*where).order_by(Delivery.id.desc()).limit(limit).offset(offset)
    ).all()
    items = [DeliveryOut.model_validate(r) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/v1/images/{image_id}/diffs")
def list_diffs(image_id: int, session: SessionDep, _: Reader) -> list[DiffOut]:
    """How the image's findings changed at each re-evaluation, newest first."""
    get_image(session, image_id)
    rows = session.scalars(
        select(ImageDiff).where(ImageDiff.image_id == image_id).order_by(ImageDiff.id.desc())
    ).all()
    return [DiffOut.model_validate(r) for r in rows]
