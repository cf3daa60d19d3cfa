"""Responders: teams of police, fire/EMS, repair crews and cyber incident response.

Each unit of a team is a Mesa agent that moves between states::

    inactive (mutual aid not yet arrived) → idle → travelling → working → idle
                                              ↘ out of service (secondary device) → idle

Travel is straight-line distance at the team's speed, slowed where transport is degraded.
The distance to an unplaced node (one without coordinates) is not known: it is taken as the
median of the unit's distances to the placed nodes of that node's sector (of all placed
nodes when its sector has none; 0 when no node is placed), and a unit that arrives there
stays, for later trips, where it set out from.
Every tick on site takes one tick of work off the unit's task; the unit that finishes it
frees the whole crew.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.events import EventKind
from agents.incidents import Task, TeamKind, UnitStatus

if TYPE_CHECKING:
    from agents.port import World

__all__ = ["Responder"]


class Responder(mesa.Agent):
    """One unit of a responder team.

    Parameters
    ----------
    model : World
        The model the unit works in.
    team : str
        The team's name (a key of a scenario's ``responders``).
    unit : int
        The unit's number in its team, from 1; the label is ``"<team>-<unit>"``.
    kind : str
        The team's kind (a :class:`agents.incidents.TeamKind` value).
    sectors : set[int]
        Sector codes a repair crew can repair.
    speed_kmh : float
        Travel speed, km/h.
    base : numpy.ndarray
        The base's position (x, y), km; the unit starts there.
    jurisdiction : str
        The team's jurisdiction ('' for none).
    active : bool
        Available from the start (False for mutual aid, which starts inactive).
    """

    model: "World"

    def __init__(self, model: "World", team: str, unit: int, kind: str, sectors: set[int],
                 speed_kmh: float, base: np.ndarray, jurisdiction: str, active: bool):
        super().__init__(model)
        self.team = team
        self.label = f"{team}-{unit}"
        self.kind = kind
        self.sectors = sectors
        self.speed_kmh = speed_kmh
        self.base = base
        self.position = base.copy()
        self.jurisdiction = jurisdiction
        self.status = UnitStatus.IDLE if active else UnitStatus.INACTIVE
        self.task: Task | None = None
        self.until = 0            # tick at which travel or time out of service ends
        self.busy_ticks = 0

    def can_do(self, task: Task) -> bool:
        """Whether the unit's kind (and, for a repair crew, its sectors) fit a task.

        Parameters
        ----------
        task : Task
            A task.

        Returns
        -------
        bool
            True when the unit may be assigned to ``task``.
        """
        return self.kind == task.team_kind and (self.kind != TeamKind.REPAIR or task.sector in self.sectors)

    @property
    def busy(self) -> bool:
        """Travelling or working."""
        return self.status in (UnitStatus.TRAVELLING, UnitStatus.WORKING)

    def distance_km(self, node: int) -> float:
        """Straight-line distance from where the unit is to a node, km.

        Parameters
        ----------
        node : int
            The node's index.

        Returns
        -------
        float
            km; for an unplaced node, the median distance to the placed nodes of its
            sector (module docstring).
        """
        net = self.model.network
        if net.placed[node]:
            return float(np.hypot(*(net.xy[node] - self.position)))
        rows = net.placed_rows
        same = rows[net.sector[rows] == net.sector[node]]
        rows = same if len(same) else rows
        if not len(rows):
            return 0.0
        return float(np.median(np.hypot(*(net.xy[rows] - self.position).T)))

    def travel_ticks(self, node: int, speed_factor: float) -> int:
        """Ticks to travel from where the unit is to a node.

        Parameters
        ----------
        node : int
            The destination node's index.
        speed_factor : float
            Multiplier 0..1 of the team's speed (degraded transport slows travel).

        Returns
        -------
        int
            :meth:`distance_km` over ``speed_kmh · speed_factor``, rounded up to ticks.
        """
        km = self.distance_km(node)
        hours = km / (self.speed_kmh * speed_factor)
        return math.ceil(hours * 3600.0 / self.model.tick_seconds - 1e-9)

    def assign(self, task: Task, tick: int, travel: int) -> None:
        """Send the unit to a task (joining its crew) and log the dispatch.

        Parameters
        ----------
        task : Task
            The task.
        tick : int
            The current tick.
        travel : int
            Travel time, ticks; with 0 the unit arrives at once.
        """
        self.task = task
        task.crew.append(self)
        self.status, self.until = UnitStatus.TRAVELLING, tick + travel
        self.model.log(EventKind.DISPATCH, node=task.node, team=self.label, work=task.work, eta_ticks=travel,
                       joins=len(task.crew) > 1)
        self.advance(tick)

    def recall(self) -> Task | None:
        """Stop work; the task goes back to the queue if no one else is on it.

        The unit is idle where it stands (an inactive unit stays inactive).

        Returns
        -------
        Task or None
            The task it left, or None when it had none.
        """
        task = self.task
        if task is not None:
            task.crew.remove(self)
        self.task, self.status = None, UnitStatus.IDLE if self.status != UnitStatus.INACTIVE else UnitStatus.INACTIVE
        return task

    def put_out_of_service(self, tick: int, ticks: int) -> None:
        """Take the unit off its task and out of service (a secondary device).

        Parameters
        ----------
        tick : int
            The current tick.
        ticks : int
            Time out of service, ticks.
        """
        self.recall()
        self.status, self.until = UnitStatus.OUT, tick + ticks

    def advance(self, tick: int) -> None:
        """Move through travel → work → done as far as ``tick`` allows.

        A unit back in service or arriving logs it; a working unit takes one tick of work
        off its task, and the unit that finishes the task frees its whole crew.

        Parameters
        ----------
        tick : int
            The current tick.
        """
        if self.status == UnitStatus.OUT and tick >= self.until:
            self.status = UnitStatus.IDLE
            self.model.log(EventKind.BACK_IN_SERVICE, team=self.label)
        if self.status == UnitStatus.TRAVELLING and tick >= self.until:
            if self.model.network.placed[self.task.node]:     # else it stays where it set out from
                self.position = self.model.network.xy[self.task.node].copy()
            self.status, self.until = UnitStatus.WORKING, tick
            self.model.log(EventKind.ARRIVAL, node=self.task.node, team=self.label, work=self.task.work)
        elif self.status == UnitStatus.WORKING:
            task = self.task
            task.work_left -= 1
            if task.work_left <= 0:
                for unit in list(task.crew):
                    unit.task, unit.status = None, UnitStatus.IDLE
                task.crew.clear()
                self.model.complete(task, self)
