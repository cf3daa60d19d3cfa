"""A network composed of parts, placed in one frame, with its dependency rules expanded.

Each part is a ripple network file or a source ``ripple import`` reads
(:func:`sim.scenario.importers.sources.import_file`). Its positions are projected from its own
CRS to the scenario's frame (:mod:`sim.scenario.frame`); the parts' columns are concatenated,
the rules expanded (:mod:`sim.scenario.rules`), and the explicit dependencies added last.
"""

from __future__ import annotations

import csv
import dataclasses
import glob
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from sim.scenario.frame import crs_problem, default_frame, is_projected, km_frame, reference_of, to_frame
from sim.scenario.importers.report import ImportFailed
from sim.scenario.importers.sources import import_file
from sim.scenario.netdata import NetworkTables, tables_from_records
from sim.scenario.netdata.files import records_problems
from sim.scenario.problems import Problem, ScenarioError, field_path
from sim.scenario.rules import RuleDependencies, expand_rules
from sim.scenario.schema import RESOURCES, Dependency

if TYPE_CHECKING:
    from sim.scenario.schema import NetworkData
    from sim.scenario.yamlfile import Lines

__all__ = ["Composed", "compose", "concat_tables"]


def concat_tables(parts: list[NetworkTables]) -> NetworkTables:
    """Networks side by side: nodes, links and dependencies in order, rows renumbered.

    Parameters
    ----------
    parts : list of NetworkTables
        Networks whose positions are in one frame (not checked here: the ids must be
        unique across them, see :func:`compose`).

    Returns
    -------
    NetworkTables
        One network, sectors renumbered over the union of their names; ``coordinates``
        and ``crs`` those of the first part.
    """
    names = sorted(set().union(*(t.sector_names for t in parts))) if parts else []
    code = {name: i for i, name in enumerate(names)}
    node_offset = np.cumsum([0] + [t.n_nodes for t in parts])
    dep_offset = np.cumsum([0] + [t.n_dependencies for t in parts])

    def joined(column: str, dtype: Any = None) -> np.ndarray:
        arrays = [np.asarray(getattr(t, column)) for t in parts]
        return np.concatenate(arrays).astype(dtype) if arrays else np.zeros(0, dtype)

    def rows(column: str, offsets: np.ndarray) -> np.ndarray:
        arrays = [getattr(t, column) + offsets[i] for i, t in enumerate(parts)]
        return np.concatenate(arrays).astype(np.int64) if arrays else np.zeros(0, np.int64)

    def listed(column: str) -> list[Any]:
        return [value for t in parts for value in getattr(t, column)]

    sector = np.concatenate([np.array([code[n] for n in t.sector_names], np.int16)[t.sector] if t.n_nodes
                             else np.zeros(0, np.int16) for t in parts]) if parts else np.zeros(0, np.int16)
    first = parts[0] if parts else None
    return NetworkTables(
        ids=listed("ids"), sector=sector.astype(np.int16), sector_names=names, kind=listed("kind"),
        name=listed("name"), x=joined("x", float), y=joined("y", float), population=joined("population", float),
        source=joined("source", bool), hardening=joined("hardening", float),
        repair_median_s=joined("repair_median_s", float), repair_p90_s=joined("repair_p90_s", float),
        link_a=rows("link_a", node_offset), link_b=rows("link_b", node_offset),
        dep_node=rows("dep_node", node_offset), dep_resource=joined("dep_resource", np.int8),
        dep_kind=listed("dep_kind"), dep_need=joined("dep_need", np.int64), dep_buffer_s=joined("dep_buffer_s", float),
        supplier_group=rows("supplier_group", dep_offset), supplier_node=rows("supplier_node", node_offset),
        coordinates=first.coordinates if first else "km", crs=first.crs if first else None,
        node_attrs=listed("node_attrs"), link_id=listed("link_id"), link_kind=listed("link_kind"),
        link_open=joined("link_open", bool), link_attrs=listed("link_attrs"))


