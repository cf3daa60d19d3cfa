"""The results folder of a batch (and of a comparison), and how it is written so that a
crash loses nothing finished.

::

    NAME/manifest.json                        scenario text and sha256, overrides, seed, runs, ...
    NAME/runs/part-000000-000049.parquet      one row per run (zstd): run_index, seed, seed_key, metrics
    NAME/series/000000-000049.npz             the chunk's per-run service series (float32)
    NAME/quantiles.parquet                    per-tick 5/25/50/75/95% of Q(t), overall and per sector

A comparison folder holds one batch folder per arm and ``comparison.json``, the paired
differences of each variant from the reference arm (written by :mod:`sim.compare`, read
here). ``docs/files.md`` lists every key and column.

Every file is written to a temporary file in its own folder, flushed to disk and renamed
over its final name (``os.replace``), so a reader sees a whole file or none. A chunk's
series file is written before its part file: the part file is what marks a chunk done.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
import zipfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.files import atomic_write
from sim.results import clean
from sim.stats import PairedDifference

__all__ = [
    "FORMAT", "LEVELS", "MANIFEST", "QUANTILES", "RESULT", "ChunkResult", "Comparison", "SeriesQuantiles", "StoreError",
    "check_resumable", "clear_temporaries", "done_indices", "is_empty", "now", "part_ranges", "range_name",
    "read_comparison", "read_manifest", "read_quantiles", "read_runs", "remove_chunk", "set_aside_damaged", "versions",
    "write_chunk", "write_json", "write_quantiles",
]

MANIFEST = "manifest.json"
QUANTILES = "quantiles.parquet"
RESULT = "comparison.json"
FORMAT = "ripple-batch/1"
LEVELS = (0.05, 0.25, 0.50, 0.75, 0.95)
PART = re.compile(r"^part-(\d+)-(\d+)\.parquet$")
PACKAGES = ("ripple-sim", "mesa", "numpy", "scipy", "pydantic", "pyarrow", "networkx", "dask", "distributed")


class StoreError(ValueError):
    """A results folder that cannot be used as asked; the message says why and what to do."""


@dataclass
class ChunkResult:
    """What a worker sends back for runs ``start .. stop-1``.

    Attributes
    ----------
    start, stop : int
        The run indices, ``stop`` excluded.
    columns : dict of str to list
        One value per run: ``run_index``, ``seed``, ``seed_key``, then every metric.
    series : dict of str to ndarray
        ``service`` and ``service_<sector>``: (runs, ticks) float32, fractions 0..1.
    time_h : ndarray
        The series' time axis, hours.
    """

    start: int
    stop: int
    columns: dict[str, list[Any]]
    series: dict[str, np.ndarray]
    time_h: np.ndarray


# ------------------------------------------------------------------- writing
def write_json(path: Path, data: Any) -> None:
    """Write ``data`` as JSON atomically, with NaN written as null.

    Parameters
    ----------
    path : Path
        The file to write.
    data : Any
        JSON-able data (numpy values allowed; :func:`sim.results.clean` converts them).
    """
    text = json.dumps(clean(data), indent=2, sort_keys=True, allow_nan=False) + "\n"
    atomic_write(path, lambda out: out.write(text.encode()))


def range_name(start: int, stop: int) -> str:
    """The file-name part of runs ``start .. stop-1``, e.g. ``000000-000049``.

    Parameters
    ----------
    start, stop : int
        The run indices, ``stop`` excluded.

    Returns
    -------
    str
        Both ends, six digits each.

    Examples
    --------
    >>> range_name(0, 50)
    '000000-000049'
    """
    return f"{start:06d}-{stop - 1:06d}"


def write_chunk(folder: Path, chunk: ChunkResult) -> None:
    """Store a finished chunk: its series first, then its rows (which mark it done).

    Parameters
    ----------
    folder : Path
        A batch folder.
    chunk : ChunkResult
        The finished chunk.
    """
    runs = folder / "runs"
    name = range_name(chunk.start, chunk.stop)
    arrays = {"run_index": np.asarray(chunk.columns["run_index"], np.int64), "time_h": chunk.time_h, **chunk.series}
    atomic_write(folder / "series" / f"{name}.npz", lambda out: np.savez_compressed(out, **arrays))
    table = pa.table(chunk.columns)
    atomic_write(runs / f"part-{name}.parquet", lambda out: pq.write_table(table, out, compression="zstd"))


def remove_chunk(folder: Path, start: int, stop: int) -> None:
    """Remove a finished chunk: its rows first (which mark it done), then its series.

    Parameters
    ----------
    folder : Path
        A batch folder.
    start, stop : int
        The chunk's run indices, ``stop`` excluded.
    """
    name = range_name(start, stop)
    (folder / "runs" / f"part-{name}.parquet").unlink(missing_ok=True)
    (folder / "series" / f"{name}.npz").unlink(missing_ok=True)


def clear_temporaries(folder: Path) -> None:
    """Remove half-written files a killed batch left behind.

    Parameters
    ----------
    folder : Path
        A batch folder.
    """
    for tmp in [*(folder / "runs").glob(".tmp-*"), *(folder / "series").glob(".tmp-*")]:
        tmp.unlink(missing_ok=True)


# ------------------------------------------------------------------- reading
def part_ranges(folder: Path) -> list[tuple[int, int]]:
    """The (start, stop) run ranges of the finished chunks.

    Parameters
    ----------
    folder : Path
        A batch folder.

    Returns
    -------
    list of tuple of (int, int)
        ``(start, stop)``, ``stop`` excluded, sorted.
    """
    out = []
    for path in (folder / "runs").glob("part-*.parquet"):
        match = PART.match(path.name)
        if match:
            out.append((int(match[1]), int(match[2]) + 1))
    return sorted(out)


def set_aside_damaged(folder: Path) -> list[str]:
    """Move the chunks whose files cannot be read out of the way, so that their runs run again.

    A chunk is its part file (its rows) and its series file. One that is truncated or
    corrupt (a disk filled up, a copy cut short), or whose rows do not match its name, is
    moved to ``damaged/`` in the batch folder, kept for inspection, instead of being trusted
    by its name.

    Parameters
    ----------
    folder : Path
        A batch folder.

    Returns
    -------
    list of str
        The names of the part files moved, sorted.
    """
    moved = []
    for path in sorted((folder / "runs").glob("part-*.parquet")):
        match = PART.match(path.name)
        if match is None:
            continue
        series = folder / "series" / f"{path.stem.removeprefix('part-')}.npz"
        if _chunk_readable(path, series, int(match[2]) + 1 - int(match[1])):
            continue
        damaged = folder / "damaged"
        damaged.mkdir(exist_ok=True)
        for item in (path, series):
            if item.exists():
                item.replace(damaged / item.name)
        moved.append(path.name)
    return moved


def _chunk_readable(part: Path, series: Path, rows: int) -> bool:
    """Whether a chunk's part file holds its ``rows`` rows and its series file opens."""
    try:
        if pq.read_metadata(part).num_rows != rows:
            return False
        with np.load(series) as arrays:
            return len(arrays["run_index"]) == rows
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, pa.ArrowException):
        return False


