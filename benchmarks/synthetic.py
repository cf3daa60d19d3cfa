"""Synthetic interdependent networks for the benchmarks, from 10^3 to 10^6 nodes.

Numpy only and seeded. Four sectors share a square region: power, water and telecom work by
the sources rule, transport by the giant-component rule (Buldyrev et al., Nature 464, 2010).
Each sector network is spatial: its nodes fall in square cells of about ``per_cell`` nodes,
are chained inside their cell, and each links (with probability ``cross``) to a random node
of the next cell east or north, a mean degree of about 3.5 at the defaults. Every non-source
node needs one or two resources from other sectors (Rinaldi, Peerenboom & Kelly, IEEE Control
Systems 21(6), 2001), each from one or two nearby suppliers of which one must work; a share
of groups needs 2 of 3, a share has a buffer. Nodes and groups are finally shuffled, as a
file would list them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.network import RESOURCES, Network
from sim.scenario.schema import Scenario

SECTORS = ("power", "water", "telecom", "transport")
RULES = ("sources", "sources", "sources", "giant_component")
RESOURCE = ("power", "water", "telecom", "transport")
SHARE = (0.3, 0.2, 0.25, 0.25)
SOURCE_SHARE = (0.01, 0.01, 0.02, 0.0)


@dataclass
class Synthetic:
    """The arrays :meth:`Network.from_arrays` takes, and the node positions."""

    sector: np.ndarray
    source: np.ndarray
    xy: np.ndarray
    population: np.ndarray
    links: np.ndarray
    dep_node: np.ndarray
    dep_need: np.ndarray
    dep_buffer: np.ndarray
    dep_resource: np.ndarray
    supplier_group: np.ndarray
    supplier_node: np.ndarray

    @property
    def n(self) -> int:
        return len(self.sector)

    def network(self) -> Network:
        return Network.from_arrays(
            self.sector, list(SECTORS), list(RULES), self.links, self.dep_node, self.dep_need,
            self.dep_buffer, self.supplier_group, self.supplier_node, xy=self.xy,
            population=self.population, source=self.source, dep_resource=self.dep_resource,
        )


def _grid(pts: np.ndarray, per_cell: float, cross: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Order points row-major by square cells of ~``per_cell`` points and link them: a chain
    inside each cell, and per point with probability ``cross`` one link to a random point of
    the next cell east or north. Returns the order and the (L, 2) links in that order."""
    m = len(pts)
    side = max(1, int(np.sqrt(m / per_cell)))
    extent = pts.max(axis=0) + 1e-9
    col = np.minimum((pts[:, 0] / extent[0] * side).astype(np.int64), side - 1)
    row = np.minimum((pts[:, 1] / extent[1] * side).astype(np.int64), side - 1)
    order = np.argsort(row * side + col, kind="stable")
    col, row = col[order], row[order]
    cell = row * side + col
    start = np.searchsorted(cell, np.arange(side * side + 1))
    count = np.diff(start)
    i = np.arange(m)
    chain = np.flatnonzero(cell[:-1] == cell[1:])
    east = rng.random(m) < 0.5
    ok = np.where(east, col < side - 1, row < side - 1) & (rng.random(m) < cross)
    target_cell = np.where(east, cell + 1, cell + side)[ok]
    has = count[target_cell] > 0
    src, target_cell = i[ok][has], target_cell[has]
    dst = start[target_cell] + (rng.random(len(src)) * count[target_cell]).astype(np.int64)
    return order, np.concatenate([np.column_stack([chain, chain + 1]), np.column_stack([src, dst])])


