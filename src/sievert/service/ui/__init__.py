"""The web UI (Navigator): server-rendered pages over the service's stored analyses."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sievert.service.ui.auth import Sessions, viewer_of
from sievert.service.ui.fleet import router as fleet_router
from sievert.service.ui.pages import LoginRequiredError, login_required, render, router

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Add the UI's pages, static files and session cookies to the application."""
    app.include_router(router)
    app.include_router(fleet_router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(LoginRequiredError, login_required)
    app.add_exception_handler(HTTPException, _error_page)
    app.add_middleware(Sessions)
    app.add_middleware(ServerTiming)


API_PREFIXES = ("/v1/", "/harbor/", "/docs", "/openapi", "/redoc", "/static/")


class ServerTiming:
    """A UI page's whole server time (session, sign-in check, queries, template) in its
    Server-Timing header as `total;dur=<ms>`: what the UI bench reports."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request up to the start of its response."""
        if scope["type"] != "http" or scope["path"].startswith(API_PREFIXES):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1000
                headers = list(message.get("headers", []))
                headers.append((b"server-timing", f"total;dur={took:.1f}".encode()))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed)


async def _error_page(request: Request, exc: Exception) -> Response:
    """UI pages answer errors with a page; the API keeps its JSON answers."""
    if not isinstance(exc, HTTPException):
        raise exc
    if request.url.path.startswith(API_PREFIXES) or "session" not in request.scope:
        return await http_exception_handler(request, exc)
    response = render(
        request,
        "error.html",
        viewer_of(request),
        exc.status_code,
        code=exc.status_code,
        detail=exc.detail,
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response
