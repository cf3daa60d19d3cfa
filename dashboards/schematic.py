"""Where the maps draw unplaced nodes (nodes whose position is not known).

A node without coordinates is drawn where its neighbours suggest, never as if it were known
there: at the mean position of its placed neighbours (links, normally-open ties and
dependencies, both ways), round by round so that a chain of unplaced nodes follows its
placed end, set off on a small spiral so that siblings do not hide one another. Nodes with
no placed node in reach are set out in a grid beside the map's right edge, under the label
"unplaced". The maps draw every unplaced node with a hollow marker.
"""

from __future__ import annotations

import math

import numpy as np

from sim.network import Network

__all__ = ["GOLDEN_ANGLE", "UNPLACED_LABEL", "drawn_positions", "aside_corner"]

GOLDEN_ANGLE = math.pi * (3.0 - math.sqrt(5.0))     # spreads points evenly round a centre (Vogel 1979)
UNPLACED_LABEL = "unplaced (no coordinates)"


def _neighbours(net: Network) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of nodes that a link, tie or dependency joins, both ways."""
    sup = net.supply.tocoo()
    a = np.concatenate([net.link_rows, net.tie_a, net.tie_b, sup.col, net.dep_node[sup.row]]).astype(np.int64)
    b = np.concatenate([net.link_cols, net.tie_b, net.tie_a, net.dep_node[sup.row], sup.col]).astype(np.int64)
    return a, b


def _span(xy: np.ndarray) -> float:
    """The wider side of the placed nodes' bounding box, km (1 when there is none)."""
    if not len(xy):
        return 1.0
    return float(np.ptp(xy, axis=0).max()) or 1.0


def drawn_positions(net: Network) -> np.ndarray:
    """The position to draw each node at, km: placed nodes where they are, unplaced ones as
    the module docstring says.

    Parameters
    ----------
    net : Network
        The static network (``xy`` NaN for unplaced nodes).

    Returns
    -------
    numpy.ndarray
        (N, 2) positions, all finite; ``net.xy`` itself when every node is placed.
    """
    if len(net.placed_rows) == net.n:
        return net.xy
    xy = net.xy.copy()
    placed_xy = net.xy[net.placed_rows]
    span = _span(placed_xy)
    todo = ~net.placed.copy()
    into, source = _neighbours(net)
    guessed = np.zeros(net.n, bool)
    while todo.any():
        known = ~todo[source] & todo[into]
        count = np.bincount(into[known], minlength=net.n)
        step = count > 0
        if not step.any():
            break
        for axis in (0, 1):
            total = np.bincount(into[known], weights=xy[source[known], axis], minlength=net.n)
            xy[step, axis] = total[step] / count[step]
        todo &= ~step
        guessed |= step
    rows = np.flatnonzero(guessed)
    k = np.arange(1, len(rows) + 1)
    radius = 0.06 * span * np.sqrt(k / max(len(rows), 1))
    xy[rows, 0] += radius * np.cos(k * GOLDEN_ANGLE)
    xy[rows, 1] += radius * np.sin(k * GOLDEN_ANGLE)
    aside = np.flatnonzero(todo)
    if len(aside):
        aside = aside[np.lexsort((aside, net.sector[aside]))]      # by sector, then file order
        x0, top = aside_corner(net)
        per_column = math.ceil(math.sqrt(len(aside)))
        gap = span / max(per_column, 2)
        column, row = np.divmod(np.arange(len(aside)), per_column)
        xy[aside, 0] = x0 + column * gap
        xy[aside, 1] = top - row * gap
    return xy


def aside_corner(net: Network) -> tuple[float, float]:
    """Top-left corner of the grid of unplaced nodes with no placed node in reach, km.

    Parameters
    ----------
    net : Network
        The static network.

    Returns
    -------
    tuple of float
        x, y: a tenth of the span right of the placed nodes, level with their top (0, 0
        when no node is placed).
    """
    placed_xy = net.xy[net.placed_rows]
    if not len(placed_xy):
        return 0.0, 0.0
    return float(placed_xy[:, 0].max() + 0.1 * _span(placed_xy)), float(placed_xy[:, 1].max())
