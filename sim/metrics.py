"""Recovery metrics, computed from the recorded per-tick arrays (never by re-running).

Service level Q(t) ∈ [0, 1] is the population-weighted fraction of service nodes (nodes
with ``population > 0``) that are operational, per sector and overall. Q0 is the level at
T+0 once the network has settled, before any attack lands (the pre-attack level); every
loss is measured against it, so a deficit the network starts with is not counted as loss.

- resilience loss (Bruneau et al., "A framework to quantitatively assess and enhance the
  seismic resilience of communities", Earthquake Spectra 19(4), 2003, against the
  pre-attack level instead of 100%): ∫ (Q0 − Q(t))⁺ / Q0 dt, the integral of the
  piecewise-linear service curve, in hours of pre-attack service lost; the absolute
  ∫ (1 − Q(t)) dt is kept as ``resilience_loss_abs_h``;
- service events: an event starts at the first tick with Q < Q0 and ends at the first
  tick with Q ≥ Q0 again (or at the end of the run);
- time to recover to x of Q0 (TTRx): on the event that holds the minimum, from its first
  tick to the first tick after the minimum with Q ≥ x·Q0; 0 when Q never falls below
  x·Q0; NaN when it is not reached within the run (right-censored at
  ``recovery_window_h``, the hours from that event's first tick to the end of the run);
- unserved person-hours: ∫ population · (Q0_s − Q_s(t))⁺ dt per sector;
- cascade amplification: nodes that went down ÷ nodes an attack hit directly (Buldyrev
  et al. 2010 call the same ratio the damage amplification of a cascade); nodes reached by
  an intrusion's spread are counted apart (``nodes_spread``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np

__all__ = [
    "CATALOGUE", "EPS", "HEADLINE", "RECOVERY", "RECOVERY_WINDOW", "SUMMARY", "Better", "MetricInfo", "integral",
    "metric", "recovery_time", "recovery_window", "resilience_loss", "run_metrics", "service_events", "shortfall",
]

EPS = 1e-9
#: the recovery times, right-censored at :data:`RECOVERY_WINDOW` when not reached
RECOVERY = ("recovery_90_h", "recovery_95_h", "recovery_100_h")
#: the metric that holds each run's censoring time of the recovery times
RECOVERY_WINDOW = "recovery_window_h"


def integral(times_h: np.ndarray, values: np.ndarray) -> float:
    """Trapezoidal integral of a piecewise-linear curve.

    Parameters
    ----------
    times_h : numpy.ndarray
        Sample times, hours, ascending.
    values : numpy.ndarray
        The curve's value at each time.

    Returns
    -------
    float
        The integral, value × hours; 0 with fewer than two samples.

    Examples
    --------
    >>> integral(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0, 1.0]))
    1.5
    """
    if len(times_h) < 2:
        return 0.0
    return float(np.sum((values[1:] + values[:-1]) * np.diff(times_h)) / 2.0)


def shortfall(times_h: np.ndarray, q: np.ndarray, q0: float) -> float:
    """∫ (Q0 − Q(t))⁺ dt: the service missing below the pre-attack level, value × hours.

    Parameters
    ----------
    times_h : numpy.ndarray
        Sample times, hours.
    q : numpy.ndarray
        Service level at each time, fraction 0..1.
    q0 : float
        The pre-attack level, fraction 0..1.

    Returns
    -------
    float
        The trapezoidal integral of ``max(q0 − q, 0)``.

    Examples
    --------
    >>> shortfall(np.array([0.0, 1.0, 2.0]), np.array([0.9, 0.5, 1.0]), 0.9)
    0.4
    """
    return integral(times_h, np.maximum(q0 - np.asarray(q, np.float64), 0.0))


def resilience_loss(times_h: np.ndarray, q: np.ndarray, q0: float = 1.0) -> float:
    """Bruneau's resilience loss against the pre-attack level, ∫ (Q0 − Q(t))⁺ / Q0 dt.

    Parameters
    ----------
    times_h : numpy.ndarray
        Sample times, hours.
    q : numpy.ndarray
        Service level at each time, fraction 0..1.
    q0 : float
        The pre-attack level, fraction 0..1 (1: Bruneau's loss against full service).

    Returns
    -------
    float
        Hours of pre-attack service lost; 0 when ``q0`` is 0 (nothing to lose).

    References
    ----------
    M. Bruneau et al., "A framework to quantitatively assess and enhance the seismic
    resilience of communities", *Earthquake Spectra* 19(4), 733–752, 2003.

    Examples
    --------
    >>> round(resilience_loss(np.array([0.0, 1.0, 2.0]), np.array([0.95, 0.95, 0.95]), 0.95), 9)
    0.0
    """
    return shortfall(times_h, q, q0) / q0 if q0 > EPS else 0.0


def service_events(q: np.ndarray, q0: float) -> list[tuple[int, int]]:
    """The stretches of ticks with Q below the pre-attack level.

    Parameters
    ----------
    q : numpy.ndarray
        Service level per tick, fraction 0..1.
    q0 : float
        The pre-attack level, fraction 0..1.

    Returns
    -------
    list of (int, int)
        (first tick with Q < Q0, first tick after it with Q ≥ Q0 or ``len(q)`` when the
        run ends first), in time order.

    Examples
    --------
    >>> service_events(np.array([1, 0.5, 1, 0.9, 0.8]), 1.0)
    [(1, 2), (3, 5)]
    """
    below = np.concatenate(([False], np.asarray(q) < q0 - EPS, [False])).astype(np.int8)
    edges = np.diff(below)
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist()))


def _deepest(q: np.ndarray, q0: float) -> tuple[int, int] | None:
    """The event that holds the (first) minimum of Q, or None without an event."""
    lowest = int(np.argmin(q))
    return next(((start, stop) for start, stop in service_events(q, q0) if start <= lowest < stop), None)


def recovery_time(times_h: np.ndarray, q: np.ndarray, baseline: float, level: float) -> float:
    """TTRx: hours from the start of the deepest service event until Q is back to
    ``level`` × ``baseline``.

    Parameters
    ----------
    times_h : numpy.ndarray
        Sample times, hours.
    q : numpy.ndarray
        Service level at each time, fraction 0..1.
    baseline : float
        The pre-attack service level Q0, fraction 0..1.
    level : float
        The recovery target x as a fraction 0..1 of ``baseline`` (0.95 for 95%).

    Returns
    -------
    float
        0 when Q never falls below ``level · baseline``; else, on the event holding the
        minimum, hours from its first tick to the first tick after the minimum with
        Q ≥ ``level · baseline``; NaN when that is not within the run (censored).

    Examples
    --------
    A dip to 95% never went below 90%: TTR90 is 0, TTR100 the dip's length.

    >>> t, q = np.arange(5.0), np.array([1, 0.95, 0.95, 1, 1])
    >>> recovery_time(t, q, 1.0, 0.9), recovery_time(t, q, 1.0, 1.0)
    (0.0, 2.0)
    """
    target = level * baseline - EPS
    lowest = int(np.argmin(q))
    event = _deepest(q, baseline)
    if q[lowest] >= target or event is None:
        return 0.0
    back = np.flatnonzero(q[lowest:] >= target)
    return float(times_h[lowest + back[0]] - times_h[event[0]]) if len(back) else float("nan")


def recovery_window(times_h: np.ndarray, q: np.ndarray, baseline: float) -> float:
    """Hours from the first tick of the deepest service event to the end of the run: the
    time a recovery could be seen in, where a recovery time not reached is censored.

    Parameters
    ----------
    times_h : numpy.ndarray
        Sample times, hours.
    q : numpy.ndarray
        Service level at each time, fraction 0..1.
    baseline : float
        The pre-attack service level Q0, fraction 0..1.

    Returns
    -------
    float
        Hours; 0 without a service event.
    """
    event = _deepest(q, baseline)
    return float(times_h[-1] - times_h[event[0]]) if event else 0.0


def run_metrics(times_h: np.ndarray, q: np.ndarray, sector_q: dict[str, np.ndarray],
                sector_population: dict[str, float], baseline: float, sector_baseline: dict[str, float],
                ever_down: int, ever_hit: int, spread: int, attacks: dict[str, int], busy: np.ndarray,
                active: np.ndarray) -> dict[str, float]:
    """Every per-run metric as a flat mapping (one Parquet row in a batch).

    Parameters
    ----------
    times_h : numpy.ndarray
        Time of each tick, hours.
    q : numpy.ndarray
        Overall service level per tick, fraction 0..1.
    sector_q : dict[str, numpy.ndarray]
        Service level per tick by sector, fraction 0..1.
    sector_population : dict[str, float]
        People served by each sector's service nodes.
    baseline : float
        The pre-attack overall service level Q0, fraction 0..1.
    sector_baseline : dict[str, float]
        The pre-attack service level of each sector, fraction 0..1.
    ever_down : int
        Nodes that went down during the run (operational at the start).
    ever_hit : int
        Nodes an attack hit directly (operational at the start).
    spread : int
        Nodes an intrusion's spread reached and no attack hit directly (operational at
        the start).
    attacks : dict[str, int]
        Attempts by outcome (``attempted``, ``interdicted``, ``failed``, ``landed``).
    busy, active : numpy.ndarray
        Units busy and units active per tick.

    Returns
    -------
    dict[str, float]
        The metrics of :data:`CATALOGUE` plus ``resilience_loss_h_<sector>``,
        ``unserved_person_h_<sector>`` and ``attacks_<outcome>`` (units in the catalogue).
    """
    lowest = int(np.argmin(q))
    out: dict[str, float] = {
        "baseline_service": baseline,
        "resilience_loss_h": resilience_loss(times_h, q, baseline),
        "resilience_loss_abs_h": resilience_loss(times_h, q),
        "min_service": float(q[lowest]),
        "min_service_time_h": float(times_h[lowest]),
    }
    for level in (90, 95, 100):
        out[f"recovery_{level}_h"] = recovery_time(times_h, q, baseline, level / 100.0)
    out[RECOVERY_WINDOW] = recovery_window(times_h, q, baseline)
    out["service_events"] = len(service_events(q, baseline))
    total_unserved = 0.0
    for name, series in sector_q.items():
        out[f"resilience_loss_h_{name}"] = resilience_loss(times_h, series, sector_baseline[name])
        unserved = sector_population[name] * shortfall(times_h, series, sector_baseline[name])
        out[f"unserved_person_h_{name}"] = unserved
        total_unserved += unserved
    out["unserved_person_h"] = total_unserved
    out["nodes_down"] = ever_down
    out["nodes_hit"] = ever_hit
    out["nodes_spread"] = spread
    out["cascade_amplification"] = ever_down / ever_hit if ever_hit else float("nan")
    for key, value in attacks.items():
        out[f"attacks_{key}"] = value
    out["responder_utilisation"] = float(busy.sum() / active.sum()) if active.sum() else 0.0
    return out


# ------------------------------------------------------------------ catalogue
class Better(StrEnum):
    """Which way a metric improves."""

    LOWER = "lower"
    HIGHER = "higher"
    NONE = "none"


@dataclass(frozen=True)
class MetricInfo:
    """How a metric is named, scaled and formatted wherever it is shown.

    ``scale`` converts the stored value (in summary.json, the batch Parquet rows) to the
    shown ``unit``: a fraction 0..1 is stored and shown in %, for instance.
    """

    name: str            # column / key name, e.g. "resilience_loss_h"
    label: str           # lower-case words, e.g. "resilience loss"
    unit: str            # shown unit: "h", "%", "person-h", "×", "nodes", "attacks" or ""
    scale: float = 1.0   # shown value = stored value × scale
    digits: int = 2      # decimals shown
    average_digits: int | None = None   # decimals of an average or quantile, if more than ``digits`` (counts)
    headline: bool = False
    better: Better = Better.NONE
    blank: str = "–"     # shown for NaN (no value), e.g. "not reached"
    no_value: str = "no value"   # what NaN means, in words
    source: str = ""     # where the measure is defined, e.g. "Bruneau 2003"

    @property
    def title(self) -> str:
        """The label with a capital, for headings."""
        return self.label[:1].upper() + self.label[1:]

    @property
    def cited_title(self) -> str:
        """The title with its source, e.g. ``"Resilience loss (Bruneau 2003)"``."""
        return f"{self.title} ({self.source})" if self.source else self.title

    @property
    def heading(self) -> str:
        """Label and unit, e.g. ``"resilience loss (h)"``."""
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def shown(self, value: float) -> float:
        """The stored value in the shown unit (NaN stays NaN).

        Parameters
        ----------
        value : float
            As stored.

        Returns
        -------
        float
            ``value × scale``.
        """
        return float(value) * self.scale

    def number(self, value: float | None, signed: bool = False, blank: str | None = None,
               average: bool = False) -> str:
        """A stored value as a number in the shown unit, without the unit, e.g. ``"85.5"``.

        Parameters
        ----------
        value : float or None
            As stored; None or NaN means no value.
        signed : bool
            Show a + on positive numbers (for differences).
        blank : str, optional
            Shown for no value instead of the metric's :attr:`blank`.
        average : bool
            The value is a statistic over runs (a mean, quantile or interval end): a
            count then shows decimals.

        Returns
        -------
        str
            The value × :attr:`scale` with :attr:`digits` decimals and thousands separators.
        """
        if value is None or not math.isfinite(float(value)):
            return self.blank if blank is None else blank
        digits = self.average_digits if average and self.average_digits is not None else self.digits
        shown = round(self.shown(value), digits) or 0.0          # no "-0"
        return f"{shown:{'+' if signed else ''},.{digits}f}"

    def format(self, value: float | None) -> str:
        """A stored value with its unit, e.g. ``"2.15 h"``, ``"85.5%"``, ``"42.50×"``.

        Parameters
        ----------
        value : float or None
            As stored (in summary.json or the batch rows); None or NaN means no value.

        Returns
        -------
        str
            The value in the shown unit, or :attr:`blank` when there is none.
        """
        if value is None or not math.isfinite(float(value)):
            return self.blank
        return self.number(value) + self._unit()

    def format_delta(self, delta: float) -> str:
        """A difference of two stored values, signed, with its unit.

        Parameters
        ----------
        delta : float
            The difference, in stored units.

        Returns
        -------
        str
            E.g. ``"+1.20 h"`` or ``"-3.4 points"`` (a difference of percentages is in
            percentage points); ``""`` for NaN.
        """
        if not math.isfinite(delta):
            return ""
        return self.number(delta, signed=True) + (" points" if self.unit == "%" else self._unit())

    def verdict(self, delta: float) -> str:
        """Whether a change of a metric is an improvement.

        Parameters
        ----------
        delta : float
            The change, in stored units.

        Returns
        -------
        str
            ``"better"``, ``"worse"``, or ``""`` when the metric has no better direction, the
            change is 0 or NaN.
        """
        if self.better is Better.NONE or delta == 0 or not math.isfinite(delta):
            return ""
        return "better" if (delta < 0) == (self.better is Better.LOWER) else "worse"

    def _unit(self) -> str:
        return self.unit if self.unit in ("%", "×", "") else f" {self.unit}"


_HOURS = dict(unit="h", digits=2)
_NOT_RECOVERED = dict(blank="not reached", no_value="not recovered within the run", better=Better.LOWER)
#: every metric of :func:`run_metrics` with a fixed name, in the order pages list them
CATALOGUE: dict[str, MetricInfo] = {m.name: m for m in (
    MetricInfo("resilience_loss_h", "resilience loss", **_HOURS, headline=True, better=Better.LOWER,
               source="Bruneau 2003"),
    MetricInfo("resilience_loss_abs_h", "resilience loss against full service", **_HOURS, better=Better.LOWER),
    MetricInfo("min_service", "minimum service", "%", 100.0, 1, headline=True, better=Better.HIGHER),
    MetricInfo("min_service_time_h", "time of minimum service", **_HOURS),
    MetricInfo("recovery_90_h", "time to 90% recovery", **_HOURS, **_NOT_RECOVERED),
    MetricInfo("recovery_95_h", "time to 95% recovery", **_HOURS, headline=True, **_NOT_RECOVERED),
    MetricInfo("recovery_100_h", "time to full recovery", **_HOURS, **_NOT_RECOVERED),
    MetricInfo(RECOVERY_WINDOW, "recovery window", **_HOURS),
    MetricInfo("service_events", "service events", "events", digits=0, average_digits=2, better=Better.LOWER),
    MetricInfo("unserved_person_h", "unserved person-hours", "person-h", digits=0, headline=True,
               better=Better.LOWER),
    MetricInfo("nodes_down", "nodes down", "nodes", digits=0, average_digits=2, better=Better.LOWER),
    MetricInfo("nodes_hit", "nodes hit directly", "nodes", digits=0, average_digits=2),
    MetricInfo("nodes_spread", "nodes reached by spread", "nodes", digits=0, average_digits=2),
    MetricInfo("cascade_amplification", "cascade amplification", "×", headline=True, better=Better.LOWER,
               blank="no node hit", no_value="no node hit"),
    MetricInfo("responder_utilisation", "responder utilisation", "%", 100.0, 1),
    MetricInfo("baseline_service", "pre-attack service", "%", 100.0, 1),
)}
#: per-sector and per-outcome metrics: name prefix → the metric they are a part of
_PATTERNS: dict[str, MetricInfo] = {
    "resilience_loss_h_": CATALOGUE["resilience_loss_h"],
    "unserved_person_h_": CATALOGUE["unserved_person_h"],
    "attacks_": MetricInfo("attacks_", "attacks", "attacks", digits=0, average_digits=2),
}
_ATTACKS_BETTER = {"landed": Better.LOWER, "interdicted": Better.HIGHER}
HEADLINE: tuple[str, ...] = tuple(name for name, m in CATALOGUE.items() if m.headline)
#: the metrics summary tables show (all fixed-name metrics but the pre-attack level and the
#: recovery window, which only censors the recovery times)
SUMMARY: tuple[str, ...] = tuple(name for name in CATALOGUE if name not in ("baseline_service", RECOVERY_WINDOW))


def metric(name: str) -> MetricInfo:
    """The catalogue entry of a metric column, also of the per-sector ones
    (``resilience_loss_h_<sector>``, ``unserved_person_h_<sector>``) and of the attack
    counts (``attacks_<outcome>``).

    Parameters
    ----------
    name : str
        A metric's name in summary.json or a batch's Parquet rows.

    Returns
    -------
    MetricInfo
        Its label, unit, scale and format; an unknown name gets its own words and no unit.
    """
    if name in CATALOGUE:
        return CATALOGUE[name]
    for prefix, base in _PATTERNS.items():
        if name.startswith(prefix):
            part = name[len(prefix):]
            if prefix == "attacks_":
                return replace(base, name=name, label=f"attacks {part}", better=_ATTACKS_BETTER.get(part, Better.NONE))
            return replace(base, name=name, label=f"{base.label}, {part}", headline=False, source="")
    return MetricInfo(name, name.replace("_", " "), "")
