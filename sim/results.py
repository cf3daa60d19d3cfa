"""What a run returns, and how it is saved: ``summary.json``, ``series.parquet``,
``nodes.parquet`` (node state changes) and ``events.jsonl`` in one folder."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from agents.events import EventKind
from agents.incidents import UnitStatus
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

    Attributes
    ----------
    tick : int
        The tick it happened.
    kind : EventKind
        What it records.
    node : str or None
        The node's id.
    team : str or None
        The unit's label (or a team's name).
    detail : dict[str, Any]
        Further fields, by kind.
    """

    tick: int
    kind: EventKind
    node: str | None = None
    team: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Store the kind as an EventKind (ValueError for an unknown one)."""
        self.kind = EventKind(self.kind)

    def as_dict(self, tick_seconds: float) -> dict[str, Any]:
        """The event as one line of ``events.jsonl``.

        Parameters
        ----------
        tick_seconds : float
            The length of a tick, s, to write the event's exercise-clock ``time``.

        Returns
        -------
        dict[str, Any]
            ``tick``, ``time``, ``kind``, ``node`` and ``team`` when set, then the detail.
        """
        out: dict[str, Any] = {"tick": self.tick, "time": format_clock(self.tick * tick_seconds), "kind": self.kind}
        if self.node is not None:
            out["node"] = self.node
        if self.team is not None:
            out["team"] = self.team
        out.update(self.detail)
        return out


def clean(value: Any) -> Any:
    """Make a value JSON-safe: NaN and infinities → None, numpy scalars → Python.

    Parameters
    ----------
    value : Any
        A value, or dicts, lists and tuples of values (tuples become lists).

    Returns
    -------
    Any
        The cleaned value.

    Examples
    --------
    >>> clean({"a": float("nan"), "b": (np.int64(2), 1.5)})
    {'a': None, 'b': [2, 1.5]}
    """
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
    active from the start (mutual aid is not until it arrives).

    Attributes
    ----------
    label : str
        ``"<team>-<unit>"``.
    kind : str
        The team's kind (police, fire, repair, cyber).
    team : str
        The team's name.
    base : tuple[float, float]
        The base's position (x, y), km.
    active : bool
        Available from the start.
    jurisdiction : str
        The team's jurisdiction ('' for none).
    """

    label: str
    kind: str
    team: str
    base: tuple[float, float]     # km
    active: bool
    jurisdiction: str


