"""Seats at one exercise: who may do what when several people play from their own browsers.

The facilitator runs the clock and sets what the whole response shares (policy, information
sharing, hardening, ratings, controller actions); every other seat commands its own units
(dispatch, recall, mutual aid for them) and may write notes. A seat's units are given by kind,
by team or one by one: the built-in seats command a kind each, a scenario may define its own
(``exercise: {seats: [...]}``, e.g. a port authority commanding ``harbour-1`` and ``harbour-2``).
Each logged decision names its seat. A seat that acts on a view of the exercise older than the
last change is refused, so no one decides on a state that no longer holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol
from sim.exercise.errors import ExerciseError
from sim.exercise.lookup import find_unit
from sim.exercise.state import ExerciseState
from sim.scenario.schema import Scenario, Team

__all__ = ["FACILITATOR", "SEATS", "Seat", "Unit", "available_seats", "parse_seats", "resolve_seats", "scenario_seats",
           "check_seat", "check_fresh", "seat_record", "seats_from_records"]

FACILITATOR = "facilitator"


class Unit(Protocol):
    """What a seat reads of a unit (a responder, or the front ends' view of one)."""

    label: str
    team: str
    kind: str


@dataclass(frozen=True)
class Seat:
    """One seat and the units it commands.

    Attributes
    ----------
    id : str
        Its name in the page's address and in the log.
    name : str
        Display name ('' : the id).
    kinds, teams, units : tuple of str
        The unit kinds, responder teams and single unit labels it commands (the facilitator
        commands every unit whatever these say).
    """

    id: str
    name: str = ""
    kinds: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()
    units: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The display name, else the id."""
        return self.name or self.id

    @property
    def runs_the_clock(self) -> bool:
        """True for the facilitator, who runs the clock and commands every unit."""
        return self.id == FACILITATOR

    def commands(self, unit: Unit) -> bool:
        """Whether the seat commands ``unit``.

        Parameters
        ----------
        unit : Unit
            A unit of the run (a responder, or a :class:`~sim.exercise.views.UnitView`).

        Returns
        -------
        bool
            True for the facilitator, or a unit of the seat's kinds, teams or units.
        """
        return self.runs_the_clock or unit.kind in self.kinds or unit.team in self.teams or unit.label in self.units

    def calls(self, name: str, team: Team) -> bool:
        """Whether the seat may call mutual-aid team ``name`` in: it commands its kind, the
        team, or one of its units.

        Parameters
        ----------
        name : str
            The team's key in the scenario's ``responders``.
        team : Team
            The team.

        Returns
        -------
        bool
            True when the seat commands (some of) the team.
        """
        return (self.runs_the_clock or team.kind in self.kinds or name in self.teams
                or any(f"{name}-{n}" in self.units for n in range(1, team.count + 1)))

    def describe(self) -> str:
        """What the seat commands, for a refusal: e.g. ``repair units`` or ``units harbour-1, harbour-2``."""
        parts = ([f"{', '.join(self.kinds)} units"] if self.kinds else []) + \
                ([f"team {', '.join(self.teams)}"] if self.teams else []) + \
                ([f"units {', '.join(self.units)}"] if self.units else [])
        return " and ".join(parts) or "no units"


SEATS: dict[str, Seat] = {seat.id: seat for seat in (
    Seat(FACILITATOR), Seat("police", kinds=("police",)), Seat("fire", kinds=("fire",)),
    Seat("utility", kinds=("repair",)), Seat("cyber", kinds=("cyber",)),
)}
"""The built-in seats, by id: each commands one kind of unit."""


def scenario_seats(scenario: Scenario) -> dict[str, Seat]:
    """The seats the scenario defines (``exercise: {seats: ...}``), in its order.

    A seat named like a built-in one that lists no kinds, teams or units commands the built-in
    seat's kinds.

    Parameters
    ----------
    scenario : Scenario
        The scenario.

    Returns
    -------
    dict of str to Seat
        By id; empty when the scenario defines none.
    """
    out = {}
    for spec in scenario.exercise.seats:
        seat = Seat(spec.id, spec.name, tuple(spec.kinds), tuple(spec.teams), tuple(spec.units))
        if not (spec.kinds or spec.teams or spec.units) and spec.id in SEATS:
            seat = Seat(spec.id, spec.name, SEATS[spec.id].kinds)
        out[spec.id] = seat
    return out


def available_seats(scenario: Scenario) -> dict[str, Seat]:
    """Every seat a name may pick: the built-in ones, then the scenario's (which take
    precedence over a built-in one of the same name).

    Parameters
    ----------
    scenario : Scenario
        The scenario.

    Returns
    -------
    dict of str to Seat
        By id.
    """
    return {**SEATS, **scenario_seats(scenario)}


def parse_seats(text: str, scenario: Scenario | None = None) -> list[str]:
    """The seats of ``ripple serve --seats``, in order; :class:`ExerciseError` on a bad list.

    Parameters
    ----------
    text : str
        Seat names separated by commas, the facilitator among them.
    scenario : Scenario, optional
        The scenario, whose own seats may be named too.

    Returns
    -------
    list of str
        Each seat once.
    """
    known = available_seats(scenario) if scenario is not None else SEATS
    seats = list(dict.fromkeys(s.strip().lower() for s in text.split(",") if s.strip()))
    unknown = [s for s in seats if s not in known]
    if unknown:
        raise ExerciseError(f"no seat '{unknown[0]}' (seats: {', '.join(known)})")
    if FACILITATOR not in seats:
        raise ExerciseError("the seats need a facilitator to run the clock (e.g. --seats facilitator,police)")
    return seats


def resolve_seats(names: list[str], scenario: Scenario) -> dict[str, Seat]:
    """The seats named, as the scenario defines them or else as built in.

    Parameters
    ----------
    names : list of str
        Seat ids, from :func:`parse_seats` or the scenario.
    scenario : Scenario
        The scenario.

    Returns
    -------
    dict of str to Seat
        By id, in the order named.
    """
    known = available_seats(scenario)
    return {name: known[name] for name in names}


def seat_record(seat: Seat) -> dict[str, Any]:
    """A seat as the exercise log's header records it: id, name and what it commands.

    Parameters
    ----------
    seat : Seat
        The seat.

    Returns
    -------
    dict
        ``id``, ``name``, ``kinds``, ``teams``, ``units`` (lists).

    Examples
    --------
    >>> seat_record(SEATS["police"])
    {'id': 'police', 'name': '', 'kinds': ['police'], 'teams': [], 'units': []}
    """
    return {"id": seat.id, "name": seat.name, "kinds": list(seat.kinds), "teams": list(seat.teams),
            "units": list(seat.units)}


def seats_from_records(records: Any) -> dict[str, Seat]:
    """The seats a log's header records (:func:`seat_record`), so a replay and its report play
    with the seats of the exercise whatever the scenario file says now.

    Parameters
    ----------
    records : Any
        The header's ``seats``: a list of seat records, the facilitator among them.

    Returns
    -------
    dict of str to Seat
        By id, in the recorded order; :class:`ExerciseError` when the records are not as
        :func:`seat_record` writes them.
    """
    def strings(value: Any) -> bool:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)

    if not isinstance(records, list) or not all(
            isinstance(r, dict) and isinstance(r.get("id"), str) and isinstance(r.get("name", ""), str)
            and all(strings(r.get(k, [])) for k in ("kinds", "teams", "units")) for r in records):
        raise ExerciseError("the header's seats are not a list of seats as ripple writes them "
                            "(id, name, kinds, teams, units)")
    seats = {r["id"]: Seat(r["id"], r.get("name", ""), tuple(r.get("kinds", [])), tuple(r.get("teams", [])),
                           tuple(r.get("units", []))) for r in records}
    if FACILITATOR not in seats:
        raise ExerciseError("the header's seats have no facilitator to run the clock")
    return seats


def check_seat(state: ExerciseState, seats: dict[str, Seat], seat: str, verb: str, args: dict[str, Any]) -> None:
    """Refuse (:class:`ExerciseError`) a verb the seat may not carry out.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    seats : dict of str to Seat
        The exercise's seats, by id.
    seat : str
        The id of the seat acting.
    verb : str
        The verb's name.
    args : dict
        Its arguments (``unit`` or ``team`` are read).
    """
    if seat not in seats:
        raise ExerciseError(f"no seat '{seat}' (seats: {', '.join(seats)})")
    who = seats[seat]
    if who.runs_the_clock or verb == "note":
        return
    if verb in ("dispatch", "recall"):
        unit = find_unit(state, str(args.get("unit", "")))
        if not who.commands(unit):
            raise ExerciseError(f"{unit.label} is a {unit.kind} unit; the {seat} seat commands {who.describe()}")
        return
    if verb == "aid":
        name = str(args.get("team", ""))
        team = state.scenario.responders.get(name)
        if team is not None and not who.calls(name, team):
            raise ExerciseError(f"{name} is a {team.kind} team; the {seat} seat calls {who.describe()}")
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
