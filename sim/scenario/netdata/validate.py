"""Checks on network columns, each over a whole column at once.

What a reader cannot see record by record: unique node and link ids, numbers finite and in range
(a position may be missing in both x and y: an unplaced node), ``need``
within the suppliers listed, suppliers listed twice, self-loops, links across sectors.
"""

from __future__ import annotations

import numpy as np

from sim.scenario.netdata.tables import NetworkTables
from sim.scenario.problems import Loc

__all__ = ["check_tables"]

Problems = list[tuple[Loc, str]]


KM_MAX = 1e6   # km: the largest coordinate a network in km may have
CRS_MAX = 1e9  # the largest in the units of a declared CRS (metres, feet), projected to km when loaded

def _duplicates(ids: list[str]) -> list[tuple[int, int]]:
    """(row, first row) of every id given again."""
    if len(set(ids)) == len(ids):
        return []
    first: dict[str, int] = {}
    out = []
    for i, node_id in enumerate(ids):
        if node_id in first:
            out.append((i, first[node_id]))
        first.setdefault(node_id, i)
    return out


def _range(values: np.ndarray, rows_ok: np.ndarray, loc: tuple[str, str], low: float | None,
           high: float | None, problems: Problems) -> None:
    """Report values that are not finite, or below ``low`` or above ``high``."""
    bad = ~np.isfinite(values)
    if low is not None:
        bad |= values < low
    if high is not None:
        bad |= values > high
    for i in np.flatnonzero(bad & rows_ok).tolist():
        v = values[i]
        if not np.isfinite(v):
            message = "Input should be a finite number"
        elif low is not None and v < low:
            message = f"Input should be greater than or equal to {low:g}"
        else:
            message = f"Input should be less than or equal to {high:g}"
        problems.append(((loc[0], i, loc[1]), message))


def check_tables(t: NetworkTables) -> Problems:
    """Every problem of the network's values, located.

    Parameters
    ----------
    t : NetworkTables
        Columns from a reader; references that did not resolve are -1 (already reported).

    Returns
    -------
    list of (loc, message)
        ``loc`` relative to the network, e.g. ``("dependencies", 0, "need")``; in the order
        nodes, links, dependencies; empty when all is well.
    """
    problems: Problems = []
    n = t.n_nodes
    if not n:
        problems.append((("nodes",), "the network has no nodes"))
    for i, first in _duplicates(t.ids):
        problems.append((("nodes", i, "id"), f"duplicate node id '{t.ids[i]}' (first at nodes[{first}])"))
    every = np.ones(n, bool)
    # positions: km within a million of the origin (beyond, distances overflow and nothing on
    # Earth is that far), or longitude and latitude in degrees; NaN in both: an unplaced node
    x_max, y_max = (180.0, 90.0) if t.coordinates == "lonlat" else (CRS_MAX, CRS_MAX) if t.crs else (KM_MAX, KM_MAX)
    no_x, no_y = np.isnan(t.x), np.isnan(t.y)
    for i in np.flatnonzero(no_x != no_y).tolist():
        problems.append((("nodes", i, "x" if no_x[i] else "y"), "give both x and y, or neither (an unplaced node)"))
    _range(t.x, ~no_x, ("nodes", "x"), -x_max, x_max, problems)
    _range(t.y, ~no_y, ("nodes", "y"), -y_max, y_max, problems)
    _range(t.population, every, ("nodes", "population"), 0.0, None, problems)
    _range(t.hardening, every, ("nodes", "hardening"), 0.0, 1.0, problems)
    given = ~np.isnan(t.repair_median_s) & ~np.isnan(t.repair_p90_s)
    for i in np.flatnonzero(given & (t.repair_p90_s < t.repair_median_s)).tolist():
        problems.append((("nodes", i, "repair", "p90"), "the 90th percentile is shorter than the median"))

    given = [link_id for link_id in t.link_id if link_id]
    if len(set(given)) != len(given):
        rows = [i for i, link_id in enumerate(t.link_id) if link_id]
        for i, first in _duplicates(given):
            problems.append((("links", rows[i], "id"), f"duplicate link id '{given[i]}' (first at links[{rows[first]}])"))
    a, b = t.link_a, t.link_b
    resolved = (a >= 0) & (b >= 0)
    for i in np.flatnonzero(resolved & (a == b)).tolist():
        problems.append((("links", i), f"a link from '{t.ids[a[i]]}' to itself"))
    sa = t.sector[np.where(resolved, a, 0)] if n else a
    sb = t.sector[np.where(resolved, b, 0)] if n else b
    for i in np.flatnonzero(resolved & (sa != sb)).tolist():
        na, nb = t.ids[a[i]], t.ids[b[i]]
        problems.append((("links", i), f"links join nodes of one sector; '{na}' is {t.sector_names[sa[i]]}, "
                         f"'{nb}' is {t.sector_names[sb[i]]} (use a dependency between sectors)"))

    d = t.n_dependencies
    count = np.bincount(t.supplier_group, minlength=d)
    every = np.ones(d, bool)
    for i in np.flatnonzero(t.dep_need < 1).tolist():
        problems.append((("dependencies", i, "need"), "Input should be greater than or equal to 1"))
    for i in np.flatnonzero((t.dep_need > count) & (count > 0)).tolist():
        problems.append((("dependencies", i, "need"), f"need {t.dep_need[i]} exceeds the {count[i]} supplier(s) listed"))
    _range(t.dep_buffer_s, every, ("dependencies", "buffer"), 0.0, None, problems)
    _range(t.dep_refill_s, every, ("dependencies", "refill"), 0.0, None, problems)
    group, node = t.supplier_group, t.supplier_node
    known = node >= 0
    pairs = group[known] * max(n, 1) + node[known]
    unique, counts = np.unique(pairs, return_counts=True)
    for g in np.unique(unique[counts > 1] // max(n, 1)).tolist():
        problems.append((("dependencies", g, "suppliers"), "a supplier is listed twice"))
    own = known & (t.dep_node[group] == node)
    for g in np.unique(group[own]).tolist():
        problems.append((("dependencies", g, "suppliers"), f"'{t.ids[t.dep_node[g]]}' cannot supply itself"))
    return problems
