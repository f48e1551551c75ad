"""The API's routers, registered by `sievert.service.app.register`."""

from __future__ import annotations

from fastapi import APIRouter

from sievert.service.routes import (
    db,
    harbor,
    health,
    history,
    hosts,
    images,
    policies,
    queries,
    registries,
    remote,
    runtime,
    subscriptions,
    tagsubs,
    tokens,
)

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    history.router,
    remote.router,
    images.router,
    policies.router,
    queries.router,
    registries.router,
    subscriptions.router,
    tagsubs.router,
    db.router,
    tokens.router,
    harbor.router,
    runtime.router,
    hosts.router,
)
