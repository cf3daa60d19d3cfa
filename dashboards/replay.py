"""The replay page of one run: the map, the service curves and the event timeline, played
tick by tick in the browser.

The page carries the run compactly: the node state *changes* (tick, node, down, backup), the
responder moves derived from the event log, and the attacks. A small player in the page
keeps the state at the slider's tick and restyles only the map traces whose nodes changed,
so a long run on a large network stays a small page. The same derivations
(:func:`node_state_at`, :func:`units_at`, :func:`attacks_until`) let a live console draw any
tick with :func:`dashboards.figures.network_map`.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from dashboards import page
from dashboards.causes import node_facts, timeline_groups
from dashboards.lines import draw_lines
from dashboards.numberformat import metric_text, significant
from dashboards.schematic import drawn_positions
from dashboards.figures import (
    STATE_LINE_WIDTHS, STATE_NAMES, STATE_SIZES, STATE_SYMBOLS, UNIT_NAMES, UNPLACED_LINE_WIDTH, AttackMark,
    UnitMark, attack_points, kind_order, map_extent, network_map, sector_members, sector_shapes, service_curves,
)
from sim.metrics import metric
from sim.scenario.maplayers import LayerShapes
from sim.network import REASONS, Network
from sim.results import Event, EventKind, RunResult, UnitRecord, UnitStatus
from sim.scenario.timefmt import format_clock

__all__ = [
    "UnitKey", "attack_events", "attacks_until", "headline_cards", "near_points", "node_state_at", "payload",
    "replay_html", "start_ms", "unit_keys", "units_at", "worst_card", "worst_sector",
    "write_replay",
]


# --------------------------------------------------------------- node states
def node_state_at(result: RunResult, tick: int) -> tuple[np.ndarray, np.ndarray]:
    """Down bitmask and on-backup flag of every node at the end of ``tick``: the run's
    baseline (the state before anything happens) with its recorded changes up to ``tick``.

    Parameters
    ----------
    result : RunResult
        A finished run.
    tick : int
        The tick, 0 to the run's last.

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        Down-reason bitmask per node (0: up) and True per node on backup; new arrays.
    """
    down, backup = result.baseline_down.copy(), result.baseline_backup.copy()
    changes = result.changes
    upto = changes["tick"] <= tick
    down[changes["node"][upto]] = changes["down"][upto]
    backup[changes["node"][upto]] = changes["backup"][upto]
    return down, backup


# ---------------------------------------------------------------- responders
@dataclass(frozen=True)
class UnitKey:
    """A unit's position and status from ``tick`` on.

    Attributes
    ----------
    tick : int
        The tick it takes effect.
    unit : int
        Index of the unit in the run's roster.
    x, y : float
        Where the unit is, km.
    status : UnitStatus
        What it is doing.
    dest : int
        Index of the node it travels to or works at, or -1.
    note : str
        Hover text.
    """

    tick: int
    unit: int
    x: float
    y: float
    status: UnitStatus
    dest: int
    note: str


def _start(unit: UnitRecord) -> tuple[UnitStatus, str]:
    return (UnitStatus.IDLE, "at base") if unit.active else (UnitStatus.INACTIVE, "mutual aid, not yet arrived")


def unit_keys(units: Sequence[UnitRecord], events: Sequence[Event], net: Network) -> list[UnitKey]:
    """Unit moves from the event log. A unit stays where it is until it arrives at a node
    (its base at first); a dispatched unit is shown heading for its node. A task's
    ``task_done`` frees every unit on it, travelling or working.

    Parameters
    ----------
    units : Sequence[UnitRecord]
        The run's roster (:attr:`RunResult.roster`).
    events : Sequence[Event]
        The run's timeline, in order.
    net : Network
        The static network, for node positions (km) and names.

    Returns
    -------
    list[UnitKey]
        The keys in tick order.
    """
    index = {u.label: i for i, u in enumerate(units)}
    where = [u.base for u in units]
    drawn = drawn_positions(net)       # an unplaced node's unit is shown where the node is drawn
    job: list[tuple[int, str] | None] = [None] * len(units)     # (node, work) a unit is on
    keys: list[UnitKey] = []

    def key(tick: int, i: int, status: UnitStatus, note: str, dest: int = -1) -> None:
        keys.append(UnitKey(tick, i, *where[i], status, dest, note))

    for e in events:
        if e.kind == EventKind.MUTUAL_AID_ARRIVED:
            for i, u in enumerate(units):
                if u.team == e.team:
                    key(e.tick, i, UnitStatus.IDLE, "arrived (mutual aid)")
            continue
        node = net.index.get(e.node, -1) if e.node else -1
        name = net.names[node] if node >= 0 else ""
        work = e.detail.get("work", "")
        if e.kind == EventKind.TASK_DONE:
            for i in range(len(units)):
                if job[i] == (node, work):
                    job[i] = None
                    key(e.tick, i, UnitStatus.IDLE, f"idle, {work} done at {name}")
            continue
        if e.team not in index:
            continue
        i = index[e.team]
        if e.kind == EventKind.DISPATCH and node >= 0:
            job[i] = (node, work)
            key(e.tick, i, UnitStatus.TRAVELLING, f"on its way to {name} ({work})", node)
        elif e.kind == EventKind.ARRIVAL and node >= 0:
            where[i] = (float(drawn[node, 0]), float(drawn[node, 1]))
            key(e.tick, i, UnitStatus.WORKING, f"{work} at {name}", node)
        elif e.kind == EventKind.OUT_OF_SERVICE:
            job[i] = None
            key(e.tick, i, UnitStatus.OUT, f"out of service ({e.detail.get('hours', '?')} h)")
        elif e.kind == EventKind.BACK_IN_SERVICE:
            key(e.tick, i, UnitStatus.IDLE, "back in service")
        elif e.kind == EventKind.DECISION and e.detail.get("verb") == "recall":
            job[i] = None
            key(e.tick, i, UnitStatus.IDLE, "recalled")
    return keys


def units_at(units: Sequence[UnitRecord], keys: Sequence[UnitKey], tick: int) -> list[UnitMark]:
    """Every unit as drawn at the end of ``tick``.

    Parameters
    ----------
    units : Sequence[UnitRecord]
        The run's roster.
    keys : Sequence[UnitKey]
        :func:`unit_keys` of the run, in tick order.
    tick : int
        The tick drawn.

    Returns
    -------
    list[UnitMark]
        One mark per unit of the roster, in roster order.
    """
    marks = [UnitMark(u.label, u.kind, u.team, u.base[0], u.base[1], *_start(u)) for u in units]
    for k in keys:
        if k.tick > tick:
            break
        u = units[k.unit]
        marks[k.unit] = UnitMark(u.label, u.kind, u.team, k.x, k.y, k.status, k.note, k.dest)
    return marks


# -------------------------------------------------------------------- attacks
def attack_events(events: Sequence[Event], net: Network, tick_seconds: float) -> list[tuple[int, AttackMark]]:
    """Attack attempts on a node, with the tick they happened.

    Parameters
    ----------
    events : Sequence[Event]
        The run's events.
    net : Network
        The static network; attacks on ids it does not hold are left out.
    tick_seconds : float
        Length of a tick, seconds (for the clock label).

    Returns
    -------
    list[tuple[int, AttackMark]]
        (tick, mark) per attack, in event order.
    """
    return [(e.tick, AttackMark(net.index[e.node], e.detail.get("tactic", "?"), e.detail.get("attacker", "?"),
                                e.detail.get("outcome", "?"), format_clock(e.tick * tick_seconds),
                                e.detail.get("line")))
            for e in events if e.kind == EventKind.ATTACK and e.node in net.index]


def attacks_until(attacks: Sequence[tuple[int, AttackMark]], tick: int) -> list[AttackMark]:
    """The attacks that have happened by the end of ``tick``.

    Parameters
    ----------
    attacks : Sequence[tuple[int, AttackMark]]
        :func:`attack_events` of the run.
    tick : int
        The tick drawn.

    Returns
    -------
    list[AttackMark]
        The marks of attacks at or before ``tick``.
    """
    return [a for t, a in attacks if t <= tick]


# ----------------------------------------------------------------------- page
def worst_sector(result: RunResult) -> tuple[str, float, float, float, float] | None:
    """The sector whose service fell lowest, and how long it sat at 0%.

    Parameters
    ----------
    result : RunResult
        A finished run.

    Returns
    -------
    tuple or None
        (sector, minimum service 0..1, its time h, first and last time at 0% in hours, or
        NaN for both when it never reached 0%); None for a run without sectors.
    """
    t = np.asarray(result.series["time_h"], dtype=float)
    lows = [(float(np.min(result.series[f"service_{s}"])), s) for s in result.sectors if len(t)]
    if not lows:
        return None
    low, name = min(lows)
    values = np.asarray(result.series[f"service_{name}"], dtype=float)
    zero = np.flatnonzero(values <= 1e-9)
    first, last = (float(t[zero[0]]), float(t[zero[-1]])) if len(zero) else (math.nan, math.nan)
    return name, low, float(t[int(np.argmin(values))]), first, last


def worst_card(result: RunResult) -> list[tuple[str, str, str]]:
    """The worst sector's card (label, value, note), or none for a run without sectors.

    Parameters
    ----------
    result : RunResult
        A finished run.

    Returns
    -------
    list[tuple[str, str, str]]
        At most one card: the sector's minimum service and when it was at 0%.
    """
    worst = worst_sector(result)
    if worst is None:
        return []
    name, low, when, first, last = worst
    clock = lambda h: format_clock(h * 3600.0)  # noqa: E731
    if math.isnan(first):
        note = f"{name}, lowest at {clock(when)}"
    else:
        note = f"{name} at 0% from {clock(first)} to {clock(last)}"
    return [("Worst sector", f"{significant(low * 100.0)}% {name}", note)]


def headline_cards(result: RunResult) -> str:
    """The run's headline numbers as HTML cards (labels and formats from the metric catalogue).

    Parameters
    ----------
    result : RunResult
        A finished run.

    Returns
    -------
    str
        Seven ``card`` divs: resilience loss, minimum service overall and of the worst
        sector, recovery, cascade amplification, attacks landed and unserved person-hours.
    """
    m = result.metrics
    t = result.tick_seconds

    def card(name: str, note: str, value: str | None = None) -> tuple[str, str, str]:
        return metric(name).title, value or metric_text(name, m.get(name)), note

    cards = [
        card("resilience_loss_h", "∫ (Q0 − Q)⁺ / Q0 dt, hours of pre-attack service lost (Bruneau 2003)"),
        card("min_service", f"at {format_clock(m['min_service_time_h'] * 3600.0)}"),
        *worst_card(result),
        card("recovery_95_h", "from the start of the deepest drop below the pre-attack level"),
        card("cascade_amplification", f"{m['nodes_down']} nodes down / {m['nodes_hit']} hit directly"),
        card("attacks_landed", f"{m.get('attacks_interdicted', 0)} interdicted, {m.get('attacks_failed', 0)} failed",
             f"{m.get('attacks_landed', 0)} of {m.get('attacks_attempted', 0)}"),
        card("unserved_person_h", f"over {format_clock(len(result.series['time_h']) * t - t)}"),
    ]
    return "".join(f'<div class="card"><div class="label">{html.escape(a)}</div><div class="value">{html.escape(b)}</div>'
                   f'<div class="note">{html.escape(c)}</div></div>' for a, b, c in cards)


def start_ms(start: str) -> float | None:
    """The scenario's wall-clock start as milliseconds since the epoch (read as UTC), or None.

    Parameters
    ----------
    start : str
        The scenario's ``clock.start``, ISO 8601, or empty.

    Returns
    -------
    float or None
        Milliseconds since 1970-01-01 UTC; None when ``start`` is not an ISO time.

    Examples
    --------
    >>> start_ms("1970-01-01T00:00:01")
    1000.0
    """
    try:
        when = dt.datetime.fromisoformat(start)
    except ValueError:
        return None
    return when.replace(tzinfo=dt.timezone.utc).timestamp() * 1000.0


def payload(result: RunResult, net: Network, units: list[UnitRecord], keys: list[UnitKey],
            attacks: list[tuple[int, AttackMark]], timeline: list[list[Any]], facts: dict[str, Any]) -> dict[str, Any]:
    """Everything the player needs, as compact JSON: only changes, never full frames.

    Parameters
    ----------
    result : RunResult
        A finished run.
    net : Network
        Its static network.
    units : list[UnitRecord]
        The run's roster.
    keys : list[UnitKey]
        :func:`unit_keys` of the run.
    attacks : list[tuple[int, AttackMark]]
        :func:`attack_events` of the run.
    timeline : list[list]
        :func:`dashboards.causes.timeline_groups` of the run.
    facts : dict
        :func:`dashboards.causes.node_facts` of the run, for the details panel.

    Returns
    -------
    dict
        JSON-ready data: node state changes, unit keys and attacks by tick, positions in
        km, the tick length in seconds and T+0 in epoch milliseconds (or None).
    """
    down0, backup0 = result.baseline_down, result.baseline_backup
    odd = (down0 != 0) | backup0             # nodes not simply operational before anything happens
    ch = result.changes
    ax, ay, symbols, hovers = attack_points([a for _, a in attacks], net)
    shapes = sector_shapes(net.sector_names)
    return {
        "n": net.n, "ticks": len(result.series["time_h"]) - 1, "tickSeconds": result.tick_seconds,
        "start": start_ms(result.clock_start),
        "base": {"node": np.flatnonzero(odd).tolist(), "down": down0[odd].tolist(),
                 "backup": backup0[odd].astype(int).tolist()},
        "changes": {"t": ch["tick"].tolist(), "n": ch["node"].tolist(), "d": ch["down"].tolist(),
                    "b": ch["backup"].astype(int).tolist()},
        "traces": [{"meta": f"nodes:{net.sector_names[code]}", "nodes": members.tolist(),
                    "shape": shapes[net.sector_names[code]]}
                   for code, members in enumerate(sector_members(net)) if len(members)],
        "symbols": list(STATE_SYMBOLS), "sizes": list(STATE_SIZES), "stateNames": list(STATE_NAMES),
        "widths": list(STATE_LINE_WIDTHS), "unplacedWidth": UNPLACED_LINE_WIDTH,
        "reasons": [[bit, name] for bit, name in REASONS.items()],
        "xy": drawn_positions(net).tolist(),
        "unplaced": np.flatnonzero(~net.placed).tolist(),
        "units": [{"label": html.escape(u.label), "kind": u.kind, "x": u.base[0], "y": u.base[1],
                   "status": _start(u)[0].value, "note": html.escape(_start(u)[1])} for u in units],
        "unitKinds": sorted({u.kind for u in units}, key=kind_order), "unitNames": UNIT_NAMES,
        "keys": {"t": [k.tick for k in keys], "u": [k.unit for k in keys], "x": [k.x for k in keys],
                 "y": [k.y for k in keys], "s": [k.status.value for k in keys], "d": [k.dest for k in keys],
                 "note": [html.escape(k.note) for k in keys]},
        "status": {"inactive": UnitStatus.INACTIVE.value, "travelling": UnitStatus.TRAVELLING.value},
        "attacks": {"t": [t for t, _ in attacks], "node": [a.node for _, a in attacks],
                    "tactic": [a.tactic for _, a in attacks], "attacker": [a.attacker for _, a in attacks],
                    "outcome": [a.outcome for _, a in attacks], "line": [a.line for _, a in attacks], "x": ax, "y": ay, "symbol": symbols, "hover": hovers},
        "timeline": timeline, "facts": facts,
    }


def near_points(net: Network, points: Sequence[tuple[float, float]], margin: float = 0.2) -> list[tuple[float, float]]:
    """The points within ``margin`` of the network's span around it: a mutual-aid base far
    away would shrink the map, so its units show from where they enter it.

    Parameters
    ----------
    net : Network
        The static network (positions in km).
    points : Sequence[tuple[float, float]]
        Candidate (x, y) points, km.
    margin : float
        How far outside the nodes' bounding box a point may lie, as a fraction of the
        box's wider side.

    Returns
    -------
    list[tuple[float, float]]
        The points kept, in order.
    """
    xy = drawn_positions(net)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = margin * (hi - lo).max()
    return [p for p in points if lo[0] - pad <= p[0] <= hi[0] + pad and lo[1] - pad <= p[1] <= hi[1] + pad]


def replay_html(result: RunResult, net: Network, background: Sequence[LayerShapes] = ()) -> str:
    """The whole replay page of ``result`` on the static network ``net``, as one
    self-contained HTML document.

    Parameters
    ----------
    result : RunResult
        A finished run.
    net : Network
        The static network it ran on.
    background : Sequence[LayerShapes]
        The scenario's map layers (:func:`dashboards.layers.map_background`), drawn under the network.

    Returns
    -------
    str
        The HTML document (:func:`dashboards.page.render`).
    """
    units = result.roster
    events = result.timeline()
    keys = unit_keys(units, events, net)
    attacks = attack_events(events, net, result.tick_seconds)
    extent = map_extent(net, near_points(net, [u.base for u in units if u.active] +
                                         [(k.x, k.y) for k in keys if k.status != UnitStatus.INACTIVE]))
    down, backup = node_state_at(result, 0)
    map_fig = network_map(net, down, backup, units_at(units, keys, 0), attacks_until(attacks, 0),
                          unit_kinds=sorted({u.kind for u in units}, key=kind_order), extent=extent,
                          title="Network: nodes by sector, crossed when down", background=background)
    lines = draw_lines(map_fig, events, net, result.tick_seconds)
    curves = service_curves(result.series, result.sectors, title="Service level Q(t) by sector")
    data = payload(result, net, units, keys, attacks, timeline_groups(events, net, result.tick_seconds),
                   node_facts(net, events))
    minutes = int(round(data["ticks"] * result.tick_seconds / 60.0))
    span = f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")
    filters = "".join(f'<label class="f-{c}"><input type="checkbox" data-cat="{c}" checked> {c}</label>'
                      for c in ("attack", "failure", "restore", "response", "inject", "decision", "other"))
    body = f"""
