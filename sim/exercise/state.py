"""What the exercise verbs act on: the scenario, its model and the ratings given, with the
exercise clock read off the model."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sim.exercise.errors import ExerciseError
from sim.exercise.ratings import Rating
from sim.model import RippleModel
from sim.scenario.schema import Scenario
from sim.scenario.timefmt import format_clock

__all__ = ["ExerciseState"]


@dataclass
class ExerciseState:
    """The run under play: one model of ``scenario``, and the evaluators' ratings so far."""

    scenario: Scenario
    model: RippleModel
    ratings: list[Rating] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        """True once the clock has run past the last tick."""
        return self.model.tick > self.model.n_ticks

    def clock(self, tick: int | None = None) -> str:
        """The exercise clock at ``tick`` (default: now), ``T+h:mm``, capped at the end.

        Parameters
        ----------
        tick : int, optional
            A model tick.

        Returns
        -------
        str
            The clock label.
        """
        tick = min(self.model.tick if tick is None else tick, self.model.n_ticks)
        return format_clock(tick * self.model.tick_seconds)

    def wall_clock(self, tick: int | None = None) -> str:
        """The scenario's wall-clock label for ``tick`` (from ``clock.start``), or ''.

        Parameters
        ----------
        tick : int, optional
            A model tick (default: now).

        Returns
        -------
        str
            e.g. ``Thu 14 May 08:35``; '' when the scenario sets no start.
        """
        start = self.scenario.clock.start
        if not start:
            return ""
        tick = min(self.model.tick if tick is None else tick, self.model.n_ticks)
        try:
            at = datetime.fromisoformat(start) + timedelta(seconds=tick * self.model.tick_seconds)
        except ValueError:
            return ""
        return at.strftime("%a %d %b %H:%M")

    def live(self) -> None:
        """Refuse a decision once the exercise has ended (:class:`ExerciseError`)."""
        if self.finished:
            raise ExerciseError("the exercise has ended; decisions can no longer change the run")
