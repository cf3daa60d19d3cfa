"""The live exercise console in the browser (``ripple serve``): a Dash app over one
ExerciseSession held by the server process.

The page shows the same network map and service curves as the replay page
(:mod:`dashboards.figures`), the inject feed, the units and the open incidents, with clock
controls (step, run to the next inject, run/pause on a timer that stops at each inject) and
forms for the players' decisions. Every control calls the session, which logs the verb; the
page is redrawn from the session, so a browser reload shows the exercise as it stands. Dash
serves its scripts from the installed package, so the page needs no network.
"""

from __future__ import annotations

import threading
from typing import Any

import dash
import plotly.graph_objects as go
from dash import Input, Output, State, ctx, dcc, html

from agents.dispatch import POLICIES
from agents.responders import UnitStatus
from dashboards.aar import mark_decisions
from dashboards.figures import (
    IDLE, INACTIVE, OUT, TRAVELLING, WORKING, UnitMark, kind_order, map_extent, network_map, service_curves,
)
from dashboards.replay import attack_events
from sim.exercise import RATINGS, ExerciseError, ExerciseSession

STATUS_CODES = {UnitStatus.INACTIVE: INACTIVE, UnitStatus.IDLE: IDLE, UnitStatus.TRAVELLING: TRAVELLING,
                UnitStatus.WORKING: WORKING, UnitStatus.OUT: OUT}
SPEEDS = [(1, "1 tick/s"), (3, "3 ticks/s"), (6, "6 ticks/s"), (12, "12 ticks/s")]
ACTIONS = ("step", "next", "until", "run", "pause", "ticker", "dispatch-go", "recall-go", "aid-go", "harden-go",
           "policy-go", "sharing-go", "note-go", "rate-go")


def unit_marks(session: ExerciseSession) -> list[UnitMark]:
    """Every unit where it is now, as the map draws it."""
    net, marks = session.model.network, []
    for unit in session.model.responders:
        status = STATUS_CODES[unit.status]
        dest = unit.task.node if unit.status == UnitStatus.TRAVELLING and unit.task is not None else -1
        if unit.task is not None:
            note = f"{unit.status} · {unit.task.work} at {net.names[unit.task.node]}"
        else:
            note = unit.status
        if unit.status in (UnitStatus.TRAVELLING, UnitStatus.WORKING, UnitStatus.OUT):
            note += f" until {session.clock(unit.until)}"
        marks.append(UnitMark(unit.label, unit.kind, unit.team, float(unit.position[0]), float(unit.position[1]),
                              status, note, dest))
    return marks


def map_figure(session: ExerciseSession, extent: tuple[float, float, float, float]) -> go.Figure:
    model = session.model
    tick = min(model.tick, model.n_ticks)
    attacks = [a for t, a in attack_events(model.events, model.network, model.tick_seconds) if t <= tick]
    kinds = sorted({u.kind for u in model.responders}, key=kind_order)
    return network_map(model.network, model.state.down, model.state.backup, unit_marks(session), attacks,
                       unit_kinds=kinds, extent=extent, title=f"Network at {session.clock()}")


def curves_figure(session: ExerciseSession) -> go.Figure:
    """Service so far, on the whole exercise's time axis, decisions marked."""
    model, rec = session.model, session.model.recorder
    rows = min(model.tick, model.n_ticks + 1)
    series: dict[str, Any] = {"time_h": [i * model.tick_seconds / 3600.0 for i in range(rows)],
                              "service": rec.service[:rows]}
    for i, name in enumerate(rec.sectors):
        series[f"service_{name}"] = rec.sector_service[i, :rows]
    now_h = min(model.tick, model.n_ticks) * model.tick_seconds / 3600.0
    fig = service_curves(series, rec.sectors, current_h=now_h, title="Service level Q(t)")
    mark_decisions(fig, session.entries, model.tick_seconds)
    fig.update_xaxes(range=[0, model.n_ticks * model.tick_seconds / 3600.0])
    fig.update_layout(uirevision="curves")
    return fig


def inject_feed(session: ExerciseSession) -> list[Any]:
    """Released injects, newest first, with the MSEL's routing and expected action."""
    cards = []
    for event in reversed(session.released_injects()):
        line = session.inject_record(event)
        clock = session.clock(event.tick)
        if line is not None:
            route = " → ".join(x for x in (line.sender, line.to) if x)
            head = f"Inject {line.number} · {clock} · {line.method or 'message'}" + (f" · {route}" if route else "")
            parts = [html.Div(head, className="inject-head"), html.Div(line.message)]
            if line.expected_action:
                tags = " · ".join(x for x in (f"objective {line.objective}" if line.objective else "", line.capability) if x)
                parts.append(html.Div(f"Expected: {line.expected_action}" + (f" ({tags})" if tags else ""),
                                      className="inject-expected"))
        else:
            sender = event.detail.get("sender") or f"report of the attack by {event.detail.get('attacker', '?')}"
            parts = [html.Div(f"Inject · {clock} · {sender}", className="inject-head"),
                     html.Div(str(event.detail.get("message", "")))]
        cards.append(html.Div(parts, className="inject"))
    return cards or [html.Div("No injects yet.", className="muted")]


