"""The progress bar of ``ripple batch`` and ``ripple compare``: one task per batch, shown
once the first batch starts running."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from rich.progress import (
    BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TextColumn, TimeElapsedColumn, TimeRemainingColumn,
)
from rich.text import Text

from ripple.app import console

__all__ = ["BarTask", "RunsPerSecond", "progress_bar"]


class RunsPerSecond(ProgressColumn):
    """A progress-bar column showing the runs finished per second."""

    def render(self, task: Task) -> Text:
        """Rich's column hook: the task's speed as ``"12.3 runs/s"``."""
        return Text(f"{task.speed:.1f} runs/s" if task.speed else "– runs/s", style="progress.data.speed")


@contextmanager
def progress_bar() -> Iterator[Progress]:
    """A progress bar that appears when the first batch starts running: not before, so that
    an early error prints alone and local workers are forked before its refresh thread runs."""
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
                   RunsPerSecond(), TextColumn("elapsed"), TimeElapsedColumn(), TextColumn("left"),
                   TimeRemainingColumn(), console=console)
    try:
        yield bar
    finally:
        if bar.live.is_started:
            bar.stop()


class BarTask:
    """Adapts one task of a rich progress bar to the batch driver's progress calls.

    Parameters
    ----------
    bar : Progress
        The progress bar (:func:`progress_bar`); started by the first :meth:`start`.
    label : str
        The task's description, e.g. the scenario id or the arm's name.
    """

    def __init__(self, bar: Progress, label: str):
        self.bar, self.label, self.task = bar, label, None

    def start(self, total: int, done: int) -> None:
        """Show the task once the batch starts running.

        Parameters
        ----------
        total : int
            Runs in the batch.
        done : int
            Runs already finished (on ``--resume``).
        """
        if not self.bar.live.is_started:
            self.bar.start()
        self.task = self.bar.add_task(self.label, total=total, completed=done)

    def advance(self, runs: int) -> None:
        """Count ``runs`` more runs finished.

        Parameters
        ----------
        runs : int
            Runs finished since the last call.
        """
        self.bar.advance(self.task, runs)
