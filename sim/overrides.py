"""Scenario overrides for batch studies: ``--set path=value``, overlay files and variants.

An override is turned into a *patch*, a partial scenario that
:func:`sim.scenario.deep_merge` lays onto the scenario file's data before validation:

- ``--set policies.information_sharing=0.9``: the value is a YAML scalar (``0.9``, ``true``,
  ``12h``, ``[a, b]``); integer path segments index lists (``attackers.0.plan.1.at``);
- an overlay file: a partial scenario in YAML, merged as it stands;
- a variant ``NAME=overlay.yaml`` or ``NAME=path=value;path=value``.

The merged data is validated by the scenario schema (which forbids unknown keys), and each
problem is reported against the override that caused it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.scenario import Problem, Scenario, ScenarioError, deep_merge, load_scenario_data, validate_data
from sim.scenario.loader import Loc, field_path

NAME = re.compile(r"^[A-Za-z0-9_.,=+-]+$")


class OverrideError(ValueError):
    """A bad ``--set``, overlay or variant; the message names it."""


@dataclass(frozen=True)
class Override:
    """One ``--set`` (``spec`` is ``path=value``) or one overlay file (``data`` is its content)."""

    spec: str
    data: dict[str, Any] | None = None

    def record(self) -> dict[str, Any]:
        """What a manifest keeps: the ``--set`` text, or the overlay's name and content."""
        return {"set": self.spec} if self.data is None else {"overlay": self.spec, "data": self.data}


@dataclass(frozen=True)
class Variant:
    name: str
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """A validated scenario with its provenance: the file's canonical text, its hash, and
    the overrides applied to it (in order)."""

    scenario: Scenario
    text: str
    overrides: tuple[Override, ...] = ()
    source: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def records(self) -> list[dict[str, Any]]:
        return [o.record() for o in self.overrides]


# ------------------------------------------------------------------ parsing
def yaml_value(text: str) -> Any:
    """A value as YAML reads it: ``0.9`` → float, ``true`` → bool, ``12h`` → str, ``[a, b]`` → list."""
    try:
        return yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError as exc:
        raise OverrideError(f"'{text}' is not a valid YAML value: {getattr(exc, 'problem', exc)}") from None


def split_path(path: str) -> list[str]:
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise OverrideError(f"'{path}' is not a dotted field path such as policies.information_sharing")
    return parts


def parse_set(spec: str) -> Override:
    """``path=value`` → an override (checked for shape here, against the scenario later)."""
    path, eq, _ = spec.partition("=")
    if not eq:
        raise OverrideError(f"--set {spec}: expected path=value, e.g. policies.information_sharing=0.9")
    split_path(path.strip())
    return Override(spec.strip())


