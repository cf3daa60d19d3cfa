"""A GIS layer (GeoJSON, GeoPackage, shapefile …) as a ripple network of one sector.

The mapping (docs/import.md, "GIS layers"):

- each Point feature is a node ``<prefix><id>``; MultiPoint and Polygon features are nodes at
  their representative point (a point inside the polygon); a feature without geometry is an
  unplaced node (no x, y), listed in the report;
- each LineString feature is a link ``<prefix><id>`` (a MultiLineString: one link per part
  that does not join the others, ``<id>.1``, ``<id>.2`` …) with its length in km and its
  attributes in ``attrs``; each end snaps to the nearest node within ``snap_m`` metres, and
  ends with no node that near become ``junction`` nodes, ends within ``snap_m`` of each
  other one junction. Only ends connect: a line passing a node does not;
- ids: the ``id_field`` (default: the layer's ``id`` field when it has one, else
  ``feature<FID>``), which must be present and unique; names from ``name_field`` (default
  the ``name`` field), kinds from ``kind_field``, people served from ``population_field``;
  every other attribute goes into ``attrs``;
- ``mapping`` (``--map FIELD=ATTRIBUTE[*FACTOR]``) names the attributes the power-flow fields
  are read from, points' and polygons' node fields (``p_load_mw=load_kw*0.001``), lines' link
  fields (``rating_mva=thermal_mw``, or ``x_ohm`` with ``vn_kv``); they are checked and kept in
  ``attrs`` under the field's name (:mod:`sim.scenario.importers.fieldmap`);
- ``source_where`` / ``open_where`` are pandas queries on the attributes: matching nodes are
  sources, matching links normally-open ties;
- positions: the layer's own CRS (GeoJSON without one is WGS84 by its specification), else
  ``crs``, else ``units`` (and ``origin``) of a drawing, projected to km around the data.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from sim.scenario.importers.fieldmap import OHM_FIELDS, PhysicsFields, field_sources
from sim.scenario.importers.geo import extent_warning, unit_km
from sim.scenario.importers.sourcedata import named, plain, project, source_crs
from sim.scenario.importers.report import ImportFailed, ImportReport
from sim.scenario.netdata import NetworkTables, tables_from_records
from sim.scenario.schema import PHYSICS_LINK_FIELDS, PHYSICS_NODE_FIELDS

__all__ = ["SNAP_M", "import_gis", "read_layer"]

# Digitised network layers place line ends on their assets to within a few metres; 50 m
# also catches ends drawn to a building's edge rather than its centre, while staying well
# under the spacing of distinct assets (poles, junctions) in most utility layers.
SNAP_M = 50.0
_NODE_GEOMETRIES = {"Point", "MultiPoint", "Polygon", "MultiPolygon"}
_LINE_GEOMETRIES = {"LineString", "MultiLineString", "LinearRing"}
_MAPPED = PHYSICS_NODE_FIELDS + PHYSICS_LINK_FIELDS + OHM_FIELDS
_OTHERS = ("; a node's name, kind and people come from --name-field, --kind-field and --population-field, "
           "ids from --id-field")


def read_layer(path: Path, layer: str | None = None) -> Any:
    """One layer of a vector file as a GeoDataFrame indexed by feature id (FID).

    Parameters
    ----------
    path : pathlib.Path
        A GeoJSON, GeoPackage, shapefile or any other vector format GDAL reads.
    layer : str or None
        The layer's name; needed when the file has more than one.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    ImportFailed
        When the file is missing or unreadable, or the layer is not given or not there.
    """
    import geopandas
    import pyogrio

    if not path.exists():
        raise ImportFailed(f"{path}: file not found")
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL's errors for a file it cannot open
        raise ImportFailed(f"{path}: not a GIS layer GDAL can read ({str(exc).splitlines()[0]})") from None
    if layer is None and len(layers) > 1:
        raise ImportFailed(f"{path}: the file has {len(layers)} layers; pick one with --layer: {', '.join(layers)}")
    if layer is not None and layer not in layers:
        raise ImportFailed(f"{path}: no layer '{layer}'; the file has: {', '.join(layers)}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # GDAL's notes on the file (a missing .prj, field widths)
            return geopandas.read_file(path, layer=layer, engine="pyogrio", fid_as_index=True)
    except Exception as exc:  # GDAL's errors for a damaged file
        raise ImportFailed(f"{path}: cannot read the layer ({str(exc).splitlines()[0]})") from None


def _text_id(value: Any) -> str | None:
    """A source id as text (a whole float as an integer); None when empty."""
    value = plain(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return None if value is None or str(value).strip() == "" else str(value)


def _field(frame: Any, name: str | None, option: str, path: Path) -> str | None:
    """``name`` when the layer has that field; ImportFailed naming the fields it has."""
    if name is not None and name not in frame.columns:
        fields = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name) or "none"
        raise ImportFailed(f"{path}: {option} '{name}': the layer has no such field (its fields: {fields})")
    return name


def _feature_ids(frame: Any, id_field: str | None, path: Path) -> list[str]:
    """Each feature's id, checked present and unique."""
    fids = frame.index.tolist()
    if id_field is None:
        return [f"feature{fid}" for fid in fids]
    ids: list[str] = []
    first: dict[str, Any] = {}
    for fid, value in zip(fids, frame[id_field].tolist()):
        text = _text_id(value)
        if text is None:
            raise ImportFailed(f"{path}: feature {fid}: empty id (field '{id_field}')")
        if text in first:
            raise ImportFailed(f"{path}: feature {fid}: duplicate id '{text}' (field '{id_field}'; "
                               f"first at feature {first[text]})")
        first[text] = fid
        ids.append(text)
    return ids


