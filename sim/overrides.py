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
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from sim.scenario import Problem, Scenario, ScenarioError, deep_merge, load_scenario_data, validate_data
from sim.scenario.loader import Lines, Loc, canonical_text, field_path

__all__ = ["MAX_SWEEP_VARIANTS", "NAME", "Override", "OverrideError", "Prepared", "ScenarioFile", "Variant",
           "parse_overlay", "parse_set", "parse_sweep", "parse_sweeps", "parse_variant", "prepare", "set_patch",
           "split_path", "yaml_value"]

NAME = re.compile(r"^[A-Za-z0-9_.,=+-]+$")      # a variant's name: safe as a folder name
MAX_SWEEP_VARIANTS = 256        # the combinations several --sweep may make: each is a batch of its own
MAX_NAME = 200                  # the longest variant name: a folder name, within the usual 255-byte limit


class OverrideError(ValueError):
    """A bad ``--set``, overlay or variant; the message names it."""


@dataclass(frozen=True)
class Override:
    """One ``--set`` or one overlay file.

    Attributes
    ----------
    spec : str
        ``path=value`` for a ``--set``; the file's path for an overlay.
    data : dict or None
        The overlay's content (a partial scenario); None for a ``--set``.
    """

    spec: str
    data: dict[str, Any] | None = None

    def record(self) -> dict[str, Any]:
        """What a manifest keeps: the ``--set`` text, or the overlay's name and content.

        Returns
        -------
        dict
            ``{"set": spec}`` or ``{"overlay": spec, "data": data}``.

        Examples
        --------
        >>> Override("policies.information_sharing=0.9").record()
        {'set': 'policies.information_sharing=0.9'}
        """
        return {"set": self.spec} if self.data is None else {"overlay": self.spec, "data": self.data}


@dataclass(frozen=True)
class Variant:
    """One arm of a comparison: a name and the overrides that make it.

    Attributes
    ----------
    name : str
        The arm's name (letters, digits and ``_ . , = + -``), also its folder's.
    overrides : tuple of Override
        Applied in order.
    """

    name: str
    overrides: tuple[Override, ...] = ()


@dataclass(frozen=True)
class Prepared:
    """A validated scenario with its provenance.

    Attributes
    ----------
    scenario : Scenario
        The validated scenario, overrides applied.
    text : str
        The scenario file's data (network file included, overrides not) as canonical JSON.
    overrides : tuple of Override
        The overrides applied, in order.
    source : str
        The scenario file's path as given.
    """

    scenario: Scenario
    text: str
    overrides: tuple[Override, ...] = ()
    source: str = ""

    @property
    def sha256(self) -> str:
        """The SHA-256 of ``text``, in hex: identifies the scenario file's content."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @property
    def records(self) -> list[dict[str, Any]]:
        """The overrides as a manifest keeps them (:meth:`Override.record`), in order."""
        return [o.record() for o in self.overrides]

    @property
    def key(self) -> str:
        """The SHA-256 of ``text`` and the overrides, in hex: identifies the scenario run
        (two arms of one file differ in it; :attr:`sha256` does not)."""
        records = json.dumps(self.records, sort_keys=True, default=str)
        return hashlib.sha256(f"{self.sha256}\n{records}".encode()).hexdigest()


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario file read and validated once, for every variant prepared from it.

    Attributes
    ----------
    path : str
        The file's path as given.
    data : dict
        The file's data, network file included (never changed: overrides merge into copies).
    lines : Lines
        The file and line of every key and list item.
    text : str
        ``data`` as canonical JSON (keys sorted, non-JSON values as strings).
    scenario : Scenario
        ``data`` validated, no override applied.
    """

    path: str
    data: dict[str, Any]
    lines: Lines
    text: str
    scenario: Scenario

    @classmethod
    def read(cls, path: str | Path) -> "ScenarioFile":
        """Read a scenario file (and its network file) and validate it.

        Parameters
        ----------
        path : str or pathlib.Path
            The scenario file.

        Returns
        -------
        ScenarioFile

        Raises
        ------
        ScenarioError
            For every problem of the file, as ``file:line: field: message``.
        """
        data, lines = load_scenario_data(path)
        return cls(str(path), data, lines, canonical_text(data), validate_data(data, lines, str(path)))

    @property
    def sha256(self) -> str:
        """sha256 of :attr:`text`, 64 hex digits: the file's identity in manifests and logs."""
        return hashlib.sha256(self.text.encode()).hexdigest()


