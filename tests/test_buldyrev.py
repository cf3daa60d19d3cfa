"""Reproduce Buldyrev, Parshani, Paul, Stanley & Havlin, "Catastrophic cascade of failures in
interdependent networks", Nature 464, 1025–1028 (2010).

Two Erdős–Rényi networks of mean degree k, coupled one-to-one; a random fraction 1 − p of
network A is removed. The mutually connected giant component is μ∞ = p·x², where
x = 1 − exp(−k·μ∞) (the largest root), and it vanishes below p_c = 2.4554 / k.
"""

from pathlib import Path

import numpy as np
import pytest

from sim.cascade import cascade
from sim.network import DAMAGED, Network
from sim.percolation import mu_infinity

K, N = 4.0, 20_000


def theory(p: float, k: float = K) -> float:
    """μ∞(p): the largest root of x = 1 − exp(−k·p·x²), then μ∞ = p·x² (0 below p_c)."""
    return mu_infinity(p, k)


def erdos_renyi(rng: np.random.Generator, n: int, k: float) -> np.ndarray:
    """G(n, M) with M = k·n/2 distinct random edges."""
    m = int(round(k * n / 2))
    edges = np.empty((0, 2), dtype=np.int64)
    while len(edges) < m:
        a, b = rng.integers(0, n, size=(2, 2 * m))
        pairs = np.column_stack([np.minimum(a, b), np.maximum(a, b)])[a != b]
        edges = np.unique(np.concatenate([edges, pairs]), axis=0)
    return edges[rng.permutation(len(edges))[:m]]


def coupled(rng: np.random.Generator, n: int = N) -> Network:
    idx = np.arange(n)
    return Network.from_arrays(
        sector=np.repeat([0, 1], n), sector_names=["alpha", "beta"], rules=["giant_component"] * 2,
        links=np.concatenate([erdos_renyi(rng, n, K), erdos_renyi(rng, n, K) + n]),
        dep_node=np.concatenate([idx, idx + n]), dep_need=np.ones(2 * n), dep_buffer=np.zeros(2 * n, np.int64),
        supplier_group=np.concatenate([idx, idx + n]), supplier_node=np.concatenate([idx + n, idx]))


def surviving_fraction(net: Network, rng: np.random.Generator, p: float, n: int = N) -> float:
    own = np.zeros(2 * n, np.uint8)
    own[:n][rng.random(n) >= p] = DAMAGED
    out = cascade(net, own, np.zeros(2 * n, np.int64))
    return float((out.down[:n] == 0).mean())


def test_critical_threshold_formula():
    assert theory(0.70) == pytest.approx(0.558, abs=0.002)
    assert theory(0.80) == pytest.approx(0.709, abs=0.002)
    # the jump at p_c = 2.4554 / k from 0 to μ∞(p_c) ≈ 1.2564 / k
    assert theory(0.612) == 0.0
    assert theory(2.4554 / K + 1e-4) == pytest.approx(1.2564 / K, abs=0.01)


@pytest.mark.parametrize("p", [0.65, 0.70, 0.80])
def test_mutually_connected_giant_component_matches_theory(p):
    rng = np.random.default_rng(2010)
    net = coupled(rng)
    measured = np.mean([surviving_fraction(net, rng, p) for _ in range(3)])
    assert measured == pytest.approx(theory(p), abs=0.03)


def test_collapse_below_the_critical_threshold():
    rng = np.random.default_rng(2010)
    net = coupled(rng)
    assert surviving_fraction(net, rng, 0.58) < 0.05


def test_a_sweep_of_the_removed_fraction_reproduces_the_curve_and_the_report_draws_the_theory(tmp_path):
    """`ripple batch scenarios/buldyrev.yaml --sweep attackers.0.plan.0.target.fraction=...`
    on the shipped 1,000-node networks: μ∞ follows the theory away from p_c (finite size
    keeps it a little above) and collapses below it; the report tabulates both."""
    from typer.testing import CliRunner

    from dashboards.report import buldyrev_section, read_batch
    from ripple import app
    from sim.batchstore import read_comparison

    out = tmp_path / "sweep"
    scenario = str(Path(__file__).resolve().parents[1] / "scenarios/buldyrev.yaml")
    result = CliRunner().invoke(app, ["batch", scenario, "--runs", "4", "--workers", "1", "--out",
                                      str(out), "--html", "--sweep", "attackers.0.plan.0.target.fraction=0.2,0.3,0.5"])
    assert result.exit_code == 0, result.output
    arms = {name: read_batch(out / name) for name in read_comparison(out).arms}
    measured = {1 - float(name.rpartition("=")[2]): batch.runs["min_service"].mean() for name, batch in arms.items()}
    assert measured[0.8] == pytest.approx(theory(0.8), abs=0.04)
    assert measured[0.7] == pytest.approx(theory(0.7), abs=0.04)
    assert measured[0.5] < 0.05
    section = buldyrev_section(arms)
    assert "Reference: Buldyrev et al. 2010" in section and f"<td>{theory(0.7):.3f}</td>" in section
    assert "Reference: Buldyrev et al. 2010" in (out / "report.html").read_text()
