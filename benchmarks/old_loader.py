"""The scenario loading path as it was before issue 12, frozen: the "before" of the front-door
benchmark (``bench_frontdoor.py``), kept the way ``naive.py`` keeps the naive kernel.

What it does, as ``sim.scenario.load_scenario`` + ``Network.from_scenario`` did then:

- a YAML or JSON file is parsed twice by PyYAML's pure-Python loader: ``yaml.compose`` for the
  line of every key and item, then ``yaml.safe_load`` for the data; a network file
  (``network.file``) likewise, or GraphML through ``networkx.read_graphml`` into lists of
  dicts;
- pydantic validates the whole scenario, one model per node and per dependency;
- the cross-reference checks walk those models one by one in Python;
- the network's arrays are built from the models node by node.

Only what those steps need is copied (no located error messages: an invalid file raises).
The current code is not imported for the network part, so the benchmark keeps measuring the
old path however the new one changes. The parts of the schema the network does not touch
(clock, sectors, attackers, responders, ...) are the current ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import networkx as nx
import numpy as np
import yaml
from pydantic import Field

from agents.tactics import TACTICS
from sim.network import RESOURCES, Network
from sim.scenario.schema import (DependencyKind, Duration, Fraction, Resource, Scenario, Sector, Strict,
                                 TargetRule, TimeDistribution)

__all__ = ["load", "load_scenario", "network_from_scenario"]

Loc = tuple[str | int, ...]
Lines = dict[Loc, int]


# ------------------------------------------------------------------ schema (network part)
class Node(Strict):
    id: str = Field(min_length=1)
    sector: str = Field(min_length=1)
    kind: str = ""
    name: str = ""
    x: float
    y: float
    population: float = Field(0.0, ge=0)
    source: bool = False
    hardening: Fraction = 0.0
    repair: TimeDistribution | None = None


class Dependency(Strict):
    node: str
    resource: Resource
    kind: DependencyKind | None = None
    suppliers: list[str] = Field(min_length=1)
    need: int = Field(1, ge=1)
    buffer: Duration = 0.0


class NetworkData(Strict):
    file: str | None = None
    coordinates: Literal["km", "lonlat"] = "km"
    nodes: list[Node] = Field(default_factory=list)
    links: list[tuple[str, str]] = Field(default_factory=list)
    dependencies: list[Dependency] = Field(default_factory=list)


class OldScenario(Scenario):
    """Today's scenario with the network validated as it was: a pydantic model per node."""

    network: NetworkData


