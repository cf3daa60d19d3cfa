"""Statistics of batch results: per-metric summaries with confidence intervals, recovery
times with censoring, and paired comparisons of policies run on common random numbers.

- Two intervals of a mean are given. Student's t: mean ± t(0.975, n − 1) · s / √n, whose
  width shrinks as 1/√n, so halving it takes about four times the runs. And the bootstrap
  BCa interval (bias-corrected and accelerated; Efron, "Better bootstrap confidence
  intervals", JASA 82, 1987; Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993,
  §14.3), which follows a skewed distribution of the mean where t assumes a symmetric one.
  :data:`DEFAULT_INTERVAL` names the one summaries show: the one whose coverage of the true
  mean came closer to 95% in the coverage study on the flagship's resilience loss (README).
- Recovery times not reached within a run are right-censored at the run's recovery window,
  not missing: leaving them out biases means low. They are summarised by the Kaplan–Meier
  estimate (Kaplan & Meier, JASA 53, 1958; ``scipy.stats.ecdf`` on censored data): the
  median time and the fraction recovered by each time.
- A comparison pairs run *i* of a variant with run *i* of the reference: both drew the same
  attacks (common random numbers, Law & Kelton, *Simulation Modeling and Analysis*, §11.2),
  so the variance of the difference is Var(X) + Var(Y) − 2 Cov(X, Y), smaller than for
  independent batches whenever the outcomes are positively correlated. The interval is t on
  the paired differences; the tests are the paired t-test and the Wilcoxon signed-rank test.

NaN values (e.g. a recovery time never reached within the run) are left out of means and
intervals and counted.
"""

from __future__ import annotations

import math
import warnings
import zlib
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

import numpy as np
import pyarrow as pa
from scipy import special, stats

from sim.metrics import RECOVERY, RECOVERY_WINDOW

__all__ = [
    "BOOTSTRAP_RESAMPLES", "DEFAULT_INTERVAL", "ID_COLUMNS", "LEVEL", "KaplanMeier", "MetricSummary",
    "PairedDifference", "bca_interval", "column", "compare", "describe", "kaplan_meier", "metric_columns", "pair_up",
    "paired", "summarize", "t_interval",
]

LEVEL = 0.95
ID_COLUMNS = ("run_index", "seed", "seed_key")
#: the interval summaries show as ``ci_low`` .. ``ci_high``: ``"t"`` or ``"bca"``
DEFAULT_INTERVAL = "bca"
#: bootstrap resamples of a BCa interval (scipy's default)
BOOTSTRAP_RESAMPLES = 9999
_BOOTSTRAP_CELLS = 2_000_000     # values resampled at once: a batch of resamples × n