def _prefix(t: NetworkTables, prefix: str) -> None:
    """Put ``prefix`` before every node id and every given link id, in place."""
    if prefix:
        t.ids = [prefix + node_id for node_id in t.ids]
        t.link_id = [prefix + link_id if link_id else "" for link_id in t.link_id]


class Composed:
    """A composed network and where its dependencies come from.

    Attributes
    ----------
    tables : NetworkTables
        The network: the parts, then the inline nodes; positions km in one frame.
    dependency_rule : numpy.ndarray
        int64 per dependency: the rule it was expanded from, -1 for one written out (in a
        part's file or under ``network.dependencies``).
    warnings : list of str
        What looks doubtful but is not wrong (rules that select nothing, unplaced nodes).
    """

    def __init__(self, tables: NetworkTables, dependency_rule: np.ndarray, warnings: list[str]):
        self.tables, self.dependency_rule, self.warnings = tables, dependency_rule, warnings


def _located(lines: "Lines", loc: tuple[Any, ...], message: str) -> Problem:
    """A problem at ``loc`` of the scenario data."""
    return Problem(*lines.find(loc), field_path(loc), message)


_PARTS_KEPT = 16
_parts_read: dict[tuple[Any, ...], NetworkTables] = {}


def _read_part(path: Path, options: dict[str, Any]) -> NetworkTables:
    """A part's network as read or imported; kept while its file is unchanged, so a scenario
    validated again (overrides, variants) does not import it again."""
    try:
        if path.suffix.lower() == ".shp":       # with its sidecars (.dbf, .shx, .prj …)
            files = sorted(path.parent.glob(glob.escape(path.stem) + ".*"))
        else:
            files = sorted(path.iterdir()) if path.is_dir() else [path]
        stamps = tuple((file.name, file.stat().st_mtime_ns, file.stat().st_size) for file in files)
        key: tuple[Any, ...] | None = (str(path.resolve()), stamps, repr(sorted(options.items())))
    except OSError:
        key = None
    if key is None or key not in _parts_read:
        tables, _ = import_file(path, **options)
        if key is None:
            return tables
        if len(_parts_read) >= _PARTS_KEPT:
            _parts_read.pop(next(iter(_parts_read)))
        _parts_read[key] = tables
    return dataclasses.replace(_parts_read[key])      # columns are replaced, never changed in place


def _read_parts(network: "NetworkData", lines: "Lines", problems: list[Problem]) -> list[NetworkTables | None]:
    """Every part read (None where it cannot be), its id prefix applied."""
    parts: list[NetworkTables | None] = []
    for i, part in enumerate(network.parts or []):
        loc = ("network", "parts", i)
        try:
            tables = _read_part(Path(part.file), part.options())
        except ImportFailed as exc:
            problems.append(_located(lines, loc + ("file",), str(exc)))
            parts.append(None)
            continue
        except ScenarioError as exc:
            problems.extend(exc.problems)
            parts.append(None)
            continue
        source_crs = reference_of(tables)
        if source_crs is not None and (why := crs_problem(source_crs)) is not None:
            problems.append(_located(lines, loc + ("file",), f"{part.file}: crs {why}"))
            parts.append(None)
            continue
        _prefix(tables, part.prefix)
        parts.append(tables)
    return parts