def teams_table(session: ExerciseSession) -> html.Table:
    head = html.Tr([html.Th(c) for c in ("unit", "kind", "status", "node", "work", "until")])
    rows = [html.Tr([html.Td(r[k]) for k in ("unit", "kind", "status", "node", "work", "until")],
                    id=f"unit-{r['unit']}", className=f"status-{r['status'].replace(' ', '-')}")
            for r in session.teams()]
    return html.Table([html.Thead(head), html.Tbody(rows)], className="grid")


def incidents_table(session: ExerciseSession) -> html.Div | html.Table:
    rows = session.incidents()
    if not rows:
        return html.Div("No open incidents.", className="muted")
    head = html.Tr([html.Th(c) for c in ("node", "sector", "down", "tasks")])
    body = [html.Tr([html.Td(r["node"]), html.Td(r["sector"]), html.Td("+".join(r["down"]) or "up"),
                     html.Td([html.Div(t) for t in r["tasks"]])]) for r in rows]
    return html.Table([html.Thead(head), html.Tbody(body)], className="grid")


def node_options(session: ExerciseSession) -> list[dict[str, str]]:
    """Nodes with open incidents first, then all the others."""
    net = session.model.network
    open_nodes = [r["node"] for r in session.incidents()]
    rest = [n for n in net.ids if n not in set(open_nodes)]
    return ([{"label": f"{n} (incident)", "value": n} for n in open_nodes] +
            [{"label": f"{n} · {net.names[net.index[n]]}", "value": n} for n in rest])


def service_text(session: ExerciseSession) -> str:
    q, sectors = session.service()
    return f"service {q:.1%} · " + " · ".join(f"{k} {v:.0%}" for k, v in sectors.items())


def _form(title: str, *children: Any) -> html.Div:
    return html.Div([html.Div(title, className="form-title"), *children], className="form")


def layout(session: ExerciseSession) -> html.Div:
    model, scenario = session.model, session.scenario
    units = [{"label": f"{u.label} ({u.kind})", "value": u.label} for u in model.responders]
    aid = [n for n, t in scenario.responders.items() if t.mutual_aid is not None]
    caps = [{"label": c, "value": c} for c in session.capabilities()]
    return html.Div([
        html.Header([
            html.Div([html.H1(scenario.name), html.Div(f"scenario {scenario.id} · seed {session.seed} · "
                                                       f"log {session.log_path or '(none)'}", className="muted")]),
            html.Div([html.Div(id="clock", className="clock"), html.Div(id="wall", className="muted"),
                      html.Div(id="service", className="service")], className="clock-box"),
        ]),
        html.Div([
            html.Button("Step", id="step", n_clicks=0),
            dcc.Input(id="step-n", type="number", value=1, min=1, step=1, className="small"),
            html.Button("Run to next inject", id="next", n_clicks=0),
            dcc.Input(id="until-at", type="text", placeholder="T+2:00", className="small"),
            html.Button("Run until", id="until", n_clicks=0),
            html.Button("▶ Run", id="run", n_clicks=0),
            html.Button("❚❚ Pause", id="pause", n_clicks=0),
            dcc.Dropdown(id="speed", options=[{"label": l, "value": v} for v, l in SPEEDS], value=3, clearable=False,
                         searchable=False, className="speed"),
            dcc.Checklist(id="stop-at-inject", options=[{"label": " stop at injects", "value": "stop"}], value=["stop"]),
            html.Div(id="message", className="message"),
        ], className="controls"),
        dcc.Interval(id="ticker", interval=1000, disabled=True),
        dcc.Store(id="version", data=0),
        html.Div([
            html.Div([dcc.Graph(id="map", className="map", config={"displaylogo": False}),
                      dcc.Graph(id="curves", className="curves", config={"displaylogo": False})], className="left"),
            html.Div([
                html.H2("Injects"), html.Div(id="feed", className="feed"),
                html.H2("Decisions"),
                _form("Dispatch a unit",
                      dcc.Dropdown(id="dispatch-unit", options=units, placeholder="unit"),
                      dcc.Dropdown(id="dispatch-node", placeholder="node"),
                      html.Button("Dispatch", id="dispatch-go", n_clicks=0)),
                _form("Recall a unit", dcc.Dropdown(id="recall-unit", options=units, placeholder="unit"),
                      html.Button("Recall", id="recall-go", n_clicks=0)),
                _form("Mutual aid", dcc.Dropdown(id="aid-team", options=aid, placeholder="team"),
                      html.Button("Activate", id="aid-go", n_clicks=0)),
                _form("Harden a node", dcc.Dropdown(id="harden-node", options=list(model.network.ids), placeholder="node"),
                      dcc.Input(id="harden-level", type="number", min=0, max=1, step=0.05, placeholder="0–1",
                                className="small"),
                      html.Button("Harden", id="harden-go", n_clicks=0)),
                _form("Dispatch policy", dcc.Dropdown(id="policy-name", options=list(POLICIES), value=model.dispatcher.policy,
                                                      clearable=False),
                      html.Button("Set policy", id="policy-go", n_clicks=0)),
                _form("Information sharing", dcc.Input(id="sharing-level", type="number", min=0, max=1, step=0.05,
                                                       value=model.information_sharing, className="small"),
                      html.Button("Set sharing", id="sharing-go", n_clicks=0)),
                _form("Note", dcc.Textarea(id="note-text", placeholder="observation, discussion point"),
                      html.Button("Add note", id="note-go", n_clicks=0)),
                _form("Rate a core capability", dcc.Dropdown(id="rate-cap", options=caps, placeholder="capability"),
                      dcc.RadioItems(id="rate-level", options=[{"label": f" {k}", "value": k} for k in RATINGS],
                                     inline=True, className="ratings"),
                      dcc.Textarea(id="rate-notes", placeholder="observations, issues"),
                      html.Button("Rate", id="rate-go", n_clicks=0)),
                html.H2("Units"), html.Div(id="teams"),
                html.H2("Open incidents"), html.Div(id="incidents"),
            ], className="right"),
        ], className="main"),
    ])


