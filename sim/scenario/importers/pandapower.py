"""A pandapower network (``pandapower.to_json``) as a ripple power network.

The mapping (docs: README, "Bring your own network: pandapower"):

- each bus is a node ``<prefix>bus<index>`` of one sector, its name kept, its pandapower
  index, ``vn_kv``, ``type``, ``zone`` and the loads and static generators on it in ``attrs``;
  its kind: ``transmission_substation`` at 110 kV and above, ``distribution_substation`` on
  either side of a transformer below that, else ``bus``;
- lines, two- and three-winding transformers (each winding pair) and impedances are links
  ``line<i>``, ``trafo<i>``, ``trafo3w<i>_hv_mv`` …, ``impedance<i>`` with their electrical
  parameters in ``attrs``; out-of-service ones and those an open switch cuts off are
  normally-open ties; closed bus-bus switches are links ``switch<i>``, open ones ties;
- buses with an in-service ``ext_grid`` or ``gen`` are sources; loads give people served,
  ``people_per_mw`` per MW of their ``p_mw``;
- what a DC power flow needs (:mod:`sim.scenario.importers.ppelectric`): reactances per unit
  on 100 MVA and ratings in MVA on the links, loads, generation, limits and slacks in MW on
  the buses;
- positions (``bus.geo`` GeoJSON points, or the older ``bus_geodata``) are projected from
  ``crs`` to km around the data's centre; a bus without one is left unplaced (no ``x``,
  ``y``) and reported.
"""

from __future__ import annotations

import json
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from sim.scenario.importers.geo import LONLAT, extent_warning, to_local_km
from sim.scenario.importers.ppelectric import branch_electrics, bus_electrics
from sim.scenario.importers.report import ImportFailed, ImportReport
from sim.scenario.importers.sourcedata import plain
from sim.scenario.netdata import NetworkTables, tables_from_records

__all__ = ["PEOPLE_PER_MW", "TRANSMISSION_KV", "import_pandapower", "read_pandapower"]

# Peak electricity demand per inhabitant is about 1 kW in Western Europe (Germany ~80 GW for
# 84 million people, households, commerce and industry together), so a load's MW serve about
# a thousand people.
PEOPLE_PER_MW = 1000.0
TRANSMISSION_KV = 110.0     # buses at this voltage and above are transmission substations
BRANCHES_NOT_MAPPED = ("dcline", "tcsc", "line_dc", "vsc")    # not (yet) links: dropped, counted
_LINE_ATTRS = ("name", "std_type", "length_km", "r_ohm_per_km", "x_ohm_per_km", "c_nf_per_km", "max_i_ka",
               "parallel", "type")
_TRAFO_ATTRS = ("name", "std_type", "sn_mva", "vn_hv_kv", "vn_lv_kv", "vk_percent", "vkr_percent", "shift_degree",
                "parallel")
_TRAFO3W_ATTRS = ("name", "std_type", "sn_hv_mva", "sn_mv_mva", "sn_lv_mva", "vn_hv_kv", "vn_mv_kv", "vn_lv_kv",
                  "vk_hv_percent", "vk_mv_percent", "vk_lv_percent")
_IMPEDANCE_ATTRS = ("name", "rft_pu", "xft_pu", "sn_mva")
_SWITCH_ATTRS = ("name", "type", "z_ohm")
_WINDINGS = (("hv", "mv"), ("hv", "lv"), ("mv", "lv"))


@contextmanager
def _quiet_pandapower() -> Iterator[None]:
    """Silence pandapower's log while it loads (it warns that numba, optional, is missing)."""
    logger = logging.getLogger("pandapower")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def read_pandapower(path: Path) -> Any:
    """A pandapower network from its JSON file.

    Parameters
    ----------
    path : pathlib.Path
        A file written by ``pandapower.to_json``.

    Returns
    -------
    pandapower.auxiliary.pandapowerNet

    Raises
    ------
    ImportFailed
        When the file is missing or is not a pandapower network.
    """
    if not path.is_file():
        raise ImportFailed(f"{path}: file not found")
    with _quiet_pandapower():
        import pandapower

        try:
            net = pandapower.from_json(str(path))
        except Exception as exc:  # pandapower raises many kinds for a foreign file
            raise ImportFailed(f"{path}: not a pandapower network ({type(exc).__name__}: {exc})".splitlines()[0]) from None
    if not isinstance(net, pandapower.pandapowerNet) or "bus" not in net or not len(net.bus):
        raise ImportFailed(f"{path}: not a pandapower network (no buses)")
    return net



def _attrs(row: dict[str, Any], keys: tuple[str, ...], **extra: Any) -> dict[str, Any]:
    """The given fields of a row that have a value, plus ``extra``."""
    out = {key: plain(row[key]) for key in keys if key in row}
    out.update(extra)
    return {key: value for key, value in out.items() if value is not None}


