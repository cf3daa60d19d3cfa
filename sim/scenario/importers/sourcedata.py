"""What a foreign source gives, made ripple's: its coordinate system, its values, its records' places.

Shared by the importers whose sources may or may not say what their x, y are (GIS layers,
foreign GraphML): a declared CRS wins, then ``--crs``, then ``--units`` for an unreferenced
drawing; positions that all lie within ±180, ±90 are read as longitude, latitude (and the
report says so); anything else is refused, never read as km on a guess.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

import numpy as np

from sim.scenario.importers.geo import LONLAT, drawing_to_km, to_local_km
from sim.scenario.importers.report import ImportFailed, ImportReport

__all__ = ["looks_like_degrees", "named", "plain", "project", "source_crs"]


def looks_like_degrees(x: np.ndarray, y: np.ndarray) -> bool:
    """Every known position is a valid longitude, latitude.

    Parameters
    ----------
    x, y : numpy.ndarray
        Positions, NaN where unknown.

    Returns
    -------
    bool
        True when at least one position is known and all lie within ±180, ±90.

    Examples
    --------
    >>> import numpy as np
    >>> looks_like_degrees(np.array([7.8, np.nan]), np.array([48.0, np.nan]))
    True
    >>> looks_like_degrees(np.array([412000.0]), np.array([5310000.0]))
    False
    """
    known = ~(np.isnan(x) | np.isnan(y))
    return bool(known.any()) and bool((np.abs(x[known]) <= 180).all() and (np.abs(y[known]) <= 90).all())


def source_crs(x: np.ndarray, y: np.ndarray, *, declared: str | None, crs: str | None, units: str | None,
               where: str, report: ImportReport) -> str | None:
    """The CRS to read the positions in; None for a drawing in ``units``.

    Parameters
    ----------
    x, y : numpy.ndarray
        Positions as the source has them, NaN where unknown.
    declared : str or None
        The CRS the source itself declares (a layer's, a graph attribute); it wins.
    crs : str or None
        ``--crs``: the CRS when the source declares none.
    units : str or None
        ``--units``: the positions are an unreferenced drawing in these units.
    where : str
        The source, for messages (its path).
    report : ImportReport
        Gets a warning for a guess or an option that is ignored.

    Returns
    -------
    str or None

    Raises
    ------
    ImportFailed
        When nothing says what the positions are and they are not degrees.
    """
    if declared and _geographic(declared) and not looks_like_degrees(x, y) and (~np.isnan(x)).any():
        if not (crs or units):      # GeoJSON is WGS84 by its specification, but some exports write metres or feet
            raise ImportFailed(f"{where}: the source says its positions are degrees ({_label(declared)}) but they are not "
                               f"(up to {_largest(x, y):,.0f}): give their CRS with --crs EPSG:NNNN, or --units "
                               f"m|km|ft|us-ft [--origin LON,LAT] for a drawing")
        report.warnings.append(f"the source says its positions are degrees ({_label(declared)}) but they are not: "
                               f"read in {f'--crs {crs}' if crs else f'--units {units}'}")
        return crs or None
    if declared:
        for option, value in (("--crs", crs), ("--units", units)):
            if value and value != declared:
                report.warnings.append(f"the source declares its CRS ({_label(declared)}); {option} {value} is ignored")
        return declared
    if crs:
        if units:
            report.warnings.append(f"--crs {crs} given: --units {units} is ignored")
        return crs
    if units:
        return None
    if not (~(np.isnan(x) | np.isnan(y))).any():
        return LONLAT       # no position at all: nothing to read
    if looks_like_degrees(x, y):
        report.warnings.append("the source declares no CRS and every x, y lies within ±180, ±90: read as "
                               "longitude, latitude (EPSG:4326); give --crs or --units if they are not")
        return LONLAT
    raise ImportFailed(f"{where}: the source declares no CRS and its positions are not degrees (up to {_largest(x, y):,.0f}): "
                       f"say what they are with --crs EPSG:NNNN, or --units m|km|ft|us-ft [--origin LON,LAT] "
                       f"for a drawing")


def _geographic(crs: str) -> bool:
    """``crs`` is in degrees (an unknown one is left to :func:`project` to refuse)."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        return bool(CRS.from_user_input(crs).is_geographic)
    except CRSError:
        return False


def _label(crs: str) -> str:
    """A CRS as messages name it: as given, or by its name when given as a long WKT or PROJ text."""
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    if len(crs) <= 40:
        return crs
    try:
        return CRS.from_user_input(crs).name
    except CRSError:
        return crs[:40] + "…"


def _largest(x: np.ndarray, y: np.ndarray) -> float:
    """The largest coordinate, in absolute value."""
    return float(np.nanmax(np.maximum(np.abs(x), np.abs(y))))


def project(x: np.ndarray, y: np.ndarray, crs: str | None, units: str | None,
            origin: tuple[float, float] | None, where: str) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Positions in km of the local frame (or of the drawing), and that frame.

    Parameters
    ----------
    x, y : numpy.ndarray
        Positions in ``crs`` (or in ``units``), NaN where unknown.
    crs : str or None
        From :func:`source_crs`; None: a drawing in ``units``.
    units : str or None
        The drawing's units when ``crs`` is None.
    origin : tuple of float or None
        Longitude, latitude of the drawing's 0, 0.
    where : str
        The source, for messages (its path).

    Returns
    -------
    east, north : numpy.ndarray
        km.
    frame : str or None
        The PROJ string of the km frame; None for an unplaced drawing.

    Raises
    ------
    ImportFailed
        For an unknown CRS or units, naming ``where``.
    """
    try:
        return drawing_to_km(x, y, units or "km", origin) if crs is None else to_local_km(x, y, crs)
    except ImportFailed as exc:
        raise ImportFailed(f"{where}: {exc}") from None


def plain(value: Any) -> Any:
    """A source value as JSON keeps it; None for one that is missing or cannot be kept.

    Parameters
    ----------
    value : object
        A value of a table cell or graph attribute (numpy scalars, NaN, timestamps …).

    Returns
    -------
    str, bool, int, float or None
        Numbers and text as they are; dates and times as ISO text; NaN, NaT, None and
        bytes: None.

    Examples
    --------
    >>> import numpy as np
    >>> plain(np.int64(3)), plain(float("nan")), plain(datetime.date(2024, 5, 1))
    (3, None, '2024-05-01')
    """
    if value is None or isinstance(value, (bytes, bytearray)):
        return None
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if hasattr(value, "isoformat"):       # pandas Timestamp
        return None if str(value) == "NaT" else value.isoformat()
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value if isinstance(value, (str, bool, int, float)) else str(value)


def named(loc: tuple[Any, ...], records: dict[str, list[dict[str, Any]]]) -> str:
    """A problem's place by the id of its node or link (or its dependent node), not its row.

    Parameters
    ----------
    loc : tuple
        A problem's location relative to the network, e.g. ``("links", 4, "id")``.
    records : dict
        The ``nodes``, ``links`` and ``dependencies`` records the problem is about.

    Returns
    -------
    str
        E.g. ``"link 'L7' (S1 -- S2).id"``.

    Examples
    --------
    >>> named(("nodes", 0, "x"), {"nodes": [{"id": "S1"}], "links": [], "dependencies": []})
    "node 'S1'.x"
    """
    if len(loc) > 1 and isinstance(loc[1], int):
        rest = "".join(f".{part}" for part in loc[2:])
        if loc[0] == "nodes":
            return f"node '{records['nodes'][loc[1]]['id']}'{rest}"
        if loc[0] == "links":
            link = records["links"][loc[1]]
            return f"link '{link.get('id', '')}' ({link['a']} -- {link['b']}){rest}"
        if loc[0] == "dependencies":
            dep = records["dependencies"][loc[1]]
            return f"the {dep['resource']} dependency of '{dep['node']}'{rest}"
    return ".".join(map(str, loc))
