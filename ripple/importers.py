"""``ripple import``: networks of other tools as ripple network files (pandapower, EPANET)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ripple.app import app, console, errors, fail

if TYPE_CHECKING:
    from sim.scenario.importers import ImportReport
    from sim.scenario.netdata import NetworkTables

__all__ = ["epanet", "importer", "pandapower", "parse_origin"]

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


def parse_origin(text: str | None) -> tuple[float, float] | None:
    """``--origin LON,LAT`` as two numbers, or exit 2 with a message.

    Parameters
    ----------
    text : str or None
        e.g. ``"7.8,48.0"``; None when the option is not given.

    Returns
    -------
    tuple of float or None
        Longitude, latitude in degrees.
    """
    if text is None:
        return None
    try:
        lon, lat = (float(part) for part in text.split(","))
    except ValueError:
        fail(f"--origin '{text}': expected LON,LAT in degrees, e.g. 7.8,48.0")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        fail(f"--origin '{text}': longitude must lie within -180..180 and latitude within -90..90")
    return lon, lat


def _wrote(out: Path, tables: NetworkTables, report: ImportReport) -> None:
    """Print the report (warnings on stderr) and what was written."""
    for line in report.lines():
        (errors if line.startswith("warning:") else console).print(line, highlight=False, markup=False, soft_wrap=True)
    console.print(f"wrote {out}: {tables.n_nodes} nodes, {tables.n_links} links "
                  f"({int(tables.link_open.sum())} normally-open ties), {tables.n_dependencies} dependencies, "
                  f"coordinates km", highlight=False, soft_wrap=True)


@importer.command()
def epanet(
    source: Path = typer.Argument(..., help="an EPANET input file (.inp)", show_default=False),
    out: Path = typer.Option(..., "--out", help="network file to write; its extension picks the format "
                             "(.yaml, .json, .graphml, .parquet)", show_default=False),
    sector: str = typer.Option("water", "--sector", help="sector of every node"),
    prefix: str = typer.Option("", "--prefix", help="put before every node id (the EPANET id)"),
    people_per_lps: float = typer.Option(432.0, "--people-per-lps", min=0.0,
                                         help="people served per L/s of average demand (200 L per person a day)"),
    crs: str = typer.Option(None, "--crs", help="the coordinates are real ones in this CRS, e.g. EPSG:2229",
                            show_default=False),
    units: str = typer.Option(None, "--units", help="units of the drawing: m, km, ft, us-ft "
                              "(default: ft for US flow units, else m)", show_default=False),
    origin: str = typer.Option(None, "--origin", metavar="LON,LAT", help="where the drawing's 0,0 lies",
                               show_default=False),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists"),
) -> None:
    """Import an EPANET water network: junctions, tanks, reservoirs, pipes, pumps and valves as nodes, tank buffers."""
    from sim.scenario.importers import ImportFailed
    from rich.markup import escape

    from sim.scenario.importers.epanet import import_epanet
    from sim.scenario.netdata import write_network

    place = parse_origin(origin)
    try:
        tables, report = import_epanet(source, sector=sector, prefix=prefix, crs=crs, units=units, origin=place,
                                       people_per_lps=people_per_lps)
        write_network(tables, out, force=force)
    except (ImportFailed, FileExistsError, ValueError) as exc:
        fail(escape(str(exc)))      # an .inp line may hold [brackets]
    _wrote(out, tables, report)