<header>
  <h1>{html.escape(result.scenario_name)}</h1>
  <div class="sub">scenario <b>{html.escape(result.scenario_id)}</b> · seed {result.seed} · {net.n} nodes in
  {len(net.sector_names)} sectors · {span} at {result.tick_seconds / 60:g}-minute ticks
  {"· T+0 = " + html.escape(result.clock_start) if result.clock_start else ""}</div>
  <div class="cards">{headline_cards(result)}</div>
</header>
<div class="controls" role="toolbar" aria-label="playback">
  <button id="play" type="button" title="play / pause (space)">▶ Play</button>
  <button id="prev" type="button" title="previous event (←)">◀ event</button>
  <button id="next" type="button" title="next event (→)">event ▶</button>
  <input id="slider" type="range" min="0" max="{data['ticks']}" value="0" step="1" aria-label="time, in ticks">
  <span id="clock" class="clock" role="timer">T+0:00</span>
  <label class="speed">speed <select id="speed"></select></label>
</div>
<div id="announce" class="sr-only" aria-live="polite" aria-atomic="true"></div>
<main class="replay">
  <section class="panel map" aria-label="network map">
    <p class="sr-only">Map of the network: one marker per node, coloured and shaped by sector (the legend names
    each shape), larger with a heavy outline on backup, a cross when down; stars are attacks. The scenario's map
    layers (water, roads, boundaries) lie under the network, and a scale bar sits at the bottom left. Click a node
    for its details; the cascade and timeline panels give the same information as text.</p>
    {page.figure_div(map_fig, "map")}</section>
  <div class="side">
    <section class="panel curves" aria-label="service curves">
      <p class="sr-only">Service level by sector over time; the dashed vertical line is the time shown.
      The headline cards above give the lowest values as text. Focus the chart and use the arrow keys to step
      between events.</p>
      <div class="plot" tabindex="0" role="group" aria-label="service curves; arrow keys step between events">
      {page.figure_div(curves, "curves")}<div id="now-line" class="now-line" aria-hidden="true"></div></div></section>
    <section class="panel details" id="details" aria-label="node details" aria-live="polite">
      <h2>Node details</h2><p class="hint">Click a node on the map, or a name in the cascade panel.</p></section>
    <section class="panel cascade" aria-label="cascade">
      <h2>Cascade so far</h2><div id="cascade"><p class="hint">No attack yet.</p></div></section>
    <section class="panel events" aria-label="event timeline">
      <div class="events-head"><h2>Event timeline</h2> <span class="filters">{filters}</span></div>
      <ol id="timeline"></ol>
    </section>
  </div>
