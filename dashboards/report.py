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
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pyarrow as pa
import plotly.graph_objects as go
import pyarrow.parquet as pq

from dashboards import page
from dashboards.figures import (
    ARM_COLOURS, HEADLINE, Fan, fan_chart, metric_distributions, metric_info, paired_differences, sector_colours,
)

REPORT = "report.html"
TABLE_METRICS = (*HEADLINE, "min_service_time_h", "recovery_90_h", "recovery_100_h", "unserved_person_h",
                 "nodes_down", "responder_utilisation")
QUANTILE_COLUMNS = ("series", "time_h", "q05", "q25", "q50", "q75", "q95")


class ReportError(ValueError):
    """A folder that cannot be reported on; the message says why."""


@dataclass
class Batch:
    """What the report reads from one batch folder."""

    folder: Path
    manifest: dict[str, Any]
    runs: dict[str, np.ndarray]      # metric → value per run (float, NaN = not reached)
    fans: dict[str, Fan]             # service series → quantiles over time

    @property
    def n(self) -> int:
        return len(next(iter(self.runs.values()))) if self.runs else 0

    @property
    def title(self) -> str:
        scenario = self.manifest.get("scenario")
        if isinstance(scenario, dict):
            return str(scenario.get("name") or scenario.get("id") or self.folder.name)
        return self.folder.name


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path} is not readable JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path} should hold a JSON object")
    return data


