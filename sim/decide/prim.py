"""PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999, *Statistics and
Computing* 9:123), for scenario discovery (Bryant and Lempert 2010, *Technol. Forecast. Soc.
Change* 77:34): a box over the sampled inputs in which the outcome of interest (a metric
above a threshold) is concentrated.

*Peeling* starts from the box holding every point and, step by step, removes the slice of
``alpha`` of the points in the box at the low or high end of one input, whichever leaves the
highest share of cases of interest, until the box would hold fewer than ``min_support`` of
all points. *Pasting* then widens the chosen box back by ``alpha`` slices while that raises
the share. A box is described by its *coverage* (cases of interest inside / all cases of
interest) and *density* (cases of interest inside / points inside).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["ALPHA", "DENSITY_SHARE", "MIN_SUPPORT", "Box", "Discovery", "PrimError", "prim"]

ALPHA = 0.05          # share of the box's points a peel removes
MIN_SUPPORT = 0.05    # the smallest box, as a share of all points
DENSITY_SHARE = 0.9   # the chosen box is at least this share of the densest box's density


class PrimError(ValueError):
    """Data PRIM cannot work on; the message says why."""


@dataclass
class Box:
    """One box of the peeling trajectory.

    Attributes
    ----------
    low, high : numpy.ndarray, shape (d,)
        The box's bounds per input (inclusive).
    coverage : float
        Cases of interest inside / all cases of interest.
    density : float
        Cases of interest inside / points inside.
    mass : float
        Points inside / all points.
    """

    low: np.ndarray
    high: np.ndarray
    coverage: float
    density: float
    mass: float


@dataclass
class Discovery:
    """PRIM's answer.

    Attributes
    ----------
    names : list of str
        The inputs.
    trajectory : list of Box
        Every box of the peeling, from the whole data to the smallest.
    box : Box
        The chosen box, pasted: of the trajectory's boxes at least ``min_density`` dense,
        the one with the greatest coverage.
    restricted : list of int
        Inputs the chosen box restricts (its bounds inside the data's range).
    base_density : float
        Share of cases of interest in all the data.
    """

    names: list[str]
    trajectory: list[Box]
    box: Box
    restricted: list[int]
    base_density: float

    def as_dict(self) -> dict[str, Any]:
        """The discovery as JSON holds it."""
        return {"base_density": self.base_density, "coverage": self.box.coverage, "density": self.box.density,
                "mass": self.box.mass,
                "limits": {self.names[j]: [float(self.box.low[j]), float(self.box.high[j])] for j in self.restricted},
                "trajectory": [{"coverage": b.coverage, "density": b.density, "mass": b.mass}
                               for b in self.trajectory]}


def _inside(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Rows of ``x`` inside the box."""
    return np.all((x >= low) & (x <= high), axis=1)


def _box(x: np.ndarray, y: np.ndarray, low: np.ndarray, high: np.ndarray) -> Box:
    """The box with its statistics."""
    inside = _inside(x, low, high)
    n_in = int(inside.sum())
    return Box(low.copy(), high.copy(), float(y[inside].sum() / max(y.sum(), 1)),
               float(y[inside].mean()) if n_in else 0.0, n_in / len(y))


def _peel(x: np.ndarray, y: np.ndarray, low: np.ndarray, high: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The best single peel of the box, or None when no peel removes any point."""
    inside = _inside(x, low, high)
    best: tuple[float, float, np.ndarray, np.ndarray] | None = None
    for j in range(x.shape[1]):
        values = x[inside, j]
        for side in (0, 1):
            cut = np.quantile(values, alpha if side == 0 else 1 - alpha, method="lower" if side == 0 else "higher")
            keep = values > cut if side == 0 else values < cut
            if keep.all() or not keep.any():
                continue
            new_low, new_high = low.copy(), high.copy()
            if side == 0:
                new_low[j] = values[keep].min()
            else:
                new_high[j] = values[keep].max()
            mean = float(y[inside][keep].mean())
            mass = float(keep.sum())
            if best is None or (mean, mass) > (best[0], best[1]):
                best = (mean, mass, new_low, new_high)
    return None if best is None else (best[2], best[3])


def _paste(x: np.ndarray, y: np.ndarray, low: np.ndarray, high: np.ndarray, lo0: np.ndarray, hi0: np.ndarray,
           alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Widen the box by ``alpha`` slices while that keeps or raises its density (each
    widening adds points, so this ends)."""
    while True:
        inside = _inside(x, low, high)
        density = float(y[inside].mean())
        step = max(1, int(round(alpha * inside.sum())))
        best: tuple[float, np.ndarray, np.ndarray] | None = None
        for j in range(x.shape[1]):
            others = _inside(np.delete(x, j, axis=1), np.delete(low, j), np.delete(high, j))
            for side in (0, 1):
                outside = others & ((x[:, j] < low[j]) if side == 0 else (x[:, j] > high[j]))
                if not outside.any():
                    continue
                near = np.sort(x[outside, j])[::-1][:step] if side == 0 else np.sort(x[outside, j])[:step]
                new_low, new_high = low.copy(), high.copy()
                if side == 0:
                    new_low[j] = max(near.min(), lo0[j])
                else:
                    new_high[j] = min(near.max(), hi0[j])
                widened = float(y[_inside(x, new_low, new_high)].mean())
                if widened >= density and (best is None or widened > best[0]):
                    best = (widened, new_low, new_high)
        if best is None:
            return low, high
        low, high = best[1], best[2]


def prim(x: np.ndarray, y: np.ndarray, names: list[str], alpha: float = ALPHA, min_support: float = MIN_SUPPORT,
         min_density: float | None = None) -> Discovery:
    """Find the box in which the cases of interest concentrate.

    Parameters
    ----------
    x : numpy.ndarray, shape (n, d)
        The sampled inputs.
    y : numpy.ndarray of bool, shape (n,)
        Whether each point is a case of interest.
    names : list of str
        The inputs' names.
    alpha : float
        Share of the box's points each peel removes (0 < alpha < 0.5).
    min_support : float
        Peeling stops before the box would hold fewer than this share of all points.
    min_density : float, optional
        The chosen box is the trajectory's box of greatest coverage among those at least this
        dense; default: :data:`DENSITY_SHARE` of the trajectory's highest density, so that a
        box peeled down to a few pure points does not win over one nearly as dense and
        much larger (the trade-off Bryant and Lempert 2010 leave to the analyst).

    Returns
    -------
    Discovery

    Raises
    ------
    PrimError
        When there are fewer than 10 points, no case of interest, shapes disagree, or
        ``alpha`` or ``min_support`` is out of range.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=bool).astype(float)
    if x.ndim != 2 or x.shape[0] != len(y) or x.shape[1] != len(names):
        raise PrimError(f"{x.shape} inputs do not match {len(y)} outcomes and {len(names)} names")
    if len(y) < 10:
        raise PrimError(f"PRIM needs at least 10 points; there are {len(y)}")
    if not y.any():
        raise PrimError("no point is a case of interest: lower the threshold")
    if not (0 < alpha < 0.5 and 0 < min_support < 1):
        raise PrimError(f"alpha {alpha} must lie in (0, 0.5) and min_support {min_support} in (0, 1)")
    lo0, hi0 = x.min(axis=0), x.max(axis=0)
    low, high = lo0.copy(), hi0.copy()
    trajectory = [_box(x, y, low, high)]
    while True:
        peeled = _peel(x, y, low, high, alpha)
        if peeled is None or _inside(x, *peeled).mean() < min_support:
            break
        low, high = peeled
        trajectory.append(_box(x, y, low, high))
    floor = DENSITY_SHARE * max(b.density for b in trajectory) if min_density is None else min_density
    dense = [k for k, b in enumerate(trajectory) if b.density >= floor] or [len(trajectory) - 1]
    chosen = max(dense, key=lambda k: (trajectory[k].coverage, trajectory[k].density))
    low, high = _paste(x, y, trajectory[chosen].low, trajectory[chosen].high, lo0, hi0, alpha)
    box = _box(x, y, low, high)
    restricted = [j for j in range(x.shape[1]) if low[j] > lo0[j] or high[j] < hi0[j]]
    return Discovery(list(names), trajectory, box, restricted, float(y.mean()))
