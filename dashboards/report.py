"""The Monte Carlo report: one HTML page for a batch folder or a comparison folder.

A batch folder holds ``manifest.json``, ``runs/part-*.parquet`` (one row per run, every
metric a column, NaN = not reached) and ``quantiles.parquet`` (per-tick quantiles of each
service series). A comparison folder holds ``comparison.json`` and one batch folder per arm.
The page shows the headline metrics' distributions, the fan chart of Q(t) and, for a
comparison, the paired differences of each variant from the reference.
"""

from __future__ import annotations

import html
import json
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from dashboards import page
from dashboards.figures import (
    ARM_COLOURS, fan_chart, metric_distributions, paired_differences, recovery_curves, sector_colours, y_floor,
)
from dashboards.numberformat import D3_SIGNIFICANT, metric_text, p_value, significant
from sim.batchstore import (
    MANIFEST, RESULT, Comparison, SeriesQuantiles, StoreError, read_comparison, read_manifest, read_quantiles, read_runs,
)
from sim.metrics import HEADLINE, RECOVERY, RECOVERY_WINDOW, SUMMARY, metric
from sim.percolation import critical_p, mu_infinity
from sim.stats import KaplanMeier, column, describe, kaplan_meier, metric_columns

__all__ = ["KM_NOTE", "REPORT", "Batch", "ReportError", "SweptFraction", "buldyrev_figure", "buldyrev_section",
           "differences_table", "how_to_read", "read_batch", "recovery_estimates", "report_html", "summary_table", "swept_fractions",
           "write_report"]

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
    """Runs, mean, standard deviation and the mean's 95% interval, median, 5–95% range and
    runs without a value, per metric (and arm); recovery times by their Kaplan–Meier estimate.

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
                                             + ["n", "mean", "sd", "95% CI of the mean", "median", "5%", "95%"]))
    head += ('<th title="runs where the metric has no value: not recovered within the run (censored), '
             'or no node hit (cascade amplification)">no value</th>')
    rows, censored = [], False

    def num(name: str, value: float) -> str:
        return metric_text(name, float(value), unit=False, blank="–")

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
                cells += [f"{s.n:,}", num(name, s.mean), num(name, s.sd), f"{num(name, s.ci_low)} to {num(name, s.ci_high)}",
                          num(name, s.q50),
                          num(name, s.q05), num(name, s.q95), f"{s.missing} of {len(values)}"]
            else:
                censored = True
                cells += [f"{km.n:,}", "–", "–", "–", metric_text(name, km.median, unit=False, blank="not reached"),
                          metric_text(name, km.quantile(0.05), unit=False, blank="not reached"),
                          metric_text(name, km.quantile(0.95), unit=False, blank="not reached"),
                          f"{km.censored} of {km.n} censored"]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    note = f'<p class="note">{KM_NOTE}</p>' if censored else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{note}"


def differences_table(comparison: Comparison) -> str:
    """Every metric's paired difference per variant: which direction is better, the mean
    difference and whether it is better or worse, its 95% CI, both tests' p and the pairs.

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
            mean, low, high, sd = (metric_text(name, x, signed=True, unit=False, blank="–")
                                   for x in (d.mean, d.ci_low, d.ci_high, d.sd))
            cells = [html.escape(variant), html.escape(info.heading), "" if info.better.value == "none" else info.better.value,
                     mean, info.verdict(d.mean) or "–", sd.lstrip("+"), f"{low} to {high}", p_value(d.t_p),
                     p_value(d.wilcoxon_p), f"{d.n:,}"]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("variant", "metric", "better is",
                                            f"mean difference (variant − {html.escape(comparison.reference)})",
                                            "so the variant is", "sd of the differences", "95% CI",
                                            "p (paired t)", "p (Wilcoxon signed-rank)", "pairs"))
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
    return (f'<div class="panel fan">{page.figure_div(overall, "fan-service")}</div>'
            + how_to_read("The line is the median run; the darker band holds the middle half of runs, the lighter "
                          "band 90% of them. A wide band means the outcome depends on chance.")
            + f'<h2>Service by sector</h2><div class="grid">{"".join(cells)}</div>')


