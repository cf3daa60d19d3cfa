"""Why a ``physics: dc`` grid cannot supply a bus: the record the physics hands to the
causes of failures (:mod:`sim.attribution`)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GridCut"]


@dataclass(frozen=True)
class GridCut:
    """Why a ``physics: dc`` grid cannot supply a bus.

    Attributes
    ----------
    sector : str
        The grid's sector.
    lines : tuple of int
        Branches (indices over the run's grids) out around its island: tripped or attacked.
    nodes : tuple of int
        Buses out of service next to its island.
    served : float
        Share of its load served (0: none; its island has no generation or shed it all).
    """

    sector: str
    lines: tuple[int, ...]
    nodes: tuple[int, ...]
    served: float = 0.0
