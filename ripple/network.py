"""``ripple network convert``: a network file in another format (YAML, JSON, GraphML, Parquet)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ripple.app import app, console, errors, fail, load_or_exit

if TYPE_CHECKING:
    from sim.scenario.netdata import NetworkTables

__all__ = ["convert", "network"]

network = typer.Typer(help="Network files: convert between YAML, JSON, GraphML and Parquet.", no_args_is_help=True)
app.add_typer(network, name="network")


def _tables(source: Path) -> NetworkTables:
    """The network of a network file, or of a scenario file; every problem and exit 2 if bad."""
    from sim.scenario.netdata import read_network
    from sim.scenario import ScenarioError

    try:
        return read_network(source)
    except ValueError as exc:
        fail(str(exc))
    except ScenarioError as exc:
        if not any(p.field == "network" for p in exc.problems):     # a scenario file has a 'network' key
            for problem in exc.problems:
                errors.print(str(problem), highlight=False, markup=False, soft_wrap=True)
            plural = "s" if len(exc.problems) > 1 else ""
            fail(f"{len(exc.problems)} problem{plural} in {source}")
    return load_or_exit(source).network.tables


@network.command()
def convert(
    source: Path = typer.Argument(..., help="network file (.yaml, .json, .graphml, .parquet) or scenario file",
                                  show_default=False),
    target: Path = typer.Argument(..., help="output; its extension picks the format", show_default=False),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists"),
) -> None:
    """Convert a network between formats; a scenario file's network may be converted too."""
    from sim.scenario.netdata import write_network

    tables = _tables(source)
    try:
        write_network(tables, target, force=force)
    except (FileExistsError, ValueError) as exc:
        fail(str(exc))
    console.print(f"wrote {target}: {tables.n_nodes} nodes, {tables.n_links} links, "
                  f"{tables.n_dependencies} dependencies", highlight=False, soft_wrap=True)
