"""API tokens (admin only): create (shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from sievert.service.deps import Admin, SessionDep
from sievert.service.models import ApiToken
from sievert.service.schemas import TokenCreate, TokenCreated, TokenOut
from sievert.service.security import make_token

router = APIRouter(prefix="/v1/tokens", tags=["tokens"])


@router.post("", status_code=201)
def create_token(body: TokenCreate, session: SessionDep, _: Admin) -> TokenCreated:
    """A new token; its text is in this answer only."""
    new = make_token()
    row = ApiToken(id=new.id, name=body.name, role=body.role, secret_hash=new.secret_hash)
    session.add(row)
    session.flush()
    return TokenCreated(**TokenOut.model_validate(row).model_dump(), token=new.text)


@router.get("")
def list_tokens(session: SessionDep, _: Admin) -> list[TokenOut]:
    """Every token's public facts."""
    rows = session.scalars(select(ApiToken).order_by(ApiToken.created_at)).all()
    return [TokenOut.model_validate(r) for r in rows]


@router.delete("/{token_id}", status_code=204)
def revoke_token(token_id: str, session: SessionDep, _: Admin) -> None:
    """Revoke a token at once."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise HTTPException(404, f"no token {token_id}")
    row.revoked = True