def done_indices(folder: Path) -> np.ndarray:
    """The indices of the finished runs.

    Parameters
    ----------
    folder : Path
        A batch folder.

    Returns
    -------
    ndarray of int64
        Run indices in chunk order; empty when none is finished.
    """
    ranges = part_ranges(folder)
    if not ranges:
        return np.zeros(0, np.int64)
    return np.concatenate([np.arange(a, b) for a, b in ranges])


def _read_table(path: Path) -> pa.Table:
    """A Parquet file as a table; :class:`StoreError` if it cannot be read."""
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise StoreError(f"{path} is not a readable Parquet file ({exc})") from None


def read_runs(folder: Path) -> pa.Table:
    """Every finished run of a batch folder, one row each.

    Parameters
    ----------
    folder : Path
        A batch folder (``runs/part-*.parquet`` inside).

    Returns
    -------
    pa.Table
        ``run_index``, ``seed``, ``seed_key`` and every metric (stored units, NaN = no
        value), sorted by run index; the columns are listed in ``docs/files.md``.

    Raises
    ------
    StoreError
        No finished runs, an unreadable part file, parts that do not fit together, or a
        run held twice.
    """
    tables = [_read_table(folder / "runs" / f"part-{range_name(a, b)}.parquet") for a, b in part_ranges(folder)]
    if not tables:
        raise StoreError(f"{folder} holds no finished runs")
    try:
        table = pa.concat_tables(tables, promote_options="permissive")
    except pa.ArrowException as exc:
        raise StoreError(f"the run files in {folder / 'runs'} do not fit together ({exc})") from None
    table = table.sort_by("run_index")
    index = table.column("run_index").to_numpy()
    if len(np.unique(index)) != len(index):
        raise StoreError(f"{folder} holds some runs twice; its runs/ folder was changed by hand")
    return table


