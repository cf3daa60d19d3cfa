"""Seats at one exercise: who may do what when several people play from their own browsers.

The facilitator runs the clock and sets what the whole response shares (policy, information
sharing, hardening, ratings, controller actions); every other seat commands its own units
(dispatch, recall, mutual aid of its kind) and may write notes. Each logged decision names its
seat. A seat that acts on a view of the exercise older than the last change is refused, so no
one decides on a state that no longer holds.
"""

from __future__ import annotations

from typing import Any

from sim.exercise.errors import ExerciseError
from sim.exercise.lookup import find_unit
from sim.exercise.state import ExerciseState

__all__ = ["FACILITATOR", "SEATS", "parse_seats", "check_seat", "check_fresh"]

FACILITATOR = "facilitator"
SEATS: dict[str, tuple[str, ...] | None] = {      # the unit kinds each seat commands (None: all)
    FACILITATOR: None, "police": ("police",), "fire": ("fire",), "utility": ("repair",), "cyber": ("cyber",),
}


def parse_seats(text: str) -> list[str]:
    """The seats of ``ripple serve --seats``, in order; :class:`ExerciseError` on a bad list.

    Parameters
    ----------
    text : str
        Seat names separated by commas, the facilitator among them.

    Returns
    -------
    list of str
        Each seat once.
    """
    seats = list(dict.fromkeys(s.strip().lower() for s in text.split(",") if s.strip()))
    unknown = [s for s in seats if s not in SEATS]
    if unknown:
        raise ExerciseError(f"no seat '{unknown[0]}' (seats: {', '.join(SEATS)})")
    if FACILITATOR not in seats:
        raise ExerciseError("the seats need a facilitator to run the clock (e.g. --seats facilitator,police)")
    return seats


def check_seat(state: ExerciseState, seat: str, verb: str, args: dict[str, Any]) -> None:
    """Refuse (:class:`ExerciseError`) a verb the seat may not carry out.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    seat : str
        A key of :data:`SEATS`.
    verb : str
        The verb's name.
    args : dict
        Its arguments (``unit`` or ``team`` are read).
    """
    if seat not in SEATS:
        raise ExerciseError(f"no seat '{seat}' (seats: {', '.join(SEATS)})")
    kinds = SEATS[seat]
    if kinds is None or verb == "note":
        return
    if verb in ("dispatch", "recall"):
        unit = find_unit(state, str(args.get("unit", "")))
        if unit.kind not in kinds:
            raise ExerciseError(f"{unit.label} is a {unit.kind} unit; the {seat} seat commands {', '.join(kinds)} units")
        return
    if verb == "aid":
        team = state.scenario.responders.get(str(args.get("team", "")))
        if team is not None and team.kind not in kinds:
            raise ExerciseError(f"{args.get('team')} is a {team.kind} team; the {seat} seat calls {', '.join(kinds)} teams")
        return
    raise ExerciseError(f"the {seat} seat cannot {verb}: the facilitator runs the clock, the policies and the ratings")


def check_fresh(entries: list[dict[str, Any]], seen: int) -> None:
    """Refuse (:class:`ExerciseError`) an action taken on a view older than the last change.

    Parameters
    ----------
    entries : list of dict
        The log's entries so far.
    seen : int
        How many entries the acting view had seen.
    """
    if seen < len(entries):
        raise ExerciseError(f"the state changed at {entries[seen].get('time', '?')}; refresh")
