"""The watch loop: passes over the engine's containers, events written as JSON lines and
optionally POSTed to a webhook; a long run reports each event once and stops cleanly on SIGINT
or SIGTERM (after the pass under way)."""

from __future__ import annotations

import signal
import threading
from collections.abc import Sequence
from types import FrameType
from typing import TextIO

import httpx

from sievert.model.runtime import WatchEvent
from sievert.report.runtime.events import event_object, write_event
from sievert.runtime.conditions import WatchRule
from sievert.runtime.engine import ContainerEngine
from sievert.runtime.watch import evaluate, event_key, observe

WEBHOOK_TIMEOUT = 10.0


class Watcher:
    """Runs passes and delivers their events."""

    def __init__(self, rules: Sequence[WatchRule], out: TextIO, webhook: str | None) -> None:
        self.rules = tuple(rules)
        self.out = out
        self.webhook = webhook
        self.failures: list[str] = []
        self._seen: set[tuple[object, ...]] = set()
        self._stop = threading.Event()

    def run_once(self) -> list[str]:
        """One pass; the webhook failures (empty when all were delivered)."""
        self._pass()
        return self.failures

    def run_forever(self, interval: float) -> list[str]:
        """Passes every `interval` seconds until SIGINT or SIGTERM; only new events each time."""
        previous = {
            sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            while not self._stop.is_set():
                self._pass()
                self._stop.wait(interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return self.failures

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self._stop.set()

    def _pass(self) -> None:
        with ContainerEngine() as engine:
            observations = observe(engine)
        for event in evaluate(observations, self.rules):
            key = event_key(event)
            if key in self._seen:
                continue
            self._seen.add(key)
            write_event(event, self.out)
            self._deliver(event)

    def _deliver(self, event: WatchEvent) -> None:
        if not self.webhook:
            return
        try:
            response = httpx.post(self.webhook, json=event_object(event), timeout=WEBHOOK_TIMEOUT)
        except httpx.HTTPError as exc:
            self.failures.append(f"{type(exc).__name__}: {exc}")
            return
        if response.status_code >= 300:
            self.failures.append(f"answered HTTP {response.status_code}")
