"""The dispatcher: matches idle units to ready tasks, by policy.

A policy is a small function ``(tasks, units, model) -> [(task, unit), ...]``:

- ``criticality``: the task whose node matters most to the restored network first: the
  population that would stay unserved if that node alone stayed down once all other work
  is done and backup buffers are spent (cascade-kernel runs per node), nearest unit.
- ``fifo``: oldest task first, nearest unit.
- ``nearest``: the closest (unit, task) pairs first, greedily.
- ``manual``: nothing automatic; units move only on orders (:meth:`Dispatcher.order`).

Units left idle once every waiting task has one reinforce the tasks in progress (of the
kinds in ``policies.reinforce``: repair crews by default, police and fire stay free for new
scenes), in the same policy order, so extra crews, mutual aid among them, shorten big jobs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

import numpy as np

from agents.incidents import Task, UnitStatus, Work

if TYPE_CHECKING:
    from agents.port import World
    from agents.responders import Responder

__all__ = ["Policy", "POLICIES", "Dispatcher", "fifo", "criticality", "nearest", "manual"]

Policy = Callable[[list[Task], list["Responder"], "World"], list[tuple[Task, "Responder"]]]


def _distance(model: "World", unit: Responder, task: Task) -> float:
    """Straight-line distance from ``unit`` to ``task``'s node, km (``Responder.distance_km``)."""
    return unit.distance_km(task.node)


def _in_order(tasks: list[Task], units: list[Responder], model: "World") -> list[tuple[Task, Responder]]:
    """Give each task in turn the nearest capable unit still free."""
    free, pairs = list(units), []
    for task in tasks:
        able = [u for u in free if u.can_do(task)]
        if able:
            unit = min(able, key=lambda u: (_distance(model, u, task), u.unique_id))
            free.remove(unit)
            pairs.append((task, unit))
    return pairs


def fifo(tasks: list[Task], units: list[Responder], model: "World") -> list[tuple[Task, Responder]]:
    """Oldest task first (by tick opened, then order opened), each with the nearest capable unit.

    Parameters
    ----------
    tasks : list[Task]
        The waiting tasks (or, when reinforcing, the tasks in progress).
    units : list[Responder]
        The idle units.
    model : World
        The model (node positions, and for ``criticality`` the restoration values).

    Returns
    -------
    list[tuple[Task, Responder]]
        (task, unit) pairs, each task and unit at most once, in the order assigned.
    """
    return _in_order(sorted(tasks, key=lambda t: (t.opened, t.seq)), units, model)


def criticality(tasks: list[Task], units: list[Responder], model: "World") -> list[tuple[Task, Responder]]:
    """Most critical node first, each task with the nearest capable unit.

    A node's criticality is its restoration value (:meth:`agents.port.World.restoration_values`,
    people), then its own population; ties go to the oldest task.

    Parameters
    ----------
    tasks : list[Task]
        The waiting tasks (or, when reinforcing, the tasks in progress).
    units : list[Responder]
        The idle units.
    model : World
        The model (node positions, and for ``criticality`` the restoration values).

    Returns
    -------
    list[tuple[Task, Responder]]
        (task, unit) pairs, each task and unit at most once, in the order assigned.
    """
    value = model.restoration_values(sorted({t.node for t in tasks}))
    population = model.network.population
    return _in_order(sorted(tasks, key=lambda t: (-value[t.node], -population[t.node], t.opened, t.seq)), units, model)


def nearest(tasks: list[Task], units: list[Responder], model: "World") -> list[tuple[Task, Responder]]:
    """The closest (unit, task) pairs first, greedily; ties by task order, then unit id.

    Parameters
    ----------
    tasks : list[Task]
        The waiting tasks (or, when reinforcing, the tasks in progress).
    units : list[Responder]
        The idle units.
    model : World
        The model (node positions, and for ``criticality`` the restoration values).

    Returns
    -------
    list[tuple[Task, Responder]]
        (task, unit) pairs, each task and unit at most once, in the order assigned.
    """
    pairs = sorted(((_distance(model, u, t), t.seq, u.unique_id, t, u) for t in tasks for u in units if u.can_do(t)),
                   key=lambda p: p[:3])
    taken_t, taken_u, out = set(), set(), []
    for _, _, _, task, unit in pairs:
        if task.seq not in taken_t and unit.unique_id not in taken_u:
            taken_t.add(task.seq)
            taken_u.add(unit.unique_id)
            out.append((task, unit))
    return out


