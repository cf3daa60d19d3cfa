"""``ripple import``: networks of other tools as ripple network files (pandapower so far)."""

from __future__ import annotations

from pathlib import Path

import typer

from ripple.app import app, console, errors, fail

__all__ = ["importer", "pandapower"]

importer = typer.Typer(help="Import networks of other tools as ripple network files.", no_args_is_help=True)
app.add_typer(importer, name="import")


@importer.command()
def pandapower(
    source: Path = typer.Argument(..., help="a pandapower network saved with pandapower.to_json", show_default=False),
    out: Path = typer.Option(..., "--out", help="network file to write; its extension picks the format "
                             "(.yaml, .json, .graphml, .parquet)", show_default=False),
    sector: str = typer.Option("energy", "--sector", help="sector of every bus"),
    prefix: str = typer.Option("", "--prefix", help="put before every node id (bus<index>)"),
    people_per_mw: float = typer.Option(1000.0, "--people-per-mw", min=0.0,
                                        help="people served per MW of load (about 1 kW of peak demand per person)"),
    crs: str = typer.Option("EPSG:4326", "--crs", help="CRS of the bus coordinates, e.g. EPSG:25832"),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists"),
) -> None:
    """Import a pandapower grid: buses, lines, transformers, switches, sources, loads, positions in km."""
    from sim.scenario.importers import ImportFailed
    from sim.scenario.importers.pandapower import import_pandapower
    from sim.scenario.netdata import write_network

    try:
        tables, report = import_pandapower(source, sector=sector, prefix=prefix, people_per_mw=people_per_mw, crs=crs)
        write_network(tables, out, force=force)
    except (ImportFailed, FileExistsError, ValueError) as exc:
        fail(str(exc))
    for line in report.lines():
        (errors if line.startswith("warning:") else console).print(line, highlight=False, markup=False, soft_wrap=True)
    console.print(f"wrote {out}: {tables.n_nodes} nodes, {tables.n_links} links "
                  f"({int(tables.link_open.sum())} normally-open ties), coordinates km", highlight=False, soft_wrap=True)
