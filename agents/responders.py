"""Responders: teams of police, fire/EMS, repair crews and cyber incident response.

Each unit of a team is a Mesa agent that moves between states::

    inactive (mutual aid not yet arrived) → idle → travelling → working → idle
                                              ↘ out of service (secondary device) → idle

Travel is straight-line distance at the team's speed, slowed where transport is degraded.
Every tick on site takes one tick of work off the unit's task; the unit that finishes it
frees the whole crew.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.incidents import Task

if TYPE_CHECKING:
    from sim.model import RippleModel

INACTIVE, IDLE, TRAVELLING, WORKING, OUT = "inactive", "idle", "travelling", "working", "out of service"


class Responder(mesa.Agent):
    """One unit of a responder team."""

    model: "RippleModel"

    def __init__(self, model: "RippleModel", team: str, unit: int, kind: str, sectors: set[int],
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
        self.status = IDLE if active else INACTIVE
        self.task: Task | None = None
        self.until = 0            # tick at which travel or time out of service ends
        self.busy_ticks = 0

    def can_do(self, task: Task) -> bool:
        return self.kind == task.team_kind and (self.kind != "repair" or task.sector in self.sectors)

    @property
    def busy(self) -> bool:
        return self.status in (TRAVELLING, WORKING)

    def travel_ticks(self, xy: np.ndarray, speed_factor: float) -> int:
        """Straight-line distance at the team's speed times the transport factor, in ticks."""
        km = float(np.hypot(*(xy - self.position)))
        hours = km / (self.speed_kmh * speed_factor)
        return math.ceil(hours * 3600.0 / self.model.tick_seconds - 1e-9)

    def assign(self, task: Task, tick: int, travel: int) -> None:
        self.task = task
        task.crew.append(self)
        self.status, self.until = TRAVELLING, tick + travel
        self.model.log("dispatch", node=task.node, team=self.label, work=task.work, eta_ticks=travel,
                       joins=len(task.crew) > 1)
        self.advance(tick)

    def recall(self) -> Task | None:
        """Stop work; the task goes back to the queue if no one else is on it. The unit is
        idle where it stands."""
        task = self.task
        if task is not None:
            task.crew.remove(self)
        self.task, self.status = None, IDLE if self.status != INACTIVE else INACTIVE
        return task

    def put_out_of_service(self, tick: int, ticks: int) -> None:
        self.recall()
        self.status, self.until = OUT, tick + ticks

    def advance(self, tick: int) -> None:
        """Move through travel → work → done as far as ``tick`` allows."""
        if self.status == OUT and tick >= self.until:
            self.status = IDLE
            self.model.log("back_in_service", team=self.label)
        if self.status == TRAVELLING and tick >= self.until:
            self.position = self.model.network.xy[self.task.node].copy()
            self.status, self.until = WORKING, tick
            self.model.log("arrival", node=self.task.node, team=self.label, work=self.task.work)
        elif self.status == WORKING:
            task = self.task
            task.work_left -= 1
            if task.work_left <= 0:
                for unit in list(task.crew):
                    unit.task, unit.status = None, IDLE
                task.crew.clear()
                self.model.complete(task, self)
