"""The reference of scenario files in Markdown, generated from the pydantic schema.

``ripple schema --markdown`` prints it; ``docs/scenario-reference.md`` is its output, and a
test checks that the committed file is current. Everything in it comes from
:class:`sim.scenario.schema.Scenario`'s JSON Schema (every model, every field with its type,
default, constraints, allowed values and description) and from the tactic registry (every
tactic's parameters with their defaults and ranges).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import TypeAdapter

from agents.tactics import TACTICS
from sim.scenario.schema import Duration, Scenario

__all__ = ["REFERENCE_PATH", "scenario_reference"]

REFERENCE_PATH = "docs/scenario-reference.md"  # relative to the repository root
_ANNOTATIONS = ("title", "description", "default", "examples")
_SECONDS = re.compile(r"^(\d+(?:\.\d+)?)s$")
_UNITS = ((86400, "d"), (3600, "h"), (60, "min"))


def scenario_reference() -> str:
    """Return the Markdown reference of scenario files.

    Returns
    -------
    str
        The text of ``docs/scenario-reference.md``: one section per model of the scenario
        schema, in the order a reader meets them from the top-level ``Scenario``, each with a
        table of its fields (type, default, constraints and allowed values, description);
        then the parameters of each tactic. It ends with a newline.
    """
    schema = Scenario.model_json_schema()
    models = {"Scenario": schema} | schema.get("$defs", {})
    duration = TypeAdapter(Duration).json_schema()
    lines = [
        f"<!-- Generated from sim/scenario/schema.py by `ripple schema --markdown > {REFERENCE_PATH}`. "
        "Do not edit: change the schema (a field, a tactic, a rule) and regenerate. -->",
        "# Scenario file reference",
        "",
        "A scenario file is YAML (or JSON) holding one [Scenario](#scenario). Every model below "
        "forbids keys it does not list: a misspelt key is an error, not a silent default. "
        "A field with no default is required; a list or map with no default starts empty.",
        "",
        "**Durations** are strings with units or exercise-clock offsets, for example "
        + ", ".join(f"`{example}`" for example in duration.get("examples", []))
        + f" (pattern `{duration['pattern']}`); a bare number is an error. Defaults below are "
        "written in the largest exact unit.",
    ]
    for name in _reading_order(models):
        lines += ["", *_model_section(name, models, duration)]
    lines += ["", *_tactics_section()]
    return "\n".join(lines) + "\n"


def _tactics_section() -> list[str]:
    """Each tactic's parameters, their defaults and ranges (``tactics:`` and ``params:``)."""
    lines = ["## Tactic parameters", "",
             "Overridable scenario-wide under `tactics: {NAME: {...}}` and per action under `params:`; "
             "a value outside its range is an error.", "",
             "| tactic | parameter | default | range |", "|---|---|---|---|"]
    for name, tactic in TACTICS.items():
        ranges = tactic.parameter_ranges()
        lines += [f"| `{name}` | `{key}` | {getattr(tactic, key):g} | {ranges[key]} |" for key in tactic.parameter_names()]
    return lines


def _reading_order(models: dict[str, dict[str, Any]]) -> list[str]:
    """Model names from ``Scenario`` down, each after the first model that refers to it."""
    order: list[str] = []
    queue = ["Scenario"]
    while queue:
        name = queue.pop(0)
        if name in order:
            continue
        order.append(name)
        queue += [ref for ref in _refs(models[name].get("properties", {})) if ref not in order]
    return order + sorted(set(models) - set(order))


