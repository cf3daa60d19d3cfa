"""Load redistribution in sector networks (Motter & Lai, "Cascade-based attacks on complex
networks", Phys. Rev. E 66, 065102, 2002).

The load of a node is its betweenness (the number of shortest paths between working nodes
that pass through it); its capacity is ``(1 + α)`` times its load in the intact network.
When nodes fail, paths reroute, loads shift, and a working node whose load exceeds its
capacity fails in turn (OVERLOADED). Betweenness is exact (Brandes 2001) up to
``SAMPLE_ABOVE`` working nodes in a sector and estimated from ``PIVOTS`` sampled sources
above it (Brandes & Pich 2007), with a fixed seed so runs stay reproducible.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.network import Network

SAMPLE_ABOVE = 2000
PIVOTS = 256
SEED = 2002


def loads(net: Network, working: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Betweenness (unnormalised, pairs counted once) of each working node of ``nodes``'
    link graph; 0 for nodes not working. Indexed like the full network."""
    member = np.zeros(net.n, bool)
    member[nodes] = True
    alive = member & working
    keep = alive[net.link_rows] & alive[net.link_cols] & (net.link_rows < net.link_cols)
    graph = nx.Graph()
    graph.add_nodes_from(np.flatnonzero(alive).tolist())
    graph.add_edges_from(zip(net.link_rows[keep].tolist(), net.link_cols[keep].tolist()))
    k = PIVOTS if graph.number_of_nodes() > SAMPLE_ABOVE else None
    score = nx.betweenness_centrality(graph, k=k, normalized=False, seed=SEED if k else None)
    out = np.zeros(net.n)
    if score:
        index = np.fromiter(score.keys(), dtype=np.int64, count=len(score))
        out[index] = np.fromiter(score.values(), dtype=float, count=len(score))
    return out


def capacities(net: Network, sectors: list[int], alpha: float) -> np.ndarray:
    """``(1 + α)`` × the intact network's load for nodes of ``sectors``; +inf elsewhere."""
    cap = np.full(net.n, np.inf)
    every = np.ones(net.n, bool)
    for code in sectors:
        nodes = np.flatnonzero(net.sector == code)
        cap[nodes] = (1.0 + alpha) * loads(net, every, nodes)[nodes]
    return cap


def overloaded(net: Network, working: np.ndarray, capacity: np.ndarray) -> np.ndarray:
    """Working nodes whose load now exceeds their capacity (loads recomputed per sector)."""
    out = np.zeros(net.n, bool)
    for code in np.unique(net.sector[np.isfinite(capacity)]):
        nodes = np.flatnonzero(net.sector == code)
        load = loads(net, working, nodes)
        out[nodes] = working[nodes] & (load[nodes] > capacity[nodes] + 1e-9)
    return out
