"""``ripple run``, ``ripple validate`` and ``ripple schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ripple.app import app, console, load_or_exit

if TYPE_CHECKING:
    from rich.table import Table

    from sim.results import RunResult
    from sim.scenario import Scenario

__all__ = ["describe", "run", "schema", "summary_table", "validate"]

ScenarioArg = typer.Argument(..., help="scenario file (YAML)", show_default=False)


def describe(s: Scenario) -> str:
    """A scenario in one line: its size, attacks, responders and clock.

    Parameters
    ----------
    s : Scenario
        A loaded scenario (its network as columns).

    Returns
    -------
    str
        Name, counts of nodes, sectors, links, dependencies, attack actions and
        responder units, then the run's length in hours and tick in minutes.
    """
    net = s.network.tables
    actions = sum(len(a.plan) for a in s.attackers)
    units = sum(t.count for t in s.responders.values())
    return (f"{s.name}: {net.n_nodes} nodes in {len(net.sector_names)} sectors, {net.n_links} links, "
            f"{net.n_dependencies} dependencies; {actions} attack actions, {units} responder units; "
            f"{s.clock.duration / 3600:g}h at {s.clock.tick / 60:g}min ticks")


def summary_table(result: RunResult) -> Table:
    """A run's metrics as a terminal table, labelled and formatted by the metric catalogue.

    Parameters
    ----------
    result : RunResult
        A finished run.

    Returns
    -------
    Table
        One row per summary metric, then each sector's resilience loss and unserved
        person-hours, then the attack counts.
    """
    from rich.table import Table

    from sim.metrics import SUMMARY, metric

    m = result.metrics
    table = Table(title=f"{result.scenario_name} (seed {result.seed})", show_header=True)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name in SUMMARY:
        table.add_row(metric(name).label, metric(name).format(m.get(name)))
    for sector in result.sectors:
        loss, unserved = (f"{prefix}_{sector}" for prefix in ("resilience_loss_h", "unserved_person_h"))
        table.add_row(f"  {sector}: resilience loss / unserved",
                      f"{metric(loss).format(m.get(loss))} / {metric(unserved).format(m.get(unserved))}")
    attacks = [name for name in m if name.startswith("attacks_")]
    table.add_row("attacks: " + " / ".join(name.removeprefix("attacks_") for name in attacks),
                  " / ".join(metric(name).number(m[name]) for name in attacks))
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
    from sim.scenario import Scenario
    from sim.scenario.reference import scenario_reference

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
    from sim.model import RippleModel

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
