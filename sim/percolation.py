"""The theory of a random removal from two interdependent networks (Buldyrev et al. 2010).

Two Erdős–Rényi networks A and B of mean degree ⟨k⟩, coupled one to one; a random
fraction 1 − p of A is removed. The mutually connected giant component is
μ∞ = p·x², with x the largest root of x = 1 − exp(−⟨k⟩·p·x²), and it vanishes below
p_c = 2.4554 / ⟨k⟩. Tests compare the cascade kernel with it, and a sweep's report draws it
for a scenario with ``reference: buldyrev``.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import brentq

__all__ = ["P_C_TIMES_K", "critical_p", "mu_infinity"]

P_C_TIMES_K = 2.4554     # ⟨k⟩·p_c for two coupled Erdős–Rényi networks (Buldyrev et al. 2010)


def mu_infinity(p: float, k: float) -> float:
    """The mutually connected giant component μ∞(p), as a fraction of A's nodes.

    Parameters
    ----------
    p : float
        Fraction of A's nodes kept, 0..1.
    k : float
        Mean degree ⟨k⟩ of both networks, > 0.

    Returns
    -------
    float
        p·x² with x the largest root of x = 1 − exp(−k·p·x²) in (0, 1]; 0 when there is
        none (p below p_c).

    References
    ----------
    S. V. Buldyrev, R. Parshani, G. Paul, H. E. Stanley and S. Havlin, "Catastrophic
    cascade of failures in interdependent networks", Nature 464, 1025-1028 (2010).

    Examples
    --------
    >>> round(mu_infinity(0.7, 4.0), 3), mu_infinity(0.6, 4.0)
    (0.558, 0.0)
    """
    f = lambda x: x - (1.0 - np.exp(-k * p * x * x))  # noqa: E731
    grid = np.linspace(1e-4, 1.0, 4001)
    values = f(grid)
    roots = [brentq(f, grid[i], grid[i + 1]) for i in range(len(grid) - 1) if values[i] * values[i + 1] < 0]
    return float(p * max(roots) ** 2) if roots else 0.0


def critical_p(k: float) -> float:
    """The threshold p_c = 2.4554 / ⟨k⟩ below which μ∞ vanishes.

    Parameters
    ----------
    k : float
        Mean degree ⟨k⟩, > 0.

    Returns
    -------
    float
        p_c.

    Examples
    --------
    >>> round(critical_p(4.0), 4)
    0.6139
    """
    return P_C_TIMES_K / k