@dataclass
class RunResult:
    """What one run returns: its metrics, per-tick series, events and node state changes.

    Attributes
    ----------
    scenario_id, scenario_name : str
        The scenario's id and name.
    seed : int
        The run's root seed.
    run_index : int or None
        The run's index in a batch.
    tick_seconds : float
        The length of a tick, s.
    sectors : list[str]
        The sectors with service nodes.
    node_ids : list[str]
        Node id per index.
    metrics : dict[str, float]
        Every metric of :func:`sim.metrics.run_metrics`.
    series : dict[str, numpy.ndarray]
        Per tick: ``tick``, ``time_h``, ``service``, ``service_<sector>``, node and unit counts.
    events : list[Event]
        The event log, without node changes (see :meth:`timeline`).
    changes : dict[str, numpy.ndarray]
        ``tick``, ``node``, ``down``, ``backup``: one row per node state change.
    event_marks : list[tuple[int, int, int]]
        (tick, position in ``events``, rows of ``changes``) for each kernel run that changed
        nodes, in order: a tick may hold two, the cascade phase's and the one after work
        restored nodes.
    baseline_down, baseline_backup : numpy.ndarray or None
        Down bitmask and on-backup flag per node before anything happens (not saved).
    roster : list[UnitRecord]
        The units, in roster order (not saved).
    clock_start : str
        Wall-clock label of T+0, or '' (not saved).
    warnings : list of str
        The scenario's sanity warnings and what the run did with unplaced nodes
        (``summary.json`` ``warnings``, written only when there are any).
    cause_source : callable or None
        Returns the ``cause`` and ``roots`` of every change row (see :meth:`causes`); None
        for a result without them.
    """

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
    event_marks: list[tuple[int, int, int]] = field(default_factory=list)
    # what pages need besides the static network (not written by save)
    baseline_down: np.ndarray | None = None     # down bitmask per node before anything happens
    baseline_backup: np.ndarray | None = None   # on-backup flag per node before anything happens
    roster: list[UnitRecord] = field(default_factory=list)
    clock_start: str = ""                       # wall-clock label of T+0, or ''
    warnings: list[str] = field(default_factory=list)
    cause_source: Callable[[], tuple[list[Any], list[Any]]] | None = field(default=None, repr=False, compare=False)
    _causes: tuple[list[Any], list[Any]] | None = field(default=None, init=False, repr=False, compare=False)

    def causes(self) -> tuple[list[Any], list[Any]]:
        """Why each node went down: per change row, its ``cause`` and ``roots`` (None for a
        row that brings a node back or changes only its backup), worked out on first use
        (:meth:`sim.attribution.Attribution.resolve`; docs/files.md has the fields).

        Returns
        -------
        causes : list of dict or None
            Per change row, what made the node go down or change reasons.
        roots : list of list of dict or None
            Per change row, the attacks (``attacker``, ``action``, ``tactic``, ``node``,
            ``tick``) its chain of causes leads back to.
        """
        if self._causes is None:
            rows = len(self.changes["node"])
            self._causes = self.cause_source() if self.cause_source else ([None] * rows, [None] * rows)
        return self._causes

    def timeline(self) -> list[Event]:
        """The event log with node_down / node_up events placed where the cascade ran; a
        node_down or node_reasons event carries the node's ``cause`` and ``roots``."""
        previous = np.zeros(len(self.node_ids), np.uint8)
        nodes, downs = self.changes["node"].tolist(), self.changes["down"].tolist()
        causes, roots = self.causes()
        out, cursor, row = [], 0, 0
        for tick, pos, rows in self.event_marks:
            out.extend(self.events[cursor:pos])
            cursor = pos
            for at in range(row, row + rows):
                node, down = nodes[at], downs[at]
                was = previous[node]
                previous[node] = down
                if was != down:
                    kind = "node_up" if down == 0 else "node_down" if was == 0 else "node_reasons"
                    detail = {"reasons": reason_names(down)} if down else {}
                    if down and causes[at] is not None:
                        detail.update(cause=causes[at], roots=roots[at])
                    out.append(Event(tick, kind, self.node_ids[node], None, detail))
            row += rows
        out.extend(self.events[cursor:])
        return out

    def summary(self) -> dict[str, Any]:
        """The content of ``summary.json``: which run this is, its metrics and, when there are
        any, its warnings, JSON-safe."""
        out = {"scenario": self.scenario_id, "name": self.scenario_name, "seed": self.seed,
               "run_index": self.run_index, "tick_seconds": self.tick_seconds,
               "sectors": self.sectors, "metrics": self.metrics}
        if self.warnings:
            out["warnings"] = self.warnings
        return clean(out)

    def save(self, folder: str | Path) -> Path:
        """Write ``summary.json``, ``series.parquet``, ``nodes.parquet`` and ``events.jsonl``.

        Parameters
        ----------
        folder : str or Path
            The folder, created if missing; files in it are overwritten.

        Returns
        -------
        Path
            The folder.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "summary.json").write_text(json.dumps(self.summary(), indent=2, sort_keys=True) + "\n")
        pq.write_table(pa.table(self.series), folder / "series.parquet", compression="zstd")
        causes, roots = self.causes()
        text = [None if c is None else json.dumps(clean(c), sort_keys=True) for c in causes]
        root_text = [None if r is None else json.dumps(clean(r), sort_keys=True) for r in roots]
        table = pa.table({**self.changes, "cause": pa.array(text, pa.string()), "roots": pa.array(root_text, pa.string())})
        pq.write_table(table, folder / "nodes.parquet", compression="zstd")
        with open(folder / "events.jsonl", "w") as out:
            for event in self.timeline():
                out.write(json.dumps(clean(event.as_dict(self.tick_seconds)), sort_keys=True) + "\n")
        return folder
