"""The columnar network format: a directory of three Parquet files (docs/files.md).

``nodes.parquet`` (one row per node; null ``x`` and ``y``: an unplaced node), ``links.parquet`` (``a``, ``b`` node ids; optional
``id``, ``kind``, ``open`` and ``attrs``, JSON text) and
``dependencies.parquet`` (one row per dependency and supplier). Read with pyarrow straight
into columns; ids are matched to rows by ``pyarrow.compute.index_in``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from sim.scenario.netdata.tables import NetworkTables
from sim.scenario.problems import Loc
from sim.scenario.schema import RESOURCES

__all__ = ["FORMAT", "VERSION", "read_parquet", "table_field", "write_parquet"]

FORMAT, VERSION = "ripple-network", "1"
FILES = ("nodes.parquet", "links.parquet", "dependencies.parquet")
Problems = list[tuple[Loc, str]]


class _Bad(Exception):
    """Problems that stop reading: (where, message) pairs with no row."""

    def __init__(self, problems: list[tuple[str, str]]):
        super().__init__(problems)
        self.problems = problems


def _kind(arrow_type: pa.DataType) -> str:
    """The kind of values a column holds: string, float, int, bool or other."""
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "string"
    if pa.types.is_floating(arrow_type):
        return "float"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    return str(arrow_type)


class _Columns:
    """The columns of one file, typed and checked as they are taken."""

    def __init__(self, table: pa.Table, file: str, problems: list[tuple[str, str]]):
        self.table, self.file, self.problems = table, file, problems

    def take(self, name: str, kind: str, required: bool = False) -> pa.ChunkedArray | None:
        """Column ``name`` as ``kind`` (int columns may be read as float); None when absent."""
        if name not in self.table.column_names:
            if required:
                self.problems.append((self.file, f"missing column '{name}'"))
            return None
        column = self.table.column(name)
        has = _kind(column.type)
        if has != kind and not (kind == "float" and has == "int"):
            self.problems.append((self.file, f"column '{name}' has type {column.type}; expected {kind}"))
            return None
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if required and column.null_count:
            self.problems.append((self.file, f"column '{name}' has {column.null_count} null value(s)"))
            return None
        return column


def _read(path: Path, name: str) -> pa.Table:
    """One of the three files; a missing or unreadable one is a problem."""
    file = path / name
    if not file.is_file():
        raise _Bad([(name, "file not found")])
    try:
        return pq.read_table(file)
    except (pa.ArrowException, OSError) as exc:
        raise _Bad([(name, f"not a readable Parquet file: {exc}")]) from None


def _floats(column: pa.ChunkedArray | None, n: int, default: float) -> np.ndarray:
    """A numeric column as float64, nulls and absence as ``default``."""
    if column is None:
        return np.full(n, default)
    return column.cast(pa.float64()).fill_null(default).to_numpy()


def _positions(column: pa.ChunkedArray, n: int) -> np.ndarray:
    """A position column as float64: null (an unplaced node) and NaN written as a number
    both NaN (the second is reported by the reader)."""
    return _floats(column, n, np.nan)


def _strings(column: pa.ChunkedArray | None, n: int) -> list[str]:
    """A string column as a list, nulls and absence as ""."""
    return [""] * n if column is None else column.fill_null("").to_pylist()


def _rows(refs: pa.ChunkedArray, ids: pa.Array) -> np.ndarray:
    """Row of each referenced id; -1 where it is no node's."""
    return pc.index_in(refs, value_set=ids).fill_null(-1).to_numpy().astype(np.int64)


