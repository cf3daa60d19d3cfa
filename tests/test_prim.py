"""PRIM finds a box planted in synthetic data (Friedman and Fisher 1999)."""

import numpy as np
import pytest

from sim.decide.prim import PrimError, prim

NAMES = ["a", "b", "c", "d"]


def planted(n: int, noise: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Uniform points in the unit cube; cases of interest inside 0.2 < a < 0.5, c > 0.6,
    each label flipped with probability ``noise``."""
    rng = np.random.default_rng(seed)
    x = rng.random((n, len(NAMES)))
    y = (x[:, 0] > 0.2) & (x[:, 0] < 0.5) & (x[:, 2] > 0.6)
    return x, y ^ (rng.random(n) < noise)


@pytest.mark.parametrize("noise", [0.0, 0.05])
def test_prim_recovers_a_planted_box(noise):
    x, y = planted(2000, noise)
    found = prim(x, y, NAMES)
    limits = found.as_dict()["limits"]
    assert set(limits) == {"a", "c"}, limits
    assert limits["a"][0] == pytest.approx(0.2, abs=0.04)
    assert limits["a"][1] == pytest.approx(0.5, abs=0.04)
    assert limits["c"][0] == pytest.approx(0.6, abs=0.04)
    assert found.box.density > 0.85 and found.box.density > 5 * found.base_density
    # without noise every case lies in the planted box; with noise 5% of all points are flipped
    # in, most of them outside it, so coverage is bounded by the planted share
    assert found.box.coverage > (0.9 if noise == 0 else 0.55)


def test_peeling_trajectory_shrinks_and_stops_at_the_minimum_support():
    x, y = planted(1000, 0.0)
    found = prim(x, y, NAMES, alpha=0.1, min_support=0.1)
    masses = [b.mass for b in found.trajectory]
    assert masses[0] == 1.0 and all(a > b for a, b in zip(masses, masses[1:]))
    assert masses[-1] >= 0.1
    assert found.trajectory[-1].density >= found.trajectory[0].density


def test_no_structure_gives_a_box_no_denser_than_chance_by_much():
    rng = np.random.default_rng(3)
    x, y = rng.random((2000, 3)), rng.random(2000) < 0.3
    found = prim(x, y, NAMES[:3])
    assert found.box.density < 0.3 + 0.25


@pytest.mark.parametrize("x, y, message", [
    (np.zeros((5, 4)), np.ones(5, bool), "at least 10"),
    (np.zeros((20, 4)), np.zeros(20, bool), "no point is a case"),
    (np.zeros((20, 3)), np.ones(20, bool), "do not match"),
])
def test_bad_data_is_refused_with_a_reason(x, y, message):
    with pytest.raises(PrimError, match=message):
        prim(x, y, NAMES)
