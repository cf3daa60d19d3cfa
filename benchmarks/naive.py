"""The cascade rules of :mod:`sim.cascade`, written the way a Mesa tutorial would.

Every node is a ``mesa.Agent`` holding Python lists of its link neighbours and of its
dependency groups. One round is: the model walks each sector network breadth-first from its
working sources (or finds its largest component of working nodes), then
``model.agents.do("step")`` lets every node count its working suppliers and
``model.agents.do("advance")`` applies the losses together, the staged activation of Mesa's
tutorials. Rounds repeat until nothing changes. It is the baseline the benchmarks compare the
vectorised kernel against, and the reference the kernel's results are checked against.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import mesa
import numpy as np

from sim.network import GIANT, ISOLATED, OWN_CAUSES, SOURCES, UNSUPPLIED, Network


@dataclass
class Group:
    """A dependency: at least ``need`` of ``suppliers`` must work (a supplier may count twice)."""

    suppliers: list["NaiveNode"]
    need: float
    buffer_left: int = 0
    failed: bool = False


class NaiveNode(mesa.Agent):
    """One infrastructure node that checks its own suppliers each round."""

    def __init__(self, model: "NaiveCascade", index: int, sector: int, source: bool):
        super().__init__(model)
        self.index = index
        self.sector = sector
        self.source = source
        self.own = 0
        self.working = True
        self.neighbours: list[NaiveNode] = []
        self.groups: list[Group] = []
        self.cut = False
        self.unsupplied = False
        self.losing = False

    def step(self) -> None:
        """Count working suppliers per group; a spent, failed group leaves the node unsupplied."""
        for group in self.groups:
            working = 0
            for supplier in group.suppliers:
                if supplier.working:
                    working += 1
            group.failed = working < group.need
            if group.failed and group.buffer_left <= 0:
                self.unsupplied = True
        self.losing = self.working and self.unsupplied

    def advance(self) -> None:
        if self.losing:
            self.working = False

    @property
    def on_backup(self) -> bool:
        return self.working and any(g.failed and g.buffer_left > 0 for g in self.groups)

    @property
    def state(self) -> int:
        return self.own | (ISOLATED if self.cut else 0) | (UNSUPPLIED if self.unsupplied else 0)


class NaiveCascade(mesa.Model):
    """The agents of one network; ``run(down, buffer_left)`` plays one cascade on them."""

    def __init__(self, net: Network):
        super().__init__()
        sector, source = net.sector.tolist(), net.source.tolist()
        self.nodes = [NaiveNode(self, i, sector[i], source[i]) for i in range(net.n)]
        for a, b in zip(net.link_rows.tolist(), net.link_cols.tolist()):
            self.nodes[a].neighbours.append(self.nodes[b])
        supply = net.supply.tocsr()
        self.groups = []
        for g, node in enumerate(net.dep_node.tolist()):
            suppliers = []
            for k in range(supply.indptr[g], supply.indptr[g + 1]):
                suppliers += [self.nodes[int(supply.indices[k])]] * int(supply.data[k])
            group = Group(suppliers, float(net.dep_need[g]))
            self.groups.append(group)
            self.nodes[node].groups.append(group)
        self.rules = net.rule.tolist()
        self.sectors = {s: [v for v in self.nodes if v.sector == s] for s in range(len(self.rules))}
        self.rounds = 0

    def reset(self, down: np.ndarray, buffer_left: np.ndarray) -> None:
        """Every node back to its own causes, every group to the buffer it has left."""
        for node, own in zip(self.nodes, (np.asarray(down) & OWN_CAUSES).tolist()):
            node.own, node.working, node.cut, node.unsupplied, node.losing = own, own == 0, False, False, False
        for group, left in zip(self.groups, np.asarray(buffer_left).tolist()):
            group.buffer_left, group.failed = left, False
        self.rounds = 0

    def connectivity(self) -> None:
        """Cut off working nodes that their sector's rule does not keep."""
        for s, members in self.sectors.items():
            if self.rules[s] == SOURCES:
                keep = self.reachable([v for v in members if v.working and v.source])
            elif self.rules[s] == GIANT:
                keep = self.largest_component(members)
            else:
                continue
            for v in members:
                if v.working and v not in keep:
                    v.working = False
                    v.cut = True

    @staticmethod
    def reachable(start: list[NaiveNode]) -> set[NaiveNode]:
        """Working nodes joined to ``start`` by paths of working nodes (breadth-first)."""
        seen = set(start)
        queue = deque(start)
        while queue:
            v = queue.popleft()
            for w in v.neighbours:
                if w.working and w not in seen:
                    seen.add(w)
                    queue.append(w)
        return seen

    def largest_component(self, members: list[NaiveNode]) -> set[NaiveNode]:
        """The largest component of working members; ties go to the lowest node index."""
        best: set[NaiveNode] = set()
        seen: set[NaiveNode] = set()
        for v in members:                    # members are in index order
            if v.working and v not in seen:
                component = self.reachable([v])
                seen |= component
                if len(component) > len(best):
                    best = component
        return best

    def step(self) -> None:
        self.rounds += 1
        self.connectivity()
        self.agents.do("step")
        self.agents.do("advance")
        self.running = any(v.losing for v in self.nodes)

    def run(self, down: np.ndarray, buffer_left: np.ndarray) -> "NaiveCascade":
        """Play one cascade from ``down``'s own causes to its fixpoint."""
        self.reset(down, buffer_left)
        self.running = True
        while self.running:
            self.step()
        return self

    def down(self) -> np.ndarray:
        return np.array([v.state for v in self.nodes], dtype=np.uint8)

    def backup(self) -> np.ndarray:
        return np.array([v.on_backup for v in self.nodes], dtype=bool)

    def group_failed(self) -> np.ndarray:
        return np.array([g.failed for g in self.groups], dtype=bool)


def naive_cascade(net: Network, down: np.ndarray, buffer_left: np.ndarray) -> NaiveCascade:
    """Build the agents and run one cascade to its fixpoint."""
    return NaiveCascade(net).run(down, buffer_left)
