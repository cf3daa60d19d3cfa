r"""The DC power flow: one sparse solve of :math:`B\theta = P` over every island at once.

The DC approximation of the AC power-flow equations (flat voltages, small angle
differences, lossless branches; Stott, Jardim & Alsaç, "DC power flow revisited", IEEE
Trans. Power Systems 24(3), 2009): a branch from ``a`` to ``b`` carries

.. math:: f_{ab} = \frac{\theta_a - \theta_b - \varphi_{ab}}{x_{ab}}

per unit on 100 MVA (``x`` with the tap ratio folded in, ``φ`` the phase shift), and the
angles solve :math:`B\theta = P + P_\varphi` with the slack buses' angles held (MATPOWER's
``dcpf``, which pandapower's ``rundcpp`` runs). Islands are independent blocks of ``B``; one
sparse LU factorisation (SuperLU, ``scipy.sparse.linalg.splu``) solves them all.

Balance per island (the island's slack: its ``slack`` buses, else the bus that can give
the most): generation stays at its set points and the slack takes the difference; when the
slack cannot (beyond its ``max_mw``) the other generators ramp up in proportion to their
headroom; when the island's whole capacity is short of its load, every generator gives its
most and every load is shed by the same fraction (proportional shedding, as in the OPA
model's islands, Dobson, Carreras, Lynch & Newman, Chaos 17, 026103, 2007), or, where buses
carry a ``priority``, the lowest priority first (:func:`shed_by_priority`); when an island
without an external grid has more set-point generation than load, generation is scaled
down to the load. An island with no generator that can balance it (no slack, no ``max_mw``)
carries no flow: its buses are not supplied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components
from scipy.sparse.linalg import splu

from sim.physics.grid import Grid

__all__ = ["BASE_MVA", "Flow", "dc_flow", "shed_by_priority"]

BASE_MVA = 100.0


@dataclass
class Flow:
    """A DC power flow's answer.

    Attributes
    ----------
    flow_mw : numpy.ndarray
        Active power per branch from its ``a`` to its ``b`` end, MW; 0 on branches out of
        service or in a dead island; NaN on zero-impedance switches.
    theta : numpy.ndarray
        Voltage angle per bus, radians (NaN where not supplied).
    supplied : numpy.ndarray
        bool per bus: in service, in an island that has generation to balance it.
    served : numpy.ndarray
        Share of each bus's load served (1 unless its island sheds load; 0 unsupplied).
    shed_mw : float
        Load shed in islands short of generation, MW (not counting unsupplied buses).
    island : numpy.ndarray
        Island label per bus (buses joined by conducting branches share one); -1 for a
        bus out of service.
    """

    flow_mw: np.ndarray
    theta: np.ndarray
    supplied: np.ndarray
    served: np.ndarray
    shed_mw: float
    island: np.ndarray

    def loading(self, rating_mva: np.ndarray) -> np.ndarray:
        """``|flow| / rating`` per branch (0 where the rating is infinite or the flow NaN).

        Parameters
        ----------
        rating_mva : numpy.ndarray
            Rating per branch, MVA.

        Returns
        -------
        numpy.ndarray
        """
        with np.errstate(invalid="ignore", divide="ignore"):
            out = np.abs(self.flow_mw) / rating_mva
        return np.nan_to_num(out, nan=0.0, posinf=0.0)


def _labels(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label per vertex of an undirected edge list."""
    graph = sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def dc_flow(grid: Grid, line_on: np.ndarray, bus_on: np.ndarray) -> Flow:
    """Solve the DC power flow of the branches and buses in service.

    Parameters
    ----------
    grid : Grid
        The sector's model.
    line_on : numpy.ndarray
        bool per branch: conducting (a branch at a bus out of service conducts nothing).
    bus_on : numpy.ndarray
        bool per bus: in service.

    Returns
    -------
    Flow

    Examples
    --------
    Two buses, 50 MW from the slack to a load over x = 0.1:

    >>> g = Grid(0, np.arange(2), np.array([0]), np.array([1]), ["l"], np.array([0]), np.array([0.1]),
    ...          np.zeros(1), np.array([np.inf]), np.ones(1, bool), np.array([0.0, 50.0]), np.zeros(2),
    ...          np.array([np.inf, 0.0]), np.array([True, False]), np.zeros(2))
    >>> f = dc_flow(g, np.ones(1, bool), np.ones(2, bool))
    >>> f.flow_mw.tolist(), round(float(f.theta[1]), 6)
    ([50.0], -0.05)
    """
    n = grid.n_bus
    on = np.asarray(line_on, bool) & bus_on[grid.line_a] & bus_on[grid.line_b]
    switch = on & (grid.x_pu == 0)
    # zero-impedance switches fuse their ends into one bus
    fused = _labels(n, grid.line_a[switch], grid.line_b[switch])
    m = int(fused.max()) + 1 if n else 0
    branch = on & ~switch
    fa, fb = fused[grid.line_a[branch]], fused[grid.line_b[branch]]
    island = _labels(m, fa, fb)
    k = int(island.max()) + 1 if m else 0
    live_bus = np.flatnonzero(bus_on)
    where = island[fused[live_bus]]
    load = np.bincount(where, grid.load_mw[live_bus], k)
    gen = grid.gen_mw[live_bus]
    top = np.maximum(grid.max_mw[live_bus], gen)
    slack_bus = grid.slack[live_bus]
    # an island's slack: its slack buses, else the bus that can give the most
    has_slack = np.bincount(where, slack_bus, k) > 0
    best = np.full(k, -1.0)
    np.maximum.at(best, where, np.where(top > 0, top, -1.0))
    pick = ~has_slack[where] & (top > 0) & (top == best[where])
    first = np.full(k, len(live_bus))
    np.minimum.at(first, where[pick], np.flatnonzero(pick))
    ref = slack_bus.copy()
    ref[first[first < len(live_bus)]] = True
    alive = np.bincount(where, ref, k) > 0
    # balance: set points, the slack takes the difference within its limit, others ramp, then shed
    fixed = np.bincount(where, np.where(ref, 0.0, gen), k)
    ref_top = np.bincount(where, np.where(ref, top, 0.0), k)
    room = np.where(ref, 0.0, top - gen)    # finite off the slack
    head = np.bincount(where, room, k)
    need = load - fixed
    with np.errstate(invalid="ignore", divide="ignore"):
        ramp = np.clip(np.where(head > 0, (need - ref_top) / head, 0.0), 0.0, 1.0)
        capacity = fixed + ref_top + head
        short = load > capacity
        served = np.where(short, np.where(load > 0, capacity / load, 1.0), 1.0)
        unlimited = np.isinf(ref_top)
        surplus = ~unlimited & (need < 0) & (fixed > 0)
        trim = np.where(surplus, load / fixed, 1.0)
    inject = np.where(ref, 0.0, gen + ramp[where] * room) * trim[where]
    served_bus = served[where] * alive[where]
    for isl in np.flatnonzero(short & alive).tolist():
        members = np.flatnonzero(where == isl)
        served_bus[members] = shed_by_priority(grid.load_mw[live_bus[members]], grid.priority[live_bus[members]],
                                               float(capacity[isl]))
    p = np.bincount(fused[live_bus], (inject - grid.load_mw[live_bus] * served_bus) * alive[where], m) / BASE_MVA
    # shift injections: f = b (θa − θb − φ) puts b φ at a and − b φ at b
    b = 1.0 / grid.x_pu[branch]
    bphi = b * grid.shift_rad[branch]
    p += np.bincount(fa, bphi, m) - np.bincount(fb, bphi, m)
    theta = np.full(m, np.nan)
    fused_ref = np.zeros(m, bool)
    fused_ref[fused[live_bus[ref]]] = True
    theta[fused[live_bus[ref & slack_bus]]] = grid.slack_angle[live_bus[ref & slack_bus]]
    theta[fused[live_bus[ref & ~slack_bus]]] = 0.0
    solve = np.zeros(m, bool)
    solve[fused[live_bus]] = alive[island[fused[live_bus]]]
    solve &= ~fused_ref
    bmat = sp.coo_matrix((np.concatenate([b, b, -b, -b]), (np.concatenate([fa, fb, fa, fb]),
                                                           np.concatenate([fa, fb, fb, fa]))), shape=(m, m)).tocsc()
    rows = np.flatnonzero(solve)
    if len(rows):
        known = np.flatnonzero(fused_ref)
        rhs = p[rows] - bmat[rows][:, known] @ theta[known]
        theta[rows] = splu(bmat[rows][:, rows].tocsc()).solve(rhs)
    flow = np.zeros(grid.n_line)
    flow[branch] = b * (theta[fa] - theta[fb] - grid.shift_rad[branch]) * BASE_MVA
    flow[switch] = np.nan
    flow[branch & ~alive[island[fused[grid.line_a]]]] = 0.0
    supplied = np.zeros(n, bool)
    supplied[live_bus] = alive[where]
    served_all = np.zeros(n)
    served_all[live_bus] = served_bus
    shed = float(np.sum(grid.load_mw[live_bus] * (1.0 - served_bus) * alive[where]))
    bus_theta = np.where(supplied, theta[fused], np.nan)
    bus_island = np.full(n, -1, np.int64)
    bus_island[live_bus] = where
    return Flow(flow, bus_theta, supplied, served_all, shed, bus_island)


def shed_by_priority(load_mw: np.ndarray, priority: np.ndarray, capacity_mw: float) -> np.ndarray:
    """Share of each load an island short of generation serves: the highest priority first.

    Loads of one priority are served alike; the class where capacity runs out is served in
    proportion, the classes below it not at all. With one priority throughout this is
    proportional shedding (every load served ``capacity / load``, as in OPA).

    Parameters
    ----------
    load_mw : numpy.ndarray
        Load per bus of the island, MW.
    priority : numpy.ndarray
        Priority per bus (higher: shed last).
    capacity_mw : float
        What the island's generators can give, MW.

    Returns
    -------
    numpy.ndarray
        Served share per bus, 0..1 (a bus without load: its class's share).

    Examples
    --------
    >>> shed_by_priority(np.array([40.0, 40.0, 20.0]), np.array([0.0, 0.0, 1.0]), 60.0).tolist()
    [0.5, 0.5, 1.0]
    """
    out = np.ones(len(load_mw))
    left = max(capacity_mw, 0.0)
    for level in np.unique(priority)[::-1]:
        cls = priority == level
        need = float(load_mw[cls].sum())
        share = min(1.0, left / need) if need > 0 else 1.0
        out[cls] = share
        left = max(0.0, left - share * need)
    return out
