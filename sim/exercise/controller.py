"""The controller's verbs: ``attack`` (schedule an attack now or later) and ``inject``
(release an ad-hoc inject).

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

from pydantic import ValidationError

from agents.events import EventKind
from agents.tactics import TACTICS
from agents.targeting import RULES
from sim.exercise.errors import ExerciseError
from sim.exercise.lookup import find_node
from sim.exercise.state import ExerciseState
from sim.network import network_tables
from sim.scenario.checks import line_target
from sim.scenario.schema import Action, TargetRule
from sim.scenario.timefmt import format_clock

__all__ = ["tactic_names", "target_rules", "attack_target", "target_id", "attack", "inject"]


def tactic_names() -> list[str]:
    """The attack tactics, by name."""
    return list(TACTICS)


def target_rules() -> list[str]:
    """The target rules an attack may name instead of a node."""
    return list(RULES)


def attack_target(args: dict[str, Any]) -> dict[str, Any]:
    """The ``attack`` arguments with ``target`` a rule spec when it names a rule.

    Parameters
    ----------
    args : dict
        ``attack`` arguments; ``sector`` and ``kind`` (optional) narrow a target rule.

    Returns
    -------
    dict
        The same arguments without ``sector`` and ``kind``; a rule name as ``target`` becomes
        ``{"rule": name, "sector": ..., "kind": ...}`` as the log records it.
    """
    args = dict(args)
    narrow = {k: args.pop(k) for k in ("sector", "kind") if k in args}
    target = args.get("target")
    if isinstance(target, str) and target in RULES:
        args["target"] = {"rule": target, **narrow}
    elif narrow:
        raise ExerciseError("sector= and kind= narrow a target rule, not a node id")
    return args


def target_id(state: ExerciseState, target: str, tactic: str) -> str:
    """The node or line an attack names: a node id, else a line of a ``physics: dc`` sector the
    tactic can hit, validated as a scenario's action is (:func:`sim.scenario.checks.line_target`),
    else a node id in another case.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    target : str
        The target as typed.
    tactic : str
        The attack's tactic.

    Returns
    -------
    str
        The node's id or the line's id; :class:`ExerciseError` with the scenario check's
        message (or the node lookup's, where no sector has lines as targets).
    """
    if target in state.model.network.index:          # a node id wins over a line id that is the same
        return target
    problems = line_target(state.scenario, network_tables(state.scenario), ("target",), target, tactic)
    if not problems:
        return target
    try:
        return state.model.network.ids[find_node(state, target)]
    except ExerciseError as no_node:
        message = problems[0][1]
        if message.startswith("no node '"):     # no sector has lines as targets: the lookup's own hint
            raise no_node from None
        raise ExerciseError(message) from None


def attack(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Schedule tactic ``args['tactic']`` on ``args['target']`` (a node id or a rule spec) at
    ``args['at']`` (default now), for cell ``args['cell']``, with tactic ``params``.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``tactic`` (str, a tactic name); ``target`` (str node id, a line id of a
        ``physics: dc`` sector, or a rule spec dict from :func:`attack_target`); ``at`` (str, optional: exercise time, ``T+h:mm`` or a
        duration such as ``90s``; default now); ``params`` (dict, tactic parameters; default
        none); ``cell`` (str, attacker cell; default ``controller``); ``inject`` (str,
        optional: the inject text the attack releases).
    wall : str
        Unused.
    """
    state.live()
    model = state.model
    tactic, target = args["tactic"], args["target"]
    if tactic not in TACTICS:
        raise ExerciseError(f"no tactic '{tactic}' (tactics: {', '.join(TACTICS)})")
    params = args.get("params", {})
    unknown = sorted(set(params) - set(TACTICS[tactic].parameter_names()))
    if unknown:
        raise ExerciseError(f"{tactic} has no parameter {', '.join(unknown)} "
                            f"(parameters: {', '.join(TACTICS[tactic].parameter_names())})")
    if isinstance(target, dict):
        if target.get("sector") is not None and target["sector"] not in model.network.sector_names:
            raise ExerciseError(f"no sector '{target['sector']}' (sectors: {', '.join(model.network.sector_names)})")
    else:
        target = target_id(state, target, tactic)
    at = args.get("at") or f"{model.tick * model.tick_seconds:g}s"
    try:
        action = Action.model_validate({"at": at, "tactic": tactic, "target": target, "params": params,
                                        "inject": args.get("inject", "")})
    except ValidationError as exc:
        raise ExerciseError("attack: " + "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
    if model.tick_of(action.at) < model.tick:
        raise ExerciseError(f"{at} is in the past (the clock is at {state.clock()})")
    if model.tick_of(action.at) > model.n_ticks:
        raise ExerciseError(f"{at} lies beyond the end of the exercise")
    cell = args.get("cell", "controller")
    shown = target if isinstance(target, str) else TargetRule.model_validate(target).rule
    model.log(EventKind.DECISION, node=model.network.index.get(shown), verb="attack", tactic=tactic, attacker=cell,
              at=format_clock(action.at), target=shown)
    model.add_action(cell, action)
    if isinstance(target, str) and target not in model.network.index:
        shown = f"line {target}"
    return f"{tactic} on {shown} scheduled at {format_clock(action.at)} (cell {cell})"


def inject(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Release ``args['message']`` now as an ad-hoc inject from ``sender`` to ``to``.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``message`` (str, non-empty); ``sender`` (str; default ``controller``); ``to`` (str,
        recipient; default '').
    wall : str
        Unused.
    """
    state.live()
    message = str(args["message"]).strip()
    if not message:
        raise ExerciseError("an inject needs a message")
    state.model.log(EventKind.INJECT, number=None, sender=args.get("sender", "controller"), to=args.get("to", ""),
                    message=message, adhoc=True)
    return f"ad-hoc inject released at {state.clock()}"