def comparison_fans(arms: Mapping[str, Mapping[str, SeriesQuantiles]]) -> str:
    """The reference's 25–75% band with every arm's median on one chart (bands of several
    arms overlaid turn into one muddy colour, so only the reference's is shaded), each
    sector's medians per arm, then each arm's full fan on shared axes with the reference's
    median as a thin line (small multiples).

    Parameters
    ----------
    arms : Mapping[str, Mapping[str, SeriesQuantiles]]
        Arm → service series → per-tick quantiles across runs.

    Returns
    -------
    str
        HTML panels of overall and per-sector service, or a note when no arm has quantiles.
    """
    have = {arm: fans["service"] for arm, fans in arms.items() if "service" in fans}
    if not have:
        return NO_FANS
    colours = {arm: ARM_COLOURS[i % len(ARM_COLOURS)] for i, arm in enumerate(arms)}
    reference = next(iter(have))
    overlay = fan_chart(have, title=f"Overall service Q(t): median per arm, 25–75% of {reference}'s runs",
                        bands=("25–75%",), colours=colours, banded=(reference,))
    sectors = sorted({s.removeprefix("service_") for fans in arms.values() for s in fans if s.startswith("service_")})
    by_sector = [_small(fan_chart({arm: fans[f"service_{s}"] for arm, fans in arms.items() if f"service_{s}" in fans},
                                  title=f"{s}: median per arm", colours=colours, bands=()), f"fan-sector-{i}")
                 for i, s in enumerate(sectors)]
    cells = [_small(_with_reference(fan_chart({arm: fan}, title=f"{arm}: median, 25–75% and 5–95%", colours=colours),
                                    have, arm, reference), f"fan-{i}")
             for i, (arm, fan) in enumerate(have.items())]
    legend = " · ".join(f"{html.escape(arm)}: {DASH_NAMES[k % len(DASH_NAMES)]} line" for k, arm in enumerate(have))
    return (f'<div class="panel fan">{page.figure_div(overlay, "fan-service")}</div>'
            + how_to_read(f"Each arm's median run is a line ({legend}; the reference is drawn on top); the shaded band "
                          f"holds the middle half of {reference}'s runs, so a median outside it lies beyond the reference's "
                          "usual spread. Other arms' bands are not overlaid (they would hide one another): each arm's fan is "
                          "below. Where lines coincide, the arms do not differ.")
            + (f'<h2>Service by sector, per arm</h2><div class="grid">{"".join(by_sector)}</div>'
               + how_to_read("One chart per sector: each arm's median run, same line patterns as above.") if by_sector else "")
            + f'<h2>Each arm</h2><div class="grid">{"".join(cells)}</div>'
            + how_to_read(f"One chart per arm on the same axes: its median, the middle half and 90% of its runs, and "
                          f"{reference}'s median as a thin grey line to compare with."))


def _with_reference(fig: go.Figure, have: Mapping[str, SeriesQuantiles], arm: str, reference: str) -> go.Figure:
    """An arm's fan on the axes every arm's panel shares, with the reference's median as a thin
    grey line (none on the reference's own panel)."""
    low = min(float(np.nanmin(fan.q05)) for fan in have.values() if len(fan.time_h))
    start = min(float(np.min(fan.time_h)) for fan in have.values() if len(fan.time_h))
    end = max(float(np.max(fan.time_h)) for fan in have.values() if len(fan.time_h))
    if arm != reference:
        base = have[reference]
        fig.add_trace(go.Scatter(x=np.asarray(base.time_h, dtype=float), y=np.asarray(base.q50) * 100.0, mode="lines",
                                 line=dict(color="#555", width=1), name=f"{reference} median", meta=f"reference:{reference}",
                                 hovertemplate=f"{html.escape(reference)} median %{{y:{D3_SIGNIFICANT}}}%<extra></extra>"))
    fig.update_yaxes(range=[y_floor(low), 101.5])
    fig.update_xaxes(range=[start, end])
    return fig


DASH_NAMES = ("solid", "dashed", "dotted", "dash-dot", "long-dashed", "long dash-dot", "dash-dot-dot")


def how_to_read(text: str) -> str:
    """One line under a chart that says how to read it.

    Parameters
    ----------
    text : str
        The advice (escaped here).

    Returns
    -------
    str
        A ``<p class="how">`` element.
    """
    return f'<p class="how"><b>How to read this:</b> {html.escape(text)}</p>'


