"""Source coordinates to ripple's km frame: a local projection, and the extent check
(:mod:`sim.scenario.extent`) imports report."""

from __future__ import annotations

import numpy as np

from sim.scenario.extent import MAX_EXTENT_KM, MIN_EXTENT_KM, extent_warning
from sim.scenario.importers.report import ImportFailed
from sim.scenario.schema import drawing_unit_km

__all__ = ["LONLAT", "MAX_EXTENT_KM", "MIN_EXTENT_KM", "drawing_to_km", "extent_warning", "local_frame",
           "to_local_km", "unit_km"]

LONLAT = "EPSG:4326"


def local_frame(lon: float, lat: float) -> str:
    """The CRS of a local frame in km: azimuthal equidistant, centred on ``lon``, ``lat``.

    Distances from the centre are true, and within a few hundred km every distance is right
    to well under 1% (Snyder 1987, *Map Projections: A Working Manual*, ch. 25).

    Parameters
    ----------
    lon, lat : float
        The centre, degrees (WGS84).

    Returns
    -------
    str
        A PROJ string that pyproj reads, e.g. ``"+proj=aeqd +lat_0=48 +lon_0=7.8 +units=km +ellps=WGS84"``.

    Examples
    --------
    >>> local_frame(7.8, 48.0)
    '+proj=aeqd +lat_0=48 +lon_0=7.8 +units=km +ellps=WGS84'
    """
    return f"+proj=aeqd +lat_0={lat:.10g} +lon_0={lon:.10g} +units=km +ellps=WGS84"


def to_local_km(x: np.ndarray, y: np.ndarray, crs: str = LONLAT) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Project positions to km east and north of the data's centre (:func:`local_frame`).

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
    frame : str or None
        The CRS of ``east``, ``north`` (:func:`local_frame`); None when no position is known.

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
        return east, north, None
    lon, lat = Transformer.from_crs(source, LONLAT, always_xy=True).transform(x[known], y[known])
    frame = local_frame(float(np.mean(lon)), float(np.mean(lat)))
    east[known], north[known] = Transformer.from_crs(LONLAT, frame, always_xy=True).transform(lon, lat)
    return east, north, frame


def drawing_to_km(x: np.ndarray, y: np.ndarray, units: str,
                  origin: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Scale an unreferenced drawing to km, and place it when its origin is known.

    Parameters
    ----------
    x, y : numpy.ndarray
        Positions in ``units`` (NaN where unknown).
    units : str
        ``m``, ``km``, ``ft``, ``us-ft``, or the length of one
        drawing unit in one of them, e.g. ``"300m"`` for a schematic drawn at 1 : 300 m.
    origin : tuple of float or None
        Longitude, latitude (degrees) of the drawing's 0, 0; None leaves it unreferenced.

    Returns
    -------
    east, north : numpy.ndarray
        km.
    frame : str or None
        :func:`local_frame` at ``origin``, or None.

    Raises
    ------
    ImportFailed
        When ``units`` is not known.

    Examples
    --------
    >>> import numpy as np
    >>> drawing_to_km(np.array([1000.0]), np.array([0.0]), "ft")[0]
    array([0.3048])
    >>> drawing_to_km(np.array([10.0]), np.array([0.0]), "300m")[0]
    array([3.])
    """
    return x * unit_km(units), y * unit_km(units), None if origin is None else local_frame(*origin)


def unit_km(units: str) -> float:
    """km per drawing unit (:func:`sim.scenario.schema.drawing_unit_km`), as an import failure.

    Parameters
    ----------
    units : str
        ``m``, ``km``, ``ft``, ``us-ft``, or one drawing unit's length such as ``"300m"``.

    Returns
    -------
    float
        km.

    Raises
    ------
    ImportFailed
        When ``units`` is neither.
    """
    try:
        return drawing_unit_km(units)
    except ValueError as exc:
        raise ImportFailed(str(exc)) from None
