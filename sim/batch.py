"""Monte Carlo batches: many runs of one scenario, in chunks, on any engine, crash-safe.

Run *i* of a batch is ``RippleModel(scenario, seed=seed, run_index=i)``, which seeds from
``SeedSequence(seed, spawn_key=(i,))``: a pure function of (scenario, seed, i), so the rows
do not depend on the engine, the number of workers or the order in which chunks finish.
Runs go out in chunks of 10–50 so that scheduling costs stay small; each finished chunk is
written at once (:mod:`sim.batchstore`), and ``resume`` runs only the missing indices. Each
process builds the scenario's network, kernel layout and spatial index once
(:class:`sim.model.Prebuilt`) and its runs share them, read-only.

With ``until_ci=(metric, width)`` the batch stops after the chunk at which the 95% interval
of the metric's mean is at most ``width`` wide (checked once ``MIN_RUNS_FOR_CI`` runs have a value).
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from sim.batchstore import (
    FORMAT, MANIFEST, ChunkResult, StoreError, check_resumable, clear_temporaries, done_indices, is_empty, now,
    read_manifest, read_runs, set_aside_damaged, versions, write_chunk, write_json, write_quantiles,
)
from sim.engines import Engine, open_engine
from sim.model import Prebuilt, RippleModel
from sim.overrides import Override, Prepared, ScenarioFile, prepare
from sim.scenario import Scenario
from sim.stats import describe

__all__ = [
    "DEFAULT_RUNS", "MAX_CHUNK", "MIN_CHUNK", "MIN_RUNS_FOR_CI", "BatchError", "BatchResult", "Progress",
    "chunk_size_for", "metric_names", "plan", "prebuilt", "run_batch", "run_chunk",
]

DEFAULT_RUNS = 1000
MIN_CHUNK, MAX_CHUNK = 10, 50
MIN_RUNS_FOR_CI = 30


class BatchError(RuntimeError):
    """A batch stopped because a chunk failed (a worker died, a run raised)."""


class Progress(Protocol):
    """What :func:`run_batch` reports its progress to (a progress bar)."""

    def start(self, total: int, done: int) -> None:
        """The batch begins.

        Parameters
        ----------
        total : int
            Runs the batch asks for.
        done : int
            Runs already in the folder (a resumed batch).
        """

    def advance(self, runs: int) -> None:
        """A chunk has finished and been written.

        Parameters
        ----------
        runs : int
            Runs in that chunk.
        """


@dataclass
class BatchResult:
    """What one :func:`run_batch` call did.

    Attributes
    ----------
    folder : Path
        The batch folder.
    runs : int
        Runs asked.
    done : int
        Runs in the folder now.
    ran : int
        Runs this call executed.
    seconds : float
        Wall time of the runs, seconds.
    engine : str
        The engine's name.
    stopped_early : str
        Why the batch stopped early when ``until_ci`` was met; '' otherwise.
    """

    folder: Path
    runs: int
    done: int
    ran: int
    seconds: float
    engine: str
    stopped_early: str = ""

    def rows(self) -> pa.Table:
        """Every run's row of metrics in the folder, by run index (:func:`~sim.batchstore.read_runs`)."""
        return read_runs(self.folder)


# ------------------------------------------------------------------- workers
_PREBUILT: dict[str, Prebuilt] = {}     # this process's structure of the scenario it last ran, by key


def prebuilt(scenario: Scenario, key: str) -> Prebuilt:
    """The network, layout and spatial index of ``scenario``, built once per process.

    Only the latest scenario is kept, so that a worker serving one batch after another
    holds one network at a time.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    key : str
        What identifies it (:attr:`sim.overrides.Prepared.key`); the same key must
        always come with the same scenario.

    Returns
    -------
    Prebuilt
        Shared by every run of ``scenario`` in this process.
    """
    if key not in _PREBUILT:
        _PREBUILT.clear()
        _PREBUILT[key] = Prebuilt.of(scenario)
    return _PREBUILT[key]


