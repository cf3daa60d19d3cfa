"""Connectivity re-checked near the nodes just lost, in the rounds after the first: which lost
nodes can cut a path at all (:func:`may_cut`, for every network), and on large networks the
whole components the loss splits off, found in a neighbourhood of it that grows only while
it cannot tell (:func:`cut_local`). Exact: ``tests/test_naive_reference.py`` compares it
with the naive reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import connected_components

from sim.kernel.layout import Layout, csr, distinct, rows_of
from sim.kernel.passes import Pieces

__all__ = ["LOCAL_HOPS", "LOCAL_SHARE", "Scratch", "cut_local", "harmless", "may_cut"]

LOCAL_HOPS = 4         # hops searched around the nodes just lost, doubled while undecided
LOCAL_SHARE = 0.25     # a neighbourhood larger than this share of linked nodes: full pass


@dataclass
class Scratch:
    """Work arrays over the linked nodes, reused through one cascade call.

    Attributes
    ----------
    mark : numpy.ndarray of bool, shape (m,)
        All False between uses.
    slot : numpy.ndarray of int64, shape (m,)
        Holds garbage between uses.
    """

    mark: np.ndarray
    slot: np.ndarray


def may_cut(lay: Layout, working: np.ndarray, lost: np.ndarray, pos: np.ndarray, owner: np.ndarray,
            scratch: Scratch) -> np.ndarray:
    """Which of ``lost`` may change which nodes are connected as their rule needs.

    Parameters
    ----------
    lay : Layout
        The network's layout.
    working : numpy.ndarray of bool, shape (n,)
        Which nodes work, in layout order (``lost`` no longer among them).
    lost : numpy.ndarray of int
        Linked nodes (layout positions) just lost.
    pos, owner : numpy.ndarray of int
        Their links, from :func:`sim.kernel.layout.rows_of` on ``lay.link_ptr``.
    scratch : Scratch
        Work arrays; left as found.

    Returns
    -------
    numpy.ndarray of bool, shape (len(lost),)
        False for a lost node that cannot cut a path: one that is no feeder, next to no
        other lost node and to at most one working node. A path never runs through such
        a node, and each sector's kept components stay.
    """
    nb = lay.link_cols[pos]
    scratch.mark[lost] = True
    touching = np.bincount(owner[scratch.mark[nb]], minlength=len(lost)) > 0
    scratch.mark[lost] = False
    return lay.feeder[lost] | touching | (np.bincount(owner[working[nb]], minlength=len(lost)) > 1)


def harmless(lay: Layout, working: np.ndarray, lost: np.ndarray, scratch: Scratch) -> bool:
    """True when no node of ``lost`` may cut a path (:func:`may_cut`).

    Parameters
    ----------
    lay : Layout
        The network's layout.
    working : numpy.ndarray of bool, shape (n,)
        Which nodes work, in layout order.
    lost : numpy.ndarray of int
        Linked nodes (layout positions) just lost.
    scratch : Scratch
        Work arrays; left as found.

    Returns
    -------
    bool
        True when connectivity need not be re-checked.
    """
    return not may_cut(lay, working, lost, *rows_of(lay.link_ptr, lost), scratch).any()


def _label(n: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Component labels of the undirected graph on ``n`` vertices with edges ``rows``-``cols``
    (repeats allowed: scipy 1.17's strong components loop forever on a repeated edge, so
    these small graphs use the undirected search)."""
    order = np.argsort(rows, kind="stable")
    graph = csr(rows[order], cols[order], np.ones(len(rows)), n, n)
    return connected_components(graph, directed=False)[1]