def _matching(frame: Any, expression: str | None, option: str, path: Path) -> set[Any]:
    """FIDs of the features a pandas query on the attributes selects."""
    if not expression:
        return set()
    table = frame.drop(columns=frame.geometry.name)
    try:
        chosen = table.query(expression, engine="python")
    except Exception as exc:  # a bad expression raises one of many kinds
        raise ImportFailed(f"{path}: {option} \"{expression}\" is not a query on the layer's fields "
                           f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else 'invalid'}); "
                           f"fields: {', '.join(map(str, table.columns))}") from None
    return set(chosen.index.tolist())


def _physics(frame: Any, mapping: dict[str, Any] | None, path: Path) -> PhysicsFields:
    """The power-flow fields, each mapped attribute checked to be a field of the layer."""
    sources = field_sources(dict(mapping or {}), _MAPPED, tuple(f for f in _MAPPED if f != "slack"), _OTHERS)
    for field, (attribute, _) in sources.items():
        if attribute and attribute not in frame.columns:
            fields = ", ".join(str(c) for c in frame.columns if c != frame.geometry.name) or "none"
            raise ImportFailed(f"{path}: --map {field}={attribute}: the layer has no field '{attribute}' "
                               f"(its fields: {fields})")
    return PhysicsFields(sources)


def _population(frame: Any, field: str | None, path: Path) -> dict[Any, float]:
    """People served per FID from ``field`` (missing: 0); a bad value fails naming the feature."""
    if field is None:
        return {}
    out = {}
    for fid, value in zip(frame.index.tolist(), frame[field].tolist()):
        value = plain(value)
        if value is None:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ImportFailed(f"{path}: feature {fid}: population field '{field}' is '{value}', not a number") from None
        if not np.isfinite(number) or number < 0:
            raise ImportFailed(f"{path}: feature {fid}: population field '{field}' is {value}, not a count of people")
        out[fid] = number
    return out


def _parts(geometry: Any) -> list[Any]:
    """The lines of a line feature, joined where they share ends."""
    import shapely

    merged = shapely.line_merge(geometry) if geometry.geom_type == "MultiLineString" else geometry
    return list(merged.geoms) if hasattr(merged, "geoms") else [merged]