def _positions(net: Any) -> tuple[np.ndarray, np.ndarray]:
    """Bus x, y in the source CRS, NaN where the bus has none."""
    n = len(net.bus)
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    if "geo" in net.bus and net.bus.geo.notna().any():
        for row, text in enumerate(net.bus.geo.tolist()):
            if isinstance(text, str):
                geometry = json.loads(text)
                if geometry.get("type") == "Point":
                    x[row], y[row] = geometry["coordinates"][:2]
    elif "bus_geodata" in net and len(net.bus_geodata):
        geodata = net.bus_geodata.reindex(net.bus.index)
        x, y = geodata.x.to_numpy(float), geodata.y.to_numpy(float)
    return x, y


class _Links:
    """Link records gathered element by element."""

    def __init__(self, node_id: dict[int, str]):
        self.node_id = node_id
        self.records: list[dict[str, Any]] = []
        self.ends: list[tuple[int, int]] = []     # bus indices of each record

    def add(self, link_id: str, kind: str, a: int, b: int, is_open: bool, attrs: dict[str, Any]) -> None:
        """One link between buses ``a`` and ``b``."""
        record = {"id": link_id, "a": self.node_id[a], "b": self.node_id[b], "kind": kind, "attrs": attrs}
        if is_open:
            record["open"] = True
        self.records.append(record)
        self.ends.append((a, b))

    def open_at(self, buses: set[int]) -> int:
        """Make every link at one of ``buses`` a tie; how many were links."""
        count = 0
        for record, (a, b) in zip(self.records, self.ends):
            if (a in buses or b in buses) and not record.get("open"):
                record["open"] = True
                count += 1
        return count


def _open_switches(net: Any, et: str) -> set[tuple[int, int]]:
    """(element, bus) of the open switches between a bus and an element of type ``et``."""
    switch = net.switch
    cut = switch[(switch.et == et) & ~switch.closed.astype(bool)]
    return set(zip(cut.element.tolist(), cut.bus.tolist()))


def _branches(net: Any, links: _Links, report: ImportReport) -> None:
    """Lines, transformers, impedances and bus-bus switches as links; open or out of service: ties."""
    for table, kind, ends, keys, et in (("line", "line", ("from_bus", "to_bus"), _LINE_ATTRS, "l"),
                                        ("trafo", "trafo", ("hv_bus", "lv_bus"), _TRAFO_ATTRS, "t"),
                                        ("impedance", "impedance", ("from_bus", "to_bus"), _IMPEDANCE_ATTRS, None)):
        if table not in net:
            continue
        cut = _open_switches(net, et) if et else set()
        for index, row in zip(net[table].index.tolist(), net[table].to_dict("records")):
            a, b = int(row[ends[0]]), int(row[ends[1]])
            in_service = bool(row.get("in_service", True))
            switched = (index, a) in cut or (index, b) in cut
            links.add(f"{table}{index}", kind, a, b, switched or not in_service, _attrs(row, keys))
            report.mapped[f"{table}s -> links" if in_service and not switched else
                          f"{table}s out of service -> ties" if not in_service else f"{table}s cut by an open switch -> ties"] += 1
    if "trafo3w" in net:
        cut = _open_switches(net, "t3")
        for index, row in zip(net.trafo3w.index.tolist(), net.trafo3w.to_dict("records")):
            in_service = bool(row["in_service"])
            for one, other in _WINDINGS:
                a, b = int(row[f"{one}_bus"]), int(row[f"{other}_bus"])
                switched = (index, a) in cut or (index, b) in cut
                links.add(f"trafo3w{index}_{one}_{other}", "trafo3w", a, b, switched or not in_service,
                          _attrs(row, _TRAFO3W_ATTRS))
            report.mapped["trafo3ws -> 3 links" if in_service else "trafo3ws out of service -> 3 ties"] += 1
    buses = net.switch[net.switch.et == "b"]
    for index, row in zip(buses.index.tolist(), buses.to_dict("records")):
        closed = bool(row["closed"])
        links.add(f"switch{index}", "switch", int(row["bus"]), int(row["element"]), not closed,
                  _attrs(row, _SWITCH_ATTRS))
        report.mapped["bus-bus switches closed -> links" if closed else "bus-bus switches open -> ties"] += 1
    for table in BRANCHES_NOT_MAPPED:
        if table in net and len(net[table]):
            report.dropped[f"{table} (not mapped yet)"] += len(net[table])


def _kinds(net: Any) -> list[str]:
    """Kind per bus: transmission substation at 110 kV and above, distribution substation at
    a transformer below that, else bus."""
    at_trafo: set[int] = set()
    for table, sides in (("trafo", ("hv_bus", "lv_bus")), ("trafo3w", ("hv_bus", "mv_bus", "lv_bus"))):
        if table in net:
            for side in sides:
                at_trafo.update(net[table][side].astype(int).tolist())
    return ["transmission_substation" if vn >= TRANSMISSION_KV else "distribution_substation" if bus in at_trafo
            else "bus" for bus, vn in zip(net.bus.index.tolist(), net.bus.vn_kv.tolist())]


