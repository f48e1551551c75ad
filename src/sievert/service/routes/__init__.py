"""The API's routers, registered by `sievert.service.app.register`."""

from __future__ import annotations

from fastapi import APIRouter

from sievert.service.routes import health, images, registries, tokens

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    images.router,
    registries.router,
    tokens.router,
)
