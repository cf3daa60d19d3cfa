"""Monte Carlo batches: many runs of one scenario, in chunks, on any engine, crash-safe.

Run *i* of a batch is ``RippleModel(scenario, seed=seed, run_index=i)``, which seeds from
``SeedSequence(seed, spawn_key=(i,))``: a pure function of (scenario, seed, i), so the rows
do not depend on the engine, the number of workers or the order in which chunks finish.
Runs go out in chunks of 10–50 so that scheduling costs stay small; each finished chunk is
written at once (:mod:`sim.batchstore`), and ``resume`` runs only the missing indices. Each
process builds the scenario's network, kernel layout and spatial index once
(:class:`sim.model.Prebuilt`) and its runs share them, read-only.

With ``until_ci=(metric, half_width)`` the batch stops at the first checkpoint n (30, 50,
70, …: :data:`MIN_RUNS_FOR_CI`, then every :data:`CI_STEP` runs) at which the 95% interval
of the metric's mean over runs ``0 .. n-1`` is at most ± ``half_width`` (with at least
:data:`MIN_RUNS_FOR_CI` values). The decision waits until runs ``0 .. n-1`` are all
finished and looks at no other run; chunks are cut at the checkpoints, and chunks past
the stopping point that finished meanwhile are discarded, so every engine keeps the same
runs ``0 .. n-1`` and stops after the same n.

The plan of chunks is made lazily from the finished ranges, so no memory grows with the
runs asked; a batch asks for at most :data:`MAX_RUNS` runs, chunks of at most
:data:`CHUNK_LIMIT`.
"""

from __future__ import annotations

import math
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Protocol

import numpy as np
import pyarrow as pa

from sim.batchstore import (
    FORMAT, MANIFEST, ChunkResult, StoreError, check_resumable, clear_temporaries, is_empty, now,
    part_ranges, read_manifest, read_runs, remove_chunk, set_aside_damaged, versions, write_chunk, write_json,
    write_quantiles,
)
from sim.engines import Engine, EngineLost, open_engine
from sim.model import Prebuilt, RippleModel
from sim.overrides import Override, Prepared, ScenarioFile, prepare
from sim.scenario import Scenario
from sim.stats import describe

__all__ = [
    "CHUNK_LIMIT", "CI_STEP", "DEFAULT_RUNS", "MAX_CHUNK", "MAX_RUNS", "MIN_CHUNK", "MIN_RUNS_FOR_CI", "BatchError",
    "BatchResult", "Progress", "check_sizes", "chunk_size_for", "ci_checkpoint_after", "cut", "metric_names",
    "missing_ranges", "plan", "prebuilt", "run_batch", "run_chunk",
]

DEFAULT_RUNS = 1000
MAX_RUNS = 10_000_000           # runs a batch may ask for: 2 days of the flagship at 50 runs/s
MIN_CHUNK, MAX_CHUNK = 10, 50   # the default chunk sizes
CHUNK_LIMIT = 1000              # the largest --chunk-size: a chunk's rows and series are held in memory
MIN_RUNS_FOR_CI = 30            # --until-ci: the first checkpoint, and the fewest values it decides on
CI_STEP = 20                    # --until-ci: runs between checkpoints


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


