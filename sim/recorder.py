"""The record phase: per-tick metrics in preallocated arrays, and node state changes.

Service levels are recomputed only when the kernel ran since the last record; node changes
are kept as (tick, node, down, backup) rows, so a replay carries only what changed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from agents.responders import UnitStatus
from sim.metrics import run_metrics
from sim.results import RunResult

if TYPE_CHECKING:
    from sim.model import RippleModel


class Recorder:
    def __init__(self, model: "RippleModel", rows: int):
        self.model = model
        net = model.network
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
        self._prev_down = model.state.down.copy()
        self._prev_backup = model.state.backup.copy()
        self.ever_down = np.zeros(net.n, bool)
        self._changes: list[tuple[np.ndarray, ...]] = []
        self.event_marks: list[tuple[int, int]] = []   # (tick, position in the event log)

    def _levels(self) -> tuple[float, np.ndarray]:
        net, up = self.model.network, self.model.state.down == 0
        served = np.bincount(net.sector, weights=net.population * up, minlength=len(net.sector_names))
        overall = float(served.sum() / self._total) if self._total else 1.0
        return overall, served[self._codes] / net.sector_population[self._codes]

    def current_service(self) -> float:
        return self.levels[0]

    def current_sector_service(self, sector: str) -> float | None:
        return float(self.levels[1][self.sectors.index(sector)]) if sector in self.sectors else None

    def node_changes(self, tick: int) -> None:
        """After a kernel run: keep the nodes whose state changed, and refresh the levels."""
        state = self.model.state
        changed = np.flatnonzero((state.down != self._prev_down) | (state.backup != self._prev_backup))
        if len(changed):
            self._changes.append((np.full(len(changed), tick, np.int64), changed, state.down[changed].copy(),
                                  state.backup[changed].copy()))
            self.event_marks.append((tick, len(self.model.events)))
            self._prev_down[changed] = state.down[changed]
            self._prev_backup[changed] = state.backup[changed]
            self.ever_down[changed[state.down[changed] != 0]] = True
            self.levels = self._levels()

    def _row(self) -> tuple[float, np.ndarray, int, int, int, int]:
        units = self.model.responders
        return (*self.levels, int((self.model.state.down != 0).sum()), int(self.model.state.backup.sum()),
                sum(1 for u in units if u.status in (UnitStatus.TRAVELLING, UnitStatus.WORKING)),
                sum(1 for u in units if u.status != UnitStatus.INACTIVE))

    def record(self, tick: int) -> None:
        self.repeat(tick, tick + 1)

    def repeat(self, start: int, stop: int) -> None:
        """Fill rows [start, stop) with the current state's row (quiet ticks)."""
        q, sector_q, down, backup, busy, active = self._row()
        self.service[start:stop] = q
        self.sector_service[:, start:stop] = sector_q[:, None]
        self.nodes_down[start:stop] = down
        self.nodes_backup[start:stop] = backup
        self.units_busy[start:stop] = busy
        self.units_active[start:stop] = active

    def result(self) -> RunResult:
        model = self.model
        net = model.network
        times_h = np.arange(len(self.service)) * model.tick_seconds / 3600.0
        sector_q = {name: self.sector_service[i] for i, name in enumerate(self.sectors)}
        hit = model.ever_hit & model.baseline_up
        metrics = run_metrics(
            times_h, self.service, sector_q,
            {name: float(net.sector_population[net.sector_names.index(name)]) for name in self.sectors},
            self.baseline_service, int((self.ever_down & model.baseline_up).sum()), int(hit.sum()),
            dict(model.attack_counts), self.units_busy, self.units_active,
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
            scenario_id=model.scenario.id, scenario_name=model.scenario.name, seed=model.seed,
            run_index=model.run_index, tick_seconds=model.tick_seconds, sectors=self.sectors,
            node_ids=list(net.ids), metrics=metrics, series=series, events=list(model.events),
            changes=changes, event_marks=list(self.event_marks),
        )