def read_parquet(path: Path) -> tuple[NetworkTables, Problems, list[tuple[str, str]]]:
    """Read a Parquet network directory into columns.

    Parameters
    ----------
    path : pathlib.Path
        The directory (e.g. ``grid.parquet/``) holding the three files.

    Returns
    -------
    tables : NetworkTables
        The columns (empty when the files could not be read).
    problems : list of (loc, message)
        Rows that are wrong (dangling references), ``loc`` as for records.
    file_problems : list of (file, message)
        Files or columns that are missing, unreadable or of the wrong type; when there are
        any, ``tables`` is not usable.
    """
    if not path.is_dir():
        return _empty(), [], [("", "expected a directory holding " + ", ".join(FILES))]
    bad: list[tuple[str, str]] = []
    tables: dict[str, pa.Table] = {}
    for name in FILES:
        try:
            tables[name] = _read(path, name)
        except _Bad as exc:
            bad += exc.problems
    if bad:
        return _empty(), [], bad
    nodes = _Columns(tables["nodes.parquet"], "nodes.parquet", bad)
    links = _Columns(tables["links.parquet"], "links.parquet", bad)
    deps = _Columns(tables["dependencies.parquet"], "dependencies.parquet", bad)
    meta = tables["nodes.parquet"].schema.metadata or {}
    node_id, sector = nodes.take("id", "string", True), nodes.take("sector", "string", True)
    x, y = nodes.take("x", "float"), nodes.take("y", "float")     # null: an unplaced node
    bad += [("nodes.parquet", f"missing column '{name}'") for name, column in (("x", x), ("y", y))
            if column is None and name not in tables["nodes.parquet"].column_names]
    kind, name = nodes.take("kind", "string"), nodes.take("name", "string")
    population, source = nodes.take("population", "float"), nodes.take("source", "bool")
    hardening = nodes.take("hardening", "float")
    median, p90 = nodes.take("repair_median_s", "float"), nodes.take("repair_p90_s", "float")
    a, b = links.take("a", "string", True), links.take("b", "string", True)
    extra = {"node_attrs": nodes.take("attrs", "string"), "link_id": links.take("id", "string"),
             "link_kind": links.take("kind", "string"), "link_open": links.take("open", "bool"),
             "link_attrs": links.take("attrs", "string")}
    columns = {key: deps.take(key, kind_, key not in ("kind", "refill_s")) for key, kind_ in (
        ("group", "int"), ("node", "string"), ("resource", "string"), ("kind", "string"), ("need", "int"),
        ("buffer_s", "float"), ("refill_s", "float"), ("supplier", "string"))}
    coordinates = meta.get(b"ripple.coordinates", b"km").decode()
    if coordinates not in ("km", "lonlat"):
        bad.append(("nodes.parquet", f"metadata ripple.coordinates is '{coordinates}'; expected km or lonlat"))
    crs = meta[b"ripple.crs"].decode() if b"ripple.crs" in meta else None
    if bad:
        return _empty(), [], bad
    tables, problems, bad = _columns(node_id, sector, x, y, kind, name, population, source, hardening, median, p90,
                                     a, b, columns, coordinates, crs, bad)
    if not bad:
        _optional(tables, extra, problems)
    return tables, problems, bad


def _json_mappings(column: pa.ChunkedArray | None, n: int, where: str, problems: Problems) -> list[dict[str, Any] | None]:
    """A column of JSON mappings (``attrs``): one per row, None where null, absent or empty."""
    if column is None or column.null_count == n:
        return [None] * n
    out: list[dict[str, Any] | None] = []
    for i, text in enumerate(column.to_pylist()):
        try:
            value = json.loads(text) if text is not None else None
        except json.JSONDecodeError as exc:
            problems.append(((where, i, "attrs"), f"not JSON text: {exc.msg}"))
            value = None
        if value is not None and type(value) is not dict:
            problems.append(((where, i, "attrs"), "Input should be a valid dictionary"))
            value = None
        out.append(value or None)
    return out


def _optional(t: NetworkTables, extra: dict[str, pa.ChunkedArray | None], problems: Problems) -> None:
    """Fill the optional columns (node and link attributes, link ids, kinds, ties) where the files have them."""
    links = t.n_links
    t.node_attrs = _json_mappings(extra["node_attrs"], t.n_nodes, "nodes", problems)
    t.link_attrs = _json_mappings(extra["link_attrs"], links, "links", problems)
    t.link_id, t.link_kind = _strings(extra["link_id"], links), _strings(extra["link_kind"], links)
    if extra["link_open"] is not None:
        t.link_open = extra["link_open"].fill_null(False).to_numpy(zero_copy_only=False)


