"""``ripple powerflow``: the intact network's DC power flow, to check the model against one's
own tools (docs/physics.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ripple.app import app, console, fail, load_or_exit

if TYPE_CHECKING:
    from sim.scenario import Scenario
    from sim.scenario.netdata import NetworkTables

__all__ = ["FLOW_COLUMNS", "flow_rows", "powerflow"]

FLOW_COLUMNS = ("sector", "line", "a", "b", "x_pu", "flow_mw", "rating_mva", "loading")


def _is_scenario(path: Path) -> bool:
    """A YAML file with a top-level ``network`` key (a network file has ``nodes``)."""
    if path.suffix.lower() not in (".yaml", ".yml") or not path.is_file():
        return False
    from sim.scenario.yamlfile import read_yaml

    try:
        data = read_yaml(path, str(path))[0]
    except Exception:   # an unreadable file: the readers below say what is wrong with it
        return False
    return isinstance(data, dict) and "network" in data


def _network(source: Path) -> tuple["NetworkTables", "Scenario | None"]:
    """The network of a scenario or of any network file ``ripple import`` or a part reads."""
    from sim.network import network_tables
    from sim.scenario.importers.report import ImportFailed
    from sim.scenario.importers.sources import import_file

    if _is_scenario(source):
        scenario = load_or_exit(source)
        return network_tables(scenario), scenario
    try:
        return import_file(source)[0], None
    except (ImportFailed, ValueError) as exc:
        fail(str(exc))


def flow_rows(tables: "NetworkTables", scenario: "Scenario | None", sectors: list[str]) -> list[dict[str, Any]]:
    """The intact network's DC flow, one row of :data:`FLOW_COLUMNS` per branch.

    Parameters
    ----------
    tables : NetworkTables
        The network.
    scenario : Scenario or None
        Its scenario (its ``rating_from_flow`` applies), if any.
    sectors : list of str
        The sectors to solve.

    Returns
    -------
    list of dict
        ``loading`` is ``|flow_mw| / rating_mva`` (None without a rating).
    """
    import numpy as np

    from sim.physics.cascade import rating_from_flow
    from sim.physics.dcflow import dc_flow
    from sim.physics.grid import Grid

    rows = []
    for name in sectors:
        grid = Grid.from_tables(tables, tables.sector_names.index(name))
        spec = scenario.sectors.get(name) if scenario is not None else None
        rating = grid.rating_mva if spec is None or spec.rating_from_flow is None else rating_from_flow(
            grid, spec.rating_from_flow)
        flow = dc_flow(grid, grid.closed, np.ones(grid.n_bus, bool)).flow_mw
        for k in range(grid.n_line):
            a, b = tables.ids[grid.bus_node[grid.line_a[k]]], tables.ids[grid.bus_node[grid.line_b[k]]]
            f = None if np.isnan(flow[k]) else float(flow[k])
            r = float(rating[k]) if np.isfinite(rating[k]) else None
            rows.append({"sector": name, "line": grid.line_id[k], "a": a, "b": b, "x_pu": float(grid.x_pu[k]),
                         "flow_mw": f, "rating_mva": r,
                         "loading": abs(f) / r if f is not None and r else None})
    return rows


@app.command()
def powerflow(
    source: Path = typer.Argument(..., help="scenario file, or a network file (ripple's, or a pandapower .json)",
                                  show_default=False),
    sector: list[str] = typer.Option([], "--sector", help="sector to solve (repeatable); default: the scenario's "
                                     "physics: dc sectors, else energy"),
    out: Path | None = typer.Option(None, "--out", help="write every branch's flow to this Parquet file"),
    top: int = typer.Option(10, "--top", help="list this many most loaded branches"),
) -> None:
    """The intact network's DC power flow: each branch's flow and loading, as `physics: dc` computes them."""
    from sim.physics.grid import GridError

    tables, scenario = _network(source)
    chosen = list(sector) or ([name for name, spec in scenario.sectors.items() if spec.physics == "dc"]
                              if scenario is not None else [])
    if not chosen:
        chosen = ["energy"]
    for name in chosen:
        if name not in tables.sector_names:
            fail(f"no sector '{name}' in {source} (sectors: {', '.join(tables.sector_names)})")
    try:
        rows = flow_rows(tables, scenario, chosen)
    except GridError as exc:
        fail(str(exc))
    if out is not None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.Table.from_pylist(rows), out)
    rated = sorted((r for r in rows if r["loading"] is not None), key=lambda r: -r["loading"])
    console.print(f"{source}: {len(rows)} branches in {', '.join(chosen)}; "
                  f"{len(rated)} rated, the most loaded at {rated[0]['loading']:.1%}" if rated else
                  f"{source}: {len(rows)} branches in {', '.join(chosen)}; none rated", highlight=False, soft_wrap=True)
    for r in rated[:top]:
        console.print(f"  {r['line']:<16} {r['a']} - {r['b']}: {r['flow_mw']:10.3f} MW of {r['rating_mva']:10.3f} MVA "
                      f"({r['loading']:.1%})", highlight=False, soft_wrap=True)
    if out is not None:
        console.print(f"wrote {out}", highlight=False)
