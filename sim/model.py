"""RippleModel: infrastructure nodes, attackers and responders on one timestep engine.

Each tick runs the same five phases, in this order (docs/design.md, "Time"):

1. **attacks** — injects due are released; attackers whose plan reaches this tick act;
   each attempt is interdicted, fails, or lands.
2. **effects** — landed attacks set own-cause bits (DAMAGED, SHUT, COMPROMISED), blasts
   reach neighbours, open intrusions spread along control dependencies; incidents open.
3. **cascade** — the vectorised kernel (:mod:`sim.cascade`) propagates loss to a fixpoint.
4. **response** — mutual aid activates; units advance (travel, work, complete) and
   operators work remote switches. When work completed here cleared a node's bits or
   closed a tie, the cascade settles again, so a node repaired in a tick is up in that
   tick's record. Switch tasks open for ties that would bring a cut-off part back, then
   the dispatcher gives idle units waiting tasks (switches first, nearest unit). Buffers
   then drain or refill over the tick, by the state it ends in.
5. **record** — the tick's metrics go into preallocated arrays.

When nothing is pending (no buffer draining or refilling, no intrusion spreading, no unit
busy, no remote switch under way, no work a unit could take) :meth:`RippleModel.run` skips
ahead to the next entry of the agenda
(:mod:`sim.agenda`: actions, injects, mutual aid, detections); the result equals stepping
tick by tick (tested).

The model is built from three parts: :class:`sim.effects.Effects` (what attacks do to
nodes), :class:`sim.response.Response` (tasks, units, mutual aid) and this module
(construction, the kernel phase, the phase order and running).
"""

from __future__ import annotations

import bisect
import math
from functools import partial
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np
from scipy.spatial import cKDTree

from agents.attackers import Attacker, PlannedAction
from agents.dispatch import Dispatcher
from agents.events import EventKind
from agents.incidents import TaskBoard
from sim.agenda import Agenda, Due, Entry
from sim.attribution import Attribution
from sim.cascade import Outcome, cascade, drain_buffers, refilling
from sim.effects import Effects
from sim.kernel.layout import layout
from sim.load import capacities
from sim.network import DAMAGED, NONE, Network, NodeState, network_tables
from sim.physics.build import Physics
from sim.physics.phase import PhysicsPhase
from sim.recorder import Recorder
from sim.response import Response
from sim.results import Event, RunResult
from sim.scenario.sanity import sanity_warnings
from sim.scenario.schema import Scenario
from sim.streams import spawn_streams

__all__ = ["Prebuilt", "RippleModel"]


@dataclass(frozen=True)
class Prebuilt:
    """What every run of one scenario shares, built once: runs only read it.

    Attributes
    ----------
    network : Network
        The network, with its kernel layout (``network.kernel_layout``) and, when the
        scenario's load model is on, its Motter-Lai capacities (``network.capacity``).
    tree : cKDTree
        The spatial index of the placed nodes' positions (km), for blast radii; its point
        k is node ``network.placed_rows[k]``.
    warnings : tuple of str
        The scenario's sanity warnings (:func:`sim.scenario.sanity.sanity_warnings`) and
        its grids' rating warnings (:func:`sim.physics.build.rating_warnings`), written
        into every run's ``summary.json``.
    physics : Physics or None
        The grids of the ``physics: dc`` sectors and their ratings (None: none).
    """

    network: Network
    tree: cKDTree
    warnings: tuple[str, ...] = ()
    physics: Physics | None = None

    @classmethod
    def of(cls, scenario: Scenario) -> "Prebuilt":
        """Build the network, its kernel layout, capacities and spatial index of a scenario.

        Parameters
        ----------
        scenario : Scenario
            The validated scenario.

        Returns
        -------
        Prebuilt
            Ready for any number of :class:`RippleModel` runs of ``scenario``.
        """
        tables = network_tables(scenario)
        net = Network.from_tables(tables, scenario)
        if scenario.policies.load_model:
            linked = [code for code in range(len(net.sector_names)) if net.rule[code] != NONE]
            net.capacity = capacities(net, linked, scenario.policies.load_alpha)
        layout(net)
        physics = Physics.of(scenario, tables)
        warnings = (*sanity_warnings(scenario, tables), *(physics.warnings if physics is not None else ()))
        return cls(net, cKDTree(net.xy[net.placed_rows]), warnings, physics)


