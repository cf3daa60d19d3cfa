"""``ripple import``: networks of other tools as ripple network files (pandapower, EPANET, GIS layers, GraphML)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import typer
from rich.markup import escape

from ripple.app import app, console, errors, fail

if TYPE_CHECKING:
    from sim.scenario.importers import ImportReport
    from sim.scenario.netdata import NetworkTables

__all__ = ["epanet", "gis", "graphml", "importer", "pandapower"]

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
    from sim.scenario.importers.pandapower import import_pandapower

    _import_and_write(partial(import_pandapower, source, sector=sector, prefix=prefix, people_per_mw=people_per_mw,
                              crs=crs), out, force)


def _origin(text: str | None) -> tuple[float, float] | None:
    """``--origin LON,LAT`` as two numbers; a bad one fails with exit 2."""
    if text is None:
        return None
    try:
        lon, lat = (float(part) for part in text.split(","))
    except ValueError:
        fail(f"--origin {escape(text)}: write the longitude and latitude of the drawing's 0, 0 in degrees, e.g. 7.8,48.0")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        fail(f"--origin {escape(text)}: longitude within ±180 and latitude within ±90, in degrees")
    return lon, lat


def _import_and_write(read: Callable[[], tuple[NetworkTables, ImportReport]], out: Path, force: bool) -> None:
    """Run an import, write its network to ``out`` and print what it did; exit 2 on bad input."""
    from sim.scenario.importers import ImportFailed
    from sim.scenario.netdata import write_network

    try:
        tables, report = read()
        write_network(tables, out, force=force)
    except (ImportFailed, FileExistsError, ValueError) as exc:
        fail(escape(str(exc)))
    _written(tables, report, out)


def _written(tables: NetworkTables, report: ImportReport, out: Path) -> None:
    """Print what an import mapped, dropped and left unplaced (warnings on stderr), then what it wrote."""
    for line in report.lines():
        (errors if line.startswith("warning:") else console).print(line, highlight=False, markup=False, soft_wrap=True)
    console.print(f"wrote {out}: {tables.n_nodes} nodes, {tables.n_links} links "
                  f"({int(tables.link_open.sum())} normally-open ties), {tables.n_dependencies} dependencies, "
                  f"coordinates km", highlight=False, markup=False, soft_wrap=True)


_OUT_HELP = "network file to write; its extension picks the format (.yaml, .json, .graphml, .parquet)"
_CRS_HELP = "CRS of the positions when the source declares none, e.g. EPSG:25832"
_UNITS_HELP = ("the positions are an unreferenced drawing in these units: m, km, ft or us-ft, or the length "
               "of one drawing unit, e.g. 300m")
_ORIGIN_HELP = "longitude,latitude of the drawing's 0,0 (with --units), e.g. 7.8,48.0"


@importer.command()
def gis(
    source: Path = typer.Argument(..., help="a GIS layer: GeoJSON, GeoPackage, shapefile …", show_default=False),
    out: Path = typer.Option(..., "--out", help=_OUT_HELP, show_default=False),
    sector: str = typer.Option(..., "--sector", help="sector of every node, e.g. health", show_default=False),
    layer: str = typer.Option(None, "--layer", help="the layer to read, when the file has several", show_default=False),
    id_field: str = typer.Option(None, "--id-field", help="field with each feature's unique id "
                                 "[default: id if the layer has it, else feature<FID>]", show_default=False),
    kind_field: str = typer.Option(None, "--kind-field", help="field with each feature's kind", show_default=False),
    name_field: str = typer.Option(None, "--name-field", help="field with each feature's name "
                                   "[default: name if the layer has it]", show_default=False),
    population_field: str = typer.Option(None, "--population-field", help="field with the people each node serves",
                                         show_default=False),
    source_where: str = typer.Option(None, "--source-where", metavar="QUERY", help="pandas query on the fields that selects the "
                                     "sources, e.g. \"type == 'plant'\"", show_default=False),
    open_where: str = typer.Option(None, "--open-where", metavar="QUERY", help="pandas query on the fields that selects the lines "
                                   "that are normally-open ties, e.g. \"status == 'open'\"", show_default=False),
    snap: float = typer.Option(50.0, "--snap", min=0.0, help="metres a line end may be from the node it joins"),
    mapping: list[str] = typer.Option([], "--map", metavar="FIELD=ATTRIBUTE", help="FIELD=ATTRIBUTE[*FACTOR]: read a "
                                      "power-flow field from a field of the layer, nodes' from points and polygons, "
                                      "links' from lines, e.g. p_load_mw=load_kw*0.001, slack=is_slack, "
                                      "rating_mva=thermal_mw, x_ohm=reactance with vn_kv=kv (repeat it)",
                                      show_default=False),
    prefix: str = typer.Option("", "--prefix", help="put before every node and link id"),
    crs: str = typer.Option(None, "--crs", help=_CRS_HELP, show_default=False),
    units: str = typer.Option(None, "--units", metavar="m|km|ft|us-ft", help=_UNITS_HELP, show_default=False),
    origin: str = typer.Option(None, "--origin", metavar="LON,LAT", help=_ORIGIN_HELP, show_default=False),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists"),
) -> None:
    """Import a GIS layer: points and polygons become nodes, lines links snapped to them, positions in km."""
    from sim.scenario.importers.fieldmap import parse_mapping
    from sim.scenario.importers.gis import import_gis

    place = _origin(origin)
    _import_and_write(lambda: import_gis(source, sector=sector, prefix=prefix, crs=crs, units=units, origin=place,
                                         layer=layer, id_field=id_field, kind_field=kind_field, name_field=name_field,
                                         population_field=population_field, source_where=source_where,
                                         open_where=open_where, snap_m=snap, mapping=parse_mapping(mapping)),
                      out, force)     # a bad --map fails inside


@importer.command()
def graphml(
    source: Path = typer.Argument(..., help="a GraphML file of another tool (networkx, yEd, Gephi …)",
                                  show_default=False),
    out: Path = typer.Option(..., "--out", help=_OUT_HELP, show_default=False),
    mapping: list[str] = typer.Option([], "--map", metavar="FIELD=ATTRIBUTE", help="FIELD=ATTRIBUTE[*FACTOR]: read a ripple field from "
                                      "another attribute, e.g. population=load_mw*1000, x=lon, sector=layer, "
                                      "source=is_plant, or a power-flow field: x_pu=reactance, rating_mva=thermal_mw, "
                                      "p_load_mw=load_kw*0.001, slack=is_slack (repeat it)", show_default=False),
    sector: str = typer.Option(None, "--sector", help="sector of the nodes that have none", show_default=False),
    prefix: str = typer.Option("", "--prefix", help="put before every node and link id"),
    crs: str = typer.Option(None, "--crs", help=_CRS_HELP, show_default=False),
    units: str = typer.Option(None, "--units", metavar="m|km|ft|us-ft", help=_UNITS_HELP, show_default=False),
    origin: str = typer.Option(None, "--origin", metavar="LON,LAT", help=_ORIGIN_HELP, show_default=False),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists"),
) -> None:
    """Import a GraphML graph: nodes, edges as links, directed edges with a resource as dependencies."""
    from sim.scenario.importers.fieldmap import parse_mapping
    from sim.scenario.importers.graphml import import_graphml

    place = _origin(origin)
    _import_and_write(lambda: import_graphml(source, sector=sector, prefix=prefix, crs=crs, units=units, origin=place,
                                             mapping=parse_mapping(mapping)), out, force)     # a bad --map fails inside


@importer.command()
def epanet(
    source: Path = typer.Argument(..., help="an EPANET input file (.inp)", show_default=False),
    out: Path = typer.Option(..., "--out", help=_OUT_HELP, show_default=False),
    sector: str = typer.Option("water", "--sector", help="sector of every node"),
    prefix: str = typer.Option("", "--prefix", help="put before every node id (the EPANET id)"),
    people_per_lps: float = typer.Option(432.0, "--people-per-lps", min=0.0,
                                         help="people served per L/s of average demand (200 L per person a day)"),
    crs: str = typer.Option(None, "--crs", help="the coordinates are real ones in this CRS, e.g. EPSG:2229",
                            show_default=False),
    units: str = typer.Option(None, "--units", metavar="m|km|ft|us-ft", help=_UNITS_HELP + " [default: ft for US flow "
                              "units, else m]", show_default=False),
    origin: str = typer.Option(None, "--origin", metavar="LON,LAT", help=_ORIGIN_HELP, show_default=False),
    force: bool = typer.Option(False, "--force", help="replace OUT if it exists"),
) -> None:
    """Import an EPANET water network: junctions, tanks, reservoirs, pipes, pumps and valves as nodes, tank buffers."""
    from sim.scenario.importers.epanet import import_epanet

    place = _origin(origin)
    _import_and_write(partial(import_epanet, source, sector=sector, prefix=prefix, crs=crs, units=units, origin=place,
                              people_per_lps=people_per_lps), out, force)
