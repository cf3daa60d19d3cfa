"""Load a scenario file: YAML read once with line numbers, its network file, validation.

Every problem is collected and reported at once as ``file:line: field: message``, the way
compilers report errors, so a user fixes a file in one pass. The network is checked as
columns (:mod:`sim.scenario.netdata`), whether it is written inline or in a file, so the scenario
holds no object per node.
"""

from __future__ import annotations

import copy
import difflib
import glob
import hashlib
import json
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from sim.scenario.checks import check_references
from sim.scenario.maplayers import check_map
from sim.scenario.problems import Loc, Problem, ScenarioError, field_path
from sim.scenario.schema import Scenario
from sim.scenario.yamlfile import Lines, read_yaml

__all__ = ["Lines", "Loc", "Problem", "ScenarioError", "deep_merge", "field_path", "load_scenario", "located",
           "load_scenario_data", "canonical_text", "validate_data"]

_RECORDS = ("nodes", "links", "dependencies")


def _network_file(data: dict[str, Any], lines: Lines, base: Path, display_base: Path) -> None:
    """Replace ``network.file`` by the file's records, keeping the file's own line numbers.

    A Parquet network stays a reference (its path made relative to the working folder);
    :func:`validate_data` reads it.
    """
    from sim.scenario.netdata.files import FORMATS, json_lines, read_graphml, read_json

    network = data.get("network")
    if isinstance(network, dict) and "parts" in network and "file" in network:
        raise ScenarioError([Problem(*lines.find(("network", "parts")), "network.parts",
                                     "give either file or parts, not both")])
    if isinstance(network, dict) and isinstance(network.get("parts"), list):
        for part in network["parts"]:
            if isinstance(part, dict) and isinstance(part.get("file"), str):
                part["file"] = str(display_base / part["file"])
        if isinstance(network.get("dependencies_file"), str):
            network["dependencies_file"] = str(display_base / network["dependencies_file"])
    if not isinstance(network, dict) or not isinstance(network.get("file"), str):
        return
    rel = network["file"]
    path, display = base / rel, str(display_base / rel)
    if not path.exists():
        raise ScenarioError([Problem(*lines.find(("network", "file")), "network.file",
                                     f"no such file '{rel}' (paths are relative to the scenario file)")])
    kind = FORMATS.get(path.suffix.lower(), "yaml")
    if kind == "parquet":
        network["file"] = str(display_base / rel)
        return
    if kind == "graphml":
        content: Any = read_graphml(path, display)
        file_lines = Lines(content, display, None)
    elif kind == "json":
        content, text = read_json(path, display)
        file_lines = Lines(content, display, None)
    else:
        content, file_lines = read_yaml(path, display)
    if not isinstance(content, dict):
        raise ScenarioError([Problem(display, 1, "", "expected a mapping with nodes, links and dependencies")])
    for key, value in content.items():
        if key in network and key != "file":
            raise ScenarioError([Problem(*lines.find(("network", key)), f"network.{key}", f"given both inline and in {rel}")])
        network[key] = value
    del network["file"]
    lines.graft(network, content, file_lines)
    if kind == "json":
        for key, value in content.items():
            if isinstance(value, (list, dict)):
                lines.defer(value, key, lambda: json_lines(text, display))


def _locate(loc: Loc, data: Any, lines: Lines) -> tuple[str, int | None, str]:
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
    file, line = lines.find(tuple(shown))
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
        relative to the scenario file) is read in place of the key; a Parquet network
        stays a reference, read by :func:`validate_data`.

    Returns
    -------
    data : dict
        The scenario as plain data, not validated.
    lines : Lines
        Where each key and list item is written.

    Raises
    ------
    ScenarioError
        When a file is missing, unreadable, not YAML, has duplicate keys, or is not a
        mapping, or a network field is given both inline and in the network file.
    """
    path = Path(path)
    data, lines = read_yaml(path, str(path))
    if not isinstance(data, dict):
        raise ScenarioError([Problem(str(path), 1, "", "expected a mapping of scenario fields at the top level")])
    _network_file(data, lines, path.parent, path.parent)
    _map_files(data, path.parent)
    return data, lines


def _map_files(data: dict[str, Any], base: Path) -> None:
    """Make the map layers' files relative to the working folder (written relative to the scenario)."""
    settings = data.get("map")
    layers = settings.get("layers") if isinstance(settings, dict) else None
    for layer in layers if isinstance(layers, list) else []:
        if isinstance(layer, dict) and isinstance(layer.get("file"), str):
            layer["file"] = str(base / layer["file"])


def _network_tables(network: dict[str, Any], lines: Lines) -> tuple[Any, list[Problem]]:
    """The network's columns, placed in the scenario's frame, and every problem of them, located."""
    from sim.scenario.netdata.files import read_parquet_checked, records_problems, tables_from_records

    file = network.get("file")
    if isinstance(file, str) and file.lower().endswith(".parquet"):
        problems = [Problem(*lines.find(("network", key)), f"network.{key}", f"given both inline and in {file}")
                    for key in _RECORDS if key in network]
        try:
            tables = read_parquet_checked(Path(file), file)
        except ScenarioError as exc:
            return None, problems + exc.problems
    else:
        records = {key: network[key] for key in (*_RECORDS, "coordinates", "crs") if key in network}
        tables, found = tables_from_records(records)
        problems = records_problems(found, lines, ("network",))
    if not problems:
        problems = _place(tables, network.get("frame"), lines)
    return tables, problems


