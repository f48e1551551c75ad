"""The server process's cyclic garbage collector: long-lived objects out of its sight, so that
its full collections, which stop every request in flight, stay short.

A server holds many objects for its whole life: imports, the application, the database engine,
and caches that fill with the first requests (compiled statements, converted reports). A full
collection walks every object the collector tracks; with all of those tracked, one took 127 ms
under load in the latency benchmark, holding up every request in flight. Moving what is alive
out of its sight once the application has started, and once more when the first requests have
filled the caches (without a collection then: requests are in flight), leaves it the
short-lived objects only.
"""

from __future__ import annotations

import gc

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SERVER_THRESHOLD = (700, 10, 10)
"""The collector's default thresholds: a server allocates steadily, and small young-generation
collections keep each pause short (the CLI's one-shot thresholds would make each one long)."""
WARMUP_REQUESTS = 1000
"""Requests after which the caches are taken as filled."""


def freeze_alive(collect: bool = True) -> None:
    """Move every tracked object out of the collector's sight (they stay alive; reference
    counting still frees them when released), after a full collection when `collect`: without
    it the freeze costs no pause, and the cyclic garbage pending at that moment (bounded: what
    accumulated since the last collection) is kept, once."""
    if collect:
        gc.collect()
    gc.freeze()


class FreezeAfterWarmup:
    """ASGI wrapper: `freeze_alive` once the application has started (with a full collection:
    no request is waiting yet) and once it has answered its first `warmup` requests (without:
    requests are in flight)."""

    def __init__(self, app: ASGIApp, warmup: int = WARMUP_REQUESTS) -> None:
        self.app = app
        self.warmup = warmup
        self.answered = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass through; freeze after the start-up and after the warm-up."""
        if scope["type"] == "lifespan":

            async def started(message: Message) -> None:
                await send(message)
                if message["type"] == "lifespan.startup.complete":
                    freeze_alive()

            await self.app(scope, receive, started)
            return
        await self.app(scope, receive, send)
        if scope["type"] == "http" and self.answered < self.warmup:
            self.answered += 1
            if self.answered == self.warmup:
                freeze_alive(collect=False)
