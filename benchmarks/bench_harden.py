"""A defender plan on the flagship against random plans and the betweenness heuristic.

``ripple harden``'s greedy plan of K measures (chosen on runs of seed S) is compared with
plans of the same budget, on held-out runs (seed S + 1, so that the plan's selection does not
flatter it), by the paired difference of the loss per run (common random numbers):

- random plans: K nodes drawn uniformly from all the nodes the measure can take;
- the betweenness plan: the K nodes of highest betweenness in the whole link graph
  (:func:`agents.centrality.betweenness`, Freeman 1977).

Then the adaptive attacker: its best response (:func:`sim.decide.harden.worst_case`) to the
plan tuned against the scripted attacks, against the scripted attacks' own loss on it.

Writes its section of benchmarks/RESULTS.md; exits non-zero when the plan does not beat every
other plan with a paired 95% interval excluding 0.

    python benchmarks/bench_harden.py [--scenario scenarios/calder_bay.yaml] [--budget 3] [--runs 40]
                                      [--random 5] [--candidates 12] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console

from agents.centrality import betweenness
from results import write_section
from sim.decide.evaluate import Evaluator
from sim.decide.harden import Measure, attacker_options, candidates, greedy, measure, worst_case
from sim.engines import open_engine
from sim.model import Prebuilt
from sim.overrides import ScenarioFile
from sim.stats import paired

__all__ = ["main"]

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "calder_bay.yaml"


def _specs(plan: list[Measure]) -> tuple[str, ...]:
    """A plan's overrides."""
    return tuple(s for m in plan for s in m.specs)


def _betweenness_plan(source: ScenarioFile, kind: str, budget: int) -> list[Measure]:
    """The ``budget`` nodes of highest betweenness that can take the measure."""
    net = Prebuilt.of(source.scenario).network
    score = betweenness(net.n, net.link_rows, net.link_cols)
    plan: list[Measure] = []
    for i in np.argsort(-score, kind="stable"):
        m = measure(source, kind, net.ids[i])
        if m is not None:
            plan.append(m)
        if len(plan) == budget:
            break
    return plan


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (default: ``sys.argv``).
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=FLAGSHIP)
    parser.add_argument("--measure", default="harden")
    parser.add_argument("--budget", type=int, default=3)
    parser.add_argument("--runs", type=int, default=40, help="runs per evaluation while choosing")
    parser.add_argument("--test-runs", type=int, default=200, help="held-out runs per plan")
    parser.add_argument("--random", type=int, default=5, help="random plans")
    parser.add_argument("--candidates", type=int, default=12)
    parser.add_argument("--metric", default="resilience_loss_h")
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    args = parser.parse_args(argv)
    console = Console()
    source = ScenarioFile.read(args.scenario)
    seed = source.scenario.seed
    scripted = attacker_options(source, False)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp, open_engine(1, None, None) as engine:
        tune = Evaluator(source, args.metric, args.runs, seed, Path(tmp) / "tune", engine)
        pool = candidates(source, args.measure, args.candidates)
        plan = greedy(tune, pool, args.budget, scripted)
        chose_s = time.perf_counter() - started
        test = Evaluator(source, args.metric, args.test_runs, seed + 1, Path(tmp) / "test", engine)
        rng = np.random.default_rng(seed)
        every = [m for m in (measure(source, args.measure, n["id"]) for n in source.data["network"]["nodes"]) if m]
        others = {"no measure": []}
        others.update({f"random {k + 1}": [every[i] for i in rng.choice(len(every), args.budget, replace=False)]
                       for k in range(args.random)})
        others["highest betweenness"] = _betweenness_plan(source, args.measure, args.budget)
        mine = test.values(plan.specs)
        rows, beaten = [], True
        for name, other in others.items():
            d = paired(mine, test.values(_specs(other)))
            beaten &= d.ci_low > 0
            rows.append(f"| {name} | {', '.join(m.node for m in other) or '–'} | {d.variant_mean:.3f} | "
                        f"{d.mean:+.3f} | [{d.ci_low:+.3f}, {d.ci_high:+.3f}] |")
        attack, _, means = worst_case(test, plan.specs, attacker_options(source, True))
        total_s = time.perf_counter() - started
    measures = ", ".join(m.node for m in plan.measures)
    body = "\n".join([
        f"`{args.scenario.relative_to(ROOT) if args.scenario.is_relative_to(ROOT) else args.scenario}`, "
        f"K = {args.budget} × `{args.measure}`, metric `{args.metric}`; plan chosen greedily on {args.runs} runs "
        f"(seed {seed}, {plan.evaluations} evaluations of {len(pool)} candidates, {chose_s:.0f} s on one worker), "
        f"every plan then run on {args.test_runs} held-out runs (seed {seed + 1}). Difference = other plan − greedy plan, "
        "paired by run (95% t interval).",
        "",
        f"Greedy plan: **{measures}**, held-out loss {float(np.nanmean(mine)):.3f} "
        f"(no measure: {float(np.nanmean(test.values(()))):.3f}).",
        "",
        "| plan | nodes | loss | difference | 95% CI |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "Adaptive attacker against the plan tuned to the scripted attacks (held-out runs): "
        + ", ".join(f"{name} {loss:.3f}" for name, loss in means.items())
        + f"; best response **{attack}** ({means[attack]:.3f} vs scripted {means['scripted']:.3f}).",
        "",
        f"Total {total_s:.0f} s.",
    ])
    console.print(body, highlight=False)
    if not args.no_write:
        write_section("bench_harden", "Defender plan on the flagship (bench_harden.py)", body)
    if not beaten:
        console.print("the greedy plan did not beat every other plan with an interval excluding 0")
        sys.exit(1)


if __name__ == "__main__":
    main()