def _table(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise ReportError(f"{path} is not a readable Parquet file ({exc})") from None


def read_runs(folder: Path) -> dict[str, np.ndarray]:
    """Every numeric column of ``runs/part-*.parquet``, one value per run, by run index."""
    parts = sorted((folder / "runs").glob("part-*.parquet"))
    if not parts:
        raise ReportError(f"{folder} holds no finished runs (no runs/part-*.parquet)")
    try:
        table = pa.concat_tables([_table(p) for p in parts], promote_options="permissive")
    except pa.ArrowException as exc:
        raise ReportError(f"the run files in {folder / 'runs'} do not fit together ({exc})") from None
    if "run_index" in table.column_names:
        table = table.sort_by("run_index")
    out = {}
    for name, column in zip(table.column_names, table.columns):
        if pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_boolean(column.type):
            out[name] = column.to_numpy(zero_copy_only=False).astype(np.float64)
    if "resilience_loss_h" not in out:
        raise ReportError(f"the run files in {folder / 'runs'} have no resilience_loss_h column; not ripple batch results")
    return out


def read_fans(folder: Path) -> dict[str, Fan]:
    """Quantiles of Q(t) per series from ``quantiles.parquet`` (empty when it is absent)."""
    path = folder / "quantiles.parquet"
    if not path.exists():
        return {}
    table = _table(path)
    missing = [c for c in QUANTILE_COLUMNS if c not in table.column_names]
    if missing:
        raise ReportError(f"{path} lacks the column(s) {', '.join(missing)}")
    data = {c: table.column(c).to_numpy(zero_copy_only=False) for c in QUANTILE_COLUMNS}
    if "tick" in table.column_names:
        order = np.lexsort((table.column("tick").to_numpy(zero_copy_only=False), data["series"].astype(str)))
    else:
        order = np.lexsort((data["time_h"], data["series"].astype(str)))
    fans = {}
    for name in dict.fromkeys(data["series"][order].tolist()):
        rows = order[data["series"][order] == name]
        fans[str(name)] = Fan(*(data[c][rows].astype(np.float64) for c in QUANTILE_COLUMNS[1:]))
    return fans


def read_batch(folder: Path) -> Batch:
    if not (folder / "manifest.json").exists():
        raise ReportError(f"{folder} is not a batch folder (no manifest.json)")
    return Batch(folder, _json(folder / "manifest.json"), read_runs(folder), read_fans(folder))


@dataclass
class Comparison:
    reference: str
    arms: dict[str, Batch]                                   # reference first
    differences: dict[str, dict[str, dict[str, float]]]      # variant → metric → mean_diff, ci_low, ci_high, p_value, n


def read_comparison(folder: Path) -> Comparison:
    """``comparison.json`` and each arm's batch folder. The file gives the reference arm
    (``reference`` or ``base``) and, per variant, per metric, the paired difference with its
    interval (``mean`` or ``mean_diff``; ``t_p`` or ``p_value``), optionally under ``metrics``."""
    data = _json(folder / "comparison.json")
    reference = data.get("reference", data.get("base"))
    variants = data.get("variants")
    if not isinstance(reference, str) or not isinstance(variants, dict) or not variants:
        raise ReportError(f"{folder / 'comparison.json'} should name the reference arm ('reference' or 'base') "
                          "and hold 'variants' with each variant's paired differences")
    differences = {}
    for name, entry in variants.items():
        metrics = entry.get("metrics", entry) if isinstance(entry, dict) else None
        if not isinstance(metrics, dict):
            raise ReportError(f"{folder / 'comparison.json'}: variant '{name}' has no paired differences")
        differences[name] = {m: _difference(d) for m, d in metrics.items() if isinstance(d, dict)}
    arms = {}
    for name in (reference, *variants):
        if not (folder / name).is_dir():
            raise ReportError(f"{folder} has no folder '{name}' for the arm named in comparison.json")
        arms[name] = read_batch(folder / name)
    return Comparison(reference, arms, differences)


def _difference(d: Mapping[str, Any]) -> dict[str, float]:
    def num(*keys: str) -> float:
        for key in keys:
            if d.get(key) is not None:
                return float(d[key])
        return math.nan

    return {"mean_diff": num("mean_diff", "mean"), "ci_low": num("ci_low"), "ci_high": num("ci_high"),
            "p_value": num("p_value", "t_p"), "n": int(num("n")) if math.isfinite(num("n")) else 0}


# ----------------------------------------------------------------------- page
def _fmt(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return "–"
    if unit == "%":
        return f"{value:.1f}%"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def summary_table(arms: Mapping[str, Mapping[str, np.ndarray]], metrics: Sequence[str] = TABLE_METRICS) -> str:
    """Mean, median, 5–95% range and runs without a value, per metric (and arm)."""
    many = len(arms) > 1
    head = "".join(f"<th>{h}</th>" for h in (["metric"] + (["arm"] if many else []) + ["mean", "median", "5%", "95%"]))
    head += ('<th title="runs where the metric has no value: not recovered within the run, '
             'or no node hit (cascade amplification)">no value</th>')
    rows = []
    for metric in metrics:
        for label, runs in arms.items():
            if metric not in runs:
                continue
            name, unit, scale = metric_info(metric)
            values = runs[metric] * scale
            finite = values[np.isfinite(values)]
            stats = ([finite.mean(), np.median(finite), *np.quantile(finite, [0.05, 0.95])] if len(finite)
                     else [math.nan] * 4)
            cells = [f"{html.escape(name)}{f' ({unit})' if unit else ''}"] + ([html.escape(label)] if many else [])
            cells += [_fmt(float(v), unit) for v in stats] + [f"{len(values) - len(finite)} of {len(values)}"]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def differences_table(comparison: Comparison) -> str:
    """Every metric's paired difference per variant: mean, 95% CI, p, pairs."""
    rows = []
    for variant, metrics in comparison.differences.items():
        for metric, d in metrics.items():
            name, unit, scale = metric_info(metric)
            mean, lo, hi = (d[k] * scale for k in ("mean_diff", "ci_low", "ci_high"))
            p = d["p_value"]
            cells = [html.escape(variant), html.escape(name) + (f" ({unit})" if unit else ""), _signed(mean),
                     f"{_signed(lo)} to {_signed(hi)}", "–" if not math.isfinite(p) else ("<0.001" if p < 0.001 else f"{p:.3f}"),
                     str(d["n"])]
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("variant", "metric", f"mean difference (variant − {html.escape(comparison.reference)})",
                                            "95% CI", "p (paired t)", "pairs"))
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _signed(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:+.3g}"


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


def batch_fans(fans: Mapping[str, Fan]) -> str:
    """The overall fan chart, then each sector's side by side."""
    if "service" not in fans:
        return NO_FANS
    overall = fan_chart({"runs": fans["service"]}, title="Overall service Q(t) across runs: median, 25–75% and 5–95%")
    sectors = [s.removeprefix("service_") for s in fans if s.startswith("service_")]
    colours = sector_colours(sectors)
    cells = [_small(fan_chart({s: fans[f"service_{s}"]}, title=s, colours={s: colours[s]}), f"fan-{i}")
             for i, s in enumerate(sectors)]
    return (f'<div class="panel fan">{page.figure_div(overall, "fan-service")}</div><h2>Service by sector</h2>'
            f'<div class="grid">{"".join(cells)}</div>')


def comparison_fans(arms: Mapping[str, Mapping[str, Fan]]) -> str:
    """The arms' medians and 25–75% bands on one chart, then each arm's full fan."""
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
    """The report page of a batch folder or a comparison folder."""
    if (folder / "comparison.json").exists():
        comparison = read_comparison(folder)
        arms = comparison.arms
        title = f"Policy comparison: {next(iter(arms.values())).title}"
        sub = "<br>".join([f"reference arm <b>{html.escape(comparison.reference)}</b>"] +
                          [f"<b>{html.escape(name)}</b>: {_describe_batch(b)}" for name, b in arms.items()])
    elif (folder / "manifest.json").exists():
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
    body.append("<h2>Service level over time</h2>")
    body.append(batch_fans(arms[folder.name].fans) if comparison is None else
                comparison_fans({name: b.fans for name, b in arms.items()}))
    body.append("</main>")
    return page.render(title, "\n".join(body), REPORT_CSS)


def write_report(folder: str | Path) -> Path:
    """Write ``folder/report.html`` for a batch or comparison folder; return its path."""
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
