"""Connectivity by breadth-first search (``scipy.sparse.csgraph.breadth_first_order``), the
kernel's way on networks of up to ``sim.cascade.LOCAL_ABOVE`` linked nodes: the sector rules
ask only which working nodes a path joins to a working source, or to the giant component, and
a search answers that for a fraction of ``connected_components``, which labels every
component and first builds the transpose of an undirected graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from sim.kernel.layout import Layout, rows_of
from sim.kernel.local import Scratch, may_cut
from sim.kernel.passes import cut_span

__all__ = ["Fixed", "Reach"]


@dataclass
class Fixed:
    """The parts of a layout's search graph that every cascade call shares: after the links,
    a root row holding each sources sector's feeders and, per giant-component sector, a node
    of its giant when all work (``slots[k]:slots[k + 1]`` for ``lay.spans[k]``); then an empty
    sink row.

    Attributes
    ----------
    root_row : numpy.ndarray of int32
        The root's targets (layout positions).
    slots : numpy.ndarray of int
        Per linked sector ``k``, its part ``slots[k]:slots[k + 1]`` of ``root_row``.
    ptr : numpy.ndarray of int32, shape (m + 3,)
        The search graph's CSR row pointer.
    ones : numpy.ndarray of float
        The graph's entries, all 1.
    """

    root_row: np.ndarray
    slots: np.ndarray
    ptr: np.ndarray
    ones: np.ndarray


def _fixed(lay: Layout) -> Fixed:
    """The layout's :class:`Fixed`, built on first use."""
    if lay.search is None:
        everything = np.ones(len(lay.order), bool)
        row = []
        for a, b, giant in lay.spans:
            if giant:
                kept = everything[a:b].copy()
                kept[cut_span(lay, everything, a, b)[0] - a] = False
                row.append([a + int(np.argmax(kept))])
            else:
                row.append(a + np.flatnonzero(lay.feeder[a:b]))
        root_row = np.concatenate([np.zeros(0, np.int64), *row]).astype(np.int32)
        entries = len(lay.link_cols32) + len(root_row)
        lay.search = Fixed(root_row, np.cumsum([0] + [len(r) for r in row]),
                           np.append(lay.link_ptr, [entries, entries]).astype(np.int32), np.ones(entries))
    return lay.search


class Reach:
    """The search graph of one cascade call, and the rounds' searches over it.

    The search graph is the link graph of one cascade call plus a root ``m`` and a sink
    ``m + 1``; the links out of a node that stops working lead to the sink, so a search
    enters a lost node but never leaves it. One search a round, from the root, covers the
    sectors where the round's loss may have cut a path: the root is joined to the feeders of
    such a sources sector, which keeps the working nodes the search reaches, and to one working
    node of such a giant-component sector. That sector held one component after its last pass
    (the rest was cut) and only splits: the piece reached is the giant when it holds more than
    half of the sector's working nodes; otherwise the sector gets a full pass (:func:`cut_span`).

    Parameters
    ----------
    lay : Layout
        The network's layout.
    working : numpy.ndarray of bool, shape (n,)
        Which nodes work at the start of the cascade call, in layout order.
    """

    def __init__(self, lay: Layout, working: np.ndarray):
        self.lay = lay
        fixed = _fixed(lay)
        graph = sp.csr_matrix((fixed.ones, np.concatenate([lay.link_cols32, fixed.root_row]), fixed.ptr),
                              shape=(lay.m + 2, lay.m + 2))
        graph.indices[rows_of(lay.link_ptr, np.flatnonzero(~working[:lay.m]))[0]] = lay.m + 1
        self.graph = graph
        self.fixed = fixed
        self.root = graph.indices[len(lay.link_cols32):]       # the root's row, a view
        self.start = {k: int(fixed.root_row[fixed.slots[k]])   # per giant sector, a node of its giant
                      for k, (_, _, giant) in enumerate(lay.spans) if giant}

    def cut(self, working: np.ndarray, lost: np.ndarray | None = None, scratch: Scratch | None = None) -> np.ndarray:
        """Working linked nodes cut off where losing ``lost`` may have cut a path.

        Parameters
        ----------
        working : numpy.ndarray of bool, shape (n,)
            Which nodes work, in layout order (``lost`` no longer among them).
        lost : numpy.ndarray of int or None, optional
            Linked nodes (layout positions) just lost; their links are redirected to the
            sink. None: search every sector (the first round).
        scratch : Scratch or None, optional
            Work arrays for :func:`may_cut`; needed with ``lost``.

        Returns
        -------
        numpy.ndarray of int
            Layout positions of the nodes cut off. They need not leave the search graph:
            no working node is next to one.
        """
        lay, m = self.lay, self.lay.m
        spans = np.ones(len(lay.spans), bool)
        if lost is not None:
            if not len(lost):
                return lost
            pos, owner = rows_of(lay.link_ptr, lost)
            self.graph.indices[pos] = m + 1
            danger = lost[may_cut(lay, working, lost, pos, owner, scratch)]
            spans[:] = False
            spans[np.searchsorted(lay.span_starts, danger, "right") - 1] = True
        searched = []
        for k, (a, b, giant) in enumerate(lay.spans):
            lo, hi = self.fixed.slots[k], self.fixed.slots[k + 1]
            alive = working[a:b]
            if spans[k] and giant and alive.any():
                if not working[self.start[k]]:
                    self.start[k] = a + int(np.argmax(alive))
                self.root[lo] = self.start[k]
            elif spans[k] and not giant:
                self.root[lo:hi] = self.fixed.root_row[lo:hi]
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
                cut.append(cut_span(lay, working, a, b)[0])
            else:
                cut.append(a + np.flatnonzero(alive & ~kept))
        return np.concatenate(cut)

