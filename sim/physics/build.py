"""What every run of a scenario shares of its ``physics: dc`` sectors: their grids, the
ratings in use (``rating_from_flow`` applied) and what the intact flows say about them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.physics.cascade import rating_from_flow
from sim.physics.dcflow import dc_flow
from sim.physics.grid import Grid
from sim.scenario.netdata import NetworkTables
from sim.scenario.schema import Scenario, Sector

__all__ = ["PLACEHOLDER_LOADING", "Physics", "rating_warnings"]


@dataclass(frozen=True)
class Physics:
    """The ``physics: dc`` sectors of a scenario, built once.

    Attributes
    ----------
    grids : tuple of Grid
        One per such sector.
    ratings : tuple of numpy.ndarray
        Rating per branch, MVA (``rating_from_flow`` applied).
    tie : tuple of numpy.ndarray
        Per branch, its index among the network's normally-open ties (-1: not a tie).
    warnings : tuple of str
        What the intact network's flows say about the ratings (:func:`rating_warnings`).
    """

    grids: tuple[Grid, ...]
    ratings: tuple[np.ndarray, ...]
    tie: tuple[np.ndarray, ...]
    warnings: tuple[str, ...] = ()

    @classmethod
    def of(cls, scenario: Scenario, tables: NetworkTables) -> "Physics | None":
        """The physics of a scenario's ``physics: dc`` sectors; None when it has none.

        Parameters
        ----------
        scenario : Scenario
            The validated scenario.
        tables : NetworkTables
            Its network's columns.

        Returns
        -------
        Physics or None

        Raises
        ------
        sim.physics.grid.GridError
            When a branch of such a sector has no reactance.
        """
        grids, ratings, ties, warnings = [], [], [], []
        tie_rank = np.cumsum(np.asarray(tables.link_open)) - 1
        for code, name in enumerate(tables.sector_names):
            spec = scenario.sectors.get(name) or Sector()
            if spec.physics != "dc":
                continue
            grid = Grid.from_tables(tables, code)
            grids.append(grid)
            ratings.append(grid.rating_mva if spec.rating_from_flow is None else rating_from_flow(grid, spec.rating_from_flow))
            ties.append(np.where(grid.closed, -1, tie_rank[grid.line_row]))
            warnings += rating_warnings(name, grid, ratings[-1], spec.rating_from_flow is not None)
        return cls(tuple(grids), tuple(ratings), tuple(ties), tuple(warnings)) if grids else None


PLACEHOLDER_LOADING = 0.25   # the intact network's most loaded branch below this share of its rating: placeholders


def rating_warnings(sector: str, grid: Grid, rating_mva: np.ndarray, from_flow: bool) -> list[str]:
    """What the intact network's DC flow says about a grid's ratings, one line each.

    - no branch has a rating (nothing can trip);
    - without ``rating_from_flow``: the most loaded branch carries under
      :data:`PLACEHOLDER_LOADING` of its rating (public cases often carry placeholder
      ratings: in pandapower's case118 it is 4.5%), so no attack overloads anything;
    - branches already overloaded in the intact network (they trip at T+0).

    Parameters
    ----------
    sector : str
        The sector's name, for the message.
    grid : Grid
        Its model.
    rating_mva : numpy.ndarray
        The ratings in use, MVA.
    from_flow : bool
        The ratings come from ``rating_from_flow``.

    Returns
    -------
    list of str
    """
    rated = np.isfinite(rating_mva)
    if not rated.any():
        return [f"sector {sector}: physics dc but no branch has a rating (rating_mva): nothing can trip; "
                "set rating_from_flow"]
    loading = dc_flow(grid, grid.closed, np.ones(grid.n_bus, bool)).loading(rating_mva)[rated & grid.closed]
    out = []
    if not from_flow and loading.max() < PLACEHOLDER_LOADING:
        out.append(f"sector {sector}: the ratings look like placeholders: in the intact network's DC flow the most "
                   f"loaded branch carries {loading.max():.1%} of its rating (median {np.median(loading):.1%}), so no "
                   "loss overloads anything; rate branches by their flow with rating_from_flow: 0.1 (for one)")
    over = int((loading > 1.0).sum())
    if over:
        out.append(f"sector {sector}: {over} branches are above their rating in the intact network and trip at T+0")
    return out


