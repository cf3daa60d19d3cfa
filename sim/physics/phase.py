"""The grid physics of a run: the overload cascade before the kernel, and reclosing tripped
branches as switch tasks.

:class:`PhysicsPhase` is the part of the model that keeps which branches are tripped in
this run (of the grids every run shares, :class:`sim.physics.build.Physics`), logs their
trips and opens the switch tasks that reclose them.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from agents.events import EventKind
from agents.incidents import TaskBoard, Work
from sim.network import OWN_CAUSES, Network
from sim.physics.build import Physics
from sim.physics.cascade import OVERLOAD_TOLERANCE, overload_cascade
from sim.physics.dcflow import dc_flow
from sim.scenario.schema import Scenario, Sector

__all__ = ["RECLOSE_CHECKS", "PhysicsPhase", "without_branches"]

RECLOSE_CHECKS = 32    # tripped branches looked at for reclosing per tick (one DC flow each)


def without_branches(net: Network, a: np.ndarray, b: np.ndarray) -> Network:
    """The network with one link between each pair ``(a[k], b[k])`` taken out.

    Parameters
    ----------
    net : Network
        The network (unchanged; its arrays are shared but the links).
    a, b : numpy.ndarray
        Node rows of the links to take out (a parallel link stays when only one trips).

    Returns
    -------
    Network
        A new network, which the kernel lays out anew; capacities kept.
    """
    if not len(a):
        return net
    n = max(net.n, 1)
    keys = net.link_rows.astype(np.int64) * n + net.link_cols
    drop = np.concatenate([a * n + b, b * n + a]).astype(np.int64)
    drop.sort()
    first = np.searchsorted(drop, drop, side="left")
    rank = np.arange(len(drop)) - first           # 0 for the first of equal keys, 1 for the next …
    keep = np.ones(len(keys), bool)
    keep[np.searchsorted(keys, drop, side="left") + rank] = False
    out = replace(net, link_rows=net.link_rows[keep], link_cols=net.link_cols[keep])
    out.capacity = net.capacity
    return out


class PhysicsPhase:
    """Tripped branches of a run: the overload cascade, its events and reclosing.

    Uses, of the rest of the model: ``own``, ``network``, ``tie_closed``, ``board``,
    ``tick``, ``ticks``, ``log``, ``scenario``, ``remote_switches`` and ``dirty``.
    """

    physics: Physics | None
    own: np.ndarray
    network: Network
    tie_closed: np.ndarray
    board: TaskBoard
    tick: int
    scenario: Scenario
    remote_switches: list[Any]
    dirty: bool

    def start_physics(self, physics: Physics | None) -> None:
        """Nothing tripped yet.

        Parameters
        ----------
        physics : Physics or None
            The scenario's physics (None: every sector topological).
        """
        self.physics = physics
        grids = physics.grids if physics is not None else ()
        self.tripped = [np.zeros(g.n_line, bool) for g in grids]
        self.reclosing = [np.zeros(g.n_line, bool) for g in grids]   # a switch task is open for it
        self.physics_bus_on = [np.ones(g.n_bus, bool) for g in grids]
        self.checked = [np.zeros(g.n_line, bool) for g in grids]     # looked at for reclosing since the last change
        self.cursor = [0 for _ in grids]                              # the branch to look at first next time
        self._kernel_net: tuple[Network, bytes, Network] | None = None   # (network, tripped, without them)
        self._recheck = False     # the grids changed since reclosable branches were last looked for

    def _line_on(self, k: int) -> np.ndarray:
        """Branches of grid ``k`` that conduct now: closed as built or a closed tie, not tripped."""
        tie = self.physics.tie[k]
        closed_tie = np.zeros(len(tie), bool)
        closed_tie[tie >= 0] = self.tie_closed[tie[tie >= 0]]
        return (self.physics.grids[k].closed | closed_tie) & ~self.tripped[k]

    def kernel_network(self) -> Network:
        """Run the overload cascade of each ``physics: dc`` grid; the network without the
        tripped branches, for the kernel. Logs a ``line_trip`` event per branch tripped."""
        if self.physics is None:
            return self.network
        for k, grid in enumerate(self.physics.grids):
            bus_on = (self.own[grid.bus_node] & OWN_CAUSES) == 0
            lost = np.flatnonzero(self.physics_bus_on[k] & ~bus_on)
            self.physics_bus_on[k] = bus_on
            result = overload_cascade(grid, self._line_on(k), bus_on, self.physics.ratings[k])
            ids = self.network.ids
            start = [ids[grid.bus_node[i]] for i in lost.tolist()]
            for trip in result.trips:
                self.tripped[k][trip.line] = True
                a, b = grid.bus_node[grid.line_a[trip.line]], grid.bus_node[grid.line_b[trip.line]]
                cause = [grid.line_id[i] for i in trip.cause] if trip.cause else start
                self.log(EventKind.LINE_TRIP, node=int(a), line=grid.line_id[trip.line], a=ids[a], b=ids[b],
                         flow_mw=round(trip.flow_mw, 3), rating_mva=round(trip.rating_mva, 3), round=trip.round,
                         cause=cause)
        self._recheck = True
        self.checked = [np.zeros(g.n_line, bool) for g in self.physics.grids]
        tripped = b"".join(t.tobytes() for t in self.tripped)
        cached = self._kernel_net
        if cached is None or cached[0] is not self.network or cached[1] != tripped:
            a = np.concatenate([g.bus_node[g.line_a[t]] for g, t in zip(self.physics.grids, self.tripped)])
            b = np.concatenate([g.bus_node[g.line_b[t]] for g, t in zip(self.physics.grids, self.tripped)])
            self._kernel_net = cached = (self.network, tripped, without_branches(self.network, a, b))
        return cached[2]

    def open_line_switches(self) -> None:
        """Open a switch task to reclose each tripped branch that can carry its flow again.

        A tripped branch qualifies when both its ends are in service and closing it alone
        overloads no branch (one DC flow each, for at most :data:`RECLOSE_CHECKS` branches a
        tick, round robin in branch order: the rest wait for the next tick); the task is at its ``a`` end and takes the
        sector's ``switch_time`` (minutes: a reclosure, not a repair), remotely with the
        sector's ``operator_switching``. Closing it reruns the cascade.
        """
        if self.physics is None or not self._recheck:
            return
        budget = RECLOSE_CHECKS
        offset = 0
        for k, grid in enumerate(self.physics.grids):
            bus_on = self.physics_bus_on[k]
            ends_on = bus_on[grid.line_a] & bus_on[grid.line_b]
            waiting = np.flatnonzero(self.tripped[k] & ~self.reclosing[k] & ~self.checked[k] & ends_on)
            after = waiting >= self.cursor[k]     # round robin: where the last look stopped
            waiting = np.concatenate([waiting[after], waiting[~after]])
            for line in waiting[:budget].tolist():
                self.checked[k][line] = True
                self.cursor[k] = line + 1
                on = self._line_on(k)
                on[line] = True
                flow = dc_flow(grid, on, bus_on)
                if (on & (flow.loading(self.physics.ratings[k]) > 1.0 + OVERLOAD_TOLERANCE)).any():
                    continue
                self.reclosing[k][line] = True
                node = int(grid.bus_node[grid.line_a[line]])
                spec = self.scenario.sectors.get(self.network.sector_names[grid.sector]) or Sector()
                task = self.board.add(node, Work.SWITCH, self.ticks(spec.switch_time), self.tick, self.tick,
                                      grid.sector, None, remote=spec.operator_switching, line=offset + line)
                if task.remote:
                    self.remote_switches.append(task)
            budget -= min(budget, len(waiting))
            offset += grid.n_line
        self._recheck = budget == 0 and self._unchecked()   # the budget ran out before the candidates

    def _unchecked(self) -> bool:
        """A tripped branch with both ends in service is still to be looked at."""
        return any((t & ~r & ~c & on[g.line_a] & on[g.line_b]).any() for g, t, r, c, on in
                   zip(self.physics.grids, self.tripped, self.reclosing, self.checked, self.physics_bus_on))

    def reclosing_pending(self) -> bool:
        """Tripped branches are still to be looked at for reclosing (time passes for them)."""
        return self.physics is not None and self._recheck

    def reclose_line(self, line: int, node: int, team: str | None) -> None:
        """Reclose a tripped branch: it conducts from the next kernel run on, and log it.

        Parameters
        ----------
        line : int
            The branch's index over the physics grids in order.
        node : int
            The end where it was closed.
        team : str or None
            The unit that closed it; None for operators.
        """
        for k, grid in enumerate(self.physics.grids):
            if line < grid.n_line:
                self.tripped[k][line] = False
                self.reclosing[k][line] = False
                self.dirty = True
                self.log(EventKind.LINE_RECLOSED, node=node, team=team, line=grid.line_id[line])
                return
            line -= grid.n_line
