"""Network records as files write them (YAML, JSON, GraphML, inline) turned into columns.

Each field is gathered into one list and converted at once; a record is looked at on its own
only to say what is wrong with it. Problems are ``(loc, message)`` with ``loc`` relative to
the network, e.g. ``("nodes", 3, "hardening")``.
"""

from __future__ import annotations

import difflib
from itertools import chain, repeat
from typing import Any

import numpy as np

from sim.scenario.netdata.tables import NetworkTables
from sim.scenario.problems import Loc
from sim.scenario.schema import RESOURCES, DependencyKind, Dependency, Link, Node, TimeDistribution
from sim.scenario.timefmt import parse_duration

__all__ = ["from_records"]

_NODE_KEYS = sorted(Node.model_fields)
_LINK_KEYS = sorted(Link.model_fields)
_DEPENDENCY_KEYS = sorted(Dependency.model_fields)
_REPAIR_KEYS = sorted(TimeDistribution.model_fields)
_KINDS = DependencyKind.__args__
Problems = list[tuple[Loc, str]]


def _unknown(key: Any, allowed: list[str]) -> str:
    """The message for an unknown key, with a 'did you mean' hint."""
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown key; {hint}allowed: {', '.join(allowed)}"


def _mappings(items: Any, where: str, allowed: list[str], problems: Problems) -> list[dict[str, Any]]:
    """The records of a list, checked to be mappings with known keys; others become {}."""
    if not isinstance(items, list):
        problems.append(((where,), "Input should be a valid list"))
        return []
    out, keys = [], set()
    for record in items:
        if type(record) is dict:
            keys.update(record)
            out.append(record)
        else:
            out.append({})
    bad_keys = keys.difference(allowed)
    for i, record in enumerate(items):
        if type(record) is not dict:
            problems.append(((where, i), "Input should be a valid dictionary or instance"))
        elif bad_keys and not bad_keys.isdisjoint(record):
            problems.extend(((where, i, key), _unknown(key, allowed)) for key in record if key in bad_keys)
    return out


def _strings(records: list[dict[str, Any]], key: str, where: str, problems: Problems,
             default: str | None = None) -> list[str]:
    """Column ``key`` as strings; a missing required one or a non-string is a problem."""
    values = [r.get(key, default) for r in records]
    if set(map(type, values)) <= {str}:
        return values
    for i, v in enumerate(values):
        if v is None:
            problems.append(((where, i, key), "required field is missing"))
        elif type(v) is not str:
            problems.append(((where, i, key), "Input should be a valid string"))
    return [v if type(v) is str else "" for v in values]


def _numbers(records: list[dict[str, Any]], key: str, where: str, problems: Problems,
             default: float | None = None) -> np.ndarray:
    """Column ``key`` as float64; a missing required one or a non-number is a problem."""
    values = [r.get(key, default) for r in records]
    if set(map(type, values)) <= {float, int}:
        return np.array(values, dtype=np.float64)
    out = np.zeros(len(values))
    for i, v in enumerate(values):
        if v is None:
            problems.append(((where, i, key), "required field is missing"))
            continue
        try:
            if isinstance(v, (list, dict)):
                raise TypeError
            out[i] = float(v)
        except ValueError:
            problems.append(((where, i, key), "Input should be a valid number, unable to parse string as a number"))
        except TypeError:
            problems.append(((where, i, key), "Input should be a valid number"))
    return out


def _durations(values: list[Any], loc_of: list[Loc], problems: Problems) -> np.ndarray:
    """Durations as written (``"2h"``) in seconds; each distinct text parsed once."""
    keys = [v if isinstance(v, (str, int, float)) else repr(v) for v in values]
    parsed: dict[Any, float | str] = {}
    for key, v in zip(keys, values):
        if key not in parsed:
            try:
                parsed[key] = parse_duration(v)
            except ValueError as exc:
                parsed[key] = str(exc)
    bad = {key for key, seconds in parsed.items() if isinstance(seconds, str)}
    if bad:
        problems.extend((loc_of[i], parsed[key]) for i, key in enumerate(keys) if key in bad)
        parsed.update(dict.fromkeys(bad, 0.0))
    return np.fromiter(map(parsed.__getitem__, keys), dtype=np.float64, count=len(keys))


def _within(values: list[Any], allowed: tuple[Any, ...]) -> bool:
    """Every value is one of ``allowed``."""
    try:
        return set(values) <= set(allowed)
    except TypeError:      # an unhashable value (a list or mapping)
        return False


def _index(ids: list[str]) -> dict[str, int]:
    """Row of each id (the first, if an id is given twice)."""
    return dict(zip(reversed(ids), range(len(ids) - 1, -1, -1)))


