"""The evaluators' verbs: ``note`` (a remark in the log) and ``rate`` (a core capability,
P / S / M / U, with its improvement-plan fields)."""

from __future__ import annotations

from typing import Any

from agents.events import EventKind
from sim.exercise.errors import ExerciseError
from sim.exercise.ratings import RATINGS, Rating, check_due, resolve_capability, resolve_element
from sim.exercise.state import ExerciseState

__all__ = ["note", "rate"]


def note(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Record ``args['text']`` as a note at the current tick."""
    text = str(args["text"]).strip()
    if not text:
        raise ExerciseError("a note needs some text")
    state.model.log(EventKind.NOTE, text=text)
    return f"noted at {state.clock()}"


def rate(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Rate capability ``args['capability']`` (number, name or prefix) ``args['rating']``,
    with optional ``notes``, ``element``, ``org``, ``action`` and ``due``."""
    capability = resolve_capability(state.scenario, args["capability"])
    rating = str(args["rating"]).upper()
    if rating not in RATINGS:
        raise ExerciseError(f"a rating is P, S, M or U ({'; '.join(f'{k}: {v}' for k, v in RATINGS.items())}), "
                            f"not '{args['rating']}'")
    element = resolve_element(args.get("element", ""))
    due = check_due(args.get("due", ""))
    state.model.log(EventKind.RATING, capability=capability, rating=rating, notes=args.get("notes", ""))
    state.ratings.append(Rating(capability, rating, args.get("notes", ""), element, args.get("org", ""),
                                args.get("action", ""), due, state.model.tick, wall))
    return f"{capability}: {rating} ({RATINGS[rating]})"
