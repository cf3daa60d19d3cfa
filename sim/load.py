"""Load redistribution in sector networks (Motter & Lai, "Cascade-based attacks on complex
networks", Phys. Rev. E 66, 065102, 2002).

The load of a node is its betweenness (the number of shortest paths between working nodes
that pass through it); its capacity is ``(1 + α)`` times its load in the intact network.
When nodes fail, paths reroute, loads shift, and a working node whose load exceeds its
capacity fails in turn (OVERLOADED). Betweenness is exact at every size (Brandes 2001, in igraph:
:func:`agents.centrality.betweenness`), so the loads after a removal differ from
the capacities only by the paths that really moved; an estimate from fresh random pivots
after every removal would move loads by sampling noise alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

import numpy as np

from agents.centrality import betweenness

if TYPE_CHECKING:
    from sim.network import Network

__all__ = ["LOAD_MEMO_BYTES", "LoadMemo", "capacities", "loads", "overloaded"]

LOAD_MEMO_BYTES = 64 * 2**20    # memory for remembered loads per network (see LoadMemo)


class LoadMemo:
    """Loads of a sector already computed for the same working nodes.

    A check for overload recomputes the loads of every sector under the load model, yet a
    sector's loads change only when its own working nodes do: most checks, in one cascade
    and from tick to tick, find a sector as it was. Answers are kept per sector and working
    set, least recently used dropped first, within :data:`LOAD_MEMO_BYTES`.

    Parameters
    ----------
    n : int
        Nodes in the network (sizes an answer).
    """

    def __init__(self, n: int):
        self.answers: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self.lock = threading.Lock()          # runs on threads of one process share a network
        self.size = max(1, LOAD_MEMO_BYTES // (8 * max(n, 1)))

    def sector_loads(self, net: Network, working: np.ndarray, code: int, nodes: np.ndarray) -> np.ndarray:
        """The loads of sector ``code`` (its ``nodes``), remembered or computed by :func:`loads`.

        Parameters
        ----------
        net : Network
            The network.
        working : numpy.ndarray of bool, shape (net.n,)
            Which nodes work.
        code : int
            The sector.
        nodes : numpy.ndarray of int
            Its node indices.

        Returns
        -------
        numpy.ndarray of float, shape (len(nodes),)
            The load of each of ``nodes`` (read only).
        """
        key = int(code).to_bytes(4, "little") + np.packbits(working[nodes]).tobytes()
        with self.lock:
            known = self.answers.get(key)
            if known is not None:
                self.answers.move_to_end(key)
                return known
        known = loads(net, working, nodes)[nodes]
        known.flags.writeable = False
        with self.lock:
            self.answers[key] = known
            while len(self.answers) > self.size:
                self.answers.popitem(last=False)
        return known



def loads(net: Network, working: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    r"""The load of each working node in the link graph among ``nodes``.

    Parameters
    ----------
    net : Network
        The network.
    working : numpy.ndarray of bool, shape (net.n,)
        Which nodes work.
    nodes : numpy.ndarray of int
        Node indices of the subgraph (one sector's nodes).

    Returns
    -------
    numpy.ndarray of float, shape (net.n,)
        Load in shortest paths through the node, indexed like the network; 0 for nodes
        outside ``nodes`` or not working.

    Notes
    -----
    The load of node :math:`v` is its unnormalised betweenness among the working nodes,
    each unordered pair counted once:

    .. math:: L(v) = \sum_{s < t,\ s, t \ne v} \sigma_{st}(v) / \sigma_{st}

    with :math:`\sigma_{st}` the number of shortest paths from :math:`s` to :math:`t` and
    :math:`\sigma_{st}(v)` those through :math:`v` [1]_, exact at every size (Brandes'
    algorithm [2]_, :func:`agents.centrality.betweenness`): time :math:`O(n m)` per call.

    References
    ----------
    .. [1] A. E. Motter and Y.-C. Lai, "Cascade-based attacks on complex networks",
       Phys. Rev. E 66, 065102 (2002).
    .. [2] U. Brandes, "A faster algorithm for betweenness centrality", J. Math. Sociol.
       25(2), 163-177 (2001).
    """
    member = np.zeros(net.n, bool)
    member[nodes] = True
    alive = member & working
    keep = alive[net.link_rows] & alive[net.link_cols] & (net.link_rows < net.link_cols)
    index = np.flatnonzero(alive)
    compact = np.cumsum(alive) - 1           # node index -> position among the alive
    out = np.zeros(net.n)
    out[index] = betweenness(len(index), compact[net.link_rows[keep]], compact[net.link_cols[keep]])
    return out


def capacities(net: Network, sectors: list[int], alpha: float) -> np.ndarray:
    r"""The capacity of each node: its load in the intact network times ``1 + alpha``.

    Parameters
    ----------
    net : Network
        The network.
    sectors : list of int
        Sector codes under the load model.
    alpha : float
        Tolerance parameter, >= 0 (dimensionless; 0.2 means 20 % headroom).

    Returns
    -------
    numpy.ndarray of float, shape (net.n,)
        :math:`C(v) = (1 + \alpha) L_0(v)` in shortest paths (:func:`loads`, all nodes
        working) for nodes of ``sectors``; ``+inf`` elsewhere.

    References
    ----------
    .. [1] A. E. Motter and Y.-C. Lai, "Cascade-based attacks on complex networks",
       Phys. Rev. E 66, 065102 (2002).

    Examples
    --------
    On a path 0-1-2, only node 1 carries load (the one path from 0 to 2):

    >>> from sim.network import Network
    >>> none = np.zeros(0, np.int64)
    >>> net = Network.from_arrays(
    ...     sector=np.zeros(3), sector_names=["power"], rules=["giant_component"],
    ...     links=np.array([[0, 1], [1, 2]]), dep_node=none, dep_need=none, dep_buffer=none,
    ...     supplier_group=none, supplier_node=none)
    >>> capacities(net, [0], alpha=0.5).tolist()
    [0.0, 1.5, 0.0]
    """
    cap = np.full(net.n, np.inf)
    every = np.ones(net.n, bool)
    for code in sectors:
        nodes = np.flatnonzero(net.sector == code)
        cap[nodes] = (1.0 + alpha) * loads(net, every, nodes)[nodes]
    return cap


def overloaded(net: Network, working: np.ndarray, capacity: np.ndarray, memo: LoadMemo | None = None) -> np.ndarray:
    """Which working nodes carry more load than their capacity.

    Parameters
    ----------
    net : Network
        The network.
    working : numpy.ndarray of bool, shape (net.n,)
        Which nodes work.
    capacity : numpy.ndarray of float, shape (net.n,)
        From :func:`capacities`; sectors with a finite capacity are checked.
    memo : LoadMemo, optional
        Loads already computed for this network (a sector whose working nodes are as in an
        earlier check is not computed again).

    Returns
    -------
    numpy.ndarray of bool, shape (net.n,)
        True where a node works and :math:`L(v) > C(v)` (loads recomputed per sector on the
        working nodes, with a tolerance of 1e-9 for rounding).
    """
    memo = memo or LoadMemo(net.n)
    out = np.zeros(net.n, bool)
    for code in np.unique(net.sector[np.isfinite(capacity)]):
        nodes = np.flatnonzero(net.sector == code)
        load = memo.sector_loads(net, working, int(code), nodes)
        out[nodes] = working[nodes] & (load > capacity[nodes] + 1e-9)
    return out
