"""Pages of the decision-support studies, from the JSON files the studies write:

- a defender plan (``plan.json`` of ``ripple harden``): each step's marginal benefit with its
  95% interval, and the attacker's options against the final plan;
- sensitivity indices (``sensitivity.json`` of ``ripple sensitivity``): bars with intervals;
- a discovered box (``discover.json`` of ``ripple discover``): its limits, coverage and density,
  and the peeling trajectory.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from dashboards.page import figure_div, render, write

__all__ = ["benefit_figure", "box_table", "discover_page", "harden_page", "indices_figure", "sensitivity_page"]


def _table(head: list[str], rows: list[list[Any]]) -> str:
    """An HTML table, every cell escaped."""
    cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def benefit_figure(plan: dict[str, Any], unit: str) -> go.Figure:
    """Each greedy step's marginal benefit (loss before − after) with its 95% interval.

    Parameters
    ----------
    plan : dict
        ``plan.json``'s content.
    unit : str
        The metric's name, for the axis.

    Returns
    -------
    go.Figure
    """
    steps = plan["steps"]
    means = [s["benefit"]["mean"] for s in steps]
    fig = go.Figure(go.Bar(
        x=[f"{k + 1}. {s['measure']}" for k, s in enumerate(steps)], y=means,
        error_y={"type": "data", "symmetric": False,
                 "array": [s["benefit"]["ci_high"] - m for s, m in zip(steps, means)],
                 "arrayminus": [m - s["benefit"]["ci_low"] for s, m in zip(steps, means)]}))
    fig.update_layout(title="Marginal benefit of each measure (paired, 95% interval)", yaxis_title=f"{unit} avoided",
                      height=380, margin={"l": 60, "r": 20, "t": 50, "b": 80})
    return fig


def harden_page(folder: Path) -> Path:
    """Write ``folder/report.html`` from ``folder/plan.json``.

    Parameters
    ----------
    folder : Path
        The output folder of ``ripple harden``.

    Returns
    -------
    Path
        The page.
    """
    plan = json.loads((folder / "plan.json").read_text())
    metric = plan["metric"]
    steps = [[k + 1, s["measure"], f"{s['loss']:.3f}", s["attack"],
              f"{s['benefit']['mean']:.3f} [{s['benefit']['ci_low']:.3f}, {s['benefit']['ci_high']:.3f}]"]
             for k, s in enumerate(plan["steps"])]
    responses = [[name, f"{loss:.3f}"] for name, loss in sorted(plan["responses"].items(), key=lambda kv: -kv[1])]
    body = (f"<header><h1>Defender plan: {html.escape(plan['scenario'])}</h1>"
            f"<div class='sub'>{plan['budget']} × {html.escape(plan['measure'])}, attacker "
            f"{html.escape(plan['attacker'])}, {plan['runs']} runs per evaluation on common random numbers "
            f"(seed {plan['seed']}), {plan['evaluations']} evaluations; metric {html.escape(metric)}</div></header><main>"
            f"<h2>Plan</h2><div class='panel'>{_table(['step', 'measure', 'loss after', 'attacker best response', 'benefit [95% CI]'], steps)}"
            f"<p>Loss with no measure: {plan['base_loss']:.3f} (attacker: {html.escape(plan['base_attack'])}); "
            f"with the plan: {plan['loss']:.3f}.</p></div>"
            f"<div class='panel'>{figure_div(benefit_figure(plan, metric), 'benefit')}</div>"
            f"<h2>The attacker's options against the final plan</h2><div class='panel'>"
            f"{_table(['attacker option', f'mean {metric}'], responses)}</div></main>")
    return write(folder / "report.html", render(f"Defender plan: {plan['scenario']}", body))


def indices_figure(indices: dict[str, Any], metric: str) -> go.Figure:
    """Bars of one metric's sensitivity indices with their 95% intervals.

    Parameters
    ----------
    indices : dict
        One metric's entry of ``sensitivity.json`` (:meth:`sim.decide.sensitivity.Indices.as_dict`).
    metric : str
        The metric's name, for the title.

    Returns
    -------
    go.Figure
    """
    pairs = (("S1", "S1_conf", "first order"), ("ST", "ST_conf", "total order")) if indices["method"] == "sobol" \
        else (("mu_star", "mu_star_conf", "μ*"),)
    fig = go.Figure([go.Bar(name=label, x=indices["names"], y=indices[key],
                            error_y={"type": "data", "array": indices[conf]}) for key, conf, label in pairs])
    fig.update_layout(title=f"{metric}: {indices['method']} indices (95% bootstrap intervals)", barmode="group",
                      height=360, margin={"l": 60, "r": 20, "t": 50, "b": 80})
    return fig


def sensitivity_page(folder: Path) -> Path:
    """Write ``folder/report.html`` from ``folder/sensitivity.json``.

    Parameters
    ----------
    folder : Path
        The output folder of ``ripple sensitivity``.

    Returns
    -------
    Path
        The page.
    """
    data = json.loads((folder / "sensitivity.json").read_text())
    panels = "".join(f"<div class='panel'>{figure_div(indices_figure(ind, metric), f'ind{k}')}</div>"
                     for k, (metric, ind) in enumerate(data["indices"].items()))
    body = (f"<header><h1>Sensitivity: {html.escape(data['scenario'])}</h1><div class='sub'>{html.escape(data['method'])}, "
            f"{data['points']} points × {data['runs']} runs on common random numbers (seed {data['seed']})</div>"
            f"</header><main>{panels}</main>")
    return write(folder / "report.html", render(f"Sensitivity: {data['scenario']}", body))


def box_table(discovery: dict[str, Any]) -> str:
    """The discovered box's limits, coverage and density as an HTML table.

    Parameters
    ----------
    discovery : dict
        ``discover.json``'s content.

    Returns
    -------
    str
        HTML.
    """
    rows = [[name, f"{low:g}", f"{high:g}"] for name, (low, high) in discovery["limits"].items()]
    return (_table(["parameter", "from", "to"], rows)
            + f"<p>coverage {discovery['coverage']:.2f}, density {discovery['density']:.2f} "
              f"(base rate {discovery['base_density']:.2f}), {discovery['mass']:.0%} of the runs</p>")


def discover_page(folder: Path) -> Path:
    """Write ``folder/discover.html`` from ``folder/discover.json``.

    Parameters
    ----------
    folder : Path
        A sampled study's folder, after ``ripple discover``.

    Returns
    -------
    Path
        The page.
    """
    data = json.loads((folder / "discover.json").read_text())
    trajectory = data["trajectory"]
    fig = go.Figure(go.Scatter(x=[b["coverage"] for b in trajectory], y=[b["density"] for b in trajectory],
                               mode="lines+markers", name="peeling"))
    fig.add_scatter(x=[data["coverage"]], y=[data["density"]], mode="markers", marker={"size": 14}, name="chosen box")
    fig.update_layout(title="PRIM peeling trajectory", xaxis_title="coverage", yaxis_title="density", height=360)
    body = (f"<header><h1>Scenario discovery: {html.escape(data['question'])}</h1>"
            f"<div class='sub'>PRIM (Friedman and Fisher 1999) over {data['runs']} runs</div></header><main>"
            f"<h2>Box</h2><div class='panel'>{box_table(data)}</div>"
            f"<div class='panel'>{figure_div(fig, 'trajectory')}</div></main>")
    return write(folder / "discover.html", render(f"Scenario discovery: {data['question']}", body))
