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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from dashboards import page
from dashboards.schematic import drawn_positions
from dashboards.figures import (
    STATE_NAMES, STATE_SIZES, STATE_SYMBOLS, UNIT_NAMES, AttackMark,
    UnitMark, attack_points, kind_order, map_extent, network_map, sector_members, service_curves,
)
from sim.events import category, describe
from sim.metrics import metric
from sim.network import REASONS, Network
from sim.results import Event, EventKind, RunResult, UnitRecord, UnitStatus
from sim.scenario.timefmt import format_clock

__all__ = [
    "UnitKey", "attack_events", "attacks_until", "headline_cards", "near_points", "node_state_at", "payload",
    "replay_html", "start_ms", "timeline_rows", "unit_keys", "units_at", "write_replay",
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
        Index of the node it travels to, or -1.
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
            key(e.tick, i, UnitStatus.WORKING, f"{work} at {name}")
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
                                e.detail.get("outcome", "?"), format_clock(e.tick * tick_seconds)))
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


# ------------------------------------------------------------------- timeline
def timeline_rows(events: Sequence[Event], net: Network, tick_seconds: float) -> list[list[Any]]:
    """[tick, category, text] per event, in the order they happened.

    Parameters
    ----------
    events : Sequence[Event]
        The run's timeline (:meth:`RunResult.timeline`).
    net : Network
        The run's network, for node display names.
    tick_seconds : float
        Length of a tick in seconds.

    Returns
    -------
    list[list]
        ``[tick, category, text]`` per event (category from :func:`sim.events.category`).
    """
    names = dict(zip(net.ids, net.names))
    return [[e.tick, category(e), describe(e, names, tick_seconds)] for e in events]


