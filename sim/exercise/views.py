"""Read models of the run under play, for the front ends: open incidents, units, service,
released injects and the run-wide settings — plain values and strings, so that a front end
needs neither the model nor the agents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.events import EventKind
from agents.incidents import UnitStatus
from sim.exercise.foresight import backup_left, forecast
from sim.exercise.injects import released_as
from sim.exercise.lookup import describe_task, skills
from sim.exercise.state import ExerciseState
from sim.network import reason_names
from sim.results import Event
from sim.scenario.schema import Inject
from sim.scenario.timefmt import format_clock

__all__ = ["backups", "alerts", "UnitView", "status_name", "units", "teams", "incidents", "service", "series_so_far", "inject_record",
           "released_injects", "settings", "node_states"]


def status_name(status: UnitStatus) -> str:
    """A unit status as its string (``idle``, ``travelling``, ``out of service``…).

    Parameters
    ----------
    status : UnitStatus
        A unit's status.

    Returns
    -------
    str
        The status's value.
    """
    return status.value


@dataclass(frozen=True)
class UnitView:
    """One responder unit as the front ends show it.

    ``position`` and ``base`` are map coordinates (the network's x, y); ``node_index`` is the
    index of the node of its task (None without one); ``until`` is the clock label at which
    travel, work (at the present crew size) or time out of service ends, or a called
    mutual-aid unit arrives ('' otherwise).
    """

    label: str
    team: str
    kind: str
    skills: str
    status: str
    position: tuple[float, float]
    base: tuple[float, float]
    node_index: int | None
    node: str
    node_name: str
    work: str
    until: str


def units(state: ExerciseState) -> list[UnitView]:
    """Every responder unit, as it stands now.

    Parameters
    ----------
    state : ExerciseState
        The run under play.

    Returns
    -------
    list of UnitView
        In the model's order.
    """
    net, out = state.model.network, []
    for unit in state.model.responders:
        task = unit.task
        out.append(UnitView(
            unit.label, unit.team, unit.kind, skills(state, unit), status_name(unit.status),
            (float(unit.position[0]), float(unit.position[1])), (float(unit.base[0]), float(unit.base[1])),
            task.node if task is not None else None, net.ids[task.node] if task is not None else "",
            net.names[task.node] if task is not None else "", task.work if task is not None else "",
            _until(state, unit)))
    return out


def _until(state: ExerciseState, unit: Any) -> str:
    """When the unit's present state ends: arrival, the end of its work at the present crew
    size, the end of time out of service, a called mutual-aid unit's arrival; '' otherwise."""
    model = state.model
    if unit.status in (UnitStatus.TRAVELLING, UnitStatus.OUT):
        return state.clock(unit.until)
    if unit.status == UnitStatus.WORKING and unit.task is not None:
        on_site = sum(1 for u in unit.task.crew if u.status == UnitStatus.WORKING)
        return state.clock(model.tick + -(-unit.task.work_left // max(1, on_site)))
    if unit.status == UnitStatus.INACTIVE and model.aid_due.get(unit.team) is not None:
        return state.clock(model.aid_due[unit.team])
    return ""


def teams(state: ExerciseState) -> list[dict[str, Any]]:
    """The units as table rows: unit, team, kind (skills), status, node, work, until.

    Parameters
    ----------
    state : ExerciseState
        The run under play.

    Returns
    -------
    list of dict
        One row per unit, as :func:`units` orders them; ``until`` is a ``T+h:mm`` label or '';
        a mutual-aid unit called but not yet arrived shows ``called in`` until its arrival.
    """
    return [{"unit": u.label, "team": u.team, "kind": u.skills,
             "status": "called in" if u.status == "inactive" and u.until else u.status, "node": u.node,
             "work": u.work, "until": u.until} for u in units(state)]


def incidents(state: ExerciseState) -> list[dict[str, Any]]:
    """Nodes with open tasks: the node, why it is down, and each task's state.

    Parameters
    ----------
    state : ExerciseState
        The run under play.

    Returns
    -------
    list of dict
        ``node`` (id), ``name``, ``sector``, ``down`` (reason names), ``tasks`` (one line each).
    """
    model, net = state.model, state.model.network
    nodes: dict[int, list] = {}
    for task in model.board.tasks:
        if not task.done:
            nodes.setdefault(task.node, []).append(task)
    return [{"node": net.ids[i], "name": net.names[i], "sector": net.sector_names[net.sector[i]],
             "down": reason_names(int(model.state.down[i])), "tasks": [describe_task(state, t) for t in tasks]}
            for i, tasks in nodes.items()]


def service(state: ExerciseState) -> tuple[float, dict[str, float]]:
    """The service level now: overall and per sector, fractions 0 to 1.

    Parameters
    ----------
    state : ExerciseState
        The run under play.

    Returns
    -------
    tuple of (float, dict of str to float)
        The overall service level and each sector's, fractions 0..1.
    """
    q, sector_q = state.model.recorder.levels
    return q, dict(zip(state.model.recorder.sectors, map(float, sector_q)))


def series_so_far(state: ExerciseState) -> tuple[dict[str, Any], list[str]]:
    """The service series recorded so far and the sector names.

    Parameters
    ----------
    state : ExerciseState
        The run under play.

    Returns
    -------
    tuple of (dict, list of str)
        ``time_h`` (hours), ``service`` and ``service_<sector>`` (fractions), one row per tick
        run; and the sectors.
    """
    model, rec = state.model, state.model.recorder
    rows = min(model.tick, model.n_ticks + 1)
    series: dict[str, Any] = {"time_h": [i * model.tick_seconds / 3600.0 for i in range(rows)],
                              "service": rec.service[:rows]}
    for i, name in enumerate(rec.sectors):
        series[f"service_{name}"] = rec.sector_service[i, :rows]
    return series, list(rec.sectors)


def inject_record(state: ExerciseState, event: Event) -> Inject | None:
    """The MSEL line behind an inject event, if it came from the MSEL.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    event : Event
        An ``inject`` event.

    Returns
    -------
    Inject or None
        The scenario's inject with the event's ``number`` (its ``otherwise`` alternative when
        that was released); None for an ad-hoc inject.
    """
    number = event.detail.get("number")
    line = next((i for i in state.scenario.injects if i.number == number), None) if number is not None else None
    return released_as(line, event.detail.get("branch")) if line is not None else None


def released_injects(state: ExerciseState) -> list[Event]:
    """The inject events so far, oldest first.

    Parameters
    ----------
    state : ExerciseState
        The run under play.

    Returns
    -------
    list of Event
        MSEL and ad-hoc injects alike.
    """
    return [e for e in state.model.events if e.kind == EventKind.INJECT]


def settings(state: ExerciseState) -> dict[str, Any]:
    """The run-wide settings players change.

    Parameters
    ----------
    state : ExerciseState
        The run under play.

    Returns
    -------
    dict
        ``policy`` (dispatch policy name) and ``sharing`` (information-sharing level,
        fraction 0..1).
    """
    return {"policy": state.model.dispatcher.policy, "sharing": state.model.information_sharing}


def node_states(state: ExerciseState) -> tuple[np.ndarray, np.ndarray]:
    """Per node, the bit mask of reasons it is down (0: up), and whether it runs on backup.

    Parameters
    ----------
    state : ExerciseState
        The run under play.

    Returns
    -------
    tuple of (ndarray, ndarray)
        The model's arrays (not copies), one entry per node: the down-reason bitmask
        (:func:`sim.network.reason_names` reads them) and the backup flags.
    """
    return state.model.state.down, state.model.state.backup


def backups(state: ExerciseState) -> list[dict[str, Any]]:
    """Every node running on backup: its backup time left and when it runs out if nothing is done.

    Parameters
    ----------
    state : ExerciseState
        The run under play.

    Returns
    -------
    list of dict
        Soonest first: ``node`` (id), ``name``, ``sector``, ``left`` (``h:mm``), ``runs_out``
        (``T+h:mm`` from :func:`sim.exercise.foresight.forecast`, or ``after the end``).
    """
    model, net = state.model, state.model.network
    left = backup_left(model)
    down_at = {node: tick for f in forecast(model) for node, tick in zip(f.nodes, f.ticks)}
    rows = []
    for i in np.flatnonzero(np.isfinite(left)).tolist():
        tick = down_at.get(net.ids[i])
        rows.append({"node": net.ids[i], "name": net.names[i], "sector": net.sector_names[net.sector[i]],
                     "left": format_clock(float(left[i]))[2:], "seconds": float(left[i]),
                     "runs_out": state.clock(tick) if tick is not None else "after the end"})
    return sorted(rows, key=lambda r: (r["seconds"], r["node"]))


def alerts(state: ExerciseState) -> list[str]:
    """One warning per sector whose backups run out within the run if nothing is done.

    Parameters
    ----------
    state : ExerciseState
        The run under play.

    Returns
    -------
    list of str
        Soonest first, e.g. ``water backups run out at T+9:15 (in 1:15) unless power returns``.
    """
    out = []
    for f in forecast(state.model):
        wait = format_clock((f.tick - state.model.tick) * state.model.tick_seconds)[2:]
        need = " and ".join(f.resources)
        unless = f" unless {need} {'returns' if len(f.resources) == 1 else 'return'}" if need else ""
        names = ", ".join(f.nodes[:3]) + (f" and {len(f.nodes) - 3} more" if len(f.nodes) > 3 else "")
        out.append(f"{f.sector} backups run out at {state.clock(f.tick)} (in {wait}){unless}: {names}")
    return out
