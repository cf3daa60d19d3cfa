"""The network as arrays: node attributes as a struct of arrays, edges as sparse matrices.

Built once from a validated scenario. Node state that changes during a run lives in
:class:`NodeState` beside it, so that what-if evaluations copy a few arrays, not the network.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from sim.scenario.netdata import NetworkTables, tables_from_records
from sim.scenario.netdata.tables import CYBER_RESOURCE
from sim.scenario.problems import field_path
from sim.scenario.schema import RESOURCES, Scenario, Sector

__all__ = ["DAMAGED", "SHUT", "COMPROMISED", "ISOLATED", "UNSUPPLIED", "OVERLOADED", "REASONS", "OWN_CAUSES",
           "NONE", "SOURCES", "GIANT", "RESOURCES", "Network", "NodeState", "reason_names", "lonlat_to_km",
           "network_tables"]

# down-reason bits (docs/design.md, "Infrastructure nodes: state as arrays")
DAMAGED, SHUT, COMPROMISED, ISOLATED, UNSUPPLIED, OVERLOADED = 1, 2, 4, 8, 16, 32
REASONS = {DAMAGED: "DAMAGED", SHUT: "SHUT", COMPROMISED: "COMPROMISED",
           ISOLATED: "ISOLATED", UNSUPPLIED: "UNSUPPLIED", OVERLOADED: "OVERLOADED"}
OWN_CAUSES = DAMAGED | SHUT | COMPROMISED  # set and cleared by agents; the kernel derives the rest

# sector connectivity rules
NONE, SOURCES, GIANT = 0, 1, 2
_RULES = {"none": NONE, "sources": SOURCES, "giant_component": GIANT}


def reason_names(mask: int) -> list[str]:
    """The names of the bits set in a down mask.

    Parameters
    ----------
    mask : int
        A down-reason bitmask (0 = operational).

    Returns
    -------
    list[str]
        The reasons in bit order, e.g. ``['DAMAGED', 'SHUT']`` for 3.
    """
    return [name for bit, name in REASONS.items() if mask & bit]


@dataclass
class Network:
    """Static structure of the infrastructure: who is where, who links to and needs whom."""

    ids: list[str]
    sector_names: list[str]
    sector: np.ndarray            # int16 code per node
    kind: list[str]
    names: list[str]
    xy: np.ndarray                # (N, 2) km; NaN for an unplaced node
    population: np.ndarray        # people served; > 0 marks a service node
    source: np.ndarray            # bool
    hardening: np.ndarray         # 0..1
    repair_median: np.ndarray     # seconds
    repair_p90: np.ndarray        # seconds
    rule: np.ndarray              # connectivity rule per sector code
    outage_damage: np.ndarray     # chance a node knocked out by the cascade is damaged too
    link_rows: np.ndarray         # both directions, sorted by row (CSR order)
    link_cols: np.ndarray
    dep_node: np.ndarray          # dependent node per dependency group
    dep_need: np.ndarray
    dep_buffer: np.ndarray        # buffer per group, s (ticks for networks built from arrays without a clock)
    dep_resource: np.ndarray      # index into RESOURCES
    dep_cyber: np.ndarray         # bool: a control (cyber) dependency, along which intrusions spread
    supply: sp.csr_matrix         # (groups, N): 1 where a node supplies the group
    index: dict[str, int] = field(init=False)
    linked: np.ndarray = field(init=False)         # node is in a sector with a connectivity rule
    placed: np.ndarray = field(init=False)         # bool per node: its position is known
    placed_rows: np.ndarray = field(init=False)    # the placed nodes' indices, ascending
    sector_population: np.ndarray = field(init=False)
    kernel_layout: Any = field(default=None, init=False, repr=False, compare=False)  # built by sim.kernel.layout.layout
    capacity: np.ndarray | None = field(default=None, init=False, repr=False)  # Motter-Lai load model, if on
    tie_a: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # normally-open ties: kept, not conducting
    tie_b: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    tie_ids: list[str] = field(default_factory=list)
    dep_refill: np.ndarray | None = field(default=None, repr=False)  # s to refill an empty buffer; None: all at once

    def __post_init__(self) -> None:
        self.index = {node_id: i for i, node_id in enumerate(self.ids)}
        self.linked = self.rule[self.sector] != NONE
        self.placed = ~np.isnan(self.xy).any(axis=1) if len(self.xy) else np.zeros(0, bool)
        self.placed_rows = np.flatnonzero(self.placed)
        self.sector_population = np.bincount(self.sector, weights=self.population, minlength=len(self.sector_names))

    @property
    def n(self) -> int:
        """Number of nodes."""
        return len(self.ids)

    @property
    def n_groups(self) -> int:
        """Number of dependency groups."""
        return len(self.dep_node)

    def with_ties(self, closed: np.ndarray) -> "Network":
        """This network with some normally-open ties closed: they conduct as links.

        Parameters
        ----------
        closed : numpy.ndarray of bool, shape (len(self.tie_ids),)
            Which ties are closed.

        Returns
        -------
        Network
            A new network sharing every array but the links (so the kernel builds a layout
            for it); the ties stay listed, with their indices, and the Motter-Lai
            capacities are kept. ``self`` is unchanged (runs of a batch share it).

        Notes
        -----
        A tie joins nodes of one sector; a sector whose only links are ties has no
        connectivity rule, and closing one of its ties changes nothing.
        """
        n = self.n
        ties = np.column_stack([self.tie_a[closed], self.tie_b[closed]]).astype(np.int64)
        both = np.concatenate([np.column_stack([self.link_rows, self.link_cols]).astype(np.int64), ties, ties[:, ::-1]])
        both = both[np.argsort(both[:, 0] * max(n, 1) + both[:, 1], kind="stable")]
        net = replace(self, link_rows=np.ascontiguousarray(both[:, 0], dtype=np.int32),
                      link_cols=np.ascontiguousarray(both[:, 1], dtype=np.int32))
        net.capacity = self.capacity
        return net

    @classmethod
    def from_arrays(
        cls,
        sector: np.ndarray,
        sector_names: list[str],
        rules: list[str],
        links: np.ndarray,
        dep_node: np.ndarray,
        dep_need: np.ndarray,
        dep_buffer: np.ndarray,
        supplier_group: np.ndarray,
        supplier_node: np.ndarray,
        *,
        ids: list[str] | None = None,
        xy: np.ndarray | None = None,
        population: np.ndarray | None = None,
        source: np.ndarray | None = None,
        dep_resource: np.ndarray | None = None,
        dep_cyber: np.ndarray | None = None,
    ) -> "Network":
        """Build from plain arrays (benchmarks and tests; scenarios use :meth:`from_scenario`).

        Parameters
        ----------
        sector : numpy.ndarray
            Sector code per node.
        sector_names : list[str]
            Sector name per code.
        rules : list[str]
            Connectivity rule per sector code: ``"none"``, ``"sources"`` or ``"giant_component"``.
        links : numpy.ndarray
            (L, 2) node index pairs, each link once.
        dep_node : numpy.ndarray
            Dependent node per dependency group.
        dep_need : numpy.ndarray
            Suppliers each group needs working.
        dep_buffer : numpy.ndarray
            Buffer per group, s (or ticks, with :func:`sim.cascade.drain_buffers` left
            at its one-second tick).
        supplier_group, supplier_node : numpy.ndarray
            The supply relation as (group, node) pairs (COO).
        ids : list[str], optional
            Node ids; ``n0``, ``n1``, … by default.
        xy : numpy.ndarray, optional
            (N, 2) positions, km; zeros by default.
        population : numpy.ndarray, optional
            People served per node; 1 by default.
        source : numpy.ndarray, optional
            Bool per node: a source of its sector network; none by default.
        dep_resource : numpy.ndarray, optional
            Index into ``RESOURCES`` per group; 0 (power) by default.
        dep_cyber : numpy.ndarray, optional
            Bool per group: a control (cyber) dependency; none by default.

        Returns
        -------
        Network
            The network, with no hardening, repair times 4 h median and 12 h p90, and no
            outage damage.
        """
        n, g = len(sector), len(dep_node)
        links = np.asarray(links, dtype=np.int64).reshape(-1, 2)
        both = np.concatenate([links, links[:, ::-1]])
        order = np.argsort(both[:, 0] * max(n, 1) + both[:, 1], kind="stable")  # = lexsort by (row, col), 2-3x faster
        both = both[order]
        supply = sp.csr_matrix(
            (np.ones(len(supplier_group)), (supplier_group, supplier_node)), shape=(g, n)
        )
        supply.sum_duplicates()
        return cls(
            ids=ids if ids is not None else [f"n{i}" for i in range(n)],
            sector_names=list(sector_names),
            sector=np.asarray(sector, dtype=np.int16),
            kind=[""] * n,
            names=[""] * n,
            xy=np.zeros((n, 2)) if xy is None else np.asarray(xy, dtype=float),
            population=np.ones(n) if population is None else np.asarray(population, dtype=float),
            source=np.zeros(n, bool) if source is None else np.asarray(source, dtype=bool),
            hardening=np.zeros(n),
            repair_median=np.full(n, 4 * 3600.0),
            repair_p90=np.full(n, 12 * 3600.0),
            rule=np.array([_RULES[r] for r in rules], dtype=np.int8),
            outage_damage=np.zeros(n),
            link_rows=np.ascontiguousarray(both[:, 0], dtype=np.int32),
            link_cols=np.ascontiguousarray(both[:, 1], dtype=np.int32),
            dep_node=np.asarray(dep_node, dtype=np.int64),
            dep_need=np.asarray(dep_need, dtype=np.float64),
            dep_buffer=np.asarray(dep_buffer, dtype=np.float64),
            dep_resource=np.zeros(g, np.int8) if dep_resource is None else np.asarray(dep_resource, np.int8),
            dep_cyber=np.zeros(g, bool) if dep_cyber is None else np.asarray(dep_cyber, bool),
            supply=supply,
        )

    @classmethod
    def from_tables(cls, t: NetworkTables, s: Scenario) -> "Network":
        """Build from network columns and the scenario they belong to.

        Parameters
        ----------
        t : NetworkTables
            The checked network (:func:`sim.scenario.netdata.read_network`, or a loaded scenario's
            ``network.tables``).
        s : Scenario
            The scenario: its sectors give connectivity rules, repair times and outage
            damage.

        Returns
        -------
        Network
            The network, sectors coded in alphabetical order, lon/lat projected to km,
            buffers in seconds (run out on the first tick at or after expiry), refill
            times in ``dep_refill`` (None when every buffer refills at once); open
            links (normally-open ties) are not among its links but kept as ``tie_a``,
            ``tie_b`` and ``tie_ids``, and do not make a sector one with links.
        """
        sector_names = list(t.sector_names)
        sector = np.asarray(t.sector, dtype=np.int16)
        closed = ~t.link_open
        link_a, link_b = t.link_a[closed], t.link_b[closed]
        has_links = set(np.unique(sector[link_a]).tolist())
        has_source = set(np.unique(sector[t.source]).tolist())
        configured = [s.sectors.get(name) for name in sector_names]
        rules = [(c.connectivity if c is not None else None)
                 or ("sources" if code in has_source else "giant_component" if code in has_links else "none")
                 for code, c in enumerate(configured)]
        configured = [c or Sector() for c in configured]
        cyber = np.array([kind == "cyber" if kind is not None else RESOURCES[r] == CYBER_RESOURCE
                          for kind, r in zip(t.dep_kind, t.dep_resource.tolist())], dtype=bool)
        net = cls.from_arrays(
            sector=sector,
            sector_names=sector_names,
            rules=rules,
            links=np.column_stack([link_a, link_b]).astype(np.int64),
            dep_node=t.dep_node,
            dep_need=t.dep_need.astype(np.float64),
            dep_buffer=t.dep_buffer_s,
            supplier_group=t.supplier_group,
            supplier_node=t.supplier_node,
            ids=list(t.ids),
            xy=np.column_stack([t.x, t.y]).astype(float).reshape(-1, 2),
            population=t.population,
            source=t.source,
            dep_resource=t.dep_resource,
            dep_cyber=cyber,
        )
        net.dep_refill = t.dep_refill_s.astype(np.float64) if (t.dep_refill_s > 0).any() else None
        net.tie_a, net.tie_b = t.link_a[t.link_open], t.link_b[t.link_open]
        net.tie_ids = [link_id for link_id, is_open in zip(t.link_id, t.link_open.tolist()) if is_open]
        net.kind = list(t.kind)
        net.names = [name or node_id for name, node_id in zip(t.name, t.ids)]
        net.hardening = np.asarray(t.hardening, dtype=float)
        given = ~(np.isnan(t.repair_median_s) | np.isnan(t.repair_p90_s))
        median = np.array([c.repair.median for c in configured], dtype=float)
        p90 = np.array([c.repair.p90 for c in configured], dtype=float)
        net.repair_median = np.where(given, t.repair_median_s, median[sector]) if len(median) else np.zeros(0)
        net.repair_p90 = np.where(given, t.repair_p90_s, p90[sector]) if len(p90) else np.zeros(0)
        net.outage_damage = np.array([c.outage_damage for c in configured])[sector] if configured else np.zeros(0)
        if t.coordinates == "lonlat":
            net.xy = lonlat_to_km(net.xy)
        return net

    @classmethod
    def from_scenario(cls, s: Scenario) -> "Network":
        """Build from a validated scenario.

        Parameters
        ----------
        s : Scenario
            A loaded scenario (its network as columns), or one built in Python with node
            lists, which are turned into columns first.

        Returns
        -------
        Network
            As :meth:`from_tables`.

        Raises
        ------
        ValueError
            When a scenario built in Python has network problems (a loaded one was checked).
        """
        return cls.from_tables(network_tables(s), s)


def network_tables(s: Scenario) -> NetworkTables:
    """A validated scenario's network as columns.

    Parameters
    ----------
    s : Scenario
        A loaded scenario (its columns are returned), or one built in Python with node
        lists (turned into columns here).

    Returns
    -------
    NetworkTables

    Raises
    ------
    ValueError
        When a scenario built in Python has network problems (a loaded one was checked).
    """
    tables = s.network.tables
    if tables is None:
        tables, problems = tables_from_records(s.network.model_dump(mode="json"))
        if problems:
            raise ValueError("\n".join(f"network.{field_path(loc)}: {message}" for loc, message in problems))
    return tables


def lonlat_to_km(lonlat: np.ndarray) -> np.ndarray:
    """Project longitude/latitude to km east and north of their centre, with pyproj.

    The frame is azimuthal equidistant around the mean position
    (:func:`sim.scenario.importers.geo.local_frame`), right to well under 1% within a few
    hundred km (Snyder 1987, ch. 25). A loaded scenario is already in km (the loader
    projects lon/lat to its frame); this serves network columns read on their own.

    Parameters
    ----------
    lonlat : numpy.ndarray
        (N, 2) longitude, latitude, degrees; NaN rows (unplaced nodes) stay NaN and do not
        count towards the mean latitude.

    Returns
    -------
    numpy.ndarray
        (N, 2) east, north, km.
    """
    from sim.scenario.importers.geo import to_local_km

    lonlat = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    east, north, _ = to_local_km(lonlat[:, 0], lonlat[:, 1])
    return np.column_stack([east, north])


@dataclass
class NodeState:
    """What changes during a run: the down bitmask per node and the buffer left per group."""

    down: np.ndarray          # uint8 bitmask per node
    buffer_left: np.ndarray   # buffer left per dependency group, s (float)
    backup: np.ndarray        # bool per node: operational only thanks to a buffer

    @classmethod
    def fresh(cls, net: Network) -> "NodeState":
        """The state before anything happens: nothing down, buffers full.

        Parameters
        ----------
        net : Network
            The network.

        Returns
        -------
        NodeState
            A new state.
        """
        return cls(np.zeros(net.n, np.uint8), net.dep_buffer.copy(), np.zeros(net.n, bool))

    def copy(self) -> "NodeState":
        """An independent copy of the arrays."""
        return NodeState(self.down.copy(), self.buffer_left.copy(), self.backup.copy())