def parse_overlay(file: str | Path) -> Override:
    """A partial scenario file (YAML) to merge onto the scenario."""
    path = Path(file)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OverrideError(f"overlay file {path} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OverrideError(f"cannot read overlay file {path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise OverrideError(f"overlay file {path}: YAML syntax error: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise OverrideError(f"overlay file {path}: expected a mapping of scenario fields (a partial scenario)")
    return Override(str(path), data)


def parse_variant(text: str) -> Variant:
    """``NAME=overlay.yaml`` or ``NAME=path=value;path=value``."""
    name, eq, value = text.partition("=")
    name, value = name.strip(), value.strip()
    if not eq or not value:
        raise OverrideError(f"--variant {text}: expected NAME=overlay.yaml or NAME=path=value;path=value")
    if not NAME.match(name) or name in (".", ".."):
        raise OverrideError(f"--variant {text}: the name '{name}' must use only letters, digits and _ . , = + -")
    if Path(value).is_file() or ("=" not in value and value.lower().endswith((".yaml", ".yml", ".json"))):
        return Variant(name, (parse_overlay(value),))
    pairs = [p.strip() for p in value.split(";") if p.strip()]
    return Variant(name, tuple(parse_set(p) for p in pairs))


def parse_sweep(text: str) -> list[Variant]:
    """``path=v1,v2,v3`` → one variant per value, named ``path=value`` (values are YAML, so
    ``[a, b]`` stays one value)."""
    path, eq, values = text.partition("=")
    path = path.strip()
    if not eq or not values.strip():
        raise OverrideError(f"--sweep {text}: expected path=v1,v2,... e.g. responders.crews.count=2,4,8")
    split_path(path)
    try:
        items = yaml.safe_load(f"[{values}]")
    except yaml.YAMLError:
        items = None
    if not isinstance(items, list) or len(items) < 2:
        raise OverrideError(f"--sweep {text}: give at least two comma-separated values")
    variants = []
    for item in items:
        shown = item if isinstance(item, str) else yaml.safe_dump(item, default_flow_style=True).strip()
        shown = shown.removesuffix("...").strip()
        spec = f"{path}={shown}"
        variants.append(Variant(re.sub(r"[^A-Za-z0-9_.,=+-]", "_", spec), (Override(spec),)))
    if len({v.name for v in variants}) < len(variants):
        raise OverrideError(f"--sweep {text}: the values are not distinct")
    return variants


# ----------------------------------------------------------------- applying
def _index(node: list[Any], part: str, shown: str) -> int:
    try:
        i = int(part)
    except ValueError:
        raise OverrideError(f"{shown} is a list; index it with a number 0..{len(node) - 1}, not '{part}'") from None
    if not 0 <= i < len(node):
        raise OverrideError(f"{shown} has {len(node)} item(s); index {i} is out of range")
    return i


def set_patch(data: dict[str, Any], spec: str) -> tuple[dict[str, Any], Loc, Loc | None]:
    """The patch for ``path=value`` on ``data``; also the path (ints for list indexes) and
    the path of the first key the data did not have (None when all existed). A list on the
    way is copied whole into the patch, since lists merge by replacement."""
    path, _, raw = spec.partition("=")
    parts = split_path(path.strip())
    value = yaml_value(raw)
    loc: list[str | int] = []
    created: Loc | None = None
    patch: dict[str, Any] = {}
    holder: Any = patch        # where the patch is being built
    node: Any = data           # the same place in the data, or None past its end
    copying = False            # inside a copied list: navigate the copy, do not rebuild
    for depth, part in enumerate(parts):
        if isinstance(node, list):
            key: str | int = _index(node, part, field_path(tuple(loc)))
        elif node is None or isinstance(node, dict):
            key = part
            if created is None and (node is None or part not in node):
                created = tuple(loc + [key])
        else:
            raise OverrideError(f"{field_path(tuple(loc))} is a value ({node!r}), it has no field '{part}'")
        loc.append(key)
        child = node[key] if isinstance(node, list) or (isinstance(node, dict) and key in node) else None
        if depth == len(parts) - 1:
            holder[key] = value
        elif copying:
            if child is None:
                holder[key] = {}
            holder = holder[key]
        elif isinstance(child, list):
            holder[key] = copy.deepcopy(child)
            holder, copying = holder[key], True
        else:
            holder[key] = {}
            holder = holder[key]
        node = child
    return patch, tuple(loc), created


def _within(problem: str, shown: str) -> bool:
    """A problem at field ``problem`` concerns the field ``shown`` (inside it, or above it)."""
    return (problem == shown or problem.startswith((shown + ".", shown + "["))
            or shown.startswith((problem + ".", problem + "[")))


def _lookup(data: Any, loc: Loc) -> Any:
    for part in loc:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return None
    return data


def _describe(problem: Problem, created: Loc | None, base: dict[str, Any]) -> str:
    """The problem's text; a required field missing under a key the override invented says
    that the key does not exist, and lists the ones that do."""
    if created and problem.message == "required field is missing" and _within(problem.field, field_path(created)):
        parent = _lookup(base, created[:-1])
        names = ", ".join(sorted(map(str, parent))) if isinstance(parent, dict) and parent else "none"
        where = field_path(created[:-1]) or "the scenario"
        return f"{where} has no '{created[-1]}' (it has: {names})"
    return f"{problem.field}: {problem.message}" if problem.field else problem.message


def prepare(path: str | Path, overrides: list[Override] | tuple[Override, ...] = ()) -> Prepared:
    """Load ``path``, apply ``overrides`` in order and validate. A problem of the file itself
    raises :class:`ScenarioError`; a problem an override causes raises :class:`OverrideError`
    naming the override."""
    data, lines = load_scenario_data(path)
    text = json.dumps(data, sort_keys=True, default=str)
    if not overrides:
        return Prepared(validate_data(data, lines, str(path)), text, (), str(path))
    base = copy.deepcopy(data)
    validate_data(base, lines, str(path))      # the file's own problems first, as file:line
    touched: list[tuple[str, str, Loc | None]] = []   # (label, field, created)
    for override in overrides:
        if override.data is None:
            try:
                patch, loc, created = set_patch(data, override.spec)
            except OverrideError as exc:
                raise OverrideError(f"--set {override.spec}: {exc}") from None
            touched.append((f"--set {override.spec}", field_path(loc), created))
        else:
            patch = override.data
            touched += [(f"overlay {override.spec}", str(key), None) for key in patch]
        data = deep_merge(data, patch)
    try:
        scenario = validate_data(data, lines, str(path))
    except ScenarioError as exc:
        messages = []
        for problem in exc.problems:
            owner = next((t for t in reversed(touched) if _within(problem.field, t[1])
                          or (t[2] and _within(problem.field, field_path(t[2])))), None)
            detail = _describe(problem, owner[2] if owner else None, base)
            messages.append(f"{owner[0]}: {detail}" if owner else f"with the overrides applied: {detail}")
        raise OverrideError("\n".join(dict.fromkeys(messages))) from None
    return Prepared(scenario, text, tuple(overrides), str(path))
