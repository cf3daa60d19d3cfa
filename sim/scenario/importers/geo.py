"""Source coordinates to ripple's km frame: a local projection, guessed positions, extent checks."""

from __future__ import annotations

import numpy as np

from sim.scenario.importers.report import ImportFailed

__all__ = ["LONLAT", "MAX_EXTENT_KM", "MIN_EXTENT_KM", "extent_warning", "place_unplaced", "to_local_km"]

LONLAT = "EPSG:4326"
MAX_EXTENT_KM = 2000.0     # wider than a country's grid: probably not lon/lat, or the wrong CRS
MIN_EXTENT_KM = 0.1        # every node within 100 m: probably schematic or placeholder coordinates


def to_local_km(x: np.ndarray, y: np.ndarray, crs: str = LONLAT) -> tuple[np.ndarray, np.ndarray]:
    """Project positions to km east and north of the data's centre.

    An azimuthal equidistant projection centred on the mean position: distances from the
    centre are true, and within a few hundred km every distance is right to well under 1%.

    Parameters
    ----------
    x, y : numpy.ndarray
        Positions in ``crs`` (longitude, latitude in degrees for EPSG:4326); NaN where unknown
        (kept NaN).
    crs : str
        The source's coordinate reference system, e.g. ``"EPSG:4326"``, ``"EPSG:25832"``.

    Returns
    -------
    east, north : numpy.ndarray
        km from the centre.

    Raises
    ------
    ImportFailed
        When pyproj does not know ``crs``.
    """
    from pyproj import CRS, Transformer
    from pyproj.exceptions import CRSError

    try:
        source = CRS.from_user_input(crs)
    except CRSError as exc:
        raise ImportFailed(f"unknown CRS '{crs}': {exc}") from None
    known = ~(np.isnan(x) | np.isnan(y))
    east, north = np.full(len(x), np.nan), np.full(len(x), np.nan)
    if not known.any():
        return east, north
    lon, lat = Transformer.from_crs(source, LONLAT, always_xy=True).transform(x[known], y[known])
    centre = CRS.from_proj4(f"+proj=aeqd +lat_0={np.mean(lat)} +lon_0={np.mean(lon)} +units=km +ellps=WGS84")
    east[known], north[known] = Transformer.from_crs(LONLAT, centre, always_xy=True).transform(lon, lat)
    return east, north


def place_unplaced(x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Give nodes without a position their placed neighbours' mean position, round by round.

    Parameters
    ----------
    x, y : numpy.ndarray
        Positions, NaN where unknown; filled in place.
    a, b : numpy.ndarray
        Node rows of the links (ties included: they tell where a node is, not what it does).

    Returns
    -------
    numpy.ndarray
        Rows of the nodes placed here; nodes with no placed node in their component go to
        the mean of all placed nodes (or 0, 0 when none is placed).
    """
    unplaced = np.isnan(x)
    guessed = np.flatnonzero(unplaced)
    both_a, both_b = np.concatenate([a, b]), np.concatenate([b, a])
    while unplaced.any():
        placed = ~unplaced[both_b]
        into, fromrow = both_a[placed], both_b[placed]
        count = np.bincount(into, minlength=len(x))
        step = unplaced & (count > 0)
        if not step.any():
            cx, cy = (np.nanmean(x), np.nanmean(y)) if (~unplaced).any() else (0.0, 0.0)
            x[unplaced], y[unplaced] = cx, cy
            break
        sx, sy = np.bincount(into, weights=x[fromrow], minlength=len(x)), np.bincount(into, weights=y[fromrow], minlength=len(x))
        x[step], y[step] = sx[step] / count[step], sy[step] / count[step]
        unplaced &= ~step
    return guessed


def extent_warning(x: np.ndarray, y: np.ndarray) -> str | None:
    """A warning when the positions span more than 2,000 km or less than 100 m.

    Parameters
    ----------
    x, y : numpy.ndarray
        Positions, km.

    Returns
    -------
    str or None
        The warning, or None when the extent is plausible for a grid or a city.
    """
    if len(x) < 2:
        return None
    extent = max(np.ptp(x), np.ptp(y))
    if extent > MAX_EXTENT_KM:
        return (f"the nodes span {extent:,.0f} km: are the coordinates in another CRS than assumed "
                f"(give it with --crs), or schematic?")
    if extent < MIN_EXTENT_KM:
        return f"the nodes all lie within {extent * 1000:.0f} m: are the coordinates placeholders?"
    return None
