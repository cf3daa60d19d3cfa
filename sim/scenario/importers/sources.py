"""Any network file by what it is: ripple's own formats, or a source ``ripple import`` reads.

:func:`import_file` picks the reader by extension, and by content where an extension is
shared (a ``.json`` of records or a pandapower net; a ``.graphml`` that ripple wrote or a
foreign one), so a composed network's part may be either.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.scenario.importers.geo import drawing_to_km
from sim.scenario.importers.report import ImportFailed, ImportReport
from sim.scenario.netdata import NetworkTables, read_network
from sim.scenario.problems import ScenarioError

__all__ = ["IMPORTERS", "RIPPLE_OPTIONS", "import_file", "source_format"]

# source format -> (module, function, default sector); each function follows the importers' shared signature
IMPORTERS: dict[str, tuple[str, str, str | None]] = {
    "pandapower": ("sim.scenario.importers.pandapower", "import_pandapower", "energy"),
    "epanet": ("sim.scenario.importers.epanet", "import_epanet", "water"),
    "gis": ("sim.scenario.importers.gis", "import_gis", None),
    "graphml": ("sim.scenario.importers.graphml", "import_graphml", None),
}
RIPPLE_OPTIONS = ("crs", "units", "origin")      # what a ripple network file part may be given
_BY_SUFFIX = {".inp": "epanet", ".geojson": "gis", ".gpkg": "gis", ".shp": "gis",
              ".yaml": "ripple", ".yml": "ripple", ".parquet": "ripple"}


def source_format(path: Path) -> str:
    """What a file is: ``ripple`` (a network file ripple reads itself) or an importer's name.

    Parameters
    ----------
    path : pathlib.Path
        The file (or Parquet directory).

    Returns
    -------
    str
        ``ripple``, ``ripple-graphml`` (GraphML: ripple's own if it reads cleanly, else
        foreign), or a key of :data:`IMPORTERS`.

    Raises
    ------
    ImportFailed
        For an extension no reader knows, or a JSON file that is neither.
    """
    suffix = path.suffix.lower()
    if suffix in _BY_SUFFIX:
        return _BY_SUFFIX[suffix]
    if suffix == ".graphml":
        return "ripple-graphml"
    if suffix == ".json":
        return _json_format(path)
    raise ImportFailed(f"{path}: unknown network format '{path.suffix}'; use a ripple network file "
                       f"(.yaml, .json, .graphml, .parquet) or .json (pandapower), .inp, .geojson, .gpkg, .shp, .graphml")


def _json_format(path: Path) -> str:
    """``ripple`` for a JSON of records, ``pandapower`` for a pandapower net."""
    try:
        with path.open("rb") as handle:
            head = handle.read(1 << 16).decode("utf-8", "replace")
    except OSError as exc:
        raise ImportFailed(f"{path}: cannot read it: {exc.strerror}") from None
    if '"pandapowerNet"' in head:
        return "pandapower"
    if '"nodes"' in head or not head.strip():
        return "ripple"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFailed(f"{path}: not JSON: {exc}") from None
    if isinstance(data, dict) and data.get("_class") == "pandapowerNet":
        return "pandapower"
    if isinstance(data, dict) and "nodes" in data:
        return "ripple"
    raise ImportFailed(f"{path}: a JSON file that is neither a ripple network (no 'nodes') nor a pandapower net")


def _importer(name: str) -> Callable[..., tuple[NetworkTables, ImportReport]]:
    """The import function of source format ``name``."""
    module, function, _ = IMPORTERS[name]
    try:
        return getattr(importlib.import_module(module), function)
    except ImportError as exc:
        raise ImportFailed(f"this ripple cannot import {name} files ({exc})") from None


def _call(name: str, path: Path, options: dict[str, Any]) -> tuple[NetworkTables, ImportReport]:
    """Run importer ``name`` with the options it takes; an option it does not take is refused."""
    function = _importer(name)
    default_sector = IMPORTERS[name][2]
    if "sector" not in options:
        if default_sector is None:
            raise ImportFailed(f"{path}: give the sector of its nodes (sector: ...)")
        options = {**options, "sector": default_sector}
    accepted = inspect.signature(function).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values())
    unknown = sorted(key for key in options if key not in accepted and not takes_any)
    if unknown:
        allowed = sorted(key for key in accepted if key not in ("path", "prefix"))
        raise ImportFailed(f"{path}: the {name} import has no option {', '.join(unknown)}; "
                           f"it takes {', '.join(allowed)}")
    return function(path, **options)


def _ripple(path: Path, options: dict[str, Any]) -> NetworkTables:
    """A ripple network file, placed by the options ``crs``, ``units``, ``origin`` when it is not."""
    unknown = sorted(set(options) - set(RIPPLE_OPTIONS))
    if unknown:
        raise ImportFailed(f"{path}: a ripple network file takes no import option {', '.join(unknown)}; "
                           f"only {', '.join(RIPPLE_OPTIONS)}")
    tables = read_network(path)
    referenced = tables.crs is not None or tables.coordinates == "lonlat"
    if referenced and options:
        raise ImportFailed(f"{path}: the file declares its coordinates ("
                           f"{tables.crs or 'lonlat'}); {', '.join(sorted(options))} apply to files that do not")
    if "crs" in options and ("units" in options or "origin" in options):
        raise ImportFailed(f"{path}: give crs, or units and origin, not both")
    if "crs" in options:
        tables.crs = options["crs"]
    elif "units" in options or "origin" in options:
        tables.x, tables.y, frame = drawing_to_km(tables.x, tables.y, options.get("units", "km"), options.get("origin"))
        tables.crs = frame
    return tables


def import_file(path: Path, **options: Any) -> tuple[NetworkTables, ImportReport]:
    """Read a network file of any kind ripple knows.

    Parameters
    ----------
    path : pathlib.Path
        A ripple network file (``.yaml``, ``.json``, ``.graphml``, ``.parquet``) or a source
        ``ripple import`` reads (pandapower ``.json``, EPANET ``.inp``, ``.geojson``,
        ``.gpkg``, ``.shp``, foreign ``.graphml``).
    **options
        For a ripple file: ``crs`` (the CRS of its positions when it declares none), or
        ``units`` and ``origin`` (place a drawing). For an import: the importer's options
        (``sector``, ``crs``, ``units``, ``origin``, ``people_per_mw``, ``id_field`` …).

    Returns
    -------
    tables : NetworkTables
        The network as read, positions as the file or the import gives them.
    report : ImportReport
        What the import mapped, dropped and left unplaced (empty for a ripple file).

    Raises
    ------
    ImportFailed
        When the file cannot be read or imported, or an option is not one its reader takes.
    ScenarioError
        When a ripple network file has problems (each located in that file).
    """
    path = Path(path)
    if not path.exists():
        raise ImportFailed(f"{path}: no such file")
    if path.suffix.lower() != ".parquet":        # a Parquet network is a folder; anything else a regular file
        from sim.files import unfit_input

        if (why := unfit_input(path)) is not None:
            raise ImportFailed(f"{path}: {why}")
    kind = source_format(path)
    if kind == "ripple":
        return _ripple(path, options), ImportReport()
    if kind == "ripple-graphml" and set(options) - set(RIPPLE_OPTIONS):     # options only the import takes
        return _call("graphml", path, options)
    if kind == "ripple-graphml":
        try:
            return _ripple(path, options), ImportReport()
        except ScenarioError as ripple_problems:
            try:
                return _call("graphml", path, options)
            except ImportFailed as foreign:
                raise ImportFailed(f"{path}: neither a ripple GraphML network ({ripple_problems.problems[0]}) "
                                   f"nor one the GraphML import reads ({foreign})") from None
    return _call(kind, path, options)

