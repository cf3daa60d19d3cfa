"""Recovery metrics, computed from the recorded per-tick arrays (never by re-running).

Service level Q(t) ∈ [0, 1] is the population-weighted fraction of service nodes (nodes
with ``population > 0``) that are operational, per sector and overall.

- resilience loss (Bruneau et al., "A framework to quantitatively assess and enhance the
  seismic resilience of communities", Earthquake Spectra 19(4), 2003): ∫ (1 − Q(t)) dt, the
  integral of the piecewise-linear service curve, in hours of full service lost;
- minimum service and its time; time to recover to 90/95/100% of the pre-attack level,
  counted from the first drop below it (NaN when not reached within the run);
- unserved person-hours: ∫ population · (1 − Q_s(t)) dt per sector;
- cascade amplification: nodes that went down ÷ nodes hit directly (Buldyrev et al. 2010
  call the same ratio the damage amplification of a cascade).
"""

from __future__ import annotations

import numpy as np

EPS = 1e-9


def integral(times_h: np.ndarray, values: np.ndarray) -> float:
    """Trapezoidal integral of a piecewise-linear curve."""
    if len(times_h) < 2:
        return 0.0
    return float(np.sum((values[1:] + values[:-1]) * np.diff(times_h)) / 2.0)


def resilience_loss(times_h: np.ndarray, q: np.ndarray) -> float:
    """Bruneau's resilience loss ∫ (1 − Q(t)) dt, in hours."""
    return integral(times_h, 1.0 - q)


def recovery_time(times_h: np.ndarray, q: np.ndarray, baseline: float, level: float) -> float:
    """Hours from the first drop below ``baseline`` to the first time after the minimum at
    which Q is back to ``level`` × baseline; 0 without a drop, NaN if never recovered."""
    below = np.flatnonzero(q < baseline - EPS)
    if len(below) == 0:
        return 0.0
    onset, lowest = below[0], int(np.argmin(q))
    back = np.flatnonzero(q[lowest:] >= level * baseline - EPS)
    return float(times_h[lowest + back[0]] - times_h[onset]) if len(back) else float("nan")


def run_metrics(times_h: np.ndarray, q: np.ndarray, sector_q: dict[str, np.ndarray],
                sector_population: dict[str, float], baseline: float, ever_down: int, ever_hit: int,
                attacks: dict[str, int], busy: np.ndarray, active: np.ndarray) -> dict[str, float]:
    """Every per-run metric as a flat mapping (one Parquet row in a batch)."""
    lowest = int(np.argmin(q))
    out: dict[str, float] = {
        "baseline_service": baseline,
        "resilience_loss_h": resilience_loss(times_h, q),
        "min_service": float(q[lowest]),
        "min_service_time_h": float(times_h[lowest]),
    }
    for level in (90, 95, 100):
        out[f"recovery_{level}_h"] = recovery_time(times_h, q, baseline, level / 100.0)
    total_unserved = 0.0
    for name, series in sector_q.items():
        out[f"resilience_loss_h_{name}"] = resilience_loss(times_h, series)
        unserved = sector_population[name] * integral(times_h, 1.0 - series)
        out[f"unserved_person_h_{name}"] = unserved
        total_unserved += unserved
    out["unserved_person_h"] = total_unserved
    out["nodes_down"] = ever_down
    out["nodes_hit"] = ever_hit
    out["cascade_amplification"] = ever_down / ever_hit if ever_hit else float("nan")
    for key, value in attacks.items():
        out[f"attacks_{key}"] = value
    out["responder_utilisation"] = float(busy.sum() / active.sum()) if active.sum() else 0.0
    return out
