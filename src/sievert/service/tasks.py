"""One task interface, two engines: threads in the server (SQLite) or Procrastinate (PostgreSQL).

The server only ever calls the `TaskEngine` methods; which engine runs the job depends on the
database: SQLite keeps everything in one process, PostgreSQL hands jobs to `sievert worker`
processes on any number of machines through Procrastinate. The jobs: analyse an image,
re-evaluate the stored images after a DB update, deliver a webhook (retried with backoff),
update the vulnerability DB, poll the subscribed tags (also periodically).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

import psycopg
from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.types import TimeDeltaParams
from sqlalchemy import select

from sievert.service.analysis import Analyser
from sievert.service.dbupdate import PENDING, run_update
from sievert.service.models import DbUpdate, Delivery, Image
from sievert.service.reevaluate import needs_reevaluation, reevaluate_all
from sievert.service.settings import Settings
from sievert.service.watch import poll_all
from sievert.service.webhooks import Deliverer

log = logging.getLogger("sievert.service")
QUEUE = "sievert"
ANALYSE_TASK = "sievert.analyse"
REEVALUATE_TASK = "sievert.reevaluate"
DELIVER_TASK = "sievert.deliver"
RETRY_STALLED_TASK = "sievert.retry_stalled"
WATCH_DB_TASK = "sievert.watch_db"
DB_UPDATE_TASK = "sievert.db_update"
POLL_TASK = "sievert.poll_tags"


class TaskEngine(Protocol):
    """Where the service's jobs run."""

    name: str

    def start(self) -> None:
        """Get ready to accept jobs (and resume work left over)."""

    def stop(self) -> None:
        """Stop accepting jobs and release resources."""

    def enqueue_analysis(self, image_id: int) -> None:
        """Have the image analysed (at most one queued job per image)."""

    def enqueue_reevaluation(self) -> None:
        """Have every stored image matched again with the current DB (one job at a time)."""

    def enqueue_delivery(self, delivery_id: int, delay: float = 0.0) -> None:
        """Have a webhook delivery attempted after `delay` seconds."""

    def enqueue_db_update(self, update_id: int) -> None:
        """Have the requested vulnerability DB update run (one at a time), then re-evaluate."""

    def enqueue_poll(self) -> None:
        """Have every tag subscription polled now (one poll queued at most)."""


def deliverer(analyser: Analyser) -> Deliverer:
    """The webhook deliverer for an analyser's database and settings."""
    settings = analyser.settings
    return Deliverer(
        analyser.db, analyser.cipher, settings.webhook_attempts, settings.webhook_backoff
    )


