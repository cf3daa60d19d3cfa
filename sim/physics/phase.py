"""The grid physics of a run: the overload cascade before the kernel, reclosing tripped
branches as switch tasks, and the normally-open ties that bring cut-off buses back.

:class:`PhysicsPhase` is the part of the model that keeps which branches are tripped in
this run (of the grids every run shares, :class:`sim.physics.build.Physics`), logs their
trips, opens the switch tasks that reclose them and finds the ties worth closing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from agents.events import EventKind
from agents.incidents import TaskBoard, TeamKind, UnitStatus, Work
from sim.network import ISOLATED, NONE, OVERLOADED, OWN_CAUSES, UNSUPPLIED, Network
from sim.physics.build import Physics
from sim.physics.cascade import OVERLOAD_TOLERANCE, Cascade, overload_cascade
from sim.physics.cut import GridCut
from sim.physics.dcflow import Flow, dc_flow
from sim.physics.grid import Grid
from sim.scenario.schema import Scenario, Sector

__all__ = ["DERIVED", "PHYSICS_PASSES", "RECLOSE_CHECKS", "PhysicsPhase", "without_branches"]

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


PHYSICS_PASSES = 8    # physics and kernel alternate at most this often in one settle (see settle_grids)
DERIVED = UNSUPPLIED | OVERLOADED | ISOLATED    # down by the kernel, not by the node's own causes


class PhysicsPhase:
    """Branches of a run: the overload cascade, its events, attacks on branches, reclosing.

    Uses, of the rest of the model: ``own``, ``network``, ``tie_closed``, ``board``,
    ``tick``, ``ticks``, ``log``, ``scenario``, ``remote_switches``, ``attribution``,
    ``draw_duration``, ``responders``, ``responders_at``, ``policies``, ``tree`` and ``dirty``.
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
    attribution: Any           # sim.attribution.Attribution (a layer above): line_down, line_tripped, line_names

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
        self.damaged = [np.zeros(g.n_line, bool) for g in grids]      # attacked: out until repaired
        self.damaged_seen = [np.zeros(g.n_line, bool) for g in grids]  # as the last flow saw them
        self.reclosing = [np.zeros(g.n_line, bool) for g in grids]   # a switch task is open for it
        self.physics_bus_on = [np.ones(g.n_bus, bool) for g in grids]
        self.served = [np.ones(g.n_bus) for g in grids]               # share of each bus's load served
        self.checked = [np.zeros(g.n_line, bool) for g in grids]     # looked at for reclosing since the last change
        self.cursor = [0 for _ in grids]                              # the branch to look at first next time
        self.line_offset = np.cumsum([0, *(g.n_line for g in grids)])[:-1].tolist() if grids else []
        names = [line for g in grids for line in g.line_id]
        self.line_index = {}
        for j, name in enumerate(names):
            self.line_index.setdefault(name, j)
        self.attribution.line_names = names
        self.grid_cuts: dict[int, GridCut] = {}                       # node → why its grid cannot supply it
        self.reclose_with: dict[int, list[int]] = {}                  # a switch task's branch → the branches it closes
        self._kernel_net: tuple[Network, bytes, Network] | None = None   # (network, lines out, kernel's network)
        self._recheck = False     # the grids changed since reclosable branches were last looked for
        self._tie_recheck = False  # the grids changed since ties that bring cut-off buses back were last looked for

    def _grid_of(self, line: int) -> tuple[int, int]:
        """The grid and the branch's index in it, of a branch index over the run's grids."""
        k = int(np.searchsorted(self.line_offset, line, side="right")) - 1
        return k, line - self.line_offset[k]

    def line_node(self, line: int) -> int:
        """The node at a branch's ``a`` end (where its events and tasks are).

        Parameters
        ----------
        line : int
            The branch's index over the run's grids.

        Returns
        -------
        int
            The node's index.
        """
        k, i = self._grid_of(line)
        grid = self.physics.grids[k]
        return int(grid.bus_node[grid.line_a[i]])

    def line_midpoint(self, line: int) -> np.ndarray:
        """Where a branch is for blasts and police: the midpoint of its ends, km.

        Parameters
        ----------
        line : int
            The branch's index over the run's grids.

        Returns
        -------
        numpy.ndarray
            (x, y), km; NaN when an end is unplaced.
        """
        k, i = self._grid_of(line)
        grid = self.physics.grids[k]
        ends = grid.bus_node[[grid.line_a[i], grid.line_b[i]]]
        return self.network.xy[ends].mean(axis=0)

    def police_near_line(self, line: int) -> int:
        """Active police units within ``policies.police_radius_km`` of a branch's midpoint.

        Parameters
        ----------
        line : int
            The branch's index over the run's grids.

        Returns
        -------
        int
            Police units neither inactive nor out of service within the radius; with an end
            unplaced, those working at its ``a`` end.
        """
        xy = self.line_midpoint(line)
        if np.isnan(xy).any():
            return sum(1 for u in self.responders_at(self.line_node(line)) if u.kind == TeamKind.POLICE)
        r = self.policies.police_radius_km
        return sum(1 for u in self.responders if u.kind == TeamKind.POLICE
                   and u.status not in (UnitStatus.INACTIVE, UnitStatus.OUT) and np.hypot(*(u.position - xy)) <= r)

    def nodes_near_line(self, line: int, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Nodes within a radius of a branch's midpoint (its ends too), among the placed nodes.

        Parameters
        ----------
        line : int
            The branch's index over the run's grids.
        radius_km : float
            Radius, km.

        Returns
        -------
        tuple[numpy.ndarray, numpy.ndarray]
            Their indices, ascending, and their distances, km (none with an end unplaced).
        """
        xy = self.line_midpoint(line)
        if np.isnan(xy).any():
            return np.zeros(0, np.int64), np.zeros(0)
        found = np.array(sorted(self.tree.query_ball_point(xy, radius_km)), dtype=np.int64)
        near = self.network.placed_rows[found] if len(found) else found
        return near, np.hypot(*(self.network.xy[near] - xy).T)

    def hit_line(self, line: int) -> None:
        """Take a branch out by an attack: it stays out until a crew repairs it (hours, the
        sector's repair time at its ``a`` end), and the flows redistribute this tick.

        Parameters
        ----------
        line : int
            The branch's index over the run's grids.
        """
        k, i = self._grid_of(line)
        grid = self.physics.grids[k]
        a, b = (int(grid.bus_node[grid.line_a[i]]), int(grid.bus_node[grid.line_b[i]]))
        self.damaged[k][i] = True
        self.dirty = True
        self.attribution.line_down(line)
        current = self.attribution.current
        cause = {"reason": "DAMAGED", **({"attack": self.attribution.attacks[current]} if current >= 0 else {})}
        ids = self.network.ids
        self.log(EventKind.LINE_DOWN, node=a, line=grid.line_id[i], a=ids[a], b=ids[b], cause=cause)
        if not any(t.line == line and t.work == Work.REPAIR and not t.done for t in self.board.tasks):
            net = self.network
            self.board.add(a, Work.REPAIR, self.draw_duration(float(net.repair_median[a]), float(net.repair_p90[a])),
                           self.tick, self.tick, grid.sector, None, line=line)

    def repair_line(self, line: int, node: int, team: str | None) -> None:
        """A crew repaired an attacked branch: it waits open, like a tripped one, for a
        switch task to reclose it once it can carry its flow (:meth:`open_line_switches`).

        Parameters
        ----------
        line : int
            The branch's index over the run's grids.
        node : int
            The end where it was repaired.
        team : str or None
            The unit that repaired it.
        """
        k, i = self._grid_of(line)
        self.damaged[k][i] = False
        self.tripped[k][i] = True         # repaired but open: reclosed by a switch task once it can carry its flow
        self._recheck = True
        self.checked[k][:] = False
        self.log(EventKind.LINE_REPAIRED, node=node, team=team, line=self.physics.grids[k].line_id[i])

    def _line_on(self, k: int) -> np.ndarray:
        """Branches of grid ``k`` that conduct now: closed as built or a closed tie, not
        tripped, not damaged."""
        return self._line_closed(k) & ~self.tripped[k] & ~self.damaged[k]

    def _line_closed(self, k: int) -> np.ndarray:
        """Branches of grid ``k`` closed as built or closed ties."""
        tie = self.physics.tie[k]
        closed_tie = np.zeros(len(tie), bool)
        closed_tie[tie >= 0] = self.tie_closed[tie[tie >= 0]]
        return self.physics.grids[k].closed | closed_tie

    def settle_grids(self, run: Callable[[Network, np.ndarray | None], Any]) -> Any:
        """The overload cascade of each ``physics: dc`` grid, then the kernel; the kernel's outcome.

        Order, each time the model settles: the grids' buses out of service are those with
        own causes (DAMAGED, SHUT, COMPROMISED); each grid's overload cascade runs; the
        kernel then runs with the buses the grids cannot supply UNSUPPLIED (``physics: dc``
        sectors have no topological rule: the flow decides). Buses the kernel took down
        through a dependency (a substation whose control system failed) leave the flow, and
        the two run again, until no more leave (at most :data:`PHYSICS_PASSES` times; the set
        only grows, so it ends). Only the last pass's trips are kept and logged: a
        ``line_trip`` per branch, a ``load_shed`` per island whose shedding changed.

        Parameters
        ----------
        run : callable
            ``run(network, unsupplied)``: the kernel on a network, with the nodes the grids
            cannot supply (None: no grid).

        Returns
        -------
        sim.kernel.layout.Outcome
            The kernel's outcome of the last pass.
        """
        if self.physics is None:
            return run(self.network, None)
        grids = self.physics.grids
        own_on = [(self.own[g.bus_node] & OWN_CAUSES) == 0 for g in grids]
        left = [np.zeros(g.n_bus, bool) for g in grids]      # taken out by the kernel
        for _ in range(PHYSICS_PASSES):
            bus_on = [on & ~out for on, out in zip(own_on, left)]
            results = [overload_cascade(g, self._line_on(k), bus_on[k], self.physics.ratings[k])
                       for k, g in enumerate(grids)]
            out = [self.tripped[k] | self.damaged[k] | _trip_mask(r, g.n_line) for k, (g, r) in enumerate(zip(grids, results))]
            unsupplied = np.zeros(self.network.n, bool)
            for g, r, on in zip(grids, results, bus_on):
                unsupplied[g.bus_node] = _cannot_supply(g, r.flow, on)
            outcome = run(self._kernel_network(out), unsupplied)
            more = [((outcome.down[g.bus_node] & DERIVED) != 0) & ~unsupplied[g.bus_node] & on
                    for g, on in zip(grids, bus_on)]
            if not any(m.any() for m in more):
                break
            left = [was | m for was, m in zip(left, more)]
        self._commit(results, bus_on, unsupplied)
        return outcome

    def _kernel_network(self, out: list[np.ndarray]) -> Network:
        """The network the kernel sees: without the branches out, and without a topological
        rule in ``physics: dc`` sectors (built once per set of branches out)."""
        key = b"".join(o.tobytes() for o in out)
        cached = self._kernel_net
        if cached is None or cached[0] is not self.network or cached[1] != key:
            grids = self.physics.grids
            a = np.concatenate([g.bus_node[g.line_a[o]] for g, o in zip(grids, out)])
            b = np.concatenate([g.bus_node[g.line_b[o]] for g, o in zip(grids, out)])
            net = without_branches(self.network, a, b)
            rule = net.rule.copy()
            rule[[g.sector for g in grids]] = NONE
            kernel = replace(net, rule=rule)
            kernel.capacity = net.capacity
            self._kernel_net = cached = (self.network, key, kernel)
        return cached[2]

    def _commit(self, results: list[Cascade], bus_on: list[np.ndarray], unsupplied: np.ndarray) -> None:
        """Keep the last pass's trips, log them and the islands' shedding, and note why the
        grids cannot supply the buses they cannot (for the causes of their outages)."""
        ids = self.network.ids
        self.grid_cuts = {}
        for k, (grid, result) in enumerate(zip(self.physics.grids, results)):
            offset = self.line_offset[k]
            lost_nodes = grid.bus_node[self.physics_bus_on[k] & ~bus_on[k]].tolist()
            lost_lines = (offset + np.flatnonzero(self.damaged[k] & ~self.damaged_seen[k])).tolist()
            start = [ids[n] for n in lost_nodes] + [self.attribution.line_names[j] for j in lost_lines]
            for trip in result.trips:
                self.tripped[k][trip.line] = True
                a, b = grid.bus_node[grid.line_a[trip.line]], grid.bus_node[grid.line_b[trip.line]]
                if trip.cause:
                    self.attribution.line_tripped(offset + trip.line, [offset + i for i in trip.cause], [])
                    cause = [grid.line_id[i] for i in trip.cause]
                else:
                    self.attribution.line_tripped(offset + trip.line, lost_lines, lost_nodes)
                    cause = start
                self.log(EventKind.LINE_TRIP, node=int(a), line=grid.line_id[trip.line], a=ids[a], b=ids[b],
                         flow_mw=round(trip.flow_mw, 3), rating_mva=round(trip.rating_mva, 3), round=trip.round,
                         cause=cause)
            self.physics_bus_on[k] = bus_on[k]
            self.damaged_seen[k] = self.damaged[k].copy()
            self._log_shedding(k, result.flow)
            self.grid_cuts.update(self._cuts(k, result.flow, unsupplied[grid.bus_node]))
        self._recheck = True
        self._tie_recheck = True
        self.checked = [np.zeros(g.n_line, bool) for g in self.physics.grids]

    def _log_shedding(self, k: int, flow: Flow) -> None:
        """A ``load_shed`` event for each supplied island whose buses' served shares changed."""
        grid = self.physics.grids[k]
        served = np.where(flow.supplied, flow.served, 1.0)
        changed = flow.supplied & (grid.load_mw > 0) & (np.abs(served - self.served[k]) > 1e-9)
        self.served[k] = served
        ids = self.network.ids
        for island in np.unique(flow.island[changed]).tolist():
            buses = np.flatnonzero((flow.island == island) & (grid.load_mw > 0))
            load = grid.load_mw[buses]
            self.log(EventKind.LOAD_SHED, node=int(grid.bus_node[buses[0]]),
                     buses=[ids[n] for n in grid.bus_node[buses].tolist()],
                     served=[round(float(x), 6) for x in served[buses]],
                     shed_mw=round(float((load * (1.0 - served[buses])).sum()), 3),
                     fraction=round(float((load * (1.0 - served[buses])).sum() / load.sum()), 6))

    def _cuts(self, k: int, flow: Flow, unsupplied: np.ndarray) -> dict[int, GridCut]:
        """Why grid ``k`` cannot supply each of its buses it cannot: the branches out (tripped
        or attacked) and the buses out of service at the edge of its island."""
        if not unsupplied.any():
            return {}
        grid = self.physics.grids[k]
        closed = self._line_closed(k)
        out = closed & (self.tripped[k] | self.damaged[k])
        on = self.physics_bus_on[k]
        lines: dict[int, set[int]] = {}
        nodes: dict[int, set[int]] = {}
        for x, y in ((grid.line_a, grid.line_b), (grid.line_b, grid.line_a)):
            edge = unsupplied[x] & on[x]
            for i in np.flatnonzero(edge & out).tolist():
                lines.setdefault(int(flow.island[x[i]]), set()).add(self.line_offset[k] + i)
            for i in np.flatnonzero(edge & closed & ~out & ~on[y]).tolist():
                nodes.setdefault(int(flow.island[x[i]]), set()).add(int(grid.bus_node[y[i]]))
        sector = self.network.sector_names[grid.sector]
        return {int(grid.bus_node[bus]): GridCut(sector, tuple(sorted(lines.get(int(flow.island[bus]), ()))),
                                                 tuple(sorted(nodes.get(int(flow.island[bus]), ()))),
                                                 float(flow.served[bus]))
                for bus in np.flatnonzero(unsupplied).tolist()}

    def open_line_switches(self) -> None:
        """Open a switch task to reclose each tripped branch that can carry its flow again.

        A tripped branch qualifies when both its ends are in service and closing it alone
        overloads no branch (one DC flow each, for at most :data:`RECLOSE_CHECKS` branches a
        tick, round robin in branch order: the rest wait for the next tick); when closing it
        alone would overload (it would pick up a cut-off island's load alone), it qualifies
        with every other waiting branch of its grid if closing them all at once overloads
        none, and one task recloses them together (the corridor restored as a whole). The
        task is at its ``a`` end and takes the sector's ``switch_time`` (minutes: a reclosure,
        not a repair), remotely with the sector's ``operator_switching``. Closing it reruns
        the cascade. An attacked branch, once repaired, waits here like a tripped one.
        """
        if self.physics is None or not self._recheck:
            return
        budget = RECLOSE_CHECKS
        offset = 0
        for k, grid in enumerate(self.physics.grids):
            bus_on = self.physics_bus_on[k]
            ends_on = bus_on[grid.line_a] & bus_on[grid.line_b]
            waiting = np.flatnonzero(self.tripped[k] & ~self.damaged[k] & ~self.reclosing[k] & ~self.checked[k] & ends_on)
            after = waiting >= self.cursor[k]     # round robin: where the last look stopped
            waiting = np.concatenate([waiting[after], waiting[~after]])
            together: bool | None = None       # closing every waiting branch at once overloads none
            for line in waiting[:budget].tolist():
                self.checked[k][line] = True
                self.cursor[k] = line + 1
                on = self._line_on(k)
                on[line] = True
                group = [line]
                if self._overloads(k, on):
                    if together is None:
                        on = self._line_on(k) | (self.tripped[k] & ~self.damaged[k] & ~self.reclosing[k] & ends_on)
                        together = not self._overloads(k, on)
                    if not together:
                        continue
                    group = np.flatnonzero(self.tripped[k] & ~self.damaged[k] & ~self.reclosing[k] & ends_on).tolist()
                self.reclosing[k][group] = True
                node = int(grid.bus_node[grid.line_a[line]])
                spec = self.scenario.sectors.get(self.network.sector_names[grid.sector]) or Sector()
                task = self.board.add(node, Work.SWITCH, self.ticks(spec.switch_time), self.tick, self.tick,
                                      grid.sector, None, remote=spec.operator_switching, line=offset + line)
                self.reclose_with[offset + line] = [offset + i for i in group]
                if task.remote:
                    self.remote_switches.append(task)
            budget -= min(budget, len(waiting))
            offset += grid.n_line
        self._recheck = budget == 0 and self._unchecked()   # the budget ran out before the candidates

    def _overloads(self, k: int, on: np.ndarray) -> bool:
        """Grid ``k`` with branches ``on`` conducting has a branch above its rating."""
        return self._overloaded(k, on, dc_flow(self.physics.grids[k], on, self.physics_bus_on[k]))

    def _overloaded(self, k: int, on: np.ndarray, flow: Flow) -> bool:
        """A branch ``on`` of grid ``k`` carries more than its rating in ``flow``."""
        return bool((on & (flow.loading(self.physics.ratings[k]) > 1.0 + OVERLOAD_TOLERANCE)).any())

    def grid_ties_to_close(self, down: np.ndarray, opened: np.ndarray) -> list[tuple[int, int]]:
        """Normally-open ties of the ``physics: dc`` grids whose closing brings back a bus
        the grid cut off, looked for once each time the grids settle.

        A tie qualifies when one end is down only UNSUPPLIED by its grid (it is among
        :attr:`grid_cuts`: its island has no generation or sheds all its load), the other
        end is up, and the DC flow of its grid with the tie closed (one flow per candidate)
        supplies the cut-off end and overloads no branch: a tie that would throw the dead
        island's load onto a branch beyond its rating is not closed.

        Parameters
        ----------
        down : numpy.ndarray
            The node state's down bits per node.
        opened : numpy.ndarray
            bool per tie of the network: its switch task is open or done.

        Returns
        -------
        list of tuple[int, int]
            ``(tie, node)``: the tie's index and its cut-off end's node, in tie order.
        """
        if self.physics is None or not self._tie_recheck or not len(opened):
            return []
        self._tie_recheck = False
        found = []
        cut_nodes = np.fromiter(self.grid_cuts, np.int64, len(self.grid_cuts))
        for k, (grid, tie) in enumerate(zip(self.physics.grids, self.physics.tie)):
            cut = np.isin(grid.bus_node, cut_nodes) & (down[grid.bus_node] == UNSUPPLIED)
            up = down[grid.bus_node] == 0
            a_cut, b_cut = cut[grid.line_a] & up[grid.line_b], cut[grid.line_b] & up[grid.line_a]
            waiting = (tie >= 0) & ~opened[np.maximum(tie, 0)] & ~self._line_closed(k)
            for line in np.flatnonzero(waiting & (a_cut | b_cut)).tolist():
                dead = int(grid.line_a[line] if a_cut[line] else grid.line_b[line])
                on = self._line_on(k)
                on[line] = True
                flow = dc_flow(grid, on, self.physics_bus_on[k])
                if flow.served[dead] > 0.0 and not self._overloaded(k, on, flow):
                    found.append((int(tie[line]), int(grid.bus_node[dead])))
        return sorted(found)

    def _unchecked(self) -> bool:
        """A tripped branch with both ends in service is still to be looked at."""
        return any((t & ~d & ~r & ~c & on[g.line_a] & on[g.line_b]).any() for g, t, d, r, c, on in
                   zip(self.physics.grids, self.tripped, self.damaged, self.reclosing, self.checked, self.physics_bus_on))

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
        for member in self.reclose_with.pop(line, [line]):
            k, i = self._grid_of(member)
            self.tripped[k][i] = False
            self.reclosing[k][i] = False
            self.log(EventKind.LINE_RECLOSED, node=node, team=team, line=self.physics.grids[k].line_id[i])
        self.dirty = True


def _trip_mask(result: Cascade, n_line: int) -> np.ndarray:
    """bool per branch: tripped by an overload cascade."""
    mask = np.zeros(n_line, bool)
    mask[[t.line for t in result.trips]] = True
    return mask


def _cannot_supply(grid: Grid, flow: Flow, bus_on: np.ndarray) -> np.ndarray:
    """bool per bus in service that a grid's flow cannot supply: its island has no
    generation, or sheds all of the bus's load."""
    return bus_on & (~flow.supplied | ((flow.served <= 0.0) & (grid.load_mw > 0)))