# ------------------------------------------------------------------------------- reading
def _read_yaml(path: Path) -> tuple[Any, Lines]:
    """Parse twice with the pure-Python loader: once for line numbers, once for the data."""
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    data = yaml.safe_load(text)
    lines: Lines = {}

    def walk(node: yaml.Node, loc: Loc) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    raise ValueError(f"{path}:{key_node.start_mark.line + 1}: duplicate key")
                seen.add(key)
                lines[loc + (key,)] = key_node.start_mark.line + 1
                walk(value_node, loc + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                lines[loc + (i,)] = item.start_mark.line + 1
                walk(item, loc + (i,))

    lines[()] = root.start_mark.line + 1
    walk(root, ())
    return data, lines


def _read_graphml(path: Path) -> dict[str, Any]:
    """GraphML: node attributes are node fields; an edge with a ``resource`` attribute is a
    dependency of its target on its source, grouped per (target, resource); others are links."""
    graph = nx.read_graphml(path)
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


def _load_data(path: Path) -> dict[str, Any]:
    """The scenario and its network file as plain data (line numbers read and kept)."""
    data, lines = _read_yaml(path)
    network = data["network"]
    if isinstance(network.get("file"), str):
        file = path.parent / network.pop("file")
        if file.suffix.lower() == ".graphml":
            content, file_lines = _read_graphml(file), {}
        else:
            content, file_lines = _read_yaml(file)
        network.update(content)
        lines.update({("network",) + loc: line for loc, line in file_lines.items()})
    return data


# ---------------------------------------------------------------------------- validation
def _check_references(s: OldScenario) -> list[tuple[Loc, str]]:
    """The cross-reference checks as they were: a Python loop over the models."""
    out: list[tuple[Loc, str]] = []
    nodes = s.network.nodes
    ids = {n.id for n in nodes}
    sector_of = {n.id: n.sector for n in nodes}
    sectors = {n.sector for n in nodes}

    def node(loc: Loc, node_id: str) -> bool:
        if node_id not in ids:
            out.append((loc, f"no node '{node_id}'"))
            return False
        return True

    first_seen: dict[str, int] = {}
    for i, n in enumerate(nodes):
        if n.id in first_seen:
            out.append((("network", "nodes", i, "id"), f"duplicate node id '{n.id}'"))
        first_seen.setdefault(n.id, i)
    for i, (a, b) in enumerate(s.network.links):
        ok_a, ok_b = node(("network", "links", i, 0), a), node(("network", "links", i, 1), b)
        if ok_a and ok_b and sector_of[a] != sector_of[b]:
            out.append((("network", "links", i), "links join nodes of one sector"))
        if a == b:
            out.append((("network", "links", i), f"a link from '{a}' to itself"))
    for i, d in enumerate(s.network.dependencies):
        loc = ("network", "dependencies", i)
        node(loc + ("node",), d.node)
        for j, supplier in enumerate(d.suppliers):
            node(loc + ("suppliers", j), supplier)
        if len(set(d.suppliers)) != len(d.suppliers):
            out.append((loc + ("suppliers",), "a supplier is listed twice"))
        if d.need > len(d.suppliers):
            out.append((loc + ("need",), "need exceeds the suppliers listed"))
        if d.node in d.suppliers:
            out.append((loc + ("suppliers",), f"'{d.node}' cannot supply itself"))
    for name, sector in s.sectors.items():
        if name not in sectors:
            out.append((("sectors", name), f"no node is in sector '{name}'"))
        elif sector.connectivity == "sources" and not any(n.source for n in nodes if n.sector == name):
            out.append((("sectors", name, "connectivity"), "'sources' but no source node"))
    for a, attacker in enumerate(s.attackers):
        for k, action in enumerate(attacker.plan):
            loc = ("attackers", a, "plan", k)
            if isinstance(action.target, TargetRule):
                if action.target.sector is not None and action.target.sector not in sectors:
                    out.append((loc + ("target", "sector"), f"no sector '{action.target.sector}'"))
            else:
                node(loc + ("target",), action.target)
            for key in action.params:
                if key not in TACTICS[action.tactic].parameter_names():
                    out.append((loc + ("params", key), f"{action.tactic} has no parameter '{key}'"))
    for name, team in s.responders.items():
        if isinstance(team.base, str):
            node(("responders", name, "base"), team.base)
        for j, sector_name in enumerate(team.sectors):
            if sector_name not in sectors:
                out.append((("responders", name, "sectors", j), f"no sector '{sector_name}'"))
    return out


def load_scenario(path: str | Path) -> OldScenario:
    """Read and validate a scenario file the old way.

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario file (YAML or JSON); its ``network.file`` YAML, JSON or GraphML.

    Returns
    -------
    OldScenario
        The validated scenario, a pydantic model per node and dependency.

    Raises
    ------
    ValueError
        When a cross-reference is broken (pydantic's ValidationError for the schema).
    """
    scenario = OldScenario.model_validate(_load_data(Path(path)))
    problems = _check_references(scenario)
    if problems:
        raise ValueError("; ".join(f"{loc}: {msg}" for loc, msg in problems[:10]))
    return scenario


# ------------------------------------------------------------------------ network build
def network_from_scenario(s: OldScenario) -> Network:
    """The kernel's arrays, built from the models node by node (``Network.from_scenario`` as
    it was).

    Parameters
    ----------
    s : OldScenario
        A validated scenario.

    Returns
    -------
    Network
        Sectors coded in alphabetical order, buffers in seconds (as the network keeps them now).
    """
    nodes = s.network.nodes
    index = {node.id: i for i, node in enumerate(nodes)}
    sector_names = sorted({node.sector for node in nodes})
    code = {name: i for i, name in enumerate(sector_names)}
    sector = np.array([code[node.sector] for node in nodes], dtype=np.int16)
    has_links = {nodes[index[a]].sector for a, _ in s.network.links}
    has_source = {node.sector for node in nodes if node.source}
    rules = []
    for name in sector_names:
        declared = s.sectors[name].connectivity if name in s.sectors else None
        rules.append(declared or ("sources" if name in has_source else "giant_component" if name in has_links else "none"))
    deps = s.network.dependencies
    groups = [g for g, d in enumerate(deps) for _ in d.suppliers]
    suppliers = [index[x] for d in deps for x in d.suppliers]
    net = Network.from_arrays(
        sector=sector,
        sector_names=sector_names,
        rules=rules,
        links=np.array([[index[a], index[b]] for a, b in s.network.links], dtype=np.int64),
        dep_node=np.array([index[d.node] for d in deps], dtype=np.int64),
        dep_need=np.array([d.need for d in deps], dtype=np.float64),
        dep_buffer=np.array([d.buffer for d in deps], dtype=np.float64),
        supplier_group=np.array(groups, dtype=np.int64),
        supplier_node=np.array(suppliers, dtype=np.int64),
        ids=[node.id for node in nodes],
        xy=np.array([[node.x, node.y] for node in nodes], dtype=float).reshape(-1, 2),
        population=np.array([node.population for node in nodes], dtype=float),
        source=np.array([node.source for node in nodes], dtype=bool),
        dep_resource=np.array([RESOURCES.index(d.resource) for d in deps], dtype=np.int8),
        dep_cyber=np.array([(d.kind or ("cyber" if d.resource == "control" else "physical")) == "cyber" for d in deps], bool),
    )
    net.kind = [node.kind for node in nodes]
    net.names = [node.name or node.id for node in nodes]
    net.hardening = np.array([node.hardening for node in nodes], dtype=float)
    repair = [node.repair or s.sectors.get(node.sector, Sector()).repair for node in nodes]
    net.repair_median = np.array([r.median for r in repair], dtype=float)
    net.repair_p90 = np.array([r.p90 for r in repair], dtype=float)
    net.outage_damage = np.array([s.sectors[name].outage_damage if name in s.sectors else 0.0
                                  for name in net.sector_names])[net.sector]
    return net


def load(path: str | Path) -> tuple[OldScenario, Network]:
    """Scenario file to the kernel's arrays, the old way.

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario file.

    Returns
    -------
    scenario : OldScenario
    network : Network
    """
    scenario = load_scenario(path)
    return scenario, network_from_scenario(scenario)