def _refs(node: Any) -> list[str]:
    """The model names a piece of schema refers to, in the order they appear."""
    if isinstance(node, dict):
        found = [node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else []
        return found + [ref for key, value in node.items() if key != "default" for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def _model_section(name: str, models: dict[str, dict[str, Any]], duration: dict[str, Any]) -> list[str]:
    model = models[name]
    lines = [f"## {name}", ""]
    if model.get("description"):
        lines += [_one_line(model["description"]), ""]
    lines += ["| field | type | default | values | description |", "|---|---|---|---|---|"]
    required = set(model.get("required", []))
    for field, spec in model.get("properties", {}).items():
        is_duration = _is_duration(spec, duration)
        cells = [f"`{field}`", _type(spec, duration), _default(field, spec, required, models, is_duration),
                 "; ".join(_values(spec, duration)), _one_line(spec.get("description", ""))]
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return lines


def _bare(spec: dict[str, Any]) -> dict[str, Any]:
    """A piece of schema without its annotations (title, description, default, examples)."""
    return {key: value for key, value in spec.items() if key not in _ANNOTATIONS}


def _is_duration(spec: dict[str, Any], duration: dict[str, Any]) -> bool:
    """Whether a field holds a duration, or a duration or null."""
    members = [member for member in spec.get("anyOf", [spec]) if member.get("type") != "null"]
    return len(members) == 1 and _bare(members[0]) == _bare(duration)


def _type(spec: dict[str, Any], duration: dict[str, Any]) -> str:
    """A field's type in words, with links to the models it holds."""
    if _bare(spec) == _bare(duration):
        return "duration"
    if "$ref" in spec:
        target = spec["$ref"].rsplit("/", 1)[-1]
        return f"[{target}](#{target.lower()})"
    for union in ("anyOf", "oneOf"):
        if union in spec:
            members = [member for member in spec[union] if member.get("type") != "null"]
            text = " or ".join(_type(member, duration) for member in members)
            return text + (" or null" if len(members) < len(spec[union]) else "")
    kind = spec.get("type")
    if kind == "array" and "prefixItems" in spec:
        return "[" + ", ".join(_type(item, duration) for item in spec["prefixItems"]) + "]"
    if kind == "array":
        return "list of " + _type(spec.get("items", {}), duration)
    if kind == "object" and isinstance(spec.get("additionalProperties"), dict):
        return "map of string to " + _type(spec["additionalProperties"], duration)
    return kind or "any"


def _values(spec: dict[str, Any], duration: dict[str, Any]) -> list[str]:
    """Constraints and allowed values of a field, and of the items, keys and values it holds
    (a duration's pattern is given once, above the tables)."""
    if _bare(spec) == _bare(duration):
        return []
    found: list[str] = []
    if "enum" in spec:
        found.append("one of " + ", ".join(f"`{value}`" for value in spec["enum"]))
    for key, words in (("minimum", ">= {}"), ("maximum", "<= {}"), ("exclusiveMinimum", "> {}"),
                       ("exclusiveMaximum", "< {}")):
        if key in spec:
            found.append(words.format(spec[key]))
    for key, words in (("minLength", "at least {} character"), ("maxLength", "at most {} character"),
                       ("minItems", "at least {} item"), ("maxItems", "at most {} item")):
        if key in spec and "prefixItems" not in spec:
            found.append(words.format(spec[key]) + ("s" if spec[key] != 1 else ""))
    if "pattern" in spec:
        found.append(f"pattern `{spec['pattern']}`")
    if "propertyNames" in spec:
        found += [f"keys: {value}" for value in _values(spec["propertyNames"], duration)]
    for part in ("items", "additionalProperties"):
        if isinstance(spec.get(part), dict) and "$ref" not in spec[part]:
            found += _values(spec[part], duration)
    for union in ("anyOf", "oneOf"):
        for member in spec.get(union, []):
            found += _values(member, duration)
    return found


def _default(field: str, spec: dict[str, Any], required: set[str], models: dict[str, dict[str, Any]],
             is_duration: bool) -> str:
    if field in required:
        return "required"
    if "default" not in spec:
        return "empty" if spec.get("type") in ("array", "object") else "none"
    value = spec["default"]
    if "$ref" in spec and value == _field_defaults(models[spec["$ref"].rsplit("/", 1)[-1]]):
        return "its fields' defaults"
    if is_duration and isinstance(value, (int, float)):
        value = f"{value:g}s"
    return f"`{_compact(_humanise(value))}`"


def _field_defaults(model: dict[str, Any]) -> dict[str, Any]:
    return {field: spec["default"] for field, spec in model.get("properties", {}).items() if "default" in spec}


def _humanise(value: Any) -> Any:
    """Durations as the schema writes defaults (``14400s``) in the largest exact unit (``4h``)."""
    if isinstance(value, dict):
        return {key: _humanise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_humanise(item) for item in value]
    match = _SECONDS.match(value) if isinstance(value, str) else None
    if match:
        seconds = float(match.group(1))
        for size, unit in _UNITS:
            if seconds >= size and seconds % size == 0:
                return f"{seconds / size:g}{unit}"
        return f"{seconds:g}s"
    return value


def _compact(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return value if value else '""'
    return json.dumps(value, ensure_ascii=False).replace('"', "")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")
