"""YAML (and JSON) read once with the C parser, keeping the line of every field.

The parser composes the document in C; a small constructor then builds plain dicts and lists
and notes, for each container that spans several lines, the line of each of its keys or
items. :class:`Lines` finds the line of a field from these notes by following the field's
path through the data, so no second parse and no walk over the whole document are needed.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import ScalarNode, SequenceNode

from sim.files import unfit_input
from sim.scenario.problems import Loc, Problem, ScenarioError, field_path

__all__ = ["ALIAS_ALLOWANCE", "ALIAS_GROWTH", "Lines", "Where", "parse_yaml", "read_text", "read_yaml"]

# an alias may repeat values, but not grow a document past this many times its size plus an
# allowance ("billion laughs": nine aliases of nine aliases … grow ten lines to 10^9 values)
ALIAS_GROWTH, ALIAS_ALLOWANCE = 10, 1_000_000

Where = tuple[str, int | None]                  # (file as shown, 1-based line or None)
_STR, _SEQ, _MAP = (f"tag:yaml.org,2002:{t}" for t in ("str", "seq", "map"))
_INT, _FLOAT, _MERGE = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:merge"
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers   # first character -> [(tag, regexp)]


class _Spot:
    """Where a container is written and where each of its keys or items is."""

    __slots__ = ("where", "children", "lazy")

    def __init__(self, where: Where, children: dict[Any, Where] | list[Where] | None = None,
                 lazy: tuple[str, Callable[[], "Lines"]] | None = None):
        self.where = where
        self.children = children
        self.lazy = lazy

    def child(self, part: Any) -> Where | None:
        """The line of key or item ``part``; None when not noted."""
        if isinstance(self.children, dict):
            return self.children.get(part)
        if isinstance(self.children, list) and isinstance(part, int) and 0 <= part < len(self.children):
            return self.children[part]
        return None


class Lines:
    """Where each field of some parsed data is written.

    Parameters
    ----------
    root : object
        The data as parsed (kept, and not to be changed in place except by :meth:`graft`).
    file : str
        The file, as shown to the user.
    line : int or None
        The line the document starts on.
    """

    def __init__(self, root: Any, file: str, line: int | None = 1):
        self.root = root
        self.file = file
        self._spots: dict[int, _Spot] = {id(root): _Spot((file, line))}

    def find(self, loc: Loc) -> Where:
        """The file and line of the field at ``loc``, or of its nearest written parent.

        Parameters
        ----------
        loc : tuple of str or int
            The field's path in the data as parsed.

        Returns
        -------
        tuple of (str, int or None)
            The file as shown and the 1-based line (None when the file has no lines).
        """
        node, spot = self.root, self._spots[id(self.root)]
        where = spot.where
        for depth, part in enumerate(loc):
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                break
            found = spot.child(part) if spot is not None else None
            where = found or where
            spot = self._spots.get(id(node))
            if spot is not None and spot.lazy is not None:
                key, parse = spot.lazy
                return parse().find((key,) + loc[depth + 1:])
            if spot is not None and found is None:
                where = spot.where
        return where

    def graft(self, into: dict[Any, Any], content: dict[Any, Any], lines: "Lines") -> None:
        """Note that the keys of ``content`` (parsed with ``lines``) were copied into ``into``.

        Parameters
        ----------
        into : dict
            A mapping of this data that received the keys.
        content : dict
            The other file's top-level mapping.
        lines : Lines
            Where the other file's fields are written.
        """
        self._spots.update(lines._spots)
        spot = self._spots.setdefault(id(into), _Spot(self.find(())))
        if not isinstance(spot.children, dict):
            spot.children = {}
        file_spot = lines._spots[id(content)]
        for key in content:
            spot.children[key] = file_spot.child(key) or file_spot.where

    def defer(self, container: Any, key: str, parse: Callable[[], "Lines"]) -> None:
        """Find the lines inside ``container`` only when asked, by ``parse`` (an error path).

        Parameters
        ----------
        container : dict or list
            The value of ``key`` in a file read without lines (JSON, by a JSON parser).
        key : str
            Its key in that file's top-level mapping.
        parse : callable
            Parses that file again, noting lines; called once, when a line is first asked for.
        """
        cache: list[Lines] = []

        def once() -> Lines:
            if not cache:
                cache.append(parse())
            return cache[0]

        self._spots[id(container)] = _Spot((self.file, None), lazy=(key, once))


class _LineLoader(yaml.CSafeLoader):
    """The C-parsed safe loader, building plain data and noting lines as it goes."""

    def __init__(self, text: str, file: str):
        super().__init__(text)
        self.file = file
        self.lines: Lines | None = None
        self.duplicates: list[tuple[int, Any, int]] = []   # (container id, key, line)
        self._memo: dict[int, Any] = {}
        self._pending: dict[int, _Spot] = {}
        self._built = 0                      # values built from the text
        self._expanded = 0                   # values an alias repeats (an alias bomb's growth)
        self._sizes: dict[int, int] = {}     # values in each container built, aliases expanded

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """No path resolvers are registered: nothing to track (called for every node)."""

    def ascend_resolver(self) -> None:
        """See :meth:`descend_resolver`."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """The tag of a node: the safe loader's implicit resolvers, looked up without detours."""
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1] if value else "", ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP

    def construct_document(self, node: yaml.Node) -> Any:
        data = self._build(node)
        self.lines = Lines(data, self.file, node.start_mark.line + 1)
        self.lines._spots.update(self._pending)
        self.constructed_objects, self.recursive_objects, self.state_generators = {}, {}, []
        return data

    def _build(self, node: yaml.Node) -> Any:
        tag = node.tag
        self._built += 1
        if node.__class__ is ScalarNode:
            value = node.value
            if tag == _STR:
                return value
            if tag == _FLOAT and value[-1:].isdigit() and "_" not in value and ":" not in value:
                return float(value)
            if tag == _INT and value.isdigit() and (value[0] != "0" or value == "0"):
                return int(value)
        if node.__class__ is ScalarNode or tag not in (_SEQ, _MAP):
            return self.construct_object(node, deep=True)
        done = self._memo.get(id(node))
        if done is not None:
            self._expanded += self._sizes.get(id(node), 1)
            if self._expanded > ALIAS_GROWTH * self._built + ALIAS_ALLOWANCE:
                raise ScenarioError([Problem(self.file, node.start_mark.line + 1, "",
                                             f"aliases repeat more than {self._expanded:,} values of a document of "
                                             f"{self._built:,} (an alias bomb?); write the values out instead")])
            return done
        start = self._built + self._expanded
        try:
            return self._build_container(node, tag)
        finally:
            self._sizes[id(node)] = self._built + self._expanded - start

    def _build_container(self, node: yaml.Node, tag: str) -> Any:
        file, multi = self.file, node.start_mark.line != node.end_mark.line
        if tag == _SEQ:
            items: list[Any] = []
            self._memo[id(node)] = items
            items.extend([self._build(item) for item in node.value])
            if multi:
                self._pending[id(items)] = _Spot((file, node.start_mark.line + 1),
                                                 [(file, item.start_mark.line + 1) for item in node.value])
            return items
        if any(key.tag == _MERGE for key, _ in node.value):
            return self.construct_object(node, deep=True)
        mapping: dict[Any, Any] = {}
        self._memo[id(node)] = mapping
        keys: dict[Any, Where] = {}
        for key_node, value_node in node.value:
            key = self._build(key_node)
            try:
                hash(key)
            except TypeError:
                raise yaml.constructor.ConstructorError("while constructing a mapping", node.start_mark,
                                                        "found unhashable key", key_node.start_mark) from None
            if key in mapping:
                self.duplicates.append((id(mapping), key, key_node.start_mark.line + 1))
            mapping[key] = self._build(value_node)
            if multi:
                keys[key] = (file, key_node.start_mark.line + 1)
        if multi:
            self._pending[id(mapping)] = _Spot((file, node.start_mark.line + 1), keys)
        return mapping