def _per_bus(net: Any, table: str, column: str) -> dict[int, float]:
    """Sum of ``column`` of the in-service elements of ``table`` per bus."""
    if table not in net or not len(net[table]):
        return {}
    rows = net[table][net[table].in_service.astype(bool)]
    return {int(bus): float(value) for bus, value in rows.groupby("bus")[column].sum().items()}


def _sources(net: Any, report: ImportReport) -> set[int]:
    """Buses of the in-service external grids and generators."""
    buses: set[int] = set()
    for table in ("ext_grid", "gen"):
        if table in net and len(net[table]):
            on = net[table].in_service.astype(bool)
            buses.update(net[table].bus[on].astype(int).tolist())
            report.mapped[f"{table}s -> sources"] += int(on.sum())
            report.dropped[f"{table}s out of service"] += int((~on).sum())
    return buses


def import_pandapower(path: Path, sector: str = "energy", prefix: str = "", people_per_mw: float = PEOPLE_PER_MW,
                      crs: str = LONLAT) -> tuple[NetworkTables, ImportReport]:
    """A pandapower network as ripple network columns.

    Parameters
    ----------
    path : pathlib.Path
        A file written by ``pandapower.to_json``.
    sector : str
        The sector of every node.
    prefix : str
        Put before every node id (``bus<index>``), to combine several grids.
    people_per_mw : float
        People served per MW of load (``p_mw``), people/MW.
    crs : str
        Coordinate reference system of the bus positions (default WGS84 longitude, latitude).

    Returns
    -------
    tables : NetworkTables
        The network, checked, ``coordinates`` km.
    report : ImportReport
        What was mapped, dropped and left unplaced, and warnings.

    Raises
    ------
    ImportFailed
        When the file is missing or not a pandapower network, or the CRS is unknown.
    """
    net = read_pandapower(path)
    report = ImportReport()
    buses = net.bus.index.astype(int).tolist()
    node_id = {bus: f"{prefix}bus{bus}" for bus in buses}
    links = _Links(node_id)
    _branches(net, links, report)
    with _quiet_pandapower():
        electrics = branch_electrics(net)
    if electrics is None:
        report.warnings.append("pandapower cannot run this network's DC power flow: links carry no reactances "
                               "or ratings, so `physics: dc` cannot use it")
    else:
        for record in links.records:
            record["attrs"].update(electrics.get(record["id"], {}))
    flows = bus_electrics(net)
    sources = _sources(net, report)
    load, sgen = _per_bus(net, "load", "p_mw"), _per_bus(net, "sgen", "p_mw")
    report.mapped["loads -> people served"] += int(net.load.in_service.astype(bool).sum()) if "load" in net else 0
    report.mapped["sgens -> bus attrs"] += int(net.sgen.in_service.astype(bool).sum()) if "sgen" in net else 0
    out_of_service = set(net.bus.index[~net.bus.in_service.astype(bool)].astype(int).tolist())
    report.mapped["links at out-of-service buses -> ties"] += links.open_at(out_of_service)
    report.mapped["buses out of service (kept, their links ties)"] += len(out_of_service)
    x, y, frame = to_local_km(*_positions(net), crs=crs)
    report.unplaced = [node_id[buses[row]] for row in np.flatnonzero(np.isnan(x)).tolist()]
    warning = extent_warning(x, y)
    if warning:
        report.warnings.append(warning)
    nodes = []
    for row, (bus, record, kind) in enumerate(zip(buses, net.bus.to_dict("records"), _kinds(net))):
        attrs = _attrs(record, ("vn_kv", "type", "zone"), pandapower_index=bus, load_mw=load.get(bus),
                       sgen_mw=sgen.get(bus), **flows.get(bus, {}))
        if not record.get("in_service", True):
            attrs["in_service"] = False
        node: dict[str, Any] = {"id": node_id[bus], "sector": sector, "kind": kind, "attrs": attrs}
        if not np.isnan(x[row]):       # else unplaced
            node["x"], node["y"] = float(x[row]), float(y[row])
        if plain(record.get("name")) is not None:
            node["name"] = str(record["name"])
        if load.get(bus):
            node["population"] = load[bus] * people_per_mw
        if bus in sources:
            node["source"] = True
        nodes.append(node)
    report.mapped["buses -> nodes"] += len(nodes)
    self_loops = [r for r in links.records if r["a"] == r["b"]]
    if self_loops:
        report.dropped["branches from a bus to itself"] += len(self_loops)
    records = {"nodes": nodes, "links": [r for r in links.records if r["a"] != r["b"]], "dependencies": []}
    tables, problems = tables_from_records(records)
    if problems:
        raise ImportFailed(f"{path}: the network does not check: " + "; ".join(f"{loc}: {m}" for loc, m in problems[:5]))
    tables.crs = frame
    return tables, report
