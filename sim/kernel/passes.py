"""Full connectivity passes: label the components of the working link graph with
``scipy.sparse.csgraph.connected_components`` and apply each sector's rule.

In a sector with sources a working node is cut off unless a path of working nodes joins it to
a working source; in a sector without sources only the largest component of working nodes
functions, ties going to the one holding the lowest node index — the rule of Buldyrev et al.,
"Catastrophic cascade of failures in interdependent networks", Nature 464 (2010).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from sim.kernel.layout import Layout

__all__ = ["STRONG_BELOW", "Pieces", "cut_full", "cut_sectors", "cut_span"]

STRONG_BELOW = 5_000   # full passes over fewer nodes use the symmetric graph (see cut_span)


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
    """Connectivity within one cascade call.

    Attributes
    ----------
    labels : numpy.ndarray of int, shape (m,)
        Component label of each linked node, in layout order (meaningful for working ones).
    sources : numpy.ndarray of int
        Working feeders (sources of sources-rule sectors) per label.
    """

    labels: np.ndarray
    sources: np.ndarray


def cut_span(lay: Layout, working: np.ndarray, a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A full pass over the linked nodes ``[a, b)`` (whole sectors).

    Parameters
    ----------
    lay : Layout
        The network's layout.
    working : numpy.ndarray of bool, shape (n,)
        Which nodes work, in layout order.
    a, b : int
        The span of layout positions; starts and ends of linked sectors.

    Returns
    -------
    cut : numpy.ndarray of int
        Working nodes (layout positions) that their sector's rule cuts off.
    labels : numpy.ndarray of int32, shape (b - a,)
        Component label of each node of the span.
    sources : numpy.ndarray of int
        Working feeders per label.

    Notes
    -----
    Sources rule: a working node is cut unless its component holds a working source.
    Giant-component rule: all but the largest component are cut, ties going to the one
    holding the lowest network index (Buldyrev et al., Nature 464, 2010).
    """
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


def cut_full(lay: Layout, working: np.ndarray) -> tuple[np.ndarray, Pieces]:
    """Linked nodes, working so far, that their sector's rule cuts off (a full pass).

    Parameters
    ----------
    lay : Layout
        The network's layout.
    working : numpy.ndarray of bool, shape (n,)
        Which nodes work, in layout order.

    Returns
    -------
    cut : numpy.ndarray of int
        Layout positions of the nodes cut off.
    pieces : Pieces
        Every linked node's component, for later rounds.
    """
    cut, labels, sources = cut_span(lay, working, 0, lay.m)
    return cut, Pieces(labels, sources)


def cut_sectors(lay: Layout, working: np.ndarray, nodes: np.ndarray, pieces: Pieces) -> np.ndarray | None:
    """Linked nodes that their sector's rule cuts off, in the sectors of ``nodes`` only.

    Parameters
    ----------
    lay : Layout
        The network's layout.
    working : numpy.ndarray of bool, shape (n,)
        Which nodes work, in layout order.
    nodes : numpy.ndarray of int
        Linked nodes (layout positions) whose sectors get a full pass each.
    pieces : Pieces
        Updated in place: those sectors' components get fresh labels.

    Returns
    -------
    numpy.ndarray of int or None
        Layout positions of the nodes cut off; None when those sectors hold over half the
        linked nodes (one pass over all is then cheaper) and ``pieces`` is left unchanged.
    """
    spans = [lay.spans[k] for k in np.unique(np.searchsorted(lay.span_starts, nodes, "right") - 1)]
    if sum(b - a for a, b, _ in spans) > lay.m / 2:
        return None
    cut = []
    for a, b, _ in spans:
        found, labels, sources = cut_span(lay, working, a, b)
        pieces.labels[a:b] = labels + len(pieces.sources)
        pieces.sources = np.concatenate([pieces.sources, sources])
        cut.append(found)
    return np.concatenate(cut)

