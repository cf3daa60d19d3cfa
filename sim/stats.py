"""Statistics of batch results: per-metric summaries with confidence intervals, and paired
comparisons of policies run on common random numbers.

- The interval of a mean is Student's t: mean ± t(0.975, n − 1) · s / √n. Its width shrinks
  as 1/√n, so halving it takes about four times the runs.
- A comparison pairs run *i* of a variant with run *i* of the reference: both drew the same
  attacks (common random numbers, Law & Kelton, *Simulation Modeling and Analysis*, §11.2),
  so the variance of the difference is Var(X) + Var(Y) − 2 Cov(X, Y), smaller than for
  independent batches whenever the outcomes are positively correlated. The interval is t on
  the paired differences; the tests are the paired t-test and the Wilcoxon signed-rank test.

NaN values (e.g. a recovery time never reached within the run) are left out and counted.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import asdict, dataclass, fields
from typing import Any, Mapping

import numpy as np
import pyarrow as pa
from scipy import stats

__all__ = [
    "ID_COLUMNS", "LEVEL", "MetricSummary", "PairedDifference", "column", "compare", "describe", "metric_columns",
    "pair_up", "paired", "summarize",
]

LEVEL = 0.95
ID_COLUMNS = ("run_index", "seed", "seed_key")


def _t_interval(mean: float, sd: float, n: int, level: float) -> tuple[float, float]:
    """Student's t interval of a mean from ``n`` values; NaN for fewer than two, a point for sd 0."""
    if n < 2:
        return math.nan, math.nan
    if sd == 0.0:
        return mean, mean
    low, high = stats.t.interval(level, n - 1, loc=mean, scale=sd / math.sqrt(n))
    return float(low), float(high)


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
        The t interval of the mean.
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

    @property
    def ci_width(self) -> float:
        """Width of the interval of the mean, ``ci_high - ci_low``."""
        return self.ci_high - self.ci_low

    def as_dict(self) -> dict[str, Any]:
        """The fields by name, with ``ci_width``."""
        return {**asdict(self), "ci_width": self.ci_width}


def describe(values: np.ndarray, level: float = LEVEL) -> MetricSummary:
    """n, mean, sd, 5/50/95% quantiles and the t interval of the mean, NaNs left out.

    Parameters
    ----------
    values : ndarray
        One value per run; NaN for no value.
    level : float
        Confidence level of the interval, fraction 0..1.

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
    if n == 0:
        return MetricSummary(0, len(values), *([math.nan] * 7))
    mean = float(valid.mean())
    sd = float(valid.std(ddof=1)) if n > 1 else math.nan
    q05, q50, q95 = (float(q) for q in np.quantile(valid, [0.05, 0.50, 0.95]))
    return MetricSummary(n, len(values) - n, mean, sd, q05, q50, q95, *_t_interval(mean, sd, n, level))


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
    """A summary of every metric column of a batch's rows.

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
    return {name: describe(column(table, name), level) for name in metric_columns(table)}


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
                            *_t_interval(mean, sd, n, level), t_p, w_p)


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