class InProcessEngine:
    """Jobs on a thread pool inside the server (embedded mode, SQLite)."""

    name = "in-process"

    def __init__(self, analyser: Analyser, workers: int) -> None:
        self._analyser = analyser
        self._workers = workers
        self._pool: ThreadPoolExecutor | None = None
        self._side: ThreadPoolExecutor | None = None
        self._deliverer = deliverer(analyser)
        self._stopping = threading.Event()
        self._reevaluating = threading.Lock()
        self._reevaluate_again = threading.Event()
        self._timers: set[threading.Timer] = set()
        self._watcher: threading.Thread | None = None
        self._updates: ThreadPoolExecutor | None = None
        self._polls: ThreadPoolExecutor | None = None
        self._poll_queued = threading.Event()
        self._poller: threading.Thread | None = None

    def start(self) -> None:
        """Start the threads; resume images left queued or analysing, pending deliveries and
        DB updates."""
        self._stopping.clear()
        self._poll_queued.clear()  # a poll cancelled by the last stop is not waiting any more
        self._pool = ThreadPoolExecutor(self._workers, thread_name_prefix="sievert-analyse")
        self._side = ThreadPoolExecutor(2, thread_name_prefix="sievert-jobs")
        self._updates = ThreadPoolExecutor(1, thread_name_prefix="sievert-db-update")
        self._polls = ThreadPoolExecutor(1, thread_name_prefix="sievert-poll")
        with self._analyser.db.session() as session:
            pending = session.scalars(
                select(Image.id).where(Image.status.in_(("queued", "analysing"))).order_by(Image.id)
            ).all()
            deliveries = session.scalars(
                select(Delivery.id).where(Delivery.status == "pending").order_by(Delivery.id)
            ).all()
            updates = session.scalars(
                select(DbUpdate.id).where(DbUpdate.status.in_(PENDING)).order_by(DbUpdate.id)
            ).all()
        for image_id in pending:
            self.enqueue_analysis(image_id)
        for delivery_id in deliveries:
            self.enqueue_delivery(delivery_id)
        for update_id in updates:  # interrupted by a stop or a crash: the old DB is in place
            self.enqueue_db_update(update_id)
        period = self._analyser.settings.db_check
        if period > 0:
            self._watcher = threading.Thread(
                target=self._watch, args=(period,), name="sievert-db-watch", daemon=True
            )
            self._watcher.start()
        interval = self._analyser.settings.poll_interval
        if interval > 0:
            self._poller = threading.Thread(
                target=self._poll_every, args=(interval,), name="sievert-poll-timer", daemon=True
            )
            self._poller.start()

    def stop(self) -> None:
        """Finish running jobs; queued ones resume at the next start."""
        self._stopping.set()
        for timer in list(self._timers):
            timer.cancel()
        for pool in (self._pool, self._side, self._polls):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        if self._updates is not None:
            # A running update finishes on its own (the new DB is swapped in whole); a crash
            # before that leaves it 'running', resumed at the next start.
            self._updates.shutdown(wait=False, cancel_futures=True)
        self._pool = self._side = self._polls = self._updates = None
        for thread in (self._watcher, self._poller):
            if thread is not None:
                thread.join(10)

    def enqueue_analysis(self, image_id: int) -> None:
        """Submit the analysis to the pool."""
        if self._pool is None:
            raise RuntimeError("the in-process engine is not started")
        self._pool.submit(self._analyse, image_id)

    def enqueue_reevaluation(self) -> None:
        """Submit a re-evaluation (one runs at a time; asked for while one runs, one more pass
        follows it: the running one may have opened the DB an update just replaced)."""
        if self._side is not None:
            # Asked for now, in the caller's thread: a pass that ends before the submitted job
            # starts still sees the request and runs once more; the job then finds it done.
            self._reevaluate_again.set()
            self._side.submit(self._reevaluate)

    def enqueue_delivery(self, delivery_id: int, delay: float = 0.0) -> None:
        """Submit a delivery attempt now or after `delay` seconds."""
        if delay <= 0:
            if self._side is not None and not self._stopping.is_set():
                self._side.submit(self._deliver, delivery_id)
            return
        timer = threading.Timer(delay, self.enqueue_delivery, args=(delivery_id,))
        timer.daemon = True
        self._timers.add(timer)
        timer.start()

    def enqueue_db_update(self, update_id: int) -> None:
        """Submit the update to its own single thread (updates run one after the other)."""
        if self._updates is not None and not self._stopping.is_set():
            self._updates.submit(self._db_update, update_id)

    def enqueue_poll(self) -> None:
        """Submit a poll of the tag subscriptions unless one is already waiting."""
        if self._polls is None or self._stopping.is_set() or self._poll_queued.is_set():
            return
        self._poll_queued.set()
        self._polls.submit(self._poll)

    def _analyse(self, image_id: int) -> None:
        try:
            self._analyser.analyse(image_id)
        except Exception:
            log.exception("analysis of image %s failed", image_id)
            self._analyser.fail(image_id, "internal error while storing the analysis")

    def _reevaluate(self) -> None:
        # The flag (set by `enqueue_reevaluation`) is read after the lock is released, so a
        # request made while a pass runs is never lost: either that pass's thread sees it, or
        # this one takes the lock itself; requests made during one pass give one more pass.
        while self._reevaluate_again.is_set() and not self._stopping.is_set():
            if not self._reevaluating.acquire(blocking=False):
                return  # the running pass runs once more when it ends
            try:
                self._reevaluate_again.clear()
                self._reevaluate_once()
            finally:
                self._reevaluating.release()

    def _reevaluate_once(self) -> None:
        try:
            outcome = reevaluate_all(self._analyser.db, self._analyser.settings)
        except Exception:
            log.exception("re-evaluation failed")
            return
        for delivery_id in outcome.deliveries or []:
            self.enqueue_delivery(delivery_id)

    def _deliver(self, delivery_id: int) -> None:
        try:
            wait = self._deliverer.attempt(delivery_id)
        except Exception:
            log.exception("webhook delivery %s failed", delivery_id)
            return
        if wait is not None:
            self.enqueue_delivery(delivery_id, wait)

    def _db_update(self, update_id: int) -> None:
        try:
            replaced = run_update(self._analyser.db, self._analyser.settings, update_id)
        except Exception:
            log.exception("vulnerability DB update %s failed", update_id)
            return
        if replaced:
            self.enqueue_reevaluation()

    def _poll(self) -> None:
        self._poll_queued.clear()
        try:
            outcome = poll_all(self._analyser.db, self._analyser.settings, self._analyser.cipher)
        except Exception:
            log.exception("polling the tag subscriptions failed")
            return
        for image_id in outcome.images:
            if self._pool is not None and not self._stopping.is_set():
                self.enqueue_analysis(image_id)
        for delivery_id in outcome.deliveries:
            self.enqueue_delivery(delivery_id)

    def _poll_every(self, interval: float) -> None:
        while not self._stopping.wait(interval):
            self.enqueue_poll()

    def _watch(self, period: float) -> None:
        while not self._stopping.wait(period):
            if self._reevaluating.locked():
                continue  # images are being re-marked: looked at again once the pass is over
            try:
                if needs_reevaluation(self._analyser.db, self._analyser.settings):
                    self.enqueue_reevaluation()
            except Exception:
                log.exception("checking the vulnerability DB failed")


