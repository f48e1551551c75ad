"""One task interface, two engines: threads in the server (SQLite) or Procrastinate (PostgreSQL).

The server only ever calls `TaskEngine.enqueue_analysis`; which engine runs the job depends on
the database: SQLite keeps everything in one process, PostgreSQL hands jobs to `sievert worker`
processes on any number of machines through Procrastinate.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import psycopg
from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued
from sqlalchemy import select

from sievert.service.analysis import Analyser
from sievert.service.models import Image
from sievert.service.settings import Settings

log = logging.getLogger("sievert.service")
QUEUE = "sievert"
ANALYSE_TASK = "sievert.analyse"
RETRY_STALLED_TASK = "sievert.retry_stalled"


class TaskEngine(Protocol):
    """Where analyses run."""

    name: str

    def start(self) -> None:
        """Get ready to accept jobs (and resume work left over)."""

    def stop(self) -> None:
        """Stop accepting jobs and release resources."""

    def enqueue_analysis(self, image_id: int) -> None:
        """Have the image analysed (at most one queued job per image)."""


class InProcessEngine:
    """Analyses on a thread pool inside the server (embedded mode, SQLite)."""

    name = "in-process"

    def __init__(self, analyser: Analyser, workers: int) -> None:
        self._analyser = analyser
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None

    def start(self) -> None:
        """Start the threads and resume images left queued or analysing by a stopped server."""
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="sievert-analyse")
        with self._analyser.db.session() as session:
            pending = session.scalars(
                select(Image.id).where(Image.status.in_(("queued", "analysing"))).order_by(Image.id)
            ).all()
        for image_id in pending:
            self.enqueue_analysis(image_id)

    def stop(self) -> None:
        """Finish running analyses; queued ones resume at the next start."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def enqueue_analysis(self, image_id: int) -> None:
        """Submit the analysis to the pool."""
        if self._pool is None:
            raise RuntimeError("the in-process engine is not started")
        self._pool.submit(self._run, image_id)

    def _run(self, image_id: int) -> None:
        try:
            self._analyser.analyse(image_id)
        except Exception:
            log.exception("analysis of image %s failed", image_id)
            self._analyser.fail(image_id, "internal error while storing the analysis")


def procrastinate_app(settings: Settings, analyser: Analyser | None = None) -> App:
    """The Procrastinate app: the analysis task and the periodic retry of stalled jobs."""
    app = App(connector=PsycopgConnector(conninfo=settings.conninfo))

    @app.task(
        name=ANALYSE_TASK,
        queue=QUEUE,
        retry=RetryStrategy(max_attempts=5, wait=2, exponential_wait=2),
    )
    def analyse(image_id: int) -> str:
        if analyser is None:
            raise RuntimeError("this process only defers jobs")
        return analyser.analyse(image_id)

    @app.periodic(cron="* * * * * */2", periodic_id="retry-stalled")
    @app.task(
        name=RETRY_STALLED_TASK, queue=QUEUE, queueing_lock="retry-stalled", pass_context=True
    )
    async def retry_stalled(context: JobContext, timestamp: int) -> int:
        """Give jobs of workers that stopped sending heartbeats (killed, lost) to another."""
        manager = context.app.job_manager
        stalled = await manager.get_stalled_jobs(
            task_name=ANALYSE_TASK, seconds_since_heartbeat=settings.stalled_after
        )
        for job in stalled:
            log.warning("retrying job %s of a stalled worker", job.id)
            await manager.retry_job(job)
        return len(list(stalled))

    del analyse, retry_stalled
    return app


class ProcrastinateEngine:
    """Defers analyses as Procrastinate jobs run by `sievert worker` processes (PostgreSQL)."""

    name = "procrastinate"

    def __init__(self, settings: Settings) -> None:
        self._app = procrastinate_app(settings)
        self._conninfo = settings.conninfo

    def start(self) -> None:
        """Open the connection and make sure Procrastinate's schema exists."""
        apply_schema(self._app, self._conninfo)
        self._app.open()

    def stop(self) -> None:
        """Close the connection."""
        self._app.close()

    def enqueue_analysis(self, image_id: int) -> None:
        """Defer the analysis job; one queued job per image at most."""
        task = self._app.tasks[ANALYSE_TASK]
        try:
            task.configure(queueing_lock=f"image-{image_id}").defer(image_id=image_id)
        except AlreadyEnqueued:
            return


def apply_schema(app: App, conninfo: str) -> None:
    """Create Procrastinate's tables once, under a lock (several processes may start at once)."""
    with psycopg.connect(conninfo) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(7316002)")
        row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL").fetchone()
        if row is not None and not row[0]:
            conn.execute(app.schema_manager.get_schema())


def run_worker(settings: Settings, analyser: Analyser, concurrency: int) -> None:
    """Run a Procrastinate worker in this process until it is stopped (SIGINT/SIGTERM)."""
    app = procrastinate_app(settings, analyser)
    apply_schema(app, settings.conninfo)
    options: dict[str, Any] = {
        "queues": [QUEUE],
        "concurrency": concurrency,
        "update_heartbeat_interval": settings.heartbeat,
        "stalled_worker_timeout": settings.stalled_after,
        "name": "sievert-worker",
    }
    app.run_worker(**options)


def make_engine(settings: Settings, analyser: Analyser) -> TaskEngine:
    """The in-process engine for SQLite, Procrastinate's for PostgreSQL."""
    if settings.is_postgres:
        return ProcrastinateEngine(settings)
    return InProcessEngine(analyser, settings.workers)