def run_chunk(scenario: Scenario, seed: int, start: int, stop: int, key: str = "") -> ChunkResult:
    """Runs ``start .. stop-1``: one row of metrics each, and the service series.

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    seed : int
        The batch seed; run *i* seeds from ``SeedSequence(seed, spawn_key=(i,))``.
    start, stop : int
        The run indices, ``stop`` excluded.
    key : str, optional
        Identifies ``scenario`` (:attr:`sim.overrides.Prepared.key`): the process reuses
        the network it built for the same key (:func:`prebuilt`). Empty: the chunk
        builds its own.

    Returns
    -------
    ChunkResult
        Columns ``run_index``, ``seed``, ``seed_key`` and every metric; the service series
        (fractions 0..1, float32, one row per run) and their ``time_h`` axis (hours).
    """
    columns: dict[str, list[Any]] = {"run_index": [], "seed": [], "seed_key": []}
    series: dict[str, list[np.ndarray]] = {}
    time_h = np.zeros(0)
    shared = prebuilt(scenario, key) if key else Prebuilt.of(scenario)
    for i in range(start, stop):
        result = RippleModel(scenario, seed=seed, run_index=i, prebuilt=shared).run()
        columns["run_index"].append(i)
        columns["seed"].append(seed)
        columns["seed_key"].append(f"{seed}/{i}")
        for name, value in result.metrics.items():
            columns.setdefault(name, []).append(value)
        for name, values in result.series.items():
            if name == "service" or name.startswith("service_"):
                series.setdefault(name, []).append(values.astype(np.float32))
        time_h = result.series["time_h"]
    return ChunkResult(start, stop, columns, {k: np.stack(v) for k, v in series.items()}, time_h)


def metric_names(scenario: Scenario, key: str = "") -> list[str]:
    """The metric columns a run of ``scenario`` has (from an unrun model; nothing is simulated).

    Parameters
    ----------
    scenario : Scenario
        The validated scenario.
    key : str, optional
        Identifies ``scenario``, to reuse its network as :func:`run_chunk` does.

    Returns
    -------
    list of str
        Metric names, in the order of a run's metrics.
    """
    shared = prebuilt(scenario, key) if key else None
    return list(RippleModel(scenario, seed=0, run_index=0, prebuilt=shared).result().metrics)


# ------------------------------------------------------------------ planning
def chunk_size_for(runs: int, slots: int) -> int:
    """About ten chunks per worker, 10–50 runs each: run times vary (a run whose attacks fail
    is quick), and many chunks keep every worker busy to the end.

    Parameters
    ----------
    runs : int
        Runs in the batch.
    slots : int
        Runs the engine executes at once.

    Returns
    -------
    int
        Runs per chunk, from :data:`MIN_CHUNK` to :data:`MAX_CHUNK`.
    """
    return max(MIN_CHUNK, min(MAX_CHUNK, math.ceil(runs / (10 * max(1, slots)))))


def plan(missing: np.ndarray, size: int) -> list[tuple[int, int]]:
    """Contiguous (start, stop) ranges covering ``missing``, cut at multiples of ``size``.

    Parameters
    ----------
    missing : ndarray of int
        Run indices still to run, in any order.
    size : int
        Chunk size, runs.

    Returns
    -------
    list of tuple of (int, int)
        ``(start, stop)`` ranges, ``stop`` excluded, in index order.

    Examples
    --------
    >>> plan(np.array([0, 1, 2, 5, 6]), 2)
    [(0, 2), (2, 3), (5, 6), (6, 7)]
    """
    ranges: list[tuple[int, int]] = []
    for i in np.sort(missing).tolist():
        if ranges and ranges[-1][1] == i and i % size:
            ranges[-1] = (ranges[-1][0], i + 1)
        else:
            ranges.append((i, i + 1))
    return ranges