def _resolve(refs: list[Any], index: dict[str, int], locs: Any, problems: Problems) -> np.ndarray:
    """Rows of the node ids ``refs``; -1 and a problem for an id that is no node's (None:
    -1 and no problem, the caller has reported it)."""
    try:
        out = np.fromiter(map(index.get, refs, repeat(-1)), dtype=np.int64, count=len(refs))
    except TypeError:    # an unhashable reference: a list or mapping
        out = np.array([index.get(r, -1) if type(r) is str else -1 for r in refs], dtype=np.int64)
    for k in np.flatnonzero(out < 0).tolist():
        ref = refs[k]
        if ref is not None:
            problems.append((locs(k), f"no node '{ref}'" if type(ref) is str else "Input should be a valid string"))
    return out


def _nodes(records: list[dict[str, Any]], problems: Problems) -> dict[str, Any]:
    """The node columns."""
    ids = _strings(records, "id", "nodes", problems)
    sectors = _strings(records, "sector", "nodes", problems)
    for i in [i for i, v in enumerate(ids) if not v and "id" in records[i]]:
        problems.append((("nodes", i, "id"), "String should have at least 1 character"))
    for i in [i for i, v in enumerate(sectors) if not v and "sector" in records[i]]:
        problems.append((("nodes", i, "sector"), "String should have at least 1 character"))
    sector_names = sorted(set(sectors))
    code = {name: k for k, name in enumerate(sector_names)}
    repair = [r.get("repair") for r in records]
    median = np.full(len(records), np.nan)
    p90 = np.full(len(records), np.nan)
    given = [i for i, r in enumerate(repair) if r is not None]
    if given:
        spans, locs = [], []
        for i in given:
            r = repair[i]
            if type(r) is not dict:
                problems.append((("nodes", i, "repair"), "Input should be a valid dictionary or instance"))
                continue
            for key in r.keys() - set(_REPAIR_KEYS):
                problems.append((("nodes", i, "repair", key), _unknown(key, _REPAIR_KEYS)))
            for key in _REPAIR_KEYS:
                if key not in r:
                    problems.append((("nodes", i, "repair", key), "required field is missing"))
            spans += [r.get("median", "0s"), r.get("p90", "0s")]
            locs += [("nodes", i, "repair", "median"), ("nodes", i, "repair", "p90")]
        seconds = _durations(spans, locs, problems).reshape(-1, 2)
        rows = [loc[1] for loc in locs[::2]]
        median[rows], p90[rows] = seconds[:, 0], seconds[:, 1]
    return dict(
        ids=ids,
        sector=np.array([code[s] for s in sectors], dtype=np.int16),
        sector_names=sector_names,
        kind=_strings(records, "kind", "nodes", problems, ""),
        name=_strings(records, "name", "nodes", problems, ""),
        **_positions(records, problems),
        population=_numbers(records, "population", "nodes", problems, 0.0),
        source=_booleans(records, "source", "nodes", problems),
        hardening=_numbers(records, "hardening", "nodes", problems, 0.0),
        repair_median_s=median,
        repair_p90_s=p90,
        node_attrs=_attrs(records, "nodes", problems),
    )


def _positions(records: list[dict[str, Any]], problems: Problems) -> dict[str, np.ndarray]:
    """Columns ``x`` and ``y``; NaN for a node written without them (unplaced).

    A node with only one of them, or with a number that is not finite (``.nan``, ``.inf``),
    is a problem; such a node is left unplaced so that the value checks do not report it
    again.
    """
    xs = [r.get("x") for r in records]
    ys = [r.get("y") for r in records]
    if set(map(type, xs)) <= {float, int} and set(map(type, ys)) <= {float, int}:   # every node placed
        x, y = np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)
        bad = ~(np.isfinite(x) & np.isfinite(y))
    else:
        given = [{key: value for key, value in (("x", vx), ("y", vy)) if value is not None} for vx, vy in zip(xs, ys)]
        x, y = _numbers(given, "x", "nodes", problems, np.nan), _numbers(given, "y", "nodes", problems, np.nan)
        for i in [i for i, g in enumerate(given) if len(g) == 1]:
            missing = "y" if "x" in given[i] else "x"
            problems.append((("nodes", i, missing), "give both x and y, or neither (an unplaced node)"))
            x[i] = y[i] = np.nan
        bad = np.array([len(g) == 2 for g in given], dtype=bool) & ~(np.isfinite(x) & np.isfinite(y))
    for i in np.flatnonzero(bad).tolist():      # written, but NaN or infinite (``.nan``, ``"inf"``)
        problems.extend((("nodes", i, key), "Input should be a finite number")
                        for key, value, number in (("x", xs[i], x[i]), ("y", ys[i], y[i]))
                        if value is not None and not np.isfinite(number))
        x[i] = y[i] = np.nan
    return {"x": x, "y": y}


