"""The map's background: the scenario's layers (coastline, roads, boundaries, landmarks) in
muted colours under the network, and a scale bar.

Layers come in the network's frame (:mod:`sim.scenario.maplayers`); here they are clipped
to a margin around the map and simplified for drawing (Douglas–Peucker through shapely, at
a tolerance of :data:`SIMPLIFY_SHARE` of the map's wider side, about a pixel), so a
country's coastline does not weigh down the page.

A layer is one trace: its lines and rings as one path with gaps, its points as small markers
on that path (a marker size per vertex: 0 on lines, :data:`POINT_SIZE` on points). Plotly
fills ``fill: toself`` as one SVG path of all the rings under the nonzero fill rule, so each
polygon is drawn with its exterior counter-clockwise and its holes clockwise
(``shapely.orient_polygons``): a hole winds the other way and stays empty — an island in a
lake is not water.
"""

from __future__ import annotations

import html
import math
from typing import Any, Sequence

import plotly.graph_objects as go

from sim.scenario.maplayers import LayerShapes, LayerUnreadable, read_map_layer
from sim.scenario.schema import Scenario

__all__ = ["POINT_SIZE", "SCALE_NAME", "SIMPLIFY_SHARE", "STYLES", "add_scale_bar", "background_traces", "map_background",
           "scale_length", "scale_path"]

SIMPLIFY_SHARE = 1.0 / 1500.0       # of the map's wider side: about a pixel of a full-width map
SCALE_NAME = "scale"                # the name of the scale bar's shape and label
POINT_SIZE = 6                      # px: a layer's point features, small beside the network's nodes
# style → line colour, line width, dash, fill (None: lines only); muted, so the network reads on top
STYLES: dict[str, tuple[str, float, str, str | None]] = {
    "water": ("#9DBFDA", 1.0, "solid", "rgba(190,216,236,0.55)"),
    "land": ("#C5CDB3", 1.0, "solid", "rgba(226,232,214,0.6)"),
    "road": ("#DCC7A0", 2.6, "solid", None),
    "boundary": ("#8F8F8F", 1.3, "dash", None),
}


def map_background(s: Scenario) -> list[LayerShapes]:
    """The scenario's map layers, read and placed in its network's frame.

    Parameters
    ----------
    s : Scenario
        A loaded scenario (its layer files relative to the working folder).

    Returns
    -------
    list[LayerShapes]
        One per ``map.layers`` entry, in order (the first is drawn lowest).

    Raises
    ------
    sim.scenario.maplayers.LayerUnreadable
        When a layer file cannot be read or placed (with the layer's index).
    """
    frame = s.network.tables.crs if s.network.tables is not None else s.network.crs
    out = []
    for index, layer in enumerate(s.map.layers):
        try:
            out.append(read_map_layer(layer, frame))
        except LayerUnreadable as exc:
            raise LayerUnreadable(str(exc), index) from None
    return out


def _rings(geometry: Any) -> list[Any]:
    """The coordinate sequences to draw of a line or polygon (a polygon's every ring)."""
    if geometry.geom_type in ("Polygon",):
        return [geometry.exterior, *geometry.interiors]
    if geometry.geom_type == "LineString" or geometry.geom_type == "LinearRing":
        return [geometry]
    if hasattr(geometry, "geoms"):
        return [ring for part in geometry.geoms for ring in _rings(part)]
    return []


def _points(geometry: Any) -> list[tuple[float, float]]:
    """The point features in a geometry (a point, a multipoint or a collection holding them)."""
    if geometry.geom_type == "Point":
        return [(geometry.x, geometry.y)]
    if geometry.geom_type in ("MultiPoint", "GeometryCollection"):
        return [xy for part in geometry.geoms for xy in _points(part)]
    return []


