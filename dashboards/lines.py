"""Branches of ``physics: dc`` grids on the replay map: the lines out, dashed red from the
tick they tripped or were attacked to the tick they were reclosed, each with a hover (a cross
at its midpoint) naming the line, its flow against its rating and what took it out.

:func:`line_outages` reads them from a run's events (``line_trip``, ``line_down``,
``line_repaired``, ``line_reclosed``); :func:`draw_lines` adds their traces to the replay's
map and returns the data and script that show, at each tick, the lines out then.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Sequence

import plotly.graph_objects as go

from dashboards import page
from dashboards.figures import VERMILLION
from dashboards.schematic import drawn_positions
from sim.network import Network
from sim.results import Event
from sim.scenario.timefmt import format_clock

__all__ = ["LINES_JS", "LineOutage", "draw_lines", "line_outages"]


@dataclass
class LineOutage:
    """One stretch of a branch out of service.

    Attributes
    ----------
    line : str
        The branch's id.
    a, b : int
        Node indices of its ends.
    start : int
        Tick it went out.
    end : int or None
        Tick it was reclosed (None: out to the end of the run).
    attacked : bool
        An attack took it out (else an overload trip).
    hover : str
        What the map's hover says.
    """

    line: str
    a: int
    b: int
    start: int
    end: int | None
    attacked: bool
    hover: str


def line_outages(events: Sequence[Event], net: Network, tick_seconds: float) -> list[LineOutage]:
    """The stretches branches were out, in the order they went out.

    Parameters
    ----------
    events : sequence of Event
        The run's events.
    net : Network
        The network it ran on (the branches' ends by id).
    tick_seconds : float
        Length of a tick, s (for the times in the hovers).

    Returns
    -------
    list of LineOutage
    """
    clock = lambda t: format_clock(t * tick_seconds)  # noqa: E731
    out: list[LineOutage] = []
    open_: dict[str, LineOutage] = {}
    for e in events:
        kind, d = str(e.kind), e.detail
        line = d.get("line")
        if line is None or kind not in ("line_trip", "line_down", "line_repaired", "line_reclosed"):
            continue
        if kind in ("line_trip", "line_down") and line not in open_:
            if d.get("a") not in net.index or d.get("b") not in net.index:
                continue
            if kind == "line_trip":
                cause = ", ".join(d.get("cause") or []) or "nothing recorded"
                text = (f"line {line} ({d['a']}-{d['b']}) tripped at {clock(e.tick)}, cascade round {d.get('round', '?')}: "
                        f"{abs(d.get('flow_mw', 0)):g} MW on its {d.get('rating_mva', 0):g} MVA rating, after losing {cause}")
            else:
                attack = (d.get("cause") or {}).get("attack") or {}
                text = (f"line {line} ({d['a']}-{d['b']}) down at {clock(e.tick)}: "
                        f"{attack.get('tactic', 'an attack')} by {attack.get('attacker', '?')}")
            open_[line] = LineOutage(line, net.index[d["a"]], net.index[d["b"]], e.tick, None, kind == "line_down",
                                     html.escape(text))
            out.append(open_[line])
        elif kind == "line_repaired" and line in open_:
            open_[line].hover += html.escape(f"; repaired at {clock(e.tick)}")
        elif kind == "line_reclosed" and line in open_:
            outage = open_.pop(line)
            outage.end = e.tick
            outage.hover += html.escape(f"; reclosed at {clock(e.tick)}")
    return out


def draw_lines(fig: go.Figure, events: Sequence[Event], net: Network, tick_seconds: float) -> str:
    """Add the traces of the branches out to the replay's map; the data and script that
    show, at the tick the player is at, the ones out then.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The replay's map (changed: two traces added, ``lines:out`` and ``lines:hover``,
        empty until the player shows a tick).
    events : sequence of Event
        The run's events.
    net : Network
        The network it ran on.
    tick_seconds : float
        Length of a tick, s.

    Returns
    -------
    str
        HTML to place in the page (nothing when no branch went out).
    """
    outages = line_outages(events, net, tick_seconds)
    if not outages:
        return ""
    xy = drawn_positions(net)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=VERMILLION, width=3, dash="dash"),
                             hoverinfo="skip", name="line out (tripped or attacked)", meta="lines:out"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", marker=dict(color=VERMILLION, size=9, symbol="x-thin",
                                                                                line=dict(width=2, color=VERMILLION)),
                             hovertemplate="%{hovertext}<extra></extra>", hovertext=[""], showlegend=False,
                             meta="lines:hover"))
    data: dict[str, Any] = {
        "ax": [float(xy[o.a, 0]) for o in outages], "ay": [float(xy[o.a, 1]) for o in outages],
        "bx": [float(xy[o.b, 0]) for o in outages], "by": [float(xy[o.b, 1]) for o in outages],
        "start": [o.start for o in outages], "end": [o.end for o in outages],
        "hover": [o.hover for o in outages],
        "line": [o.line for o in outages]}
    return page.json_script("lines-data", data) + f"<script>{LINES_JS}</script>"


LINES_JS = """
(function () {
const L = JSON.parse(document.getElementById("lines-data").textContent);
(window.rippleDrawers = window.rippleDrawers || []).push(function (tick, stage, traceIndex) {
  const xs = [], ys = [], hx = [], hy = [], ht = [], names = [];
  L.start.forEach((s, k) => {
    if (s > tick || (L.end[k] !== null && L.end[k] <= tick)) return;
    xs.push(L.ax[k], L.bx[k], null); ys.push(L.ay[k], L.by[k], null);
    hx.push((L.ax[k] + L.bx[k]) / 2); hy.push((L.ay[k] + L.by[k]) / 2); ht.push(L.hover[k]); names.push(L.line[k]);
  });
  stage(traceIndex("lines:out"), { x: xs.length ? xs : [null], y: ys.length ? ys : [null] });
  stage(traceIndex("lines:hover"), { x: hx.length ? hx : [null], y: hy.length ? hy : [null], hovertext: ht.length ? ht : [""] });
  document.getElementById("map").dataset.linesOut = names.join(" ");
});
})();
"""
