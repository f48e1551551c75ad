"""The `sievert` process itself (the console script and `python -m sievert`).

Set up here rather than in `sievert.cli.main`, which tests and embedders call in-process: the
collector is tuned before click and the commands load, and on the way out the objects still
alive are frozen, so the interpreter's last full collection does not walk every module, class
and record of a process that is ending (about 12 ms of an alpine `sbom`)."""

from __future__ import annotations

import gc

GC_THRESHOLD = (50_000, 20, 20)
"""The CLI's collector thresholds: a one-shot command imports and builds many long-lived objects
(classes, records) and frees most of the rest by reference counting, so it runs the cycle
collector far less often than the default (700, 10, 10) would; memory stays bounded."""


def run() -> None:
    """Console-script entry point: `sievert.cli.main.main` in a process that ends after it."""
    gc.set_threshold(*GC_THRESHOLD)
    from sievert.cli.main import main

    try:
        main()
    finally:
        # The process ends now: a frozen object is never collected, so finalization skips
        # the full collection over everything the command loaded (files and the layer cache
        # are closed by the commands themselves, never left to the collector).
        gc.freeze()
