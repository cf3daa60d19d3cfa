"""Whether node positions in km span a plausible area: the check imports and sanity warnings share."""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_EXTENT_KM", "MIN_EXTENT_KM", "extent_warning"]

MAX_EXTENT_KM = 2000.0     # wider than a country's grid: probably not lon/lat, or the wrong CRS
MIN_EXTENT_KM = 0.1        # every node within 100 m: probably schematic or placeholder coordinates


def extent_warning(x: np.ndarray, y: np.ndarray) -> str | None:
    """A warning when the positions span more than 2,000 km or less than 100 m.

    Parameters
    ----------
    x, y : numpy.ndarray
        Positions, km; NaN (unplaced nodes) are left out.

    Returns
    -------
    str or None
        The warning, or None when the extent is plausible for a grid or a city (or fewer
        than two nodes are placed).

    Examples
    --------
    >>> import numpy as np
    >>> extent_warning(np.array([0.0, 3000.0]), np.array([0.0, 0.0]))[:24]
    'the nodes span 3,000 km:'
    """
    placed = ~(np.isnan(x) | np.isnan(y))
    if placed.sum() < 2:
        return None
    x, y = x[placed], y[placed]
    extent = max(np.ptp(x), np.ptp(y))
    if extent > MAX_EXTENT_KM:
        return (f"the nodes span {extent:,.0f} km: are the coordinates in another CRS than assumed "
                f"(give it with --crs), or schematic?")
    if extent < MIN_EXTENT_KM:
        return f"the nodes all lie within {extent * 1000:.0f} m: are the coordinates placeholders?"
    return None
