"""Finding what players name: nodes and units by id (forgiving case, suggesting close
matches), the task a unit can take at a node, and how a unit's skills and a task read."""

from __future__ import annotations

import difflib

from agents.incidents import WORK_TEAM, Task
from agents.responders import Responder
from sim.exercise.errors import ExerciseError
from sim.exercise.state import ExerciseState

__all__ = ["find_node", "find_unit", "task_for", "skills", "describe_task"]


def find_node(state: ExerciseState, node_id: str) -> int:
    """The index of node ``node_id`` (case-insensitive).

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    node_id : str
        A node id as typed.

    Returns
    -------
    int
        The node's index; :class:`ExerciseError` with close matches if there is none.
    """
    index = state.model.network.index
    if node_id in index:
        return index[node_id]
    folded = {k.lower(): v for k, v in index.items()}
    if node_id.lower() in folded:
        return folded[node_id.lower()]
    close = difflib.get_close_matches(node_id, list(index), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else " (`incidents` lists the nodes in trouble)"
    raise ExerciseError(f"no node '{node_id}'{hint}")


def find_unit(state: ExerciseState, label: str) -> Responder:
    """The responder unit labelled ``label`` (case-insensitive).

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    label : str
        A unit label such as ``crew-1``.

    Returns
    -------
    Responder
        The unit; :class:`ExerciseError` with close matches if there is none.
    """
    for unit in state.model.responders:
        if unit.label.lower() == label.lower():
            return unit
    labels = [u.label for u in state.model.responders]
    close = difflib.get_close_matches(label, labels, n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else f" (units: {', '.join(labels)})"
    raise ExerciseError(f"no unit '{label}'{hint}")


def task_for(state: ExerciseState, unit: Responder, node: int) -> Task:
    """The node's first waiting task ``unit`` can do; else a task under way there it can join
    (crews share work, up to ``policies.max_crew``); else an error saying what is there.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    unit : Responder
        The unit to send.
    node : int
        The node's index.

    Returns
    -------
    Task
        The task to order the unit to.
    """
    model = state.model
    here = [t for t in model.board.tasks if t.node == node and not t.done]
    for task in here:
        if task.waiting(model.tick) and unit.can_do(task):
            return task
    if unit.task is not None and unit.task.node == node:
        raise ExerciseError(f"{unit.label} is already on {unit.task.work} at {model.network.ids[node]}")
    for task in here:
        if (task.ready and task.crew and task.available <= model.tick and unit.can_do(task)
                and len(task.crew) < model.policies.max_crew):
            return task
    node_id = model.network.ids[node]
    if not here:
        raise ExerciseError(f"nothing to do at {node_id}: no open incident there")
    raise ExerciseError(f"no waiting task at {node_id} that {unit.label} ({skills(state, unit)}) can do; "
                        f"open there: {'; '.join(describe_task(state, t) for t in here)}")


def skills(state: ExerciseState, unit: Responder) -> str:
    """A unit's kind, with the sectors it repairs for a repair crew (``repair: energy``).

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    unit : Responder
        The unit.

    Returns
    -------
    str
        e.g. ``police`` or ``repair: energy, water``.
    """
    if unit.kind != "repair":
        return unit.kind
    return "repair: " + ", ".join(sorted(state.model.network.sector_names[s] for s in unit.sectors))


def describe_task(state: ExerciseState, task: Task) -> str:
    """A task and its state, e.g. ``repair (waiting, needs repair for energy)``.

    Parameters
    ----------
    state : ExerciseState
        The run under play.
    task : Task
        An open task.

    Returns
    -------
    str
        The work, its condition (taken, not yet detected, after another task, waiting) and
        the team it needs.
    """
    sector = state.model.network.sector_names[task.sector]
    who = f"{WORK_TEAM[task.work]} for {sector}" if task.work == "repair" else WORK_TEAM[task.work]
    if task.crew:
        condition = f"taken by {', '.join(u.label for u in task.crew)}"
    elif task.available > state.model.tick:
        condition = "not yet detected"
    elif not task.ready:
        condition = f"after {task.before.work}"
    else:
        condition = "waiting"
    return f"{task.work} ({condition}, needs {who})"
