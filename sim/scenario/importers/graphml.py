"""A foreign GraphML graph (another tool's export) as a ripple network.

ripple's own GraphML files are read by :mod:`sim.scenario.netdata.graphml`; this reads any
other (docs/import.md, "GraphML"):

- each node is a node ``<prefix><GraphML id>``; the fields ripple knows (``name``, ``sector``,
  ``kind``, ``x``, ``y``, ``population``, ``source``, ``hardening``) are taken from the
  attributes of those names, or of the names ``mapping`` gives (``{"population":
  "load_mw*1000"}``: an attribute times a factor); every other attribute is kept in ``attrs``
  and listed in the report, never refused; the power-flow fields (``x_pu``, ``rating_mva``,
  ``p_load_mw`` …, or ``x_ohm`` with ``vn_kv``) are read and checked into ``attrs`` by
  :mod:`sim.scenario.importers.fieldmap`;
- each edge is a link ``<prefix><GraphML edge id>`` (``edge<k>`` without one) with ``kind``,
  ``open`` and its other attributes in ``attrs``, parallel edges kept; an edge with a
  ``resource`` is a dependency of its target on its source (supplier → dependent), which only
  a directed graph can say: an undirected graph with one is refused;
- positions: x, y (or ``lon``/``lat`` when the graph has no x, y), in the graph's ``crs``
  attribute, else ``crs``, else ``units`` of a drawing; positions within ±180, ±90 are read
  as longitude, latitude and reported; a node without one is placed at its neighbours' mean.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.scenario.importers.fieldmap import OHM_FIELDS, PhysicsFields, field_sources, number, yes_no
from sim.scenario.importers.geo import LONLAT, extent_warning
from sim.scenario.importers.sourcedata import named, plain, project, source_crs
from sim.scenario.importers.report import ImportFailed, ImportReport
from sim.scenario.netdata import NetworkTables, tables_from_records
from sim.scenario.schema import PHYSICS_LINK_FIELDS, PHYSICS_NODE_FIELDS, RESOURCES, DependencyKind
from sim.scenario.netdata.tables import format_seconds
from sim.scenario.timefmt import parse_duration

__all__ = ["EDGE_FIELDS", "NODE_FIELDS", "import_graphml", "read_foreign_graphml"]

NODE_FIELDS = ("name", "sector", "kind", "x", "y", "population", "source", "hardening")
EDGE_FIELDS = ("id", "kind", "open", "resource", "need", "buffer")
_NUMBERS = ("x", "y", "population", "hardening", "need") + tuple(
    f for f in PHYSICS_LINK_FIELDS + PHYSICS_NODE_FIELDS + OHM_FIELDS if f != "slack")
_NODE_SIDE = set(NODE_FIELDS) | set(PHYSICS_NODE_FIELDS) | {"vn_kv"}      # fields read from node attributes
_EDGE_SIDE = set(EDGE_FIELDS) | set(PHYSICS_LINK_FIELDS) | set(OHM_FIELDS)
_DEGREE_NAMES = (("lon", "lat"), ("longitude", "latitude"), ("long", "lat"))


def read_foreign_graphml(path: Path) -> Any:
    """The graph of a GraphML file, parallel edges kept and keyed by their GraphML ids.

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    networkx.MultiGraph or networkx.MultiDiGraph

    Raises
    ------
    ImportFailed
        When the file is missing, too large or not GraphML.
    """
    import networkx as nx

    from sim.files import unfit_input

    if not path.exists():
        raise ImportFailed(f"{path}: file not found")
    if (unfit := unfit_input(path)) is not None:
        raise ImportFailed(f"{path}: {unfit}")
    try:
        return nx.read_graphml(path, force_multigraph=True)
    except Exception as exc:  # networkx and the XML parser raise several kinds
        raise ImportFailed(f"{path}: not valid GraphML ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})") from None


class _Fields:
    """Where each ripple field is read from: the mapped attribute, or the field's own name."""

    def __init__(self, mapping: dict[str, tuple[str, float]], node_keys: set[str], edge_keys: set[str]):
        self.mapping = mapping
        self.node_keys, self.edge_keys = node_keys, edge_keys
        self.physics = PhysicsFields(mapping)
        if "x" not in mapping and "y" not in mapping and not {"x", "y"} <= node_keys:
            for lon, lat in _DEGREE_NAMES:
                if {lon, lat} <= node_keys:
                    self.mapping = {**mapping, "x": (lon, 1.0), "y": (lat, 1.0)}
                    break

    def in_degrees(self) -> bool:
        """x and y are read from attributes whose names say longitude and latitude."""
        return (self.source("x")[0].lower(), self.source("y")[0].lower()) in _DEGREE_NAMES

    def source(self, field: str) -> tuple[str, float]:
        """The attribute and factor of ``field``."""
        return self.mapping.get(field, (field, 1.0))

    def used(self, fields: tuple[str, ...]) -> set[str]:
        """The attributes ``fields`` are read from."""
        return {self.source(field)[0] for field in fields}