class RippleModel(Effects, Response, PhysicsPhase, mesa.Model):
    """One run of a scenario. ``RippleModel(scenario, seed).run()`` returns a RunResult.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    seed : int, optional
        The root seed; the scenario's ``seed`` by default.
    run_index : int, optional
        The run's index in a batch, which selects its random streams (:mod:`sim.streams`).
    skip_quiet : bool
        Skip ahead over quiet ticks (same result as stepping each tick, faster).
    prebuilt : Prebuilt, optional
        The network and spatial index of ``scenario``, shared with other runs of it (a
        batch builds them once per process); built for this run alone by default, as an
        exercise needs, whose decisions change its network.
    """

    def __init__(self, scenario: Scenario, seed: int | None = None, run_index: int | None = None,
                 skip_quiet: bool = True, prebuilt: Prebuilt | None = None):
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
        self.agenda = Agenda()
        self.agenda.schedule(self.n_ticks + 1, Due.END)

        prebuilt = prebuilt or Prebuilt.of(scenario)
        self.network = self.base_network = net = prebuilt.network   # network: with the ties closed so far
        self.tie_closed = np.zeros(len(net.tie_ids), bool)
        self.tie_opened = np.zeros(len(net.tie_ids), bool)
        self.remote_switches = []
        self.own = np.zeros(net.n, np.uint8)        # own-cause bits, written by agents
        self.state = NodeState.fresh(net)
        self.spread_p = np.zeros(net.n)            # per compromised node, until contained
        self.known_at = np.zeros(net.n, np.int64)  # tick defenders learn of a node's intrusion
        self.cyber_supply = net.supply[np.flatnonzero(net.dep_cyber)]
        self.cyber_dependent = net.dep_node[net.dep_cyber]
        self.tree = prebuilt.tree
        self.scenario_warnings = prebuilt.warnings
        self.run_warnings: dict[str, str] = {}     # what this run did with unplaced nodes, by kind, once each
        self.attribution = Attribution(net)        # what caused each failure, back to the attacks

        self.attackers = [Attacker(self, a.id, a.plan, scenario.tactics) for a in scenario.attackers]
        for attacker in self.attackers:
            for action in attacker.plan:
                self.agenda.schedule(self.tick_of(action.at), Due.ACTION, action)
        self.responders = self.make_responders()
        self.aid_due: dict[str, int | None] = {name: None for name, t in scenario.responders.items() if t.mutual_aid}
        for name in self.aid_due:
            if (at := scenario.responders[name].mutual_aid.at) is not None:
                self.agenda.schedule(self.tick_of(at), Due.AID_SCHEDULED, name)
        self.board = TaskBoard()
        self.dispatcher = Dispatcher(self, scenario.policies.dispatch, self.responders)
        for inject in sorted(scenario.injects, key=lambda i: (i.at, i.number)):
            self.agenda.schedule(self.tick_of(inject.at), Due.INJECT, inject)
        self.events: list[Event] = []
        self.attack_counts = {"attempted": 0, "interdicted": 0, "failed": 0, "landed": 0}
        self.ever_hit = np.zeros(net.n, bool)
        # one draw per node, made up front so that which nodes a cascade damages does not
        # depend on the response (common random numbers)
        self.outage_fragile = self.streams.effects.random(net.n) < net.outage_damage

        self.dirty = True
        self.start_physics(prebuilt.physics)
        self.outcome = self._run_kernel()
        self.recorder = Recorder(net, self.state, self.responders, self.events, self.tick_seconds, self.n_ticks + 1)

    # ---------------------------------------------------------------- helpers
    def tick_of(self, seconds: float) -> int:
        """The tick at which a time after T+0 falls.

        Parameters
        ----------
        seconds : float
            Time after T+0, s.

        Returns
        -------
        int
            The first tick starting at or after it.
        """
        return math.ceil(seconds / self.tick_seconds - 1e-9)

    def ticks(self, seconds: float) -> int:
        """A duration in whole ticks, rounded up, at least one.

        Parameters
        ----------
        seconds : float
            A duration, s.

        Returns
        -------
        int
            Ticks, >= 1.
        """
        return max(1, math.ceil(seconds / self.tick_seconds - 1e-9))

    def log(self, kind: EventKind, node: int | None = None, team: str | None = None, **detail: Any) -> None:
        """Append an event at the current tick.

        Parameters
        ----------
        kind : EventKind
            What the event records.
        node : int, optional
            The node's index, written as its id.
        team : str, optional
            The unit's label.
        **detail
            Further fields of the event.
        """
        node_id = self.network.ids[node] if node is not None else None
        self.events.append(Event(self.tick, kind, node_id, team, detail))

    def count_attack(self, outcome: str) -> None:
        """Count one attack attempt.

        Parameters
        ----------
        outcome : str
            ``"interdicted"``, ``"failed"`` or ``"landed"``.
        """
        self.attack_counts["attempted"] += 1
        self.attack_counts[outcome] += 1

    def operational_population(self, down: np.ndarray) -> float:
        """People served by the operational nodes of a node state.

        Parameters
        ----------
        down : numpy.ndarray
            Down-reason bitmask per node (0 = operational).

        Returns
        -------
        float
            The population of the nodes with ``down == 0``, people.
        """
        return float(self.network.population[down == 0].sum())

    def population_lost_if_down(self, node: int) -> float:
        """Population that losing a node now would take down (one kernel run).

        Parameters
        ----------
        node : int
            The node's index.

        Returns
        -------
        float
            People served now and not served with ``node`` also damaged.
        """
        own = self.own.copy()
        own[node] |= DAMAGED
        what_if = cascade(self.network, own, self.state.buffer_left)
        return self.operational_population(self.state.down) - self.operational_population(what_if.down)

    def add_action(self, cell_id: str, action: PlannedAction) -> None:
        """Add an action to a cell's plan at run time (an exercise controller's attack).

        Parameters
        ----------
        cell_id : str
            The cell; created if new.
        action : PlannedAction
            The action; its time must lie at or after the current tick.

        Raises
        ------
        ValueError
            If the action lies before the current tick.
        """
        if self.tick_of(action.at) < self.tick:
            raise ValueError(f"action at {action.at:g}s lies before the current tick {self.tick}")
        attacker = next((a for a in self.attackers if a.cell_id == cell_id), None)
        if attacker is None:
            self.attackers.append(Attacker(self, cell_id, [action], self.scenario.tactics))
        else:
            bisect.insort(attacker.plan, action, lo=attacker.next_action, key=lambda a: a.at)
        self.agenda.schedule(self.tick_of(action.at), Due.ACTION, action)

    # ------------------------------------------------------------------ phases
    def _release_injects(self, due: list[Entry]) -> None:
        """Log the injects among the agenda entries due."""
        for entry in due:
            if entry.kind == Due.INJECT:
                inject = entry.payload
                self.log(EventKind.INJECT, number=inject.number, sender=inject.sender, to=inject.to, message=inject.message)

    def _run_kernel(self) -> Outcome:
        """Run the cascade kernel on the own-cause bits and store the node state (first the
        overload cascade of the ``physics: dc`` grids, whose unsupplied buses the kernel
        takes as UNSUPPLIED: :meth:`sim.physics.phase.PhysicsPhase.settle_grids`)."""
        outcome = self.settle_grids(lambda net, unsupplied: cascade(net, self.own, self.state.buffer_left, unsupplied))
        self.state.down, self.state.backup = outcome.down, outcome.backup
        self.dirty = False
        return outcome

    def _settle(self) -> None:
        """Rerun the kernel if something changed; damage the fragile nodes it knocked out."""
        if not self.dirty:
            return
        was_up = self.state.down == 0
        self.outcome = self._run_kernel()
        self.recorder.node_changes(self.tick, self._explain)
        knocked_out = np.flatnonzero(was_up & (self.state.down != 0) & (self.own == 0) & self.outage_fragile)
        for node in knocked_out.tolist():
            self.outage_fragile[node] = False
            self.hit(node, "damage", direct=False)

    def _explain(self, changed: np.ndarray, before: np.ndarray) -> None:
        """Keep what caused the kernel run's changes (:meth:`Attribution.explain`)."""
        self.attribution.explain(self.network, changed, before, self.state.down, self.own, self.outcome.group_failed,
                                 self.state.buffer_left, self.grid_cuts)

    def _drain(self) -> None:
        """Spend or refill the buffers over the tick, as the tick is recorded."""
        if drain_buffers(self.network, self.state.buffer_left, self.outcome.group_failed, self.tick_seconds):
            self.dirty = True

    def step(self) -> None:
        """Run one tick: attacks, effects, cascade, response, record (Mesa's step hook).

        Work finished in the response phase shows in this tick's record: the cascade
        settles again, before the dispatcher, when a task cleared a node's bits or closed a
        tie. Buffers then drain (or refill) for the tick by the state recorded; one that
        runs out shows from the next tick.
        """
        self._release_injects(self.agenda.pop_due(self.tick))         # 1 attacks
        attempts = [a for attacker in self.attackers for a in attacker.act(self.streams.attacks)]
        self.apply(attempts)                                           # 2 effects
        self.spread_intrusions()
        self._settle()                                                 # 3 cascade
        self.mutual_aid()                                              # 4 response
        for unit in self.responders:
            unit.advance(self.tick)
        self.switch_remotely()
        self._settle()                                                 #   what the work restored
        self.open_switches()
        self.open_line_switches()
        self.dispatcher.dispatch(self.tick)
        self._drain()
        self.recorder.record(self.tick)                                # 5 record
        self.tick += 1
        self.running = self.tick <= self.n_ticks

    # ---------------------------------------------------------------- running
    def quiet(self) -> bool:
        """Nothing can change this tick unless an agenda entry is due."""
        failed, left = self.outcome.group_failed, self.state.buffer_left
        if self.dirty or (failed & (left > 0)).any() or refilling(self.network, left, failed):
            return False
        if self.spreading() or self.units_busy() or self.switching() or self.aid_would_trigger() \
                or self.reclosing_pending():
            return False
        return not self.dispatcher.can_progress(self.tick)

    def next_event(self) -> int:
        """The first tick at which something is scheduled (the agenda's earliest entry)."""
        return max(self.tick, self.agenda.peek())

    def advance(self, until: int | None = None) -> None:
        """Run ticks up to (excluding) ``until``, skipping quiet stretches when allowed.

        Parameters
        ----------
        until : int, optional
            The tick to stop before; the end of the run by default (and at most).
        """
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
        """Run to the end and return the result."""
        self.advance()
        return self.result()

    def result(self) -> RunResult:
        """The run's result so far (:meth:`sim.recorder.Recorder.result`)."""
        s = self.scenario
        net = self.network
        causes = partial(self.attribution.resolve, len(self.attribution.batches), list(net.ids), list(net.sector_names),
                         net.sector, net.dep_resource, net.dep_buffer)
        result = self.recorder.result(s.id, s.name, self.seed, self.run_index, s.clock.start, self.attack_counts,
                                      self.ever_hit, causes)
        result.warnings = [*self.scenario_warnings, *self.run_warnings.values(), *self.travel_warnings()]
        return result
