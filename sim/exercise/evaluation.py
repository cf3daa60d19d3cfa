"""The evaluators' verbs: ``note`` (a remark in the log) and ``rate`` (a core capability,
P / S / M / U, with its improvement-plan fields).

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

from agents.events import EventKind
from sim.exercise.errors import ExerciseError
from sim.exercise.ratings import RATINGS, Rating, check_due, resolve_capability, resolve_element
from sim.exercise.state import ExerciseState

__all__ = ["note", "rate"]


def note(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Record ``args['text']`` as a note at the current tick.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``text`` (str, non-empty).
    wall : str
        Unused.
    """
    text = str(args["text"]).strip()
    if not text:
        raise ExerciseError("a note needs some text")
    state.model.log(EventKind.NOTE, text=text)
    return f"noted at {state.clock()}"


def rate(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Rate capability ``args['capability']`` (number, name or prefix) ``args['rating']``,
    with optional ``notes``, ``element``, ``org``, ``action`` and ``due``.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``capability`` (str: number, name or unique prefix); ``rating`` (str, P / S / M / U,
        any case); optional ``notes`` (str), ``element`` (str, prefix of one of
        :data:`~sim.exercise.ratings.ELEMENTS`), ``org`` (str), ``action`` (str, corrective
        action), ``due`` (str, ``YYYY-MM-DD``, not before the day of ``wall``), ``improve``
        (str, an area for improvement) and ``poc`` (str, point of contact).
    wall : str
        Recorded in the :class:`Rating` as its ``wall``.
    """
    capability = resolve_capability(state.scenario, args["capability"])
    rating = str(args["rating"]).upper()
    if rating not in RATINGS:
        raise ExerciseError(f"a rating is P, S, M or U ({'; '.join(f'{k}: {v}' for k, v in RATINGS.items())}), "
                            f"not '{args['rating']}'")
    element = resolve_element(args.get("element", ""))
    due = check_due(args.get("due", ""), wall)
    state.model.log(EventKind.RATING, capability=capability, rating=rating, notes=args.get("notes", ""))
    state.ratings.append(Rating(capability, rating, args.get("notes", ""), element, args.get("org", ""),
                                args.get("action", ""), due, state.model.tick, wall, args.get("improve", ""),
                                args.get("poc", "")))
    return f"{capability}: {rating} ({RATINGS[rating]})"
