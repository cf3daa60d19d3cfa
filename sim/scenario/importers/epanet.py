"""An EPANET water network (.inp, read with WNTR) as a ripple water network.

The mapping (docs/import.md, "EPANET"):

- junctions, tanks and reservoirs are nodes ``<prefix><EPANET id>`` of kind ``junction``,
  ``tank``, ``reservoir``; reservoirs and tanks are sources;
- each pipe is a link ``pipe<ID>`` with its length, diameter, roughness, minor loss, status
  and check valve in ``attrs``; a closed pipe is a normally-open tie;
- each pump and valve is a node ``<prefix>pump<ID>`` / ``<prefix>valve<ID>`` halfway between
  its ends, joined to them by the links ``pump<ID>.in`` and ``pump<ID>.out`` (``valve…``),
  so attacks and power dependencies can name it; closed at the start, its links are ties;
- a tank is fed by the pumps that lift water into its part of the network (and by the
  reservoirs in that part): it needs one of them, with a buffer of its usable volume over
  the demand that part serves, its own and its share of the zones it pumps on to
  (:func:`storage_dependencies`);
- average demand (base demand × mean pattern multiplier × demand multiplier) gives the
  people served, ``people_per_lps`` per L/s;
- EPANET coordinates are a drawing without units: feet when the flow units are US, metres
  when SI, unless ``units`` says otherwise; ``origin`` places the drawing, ``crs`` says they
  are real projected or geographic coordinates.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from sim.scenario.importers.geo import drawing_to_km, extent_warning, to_local_km
from sim.scenario.importers.inpfile import read_inp
from sim.scenario.importers.report import ImportFailed, ImportReport
from sim.scenario.importers.sourcedata import plain
from sim.scenario.netdata import NetworkTables, tables_from_records
from sim.scenario.netdata.tables import format_seconds

__all__ = ["PEOPLE_PER_LPS", "US_FLOW_UNITS", "average_demand", "import_epanet", "served_demand",
           "storage_dependencies", "usable_volume"]

# About 200 L per person per day of water supplied (households with their share of commerce
# and losses; Europe 130-250, North America 300-400): 1 L/s = 86,400 L/day serves 432 people.
PEOPLE_PER_LPS = 86_400 / 200
US_FLOW_UNITS = frozenset({"CFS", "GPM", "MGD", "IMGD", "AFD"})    # EPANET's US customary flow units


def _attrs(**values: Any) -> dict[str, Any]:
    """The values that are known."""
    return {key: kept for key, value in values.items() if (kept := plain(value)) is not None}


def average_demand(model: Any) -> dict[str, float]:
    """Average demand of each junction, m³/s: its base demands times their patterns' mean.

    Parameters
    ----------
    model : wntr.network.WaterNetworkModel
        The network.

    Returns
    -------
    dict
        Junction id → m³/s, times the demand multiplier; over whole pattern cycles this is
        what ``wntr.metrics.average_expected_demand`` computes.
    """
    multiplier = float(model.options.hydraulic.demand_multiplier)
    out = {}
    for name, junction in model.junctions():
        total = 0.0
        for demand in junction.demand_timeseries_list:
            pattern = demand.pattern
            mean = float(np.mean(pattern.multipliers)) if pattern is not None and len(pattern.multipliers) else 1.0
            total += float(demand.base_value) * mean
        out[name] = total * multiplier
    return out


def usable_volume(tank: Any) -> float:
    """Water a tank holds above its minimum level at its initial level, m³.

    Parameters
    ----------
    tank : wntr.network.elements.Tank
        The tank (cylindrical, or with a volume curve).

    Returns
    -------
    float
        ``V(init_level) - V(min_level)``, at least 0.
    """
    return max(0.0, float(tank.get_volume(tank.init_level) - tank.get_volume(tank.min_level)))


def _is_closed(link: Any) -> bool:
    """A pipe, pump or valve closed at the start."""
    return getattr(link.initial_status, "name", str(link.initial_status)).lower() == "closed"


def storage_dependencies(model: Any, row: dict[str, int], pump_row: dict[str, int], demand: dict[str, float],
                         report: ImportReport) -> list[dict[str, Any]]:
    """What each tank and pump needs to keep water coming, as dependency records (node rows).

    The network without its pumps falls apart into parts (pipes and open valves, closed ones
    not counted). A pump *fills* the part at its outlet when its inlet is in another part; it
    needs one of the reservoirs or tanks of its inlet's part (no buffer). A tank needs one of
    the pumps filling its part or a reservoir in it; when all are lost it serves on for its
    buffer: the usable volume of the part's tanks over the demand the part serves
    (:func:`served_demand`). A tank with neither, or whose part serves no demand, is a source
    that never drains.

    Parameters
    ----------
    model : wntr.network.WaterNetworkModel
        The network.
    row : dict
        Node row per junction, tank and reservoir id.
    pump_row : dict
        Node row per pump id.
    demand : dict
        Average demand per junction, m³/s.
    report : ImportReport
        Counts what was decided.

    Returns
    -------
    list of dict
        ``{"node": row, "resource": "water", "suppliers": [rows], "buffer": seconds}``.
    """
    a, b = [], []
    for links in (model.pipes(), model.valves()):
        for _, link in links:
            if not _is_closed(link):
                a.append(row[link.start_node_name])
                b.append(row[link.end_node_name])
    n = len(row)
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    _, part = connected_components(graph, directed=False)
    stores: dict[int, list[int]] = {}        # reservoirs and tanks per part
    reservoirs: dict[int, list[int]] = {}
    for name, node in model.nodes():
        if node.node_type in ("Reservoir", "Tank"):
            stores.setdefault(int(part[row[name]]), []).append(row[name])
        if node.node_type == "Reservoir":
            reservoirs.setdefault(int(part[row[name]]), []).append(row[name])
    fills: dict[int, list[int]] = {}
    inlets: dict[int, set[int]] = {}         # the parts each part's filling pumps draw from
    deps = []
    for name, pump in model.pumps():
        inlet, outlet = int(part[row[pump.start_node_name]]), int(part[row[pump.end_node_name]])
        if _is_closed(pump) or inlet == outlet:
            continue
        fills.setdefault(outlet, []).append(pump_row[name])
        inlets.setdefault(outlet, set()).add(inlet)
        if stores.get(inlet):
            deps.append({"node": pump_row[name], "resource": "water", "suppliers": stores[inlet], "buffer": 0.0})
            report.mapped["pumps -> need a reservoir or tank at their inlet"] += 1
    volume = {name: usable_volume(tank) for name, tank in model.tanks()}
    part_volume = np.bincount([part[row[t]] for t in volume], weights=list(volume.values()), minlength=n)
    own = np.bincount([part[row[j]] for j in demand], weights=[max(d, 0.0) for d in demand.values()], minlength=n)
    part_demand = served_demand(own, inlets, set(reservoirs), report)
    for name in volume:
        here = int(part[row[name]])
        suppliers = fills.get(here, []) + reservoirs.get(here, [])
        if not suppliers:
            report.mapped["tanks with no pump or reservoir filling them -> sources that never drain"] += 1
        elif part_demand[here] <= 0:
            report.mapped["tanks serving no demand -> sources that never drain"] += 1
        else:
            buffer = float(round(part_volume[here] / part_demand[here]))
            deps.append({"node": row[name], "resource": "water", "suppliers": suppliers, "buffer": buffer})
            report.mapped["tanks -> need their pumps or reservoirs, buffer volume / demand"] += 1
    return deps


def served_demand(own: np.ndarray, inlets: dict[int, set[int]], fed_by_gravity: set[int],
                  report: ImportReport) -> np.ndarray:
    """The demand each part of the network serves: its own, and its share of the parts its water
    is pumped on to.

    A part's pumps draw its demand from the parts at their inlets, in equal shares (a
    reservoir in the part takes one share too): a tank's water serves the junctions beyond
    the boosters it feeds as well as its own.

    Parameters
    ----------
    own : numpy.ndarray
        Average demand of each part's junctions, m³/s.
    inlets : dict
        Part → the parts its filling pumps draw from.
    fed_by_gravity : set of int
        Parts with a reservoir.
    report : ImportReport
        Told when pumps lift water round in a circle (then each part serves its own demand).

    Returns
    -------
    numpy.ndarray
        m³/s per part.

    Examples
    --------
    Part 2 draws from parts 0 and 1, part 1 from part 0: all water comes from part 0.

    >>> import numpy as np
    >>> served_demand(np.array([1.0, 2.0, 4.0]), {1: {0}, 2: {0, 1}}, set(), ImportReport()).tolist()
    [7.0, 4.0, 4.0]
    """
    served = own.astype(float)
    try:
        order = list(TopologicalSorter({p: set() for p in range(len(own))} | inlets).static_order())
    except CycleError:
        report.warnings.append("pumps lift water round in a circle between parts of the network: each tank's "
                               "buffer counts only the demand of its own part")
        return served
    for downstream in reversed(order):       # every part after the parts it draws from
        sources = inlets.get(downstream, set())
        shares = len(sources) + (downstream in fed_by_gravity)
        for upstream in sources:
            served[upstream] += served[downstream] / shares
    return served


def _coordinates(model: Any, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """x, y of the nodes ``names`` as drawn; NaN for those not in [COORDINATES].

    WNTR gives such a node (0, 0); which nodes the file placed is read from the section's
    lines, which WNTR keeps with the model.
    """
    drawn = set()
    for _, line in getattr(model, "_inpfile").sections.get("[COORDINATES]", []):
        words = line.split(";", 1)[0].split()
        if words:
            drawn.add(words[0])
    xy = [model.get_node(name).coordinates if name in drawn else (np.nan, np.nan) for name in names]
    return np.array([p[0] for p in xy], float), np.array([p[1] for p in xy], float)


def _to_km(x: np.ndarray, y: np.ndarray, flow_units: str, crs: str | None, units: str | None,
           origin: tuple[float, float] | None, report: ImportReport) -> tuple[np.ndarray, np.ndarray, str | None]:
    """The drawing's positions in km: projected from ``crs``, else scaled from ``units``."""
    if crs is not None:
        if units is not None or origin is not None:
            raise ImportFailed("give either --crs (the coordinates are real ones in that CRS) or --units and "
                               "--origin (they are a drawing), not both")
        return to_local_km(x, y, crs)
    if units is None:
        units = "ft" if flow_units in US_FLOW_UNITS else "m"
        report.warnings.append(f"EPANET coordinates carry no unit: read as {units} because the flow units are "
                               f"{flow_units}; give --units (and --origin LON,LAT to place the drawing) if wrong")
    return drawing_to_km(x, y, units, origin)