def _path_to(data: Any, target: int, loc: Loc = ()) -> Loc | None:
    """The path of the container whose id is ``target`` (only on the error path)."""
    if id(data) == target:
        return loc
    children = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in children:
        if isinstance(value, (dict, list)):
            found = _path_to(value, target, loc + (key,))
            if found is not None:
                return found
    return None


def parse_yaml(text: str, file: str) -> tuple[Any, Lines]:
    """Parse YAML (or JSON, a subset of it) once and note where each field is written.

    Parameters
    ----------
    text : str
        The document.
    file : str
        The file, as shown in problems.

    Returns
    -------
    data : object
        Plain dicts, lists and scalars, as ``yaml.safe_load`` gives them.
    lines : Lines
        Where each field is written.

    Raises
    ------
    ScenarioError
        On a YAML syntax error, an empty document or a duplicate key.
    """
    loader = _LineLoader(text, file)
    collecting = gc.isenabled()
    gc.disable()          # many small containers: the cyclic collector would rescan them all
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        raise ScenarioError([Problem(file, line, "", f"YAML syntax error: {exc.problem}")]) from None
    finally:
        loader.dispose()
        if collecting:
            gc.enable()
    if loader.lines is None:
        raise ScenarioError([Problem(file, None, "", "file is empty; expected a mapping of scenario fields")])
    if loader.duplicates:
        raise ScenarioError([Problem(file, line, field_path((_path_to(data, owner) or ()) + (key,)), "duplicate key")
                             for owner, key, line in loader.duplicates])
    return data, loader.lines


def read_text(path: Path, file: str) -> str:
    """A file's text, or a located problem when it is missing, not a regular file, too big,
    unreadable or not UTF-8.

    Only regular files are opened: a directory, FIFO or device is named as what it is (a
    FIFO would block, ``/dev/zero`` would never end).

    Parameters
    ----------
    path : pathlib.Path
        The file.
    file : str
        The file, as shown in problems.

    Returns
    -------
    str

    Raises
    ------
    ScenarioError
        When the file is missing, not a regular file or too big (:func:`sim.files.unfit_input`),
        unreadable or not UTF-8 (with the line of the first bad byte).
    """
    if (unfit := unfit_input(path)) is not None:
        raise ScenarioError([Problem(file, None, "", unfit)])
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(file, None, "", "file not found")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(file, None, "", f"cannot read: {exc.strerror or exc}")]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScenarioError([Problem(file, line, "", f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file "
                                     "as UTF-8")]) from None


def read_yaml(path: Path, file: str) -> tuple[Any, Lines]:
    """Read and parse a YAML (or JSON) file once, noting where each field is written.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    file : str
        The file, as shown in problems.

    Returns
    -------
    data : object
    lines : Lines

    Raises
    ------
    ScenarioError
        As :func:`read_text` and :func:`parse_yaml`.
    """
    return parse_yaml(read_text(path, file), file)
