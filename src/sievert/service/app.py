"""The FastAPI application: services built once, every router and middleware registered here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from sievert.errors import SievertError
from sievert.report.base import tool_version
from sievert.service.analysis import Analyser
from sievert.service.database import Database
from sievert.service.deps import Services
from sievert.service.routes import ROUTERS
from sievert.service.security import VerifiedTokens, load_cipher
from sievert.service.settings import Settings
from sievert.service.tasks import TaskEngine, make_engine
from sievert.service.ui import install as install_ui


def build_services(settings: Settings, tasks: TaskEngine | None = None) -> Services:
    """Database (migrated), cipher, analyser and task engine for these settings."""
    db = Database(settings)
    db.migrate()
    cipher = load_cipher(settings)
    analyser = Analyser(db, settings, cipher)
    install_hooks(analyser)
    engine = tasks or make_engine(settings, analyser)
    return Services(settings, db, cipher, analyser, engine, VerifiedTokens())


def install_hooks(analyser: Analyser) -> None:
    """Steps run in the transaction that stores each analysis: the attached policy's
    evaluation, then the findings snapshots (the image's and the fleet's)."""
    from sievert.service import history
    from sievert.service.certify import certify_after_analysis

    analyser.after_analysis.append(certify_after_analysis)
    analyser.after_analysis.append(history.after_analysis)


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The application; the lifespan migrates the database and starts the task engine."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        built = services or build_services(settings)
        app.state.services = built
        to_thread.current_default_thread_limiter().total_tokens = settings.api_threads
        built.tasks.start()
        try:
            yield
        finally:
            built.tasks.stop()
            built.db.dispose()

    app = FastAPI(
        title="Sievert",
        version=tool_version(),
        summary="Container images analysed once, stored, judged against policy and queried.",
        lifespan=lifespan,
    )
    register(app)
    return app


def register(app: FastAPI) -> None:
    """Every router and middleware of the service, in one place (a UI adds its own here)."""
    for router in ROUTERS:
        app.include_router(router)
    app.add_exception_handler(SievertError, _sievert_error)
    install_ui(app)


async def _sievert_error(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)