def _nodes(graph: Any, fields: _Fields, sector: str | None, prefix: str, path: Path,
           unused: set[str]) -> tuple[list[dict[str, Any]], np.ndarray, np.ndarray]:
    """Node records, and x, y as the source has them (NaN where missing)."""
    nodes, xs, ys = [], [], []
    taken = fields.used(NODE_FIELDS) | fields.physics.attributes("node")
    for node_id, data in graph.nodes(data=True):
        where = f"{path}: node '{node_id}'"
        node: dict[str, Any] = {"id": f"{prefix}{node_id}"}
        value = {field: plain(data.get(fields.source(field)[0])) for field in NODE_FIELDS}
        node_sector = value["sector"] if value["sector"] not in (None, "") else sector
        if node_sector in (None, ""):
            attribute = fields.source("sector")[0]
            raise ImportFailed(f"{where} has no sector (no attribute '{attribute}'): give --sector for all nodes, "
                               f"or --map sector=ATTRIBUTE")
        node["sector"] = str(node_sector)
        for field in ("kind", "name"):
            if value[field] not in (None, ""):
                node[field] = str(value[field])
        xy = [np.nan, np.nan]
        for k, field in enumerate(("x", "y")):
            if value[field] is not None:
                attribute, factor = fields.source(field)
                xy[k] = number(value[field], factor, f"{where}: {field} (attribute '{attribute}')", field)
        xs.append(xy[0])
        ys.append(xy[1])
        if value["population"] is not None:
            attribute, factor = fields.source("population")
            people = number(value["population"], factor, f"{where}: population (attribute '{attribute}')", "population")
            if people < 0:
                raise ImportFailed(f"{where}: population (attribute '{attribute}') is {people:g}, below 0")
            if people:
                node["population"] = people
        if value["hardening"] is not None:
            attribute, factor = fields.source("hardening")
            hardening = number(value["hardening"], factor, f"{where}: hardening (attribute '{attribute}')",
                                "hardening")
            if not 0 <= hardening <= 1:
                raise ImportFailed(f"{where}: hardening (attribute '{attribute}') is {hardening:g}, not within 0..1")
            if hardening:
                node["hardening"] = hardening
        if value["source"] is not None and yes_no(value["source"], where, "source", fields.source("source")[0]):
            node["source"] = True
        attrs = {key: plain(v) for key, v in data.items() if key not in taken and plain(v) is not None}
        unused.update(attrs)
        attrs.update(fields.physics.read(data, "node", where))
        if attrs:
            node["attrs"] = attrs
        nodes.append(node)
    return nodes, np.array(xs, dtype=float), np.array(ys, dtype=float)


def _edge_name(a: Any, b: Any, key: Any, directed: bool) -> str:
    """An edge as messages name it: its GraphML id and its ends."""
    ends = f"{a} -> {b}" if directed else f"{a} -- {b}"
    return f"edge '{key}' ({ends})" if isinstance(key, str) else f"edge {ends}"