def _frame(network: "NetworkData", parts: list[NetworkTables | None], locs: list[tuple[Any, ...]], lines: "Lines",
           problems: list[Problem]) -> str | None:
    """The scenario's frame; a problem for an unknown frame or a drawing among placed parts."""
    frame = network.frame
    if frame is not None:
        why = crs_problem(frame)
        try:
            frame = km_frame(frame) if why is None else None
        except ValueError as exc:
            why = str(exc)
        if why is not None:
            problems.append(_located(lines, ("network", "frame"), why))
            return None
    given = [t for t in parts if t is not None]
    referenced = [t for t in given if reference_of(t) is not None]
    if referenced:
        for i, t in enumerate(parts):
            if t is not None and reference_of(t) is None:
                what = (f"{network.parts[i].file} is a drawing without a CRS" if i < len(network.parts or [])
                        else "the inline nodes are a drawing without a CRS (give network.coordinates: lonlat, or network.crs)")
                problems.append(_located(lines, locs[i], f"{what}, composed with parts that have one: give the part crs, "
                                                         f"or units and origin (lon, lat of its 0, 0)"))
    elif frame is not None and given:
        problems.append(_located(lines, ("network", "frame"),
                                 "no part has a CRS (crs, or coordinates: lonlat), so none can be projected to the frame"))
    if frame is None and referenced:
        common = {reference_of(t) for t in referenced}
        only = common.pop() if len(common) == 1 else None
        frame = km_frame(only) if only is not None and is_projected(only) else default_frame(referenced)
    return frame


def _duplicates(network: "NetworkData", parts: list[NetworkTables], names: list[str], lines: "Lines") -> list[Problem]:
    """A problem for every node id that two parts share, naming both."""
    ids = np.array([node_id for t in parts for node_id in t.ids], dtype=object)
    if not len(ids):
        return []
    unique, first, count = np.unique(ids, return_index=True, return_counts=True)
    if (count == 1).all():
        return []
    owner = np.repeat(np.arange(len(parts)), [t.n_nodes for t in parts])
    problems = []
    for node_id in unique[count > 1][:20].tolist():
        holders = sorted(set(owner[ids == node_id].tolist()))
        where = " and ".join(names[h] for h in holders)
        loc = ("network", "parts", holders[-1], "prefix") if holders[-1] < len(network.parts or []) else ("network", "nodes")
        problems.append(_located(lines, loc, f"node id '{node_id}' is in {where}: give a part a prefix"))
    return problems


