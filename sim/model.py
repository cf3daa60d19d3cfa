"""RippleModel: infrastructure nodes, attackers and responders on one timestep engine.

Each tick runs the same five phases, in this order (DESIGN.md, "Time"):

1. **attacks** — injects due are released; attackers whose plan reaches this tick act;
   each attempt is interdicted, fails, or lands.
2. **effects** — landed attacks set own-cause bits (DAMAGED, SHUT, COMPROMISED), blasts
   reach neighbours, open intrusions spread along control dependencies; incidents open.
3. **cascade** — the vectorised kernel (:mod:`sim.cascade`) propagates loss to a fixpoint;
   buffers drain or refill.
4. **response** — mutual aid activates; units advance (travel, work, complete), then the
   dispatcher gives idle units waiting tasks. Work completed here shows in the next tick's
   cascade.
5. **record** — the tick's metrics go into preallocated arrays.

When nothing is pending (no attack or inject due, no buffer draining, no intrusion spreading,
no unit busy, no work a unit could take) :meth:`RippleModel.run` skips ahead to the next
due event; the result equals stepping tick by tick (tested).
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import mesa
import numpy as np
from scipy.spatial import cKDTree

from agents.attackers import Attacker, Attempt
from agents.dispatch import Dispatcher
from agents.incidents import Task, TaskBoard, TeamKind, Work
from agents.responders import Responder, UnitStatus
from sim.cascade import Outcome, cascade, drain_buffers
from sim.load import capacities
from sim.network import COMPROMISED, DAMAGED, NONE, SHUT, Network, NodeState
from sim.recorder import Recorder
from sim.results import Event, RunResult
from sim.scenario.schema import Action, Scenario
from sim.streams import spawn_streams

Z90 = 1.2815515655446004  # standard normal 90th percentile


class RippleModel(mesa.Model):
    """One run of a scenario. ``RippleModel(scenario, seed).run()`` returns a RunResult."""

    def __init__(self, scenario: Scenario, seed: int | None = None, run_index: int | None = None,
                 skip_quiet: bool = True):
        self.scenario = scenario
        self.seed = scenario.seed if seed is None else seed
        self.run_index = run_index
        self.streams = spawn_streams(self.seed, run_index)
        super().__init__(rng=self.streams.generation)
        self.skip_quiet = skip_quiet
        self.tick_seconds = scenario.clock.tick
        self.n_ticks = int(round(scenario.clock.duration / self.tick_seconds))
        self.tick = 0
        self.policies = scenario.policies
        self.information_sharing = scenario.policies.information_sharing

        self.network = net = Network.from_scenario(scenario)
        if scenario.policies.load_model:
            linked = [code for code in range(len(net.sector_names)) if net.rule[code] != NONE]
            net.capacity = capacities(net, linked, scenario.policies.load_alpha)
        self.own = np.zeros(net.n, np.uint8)        # own-cause bits, written by agents
        self.state = NodeState.fresh(net)
        self.spread_p = np.zeros(net.n)            # per compromised node, until contained
        self.known_at = np.zeros(net.n, np.int64)  # tick defenders learn of a node's intrusion
        self.cyber_supply = net.supply[np.flatnonzero(net.dep_cyber)]
        self.cyber_dependent = net.dep_node[net.dep_cyber]
        self.tree = cKDTree(net.xy)

        self.attackers = [Attacker(self, a.id, a.plan, scenario.tactics) for a in scenario.attackers]
        self.responders = self._make_responders()
        self.aid_due: dict[str, int | None] = {name: None for name, t in scenario.responders.items() if t.mutual_aid}
        self.board = TaskBoard()
        self.dispatcher = Dispatcher(self, scenario.policies.dispatch, self.responders)
        self.injects = sorted(scenario.injects, key=lambda i: (i.at, i.number))
        self.next_inject = 0
        self.events: list[Event] = []
        self.attack_counts = {"attempted": 0, "interdicted": 0, "failed": 0, "landed": 0}
        self.ever_hit = np.zeros(net.n, bool)
        # one draw per node, made up front so that which nodes a cascade damages does not
        # depend on the response (common random numbers)
        self.outage_fragile = self.streams.effects.random(net.n) < net.outage_damage

        self.dirty = True
        self.outcome = self._run_kernel()
        self.recorder = Recorder(self, self.n_ticks + 1)
        self.baseline_up = self.state.down == 0

    # ----------------------------------------------------------------- set-up
    def _make_responders(self) -> list[Responder]:
        units, net = [], self.network
        for name, team in self.scenario.responders.items():
            base = net.xy[net.index[team.base]] if isinstance(team.base, str) else np.array(team.base, float)
            sectors = {net.sector_names.index(s) for s in team.sectors}
            for unit in range(team.count):
                units.append(Responder(self, name, unit + 1, team.kind, sectors, team.speed_kmh, base.copy(),
                                       team.jurisdiction, active=team.mutual_aid is None))
        return units

    # ---------------------------------------------------------------- helpers
    def tick_of(self, seconds: float) -> int:
        return math.ceil(seconds / self.tick_seconds - 1e-9)

    def ticks(self, seconds: float) -> int:
        return max(1, math.ceil(seconds / self.tick_seconds - 1e-9))

    def log(self, kind: str, node: int | None = None, team: str | None = None, **detail: Any) -> None:
        node_id = self.network.ids[node] if node is not None else None
        self.events.append(Event(self.tick, kind, node_id, team, detail))

    def count_attack(self, outcome: str) -> None:
        self.attack_counts["attempted"] += 1
        self.attack_counts[outcome] += 1

    def draw_duration(self, median: float, p90: float) -> int:
        """Ticks of work, lognormal with the given median and 90th percentile (seconds)."""
        sigma = math.log(max(p90, median) / median) / Z90 if median > 0 else 0.0
        z = self.streams.response.standard_normal()
        return self.ticks(median * math.exp(sigma * z))

    def operational_population(self, down: np.ndarray) -> float:
        return float(self.network.population[down == 0].sum())

    def population_lost_if_down(self, node: int) -> float:
        """Population that losing ``node`` now would take down (one kernel run)."""
        own = self.own.copy()
        own[node] |= DAMAGED
        what_if = cascade(self.network, own, self.state.buffer_left)
        return self.operational_population(self.state.down) - self.operational_population(what_if.down)

    def restoration_values(self, nodes: list[int]) -> dict[int, float]:
        """Population that depends on each node: served once every node awaiting recovery
        is back, and not served if that node alone stays down, with backup buffers spent.
        Valuing nodes in the restored network, not the broken one, ranks a feeder above the
        substations behind it and counts the people that generators still mask."""
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

    def travel_factor(self) -> float:
        """Speed factor from the transport sector's service level (1 when there is none)."""
        q = self.recorder.current_sector_service("transport")
        floor = self.policies.min_travel_factor
        return 1.0 if q is None else floor + (1.0 - floor) * q

    def police_near(self, node: int) -> int:
        xy, r = self.network.xy[node], self.policies.police_radius_km
        return sum(1 for u in self.responders if u.kind == TeamKind.POLICE and u.status not in (UnitStatus.INACTIVE, UnitStatus.OUT)
                   and np.hypot(*(u.position - xy)) <= r)

    def responders_at(self, node: int) -> list[Responder]:
        return [u for u in self.responders if u.status == UnitStatus.WORKING and u.task is not None and u.task.node == node]

    def nodes_within(self, node: int, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Other nodes within ``radius_km`` of ``node`` and their distances, by index."""
        near = np.array(sorted(self.tree.query_ball_point(self.network.xy[node], radius_km)), dtype=np.int64)
        near = near[near != node]
        return near, np.hypot(*(self.network.xy[near] - self.network.xy[node]).T)

    # ---------------------------------------------------------------- effects
    def _add_task(self, node: int, work: Work, median: float, p90: float, before: Task | None,
                  available: int | None = None) -> Task:
        """Open a task of ``work`` at ``node``, its duration drawn (:meth:`draw_duration`)."""
        return self.board.add(node, work, self.draw_duration(median, p90), self.tick,
                              self.tick if available is None else available, int(self.network.sector[node]), before)

    def hit(self, node: int, effect: str, scene: bool = False, blast: bool = False,
            cordon: Task | None = None, direct: bool = True) -> Task | None:
        """``node`` is damaged or shut: set its bits and open its incident. Work inside a
        cordon (a blast zone) waits for the cordon's last task. Return the node's last task
        before repair (for blast neighbours to wait on)."""
        net, response = self.network, self.scenario.response
        bits = DAMAGED if effect == "damage" else SHUT
        if scene:
            bits |= SHUT
        self.own[node] |= bits
        self.ever_hit[node] |= direct
        self.dirty = True
        self.log("hit" if direct else "outage_damage", node=node, effect=effect, scene=scene)
        before = cordon
        if bits & SHUT:
            clear = response.police_clear
            before = self.board.pending(node, Work.CLEAR) or self._add_task(node, Work.CLEAR, clear.median, clear.p90, None)
            for task in self.board.tasks:
                if task.node == node and not task.done and not task.crew and task is not before and task.work != Work.CLEAR:
                    task.before = before
        if blast:
            before = self._add_task(node, Work.MAKE_SAFE, response.fire_make_safe.median, response.fire_make_safe.p90,
                                    before)
        if bits & DAMAGED and self.board.pending(node, Work.REPAIR) is None:
            self._add_task(node, Work.REPAIR, float(net.repair_median[node]), float(net.repair_p90[node]), before)
        return before

    def compromise(self, node: int, spread_p: float, dwell_h: float) -> None:
        """A control system is taken over; defenders learn of it after ``dwell_h`` hours
        (or, for a node reached by spread, when they learn of the intrusion it came from)."""
        self.own[node] |= COMPROMISED
        self.spread_p[node] = max(self.spread_p[node], spread_p)
        self.ever_hit[node] = True
        self.dirty = True
        known = self.tick + self.tick_of(dwell_h * 3600.0)
        self.known_at[node] = known
        self.log("compromise", node=node, detected_at_tick=known)
        if self.board.pending(node, Work.REMEDIATE) is None:
            response = self.scenario.response
            contain, remediate = response.cyber_contain, response.cyber_remediate
            first = self._add_task(node, Work.CONTAIN, contain.median, contain.p90, None, known)
            self._add_task(node, Work.REMEDIATE, remediate.median, remediate.p90, first, known)

    def strike_responders(self, node: int, hours: float) -> None:
        for unit in self.responders_at(node):
            unit.put_out_of_service(self.tick, self.ticks(hours * 3600.0))
            self.log("out_of_service", node=node, team=unit.label, hours=hours)

    def _spread_intrusions(self) -> None:
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
                self.log("spread", node=node)
                dwell_h = max(0, detected - self.tick) * self.tick_seconds / 3600.0
                self.compromise(node, inherited, dwell_h)

    def _apply(self, attempts: list[Attempt]) -> None:
        for attempt in attempts:
            attempt.tactic.apply(self, attempt.node, self.streams.effects)
            if attempt.action.inject:
                self.log("inject", node=attempt.node, message=attempt.action.inject, attacker=attempt.attacker)

    # --------------------------------------------------------------- response
    def complete(self, task: Task, unit: Responder) -> None:
        task.done = True
        node = task.node
        if task.work == Work.CLEAR and self.board.pending(node, Work.CLEAR) is None:
            self.own[node] &= ~np.uint8(SHUT)
        elif task.work == Work.REPAIR:
            self.own[node] &= ~np.uint8(DAMAGED)
        elif task.work == Work.CONTAIN:
            self.spread_p[node] = 0.0
        elif task.work == Work.REMEDIATE:
            self.own[node] &= ~np.uint8(COMPROMISED)
        self.dirty = True
        self.log("task_done", node=node, team=unit.label, work=task.work)

    def add_action(self, cell_id: str, action: Action) -> None:
        """Add ``action`` to cell ``cell_id``'s plan at run time (an exercise controller's
        attack), creating the cell if new; the action must lie at or after the current tick."""
        if self.tick_of(action.at) < self.tick:
            raise ValueError(f"action at {action.at:g}s lies before the current tick {self.tick}")
        attacker = next((a for a in self.attackers if a.cell_id == cell_id), None)
        if attacker is None:
            self.attackers.append(Attacker(self, cell_id, [action], self.scenario.tactics))
        else:
            bisect.insort(attacker.plan, action, lo=attacker.next_action, key=lambda a: a.at)

    def activate_mutual_aid(self, team: str, reason: str) -> None:
        spec = self.scenario.responders[team].mutual_aid
        delay = spec.delay * (1.0 - 0.5 * self.information_sharing)
        self.aid_due[team] = self.tick + self.tick_of(delay)
        self.log("mutual_aid", team=team, reason=reason, arrives_tick=self.aid_due[team])

    def _mutual_aid(self) -> None:
        q = self.recorder.current_service()
        for team, due in self.aid_due.items():
            spec = self.scenario.responders[team].mutual_aid
            if due is None:
                if spec.service_below is not None and q < spec.service_below:
                    self.activate_mutual_aid(team, f"service below {spec.service_below:g}")
                elif spec.at is not None and self.tick >= self.tick_of(spec.at):
                    self.activate_mutual_aid(team, "scheduled")
            elif due == self.tick:
                for unit in self.responders:
                    if unit.team == team and unit.status == UnitStatus.INACTIVE:
                        unit.status = UnitStatus.IDLE
                self.log("mutual_aid_arrived", team=team)

    # ------------------------------------------------------------------ phases
    def _release_injects(self) -> None:
        while self.next_inject < len(self.injects) and self.tick_of(self.injects[self.next_inject].at) <= self.tick:
            inject = self.injects[self.next_inject]
            self.log("inject", number=inject.number, sender=inject.sender, to=inject.to, message=inject.message)
            self.next_inject += 1

    def _run_kernel(self) -> Outcome:
        outcome = cascade(self.network, self.own, self.state.buffer_left)
        self.state.down, self.state.backup = outcome.down, outcome.backup
        self.dirty = False
        return outcome

    def _cascade(self) -> None:
        if self.dirty:
            was_up = self.state.down == 0
            self.outcome = self._run_kernel()
            self.recorder.node_changes(self.tick)
            knocked_out = np.flatnonzero(was_up & (self.state.down != 0) & (self.own == 0) & self.outage_fragile)
            for node in knocked_out.tolist():
                self.outage_fragile[node] = False
                self.hit(node, "damage", direct=False)
        if drain_buffers(self.network, self.state.buffer_left, self.outcome.group_failed):
            self.dirty = True

    def step(self) -> None:
        self._release_injects()                                        # 1 attacks
        attempts = [a for attacker in self.attackers for a in attacker.act(self.streams.attacks)]
        self._apply(attempts)                                          # 2 effects
        self._spread_intrusions()
        self._cascade()                                                # 3 cascade
        self._mutual_aid()                                             # 4 response
        for unit in self.responders:
            unit.advance(self.tick)
        self.dispatcher.dispatch(self.tick)
        self.recorder.record(self.tick)                                # 5 record
        self.tick += 1
        self.running = self.tick <= self.n_ticks

    # ---------------------------------------------------------------- running
    def quiet(self) -> bool:
        """Nothing can change this tick unless a scheduled event is due."""
        if self.dirty or (self.outcome.group_failed & (self.state.buffer_left > 0)).any():
            return False
        if ((self.own & COMPROMISED) > 0).any() and (self.spread_p > 0).any():
            return False
        if any(u.status in (UnitStatus.TRAVELLING, UnitStatus.WORKING, UnitStatus.OUT) for u in self.responders):
            return False
        q = self.recorder.current_service()
        for team, due in self.aid_due.items():
            spec = self.scenario.responders[team].mutual_aid
            if due is None and spec.service_below is not None and q < spec.service_below:
                return False
        return not self.dispatcher.can_progress(self.tick)

    def next_event(self) -> int:
        """The first tick at which something is scheduled: an action, inject, aid, detection."""
        ticks = [self.n_ticks + 1]
        ticks += [t for a in self.attackers if (t := a.next_tick()) is not None]
        if self.next_inject < len(self.injects):
            ticks.append(self.tick_of(self.injects[self.next_inject].at))
        for team, due in self.aid_due.items():
            spec = self.scenario.responders[team].mutual_aid
            if due is not None and due >= self.tick:
                ticks.append(due)
            elif due is None and spec.at is not None:
                ticks.append(self.tick_of(spec.at))
        ticks += [t.available for t in self.board.tasks if not t.done and t.available > self.tick]
        return max(self.tick, min(ticks))

    def advance(self, until: int | None = None) -> None:
        """Run ticks up to (excluding) ``until``, skipping quiet stretches when allowed."""
        until = self.n_ticks + 1 if until is None else min(until, self.n_ticks + 1)
        while self.tick < until:
            if self.skip_quiet and self.quiet():
                ahead = min(self.next_event(), until)
                if ahead > self.tick:
                    self.recorder.repeat(self.tick, ahead)
                    self.tick = ahead
                    self.running = self.tick <= self.n_ticks
                    continue
            self.step()

    def run(self) -> RunResult:
        self.advance()
        return self.result()

    def result(self) -> RunResult:
        return self.recorder.result()