class _Device(NamedTuple):
    """A pump or valve, which becomes a node between its ends."""

    kind: str       # "pump" or "valve"
    name: str       # its EPANET id
    node: str       # its ripple node id
    link: Any       # the WNTR link


def _devices(model: Any, prefix: str, taken: set[str], path: Path) -> list[_Device]:
    """The pumps, then the valves, with their node ids ``<prefix>pump<ID>``, ``<prefix>valve<ID>``."""
    devices = [_Device(kind, name, f"{prefix}{kind}{name}", link)
               for kind, items in (("pump", model.pumps()), ("valve", model.valves())) for name, link in items]
    clash = sorted(d.node for d in devices if d.node in taken)
    if clash:
        raise ImportFailed(f"{path}: the pump or valve node id {clash[0]} is also a junction, tank or reservoir id")
    return devices


def _link_records(model: Any, node_id: dict[str, str], devices: list[_Device],
                  report: ImportReport) -> list[dict[str, Any]]:
    """Each pipe as a link; each pump and valve as two links to its node."""
    links: list[dict[str, Any]] = []
    for name, pipe in model.pipes():
        closed = _is_closed(pipe)
        attrs = _attrs(epanet_id=name, length_m=pipe.length, diameter_m=pipe.diameter, roughness=pipe.roughness,
                       minor_loss=pipe.minor_loss, status=pipe.initial_status.name)
        if pipe.check_valve:
            attrs["check_valve"] = True
        record = {"id": f"pipe{name}", "a": node_id[pipe.start_node_name], "b": node_id[pipe.end_node_name],
                  "kind": "pipe", "attrs": attrs}
        links.append({**record, "open": True} if closed else record)
        report.mapped["closed pipes -> normally-open ties" if closed else "pipes -> links"] += 1
    for device in devices:
        closed = _is_closed(device.link)
        for side, a, b in (("in", node_id[device.link.start_node_name], device.node),
                           ("out", device.node, node_id[device.link.end_node_name])):
            record = {"id": f"{device.kind}{device.name}.{side}", "a": a, "b": b, "kind": device.kind}
            links.append({**record, "open": True} if closed else record)
        report.mapped[f"{device.kind}s closed -> nodes with tie links" if closed
                      else f"{device.kind}s -> nodes with two links"] += 1
    return links


