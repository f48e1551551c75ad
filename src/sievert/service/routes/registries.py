"""Registry credentials (admin only): stored encrypted, never returned."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from sqlalchemy import select

from sievert.service.deps import Admin, Reader, ServicesDep, SessionDep
from sievert.service.models import Registry
from sievert.service.schemas import RegistryIn, RegistryOut

router = APIRouter(prefix="/v1/registries", tags=["registries"])


def _out(row: Registry) -> RegistryOut:
    return RegistryOut(
        id=row.id,
        host=row.host,
        username=row.username,
        insecure=row.insecure,
        has_password=bool(row.secret),
        created_at=row.created_at,
    )


@router.put("", status_code=200)
def put_registry(
    body: RegistryIn, session: SessionDep, services: ServicesDep, _: Admin
) -> RegistryOut:
    """Add or replace the credentials of a registry host."""
    row = session.scalar(select(Registry).where(Registry.host == body.host))
    if row is None:
        row = Registry(host=body.host)
        session.add(row)
    row.username = body.username
    row.secret = services.cipher.encrypt(body.password)
    row.insecure = body.insecure
    session.flush()
    return _out(row)


@router.get("")
def list_registries(session: SessionDep, _: Reader) -> list[RegistryOut]:
    """Every registry entry, without secrets."""
    return [_out(r) for r in session.scalars(select(Registry).order_by(Registry.host)).all()]


@router.delete("/{registry_id}", status_code=204)
def delete_registry(registry_id: int, session: SessionDep, _: Admin) -> None:
    """Forget a registry's credentials."""
    row = session.get(Registry, registry_id)
    if row is None:
        raise HTTPException(404, f"no registry {registry_id}")
    session.delete(row)
