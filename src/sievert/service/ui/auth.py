"""Sign-in for the web UI: API tokens or passwords, signed session cookies, CSRF, roles."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

import msgspec
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from fastapi import HTTPException, Request
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from sievert.service.deps import Services
from sievert.service.models import ApiToken, UiUser
from sievert.service.security import role_allows, token_id

SESSION_COOKIE = "sievert_ui"
SESSION_AGE = 8 * 3600
"""Seconds a sign-in lasts."""
_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("sievert: no such user")


class Viewer(msgspec.Struct, frozen=True):
    """The signed-in person: how they signed in, their name and role."""

    subject: str
    """'token:<id>' or 'user:<name>'."""
    name: str
    role: str

    def can(self, role: str) -> bool:
        """Whether the viewer has at least this role."""
        return role_allows(self.role, role)


def hash_password(password: str) -> str:
    """The argon2 hash stored for a password."""
    return _HASHER.hash(password)


def check_token(services: Services, text: str) -> Viewer | None:
    """The viewer for a valid, unrevoked API token."""
    tid = token_id(text.strip())
    if not tid:
        return None
    with services.db.session() as session:
        row = session.get(ApiToken, tid)
    if row is None or row.revoked or not services.tokens.verify(text.strip(), row.secret_hash):
        return None
    return Viewer(f"token:{row.id}", row.name or f"token {row.id}", row.role)


def check_password(services: Services, username: str, password: str) -> Viewer | None:
    """The viewer for a right username and password (argon2 runs either way)."""
    with services.db.session() as session:
        row = session.get(UiUser, username)
    try:
        _HASHER.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return Viewer(f"user:{row.username}", row.username, row.role) if row else None


def current_role(services: Services, subject: str) -> str:
    """The subject's role now ("" when the token was revoked or the user removed)."""
    kind, _, key = subject.partition(":")
    with services.db.session() as session:
        if kind == "token":
            token = session.get(ApiToken, key)
            return "" if token is None or token.revoked else token.role
        if kind == "user":
            user = session.get(UiUser, key)
            return "" if user is None else user.role
    return ""


def sign_in(request: Request, viewer: Viewer) -> None:
    """Start a fresh session for the viewer (a new CSRF token too)."""
    request.session.clear()
    request.session.update(
        {"sub": viewer.subject, "name": viewer.name, "csrf": secrets.token_urlsafe(32)}
    )


def viewer_of(request: Request) -> Viewer | None:
    """The signed-in viewer of this request, checked against the database."""
    subject = request.session.get("sub", "")
    if not isinstance(subject, str) or not subject:
        return None
    services: Services = request.app.state.services
    role = current_role(services, subject)
    if not role:
        request.session.clear()
        return None
    return Viewer(subject, str(request.session.get("name", "")), role)


def csrf_token(request: Request) -> str:
    """The session's CSRF token (made on first use)."""
    token = request.session.get("csrf")
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, sent: Any) -> None:
    """403 unless the form's csrf_token equals the session's."""
    expected = request.session.get("csrf")
    if not (isinstance(sent, str) and isinstance(expected, str) and expected):
        raise HTTPException(403, "the form's CSRF token is missing: reload the page")
    if not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "the form's CSRF token does not match: reload the page")


def session_secret(services: Services) -> str:
    """A key for signing session cookies, derived (HMAC) from the service's secret key."""
    settings = services.settings
    key = settings.secret_key.encode()
    if not key:
        key = (settings.storage_dir / "secret.key").read_bytes().strip()
    return hmac.new(key, b"sievert web UI sessions", hashlib.sha256).hexdigest()


class Sessions:
    """Starlette's signed-cookie sessions, the cookie marked Secure on https requests.

    The key comes from the services, which exist once the application has started.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._plain: SessionMiddleware | None = None
        self._secure: SessionMiddleware | None = None

    def _build(self, services: Services) -> tuple[SessionMiddleware, SessionMiddleware]:
        secret = session_secret(services)
        common: dict[str, Any] = {
            "secret_key": secret,
            "session_cookie": SESSION_COOKIE,
            "max_age": SESSION_AGE,
            "same_site": "strict",
        }
        return (
            SessionMiddleware(self.app, https_only=False, **common),
            SessionMiddleware(self.app, https_only=True, **common),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through with a session on http requests."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._plain is None or self._secure is None:
            self._plain, self._secure = self._build(scope["app"].state.services)
        chosen = self._secure if scope.get("scheme") == "https" else self._plain
        await chosen(scope, receive, send)