def create_app(session: ExerciseSession) -> dash.Dash:
    """The Dash app driving ``session`` (one per server process)."""
    app = dash.Dash(__name__, serve_locally=True, title=f"ripple · {session.scenario.name}", update_title=None)
    app.index_string = INDEX.replace("{%css_extra%}", CSS)
    lock = threading.Lock()
    net = session.model.network
    extent = map_extent(net, [tuple(u.base) for u in session.model.responders])
    app.layout = lambda: layout(session)

    @app.callback(
        output=dict(version=Output("version", "data"), message=Output("message", "children"),
                    paused=Output("ticker", "disabled")),
        inputs=dict(clicks={name: Input(name, "n_clicks" if name != "ticker" else "n_intervals") for name in ACTIONS}),
        state=dict(
            version=State("version", "data"), paused=State("ticker", "disabled"), n=State("step-n", "value"),
            until_at=State("until-at", "value"), speed=State("speed", "value"), stop=State("stop-at-inject", "value"),
            unit=State("dispatch-unit", "value"), node=State("dispatch-node", "value"),
            recall_unit=State("recall-unit", "value"), team=State("aid-team", "value"),
            harden_node=State("harden-node", "value"), level=State("harden-level", "value"),
            policy=State("policy-name", "value"), sharing=State("sharing-level", "value"),
            note=State("note-text", "value"), cap=State("rate-cap", "value"), rating=State("rate-level", "value"),
            notes=State("rate-notes", "value")),
        prevent_initial_call=True,
    )
    def act(clicks: dict[str, Any], version: int, paused: bool, **form: Any) -> dict[str, Any]:
        trigger = ctx.triggered_id
        with lock:
            try:
                message, paused = perform(session, trigger, paused, form)
                ok = True
            except ExerciseError as exc:
                message, ok = str(exc), False
                paused = True if trigger == "ticker" else paused
        return dict(version=(version or 0) + 1, paused=paused,
                    message=html.Span(message, className="ok" if ok else "error"))

    @app.callback(
        Output("clock", "children"), Output("wall", "children"), Output("service", "children"),
        Output("map", "figure"), Output("curves", "figure"), Output("feed", "children"),
        Output("teams", "children"), Output("incidents", "children"), Output("dispatch-node", "options"),
        Input("version", "data"),
    )
    def render(version: int) -> tuple[Any, ...]:
        with lock:
            end = " (end)" if session.finished else ""
            return (session.clock() + end, session.wall_clock(), service_text(session), map_figure(session, extent),
                    curves_figure(session), inject_feed(session), teams_table(session), incidents_table(session),
                    node_options(session))

    return app


