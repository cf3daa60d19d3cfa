"""The record phase: per-tick metrics in preallocated arrays, and node state changes.

Service levels are recomputed only when the kernel ran since the last record; node changes
are kept as (tick, node, down, backup) rows, so a replay carries only what changed. The
recorder reads the network, the node state, the units and the event log it is given; it
keeps the state the run starts from (the baseline) and the roster of units.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from agents.events import EventKind
from agents.incidents import UnitStatus
from agents.responders import Responder
from sim.metrics import run_metrics
from sim.network import Network, NodeState
from sim.results import Event, RunResult, UnitRecord

__all__ = ["Recorder"]


class Recorder:
    """Per-tick rows for a run of ``rows`` ticks over ``network`` in ``state``.

    Parameters
    ----------
    network : Network
        The static network.
    state : NodeState
        The node state the model updates in place (read at each record).
    units : Sequence[Responder]
        The responder units, in roster order.
    events : list[Event]
        The model's event log (appended to in place).
    tick_seconds : float
        The length of a tick, s.
    rows : int
        Ticks to record (the run's ticks + 1).
    """

    def __init__(self, network: Network, state: NodeState, units: Sequence[Responder], events: list[Event],
                 tick_seconds: float, rows: int):
        self.network, self.state, self.units, self.events = network, state, units, events
        self.tick_seconds = tick_seconds
        net = network
        self.sectors = [name for i, name in enumerate(net.sector_names) if net.sector_population[i] > 0]
        self._codes = np.array([net.sector_names.index(s) for s in self.sectors], dtype=np.int64)
        self._total = float(net.population.sum())
        self.service = np.zeros(rows)
        self.sector_service = np.zeros((len(self.sectors), rows))
        self.nodes_down = np.zeros(rows, np.int64)
        self.nodes_backup = np.zeros(rows, np.int64)
        self.units_busy = np.zeros(rows, np.int64)
        self.units_active = np.zeros(rows, np.int64)
        self.baseline_service, self.baseline_sector = self._levels()
        self.levels = (self.baseline_service, self.baseline_sector)
        self.baseline_down = state.down.copy()
        self.baseline_backup = state.backup.copy()
        self.roster = [UnitRecord(u.label, u.kind, u.team, (float(u.base[0]), float(u.base[1])),
                                  u.status != UnitStatus.INACTIVE, u.jurisdiction) for u in units]
        self._prev_down = state.down.copy()
        self._prev_backup = state.backup.copy()
        self.ever_down = np.zeros(net.n, bool)
        self._changes: list[tuple[np.ndarray, ...]] = []
        self.event_marks: list[tuple[int, int, int]] = []   # (tick, position in the event log, change rows)

    def _levels(self) -> tuple[float, np.ndarray]:
        """Service now, overall and per recorded sector, fractions 0..1."""
        net, up = self.network, self.state.down == 0
        served = np.bincount(net.sector, weights=net.population * up, minlength=len(net.sector_names))
        overall = float(served.sum() / self._total) if self._total else 1.0
        return overall, served[self._codes] / net.sector_population[self._codes]

    def current_service(self) -> float:
        """Overall service level as of the last kernel run, fraction 0..1."""
        return self.levels[0]

    def current_sector_service(self, sector: str) -> float | None:
        """A sector's service level as of the last kernel run.

        Parameters
        ----------
        sector : str
            The sector's name.

        Returns
        -------
        float or None
            Fraction 0..1, or None when the sector has no service nodes.
        """
        return float(self.levels[1][self.sectors.index(sector)]) if sector in self.sectors else None

    def node_changes(self, tick: int, explain: Callable[[np.ndarray, np.ndarray], None] | None = None) -> None:
        """After a kernel run: keep the nodes whose state changed, and refresh the levels.

        Parameters
        ----------
        tick : int
            The current tick, stamped on the change rows.
        explain : callable, optional
            ``explain(changed, before)``, called with the changed nodes (in change-row order)
            and their bitmask before, when any changed: keeps what caused the changes
            (:meth:`sim.attribution.Attribution.explain`).
        """
        state = self.state
        changed = np.flatnonzero((state.down != self._prev_down) | (state.backup != self._prev_backup))
        if len(changed):
            if explain is not None:
                explain(changed, self._prev_down[changed])
            self._changes.append((np.full(len(changed), tick, np.int64), changed, state.down[changed].copy(),
                                  state.backup[changed].copy()))
            self.event_marks.append((tick, len(self.events), len(changed)))
            self._prev_down[changed] = state.down[changed]
            self._prev_backup[changed] = state.backup[changed]
            self.ever_down[changed[state.down[changed] != 0]] = True
            self.levels = self._levels()

    def _row(self) -> tuple[float, np.ndarray, int, int, int, int]:
        """The current values of every recorded column."""
        units = self.units
        return (*self.levels, int((self.state.down != 0).sum()), int(self.state.backup.sum()),
                sum(1 for u in units if u.status in (UnitStatus.TRAVELLING, UnitStatus.WORKING)),
                sum(1 for u in units if u.status != UnitStatus.INACTIVE))

    def record(self, tick: int) -> None:
        """Fill row ``tick`` with the current state (the record phase).

        Parameters
        ----------
        tick : int
            The current tick.
        """
        self.repeat(tick, tick + 1)

    def repeat(self, start: int, stop: int) -> None:
        """Fill rows [start, stop) with the current state's row (quiet ticks).

        Parameters
        ----------
        start, stop : int
            The ticks, ``stop`` excluded.
        """
        q, sector_q, down, backup, busy, active = self._row()
        self.service[start:stop] = q
        self.sector_service[:, start:stop] = sector_q[:, None]
        self.nodes_down[start:stop] = down
        self.nodes_backup[start:stop] = backup
        self.units_busy[start:stop] = busy
        self.units_active[start:stop] = active

    def result(self, scenario_id: str, scenario_name: str, seed: int, run_index: int | None, clock_start: str,
               attack_counts: dict[str, int], ever_hit: np.ndarray,
               causes: Callable[[], tuple[list[Any], list[Any]]] | None = None) -> RunResult:
        """The run's result so far.

        Parameters
        ----------
        scenario_id, scenario_name : str
            The scenario's id and name.
        seed : int
            The run's root seed.
        run_index : int or None
            The run's index in a batch.
        clock_start : str
            The wall-clock label of T+0 ('' for none).
        attack_counts : dict[str, int]
            Attempts by outcome.
        ever_hit : numpy.ndarray
            Bool per node: an attack ever hit it directly (nodes reached by an intrusion's
            spread are read from the event log).
        causes : callable, optional
            Returns the ``cause`` and ``roots`` of every change row (``RunResult.causes``),
            computed only when asked for.

        Returns
        -------
        RunResult
            The metrics, per-tick series, events and node changes, with the baseline and roster.
        """
        net = self.network
        baseline_up = self.baseline_down == 0
        times_h = np.arange(len(self.service)) * self.tick_seconds / 3600.0
        sector_q = {name: self.sector_service[i] for i, name in enumerate(self.sectors)}
        hit = ever_hit & baseline_up
        spread = np.zeros(net.n, bool)
        spread[[net.index[e.node] for e in self.events if e.kind == EventKind.SPREAD]] = True
        metrics = run_metrics(
            times_h, self.service, sector_q,
            {name: float(net.sector_population[net.sector_names.index(name)]) for name in self.sectors},
            self.baseline_service, {name: float(self.baseline_sector[i]) for i, name in enumerate(self.sectors)},
            int((self.ever_down & baseline_up).sum()), int(hit.sum()), int((spread & baseline_up & ~hit).sum()),
            dict(attack_counts), self.units_busy, self.units_active,
        )
        series = {"tick": np.arange(len(self.service)), "time_h": times_h, "service": self.service.copy()}
        for name, values in sector_q.items():
            series[f"service_{name}"] = values.copy()
        series.update(nodes_down=self.nodes_down.copy(), nodes_on_backup=self.nodes_backup.copy(),
                      units_busy=self.units_busy.copy(), units_active=self.units_active.copy())
        empty = (np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.uint8), np.zeros(0, bool))
        parts = zip(empty, *self._changes)
        changes = {key: np.concatenate(part) for key, part in zip(("tick", "node", "down", "backup"), parts)}
        return RunResult(
            scenario_id=scenario_id, scenario_name=scenario_name, seed=seed,
            run_index=run_index, tick_seconds=self.tick_seconds, sectors=self.sectors,
            node_ids=list(net.ids), metrics=metrics, series=series, events=list(self.events),
            changes=changes, event_marks=list(self.event_marks),
            baseline_down=self.baseline_down.copy(), baseline_backup=self.baseline_backup.copy(),
            roster=list(self.roster), clock_start=clock_start, cause_source=causes,
        )
