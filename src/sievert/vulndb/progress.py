"""Progress reporting for updates: a silent default and a rich display on stderr."""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from sievert.terminal import one_line


class Reporter(Protocol):
    """Receives download and import progress; every method must be cheap."""

    def start(self, label: str, total: int | None) -> None:
        """A download or import step named label begins (total bytes when known)."""

    def advance(self, label: str, amount: int) -> None:
        """amount more bytes of label arrived."""

    def finish(self, label: str, message: str) -> None:
        """label is done; message says how it ended."""


class SilentReporter:
    """Reports nothing (quiet mode, library use)."""

    def start(self, label: str, total: int | None) -> None:
        """Ignore."""

    def advance(self, label: str, amount: int) -> None:
        """Ignore."""

    def finish(self, label: str, message: str) -> None:
        """Ignore."""


class RichReporter:
    """Download bars and one line per finished step, on stderr."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichReporter:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def start(self, label: str, total: int | None) -> None:
        """Show a bar for label."""
        self.tasks[label] = self.progress.add_task(one_line(label), total=total)

    def advance(self, label: str, amount: int) -> None:
        """Move label's bar."""
        if label in self.tasks:
            self.progress.advance(self.tasks[label], amount)

    def finish(self, label: str, message: str) -> None:
        """Drop label's bar and print one line."""
        task = self.tasks.pop(label, None)
        if task is not None:
            self.progress.remove_task(task)
        line = one_line(f"{label}: {message}")
        self.progress.console.print(line, markup=False, highlight=False)