def write_quantiles(folder: Path) -> Path:
    """Per-tick quantiles of each service series over all finished runs (from the series files).

    Parameters
    ----------
    folder : Path
        A batch folder.

    Returns
    -------
    Path
        The ``quantiles.parquet`` written: per series and tick, ``time_h`` (hours) and the
        :data:`LEVELS` quantiles ``q05`` … ``q95`` (fractions 0..1).

    Raises
    ------
    StoreError
        No finished runs, or a finished chunk's series file is missing.
    """
    files = [folder / "series" / f"{range_name(a, b)}.npz" for a, b in part_ranges(folder)]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise StoreError(f"{folder}: series file(s) missing for finished chunks: {', '.join(missing)}")
    if not files:
        raise StoreError(f"{folder} holds no finished runs")
    with np.load(files[0]) as first:
        names = [k for k in first.files if k not in ("run_index", "time_h")]
        time_h = first["time_h"]
    columns: dict[str, list[np.ndarray]] = {k: [] for k in ("series", "tick", "time_h", *(f"q{round(q * 100):02d}" for q in LEVELS))}
    for name in names:
        stacked = []
        for file in files:
            with np.load(file) as data:
                stacked.append(data[name])
        values = np.quantile(np.concatenate(stacked).astype(np.float64), LEVELS, axis=0)
        columns["series"].append(np.full(len(time_h), name, dtype=object))
        columns["tick"].append(np.arange(len(time_h)))
        columns["time_h"].append(time_h)
        for level, row in zip(LEVELS, values):
            columns[f"q{round(level * 100):02d}"].append(row)
    table = pa.table({k: np.concatenate(v) for k, v in columns.items()})
    path = folder / QUANTILES
    atomic_write(path, lambda out: pq.write_table(table, out, compression="zstd"))
    return path


@dataclass(frozen=True)
class SeriesQuantiles:
    """Quantiles over runs of one service series, per tick (fractions 0..1; time in hours)."""

    time_h: np.ndarray
    q05: np.ndarray
    q25: np.ndarray
    q50: np.ndarray
    q75: np.ndarray
    q95: np.ndarray


def read_quantiles(folder: Path) -> dict[str, SeriesQuantiles]:
    """The per-tick quantiles of each service series from ``quantiles.parquet``.

    Parameters
    ----------
    folder : Path
        A batch folder.

    Returns
    -------
    dict[str, SeriesQuantiles]
        Series name (``service``, ``service_<sector>``) → its quantiles in tick order;
        empty when the file is absent (a batch that has not finished).
    """
    path = folder / QUANTILES
    if not path.exists():
        return {}
    table = _read_table(path)
    names = ("series", "tick", "time_h", *(f"q{round(q * 100):02d}" for q in LEVELS))
    missing = [c for c in names if c not in table.column_names]
    if missing:
        raise StoreError(f"{path} lacks the column(s) {', '.join(missing)}")
    table = table.sort_by([("series", "ascending"), ("tick", "ascending")])
    series = table.column("series").to_numpy(zero_copy_only=False)
    out = {}
    for name in dict.fromkeys(series.tolist()):
        rows = table.filter(pc.equal(table.column("series"), name))
        out[str(name)] = SeriesQuantiles(*(rows.column(c).to_numpy(zero_copy_only=False).astype(np.float64)
                                           for c in names[2:]))
    return out


# ---------------------------------------------------------------- comparison
@dataclass
class Comparison:
    """A finished comparison: its arms and each variant's paired differences from the
    reference arm. Each arm's runs are the batch folder ``folder/<arm>``."""

    folder: Path
    reference: str
    arms: list[str]                                        # arm names, in the plan's order
    differences: dict[str, dict[str, PairedDifference]]   # variant → metric → paired difference


