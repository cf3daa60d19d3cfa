"""What a run returns, and how it is saved: ``summary.json``, ``series.parquet``,
``nodes.parquet`` (node state changes) and ``events.jsonl`` in one folder."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from agents.events import EventKind
from agents.responders import UnitStatus
from sim.network import reason_names
from sim.scenario.timefmt import format_clock

# EventKind and UnitStatus are the vocabulary of a result's events and roster; pages read
# them from here
__all__ = ["Event", "EventKind", "RunResult", "UnitRecord", "UnitStatus", "clean"]


@dataclass
class Event:
    """One entry of the typed event log (one line of ``events.jsonl``).

    ``kind`` may be given as its string; it is stored as an :class:`EventKind`, so an
    unknown kind fails where it is logged.
    """

    tick: int
    kind: EventKind
    node: str | None = None
    team: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.kind = EventKind(self.kind)

    def as_dict(self, tick_seconds: float) -> dict[str, Any]:
        out: dict[str, Any] = {"tick": self.tick, "time": format_clock(self.tick * tick_seconds), "kind": self.kind}
        if self.node is not None:
            out["node"] = self.node
        if self.team is not None:
            out["team"] = self.team
        out.update(self.detail)
        return out


def clean(value: Any) -> Any:
    """JSON-safe: NaN → null, numpy scalars → Python."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass(frozen=True)
class UnitRecord:
    """One responder unit as a run starts: who it is, where its base is, whether it is
    active from the start (mutual aid is not until it arrives)."""

    label: str
    kind: str
    team: str
    base: tuple[float, float]     # km
    active: bool
    jurisdiction: str


@dataclass
class RunResult:
    scenario_id: str
    scenario_name: str
    seed: int
    run_index: int | None
    tick_seconds: float
    sectors: list[str]                  # sectors with service nodes
    node_ids: list[str]
    metrics: dict[str, float]
    series: dict[str, np.ndarray]       # per tick: time_h, service, service_<sector>, ...
    events: list[Event]
    changes: dict[str, np.ndarray]      # tick, node, down, backup: one row per node state change
    event_marks: list[tuple[int, int]] = field(default_factory=list)
    # what pages need besides the static network (not written by save)
    baseline_down: np.ndarray | None = None     # down bitmask per node before anything happens
    baseline_backup: np.ndarray | None = None   # on-backup flag per node before anything happens
    roster: list[UnitRecord] = field(default_factory=list)
    clock_start: str = ""                       # wall-clock label of T+0, or ''

    def timeline(self) -> list[Event]:
        """The event log with node_down / node_up events placed where the cascade ran."""
        marks = dict((tick, pos) for tick, pos in self.event_marks)
        node_events: dict[int, list[Event]] = {}
        previous = np.zeros(len(self.node_ids), np.uint8)
        for tick, node, down in zip(self.changes["tick"].tolist(), self.changes["node"].tolist(),
                                    self.changes["down"].tolist()):
            was = previous[node]
            previous[node] = down
            if was != down:
                kind = "node_up" if down == 0 else "node_down" if was == 0 else "node_reasons"
                detail = {"reasons": reason_names(down)} if down else {}
                node_events.setdefault(tick, []).append(Event(tick, kind, self.node_ids[node], None, detail))
        out, cursor = [], 0
        for tick in sorted(node_events):
            pos = marks[tick]
            out.extend(self.events[cursor:pos])
            out.extend(node_events[tick])
            cursor = pos
        out.extend(self.events[cursor:])
        return out

    def summary(self) -> dict[str, Any]:
        return clean({"scenario": self.scenario_id, "name": self.scenario_name, "seed": self.seed,
                      "run_index": self.run_index, "tick_seconds": self.tick_seconds,
                      "sectors": self.sectors, "metrics": self.metrics})

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "summary.json").write_text(json.dumps(self.summary(), indent=2, sort_keys=True) + "\n")
        pq.write_table(pa.table(self.series), folder / "series.parquet", compression="zstd")
        pq.write_table(pa.table(self.changes), folder / "nodes.parquet", compression="zstd")
        with open(folder / "events.jsonl", "w") as out:
            for event in self.timeline():
                out.write(json.dumps(clean(event.as_dict(self.tick_seconds)), sort_keys=True) + "\n")
        return folder
