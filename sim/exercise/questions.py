"""The question verbs: ``why`` (the chain of causes of a node's outage).

A question changes nothing in the run; it has the one signature of the verb table
(:mod:`sim.exercise.verbs`), ``handler(state, args, wall) -> str``, and its answer is the
message.
"""

from __future__ import annotations

from typing import Any

from sim.causes import find_node, text_lines, why as chain
from sim.exercise.errors import ExerciseError
from sim.exercise.state import ExerciseState
from sim.scenario.timefmt import parse_duration

__all__ = ["why"]


def why(state: ExerciseState, args: dict[str, Any], wall: str) -> str:
    """Why node ``args['node']`` (id or name) is down, or was at ``args['at']``: its chain of
    causes as a tree down to the attacks (:func:`sim.causes.why`).

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    args : dict
        ``node`` (str: id or name); optional ``at`` (str, ``T+h:mm``, not later than now).
    wall : str
        Unused.
    """
    model = state.model
    net = model.network
    try:
        node = find_node(str(args["node"]), net.ids, net.names)
    except ValueError as exc:
        raise ExerciseError(str(exc)) from None
    tick = model.tick - 1 if model.tick else 0        # the last tick run
    if args.get("at"):
        try:
            tick = int(parse_duration(args["at"]) // model.tick_seconds)
        except ValueError as exc:
            raise ExerciseError(f"why: {exc}") from None
        if tick >= model.tick:
            raise ExerciseError(f"{args['at']} has not been played yet (the clock is at {state.clock()})")
    events = [event.as_dict(model.tick_seconds) for event in model.result().timeline()]
    names = {i: n or i for i, n in zip(net.ids, net.names)}
    tree = chain(events, node, tick, lambda i: names.get(i, i), state.clock)
    if tree is None:
        raise ExerciseError(f"{names.get(node, node)} is not down at {state.clock(tick)}")
    return "\n".join(text_lines(tree))