# ------------------------------------------------------------------ parsing
def yaml_value(text: str) -> Any:
    """A value as YAML reads it.

    Parameters
    ----------
    text : str
        A YAML scalar or flow collection; blank text is the empty string.

    Returns
    -------
    object
        ``0.9`` → float, ``true`` → bool, ``12h`` → str, ``[a, b]`` → list.

    Raises
    ------
    OverrideError
        When ``text`` is not valid YAML.

    Examples
    --------
    >>> yaml_value("0.9"), yaml_value("true"), yaml_value("12h"), yaml_value("[a, b]")
    (0.9, True, '12h', ['a', 'b'])
    """
    try:
        return yaml.safe_load(text) if text.strip() else ""
    except yaml.YAMLError as exc:
        raise OverrideError(f"'{text}' is not a valid YAML value: {getattr(exc, 'problem', exc)}") from None


def split_path(path: str) -> list[str]:
    """The segments of a dotted field path.

    Parameters
    ----------
    path : str
        E.g. ``attackers.0.plan``; integer segments index lists.

    Returns
    -------
    list of str
        The segments, as strings.

    Raises
    ------
    OverrideError
        When ``path`` is empty or has an empty segment.

    Examples
    --------
    >>> split_path("attackers.0.plan")
    ['attackers', '0', 'plan']
    """
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise OverrideError(f"'{path}' is not a dotted field path such as policies.information_sharing")
    return parts


def parse_set(spec: str) -> Override:
    """An override from ``--set path=value``, checked for shape (against the scenario later).

    Parameters
    ----------
    spec : str
        ``path=value``, e.g. ``policies.information_sharing=0.9``.

    Returns
    -------
    Override
        With ``spec`` stripped of surrounding blanks.

    Raises
    ------
    OverrideError
        When there is no ``=`` or the path is not a dotted field path.

    Examples
    --------
    >>> parse_set("policies.information_sharing=0.9")
    Override(spec='policies.information_sharing=0.9', data=None)
    """
    path, eq, _ = spec.partition("=")
    if not eq:
        raise OverrideError(f"--set {spec}: expected path=value, e.g. policies.information_sharing=0.9")
    split_path(path.strip())
    return Override(spec.strip())


def parse_overlay(file: str | Path) -> Override:
    """An override from an overlay file: a partial scenario to merge onto the scenario.

    Parameters
    ----------
    file : str or pathlib.Path
        A YAML (or JSON) file holding a mapping of scenario fields.

    Returns
    -------
    Override
        With the file's path as ``spec`` and its content as ``data``.

    Raises
    ------
    OverrideError
        When the file is missing, unreadable, not YAML, or not a mapping.
    """
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
    """A variant from ``--variant NAME=overlay.yaml`` or ``NAME=path=value;path=value``.

    Parameters
    ----------
    text : str
        The option's value. The part after the first ``=`` is an overlay file when it
        names an existing file or ends in ``.yaml``, ``.yml`` or ``.json`` without an
        ``=``; else ``;``-separated ``--set`` specs.

    Returns
    -------
    Variant

    Raises
    ------
    OverrideError
        When the name or the value is missing or malformed, or an overlay cannot be read.

    Examples
    --------
    >>> v = parse_variant("more=responders.crews.count=8;policies.information_sharing=0.9")
    >>> v.name, [o.spec for o in v.overrides]
    ('more', ['responders.crews.count=8', 'policies.information_sharing=0.9'])
    """
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
    """One variant per value from ``--sweep path=v1,v2,v3``.

    Parameters
    ----------
    text : str
        ``path=v1,v2,...``; the values are read as a YAML flow list, so ``[a, b]`` stays
        one value.

    Returns
    -------
    list of Variant
        One per value, named ``path=value`` (characters unsafe in a folder name become
        ``_``), each with the one override ``path=value``.

    Raises
    ------
    OverrideError
        When the path is malformed, fewer than two values are given, or two values give
        the same name.

    Examples
    --------
    >>> [v.name for v in parse_sweep("responders.crews.count=2,4")]
    ['responders.crews.count=2', 'responders.crews.count=4']
    """
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