def ci_checkpoint_after(n: int) -> int:
    """The first ``--until-ci`` checkpoint above ``n`` runs.

    Parameters
    ----------
    n : int
        Runs.

    Returns
    -------
    int
        :data:`MIN_RUNS_FOR_CI`, then every :data:`CI_STEP` runs.

    Examples
    --------
    >>> ci_checkpoint_after(0), ci_checkpoint_after(30), ci_checkpoint_after(69)
    (30, 50, 70)
    """
    if n < MIN_RUNS_FOR_CI:
        return MIN_RUNS_FOR_CI
    return MIN_RUNS_FOR_CI + CI_STEP * ((n - MIN_RUNS_FOR_CI) // CI_STEP + 1)


def missing_ranges(finished: list[tuple[int, int]], runs: int) -> Iterator[tuple[int, int]]:
    """The ranges of runs ``0 .. runs-1`` not covered by ``finished``, lazily.

    Parameters
    ----------
    finished : list of tuple of (int, int)
        Sorted ``(start, stop)`` ranges of finished runs (:func:`sim.batchstore.part_ranges`).
    runs : int
        Runs asked.

    Yields
    ------
    tuple of (int, int)
        ``(start, stop)``, ``stop`` excluded, in index order.

    Examples
    --------
    >>> list(missing_ranges([(0, 10), (20, 30)], 45))
    [(10, 20), (30, 45)]
    """
    at = 0
    for start, stop in finished:
        if start > at:
            yield at, min(start, runs)
        at = max(at, stop)
        if at >= runs:
            return
    if at < runs:
        yield at, runs


def cut(ranges: Iterable[tuple[int, int]], size: int, checkpoints: bool = False) -> Iterator[tuple[int, int]]:
    """``ranges`` cut at multiples of ``size`` (and at ``--until-ci`` checkpoints), lazily.

    Parameters
    ----------
    ranges : iterable of tuple of (int, int)
        ``(start, stop)`` ranges, ``stop`` excluded.
    size : int
        Chunk size, runs.
    checkpoints : bool, optional
        Also cut at every :func:`ci_checkpoint_after`, so that no chunk spans one.

    Yields
    ------
    tuple of (int, int)
        The pieces, in order.

    Examples
    --------
    >>> list(cut([(5, 60)], 25)), list(cut([(0, 60)], 50, checkpoints=True))
    ([(5, 25), (25, 50), (50, 60)], [(0, 30), (30, 50), (50, 60)])
    """
    for start, stop in ranges:
        while start < stop:
            end = min(stop, (start // size + 1) * size)
            if checkpoints:
                end = min(end, ci_checkpoint_after(start))
            yield start, end
            start = end


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
    index = np.unique(missing)
    if not len(index):
        return []
    breaks = np.flatnonzero(np.diff(index) != 1) + 1
    starts, stops = index[np.r_[0, breaks]], index[np.r_[breaks - 1, len(index) - 1]] + 1
    return list(cut(zip(starts.tolist(), stops.tolist()), size))


def check_sizes(runs: int | None, chunk_size: int | None) -> None:
    """Refuse runs or a chunk size out of range, before anything is built or written.

    Parameters
    ----------
    runs : int or None
        Runs asked (None: the default, or a resumed batch's own).
    chunk_size : int or None
        Runs per chunk (None: the default).

    Raises
    ------
    StoreError
        When ``runs`` is not 1 to :data:`MAX_RUNS`, or ``chunk_size`` not 1 to :data:`CHUNK_LIMIT`.
    """
    if runs is not None and not 1 <= runs <= MAX_RUNS:
        raise StoreError(f"--runs must be 1 to {MAX_RUNS:,}, got {runs:,}; a larger study is several batches, "
                         "each with its own --seed")
    if chunk_size is not None and not 1 <= chunk_size <= CHUNK_LIMIT:
        raise StoreError(f"--chunk-size must be 1 to {CHUNK_LIMIT}, got {chunk_size:,} (a chunk's runs are held "
                         "in memory until it is written)")


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
        manifest = {
            "format": FORMAT,
            "scenario": {"source": prepared.source, "id": prepared.scenario.id, "name": prepared.scenario.name,
                         "sha256": prepared.sha256, "text": prepared.text},
            "overrides": prepared.records, "seed": seed, "runs": runs,
            "chunk_size": chunk,
            "versions": versions(), "command": command, "created": now(), "resumed": [],
        }
    elif not resume:
        have = sum(stop - start for start, stop in part_ranges(folder))
        raise StoreError(f"{folder} already holds a batch ({have} of {manifest['runs']} runs); "
                         "pass --resume to continue it, or choose another --out")
    else:
        check_resumable(folder, manifest, prepared.sha256, prepared.records, manifest["seed"] if seed is None else seed)
        damaged = set_aside_damaged(folder)
        last = max((stop for _, stop in part_ranges(folder)), default=0)
        if runs is not None and runs < last:
            raise StoreError(f"{folder} already holds runs up to index {last - 1}; "
                             f"--runs {runs} would leave extra runs (ask for at least {last})")
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
        ``(metric, half_width)``: stop at the first checkpoint n at which the 95% interval
        of the metric's mean over runs ``0 .. n-1`` is at most ± ``half_width`` (in the
        metric's unit); see the module docstring.
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
        match; when ``until_ci`` names no metric; when ``runs`` or ``chunk_size`` is out
        of range.
    BatchError
        When a chunk fails; the finished runs are kept.
    EngineLost
        When the Dask scheduler is lost; the finished runs are kept, and the message says
        how many and to resume.
    """
    check_sizes(runs, chunk_size)
    prepared = _prepared(scenario, tuple(overrides))
    folder = Path(out)
    if until_ci and until_ci[0] not in (names := metric_names(prepared.scenario, prepared.key)):
        raise StoreError(f"--until-ci: no metric '{until_ci[0]}'; the metrics are: {', '.join(names)}")
    manifest = _open(folder, prepared, seed, runs, resume, chunk_size, command or "run_batch (Python)")
    to_do = manifest["runs"] - sum(min(stop, manifest["runs"]) - start for start, stop in part_ranges(folder))
    with nullcontext(engine) if engine else open_engine(workers, scheduler, to_do) as engine:
        manifest["chunk_size"] = manifest["chunk_size"] or chunk_size_for(manifest["runs"], engine.slots)
        folder.mkdir(parents=True, exist_ok=True)
        clear_temporaries(folder)
        write_json(folder / MANIFEST, manifest)
        result = _drive(engine, folder, prepared, manifest, until_ci, progress)
    if result.stopped_early:
        manifest["until_ci"] = {"metric": until_ci[0], "half_width": until_ci[1], "stopped_at": result.done}
        write_json(folder / MANIFEST, manifest)
    if result.done:
        write_quantiles(folder)
    return result


class _Watch:
    """The ``--until-ci`` rule: the watched metric of every finished run, decided on at the
    checkpoints over the runs ``0 .. n-1`` only, once they are all finished."""

    def __init__(self, metric: str, half_width: float, folder: Path):
        self.metric, self.half_width = metric, half_width
        self.values: dict[int, float] = {}
        if part_ranges(folder):
            rows = read_runs(folder)
            self.values = dict(zip(rows.column("run_index").to_pylist(),
                                   rows.column(metric).to_numpy(zero_copy_only=False).astype(float).tolist()))
        self.prefix: list[float] = []     # the values of runs 0, 1, ... as far as all are finished
        self.checkpoint = ci_checkpoint_after(0)

    def add(self, chunk: ChunkResult) -> None:
        """Note the watched metric of a finished chunk's runs."""
        self.values.update(zip(chunk.columns["run_index"], (float(v) for v in chunk.columns[self.metric])))

    def decide(self) -> tuple[int, str] | None:
        """The checkpoint n at which the rule is met and why, or None (not met, or not yet
        decidable: runs below the next checkpoint are still running)."""
        while len(self.prefix) in self.values:
            self.prefix.append(self.values[len(self.prefix)])
        while self.checkpoint <= len(self.prefix):
            n, self.checkpoint = self.checkpoint, ci_checkpoint_after(self.checkpoint)
            summary = describe(np.array(self.prefix[:n]))
            half = summary.ci_width / 2
            if summary.n >= MIN_RUNS_FOR_CI and half <= self.half_width:
                return n, (f"the 95% interval of {self.metric}'s mean is ±{half:.4g} (≤ ±{self.half_width:g}) "
                           f"after {n} runs")
        return None


def _drive(engine: Engine, folder: Path, prepared: Prepared, manifest: dict[str, Any],
           until_ci: tuple[str, float] | None, progress: Progress | None) -> BatchResult:
    """Run the missing chunks on ``engine``, writing each as it finishes, until done or ``until_ci`` is met.

    The chunks in flight are twice the engine's slots (one at a time on one slot), counted
    again after each wait, so workers that join a Dask cluster are used at once."""
    runs, seed, key = manifest["runs"], manifest["seed"], prepared.key
    finished = part_ranges(folder)
    had = sum(stop - start for start, stop in finished)
    todo = cut(missing_ranges(finished, runs), manifest["chunk_size"], checkpoints=until_ci is not None)
    watch = _Watch(*until_ci, folder) if until_ci else None
    if progress:
        progress.start(runs, had)
    started, ran, written = time.perf_counter(), 0, []
    stop_at = watch.decide() if watch else None     # a resumed batch may have met it already
    pending: dict[Any, tuple[int, int]] = {}
    try:
        while stop_at is None:
            slots = engine.slots
            window = 1 if slots == 1 else 2 * slots
            while len(pending) < window and (chunk_range := next(todo, None)):
                pending[engine.submit(run_chunk, prepared.scenario, seed, *chunk_range, key)] = chunk_range
            if not pending:
                break
            done, _ = engine.wait_first(pending)
            for future in done:
                start, stop = pending.pop(future)
                try:
                    chunk = future.result()
                except Exception as exc:
                    have = had + ran
                    raise BatchError(f"runs {start}-{stop - 1} failed ({type(exc).__name__}: {exc}); "
                                     f"{have} finished runs are kept in {folder}; --resume finishes the batch") from exc
                write_chunk(folder, chunk)
                ran += stop - start
                written.append((start, stop))
                if progress:
                    progress.advance(stop - start)
                if watch:
                    watch.add(chunk)
            stop_at = watch.decide() if watch else None
    except EngineLost as exc:
        raise EngineLost(f"{exc}; {had + ran} finished runs are kept in {folder}; rerun the same command with "
                         "--resume to finish (on a running cluster, or with local workers)") from None
    except BaseException:
        engine.cancel(pending)
        raise
    stopped = ""
    if stop_at is not None:
        engine.cancel(pending)
        for start, stop in written:
            if start >= stop_at[0]:        # finished meanwhile, past the checkpoint: not kept by any engine
                remove_chunk(folder, start, stop)
        stopped = stop_at[1]
    done_runs = sum(stop - start for start, stop in part_ranges(folder))
    return BatchResult(folder, runs, done_runs, ran, time.perf_counter() - started, engine.name, stopped)