def _positions(model: Any, names: list[str], devices: list[_Device], crs: str | None, units: str | None,
               origin: tuple[float, float] | None, report: ImportReport) -> tuple[np.ndarray, np.ndarray, str | None]:
    """x, y in km of the nodes ``names`` then of the devices, and their frame."""
    row = {name: i for i, name in enumerate(names)}
    x, y = _coordinates(model, names)
    x, y, frame = _to_km(x, y, str(model.options.hydraulic.inpfile_units), crs, units, origin, report)
    ends = np.array([(row[d.link.start_node_name], row[d.link.end_node_name]) for d in devices],
                    np.int64).reshape(-1, 2)
    report.unplaced = [names[i] for i in np.flatnonzero(np.isnan(x)).tolist()]
    # devices halfway between their ends; at the placed end when only one is placed
    x = np.concatenate([x, _between(x[ends[:, 0]], x[ends[:, 1]])])
    y = np.concatenate([y, _between(y[ends[:, 0]], y[ends[:, 1]])])
    if (warning := extent_warning(x, y)) is not None:
        report.warnings.append(warning)
    return x, y, frame


def _between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Midpoints of ``a`` and ``b``; the one that is known where the other is NaN."""
    return np.where(np.isnan(a), b, np.where(np.isnan(b), a, (a + b) / 2))


def _node_record(node: Any, node_id: str, sector: str, demand: float, people_per_lps: float) -> dict[str, Any]:
    """A junction, tank or reservoir as a node record (without its position)."""
    kind = node.node_type.lower()
    record: dict[str, Any] = {"id": node_id, "sector": sector, "kind": kind}
    if node_id != node.name:      # the EPANET id, when a prefix hides it
        record["name"] = node.name
    if kind == "junction":
        attrs = _attrs(elevation_m=node.elevation, demand_lps=demand * 1000)
        if demand > 0:
            record["population"] = demand * 1000 * people_per_lps
    elif kind == "tank":
        attrs = _attrs(elevation_m=node.elevation, init_level_m=node.init_level, min_level_m=node.min_level,
                       max_level_m=node.max_level, diameter_m=node.diameter, volume_curve=node.vol_curve_name,
                       usable_volume_m3=usable_volume(node))
        record["source"] = True
    else:
        attrs = _attrs(base_head_m=node.base_head)
        record["source"] = True
    if node.tag:
        attrs["tag"] = str(node.tag)
    record["attrs"] = attrs
    return record


def _device_record(device: _Device, sector: str) -> dict[str, Any]:
    """A pump or valve as a node record (without its position), its parameters in ``attrs``."""
    link = device.link
    if device.kind == "pump":
        attrs = _attrs(pump_type=link.pump_type, curve=getattr(link, "pump_curve_name", None),
                       power_kw=link.power / 1000 if link.pump_type == "POWER" else None,
                       speed=link.speed_timeseries.base_value, status=link.initial_status.name)
    else:
        attrs = _attrs(valve_type=link.valve_type, diameter_m=link.diameter, setting=link.initial_setting,
                       status=link.initial_status.name)
    return {"id": device.node, "sector": sector, "kind": device.kind, "name": f"{device.kind} {device.name}",
            "attrs": {"epanet_id": device.name, **attrs}}


def import_epanet(path: Path, *, sector: str = "water", prefix: str = "", crs: str | None = None,
                  units: str | None = None, origin: tuple[float, float] | None = None,
                  people_per_lps: float = PEOPLE_PER_LPS) -> tuple[NetworkTables, ImportReport]:
    """An EPANET water network as ripple network columns.

    Parameters
    ----------
    path : pathlib.Path
        An EPANET input file (.inp).
    sector : str
        The sector of every node.
    prefix : str
        Put before every node id, to combine several networks.
    crs : str or None
        The CRS of the coordinates when they are real ones, e.g. ``"EPSG:2229"``.
    units : str or None
        Units of the drawing (``m``, ``km``, ``ft``, ``us-ft``); default ft for US flow units, else m.
    origin : tuple of float or None
        Longitude, latitude of the drawing's 0, 0; None leaves it unplaced (no CRS).
    people_per_lps : float
        People served per L/s of average demand.

    Returns
    -------
    tables : NetworkTables
        The network, checked, coordinates km.
    report : ImportReport
        What was mapped, dropped and left unplaced, and warnings.

    Raises
    ------
    ImportFailed
        When the file cannot be read (with its line), or the CRS or units are unknown.
    """
    model, warnings = read_inp(path)
    report = ImportReport(warnings=warnings)
    for kind, count in (("junctions", model.num_junctions), ("reservoirs", model.num_reservoirs),
                        ("tanks", model.num_tanks)):
        report.mapped[f"{kind} -> {'source ' if kind != 'junctions' else ''}nodes"] += count
    names = list(model.node_name_list)
    node_id = {name: f"{prefix}{name}" for name in names}
    devices = _devices(model, prefix, set(node_id.values()), path)
    links = _link_records(model, node_id, devices, report)
    x, y, frame = _positions(model, names, devices, crs, units, origin, report)
    report.unplaced = [node_id[name] for name in report.unplaced]
    demand = average_demand(model)
    nodes = [_node_record(model.get_node(name), node_id[name], sector, demand.get(name, 0.0), people_per_lps)
             for name in names] + [_device_record(device, sector) for device in devices]
    for record, east, north in zip(nodes, x.tolist(), y.tolist()):
        if east == east:        # else unplaced: no x, y
            record["x"], record["y"] = east, north
    report.mapped["junctions with demand -> people served"] += sum(1 for d in demand.values() if d > 0)
    report.mapped["junctions with negative demand (an inflow) -> no people"] += sum(1 for d in demand.values() if d < 0)
    report.dropped["controls and rules (not read: the initial status decides what is open)"] += model.num_controls

    row = {name: i for i, name in enumerate(names)}
    pump_row = {d.name: len(names) + k for k, d in enumerate(devices) if d.kind == "pump"}
    ids = [record["id"] for record in nodes]
    dependencies = [{"node": ids[d["node"]], "resource": "water", "suppliers": [ids[s] for s in d["suppliers"]],
                     **({"buffer": format_seconds(d["buffer"])} if d["buffer"] else {})}
                    for d in storage_dependencies(model, row, pump_row, demand, report)]
    tables, problems = tables_from_records({"nodes": nodes, "links": links, "dependencies": dependencies})
    if problems:
        raise ImportFailed(f"{path}: the network does not check: " + "; ".join(f"{loc}: {m}" for loc, m in problems[:5]))
    tables.crs = frame
    return tables, report