def _path(geometries: Sequence[Any]) -> tuple[list, list, list]:
    """One trace's x and y of every ring, then every point, separated by gaps (None), and the
    marker size of each vertex (0 on a ring, :data:`POINT_SIZE` on a point)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    sizes: list[int] = []
    for geometry in geometries:
        for ring in _rings(geometry):
            coords = list(ring.coords)
            if len(coords) < 2:
                continue
            xs += [round(c[0], 4) for c in coords] + [None]
            ys += [round(c[1], 4) for c in coords] + [None]
            sizes += [0] * (len(coords) + 1)
    for geometry in geometries:
        for x, y in _points(geometry):
            xs += [round(x, 4), None]
            ys += [round(y, 4), None]
            sizes += [POINT_SIZE, 0]
    return xs[:-1], ys[:-1], sizes[:-1]


def background_traces(layers: Sequence[LayerShapes], extent: tuple[float, float, float, float]) -> list[go.Scatter]:
    """One trace per layer, clipped to the map and half its size again around it, simplified.

    Parameters
    ----------
    layers : Sequence[LayerShapes]
        :func:`map_background` of the scenario.
    extent : tuple of four floats
        x0, x1, y0, y1 of the map, km.

    Returns
    -------
    list[go.Scatter]
        Line or filled traces without hover, ``meta`` ``layer:<name>``, in the legend's
        "map" group (a click hides one); polygons with their holes left empty, points as
        small markers in the layer's colour.
    """
    import shapely

    x0, x1, y0, y1 = extent
    side = max(x1 - x0, y1 - y0)
    pad = 0.5 * side
    traces = []
    for shapes in layers:
        kept = [shapely.simplify(shapely.clip_by_rect(g, x0 - pad, y0 - pad, x1 + pad, y1 + pad),
                                 side * SIMPLIFY_SHARE, preserve_topology=True) for g in shapes.geometries]
        kept = [shapely.orient_polygons(g, exterior_cw=False) for g in kept if not g.is_empty]   # holes wind back
        colour, width, dash, fill = STYLES[shapes.layer.style]
        filled = fill is not None and any("Polygon" in g.geom_type for g in kept)
        x, y, sizes = _path(kept)
        points, lines = POINT_SIZE in sizes, any(_rings(g) for g in kept)
        mode = "+".join(m for m, on in (("lines", lines or not points), ("markers", points)) if on)
        marker = dict(size=sizes, color=colour, line=dict(width=0)) if points else None
        traces.append(go.Scatter(
            x=x or [None], y=y or [None], mode=mode, name=shapes.layer.name, meta=f"layer:{shapes.layer.name}",
            marker=marker, line=dict(color=colour, width=width, dash=dash), fill="toself" if filled else None,
            fillcolor=fill if filled else None, hoverinfo="skip", legendgroup="background",
            legendgrouptitle_text="map", legendrank=1300))
    return traces


def scale_length(span_km: float) -> float:
    """The scale bar's length: the largest 1, 2 or 5 × 10^k km at most a fifth of the span.

    Parameters
    ----------
    span_km : float
        The width of the map shown, km.

    Returns
    -------
    float
        A round length in km.

    Examples
    --------
    >>> scale_length(30.0), scale_length(7.0), scale_length(0.9)
    (5.0, 1.0, 0.1)
    """
    target = max(span_km, 1e-9) / 5.0
    power = 10.0 ** math.floor(math.log10(target))
    return max(step * power for step in (1.0, 2.0, 5.0) if step * power <= target * (1 + 1e-9))


def _label(length_km: float) -> str:
    """The bar's label: km, or m under 1 km."""
    return f"{length_km:g} km" if length_km >= 1.0 else f"{length_km * 1000.0:g} m"


def scale_path(extent: tuple[float, float, float, float]) -> tuple[str, float, float, str]:
    """The scale bar for a map showing ``extent``: at its bottom left, with end ticks.

    Parameters
    ----------
    extent : tuple of four floats
        x0, x1, y0, y1 shown, km.

    Returns
    -------
    tuple
        SVG path in data coordinates (km), the label's x and y, and the label.
    """
    x0, x1, y0, y1 = extent
    length = scale_length(x1 - x0)
    left, base = x0 + 0.04 * (x1 - x0), y0 + 0.05 * (y1 - y0)
    tick = 0.012 * (y1 - y0)
    path = f"M{left:.4f},{base + tick:.4f} L{left:.4f},{base:.4f} L{left + length:.4f},{base:.4f} L{left + length:.4f},{base + tick:.4f}"
    return path, left + length / 2.0, base + tick, html.escape(_label(length))


def add_scale_bar(fig: go.Figure, extent: tuple[float, float, float, float]) -> None:
    """Draw the scale bar of :func:`scale_path` on a map whose axes are km at equal scale.

    Parameters
    ----------
    fig : go.Figure
        The map.
    extent : tuple of four floats
        x0, x1, y0, y1 shown, km.
    """
    path, x, y, label = scale_path(extent)
    fig.add_shape(type="path", path=path, xref="x", yref="y", line=dict(color="#333", width=2), name=SCALE_NAME)
    fig.add_annotation(x=x, y=y, text=label, showarrow=False, yanchor="bottom", name=SCALE_NAME,
                       font=dict(size=11, color="#222"), bgcolor="rgba(255,255,255,0.7)")
