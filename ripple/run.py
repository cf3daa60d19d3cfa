"""``ripple run``, ``ripple validate`` and ``ripple schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ripple.app import app, console, errors, fail, load_or_exit, scenario_problems

if TYPE_CHECKING:
    from rich.table import Table

    from sim.results import RunResult
    from sim.scenario import Scenario

__all__ = ["RUN_FILES", "describe", "load_with_sets", "out_folder", "print_warnings", "map_layers", "run", "schema",
           "summary_table", "validate"]

# what `ripple run` writes into its folder (RunResult.save, and replay.html with --html)
RUN_FILES = ("summary.json", "series.parquet", "nodes.parquet", "events.jsonl", "replay.html")

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


def print_warnings(warnings: list[str] | tuple[str, ...]) -> None:
    """Print each warning on its own line on stderr, as ``warning: …``.

    Parameters
    ----------
    warnings : list of str
        The warnings (:func:`sim.scenario.sanity.sanity_warnings`).
    """
    for line in warnings:
        errors.print(f"[yellow]warning:[/] {line}", highlight=False, soft_wrap=True)


@app.command()
def validate(scenario: Path = ScenarioArg) -> None:
    """Check a scenario file; print 'ok' and a one-line summary, then any warnings, or every problem with file:line."""
    from sim.network import network_tables
    from sim.physics.build import Physics
    from sim.scenario.sanity import sanity_warnings

    s = load_or_exit(scenario)
    background = map_layers(scenario, s)
    console.print(f"ok: {scenario}: {describe(s)}", highlight=False, soft_wrap=True)
    physics = Physics.of(s, network_tables(s))
    print_warnings([*sanity_warnings(s), *(physics.warnings if physics is not None else ()),
                    *(shapes.note for shapes in background if shapes.note)])


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


def out_folder(folder: Path, force: bool) -> Path:
    """Check the output folder of a run before running it, and clear an earlier run's files.

    Parameters
    ----------
    folder : Path
        Where the run goes.
    force : bool
        Replace the files of an earlier run there (:data:`RUN_FILES`; other files stay).

    Returns
    -------
    Path
        ``folder``, ready to be written.

    Raises
    ------
    typer.Exit
        With code 2 when ``folder`` is a file, or holds files and ``force`` is not given
        (two runs' files must not mix).
    """
    if folder.exists() and not folder.is_dir():
        fail(f"--out {folder} is a file, not a folder")
    if folder.is_dir() and any(folder.iterdir()):
        if not force:
            fail(f"{folder} is not empty; pass --force to replace an earlier run's files there, or choose "
                 "another --out")
        for name in RUN_FILES:
            (folder / name).unlink(missing_ok=True)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create --out {folder}: {exc.strerror or exc}")
    return folder


def load_with_sets(path: Path, sets: list[str]) -> Scenario:
    """Load a scenario with ``--set path=value`` overrides, as ``ripple batch`` applies them.

    Parameters
    ----------
    path : Path
        The scenario file.
    sets : list of str
        ``path=value`` overrides (:func:`sim.overrides.parse_set`), applied in order.

    Returns
    -------
    Scenario
        The validated scenario, overrides applied.

    Raises
    ------
    typer.Exit
        With code 2 for a problem of the file (every one, with file:line) or of an
        override (naming the ``--set``).
    """
    if not sets:
        return load_or_exit(path)
    from sim.overrides import OverrideError, parse_set, prepare

    with scenario_problems(path):
        try:
            return prepare(path, [parse_set(spec) for spec in sets]).scenario
        except OverrideError as exc:
            fail(str(exc))


def map_layers(path: Path, s: Scenario) -> list:
    """The scenario's map layers, read and placed; a layer that cannot be read prints its
    problem at the file and line of its entry and exits with code 2. A layer taken in the
    network's coordinates for want of a CRS carries a note saying so (a warning to print).

    Parameters
    ----------
    path : Path
        The scenario file (to point at the layer's line).
    s : Scenario
        The loaded scenario.

    Returns
    -------
    list of sim.scenario.maplayers.LayerShapes
    """
    if not s.map.layers:
        return []
    from dashboards.layers import map_background
    from sim.scenario.loader import located
    from sim.scenario.maplayers import LayerUnreadable

    with scenario_problems(path):
        try:
            background = map_background(s)
        except LayerUnreadable as exc:
            raise located(path, [(("map", "layers", exc.index, "file"), str(exc))]) from None
    return background


@app.command()
def run(
    scenario: Path = ScenarioArg,
    seed: int | None = typer.Option(None, min=0, help="random seed, ≥ 0 (default: the scenario's)"),
    out: Path | None = typer.Option(None, help="output folder (default: runs/<scenario>-seed<seed>)"),
    html: bool = typer.Option(False, "--html", help="also write an interactive replay.html"),
    no_skip: bool = typer.Option(False, "--no-skip", help="step every tick (no skipping of quiet ticks)"),
    force: bool = typer.Option(False, "--force", help="replace the run files of an earlier run in the output folder"),
    sets: list[str] = typer.Option([], "--set", help="override a scenario field: path=value (repeatable), e.g. "
                                   "attackers.0.plan.0.target.fraction=0.4"),
) -> None:
    """Run a scenario once; print its summary and write summary.json, series.parquet, events.jsonl."""
    from sim.model import RippleModel

    s = load_with_sets(scenario, sets)
    background = map_layers(scenario, s) if html else []      # a bad layer stops the run before any file goes
    folder = out_folder(out or Path("runs") / f"{s.id}-seed{s.seed if seed is None else seed}", force)
    model = RippleModel(s, seed=seed, skip_quiet=not no_skip)
    print_warnings(model.scenario_warnings)
    print_warnings([shapes.note for shapes in background if shapes.note])
    with console.status(f"running {s.id} ({model.n_ticks} ticks)"):
        result = model.run()
    try:
        result.save(folder)
        if html:
            from dashboards.replay import write_replay

            write_replay(result, model.network, folder / "replay.html", background)
    except OSError as exc:
        fail(f"cannot write the run to {folder}: {exc.strerror or exc}")
    console.print(summary_table(result))
    print_warnings(result.warnings[len(model.scenario_warnings):])      # what the run did with unplaced nodes
    console.print(f"wrote {folder}/", highlight=False)
