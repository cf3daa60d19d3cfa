"""Sanity warnings: what a valid scenario can run with, but probably does not mean.

Each check looks at whole columns of the network at once. ``ripple validate``, ``ripple
run`` and ``ripple batch`` print the warnings (``warning: …`` on stderr), and every run
writes them into ``summary.json`` under ``warnings``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.scenario.extent import extent_warning
from sim.scenario.schema import RESOURCES, Scenario

if TYPE_CHECKING:
    from sim.scenario.netdata.tables import NetworkTables

__all__ = ["RESOURCE_SECTORS", "first_few", "sanity_warnings"]

# the sector names that supply each resource; ``control`` (cyber) may come from any sector.
# A dependency warns only when its supplier's sector is one of these names and not its
# resource's: a sector no resource names (health, emergency, alpha) never warns.
RESOURCE_SECTORS = {
    "power": ("energy", "power", "electricity"),
    "water": ("water", "wastewater"),
    "telecom": ("telecom", "telecoms", "telecommunications", "communications"),
    "fuel": ("fuel", "energy", "oil", "gas"),
    "transport": ("transport", "transportation"),
}
SHARED_SPOT = (5, 0.10)       # nodes on one exact position: at least 5 and 10% of the placed nodes
KM_PER_DEGREE = 111.32


def first_few(ids: list[str], shown: int = 5) -> str:
    """The first ids of a list, and how many more.

    Parameters
    ----------
    ids : list of str
        Ids (or other names), in the order to show.
    shown : int
        How many to name.

    Returns
    -------
    str
        E.g. ``"a, b, c and 4 more"``.

    Examples
    --------
    >>> first_few(["a", "b", "c", "d"], 2)
    'a, b and 2 more'
    """
    more = len(ids) - shown
    return ", ".join(ids[:shown]) + (f" and {more} more" if more > 0 else "")


def _positions_km(t: "NetworkTables") -> tuple[np.ndarray, np.ndarray]:
    """x, y in km (degrees scaled around the mean latitude, as the network projects them)."""
    if t.coordinates != "lonlat":
        return t.x, t.y
    placed = ~np.isnan(t.y)
    lat0 = np.radians(t.y[placed].mean()) if placed.any() else 0.0
    return t.x * KM_PER_DEGREE * np.cos(lat0), t.y * KM_PER_DEGREE


def _wrong_suppliers(t: "NetworkTables") -> str | None:
    """Dependencies whose supplier is of the sector of another resource."""
    known = {name for names in RESOURCE_SECTORS.values() for name in names}
    wrong = np.zeros((len(RESOURCES), len(t.sector_names)), bool)      # resource code x sector code
    for r, resource in enumerate(RESOURCES):
        if resource in RESOURCE_SECTORS:
            wrong[r] = [name in known and name not in RESOURCE_SECTORS[resource] for name in t.sector_names]
    known_supplier = t.supplier_node >= 0
    group, supplier = t.supplier_group[known_supplier], t.supplier_node[known_supplier]
    bad = wrong[t.dep_resource[group], t.sector[supplier]]
    if not bad.any():
        return None
    count = int(bad.sum())
    pairs = [f"{t.ids[t.dep_node[g]]} needs {RESOURCES[t.dep_resource[g]]} from {t.ids[s]} "
             f"({t.sector_names[t.sector[s]]})" for g, s in zip(group[bad][:3].tolist(), supplier[bad][:3].tolist())]
    more = f" and {count - len(pairs)} more" if count > len(pairs) else ""
    return f"{count} supplier(s) are of a sector that supplies another resource: {', '.join(pairs)}{more}"


def _sourceless(s: Scenario, t: "NetworkTables") -> str | None:
    """Utility sectors (fed from sources: power, water, telecom, fuel) with links but no
    source node and no connectivity set; a road network's giant component is its rule."""
    fed = {name for resource, names in RESOURCE_SECTORS.items() if resource != "transport" for name in names}
    closed = ~t.link_open
    linked = np.zeros(len(t.sector_names), bool)
    linked[t.sector[t.link_a[closed]]] = True
    with_source = np.zeros(len(t.sector_names), bool)
    with_source[t.sector[t.source]] = True
    names = [name for code, name in enumerate(t.sector_names) if linked[code] and not with_source[code]
             and name in fed and (s.sectors.get(name) is None or s.sectors[name].connectivity is None)]
    if not names:
        return None
    return (f"sector(s) {', '.join(names)} have links but no source node: a node counts as served while it is in "
            "the largest connected part (giant_component); mark the sources with `source: true`, or set "
            "`sectors.<name>.connectivity`")