def parse_sweeps(texts: list[str]) -> list[Variant]:
    """The variants of one or several ``--sweep``: every combination of their values (a full
    factorial design), the first sweep varying slowest.

    Parameters
    ----------
    texts : list of str
        Each ``path=v1,v2,...`` (:func:`parse_sweep`); two sweeps may not name the same path.

    Returns
    -------
    list of Variant
        One per combination, named by its values joined with ``,`` (``a=1,b=x``) and holding
        their overrides in the sweeps' order. One sweep gives :func:`parse_sweep`'s variants.

    Raises
    ------
    OverrideError
        When a sweep is malformed, a path is swept twice, the combinations exceed
        :data:`MAX_SWEEP_VARIANTS`, or a combination's name is too long for a folder.

    Examples
    --------
    >>> [v.name for v in parse_sweeps(["a.b=1,2", "c=x,y,z"])]
    ['a.b=1,c=x', 'a.b=1,c=y', 'a.b=1,c=z', 'a.b=2,c=x', 'a.b=2,c=y', 'a.b=2,c=z']
    """
    paths = [text.partition("=")[0].strip() for text in texts]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    if twice:
        raise OverrideError(f"--sweep {twice[0]} is given more than once: give all its values in one --sweep")
    factors = [parse_sweep(text) for text in texts]
    count = 1
    for factor in factors:
        count *= len(factor)
    if count > MAX_SWEEP_VARIANTS:
        sizes = " × ".join(str(len(f)) for f in factors)
        raise OverrideError(f"--sweep: {sizes} = {count:,} combinations, more than the {MAX_SWEEP_VARIANTS} a "
                            "comparison runs (each is a batch); sweep fewer values or fields")
    variants = [Variant(",".join(v.name for v in combination), tuple(o for v in combination for o in v.overrides))
                for combination in itertools.product(*factors)]
    long = next((v.name for v in variants if len(v.name) > MAX_NAME), None)
    if long:
        raise OverrideError(f"--sweep: the combination name {long[:60]}… is longer than {MAX_NAME} characters, "
                            "too long for a folder name; sweep fewer fields or shorter values")
    return variants


# ----------------------------------------------------------------- applying
def _index(node: list[Any], part: str, shown: str) -> int:
    """The list index that path segment ``part`` names in ``node`` (shown as ``shown``)."""
    try:
        i = int(part)
    except ValueError:
        raise OverrideError(f"{shown} is a list; index it with a number 0..{len(node) - 1}, not '{part}'") from None
    if not 0 <= i < len(node):
        raise OverrideError(f"{shown} has {len(node)} item(s); index {i} is out of range")
    return i


def set_patch(data: dict[str, Any], spec: str) -> tuple[dict[str, Any], Loc, Loc | None]:
    """The patch that sets ``path=value`` on ``data``.

    Parameters
    ----------
    data : dict
        The scenario's data (not changed).
    spec : str
        ``path=value``; integer segments index lists.

    Returns
    -------
    patch : dict
        A partial scenario for :func:`sim.scenario.deep_merge`. A list on the way is copied
        whole into it, since lists merge by replacement.
    loc : tuple of str or int
        The path, with ints for list indexes.
    created : tuple of str or int, or None
        The path of the first key ``data`` did not have; None when all existed.

    Raises
    ------
    OverrideError
        When the path is malformed, indexes a list with a non-number or out of range,
        or goes through a plain value.

    Examples
    --------
    >>> patch, loc, created = set_patch({"policies": {}}, "policies.load_alpha=0.5")
    >>> patch, loc, created
    ({'policies': {'load_alpha': 0.5}}, ('policies', 'load_alpha'), ('policies', 'load_alpha'))
    """
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
    """The value at ``loc`` in ``data``; None when the path does not exist."""
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


def prepare(path: str | Path | ScenarioFile, overrides: list[Override] | tuple[Override, ...] = ()) -> Prepared:
    """Load a scenario file (unless already read), apply overrides in order and validate.

    Parameters
    ----------
    path : str, pathlib.Path or ScenarioFile
        The scenario file, or the file already read (:meth:`ScenarioFile.read`), which
        several calls can share.
    overrides : sequence of Override, optional
        Applied in order, each onto the result of the ones before.

    Returns
    -------
    Prepared
        The scenario with its canonical text and the overrides.

    Raises
    ------
    ScenarioError
        For a problem of the file itself, as ``file:line: field: message``.
    OverrideError
        For a problem an override causes, naming the override (``--set ...`` or
        ``overlay ...``).
    """
    source = path if isinstance(path, ScenarioFile) else ScenarioFile.read(path)   # the file's own problems first
    if not overrides:
        return Prepared(source.scenario, source.text, (), source.path)
    base = data = source.data
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
        scenario = validate_data(data, source.lines, source.path)
    except ScenarioError as exc:
        messages = []
        for problem in exc.problems:
            owner = next((t for t in reversed(touched) if _within(problem.field, t[1])
                          or (t[2] and _within(problem.field, field_path(t[2])))), None)
            detail = _describe(problem, owner[2] if owner else None, base)
            messages.append(f"{owner[0]}: {detail}" if owner else f"with the overrides applied: {detail}")
        raise OverrideError("\n".join(dict.fromkeys(messages))) from None
    return Prepared(scenario, source.text, tuple(overrides), source.path)