# ------------------------------------------------------------------ manifest
def _prepared(scenario: str | Path | ScenarioFile | Scenario | Prepared, overrides: tuple[Override, ...]) -> Prepared:
    """``scenario`` as a prepared one: a file (or one read) with ``overrides`` applied, or a
    scenario as given."""
    if isinstance(scenario, Prepared):
        return scenario
    if isinstance(scenario, Scenario):
        if overrides:
            raise ValueError("overrides apply to a scenario file; pass its path")
        return Prepared(scenario, scenario.model_dump_json(), (), "")
    return prepare(scenario, overrides)


def _open(folder: Path, prepared: Prepared, seed: int | None, runs: int | None, resume: bool, chunk: int | None,
          command: str) -> dict[str, Any]:
    """The manifest of a new batch in an empty ``folder`` (its chunk size still None unless
    given), or the checked one of a batch to resume (whose seed and runs apply unless given).
    Nothing is written yet."""
    manifest = read_manifest(folder)
    if manifest is None:
        seed = prepared.scenario.seed if seed is None else seed
        if not is_empty(folder):
            raise StoreError(f"{folder} exists and is not empty (and holds no batch); choose another --out")
        runs = DEFAULT_RUNS if runs is None else runs
        if runs < 1:
            raise StoreError(f"--runs must be at least 1, got {runs}")
        manifest = {
            "format": FORMAT,
            "scenario": {"source": prepared.source, "id": prepared.scenario.id, "name": prepared.scenario.name,
                         "sha256": prepared.sha256, "text": prepared.text},
            "overrides": prepared.records, "seed": seed, "runs": runs,
            "chunk_size": chunk,
            "versions": versions(), "command": command, "created": now(), "resumed": [],
        }
    elif not resume:
        have = len(done_indices(folder))
        raise StoreError(f"{folder} already holds a batch ({have} of {manifest['runs']} runs); "
                         "pass --resume to continue it, or choose another --out")
    else:
        check_resumable(folder, manifest, prepared.sha256, prepared.records, manifest["seed"] if seed is None else seed)
        damaged = set_aside_damaged(folder)
        done = done_indices(folder)
        if runs is not None and len(done) and runs <= int(done.max()):
            raise StoreError(f"{folder} already holds runs up to index {int(done.max())}; "
                             f"--runs {runs} would leave extra runs (ask for at least {int(done.max()) + 1})")
        manifest["runs"] = manifest["runs"] if runs is None else runs
        manifest["resumed"].append({"command": command, "time": now(), **({"set_aside": damaged} if damaged else {})})
    return manifest


# ------------------------------------------------------------------- running
def run_batch(
    scenario: str | Path | ScenarioFile | Scenario | Prepared,
    runs: int | None = None,
    out: str | Path = "results/batch",
    seed: int | None = None,
    *,
    overrides: tuple[Override, ...] = (),
    workers: int | None = None,
    scheduler: str | None = None,
    engine: Engine | None = None,
    resume: bool = False,
    chunk_size: int | None = None,
    until_ci: tuple[str, float] | None = None,
    progress: Progress | None = None,
    command: str | None = None,
) -> BatchResult:
    """Run ``runs`` runs of ``scenario`` (a file, a validated scenario, or a prepared one)
    into the folder ``out``; see the module docstring. Pass ``engine`` to share one engine
    across batches, else one is made from ``workers``/``scheduler`` and closed at the end.

    Parameters
    ----------
    scenario : str, Path, ScenarioFile, Scenario or Prepared
        The scenario file (or the file already read), a validated scenario, or one prepared
        with its overrides.
    runs : int, optional
        Runs to have in the folder (default :data:`DEFAULT_RUNS`; a resumed batch keeps its own).
    out : str or Path
        The batch folder: empty or absent for a new batch.
    seed : int, optional
        The batch seed (default: the scenario's, or the resumed batch's).
    overrides : tuple of Override
        Overrides applied to a scenario file.
    workers : int, optional
        Processes to run at once (default: the CPU count); ignored with ``engine``.
    scheduler : str, optional
        A Dask scheduler address; ignored with ``engine``.
    engine : Engine, optional
        An open engine to use and leave open.
    resume : bool
        Continue the batch in ``out``, running only the missing indices.
    chunk_size : int, optional
        Runs per chunk (default :func:`chunk_size_for`).
    until_ci : tuple of (str, float), optional
        ``(metric, width)``: stop once the 95% interval of the metric's mean is at most
        ``width`` wide (in the metric's unit).
    progress : Progress, optional
        Told of the total and of each finished chunk.
    command : str, optional
        The command line recorded in the manifest.

    Returns
    -------
    BatchResult
        What this call did.

    Raises
    ------
    StoreError
        When ``out`` holds something else, a batch not to be resumed, or one that does not
        match; when ``until_ci`` names no metric.
    BatchError
        When a chunk fails; the finished runs are kept.
    """
    prepared = _prepared(scenario, tuple(overrides))
    folder = Path(out)
    if until_ci and until_ci[0] not in (names := metric_names(prepared.scenario, prepared.key)):
        raise StoreError(f"--until-ci: no metric '{until_ci[0]}'; the metrics are: {', '.join(names)}")
    manifest = _open(folder, prepared, seed, runs, resume, chunk_size, command or "run_batch (Python)")
    with nullcontext(engine) if engine else open_engine(workers, scheduler, manifest["runs"]) as engine:
        manifest["chunk_size"] = manifest["chunk_size"] or chunk_size_for(manifest["runs"], engine.slots)
        folder.mkdir(parents=True, exist_ok=True)
        clear_temporaries(folder)
        write_json(folder / MANIFEST, manifest)
        result = _drive(engine, folder, prepared, manifest, until_ci, progress)
    if result.stopped_early:
        manifest["until_ci"] = {"metric": until_ci[0], "width": until_ci[1], "stopped_at": result.done}
        write_json(folder / MANIFEST, manifest)
    if result.done:
        write_quantiles(folder)
    return result


