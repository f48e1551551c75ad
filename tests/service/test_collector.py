"""The server's collector policy: what is alive after start-up and after the warm-up requests is
moved out of the cyclic collector's sight, once each, and nothing else changes."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from sievert.service.collector import FreezeAfterWarmup


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process keeps its own collector as it was


def test_freezes_after_start_up_and_after_the_warm_up(unfrozen: None) -> None:
    seen: list[str] = []

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        seen.append(scope["type"])
        if scope["type"] == "lifespan":
            await send({"type": "lifespan.startup.complete"})

    wrapped = FreezeAfterWarmup(app, warmup=3)
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {}

    async def run() -> list[int]:
        counts = [gc.get_freeze_count()]
        await wrapped({"type": "lifespan"}, receive, send)
        counts.append(gc.get_freeze_count())
        for _ in range(2):
            await wrapped({"type": "http"}, receive, send)
        counts.append(gc.get_freeze_count())
        _new_objects = [[n] for n in range(5000)]  # alive and tracked during the warm-up
        await wrapped({"type": "http"}, receive, send)
        counts.append(gc.get_freeze_count())
        more = [[n] for n in range(5000)]
        for _ in range(3):
            await wrapped({"type": "http"}, receive, send)
        counts.append(gc.get_freeze_count())
        assert len(_new_objects) == len(more)
        return counts

    start, after_start, before_warm, after_warm, later = asyncio.run(run())
    assert start == 0 and after_start > 0  # everything alive at start-up
    assert before_warm == after_start  # no freeze during the warm-up
    assert after_warm >= after_start + 5000  # the warm-up's objects, once
    assert later == after_warm  # and never again
    assert sent == [{"type": "lifespan.startup.complete"}]  # messages pass unchanged
    assert seen == ["lifespan", *["http"] * 6]
