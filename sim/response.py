"""The response phase: incident tasks, what finished work restores, mutual aid, and what
the dispatcher and attackers ask about units.

:class:`Response` is the part of the model that owns the task board and the units: it
opens tasks (their durations drawn from the response stream), clears a node's bits when
its work is done, activates and receives mutual aid, and answers the agents' questions
about where units are (:class:`agents.port.World`).
"""

from __future__ import annotations

import math
import numpy as np

from agents.dispatch import Dispatcher
from agents.events import EventKind
from agents.incidents import Task, TaskBoard, TeamKind, UnitStatus, Work
from agents.responders import Responder
from sim.agenda import Agenda, Due
from sim.cascade import cascade
from sim.network import COMPROMISED, DAMAGED, ISOLATED, SHUT, Network, NodeState
from sim.recorder import Recorder
from sim.scenario.sanity import first_few
from sim.scenario.schema import Policies, Scenario, Sector
from sim.streams import Streams

__all__ = ["Response", "Z90"]

Z90 = 1.2815515655446004  # standard normal 90th percentile


class Response:
    """Tasks, units and mutual aid, on the model's board and roster.

    Uses, of the rest of the model: ``log``, ``tick_of``, ``ticks`` (the clock and event
    log), ``operational_population`` and ``grid_ties_to_close`` (ties the ``physics: dc``
    grids would close).
    """

    scenario: Scenario
    network: Network
    state: NodeState
    streams: Streams
    policies: Policies
    information_sharing: float
    tick: int
    board: TaskBoard
    agenda: Agenda
    recorder: Recorder
    dispatcher: Dispatcher
    responders: list[Responder]
    aid_due: dict[str, int | None]   # mutual-aid team -> tick it arrives, once activated
    own: np.ndarray
    spread_p: np.ndarray
    dirty: bool
    base_network: Network            # the network as built, every tie open (shared by a batch's runs)
    tie_closed: np.ndarray           # bool per normally-open tie: closed in this run
    tie_opened: np.ndarray           # bool per tie: its switch task is open or done
    remote_switches: list[Task]      # switch tasks operators are working remotely

    def make_responders(self) -> list[Responder]:
        """One unit per count of each team, at its base; mutual aid starts inactive."""
        units, net = [], self.network
        for name, team in self.scenario.responders.items():
            base = net.xy[net.index[team.base]] if isinstance(team.base, str) else np.array(team.base, float)
            sectors = {net.sector_names.index(s) for s in team.sectors}
            for unit in range(team.count):
                units.append(Responder(self, name, unit + 1, team.kind, sectors, team.speed_kmh, base.copy(),
                                       team.jurisdiction, active=team.mutual_aid is None))
        return units

    # ------------------------------------------------------------------ tasks
    def draw_duration(self, median: float, p90: float) -> int:
        """Draw a task duration: lognormal with the given median and 90th percentile.

        Parameters
        ----------
        median : float
            Median duration, s.
        p90 : float
            90th percentile, s (a value below the median counts as the median).

        Returns
        -------
        int
            Ticks, >= 1; one standard normal draw from the response stream.

        Notes
        -----
        ``median · exp(σ z)`` with ``σ = ln(p90 / median) / z_0.9`` (``z_0.9`` = :data:`Z90`).
        """
        sigma = math.log(max(p90, median) / median) / Z90 if median > 0 else 0.0
        z = self.streams.response.standard_normal()
        return self.ticks(median * math.exp(sigma * z))

    def open_task(self, node: int, work: Work, median: float, p90: float, before: Task | None,
                  available: int | None = None) -> Task:
        """Open a task at a node, its duration drawn (:meth:`draw_duration`).

        Parameters
        ----------
        node : int
            The node's index.
        work : Work
            What is to be done.
        median, p90 : float
            The duration's median and 90th percentile, s.
        before : Task or None
            The task that must be done first.
        available : int, optional
            Tick the defenders know of it (now by default); a later one goes on the agenda.

        Returns
        -------
        Task
            The new task.
        """
        task = self.board.add(node, work, self.draw_duration(median, p90), self.tick,
                              self.tick if available is None else available, int(self.network.sector[node]), before)
        if task.available > self.tick:
            self.agenda.schedule(task.available, Due.DETECTION, task)
        return task

    def complete(self, task: Task, unit: Responder | None) -> None:
        """Record that ``unit`` finished ``task``: clear the bit its work clears, and log it.

        Parameters
        ----------
        task : Task
            The finished task (SHUT clears only when no other clearance is pending; a
            switch task closes its tie, or recloses its tripped branch; a repair of a branch
            makes it conduct again).
        unit : Responder or None
            The unit that finished it; None for operators switching remotely.
        """
        task.done = True
        node = task.node
        label = unit.label if unit is not None else None
        bits = self.own[node]
        if task.work == Work.CLEAR and self.board.pending(node, Work.CLEAR) is None:
            self.own[node] &= ~np.uint8(SHUT)
        elif task.work == Work.REPAIR and task.line is None:
            self.own[node] &= ~np.uint8(DAMAGED)
        elif task.work == Work.CONTAIN:
            self.spread_p[node] = 0.0
        elif task.work == Work.REMEDIATE:
            self.own[node] &= ~np.uint8(COMPROMISED)
        self.dirty |= bool(self.own[node] != bits)    # the kernel reruns only when a bit cleared
        self.log(EventKind.TASK_DONE, node=node, team=label, work=task.work)
        if task.work == Work.REPAIR and task.line is not None:
            self.repair_line(task.line, node, label)
        elif task.work == Work.SWITCH and task.line is not None:
            self.reclose_line(task.line, node, label)
        elif task.work == Work.SWITCH:
            self.close_tie(task.tie, node, label)

    # ------------------------------------------------------------------ ties
    def tie_label(self, tie: int) -> str:
        """A tie's id, or its ends when it has none.

        Parameters
        ----------
        tie : int
            The tie's index.

        Returns
        -------
        str
            E.g. ``"sw3"`` or ``"a3-b3"``.
        """
        net = self.base_network
        return net.tie_ids[tie] or f"{net.ids[net.tie_a[tie]]}-{net.ids[net.tie_b[tie]]}"

    def close_tie(self, tie: int, node: int, team: str | None) -> None:
        """Close a normally-open tie: it conducts from the next kernel run on, and log it.

        Parameters
        ----------
        tie : int
            The tie's index.
        node : int
            The end where it was closed.
        team : str or None
            The unit that closed it; None for operators.
        """
        self.tie_closed[tie] = True
        self.network = self.base_network.with_ties(self.tie_closed)
        self.dirty = True
        self.log(EventKind.TIE_CLOSED, node=node, team=team, tie=self.tie_label(tie))

    def open_switches(self) -> None:
        """Open a switch task for each open tie whose closing would bring a cut-off part back.

        A tie qualifies when one end is down only because it is ISOLATED and the other
        works: closing it joins the cut-off part to a fed one (or to the giant component).
        In a ``physics: dc`` sector, where the flow decides, a tie qualifies when one end is
        down only UNSUPPLIED by its grid, the other works, and the grid's DC flow with the
        tie closed supplies the cut-off end and overloads no branch
        (:meth:`sim.physics.phase.PhysicsPhase.grid_ties_to_close`). The task is at the
        cut-off end and takes the sector's ``switch_time``, fixed (no draw from the response
        stream); with the sector's ``operator_switching`` the operators do it remotely, else
        it waits for a crew of the sector (the dispatcher sends the nearest first). Once
        opened, a switch task is carried out.
        """
        net = self.base_network
        if not len(net.tie_ids):
            return
        down, a, b = self.state.down, net.tie_a, net.tie_b
        a_cut, b_cut = (down[a] == ISOLATED) & (down[b] == 0), (down[b] == ISOLATED) & (down[a] == 0)
        cut = [(tie, int(a[tie] if a_cut[tie] else b[tie]))
               for tie in np.flatnonzero(~self.tie_opened & (a_cut | b_cut)).tolist()]
        for tie, node in sorted(cut + self.grid_ties_to_close(down, self.tie_opened)):
            sector = int(net.sector[node])
            spec = self.scenario.sectors.get(net.sector_names[sector]) or Sector()
            self.tie_opened[tie] = True
            task = self.board.add(node, Work.SWITCH, self.ticks(spec.switch_time), self.tick, self.tick, sector, None,
                                  tie=tie, remote=spec.operator_switching)
            if task.remote:
                self.remote_switches.append(task)

    def switch_remotely(self) -> None:
        """Operators work the remote switch tasks: one tick each tick after it opened."""
        for task in [t for t in self.remote_switches if t.opened < self.tick]:
            task.work_left -= 1
            if task.work_left <= 0:
                self.remote_switches.remove(task)
                self.complete(task, None)

    def switching(self) -> bool:
        """Operators are working a remote switch task (time passes for it)."""
        return bool(self.remote_switches)

    # ------------------------------------------------------------ mutual aid
    def activate_mutual_aid(self, team: str, reason: str) -> None:
        """Call in a mutual-aid team: it arrives after its delay, shorter with information sharing.

        Parameters
        ----------
        team : str
            The team's name.
        reason : str
            Why, for the event log (e.g. ``"scheduled"``).

        Notes
        -----
        Arrival after ``delay · (1 − 0.5 · information_sharing)`` seconds, in ticks.
        """
        spec = self.scenario.responders[team].mutual_aid
        delay = spec.delay * (1.0 - 0.5 * self.information_sharing)
        self.aid_due[team] = self.tick + self.tick_of(delay)
        self.agenda.schedule(self.aid_due[team], Due.AID_ARRIVAL, team)
        self.log(EventKind.MUTUAL_AID, team=team, reason=reason, arrives_tick=self.aid_due[team])

    def mutual_aid(self) -> None:
        """Activate mutual aid whose trigger is met; receive mutual aid due now."""
        q = self.recorder.current_service()
        for team, due in self.aid_due.items():
            if due is None:
                if (reason := self._aid_trigger(team, q)) is not None:
                    self.activate_mutual_aid(team, reason)
            elif due == self.tick:
                for unit in self.responders:
                    if unit.team == team and unit.status == UnitStatus.INACTIVE:
                        unit.status = UnitStatus.IDLE
                self.log(EventKind.MUTUAL_AID_ARRIVED, team=team)

    def aid_would_trigger(self) -> bool:
        """Some mutual aid not yet activated would activate now."""
        q = self.recorder.current_service()
        return any(due is None and self._aid_trigger(team, q) is not None for team, due in self.aid_due.items())

    def _aid_trigger(self, team: str, q: float) -> str | None:
        """Why ``team``'s mutual aid activates at overall service ``q`` now, or None."""
        spec = self.scenario.responders[team].mutual_aid
        if spec.service_below is not None and q < spec.service_below:
            return f"service below {spec.service_below:g}"
        if spec.at is not None and self.tick >= self.tick_of(spec.at):
            return "scheduled"
        return None

    # --------------------------------------------------------------- queries
    def units_busy(self) -> bool:
        """Some unit is travelling, working or out of service (time passes for it)."""
        return any(u.status in (UnitStatus.TRAVELLING, UnitStatus.WORKING, UnitStatus.OUT) for u in self.responders)

    def travel_factor(self) -> float:
        """Speed factor from the transport sector's service level (1 when there is none)."""
        q = self.recorder.current_sector_service("transport")
        floor = self.policies.min_travel_factor
        return 1.0 if q is None else floor + (1.0 - floor) * q

    def police_near(self, node: int) -> int:
        """Active police units within ``policies.police_radius_km`` of a node.

        Parameters
        ----------
        node : int
            The node's index.

        Returns
        -------
        int
            Police units neither inactive nor out of service within the radius (km); for an
            unplaced node, whose distances are not known, the police units working on site.
        """
        if not self.network.placed[node]:
            return sum(1 for u in self.responders_at(node) if u.kind == TeamKind.POLICE)
        xy, r = self.network.xy[node], self.policies.police_radius_km
        return sum(1 for u in self.responders if u.kind == TeamKind.POLICE
                   and u.status not in (UnitStatus.INACTIVE, UnitStatus.OUT) and np.hypot(*(u.position - xy)) <= r)

    def travel_warnings(self) -> list[str]:
        """A warning when units were sent to unplaced nodes, whose travel time is estimated.

        Returns
        -------
        list of str
            One line naming the first few such nodes, or none.
        """
        net = self.network
        if len(net.placed_rows) == net.n:
            return []
        unplaced = {net.ids[i] for i in np.flatnonzero(~net.placed).tolist()}
        sent = sorted({e.node for e in self.events if e.kind == EventKind.DISPATCH and e.node in unplaced})
        if not sent:
            return []
        how = ("no node is placed, so the trips took no time" if not len(net.placed_rows) else
               "each trip took the unit's median distance to the placed nodes of the node's sector")
        return [f"units were sent to {len(sent)} unplaced node(s) ({first_few(sent)}): {how}"]

    def responders_at(self, node: int) -> list[Responder]:
        """Units working at a node now.

        Parameters
        ----------
        node : int
            The node's index.

        Returns
        -------
        list[Responder]
            The units on site and working, in roster order.
        """
        return [u for u in self.responders
                if u.status == UnitStatus.WORKING and u.task is not None and u.task.node == node]

    def restoration_values(self, nodes: list[int]) -> dict[int, float]:
        """Population that depends on each node in the restored network.

        A node's value is the population served once every node awaiting recovery is back
        and not served if that node alone stays down, with backup buffers spent. Valuing
        nodes in the restored network, not the broken one, ranks a feeder above the
        substations behind it and counts the people that generators still mask.

        Parameters
        ----------
        nodes : list[int]
            Node indices.

        Returns
        -------
        dict[int, float]
            People by node index (one kernel run per node, plus one).
        """
        awaiting = self.own.copy()
        awaiting[[t.node for t in self.board.open_tasks()]] = 0
        spent = np.zeros_like(self.state.buffer_left)
        served = self.operational_population(cascade(self.network, awaiting, spent).down)
        values = {}
        for node in nodes:
            alone = awaiting.copy()
            alone[node] = self.own[node]
            values[node] = served - self.operational_population(cascade(self.network, alone, spent).down)
        return values
