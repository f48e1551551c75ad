"""Tag subscriptions: watched repositories and tags, polled for the digests their tags point at.

A new digest for a watched tag (or a new tag in a watched repository) becomes an image pinned
to that digest (`repo:tag@sha256:...`) and is analysed; a digest the service already stores is
linked, never analysed twice. Registry credentials come from the stored registry entries.
The registry is asked outside any transaction; each subscription's outcome is stored in one.
"""

from __future__ import annotations

import logging

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sievert.errors import SievertError
from sievert.model.reference import parse_reference
from sievert.service.analysis import stored_credentials
from sievert.service.database import Database
from sievert.service.models import Image, TagSubscription, WatchedTag, utcnow
from sievert.service.security import Cipher
from sievert.service.settings import Settings
from sievert.service.webhooks import notify
from sievert.source.base import SourceOptions
from sievert.source.registry import list_tags, manifest_digest
from sievert.terminal import one_line

log = logging.getLogger("sievert.service")
MAX_TAGS = 500
"""Tags of one watched repository followed per poll (the first ones the registry lists)."""


class PollOutcome(msgspec.Struct):
    """What one poll did: images to analyse and webhook deliveries to send."""

    subscriptions: int = 0
    images: list[int] = msgspec.field(default_factory=list)
    deliveries: list[int] = msgspec.field(default_factory=list)
    errors: int = 0


class _Seen(msgspec.Struct, frozen=True):
    """What the registry said about one subscription."""

    digests: dict[str, str]
    errors: list[str]


def poll_all(database: Database, settings: Settings, cipher: Cipher) -> PollOutcome:
    """Poll every subscription once."""
    outcome = PollOutcome()
    with database.session() as session:
        ids = session.scalars(select(TagSubscription.id).order_by(TagSubscription.id)).all()
    for subscription_id in ids:
        outcome.subscriptions += 1
        try:
            poll_one(database, settings, cipher, subscription_id, outcome)
        except Exception:
            outcome.errors += 1
            log.exception("polling tag subscription %s failed", subscription_id)
    return outcome


def poll_one(
    database: Database,
    settings: Settings,
    cipher: Cipher,
    subscription_id: int,
    outcome: PollOutcome,
) -> None:
    """Ask the registry about one subscription and record new digests."""
    with database.session() as session:
        sub = session.get(TagSubscription, subscription_id)
        if sub is None:
            return
        repository, tag = sub.repository, sub.tag
        host = parse_reference(repository).domain
        user, password, insecure = stored_credentials(session, cipher, settings, host)
    options = SourceOptions(insecure_registry=insecure, username=user, password=password)
    seen = _ask(repository, tag, options)
    if seen.errors:
        outcome.errors += 1
    with database.session() as session:
        sub = session.get(TagSubscription, subscription_id)
        if sub is None:
            return
        _record(session, sub, seen.digests, outcome)
        sub.last_polled_at = utcnow()
        sub.last_error = "; ".join(seen.errors)[:2000]


def _ask(repository: str, tag: str, options: SourceOptions) -> _Seen:
    errors: list[str] = []
    if tag:
        tags = [tag]
    else:
        try:
            tags = list_tags(repository, options)
        except SievertError as exc:
            return _Seen({}, [one_line(str(exc))])
        if len(tags) > MAX_TAGS:
            errors.append(f"{len(tags)} tags: only the first {MAX_TAGS} are watched")
            tags = tags[:MAX_TAGS]
    digests = {}
    for name in tags:
        try:
            digests[name] = manifest_digest(f"{repository}:{name}", options)
        except SievertError as exc:
            errors.append(one_line(str(exc)))
    return _Seen(digests, errors)


def _record(
    session: Session, sub: TagSubscription, digests: dict[str, str], out: PollOutcome
) -> None:
    known = {
        w.tag: w
        for w in session.scalars(select(WatchedTag).where(WatchedTag.subscription_id == sub.id))
    }
    for tag, digest in sorted(digests.items()):
        row = known.get(tag)
        if row is not None and row.digest == digest:
            continue
        image_id, fresh = _image_for(session, sub, tag, digest)
        if fresh:
            out.images.append(image_id)
        if row is None:
            session.add(
                WatchedTag(subscription_id=sub.id, tag=tag, digest=digest, image_id=image_id)
            )
        else:
            row.digest, row.image_id, row.changed_at = digest, image_id, utcnow()
        reference = f"{sub.repository}:{tag}"
        payload = {"tag": tag, "digest": digest, "image_id": image_id, "analysed_before": not fresh}
        out.deliveries += notify(session, "tag_update", reference, payload)


def _image_for(session: Session, sub: TagSubscription, tag: str, digest: str) -> tuple[int, bool]:
    """The stored image with this digest (id, False), else a new queued one (id, True)."""
    existing = session.scalar(
        select(Image.id)
        .where(Image.status != "failed", Image.platform == sub.platform)
        .where(
            or_(
                Image.manifest_digest == digest,
                Image.reference.endswith(f"@{digest}", autoescape=True),
            )
        )
        .order_by(Image.id)
        .limit(1)
    )
    if existing is not None:
        return existing, False
    image = Image(
        reference=f"{sub.repository}:{tag}@{digest}", source="registry", platform=sub.platform
    )
    session.add(image)
    session.flush()
    return image.id, True