def _booleans(records: list[dict[str, Any]], key: str, where: str, problems: Problems) -> np.ndarray:
    """Column ``key`` as bools (false when absent)."""
    values = [r.get(key, False) for r in records]
    bad = [i for i, v in enumerate(values) if type(v) is not bool]
    for i in bad:
        problems.append(((where, i, key), "Input should be a valid boolean"))
    return np.array([v is True for v in values], dtype=bool)


def _attrs(records: list[dict[str, Any]], where: str, problems: Problems) -> list[dict[str, Any] | None]:
    """Column ``attrs``: a mapping per record, None where absent or empty."""
    values = [r.get("attrs") for r in records]
    for i, v in enumerate(values):
        if v is not None and type(v) is not dict:
            problems.append(((where, i, "attrs"), "Input should be a valid dictionary"))
    return [v if type(v) is dict and v else None for v in values]


def _pairs(items: list[Any], index: dict[str, int], problems: Problems) -> dict[str, np.ndarray]:
    """The link ends of ``[a, b]`` pairs (the other link columns take their defaults)."""
    pairs = [p if isinstance(p, (list, tuple)) and len(p) == 2 else (None, None) for p in items]
    for i, p in enumerate(items):
        if not (isinstance(p, (list, tuple)) and len(p) == 2):
            problems.append((("links", i), "Input should be a valid list of two node ids"))
        else:
            problems.extend((("links", i, side), "Input should be a valid string") for side in (0, 1) if p[side] is None)
    return dict(link_a=_resolve([p[0] for p in pairs], index, lambda k: ("links", k, 0), problems),
                link_b=_resolve([p[1] for p in pairs], index, lambda k: ("links", k, 1), problems))


def _links(items: Any, index: dict[str, int], problems: Problems) -> dict[str, Any]:
    """The link columns, from ``[a, b]`` pairs and ``{id, a, b, kind, open, attrs}`` records."""
    if not isinstance(items, list):
        problems.append((("links",), "Input should be a valid list"))
        items = []
    is_record = [type(p) is dict for p in items]
    if not any(is_record):      # pairs only: no ids, kinds, ties or attributes
        return _pairs(items, index, problems)
    records: list[dict[str, Any]] = [{"a": p[0], "b": p[1]} if isinstance(p, (list, tuple)) and len(p) == 2 else {}
                                     for p in items]
    rows = [i for i, record in enumerate(is_record) if record]
    checked: Problems = []
    for i, record in zip(rows, _mappings([items[i] for i in rows], "links", _LINK_KEYS, checked)):
        records[i] = record
    problems.extend(((loc[0], rows[loc[1]], *loc[2:]), message) for loc, message in checked)
    for i, p in enumerate(items):
        if not is_record[i] and not (isinstance(p, (list, tuple)) and len(p) == 2):
            problems.append((("links", i), "Input should be a valid list of two node ids"))
    ends = []
    for side, key in ((0, "a"), (1, "b")):
        refs = [r.get(key) for r in records]
        for i in [i for i, v in enumerate(refs) if v is None and is_record[i]]:
            problems.append((("links", i, key), "required field is missing"))
        for i in [i for i, v in enumerate(refs) if v is None and not is_record[i] and records[i]]:
            problems.append((("links", i, side), "Input should be a valid string"))
        ends.append(_resolve(refs, index, lambda k, side=side, key=key: ("links", k, key if is_record[k] else side),
                             problems))
    return dict(link_a=ends[0], link_b=ends[1], link_id=_strings(records, "id", "links", problems, ""),
                link_kind=_strings(records, "kind", "links", problems, ""),
                link_open=_booleans(records, "open", "links", problems), link_attrs=_attrs(records, "links", problems))