def perform(session: ExerciseSession, trigger: str, paused: bool, form: dict[str, Any]) -> tuple[str, bool]:
    """Carry out the control that fired; return the message and whether the timer is paused."""
    def need(value: Any, what: str) -> Any:
        if value in (None, "", []):
            raise ExerciseError(f"choose {what} first")
        return value

    if trigger == "step":
        return session.step(int(form["n"] or 1)), paused
    if trigger == "next":
        return session.run_to_next_inject(), paused
    if trigger == "until":
        return session.run_until(str(need(form["until_at"], "a time (T+h:mm or end)")).strip()), paused
    if trigger == "run":
        if session.finished:
            raise ExerciseError("the exercise has ended")
        return "running", False
    if trigger == "pause":
        return f"paused at {session.clock()}", True
    if trigger == "ticker":
        return auto_step(session, int(form["speed"] or 1), "stop" in (form["stop"] or []))
    if trigger == "dispatch-go":
        return session.dispatch(need(form["unit"], "a unit"), need(form["node"], "a node")), paused
    if trigger == "recall-go":
        return session.recall(need(form["recall_unit"], "a unit")), paused
    if trigger == "aid-go":
        return session.aid(need(form["team"], "a mutual-aid team")), paused
    if trigger == "harden-go":
        return session.harden(need(form["harden_node"], "a node"), float(need(form["level"], "a level"))), paused
    if trigger == "policy-go":
        return session.policy(need(form["policy"], "a policy")), paused
    if trigger == "sharing-go":
        return session.sharing(float(need(form["sharing"], "a level"))), paused
    if trigger == "note-go":
        return session.note(need(form["note"], "some text")), paused
    if trigger == "rate-go":
        return session.rate(need(form["cap"], "a capability"), need(form["rating"], "a rating"), form["notes"] or ""), paused
    raise ExerciseError(f"unknown control '{trigger}'")


def auto_step(session: ExerciseSession, speed: int, stop_at_inject: bool) -> tuple[str, bool]:
    """One beat of the run timer: ``speed`` ticks, cut short to stop right after an inject."""
    if session.finished:
        return f"the exercise has ended ({session.clock()})", True
    n = speed
    upcoming = session.next_inject_tick()
    if stop_at_inject and upcoming is not None:
        n = max(1, min(n, upcoming + 1 - session.model.tick))
    released = len(session.released_injects())
    message = session.step(n)
    if session.finished:
        return message, True
    if stop_at_inject and len(session.released_injects()) > released:
        return f"{message}: paused at an inject", True
    return message, False


INDEX = """<!DOCTYPE html>
<html lang="en">
<head>
{%metas%}
<title>{%title%}</title>
{%favicon%}
{%css%}
<style>{%css_extra%}</style>
</head>
<body>
{%app_entry%}
<footer>{%config%}{%scripts%}{%renderer%}</footer>
</body>
</html>"""

CSS = """
body { margin: 0; font-family: "DejaVu Sans", Verdana, Arial, sans-serif; font-size: 13px; color: #222; background: #f4f4f2; }
header { display: flex; justify-content: space-between; align-items: center; padding: 8px 16px; background: #fff;
         border-bottom: 1px solid #ddd; }
h1 { font-size: 18px; margin: 0; }
h2 { font-size: 14px; margin: 12px 0 6px; }
.muted { color: #666; font-size: 12px; }
.clock-box { text-align: right; }
.clock { font: bold 22px "DejaVu Sans Mono", monospace; }
.service { font-size: 12px; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; padding: 8px 16px; background: #fff;
            border-bottom: 1px solid #ddd; position: sticky; top: 0; z-index: 20; }
.controls button, .form button { padding: 4px 10px; cursor: pointer; }
.small { width: 80px; }
.speed { width: 130px; }
.message .ok { color: #205020; } .message .error { color: #b00000; font-weight: bold; }
.main { display: flex; gap: 12px; padding: 12px 16px; }
.left { flex: 3; min-width: 0; }
.right { flex: 2; min-width: 320px; max-width: 560px; }
.map { height: 560px; background: #fff; border: 1px solid #ddd; }
.curves { height: 330px; background: #fff; border: 1px solid #ddd; margin-top: 10px; }
.feed { max-height: 300px; overflow-y: auto; }
.inject { background: #fffbe6; border-left: 4px solid #e6a100; padding: 6px 8px; margin-bottom: 6px; }
.inject-head { font-weight: bold; font-size: 12px; }
.inject-expected { color: #555; font-size: 12px; margin-top: 3px; }
.form { background: #fff; border: 1px solid #ddd; padding: 6px 8px; margin-bottom: 6px; display: grid;
        grid-template-columns: 1fr 1fr auto; gap: 6px; align-items: center; }
.form-title { grid-column: 1 / -1; font-weight: bold; font-size: 12px; }
.form textarea { grid-column: 1 / 3; height: 34px; }
table.grid { border-collapse: collapse; width: 100%; background: #fff; font-size: 12px; }
table.grid th, table.grid td { border-bottom: 1px solid #e3e3e3; padding: 3px 6px; text-align: left; vertical-align: top; }
tr.status-idle td:nth-child(3) { color: #205020; font-weight: bold; }
tr.status-travelling td:nth-child(3), tr.status-working td:nth-child(3) { color: #0b4f8a; }
tr.status-inactive { color: #999; }
"""