def _json_object(path: Path) -> dict[str, Any]:
    """A JSON file that holds an object; :class:`StoreError` otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise StoreError(f"{path} should hold a JSON object")
    return data


def read_comparison(folder: Path) -> Comparison:
    """Read ``comparison.json`` as :func:`sim.compare.write_comparison` writes it.

    Parameters
    ----------
    folder : Path
        A comparison folder.

    Returns
    -------
    Comparison
        The reference arm, the arms (reference first unless the file's ``order`` says
        otherwise) and each variant's paired differences in stored units.

    Raises
    ------
    StoreError
        The file is unreadable or lacks a key (the message names it), or an arm's folder
        is missing.
    """
    path = folder / RESULT
    data = _json_object(path)
    reference, variants = data.get("reference"), data.get("variants")
    if not isinstance(reference, str) or not isinstance(variants, dict) or not variants:
        raise StoreError(f"{path} should name the 'reference' arm and hold 'variants' with each variant's "
                         "paired differences")
    differences = {}
    for name, entry in variants.items():
        metrics = entry.get("metrics") if isinstance(entry, dict) else None
        if not isinstance(metrics, dict):
            raise StoreError(f"{path}: variant '{name}' has no 'metrics' with its paired differences")
        try:
            differences[name] = {m: PairedDifference.from_dict(d) for m, d in metrics.items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{path}: a paired difference of variant '{name}' is incomplete or not a number "
                             f"({type(exc).__name__}: {exc})") from None
    arms = [str(a) for a in data.get("order", [reference, *variants])]
    for name in arms:
        if not (folder / name).is_dir():
            raise StoreError(f"{folder} has no folder '{name}' for the arm named in {RESULT}")
    return Comparison(folder, reference, arms, differences)


# ------------------------------------------------------------------ manifest
def versions() -> dict[str, str]:
    """The versions of Python and of the installed packages a batch depends on, for its manifest."""
    out = {"python": sys.version.split()[0]}
    for package in PACKAGES:
        try:
            out[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    return out


def now() -> str:
    """The UTC time now, ISO 8601 to the second."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """A folder's batch manifest.

    Parameters
    ----------
    folder : Path
        A folder that may hold a batch.

    Returns
    -------
    dict or None
        The manifest; None when the folder has no ``manifest.json``.

    Raises
    ------
    StoreError
        The manifest is unreadable or not a ripple batch manifest.
    """
    path = folder / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path} is not readable ({exc}); it is not a ripple batch folder") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise StoreError(f"{path} is not a ripple batch manifest")
    return manifest


def is_empty(folder: Path) -> bool:
    """Whether ``folder`` is absent or empty.

    Parameters
    ----------
    folder : Path
        A would-be batch folder.

    Returns
    -------
    bool
        True when there is nothing there yet.

    Raises
    ------
    StoreError
        ``folder`` is a file.
    """
    if folder.exists() and not folder.is_dir():
        raise StoreError(f"{folder} is a file, not a folder; choose another --out")
    return not folder.exists() or not any(folder.iterdir())


def _labels(overrides: list[dict[str, Any]]) -> str:
    """Override records as the command line gave them (``--set k=v``, ``overlay FILE``), or ``none``."""
    return ", ".join(f"--set {o['set']}" if "set" in o else f"overlay {o['overlay']}" for o in overrides) or "none"


def check_resumable(folder: Path, manifest: dict[str, Any], sha256: str, overrides: list[dict[str, Any]],
                    seed: int) -> None:
    """Refuse to resume a batch of another scenario, seed or overrides.

    Parameters
    ----------
    folder : Path
        The batch folder.
    manifest : dict
        Its manifest.
    sha256 : str
        The scenario file's hash now.
    overrides : list of dict
        The override records now.
    seed : int
        The seed now.

    Raises
    ------
    StoreError
        Naming everything that differs from the batch as it was started.
    """
    why = []
    if manifest["scenario"]["sha256"] != sha256:
        why.append(f"the scenario changed (sha256 {manifest['scenario']['sha256'][:12]}… then, {sha256[:12]}… now)")
    if manifest["seed"] != seed:
        why.append(f"the seed differs ({manifest['seed']} then, {seed} now)")
    if manifest["overrides"] != overrides:
        then, current = _labels(manifest["overrides"]), _labels(overrides)
        changed = " (an overlay file's content changed)" if then == current else ""
        why.append(f"the overrides differ ({then} then; {current} now){changed}")
    if why:
        raise StoreError(f"cannot resume {folder}: " + "; ".join(why) + ". Choose another --out to start a new batch.")