def generate(n: int, seed: int = 0, per_cell: float = 4.0, cross: float = 1.0, buffer_share: float = 0.2,
             max_buffer: int = 24, need_two_share: float = 0.1) -> Synthetic:
    """A synthetic interdependent network of ``n`` nodes (see the module docstring)."""
    if n < 100:
        raise ValueError(f"generate needs at least 100 nodes, not {n}")
    rng = np.random.default_rng(seed)
    counts = np.floor(np.array(SHARE) * n).astype(np.int64)
    counts[0] += n - counts.sum()
    side = np.sqrt(n / 100.0)                       # ~100 nodes per km^2
    sector = np.repeat(np.arange(len(SECTORS), dtype=np.int16), counts)
    xy = np.empty((n, 2))
    source = np.zeros(n, bool)
    links = []
    start = 0
    for s, m in enumerate(counts):
        pts = rng.random((m, 2)) * side
        order, pairs = _grid(pts, per_cell, cross, rng)
        xy[start:start + m] = pts[order]
        picks = rng.choice(m, size=max(1, int(round(SOURCE_SHARE[s] * m))), replace=False) if SOURCE_SHARE[s] else []
        source[start + np.asarray(picks, dtype=np.int64)] = True
        links.append(pairs + start)
        start += m

    # dependency groups: 1-2 per non-source node, on other sectors, from nearby suppliers
    dependent = np.flatnonzero(~source)
    per_node = rng.integers(1, 3, len(dependent))
    dep_node = np.repeat(dependent, per_node)
    nth = np.arange(len(dep_node)) - np.repeat(np.cumsum(per_node) - per_node, per_node)
    first = np.repeat(rng.integers(1, len(SECTORS), len(dependent)), per_node)
    offset = np.where(nth == 0, first, first % (len(SECTORS) - 1) + 1)   # a node's two groups differ
    own = sector[dep_node].astype(np.int64)
    supplier_sector = (own + offset) % len(SECTORS)
    g = len(dep_node)
    need_two = rng.random(g) < need_two_share
    n_sup = np.where(need_two, 3, rng.integers(1, 3, g))
    dep_need = np.where(need_two, 2, 1).astype(np.float64)
    group = np.repeat(np.arange(g), n_sup)
    nth_supplier = np.arange(len(group)) - np.repeat(np.cumsum(n_sup) - n_sup, n_sup)
    # a node's place in its own sector's cell order maps to about the same place in the
    # supplier sector's; a group's suppliers are consecutive there, so distinct
    first_node = np.concatenate([[0], np.cumsum(counts)])
    place = (dep_node - first_node[own]) / counts[own]
    base = np.round(place * counts[supplier_sector] + rng.normal(0.0, 3.0, g)).astype(np.int64)
    sup_sector = supplier_sector[group]
    supplier_node = first_node[sup_sector] + (base[group] + nth_supplier) % counts[sup_sector]
    dep_buffer = np.where(rng.random(g) < buffer_share, rng.integers(1, max_buffer + 1, g), 0)

    # shuffle nodes and groups, as a file would list them
    perm = rng.permutation(n)          # node i becomes perm[i]
    gperm = rng.permutation(g)         # group k becomes gperm[k]
    population = np.where(rng.random(n) < 0.5, rng.integers(100, 5000, n), 0).astype(float)
    by_group = np.argsort(gperm[group], kind="stable")
    resource = np.array([RESOURCES.index(r) for r in RESOURCE], np.int8)[supplier_sector]
    return Synthetic(
        sector=_moved(sector, perm), source=_moved(source, perm), xy=_moved(xy, perm), population=population,
        links=perm[np.concatenate(links)], dep_node=_moved(perm[dep_node], gperm),
        dep_need=_moved(dep_need, gperm), dep_buffer=_moved(dep_buffer.astype(np.int64), gperm),
        dep_resource=_moved(resource, gperm), supplier_group=gperm[group][by_group],
        supplier_node=perm[supplier_node][by_group],
    )


def _moved(values: np.ndarray, perm: np.ndarray) -> np.ndarray:
    """``values`` rearranged so that entry i lands at ``perm[i]``."""
    out = np.empty_like(values)
    out[perm] = values
    return out


def scenario(syn: Synthetic, ticks: int = 1000, seed: int = 0) -> Scenario:
    """A whole scenario on ``syn``: the network as scenario data, a campaign of attacks
    spread over the run (truck bombs, drones, insiders and an intrusion on random targets),
    and police, fire/EMS, sector repair crews, cyber responders and mutual aid."""
    rng = np.random.default_rng(seed)
    ids = [f"{SECTORS[s][0]}{i}" for i, s in enumerate(syn.sector.tolist())]
    nodes = [{"id": ids[i], "sector": SECTORS[s], "x": float(x), "y": float(y), "population": float(p), "source": bool(src)}
             for i, (s, (x, y), p, src) in enumerate(zip(syn.sector.tolist(), syn.xy.tolist(), syn.population.tolist(),
                                                          syn.source.tolist()))]
    tick = 300.0
    bounds = np.searchsorted(syn.supplier_group, np.arange(len(syn.dep_node) + 1))
    suppliers = syn.supplier_node.tolist()
    deps = [{"node": ids[node], "resource": RESOURCES[syn.dep_resource[g]], "suppliers": [ids[s] for s in suppliers[bounds[g]:bounds[g + 1]]],
             "need": int(syn.dep_need[g]), "buffer": f"{int(syn.dep_buffer[g]) * tick:g}s"}
            for g, node in enumerate(syn.dep_node.tolist())]
    tactics = ["vbied", "drone", "insider", "vbied", "drone", "cyber"]
    plan = [{"at": f"{int(t) * tick:g}s", "tactic": tactics[k % len(tactics)],
             "target": {"rule": "random", "sector": SECTORS[k % 3]}}
            for k, t in enumerate(np.sort(rng.integers(1, int(ticks * 0.8), 24)))]
    centre = [float(syn.xy[:, 0].mean()), float(syn.xy[:, 1].mean())]
    responders = {
        "police": {"kind": "police", "base": centre, "count": 8, "speed_kmh": 50},
        "fire": {"kind": "fire", "base": centre, "count": 6, "speed_kmh": 50},
        **{f"{name}_crews": {"kind": "repair", "base": centre, "count": 4, "sectors": [name]} for name in SECTORS},
        "cyber": {"kind": "cyber", "base": centre, "count": 2},
        "aid_crews": {"kind": "repair", "base": [0.0, 0.0], "count": 6, "sectors": list(SECTORS),
                      "mutual_aid": {"service_below": 0.97, "delay": "6h"}},
    }
    return Scenario.model_validate({
        "id": f"synthetic_{syn.n}", "name": f"Synthetic network of {syn.n} nodes", "seed": seed,
        "clock": {"tick": "5min", "duration": f"{ticks * tick:g}s"},
        "sectors": {name: {"connectivity": rule} for name, rule in zip(SECTORS, RULES)},
        "network": {"nodes": nodes, "links": [[ids[a], ids[b]] for a, b in syn.links.tolist()], "dependencies": deps},
        "attackers": [{"id": "campaign", "plan": plan}],
        "responders": responders,
    })