def procrastinate_app(settings: Settings, analyser: Analyser | None = None) -> App:
    """The Procrastinate app: analysis, re-evaluation and delivery tasks, the periodic DB watch
    and the periodic retry of stalled jobs."""
    app = App(connector=PsycopgConnector(conninfo=settings.conninfo))

    def need() -> Analyser:
        if analyser is None:
            raise RuntimeError("this process only defers jobs")
        return analyser

    @app.task(
        name=ANALYSE_TASK,
        queue=QUEUE,
        retry=RetryStrategy(max_attempts=5, wait=2, exponential_wait=2),
    )
    def analyse(image_id: int) -> str:
        return need().analyse(image_id)

    @app.task(name=REEVALUATE_TASK, queue=QUEUE, lock="reevaluate", pass_context=True)
    def reevaluate(context: JobContext) -> int:
        current = need()
        outcome = reevaluate_all(current.db, current.settings)
        task = context.app.tasks[DELIVER_TASK]
        for delivery_id in outcome.deliveries or []:
            task.defer(delivery_id=delivery_id)
        return outcome.changed

    @app.task(name=DELIVER_TASK, queue=QUEUE, pass_context=True)
    def deliver(context: JobContext, delivery_id: int) -> str:
        wait = deliverer(need()).attempt(delivery_id)
        if wait is not None:
            context.app.tasks[DELIVER_TASK].configure(schedule_in=_after(wait)).defer(
                delivery_id=delivery_id
            )
            return "retry"
        return "done"

    @app.task(name=DB_UPDATE_TASK, queue=QUEUE, lock="db-update", pass_context=True)
    def db_update(context: JobContext, update_id: int) -> bool:
        current = need()
        if not run_update(current.db, current.settings, update_id):
            return False
        with contextlib.suppress(AlreadyEnqueued):  # one queued re-evaluation is enough
            context.app.tasks[REEVALUATE_TASK].configure(queueing_lock="reevaluate").defer()
        return True

    @app.periodic(cron=cron_every(settings.poll_interval), periodic_id="poll-tags")
    @app.task(name=POLL_TASK, queue=QUEUE, lock="poll-tags", queueing_lock="poll-tags")
    def poll_tags(timestamp: int = 0) -> int:
        """Poll the tag subscriptions (periodically, or when asked: timestamp 0)."""
        current = need()
        if timestamp and current.settings.poll_interval <= 0:
            return 0
        outcome = poll_all(current.db, current.settings, current.cipher)
        for image_id in outcome.images:
            defer_analysis(app, image_id)
        for delivery_id in outcome.deliveries:
            app.tasks[DELIVER_TASK].defer(delivery_id=delivery_id)
        return len(outcome.images)

    @app.periodic(cron=cron_every(settings.db_check), periodic_id="watch-db")
    @app.task(name=WATCH_DB_TASK, queue=QUEUE, queueing_lock="watch-db", pass_context=True)
    def watch_db(context: JobContext, timestamp: int) -> bool:
        current = need()
        if settings.db_check <= 0 or not needs_reevaluation(current.db, current.settings):
            return False
        try:
            context.app.tasks[REEVALUATE_TASK].configure(queueing_lock="reevaluate").defer()
        except AlreadyEnqueued:
            return False
        return True

    @app.periodic(cron="* * * * * */2", periodic_id="retry-stalled")
    @app.task(
        name=RETRY_STALLED_TASK, queue=QUEUE, queueing_lock="retry-stalled", pass_context=True
    )
    async def retry_stalled(context: JobContext, timestamp: int) -> int:
        """Give jobs of workers that stopped sending heartbeats (killed, lost) to another."""
        manager = context.app.job_manager
        stalled = list(
            await manager.get_stalled_jobs(seconds_since_heartbeat=settings.stalled_after)
        )
        for job in stalled:
            log.warning("retrying job %s of a stalled worker", job.id)
            await manager.retry_job(job)
        return len(stalled)

    del analyse, reevaluate, deliver, db_update, poll_tags, watch_db, retry_stalled
    return app


