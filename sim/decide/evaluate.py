"""Evaluate a scenario under a set of ``--set`` overrides on common random numbers.

Every evaluation runs the same run indices ``0 .. runs-1`` with the same seed, so two
evaluations differ only by their overrides (:mod:`sim.streams`): their per-run losses pair
up (:func:`sim.stats.paired`). Each evaluation is an ordinary batch in its own folder under
the study's folder, named by a hash of its overrides, on a shared engine: a study that is
stopped resumes where it was, and its numbers do not depend on the engine.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from sim.batch import run_batch
from sim.batchstore import StoreError
from sim.engines import Engine
from sim.overrides import ScenarioFile, parse_set, prepare
from sim.stats import column

__all__ = ["Evaluator", "folder_name"]


def folder_name(specs: tuple[str, ...]) -> str:
    """The folder of an evaluation: a hash of its overrides (their order does not matter).

    Parameters
    ----------
    specs : tuple of str
        ``path=value`` overrides.

    Returns
    -------
    str
        16 hex digits.

    Examples
    --------
    >>> folder_name(("a=1", "b=2")) == folder_name(("b=2", "a=1"))
    True
    """
    return hashlib.sha256("\n".join(sorted(specs)).encode()).hexdigest()[:16]


@dataclass
class Evaluator:
    """Per-run values of one metric of a scenario under overrides, cached and kept on disk.

    Attributes
    ----------
    source : ScenarioFile
        The scenario file, read once.
    metric : str
        The metric to return (a run's metric, e.g. ``resilience_loss_h``).
    runs : int
        Runs per evaluation (run indices ``0 .. runs-1``).
    seed : int
        The seed every evaluation shares.
    folder : Path
        Where the evaluations' batches go (``folder/<hash>/``).
    engine : Engine
        The open engine the batches run on.
    evaluations : int
        Evaluations run or read so far.
    """

    source: ScenarioFile
    metric: str
    runs: int
    seed: int
    folder: Path
    engine: Engine
    evaluations: int = 0
    _cache: dict[str, pa.Table] = field(default_factory=dict, repr=False)

    def rows(self, specs: tuple[str, ...]) -> pa.Table:
        """Every metric of runs ``0 .. runs-1`` with ``specs`` applied.

        Parameters
        ----------
        specs : tuple of str
            ``path=value`` overrides, applied in order.

        Returns
        -------
        pyarrow.Table
            One row per run, by run index (:func:`sim.batchstore.read_runs`).

        Raises
        ------
        OverrideError
            When an override does not fit the scenario.
        StoreError
            When a folder holds something else.
        """
        name = folder_name(specs)
        if name not in self._cache:
            prepared = prepare(self.source, [parse_set(s) for s in specs])
            result = run_batch(prepared, self.runs, self.folder / name, self.seed, engine=self.engine,
                               resume=(self.folder / name).exists(), command="ripple decision study")
            self._cache[name] = result.rows()
            self.evaluations += 1
        return self._cache[name]

    def values(self, specs: tuple[str, ...], metric: str | None = None) -> np.ndarray:
        """One metric of runs ``0 .. runs-1`` with ``specs`` applied.

        Parameters
        ----------
        specs : tuple of str
            ``path=value`` overrides, applied in order.
        metric : str, optional
            The metric (default: :attr:`metric`).

        Returns
        -------
        numpy.ndarray, shape (runs,)
            One value per run, by run index.

        Raises
        ------
        StoreError
            When the metric does not exist.
        """
        rows = self.rows(specs)
        metric = metric or self.metric
        if metric not in rows.column_names:
            raise StoreError(f"no metric '{metric}'; the metrics are: {', '.join(rows.column_names[3:])}")
        return column(rows, metric)

    def mean(self, specs: tuple[str, ...], metric: str | None = None) -> float:
        """A metric's mean over the runs with ``specs`` applied.

        Parameters
        ----------
        specs : tuple of str
            ``path=value`` overrides.
        metric : str, optional
            The metric (default: :attr:`metric`).

        Returns
        -------
        float
        """
        return float(np.nanmean(self.values(specs, metric)))
