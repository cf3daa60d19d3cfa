"""The exercise session: one run of a scenario under a facilitator's control, and its log.

The session coordinates the parts of :mod:`sim.exercise`: it runs each verb of the table
(:mod:`sim.exercise.verbs`) on the run under play, appends it to the log (:mod:`sim.exercise.log`)
with its exercise and wall time, and answers the front ends from the read models
(:mod:`sim.exercise.views`). Replaying a log's entries on the same scenario and seed rebuilds
the same state, bit for bit. An action that cannot be carried out is refused before it changes
anything, and the refusal is logged too (the action, the reason, the seat); a replay skips it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.exercise import views
from sim.exercise.clock import next_inject_tick
from sim.exercise.controller import tactic_names, target_rules
from sim.exercise.counterfactual import counterfactual
from sim.exercise.decisions import aid_teams, policy_names
from sim.exercise.errors import ExerciseError
from sim.exercise.injects import ExerciseModel
from sim.exercise.log import LOG_VERSION, REJECTED, find_scenario, is_rejection, new_header, now_wall, read_records, write_log
from sim.exercise.ratings import Rating, capabilities, resolve_capability
from sim.exercise.seats import Seat, available_seats, check_fresh, check_seat, seat_record, seats_from_records
from sim.exercise.state import ExerciseState
from sim.exercise.verbs import CLOCK, QUERY, VERBS
from sim.model import RippleModel
from sim.network import network_tables
from sim.results import Event, RunResult
from sim.overrides import ScenarioFile
from sim.scenario.schema import Inject, Scenario
from sim.scenario.timefmt import format_clock

__all__ = ["ExerciseSession", "action_text", "with_scripted_outcomes"]


def with_scripted_outcomes(scenario: Scenario) -> Scenario:
    """``scenario`` with ``policies.scripted_outcomes`` on: every attack lands as written.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario (left unchanged).

    Returns
    -------
    Scenario
        A copy whose policies script the attacks' outcomes.
    """
    return scenario.model_copy(update={"policies": scenario.policies.model_copy(update={"scripted_outcomes": True})})


class ExerciseSession:
    """A run under a facilitator's control, with its exercise log.

    Verbs return a one-line message and raise :class:`ExerciseError` for anything that cannot
    be done, before changing any state.

    Parameters
    ----------
    scenario_path : str or Path
        The scenario file.
    seed : int, optional
        The run's seed (default: the scenario's).
    log_path : str or Path, optional
        Where to write the log; none is written without one.
    participants : list of str, optional
        Participating organisations or people, recorded in the header.
    file : ScenarioFile, optional
        ``scenario_path`` already read (default: read it here, once: the scenario and its
        digest come from the same parse).
    scripted_outcomes : bool
        Every attack lands as written for this exercise, whatever the scenario's
        ``policies.scripted_outcomes`` (recorded in the log's header).

    Attributes
    ----------
    records : list of dict
        Every line of the log after the header, oldest first: the verbs carried out and the
        actions refused.
    seats : dict of str to Seat
        The seats that may act, by id (:mod:`sim.exercise.seats`): the built-in ones and the
        scenario's until :meth:`take_seats` names those of the exercise (``ripple serve``), or
        those the log's header records.
    """

    def __init__(self, scenario_path: str | Path, seed: int | None = None, log_path: str | Path | None = None,
                 participants: list[str] | None = None, file: ScenarioFile | None = None,
                 scripted_outcomes: bool = False):
        self.scenario_path = Path(scenario_path)
        file = file if file is not None else ScenarioFile.read(self.scenario_path)
        scenario = with_scripted_outcomes(file.scenario) if scripted_outcomes else file.scenario
        self.file = file
        self.digest = file.sha256
        self.state = ExerciseState(scenario, ExerciseModel(scenario, seed=seed))
        self.seed = self.model.seed
        self.header = new_header(self.scenario_path, scenario, self.digest, self.seed, participants or [],
                                 scripted_outcomes)
        self.records: list[dict[str, Any]] = []
        self.seats: dict[str, Seat] = available_seats(scenario)
        self.log_path = Path(log_path) if log_path is not None else None
        self._cursor = 0
        if self.log_path is not None:
            self.save()

    @property
    def scenario(self) -> Scenario:
        """The scenario being played."""
        return self.state.scenario

    @property
    def model(self) -> RippleModel:
        """The model under play."""
        return self.state.model

    @property
    def ratings(self) -> list[Rating]:
        """Every rating given, oldest first."""
        return self.state.ratings

    @property
    def entries(self) -> list[dict[str, Any]]:
        """The verbs carried out, oldest first (the log's lines without the refusals)."""
        return [r for r in self.records if not is_rejection(r)]

    @property
    def rejections(self) -> list[dict[str, Any]]:
        """The actions refused, oldest first: ``action`` as typed, ``reason``, ``tick``, ``time``, ``seat``."""
        return [r for r in self.records if is_rejection(r)]

    @property
    def scripted_outcomes(self) -> bool:
        """Whether every attack lands as written (the scenario's policy or the exercise's flag)."""
        return self.scenario.policies.scripted_outcomes

    # ------------------------------------------------------------ log and replay
    @classmethod
    def from_log(cls, log_path: str | Path, scenario_path: str | Path | None = None,
                 keep_logging: bool = True, file: ScenarioFile | None = None) -> "ExerciseSession":
        """Rebuild a session by replaying a saved log on its scenario and seed.

        Parameters
        ----------
        log_path : str or Path
            The exercise log.
        scenario_path : str or Path, optional
            The scenario (default: the one the log names).
        keep_logging : bool
            Append new verbs to the same log.
        file : ScenarioFile, optional
            ``scenario_path`` already read (default: read it here).

        Returns
        -------
        ExerciseSession
            The session as the log left it; :class:`ExerciseError` if the scenario changed
            since the log was written or the replay diverges.
        """
        header, records = read_records(log_path)
        path = Path(scenario_path) if scenario_path is not None else find_scenario(header)
        if not path.exists():
            raise ExerciseError(f"{path}: scenario file not found")
        file = file if file is not None else ScenarioFile.read(path)
        digest = file.sha256
        if digest != header.get("sha256"):
            raise ExerciseError(
                f"{path} has changed since {log_path} was written (sha256 {digest[:12]}… != "
                f"{str(header.get('sha256'))[:12]}…); a replay needs the scenario exactly as it was played")
        session = cls(path, seed=int(header["seed"]), log_path=None, file=file,
                      scripted_outcomes=bool(header.get("scripted_outcomes", False)))
        session.header = header
        if "seats" in header:
            try:
                session.seats = seats_from_records(header["seats"])
            except ExerciseError as exc:
                raise ExerciseError(f"{log_path}:1: {exc}") from None
        for number, entry in enumerate(records, 2):
            if entry.get("tick") != session.model.tick:
                raise ExerciseError(f"{log_path}:{number}: the replay reached tick {session.model.tick} where "
                                    f"the log has tick {entry.get('tick')}; the simulator has changed since")
            if is_rejection(entry):
                continue                  # refused when played: it changed nothing then, and changes nothing now
            try:
                VERBS[entry["verb"]].handler(session.state, dict(entry["args"]), entry.get("wall", ""))
            except (ExerciseError, KeyError, TypeError) as exc:
                raise ExerciseError(f"{log_path}:{number}: cannot replay `{entry['verb']}`: {exc}") from None
        session.records = list(records)
        session._cursor = len(session.model.events)
        if keep_logging:
            session.log_path = Path(log_path)
        return session

    def save(self) -> None:
        """Rewrite the log atomically (header, then one line per entry); no-op without a log."""
        if self.log_path is not None:
            write_log(self.log_path, self.header, self.records)

    @property
    def recorded_seats(self) -> list[str] | None:
        """The ids of the seats the log's header records, in order (None: the exercise had none)."""
        return [str(r["id"]) for r in self.header["seats"]] if "seats" in self.header else None

    def take_seats(self, seats: dict[str, Seat]) -> None:
        """Play with ``seats``: only they may act, and the log's header records them (id, name,
        what each commands); save the log.

        Parameters
        ----------
        seats : dict of str to Seat
            The exercise's seats by id (:func:`sim.exercise.seats.resolve_seats`).
        """
        self.seats = dict(seats)
        self.header["seats"] = [seat_record(seat) for seat in seats.values()]
        self.header["version"] = LOG_VERSION
        self.save()

    def do(self, verb: str, *, seat: str | None = None, seen: int | None = None, typed: str = "",
           **args: Any) -> str:
        """Carry out one verb, log it with its exercise and wall time (and seat), save the log.

        A verb that cannot be carried out raises :class:`ExerciseError` before it changes
        anything; unless it is a question (``why``), the refusal is logged (:meth:`reject`).

        Parameters
        ----------
        verb : str
            A verb of :data:`sim.exercise.verbs.VERBS`.
        seat : str, optional
            The seat acting (a key of :attr:`seats`): refused unless it may, and logged; None
            when the exercise has no seats.
        seen : int, optional
            How many log entries the acting view had seen: refused if the state has changed
            since (None: no check).
        typed : str
            The command as the player typed it, for the log of a refusal ('' : as the verb's
            log entry reads).
        **args
            Its arguments by name.

        Returns
        -------
        str
            The verb's one-line message.
        """
        if verb not in VERBS:
            raise ExerciseError(f"unknown verb '{verb}'")
        record = VERBS[verb]
        try:
            if seen is not None:
                check_fresh(self.entries, seen)
            args = record.bind(args)
            if seat is not None:
                check_seat(self.state, self.seats, seat, verb, args)
            tick, wall = self.model.tick, now_wall()
            message = record.handler(self.state, args, wall)
        except ExerciseError as exc:
            if record.category != QUERY:
                self.reject(typed or action_text(verb, args), str(exc), seat=seat, verb=verb)
            raise
        entry = {"verb": verb, "args": args, "tick": tick, "time": format_clock(tick * self.model.tick_seconds),
                 "wall": wall}
        if record.category == CLOCK:
            entry["to"] = self.model.tick
        if seat is not None:
            entry["seat"] = seat
        self.records.append(entry)
        self.save()
        return message

    def reject(self, action: str, reason: str, seat: str | None = None, verb: str | None = None) -> None:
        """Log an action that was refused, with its exercise and wall time (and seat); save the log.

        The run is not touched: a refused action changes nothing, and a replay skips it.

        Parameters
        ----------
        action : str
            The action as typed (or as its form's verb reads).
        reason : str
            Why it was refused, the message the player saw.
        seat : str, optional
            The seat that tried it (None: the exercise has no seats).
        verb : str, optional
            The verb tried, when it is one of the table.
        """
        tick = self.model.tick
        entry: dict[str, Any] = {"kind": REJECTED, "action": action, "reason": reason, "tick": tick,
                                 "time": format_clock(min(tick, self.n_ticks) * self.model.tick_seconds),
                                 "wall": now_wall()}
        if verb is not None:
            entry["verb"] = verb
        if seat is not None:
            entry["seat"] = seat
        self.records.append(entry)
        self.save()

    # --------------------------------------------------------------- the clock
    @property
    def finished(self) -> bool:
        """True once the clock has run past the last tick."""
        return self.state.finished

    @property
    def tick(self) -> int:
        """The current tick, capped at the last one."""
        return min(self.model.tick, self.model.n_ticks)

    @property
    def n_ticks(self) -> int:
        """The last tick of the exercise."""
        return self.model.n_ticks

    @property
    def tick_seconds(self) -> float:
        """Length of one tick, seconds."""
        return self.model.tick_seconds

    def clock(self, tick: int | None = None) -> str:
        """The exercise clock at ``tick`` (default: now), ``T+h:mm``.

        Parameters
        ----------
        tick : int, optional
            A model tick.

        Returns
        -------
        str
            The clock label, capped at the end.
        """
        return self.state.clock(tick)

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
        return self.state.wall_clock(tick)

    def next_inject_tick(self) -> int | None:
        """The tick of the next MSEL inject or planned attack that carries an inject, if any."""
        return next_inject_tick(self.state)

    def play_out(self) -> None:
        """Run the rest of the clock with no further decisions, unlogged (a report's run)."""
        self.model.advance()

    # --------------------------------------------------------------- the verbs
    def step(self, n: int = 1) -> str:
        """Run ``n`` ticks (verb ``step``).

        Parameters
        ----------
        n : int
            Ticks to run, >= 1.

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("step", n=n)

    def run_to_next_inject(self) -> str:
        """Run to just after the next inject."""
        return self.do("next")

    def run_until(self, at: str) -> str:
        """Run until the clock shows ``at`` (``T+h:mm``), or to the end for ``end``.

        Parameters
        ----------
        at : str
            A later exercise time ``T+h:mm``, or ``end``.

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("until", at=at)

    def dispatch(self, unit: str, node: str) -> str:
        """Send ``unit`` to the first task at ``node`` it can do.

        Parameters
        ----------
        unit : str
            A unit label.
        node : str
            A node id.

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("dispatch", unit=unit, node=node)

    def recall(self, unit: str) -> str:
        """Stop ``unit``'s task.

        Parameters
        ----------
        unit : str
            The label of a travelling or working unit.

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("recall", unit=unit)

    def aid(self, team: str) -> str:
        """Activate mutual-aid ``team``.

        Parameters
        ----------
        team : str
            One of :meth:`aid_teams`.

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("aid", team=team)

    def harden(self, node: str, level: float) -> str:
        """Set ``node``'s hardening, 0 to 1.

        Parameters
        ----------
        node : str
            A node id.
        level : float
            Hardening, fraction 0..1 (0 none, 1 full).

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("harden", node=node, level=level)

    def policy(self, name: str) -> str:
        """Switch the dispatch policy.

        Parameters
        ----------
        name : str
            One of :meth:`policy_names`.

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("policy", name=name)

    def sharing(self, level: float) -> str:
        """Set the information-sharing level, 0 to 1.

        Parameters
        ----------
        level : float
            Information sharing, fraction 0..1.

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("sharing", level=level)

    def attack(self, tactic: str, target: str | dict[str, Any], at: str | None = None,
               params: dict[str, float] | None = None, cell: str = "controller", inject: str = "",
               sector: str | None = None, kind: str | None = None) -> str:
        """Schedule an attack on a node id, or on a target rule narrowed by ``sector``/``kind``.

        Parameters
        ----------
        tactic : str
            One of :meth:`tactic_names`.
        target : str or dict
            A node id, a name from :meth:`target_rules`, a rule spec, or a line of a
            ``physics: dc`` sector (:meth:`line_ids`).
        at : str, optional
            When: ``T+h:mm`` or a duration such as ``90s`` (default: now).
        params : dict of str to float, optional
            The tactic's parameters.
        cell : str
            The attacker cell.
        inject : str
            Inject text the attack releases ('' for none).
        sector, kind : str, optional
            Narrow a target rule.

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("attack", tactic=tactic, target=target, at=at, params=params, cell=cell, inject=inject,
                       sector=sector, kind=kind)

    def inject(self, message: str, sender: str = "controller", to: str = "") -> str:
        """Release an ad-hoc inject now.

        Parameters
        ----------
        message : str
            The inject's text.
        sender : str
            Who sends it.
        to : str
            Its recipient (may be '').

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("inject", message=message, sender=sender, to=to)

    def note(self, text: str) -> str:
        """Record a remark in the log.

        Parameters
        ----------
        text : str
            The remark.

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("note", text=text)

    def rate(self, capability: str, rating: str, notes: str = "", **plan: str) -> str:
        """Rate a core capability; ``plan``: ``element``, ``org``, ``action``, ``due``, ``improve``, ``poc``.

        Parameters
        ----------
        capability : str
            Its number in :meth:`capabilities`, its name, or a unique prefix.
        rating : str
            P, S, M or U.
        notes : str
            The evaluator's observations.
        **plan : str
            Improvement-plan fields: ``element`` (a capability element or its prefix),
            ``org``, ``action`` (corrective action), ``due`` (``YYYY-MM-DD``, not before the
            exercise), ``improve`` (an area for improvement), ``poc`` (point of contact).

        Returns
        -------
        str
            The verb's one-line message.
        """
        return self.do("rate", capability=capability, rating=rating, notes=notes, **plan)

    # ------------------------------------------------------------ capabilities
    def capabilities(self) -> list[str]:
        """The MSEL's capabilities first (in inject order), then the other core capabilities."""
        return capabilities(self.scenario)

    def capability(self, text: str) -> str:
        """Resolve a capability from its number in :meth:`capabilities`, its name, or a unique prefix.

        Parameters
        ----------
        text : str
            As typed.

        Returns
        -------
        str
            The capability's name; :class:`ExerciseError` unless exactly one matches.
        """
        return resolve_capability(self.scenario, text)

    def latest_ratings(self) -> dict[str, Rating]:
        """The latest rating of each capability rated."""
        return {r.capability: r for r in self.ratings}

    # ----------------------------------------------------- what may be chosen
    def policy_names(self) -> list[str]:
        """The dispatch policies, by name."""
        return policy_names()

    def tactic_names(self) -> list[str]:
        """The attack tactics, by name."""
        return tactic_names()

    def target_rules(self) -> list[str]:
        """The target rules an attack may name instead of a node."""
        return target_rules()

    def aid_teams(self) -> list[str]:
        """The scenario's mutual-aid teams."""
        return aid_teams(self.scenario)

    def unit_labels(self) -> list[str]:
        """Every unit's label."""
        return [u.label for u in self.model.responders]

    def node_ids(self) -> list[str]:
        """Every node's id."""
        return list(self.model.network.ids)

    def line_ids(self) -> list[str]:
        """The lines an attack may target: the branches of the ``physics: dc`` sectors that have
        an id (none when every sector is topological)."""
        named = set(network_tables(self.scenario).link_id)
        return [line for line in self.model.line_index if line in named]

    # ---------------------------------------------------------------- viewing
    @property
    def network(self) -> Any:
        """The network's structure (ids, names, sectors, coordinates)."""
        return self.model.network

    @property
    def events(self) -> list[Event]:
        """Every event so far."""
        return self.model.events

    def news(self) -> list[Event]:
        """Events logged since the last call."""
        events = self.model.events[self._cursor:]
        self._cursor = len(self.model.events)
        return events

    def inject_record(self, event: Event) -> Inject | None:
        """The MSEL line behind an inject event, if it came from the MSEL.

        Parameters
        ----------
        event : Event
            An ``inject`` event.

        Returns
        -------
        Inject or None
            None for an ad-hoc inject.
        """
        return views.inject_record(self.state, event)

    def service(self) -> tuple[float, dict[str, float]]:
        """The service level now, overall and per sector (fractions)."""
        return views.service(self.state)

    def series_so_far(self) -> tuple[dict[str, Any], list[str]]:
        """The service series recorded so far and the sector names."""
        return views.series_so_far(self.state)

    def node_states(self) -> tuple[np.ndarray, np.ndarray]:
        """Per node, the reasons it is down (bit mask, 0: up) and whether it runs on backup."""
        return views.node_states(self.state)

    def incidents(self) -> list[dict[str, Any]]:
        """Nodes with open tasks: the node, why it is down, and each task's state."""
        return views.incidents(self.state)

    def backups(self) -> list[dict[str, Any]]:
        """Every node on backup, soonest to run out first (:func:`sim.exercise.views.backups`)."""
        return views.backups(self.state)

    def alerts(self) -> list[str]:
        """Per sector, when its backups run out if nothing is done (:func:`sim.exercise.views.alerts`)."""
        return views.alerts(self.state)

    def units(self) -> list[views.UnitView]:
        """Every unit as it stands now."""
        return views.units(self.state)

    def teams(self) -> list[dict[str, Any]]:
        """The units as table rows (unit, team, kind, status, node, work, until)."""
        return views.teams(self.state)

    def settings(self) -> dict[str, Any]:
        """The dispatch policy (``policy``) and information-sharing level (``sharing``)."""
        return views.settings(self.state)

    def released_injects(self) -> list[Event]:
        """The inject events so far."""
        return views.released_injects(self.state)

    def result(self) -> RunResult:
        """The run so far (rows past the clock are not yet filled)."""
        return self.model.result()

    def without(self, index: int) -> RunResult:
        """The exercise replayed without its ``index``-th log entry, then played to the end.

        An entry that cannot be carried out without the one left out (a recall of a unit it
        dispatched) is skipped too.

        Parameters
        ----------
        index : int
            The entry to leave out (0: the first after the header).

        Returns
        -------
        RunResult
            The whole run, on the same scenario and seed.
        """
        other = ExerciseSession(self.scenario_path, seed=self.seed, file=self.file,
                                scripted_outcomes=self.scripted_outcomes)
        for number, entry in enumerate(self.entries):
            if number == index:
                continue
            try:
                VERBS[entry["verb"]].handler(other.state, dict(entry["args"]), entry.get("wall", ""))
            except ExerciseError:
                continue
        other.play_out()
        return other.result()

    def counterfactual(self) -> RunResult:
        """The same scenario and seed run without the players' decisions."""
        return counterfactual(self.scenario, self.seed)


def action_text(verb: str, args: dict[str, Any]) -> str:
    """An action given as a verb and its arguments, as one line: as the verb's log entry reads,
    or, when the arguments do not fit it, the verb and its arguments as given.

    Parameters
    ----------
    verb : str
        A verb of :data:`sim.exercise.verbs.VERBS`.
    args : dict
        Its arguments as given.

    Returns
    -------
    str
        e.g. ``Dispatch police-9 to central_station``.
    """
    try:
        return VERBS[verb].entry_text(args)
    except (KeyError, TypeError, ValueError):
        return " ".join([verb, *(f"{k}={v}" for k, v in args.items())])