def _columns(node_id: Any, sector: Any, x: Any, y: Any, kind: Any, name: Any, population: Any, source: Any,
             hardening: Any, median: Any, p90: Any, a: Any, b: Any, deps: dict[str, Any], coordinates: str,
             crs: str | None, bad: list[tuple[str, str]]) -> tuple[NetworkTables, Problems, list[tuple[str, str]]]:
    """The checked required columns as tables."""
    problems: Problems = []
    n = len(node_id)
    for key, column in (("x", x), ("y", y)):     # NaN written as a number, not null: refused
        values = column.cast(pa.float64())
        written_nan = pc.fill_null(pc.is_nan(values), False).to_numpy(zero_copy_only=False) if n else []
        problems += [(("nodes", i, key), "Input should be a finite number") for i in np.flatnonzero(written_nan).tolist()]
    ids_array = node_id.combine_chunks()
    encoded = sector.combine_chunks().dictionary_encode()
    names = encoded.dictionary.to_pylist()
    order = np.argsort(np.array(names, dtype=object)) if names else np.zeros(0, np.int64)
    rank = np.empty(len(names), np.int16)
    rank[order] = np.arange(len(names), dtype=np.int16)
    sector_codes = rank[encoded.indices.to_numpy()] if n else np.zeros(0, np.int16)
    link_a, link_b = _rows(a, ids_array), _rows(b, ids_array)
    for column, rows, side in ((a, link_a, 0), (b, link_b, 1)):
        for i in np.flatnonzero(rows < 0).tolist():
            problems.append((("links", i, side), f"no node '{column[i].as_py()}'"))
    group = deps["group"].to_numpy().astype(np.int64)
    steps = np.diff(group)
    if len(group) and (group[0] != 0 or ((steps != 0) & (steps != 1)).any()):
        return _empty(), [], [("dependencies.parquet", "column 'group' must number the dependencies 0, 1, ... "
                                                      "with the rows of each one together")]
    first = np.flatnonzero(np.concatenate([[True], steps != 0])) if len(group) else np.zeros(0, np.int64)
    dep_node = _rows(deps["node"], ids_array)
    supplier = _rows(deps["supplier"], ids_array)
    for i in np.flatnonzero(dep_node[first] < 0).tolist():
        problems.append((("dependencies", i, "node"), f"no node '{deps['node'][int(first[i])].as_py()}'"))
    for k in np.flatnonzero(supplier < 0).tolist():
        problems.append((("dependencies", int(group[k]), "suppliers", int(k - first[group[k]])),
                         f"no node '{deps['supplier'][k].as_py()}'"))
    resource = pc.index_in(deps["resource"], value_set=pa.array(RESOURCES)).fill_null(-1).to_numpy().astype(np.int64)
    need = deps["need"].to_numpy().astype(np.int64)
    buffer = deps["buffer_s"].to_numpy().astype(np.float64)
    refill = _floats(deps["refill_s"], len(group), 0.0)
    kinds = deps["kind"].to_pylist() if deps["kind"] is not None else [None] * len(group)
    for label, values in (("node", dep_node), ("resource", resource), ("need", need), ("buffer_s", buffer),
                          ("refill_s", refill), ("kind", np.array(kinds, dtype=object))):
        differs = values != values[first][group] if len(group) else np.zeros(0, bool)
        for g in np.unique(group[differs]).tolist():
            problems.append((("dependencies", g, label), "differs between the rows of this dependency"))
    for i in np.flatnonzero(resource[first] < 0).tolist():
        problems.append((("dependencies", i, "resource"), f"'{deps['resource'][int(first[i])].as_py()}' is not "
                         f"one of {', '.join(RESOURCES)}"))
    tables = NetworkTables(
        ids=ids_array.to_pylist(), sector=sector_codes.astype(np.int16), sector_names=sorted(names),
        kind=_strings(kind, n), name=_strings(name, n), x=_positions(x, n), y=_positions(y, n),
        population=_floats(population, n, 0.0),
        source=np.zeros(n, bool) if source is None else source.fill_null(False).to_numpy(zero_copy_only=False),
        hardening=_floats(hardening, n, 0.0), repair_median_s=_floats(median, n, np.nan),
        repair_p90_s=_floats(p90, n, np.nan), link_a=link_a, link_b=link_b,
        dep_node=dep_node[first], dep_resource=np.maximum(resource[first], 0).astype(np.int8),
        dep_kind=[kinds[i] for i in first.tolist()], dep_need=need[first], dep_buffer_s=buffer[first],
        dep_refill_s=refill[first],
        supplier_group=group, supplier_node=supplier, coordinates=coordinates, crs=crs)
    return tables, problems, bad


def _empty() -> NetworkTables:
    """Tables of no network (returned with the problems that stopped a read)."""
    none_f, none_i = np.zeros(0), np.zeros(0, np.int64)
    return NetworkTables([], np.zeros(0, np.int16), [], [], [], none_f, none_f, none_f, np.zeros(0, bool), none_f,
                         none_f, none_f, none_i, none_i, none_i, np.zeros(0, np.int8), [], none_i, none_f, none_i, none_i)