def _drive(engine: Engine, folder: Path, prepared: Prepared, manifest: dict[str, Any],
           until_ci: tuple[str, float] | None, progress: Progress | None) -> BatchResult:
    """Run the missing chunks on ``engine``, writing each as it finishes, until done or ``until_ci`` is met."""
    runs, seed, key = manifest["runs"], manifest["seed"], prepared.key
    done = done_indices(folder)
    todo = plan(np.setdiff1d(np.arange(runs), done), manifest["chunk_size"])
    watched: list[float] = []
    if until_ci and len(done):
        watched = read_runs(folder).column(until_ci[0]).to_numpy(zero_copy_only=False).astype(float).tolist()
    if progress:
        progress.start(runs, len(done))
    started, ran, stopped = time.perf_counter(), 0, ""
    window = 1 if engine.slots == 1 else 2 * engine.slots
    queue, pending = list(reversed(todo)), {}
    try:
        while queue or pending:
            while queue and not stopped and len(pending) < window:
                start, stop = queue.pop()
                pending[engine.submit(run_chunk, prepared.scenario, seed, start, stop, key)] = (start, stop)
            if not pending:
                break
            finished, _ = engine.wait_first(pending)
            for future in finished:
                start, stop = pending.pop(future)
                try:
                    chunk = future.result()
                except Exception as exc:
                    have = len(done) + ran
                    raise BatchError(f"runs {start}-{stop - 1} failed ({type(exc).__name__}: {exc}); "
                                     f"{have} finished runs are kept in {folder}; --resume finishes the batch") from exc
                write_chunk(folder, chunk)
                ran += stop - start
                if progress:
                    progress.advance(stop - start)
                if until_ci and not stopped:
                    watched += [float(v) for v in chunk.columns[until_ci[0]]]
                    summary = describe(np.array(watched))
                    if summary.n >= MIN_RUNS_FOR_CI and summary.ci_width <= until_ci[1]:
                        stopped = (f"the 95% interval of {until_ci[0]} is {summary.ci_width:.4g} wide "
                                   f"(≤ {until_ci[1]:g}) after {len(watched)} runs")
                        queue.clear()
    except BaseException:
        engine.cancel(pending)
        raise
    return BatchResult(folder, runs, len(done) + ran, ran, time.perf_counter() - started, engine.name, stopped)