def manual(tasks: list[Task], units: list[Responder], model: "World") -> list[tuple[Task, Responder]]:
    """No automatic assignment: units move only on orders (:meth:`Dispatcher.order`).

    Parameters
    ----------
    tasks : list[Task]
        The waiting tasks (or, when reinforcing, the tasks in progress).
    units : list[Responder]
        The idle units.
    model : World
        The model (node positions, and for ``criticality`` the restoration values).

    Returns
    -------
    list[tuple[Task, Responder]]
        Always empty.
    """
    return []


POLICIES: dict[str, Policy] = {"criticality": criticality, "nearest": nearest, "fifo": fifo, "manual": manual}


class Dispatcher:
    """Assigns idle ``units`` to waiting tasks each tick, by the current policy.

    Parameters
    ----------
    model : World
        The model (its task board, network, policies and travel factor).
    policy : str
        A key of :data:`POLICIES`; may be changed during a run (an exercise decision).
    units : list[Responder]
        Every unit of the run, in roster order.
    """

    def __init__(self, model: "World", policy: str, units: list[Responder]):
        self.model = model
        self.policy = policy
        self.units = units

    def dispatch(self, tick: int) -> None:
        """Assign idle units: one to each waiting task, then reinforcements.

        Switch tasks (closing a normally-open tie restores load at once) go first, each to
        the nearest capable unit (:func:`nearest`); under ``manual`` they wait for orders.
        Then one unit for each waiting task, in policy order; then units still idle
        reinforce tasks in progress (up to ``policies.max_crew`` units a task, of the kinds
        in ``policies.reinforce``; never a switch).

        Parameters
        ----------
        tick : int
            The current tick.
        """
        units = [u for u in self.units if u.status == UnitStatus.IDLE]
        if not units:
            return
        factor = self.model.travel_factor()
        tasks = self.model.board.waiting(tick)
        switches = [t for t in tasks if t.work == Work.SWITCH]
        if switches and self.policy != "manual":
            for task, unit in nearest(switches, units, self.model):
                unit.assign(task, tick, unit.travel_ticks(task.node, factor))
                units.remove(unit)
            tasks = [t for t in tasks if t.work != Work.SWITCH]
        while units and tasks:
            pairs = POLICIES[self.policy](tasks, units, self.model)
            if not pairs:
                break
            for task, unit in pairs:
                unit.assign(task, tick, unit.travel_ticks(task.node, factor))
                units.remove(unit)
            limit, kinds = self.model.policies.max_crew, self.model.policies.reinforce
            tasks = [t for t in self.model.board.open_tasks()
                     if t.crew and len(t.crew) < limit and t.team_kind in kinds and t.work != Work.SWITCH]

    def can_progress(self, tick: int) -> bool:
        """Whether some idle unit could take some waiting task (always False under ``manual``).

        Parameters
        ----------
        tick : int
            The current tick.

        Returns
        -------
        bool
            True when a dispatch at ``tick`` could assign a unit.
        """
        if self.policy == "manual":
            return False
        units = [u for u in self.units if u.status == UnitStatus.IDLE]
        return any(u.can_do(t) for t in self.model.board.waiting(tick) for u in units)

    def order(self, unit: Responder, task: Task, tick: int) -> None:
        """A facilitator's order: ``unit`` drops what it does and takes (or joins) ``task``.

        Parameters
        ----------
        unit : Responder
            The unit ordered.
        task : Task
            The task it goes to.
        tick : int
            The current tick; travel starts now.
        """
        unit.recall()
        unit.assign(task, tick, unit.travel_ticks(task.node, self.model.travel_factor()))