def table_field(loc: Loc, ids: list[str]) -> tuple[str, str]:
    """A problem's location in a table network: the row and the field.

    Parameters
    ----------
    loc : tuple
        As for records, e.g. ``("nodes", 3, "hardening")``.
    ids : list of str
        Node ids per row.

    Returns
    -------
    row : str
        ``nodes[id=sub_7]``, ``links[3]`` or ``dependencies[group=5]``.
    field : str
        The column, e.g. ``hardening``, ``a``, ``supplier`` (empty for the whole row).

    Examples
    --------
    >>> table_field(("nodes", 1, "hardening"), ["a", "b"])
    ('nodes[id=b]', 'hardening')
    """
    if len(loc) < 2:
        return loc[0] if loc else "", ""
    part, row, rest = loc[0], int(loc[1]), loc[2:]
    if part == "nodes":
        shown = f"nodes[id={ids[row]}]" if row < len(ids) else f"nodes[{row}]"
        return shown, "_".join(map(str, rest)).replace("repair_median", "repair_median_s").replace("repair_p90", "repair_p90_s")
    if part == "links":
        return f"links[{row}]", (("a", "b")[rest[0]] if isinstance(rest[0], int) else str(rest[0])) if rest else ""
    field = {"suppliers": "supplier", "buffer": "buffer_s", "refill": "refill_s"}.get(str(rest[0]), str(rest[0])) if rest else ""
    return f"dependencies[group={row}]", field


def _json_texts(attrs: list[dict[str, Any] | None]) -> pa.Array:
    """Attribute mappings as a column of JSON text (null where none)."""
    return pa.array([json.dumps(a) if a else None for a in attrs], pa.string())


def write_parquet(t: NetworkTables, path: Path, resources: tuple[str, ...]) -> None:
    """Write columns as a Parquet network directory (zstd).

    Parameters
    ----------
    t : NetworkTables
        The network.
    path : pathlib.Path
        The directory to create (or fill).
    resources : tuple of str
        Resource name per code.
    """
    path.mkdir(parents=True, exist_ok=True)
    ids = pa.array(t.ids, pa.string())
    nodes = pa.table({
        "id": ids,
        "sector": pa.DictionaryArray.from_arrays(pa.array(t.sector.astype(np.int32)), pa.array(t.sector_names, pa.string())),
        "kind": pa.array(t.kind, pa.string()),
        "name": pa.array([name or None for name in t.name], pa.string()),
        "x": pa.array(t.x, pa.float64(), from_pandas=True), "y": pa.array(t.y, pa.float64(), from_pandas=True),
        "population": pa.array(t.population, pa.float64()),
        "source": pa.array(t.source, pa.bool_()),
        "hardening": pa.array(t.hardening, pa.float64()),
        "repair_median_s": pa.array(t.repair_median_s, pa.float64(), from_pandas=True),
        "repair_p90_s": pa.array(t.repair_p90_s, pa.float64(), from_pandas=True),
        "attrs": _json_texts(t.node_attrs),
    }).replace_schema_metadata({"ripple.format": FORMAT, "ripple.version": VERSION,
                                "ripple.coordinates": t.coordinates, **({"ripple.crs": t.crs} if t.crs else {})})
    links = pa.table({"a": ids.take(pa.array(t.link_a)), "b": ids.take(pa.array(t.link_b)),
                      "id": pa.array([link_id or None for link_id in t.link_id], pa.string()),
                      "kind": pa.array([kind or None for kind in t.link_kind], pa.string()),
                      "open": pa.array(t.link_open, pa.bool_()), "attrs": _json_texts(t.link_attrs)})
    group = t.supplier_group
    dependencies = pa.table({
        "group": pa.array(group, pa.int64()),
        "node": ids.take(pa.array(t.dep_node[group])),
        "resource": pa.array(np.array(resources, dtype=object)[t.dep_resource[group]], pa.string()),
        "kind": pa.array([t.dep_kind[g] for g in group.tolist()], pa.string()),
        "need": pa.array(t.dep_need[group], pa.int64()),
        "buffer_s": pa.array(t.dep_buffer_s[group], pa.float64()),
        "refill_s": pa.array(t.dep_refill_s[group], pa.float64()),
        "supplier": ids.take(pa.array(t.supplier_node)),
    })
    for table, name in ((nodes, "nodes.parquet"), (links, "links.parquet"), (dependencies, "dependencies.parquet")):
        pq.write_table(table, path / name, compression="zstd")
