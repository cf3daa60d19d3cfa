"""Read and write network files; the extension picks the format.

``.yaml``/``.yml`` and ``.json`` hold records (``nodes``, ``links``, ``dependencies``) as
written by hand; ``.graphml`` a graph; ``.parquet`` a directory of three tables. Every
reader gives :class:`~sim.scenario.netdata.tables.NetworkTables` after the same checks, and raises a
:class:`~sim.scenario.problems.ScenarioError` listing every problem, located.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

from sim.files import unfit_input
from sim.scenario.netdata.records import from_records
from sim.scenario.netdata.tables import NetworkTables
from sim.scenario.netdata.validate import check_tables
from sim.scenario.problems import Loc, Problem, ScenarioError, field_path
from sim.scenario.schema import RESOURCES
from sim.scenario.yamlfile import Lines, parse_yaml, read_text

__all__ = ["FORMATS", "format_of", "json_lines", "read_graphml", "read_json", "read_network", "read_parquet_checked",
           "records_problems", "tables_from_records", "write_network"]

_SECTIONS = {"coordinates": 0, "nodes": 1, "links": 2, "dependencies": 3}
FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".graphml": "graphml", ".parquet": "parquet"}


def format_of(path: Path) -> str:
    """The format a path's extension names.

    Parameters
    ----------
    path : pathlib.Path
        A network file (or a Parquet directory).

    Returns
    -------
    str
        ``yaml``, ``json``, ``graphml`` or ``parquet``.

    Raises
    ------
    ValueError
        For another extension.
    """
    try:
        return FORMATS[path.suffix.lower()]
    except KeyError:
        raise ValueError(f"{path}: unknown network format '{path.suffix}'; use one of "
                         f"{', '.join(sorted(FORMATS))}") from None


def tables_from_records(network: dict[str, Any]) -> tuple[NetworkTables, list[tuple[Loc, str]]]:
    """Columns from network records, and every problem of them.

    Parameters
    ----------
    network : dict
        ``nodes``, ``links``, ``dependencies`` records (and ``coordinates``).

    Returns
    -------
    tables : NetworkTables
    problems : list of (loc, message)
        ``loc`` relative to the network, in file order (nodes, links, dependencies, each
        by row); empty when all is well.
    """
    tables, problems = from_records(network)
    return tables, sorted(problems + check_tables(tables), key=_file_order)


def _file_order(problem: tuple[Loc, str]) -> tuple[int, int]:
    """Where a problem's record comes in a file: its section, then its row."""
    loc = problem[0]
    section = _SECTIONS.get(loc[0], -1) if loc else -1
    return section, loc[1] if len(loc) > 1 and isinstance(loc[1], int) else -1


def records_problems(problems: list[tuple[Loc, str]], lines: Lines, prefix: Loc = ()) -> list[Problem]:
    """Problems of records, located as ``file:line: field``.

    Parameters
    ----------
    problems : list of (loc, message)
        From :func:`tables_from_records`.
    lines : Lines
        Where the records are written.
    prefix : tuple
        The records' path in the data ``lines`` describes, e.g. ``("network",)``.

    Returns
    -------
    list of Problem
    """
    out = []
    for loc, message in problems:
        file, line = lines.find(prefix + loc)
        out.append(Problem(file, line, field_path(prefix + loc), message))
    return out


def json_lines(text: str, file: str) -> Lines:
    """Where the fields of a JSON text are written (parsed again, for messages only).

    Parameters
    ----------
    text : str
        The JSON text.
    file : str
        The file as shown.

    Returns
    -------
    Lines
    """
    return parse_yaml(text, file)[1]


def read_json(path: Path, file: str) -> tuple[Any, str]:
    """A JSON file parsed by the JSON parser, with its text.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    file : str
        The file as shown.

    Returns
    -------
    data : object
    text : str

    Raises
    ------
    ScenarioError
        When the file is missing, unreadable or not JSON.
    """
    text = read_text(path, file)
    try:
        return json.loads(text), text
    except json.JSONDecodeError as exc:
        raise ScenarioError([Problem(file, exc.lineno, "", f"JSON syntax error: {exc.msg}")]) from None


def _check_records(data: Any, lines: Lines | Any, file: str) -> NetworkTables:
    """Tables from a record file's data, or every problem of it."""
    if not isinstance(data, dict):
        raise ScenarioError([Problem(file, 1, "", "expected a mapping with nodes, links and dependencies")])
    unknown = set(data) - {"nodes", "links", "dependencies", "coordinates", "crs"}
    tables, problems = tables_from_records(data)
    problems = [((key,), "unknown key; allowed: coordinates, crs, dependencies, links, nodes") for key in sorted(unknown)] + problems
    if data.get("coordinates", "km") not in ("km", "lonlat"):
        problems.append((("coordinates",), "Input should be 'km' or 'lonlat'"))
    if not isinstance(data.get("crs", ""), str):
        problems.append((("crs",), "Input should be a CRS as text, e.g. EPSG:25832"))
    if problems:
        located = lines() if callable(lines) else lines
        raise ScenarioError(records_problems(problems, located))
    return tables


