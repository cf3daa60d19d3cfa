"""The record of a sampled study, ``design.json``: the parameters and, per point, its values
and the batch folder of its runs. ``ripple batch --design`` and ``ripple sensitivity`` write
it; ``ripple discover`` reads it back as one row per run.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from sim.batchstore import StoreError, part_ranges, read_runs, write_json
from sim.decide.sensitivity import Param, design, parse_param, set_specs, typed
from sim.metrics import RECOVERY, RECOVERY_WINDOW
from sim.overrides import Override, Variant
from sim.stats import column

__all__ = ["DESIGN", "design_variants", "read_samples", "write_design"]

DESIGN = "design.json"


def write_design(folder: Path, params: list[Param], points: np.ndarray, folders: list[str], method: str) -> None:
    """Write ``folder/design.json``.

    Parameters
    ----------
    folder : Path
        The study's folder.
    params : list of Param
        The parameters.
    points : numpy.ndarray, shape (m, d)
        Each point's values.
    folders : list of str
        Each point's batch folder, relative to ``folder``.
    method : str
        How the points were drawn (``lhs``, ``sobol``, ``morris``).
    """
    write_json(folder / DESIGN, {
        "method": method,
        "params": [{"path": p.path, "low": p.low, "high": p.high, "integer": p.integer} for p in params],
        "points": [{"folder": f, "values": [p.value(v) for p, v in zip(params, row)]}
                   for f, row in zip(folders, points)],
    })


def read_samples(folder: Path, metric: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Every finished run of a sampled study: its point's values and one metric.

    Parameters
    ----------
    folder : Path
        A folder holding ``design.json``.
    metric : str
        The metric to read.

    Returns
    -------
    names : list of str
        The parameters' paths.
    x : numpy.ndarray, shape (runs, d)
        Each run's parameter values.
    y : numpy.ndarray, shape (runs,)
        Each run's metric. A time to recover (:data:`sim.metrics.RECOVERY`) not reached
        by the end of the run (censored) is +inf: later than any threshold within the run.

    Raises
    ------
    StoreError
        When the folder holds no design, no finished run, or no such metric.
    """
    path = folder / DESIGN
    if not path.is_file():
        raise StoreError(f"{folder} holds no sampled study ({DESIGN} is missing); make one with "
                         "ripple batch --design lhs --param PATH=LOW..HIGH or ripple sensitivity")
    design = json.loads(path.read_text())
    names = [p["path"] for p in design["params"]]
    xs, ys = [], []
    for point in design["points"]:
        point_folder = folder / point["folder"]
        if not point_folder.is_dir() or not part_ranges(point_folder):
            continue
        rows = read_runs(point_folder)
        if metric not in rows.column_names:
            raise StoreError(f"no metric '{metric}'; the metrics are: {', '.join(rows.column_names[3:])}")
        values = column(rows, metric)
        if metric in RECOVERY:
            values[np.isnan(values) & ~np.isnan(column(rows, RECOVERY_WINDOW))] = np.inf
        ys.append(values)
        xs.append(np.tile(np.asarray(point["values"], dtype=float), (rows.num_rows, 1)))
    if not ys:
        raise StoreError(f"{folder}: no point of the design has finished runs yet")
    return names, np.vstack(xs), np.concatenate(ys)


def design_variants(texts: list[str], kind: str, n: int, seed: int,
                    *sources: Any) -> tuple[list[Param], np.ndarray, list[Variant]]:
    """The points of a sampled batch as the variants of a comparison, one per point.

    Parameters
    ----------
    texts : list of str
        The ``--param PATH=LOW..HIGH`` options.
    kind : str
        ``lhs`` or ``sobol`` (:func:`sim.decide.sensitivity.design`).
    n : int
        Points.
    seed : int
        Seeds the design.
    *sources : object
        The scenario file's data and the validated scenario: parameters that are whole
        numbers there are rounded (:func:`sim.decide.sensitivity.typed`).

    Returns
    -------
    params : list of Param
        The parameters.
    points : numpy.ndarray, shape (n, d)
        Each point's values.
    variants : list of Variant
        Named ``p0000``, ``p0001``, …, each the point's ``--set`` overrides.

    Raises
    ------
    ParamError
        For a malformed parameter or design.
    """
    params = typed([parse_param(t) for t in texts], *sources)
    points = design(params, kind, n, seed)
    variants = [Variant(f"p{k:04d}", tuple(Override(s) for s in set_specs(params, row))) for k, row in enumerate(points)]
    return params, points, variants
