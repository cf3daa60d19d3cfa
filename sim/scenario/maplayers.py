"""Background layers of the maps (``map.layers``): checked when the scenario loads, read and
projected to the network's frame when a page draws the map.

A layer's coordinates are in the CRS its entry names (``crs``), else in the file's own
(GeoJSON is WGS84 by its specification), else in the network's. ``crs: network`` says
they are in the network's own coordinates already: the km of a drawing, or of the
scenario's frame. A network without a CRS (a drawing) takes only such layers: nothing can
be projected onto it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.scenario.frame import crs_problem, project_xy
from sim.scenario.problems import Loc
from sim.scenario.schema import MapLayer, Scenario

__all__ = ["NETWORK_CRS", "LayerShapes", "LayerUnreadable", "check_map", "read_map_layer"]

NETWORK_CRS = "network"     # a layer's crs: already in the network's coordinates


class LayerUnreadable(ValueError):
    """A map layer that cannot be read or placed on the network; the message says why.

    Parameters
    ----------
    message : str
        Why, naming the file.
    index : int, optional
        The layer's place in ``map.layers`` (to point at it in the scenario file).
    """

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index


@dataclass(frozen=True)
class LayerShapes:
    """One layer's shapes in the network's frame (km).

    Attributes
    ----------
    layer : MapLayer
        The scenario's entry.
    geometries : list
        Shapely points, lines and polygons, km east and north.
    placed_as : str
        Where its coordinates were read from: the CRS projected from, or ``network``.
    note : str
        What the user should know of how it was placed (a file without a CRS), or empty.
    """

    layer: MapLayer
    geometries: list[Any]
    placed_as: str
    note: str = ""


def check_map(s: Scenario) -> list[tuple[Loc, str]]:
    """Problems of the map section found without reading the layers: missing files, CRSs
    pyproj does not know.

    Parameters
    ----------
    s : Scenario
        A scenario that passed the schema; layer files relative to the working folder.

    Returns
    -------
    list[tuple[Loc, str]]
        (location, message) per problem; empty when all is well.
    """
    out: list[tuple[Loc, str]] = []
    for i, layer in enumerate(s.map.layers):
        path = Path(layer.file)
        if not path.exists():
            out.append((("map", "layers", i, "file"), f"no such file '{layer.file}' (paths are relative to the scenario file)"))
        elif not (path.is_file() or path.is_dir()):
            out.append((("map", "layers", i, "file"), f"'{layer.file}' is not a file"))
        if layer.crs is not None and layer.crs != NETWORK_CRS and (why := crs_problem(layer.crs)) is not None:
            out.append((("map", "layers", i, "crs"), why))
    return out


def _read(layer: MapLayer) -> Any:
    """The layer's features as a GeoDataFrame; LayerUnreadable naming the file when GDAL cannot."""
    import geopandas
    import pyogrio

    try:
        names = [str(name) for name, _ in pyogrio.list_layers(layer.file)]
    except Exception as exc:  # GDAL's errors for a file it cannot open
        raise LayerUnreadable(f"{layer.file}: not a vector layer GDAL can read ({str(exc).splitlines()[0]})") from None
    if layer.layer is None and len(names) > 1:
        raise LayerUnreadable(f"{layer.file}: the file has {len(names)} layers; pick one with layer: {', '.join(names)}")
    if layer.layer is not None and layer.layer not in names:
        raise LayerUnreadable(f"{layer.file}: no layer '{layer.layer}'; the file has: {', '.join(names)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # GDAL's notes on the file (a missing .prj)
            return geopandas.read_file(layer.file, layer=layer.layer, engine="pyogrio")
    except Exception as exc:  # GDAL's errors for a damaged file
        raise LayerUnreadable(f"{layer.file}: cannot read the layer ({str(exc).splitlines()[0]})") from None


def read_map_layer(layer: MapLayer, frame: str | None) -> LayerShapes:
    """Read one layer and put its lines and polygons in the network's frame.

    Parameters
    ----------
    layer : MapLayer
        The scenario's entry (its file relative to the working folder).
    frame : str or None
        The network's CRS (km), ``scenario.network.tables.crs``; None for a drawing.

    Returns
    -------
    LayerShapes

    Raises
    ------
    LayerUnreadable
        When the file cannot be read, or its CRS cannot be projected onto a drawing.
    """
    import shapely

    table = _read(layer)
    source = layer.crs or (table.crs.to_string() if table.crs is not None else NETWORK_CRS)
    if source != NETWORK_CRS and frame is None:
        raise LayerUnreadable(f"{layer.file}: the layer is in {source}, but the network is a drawing without a CRS, "
                              f"so nothing can be projected onto it; give the layer crs: {NETWORK_CRS} if its "
                              "coordinates are the drawing's km")
    shapes = [g for g in table.geometry if g is not None and not g.is_empty]
    if source != NETWORK_CRS and frame is not None and source != frame and shapes:
        shapes = [shapely.transform(g, lambda xy: project_xy(xy, source, frame)) for g in shapes]
    note = (f"{layer.file}: the file names no CRS, so its coordinates are taken as the network's; give the layer "
            "crs: if they are not" if layer.crs is None and table.crs is None else "")
    return LayerShapes(layer, shapes, source, note)
