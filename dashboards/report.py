"""The Monte Carlo report: one HTML page for a batch folder or a comparison folder.

A batch folder holds ``manifest.json``, ``runs/part-*.parquet`` (one row per run, every
metric a column, NaN = not reached) and ``quantiles.parquet`` (per-tick quantiles of each
service series). A comparison folder holds ``comparison.json`` and one batch folder per arm.
The page shows the headline metrics' distributions, the fan chart of Q(t) and, for a
comparison, the paired differences of each variant from the reference.
"""

from __future__ import annotations

import html
import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from dashboards import page
from dashboards.figures import (
    ARM_COLOURS, fan_chart, metric_distributions, paired_differences, recovery_curves, sector_colours,
)
from sim.batchstore import (
    MANIFEST, RESULT, Comparison, SeriesQuantiles, StoreError, read_comparison, read_manifest, read_quantiles, read_runs,
)
from sim.metrics import HEADLINE, RECOVERY, RECOVERY_WINDOW, SUMMARY, metric
from sim.stats import KaplanMeier, column, describe, kaplan_meier, metric_columns

__all__ = ["KM_NOTE", "REPORT", "Batch", "ReportError", "differences_table", "read_batch", "recovery_estimates",
           "report_html", "summary_table", "write_report"]

REPORT = "report.html"


class ReportError(ValueError):
    """A folder that cannot be reported on; the message says why."""


@contextmanager
def _reading() -> Iterator[None]:
    """A results file that cannot be read is a folder that cannot be reported on."""
    try:
        yield
    except StoreError as exc:
        raise ReportError(str(exc)) from None


@dataclass
class Batch:
    """What the report reads from one batch folder."""

    folder: Path
    manifest: dict[str, Any]
    runs: dict[str, np.ndarray]              # metric → value per run (stored units, NaN = no value)
    fans: dict[str, SeriesQuantiles]         # service series → quantiles over time

    @property
    def n(self) -> int:
        """Runs in the batch."""
        return len(next(iter(self.runs.values()))) if self.runs else 0

    @property
    def title(self) -> str:
        """The scenario's name (or id, or the folder's name)."""
        scenario = self.manifest.get("scenario")
        if isinstance(scenario, dict):
            return str(scenario.get("name") or scenario.get("id") or self.folder.name)
        return self.folder.name


def read_batch(folder: Path) -> Batch:
    """A batch folder's manifest, runs and quantiles, through the store's readers.

    Parameters
    ----------
    folder : Path
        A batch folder of ``ripple batch``.

    Returns
    -------
    Batch
        Every metric column as float arrays in stored units, and the fans (empty before
        the batch finished).
    """
    with _reading():
        manifest = read_manifest(folder)
        if manifest is None:
            raise ReportError(f"{folder} is not a batch folder (no {MANIFEST})")
        table = read_runs(folder)
        runs = {name: column(table, name) for name in metric_columns(table)}
        return Batch(folder, manifest, runs, read_quantiles(folder))


# ----------------------------------------------------------------------- page
def recovery_estimates(runs: Mapping[str, np.ndarray]) -> dict[str, KaplanMeier]:
    """The Kaplan–Meier estimate of each recovery time of one batch's runs.

    Parameters
    ----------
    runs : Mapping[str, np.ndarray]
        Metric → value per run, in stored units, with ``recovery_window_h``.

    Returns
    -------
    dict[str, KaplanMeier]
        By recovery metric; empty when the runs have no recovery window (older batches).
    """
    if RECOVERY_WINDOW not in runs:
        return {}
    return {name: kaplan_meier(runs[name], runs[RECOVERY_WINDOW]) for name in RECOVERY if name in runs}


KM_NOTE = ("† Kaplan–Meier estimate (Kaplan &amp; Meier 1958): runs that did not recover within the run are "
           "censored at its end, not left out, so no mean is given (one over the recovered runs would be biased "
           "low). The interval of a mean is the bootstrap BCa interval (Efron 1987).")


