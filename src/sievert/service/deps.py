"""Typed dependencies of the routes: the services, a database session, the caller's role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, TypeVar

import anyio.to_thread
import msgspec
from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Row, bindparam, select
from sqlalchemy.orm import Session

from sievert.service.analysis import Analyser
from sievert.service.database import Database
from sievert.service.harbor import ReportCache
from sievert.service.models import ApiToken
from sievert.service.security import Cipher, VerifiedTokens, role_allows, token_id
from sievert.service.settings import Settings
from sievert.service.tasks import TaskEngine


class Services(msgspec.Struct):
    """What the application holds for its whole life."""

    settings: Settings
    db: Database
    cipher: Cipher
    analyser: Analyser
    tasks: TaskEngine
    tokens: VerifiedTokens
    remote: UploadCounters = msgspec.field(default_factory=lambda: UploadCounters())
    harbor_reports: ReportCache = msgspec.field(default_factory=lambda: ReportCache())


class UploadCounters(msgspec.Struct):
    """Layer analysis uploads (`sievert scan --server`) since this process started."""

    uploads_received: int = 0
    uploads_stored: int = 0
    uploads_rejected: int = 0


class Principal(msgspec.Struct, frozen=True):
    """The caller: token id and role."""

    token_id: str
    role: str


async def read_bounded(request: Request, limit: int) -> bytes:
    """The whole request body; 413 as soon as it exceeds `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > limit:
        raise HTTPException(413, f"the body is larger than the {limit}-byte limit")
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > limit:
            raise HTTPException(413, f"the body is larger than the {limit}-byte limit")
    return bytes(data)


async def get_services(request: Request) -> Services:
    """The application's services (async: no thread hop for a dictionary look-up)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_session(services: ServicesDep) -> Iterator[Session]:
    """A session committed when the route returns."""
    with services.db.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
"""Committed when the route function returns, before the answer is sent (read your writes)."""
T = TypeVar("T")


async def read(services: Services, work: Callable[[Session], T]) -> T:
    """Run a read-only unit of work in a session of its own: on the event loop when the
    database makes reads cheap (SQLite in WAL mode, `Database.inline_reads`), else in a worker
    thread. A read route then costs no thread hop, a good share of its time on a busy server."""
    if services.db.inline_reads:
        return services.db.read(work)
    return await anyio.to_thread.run_sync(services.db.read, work)


_bearer = HTTPBearer(auto_error=False, description="An API token: sievert server token create")


async def authenticate(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller from the bearer token; 401 when absent or unknown."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "a bearer API token is required", {"WWW-Authenticate": "Bearer"})
    text = credentials.credentials
    tid = token_id(text)
    # Read on every request (a revocation holds at once), as one plain row.
    row = await read(services, lambda session: _token_row(session, tid)) if tid else None
    if row is None or row.revoked or not await _verified(services, text, row.secret_hash):
        raise HTTPException(401, "the API token is not valid", {"WWW-Authenticate": "Bearer"})
    return Principal(row.id, row.role)


def _token_row(session: Session, tid: str) -> Row[str, str, bool, str] | None:
    return session.connection().execute(_TOKEN_ROW, {"tid": tid}).first()


async def _verified(services: Services, text: str, secret_hash: str) -> bool:
    """Whether the token matches its hash: argon2 (slow by design) runs in a worker thread,
    once per token; later requests are answered from the verified tokens."""
    if services.tokens.known(text, secret_hash):
        return True
    return await anyio.to_thread.run_sync(services.tokens.verify, text, secret_hash)


_TOKEN_ROW = select(ApiToken.id, ApiToken.role, ApiToken.revoked, ApiToken.secret_hash).where(
    ApiToken.id == bindparam("tid")
)
"""Built once: its compiled form is cached under a key computed once, not per request."""


def require(role: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency letting through callers with at least this role (403 otherwise)."""

    async def check(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if not role_allows(principal.role, role):
            raise HTTPException(403, f"this needs the {role} role (the token is {principal.role})")
        return principal

    return check


Reader = Annotated[Principal, Depends(require("read-only"))]
Analyst = Annotated[Principal, Depends(require("analyst"))]
Admin = Annotated[Principal, Depends(require("admin"))]