def read_network(path: str | Path) -> NetworkTables:
    """Read a network file of any format into columns, checked.

    Parameters
    ----------
    path : str or pathlib.Path
        ``.yaml``/``.yml``, ``.json``, ``.graphml`` file or ``.parquet`` directory.

    Returns
    -------
    NetworkTables

    Raises
    ------
    ScenarioError
        Listing every problem: ``file:line: nodes[3].hardening: ...`` for records,
        ``file: nodes[id=sub_7]: hardening: ...`` for Parquet.
    ValueError
        For an unknown extension.
    """
    path = Path(path)
    file, kind = str(path), format_of(path)
    if kind == "parquet":
        return read_parquet_checked(path, file)
    if not path.exists():
        raise ScenarioError([Problem(file, None, "", "file not found")])
    if kind == "yaml":
        data, lines = parse_yaml(read_text(path, file), file)
        return _check_records(data, lines, file)
    if kind == "json":
        data, text = read_json(path, file)
        return _check_records(data, lambda: json_lines(text, file), file)
    data = read_graphml(path, file)
    return _check_records(data, Lines(data, file, None), file)


def read_graphml(path: Path, file: str) -> dict[str, Any]:
    """A GraphML network's records (:func:`sim.scenario.netdata.graphml.graphml_records`).

    Parameters
    ----------
    path : pathlib.Path
        The GraphML file.
    file : str
        The file as shown.

    Returns
    -------
    dict
        ``nodes``, ``links`` and ``dependencies`` as scenario files write them.

    Raises
    ------
    ScenarioError
        When the file is not valid GraphML.
    """
    from sim.scenario.netdata.graphml import graphml_records     # networkx, only for GraphML files

    if (unfit := unfit_input(path)) is not None:
        raise ScenarioError([Problem(file, None, "", unfit)])
    try:
        return graphml_records(path)
    except Exception as exc:  # networkx raises several parser errors
        raise ScenarioError([Problem(file, None, "", f"not valid GraphML: {exc}")]) from None


def read_parquet_checked(path: Path, file: str) -> NetworkTables:
    """A Parquet network directory read and checked.

    Parameters
    ----------
    path : pathlib.Path
        The directory.
    file : str
        The directory as shown.

    Returns
    -------
    NetworkTables

    Raises
    ------
    ScenarioError
        ``file: nodes[id=sub_7]: hardening: ...`` per problem; a missing file or column,
        a wrong type or an unreadable file as ``file/nodes.parquet: ...``.
    """
    from sim.scenario.netdata.parquet import read_parquet, table_field     # pyarrow, only for Parquet

    tables, problems, bad = read_parquet(path)
    if bad:
        raise ScenarioError([Problem(f"{file}/{name}" if name else file, None, "", message) for name, message in bad])
    problems += check_tables(tables)
    if problems:
        located = []
        for loc, message in problems:
            row, field = table_field(loc, tables.ids)
            located.append(Problem(file, None, row, f"{field}: {message}" if field else message))
        raise ScenarioError(located)
    return tables


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_YAML_WORDS = {"yes", "no", "on", "off", "true", "false", "null"}    # PyYAML reads them as bools or null


def _yaml_key(key: str) -> str:
    """A mapping key in YAML flow style: plain when it reads back as the same string."""
    return key if _PLAIN_KEY.fullmatch(key) and key.lower() not in _YAML_WORDS else json.dumps(key)


def _yaml_value(value: Any) -> str:
    """One value in YAML flow style, read back as written (PyYAML's YAML 1.1 rules)."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text and "." not in text.split("e")[0]:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_yaml_key(str(k))}: {_yaml_value(v)}" for k, v in value.items()) + "}"
    return "[" + ", ".join(_yaml_value(v) for v in value) + "]"


def _write_yaml(records: dict[str, Any], path: Path) -> None:
    """Records as YAML, one record a line in flow style."""
    with path.open("w", encoding="utf-8") as out:
        for key in ("coordinates", "crs"):
            if key in records:
                out.write(f"{key}: {_yaml_value(records[key])}\n")
        for key in ("nodes", "links", "dependencies"):
            items = records[key]
            out.write(f"{key}:{' []' if not items else ''}\n")
            out.writelines(f"  - {_yaml_value(item)}\n" for item in items)


def write_network(tables: NetworkTables, path: str | Path, force: bool = False) -> None:
    """Write a network in the format its path's extension names.

    Parameters
    ----------
    tables : NetworkTables
        The network.
    path : str or pathlib.Path
        ``.yaml``/``.yml``, ``.json``, ``.graphml`` file or ``.parquet`` directory.
    force : bool
        Replace an existing file or directory.

    Raises
    ------
    FileExistsError
        When ``path`` exists and ``force`` is false.
    ValueError
        For an unknown extension.
    """
    path = Path(path)
    kind = format_of(path)
    if path.exists():
        if not force:
            raise FileExistsError(f"{path} exists (use --force to replace it)")
        shutil.rmtree(path) if path.is_dir() else path.unlink()
    if kind == "parquet":
        from sim.scenario.netdata.parquet import write_parquet

        write_parquet(tables, path, RESOURCES)
        return
    records = tables.records(RESOURCES)
    if tables.crs:
        records = {"crs": tables.crs, **records}
    if tables.coordinates != "km":
        records = {"coordinates": tables.coordinates, **records}
    if kind == "json":
        path.write_text(json.dumps(records), encoding="utf-8")
    elif kind == "yaml":
        _write_yaml(records, path)
    else:
        from sim.scenario.netdata.graphml import write_graphml

        write_graphml(records, path)
