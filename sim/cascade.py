"""The cascade kernel: from the agents' own-cause bits to every node's state, vectorised.

One call propagates loss to a fixpoint within a tick. Each round:

1. **connectivity** inside each sector network (links): in a sector with sources a working
   node is ISOLATED unless a path of working nodes joins it to a working source; in a sector
   without sources only the largest connected component of working nodes functions (ties go
   to the component holding the lowest node index) — the rule of Buldyrev et al.,
   "Catastrophic cascade of failures in interdependent networks", Nature 464 (2010).
2. **dependencies** (Rinaldi, Peerenboom & Kelly, IEEE Control Systems 21(6), 2001): a
   group with fewer than ``need`` working suppliers fails, and once its buffer is spent its
   node is UNSUPPLIED.

Failures within a tick are sticky, as in Buldyrev's iteration, so the rounds shrink the
working set monotonically and stop when a round removes nothing. Nothing here loops over
nodes in Python.

How it stays fast (the result is exactly that of recomputing everything every round; the
naive Mesa reference in benchmarks/naive.py checks it):

- The kernel works on its own copy of the structure (:class:`Layout`, built once per
  network): linked sectors first, each a contiguous span, nodes in reverse Cuthill–McKee
  order of the link graph (Cuthill & McKee 1969) so that neighbours sit close in memory;
  each link once for ``connected_components``; supplier counts in float32.
- The first round counts working suppliers with one sparse product; later rounds subtract
  only the suppliers just lost. Connectivity is re-checked only as far as the nodes just
  lost require: not at all in sectors where none of them can cut a path (:func:`_may_cut`).
- Up to ``LOCAL_ABOVE`` linked nodes, connectivity is one breadth-first search a round
  (``scipy.sparse.csgraph.breadth_first_order``) over just those sectors (:class:`Reach`).
  Above, the first round labels components with ``connected_components``, and later rounds
  re-check the neighbourhood of the loss (:func:`_cut_local`), else make a full pass over
  just the sectors that lost nodes, or over all: there a search would cross most of the
  network every round.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, connected_components, reverse_cuthill_mckee

from sim.load import overloaded
from sim.network import GIANT, ISOLATED, OVERLOADED, OWN_CAUSES, SOURCES, UNSUPPLIED, Network

LOCAL_ABOVE = 60_000   # linked nodes above which later rounds re-check connectivity locally,
LOCAL_LOSS = 1 / 400   # ... when they lost at most this share of linked nodes
LOCAL_HOPS = 4         # hops searched around the nodes just lost, doubled while undecided
LOCAL_SHARE = 0.25     # a neighbourhood larger than this share of linked nodes: full pass
MEMO_BYTES = 64 * 2**20  # memory for remembered answers per network (see cascade)
STRONG_BELOW = 5_000   # full passes over fewer nodes use the symmetric graph (see _cut_span)


@dataclass
class Outcome:
    down: np.ndarray           # full bitmask: own causes plus ISOLATED / UNSUPPLIED
    group_failed: np.ndarray   # bool per group: fewer than ``need`` suppliers work
    backup: np.ndarray         # bool per node: working only because a buffer is left
    rounds: int


def _inverse(order: np.ndarray) -> np.ndarray:
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return rank


def _csr(rows: np.ndarray, cols: np.ndarray, data: np.ndarray, n_rows: int, n_cols: int) -> sp.csr_matrix:
    """A CSR matrix from entries already sorted by row, without scipy's COO round trip."""
    indptr = np.zeros(n_rows + 1, np.int32)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    return sp.csr_matrix((data, cols.astype(np.int32, copy=False), indptr), shape=(n_rows, n_cols))


