"""Policy versions written from the UI: uploads and exceptions added to the newest version."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from sievert.errors import SievertError
from sievert.service import certify
from sievert.service.models import Policy

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
MAX_POLICY = 256 * 1024
"""Largest policy text accepted from the UI (bytes)."""


class PolicyInputError(SievertError):
    """A policy upload or exception the UI refuses, with the reason for the form."""


def store_policy(session: Session, name: str, text: str) -> Policy:
    """Check the text as a policy and store it as the next version of `name` (if it changed).

    The same store as the API's `PUT /v1/policies/{name}`."""
    if not NAME.match(name):
        raise PolicyInputError(
            "a policy name is letters, digits, '.', '_' or '-' (up to 200 characters)"
        )
    if len(text.encode()) > MAX_POLICY:
        raise PolicyInputError(f"the policy is larger than {MAX_POLICY // 1024} KiB")
    try:
        row, _created = certify.store_policy(session, name, text)
    except SievertError as exc:
        raise PolicyInputError(str(exc)) from exc
    return row


def add_exception(
    session: Session, name: str, fields: dict[str, str], today: dt.date | None = None
) -> Policy:
    """A new version of the policy with one more file-wide exception."""
    current = session.scalar(
        select(Policy).where(Policy.name == name).order_by(Policy.version.desc())
    )
    if current is None:
        raise PolicyInputError(f"no policy named {name!r}")
    entry = _exception_entry(fields, today or dt.datetime.now(dt.UTC).date())
    try:
        document: Any = yaml.safe_load(current.text)
    except yaml.YAMLError as exc:
        raise PolicyInputError(f"policy {name!r} cannot be edited: {exc}") from exc
    if not isinstance(document, dict):
        raise PolicyInputError(f"policy {name!r} is not a mapping")
    existing = document.get("exceptions") or []
    document["exceptions"] = [*existing, entry]
    text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return store_policy(session, name, text)


def _exception_entry(fields: dict[str, str], today: dt.date) -> dict[str, str]:
    entry = {k: v.strip() for k, v in fields.items() if v and v.strip()}
    for needed in ("owner", "reason", "expires"):
        if needed not in entry:
            raise PolicyInputError(f"an exception needs its {needed}")
    if not any(k in entry for k in ("vulnerability", "package", "rule", "secret_path")):
        raise PolicyInputError("an exception names a vulnerability, package, rule or secret path")
    try:
        expires = dt.date.fromisoformat(entry["expires"])
    except ValueError:
        raise PolicyInputError("the expiry is a date, YYYY-MM-DD") from None
    if expires < today:
        raise PolicyInputError("the expiry date is in the past")
    return entry