def _edges(graph: Any, fields: _Fields, prefix: str, path: Path, report: ImportReport, unused: set[str],
           kv_of: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Link records and dependency records (one per dependent and resource); ``kv_of``: each node's vn_kv."""
    directed = graph.is_directed()
    taken = fields.used(EDGE_FIELDS) | fields.physics.attributes("link")
    resource_attribute = fields.source("resource")[0]
    links: list[dict[str, Any]] = []
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    dropped_keys: set[str] = set()
    for k, (a, b, key, data) in enumerate(graph.edges(keys=True, data=True)):
        where = f"{path}: {_edge_name(a, b, key, directed)}"
        resource = plain(data.get(resource_attribute))
        if a == b:
            report.dropped["edges from a node to itself"] += 1
            continue
        if resource in (None, ""):
            link: dict[str, Any] = {"id": f"{prefix}{key}" if isinstance(key, str) else f"{prefix}edge{k}",
                                    "a": f"{prefix}{a}", "b": f"{prefix}{b}"}
            own_id = plain(data.get(fields.source("id")[0]))
            if own_id not in (None, ""):
                link["id"] = f"{prefix}{own_id}"
            kind = plain(data.get(fields.source("kind")[0]))
            if kind not in (None, ""):
                link["kind"] = str(kind)
            is_open = data.get(fields.source("open")[0])
            if is_open is not None and yes_no(is_open, where, "open", fields.source("open")[0]):
                link["open"] = True
            attrs = {name: plain(v) for name, v in data.items() if name not in taken and plain(v) is not None}
            unused.update(attrs)
            attrs.update(fields.physics.read(data, "link", where))
            fields.physics.per_unit(attrs, [kv_of[link["a"]], kv_of[link["b"]]], where)
            if attrs:
                link["attrs"] = attrs
            links.append(link)
            continue
        if not directed:
            raise ImportFailed(
                f"{where} carries resource '{resource}' (attribute '{resource_attribute}'), but the graph is "
                f"undirected: a dependency needs a direction (which end needs {resource} from which), and an "
                f"undirected edge would make ripple guess it, e.g. that a substation needs power from the "
                f"hospital. Write the graph directed (edgedefault=\"directed\"), each dependency edge from the "
                f"supplier to the node that depends on it")
        if resource not in RESOURCES:
            raise ImportFailed(f"{where}: resource '{resource}' is not one ripple knows ({', '.join(RESOURCES)})")
        group = groups.setdefault((str(b), str(resource)), {"node": f"{prefix}{b}", "resource": resource,
                                                             "suppliers": [], "where": where})
        if f"{prefix}{a}" not in group["suppliers"]:
            group["suppliers"].append(f"{prefix}{a}")
        _dependency_terms(group, data, fields, where, report)
        dropped_keys.update(name for name, v in data.items() if name not in taken and plain(v) is not None)
    if dropped_keys:
        report.dropped[f"attributes of dependency edges (dependencies keep none): {', '.join(sorted(dropped_keys))}"] += len(dropped_keys)
    dependencies = []
    for group in groups.values():
        del group["where"]
        dependencies.append(group)
    return links, dependencies


def _dependency_terms(group: dict[str, Any], data: dict[str, Any], fields: _Fields, where: str,
                      report: ImportReport) -> None:
    """``need``, ``buffer`` and ``kind`` of a dependency edge, the same on every edge of its dependency."""
    need = plain(data.get(fields.source("need")[0]))
    terms: dict[str, Any] = {}
    if need is not None:
        count = number(need, 1.0, f"{where}: need", "need")
        if count < 1 or not float(count).is_integer():
            raise ImportFailed(f"{where}: need is {need}, not a whole number of at least 1")
        terms["need"] = int(count)
    buffer = plain(data.get(fields.source("buffer")[0]))
    if buffer is not None:
        try:
            terms["buffer"] = format_seconds(parse_duration(buffer))
        except ValueError as exc:
            raise ImportFailed(f"{where}: buffer '{buffer}': {exc}") from None
    kind = plain(data.get(fields.source("kind")[0]))
    if kind in DependencyKind.__args__:
        terms["kind"] = kind
    elif kind is not None:
        report.dropped["dependency edge kinds that are not physical, cyber, geographic or logical"] += 1
    for term, value in terms.items():
        if group.setdefault(term, value) != value:
            raise ImportFailed(f"{where}: {term} {value} differs from {group[term]} on another edge into the same "
                               f"node for {group['resource']} (one dependency, one {term})")


def _unmapped(mapping: dict[str, tuple[str, float]], node_keys: set[str], edge_keys: set[str], path: Path) -> None:
    """Refuse a ``--map`` whose attribute no node or edge has."""
    for field, (attribute, _) in mapping.items():
        if not attribute:      # FIELD=: read from nowhere
            continue
        keys = node_keys if field in _NODE_SIDE and field not in _EDGE_SIDE else \
            edge_keys if field not in _NODE_SIDE else node_keys | edge_keys
        if attribute not in keys:
            have = ", ".join(sorted(keys)) or "none"
            raise ImportFailed(f"{path}: --map {field}={attribute}: no {'node' if keys is node_keys else 'edge'} "
                               f"has an attribute '{attribute}' (they have: {have})")


def import_graphml(path: Path, *, sector: str | None = None, prefix: str = "", crs: str | None = None,
                   units: str | None = None, origin: tuple[float, float] | None = None,
                   mapping: dict[str, str] | None = None) -> tuple[NetworkTables, ImportReport]:
    """A foreign GraphML graph as ripple network columns.

    Parameters
    ----------
    path : pathlib.Path
        A GraphML file written by another tool (networkx, yEd, Gephi, a GIS export).
    sector : str or None
        The sector of nodes without a sector attribute.
    prefix : str
        Put before every node and link id.
    crs : str or None
        The CRS of x, y when the graph declares none (``EPSG:NNNN``).
    units, origin : str and tuple of float, or None
        x, y are an unreferenced drawing in ``units`` (``m``, ``km``, ``ft``, ``us-ft``) with its
        0, 0 at longitude, latitude ``origin``.
    mapping : dict or None
        ripple field → the attribute to read it from, optionally times a factor:
        ``{"population": "load_mw*1000", "sector": "layer", "x_pu": "reactance"}``
        (:func:`sim.scenario.importers.fieldmap.parse_mapping` reads ``--map`` options into it).

    Returns
    -------
    tables : NetworkTables
        The network, checked, positions in km (``tables.crs`` the local frame).
    report : ImportReport
        What was mapped, dropped and left unplaced, the attributes kept in ``attrs``, and warnings.

    Raises
    ------
    ImportFailed
        For a file that is not GraphML, a mapping to a field ripple does not know or an
        attribute no node or edge has, a node without a sector, a bad value, a dependency edge
        in an undirected graph or an unknown CRS; the message names the node or edge by id.
    """
    graph = read_foreign_graphml(path)
    if not graph.number_of_nodes():
        raise ImportFailed(f"{path}: the graph has no nodes")
    node_keys = {key for _, data in graph.nodes(data=True) for key in data}
    edge_keys = {key for _, _, data in graph.edges(data=True) for key in data}
    sources = field_sources(dict(mapping or {}), tuple(sorted(_NODE_SIDE | _EDGE_SIDE)), _NUMBERS)
    _unmapped(sources, node_keys, edge_keys, path)
    fields = _Fields(sources, node_keys, edge_keys)
    report = ImportReport()
    unused: set[str] = set()
    nodes, x, y = _nodes(graph, fields, sector, prefix, path, unused)
    kv_of = {node["id"]: node.get("attrs", {}).get("vn_kv") for node in nodes}
    links, dependencies = _edges(graph, fields, prefix, path, report, unused, kv_of)

    declared = plain(graph.graph.get("crs"))
    if fields.in_degrees() and not (declared or crs or units):
        crs = LONLAT
        report.mapped[f"node positions from {fields.source('x')[0]}, {fields.source('y')[0]} "
                      f"(longitude, latitude: EPSG:4326) -> km"] += int((~np.isnan(x)).sum())
    crs_used = source_crs(x, y, declared=declared if isinstance(declared, str) else None, crs=crs, units=units,
                          where=str(path), report=report)
    x, y, frame = project(x, y, crs_used, units, origin, str(path))
    if np.isnan(x).all():
        report.warnings.append("no node has a position (attributes x, y, or --map x=… --map y=…): "
                               "distances and blast radii mean nothing here")
    row_of = {node["id"]: row for row, node in enumerate(nodes)}
    a = np.array([row_of[link["a"]] for link in links], dtype=np.int64)
    b = np.array([row_of[link["b"]] for link in links], dtype=np.int64)
    unplaced = np.isnan(x)
    report.unplaced = [node["id"] for node, missing in zip(nodes, unplaced.tolist()) if missing]
    for node, east, north, missing in zip(nodes, x.tolist(), y.tolist(), unplaced.tolist()):
        if not missing:
            node["x"], node["y"] = east, north
    warning = extent_warning(x[~unplaced], y[~unplaced]) if not unplaced.all() else None
    if warning:
        report.warnings.append(warning)

    report.mapped["nodes -> nodes"] += len(nodes)
    report.mapped["edges -> links"] += sum(not link.get("open") for link in links)
    report.mapped["open edges -> normally-open ties"] += sum(bool(link.get("open")) for link in links)
    report.mapped[f"edges with a resource -> {len(dependencies)} dependencies"] += sum(
        len(dep["suppliers"]) for dep in dependencies)
    report.mapped["nodes marked source -> sources"] += sum(bool(node.get("source")) for node in nodes)
    fields.physics.report(report)
    if unused:
        report.mapped[f"attributes ripple does not use, kept in attrs: {', '.join(sorted(unused))}"] += len(unused)

    records = {"nodes": nodes, "links": links, "dependencies": dependencies}
    tables, problems = tables_from_records(records)
    if problems:
        raise ImportFailed(f"{path}: the network does not check: " + "; ".join(
            f"{named(loc, records)}: {message}" for loc, message in problems[:5]))
    tables.crs = frame
    return tables, report

