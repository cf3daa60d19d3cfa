"""DC power-flow benchmark: a round of the overload cascade on the 9,241-bus PEGASE grid
(pandapower's case9241pegase) against one bare sparse solve of that grid. Writes its
section of benchmarks/RESULTS.md.

A *bare solve* is what any DC power flow must do once: factorise the reduced susceptance
matrix (slack row and column out) with SuperLU and solve for the angles. A *cascade round*
(:func:`sim.physics.cascade.overload_cascade` stopped after one round) adds what ripple does
around it: islands, balance and shedding per island, flows and loadings, the overloaded
branches. Target: a round within 20 times a bare solve. Times are CPU seconds, median of
repeats.

    python benchmarks/bench_dcflow.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from results import write_section

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from sim.physics.cascade import overload_cascade, rating_from_flow  # noqa: E402
from sim.physics.dcflow import BASE_MVA  # noqa: E402
from sim.physics.grid import Grid  # noqa: E402
from sim.scenario.importers.pandapower import import_pandapower  # noqa: E402

TARGET = 20.0    # a cascade round within this many bare solves


def timed(fn, repeat: int) -> float:
    """Median CPU seconds of ``fn`` over ``repeat`` calls, after one warm-up."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return median(times)


def bare_solve(grid: Grid) -> np.ndarray:
    """The angles of the intact grid by one SuperLU factorisation and solve, nothing else."""
    on = grid.closed & (grid.x_pu != 0)
    a, b, s = grid.line_a[on], grid.line_b[on], 1.0 / grid.x_pu[on]
    n = grid.n_bus
    bmat = sp.coo_matrix((np.concatenate([s, s, -s, -s]), (np.concatenate([a, b, a, b]), np.concatenate([a, b, b, a]))),
                         shape=(n, n)).tocsc()
    keep = np.flatnonzero(~grid.slack)
    p = (grid.gen_mw - grid.load_mw)[keep] / BASE_MVA
    return splu(bmat[keep][:, keep].tocsc()).solve(p)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    logging.getLogger("pandapower").setLevel(logging.ERROR)
    import pandapower
    import pandapower.networks

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "case9241pegase.json"
        pandapower.to_json(pandapower.networks.case9241pegase(), str(path))
        start = time.perf_counter()
        tables, _ = import_pandapower(path)
        import_s = time.perf_counter() - start
    grid = Grid.from_tables(tables, 0)
    buses_on = np.ones(grid.n_bus, bool)
    rating = rating_from_flow(grid, 0.1)
    intact = overload_cascade(grid, grid.closed, buses_on, rating, max_rounds=1).flow
    hub = int(np.argmax(np.abs(np.nan_to_num(intact.flow_mw))))
    lines = grid.closed.copy()
    lines[hub] = False       # the most loaded branch lost: a round that finds overloads

    solve_s = timed(lambda: bare_solve(grid), args.repeat)
    round_s = timed(lambda: overload_cascade(grid, lines, buses_on, rating, max_rounds=1), args.repeat)
    start = time.process_time()
    full = overload_cascade(grid, lines, buses_on, rating)
    full_s = time.process_time() - start
    ratio = round_s / solve_s
    body = "\n".join([
        f"case9241pegase: {grid.n_bus:,} buses, {grid.n_line:,} branches (import {import_s:.1f} s wall).",
        "",
        "| measurement | CPU time |",
        "|---|---|",
        f"| bare sparse solve (SuperLU factorisation + solve) | {solve_s * 1e3:.1f} ms |",
        f"| one overload-cascade round (islands, balance, solve, flows, overloads) | {round_s * 1e3:.1f} ms "
        f"({ratio:.1f}× the bare solve; target ≤ {TARGET:g}×) |",
        f"| whole cascade after losing the most loaded branch, ratings 1.1 × intact flow | {full_s:.2f} s, "
        f"{full.rounds} rounds, {len(full.trips)} branches tripped |",
    ])
    print(body)
    write_section("bench_dcflow", "DC power flow: a cascade round on the 9,241-bus PEGASE grid", body)
    if ratio > TARGET:
        sys.exit(f"a cascade round took {ratio:.1f} bare solves, above the target of {TARGET:g}")


if __name__ == "__main__":
    main()