def _clusters(x: np.ndarray, y: np.ndarray, radius_km: float) -> np.ndarray:
    """Cluster label per point: points within ``radius_km`` of each other (and chains of them) share one."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    pairs = cKDTree(np.column_stack([x, y])).query_pairs(radius_km, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(x), len(x)))
    return connected_components(graph, directed=False)[1]


def _new_ids(count: int, taken: set[str], prefix: str) -> list[str]:
    """``count`` ids ``<prefix>junction<k>`` that no node has."""
    out, k = [], 0
    while len(out) < count:
        k += 1
        if f"{prefix}junction{k}" not in taken:
            out.append(f"{prefix}junction{k}")
    return out


def _snap(node_x: np.ndarray, node_y: np.ndarray, end_x: np.ndarray, end_y: np.ndarray,
          snap_km: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each line end's node row: the nearest placed node within ``snap_km``, else a new junction.

    Returns the rows (junctions numbered after the nodes) and the junctions' x, y.
    """
    from scipy.spatial import cKDTree

    rows = np.full(len(end_x), -1, dtype=np.int64)
    placed = np.flatnonzero(~np.isnan(node_x))
    if len(placed) and len(end_x):
        distance, nearest = cKDTree(np.column_stack([node_x[placed], node_y[placed]])).query(
            np.column_stack([end_x, end_y]), distance_upper_bound=snap_km + 1e-12)    # --snap 0: exact matches
        hit = np.isfinite(distance)
        rows[hit] = placed[nearest[hit]]
    loose = np.flatnonzero(rows < 0)
    if not len(loose):
        return rows, np.empty(0), np.empty(0)
    label = _clusters(end_x[loose], end_y[loose], snap_km)
    count = np.bincount(label)
    junction_x = np.bincount(label, weights=end_x[loose]) / count
    junction_y = np.bincount(label, weights=end_y[loose]) / count
    rows[loose] = len(node_x) + label
    return rows, junction_x, junction_y


def _lengths_km(lines: Any, crs: str | None, units: str | None, frame: str | None) -> list[float]:
    """Length of each line feature, km."""
    if crs is None:
        return (lines.geometry.length * unit_km(units or "km")).tolist()
    return lines.geometry.set_crs(crs, allow_override=True).to_crs(frame).length.tolist()


