"""The cascade kernel: from the agents' own-cause bits to every node's state, vectorised.

One call propagates loss to a fixpoint within a tick. Each round:

1. **connectivity** inside each sector network (links): in a sector with sources a working
   node is ISOLATED unless a path of working nodes joins it to a working source; in a sector
   without sources only the largest connected component of working nodes functions — the
   rule of Buldyrev et al., "Catastrophic cascade of failures in interdependent networks",
   Nature 464 (2010). Components come from ``scipy.sparse.csgraph.connected_components``.
2. **dependencies** (Rinaldi, Peerenboom & Kelly, IEEE Control Systems 21(6), 2001): one
   sparse product counts the working suppliers of every group; a group with fewer than
   ``need`` fails, and once its buffer is spent its node is UNSUPPLIED.

Failures within a tick are sticky, as in Buldyrev's iteration, so the rounds shrink the
working set monotonically and stop when a round removes nothing. Nothing here loops over
nodes in Python.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from sim.network import GIANT, ISOLATED, OWN_CAUSES, SOURCES, UNSUPPLIED, Network


@dataclass
class Outcome:
    down: np.ndarray           # full bitmask: own causes plus ISOLATED / UNSUPPLIED
    group_failed: np.ndarray   # bool per group: fewer than ``need`` suppliers work
    backup: np.ndarray         # bool per node: working only because a buffer is left
    rounds: int


def components(net: Network, working: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of the link graph restricted to working nodes."""
    keep = working[net.link_rows] & working[net.link_cols]
    counts = np.bincount(net.link_rows[keep], minlength=net.n)
    indptr = np.empty(net.n + 1, dtype=np.int32)
    indptr[0] = 0
    np.cumsum(counts, out=indptr[1:])
    cols = net.link_cols[keep]
    graph = sp.csr_matrix((np.ones(len(cols)), cols, indptr), shape=(net.n, net.n))
    # the graph is symmetric, so strong components are the connected ones; this variant
    # needs no transpose
    return connected_components(graph, directed=True, connection="strong")


def isolated(net: Network, working: np.ndarray) -> np.ndarray:
    """Working nodes that their sector's connectivity rule cuts off."""
    n_comp, labels = components(net, working)
    alive = working & net.linked
    out = np.zeros(net.n, dtype=bool)
    source_sector = net.rule[net.sector] == SOURCES
    if source_sector.any():
        fed = np.zeros(n_comp, dtype=bool)
        fed[labels[alive & net.source]] = True
        out |= alive & source_sector & ~fed[labels]
    giant_sector = net.rule[net.sector] == GIANT
    if giant_sector.any():
        members = alive & giant_sector
        size = np.bincount(labels[members], minlength=n_comp)
        comp_sector = np.full(n_comp, -1, dtype=np.int64)
        comp_sector[labels[members]] = net.sector[members]
        # the largest component per sector: sort by (sector, -size), take the first of each
        order = np.lexsort((-size, comp_sector))
        order = order[comp_sector[order] >= 0]
        first = np.ones(len(order), dtype=bool)
        first[1:] = comp_sector[order][1:] != comp_sector[order][:-1]
        giant = np.zeros(n_comp, dtype=bool)
        giant[order[first]] = True
        out |= members & ~giant[labels]
    return out


def cascade(net: Network, down: np.ndarray, buffer_left: np.ndarray) -> Outcome:
    """Propagate the own-cause bits in ``down`` to a fixpoint; return every node's state.

    ``buffer_left`` (ticks per group) says which failed groups still ride on backup. The
    caller drains and refills buffers between ticks (:func:`drain_buffers`).
    """
    own = down & OWN_CAUSES
    working = own == 0
    cut = np.zeros(net.n, dtype=bool)
    unsupplied = np.zeros(net.n, dtype=bool)
    check_links = bool(net.linked.any())
    rounds = 0
    while True:
        rounds += 1
        if check_links:
            newly_cut = isolated(net, working)
            cut |= newly_cut
            working &= ~newly_cut
        failed = net.supply @ working.astype(np.float64) < net.dep_need
        spent = failed & (buffer_left <= 0)
        unsupplied[:] = False
        unsupplied[net.dep_node[spent]] = True
        newly_lost = unsupplied & working
        if not newly_lost.any():
            break
        working &= ~newly_lost
        check_links = bool((newly_lost & net.linked).any())
    state = own | (cut * np.uint8(ISOLATED)) | (unsupplied * np.uint8(UNSUPPLIED))
    backup = np.zeros(net.n, dtype=bool)
    backup[net.dep_node[failed & (buffer_left > 0)]] = True
    return Outcome(state.astype(np.uint8), failed, backup & working, rounds)


def drain_buffers(net: Network, buffer_left: np.ndarray, group_failed: np.ndarray) -> bool:
    """Spend one tick of buffer in failed groups, refill satisfied ones (tanks refilled,
    batteries recharged). Return True when a buffer ran out or came back, i.e. when the
    next cascade may differ."""
    before = buffer_left <= 0
    np.subtract(buffer_left, 1, out=buffer_left, where=group_failed & (buffer_left > 0))
    np.copyto(buffer_left, net.dep_buffer, where=~group_failed)
    return bool((before != (buffer_left <= 0)).any())
