"""``ripple run``, ``ripple validate`` and ``ripple schema``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import typer
from rich.table import Table

from ripple.app import app, console, load_or_exit
from sim.model import RippleModel
from sim.results import RunResult
from sim.scenario import Scenario
from sim.scenario.reference import scenario_reference

ScenarioArg = typer.Argument(..., help="scenario file (YAML)", show_default=False)


def describe(s: Scenario) -> str:
    net = s.network
    actions = sum(len(a.plan) for a in s.attackers)
    units = sum(t.count for t in s.responders.values())
    sectors = len({n.sector for n in net.nodes})
    return (f"{s.name}: {len(net.nodes)} nodes in {sectors} sectors, {len(net.links)} links, "
            f"{len(net.dependencies)} dependencies; {actions} attack actions, {units} responder units; "
            f"{s.clock.duration / 3600:g}h at {s.clock.tick / 60:g}min ticks")


def fmt(value: float | int | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "not reached"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}{unit}" if abs(value) < 1e5 else f"{value:,.0f}{unit}"


def summary_table(result: RunResult) -> Table:
    m = result.metrics
    table = Table(title=f"{result.scenario_name} (seed {result.seed})", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("resilience loss (Bruneau)", fmt(m["resilience_loss_h"], " h"))
    table.add_row("minimum service", f"{m['min_service']:.1%} at {fmt(m['min_service_time_h'], ' h')}")
    for level in (90, 95, 100):
        table.add_row(f"time to recover to {level}%", fmt(m[f"recovery_{level}_h"], " h"))
    for sector in result.sectors:
        table.add_row(f"  {sector}: loss / unserved", f"{fmt(m[f'resilience_loss_h_{sector}'], ' h')} / "
                      f"{fmt(m[f'unserved_person_h_{sector}'], ' person-h')}")
    table.add_row("unserved person-hours", fmt(m["unserved_person_h"]))
    table.add_row("cascade amplification", f"{fmt(m['cascade_amplification'])} ({m['nodes_down']} down / {m['nodes_hit']} hit)")
    table.add_row("attacks: attempted / interdicted / failed / landed",
                  f"{m['attacks_attempted']} / {m['attacks_interdicted']} / {m['attacks_failed']} / {m['attacks_landed']}")
    table.add_row("responder utilisation", f"{m['responder_utilisation']:.1%}")
    return table


@app.command()
def validate(scenario: Path = ScenarioArg) -> None:
    """Check a scenario file; print 'ok' and a one-line summary, or every problem with file:line."""
    s = load_or_exit(scenario)
    console.print(f"ok: {scenario}: {describe(s)}", highlight=False, soft_wrap=True)


@app.command()
def schema(
    markdown: bool = typer.Option(False, "--markdown", help="print the reference of scenario files in Markdown "
                                  "(docs/scenario-reference.md) instead"),
) -> None:
    """Print the JSON Schema of scenario files (for editor completion and checking)."""
    if markdown:
        typer.echo(scenario_reference(), nl=False)
        return
    typer.echo(json.dumps(Scenario.model_json_schema(), indent=2))


@app.command()
def run(
    scenario: Path = ScenarioArg,
    seed: int | None = typer.Option(None, help="random seed (default: the scenario's)"),
    out: Path | None = typer.Option(None, help="output folder (default: runs/<scenario>-seed<seed>)"),
    html: bool = typer.Option(False, "--html", help="also write an interactive replay.html"),
    no_skip: bool = typer.Option(False, "--no-skip", help="step every tick (no skipping of quiet ticks)"),
) -> None:
    """Run a scenario once; print its summary and write summary.json, series.parquet, events.jsonl."""
    s = load_or_exit(scenario)
    model = RippleModel(s, seed=seed, skip_quiet=not no_skip)
    with console.status(f"running {s.id} ({model.n_ticks} ticks)"):
        result = model.run()
    folder = out or Path("runs") / f"{s.id}-seed{model.seed}"
    result.save(folder)
    if html:
        from dashboards.replay import write_replay

        write_replay(result, model.network, folder / "replay.html")
    console.print(summary_table(result))
    console.print(f"wrote {folder}/", highlight=False)