def _shared_spot(t: "NetworkTables", placed: np.ndarray) -> str | None:
    """Many nodes at one exact position (placeholder coordinates)."""
    n_placed = int(placed.sum())
    if n_placed < SHARED_SPOT[0]:
        return None
    many = max(SHARED_SPOT[0], SHARED_SPOT[1] * n_placed)
    if np.unique(t.x[placed], return_counts=True)[1].max() < many:     # nodes on one spot share their x first
        return None
    spots, inverse, counts = np.unique(t.x[placed] + 1j * t.y[placed], return_inverse=True, return_counts=True)
    top = int(np.argmax(counts))
    if counts[top] < many:
        return None
    rows = np.flatnonzero(placed)[inverse.ravel() == top]
    return (f"{counts[top]} of the {n_placed} placed nodes share one position ({spots[top].real:g}, {spots[top].imag:g}): "
            f"{first_few([t.ids[i] for i in rows.tolist()])}; are their coordinates placeholders?")


def sanity_warnings(scenario: Scenario, tables: "NetworkTables | None" = None) -> list[str]:
    """What in a valid scenario probably does not mean what it says, one line each.

    - no node has population (service stays 100% whatever fails);
    - the placed nodes span more than 2,000 km or less than 100 m
      (:func:`sim.scenario.extent.extent_warning`);
    - a dependency's supplier is of the sector of another resource (:data:`RESOURCE_SECTORS`);
    - a utility sector (power, water, telecom, fuel) has links but no source node and no
      ``connectivity`` set;
    - at least 5 nodes, and 10% of the placed ones, share one exact position;
    - nodes are unplaced (no coordinates);
    - a buffer is shorter than a tick (it carries its node through one whole tick);
    - what the network's dependency rules noticed (:attr:`NetworkData.warnings`).

    Parameters
    ----------
    scenario : Scenario
        A validated scenario.
    tables : NetworkTables, optional
        Its network as columns; by default ``scenario.network.tables`` (a loaded scenario's),
        or, for a scenario built in Python, its lists turned into columns.

    Returns
    -------
    list of str
        The warnings, in the order above; empty when none applies.
    """
    t = tables if tables is not None else scenario.network.tables
    if t is None:
        from sim.scenario.netdata import tables_from_records

        t = tables_from_records(scenario.network.model_dump(mode="json"))[0]
    out: list[str] = []
    if t.n_nodes and not (t.population > 0).any():
        out.append("no node has population: service stays at 100% and losses at 0 whatever fails "
                   "(give the nodes that serve people a `population`)")
    placed = ~(np.isnan(t.x) | np.isnan(t.y))
    extent = extent_warning(*_positions_km(t))
    if extent:
        out.append(extent)
    for check in (_wrong_suppliers(t), _sourceless(scenario, t), _shared_spot(t, placed)):
        if check:
            out.append(check)
    if not placed.all():
        unplaced = [t.ids[i] for i in np.flatnonzero(~placed).tolist()]
        out.append(f"{len(unplaced)} node(s) are unplaced (no x, y): {first_few(unplaced)}; blasts and distance "
                   "rules skip them, travel to them is estimated, maps draw them aside")
    tick = scenario.clock.tick
    short = np.flatnonzero((t.dep_buffer_s > 0) & (t.dep_buffer_s < tick))
    if len(short):
        out.append(f"{len(short)} dependency buffer(s) are shorter than a tick ({tick:g}s): each carries its node through one whole tick: "
                   f"{first_few([t.ids[t.dep_node[g]] for g in short.tolist()])}")
    return out + scenario.network.warnings
