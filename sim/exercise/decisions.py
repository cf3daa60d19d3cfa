"""The players' decisions: ``dispatch``, ``recall``, ``aid``, ``harden``, ``policy`` and
``sharing``. Each checks everything before it changes the run and logs a ``decision`` event.

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

from agents.dispatch import POLICIES
from agents.events import EventKind
from agents.incidents import UnitStatus
from sim.exercise.errors import ExerciseError
from sim.exercise.lookup import find_node, find_unit, task_for
from sim.exercise.state import ExerciseState
from sim.scenario.schema import Scenario

__all__ = ["policy_names", "aid_teams", "dispatch", "recall", "aid", "harden", "policy", "sharing"]


def policy_names() -> list[str]:
    """The dispatch policies a player can choose, by name."""
    return list(POLICIES)


def aid_teams(scenario: Scenario) -> list[str]:
    """The scenario's mutual-aid teams (those a player can call with ``aid``).

    Parameters
    ----------
    scenario : Scenario
        The exercise's scenario.

    Returns
    -------
    list of str
        Team names, in the scenario's order.
    """
    return [name for name, team in scenario.responders.items() if team.mutual_aid is not None]


def _level(value: Any, what: str) -> float:
    """``value`` as a float if it is a number from 0 to 1; :class:`ExerciseError` naming ``what`` otherwise."""
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0.0 <= value <= 1.0:
        raise ExerciseError(f"{what} is a level from 0 to 1, not '{value}'")
    return float(value)


def dispatch(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Send unit ``args['unit']`` to the first task at node ``args['node']`` it can do.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``unit`` (str, unit label); ``node`` (str, node id); both case-insensitive.
    wall : str
        Unused.
    """
    state.live()
    model, unit, node = state.model, find_unit(state, args["unit"]), find_node(state, args["node"])
    if unit.status == UnitStatus.INACTIVE:
        raise ExerciseError(f"{unit.label} is a mutual-aid unit that has not arrived (`aid {unit.team}` requests it)")
    if unit.status == UnitStatus.OUT:
        raise ExerciseError(f"{unit.label} is out of service until {state.clock(unit.until)}")
    task = task_for(state, unit, node)
    joins = [u.label for u in task.crew]
    model.log(EventKind.DECISION, node=node, team=unit.label, verb="dispatch", work=task.work)
    model.dispatcher.order(unit, task, model.tick)
    where = "on scene" if unit.status == UnitStatus.WORKING else f"ETA {state.clock(unit.until)}"
    helping = f", joining {', '.join(joins)}" if joins else ""
    return f"{unit.label} dispatched to {model.network.ids[node]} ({task.work}{helping}), {where}"


def recall(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Stop unit ``args['unit']``'s task; it waits where it stands.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``unit`` (str, label of a travelling or working unit).
    wall : str
        Unused.
    """
    state.live()
    model, unit = state.model, find_unit(state, args["unit"])
    if unit.status not in (UnitStatus.TRAVELLING, UnitStatus.WORKING):
        raise ExerciseError(f"{unit.label} is {unit.status}; only a travelling or working unit can be recalled")
    node = unit.task.node
    model.log(EventKind.DECISION, node=node, team=unit.label, verb="recall", work=unit.task.work)
    unit.recall()
    held = "" if model.dispatcher.policy == "manual" else \
        f" (the {model.dispatcher.policy} policy may assign it again; `policy manual` holds it)"
    return f"{unit.label} recalled from {model.network.ids[node]}, idle where it stands{held}"


def aid(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Activate mutual-aid team ``args['team']``; it arrives after its delay.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``team`` (str, a team of :func:`aid_teams` not yet activated).
    wall : str
        Unused.
    """
    state.live()
    team, model = args["team"], state.model
    teams = aid_teams(state.scenario)
    if team not in teams:
        raise ExerciseError(f"'{team}' is not a mutual-aid team (mutual-aid teams: {', '.join(teams) or 'none'})")
    if model.aid_due[team] is not None:
        raise ExerciseError(f"mutual aid {team} was already activated; it arrives {state.clock(model.aid_due[team])}")
    model.log(EventKind.DECISION, team=team, verb="aid")
    model.activate_mutual_aid(team, "requested by players")
    return f"mutual aid {team} activated; arrives {state.clock(model.aid_due[team])}"


def harden(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Set node ``args['node']``'s hardening to ``args['level']`` (0 none, 1 full).

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``node`` (str, node id); ``level`` (float, fraction 0..1).
    wall : str
        Unused.
    """
    state.live()
    node, level = find_node(state, args["node"]), _level(args["level"], "hardening")
    net = state.model.network
    before = float(net.hardening[node])
    if level == before:
        raise ExerciseError(f"{net.ids[node]} is already hardened to {level:g}; nothing to change")
    state.model.log(EventKind.DECISION, node=node, verb="harden", level=level, before=before)
    net.hardening[node] = level
    return f"{net.ids[node]} hardened {before:g} → {level:g}"


def policy(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Switch the dispatch policy to ``args['name']``.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``name`` (str, one of :func:`policy_names`).
    wall : str
        Unused.
    """
    state.live()
    name, dispatcher = args["name"], state.model.dispatcher
    if name not in POLICIES:
        raise ExerciseError(f"no dispatch policy '{name}' (policies: {', '.join(POLICIES)})")
    before = dispatcher.policy
    if name == before:
        raise ExerciseError(f"the dispatch policy is already {name}; nothing to change")
    state.model.log(EventKind.DECISION, verb="policy", name=name, before=before)
    dispatcher.policy = name
    return f"dispatch policy {before} → {name}"


def sharing(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Set the information-sharing level to ``args['level']``, 0 to 1.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``level`` (float, fraction 0..1).
    wall : str
        Unused.
    """
    state.live()
    level = _level(args["level"], "information sharing")
    before = state.model.information_sharing
    if level == before:
        raise ExerciseError(f"information sharing is already {level:g}; nothing to change")
    state.model.log(EventKind.DECISION, verb="sharing", level=level, before=before)
    state.model.information_sharing = level
    return f"information sharing {before:g} → {level:g}"
