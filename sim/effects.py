"""The effects phase: what landed attacks do to nodes, and how intrusions spread.

:class:`Effects` is the part of the model that sets the own-cause bits (DAMAGED, SHUT,
COMPROMISED) and opens each hit node's incident; tactics call it through the agents' port
(:class:`agents.port.World`). It works on the model's arrays (declared below) and opens
tasks with the response's :meth:`sim.response.Response.open_task`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from agents.attackers import Attempt
from agents.events import EventKind
from agents.incidents import Task, TaskBoard, Work
from sim.attribution import Attribution
from sim.network import COMPROMISED, DAMAGED, SHUT, Network
from sim.scenario.schema import Scenario
from sim.streams import Streams

__all__ = ["Effects"]


class Effects:
    """Landed attacks, outage damage and intrusion spread, on the model's node arrays.

    Uses, of the rest of the model: ``log``, ``tick_of``, ``ticks`` (the clock and event
    log) and ``responders_at``, ``open_task`` (:class:`sim.response.Response`).
    """

    scenario: Scenario
    network: Network
    streams: Streams
    tick: int
    tick_seconds: float
    board: TaskBoard
    own: np.ndarray            # own-cause bits per node, written here and by completed tasks
    spread_p: np.ndarray       # per compromised node, until contained
    known_at: np.ndarray       # tick defenders learn of a node's intrusion
    ever_hit: np.ndarray       # per node: an attack hit it directly
    cyber_supply: Any          # control-dependency rows of the supply matrix
    cyber_dependent: np.ndarray
    tree: cKDTree              # of the placed nodes (network.placed_rows)
    dirty: bool                # the kernel must run this tick
    run_warnings: dict[str, str]   # what the run did with unplaced nodes, once per kind
    attribution: Attribution   # what set each node's own-cause bits, for the causes of failures
    attackers: list[Any]       # the cells, whose plans number the actions

    def nodes_within(self, node: int, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Other nodes within a radius of a node, among the placed nodes.

        Unplaced nodes are never within a radius (their distance is not known), and an
        unplaced centre has no node within its radius; either case is noted once as a run
        warning.

        Parameters
        ----------
        node : int
            The centre node's index.
        radius_km : float
            Radius, km.

        Returns
        -------
        tuple[numpy.ndarray, numpy.ndarray]
            Their indices, ascending, and their distances, km.
        """
        net = self.network
        if not net.placed[node]:
            self.run_warnings.setdefault("centre", f"a blast at '{net.ids[node]}' (unplaced) reached no other node: "
                                                   "an unplaced node has no position to measure a radius from")
            return np.zeros(0, np.int64), np.zeros(0)
        unplaced = net.n - len(net.placed_rows)
        if unplaced and radius_km > 0:
            self.run_warnings.setdefault("radius", f"a blast radius skipped the {unplaced} unplaced node(s): "
                                                   "their distance is not known, so no blast reaches them")
        found = np.array(sorted(self.tree.query_ball_point(net.xy[node], radius_km)), dtype=np.int64)
        near = net.placed_rows[found] if len(found) else found
        near = near[near != node]
        return near, np.hypot(*(net.xy[near] - net.xy[node]).T)

    def hit(self, node: int, effect: str, scene: bool = False, blast: bool = False,
            cordon: Task | None = None, direct: bool = True) -> Task | None:
        """Damage or shut a node: set its bits and open its incident.

        Work inside a cordon (a blast zone) waits for the cordon's last task; shutting a
        node makes its open tasks that no unit has taken wait for its clearance.

        Parameters
        ----------
        node : int
            The node's index.
        effect : str
            ``"damage"`` (DAMAGED) or ``"shut"`` (SHUT).
        scene : bool
            The node is a scene police must clear (sets SHUT too).
        blast : bool
            The scene needs fire/EMS to make it safe.
        cordon : Task, optional
            A task the node's work must wait for (a blast zone's).
        direct : bool
            An attack hit the node (False: outage damage from the cascade).

        Returns
        -------
        Task or None
            The node's last task before repair, for blast neighbours to wait on.
        """
        net, response = self.network, self.scenario.response
        bits = DAMAGED if effect == "damage" else SHUT
        if scene:
            bits |= SHUT
        self.own[node] |= bits
        self.ever_hit[node] |= direct
        self.dirty = True
        if direct:
            self.attribution.own(node, "DAMAGED" if bits & DAMAGED else "SHUT")
        else:
            self.attribution.own(node, "DAMAGED", source=node, outage=True)
        self.log(EventKind.HIT if direct else EventKind.OUTAGE_DAMAGE, node=node, effect=effect, scene=scene)
        before = cordon
        if bits & SHUT:
            clear = response.police_clear
            before = self.board.pending(node, Work.CLEAR) or self.open_task(node, Work.CLEAR, clear.median,
                                                                             clear.p90, None)
            for task in self.board.tasks:
                if (task.node == node and not task.done and not task.crew and task is not before
                        and task.work != Work.CLEAR):
                    task.before = before
        if blast:
            make_safe = response.fire_make_safe
            before = self.open_task(node, Work.MAKE_SAFE, make_safe.median, make_safe.p90, before)
        if bits & DAMAGED and self.board.pending(node, Work.REPAIR) is None:
            self.open_task(node, Work.REPAIR, float(net.repair_median[node]), float(net.repair_p90[node]), before)
        return before

    def compromise(self, node: int, spread_p: float, dwell_h: float, direct: bool = True, source: int = -1) -> None:
        """Take over a node's control system (COMPROMISED) and open its cyber tasks.

        Defenders learn of it after ``dwell_h`` hours (for a node reached by spread, when
        they learn of the intrusion it came from); the tasks become known then.

        Parameters
        ----------
        node : int
            The node's index.
        spread_p : float
            Probability 0..1 per tick of spreading to each control dependent; the node
            keeps the larger of this and what it had.
        dwell_h : float
            Hours until defenders learn of it.
        direct : bool
            An attack compromised the node (False: an intrusion spread to it).
        source : int
            The compromised node an intrusion spread from (with ``direct=False``).
        """
        self.own[node] |= COMPROMISED
        if direct:
            self.attribution.own(node, "COMPROMISED")
        else:
            self.attribution.own(node, "COMPROMISED", via=source, spread_from=self.network.ids[source])
        self.spread_p[node] = max(self.spread_p[node], spread_p)
        self.ever_hit[node] |= direct
        self.dirty = True
        known = self.tick + self.tick_of(dwell_h * 3600.0)
        self.known_at[node] = known
        self.log(EventKind.COMPROMISE, node=node, detected_at_tick=known)
        if self.board.pending(node, Work.REMEDIATE) is None:
            response = self.scenario.response
            contain, remediate = response.cyber_contain, response.cyber_remediate
            first = self.open_task(node, Work.CONTAIN, contain.median, contain.p90, None, known)
            self.open_task(node, Work.REMEDIATE, remediate.median, remediate.p90, first, known)

    def strike_responders(self, node: int, hours: float) -> None:
        """Put every unit working at a node out of service, and log each.

        Parameters
        ----------
        node : int
            The node's index.
        hours : float
            Time out of service, h (rounded up to whole ticks, at least one).
        """
        for unit in self.responders_at(node):
            unit.put_out_of_service(self.tick, self.ticks(hours * 3600.0))
            self.log(EventKind.OUT_OF_SERVICE, node=node, team=unit.label, hours=hours)

    def spread_intrusions(self) -> None:
        """Open intrusions spread along control (cyber) dependencies, to dependents only."""
        spreading = self.spread_p * ((self.own & COMPROMISED) > 0)
        if not spreading.any() or self.cyber_supply.shape[0] == 0:
            return
        p = np.minimum(1.0, self.cyber_supply @ spreading)
        exposed = np.flatnonzero(p > 0)
        draws = self.streams.effects.random(len(exposed))
        inherited = float(spreading.max())
        detected = int(self.known_at[spreading > 0].min())
        for g in exposed[draws < p[exposed]]:
            node = int(self.cyber_dependent[g])
            if not self.own[node] & COMPROMISED:
                self.log(EventKind.SPREAD, node=node)
                dwell_h = max(0, detected - self.tick) * self.tick_seconds / 3600.0
                self.compromise(node, inherited, dwell_h, direct=False, source=self._spread_source(g, spreading))

    def _spread_source(self, group: int, spreading: np.ndarray) -> int:
        """The supplier an intrusion reached a control group from: of its compromised
        suppliers, the one most likely to spread (the first on a tie)."""
        row = self.cyber_supply.indices[self.cyber_supply.indptr[group]:self.cyber_supply.indptr[group + 1]]
        return int(row[np.argmax(spreading[row])])

    def apply(self, attempts: list[Attempt]) -> None:
        """Apply each landed attempt's effect, in order, with its inject message if it has one
        (once per action: a ``fraction`` action lands as one attempt per node it hits; an attempt
        on a branch: the tactic's :meth:`~agents.tactics.Tactic.apply_line`).

        Parameters
        ----------
        attempts : list[Attempt]
            The attempts that landed this tick; tactics draw from the effects stream.
        """
        told: set[int] = set()
        for attempt in attempts:
            plan = next(a.plan for a in self.attackers if a.cell_id == attempt.attacker)
            action = next(i for i, planned in enumerate(plan) if planned is attempt.action)
            self.attribution.attack(attempt.attacker, action, attempt.action.tactic, self.network.ids[attempt.node],
                                    self.tick, None if attempt.line is None else attempt.action.target)
            if attempt.line is None:
                attempt.tactic.apply(self, attempt.node, self.streams.effects)
            else:
                attempt.tactic.apply_line(self, attempt.line, self.streams.effects)
            self.attribution.landed()
            if attempt.action.inject and id(attempt.action) not in told:
                told.add(id(attempt.action))
                self.log(EventKind.INJECT, node=attempt.node, message=attempt.action.inject, attacker=attempt.attacker)

    def spreading(self) -> bool:
        """An open intrusion may still spread."""
        return bool(((self.own & COMPROMISED) > 0).any() and (self.spread_p > 0).any())
