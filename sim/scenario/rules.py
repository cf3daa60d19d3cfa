"""Dependency rules expanded into explicit dependencies: each selected node depends on its
nearest candidate suppliers in range.

One k-d tree query per rule finds every dependant's ``nearest`` candidates within ``within``
(Bentley 1975, *Multidimensional binary search trees used for associative searching*,
CACM 18(9); scipy's ``cKDTree``), so 10^5 dependants and 10^4 candidates take a fraction of a
second. Nodes without a position (NaN) are neither matched nor given dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.scenario.netdata import NetworkTables
from sim.scenario.schema import RESOURCES, DependencyRule, NodeSelector

__all__ = ["RuleDependencies", "expand_rules", "select"]

SHOWN = 5       # nodes named in one message; the rest are counted


@dataclass
class RuleDependencies:
    """Dependencies made by rules, as columns (rows of the tables they were expanded on).

    Attributes
    ----------
    node, resource, need : numpy.ndarray
        int64 dependant row, int8 resource code, int64 suppliers needed, per dependency.
    kind : list of str or None
        The dependency kind each rule gives (None: the resource's default).
    buffer_s : numpy.ndarray
        float64 buffer, s.
    supplier_group, supplier_node : numpy.ndarray
        int64 (dependency, supplier row) pairs, grouped by dependency, nearest first.
    rule : numpy.ndarray
        int64 index of the rule each dependency comes from.
    """

    node: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    resource: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))
    kind: list[str | None] = field(default_factory=list)
    need: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    buffer_s: np.ndarray = field(default_factory=lambda: np.zeros(0))
    supplier_group: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    supplier_node: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    rule: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def extend(self, other: "RuleDependencies") -> None:
        """Append ``other``'s dependencies after these.

        Parameters
        ----------
        other : RuleDependencies
            More dependencies on the same rows.
        """
        offset = len(self.node)
        self.node = np.concatenate([self.node, other.node])
        self.resource = np.concatenate([self.resource, other.resource])
        self.kind = self.kind + other.kind
        self.need = np.concatenate([self.need, other.need])
        self.buffer_s = np.concatenate([self.buffer_s, other.buffer_s])
        self.supplier_group = np.concatenate([self.supplier_group, other.supplier_group + offset])
        self.supplier_node = np.concatenate([self.supplier_node, other.supplier_node])
        self.rule = np.concatenate([self.rule, other.rule])


def _names(rows: np.ndarray, ids: list[str]) -> str:
    """Some node ids, and how many more."""
    shown = ", ".join(ids[r] for r in rows[:SHOWN].tolist())
    return shown + (f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else "")


def select(t: NetworkTables, selector: NodeSelector, kind_array: np.ndarray | None = None) -> tuple[np.ndarray, list[str]]:
    """The rows a selector picks, and the ids it names that are not in the network.

    Parameters
    ----------
    t : NetworkTables
        The network.
    selector : NodeSelector
        Sector, and optionally kinds and ids.
    kind_array : numpy.ndarray or None
        ``t.kind`` as an object array, when the caller has it already.

    Returns
    -------
    rows : numpy.ndarray
        int64 node rows, ascending.
    unknown : list of str
        Ids in ``selector.ids`` that no node has.
    """
    if selector.sector not in t.sector_names:
        return np.zeros(0, np.int64), list(selector.ids or [])
    chosen = t.sector == t.sector_names.index(selector.sector)
    kinds = selector.kinds()
    if kinds is not None:
        kind_array = np.asarray(t.kind, dtype=object) if kind_array is None else kind_array
        chosen &= np.isin(kind_array, kinds)
    unknown: list[str] = []
    if selector.ids is not None:
        row_of = {node_id: row for row, node_id in enumerate(t.ids)}
        unknown = [node_id for node_id in selector.ids if node_id not in row_of]
        named = np.zeros(len(t.ids), bool)
        named[[row_of[node_id] for node_id in selector.ids if node_id in row_of]] = True
        chosen &= named
    return np.flatnonzero(chosen), unknown


def _nearest(t: NetworkTables, dependants: np.ndarray, candidates: np.ndarray, rule: DependencyRule) -> np.ndarray:
    """Per dependant, the rows of its ``rule.nearest`` nearest candidates in range, nearest
    first, -1 where there are fewer; a node is never its own supplier."""
    from scipy.spatial import cKDTree

    k = min(rule.nearest, len(candidates))     # never more columns than candidates
    found = np.full((len(dependants), k), -1, np.int64)
    if not len(candidates) or not len(dependants):
        return found
    overlap = bool(np.isin(dependants, candidates, assume_unique=True).any())
    ask = min(k + overlap, len(candidates))
    within = np.inf if rule.within is None else np.nextafter(rule.within, np.inf)     # the query's bound is strict
    tree = cKDTree(np.column_stack([t.x[candidates], t.y[candidates]]))
    _, at = tree.query(np.column_stack([t.x[dependants], t.y[dependants]]), k=ask, distance_upper_bound=within)
    at = at.reshape(len(dependants), ask)
    hit = at < len(candidates)
    rows = np.where(hit, candidates[np.minimum(at, len(candidates) - 1)], -1)
    hit &= rows != dependants[:, None]
    keep = hit & (np.cumsum(hit, axis=1) <= k)
    order = np.argsort(~keep, axis=1, kind="stable")        # kept ones first, in distance order
    rows = np.take_along_axis(np.where(keep, rows, -1), order, axis=1)[:, :k]
    found[:, :rows.shape[1]] = rows
    return found


def _expand(t: NetworkTables, rule: DependencyRule, index: int, kind_array: np.ndarray,
            problems: list[tuple[int, str]], warnings: list[str]) -> RuleDependencies:
    """The dependencies of one rule; its problems and warnings appended."""
    dependants, unknown = select(t, rule.nodes, kind_array)
    candidates, unknown_from = select(t, rule.suppliers, kind_array)
    for ids, where in ((unknown, "nodes.ids"), (unknown_from, "from.ids")):
        if ids:
            problems.append((index, f"{where}: no such node {', '.join(ids[:SHOWN])}"))
    if not len(dependants):
        warnings.append(f"network.rules[{index}] selects no node (sector {rule.nodes.sector}"
                        + (f", kind {rule.nodes.kind}" if rule.nodes.kind else "") + ")")
        return RuleDependencies()
    placed = ~(np.isnan(t.x) | np.isnan(t.y))
    if not placed[dependants].all():
        unplaced = dependants[~placed[dependants]]
        warnings.append(f"network.rules[{index}] skips {len(unplaced)} node(s) without a position: {_names(unplaced, t.ids)}")
        dependants = dependants[placed[dependants]]
    candidates = candidates[placed[candidates]]
    found = _nearest(t, dependants, candidates, rule)
    count = (found >= 0).sum(axis=1)
    short = count < rule.need
    if short.any():
        where = f" within {rule.within:g} km" if rule.within is not None else ""
        problems.append((index, f"{_names(dependants[short], t.ids)}: fewer than {rule.need} supplier(s) of sector "
                                f"{rule.suppliers.sector}{where} ({int(count[short].min())} found"
                                + (f" for {t.ids[dependants[short][0]]}" if short.sum() > 1 else "") + ")"))
    has = count > 0
    dependants, found, count = dependants[has], found[has], count[has]
    n = len(dependants)
    return RuleDependencies(
        node=dependants.astype(np.int64), resource=np.full(n, RESOURCES.index(rule.resource), np.int8),
        kind=[rule.kind] * n, need=np.minimum(rule.need, count).astype(np.int64), buffer_s=np.full(n, rule.buffer),
        supplier_group=np.repeat(np.arange(n, dtype=np.int64), count), supplier_node=found[found >= 0],
        rule=np.full(n, index, np.int64))


def expand_rules(t: NetworkTables, rules: list[DependencyRule]) -> tuple[RuleDependencies, list[tuple[int, str]], list[str]]:
    """Explicit dependencies from dependency rules.

    Parameters
    ----------
    t : NetworkTables
        The network, positions in km of one frame (NaN where unknown).
    rules : list of DependencyRule
        The rules, in order.

    Returns
    -------
    dependencies : RuleDependencies
        One dependency per selected node with a candidate in range, rule by rule; its
        suppliers are its nearest candidates (at most ``nearest``), nearest first.
    problems : list of (int, str)
        (rule index, message): ids the rule names that do not exist, and nodes with fewer
        than ``need`` candidates in range.
    warnings : list of str
        Rules that select no node, and nodes skipped for having no position.
    """
    out, problems, warnings = RuleDependencies(), [], []
    kind_array = np.asarray(t.kind, dtype=object)
    for index, rule in enumerate(rules):
        out.extend(_expand(t, rule, index, kind_array, problems, warnings))
    return out, problems, warnings
