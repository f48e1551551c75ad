"""One count-then-page query for the list routes."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

Row = TypeVar("Row")


def page_of(
    session: Session, statement: Select[Row], limit: int, offset: int
) -> tuple[int, list[Row]]:
    """How many rows `statement` selects in all, and the page of them at `offset` (its order)."""
    counted: Select[Any] = select(func.count()).select_from(statement.order_by(None).subquery())
    total = session.scalar(counted) or 0
    return total, list(session.scalars(statement.limit(limit).offset(offset)).all())