def _place(tables: Any, frame: Any, lines: Lines) -> list[Problem]:
    """Put one network file's positions in the scenario's frame; problems of its CRS or the frame."""
    from sim.scenario.frame import crs_problem, km_frame, place_network

    def at(key: str, message: str) -> list[Problem]:
        return [Problem(*lines.find(("network", key)), f"network.{key}", message)]

    if tables.crs is not None and (why := crs_problem(tables.crs)) is not None:
        return at("crs", why)
    if isinstance(frame, str):
        if (why := crs_problem(frame)) is not None:
            return at("frame", why)
        try:
            frame = km_frame(frame)
        except ValueError as exc:
            return at("frame", str(exc))
    try:
        place_network(tables, frame if isinstance(frame, str) else None)
    except ValueError as exc:
        return at("frame", str(exc))
    return []


def _validate_composed(data: dict[str, Any], lines: Lines) -> Scenario:
    """Validate a scenario whose network is composed of parts (``network.parts``)."""
    from sim.scenario.compose import compose

    network = data["network"]
    shell = dict(data, network={key: value for key, value in network.items() if key not in ("nodes", "links")})
    try:
        scenario = Scenario.model_validate(shell)
    except ValidationError as exc:
        raise ScenarioError([Problem(*_locate(e["loc"], data, lines), _message(e)) for e in exc.errors()]) from None
    composed = compose(scenario.network, network, lines)
    problems = [Problem(*_locate(loc, data, lines), msg)
                for loc, msg in check_references(scenario, composed.tables) + check_map(scenario)]
    if problems:
        raise ScenarioError(problems)
    scenario.network.dependencies = []
    scenario.network.attach(composed.tables, composed.dependency_rule, composed.warnings)
    return scenario


def validate_data(data: dict[str, Any], lines: Lines, display: str) -> Scenario:
    """Validate plain scenario data against the schema and its cross-references.

    The network is checked as columns and kept as :attr:`NetworkData.tables`; the rest
    of the scenario by the schema.

    Parameters
    ----------
    data : dict
        The scenario as plain data.
    lines : Lines
        Where each field is written (from :func:`load_scenario_data`).
    display : str
        The scenario file as shown (``lines`` name the file of every field, so this is
        only kept for the callers that pass it).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Listing every problem, each as ``file:line: field: message``.
    """
    network, tables, problems = data.get("network"), None, []
    if isinstance(network, dict) and network.get("parts") is not None:
        return _validate_composed(data, lines)
    shell = data
    if isinstance(network, dict):
        tables, problems = _network_tables(network, lines)
        shell = dict(data, network={key: value for key, value in network.items() if key not in _RECORDS})
    try:
        scenario = Scenario.model_validate(shell)
    except ValidationError as exc:
        schema = [Problem(*_locate(e["loc"], data, lines), _message(e)) for e in exc.errors()]
        raise ScenarioError(schema + problems) from None
    if tables is not None:
        problems += [Problem(*_locate(loc, data, lines), msg) for loc, msg in check_references(scenario, tables)]
    problems += [Problem(*_locate(loc, data, lines), msg) for loc, msg in check_map(scenario)]
    if problems:
        raise ScenarioError(problems)
    scenario.network.attach(tables)
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


def located(path: str | Path, problems: list[tuple[Loc, str]]) -> ScenarioError:
    """Problems found after a scenario loaded (reading its map layers, say), each at the file
    and line of its field.

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario file.
    problems : list of (Loc, str)
        Each problem's field and message.

    Returns
    -------
    ScenarioError
        To raise; ``file:line: field: message`` per problem.
    """
    data, lines = load_scenario_data(path)
    return ScenarioError([Problem(*_locate(loc, data, lines), message) for loc, message in problems])


def canonical_text(data: dict[str, Any]) -> str:
    """Scenario data as one canonical JSON text, for manifests and hashes (comments and key
    order in the file do not count).

    A Parquet network stays a reference in the data (:func:`load_scenario_data`), so its
    tables enter the text as the sha256 of their bytes: a changed network changes the text.

    Parameters
    ----------
    data : dict
        The data of :func:`load_scenario_data`.

    Returns
    -------
    str
        ``data`` with keys sorted and non-JSON values as strings.

    Examples
    --------
    >>> canonical_text({"seed": 7, "id": "x"})
    '{"id": "x", "seed": 7}'
    """
    network = data.get("network")
    if isinstance(network, dict) and str(network.get("file", "")).lower().endswith(".parquet"):
        data = {**data, "network": {**network, "file_sha256": _tree_digest(Path(network["file"]))}}
    if isinstance(network, dict) and isinstance(network.get("parts"), list):
        digests = [_tree_digest(Path(part["file"])) if isinstance(part, dict) and isinstance(part.get("file"), str) else ""
                   for part in network["parts"]]
        pinned = network.get("dependencies_file")
        data = {**data, "network": {**network, "parts_sha256": digests,
                                    **({"dependencies_sha256": _tree_digest(Path(pinned))} if isinstance(pinned, str) else {})}}
    return json.dumps(data, sort_keys=True, default=str)


def _tree_digest(path: Path) -> str:
    """sha256 of a file's bytes, or over the names and bytes of the files in a folder (a
    Parquet network, a shapefile's folder), in name order; '' when it cannot be read
    (validation reports that)."""
    digest = hashlib.sha256()
    try:
        if path.suffix.lower() == ".shp":       # a shapefile is the .shp and its sidecars (.dbf, .shx, .prj …)
            files = sorted(path.parent.glob(glob.escape(path.stem) + ".*"))
        elif path.is_file():
            files = [path]
        else:
            files = sorted(p for p in path.iterdir() if p.is_file())
        for file in files:
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
    except OSError:
        return ""
    return digest.hexdigest()