def cron_every(seconds: float) -> str:
    """A cron line (with Procrastinate's seconds field when under a minute) for a period."""
    every = int(seconds)
    if 0 < every < 60:
        return f"* * * * * */{every}"
    minutes = max(1, every // 60)
    return f"*/{minutes} * * * *" if minutes < 60 else "0 * * * *"


def defer_analysis(app: App, image_id: int) -> None:
    """Defer an image's analysis; one queued job per image at most."""
    task = app.tasks[ANALYSE_TASK]
    try:
        task.configure(queueing_lock=f"image-{image_id}").defer(image_id=image_id)
    except AlreadyEnqueued:
        return


class ProcrastinateEngine:
    """Defers jobs to `sievert worker` processes through Procrastinate (PostgreSQL)."""

    name = "procrastinate"

    def __init__(self, settings: Settings) -> None:
        self._app = procrastinate_app(settings)
        self._conninfo = settings.conninfo

    def start(self) -> None:
        """Make sure Procrastinate's schema exists and open the connection."""
        apply_schema(self._app, self._conninfo)
        self._app.open()

    def stop(self) -> None:
        """Close the connection."""
        self._app.close()

    def enqueue_analysis(self, image_id: int) -> None:
        """Defer the analysis job; one queued job per image at most."""
        defer_analysis(self._app, image_id)

    def enqueue_reevaluation(self) -> None:
        """Defer a re-evaluation; one queued at most."""
        try:
            self._app.tasks[REEVALUATE_TASK].configure(queueing_lock="reevaluate").defer()
        except AlreadyEnqueued:
            return

    def enqueue_delivery(self, delivery_id: int, delay: float = 0.0) -> None:
        """Defer a delivery attempt."""
        task = self._app.tasks[DELIVER_TASK]
        task.configure(schedule_in=_after(delay) if delay > 0 else None).defer(
            delivery_id=delivery_id
        )

    def enqueue_db_update(self, update_id: int) -> None:
        """Defer the update job (the `db-update` lock runs updates one after the other)."""
        task = self._app.tasks[DB_UPDATE_TASK]
        try:
            task.configure(queueing_lock=f"db-update-{update_id}").defer(update_id=update_id)
        except AlreadyEnqueued:
            return

    def enqueue_poll(self) -> None:
        """Defer a poll of the tag subscriptions; one queued at most."""
        try:
            self._app.tasks[POLL_TASK].defer(timestamp=0)
        except AlreadyEnqueued:
            return


def _after(seconds: float) -> TimeDeltaParams:
    """Procrastinate's delay from seconds."""
    return {"milliseconds": int(seconds * 1000)}


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
