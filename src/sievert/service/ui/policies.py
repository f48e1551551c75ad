"""Policy versions written from the UI: uploads and exceptions added to the newest version."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from sievert.errors import SievertError
from sievert.policy import parse_policy
from sievert.policy.document import PolicyException
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
    if "exceptions" not in document:  # appended as text: the author's comments stay
        block = yaml.safe_dump({"exceptions": [entry]}, sort_keys=False, allow_unicode=True)
        return store_policy(session, name, current.text.rstrip("\n") + "\n" + block)
    document["exceptions"] = [*(document["exceptions"] or []), entry]
    text = appended_to_list(current.text, "exceptions", entry, document)
    if text is None:  # a shape the text edit does not handle: written anew (comments lost)
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    return store_policy(session, name, text)


def appended_to_list(text: str, key: str, item: Any, expected: dict[str, Any]) -> str | None:
    """The YAML text with `item` added at the end of the top-level block list under `key`,
    everything else (comments, order, quoting) as written; None unless the edited text reads
    back exactly as `expected`."""
    lines = text.splitlines(keepends=True)
    head = re.compile(rf"^{re.escape(key)}:\s*(#.*)?$")
    start = next((n for n, line in enumerate(lines) if head.match(line.rstrip("\n"))), None)
    if start is None:
        return None
    last, indent = start, None
    for n in range(start + 1, len(lines)):
        stripped = lines[n].strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not lines[n][0].isspace() and not lines[n].startswith("- "):
            break
        last = n
        if indent is None and stripped.startswith("- "):
            indent = lines[n][: len(lines[n]) - len(lines[n].lstrip())]
    rendered = yaml.safe_dump([item], sort_keys=False, allow_unicode=True)
    pad = "  " if indent is None else indent
    block = "".join(pad + line for line in rendered.splitlines(keepends=True))
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    edited = "".join([*lines[: last + 1], block, *lines[last + 1 :]])
    try:
        if yaml.safe_load(edited) != expected:
            return None
    except yaml.YAMLError:
        return None
    return edited


def _exception_entry(fields: dict[str, str], today: dt.date) -> dict[str, Any]:
    entry: dict[str, Any] = {k: v.strip() for k, v in fields.items() if v and v.strip()}
    for needed in ("owner", "reason", "expires"):
        if needed not in entry:
            raise PolicyInputError(f"an exception needs its {needed}")
    if not any(k in entry for k in ("vulnerability", "package", "rule", "secret_path", "image")):
        raise PolicyInputError(
            "an exception names a vulnerability, package, rule, secret path or image"
        )
    try:
        expires = dt.date.fromisoformat(entry["expires"])
    except ValueError:
        raise PolicyInputError("the expiry is a date, YYYY-MM-DD") from None
    if expires < today:
        raise PolicyInputError("the expiry date is in the past")
    entry["expires"] = expires
    return entry


class ExceptionView(msgspec.Struct, frozen=True):
    """An exception of a stored policy, as the UI lists it."""

    policy: str
    version: int
    scope: str
    """'file-wide' or the id of the policy it belongs to."""
    exception: PolicyException
    state: str
    """'active', 'expired' or 'expires soon' (within 14 days)."""

    @property
    def selectors(self) -> list[tuple[str, str]]:
        """What it covers: (selector, value) pairs."""
        exc = self.exception
        pairs = [
            ("vulnerability", exc.vulnerability),
            ("package", exc.package),
            ("rule", exc.rule),
            ("secret path", exc.secret_path),
            ("image", exc.image.text if exc.image else ""),
        ]
        return [(k, v) for k, v in pairs if v]


def exceptions_of(rows: list[Policy], today: dt.date | None = None) -> list[ExceptionView]:
    """Every exception of these policy versions (a version that no longer parses has none)."""
    now = today or dt.datetime.now(dt.UTC).date()
    found: list[ExceptionView] = []
    for row in rows:
        try:
            document = parse_policy(row.text, f"{row.name} v{row.version}")
        except SievertError:
            continue
        scoped = [("file-wide", e) for e in document.exceptions]
        scoped += [(p.id, e) for p in document.policies for e in p.exceptions]
        found += [
            ExceptionView(row.name, row.version, scope, exc, _state(exc, now))
            for scope, exc in scoped
        ]
    return found


def _state(exc: PolicyException, today: dt.date) -> str:
    if exc.expired(today):
        return "expired"
    if exc.expires is not None and (exc.expires - today).days <= 14:
        return "expires soon"
    return "active"
