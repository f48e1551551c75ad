"""Tag subscriptions: watched repositories and tags whose new digests are analysed."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import select
from sqlalchemy.orm import Session

from sievert.errors import SievertError
from sievert.model import Platform
from sievert.model.reference import parse_reference
from sievert.service.deps import Analyst, Reader, ServicesDep, SessionDep
from sievert.service.models import TagSubscription, WatchedTag
from sievert.service.schemas import TagSubscriptionIn, TagSubscriptionOut, WatchedTagOut

router = APIRouter(prefix="/v1/tag-subscriptions", tags=["tag subscriptions"])


def _out(session: Session, row: TagSubscription) -> TagSubscriptionOut:
    out = TagSubscriptionOut.model_validate(row)
    tags = session.scalars(
        select(WatchedTag).where(WatchedTag.subscription_id == row.id).order_by(WatchedTag.tag)
    ).all()
    out.tags = [WatchedTagOut.model_validate(t) for t in tags]
    return out


def parse_watch(text: str) -> tuple[str, str]:
    """(repository, tag or '') of `host/repo` or `host/repo:tag`; 422 for a digest or junk."""
    raw = text.strip()
    try:
        ref = parse_reference(raw)
    except (SievertError, ValueError) as exc:
        raise HTTPException(422, f"{text!r} is not a repository or tag ({exc})") from exc
    if ref.digest:
        raise HTTPException(422, f"{text!r}: a subscription watches a tag, not a digest")
    explicit = ":" in raw.rsplit("/", 1)[-1]
    return ref.name, ref.tag if explicit else ""


@router.post("", status_code=201)
def subscribe_tags(
    body: TagSubscriptionIn, session: SessionDep, services: ServicesDep, _: Analyst
) -> TagSubscriptionOut:
    """Watch a repository (every tag) or one tag; polled at once, then periodically."""
    repository, tag = parse_watch(body.reference)
    try:
        Platform.parse(body.platform)
    except ValueError as exc:
        raise HTTPException(422, f"platform {body.platform!r}: {exc}") from exc
    row = session.scalar(
        select(TagSubscription).where(
            TagSubscription.repository == repository,
            TagSubscription.tag == tag,
            TagSubscription.platform == body.platform,
        )
    )
    if row is None:
        row = TagSubscription(repository=repository, tag=tag, platform=body.platform)
        session.add(row)
    session.flush()
    out = _out(session, row)
    session.commit()
    services.tasks.enqueue_poll()
    return out


@router.get("")
def list_tag_subscriptions(session: SessionDep, _: Reader) -> list[TagSubscriptionOut]:
    """Every tag subscription with the tags it follows."""
    rows = session.scalars(select(TagSubscription).order_by(TagSubscription.id)).all()
    return [_out(session, r) for r in rows]


@router.post("/poll", status_code=202)
def poll_now(services: ServicesDep, _: Analyst) -> dict[str, str]:
    """Poll every subscription now (one poll queued at most)."""
    services.tasks.enqueue_poll()
    return {"status": "queued"}


@router.get("/{subscription_id}")
def get_tag_subscription(
    subscription_id: int, session: SessionDep, _: Reader
) -> TagSubscriptionOut:
    """One tag subscription."""
    row = session.get(TagSubscription, subscription_id)
    if row is None:
        raise HTTPException(404, f"no tag subscription {subscription_id}")
    return _out(session, row)


@router.delete("/{subscription_id}", status_code=204)
def unsubscribe_tags(subscription_id: int, session: SessionDep, _: Analyst) -> None:
    """Stop watching (the images already added stay)."""
    row = session.get(TagSubscription, subscription_id)
    if row is None:
        raise HTTPException(404, f"no tag subscription {subscription_id}")
    session.delete(row)
