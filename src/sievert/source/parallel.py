"""Layers walked in a forked worker process beside the main one, so a walk uses both cores.

Each layer's walk is independent (whiteouts are applied later, when the squashed view takes the
layers in order), so a share of the layers can be walked by a child process forked after the
imports (it pays no start-up) while the parent walks the rest. The child writes each finished
`LayerIndex` to an unlinked temporary file and names it on a pipe; the parent reads them back in
layer order. A failure in the child (a corrupt or oversized layer) comes back as the same error.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import tempfile
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from sievert.errors import LayerError, SievertError
from sievert.model import LayerInfo
from sievert.source.layerindex import LayerIndex

Walk = Callable[[LayerInfo], LayerIndex]


def child_share(todo: Sequence[LayerInfo], sizes: dict[int, int]) -> set[int]:
    """The layers (by index) the child walks: the bins balanced by bytes, biggest first; the
    parent keeps the bin holding the first layer, so the first result needs no waiting."""
    if len(todo) < 2:
        return set()
    bins: tuple[list[int], list[int]] = ([], [])
    loads = [0, 0]
    for layer in sorted(todo, key=lambda x: -sizes.get(x.index, 0)):
        lighter = 0 if loads[0] <= loads[1] else 1
        bins[lighter].append(layer.index)
        loads[lighter] += sizes.get(layer.index, 0)
    first = todo[0].index
    return set(bins[1] if first in bins[0] else bins[0])


class ForkedWalks:
    """A child process walking `layers` (in order) with `walk`; `result(layer)` in the parent."""

    def __init__(self, layers: Sequence[LayerInfo], walk: Walk) -> None:
        self._spool = tempfile.TemporaryFile()  # noqa: SIM115  (closed in `close`)
        self._results: dict[int, tuple[str, Any]] = {}
        read_end, write_end = os.pipe()
        with warnings.catch_warnings():  # 3.12+ warns of fork() beside threads; the child
            warnings.simplefilter("ignore", DeprecationWarning)  # touches none of theirs
            pid = os.fork()
        if pid == 0:  # pragma: no cover  (the child; coverage cannot follow it)
            os.close(read_end)
            code = 0
            try:
                self._child(layers, walk, write_end)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(write_end)
        self.pid = pid
        self._pipe = os.fdopen(read_end, "rb")
        self._ended = False

    def _child(self, layers: Sequence[LayerInfo], walk: Walk, out: int) -> None:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        for layer in layers:
            try:
                data = walk(layer).to_bytes()
            except Exception as exc:
                _send(out, {"layer": layer.index, "error": _describe(exc)})
                return
            at = self._spool.seek(0, os.SEEK_END)
            self._spool.write(data)
            self._spool.flush()
            _send(out, {"layer": layer.index, "at": at, "size": len(data)})

    def ready(self) -> bool:
        """Whether a result (or the child's end) can be read without waiting."""
        if self._ended:
            return True
        readable, _, _ = select.select([self._pipe], [], [], 0)
        return bool(readable)

    def _read_one(self) -> None:
        line = self._pipe.readline()
        if not line:
            self._ended = True
            return
        message = json.loads(line)
        if "error" in message:
            self._results[message["layer"]] = ("error", message["error"])
        else:
            data = os.pread(self._spool.fileno(), message["size"], message["at"])
            self._results[message["layer"]] = ("ok", data)

    def result(self, layer: LayerInfo) -> LayerIndex:
        """The child's index of `layer` (waits for it); its error raised again here."""
        while layer.index not in self._results and not self._ended:
            self._read_one()
        found = self._results.pop(layer.index, None)
        if found is None:
            raise LayerError(layer.digest or f"#{layer.index}", "the layer walk stopped early")
        kind, value = found
        if kind == "error":
            raise _rebuild(value)
        try:
            return LayerIndex.from_bytes(value)
        except ValueError as exc:  # pragma: no cover  (written just before by the child)
            raise LayerError(layer.digest, f"walk result unreadable ({exc})") from exc

    def close(self) -> None:
        """Stop the child if it still runs, reap it, drop the results."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        os.waitpid(self.pid, 0)
        self._pipe.close()
        self._spool.close()


def _send(out: int, message: dict[str, Any]) -> None:
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(out, data) :]


def _describe(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, LayerError):
        return {"kind": "layer", "layer": exc.layer, "cause": exc.cause}
    cls = type(exc)
    return {"kind": "other", "module": cls.__module__, "name": cls.__qualname__, "text": str(exc)}


def _rebuild(error: dict[str, Any]) -> Exception:
    if error["kind"] == "layer":
        return LayerError(error["layer"], error["cause"])
    cls: Any = None
    if error["module"].startswith("sievert."):
        try:
            cls = getattr(importlib.import_module(error["module"]), error["name"], None)
        except ImportError:  # pragma: no cover
            cls = None
    if isinstance(cls, type) and issubclass(cls, SievertError):
        rebuilt = cls.__new__(cls)
        Exception.__init__(rebuilt, error["text"])
        return rebuilt
    return RuntimeError(f"layer walk failed: {error['name']}: {error['text']}")
