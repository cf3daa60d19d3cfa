"""The kernel's copy of a network's structure, in a cache-friendly order, and the array
helpers its passes share.

Linked sectors come first, each a contiguous span, with nodes in reverse Cuthill–McKee order
of the link graph (Cuthill & McKee, "Reducing the bandwidth of sparse symmetric matrices",
1969) so that neighbours sit close in memory; each link is kept once more in upper-triangular
form for ``connected_components``; supplier counts are float32.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import reverse_cuthill_mckee

from sim.network import GIANT, SOURCES, Network

__all__ = ["MEMO_BYTES", "Layout", "Outcome", "csr", "distinct", "inverse", "layout", "rows_of"]

MEMO_BYTES = 64 * 2**20  # memory for remembered answers per network (see sim.cascade.cascade)


@dataclass
class Outcome:
    """The kernel's answer for one state of the own-cause bits (:func:`sim.cascade.cascade`).

    Attributes
    ----------
    down : numpy.ndarray of uint8, shape (n,)
        Down-reason bitmask per node: own causes plus ISOLATED, UNSUPPLIED, OVERLOADED.
    group_failed : numpy.ndarray of bool, shape (n_groups,)
        Per dependency group: fewer than ``need`` suppliers work.
    backup : numpy.ndarray of bool, shape (n,)
        Per node: working only because a buffer is left.
    rounds : int
        Propagation rounds to the fixpoint.
    """

    down: np.ndarray           # full bitmask: own causes plus ISOLATED / UNSUPPLIED
    group_failed: np.ndarray   # bool per group: fewer than ``need`` suppliers work
    backup: np.ndarray         # bool per node: working only because a buffer is left
    rounds: int


def inverse(order: np.ndarray) -> np.ndarray:
    """The inverse of a permutation.

    Parameters
    ----------
    order : numpy.ndarray of int
        A permutation of ``0..len(order) - 1``.

    Returns
    -------
    numpy.ndarray of int64
        ``rank`` with ``rank[order[j]] == j``.

    Examples
    --------
    >>> inverse(np.array([2, 0, 1])).tolist()
    [1, 2, 0]
    """
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank


def csr(rows: np.ndarray, cols: np.ndarray, data: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """A CSR matrix from entries already sorted by row, without scipy's COO round trip.

    Parameters
    ----------
    rows, cols : numpy.ndarray of int
        Row and column of each entry; ``rows`` sorted ascending.
    data : numpy.ndarray
        Value of each entry.
    n_rows, n_cols : int
        The matrix's shape.

    Returns
    -------
    scipy.sparse.csr_matrix
        With int32 indices; repeated entries are kept, not summed.

    Examples
    --------
    >>> csr(np.array([0, 0, 2]), np.array([1, 2, 0]), np.ones(3), 3, 3).toarray().tolist()
    [[0.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    """
    indptr = np.zeros(n_rows + 1, np.int32)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return sp.csr_matrix((data, cols.astype(np.int32, copy=False), indptr), shape=(n_rows, n_cols))


def distinct(values: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """``values`` without repeats, in no particular order, without a sort.

    Parameters
    ----------
    values : numpy.ndarray of int
        Non-negative integers (node indices).
    slot : numpy.ndarray of int
        Scratch of at least ``values.max() + 1`` entries; overwritten.

    Returns
    -------
    numpy.ndarray of int
        Each value once.

    Examples
    --------
    >>> sorted(distinct(np.array([3, 1, 3, 0, 1]), np.empty(4, np.int64)).tolist())
    [0, 1, 3]
    """
    at = np.arange(len(values))
    slot[values] = at
    return values[slot[values] == at]


def rows_of(indptr: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The CSR entries of some rows: their positions, and for each its row's index in ``nodes``.

    Parameters
    ----------
    indptr : numpy.ndarray of int
        The CSR row pointer.
    nodes : numpy.ndarray of int
        Rows to gather.

    Returns
    -------
    positions : numpy.ndarray of int
        Positions in the CSR ``indices``/``data`` arrays, row after row.
    owner : numpy.ndarray of int
        For each position, the index into ``nodes`` of its row.

    Examples
    --------
    >>> pos, owner = rows_of(np.array([0, 2, 3, 5]), np.array([2, 0]))
    >>> pos.tolist(), owner.tolist()
    ([3, 4, 0, 1], [0, 0, 1, 1])
    """
    start = indptr[nodes]
    count = indptr[nodes + 1] - start
    owner = np.repeat(np.arange(len(nodes)), count)
    shift = start + count - np.cumsum(count)       # a row's first position less the entries before it
    return np.arange(len(owner)) + shift[owner], owner


class Layout:
    """The kernel's copy of a network's structure (see the module docstring).

    Node ``i`` of the network is ``rank[i]`` here; here ``j`` is ``order[j]``.

    Parameters
    ----------
    net : Network
        The network whose structure is copied.

    Attributes
    ----------
    order, rank : numpy.ndarray of int64, shape (n,)
        Layout position to network index, and back.
    m : int
        Linked nodes (in a sector with a connectivity rule); they are ``[0, m)``.
    spans : list of (int, int, bool)
        Per linked sector, its span ``[a, b)`` and whether it has the giant-component rule.
    supply : scipy.sparse.csr_matrix of float32, shape (n_groups, n)
        1 where a node supplies a group, groups in ``gorder`` and nodes in layout order.
    memo : OrderedDict
        Recent answers of :func:`sim.cascade.cascade`, at most ``memo_size``.

    Notes
    -----
    Nodes are sorted linked first, then by sector, then in reverse Cuthill-McKee order of
    the link graph [1]_, which keeps neighbours close in memory.

    References
    ----------
    .. [1] E. Cuthill and J. McKee, "Reducing the bandwidth of sparse symmetric matrices",
       Proc. 24th ACM National Conference, 157-172 (1969).
    """

    def __init__(self, net: Network):
        n = net.n
        self.key = (net.link_rows, net.link_cols, net.supply, net.dep_node, net.dep_need, net.sector,
                    net.source, net.rule)
        linked = net.linked
        counts = np.bincount(net.link_rows, minlength=n)
        indptr = np.zeros(n + 1, np.int32)
        np.cumsum(counts, out=indptr[1:])
        graph = sp.csr_matrix((np.ones(len(net.link_cols)), net.link_cols, indptr), shape=(n, n))
        near = inverse(reverse_cuthill_mckee(graph, symmetric_mode=True)) if graph.nnz else np.arange(n)
        # linked nodes first, then by sector, then along the link graph
        sector = net.sector.astype(np.int64)
        self.order = np.argsort((~linked * (sector.max(initial=0) + 1) + sector) * n + near)
        self.rank = inverse(self.order)
        self.m = m = int(linked.sum())                   # linked nodes are [0, m)
        sector = net.sector[self.order]
        self.source = net.source[self.order]
        self.source_rule = net.rule[sector[:m]] == SOURCES
        self.feeder = self.source[:m] & self.source_rule    # sources that count for their sector
        # each linked sector is a span [a, b) of the layout: (a, b, giant-component rule?)
        self.spans = [(int(np.searchsorted(sector[:m], s)), int(np.searchsorted(sector[:m], s, "right")),
                       bool(net.rule[s] == GIANT)) for s in np.unique(sector[:m])]
        self.giant_spans = [(a, b) for a, b, giant in self.spans if giant]
        self.span_starts = np.array([a for a, _, _ in self.spans], np.int64)

        keep = linked[net.link_rows] & (net.link_rows != net.link_cols)
        ends = (self.rank[net.link_rows[keep]], self.rank[net.link_cols[keep]])
        links = sp.csr_matrix((np.ones(len(ends[0])), ends), shape=(m, m))      # repeats summed away
        # index arrays that are gathered with are int64 (numpy converts int32 ones on every
        # gather); the int32 copies become the indices of the graphs handed to scipy
        self.link_ptr = links.indptr.astype(np.int64)
        self.link_cols = links.indices.astype(np.int64)
        self.link_cols32 = links.indices.astype(np.int32)
        self.link_rows = np.repeat(np.arange(m, dtype=np.int64), np.diff(self.link_ptr))
        # each link once (row < col) for the full pass: connected_components(directed=False)
        # adds the reverse direction itself
        half = sp.triu(links, k=1, format="csr")
        self.half_ptr = half.indptr.astype(np.int64)
        self.half_cols = half.indices.astype(np.int64)
        self.half_cols32 = half.indices.astype(np.int32)
        self.half_rows = np.repeat(np.arange(m, dtype=np.int64), np.diff(self.half_ptr))
        self.ones = np.ones(len(self.link_cols))

        self.gorder = np.argsort(self.rank[net.dep_node], kind="stable")
        self.grank = inverse(self.gorder)
        self.dep_node = self.rank[net.dep_node][self.gorder]
        self.need = net.dep_need[self.gorder]
        coo = net.supply.tocoo()
        # counts in float32 are exact up to 2**24 suppliers and halve the product's memory traffic
        self.supply = sp.csr_matrix((coo.data.astype(np.float32), (self.grank[coo.row], self.rank[coo.col])),
                                    shape=(len(self.gorder), n))
        feeds = self.supply.T.tocsr()                     # node -> the groups it supplies
        self.feeds_ptr, self.feeds_group, self.feeds_weight = feeds.indptr, feeds.indices.astype(np.int64), feeds.data

        self.search: Any = None      # the search graph's fixed parts (sim.kernel.search)
        self.memo: OrderedDict[bytes, Outcome] = OrderedDict()      # recent answers (see cascade)
        self.memo_size = int(np.clip(MEMO_BYTES // (4 * n + 2 * len(self.gorder) + 1), 1, 32))
        self.lock = threading.Lock()

    def fits(self, net: Network) -> bool:
        """Whether this layout was built from ``net``'s current structure arrays.

        Parameters
        ----------
        net : Network
            The network.

        Returns
        -------
        bool
            True when each structure array is the very object the layout was built from.
        """
        now = (net.link_rows, net.link_cols, net.supply, net.dep_node, net.dep_need, net.sector, net.source, net.rule)
        return all(a is b for a, b in zip(self.key, now))


def layout(net: Network) -> Layout:
    """The network's kernel layout, built on first use and kept on ``net.kernel_layout``.

    Parameters
    ----------
    net : Network
        The network.

    Returns
    -------
    Layout
        The layout. The structure is taken as fixed once built: replacing one of its arrays
        rebuilds the layout, changing one in place does not.
    """
    if net.kernel_layout is None or not net.kernel_layout.fits(net):
        net.kernel_layout = Layout(net)
    return net.kernel_layout