def t_interval(values: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """Student's t interval of the mean.

    Parameters
    ----------
    values : numpy.ndarray
        The sample, without NaN.
    level : float
        Confidence level, fraction 0..1.

    Returns
    -------
    tuple of (float, float)
        NaN for fewer than two values; the mean twice when they are all equal.
    """
    n = len(values)
    if n < 2:
        return math.nan, math.nan
    mean, sd = float(values.mean()), float(values.std(ddof=1))
    if sd == 0.0:
        return mean, mean
    low, high = stats.t.interval(level, n - 1, loc=mean, scale=sd / math.sqrt(n))
    return float(low), float(high)


def bca_interval(values: np.ndarray, level: float = LEVEL, seed: int | None = None) -> tuple[float, float]:
    """The bootstrap BCa interval of the mean, reproducible.

    The resamples are ``scipy.stats.bootstrap``'s; the acceleration is the jackknife's
    in closed form, â = Σ (xᵢ − x̄)³ / (6 (Σ (xᵢ − x̄)²)^{3/2}) (Efron & Tibshirani 1993,
    eq. 14.15 — the leave-one-out means are (n x̄ − xᵢ)/(n − 1)), which is what scipy's
    ``method="BCa"`` computes from n resamples of n − 1 values: the same interval in O(n)
    instead of O(n²), so that 10⁵ runs take seconds, not hours.

    Parameters
    ----------
    values : numpy.ndarray
        The sample, without NaN.
    level : float
        Confidence level, fraction 0..1.
    seed : int, optional
        Seed of the resampling; by default one derived from the values, so the same
        sample always gets the same interval.

    Returns
    -------
    tuple of (float, float)
        NaN for fewer than two values or a degenerate bootstrap distribution; the mean
        twice when the values are all equal.
    """
    values = np.asarray(values, np.float64)
    n = len(values)
    if n < 2:
        return math.nan, math.nan
    mean = float(values.mean())
    dev = values - mean
    spread = float((dev ** 2).sum())
    if spread == 0.0 or values.min() == values.max():
        return mean, mean
    rng = np.random.default_rng(zlib.crc32(values.tobytes()) if seed is None else seed)
    boot = stats.bootstrap((values,), np.mean, n_resamples=BOOTSTRAP_RESAMPLES, method="percentile",
                           batch=max(1, _BOOTSTRAP_CELLS // n), vectorized=True, rng=rng).bootstrap_distribution
    z0 = special.ndtri((np.count_nonzero(boot < mean) + np.count_nonzero(boot <= mean)) / (2 * len(boot)))
    accel = float((dev ** 3).sum()) / (6.0 * spread ** 1.5)
    z = special.ndtri((1.0 - level) / 2.0)
    ends = [special.ndtr(z0 + (z0 + zz) / (1.0 - accel * (z0 + zz))) for zz in (z, -z)]
    if not all(np.isfinite(ends)):
        return math.nan, math.nan
    low, high = stats.quantile(boot, np.array(ends))
    return float(low), float(high)


@dataclass(frozen=True)
class KaplanMeier:
    """The Kaplan–Meier estimate of a time to recover over runs, some right-censored.

    Attributes
    ----------
    n : int
        Runs.
    censored : int
        Runs that had not recovered by the end of their recovery window.
    median : float
        The smallest time by which at least half the runs are estimated to have
        recovered; NaN when the estimate never reaches one half.
    times : tuple of float
        The distinct times at which runs recovered, ascending.
    recovered : tuple of float
        The estimated fraction of runs recovered by each of :attr:`times`, 1 − S(t).
    """

    n: int
    censored: int
    median: float
    times: tuple[float, ...]
    recovered: tuple[float, ...]

    def quantile(self, p: float) -> float:
        """The smallest time by which a fraction ``p`` is estimated to have recovered.

        Parameters
        ----------
        p : float
            Fraction 0..1.

        Returns
        -------
        float
            Hours; NaN when the estimate never reaches ``p``.
        """
        reached = np.flatnonzero(np.asarray(self.recovered) >= p - 1e-12)
        return float(self.times[reached[0]]) if len(reached) else math.nan

    def recovered_by(self, t: float) -> float:
        """The estimated fraction of runs recovered by time ``t``.

        Parameters
        ----------
        t : float
            Hours.

        Returns
        -------
        float
            1 − S(t), fraction 0..1.
        """
        at = np.searchsorted(np.asarray(self.times), t, side="right")
        return float(self.recovered[at - 1]) if at else 0.0


def kaplan_meier(times: np.ndarray, windows: np.ndarray) -> KaplanMeier:
    """The Kaplan–Meier estimate of recovery times, NaN ones censored at their window.

    Parameters
    ----------
    times : numpy.ndarray
        Time to recover per run, hours; NaN when not reached within the run.
    windows : numpy.ndarray
        Per run, the hours its recovery could be seen in (``recovery_window_h``): the
        censoring time of a NaN in ``times``.

    Returns
    -------
    KaplanMeier
        Through ``scipy.stats.ecdf`` on ``scipy.stats.CensoredData``.

    Examples
    --------
    >>> km = kaplan_meier(np.array([1.0, np.nan, 3.0]), np.array([9.0, 2.0, 9.0]))
    >>> km.censored, km.median, [round(f, 4) for f in km.recovered]
    (1, 3.0, [0.3333, 1.0])
    """
    times = np.asarray(times, np.float64)
    windows = np.asarray(windows, np.float64)
    observed = times[np.isfinite(times)]
    censored = windows[~np.isfinite(times)]
    if len(observed) == 0:
        return KaplanMeier(len(times), len(censored), math.nan, (), ())
    cdf = stats.ecdf(stats.CensoredData(uncensored=observed, right=censored)).cdf
    keep = np.isin(cdf.quantiles, observed)          # the curve steps at recoveries only
    at, recovered = cdf.quantiles[keep], cdf.probabilities[keep]
    km = KaplanMeier(len(times), len(censored), math.nan, tuple(at.tolist()), tuple(recovered.tolist()))
    return KaplanMeier(km.n, km.censored, km.quantile(0.5), km.times, km.recovered)


@dataclass(frozen=True)
class MetricSummary:
    """One metric over the runs of a batch, in the metric's stored unit.

    Attributes
    ----------
    n : int
        Runs with a value.
    missing : int
        Runs without (NaN).
    mean, sd : float
        Mean and sample standard deviation (NaN for fewer than two values).
    q05, q50, q95 : float
        The 5%, 50% and 95% quantiles.
    ci_low, ci_high : float
        The interval of the mean that summaries show (:attr:`interval`).
    interval : str
        Which: ``"t"`` or ``"bca"`` (:data:`DEFAULT_INTERVAL`).
    t_low, t_high : float
        Student's t interval of the mean.
    bca_low, bca_high : float
        The bootstrap BCa interval of the mean.
    km : KaplanMeier or None
        For a recovery time, its Kaplan–Meier estimate with the runs that did not recover
        censored (then the mean and quantiles, of recovered runs only, are biased low).
    """

    n: int
    missing: int
    mean: float
    sd: float
    q05: float
    q50: float
    q95: float
    ci_low: float
    ci_high: float
    interval: str
    t_low: float
    t_high: float
    bca_low: float
    bca_high: float
    km: KaplanMeier | None = None

    @property
    def ci_width(self) -> float:
        """Width of the interval of the mean, ``ci_high - ci_low``."""
        return self.ci_high - self.ci_low

    def as_dict(self) -> dict[str, Any]:
        """The fields by name, with ``ci_width`` (``km`` as a mapping, or None)."""
        return {**asdict(self), "ci_width": self.ci_width}


def describe(values: np.ndarray, level: float = LEVEL, windows: np.ndarray | None = None) -> MetricSummary:
    """n, mean, sd, 5/50/95% quantiles and the intervals of the mean, NaNs left out.

    Parameters
    ----------
    values : ndarray
        One value per run; NaN for no value.
    level : float
        Confidence level of the intervals, fraction 0..1.
    windows : ndarray, optional
        For a recovery time: each run's recovery window, to estimate the Kaplan–Meier
        curve with the NaN values censored there.

    Returns
    -------
    MetricSummary
        In the values' unit.

    Examples
    --------
    >>> s = describe(np.array([1.0, 2.0, 3.0, np.nan]))
    >>> s.n, s.missing, s.mean, s.q50
    (3, 1, 2.0, 2.0)
    """
    values = np.asarray(values, dtype=np.float64)
    valid = values[~np.isnan(values)]
    n = len(valid)
    km = kaplan_meier(values, windows) if windows is not None else None
    if n == 0:
        return MetricSummary(0, len(values), *([math.nan] * 7), DEFAULT_INTERVAL, *([math.nan] * 4), km)
    mean = float(valid.mean())
    sd = float(valid.std(ddof=1)) if n > 1 else math.nan
    q05, q50, q95 = (float(q) for q in np.quantile(valid, [0.05, 0.50, 0.95]))
    t, bca = t_interval(valid, level), bca_interval(valid, level)
    shown = bca if DEFAULT_INTERVAL == "bca" else t
    return MetricSummary(n, len(values) - n, mean, sd, q05, q50, q95, *shown, DEFAULT_INTERVAL, *t, *bca, km)


def metric_columns(table: pa.Table) -> list[str]:
    """The metric columns of a batch's rows: every column but :data:`ID_COLUMNS`.

    Parameters
    ----------
    table : pa.Table
        A batch's rows (:func:`sim.batchstore.read_runs`).

    Returns
    -------
    list of str
        Column names, in the table's order.
    """
    return [name for name in table.column_names if name not in ID_COLUMNS]


def column(table: pa.Table, name: str) -> np.ndarray:
    """One column as float64, nulls as NaN.

    Parameters
    ----------
    table : pa.Table
        A batch's rows (:func:`sim.batchstore.read_runs`).
    name : str
        A column name.

    Returns
    -------
    ndarray of float64
        One value per row.
    """
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)


def summarize(table: pa.Table, level: float = LEVEL) -> dict[str, MetricSummary]:
    """A summary of every metric column of a batch's rows (recovery times with their
    Kaplan–Meier estimate when the rows have the recovery window).

    Parameters
    ----------
    table : pa.Table
        A batch's rows (:func:`sim.batchstore.read_runs`).
    level : float
        Confidence level of the interval, fraction 0..1.

    Returns
    -------
    dict of str to MetricSummary
        By metric, in column order.
    """
    names = metric_columns(table)
    windows = column(table, RECOVERY_WINDOW) if RECOVERY_WINDOW in names else None
    return {name: describe(column(table, name), level, windows if name in RECOVERY else None) for name in names}


@dataclass(frozen=True)
class PairedDifference:
    """The paired difference variant − reference of one metric, in the metric's stored unit.

    Attributes
    ----------
    n : int
        Pairs with both values.
    excluded : int
        Pairs left out for a NaN on either side.
    reference_mean, variant_mean : float
        Each side's mean over the ``n`` pairs.
    mean, sd : float
        Mean and sample standard deviation of variant − reference.
    ci_low, ci_high : float
        The t interval of the mean difference.
    t_p : float or None
        p-value of the paired t-test; None where it is not defined.
    wilcoxon_p : float or None
        p-value of the Wilcoxon signed-rank test; None where it is not defined.
    """

    n: int
    excluded: int
    reference_mean: float
    variant_mean: float
    mean: float
    sd: float
    ci_low: float
    ci_high: float
    t_p: float | None
    wilcoxon_p: float | None

    def as_dict(self) -> dict[str, Any]:
        """The fields by name (as ``comparison.json`` holds them under each metric)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "PairedDifference":
        """The inverse of :meth:`as_dict`, reading null (JSON's NaN) as NaN.

        Parameters
        ----------
        data : Mapping[str, Any]
            One metric's entry of ``comparison.json``; every field must be present.

        Returns
        -------
        PairedDifference
            Means and interval in the metric's stored units.

        Raises
        ------
        KeyError
            Naming the first field that is missing.
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            value = data[f.name]
            if f.name in ("n", "excluded"):
                value = int(value)
            elif value is not None:
                value = float(value)
            elif f.name not in ("t_p", "wilcoxon_p"):
                value = math.nan
            values[f.name] = value
        return cls(**values)


def _p_value(test, *args) -> float | None:
    """A test's p-value, or None where the test is not defined (too few or all-equal pairs)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            p = float(test(*args).pvalue)
        except ValueError:
            return None
    return None if math.isnan(p) else p


def _wilcoxon(d: np.ndarray):
    """The signed-rank test: exact up to 50 pairs without zeros or ties, else the normal
    approximation (scipy would fall back to a slow permutation test)."""
    nonzero = d[d != 0]
    exact = len(d) <= 50 and len(nonzero) == len(d) and len(np.unique(np.abs(nonzero))) == len(nonzero)
    return stats.wilcoxon(d, method="exact" if exact else "approx")


def paired(reference: np.ndarray, variant: np.ndarray, level: float = LEVEL) -> PairedDifference:
    """The paired difference variant − reference, its t interval and paired tests.

    Parameters
    ----------
    reference, variant : ndarray
        One value per run, run *i* of each paired; NaN for no value.
    level : float
        Confidence level of the interval, fraction 0..1.

    Returns
    -------
    PairedDifference
        In the values' unit.
    """
    reference = np.asarray(reference, np.float64)
    variant = np.asarray(variant, np.float64)
    keep = ~(np.isnan(reference) | np.isnan(variant))
    x, y = reference[keep], variant[keep]
    d = y - x
    n = len(d)
    if n == 0:
        return PairedDifference(0, int((~keep).sum()), *([math.nan] * 6), None, None)
    mean = float(d.mean())
    sd = float(d.std(ddof=1)) if n > 1 else math.nan
    varies = n > 1 and sd > 0
    t_p = _p_value(stats.ttest_rel, y, x) if varies else None
    w_p = _p_value(_wilcoxon, d) if n > 1 and np.any(d != 0) else None
    return PairedDifference(n, int((~keep).sum()), float(x.mean()), float(y.mean()), mean, sd,
                            *t_interval(d, level), t_p, w_p)


def pair_up(reference: pa.Table, variant: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The rows of both tables on the run indices they share, in the same order.

    Parameters
    ----------
    reference, variant : pa.Table
        Two batches' rows, with ``run_index``.

    Returns
    -------
    tuple of (pa.Table, pa.Table)
        Both tables' rows of the shared run indices, in index order.
    """
    common = np.intersect1d(reference.column("run_index").to_numpy(), variant.column("run_index").to_numpy())

    def take(table: pa.Table) -> pa.Table:
        index = table.column("run_index").to_numpy()
        return table.take(pa.array(np.searchsorted(index, common)))

    return take(reference.sort_by("run_index")), take(variant.sort_by("run_index"))


def compare(reference: pa.Table, variant: pa.Table, level: float = LEVEL) -> dict[str, PairedDifference]:
    """Per metric, the paired difference variant − reference on the shared run indices.

    Parameters
    ----------
    reference, variant : pa.Table
        Two batches' rows (:func:`sim.batchstore.read_runs`), run on common random numbers.
    level : float
        Confidence level of the interval, fraction 0..1.

    Returns
    -------
    dict of str to PairedDifference
        By metric of the reference that the variant also has.
    """
    ref, var = pair_up(reference, variant)
    names = [m for m in metric_columns(ref) if m in var.column_names]
    return {name: paired(column(ref, name), column(var, name), level) for name in names}