def _dependencies(records: list[dict[str, Any]], index: dict[str, int], problems: Problems) -> dict[str, Any]:
    """The dependency columns, suppliers exploded."""
    nodes = [r.get("node") for r in records]
    for i in [i for i, v in enumerate(nodes) if v is None]:
        problems.append((("dependencies", i, "node"), "required field is missing"))
    dep_node = _resolve(nodes, index, lambda k: ("dependencies", k, "node"), problems)
    code = {name: k for k, name in enumerate(RESOURCES)}
    resources = [r.get("resource") for r in records]
    allowed = ", ".join(f"'{name}'" for name in RESOURCES)
    for i, v in enumerate(resources if not _within(resources, RESOURCES) else ()):
        if v is None:
            problems.append((("dependencies", i, "resource"), "required field is missing"))
        elif not isinstance(v, str) or v not in code:
            problems.append((("dependencies", i, "resource"), f"Input should be {allowed.rsplit(', ', 1)[0]} or {allowed.rsplit(', ', 1)[1]}"))
    kinds = [r.get("kind") for r in records]
    for i, v in enumerate(kinds if not _within(kinds, (None, *_KINDS)) else ()):
        if v is not None and (not isinstance(v, str) or v not in _KINDS):
            problems.append((("dependencies", i, "kind"), "Input should be " + " or ".join(f"'{k}'" for k in _KINDS)))
    supplier_lists = [r.get("suppliers") for r in records]
    if set(map(type, supplier_lists)) == {list}:
        counts = list(map(len, supplier_lists))
        flat = list(chain.from_iterable(supplier_lists))
    else:
        counts, flat = _supplier_counts(supplier_lists, problems), [
            x for s in supplier_lists if isinstance(s, list) for x in s]
    for i in [i for i, c in enumerate(counts) if c == 0 and supplier_lists[i] == []]:
        problems.append((("dependencies", i, "suppliers"), "List should have at least 1 item after validation, not 0"))
    group = np.repeat(np.arange(len(records), dtype=np.int64), counts)
    starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    def where(k: int) -> Loc:
        return "dependencies", int(group[k]), "suppliers", int(k - starts[group[k]])

    problems.extend((where(k), "Input should be a valid string") for k, x in enumerate(flat) if x is None)
    supplier = _resolve(flat, index, where, problems)
    need_raw = [r.get("need", 1) for r in records]
    if set(map(type, need_raw)) <= {int}:
        need = np.array(need_raw, dtype=np.int64)
    else:
        need = _integers(need_raw, problems)
    buffers = [r.get("buffer") for r in records]
    given = [i for i, v in enumerate(buffers) if v is not None]
    buffer = np.zeros(len(records))
    buffer[given] = _durations([buffers[i] for i in given], [("dependencies", i, "buffer") for i in given], problems)
    refills = [r.get("refill") for r in records]
    given = [i for i, v in enumerate(refills) if v is not None]
    refill = np.zeros(len(records))
    refill[given] = _durations([refills[i] for i in given], [("dependencies", i, "refill") for i in given], problems)
    return dict(dep_node=dep_node, dep_resource=np.array([code.get(r, 0) if type(r) is str else 0 for r in resources], np.int8),
                dep_kind=kinds, dep_need=need, dep_buffer_s=buffer, dep_refill_s=refill, supplier_group=group,
                supplier_node=supplier)


def _supplier_counts(supplier_lists: list[Any], problems: Problems) -> list[int]:
    """Suppliers per dependency, reporting lists that are missing or not lists."""
    counts = []
    for i, s in enumerate(supplier_lists):
        if s is None:
            problems.append((("dependencies", i, "suppliers"), "required field is missing"))
        elif not isinstance(s, list):
            problems.append((("dependencies", i, "suppliers"), "Input should be a valid list"))
        counts.append(len(s) if isinstance(s, list) else 0)
    return counts


def _integers(values: list[Any], problems: Problems) -> np.ndarray:
    """``need`` values as int64, reporting those that are not whole numbers."""
    out = np.ones(len(values), dtype=np.int64)
    for i, v in enumerate(values):
        if type(v) is int:
            out[i] = v
        elif isinstance(v, float) and v.is_integer():
            out[i] = int(v)
        else:
            problems.append((("dependencies", i, "need"), "Input should be a valid integer"))
    return out


def from_records(network: dict[str, Any]) -> tuple[NetworkTables, Problems]:
    """Columns from a network as a file writes it.

    Parameters
    ----------
    network : dict
        ``nodes`` (list of node records), ``links`` (``[a, b]`` id pairs or link records), ``dependencies``
        (dependency records), ``coordinates`` and ``crs``; other keys are not looked at.

    Returns
    -------
    tables : NetworkTables
        The columns; references that resolve nowhere are -1.
    problems : list of (loc, message)
        What is wrong with the records' shapes, types, keys and references, ``loc``
        relative to the network. The checks on values are :func:`sim.scenario.netdata.validate.check_tables`'.
    """
    problems: Problems = []
    nodes = _mappings(network.get("nodes", []), "nodes", _NODE_KEYS, problems)
    columns = _nodes(nodes, problems)
    index = _index(columns["ids"])
    links = _links(network.get("links", []), index, problems)
    deps = _mappings(network.get("dependencies", []), "dependencies", _DEPENDENCY_KEYS, problems)
    coordinates, crs = network.get("coordinates", "km"), network.get("crs")
    tables = NetworkTables(**columns, **links, **_dependencies(deps, index, problems),
                           coordinates=coordinates if coordinates in ("km", "lonlat") else "km",
                           crs=crs if isinstance(crs, str) else None)
    return tables, problems