@dataclass(frozen=True)
class SweptFraction:
    """One arm of a sweep over a target's ``fraction``: the share of a sector removed.

    Attributes
    ----------
    arm : str
        The arm's name.
    fraction : float
        The fraction removed, 1 − p.
    sector : str
        The sector the target rule removes it from.
    mu : numpy.ndarray
        Per run, the lowest overall service level (for two networks coupled one to one,
        the mutually connected giant component μ∞ as a fraction of either network).
    """

    arm: str
    fraction: float
    sector: str
    mu: np.ndarray


def _at(data: Any, parts: Sequence[str]) -> Any:
    """The value at a dotted path's parts in scenario data (integers index lists); None if absent."""
    for part in parts:
        if isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        elif isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return None
    return data


def swept_fractions(arms: Mapping[str, Batch]) -> tuple[list[SweptFraction], dict[str, Any]]:
    """The arms that set a target's ``fraction`` (``--set``/``--sweep ...target.fraction=v``),
    and the scenario data (overrides not applied) they share.

    Parameters
    ----------
    arms : Mapping[str, Batch]
        The comparison's arms.

    Returns
    -------
    list of SweptFraction
        The arms with such an override (the last one counts), in order.
    dict
        The scenario file's data, from the first arm's manifest (empty if unreadable).
    """
    first = next(iter(arms.values()))
    try:
        data = json.loads(first.manifest["scenario"]["text"])
    except (KeyError, TypeError, json.JSONDecodeError):
        return [], {}
    out = []
    for name, batch in arms.items():
        sets = [o["set"] for o in batch.manifest.get("overrides") or [] if isinstance(o, dict) and "set" in o]
        fractions = [spec for spec in sets if spec.partition("=")[0].strip().endswith("target.fraction")]
        if not fractions or "min_service" not in batch.runs:
            continue
        path, _, value = fractions[-1].partition("=")
        target = _at(data, path.strip().split(".")[:-1])
        try:
            fraction = float(value)
        except ValueError:
            continue
        sector = target.get("sector") if isinstance(target, dict) else None
        if sector:
            out.append(SweptFraction(name, fraction, str(sector), batch.runs["min_service"]))
    return out, data if isinstance(data, dict) else {}


def _mean_degree(network: Any, sector: str) -> float | None:
    """⟨k⟩ = 2 links / nodes of one sector in inline network data; None when not inline."""
    nodes, links = _at(network, ["nodes"]), _at(network, ["links"])
    if not isinstance(nodes, list) or not isinstance(links, list):
        return None
    members = {n["id"] for n in nodes if isinstance(n, dict) and n.get("sector") == sector}
    ends = [(link.get("a"), link.get("b")) if isinstance(link, dict) else tuple(link[:2]) for link in links]
    inside = sum(1 for a, b in ends if a in members and b in members)
    return 2.0 * inside / len(members) if members else None


def buldyrev_figure(points: Sequence[SweptFraction], k: float) -> go.Figure:
    """μ∞ against p = 1 − fraction: the theory of Buldyrev et al. (2010) and the runs.

    Parameters
    ----------
    points : sequence of SweptFraction
        The sweep's arms.
    k : float
        Mean degree ⟨k⟩ of the networks.

    Returns
    -------
    go.Figure
        The theory curve μ∞(p) (:func:`sim.percolation.mu_infinity`), the threshold p_c,
        and per arm the mean over runs with its 95% t interval.
    """
    grid = np.linspace(0.0, 1.0, 401)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=grid, y=[mu_infinity(p, k) for p in grid], mode="lines", name=f"theory, ⟨k⟩ = {k:g}",
                             line=dict(color="#444")))
    stats = [describe(point.mu) for point in points]
    fig.add_trace(go.Scatter(
        x=[1.0 - point.fraction for point in points], y=[s.mean for s in stats], mode="markers", name="runs (mean, 95% CI)",
        error_y=dict(type="data", symmetric=False, array=[s.ci_high - s.mean for s in stats],
                     arrayminus=[s.mean - s.ci_low for s in stats]),
        text=[point.arm for point in points], marker=dict(size=9, color=ARM_COLOURS[0])))
    fig.add_vline(x=critical_p(k), line_dash="dot", annotation_text=f"p_c = {significant(critical_p(k))}")
    fig.update_layout(title="Mutually connected giant component μ∞ against the fraction kept p",
                      xaxis_title="p = 1 − fraction removed", yaxis_title="μ∞ (fraction of the nodes)",
                      xaxis_range=[0, 1], yaxis_range=[0, 1], height=460)
    return fig


