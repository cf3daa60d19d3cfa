"""Load a scenario file: YAML with line numbers, referenced network files, validation.

Every problem is collected and reported at once as ``file:line: field: message``, the way
compilers report errors, so a user fixes a file in one pass.
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import networkx as nx
import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario.checks import check_references
from sim.scenario.schema import Scenario

__all__ = ["Lines", "Loc", "Problem", "ScenarioError", "deep_merge", "field_path", "load_scenario",
           "load_scenario_data", "scenario_text", "validate_data"]

Loc = tuple[str | int, ...]                 # a field's path in the data: keys and list indexes
Lines = dict[Loc, tuple[str, int]]          # where each field is written: (file, line)


@dataclass(frozen=True)
class Problem:
    """One problem of a scenario file, located.

    Attributes
    ----------
    file : str
        The file, as shown to the user.
    line : int or None
        1-based line number; None when unknown.
    field : str
        The field's path (:func:`field_path`); empty for a problem of the whole file.
    message : str
        What is wrong.

    Examples
    --------
    >>> str(Problem("town.yaml", 12, "attackers[0].plan", "unknown key"))
    'town.yaml:12: attackers[0].plan: unknown key'
    """

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario file has one or more problems; ``str()`` lists them one a line.

    Parameters
    ----------
    problems : list of Problem
        Every problem found, kept as ``problems``.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def field_path(loc: Loc) -> str:
    """A field's path as users write it.

    Parameters
    ----------
    loc : tuple of str or int
        Keys and list indexes.

    Returns
    -------
    str
        Keys joined by dots, indexes in brackets.

    Examples
    --------
    >>> field_path(("attackers", 0, "plan"))
    'attackers[0].plan'
    """
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _read_yaml(path: Path, display: str) -> tuple[Any, Lines]:
    """Parse YAML (or JSON, a subset of it) and record the line of every key and item."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(display, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([Problem(display, None, "", f"cannot read: {exc}")]) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ScenarioError([Problem(display, line, "", f"YAML syntax error: {exc.problem}")]) from None
    if root is None:
        raise ScenarioError([Problem(display, None, "", "file is empty; expected a mapping of scenario fields")])
    lines: Lines = {}
    duplicates: list[Problem] = []

    def walk(node: yaml.Node, loc: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    duplicates.append(Problem(display, key_node.start_mark.line + 1, field_path(loc + (key,)), "duplicate key"))
                seen.add(key)
                lines[loc + (key,)] = (display, key_node.start_mark.line + 1)
                walk(value_node, loc + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[loc + (i,)] = (display, item.start_mark.line + 1)
                walk(item, loc + (i,))

    lines[()] = (display, root.start_mark.line + 1)
    walk(root, ())
    if duplicates:
        raise ScenarioError(duplicates)
    return data, lines


def _read_graphml(path: Path, display: str) -> dict[str, Any]:
    """GraphML: node attributes are node fields; an edge with a ``resource`` attribute is a
    dependency of its target on its source, grouped per (target, resource); others are links."""
    try:
        graph = nx.read_graphml(path)
    except FileNotFoundError:
        raise ScenarioError([Problem(display, None, "", "file not found")]) from None
    except Exception as exc:  # networkx raises several parser errors
        raise ScenarioError([Problem(display, None, "", f"not valid GraphML: {exc}")]) from None
    nodes = [{"id": str(n), **attrs} for n, attrs in graph.nodes(data=True)]
    links, groups = [], {}
    for a, b, attrs in graph.edges(data=True):
        if "resource" in attrs:
            group = groups.setdefault((str(b), attrs["resource"]), {"node": str(b), "resource": attrs["resource"], "suppliers": []})
            group["suppliers"].append(str(a))
            for key in ("need", "buffer", "kind"):
                if key in attrs:
                    group[key] = attrs[key]
        else:
            links.append([str(a), str(b)])
    return {"nodes": nodes, "links": links, "dependencies": list(groups.values())}


def _network_file(data: dict[str, Any], lines: Lines, base: Path, display_base: Path) -> None:
    """Replace ``network.file`` by the file's contents, keeping the file's own line numbers."""
    network = data.get("network")
    if not isinstance(network, dict) or not isinstance(network.get("file"), str):
        return
    rel = network["file"]
    path, display = base / rel, str(display_base / rel)
    if not path.is_file():
        raise ScenarioError([Problem(*lines[("network", "file")], "network.file", f"no such file '{rel}' (paths are relative to the scenario file)")])
    if path.suffix.lower() == ".graphml":
        content, file_lines = _read_graphml(path, display), {(): (display, None)}
    else:
        content, file_lines = _read_yaml(path, display)
    if not isinstance(content, dict):
        raise ScenarioError([Problem(display, 1, "", "expected a mapping with nodes, links and dependencies")])
    for key, value in content.items():
        if key in network and key != "file":
            raise ScenarioError([Problem(*lines[("network", key)], f"network.{key}", f"given both inline and in {rel}")])
        network[key] = value
    del network["file"]
    for loc, where in file_lines.items():
        lines[("network",) + loc] = where


def _locate(loc: Loc, data: Any, lines: Lines, fallback: str) -> tuple[str, int | None, str]:
    """Map a validation location to (file, line, field), skipping union tags not in the data."""
    shown: list[str | int] = []
    current, known = data, True
    for part in loc:
        if known and isinstance(current, dict) and part in current:
            current = current[part]
        elif known and isinstance(current, list) and isinstance(part, int) and part < len(current):
            current = current[part]
        elif isinstance(part, str) and part.startswith("by-"):
            continue
        else:
            known = False
        shown.append(part)
    probe = tuple(shown)
    while probe not in lines and probe:
        probe = probe[:-1]
    file, line = lines.get(probe, (fallback, None))
    return file, line, field_path(tuple(shown))


def _allowed_keys(loc: Loc) -> list[str]:
    """The keys the schema allows where ``loc`` points (for 'did you mean' hints)."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int) or (isinstance(part, str) and part.startswith("by-")):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return []
        field = model.model_fields.get(part)
        if field is not None:  # otherwise ``part`` is a key of a mapping such as ``responders``
            model = _model_in(field.annotation)
    return sorted(model.model_fields) if isinstance(model, type) and issubclass(model, BaseModel) else []


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside an annotation such as ``list[Node]`` or ``dict[str, Team]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in reversed(get_args(annotation)):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _message(error: dict[str, Any]) -> str:
    """A pydantic error's message as users read it, with 'did you mean' for unknown keys."""
    if error["type"] == "extra_forbidden":
        allowed = _allowed_keys(error["loc"])
        close = difflib.get_close_matches(str(error["loc"][-1]), allowed, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        return f"unknown key; {hint}allowed: {', '.join(allowed)}" if allowed else "unknown key"
    if error["type"] == "missing":
        return "required field is missing"
    msg = error["msg"]
    return msg.removeprefix("Value error, ")


def deep_merge(base: Any, patch: Any) -> Any:
    """Merge a partial scenario onto a full one.

    Parameters
    ----------
    base : object
        The scenario's data (not changed).
    patch : object
        A partial scenario (not changed).

    Returns
    -------
    object
        A new value: mappings merge key by key, anything else (lists included) is replaced
        by a copy of the patch's.

    Examples
    --------
    >>> deep_merge({"a": {"b": 1, "c": [1]}}, {"a": {"c": [2]}, "d": 3})
    {'a': {'b': 1, 'c': [2]}, 'd': 3}
    """
    if isinstance(base, dict) and isinstance(patch, dict):
        merged = dict(base)
        for key, value in patch.items():
            merged[key] = deep_merge(base.get(key), value) if key in base else copy.deepcopy(value)
        return merged
    return copy.deepcopy(patch)


def load_scenario_data(path: str | Path) -> tuple[dict[str, Any], Lines]:
    """Read a scenario file and its network file into plain data with line numbers.

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario file (YAML or JSON). A ``network.file`` in it (YAML, JSON or GraphML,
        relative to the scenario file) is read in place of the key.

    Returns
    -------
    data : dict
        The scenario as plain data, not validated.
    lines : Lines
        The file and line of every key and list item.

    Raises
    ------
    ScenarioError
        When a file is missing, unreadable, not YAML, has duplicate keys, or is not a
        mapping, or a network field is given both inline and in the network file.
    """
    path = Path(path)
    data, lines = _read_yaml(path, str(path))
    if not isinstance(data, dict):
        raise ScenarioError([Problem(str(path), 1, "", "expected a mapping of scenario fields at the top level")])
    _network_file(data, lines, path.parent, path.parent)
    return data, lines


def validate_data(data: dict[str, Any], lines: Lines, display: str) -> Scenario:
    """Validate plain scenario data against the schema and its cross-references.

    Parameters
    ----------
    data : dict
        The scenario as plain data.
    lines : Lines
        Where each field is written (from :func:`load_scenario_data`).
    display : str
        The file name to report problems against when a field has no line.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Listing every problem, each as ``file:line: field: message``.
    """
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [Problem(*_locate(e["loc"], data, lines, display), _message(e)) for e in exc.errors()]
        raise ScenarioError(problems) from None
    problems = [Problem(*_locate(loc, data, lines, display), msg) for loc, msg in check_references(scenario)]
    if problems:
        raise ScenarioError(problems)
    return scenario


def load_scenario(path: str | Path, patches: list[dict[str, Any]] | None = None) -> Scenario:
    """Load a scenario file, merge partial scenarios onto it, and validate it.

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario file.
    patches : list of dict or None, optional
        Partial scenarios merged in order (:func:`deep_merge`) before validation.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Listing every problem, each as ``file:line: field: message``.
    """
    data, lines = load_scenario_data(path)
    for patch in patches or []:
        data = deep_merge(data, patch)
    return validate_data(data, lines, str(path))


def scenario_text(path: str | Path) -> str:
    """The scenario and its network file as one canonical JSON text (for manifests and hashes).

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario file.

    Returns
    -------
    str
        The data of :func:`load_scenario_data`, keys sorted, non-JSON values as strings.

    Raises
    ------
    ScenarioError
        As :func:`load_scenario_data`.
    """
    data, _ = load_scenario_data(path)
    return json.dumps(data, sort_keys=True, default=str)
