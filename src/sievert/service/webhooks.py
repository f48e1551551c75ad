"""Subscriptions' webhooks: JSON bodies signed with HMAC-SHA256, retried with backoff, every
delivery stored (delivered, or failed after the last attempt: never lost silently)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import timedelta
from fnmatch import fnmatchcase
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from sievert.report.base import tool_version
from sievert.service.database import Database
from sievert.service.models import Delivery, Subscription, utcnow
from sievert.service.security import Cipher

log = logging.getLogger("sievert.service")
SIGNATURE_HEADER = "X-Sievert-Signature"
EVENTS = ("vuln_update", "policy_eval", "analysis")
"""vuln_update: a DB update changed an image's findings; policy_eval: its verdict changed;
analysis: an image was analysed."""


def sign(secret: str, body: bytes) -> str:
    """The signature header value: `sha256=` and the HMAC-SHA256 of the body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def notify(session: Session, event: str, reference: str, payload: dict[str, Any]) -> list[int]:
    """Store a delivery for every active subscription to this event matching the reference."""
    rows = session.scalars(
        select(Subscription).where(Subscription.event == event, Subscription.active.is_(True))
    ).all()
    made = []
    for sub in rows:
        if not fnmatchcase(reference, sub.pattern):
            continue
        delivery = Delivery(
            subscription_id=sub.id,
            event=event,
            payload={"event": event, "reference": reference, **payload},
            status="pending",
        )
        session.add(delivery)
        session.flush()
        made.append(delivery.id)
    return made


class Deliverer:
    """Sends one delivery attempt and records the outcome."""

    def __init__(self, db: Database, cipher: Cipher, max_attempts: int, backoff: float) -> None:
        self.db = db
        self.cipher = cipher
        self.max_attempts = max_attempts
        self.backoff = backoff

    def attempt(self, delivery_id: int) -> float | None:
        """Try once; the seconds to wait before the next try, or None when done (sent/failed)."""
        with self.db.session() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None or delivery.status != "pending":
                return None
            sub = session.get(Subscription, delivery.subscription_id)
            if sub is None:
                delivery.status = "failed"
                delivery.last_error = "the subscription was deleted"
                return None
            url, secret = sub.url, self.cipher.decrypt(sub.secret)
            body = json.dumps(
                {"delivery": delivery.id, **delivery.payload}, sort_keys=True
            ).encode()
        code, error = _post(url, body, secret, delivery_id, delivery.event)
        with self.db.session() as session:
            delivery = session.get(Delivery, delivery_id)
            if delivery is None:
                return None
            delivery.attempts += 1
            delivery.last_status = code
            delivery.last_error = error
            delivery.updated_at = utcnow()
            if 200 <= code < 300:
                delivery.status = "delivered"
                return None
            if delivery.attempts >= self.max_attempts:
                delivery.status = "failed"
                return None
            wait = float(self.backoff * 2.0 ** (delivery.attempts - 1))
            delivery.next_attempt_at = utcnow() + timedelta(seconds=wait)
            return wait


def _post(url: str, body: bytes, secret: str, delivery_id: int, event: str) -> tuple[int, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"sievert/{tool_version()}",
        "X-Sievert-Event": event,
        "X-Sievert-Delivery": str(delivery_id),
        SIGNATURE_HEADER: sign(secret, body),
    }
    try:
        answer = httpx.post(url, content=body, headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        return 0, f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= answer.status_code < 300:
        return answer.status_code, ""
    return answer.status_code, f"HTTP {answer.status_code}"