def _search(lay: Layout, working: np.ndarray, seeds: np.ndarray, hops: int,
            scratch: Scratch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The working nodes within ``hops`` of ``seeds``, split into pieces (components within
    the search): its nodes, each one's piece, whether each piece reaches the search's edge
    (else it is a whole component of the working graph), and each seed's piece. None once
    past ``LOCAL_SHARE`` of the linked nodes."""
    mark, slot = scratch.mark, scratch.slot
    layers, edge, size = [seeds], seeds, len(seeds)
    mark[seeds] = True
    try:
        for _ in range(hops):
            nxt = lay.link_cols[rows_of(lay.link_ptr, edge)[0]]
            edge = distinct(nxt[working[nxt] & ~mark[nxt]], slot)
            if not len(edge):
                break
            mark[edge] = True
            layers.append(edge)
            size += len(edge)
            if size > LOCAL_SHARE * lay.m:
                return None
        nodes = np.concatenate(layers)
        slot[nodes] = np.arange(len(nodes))
        pos, row = rows_of(lay.link_ptr, nodes)
        other = lay.link_cols[pos]
        within = mark[other]
        graph = csr(row[within], slot[other[within]], np.ones(int(within.sum())), len(nodes), len(nodes))
        piece = connected_components(graph, directed=False)[1]
        reaches_edge = np.zeros(piece.max() + 1, bool)
        reaches_edge[piece[slot[edge]]] = True
        return nodes, piece, reaches_edge, piece[slot[seeds]]
    finally:
        for layer in layers:
            mark[layer] = False


def _closed_pieces(lay: Layout, working: np.ndarray, lost: np.ndarray,
                   scratch: Scratch) -> tuple[np.ndarray, np.ndarray] | None:
    """The whole components that losing ``lost`` splits off, as nodes and a piece id per
    node; None when the neighbourhood of the loss cannot tell.

    The working nodes within a few hops of the loss split into pieces; a piece that does
    not reach the neighbourhood's edge is a whole component. Join lost nodes to their lost
    and working neighbours, and working neighbours to each other when they share a piece:
    if in every group so joined the neighbours outside closed pieces share one piece, any
    two nodes outside the closed pieces that were joined before the loss still are. A path
    between them that crossed lost nodes entered and left each group through neighbours
    outside closed pieces (else its ends would lie in one), so through one piece, round
    which it can go instead. Groups that fail are searched again from their neighbours,
    twice as deep; what was learnt before still holds and is kept.
    """
    pos, owner = rows_of(lay.link_ptr, lost)
    nb = lay.link_cols[pos]
    alive = working[nb]
    if not alive.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    mark, slot = scratch.mark, scratch.slot
    seeds = distinct(nb[alive], slot)
    found = _search(lay, working, seeds, LOCAL_HOPS, scratch)
    if found is None:
        return None
    nodes, piece, reaches_edge, at = found
    shut = ~reaches_edge[piece]
    n_lost, n_seeds = len(lost), len(seeds)
    slot[seeds] = np.arange(n_seeds)
    seed_of = slot[nb[alive]]                        # the seed of each lost-working neighbour pair
    slot[lost] = np.arange(n_lost)
    mark[lost] = True
    pair = mark[nb]
    mark[lost] = False
    pair[pair] = owner[pair] < slot[nb[pair]]      # each pair of lost neighbours once
    if not reaches_edge[at].any():
        return nodes[shut], piece[shut]
    # first search: join lost nodes to the pieces next to them, and to lost neighbours
    group = _label(n_lost + len(reaches_edge), np.concatenate([owner[pair], owner[alive]]),
                   np.concatenate([slot[nb[pair]], n_lost + at[seed_of]]))
    if np.bincount(group[n_lost + np.flatnonzero(reaches_edge)]).max() <= 1:
        return nodes[shut], piece[shut]                 # each group touches one piece reaching the edge

    # vertices: lost nodes, then the seeds, then each search's pieces
    touch_rows = [owner[pair], owner[alive]]         # lost - lost, lost - seed
    touch_cols = [slot[nb[pair]], n_lost + seed_of]
    share_rows, share_cols = [n_lost + np.arange(n_seeds)], [n_lost + n_seeds + at]    # seed - piece
    closed, closed_piece = [nodes[shut]], [n_lost + n_seeds + piece[shut]]
    closed_seed = ~reaches_edge[at]
    vertices, hops = n_lost + n_seeds + len(reaches_edge), 2 * LOCAL_HOPS
    while True:
        joined = _label(vertices, np.concatenate(share_rows), np.concatenate(share_cols))
        group = _label(vertices, np.concatenate(share_rows + touch_rows), np.concatenate(share_cols + touch_cols))
        open_seed = np.flatnonzero(~closed_seed)
        g, c = group[n_lost + open_seed], joined[n_lost + open_seed]
        lo = np.full(vertices, np.iinfo(np.int64).max)
        hi = np.full(vertices, -1)
        np.minimum.at(lo, g, c)
        np.maximum.at(hi, g, c)
        active = open_seed[hi[g] > lo[g]]
        if not len(active):
            break
        found = _search(lay, working, seeds[active], hops, scratch)
        if found is None:
            return None
        nodes, piece, reaches_edge, at = found
        shut = ~reaches_edge[piece]
        closed.append(nodes[shut])
        closed_piece.append(vertices + piece[shut])
        closed_seed[active[~reaches_edge[at]]] = True
        share_rows.append(n_lost + active)
        share_cols.append(vertices + at)
        vertices += len(reaches_edge)
        hops *= 2
    nodes, first = np.unique(np.concatenate(closed), return_index=True)
    return nodes, np.concatenate(closed_piece)[first]


def cut_local(lay: Layout, working: np.ndarray, lost: np.ndarray, pieces: Pieces,
               scratch: Scratch) -> np.ndarray | None:
    """Linked nodes that losing ``lost`` cuts off, found near the loss.

    Parameters
    ----------
    lay : Layout
        The network's layout.
    working : numpy.ndarray of bool, shape (n,)
        Which nodes work, in layout order (``lost`` no longer among them).
    lost : numpy.ndarray of int
        Linked nodes (layout positions) just lost.
    pieces : Pieces
        Components before the loss; updated in place when an answer is returned.
    scratch : Scratch
        Work arrays; left as found.

    Returns
    -------
    numpy.ndarray of int or None
        Layout positions of the working nodes cut off; None when the neighbourhood of the
        loss cannot tell (the caller then falls back to full passes).

    Notes
    -----
    The closed pieces the loss splits off come from :func:`_closed_pieces`; the
    neighbourhood searched starts at ``LOCAL_HOPS`` hops, doubles while undecided, and
    gives up past ``LOCAL_SHARE`` of the linked nodes.

    Before the loss every working linked node sat in a component its rule keeps. A closed
    piece is cut unless it holds a working source (sources rule) or it is larger than the
    rest of its sector (giant rule); what remains of an old component is still one
    component, and it is cut when its last source was lost or split off.
    """
    found = _closed_pieces(lay, working, lost, scratch)
    if found is None:
        return None
    nodes, piece = found
    moved = lay.feeder[lost]
    if not len(nodes) and not moved.any():
        return nodes
    size = np.bincount(piece)
    for a, b in lay.giant_spans:
        here = (nodes >= a) & (nodes < b)
        if here.any() and np.count_nonzero(working[a:b]) - np.count_nonzero(here) <= size[piece[here]].max():
            return None
    feeds = lay.feeder[nodes]
    fed = np.bincount(piece[feeds], minlength=len(size)) > 0
    keep = fed[piece]
    labels, sources = pieces.labels, pieces.sources
    np.subtract.at(sources, labels[lost[moved]], 1)
    np.subtract.at(sources, labels[nodes[feeds]], 1)
    touched = np.unique(np.concatenate([labels[lost[moved]], labels[nodes[feeds]]]))
    new = np.cumsum(fed) - 1 + len(sources)              # a fresh label for each fed piece
    labels[nodes[keep]] = new[piece[keep]]
    pieces.sources = np.concatenate([sources, np.bincount(piece[feeds], minlength=len(size))[fed]])
    cut = nodes[~keep]
    dead = touched[pieces.sources[touched] == 0]
    if len(dead):
        orphaned = working[:lay.m] & np.isin(labels, dead)
        orphaned[cut] = False
        cut = np.concatenate([cut, np.flatnonzero(orphaned)])
    return cut

