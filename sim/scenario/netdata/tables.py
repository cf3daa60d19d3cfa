"""A network as columns: what every network reader produces and every writer takes.

Node references are resolved to row indices; durations are in seconds. Nothing here depends
on a scenario: :meth:`sim.network.Network.from_tables` applies the scenario's sectors and clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CYBER_RESOURCE", "NetworkTables", "format_seconds"]

CYBER_RESOURCE = "control"      # a dependency on it is cyber unless its kind says otherwise


def format_seconds(seconds: float) -> str:
    """A duration as scenario files write it.

    Parameters
    ----------
    seconds : float
        The duration, s.

    Returns
    -------
    str
        Hours, minutes or seconds, whichever is whole, e.g. ``"2h"``, ``"5min"``, ``"90s"``.

    Examples
    --------
    >>> format_seconds(7200.0), format_seconds(300.0), format_seconds(1.5)
    ('2h', '5min', '1.5s')
    """
    for unit, size in (("h", 3600.0), ("min", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds!r}s" if seconds != int(seconds) else f"{int(seconds)}s"


def _link_record(link_id: str, a: str, b: str, kind: str, is_open: bool,
                 attrs: dict[str, Any] | None) -> dict[str, Any]:
    """A link as a record, each field only where it differs from its default."""
    record: dict[str, Any] = {"id": link_id} if link_id else {}
    record["a"], record["b"] = a, b
    if kind:
        record["kind"] = kind
    if is_open:
        record["open"] = True
    if attrs:
        record["attrs"] = attrs
    return record


@dataclass(eq=False)
class NetworkTables:
    """Nodes, links and dependencies of a network, one numpy column per field.

    Attributes
    ----------
    ids : list of str
        Node id per row.
    sector : numpy.ndarray
        int16 sector code per node, into ``sector_names``.
    sector_names : list of str
        Sector names, sorted.
    kind, name : list of str
        Kind of asset and display name per node ("" for the name: the id).
    x, y : numpy.ndarray
        float64 position: km, or degrees when ``coordinates`` is ``"lonlat"``; NaN in both
        for an unplaced node (its position is not known).
    population : numpy.ndarray
        float64 people served per node.
    source : numpy.ndarray
        bool: a source of its sector network.
    hardening : numpy.ndarray
        float64 protection against attack, 0..1.
    repair_median_s, repair_p90_s : numpy.ndarray
        float64 repair time per node, s; NaN for the sector's.
    link_a, link_b : numpy.ndarray
        int64 node rows of each link.
    link_id, link_kind : list of str
        Id and kind of each link ("" when not given), e.g. ``"line3"``, ``"trafo"``.
    link_open : numpy.ndarray
        bool: a normally-open tie, which does not conduct until switched.
    link_attrs, node_attrs : list of dict or None
        Whatever else the source knew of each link and node (None: nothing).
    dep_node : numpy.ndarray
        int64 dependent node per dependency.
    dep_resource : numpy.ndarray
        int8 index into the resource names (:data:`sim.scenario.schema.RESOURCES`).
    dep_kind : list of str or None
        The dependency's kind as written (None: the default for its resource).
    dep_need : numpy.ndarray
        int64 suppliers that must work.
    dep_buffer_s : numpy.ndarray
        float64 buffer, s.
    dep_refill_s : numpy.ndarray
        float64 time an empty buffer takes to refill, s (0: at once).
    supplier_group, supplier_node : numpy.ndarray
        int64 (dependency, node) pairs, grouped by dependency.
    coordinates : str
        ``"km"`` or ``"lonlat"``.
    crs : str or None
        The CRS of x, y when they are km in a known frame (a PROJ string or ``EPSG:NNNN``
        that pyproj reads, e.g. an importer's local frame); None: a local drawing in km, or
        ``coordinates`` says lonlat.
    """

    ids: list[str]
    sector: np.ndarray
    sector_names: list[str]
    kind: list[str]
    name: list[str]
    x: np.ndarray
    y: np.ndarray
    population: np.ndarray
    source: np.ndarray
    hardening: np.ndarray
    repair_median_s: np.ndarray
    repair_p90_s: np.ndarray
    link_a: np.ndarray
    link_b: np.ndarray
    dep_node: np.ndarray
    dep_resource: np.ndarray
    dep_kind: list[str | None]
    dep_need: np.ndarray
    dep_buffer_s: np.ndarray
    supplier_group: np.ndarray
    supplier_node: np.ndarray
    coordinates: str = "km"
    crs: str | None = None
    node_attrs: list[dict[str, Any] | None] | None = None
    link_id: list[str] | None = None
    link_kind: list[str] | None = None
    link_open: np.ndarray | None = None
    link_attrs: list[dict[str, Any] | None] | None = None
    dep_refill_s: np.ndarray | None = None

    def __post_init__(self) -> None:
        """Links, nodes and dependencies without the optional columns: no ids, kinds, ties,
        attributes or gradual refill."""
        n, links = len(self.ids), len(self.link_a)
        if self.node_attrs is None:
            self.node_attrs = [None] * n
        if self.link_id is None:
            self.link_id = [""] * links
        if self.link_kind is None:
            self.link_kind = [""] * links
        if self.link_open is None:
            self.link_open = np.zeros(links, bool)
        if self.link_attrs is None:
            self.link_attrs = [None] * links
        if self.dep_refill_s is None:
            self.dep_refill_s = np.zeros(len(self.dep_node))

    def __eq__(self, other: object) -> bool:
        """Same columns, value for value (NaN equal to NaN)."""
        if not isinstance(other, NetworkTables):
            return NotImplemented
        for name in self.__dataclass_fields__:
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, np.ndarray):
                if mine.shape != np.shape(theirs) or not np.array_equal(mine, theirs, equal_nan=mine.dtype.kind == "f"):
                    return False
            elif mine != theirs:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]   # mutable columns

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.ids)

    @property
    def n_links(self) -> int:
        """Number of links."""
        return len(self.link_a)

    @property
    def n_dependencies(self) -> int:
        """Number of dependencies."""
        return len(self.dep_node)

    def supplier_bounds(self) -> np.ndarray:
        """Where each dependency's suppliers start in ``supplier_node`` (D + 1 offsets)."""
        return np.searchsorted(self.supplier_group, np.arange(self.n_dependencies + 1))

    def records(self, resources: tuple[str, ...]) -> dict[str, Any]:
        """The network as a file writes it by hand: node records, id pairs, dependency records.

        Parameters
        ----------
        resources : tuple of str
            Resource name per code.

        Returns
        -------
        dict
            ``{"nodes": [...], "links": [[a, b], ...], "dependencies": [...]}``, each field
            only where it differs from its default (an unplaced node without ``x``, ``y``), durations as strings such as ``"2h"``; a
            link with an id, kind, ``open`` or attributes is a record ``{id, a, b, kind, open,
            attrs}``, the others pairs.
        """
        ids, sectors = self.ids, self.sector_names
        nodes: list[dict[str, Any]] = []
        columns = zip(ids, self.sector.tolist(), self.kind, self.name, self.x.tolist(), self.y.tolist(),
                      self.population.tolist(), self.source.tolist(), self.hardening.tolist(),
                      self.repair_median_s.tolist(), self.repair_p90_s.tolist(), self.node_attrs)
        for node_id, code, kind, name, x, y, population, source, hardening, median, p90, attrs in columns:
            node: dict[str, Any] = {"id": node_id, "sector": sectors[code]}
            if kind:
                node["kind"] = kind
            if name and name != node_id:
                node["name"] = name
            if x == x:       # else NaN: an unplaced node, written without x and y
                node["x"], node["y"] = x, y
            if population:
                node["population"] = population
            if source:
                node["source"] = True
            if hardening:
                node["hardening"] = hardening
            if median == median and p90 == p90:    # both given (not NaN)
                node["repair"] = {"median": format_seconds(median), "p90": format_seconds(p90)}
            if attrs:
                node["attrs"] = attrs
            nodes.append(node)
        links = [[ids[a], ids[b]] for a, b in zip(self.link_a.tolist(), self.link_b.tolist())]
        columns = zip(self.link_id, self.link_kind, self.link_open.tolist(), self.link_attrs)
        for i, (link_id, kind, is_open, attrs) in enumerate(columns):
            if link_id or kind or is_open or attrs:
                links[i] = _link_record(link_id, *links[i], kind, is_open, attrs)
        bounds, suppliers = self.supplier_bounds().tolist(), self.supplier_node.tolist()
        dependencies: list[dict[str, Any]] = []
        columns = zip(self.dep_node.tolist(), self.dep_resource.tolist(), self.dep_kind, self.dep_need.tolist(),
                      self.dep_buffer_s.tolist(), self.dep_refill_s.tolist())
        for g, (node_row, resource, kind, need, buffer, refill) in enumerate(columns):
            dep: dict[str, Any] = {"node": ids[node_row], "resource": resources[resource]}
            if kind is not None:
                dep["kind"] = kind
            dep["suppliers"] = [ids[s] for s in suppliers[bounds[g]:bounds[g + 1]]]
            if need != 1:
                dep["need"] = need
            if buffer:
                dep["buffer"] = format_seconds(buffer)
            if refill:
                dep["refill"] = format_seconds(refill)
            dependencies.append(dep)
        return {"nodes": nodes, "links": links, "dependencies": dependencies}
