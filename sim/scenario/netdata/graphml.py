"""GraphML networks: node attributes are node fields; edges are links or dependencies.

An edge with a ``resource`` attribute is a dependency of its target on its source; edges of
one dependency share a ``group`` number (or, without one, a target and a resource). Other
edges are links, with optional ``id``, ``kind`` and ``open`` attributes (others are not
read). A node's repair time is two attributes, ``repair_median`` and ``repair_p90``; a
node's or link's ``attrs`` mapping is one attribute of JSON text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx

__all__ = ["graphml_records", "write_graphml"]

_LINK_FIELDS = ("id", "kind", "open", "attrs")


def graphml_records(path: Path) -> dict[str, Any]:
    """A GraphML file as network records (the shape YAML and JSON files write).

    Parameters
    ----------
    path : pathlib.Path
        The file.

    Returns
    -------
    dict
        ``nodes``, ``links`` and ``dependencies`` records, links in the order of their
        integer edge ids (as :func:`write_graphml` numbers them; else as networkx lists them),
        dependencies in ``group`` order when the edges carry it.

    Raises
    ------
    FileNotFoundError
        When the file is missing.
    Exception
        The parser's, when the file is not GraphML.
    """
    graph = nx.read_graphml(path, force_multigraph=True)     # else edge XML ids become "id" attributes
    nodes = []
    for node_id, attrs in graph.nodes(data=True):
        node = {"id": str(node_id), **attrs}
        if isinstance(node.get("attrs"), str):
            node["attrs"] = _mapping(node["attrs"])
        if "repair_median" in node or "repair_p90" in node:
            node["repair"] = {key: node.pop(f"repair_{key}") for key in ("median", "p90") if f"repair_{key}" in node}
        nodes.append(node)
    links, groups = [], {}
    edges = list(graph.edges(keys=True, data=True))
    if all(type(key) is int for _, _, key, _ in edges):    # written by write_graphml: keys number the edges
        edges.sort(key=lambda edge: edge[2])
    for a, b, _, attrs in edges:
        if "resource" not in attrs:
            fields = {key: attrs[key] for key in _LINK_FIELDS if key in attrs}    # other edge attributes: not read
            if isinstance(fields.get("attrs"), str):
                fields["attrs"] = _mapping(fields["attrs"])
            links.append({"a": str(a), "b": str(b), **fields} if fields else [str(a), str(b)])
            continue
        key = attrs.get("group", (str(b), attrs["resource"]))
        group = groups.setdefault(key, {"node": str(b), "resource": attrs["resource"], "suppliers": []})
        group["suppliers"].append(str(a))
        for field in ("need", "buffer", "refill", "kind"):
            if field in attrs:
                group[field] = attrs[field]
    ordered = sorted(groups) if all(isinstance(k, int) for k in groups) else list(groups)
    records = {"nodes": nodes, "links": links, "dependencies": [groups[k] for k in ordered]}
    for key in ("coordinates", "crs"):
        if key in graph.graph:
            records[key] = graph.graph[key]
    return records


def _mapping(text: str) -> Any:
    """An ``attrs`` attribute's JSON text as a mapping (the text itself when it is not JSON,
    for the checks to report)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def write_graphml(records: dict[str, Any], path: Path) -> None:
    """Write a network as GraphML that :func:`graphml_records` reads back.

    Parameters
    ----------
    records : dict
        The network's records (:meth:`sim.scenario.netdata.tables.NetworkTables.records`).
    path : pathlib.Path
        The file.
    """
    graph = nx.MultiDiGraph(**{key: records[key] for key in ("coordinates", "crs") if key in records})
    for node in records["nodes"]:
        attrs = {k: v for k, v in node.items() if k not in ("id", "repair")}
        if "repair" in node:
            attrs["repair_median"], attrs["repair_p90"] = node["repair"]["median"], node["repair"]["p90"]
        if "attrs" in node:
            attrs["attrs"] = json.dumps(node["attrs"])
        graph.add_node(node["id"], **attrs)
    for key, link in enumerate(records["links"]):     # edge ids number the links: file order on reading
        if isinstance(link, dict):
            attrs = {k: v for k, v in link.items() if k not in ("a", "b")}
            if "attrs" in link:
                attrs["attrs"] = json.dumps(link["attrs"])
            graph.add_edge(link["a"], link["b"], key=key, **attrs)
        else:
            graph.add_edge(*link, key=key)
    key = len(records["links"])
    for g, dep in enumerate(records["dependencies"]):
        attrs = {k: v for k, v in dep.items() if k not in ("node", "suppliers")}
        for supplier in dep["suppliers"]:
            graph.add_edge(supplier, dep["node"], key=key, group=g, **attrs)
            key += 1
    nx.write_graphml(graph, path)
