"""The scenario's frame: where a network's positions are, and pyproj to put them in one km frame.

A network file's positions are km of a drawing (no CRS), longitude and latitude
(``coordinates: lonlat``), or in a declared CRS (``crs``); the frame is a projected CRS in km.
Transformers are built once per pair of CRSs and applied to whole columns.
"""

from __future__ import annotations

import warnings as python_warnings
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.scenario.importers.geo import LONLAT, local_frame
from sim.scenario.netdata import NetworkTables

if TYPE_CHECKING:
    from pyproj import Transformer

__all__ = ["crs_problem", "default_frame", "is_projected", "km_frame", "place_network", "project_xy", "reference_of",
           "to_frame"]


@lru_cache(maxsize=64)
def _crs(text: str) -> Any:
    """The pyproj CRS of ``text`` (read once)."""
    from pyproj import CRS

    return CRS.from_user_input(text)


def crs_problem(text: str) -> str | None:
    """Why pyproj cannot read a CRS, or None when it can.

    Parameters
    ----------
    text : str
        A CRS as written: ``EPSG:25832``, a PROJ string, WKT.

    Returns
    -------
    str or None
    """
    from pyproj.exceptions import CRSError

    try:
        _crs(text)
    except CRSError as exc:
        return f"'{text}' is not a CRS pyproj knows ({str(exc).splitlines()[0]})"
    return None


def km_frame(frame: str) -> str:
    """A projected CRS as a frame in km: as given when its unit is km, else the same
    projection with ``+units=km``.

    Parameters
    ----------
    frame : str
        A projected CRS that pyproj reads, e.g. ``EPSG:25832`` (metres).

    Returns
    -------
    str

    Raises
    ------
    ValueError
        When ``frame`` is not a projected CRS (x, y are then not distances).
    """
    crs = _crs(frame)
    if not crs.is_projected:
        raise ValueError(f"'{frame}' is not a projected CRS: a frame needs x, y as distances east and north")
    if crs.axis_info[0].unit_conversion_factor == 1000.0:
        return frame
    with python_warnings.catch_warnings():      # PROJ notes that a PROJ string drops some metadata
        python_warnings.simplefilter("ignore")
        params = {key: value for key, value in crs.to_dict().items() if key not in ("to_meter", "type")}
        from pyproj import CRS

        return CRS.from_dict({**params, "units": "km"}).to_proj4()


@lru_cache(maxsize=64)
def _transformer(source: str, target: str) -> "Transformer":
    """A vectorised transformer from ``source`` to ``target``, x east (longitude) first."""
    from pyproj import Transformer

    return Transformer.from_crs(_crs(source), _crs(target), always_xy=True)


def project_xy(xy: np.ndarray, source: str, target: str) -> np.ndarray:
    """Positions from ``source`` to ``target`` with the transformer the network's positions use.

    Parameters
    ----------
    xy : numpy.ndarray
        (n, 2) positions in ``source``, x east (longitude) first.
    source, target : str
        CRSs that pyproj reads.

    Returns
    -------
    numpy.ndarray
        (n, 2) positions in ``target``.
    """
    x, y = _transformer(source, target).transform(xy[:, 0], xy[:, 1])
    return np.column_stack([np.asarray(x, float), np.asarray(y, float)])


def is_projected(crs: str) -> bool:
    """Whether a CRS that pyproj reads is projected (x, y distances), not geographic.

    Parameters
    ----------
    crs : str
        The CRS (checked by :func:`crs_problem`).

    Returns
    -------
    bool
    """
    return bool(_crs(crs).is_projected)


def reference_of(t: NetworkTables) -> str | None:
    """The CRS of a network's positions: its ``crs``, WGS84 for lon/lat, None for a drawing.

    Parameters
    ----------
    t : NetworkTables
        The network.

    Returns
    -------
    str or None
    """
    return LONLAT if t.coordinates == "lonlat" else t.crs


def default_frame(parts: list[NetworkTables]) -> str:
    """A local km frame centred on the mean longitude and latitude of every placed node.

    Parameters
    ----------
    parts : list of NetworkTables
        Networks whose positions are referenced (:func:`reference_of` not None).

    Returns
    -------
    str
        :func:`sim.scenario.importers.geo.local_frame` at the centre.
    """
    lons, lats = [], []
    for t in parts:
        placed = ~(np.isnan(t.x) | np.isnan(t.y))
        lon, lat = _transformer(reference_of(t), LONLAT).transform(t.x[placed], t.y[placed])
        lons.append(np.asarray(lon, float))
        lats.append(np.asarray(lat, float))
    lon, lat = np.concatenate(lons), np.concatenate(lats)
    return local_frame(float(lon.mean()), float(lat.mean())) if len(lon) else local_frame(0.0, 0.0)


def to_frame(t: NetworkTables, frame: str) -> None:
    """Project a network's positions to ``frame`` (km), in place; NaN stays NaN.

    Parameters
    ----------
    t : NetworkTables
        A network with referenced positions.
    frame : str
        The target CRS, in km (:func:`km_frame`).
    """
    source = reference_of(t)
    if source != frame:
        x, y = _transformer(source, frame).transform(t.x, t.y)
        t.x, t.y = np.asarray(x, float), np.asarray(y, float)
    t.coordinates, t.crs = "km", frame


def place_network(t: NetworkTables, frame: str | None) -> None:
    """Place one network file's positions in the scenario's frame, in place.

    A network with a CRS (or in lon/lat) is projected to ``frame``; without one, a projected
    CRS is kept (in km: ``EPSG:25832`` metres become km of the same projection), and lon/lat
    goes to a local km frame around the network. A drawing (no CRS) is used as it is.

    Parameters
    ----------
    t : NetworkTables
        The network.
    frame : str or None
        ``network.frame`` (checked by :func:`km_frame`), or None.

    Raises
    ------
    ValueError
        When ``frame`` is given for a drawing, which has no CRS to project from.
    """
    reference = reference_of(t)
    if reference is None:
        if frame is not None:
            raise ValueError("the network's positions have no CRS (neither crs nor coordinates: lonlat), "
                             "so they cannot be projected to the frame")
        return
    if frame is None:
        frame = km_frame(reference) if is_projected(reference) else default_frame([t])
    to_frame(t, frame)
