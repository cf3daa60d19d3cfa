"""``ripple network``: convert a network file to another format (YAML, JSON, GraphML, Parquet),
and show a scenario's network as loaded (parts composed, rules expanded), exporting its tables."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ripple.app import app, console, errors, fail, load_or_exit

if TYPE_CHECKING:
    from sim.scenario.netdata import NetworkTables

__all__ = ["DEPENDENCY_COLUMNS", "NODE_COLUMNS", "convert", "dependency_rows", "network", "node_rows", "show"]

DEPENDENCY_COLUMNS = ("node", "resource", "kind", "suppliers", "need", "buffer", "rule")
NODE_COLUMNS = ("id", "name", "sector", "kind", "x", "y", "population", "source")

network = typer.Typer(help="Network files: convert between YAML, JSON, GraphML and Parquet; show a scenario's "
                      "network as loaded.", no_args_is_help=True)
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


def dependency_rows(tables: NetworkTables, rule: Any) -> list[dict[str, Any]]:
    """The network's dependencies as rows of :data:`DEPENDENCY_COLUMNS`.

    Parameters
    ----------
    tables : NetworkTables
        The network as loaded.
    rule : numpy.ndarray or None
        Per dependency, the rule it was expanded from (-1: written out); None: all written out.

    Returns
    -------
    list of dict
        ``suppliers`` space-separated ids, ``buffer`` as scenario files write it (``3h``),
        ``kind`` empty for the resource's default, ``rule`` the rule's index or ``explicit``.
    """
    from sim.scenario.netdata.tables import format_seconds
    from sim.scenario.schema import RESOURCES

    ids, bounds, suppliers = tables.ids, tables.supplier_bounds().tolist(), tables.supplier_node.tolist()
    origin = [-1] * tables.n_dependencies if rule is None else rule.tolist()
    rows = []
    columns = zip(tables.dep_node.tolist(), tables.dep_resource.tolist(), tables.dep_kind, tables.dep_need.tolist(),
                  tables.dep_buffer_s.tolist(), origin)
    for g, (node, resource, kind, need, buffer, from_rule) in enumerate(columns):
        rows.append({"node": ids[node], "resource": RESOURCES[resource], "kind": kind or "",
                     "suppliers": " ".join(ids[s] for s in suppliers[bounds[g]:bounds[g + 1]]), "need": need,
                     "buffer": format_seconds(buffer), "rule": "explicit" if from_rule < 0 else from_rule})
    return rows


def node_rows(tables: NetworkTables) -> list[dict[str, Any]]:
    """The network's nodes as rows of :data:`NODE_COLUMNS` (positions km in the scenario's frame).

    Parameters
    ----------
    tables : NetworkTables
        The network as loaded.

    Returns
    -------
    list of dict
    """
    columns = zip(tables.ids, tables.name, tables.sector.tolist(), tables.kind, tables.x.tolist(), tables.y.tolist(),
                  tables.population.tolist(), tables.source.tolist())
    return [{"id": node_id, "name": name or node_id, "sector": tables.sector_names[code], "kind": kind, "x": x, "y": y,
             "population": population, "source": source}
            for node_id, name, code, kind, x, y, population, source in columns]


def _write_csv(rows: list[dict[str, Any]], columns: tuple[str, ...], path: Path, force: bool) -> None:
    """Rows as a CSV file with a header; exit 2 when ``path`` exists and ``force`` is not given."""
    if path.exists() and not force:
        fail(f"{path} exists (use --force to replace it)")
    try:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            writer.writerows(rows)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")


def _summary(scenario: Any) -> list[str]:
    """What ``network show`` prints: parts, frame, nodes per sector, links, ties, dependencies by origin."""
    import numpy as np

    data, tables = scenario.network, scenario.network.tables
    lines = [f"parts: {len(data.parts)}: " + ", ".join(f"{p.file}" + (f" (prefix {p.prefix})" if p.prefix else "")
                                                    for p in data.parts)
             if data.parts is not None else f"file: {data.file}" if data.file else "inline network"]
    lines.append(f"frame: {tables.crs}" if tables.crs else "frame: none (positions are km of a drawing)")
    counts = np.bincount(tables.sector, minlength=len(tables.sector_names))
    sources = np.bincount(tables.sector[tables.source], minlength=len(tables.sector_names))
    lines.append(f"nodes: {tables.n_nodes} in {len(tables.sector_names)} sectors: " + ", ".join(
        f"{name} {count}" + (f" ({src} sources)" if src else "")
        for name, count, src in zip(tables.sector_names, counts.tolist(), sources.tolist())))
    ties = int(tables.link_open.sum())
    lines.append(f"links: {tables.n_links} ({ties} normally-open ties)")
    rule = data.dependency_rule
    from_rules = 0 if rule is None else int((rule >= 0).sum())
    per_rule = "" if rule is None or not from_rules else " (" + ", ".join(
        f"rule {i}: {n}" for i, n in enumerate(np.bincount(rule[rule >= 0], minlength=len(data.rules)).tolist())) + ")"
    lines.append(f"dependencies: {tables.n_dependencies}: {from_rules} from rules{per_rule}, "
                 f"{tables.n_dependencies - from_rules} written out")
    return lines


@network.command()
def show(
    scenario: Path = typer.Argument(..., help="scenario file", show_default=False),
    dependencies: Path | None = typer.Option(None, "--dependencies", help="write the expanded dependency table "
                                             "to this CSV file (node, resource, kind, suppliers, need, buffer, rule)",
                                             show_default=False),
    nodes: Path | None = typer.Option(None, "--nodes", help="write the nodes (id, name, sector, kind, x, y, "
                                      "population, source) to this CSV file", show_default=False),
    force: bool = typer.Option(False, "--force", help="replace the CSV files if they exist"),
) -> None:
    """Show a scenario's network as loaded: parts, frame, nodes per sector, links, ties, and its
    dependencies, those expanded from rules counted apart; export them to review or pin."""
    s = load_or_exit(scenario)
    for line in _summary(s):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    for warning in s.network.warnings:
        errors.print(f"warning: {warning}", highlight=False, markup=False, soft_wrap=True)
    tables = s.network.tables
    if dependencies is not None:
        _write_csv(dependency_rows(tables, s.network.dependency_rule), DEPENDENCY_COLUMNS, dependencies, force)
        console.print(f"wrote {dependencies}: {tables.n_dependencies} dependencies", highlight=False, soft_wrap=True)
    if nodes is not None:
        _write_csv(node_rows(tables), NODE_COLUMNS, nodes, force)
        console.print(f"wrote {nodes}: {tables.n_nodes} nodes", highlight=False, soft_wrap=True)
