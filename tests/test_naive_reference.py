"""The vectorised kernel gives exactly the node states of the naive Mesa reference
(benchmarks/naive.py) on random interdependent networks: every down bit, every backup
flag, every failed group and the number of rounds."""

import sys
from pathlib import Path

import numpy as np
import pytest

import sim.cascade as kernel
import sim.kernel.passes as passes
from sim.cascade import cascade
from sim.network import COMPROMISED, DAMAGED, SHUT, Network

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from naive import NaiveCascade  # noqa: E402
from synthetic import generate  # noqa: E402

RULES = ["sources", "sources", "giant_component", "none"]


def random_network(rng: np.random.Generator, n: int = 400) -> Network:
    """Two sources sectors, a giant-component sector and an unlinked one. Links: a random
    forest (some trees without a source, several pieces in the giant sector) plus a few
    cycles; groups of 1-3 suppliers from other sectors, some needing 2, some listing a
    supplier twice, some with buffers."""
    sector = rng.integers(0, 4, n)
    source = (sector < 2) & (rng.random(n) < 0.06)
    links = []
    for s in range(3):
        members = rng.permutation(np.flatnonzero(sector == s))
        for k in range(1, len(members)):
            if rng.random() < 0.93:                       # else a new tree starts here
                links.append((members[k], members[rng.integers(max(0, k - 8), k)]))
        extra = rng.integers(0, len(members), (len(members) // 6, 2))
        links += [(members[a], members[b]) for a, b in extra if a != b]
    groups, pairs = [], []
    for node in range(n):
        for _ in range(rng.integers(0, 3)):
            others = np.flatnonzero(sector != sector[node])
            suppliers = list(rng.choice(others, rng.integers(1, 4), replace=False))
            if rng.random() < 0.05:
                suppliers.append(suppliers[0])                # counted twice
            need = int(rng.integers(1, len(suppliers) + 1)) if rng.random() < 0.3 else 1
            buffer = int(rng.integers(1, 6)) if rng.random() < 0.3 else 0
            pairs += [(len(groups), s) for s in suppliers]
            groups.append((node, need, buffer))
    return Network.from_arrays(
        sector=sector, sector_names=["power", "water", "transport", "health"], rules=RULES,
        links=np.array(links, dtype=np.int64).reshape(-1, 2),
        dep_node=np.array([g[0] for g in groups], dtype=np.int64),
        dep_need=np.array([g[1] for g in groups], dtype=float),
        dep_buffer=np.array([g[2] for g in groups], dtype=np.int64),
        supplier_group=np.array([p[0] for p in pairs], dtype=np.int64),
        supplier_node=np.array([p[1] for p in pairs], dtype=np.int64), source=source)


def attack(rng: np.random.Generator, net: Network, share: float) -> tuple[np.ndarray, np.ndarray]:
    """Random own causes on ``share`` of the nodes, and buffers part spent."""
    own = np.zeros(net.n, np.uint8)
    hit = rng.random(net.n) < share
    own[hit] = rng.choice([DAMAGED, SHUT, COMPROMISED, DAMAGED | SHUT], hit.sum())
    buffer_left = np.where(rng.random(net.n_groups) < 0.5, net.dep_buffer, rng.integers(0, 3, net.n_groups))
    return own, buffer_left


def assert_same(net: Network, naive: NaiveCascade, own: np.ndarray, buffer_left: np.ndarray) -> int:
    out = cascade(net, own, buffer_left.copy())
    again = cascade(net, own, buffer_left.copy())      # remembered, and a copy
    again.down[:] = 0
    np.testing.assert_array_equal(cascade(net, own, buffer_left.copy()).down, out.down)
    ref = naive.run(own, buffer_left.copy())
    np.testing.assert_array_equal(out.down, ref.down())
    np.testing.assert_array_equal(out.backup, ref.backup())
    np.testing.assert_array_equal(out.group_failed, ref.group_failed())
    assert out.rounds == ref.rounds
    return int((out.down != 0).sum())


MODES = {
    "small": {},                                            # the defaults for networks this size
    "full": {"LOCAL_ABOVE": 0, "LOCAL_LOSS": 0.0, "STRONG_BELOW": 10**9},   # large networks' full passes
    "sectors": {"LOCAL_ABOVE": 0, "LOCAL_LOSS": 0.0, "STRONG_BELOW": 0},    # ... and by sector
    "local": {"STRONG_BELOW": 0, "LOCAL_ABOVE": 0, "LOCAL_LOSS": 1.0},   # neighbourhood re-checks
}


def use(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in MODES[mode].items():
        monkeypatch.setattr(passes if name == "STRONG_BELOW" else kernel, name, value)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("mode", list(MODES))
def test_kernel_equals_naive_reference_on_random_networks(seed, mode, monkeypatch):
    use(mode, monkeypatch)
    rng = np.random.default_rng(seed)
    net = random_network(rng)
    naive = NaiveCascade(net)
    downs = [assert_same(net, naive, *attack(rng, net, share)) for share in (0.0, 0.02, 0.05, 0.1, 0.2)]
    assert max(downs) > net.n // 10          # the attacks did cascade


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("mode", ["small", "local"])
def test_kernel_equals_naive_reference_on_synthetic_networks(seed, mode, monkeypatch):
    use(mode, monkeypatch)
    rng = np.random.default_rng(seed)
    for syn in (generate(3000, seed=seed), generate(3000, seed=seed, cross=0.4, per_cell=3)):
        net = syn.network()
        naive = NaiveCascade(net)
        for share in (0.005, 0.01, 0.03):
            assert_same(net, naive, *attack(rng, net, share))


def test_giant_component_ties_go_to_the_lowest_node_index():
    # two pieces of three in a giant-component sector: {4, 5, 6} and {0, 1, 2}; node 3 joins them
    links = [(4, 5), (5, 6), (0, 1), (1, 2), (2, 3), (3, 4)]
    net = Network.from_arrays(np.zeros(7, int), ["transport"], ["giant_component"], np.array(links),
                              *[np.zeros(0, np.int64)] * 5)
    own = np.zeros(7, np.uint8)
    own[3] = DAMAGED
    out = cascade(net, own, np.zeros(0, np.int64))
    assert list(out.down == 0) == [True, True, True, False, False, False, False]
    np.testing.assert_array_equal(out.down, NaiveCascade(net).run(own, np.zeros(0)).down())


def test_isolated_is_one_connectivity_pass_of_the_reference():
    rng = np.random.default_rng(11)
    net = random_network(rng)
    working = rng.random(net.n) < 0.8
    naive = NaiveCascade(net)
    naive.reset(np.where(working, 0, DAMAGED).astype(np.uint8), net.dep_buffer)
    naive.connectivity()
    np.testing.assert_array_equal(kernel.isolated(net, working), [v.cut for v in naive.nodes])


def test_components_are_the_breadth_first_pieces_of_working_nodes():
    rng = np.random.default_rng(12)
    net = random_network(rng, 200)
    working = rng.random(net.n) < 0.8
    _, labels = kernel.components(net, working)
    naive = NaiveCascade(net)
    naive.reset(np.where(working, 0, DAMAGED).astype(np.uint8), net.dep_buffer)
    for v in naive.nodes:
        if v.working:
            piece = [w.index for w in naive.reachable([v])]
            assert set(np.flatnonzero((labels == labels[v.index]) & working)) == set(piece)


def test_the_kernel_graph_lists_each_link_once():
    # scipy's strong components never return on a repeated edge; the layout must drop repeats
    links = np.array([(0, 1), (1, 0), (0, 1), (1, 2), (2, 2)])
    net = Network.from_arrays(np.zeros(3, int), ["power"], ["sources"], links, *[np.zeros(0, np.int64)] * 5,
                              source=np.array([True, False, False]))
    lay = kernel.layout(net)
    pairs = list(zip(lay.order[lay.link_rows].tolist(), lay.order[lay.link_cols].tolist()))
    assert sorted(pairs) == [(0, 1), (1, 0), (1, 2), (2, 1)]
    own = np.zeros(3, np.uint8)
    own[1] = DAMAGED
    assert list(cascade(net, own, np.zeros(0, np.int64)).down) == [0, DAMAGED, kernel.ISOLATED]
