"""The clock verbs: ``step``, ``next`` and ``until``.

Every handler here has the one signature of the verb table (:mod:`sim.exercise.verbs`),
``handler(state, args, wall) -> str``:

state : ExerciseState
    The run under play; the handler changes it.
args : dict
    The verb's arguments by name, as :meth:`~sim.exercise.verbs.Verb.bind` filled them in and
    the log records them; each handler's docstring names the keys it reads.
wall : str
    The entry's wall time, ISO 8601 to the second (the log's ``wall``).

A handler returns the verb's one-line message, and raises :class:`ExerciseError` before it
changes anything when the verb cannot be carried out.
"""

from __future__ import annotations

from typing import Any

from sim.agenda import Due
from sim.exercise.errors import ExerciseError
from sim.exercise.state import ExerciseState
from sim.scenario.timefmt import format_clock, parse_duration

__all__ = ["next_inject_tick", "step", "next_inject", "until"]


def next_inject_tick(state: ExerciseState) -> int | None:
    """The tick of the next MSEL inject or planned attack that carries an inject (an inject
    whose condition is being watched tick by tick does not count).

    Parameters
    ----------
    state : ExerciseState
        The run under play.

    Returns
    -------
    int or None
        A tick within the exercise, or None when no inject is left.
    """
    model, watching = state.model, getattr(state.model, "watching", set())
    tick = model.agenda.first(lambda e: (e.kind == Due.INJECT and e.payload.number not in watching)
                              or (e.kind == Due.ACTION and bool(e.payload.inject)))
    return tick if tick is not None and tick <= model.n_ticks else None


def _advance_to(state: ExerciseState, until: int) -> str:
    """Run the model up to (excluding) tick ``until``; the message reads ``T+a → T+b``."""
    if state.finished:
        raise ExerciseError(f"the exercise clock has reached the end ({state.clock()})")
    start = state.model.tick
    state.model.advance(until)
    return f"{format_clock(start * state.model.tick_seconds)} → {state.clock()}" + (" (end)" if state.finished else "")


def step(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Run ``args['n']`` ticks (default 1); the message reads ``T+a → T+b``.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``n`` (int, ticks, >= 1; default 1).
    wall : str
        Unused.
    """
    n = args.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ExerciseError(f"step takes a whole number of ticks >= 1, not '{n}'")
    return _advance_to(state, state.model.tick + n)


def next_inject(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Run to just after the next inject.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        Reads no key.
    wall : str
        Unused.
    """
    target = next_inject_tick(state)
    if target is None:
        raise ExerciseError("no injects are left; use `until T+h:mm`, `until end` or `step N`")
    return _advance_to(state, max(target, state.model.tick) + 1)


def until(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Run until the clock shows ``args['at']`` (``T+h:mm``), or to the end for ``end``.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``at`` (str): a later exercise time ``T+h:mm`` within the run, or ``end``.
    wall : str
        Unused.
    """
    model, at = state.model, args.get("at")
    if at == "end":
        return _advance_to(state, model.n_ticks + 1)
    try:
        seconds = parse_duration(at)
    except ValueError as exc:
        raise ExerciseError(f"until: {exc}") from None
    target = model.tick_of(seconds)
    if target <= model.tick:
        raise ExerciseError(f"the clock is already at {state.clock()}; `until` needs a later time")
    if target > model.n_ticks:
        raise ExerciseError(f"{at} lies beyond the end of the exercise ({state.clock(model.n_ticks)}); "
                            "use `until end`")
    return _advance_to(state, target)