def summary_table(arms: Mapping[str, Mapping[str, np.ndarray]], metrics: Sequence[str] = SUMMARY) -> str:
    """Mean with its 95% interval, median, 5–95% range and runs without a value, per metric
    (and arm); recovery times by their Kaplan–Meier estimate.

    Parameters
    ----------
    arms : Mapping[str, Mapping[str, np.ndarray]]
        Arm → metric → value per run, in stored units.
    metrics : Sequence[str]
        The metrics to list, in order; each is shown in its catalogue unit.

    Returns
    -------
    str
        An HTML table, with a note on the Kaplan–Meier rows when it has any.
    """
    many = len(arms) > 1
    head = "".join(f"<th>{h}</th>" for h in (["metric"] + (["arm"] if many else [])
                                             + ["mean", "95% CI of the mean", "median", "5%", "95%"]))
    head += ('<th title="runs where the metric has no value: not recovered within the run (censored), '
             'or no node hit (cascade amplification)">no value</th>')
    rows, censored = [], False

    def num(name: str, value: float) -> str:
        return metric(name).number(float(value), blank="–", average=True)

    for name in metrics:
        info = metric(name)
        for label, runs in arms.items():
            if name not in runs:
                continue
            values = runs[name]
            km = recovery_estimates(runs).get(name)
            s = describe(values) if km is None else None
            cells = [html.escape(info.heading) + (" †" if km else "")] + ([html.escape(label)] if many else [])
            if km is None:
                cells += [num(name, s.mean), f"{num(name, s.ci_low)} to {num(name, s.ci_high)}", num(name, s.q50),
                          num(name, s.q05), num(name, s.q95), f"{s.missing} of {len(values)}"]
            else:
                censored = True
                cells += ["–", "–", info.number(km.median, blank="not reached", average=True),
                          info.number(km.quantile(0.05), blank="not reached", average=True),
                          info.number(km.quantile(0.95), blank="not reached", average=True),
                          f"{km.censored} of {km.n} censored"]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    note = f'<p class="note">{KM_NOTE}</p>' if censored else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"