def _distinct(values: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """``values`` without repeats, in no particular order, without a sort (``slot``: scratch
    of at least ``values.max() + 1`` entries)."""
    at = np.arange(len(values))
    slot[values] = at
    return values[slot[values] == at]


def _rows_of(indptr: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the CSR entries of rows ``nodes``, and for each the index of its row in ``nodes``."""
    start = indptr[nodes]
    count = indptr[nodes + 1] - start
    owner = np.repeat(np.arange(len(nodes)), count)
    shift = start + count - np.cumsum(count)       # a row's first position less the entries before it
    return np.arange(len(owner)) + shift[owner], owner


class Layout:
    """The kernel's copy of a network's structure, in a cache-friendly order (see the module
    docstring). Node ``i`` of the network is ``rank[i]`` here; here ``j`` is ``order[j]``."""

    def __init__(self, net: Network):
        n = net.n
        self.key = (net.link_rows, net.link_cols, net.supply, net.dep_node, net.dep_need, net.sector,
                    net.source, net.rule)
        linked = net.linked
        counts = np.bincount(net.link_rows, minlength=n)
        indptr = np.zeros(n + 1, np.int32)
        np.cumsum(counts, out=indptr[1:])
        graph = sp.csr_matrix((np.ones(len(net.link_cols)), net.link_cols, indptr), shape=(n, n))
        near = _inverse(reverse_cuthill_mckee(graph, symmetric_mode=True)) if graph.nnz else np.arange(n)
        # linked nodes first, then by sector, then along the link graph
        sector = net.sector.astype(np.int64)
        self.order = np.argsort((~linked * (sector.max(initial=0) + 1) + sector) * n + near)
        self.rank = _inverse(self.order)
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
        self.grank = _inverse(self.gorder)
        self.dep_node = self.rank[net.dep_node][self.gorder]
        self.need = net.dep_need[self.gorder]
        coo = net.supply.tocoo()
        # counts in float32 are exact up to 2**24 suppliers and halve the product's memory traffic
        self.supply = sp.csr_matrix((coo.data.astype(np.float32), (self.grank[coo.row], self.rank[coo.col])),
                                    shape=(len(self.gorder), n))
        feeds = self.supply.T.tocsr()                     # node -> the groups it supplies
        self.feeds_ptr, self.feeds_group, self.feeds_weight = feeds.indptr, feeds.indices.astype(np.int64), feeds.data

        # the search graph's fixed parts (see Reach): after the links, a root row holding each
        # sources sector's feeders and, per giant-component sector, a node of its giant when all
        # work; then an empty sink row
        everything = np.ones(n, bool)
        row = []
        for a, b, giant in self.spans:
            if giant:
                kept = everything[a:b].copy()
                kept[_cut_span(self, everything, a, b)[0] - a] = False
                row.append([a + int(np.argmax(kept))])
            else:
                row.append(a + np.flatnonzero(self.feeder[a:b]))
        self.root_row = np.concatenate([np.zeros(0, np.int64), *row]).astype(np.int32)
        self.root_slots = np.cumsum([0] + [len(r) for r in row])
        entries = len(self.link_cols32) + len(self.root_row)
        self.reach_ptr = np.append(links.indptr, [entries, entries]).astype(np.int32)
        self.reach_ones = np.ones(entries)
        self.memo: OrderedDict[bytes, Outcome] = OrderedDict()      # recent answers (see cascade)
        self.memo_size = int(np.clip(MEMO_BYTES // (4 * n + 2 * len(self.gorder) + 1), 1, 32))
        self.lock = threading.Lock()

    def fits(self, net: Network) -> bool:
        now = (net.link_rows, net.link_cols, net.supply, net.dep_node, net.dep_need, net.sector, net.source, net.rule)
        return all(a is b for a, b in zip(self.key, now))


def layout(net: Network) -> Layout:
    """The network's kernel layout, built on first use. The structure is taken as fixed once
    built: replacing one of its arrays rebuilds the layout, changing one in place does not."""
    if net.kernel_layout is None or not net.kernel_layout.fits(net):
        net.kernel_layout = Layout(net)
    return net.kernel_layout


def _largest(lay: Layout, labels: np.ndarray, members: np.ndarray, start: int) -> int:
    """The label of the largest component among ``members`` (ties: the lowest network index)."""
    size = np.bincount(labels[members])
    tied = np.flatnonzero(size == size.max())
    if len(tied) == 1:
        return int(tied[0])
    nodes = np.flatnonzero(members & np.isin(labels, tied))
    return int(labels[nodes[np.argmin(lay.order[start + nodes])]])


@dataclass
class Pieces:
    """Connectivity within one cascade call: every working linked node's component, and
    the working sources in each component (sources-rule sectors)."""

    labels: np.ndarray
    sources: np.ndarray


def _cut_span(lay: Layout, working: np.ndarray, a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A full pass over the linked nodes [a, b) (whole sectors): the working ones their
    sector's rule cuts off, every node's component label, and working sources per label."""
    alive = working[a:b]
    if b - a <= STRONG_BELOW:
        # every link both ways and never repeated: strong components are the connected ones,
        # found without the transpose (and the scipy overhead it costs small graphs)
        ptr, rows, cols, cols32, directed = lay.link_ptr, lay.link_rows, lay.link_cols, lay.link_cols32, True
    else:
        ptr, rows, cols, cols32, directed = lay.half_ptr, lay.half_rows, lay.half_cols, lay.half_cols32, False
    lo, hi = ptr[a], ptr[b]
    if a:
        rows, cols, cols32 = rows[lo:hi] - a, cols[lo:hi] - a, cols32[lo:hi] - a
    else:
        rows, cols, cols32 = rows[:hi], cols[:hi], cols32[:hi]
    keep = alive[rows] & alive[cols]
    kept = np.zeros(len(keep) + 1, np.int32)
    np.cumsum(keep, out=kept[1:])
    kept_cols = cols32[keep]
    graph = sp.csr_matrix((lay.ones[:len(kept_cols)], kept_cols, kept[ptr[a:b + 1] - lo]), shape=(b - a, b - a))
    n_comp, labels = connected_components(graph, directed=directed, connection="strong")
    sources = np.bincount(labels[alive & lay.feeder[a:b]], minlength=n_comp)
    cut = alive & lay.source_rule[a:b] & (sources[labels] == 0)
    for ga, gb in lay.giant_spans:
        if a <= ga and gb <= b and alive[ga - a:gb - a].any():
            members, labs = alive[ga - a:gb - a], labels[ga - a:gb - a]
            cut[ga - a:gb - a] = members & (labs != _largest(lay, labs, members, ga))
    return a + np.flatnonzero(cut), labels, sources


def _cut_full(lay: Layout, working: np.ndarray) -> tuple[np.ndarray, Pieces]:
    """Linked nodes, working so far, that their sector's rule cuts off (a full pass)."""
    cut, labels, sources = _cut_span(lay, working, 0, lay.m)
    return cut, Pieces(labels, sources)


def _cut_sectors(lay: Layout, working: np.ndarray, nodes: np.ndarray, pieces: Pieces) -> np.ndarray | None:
    """Linked nodes that their sector's rule cuts off, in the sectors of ``nodes`` only (a
    full pass over each); their components get fresh labels in ``pieces``. None when those
    sectors hold over half the linked nodes: one pass over all is then cheaper."""
    spans = [lay.spans[k] for k in np.unique(np.searchsorted(lay.span_starts, nodes, "right") - 1)]
    if sum(b - a for a, b, _ in spans) > lay.m / 2:
        return None
    cut = []
    for a, b, _ in spans:
        found, labels, sources = _cut_span(lay, working, a, b)
        pieces.labels[a:b] = labels + len(pieces.sources)
        pieces.sources = np.concatenate([pieces.sources, sources])
        cut.append(found)
    return np.concatenate(cut)


@dataclass
class Scratch:
    """Work arrays over the linked nodes, reused through one cascade call: ``mark`` is
    all False between uses; ``slot`` holds garbage."""

    mark: np.ndarray
    slot: np.ndarray


class Reach:
    """Connectivity by breadth-first search, for networks of up to ``LOCAL_ABOVE`` linked
    nodes: cheaper than ``connected_components``, which labels every component and builds the
    transpose of the graph first.

    The search graph is the link graph of one cascade call plus a root ``m`` and a sink
    ``m + 1``; the links out of a node that stops working lead to the sink, so a search
    enters a lost node but never leaves it. One search a round, from the root, covers the
    sectors where the round's loss may have cut a path: the root is joined to the feeders of
    such a sources sector, which keeps the working nodes the search reaches, and to one working
    node of such a giant-component sector. That sector held one component after its last pass
    (the rest was cut) and only splits: the piece reached is the giant when it holds more than
    half of the sector's working nodes; otherwise the sector gets a full pass (:func:`_cut_span`).
    """

    def __init__(self, lay: Layout, working: np.ndarray):
        self.lay = lay
        graph = sp.csr_matrix((lay.reach_ones, np.concatenate([lay.link_cols32, lay.root_row]), lay.reach_ptr),
                              shape=(lay.m + 2, lay.m + 2))
        graph.indices[_rows_of(lay.link_ptr, np.flatnonzero(~working[:lay.m]))[0]] = lay.m + 1
        self.graph = graph
        self.root = graph.indices[len(lay.link_cols32):]       # the root's row, a view
        self.start = {k: int(lay.root_row[lay.root_slots[k]])   # per giant sector, a node of its giant
                      for k, (_, _, giant) in enumerate(lay.spans) if giant}

    def cut(self, working: np.ndarray, lost: np.ndarray | None = None, scratch: Scratch | None = None) -> np.ndarray:
        """Working linked nodes cut off where losing ``lost`` (linked nodes, no longer
        working) may have cut a path; everywhere when None. Nodes cut off need not leave the
        search graph: no working node is next to one."""
        lay, m = self.lay, self.lay.m
        spans = np.ones(len(lay.spans), bool)
        if lost is not None:
            if not len(lost):
                return lost
            pos, owner = _rows_of(lay.link_ptr, lost)
            self.graph.indices[pos] = m + 1
            danger = lost[_may_cut(lay, working, lost, pos, owner, scratch)]
            spans[:] = False
            spans[np.searchsorted(lay.span_starts, danger, "right") - 1] = True
        searched = []
        for k, (a, b, giant) in enumerate(lay.spans):
            lo, hi = lay.root_slots[k], lay.root_slots[k + 1]
            alive = working[a:b]
            if spans[k] and giant and alive.any():
                if not working[self.start[k]]:
                    self.start[k] = a + int(np.argmax(alive))
                self.root[lo] = self.start[k]
            elif spans[k] and not giant:
                self.root[lo:hi] = lay.root_row[lo:hi]
            else:
                self.root[lo:hi] = m + 1
                continue
            searched.append((a, b, giant, alive))
        if not searched:
            return np.zeros(0, np.int64)
        reached = breadth_first_order(self.graph, m)[1] >= 0      # every node reached has a predecessor
        cut = []
        for a, b, giant, alive in searched:
            kept = reached[a:b] & alive
            if giant and 2 * np.count_nonzero(kept) <= np.count_nonzero(alive):
                cut.append(_cut_span(lay, working, a, b)[0])
            else:
                cut.append(a + np.flatnonzero(alive & ~kept))
        return np.concatenate(cut)


def _label(n: int, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Component labels of the undirected graph on ``n`` vertices with edges ``rows``-``cols``
    (repeats allowed: scipy 1.17's strong components loop forever on a repeated edge, so
    these small graphs use the undirected search)."""
    order = np.argsort(rows, kind="stable")
    graph = _csr(rows[order], cols[order], np.ones(len(rows)), n, n)
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
            nxt = lay.link_cols[_rows_of(lay.link_ptr, edge)[0]]
            edge = _distinct(nxt[working[nxt] & ~mark[nxt]], slot)
            if not len(edge):
                break
            mark[edge] = True
            layers.append(edge)
            size += len(edge)
            if size > LOCAL_SHARE * lay.m:
                return None
        nodes = np.concatenate(layers)
        slot[nodes] = np.arange(len(nodes))
        pos, row = _rows_of(lay.link_ptr, nodes)
        other = lay.link_cols[pos]
        within = mark[other]
        graph = _csr(row[within], slot[other[within]], np.ones(int(within.sum())), len(nodes), len(nodes))
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
    pos, owner = _rows_of(lay.link_ptr, lost)
    nb = lay.link_cols[pos]
    alive = working[nb]
    if not alive.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    mark, slot = scratch.mark, scratch.slot
    seeds = _distinct(nb[alive], slot)
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


def _may_cut(lay: Layout, working: np.ndarray, lost: np.ndarray, pos: np.ndarray, owner: np.ndarray,
             scratch: Scratch) -> np.ndarray:
    """Which of ``lost`` may change which nodes are connected as their rule needs (``pos``,
    ``owner``: their links, from :func:`_rows_of`). One that is no source, next to no other lost
    node and to at most one working node cannot: a path never runs through such a node, and
    each sector's kept components stay."""
    nb = lay.link_cols[pos]
    scratch.mark[lost] = True
    touching = np.bincount(owner[scratch.mark[nb]], minlength=len(lost)) > 0
    scratch.mark[lost] = False
    return lay.feeder[lost] | touching | (np.bincount(owner[working[nb]], minlength=len(lost)) > 1)


def _harmless(lay: Layout, working: np.ndarray, lost: np.ndarray, scratch: Scratch) -> bool:
    """True when no node of ``lost`` may cut a path (:func:`_may_cut`)."""
    return not _may_cut(lay, working, lost, *_rows_of(lay.link_ptr, lost), scratch).any()


def _cut_local(lay: Layout, working: np.ndarray, lost: np.ndarray, pieces: Pieces,
               scratch: Scratch) -> np.ndarray | None:
    """Linked nodes that losing ``lost`` (linked, no longer in ``working``) cuts off, found
    from the closed pieces the loss splits off (:func:`_closed_pieces`) and ``pieces``, which
    it updates; None when the neighbourhood of the loss cannot tell.

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


def cascade(net: Network, down: np.ndarray, buffer_left: np.ndarray) -> Outcome:
    """Propagate the own-cause bits in ``down`` to a fixpoint; return every node's state.

    ``buffer_left`` (ticks per group) says which failed groups still ride on backup. The
    caller drains and refills buffers between ticks (:func:`drain_buffers`).

    The answer depends only on the own causes and on which buffers are left, so the last
    few answers per network are remembered: what-if evaluations repeat many questions.
    """
    lay = layout(net)
    own = (np.asarray(down) & OWN_CAUSES).astype(np.uint8)
    spare = np.asarray(buffer_left) > 0
    key = own.tobytes() + np.packbits(spare).tobytes()
    with lay.lock:
        known = lay.memo.get(key)
        if known is not None:
            lay.memo.move_to_end(key)
    if known is None:
        overload = None
        if net.capacity is not None:  # Motter-Lai load redistribution, in original node order
            def overload(working: np.ndarray) -> np.ndarray:
                return overloaded(net, working[lay.rank], net.capacity)[lay.order]
        known = _propagate(lay, own, spare, overload)
        with lay.lock:
            lay.memo[key] = known
            while len(lay.memo) > lay.memo_size:
                lay.memo.popitem(last=False)
    return Outcome(known.down.copy(), known.group_failed.copy(), known.backup.copy(), known.rounds)


def _propagate(lay: Layout, own_bits: np.ndarray, spare_buffer: np.ndarray,
               overload: Callable[[np.ndarray], np.ndarray] | None = None) -> Outcome:
    """The kernel proper (see :func:`cascade`), on own causes and buffers in network order.
    With ``overload``, working nodes above capacity fail once the rest has settled, and the
    propagation resumes from them, until no node is overloaded."""
    own = own_bits[lay.order]
    working = own == 0
    spare = spare_buffer[lay.gorder]
    n = len(own)
    cut = np.zeros(n, bool)
    unsupplied = np.zeros(n, bool)
    local = lay.m > LOCAL_ABOVE
    scratch = Scratch(np.zeros(lay.m, bool), np.empty(lay.m, np.int64))

    if local:
        newly_cut, pieces = _cut_full(lay, working)
    else:
        reach = Reach(lay, working)
        newly_cut = reach.cut(working)
    cut[newly_cut] = True
    working[newly_cut] = False
    count = lay.supply @ working.astype(np.float32)
    failed = count < lay.need
    lost = _unsupplied(lay, np.flatnonzero(failed), spare, unsupplied, working)
    over = np.zeros(n, bool)
    rounds = 1
    while True:
        if not len(lost):
            if overload is None:
                break
            lost = np.flatnonzero(overload(working) & working)
            if not len(lost):
                break
            over[lost] = True
            working[lost] = False
        rounds += 1
        gone = lost[lost < lay.m]
        newly_cut = np.zeros(0, np.int64)
        if not local:
            newly_cut = reach.cut(working, gone, scratch)
        elif len(gone) and not _harmless(lay, working, gone, scratch):
            newly_cut = _cut_local(lay, working, gone, pieces, scratch) if len(gone) <= LOCAL_LOSS * lay.m else None
            if newly_cut is None:
                newly_cut = _cut_sectors(lay, working, gone, pieces)
            if newly_cut is None:
                newly_cut, pieces = _cut_full(lay, working)
        cut[newly_cut] = True
        working[newly_cut] = False
        failing = _drop(lay, count, failed, np.concatenate([lost, newly_cut]))
        lost = _unsupplied(lay, failing, spare, unsupplied, working)

    state = own | (cut * np.uint8(ISOLATED)) | (unsupplied * np.uint8(UNSUPPLIED)) | (over * np.uint8(OVERLOADED))
    backup = np.zeros(n, bool)
    backup[lay.dep_node[failed & spare]] = True
    return Outcome(state[lay.rank], failed[lay.grank], (backup & working)[lay.rank], rounds)


def _drop(lay: Layout, count: np.ndarray, failed: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Take ``nodes`` out of their groups' supplier counts; return the groups that fail now
    (a group may repeat)."""
    pos, _ = _rows_of(lay.feeds_ptr, nodes)
    groups = lay.feeds_group[pos]
    if len(groups) > len(count) // 8:
        count -= np.bincount(groups, weights=lay.feeds_weight[pos], minlength=len(count))
    else:
        np.subtract.at(count, groups, lay.feeds_weight[pos])
    new = groups[(count[groups] < lay.need[groups]) & ~failed[groups]]
    failed[new] = True
    return new


def _unsupplied(lay: Layout, new_failed: np.ndarray, spare: np.ndarray, unsupplied: np.ndarray,
                working: np.ndarray) -> np.ndarray:
    """Mark the nodes of failed groups whose buffer is spent; take and return the working ones."""
    nodes = lay.dep_node[new_failed[~spare[new_failed]]]
    unsupplied[nodes] = True
    lost = np.unique(nodes[working[nodes]])
    working[lost] = False
    return lost


def components(net: Network, working: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of the link graph restricted to working nodes."""
    keep = working[net.link_rows] & working[net.link_cols]
    counts = np.bincount(net.link_rows[keep], minlength=net.n)
    indptr = np.empty(net.n + 1, dtype=np.int32)
    indptr[0] = 0
    np.cumsum(counts, out=indptr[1:])
    cols = net.link_cols[keep]
    graph = sp.csr_matrix((np.ones(len(cols)), cols, indptr), shape=(net.n, net.n))
    return connected_components(graph, directed=False)


def isolated(net: Network, working: np.ndarray) -> np.ndarray:
    """Working nodes that their sector's connectivity rule cuts off."""
    lay = layout(net)
    out = np.zeros(net.n, bool)
    out[_cut_full(lay, working[lay.order])[0]] = True
    return out[lay.rank]


def drain_buffers(net: Network, buffer_left: np.ndarray, group_failed: np.ndarray) -> bool:
    """Spend one tick of buffer in failed groups, refill satisfied ones (tanks refilled,
    batteries recharged). Return True when a buffer ran out or came back, i.e. when the
    next cascade may differ."""
    before = buffer_left <= 0
    np.subtract(buffer_left, 1, out=buffer_left, where=group_failed & (buffer_left > 0))
    np.copyto(buffer_left, net.dep_buffer, where=~group_failed)
    return bool((before != (buffer_left <= 0)).any())