</main>
{page.json_script("replay-data", data)}
{lines}
"""
    return page.render(f"{result.scenario_name}: replay (seed {result.seed})", body, REPLAY_CSS, (PLAYER_JS,))


def write_replay(result: RunResult, net: Network, path: str | Path, background: Sequence[LayerShapes] = ()) -> Path:
    """Write the replay page of a finished run on the static network ``net`` to ``path``.

    Parameters
    ----------
    result : RunResult
        A finished run.
    net : Network
        The static network it ran on.
    path : str or Path
        The HTML file to write (its folder is created).
    background : Sequence[LayerShapes]
        The scenario's map layers, drawn under the network.

    Returns
    -------
    Path
        ``path``.
    """
    return page.write(path, replay_html(result, net, background))


REPLAY_CSS = """
.controls { position: sticky; top: 0; z-index: 10; display: flex; align-items: center; gap: 10px;
            padding: 8px 20px; background: #fff; border-bottom: 1px solid #ddd; }
.controls button { font-size: 14px; padding: 4px 12px; cursor: pointer; }
#play { min-width: 90px; font-weight: bold; }
#slider { flex: 1; }
.clock { font-family: "DejaVu Sans Mono", monospace; min-width: 210px; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
           clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
.replay { display: grid; grid-template-columns: minmax(0, 3fr) minmax(360px, 2fr); gap: 12px; padding: 12px 20px; }
.map { height: max(560px, calc(100vh - 250px)); margin: 0; }
.side { display: flex; flex-direction: column; gap: 12px; min-width: 0; }
.side h2 { font-size: 14px; margin: 2px 4px 6px; display: inline-block; }
.curves { height: 330px; margin: 0; }
.curves .plot { height: 100%; position: relative; }
.now-line { position: absolute; left: 0; top: 0; width: 0; border-left: 1.5px dashed #555; pointer-events: none; }
.curves .plot:focus, #timeline li:focus { outline: 3px solid #0072B2; outline-offset: -3px; }
.details, .cascade { margin: 0; font-size: 13px; max-height: 360px; overflow-y: auto; }
.details .hint, .cascade .hint { color: #555; margin: 4px; }
.details dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 10px; margin: 4px; }
.details dt { color: #444; font-weight: bold; }
.details dd { margin: 0; }
.details ul, .cascade ul { margin: 2px 0 2px 4px; padding-left: 16px; }
.linkish { background: none; border: none; padding: 0; color: #0060A0; text-decoration: underline; cursor: pointer;
           font: inherit; }
.is-down { color: #B04600; font-weight: bold; }
.events { margin: 0; display: flex; flex-direction: column; height: max(240px, calc(100vh - 600px)); }
.events-head { padding: 4px 6px 6px; border-bottom: 1px solid #eee; font-size: 13px; }
.filters label { margin-left: 8px; font-size: 12px; white-space: nowrap; }
#timeline { list-style: none; margin: 0; padding: 0; overflow-y: auto; flex: 1; font-size: 12.5px; }
#timeline li { padding: 3px 6px 3px 8px; border-left: 4px solid #767676; border-bottom: 1px solid #f0f0f0; cursor: pointer; }
#timeline li .t { font-family: "DejaVu Sans Mono", monospace; color: #444; margin-right: 6px; }
#timeline li .tag { font-size: 10px; font-weight: bold; text-transform: uppercase; margin-right: 6px; color: #444; }
#timeline li details ol { list-style: none; padding-left: 10px; margin: 2px 0; }
#timeline li details li { border-left: none; cursor: default; }
#timeline li.future { color: #6b6b6b; background: #fafafa; }
#timeline li.now { background: #fff6d6; }
#timeline li.c-attack { border-left-color: #000000; }
#timeline li.c-failure { border-left-color: #D55E00; }
#timeline li.c-restore { border-left-color: #009E73; }
#timeline li.c-response { border-left-color: #0072B2; }
#timeline li.c-inject { border-left-color: #CC79A7; }
#timeline li.c-decision { border-left-color: #AD7400; }
@media (max-width: 1100px) {
  .replay { grid-template-columns: minmax(0, 1fr); }
  .map { height: max(480px, 75vh); }
  .controls { flex-wrap: wrap; }
  .clock { min-width: 0; }
}
"""

PLAYER_JS = r"""
(function () {
  "use strict";
  const P = JSON.parse(document.getElementById("replay-data").textContent);
  const F = P.facts;
  const map = document.getElementById("map"), curves = document.getElementById("curves");
  const slider = document.getElementById("slider"), clock = document.getElementById("clock");
  const playBtn = document.getElementById("play"), speedSel = document.getElementById("speed");
  const list = document.getElementById("timeline"), announce = document.getElementById("announce");
  const detailsBox = document.getElementById("details"), cascadeBox = document.getElementById("cascade");
  const traceIndex = (meta) => map.data.findIndex((t) => t.meta === meta);
  const esc = (text) => String(text).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"})[c]);

  // ---- node state, kept incrementally; trace arrays restyled only when they change
  const down = new Uint8Array(P.n), backup = new Uint8Array(P.n);
  const where = new Int32Array(P.n), pos = new Int32Array(P.n), hollow = new Uint8Array(P.n);
  P.unplaced.forEach((node) => { hollow[node] = 1; });   // unplaced nodes keep a hollow marker
  const traces = P.traces.map((t, k) => {
    t.nodes.forEach((node, i) => { where[node] = k; pos[node] = i + 1; });   // point 0 is the legend's
    // the hover's state text is written into the trace's own customdata array, which plotly reads when
    // hovering: changing it through restyle would make plotly recompute the whole map
    const index = traceIndex(t.meta);
    return { index: index, shape: t.shape, symbol: [t.shape], size: [P.sizes[0]], width: [P.widths[0]], state: map.data[index].customdata };
  });
  const reasonsOf = (d) => P.reasons.filter((r) => d & r[0]).map((r) => r[1]).join(", ");
  const label = (d, b) => (d ? "down: " + reasonsOf(d) : (b ? P.stateNames[1] : P.stateNames[0]));
  const dirty = new Set();
  function setNode(node, d, b) {
    down[node] = d; backup[node] = b;
    const tr = traces[where[node]], i = pos[node], s = d ? 2 : (b ? 1 : 0);
    // the sector's shape, a cross when down; a heavy outline on backup (as dashboards.figures.node_symbols)
    tr.symbol[i] = (s === 2 ? P.symbols[2] : tr.shape) + (hollow[node] ? "-open" : ""); tr.size[i] = P.sizes[s];
    tr.width[i] = s === 1 || !hollow[node] ? P.widths[s] : P.unplacedWidth; tr.state[i] = label(d, b);
    dirty.add(where[node]);
  }
  function resetNodes() {
    P.traces.forEach((t, k) => t.nodes.forEach((node) => setNode(node, 0, 0)));
    P.base.node.forEach((node, i) => setNode(node, P.base.down[i], P.base.backup[i]));
  }

  // ---- responder units
  const units = P.units.map((u) => Object.assign({}, u, { dest: -1 }));
  const startUnits = P.units.map((u) => Object.assign({}, u, { dest: -1 }));
  let unitsDirty = true;
  function applyKey(k) {
    const u = units[P.keys.u[k]];
    u.x = P.keys.x[k]; u.y = P.keys.y[k]; u.status = P.keys.s[k]; u.dest = P.keys.d[k]; u.note = P.keys.note[k];
    unitsDirty = true;
  }
  function drawUnits() {
    const idx = [], xs = [], ys = [], texts = [], hovers = [];
    for (const kind of P.unitKinds) {
      const places = new Map();
      for (const u of units) {
        if (u.kind !== kind || u.status === P.status.inactive) continue;
        const key = (Math.round(u.x * 1000) / 1000) + "," + (Math.round(u.y * 1000) / 1000);
        if (!places.has(key)) places.set(key, []);
        places.get(key).push(u);
      }
      const x = [], y = [], t = [], h = [];
      for (const here of places.values()) {
        const n = here.length;
        x.push(Math.round(here[0].x * 1000) / 1000); y.push(Math.round(here[0].y * 1000) / 1000);
        t.push(n > 1 ? String(n) : "");
        h.push("<b>" + n + " " + (P.unitNames[kind] || kind) + " unit" + (n > 1 ? "s" : "") + "</b><br>" +
               here.map((u) => u.label + ": " + u.note).join("<br>"));
      }
      if (!x.length) { x.push(null); y.push(null); t.push(""); h.push(""); }  // keeps the legend entry
      idx.push(traceIndex("units:" + kind)); xs.push(x); ys.push(y); texts.push(t); hovers.push(h);
    }
    idx.forEach((index, k) => stage(index, { x: xs[k], y: ys[k], text: texts[k], hovertext: hovers[k] }));
    const rx = [], ry = [];
    for (const u of units) {
      if (u.status === P.status.travelling && u.dest >= 0) {
        rx.push(u.x, P.xy[u.dest][0], null); ry.push(u.y, P.xy[u.dest][1], null);
      }
    }
    if (!rx.length) { rx.push(null); ry.push(null); }
    stage(traceIndex("routes"), { x: rx, y: ry });
  }

  // ---- attacks shown once they happened
  let attacksShown = -1;
  function attackCount(tick) {
    let k = 0;
    while (k < P.attacks.t.length && P.attacks.t[k] <= tick) k++;
    return k;
  }
  function drawAttacks(tick) {
    const k = attackCount(tick);
    if (k === attacksShown) return;
    attacksShown = k;
    const none = k === 0;  // an empty trace keeps one null point, so its legend entry stays
    stage(traceIndex("attacks"), { x: none ? [null] : P.attacks.x.slice(0, k), y: none ? [null] : P.attacks.y.slice(0, k),
                                   "marker.symbol": none ? ["star"] : P.attacks.symbol.slice(0, k),
                                   hovertext: none ? [""] : P.attacks.hover.slice(0, k) });
  }

  // ---- one restyle of the map per seek: plotly redraws the whole map on each call, so every
  //      trace's changes are gathered and drawn together, and a trace whose arrays come back
  //      to what is drawn (a jump back and forth) is left alone
  const pending = new Map(), drawnAs = new Map();      // trace index -> {attribute: value}; -> its text
  function stage(index, attrs) {
    const text = JSON.stringify(attrs);
    if (drawnAs.get(index) === text) return;
    drawnAs.set(index, text);
    pending.set(index, Object.assign(pending.get(index) || {}, attrs));
  }
  function flush() {
    if (!pending.size) return;
    const idx = Array.from(pending.keys()), names = new Set(), update = {};
    pending.forEach((attrs) => Object.keys(attrs).forEach((name) => names.add(name)));
    names.forEach((name) => { update[name] = idx.map((i) => pending.get(i)[name]); });   // undefined: unchanged
    pending.clear();
    Plotly.restyle(map, update, idx);
  }

  // ---- the time shown on the curves: a line over the plot, moved without redrawing the chart
  const nowLine = document.getElementById("now-line");
  let nowBase = null;
  function measureNow() {
    const xa = curves._fullLayout && curves._fullLayout.xaxis, ya = curves._fullLayout && curves._fullLayout.yaxis;
    if (!xa || !ya) return;
    const host = nowLine.parentElement.getBoundingClientRect(), box = curves.getBoundingClientRect();
    nowBase = { left: box.left - host.left + xa._offset, xa: xa };
    nowLine.style.top = (box.top - host.top + ya._offset) + "px";
    nowLine.style.height = ya._length + "px";
  }
  function placeNow(tick) {
    if (nowBase === null) measureNow();
    if (nowBase === null) return;
    nowLine.style.transform = "translateX(" + (nowBase.left + nowBase.xa.l2p(tick * P.tickSeconds / 3600)).toFixed(1) + "px)";
  }
  curves.on("plotly_afterplot", () => { nowBase = null; if (cur >= 0) placeNow(cur); });

  // ---- clock
  function tlabel(tick) {
    const minutes = Math.round(tick * P.tickSeconds / 60);
    return "T+" + Math.floor(minutes / 60) + ":" + String(minutes % 60).padStart(2, "0");
  }
  function span(seconds) {
    const minutes = Math.max(0, Math.round(seconds / 60));
    return Math.floor(minutes / 60) + " h " + String(minutes % 60).padStart(2, "0") + " min";
  }
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  function wall(tick) {
    if (P.start === null) return "";
    const d = new Date(P.start + tick * P.tickSeconds * 1000);
    return " · " + days[d.getUTCDay()] + " " + String(d.getUTCHours()).padStart(2, "0") + ":" +
           String(d.getUTCMinutes()).padStart(2, "0");
  }

  // ---- timeline: one row per event, or per group of failures sharing a cause
  const hiddenCats = new Set(), hiddenSectors = new Set();
  const items = P.timeline.map((row) => {
    const li = document.createElement("li");
    li.className = "c-" + row[1] + " future";
    li.dataset.tick = row[0]; li.dataset.cat = row[1]; li.dataset.sector = row[3];
    li.tabIndex = 0;
    const t = document.createElement("span"); t.className = "t"; t.textContent = tlabel(row[0]);
    const tag = document.createElement("span"); tag.className = "tag"; tag.textContent = row[1];
    if (row[4].length) {
      const box = document.createElement("details"), sum = document.createElement("summary"), ol = document.createElement("ol");
      sum.append(t, tag, document.createTextNode(row[2]));
      row[4].forEach((m) => { const sub = document.createElement("li"); sub.textContent = m[0]; ol.appendChild(sub); });
      box.append(sum, ol); li.appendChild(box);
    } else {
      li.append(t, tag, document.createTextNode(row[2]));
    }
    const go = (ev) => { if (ev.target.tagName !== "SUMMARY") { pause(); seek(row[0]); say(); } };
    li.addEventListener("click", go);
    li.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(ev); } });
    list.appendChild(li);
    return li;
  });
  function filterTimeline() {
    items.forEach((li) => { li.hidden = hiddenCats.has(li.dataset.cat) || hiddenSectors.has(li.dataset.sector); });
  }
  let shown = 0, nowItems = [];
  function drawTimeline(tick) {
    let k = shown;
    while (k < items.length && +items[k].dataset.tick <= tick) { items[k].classList.remove("future"); k++; }
    while (k > 0 && +items[k - 1].dataset.tick > tick) { k--; items[k].classList.add("future"); }
    shown = k;
    nowItems.forEach((li) => li.classList.remove("now"));
    nowItems = [];
    for (let j = k - 1; j >= 0 && +items[j].dataset.tick === tick; j--) { items[j].classList.add("now"); nowItems.push(items[j]); }
    const target = items[Math.max(0, k - 1)];
    if (target && !target.hidden) list.scrollTop = Math.max(0, target.offsetTop - list.offsetTop - list.clientHeight + 2 * target.offsetHeight);
  }
  document.querySelectorAll(".filters input").forEach((box) => box.addEventListener("change", () => {
    if (box.checked) hiddenCats.delete(box.dataset.cat); else hiddenCats.add(box.dataset.cat);
    filterTimeline();
  }));

  // ---- the legend: hiding a sector hides its links, its curve and its timeline rows
  map.on("plotly_restyle", (ev) => {
    // only a change to a sector's nodes (a legend click) is followed; the links' own restyle is not
    if (!ev || !ev[0] || ev[0].visible === undefined || !(ev[1] || []).some((i) => String(map.data[i].meta).startsWith("nodes:"))) return;
    const idx = [], vis = [], cidx = [], cvis = [];
    hiddenSectors.clear();
    map.data.forEach((t) => {
      const meta = String(t.meta);
      if (!meta.startsWith("nodes:")) return;
      const sector = meta.slice(6), off = t.visible === "legendonly" || t.visible === false;
      if (off) hiddenSectors.add(sector);
      const li = traceIndex("links:" + sector);
      if (li >= 0) { idx.push(li); vis.push(off ? false : true); }
      const ci = curves.data.findIndex((c) => c.meta === "service:" + sector);
      if (ci >= 0) { cidx.push(ci); cvis.push(off ? "legendonly" : true); }
    });
    if (idx.length) Plotly.restyle(map, { visible: vis }, idx);
    if (cidx.length) Plotly.restyle(curves, { visible: cvis }, cidx);
    filterTimeline();
  });

  // ---- the scale bar follows zoom and pan: a round length at the bottom left of what is shown
  //      (the same rule as dashboards.layers.scale_path)
  const scaleShape = (map.layout.shapes || []).findIndex((s) => s.name === "scale");
  const scaleNote = (map.layout.annotations || []).findIndex((a) => a.name === "scale");
  function scaleLength(span) {
    const target = Math.max(span, 1e-9) / 5, power = Math.pow(10, Math.floor(Math.log10(target)));
    return [5, 2, 1].map((s) => s * power).find((v) => v <= target * (1 + 1e-9));
  }
  map.on("plotly_relayout", (ev) => {
    if (scaleShape < 0 || !ev || !Object.keys(ev).some((k) => k.startsWith("xaxis") || k.startsWith("yaxis"))) return;
    const [x0, x1] = map.layout.xaxis.range, [y0, y1] = map.layout.yaxis.range;
    const length = scaleLength(x1 - x0), left = x0 + 0.04 * (x1 - x0), base = y0 + 0.05 * (y1 - y0), tick = 0.012 * (y1 - y0);
    const f = (v) => v.toFixed(4);
    const upd = {};
    upd["shapes[" + scaleShape + "].path"] = "M" + f(left) + "," + f(base + tick) + " L" + f(left) + "," + f(base) + " L" +
      f(left + length) + "," + f(base) + " L" + f(left + length) + "," + f(base + tick);
    upd["annotations[" + scaleNote + "].x"] = left + length / 2;
    upd["annotations[" + scaleNote + "].y"] = base + tick;
    upd["annotations[" + scaleNote + "].text"] = length >= 1 ? Number(length.toPrecision(6)) + " km" : Number((length * 1000).toPrecision(6)) + " m";
    Plotly.relayout(map, upd);
  });

  // ---- why a node is down: its outage's cause, followed back through the failed nodes it names
  function outageAt(node, tick) {
    const list = F.outages[String(node)] || [];
    let found = null;
    for (const o of list) { if (o.t <= tick) found = o; }
    return found;
  }
  const nameLink = (node) => '<button type="button" class="linkish" data-node="' + node + '">' + esc(F.name[node]) + "</button>";
  const idLink = (id) => { const k = F.id.indexOf(id); return k >= 0 ? nameLink(k) : esc(id); };
  function causeText(o) {
    const c = o.cause;
    if (!c) return esc(o.reasons.join(", ") || "down") + " (cause not recorded in this run)";
    if (c.attack) return esc(c.reason || o.reasons.join(", ")) + ": " + esc(c.attack.tactic || c.attack.action || "attack") +
                         " by " + esc(c.attack.attacker || "?");
    if (c.spread_from) return esc(c.reason || "COMPROMISED") + ": intrusion spread from " + idLink(c.spread_from);
    if (c.grid) {
      const around = (c.lines || []).map((l) => "line " + esc(l)).concat((c.cut_by || []).map(idLink));
      return esc(c.reason || "UNSUPPLIED") + ": no power in its " + esc(c.grid) + " island: " +
             (around.length ? "cut off by " + around.join(", ") : "no generation there");
    }
    if (c.suppliers) return esc(c.reason || "UNSUPPLIED") + ": no " + esc(c.resource || "supply") + " from " + c.suppliers.map(idLink).join(", ");
    if (c.cut_by) return esc(c.reason || "ISOLATED") + ": " + esc(c.sector || "") + " path cut by " + c.cut_by.map(idLink).join(", ");
    return esc(c.reason || o.reasons.join(", "));
  }
  function chain(node, tick, depth, seen) {
    const o = outageAt(node, tick);
    if (!o || depth > 8 || seen.has(node)) return "";
    seen.add(node);
    let out = "<li>" + nameLink(node) + " down at " + tlabel(o.t) + ": " + causeText(o);
    const next = o.cause ? (o.cause.suppliers || o.cause.cut_by || (o.cause.spread_from ? [o.cause.spread_from] : [])) : [];
    const lines = o.cause && o.cause.grid ? (o.cause.lines || []).map((l) => lineChain(l, o.t, depth + 1, seen)) : [];
    const inner = lines.join("") + next.map((id) => F.id.indexOf(id)).filter((k) => k >= 0).map((k) => chain(k, o.t, depth + 1, seen)).join("");
    return out + (inner ? "<ul>" + inner + "</ul>" : "") + "</li>";
  }
  const sig = (x) => Number(Number(x).toPrecision(3)).toLocaleString("en-US");   // as dashboards.numberformat
  // a branch out at a tick (as sim.causes.Timeline.line_out): its trip or attack, then what caused that
  function lineChain(line, tick, depth, seen) {
    let found = null;
    for (const e of F.lines[line] || []) {
      if (e[0] > tick) break;
      found = e[1] === "line_trip" || e[1] === "line_down" ? e : null;
    }
    if (!found || depth > 8 || seen.has("line " + line)) return "";
    seen.add("line " + line);
    const [t, kind, a, b, round, flow, rating, cause] = found;
    const head = "line " + esc(line) + " (" + idLink(a) + "–" + idLink(b) + ")";
    if (kind === "line_down") return "<li>" + head + " down at " + tlabel(t) + ": " + (cause ? rootText(cause) : "an attack") + "</li>";
    const inner = (cause || []).map((id) => F.lines[id] ? lineChain(id, t, depth + 1, seen) :
                                     (F.id.indexOf(id) >= 0 ? chain(F.id.indexOf(id), t, depth + 1, seen) : "")).join("");
    return "<li>" + head + " tripped at " + tlabel(t) + ", cascade round " + round + ": " + sig(Math.abs(flow)) +
           " MW on its " + sig(rating) + " MVA rating" + (inner ? "<ul>" + inner + "</ul>" : "") + "</li>";
  }
  const rootText = (r) => esc(r.tactic || r.action || "attack") + " by " + esc(r.attacker || "?") + " on " +
                          (r.line ? "line " + esc(r.line) : idLink(r.node || ""));

  // ---- the details panel of the selected node
  let selected = -1;
  function lastChange(node, tick, test) {
    let at = null;
    for (let i = 0; i < P.changes.t.length && P.changes.t[i] <= tick; i++) {
      if (P.changes.n[i] === node && test(i)) at = P.changes.t[i];
    }
    return at;
  }
  function nextChange(node, tick, test) {
    for (let i = 0; i < P.changes.t.length; i++) {
      if (P.changes.t[i] > tick && P.changes.n[i] === node && test(i)) return P.changes.t[i];
    }
    return null;
  }
  function state(node) { return down[node] ? '<span class="is-down">down: ' + esc(reasonsOf(down[node])) + "</span>" : (backup[node] ? "on backup" : "operational"); }
  function drawDetails() {
    if (selected < 0) return;
    const k = selected, rows = [];
    rows.push(["State at " + tlabel(cur), state(k)]);
    if (down[k]) {
      const o = outageAt(k, cur);
      if (o) {
        rows.push(["Why", "<ul>" + chain(k, cur, 0, new Set()) + "</ul>"]);
        if (o.roots && o.roots.length) rows.push(["Traced to", o.roots.map(rootText).join("<br>")]);
      }
      const up = nextChange(k, cur, (i) => P.changes.d[i] === 0);
      rows.push(["Back in service", up === null ? "not within the run" : tlabel(up) + " (in " + span((up - cur) * P.tickSeconds) + ")"]);
    }
    const repairs = (F.repairs[String(k)] || []).filter((r) => r[0] > cur);
    if (repairs.length) rows.push(["Work ETA", repairs.map((r) => esc(r[1]) + " done at " + tlabel(r[0]) + " (in " + span((r[0] - cur) * P.tickSeconds) + ")").join("<br>")]);
    if (backup[k]) {
      const since = lastChange(k, cur, (i) => P.changes.b[i] === 1);
      const elapsed = since === null ? 0 : (cur - since) * P.tickSeconds;
      const drain = F.groups[k].filter((g) => g[1].filter((s) => !down[s]).length < g[2]);
      const left = drain.length ? Math.min(...drain.map((g) => g[3])) - elapsed : null;
      rows.push(["Backup", left === null ? "on backup" : "about " + span(left) + " left" + (since === null ? "" : " (on backup since " + tlabel(since) + ")")]);
    }
    if (F.groups[k].length) {
      rows.push(["Needs", "<ul>" + F.groups[k].map((g) => "<li>" + esc(g[0]) + " from " + g[2] + " of " +
        g[1].map((s) => nameLink(s) + (down[s] ? ' <span class="is-down">(down)</span>' : "")).join(", ") +
        (g[3] > 0 ? "; buffer " + span(g[3]) : "; no buffer") + "</li>").join("") + "</ul>"]);
    }
    if (F.dependants[k].length) {
      const deps = F.dependants[k];
      rows.push(["Supplies", deps.slice(0, 12).map((s) => nameLink(s) + (down[s] ? ' <span class="is-down">(down)</span>' : "")).join(", ") +
                 (deps.length > 12 ? " and " + (deps.length - 12) + " more" : "")]);
    }
    const here = units.filter((u) => u.dest === k && u.status !== P.status.inactive);
    rows.push(["Units on it", here.length ? here.map((u) => esc(u.label) + ": " + esc(u.note)).join("<br>") : "none"]);
    detailsBox.innerHTML = "<h2>" + esc(F.name[k]) + "</h2> <span class=\"hint\">" + esc(F.id[k]) + " · " + esc(F.sector[k]) + " · " +
      esc(F.kind[k]) + "</span><dl>" + rows.map((r) => "<dt>" + r[0] + "</dt><dd>" + r[1] + "</dd>").join("") + "</dl>";
  }
  function select(node) { selected = node; drawDetails(); }
  document.addEventListener("click", (ev) => {
    const b = ev.target.closest && ev.target.closest("button.linkish");
    if (b) select(Number(b.dataset.node));
  });
  map.on("plotly_click", (ev) => {
    const pt = ev.points && ev.points[0];
    if (!pt) return;
    const meta = String(pt.data.meta);
    if (meta.startsWith("nodes:") && pt.pointNumber > 0) {
      const t = P.traces.find((x) => x.meta === meta);
      if (t) select(t.nodes[pt.pointNumber - 1]);
    } else if (meta === "attacks") {
      select(P.attacks.node[pt.pointNumber]);
    }
  });

  // ---- the cascade panel: each attack so far and the failures traced back to it
  function drawCascade(tick) {
    const k = attackCount(tick);
    if (!k) { cascadeBox.innerHTML = '<p class="hint">No attack yet.</p>'; return; }
    const traced = new Map(), untraced = [];
    for (let node = 0; node < P.n; node++) {
      if (!down[node]) continue;
      const o = outageAt(node, tick);
      if (o && o.roots && o.roots.length) o.roots.forEach((r) => {
        const key = r.attacker + "|" + r.node;
        if (!traced.has(key)) traced.set(key, []);
        traced.get(key).push(node);
      });
      else untraced.push(node);
    }
    let out = "<ul>";
    for (let a = 0; a < k; a++) {
      const node = P.attacks.node[a], nodes = traced.get(P.attacks.attacker[a] + "|" + F.id[node]) || [];
      const others = nodes.filter((n) => n !== node);     // the target itself is named already
      out += "<li>" + tlabel(P.attacks.t[a]) + " " + esc(P.attacks.tactic[a]) + " by " + esc(P.attacks.attacker[a]) + " → " +
             (P.attacks.line[a] === null ? nameLink(node) : "line " + esc(P.attacks.line[a]) + " at " + nameLink(node)) + " (" + esc(P.attacks.outcome[a]) + ")" +
             (nodes.length ? ": " + nodes.length + " node" + (nodes.length > 1 ? "s" : "") + " down now traced to it" +
              (others.length ? " (" + others.slice(0, 6).map(nameLink).join(", ") + (others.length > 6 ? ", …" : "") + ")" : "")
              : "") + "</li>";
    }
    out += "</ul>";
    if (untraced.length) {
      out += "<p>" + untraced.length + " node" + (untraced.length > 1 ? "s" : "") + " down now" +
             (traced.size ? " without a recorded root" : "") + ": " + untraced.slice(0, 8).map(nameLink).join(", ") +
             (untraced.length > 8 ? " and " + (untraced.length - 8) + " more" : "") + "</p>";
    }
    cascadeBox.innerHTML = out;
  }

  // ---- seeking
  let cur = -1, ci = 0, ki = 0;
  // draw = false only at start: the page's figures already show tick 0
  function seek(tick, draw = true) {
    tick = Math.max(0, Math.min(P.ticks, Math.round(tick)));
    if (tick < cur || cur < 0) {
      resetNodes(); ci = 0; ki = 0;
      units.forEach((u, i) => Object.assign(u, startUnits[i])); unitsDirty = true;
    }
    while (ci < P.changes.t.length && P.changes.t[ci] <= tick) { setNode(P.changes.n[ci], P.changes.d[ci], P.changes.b[ci]); ci++; }
    while (ki < P.keys.t.length && P.keys.t[ki] <= tick) { applyKey(ki); ki++; }
    const moved = tick !== cur;
    cur = tick;
    if (!draw) { dirty.clear(); unitsDirty = false; attacksShown = attackCount(tick); }
    // marker shape, size and outline only: plotly restyles them without recomputing the map
    dirty.forEach((k) => stage(traces[k].index, { "marker.symbol": traces[k].symbol.slice(), "marker.size": traces[k].size.slice(),
                                                  "marker.line.width": traces[k].width.slice() }));
    dirty.clear();
    if (unitsDirty) { drawUnits(); unitsDirty = false; }
    drawAttacks(tick);
    (window.rippleDrawers || []).forEach((drawer) => drawer(tick, stage, traceIndex));   // e.g. lines out
    if (draw) flush(); else pending.clear();
    placeNow(tick);
    drawTimeline(tick);
    if (moved || !draw) { drawCascade(tick); drawDetails(); }
    slider.value = tick;
    clock.textContent = tlabel(tick) + wall(tick) + "  (tick " + tick + "/" + P.ticks + ")";
  }
  function say() { announce.textContent = clock.textContent; }   // the live region speaks only when asked to move

  // ---- playing: the tick follows the wall clock, so the stated speed holds however long a frame takes
  const perSecond = 10;
  const steps = [1, 2, 3, 6, 12, 24, 48].filter((s) => s <= Math.max(1, P.ticks / 20));
  const preferred = Math.max(1, Math.round(P.ticks / 300));
  if (!steps.includes(preferred)) steps.push(preferred);
  steps.sort((a, b) => a - b).forEach((s) => {
    const o = document.createElement("option");
    o.value = s;
    o.textContent = Number((s * P.tickSeconds * perSecond / 3600).toPrecision(2)) + " h per second";
    o.selected = s === preferred;
    speedSel.appendChild(o);
  });
  let timer = null, from = 0, since = 0;
  function frame(now) {
    if (timer === null) return;
    const target = from + Math.floor((now - since) / 1000 * perSecond * Number(speedSel.value));
    if (target !== cur) seek(Math.min(P.ticks, target));
    if (cur >= P.ticks) { pause(); return; }
    timer = requestAnimationFrame(frame);
  }
  function restart() { from = cur; since = performance.now(); }
  function play() {
    if (timer !== null) return;
    if (cur >= P.ticks) seek(0);
    playBtn.textContent = "⏸ Pause";
    restart();
    timer = requestAnimationFrame(frame);
  }
  function pause() {
    if (timer !== null) cancelAnimationFrame(timer);
    const was = timer !== null;
    timer = null;
    playBtn.textContent = "▶ Play";
    if (was) say();
  }
  speedSel.addEventListener("change", restart);
  const eventTicks = Array.from(new Set(P.timeline.map((r) => r[0]).concat(P.changes.t))).sort((a, b) => a - b);
  function jump(dir) {
    pause();
    const next = dir > 0 ? eventTicks.find((t) => t > cur) : eventTicks.filter((t) => t < cur).pop();
    if (next !== undefined) { seek(next); say(); }
  }
  playBtn.addEventListener("click", () => (timer === null ? play() : pause()));
  document.getElementById("prev").addEventListener("click", () => jump(-1));
  document.getElementById("next").addEventListener("click", () => jump(1));
  slider.addEventListener("input", () => { pause(); seek(Number(slider.value)); });
  slider.addEventListener("change", say);
  curves.on("plotly_click", (ev) => { if (ev.points.length) { pause(); seek(ev.points[0].x * 3600 / P.tickSeconds); say(); } });
  document.addEventListener("keydown", (ev) => {
    // a focused control keeps its own keys: space on a button presses that button, not play
    if (["SELECT", "INPUT", "BUTTON", "SUMMARY", "A", "TEXTAREA"].includes(ev.target.tagName)) return;
    if (ev.target.closest && ev.target.closest("#timeline")) return;
    if (ev.key === " ") { ev.preventDefault(); timer === null ? play() : pause(); }
    else if (ev.key === "ArrowRight") { ev.preventDefault(); jump(1); }
    else if (ev.key === "ArrowLeft") { ev.preventDefault(); jump(-1); }
  });

  seek(0, false);
  window.ripple = {
    seek: seek, play: play, pause: pause, select: select,
    tick: () => cur,
    down: () => Array.from(down),
    backup: () => Array.from(backup),
  };
  window.rippleReadyAt = performance.now();   // ms from navigation start to a drawn, playable page
  window.rippleReady = true;
})();
"""
