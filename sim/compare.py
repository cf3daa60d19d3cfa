"""Policy comparisons on common random numbers: every arm (the base and each variant, or each
value of a sweep, or each combination of several sweeps' values) runs the same run indices
with the same seed, into ``NAME/<arm>/``; the paired differences against the reference arm
(the base; a sweep's first value or combination) go to ``NAME/comparison.json``.

Because every subsystem draws from its own stream (:mod:`sim.streams`), run *i* of a
response-policy variant meets the same attacks as run *i* of the base, so the paired
difference isolates the policy's effect (see :mod:`sim.stats`).
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from sim.batchstore import RESULT, Comparison, StoreError, is_empty, now, read_runs, write_json
from sim.engines import Engine, open_engine
from sim.metrics import HEADLINE
from sim.overrides import Override, Prepared, ScenarioFile, Variant, prepare
from sim.stats import LEVEL, compare

if TYPE_CHECKING:
    from sim.batch import Progress

__all__ = ["FORMAT", "PLAN", "run_compare", "write_comparison"]

PLAN = "compare.json"
FORMAT = "ripple-compare/1"


def _arms(scenario: str | Path | ScenarioFile, variants: list[Variant], base: tuple[Override, ...],
          sweep: bool) -> dict[str, Prepared]:
    """Validate every arm before anything runs, reading the file once. A comparison has a
    ``base`` arm; a sweep's reference is its first value (of several sweeps, the combination
    of their first values)."""
    arms = [] if sweep else [Variant("base")]
    arms += variants
    names = [a.name for a in arms]
    if len(set(names)) < len(names):
        raise StoreError(f"variant names must differ (and not be 'base'): {', '.join(names)}")
    source = scenario if isinstance(scenario, ScenarioFile) else ScenarioFile.read(scenario)
    return {arm.name: prepare(source, base + arm.overrides) for arm in arms}


def _plan(folder: Path, arms: dict[str, Prepared], seed: int | None, runs: int | None, resume: bool,
          command: str) -> int:
    """Write (or, on resume, check) the list of arms at the top of the comparison folder;
    return the seed (on resume, the comparison's own unless given)."""
    path = folder / PLAN
    if resume and path.exists() and seed is None:
        seed = json.loads(path.read_text()).get("seed")
    seed = next(iter(arms.values())).scenario.seed if seed is None else seed
    plan = {"format": FORMAT, "reference": next(iter(arms)), "seed": seed, "runs": runs,
            "arms": [{"name": name, "overrides": p.records} for name, p in arms.items()],
            "command": command, "created": now()}
    if path.exists():
        if not resume:
            raise StoreError(f"{folder} already holds a comparison; pass --resume to continue it, or choose another --out")
        old = json.loads(path.read_text())
        if old.get("arms") != plan["arms"]:
            names = ", ".join(arm["name"] for arm in old.get("arms", []))
            raise StoreError(f"cannot resume {folder}: it compares other variants ({names}) or other overrides; "
                             "choose another --out")
        return seed
    if not is_empty(folder):
        raise StoreError(f"{folder} exists and is not empty; pass --resume to continue, or choose another --out")
    folder.mkdir(parents=True, exist_ok=True)
    write_json(path, plan)
    return seed


def run_compare(
    scenario: str | Path | ScenarioFile,
    variants: list[Variant],
    runs: int | None = None,
    out: str | Path = "results/compare",
    seed: int | None = None,
    *,
    overrides: tuple[Override, ...] = (),
    sweep: bool = False,
    workers: int | None = None,
    scheduler: str | None = None,
    engine: Engine | None = None,
    resume: bool = False,
    chunk_size: int | None = None,
    progress: Callable[[str], Progress] | None = None,
    command: str | None = None,
) -> Comparison:
    """Run every arm on the same run indices and compare each with the reference arm. Pass
    ``engine`` to use one you manage, else one is made from ``workers``/``scheduler``.

    Parameters
    ----------
    scenario : str, Path or ScenarioFile
        The scenario file, or the file already read (:meth:`sim.overrides.ScenarioFile.read`).
    variants : list of Variant
        The variants, each a name and its overrides (a sweep: one per value, or per
        combination of several sweeps' values).
    runs : int, optional
        Runs per arm (default :data:`sim.batch.DEFAULT_RUNS`; a resumed comparison keeps its own).
    out : str or Path
        The comparison folder: empty or absent unless resuming.
    seed : int, optional
        The seed every arm shares (default: the scenario's, or the resumed comparison's).
    overrides : tuple of Override
        Overrides applied to every arm, before the arm's own.
    sweep : bool
        No ``base`` arm: the first variant is the reference.
    workers : int, optional
        Processes to run at once (default: the CPU count); ignored with ``engine``.
    scheduler : str, optional
        A Dask scheduler address; ignored with ``engine``.
    engine : Engine, optional
        An open engine to use and leave open.
    resume : bool
        Continue the comparison in ``out``.
    chunk_size : int, optional
        Runs per chunk (default :func:`sim.batch.chunk_size_for`).
    progress : callable, optional
        ``progress(arm) -> Progress``, one reporter per arm.
    command : str, optional
        The command line recorded in the plan and the manifests.

    Returns
    -------
    Comparison
        The arms and each variant's paired differences from the reference (stored units).

    Raises
    ------
    StoreError
        When the arms' names clash, ``out`` holds something else or another comparison, or
        ``runs`` or ``chunk_size`` is out of range (:func:`sim.batch.check_sizes`).
    BatchError
        When a chunk of an arm fails; the finished runs are kept.
    """
    from sim.batch import check_sizes, run_batch   # imported only to run: writing a comparison reads files

    check_sizes(runs, chunk_size)
    folder = Path(out)
    arms = _arms(scenario, variants, tuple(overrides), sweep)
    command = command or "run_compare (Python)"
    seed = _plan(folder, arms, seed, runs, resume, command)
    tasks = runs * len(arms) if runs else None
    with nullcontext(engine) if engine else open_engine(workers, scheduler, tasks) as engine:
        for name, prepared in arms.items():
            run_batch(prepared, runs, folder / name, seed, engine=engine, chunk_size=chunk_size, resume=resume,
                      command=command, progress=progress(name) if progress else None)
    return write_comparison(folder)


def write_comparison(folder: Path) -> Comparison:
    """Compare each arm's rows with the reference arm's and write ``comparison.json``.

    Parameters
    ----------
    folder : Path
        A comparison folder (its plan ``compare.json`` and one batch folder per arm).

    Returns
    -------
    Comparison
        What was written; its differences are in the metrics' stored units.
    """
    plan = json.loads((folder / PLAN).read_text())
    reference = plan["reference"]
    overrides = {arm["name"]: arm["overrides"] for arm in plan["arms"]}
    rows = {name: read_runs(folder / name) for name in overrides}
    differences = {name: compare(rows[reference], table) for name, table in rows.items() if name != reference}
    data: dict[str, Any] = {
        "reference": reference, "seed": plan["seed"], "level": LEVEL, "headline": list(HEADLINE),
        "order": list(overrides), "runs": {name: table.num_rows for name, table in rows.items()},
        "variants": {name: {"overrides": overrides[name], "metrics": {m: d.as_dict() for m, d in diffs.items()}}
                     for name, diffs in differences.items()},
    }
    write_json(folder / RESULT, data)
    return Comparison(folder, reference, list(overrides), differences)