def _pinned(path: Path, problems: list[Problem]) -> list[tuple[Dependency, Callable[[str], Problem]]]:
    """The dependencies of a CSV file as ``ripple network show --dependencies`` writes it,
    each with a way to locate a problem on its line."""
    file = str(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(Problem(file, None, "", f"cannot read it: {exc}"))
        return []
    if rows and not {"node", "resource", "suppliers"} <= set(rows[0]):
        problems.append(Problem(file, 1, "", "expected the columns node, resource, suppliers (and kind, need, buffer)"))
        return []
    out = []
    for line, row in enumerate(rows, start=2):
        record = {"node": row.get("node"), "resource": row.get("resource"), "suppliers": (row.get("suppliers") or "").split()}
        record.update({key: row[key] for key in ("kind", "need", "buffer") if row.get(key)})
        try:
            dep = Dependency.model_validate(record)
        except ValidationError as exc:
            problems.extend(Problem(file, line, str(e["loc"][0]) if e["loc"] else "", e["msg"].removeprefix("Value error, ")) for e in exc.errors())
            continue
        out.append((dep, lambda message, line=line: Problem(file, line, "", message)))
    return out


def _explicit(network: "NetworkData", t: NetworkTables, lines: "Lines", problems: list[Problem]) -> RuleDependencies:
    """``network.dependencies`` and ``network.dependencies_file`` resolved against the composed nodes."""
    written = [(dep, lambda message, loc=("network", "dependencies", i): _located(lines, loc, message))
               for i, dep in enumerate(network.dependencies)]
    if network.dependencies_file is not None:
        written += _pinned(Path(network.dependencies_file), problems)
    row_of = {node_id: row for row, node_id in enumerate(t.ids)}
    node, resource, kind, need, buffer, group, supplier = [], [], [], [], [], [], []
    for dep, problem in written:
        missing = [node_id for node_id in [dep.node, *dep.suppliers] if node_id not in row_of]
        problems.extend(problem(f"no such node '{node_id}'") for node_id in missing)
        if missing:
            continue
        if dep.need > len(dep.suppliers):
            problems.append(problem(f"need ({dep.need}) is more than the {len(dep.suppliers)} supplier(s)"))
        group += [len(node)] * len(dep.suppliers)
        supplier += [row_of[s] for s in dep.suppliers]
        node.append(row_of[dep.node])
        resource.append(RESOURCES.index(dep.resource))
        kind.append(dep.kind)
        need.append(dep.need)
        buffer.append(dep.buffer)
    return RuleDependencies(np.array(node, np.int64), np.array(resource, np.int8), kind, np.array(need, np.int64),
                            np.array(buffer, float), np.array(group, np.int64), np.array(supplier, np.int64),
                            np.full(len(node), -1, np.int64))


def _append(t: NetworkTables, deps: RuleDependencies) -> None:
    """Add dependencies after a network's own, in place."""
    offset = t.n_dependencies
    t.dep_node = np.concatenate([t.dep_node, deps.node]).astype(np.int64)
    t.dep_resource = np.concatenate([t.dep_resource, deps.resource]).astype(np.int8)
    t.dep_kind = list(t.dep_kind) + deps.kind
    t.dep_need = np.concatenate([t.dep_need, deps.need]).astype(np.int64)
    t.dep_buffer_s = np.concatenate([t.dep_buffer_s, deps.buffer_s]).astype(float)
    t.supplier_group = np.concatenate([t.supplier_group, deps.supplier_group + offset]).astype(np.int64)
    t.supplier_node = np.concatenate([t.supplier_node, deps.supplier_node]).astype(np.int64)


def compose(network: "NetworkData", inline: dict[str, Any], lines: "Lines") -> Composed:
    """The network of ``network.parts``, ``rules`` and ``dependencies``, in one frame.

    Parameters
    ----------
    network : NetworkData
        The validated ``network`` section (its part files relative to the working folder).
    inline : dict
        Inline ``nodes`` and ``links`` records, composed after the parts.
    lines : Lines
        Where the scenario's fields are written.

    Returns
    -------
    Composed

    Raises
    ------
    ScenarioError
        Listing every problem: a part that cannot be read, an unknown CRS, a drawing among
        placed parts, an id in two parts, a rule a node cannot satisfy (``network.rules[i]``),
        an explicit dependency on an unknown node.
    """
    problems: list[Problem] = []
    parts = _read_parts(network, lines, problems)
    names = [f"network.parts[{i}] ({part.file})" for i, part in enumerate(network.parts or [])]
    locs: list[tuple[Any, ...]] = [("network", "parts", i, "file") for i in range(len(names))]
    if inline.get("nodes") or inline.get("links"):
        records = {key: inline[key] for key in ("nodes", "links", "coordinates", "crs") if key in inline}
        tables, found = tables_from_records(records)
        problems += records_problems(found, lines, ("network",))
        parts.append(tables)
        names.append("network.nodes")
        locs.append(("network", "nodes"))
    frame = _frame(network, parts, locs, lines, problems)
    if problems:
        raise ScenarioError(problems)
    given = [t for t in parts if t is not None]
    if frame is not None:
        for t in given:
            if reference_of(t) is not None:
                to_frame(t, frame)
    problems = _duplicates(network, given, names, lines)
    if problems:
        raise ScenarioError(problems)
    tables = concat_tables(given)
    tables.coordinates, tables.crs = "km", frame
    own = np.full(tables.n_dependencies, -1, np.int64)
    by_rule, rule_problems, warnings = expand_rules(tables, network.rules)
    problems = [_located(lines, ("network", "rules", i), message) for i, message in rule_problems]
    explicit = _explicit(network, tables, lines, problems)
    if problems:
        raise ScenarioError(problems)
    _append(tables, by_rule)
    _append(tables, explicit)
    return Composed(tables, np.concatenate([own, by_rule.rule, explicit.rule]), warnings)
