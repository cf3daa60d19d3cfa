"""The overload cascade of a grid: flows redistribute, overloaded branches trip, repeat.

The rule is that of the OPA and CASCADE family of blackout models (Dobson, Carreras, Lynch
& Newman, "Complex systems analysis of series of blackouts: cascading failure, critical
points, and self-organization", Chaos 17, 026103, 2007), deterministic: each round solves
the DC power flow of what is left (:func:`sim.physics.dcflow.dc_flow`, islands balanced
and short ones shedding load in proportion) and trips **every** branch above its rating at
once; the next round solves again, until no branch is overloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.physics.dcflow import Flow, dc_flow
from sim.physics.grid import Grid

__all__ = ["OVERLOAD_TOLERANCE", "Trip", "Cascade", "overload_cascade", "rating_from_flow"]

OVERLOAD_TOLERANCE = 1e-9    # relative: a branch trips above rating · (1 + this), not at it (rounding)


@dataclass(frozen=True)
class Trip:
    """One branch tripped by overload.

    Attributes
    ----------
    line : int
        The branch's index in its grid.
    round : int
        The cascade round it tripped in, from 1.
    flow_mw : float
        Its flow when it tripped, MW.
    rating_mva : float
        Its rating, MVA.
    cause : tuple of int
        The branches whose trips the round before overloaded it (empty in round 1: the
        change that started the cascade).
    """

    line: int
    round: int
    flow_mw: float
    rating_mva: float
    cause: tuple[int, ...]


@dataclass
class Cascade:
    """An overload cascade's outcome.

    Attributes
    ----------
    trips : list of Trip
        Every branch tripped, round by round.
    flow : Flow
        The flow once no branch is overloaded.
    rounds : int
        Power flows solved (1: nothing tripped).
    """

    trips: list[Trip] = field(default_factory=list)
    flow: Flow | None = None
    rounds: int = 0


def overload_cascade(grid: Grid, line_on: np.ndarray, bus_on: np.ndarray, rating_mva: np.ndarray,
                     max_rounds: int = 1000) -> Cascade:
    """Trip overloaded branches, all at once per round, until none is overloaded.

    Parameters
    ----------
    grid : Grid
        The sector's model.
    line_on : numpy.ndarray
        bool per branch: conducting at the start.
    bus_on : numpy.ndarray
        bool per bus: in service.
    rating_mva : numpy.ndarray
        Rating per branch, MVA (inf: never trips).
    max_rounds : int
        A bound on rounds (each trips at least one branch, so the branch count bounds it).

    Returns
    -------
    Cascade
    """
    on = np.asarray(line_on, bool).copy()
    out = Cascade()
    cause: tuple[int, ...] = ()
    for round_ in range(1, max_rounds + 1):
        flow = dc_flow(grid, on, bus_on)
        out.flow, out.rounds = flow, round_
        over = np.flatnonzero(on & (flow.loading(rating_mva) > 1.0 + OVERLOAD_TOLERANCE))
        if not len(over):
            break
        out.trips.extend(Trip(int(i), round_, float(flow.flow_mw[i]), float(rating_mva[i]), cause) for i in over)
        on[over] = False
        cause = tuple(over.tolist())
    return out


def rating_from_flow(grid: Grid, alpha: float) -> np.ndarray:
    """Ratings set to ``(1 + alpha)`` times each branch's flow in the intact network.

    Parameters
    ----------
    grid : Grid
        The sector's model; its branches closed as built, every bus in service.
    alpha : float
        The margin, e.g. 0.1 (Motter & Lai's tolerance parameter; the same rule rates
        branches in DC cascade studies, e.g. Dobson et al. 2007).

    Returns
    -------
    numpy.ndarray
        Rating per branch, MVA; a branch without intact flow (or a switch) keeps its own.
    """
    flow = np.abs(dc_flow(grid, grid.closed, np.ones(grid.n_bus, bool)).flow_mw)
    carries = np.nan_to_num(flow) > 1e-9
    return np.where(carries, (1.0 + alpha) * np.nan_to_num(flow), grid.rating_mva)
