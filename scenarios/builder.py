"""What the network generators share: a builder that checks nodes, links and dependencies as
they are added and keeps them in the order they are written, reachability over the links for
the generators' own checks, and the YAML writer (one flow-style item per line, with comment
headings, so that a regenerated file diffs line by line).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import yaml


def flow(value) -> str:
    """``value`` as one line of flow-style YAML."""
    return yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=1_000_000).strip()


def reach(adj: dict[str, list[str]], starts: list[str]) -> set[str]:
    """The nodes joined to ``starts`` by links (breadth-first over ``adj``)."""
    seen = set(starts)
    todo = deque(starts)
    while todo:
        for nb in adj[todo.popleft()]:
            if nb not in seen:
                seen.add(nb)
                todo.append(nb)
    return seen


class NetworkBuilder:
    """Nodes, links and dependencies in the order they are written."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.nodes: list[dict] = []
        self.by_id: dict[str, dict] = {}
        self.groups: dict[str, list[str]] = {}      # kind -> ids, in creation order
        self.links: list[tuple[str, str]] = []
        self.link_set: set[tuple[str, str]] = set()
        self.deps: list[dict] = []
        self.section: dict[int, str] = {}           # index of the first node of a section -> comment

    def mark(self, comment: str) -> None:
        """A comment line before the next node written."""
        self.section[len(self.nodes)] = comment

    # ---- nodes
    def node(self, id: str, sector: str, kind: str, name: str, x: float, y: float, population: float = 0,
             source: bool = False, hardening: float = 0.0, repair: dict | None = None) -> str:
        if id in self.by_id:
            raise ValueError(f"duplicate node id {id}")
        n = {"id": id, "sector": sector, "kind": kind, "name": name, "x": round(float(x), 2), "y": round(float(y), 2)}
        if population:
            n["population"] = int(population)
        if source:
            n["source"] = True
        if hardening:
            n["hardening"] = round(float(hardening), 2)
        if repair:
            n["repair"] = dict(repair)
        self.nodes.append(n)
        self.by_id[id] = n
        self.groups.setdefault(kind, []).append(id)
        return id

    def xy(self, id: str) -> tuple[float, float]:
        n = self.by_id[id]
        return n["x"], n["y"]

    def nearest(self, x: float, y: float, ids: list[str], k: int = 1, exclude: tuple[str, ...] = ()) -> list[str]:
        """The ``k`` of ``ids`` nearest to (x, y); ties go to the earlier one in ``ids``."""
        ranked = sorted((math.hypot(self.by_id[i]["x"] - x, self.by_id[i]["y"] - y), j, i)
                        for j, i in enumerate(ids) if i not in exclude)
        return [i for _, _, i in ranked[:k]]

    def nearest_to(self, id: str, ids: list[str], k: int = 1) -> list[str]:
        x, y = self.xy(id)
        return self.nearest(x, y, ids, k, exclude=(id,))

    # ---- edges
    def link(self, a: str, b: str) -> bool:
        """Link ``a`` and ``b`` (one sector); False when they already are."""
        if a == b:
            raise ValueError(f"self link {a}")
        if self.by_id[a]["sector"] != self.by_id[b]["sector"]:
            raise ValueError(f"cross-sector link {a} - {b}")
        key = (a, b) if a < b else (b, a)
        if key in self.link_set:
            return False
        self.link_set.add(key)
        self.links.append((a, b))
        return True

    def linked(self, a: str, b: str) -> bool:
        return ((a, b) if a < b else (b, a)) in self.link_set

    def dep(self, node: str, resource: str, suppliers: list[str], need: int = 1, buffer: str = "0min",
            kind: str | None = None) -> None:
        if not 1 <= need <= len(suppliers):
            raise ValueError(f"{node}: need {need} of {len(suppliers)} suppliers")
        if node in suppliers or len(set(suppliers)) != len(suppliers):
            raise ValueError(f"{node}: bad suppliers {suppliers}")
        d = {"node": node, "resource": resource}
        if kind:
            d["kind"] = kind
        d.update({"suppliers": list(suppliers), "need": need, "buffer": buffer})
        self.deps.append(d)

    # ---- checks and output
    def adjacency(self, removed: tuple[str, ...] = ()) -> dict[str, list[str]]:
        adj: dict[str, list[str]] = {n["id"]: [] for n in self.nodes if n["id"] not in removed}
        for a, b in self.links:
            if a in adj and b in adj:
                adj[a].append(b)
                adj[b].append(a)
        return adj

    def unfed(self, sectors: tuple[str, ...], removed: tuple[str, ...] = ()) -> list[str]:
        """Nodes of ``sectors`` with no link path to a source of their sector."""
        adj = self.adjacency(removed)
        out = []
        for sector in sectors:
            members = [n["id"] for n in self.nodes if n["sector"] == sector and n["id"] in adj]
            fed = reach(adj, [i for i in members if self.by_id[i].get("source")])
            out += [i for i in members if i not in fed]
        return out

    def dump(self, header: list[str]) -> str:
        """The network file: ``header`` comment lines, then nodes, links and dependencies."""
        lines = [f"# {line}" for line in header] + ["nodes:"]
        for i, n in enumerate(self.nodes):
            if i in self.section:
                lines.append(f"# {self.section[i]}")
            lines.append(f"- {flow(n)}")
        lines.append("links:")
        sector = None
        for a, b in self.links:
            if self.by_id[a]["sector"] != sector:
                sector = self.by_id[a]["sector"]
                lines.append(f"# {sector} links")
            lines.append(f"- {flow([a, b])}")
        lines.append("dependencies:")
        sector = None
        for d in self.deps:
            if self.by_id[d["node"]]["sector"] != sector:
                sector = self.by_id[d["node"]]["sector"]
                lines.append(f"# dependencies of {sector} nodes")
            lines.append(f"- {flow(d)}")
        return "\n".join(lines) + "\n"

    def summary(self) -> str:
        counts: dict[str, int] = {}
        for n in self.nodes:
            counts[n["sector"]] = counts.get(n["sector"], 0) + 1
        return (f"{len(self.nodes)} nodes ({', '.join(f'{s} {c}' for s, c in counts.items())}), "
                f"{len(self.links)} links, {len(self.deps)} dependencies")