def differences_table(comparison: Comparison) -> str:
    """Every metric's paired difference per variant: mean, 95% CI, p, pairs.

    Parameters
    ----------
    comparison : Comparison
        As :func:`sim.batchstore.read_comparison` reads it.

    Returns
    -------
    str
        An HTML table, differences in each metric's shown unit (percentage points for a share).
    """
    rows = []
    for variant, metrics in comparison.differences.items():
        for name, d in metrics.items():
            info = metric(name)
            p = d.t_p
            mean, low, high = (info.number(x, signed=True, blank="–", average=True) for x in (d.mean, d.ci_low, d.ci_high))
            cells = [html.escape(variant), html.escape(info.heading), mean, f"{low} to {high}",
                     "–" if p is None or not math.isfinite(p) else ("<0.001" if p < 0.001 else f"{p:.3f}"), str(d.n)]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("variant", "metric", f"mean difference (variant − {html.escape(comparison.reference)})",
                                            "95% CI", "p (paired t)", "pairs"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _describe_batch(batch: Batch) -> str:
    m = batch.manifest
    bits = [f"{batch.n} runs" + (f" of {m['runs']} asked" if isinstance(m.get("runs"), int) and m["runs"] != batch.n else ""),
            f"seed {m['seed']}" if "seed" in m else "", f"created {m['created']}" if m.get("created") else ""]
    overrides = m.get("overrides")
    if overrides:
        bits.append("overrides: " + ", ".join(
            f"--set {o['set']}" if isinstance(o, dict) and "set" in o else
            f"overlay {o['overlay']}" if isinstance(o, dict) and "overlay" in o else str(o) for o in overrides))
    return " · ".join(html.escape(b) for b in bits if b)


NO_FANS = ('<div class="panel note">No quantiles.parquet in this folder, so no fan chart '
           '(it is written when a batch finishes).</div>')


def _small(fig: go.Figure, div_id: str) -> str:
    fig.update_layout(height=300, showlegend=False, margin=dict(l=55, r=10, t=40, b=45))
    return f'<div class="panel cell">{page.figure_div(fig, div_id)}</div>'


def batch_fans(fans: Mapping[str, SeriesQuantiles]) -> str:
    """The overall fan chart, then each sector's side by side.

    Parameters
    ----------
    fans : Mapping[str, SeriesQuantiles]
        Service series (``service``, ``service_<sector>``) → per-tick quantiles across runs.

    Returns
    -------
    str
        HTML panels, or a note when the batch has no quantiles.
    """
    if "service" not in fans:
        return NO_FANS
    overall = fan_chart({"runs": fans["service"]}, title="Overall service Q(t) across runs: median, 25–75% and 5–95%")
    sectors = [s.removeprefix("service_") for s in fans if s.startswith("service_")]
    colours = sector_colours(sectors)
    cells = [_small(fan_chart({s: fans[f"service_{s}"]}, title=s, colours={s: colours[s]}), f"fan-{i}")
             for i, s in enumerate(sectors)]
    return (f'<div class="panel fan">{page.figure_div(overall, "fan-service")}</div><h2>Service by sector</h2>'
            f'<div class="grid">{"".join(cells)}</div>')


def comparison_fans(arms: Mapping[str, Mapping[str, SeriesQuantiles]]) -> str:
    """The arms' medians and 25–75% bands on one chart, then each arm's full fan.

    Parameters
    ----------
    arms : Mapping[str, Mapping[str, SeriesQuantiles]]
        Arm → service series → per-tick quantiles across runs.

    Returns
    -------
    str
        HTML panels of overall service, or a note when no arm has quantiles.
    """
    have = {arm: fans["service"] for arm, fans in arms.items() if "service" in fans}
    if not have:
        return NO_FANS
    overlay = fan_chart(have, title="Overall service Q(t): median and 25–75% of runs, per arm", bands=("25–75%",))
    cells = [_small(fan_chart({arm: fan}, title=f"{arm}: median, 25–75% and 5–95%",
                              colours={arm: ARM_COLOURS[i % len(ARM_COLOURS)]}), f"fan-{i}")
             for i, (arm, fan) in enumerate(have.items())]
    return (f'<div class="panel fan">{page.figure_div(overlay, "fan-service")}</div><h2>Each arm</h2>'
            f'<div class="grid">{"".join(cells)}</div>')


def report_html(folder: Path) -> str:
    """The report page of a batch folder or a comparison folder.

    Parameters
    ----------
    folder : Path
        A folder of ``ripple batch`` (``manifest.json``) or of ``ripple compare``
        (``comparison.json``).

    Returns
    -------
    str
        One self-contained HTML document.

    Raises
    ------
    ReportError
        When the folder is neither, or its files cannot be read.
    """
    if (folder / RESULT).exists():
        with _reading():
            comparison = read_comparison(folder)
        arms = {name: read_batch(folder / name) for name in comparison.arms}
        title = f"Policy comparison: {next(iter(arms.values())).title}"
        sub = "<br>".join([f"reference arm <b>{html.escape(comparison.reference)}</b>"] +
                          [f"<b>{html.escape(name)}</b>: {_describe_batch(b)}" for name, b in arms.items()])
    elif (folder / MANIFEST).exists():
        comparison, batch = None, read_batch(folder)
        arms = {folder.name: batch}
        title = f"Monte Carlo report: {batch.title}"
        sub = _describe_batch(batch)
    else:
        raise ReportError(f"{folder} is neither a batch folder (manifest.json) nor a comparison folder (comparison.json)")
    runs = {name: b.runs for name, b in arms.items()}
    body = [f'<header><h1>{html.escape(title)}</h1><div class="sub">{sub}</div></header><main>']
    if comparison is not None:
        body.append("<h2>Paired differences from the reference (common random numbers)</h2>")
        body.append(f'<div class="panel">{page.figure_div(paired_differences(comparison.differences, comparison.reference), "differences")}</div>')
        body.append(f"<details><summary>every metric</summary>{differences_table(comparison)}</details>")
    if comparison is None:
        body.append("<h2>Headline metrics</h2>" + summary_table(runs))
    else:
        body.append("<h2>Headline metrics</h2>" + summary_table(runs, HEADLINE) +
                    f"<details><summary>more metrics</summary>{summary_table(runs)}</details>")
    body.append(f'<div class="panel">{page.figure_div(metric_distributions(runs), "distributions")}</div>')
    curves = {name: estimates for name, r in runs.items() if (estimates := recovery_estimates(r))}
    if curves:
        body.append("<h2>Recovery</h2>")
        body.append(f'<div class="panel">{page.figure_div(recovery_curves(curves), "recovery")}</div>')
    body.append("<h2>Service level over time</h2>")
    body.append(batch_fans(arms[folder.name].fans) if comparison is None else
                comparison_fans({name: b.fans for name, b in arms.items()}))
    body.append("</main>")
    return page.render(title, "\n".join(body), REPORT_CSS)


def write_report(folder: str | Path) -> Path:
    """Write ``folder/report.html`` for a batch or comparison folder; return its path.

    Parameters
    ----------
    folder : str or Path
        A batch or comparison folder.

    Returns
    -------
    Path
        The report written.

    Raises
    ------
    ReportError
        When ``folder`` is not a folder or cannot be reported on.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ReportError(f"{folder} is not a folder")
    return page.write(folder / REPORT, report_html(folder))


REPORT_CSS = """
main { max-width: 1600px; }
.fan { height: 460px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 12px; }
.cell { height: 312px; margin: 0; }
.note { padding: 12px; color: #555; }
table { margin-bottom: 12px; }
"""