def buldyrev_section(arms: Mapping[str, Batch]) -> str:
    """The report's section comparing a sweep of a ``reference: buldyrev`` scenario with
    the theory; empty for any other folder.

    Parameters
    ----------
    arms : Mapping[str, Batch]
        The comparison's arms.

    Returns
    -------
    str
        HTML: the figure (:func:`buldyrev_figure`) and a table of measured and theoretical
        μ∞ per p, or a note when the mean degree cannot be read; "" when the scenario names
        no reference or no arm sweeps a fraction.
    """
    points, data = swept_fractions(arms)
    if data.get("reference") != "buldyrev" or not points:
        return ""
    k = _mean_degree(data.get("network"), points[0].sector)
    head = "<h2>Reference: Buldyrev et al. 2010</h2>"
    if not k:
        return head + ('<div class="panel note">The network is not inline in the scenario data, so its mean '
                       'degree, and the theory, are not known here.</div>')
    rows = []
    for point in points:
        s = describe(point.mu)
        p = 1.0 - point.fraction
        rows.append(f"<tr><td>{html.escape(point.arm)}</td><td>{significant(p)}</td><td>{significant(s.mean)}</td>"
                    f"<td>{significant(s.ci_low)} to {significant(s.ci_high)}</td><td>{significant(mu_infinity(p, k))}</td>"
                    f"<td>{s.n:,}</td></tr>")
    table = ("<table><thead><tr><th>arm</th><th>p</th><th>μ∞ measured (mean)</th><th>95% CI</th>"
             f"<th>μ∞ theory</th><th>runs</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")
    note = (f'<div class="note">A random fraction 1 − p of sector {html.escape(points[0].sector)} removed; '
            "μ∞ is the lowest overall service level (for networks coupled one to one, the mutually connected "
            "giant component as a fraction of either). Theory: μ∞ = p·x², x = 1 − exp(−⟨k⟩·p·x²), "
            "p_c = 2.4554/⟨k⟩ (Buldyrev et al., Nature 464, 1025–1028, 2010); finite networks fall below it "
            "near p_c.</div>")
    return head + f'<div class="panel">{page.figure_div(buldyrev_figure(points, k), "reference")}</div>' + table + note


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
        body.append(how_to_read("Each dot is a variant's mean difference from the reference over paired runs (same "
                                "seeds), its bar the 95% interval; a bar that crosses 0 is no clear change. Each panel "
                                "says which direction is better."))
        body.append(f"<details><summary>every metric</summary>{differences_table(comparison)}</details>")
        body.append(buldyrev_section(arms))
    if comparison is None:
        body.append("<h2>Headline metrics</h2>" + summary_table(runs))
    else:
        body.append("<h2>Headline metrics</h2>" + summary_table(runs, HEADLINE) +
                    f"<details><summary>more metrics</summary>{summary_table(runs)}</details>")
    body.append(f'<div class="panel">{page.figure_div(metric_distributions(runs), "distributions")}</div>')
    body.append(how_to_read("Each bar counts the runs with a value in its range: a narrow heap means the runs "
                            "agree, a long tail to the right means a few runs went much worse." if comparison is None
                            else "Each curve is the share of runs at or below a value (empirical CDF): the further "
                            "left a curve of a loss sits, the better; a steep curve means runs agree."))
    curves = {name: estimates for name, r in runs.items() if (estimates := recovery_estimates(r))}
    if curves:
        body.append("<h2>Recovery</h2>")
        body.append(f'<div class="panel">{page.figure_div(recovery_curves(curves), "recovery")}</div>')
        body.append(how_to_read("The share of runs back to the level by each time; runs that never recover within "
                                "the run are censored, so a curve that stays below 100% means some never did. A "
                                "recovery quantile of 0 h means those runs never fell below the level."))
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
.how { font-size: 13px; color: #444; margin: -6px 0 14px 4px; }
.fan { height: 460px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 12px; }
.cell { height: 312px; margin: 0; }
.note { padding: 12px; color: #555; }
table { margin-bottom: 12px; }
"""