def import_gis(path: Path, *, sector: str, prefix: str = "", crs: str | None = None, units: str | None = None,
               origin: tuple[float, float] | None = None, layer: str | None = None, id_field: str | None = None,
               kind_field: str | None = None, name_field: str | None = None, population_field: str | None = None,
               source_where: str | None = None, open_where: str | None = None,
               snap_m: float = SNAP_M, mapping: dict[str, str] | None = None) -> tuple[NetworkTables, ImportReport]:
    """A GIS layer as ripple network columns: points are nodes, lines are links.

    Parameters
    ----------
    path : pathlib.Path
        A GeoJSON, GeoPackage, shapefile (or other vector file GDAL reads).
    sector : str
        The sector of every node.
    prefix : str
        Put before every node and link id.
    crs : str or None
        The CRS of the positions when the layer declares none (``EPSG:NNNN``).
    units, origin : str and tuple of float, or None
        The layer is an unreferenced drawing in ``units`` (``m``, ``km``, ``ft``, ``us-ft``)
        with its 0, 0 at longitude, latitude ``origin``.
    layer : str or None
        The layer to read, when the file has more than one.
    id_field, kind_field, name_field, population_field : str or None
        The fields with each feature's id (default ``id`` if the layer has it, else the
        feature id), kind, name (default ``name`` if present) and people served.
    source_where, open_where : str or None
        pandas queries on the attributes (``"type == 'plant'"``): the nodes they select are
        sources, the links normally-open ties.
    snap_m : float
        How far a line end may be from the node it connects to, m.
    mapping : dict or None
        Power-flow field → the attribute to read it from, optionally times a factor:
        ``{"p_load_mw": "load_kw*0.001", "x_ohm": "reactance", "vn_kv": "kv"}``
        (:func:`sim.scenario.importers.fieldmap.parse_mapping` reads ``--map`` options into it).

    Returns
    -------
    tables : NetworkTables
        The network, checked, positions in km (``tables.crs`` the local frame).
    report : ImportReport
        What was mapped, dropped and left unplaced, and warnings.

    Raises
    ------
    ImportFailed
        For a missing or unreadable file, a missing field, an empty or duplicate id, a bad
        query, a bad population, a bad mapping or mapped value, or an unknown CRS; the message
        names the file and feature.
    """
    frame = read_layer(path, layer)
    if getattr(frame, "_geometry_column_name", None) not in frame.columns:
        raise ImportFailed(f"{path}: the layer has no geometry (a table without positions)")
    if not len(frame):
        raise ImportFailed(f"{path}: the layer has no features")
    if id_field is None and "id" in frame.columns:
        id_field = "id"
    id_field = _field(frame, id_field, "--id-field", path)
    kind_field = _field(frame, kind_field, "--kind-field", path)
    name_field = _field(frame, name_field if name_field is not None else "name" if "name" in frame.columns else None,
                        "--name-field", path)
    population_field = _field(frame, population_field, "--population-field", path)
    ids = [prefix + text for text in _feature_ids(frame, id_field, path)]
    sources = _matching(frame, source_where, "--source-where", path)
    ties = _matching(frame, open_where, "--open-where", path)
    population = _population(frame, population_field, path)
    physics = _physics(frame, mapping, path)
    report = ImportReport()

    geometry = frame.geometry
    kinds = [None if g is None or g.is_empty else g.geom_type for g in geometry.tolist()]
    unknown = sorted({k for k in kinds if k is not None} - _NODE_GEOMETRIES - _LINE_GEOMETRIES)
    for kind in unknown:
        report.dropped[f"{kind} features (neither points, lines nor polygons)"] += kinds.count(kind)
    is_node = np.array([k in _NODE_GEOMETRIES or k is None for k in kinds])
    is_line = np.array([k in _LINE_GEOMETRIES for k in kinds])

    node_x, node_y = np.full(int(is_node.sum()), np.nan), np.full(int(is_node.sum()), np.nan)
    for row, g in enumerate(geometry[is_node].tolist()):
        if g is not None and not g.is_empty:
            point = g if g.geom_type == "Point" else g.representative_point()
            node_x[row], node_y[row] = point.x, point.y
    line_rows = np.flatnonzero(is_line)
    parts = [_parts(g) for g in geometry[is_line].tolist()]
    ends = np.array([c for lines in parts for line in lines for c in (line.coords[0][:2], line.coords[-1][:2])],
                    dtype=float).reshape(-1, 2)

    declared = frame.crs.to_string() if frame.crs is not None else None
    all_x, all_y = np.concatenate([node_x, ends[:, 0]]), np.concatenate([node_y, ends[:, 1]])
    crs_used = source_crs(all_x, all_y, declared=declared, crs=crs, units=units, where=str(path), report=report)
    east, north, local = project(all_x, all_y, crs_used, units, origin, str(path))
    n = len(node_x)
    rows, junction_x, junction_y = _snap(east[:n], north[:n], east[n:], north[n:], snap_m / 1000.0)
    junction_ids = _new_ids(len(junction_x), set(ids), prefix)

    kept = frame.drop(columns=[c for c in frame.columns if c in (id_field, frame.geometry.name)])
    attributes = kept.to_dict("records") if len(kept.columns) else [{}] * len(kept)
    node_fields = {name_field, kind_field, population_field} | physics.attributes("node")   # become the record's own
    link_fields = {kind_field} | physics.attributes("link")
    fids = frame.index.tolist()
    nodes: list[dict[str, Any]] = []
    node_rows = np.flatnonzero(is_node)
    for k, i in enumerate(node_rows.tolist()):
        node: dict[str, Any] = {"id": ids[i], "sector": sector, "x": float(east[k]), "y": float(north[k])}
        if kind_field and _text_id(frame[kind_field].iat[i]):
            node["kind"] = _text_id(frame[kind_field].iat[i])
        if name_field and _text_id(frame[name_field].iat[i]):
            node["name"] = _text_id(frame[name_field].iat[i])
        if population.get(fids[i]):
            node["population"] = population[fids[i]]
        if fids[i] in sources:
            node["source"] = True
        attrs = {key: plain(value) for key, value in attributes[i].items()
                 if key not in node_fields and plain(value) is not None}
        attrs.update(physics.read(attributes[i], "node", f"{path}: feature {fids[i]} ('{ids[i]}')"))
        if attrs:
            node["attrs"] = attrs
        nodes.append(node)
    for node_id, x, y in zip(junction_ids, junction_x.tolist(), junction_y.tolist()):
        nodes.append({"id": node_id, "sector": sector, "kind": "junction", "x": x, "y": y})

    links: list[dict[str, Any]] = []
    self_loops: list[str] = []
    lengths = _lengths_km(frame[is_line], crs_used, units, local) if len(line_rows) else []
    end = 0
    for i, lines, length in zip(line_rows.tolist(), parts, lengths):
        attrs = {key: plain(value) for key, value in attributes[i].items()
                 if key not in link_fields and plain(value) is not None}
        attrs["length_km"] = float(length)
        attrs.update(physics.read(attributes[i], "link", f"{path}: feature {fids[i]} ('{ids[i]}')"))
        kind = _text_id(frame[kind_field].iat[i]) if kind_field else None
        for part in range(len(lines)):
            a, b = int(rows[end]), int(rows[end + 1])
            end += 2
            link_id = ids[i] if len(lines) == 1 else f"{ids[i]}.{part + 1}"
            if a == b:
                self_loops.append(link_id)
                continue
            link: dict[str, Any] = {"id": link_id, "a": nodes[a]["id"], "b": nodes[b]["id"], "attrs": dict(attrs)}
            physics.per_unit(link["attrs"], [nodes[row].get("attrs", {}).get("vn_kv") for row in (a, b)],
                             f"{path}: feature {fids[i]} (line '{link_id}')")
            if kind:
                link["kind"] = kind
            if fids[i] in ties:
                link["open"] = True
            links.append(link)

    x = np.array([node["x"] for node in nodes], dtype=float)
    y = np.array([node["y"] for node in nodes], dtype=float)
    row_of = {node["id"]: row for row, node in enumerate(nodes)}
    a = np.array([row_of[link["a"]] for link in links], dtype=np.int64)
    b = np.array([row_of[link["b"]] for link in links], dtype=np.int64)
    unplaced = np.flatnonzero(np.isnan(x))
    for row in unplaced.tolist():
        del nodes[row]["x"], nodes[row]["y"]
    report.unplaced = [nodes[row]["id"] for row in unplaced.tolist()]
    warning = extent_warning(x, y)
    if warning:
        report.warnings.append(warning)

    report.mapped["points -> nodes"] += sum(k in ("Point", "MultiPoint") for k in kinds)
    report.mapped["polygons -> nodes at their representative point"] += sum(k in ("Polygon", "MultiPolygon") for k in kinds)
    report.mapped["features without geometry -> nodes"] += kinds.count(None)
    report.mapped["lines -> links"] += len(links)
    report.mapped[f"line ends with no node within {snap_m:g} m -> junction nodes"] += len(junction_ids)
    report.mapped["nodes matching --source-where -> sources"] += sum(1 for node in nodes if node.get("source"))
    report.mapped["links matching --open-where -> normally-open ties"] += sum(1 for link in links if link.get("open"))
    physics.report(report)
    if self_loops:
        report.dropped[f"lines whose ends snap to one node ({', '.join(self_loops[:5])}"
                       f"{' …' if len(self_loops) > 5 else ''})"] += len(self_loops)
    for option, chosen, expression in (("--source-where", sources, source_where), ("--open-where", ties, open_where)):
        if expression and not chosen:
            report.warnings.append(f"{option} selects no feature")
    wrong = (sum(fid in sources for fid in np.asarray(fids)[is_line].tolist()),
             sum(fid in ties for fid in np.asarray(fids)[is_node].tolist()))
    for count, option, what in zip(wrong, ("--source-where", "--open-where"), ("lines: only nodes are sources",
                                                                               "nodes: only links are ties")):
        if count:
            report.warnings.append(f"{option} selects {count} {what}")

    records = {"nodes": nodes, "links": links, "dependencies": []}
    tables, problems = tables_from_records(records)
    if problems:
        raise ImportFailed(f"{path}: the network does not check: " + "; ".join(
            f"{named(loc, records)}: {message}" for loc, message in problems[:5]))
    tables.crs = local
    return tables, report

