"""The web UI (Navigator): server-rendered pages over the service's stored analyses."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from sievert.service.ui.auth import Sessions
from sievert.service.ui.pages import LoginRequiredError, login_required, router

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the UI's pages, static files and session cookies to the application."""
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(LoginRequiredError, login_required)
    app.add_middleware(Sessions)
