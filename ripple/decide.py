"""``ripple harden``, ``ripple sensitivity`` and ``ripple discover``: decision support.

The studies run ordinary batches on common random numbers into their output folder, on the
same engines as ``ripple batch``; stopped, the same command finishes them.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import typer

from ripple.app import app, console, fail, scenario_problems
from ripple.batch import SchedulerOpt, SeedOpt, WorkersOpt, command_line, handled

__all__ = ["discover", "harden", "sensitivity"]

MAX_POINTS = 10_000       # points a sensitivity study may evaluate (each a batch)


@contextmanager
def _decision_errors() -> Iterator[None]:
    """Bad parameters and data for PRIM → one message, exit 2."""
    from sim.decide.prim import PrimError
    from sim.decide.sensitivity import ParamError

    try:
        yield
    except (ParamError, PrimError) as exc:
        fail(str(exc))


def _study(folder: Path, record: dict[str, Any]) -> None:
    """Write ``study.json`` into a new output folder, or check that a resumed one ran the same study."""
    from sim.batchstore import StoreError, is_empty, write_json

    path = folder / "study.json"
    if path.exists():
        if json.loads(path.read_text()) != record:
            raise StoreError(f"{folder} holds another study (see its study.json); choose another --out")
        return
    if not is_empty(folder):
        raise StoreError(f"{folder} exists and is not empty; choose another --out")
    folder.mkdir(parents=True, exist_ok=True)
    write_json(path, record)


@app.command()
def harden(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)", show_default=False),
    budget: int = typer.Option(..., "--budget", min=1, max=50, help="measures in the plan (K)"),
    measure: str = typer.Option("harden", "--measure", help="harden (raise hardening), backup (more buffer on a "
                                "node's dependencies) or crews (one repair unit based at a node)"),
    attacker: str = typer.Option("scripted", "--attacker", help="scripted (the scenario's attacks) or adaptive "
                                 "(the attacker's best response: scripted or re-targeted by each ranked rule)"),
    metric: str = typer.Option("resilience_loss_h", "--metric", help="the loss to minimise, e.g. unserved_person_h"),
    runs: int = typer.Option(30, "--runs", min=2, max=100_000, help="runs per evaluation (common random numbers)"),
    seed: int | None = SeedOpt,
    level: float = typer.Option(0.9, "--level", min=0.0, max=1.0, help="the hardening a harden measure sets"),
    hours: float = typer.Option(24.0, "--hours", min=0.0, max=10_000.0, help="buffer hours a backup measure adds"),
    candidates: int = typer.Option(12, "--candidates", min=1, max=1000, help="measures evaluated: at the scripted "
                                   "targets, then the nodes with the most population at stake (kernel what-ifs)"),
    out: Path | None = typer.Option(None, help="output folder (default: results/<scenario id>-harden)"),
    workers: int | None = WorkersOpt,
    scheduler: str | None = SchedulerOpt,
) -> None:
    """Choose K defensive measures that minimise the expected loss (greedy, lazy, on common random numbers).

    Writes OUT/plan.yaml (an overlay: ripple compare --variant plan=OUT/plan.yaml), OUT/plan.json
    and OUT/report.html."""
    import yaml

    from dashboards.decide import harden_page
    from rich.table import Table
    from sim.decide.evaluate import Evaluator
    from sim.decide.harden import MEASURES, attacker_options, candidates as pool_of, greedy, plan_overlay
    from sim.engines import open_engine
    from sim.overrides import ScenarioFile

    if measure not in MEASURES:
        fail(f"--measure {measure}: choose one of {', '.join(MEASURES)}")
    if attacker not in ("scripted", "adaptive"):
        fail(f"--attacker {attacker}: choose scripted or adaptive")
    with scenario_problems(scenario):
        source = ScenarioFile.read(scenario)
    seed = source.scenario.seed if seed is None else seed
    out = out or Path("results") / f"{source.scenario.id}-harden"
    record = {"sha256": source.sha256, "budget": budget, "measure": measure, "attacker": attacker, "metric": metric,
              "runs": runs, "seed": seed, "level": level, "hours": hours, "candidates": candidates}
    with handled(out):
        pool = pool_of(source, measure, candidates, level, hours)
        if len(pool) < budget:
            fail(f"only {len(pool)} node(s) of {scenario} can take a {measure} measure among the --candidates "
                 f"{candidates}; lower --budget or raise --candidates")
        options = attacker_options(source, attacker == "adaptive")
        _study(out, record)
        with open_engine(workers, scheduler, None) as engine:
            evaluator = Evaluator(source, metric, runs, seed, out / "evals", engine)
            plan = greedy(evaluator, pool, budget, options, lazy=attacker == "scripted")
    data = {"scenario": source.scenario.id, **record, "command": command_line(), **plan.as_dict()}
    (out / "plan.json").write_text(json.dumps(data, indent=1))
    header = (f"# ripple harden: {budget} x {measure} against the {attacker} attacker, {metric} "
              f"{plan.base_loss:.3f} -> {plan.loss:.3f}\n# measures: {', '.join(m.label for m in plan.measures)}\n")
    (out / "plan.yaml").write_text(header + yaml.safe_dump(plan_overlay(source, plan.specs), sort_keys=False))
    table = Table(title=f"{source.scenario.name}: {budget} × {measure} against the {attacker} attacker "
                        f"({runs} runs each, seed {seed})")
    for col in ("step", "measure", f"{metric} after", "attacker", "benefit", "95% CI"):
        table.add_column(col, justify="left" if col in ("measure", "attacker") else "right")
    table.add_row("0", "(none)", f"{plan.base_loss:.3f}", plan.base_attack, "", "")
    for k, step in enumerate(plan.steps, 1):
        b = step.benefit
        table.add_row(str(k), step.measure, f"{step.loss:.3f}", step.attack, f"{b.mean:.3f}",
                      f"[{b.ci_low:.3f}, {b.ci_high:.3f}]")
    console.print(table)
    responses = ", ".join(f"{name} {loss:.3f}" for name, loss in plan.responses.items())
    console.print(f"attacker options against the plan: {responses}", highlight=False, soft_wrap=True)
    console.print(f"{plan.evaluations} evaluations; wrote {out / 'plan.yaml'}, {out / 'plan.json'}, "
                  f"{harden_page(out)}", highlight=False, soft_wrap=True)


@app.command()
def sensitivity(
    scenario: Path = typer.Argument(..., help="scenario file (YAML)", show_default=False),
    params: list[str] = typer.Option(..., "--param", help="PATH=LOW..HIGH, an uncertain input (repeatable)"),
    method: str = typer.Option("sobol", "--method", help="sobol (first- and total-order indices) or morris"),
    samples: int = typer.Option(16, "--samples", min=2, max=100_000, help="base samples (sobol: N(d+2) points) "
                                "or trajectories (morris: N(d+1) points)"),
    runs: int = typer.Option(10, "--runs", min=1, max=100_000, help="runs per point (common random numbers)"),
    metrics: list[str] = typer.Option(["resilience_loss_h"], "--metric", help="an output to analyse (repeatable)"),
    seed: int | None = SeedOpt,
    out: Path | None = typer.Option(None, help="output folder (default: results/<scenario id>-sensitivity)"),
    workers: int | None = WorkersOpt,
    scheduler: str | None = SchedulerOpt,
) -> None:
    """Global sensitivity of metrics to uncertain inputs (SALib): Sobol' or Morris indices with 95% intervals.

    Writes OUT/sensitivity.json, OUT/design.json (ripple discover reads it) and OUT/report.html."""
    from rich.table import Table

    from dashboards.decide import sensitivity_page
    from sim.batchstore import write_json
    from sim.decide.designs import write_design
    from sim.decide.evaluate import Evaluator, folder_name
    from sim.decide.sensitivity import parse_param, run_sensitivity, sample, scenario_model, set_specs, typed
    from sim.engines import open_engine
    from sim.overrides import ScenarioFile

    with scenario_problems(scenario):
        source = ScenarioFile.read(scenario)
    seed = source.scenario.seed if seed is None else seed
    out = out or Path("results") / f"{source.scenario.id}-sensitivity"
    with _decision_errors():
        parsed = typed([parse_param(p) for p in params], source.data, source.scenario)
        points = len(sample(parsed, method, samples, seed))
    if points > MAX_POINTS:
        fail(f"{points:,} points, more than {MAX_POINTS:,}: lower --samples")
    record = {"sha256": source.sha256, "params": params, "method": method, "samples": samples, "runs": runs,
              "metrics": metrics, "seed": seed}
    with handled(out), _decision_errors():
        _study(out, record)
        with open_engine(workers, scheduler, None) as engine:
            evaluator = Evaluator(source, metrics[0], runs, seed, out / "points", engine)
            x, _, indices = run_sensitivity(parsed, method, samples, scenario_model(evaluator, parsed, metrics),
                                            metrics, seed)
    write_design(out, parsed, x, [f"points/{folder_name(tuple(set_specs(parsed, row)))}" for row in x], method)
    write_json(out / "sensitivity.json", {"scenario": source.scenario.id, **record, "points": len(x),
                                          "indices": {m: ind.as_dict() for m, ind in indices.items()}})
    for metric, ind in indices.items():
        table = Table(title=f"{metric}: {method} indices, {len(x)} points × {runs} runs (95% intervals)")
        table.add_column("parameter", justify="left")
        keys = ("S1", "ST") if method == "sobol" else ("mu_star", "sigma")
        for key in keys:
            table.add_column(key, justify="right")
        for j, name in enumerate(ind.names):
            cells = []
            for key in keys:
                conf = ind.values.get(f"{key}_conf")
                cells.append(f"{ind.values[key][j]:.3f}" + (f" ± {conf[j]:.3f}" if conf else ""))
            table.add_row(name, *cells)
        console.print(table)
    console.print(f"wrote {out / 'sensitivity.json'}, {sensitivity_page(out)}", highlight=False, soft_wrap=True)


@app.command()
def discover(
    results: Path = typer.Argument(..., help="a sampled study: ripple batch --design or ripple sensitivity",
                                   show_default=False),
    metric: str = typer.Option(..., "--metric", help="the metric that defines the cases, e.g. recovery_95_h"),
    above: float | None = typer.Option(None, "--above", help="cases of interest: runs with the metric above this"),
    below: float | None = typer.Option(None, "--below", help="cases of interest: runs with the metric below this"),
    alpha: float = typer.Option(0.05, "--alpha", min=0.001, max=0.49, help="share of the box each peel removes"),
    min_support: float = typer.Option(0.05, "--min-support", min=0.001, max=0.99,
                                      help="the smallest box, as a share of all runs"),
) -> None:
    """Find the box of sampled inputs in which the cases of interest concentrate (PRIM).

    A run that has not recovered by its end counts as above any recovery-time threshold.
    Writes RESULTS/discover.json and RESULTS/discover.html."""
    import numpy as np

    from dashboards.decide import discover_page
    from rich.table import Table
    from sim.batchstore import write_json
    from sim.decide.designs import read_samples
    from sim.decide.prim import prim

    if (above is None) == (below is None):
        fail("give one of --above or --below")
    with handled():
        names, x, y = read_samples(results, metric)
    known = ~np.isnan(y)          # runs without a value (no service event to recover from) are left out
    x, y = x[known], y[known]
    cases = (y > above) if above is not None else (y < below)
    question = f"{metric} {'>' if above is not None else '<'} {above if above is not None else below:g}"
    with _decision_errors():
        found = prim(x, cases, names, alpha, min_support)
    data = {"question": question, "runs": len(y), "cases": int(cases.sum()), **found.as_dict()}
    write_json(results / "discover.json", data)
    table = Table(title=f"PRIM box for {question}: {int(cases.sum())} of {len(y)} runs")
    for col in ("parameter", "from", "to"):
        table.add_column(col, justify="left" if col == "parameter" else "right")
    for name, (low, high) in data["limits"].items():
        table.add_row(name, f"{low:g}", f"{high:g}")
    console.print(table)
    console.print(f"coverage {found.box.coverage:.2f}, density {found.box.density:.2f} (base rate "
                  f"{found.base_density:.2f}); wrote {results / 'discover.json'}, {discover_page(results)}",
                  highlight=False, soft_wrap=True)
