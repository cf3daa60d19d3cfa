"""The Motter-Lai load model in a whole run: loads remembered per sector against recomputed.

A check for overload recomputes each load-model sector's betweenness (Brandes 2001, exact;
Motter & Lai, Phys. Rev. E 66, 065102, 2002), though a sector's loads change only when its
own working nodes do. :class:`sim.load.LoadMemo` keeps each answer per sector and working
set; the naive reference is the same run with nothing remembered. Both runs must end in the
same state. Writes its section of benchmarks/RESULTS.md.

    python benchmarks/bench_load.py [--nodes 2000] [--ticks 40] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

import sim.cascade
import sim.load
from results import write_section
from sim.model import RippleModel
from synthetic import generate, scenario


class Forgetful(sim.load.LoadMemo):
    """The naive reference: computes every sector's loads at every check."""

    def sector_loads(self, net, working, code, nodes):  # noqa: D102 - as the parent's
        return sim.load.loads(net, working, nodes)[nodes]


def timed_run(nodes: int, ticks: int, memo: type[sim.load.LoadMemo]) -> tuple[float, int, np.ndarray]:
    """Seconds to run ``ticks`` ticks of a load-model scenario, betweenness computations, final state."""
    sim.cascade._LOAD_MEMOS.clear()
    sim.cascade.LoadMemo = memo
    computed = [0]
    fresh = sim.load.loads

    def counted(*args):
        computed[0] += 1
        return fresh(*args)

    sim.load.loads = counted
    try:
        syn = generate(nodes, seed=1)
        base = scenario(syn, ticks=ticks)
        sc = base.model_copy(update={"policies": base.policies.model_copy(update={"load_model": True,
                                                                                   "load_alpha": 0.3})})
        model = RippleModel(sc, seed=3)
        start = time.perf_counter()
        model.advance(ticks)
        return time.perf_counter() - start, computed[0], model.state.down.copy()
    finally:
        sim.load.loads = fresh
        sim.cascade.LoadMemo = sim.load.LoadMemo


def main(argv: list[str] | None = None) -> None:
    """Time both runs, check they agree, write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=2000)
    parser.add_argument("--ticks", type=int, default=40)
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    naive_s, naive_n, naive_down = timed_run(args.nodes, args.ticks, Forgetful)
    memo_s, memo_n, memo_down = timed_run(args.nodes, args.ticks, sim.load.LoadMemo)
    same = bool((naive_down == memo_down).all())
    body = (f"Synthetic network of {args.nodes:,} nodes (benchmarks/synthetic.py, four sectors all under the "
            f"load model, α = 0.3), {args.ticks} ticks of its attack campaign.\n\n"
            "| loads | betweenness computations | run time | ratio |\n|---|---:|---:|---:|\n"
            f"| recomputed at every check (naive) | {naive_n:,} | {naive_s:.2f} s | 1.0× |\n"
            f"| remembered per sector and working set | {memo_n:,} | {memo_s:.2f} s | "
            f"{naive_s / memo_s:.1f}× faster |\n\nSame final state: {'yes' if same else 'NO'}.")
    print(body)
    if not args.no_write:
        write_section("bench_load", "Load model: loads remembered per sector", body)
    if not same:
        sys.exit("remembered loads changed the run")


if __name__ == "__main__":
    main()