# ----------------------------------------------------------------------- page
def headline_cards(result: RunResult) -> str:
    """The run's headline numbers as HTML cards (labels and formats from the metric catalogue).

    Parameters
    ----------
    result : RunResult
        A finished run.

    Returns
    -------
    str
        Six ``card`` divs: resilience loss, minimum service, recovery, cascade
        amplification, attacks landed and unserved person-hours.
    """
    m = result.metrics
    t = result.tick_seconds

    def card(name: str, note: str, value: str | None = None) -> tuple[str, str, str]:
        return metric(name).title, value or metric(name).format(m.get(name)), note

    cards = [
        card("resilience_loss_h", "∫ (Q0 − Q)⁺ / Q0 dt, hours of pre-attack service lost (Bruneau 2003)"),
        card("min_service", f"at {format_clock(m['min_service_time_h'] * 3600.0)}"),
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
            attacks: list[tuple[int, AttackMark]], timeline: list[list[Any]]) -> dict[str, Any]:
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
        :func:`timeline_rows` of the run.

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
    return {
        "n": net.n, "ticks": len(result.series["time_h"]) - 1, "tickSeconds": result.tick_seconds,
        "start": start_ms(result.clock_start),
        "base": {"node": np.flatnonzero(odd).tolist(), "down": down0[odd].tolist(),
                 "backup": backup0[odd].astype(int).tolist()},
        "changes": {"t": ch["tick"].tolist(), "n": ch["node"].tolist(), "d": ch["down"].tolist(),
                    "b": ch["backup"].astype(int).tolist()},
        "traces": [{"meta": f"nodes:{net.sector_names[code]}", "nodes": members.tolist()}
                   for code, members in enumerate(sector_members(net)) if len(members)],
        "symbols": list(STATE_SYMBOLS), "sizes": list(STATE_SIZES), "stateNames": list(STATE_NAMES),
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
        "attacks": {"t": [t for t, _ in attacks], "x": ax, "y": ay, "symbol": symbols, "hover": hovers},
        "timeline": timeline,
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


def replay_html(result: RunResult, net: Network) -> str:
    """The whole replay page of ``result`` on the static network ``net``, as one
    self-contained HTML document.

    Parameters
    ----------
    result : RunResult
        A finished run.
    net : Network
        The static network it ran on.

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
                          title="Network: nodes by sector, shaped by state")
    curves = service_curves(result.series, result.sectors, current_h=0.0, title="Service level Q(t) by sector")
    data = payload(result, net, units, keys, attacks, timeline_rows(events, net, result.tick_seconds))
    minutes = int(round(data["ticks"] * result.tick_seconds / 60.0))
    span = f"{minutes // 60} h" + (f" {minutes % 60} min" if minutes % 60 else "")
    body = f"""
<header>
  <h1>{html.escape(result.scenario_name)}</h1>
  <div class="sub">scenario <b>{html.escape(result.scenario_id)}</b> · seed {result.seed} · {net.n} nodes in
  {len(net.sector_names)} sectors · {span} at {result.tick_seconds / 60:g}-minute ticks
  {"· T+0 = " + html.escape(result.clock_start) if result.clock_start else ""}</div>
  <div class="cards">{headline_cards(result)}</div>
</header>
<div class="controls">
  <button id="play" type="button" title="play / pause (space)">▶ Play</button>
  <button id="prev" type="button" title="previous event (←)">◀ event</button>
  <button id="next" type="button" title="next event (→)">event ▶</button>
  <input id="slider" type="range" min="0" max="{data['ticks']}" value="0" step="1" aria-label="tick">
  <span id="clock" class="clock">T+0:00</span>
  <label class="speed">speed <select id="speed"></select></label>
</div>
<div class="replay">
  <div class="panel map">{page.figure_div(map_fig, "map")}</div>
  <div class="side">
    <div class="panel curves">{page.figure_div(curves, "curves")}</div>
    <div class="panel events">
      <div class="events-head"><b>Event timeline</b>
        <span class="filters">{"".join(f'<label class="f-{c}"><input type="checkbox" data-cat="{c}" checked> {c}</label>' for c in ("attack", "failure", "restore", "response", "inject", "decision", "other"))}</span>
      </div>
      <ol id="timeline"></ol>
    </div>
  </div>
</div>
{page.json_script("replay-data", data)}
"""
    return page.render(f"{result.scenario_name}: replay (seed {result.seed})", body, REPLAY_CSS, (PLAYER_JS,))


def write_replay(result: RunResult, net: Network, path: str | Path) -> Path:
    """Write the replay page of a finished run on the static network ``net`` to ``path``.

    Parameters
    ----------
    result : RunResult
        A finished run.
    net : Network
        The static network it ran on.
    path : str or Path
        The HTML file to write (its folder is created).

    Returns
    -------
    Path
        ``path``.
    """
    return page.write(path, replay_html(result, net))


REPLAY_CSS = """
.controls { position: sticky; top: 0; z-index: 10; display: flex; align-items: center; gap: 10px;
            padding: 8px 20px; background: #fff; border-bottom: 1px solid #ddd; }
.controls button { font-size: 14px; padding: 4px 12px; cursor: pointer; }
#play { min-width: 90px; font-weight: bold; }
#slider { flex: 1; }
.clock { font-family: "DejaVu Sans Mono", monospace; min-width: 210px; }
.replay { display: grid; grid-template-columns: minmax(0, 3fr) minmax(360px, 2fr); gap: 12px; padding: 12px 20px; }
.map { height: max(560px, calc(100vh - 250px)); }
.side { display: flex; flex-direction: column; gap: 12px; min-width: 0; }
.curves { height: 330px; margin: 0; }
.events { margin: 0; display: flex; flex-direction: column; height: max(240px, calc(100vh - 600px)); }
.events-head { padding: 4px 6px 6px; border-bottom: 1px solid #eee; font-size: 13px; }
.filters label { margin-left: 8px; font-size: 12px; white-space: nowrap; }
#timeline { list-style: none; margin: 0; padding: 0; overflow-y: auto; flex: 1; font-size: 12.5px; }
#timeline li { padding: 3px 6px 3px 8px; border-left: 4px solid #999; border-bottom: 1px solid #f0f0f0; cursor: pointer; }
#timeline li .t { font-family: "DejaVu Sans Mono", monospace; color: #555; margin-right: 6px; }
#timeline li .tag { font-size: 10px; font-weight: bold; text-transform: uppercase; margin-right: 6px; color: #444; }
#timeline li.future { opacity: 0.38; }
#timeline li.now { background: #fff6d6; }
#timeline li.c-attack { border-left-color: #000000; }
#timeline li.c-failure { border-left-color: #D55E00; }
#timeline li.c-restore { border-left-color: #009E73; }
#timeline li.c-response { border-left-color: #0072B2; }
#timeline li.c-inject { border-left-color: #CC79A7; }
#timeline li.c-decision { border-left-color: #E69F00; }
"""

PLAYER_JS = r"""
(function () {
  "use strict";
  const P = JSON.parse(document.getElementById("replay-data").textContent);
  const map = document.getElementById("map"), curves = document.getElementById("curves");
  const slider = document.getElementById("slider"), clock = document.getElementById("clock");
  const playBtn = document.getElementById("play"), speedSel = document.getElementById("speed");
  const list = document.getElementById("timeline");
  const traceIndex = (meta) => map.data.findIndex((t) => t.meta === meta);

  // ---- node state, kept incrementally; trace arrays restyled only when they change
  const down = new Uint8Array(P.n), backup = new Uint8Array(P.n);
  const where = new Int32Array(P.n), pos = new Int32Array(P.n), hollow = new Uint8Array(P.n);
  P.unplaced.forEach((node) => { hollow[node] = 1; });   // unplaced nodes keep a hollow marker
  const traces = P.traces.map((t, k) => {
    t.nodes.forEach((node, i) => { where[node] = k; pos[node] = i + 1; });   // point 0 is the legend's
    return { index: traceIndex(t.meta), symbol: [P.symbols[0]], size: [P.sizes[0]], state: [""] };
  });
  const label = (d, b) => {
    if (d) return "down: " + P.reasons.filter((r) => d & r[0]).map((r) => r[1]).join(", ");
    return b ? P.stateNames[1] : P.stateNames[0];
  };
  const dirty = new Set();
  function setNode(node, d, b) {
    down[node] = d; backup[node] = b;
    const tr = traces[where[node]], i = pos[node], s = d ? 2 : (b ? 1 : 0);
    tr.symbol[i] = P.symbols[s] + (hollow[node] ? "-open" : ""); tr.size[i] = P.sizes[s]; tr.state[i] = label(d, b);
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
    Plotly.restyle(map, { x: xs, y: ys, text: texts, hovertext: hovers }, idx);
    const rx = [], ry = [];
    for (const u of units) {
      if (u.status === P.status.travelling && u.dest >= 0) {
        rx.push(u.x, P.xy[u.dest][0], null); ry.push(u.y, P.xy[u.dest][1], null);
      }
    }
    if (!rx.length) { rx.push(null); ry.push(null); }
    Plotly.restyle(map, { x: [rx], y: [ry] }, [traceIndex("routes")]);
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
    Plotly.restyle(map, { x: [none ? [null] : P.attacks.x.slice(0, k)], y: [none ? [null] : P.attacks.y.slice(0, k)],
                          "marker.symbol": [none ? ["star"] : P.attacks.symbol.slice(0, k)],
                          hovertext: [none ? [""] : P.attacks.hover.slice(0, k)] }, [traceIndex("attacks")]);
  }

  // ---- timeline
  const items = P.timeline.map((row, i) => {
    const li = document.createElement("li");
    li.className = "c-" + row[1] + " future";
    li.dataset.tick = row[0];
    li.dataset.cat = row[1];
    const t = document.createElement("span"); t.className = "t"; t.textContent = tlabel(row[0]);
    const tag = document.createElement("span"); tag.className = "tag"; tag.textContent = row[1];
    li.append(t, tag, document.createTextNode(row[2]));
    li.addEventListener("click", () => { pause(); seek(row[0]); });
    list.appendChild(li);
    return li;
  });
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
    items.forEach((li) => { if (li.dataset.cat === box.dataset.cat) li.hidden = !box.checked; });
  }));

  // ---- clock
  function tlabel(tick) {
    const minutes = Math.round(tick * P.tickSeconds / 60);
    return "T+" + Math.floor(minutes / 60) + ":" + String(minutes % 60).padStart(2, "0");
  }
  const days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  function wall(tick) {
    if (P.start === null) return "";
    const d = new Date(P.start + tick * P.tickSeconds * 1000);
    return " · " + days[d.getUTCDay()] + " " + String(d.getUTCHours()).padStart(2, "0") + ":" +
           String(d.getUTCMinutes()).padStart(2, "0");
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
    cur = tick;
    if (!draw) { dirty.clear(); unitsDirty = false; attacksShown = attackCount(tick); }
    if (dirty.size) {
      const ks = Array.from(dirty);
      Plotly.restyle(map, { "marker.symbol": ks.map((k) => traces[k].symbol.slice()),
                            "marker.size": ks.map((k) => traces[k].size.slice()),
                            customdata: ks.map((k) => traces[k].state.slice()) }, ks.map((k) => traces[k].index));
      dirty.clear();
    }
    if (unitsDirty) { drawUnits(); unitsDirty = false; }
    drawAttacks(tick);
    const h = tick * P.tickSeconds / 3600;
    if (draw) Plotly.relayout(curves, { "shapes[0].x0": h, "shapes[0].x1": h });
    drawTimeline(tick);
    slider.value = tick;
    clock.textContent = tlabel(tick) + wall(tick) + "  (tick " + tick + "/" + P.ticks + ")";
  }

  // ---- playing
  const perSecond = 10;
  const steps = [1, 2, 3, 6, 12, 24, 48].filter((s) => s <= Math.max(1, P.ticks / 20));
  const preferred = Math.max(1, Math.round(P.ticks / 300));
  if (!steps.includes(preferred)) steps.push(preferred);
  steps.sort((a, b) => a - b).forEach((s) => {
    const o = document.createElement("option");
    o.value = s;
    o.textContent = (s * P.tickSeconds * perSecond / 3600).toFixed(s * P.tickSeconds * perSecond >= 36000 ? 0 : 1) + " h per second";
    o.selected = s === preferred;
    speedSel.appendChild(o);
  });
  let timer = null;
  function play() {
    if (timer !== null) return;
    if (cur >= P.ticks) seek(0);
    playBtn.textContent = "⏸ Pause";
    timer = setInterval(() => {
      if (cur >= P.ticks) { pause(); return; }
      seek(cur + Number(speedSel.value));
    }, 1000 / perSecond);
  }
  function pause() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    playBtn.textContent = "▶ Play";
  }
  const eventTicks = Array.from(new Set(P.timeline.map((r) => r[0]).concat(P.changes.t))).sort((a, b) => a - b);
  function jump(dir) {
    pause();
    const next = dir > 0 ? eventTicks.find((t) => t > cur) : eventTicks.filter((t) => t < cur).pop();
    if (next !== undefined) seek(next);
  }
  playBtn.addEventListener("click", () => (timer === null ? play() : pause()));
  document.getElementById("prev").addEventListener("click", () => jump(-1));
  document.getElementById("next").addEventListener("click", () => jump(1));
  slider.addEventListener("input", () => { pause(); seek(Number(slider.value)); });
  curves.on("plotly_click", (ev) => { if (ev.points.length) { pause(); seek(ev.points[0].x * 3600 / P.tickSeconds); } });
  document.addEventListener("keydown", (ev) => {
    if (ev.target.tagName === "SELECT" || ev.target.tagName === "INPUT") return;
    if (ev.key === " ") { ev.preventDefault(); timer === null ? play() : pause(); }
    else if (ev.key === "ArrowRight") jump(1);
    else if (ev.key === "ArrowLeft") jump(-1);
  });

  seek(0, false);
  window.ripple = {
    seek: seek, play: play, pause: pause,
    tick: () => cur,
    down: () => Array.from(down),
    backup: () => Array.from(backup),
  };
  window.rippleReadyAt = performance.now();   // ms from navigation start to a drawn, playable page
  window.rippleReady = true;
})();
"""
