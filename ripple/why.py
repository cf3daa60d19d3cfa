"""``ripple why RUN_DIR NODE [--at T+h:mm]``: why a node of a saved run was down, as a tree
of causes down to the attacks (read from the run's ``events.jsonl``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ripple.app import app, console, fail, load_or_exit

if TYPE_CHECKING:
    from rich.tree import Tree

    from sim.causes import Step

__all__ = ["rich_tree", "why"]


def rich_tree(step: Step) -> Tree:
    """A tree of causes (:class:`sim.causes.Step`) as a rich Tree, attacks in bold.

    Parameters
    ----------
    step : Step
        The root of the tree.

    Returns
    -------
    rich.tree.Tree
        The same lines, drawn by rich.
    """
    from rich.text import Text
    from rich.tree import Tree

    def label(s: Step) -> Text:
        return Text(s.text, style="bold red" if s.attack is not None else "")

    tree = Tree(label(step))
    stack = [(tree, step)]
    while stack:
        branch, node = stack.pop()
        for child in node.children:
            stack.append((branch.add(label(child)), child))
    return tree


def _read_run(folder: Path) -> tuple[float, list[dict]]:
    """The tick length and the events of a saved run; exit 2 when the folder is not one."""
    try:
        tick_seconds = float(json.loads((folder / "summary.json").read_text())["tick_seconds"])
        with open(folder / "events.jsonl") as lines:
            events = [json.loads(line) for line in lines if line.strip()]
    except FileNotFoundError as exc:
        fail(f"{folder} is not a run folder: {Path(exc.filename).name} is missing (`ripple run` writes one)")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        fail(f"cannot read the run in {folder}: {exc}")
    return tick_seconds, events


@app.command()
def why(
    run_dir: Path = typer.Argument(..., help="a run folder written by `ripple run`", show_default=False),
    node: str = typer.Argument(..., help="the node: its id, or its name with --scenario", show_default=False),
    at: str | None = typer.Option(None, "--at", help="the time to explain, T+h:mm (default: the node's most "
                                  "recent outage)"),
    scenario: Path | None = typer.Option(None, "--scenario", help="the run's scenario, to name nodes and find "
                                         "them by name"),
) -> None:
    """Why was a node down? Its chain of causes as a tree down to the attacks, each named by
    its attacker and tactic."""
    from sim.causes import Timeline, find_node, why as chain
    from sim.scenario.timefmt import format_clock, parse_duration

    tick_seconds, events = _read_run(run_dir)
    ids: list[str] = sorted({str(e["node"]) for e in events if e.get("node") is not None})
    names: list[str] = []
    if scenario is not None:
        tables = load_or_exit(scenario).network.tables
        ids, names = list(tables.ids), list(tables.name)
    try:
        node_id = find_node(node, ids, names)
    except ValueError as exc:
        fail(f"{exc} in the scenario" if scenario else
             f"{exc} among the nodes of this run's events (a node never down is in none; give --scenario FILE "
             "to look nodes up by name)")
    tick = None
    if at is not None:
        try:
            tick = int(parse_duration(at) // tick_seconds + 1e-9)
        except ValueError as exc:
            fail(f"--at: {exc}")
    label = {i: n or i for i, n in zip(ids, names)}
    clock = lambda t: format_clock(t * tick_seconds)  # noqa: E731
    tree = chain(Timeline(events), node_id, tick, lambda i: label.get(i, i), clock)
    if tree is None:
        shown = label.get(node_id, node_id)
        fail(f"{shown} was not down at {at}" if at else f"{shown} was never down in this run")
    console.print(rich_tree(tree), highlight=False)
