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
from typing import Any, Sequence
from urllib.parse import parse_qs

import dash
import flask
import plotly.graph_objects as go
from dash import Input, Output, State, ctx, dcc, html

from dashboards.aar import mark_decisions
from dashboards.figures import (
    UnitMark, kind_order, map_extent, network_map, service_curves,
)
from dashboards.layers import map_background
from dashboards.replay import attack_events
from sim.exercise import CLOCK, NOTE, PLAYER, QUERY, RATING, RATINGS, VERBS, Argument, ExerciseError, ExerciseSession, Verb
from sim.exercise.seats import FACILITATOR
from sim.results import UnitStatus
from sim.scenario.maplayers import LayerShapes

__all__ = ["alert_feed", "allowed_host", "auto_step", "create_app", "form_arguments", "live_options", "perform",
           "respond", "seat_of"]

# the map's code for each unit status the session reports
SPEEDS = [(1, "1 tick/s"), (3, "3 ticks/s"), (6, "6 ticks/s"), (12, "12 ticks/s")]
CLOCK_VERBS = [v for v in VERBS.values() if v.category == CLOCK]
# the verbs with a form on the page: the players' decisions, notes, ratings and questions
# (the controller's verbs stay in the terminal console)
FORM_VERBS = [v for v in VERBS.values() if v.category in (PLAYER, NOTE, RATING, QUERY)]
TIMER = ("run", "pause", "ticker")
ACTIONS = tuple(v.name for v in CLOCK_VERBS) + TIMER + tuple(f"{v.name}-go" for v in FORM_VERBS)


def field_id(verb: Verb, argument: Argument) -> str:
    """The page element of a verb's argument, e.g. ``dispatch-unit``.

    Parameters
    ----------
    verb : Verb
        The verb.
    argument : Argument
        One of its arguments.

    Returns
    -------
    str
        The element's ``id``: verb name, a dash, argument name.
    """
    return f"{verb.name}-{argument.name}"


def live_fields() -> list[tuple[Verb, Argument]]:
    """The arguments whose choices follow the run (nodes and units), refreshed on every change."""
    return [(v, a) for v in CLOCK_VERBS + FORM_VERBS for a in v.positional if a.kind in ("node", "unit")]


ACTIVE_STATUSES = ("idle", "travelling", "working")


def live_options(session: ExerciseSession, verb: Verb, argument: Argument,
                 seat: str = FACILITATOR) -> list[dict[str, str]]:
    """What a node or unit field offers now: what that verb can act on, from that seat.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.
    verb : Verb
        The verb of the form.
    argument : Argument
        Its node or unit argument.
    seat : str
        The seat looking (a key of the session's ``seats``): it is offered its own units.

    Returns
    -------
    list[dict[str, str]]
        Dropdown options: a dispatch goes to an open incident with a unit on duty, a recall
        stops a travelling or working unit; other node fields list every node, open
        incidents first.
    """
    if argument.kind == "node":
        if verb.name == "dispatch":
            return [{"label": f"{r['node']} (incident)", "value": r["node"]} for r in session.incidents()]
        return node_options(session)
    wanted = {"dispatch": ACTIVE_STATUSES, "recall": ("travelling", "working")}.get(verb.name)
    who = session.seats.get(seat, session.seats[FACILITATOR])
    return [{"label": f"{u.label} ({u.kind})", "value": u.label} for u in session.units()
            if (wanted is None or u.status in wanted) and who.commands(u)]


def unit_marks(session: ExerciseSession) -> list[UnitMark]:
    """Every unit where it is now, as the map draws it.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.

    Returns
    -------
    list[UnitMark]
        One mark per unit, positions in km.
    """
    marks = []
    for unit in session.units():
        dest = unit.node_index if unit.status == "travelling" and unit.node_index is not None else -1
        note = f"{unit.status} · {unit.work} at {unit.node_name}" if unit.node_index is not None else unit.status
        if unit.until:
            note += f" until {unit.until}"
        marks.append(UnitMark(unit.label, unit.kind, unit.team, unit.position[0], unit.position[1],
                              UnitStatus(unit.status), note, dest))
    return marks


def map_figure(session: ExerciseSession, extent: tuple[float, float, float, float],
               background: Sequence[LayerShapes] = ()) -> go.Figure:
    """The network map now: node states, units and the attacks so far.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.
    extent : tuple of four floats
        x0, x1, y0, y1 of the map, km (fixed for the session, so the map does not jump).
    background : Sequence[LayerShapes]
        The scenario's map layers (:func:`dashboards.layers.map_background`).

    Returns
    -------
    go.Figure
        :func:`dashboards.figures.network_map` at the session's tick.
    """
    net, tick = session.network, session.tick
    attacks = [a for t, a in attack_events(session.events, net, session.tick_seconds) if t <= tick]
    kinds = sorted({u.kind for u in session.units()}, key=kind_order)
    down, backup = session.node_states()
    return network_map(net, down, backup, unit_marks(session), attacks, unit_kinds=kinds, extent=extent,
                       title=f"Network at {session.clock()}", background=background)


def curves_figure(session: ExerciseSession) -> go.Figure:
    """Service so far, on the whole exercise's time axis, decisions marked.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.

    Returns
    -------
    go.Figure
        Service (percent) per sector and overall up to now, x from 0 to the exercise's
        length in hours, the current time marked.
    """
    series, sectors = session.series_so_far()
    hours = session.tick_seconds / 3600.0
    fig = service_curves(series, sectors, current_h=session.tick * hours, title="Service level Q(t)")
    mark_decisions(fig, session.entries, session.tick_seconds)
    fig.update_xaxes(range=[0, session.n_ticks * hours])
    fig.update_layout(uirevision="curves")
    return fig


def inject_feed(session: ExerciseSession) -> list[Any]:
    """Released injects, newest first, with the MSEL's routing and expected action.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.

    Returns
    -------
    list
        One Dash ``Div`` per inject, or one saying there is none yet.
    """
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


def alert_feed(session: ExerciseSession) -> list[Any]:
    """The forecast's alerts and every node on backup with its time left.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.

    Returns
    -------
    list
        One ``Div`` per alert (:meth:`ExerciseSession.alerts`), then a table of the nodes on
        backup (:meth:`ExerciseSession.backups`); or one ``Div`` saying nothing runs on backup.
    """
    rows = session.backups()
    if not rows:
        return [html.Div("No node is running on backup.", className="muted")]
    cards: list[Any] = [html.Div(line, className="alert") for line in session.alerts()]
    head = html.Tr([html.Th(c) for c in ("node", "sector", "backup left", "runs out")])
    body = [html.Tr([html.Td(r["node"], title=r["name"]), html.Td(r["sector"]), html.Td(r["left"]),
                     html.Td(r["runs_out"])]) for r in rows]
    return [*cards, html.Table([html.Thead(head), html.Tbody(body)], className="grid backups")]


def teams_table(session: ExerciseSession, seat: str = FACILITATOR) -> html.Table:
    """The seat's units (the facilitator's: every unit): kind, status, node, work and until when.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.
    seat : str
        The seat looking (a key of the session's ``seats``).

    Returns
    -------
    html.Table
        One row per unit, its id ``unit-<label>`` and class ``status-<status>``.
    """
    who = session.seats.get(seat, session.seats[FACILITATOR])
    head = html.Tr([html.Th(c) for c in ("unit", "kind", "status", "node", "work", "until")])
    rows = [html.Tr([html.Td(r[k]) for k in ("unit", "kind", "status", "node", "work", "until")],
                    id=f"unit-{r['unit']}", className=f"status-{r['status'].replace(' ', '-')}")
            for r, u in zip(session.teams(), session.units()) if who.commands(u)]
    return html.Table([html.Thead(head), html.Tbody(rows)], className="grid")


def incidents_table(session: ExerciseSession) -> html.Div | html.Table:
    """The open incidents: node, sector, why it is down, the state of each task.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.

    Returns
    -------
    html.Div or html.Table
        A table, or a note when there is no open incident.
    """
    rows = session.incidents()
    if not rows:
        return html.Div("No open incidents.", className="muted")
    head = html.Tr([html.Th(c) for c in ("node", "sector", "down", "tasks")])
    body = [html.Tr([html.Td(r["node"]), html.Td(r["sector"]), html.Td("+".join(r["down"]) or "up"),
                     html.Td([html.Div(t) for t in r["tasks"]])]) for r in rows]
    return html.Table([html.Thead(head), html.Tbody(body)], className="grid")


def node_options(session: ExerciseSession) -> list[dict[str, str]]:
    """Nodes with open incidents first, then all the others.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.

    Returns
    -------
    list[dict[str, str]]
        Dropdown options (``label``, ``value`` = node id).
    """
    net = session.network
    open_nodes = [r["node"] for r in session.incidents()]
    rest = [n for n in net.ids if n not in set(open_nodes)]
    return ([{"label": f"{n} (incident)", "value": n} for n in open_nodes] +
            [{"label": f"{n} · {net.names[net.index[n]]}", "value": n} for n in rest])


def service_text(session: ExerciseSession) -> str:
    """Service now, overall and per sector, in percent.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.

    Returns
    -------
    str
        E.g. ``"service 97.3% · energy 95% · water 100%"``.
    """
    q, sectors = session.service()
    return f"service {q:.1%} · " + " · ".join(f"{k} {v:.0%}" for k, v in sectors.items())


def field(session: ExerciseSession, verb: Verb, argument: Argument) -> Any:
    """The input for one argument of a verb, chosen by what the argument names.

    Parameters
    ----------
    session : ExerciseSession
        The exercise, for the choices and current settings.
    verb : Verb
        The verb.
    argument : Argument
        One of its arguments.

    Returns
    -------
    Dash component
        A dropdown (units, nodes, teams, policies, capabilities), radio items (ratings),
        a text area, or a number or text input; its id is :func:`field_id`.
    """
    ident, hint = field_id(verb, argument), argument.hint or argument.name
    current = session.settings().get(argument.setting) if argument.setting else None
    choices = {
        "unit": lambda: live_options(session, verb, argument), "node": lambda: live_options(session, verb, argument),
        "team": session.aid_teams, "policy": session.policy_names,
        "capability": lambda: [{"label": c, "value": c} for c in session.capabilities()],
    }
    if argument.kind in choices:
        return dcc.Dropdown(id=ident, options=choices[argument.kind](), value=current, placeholder=hint,
                            clearable=current is None)
    if argument.kind == "rating":
        return dcc.RadioItems(id=ident, options=[{"label": f" {k}", "value": k} for k in RATINGS], inline=True,
                              className="ratings")
    if argument.kind == "text":
        return dcc.Textarea(id=ident, placeholder=hint)
    if argument.type in (int, float):
        low, high, step = (1, None, 1) if argument.type is int else (0, 1, 0.05)
        return dcc.Input(id=ident, type="number", min=low, max=high, step=step, placeholder=hint,
                         value=current if current is not None else argument.default, className="small")
    return dcc.Input(id=ident, type="text", placeholder=hint, className="small")


def _form(session: ExerciseSession, verb: Verb) -> html.Div:
    fields = [field(session, verb, a) for a in verb.positional]
    return html.Div([html.Div(verb.title, className="form-title"), *fields,
                     html.Button(verb.button, id=f"{verb.name}-go", n_clicks=0)], className="form")


def layout(session: ExerciseSession, sync_ms: int = 500) -> html.Div:
    """The whole page: header with the clock, controls, map, curves, feeds and forms.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.
    sync_ms : int
        How often the page asks the server whether the exercise changed, ms.

    Returns
    -------
    html.Div
        The Dash layout; the callbacks fill the parts that change.
    """
    scenario = session.scenario
    clock_controls = [part for verb in CLOCK_VERBS for part in
                      [field(session, verb, a) for a in verb.positional] + [html.Button(verb.button, id=verb.name, n_clicks=0)]]
    return html.Div([
        html.Header([
            html.Div([html.H1(scenario.name), html.Div(f"scenario {scenario.id} · seed {session.seed} · "
                                                       f"log {session.log_path.name if session.log_path else '(none)'}", className="muted")]),
            html.Div([html.Div(id="clock", className="clock"), html.Div(id="wall", className="muted"),
                      html.Div(id="service", className="service")], className="clock-box"),
        ]),
        html.Div([
            *clock_controls,
            html.Button("▶ Run", id="run", n_clicks=0),
            html.Button("❚❚ Pause", id="pause", n_clicks=0),
            dcc.Dropdown(id="speed", options=[{"label": l, "value": v} for v, l in SPEEDS], value=3, clearable=False,
                         searchable=False, className="speed"),
            dcc.Checklist(id="stop-at-inject", options=[{"label": " stop at injects", "value": "stop"}], value=["stop"]),
            html.Div(id="message", className="message"),
        ], className="controls", id="controls"),
        html.Div(id="seat-label", className="muted"),
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="seat", data=FACILITATOR),
        dcc.Interval(id="ticker", interval=1000, disabled=True),
        dcc.Interval(id="sync", interval=sync_ms),
        dcc.Store(id="version", data=len(session.entries)),    # the log entries this page has seen
        html.Div([
            html.Div([dcc.Graph(id="map", className="map", config={"displaylogo": False}),
                      dcc.Graph(id="curves", className="curves", config={"displaylogo": False})], className="left"),
            html.Div([
                html.H2("Injects"), html.Div(id="feed", className="feed"),
                html.H2("Alerts"), html.Div(id="alerts", className="alerts", role="status"),
                html.H2("Decisions"),
                *[_form(session, verb) for verb in FORM_VERBS],
                html.H2("Units"), html.Div(id="teams"),
                html.H2("Open incidents"), html.Div(id="incidents"),
            ], className="right"),
        ], className="main"),
    ])


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def allowed_host(header: str, host: str, port: int) -> bool:
    """Whether a request's ``Host`` header names the address the console is bound to.

    A page of another site can make a browser send requests to 127.0.0.1 under its own name
    (DNS rebinding); the console has no login, so it answers only requests addressed to it.

    Parameters
    ----------
    header : str
        The request's ``Host`` header, e.g. ``127.0.0.1:8050``.
    host : str
        The bound address (a wildcard such as ``0.0.0.0`` accepts any name, with the warning
        ``ripple serve`` prints for non-loopback addresses).
    port : int
        The bound port.

    Returns
    -------
    bool

    Examples
    --------
    >>> allowed_host("localhost:8050", "127.0.0.1", 8050), allowed_host("evil.example:8050", "127.0.0.1", 8050)
    (True, False)
    """
    if host in ("0.0.0.0", "::", ""):
        return True
    names = LOOPBACK if host in LOOPBACK else (host,)
    return header.lower() in {f"[{n}]:{port}" if ":" in n else f"{n}:{port}" for n in names}


def create_app(session: ExerciseSession, host: str = "127.0.0.1", port: int = 8050,
               seats: list[str] | None = None, sync_ms: int = 500,
               background: list[LayerShapes] | None = None) -> dash.Dash:
    """The Dash app driving ``session`` (one per server process).

    The server holds the one session; every page asks every ``sync_ms`` whether the log has
    grown and redraws when it has, and an action from a page that has not yet seen the last
    change is refused (:func:`sim.exercise.seats.check_fresh`).

    Parameters
    ----------
    session : ExerciseSession
        The exercise the page shows and drives.
    host, port : str, int
        Where it is served: requests addressed to any other host are refused
        (:func:`allowed_host`).
    seats : list of str, optional
        The seats' ids (``/?seat=police``; keys of the session's ``seats``); each decision is
        logged with its seat. None: every page is the facilitator's and nothing names a seat.
    sync_ms : int
        How often a page checks for changes, ms.
    background : list of LayerShapes, optional
        The scenario's map layers, read already; None: read them here.

    Returns
    -------
    dash.Dash
        The app; its WSGI application is ``app.server``.

    Raises
    ------
    sim.scenario.maplayers.LayerUnreadable
        When one of the scenario's map layers cannot be read.
    """
    app = dash.Dash(__name__, serve_locally=True, title=f"ripple · {session.scenario.name}", update_title=None)

    @app.server.before_request
    def addressed_to_us() -> Any:
        if not allowed_host(flask.request.host, host, port):
            return flask.Response(f"this exercise console answers only at {host}:{port}\n", status=421,
                                  mimetype="text/plain")
        return None

    app.index_string = INDEX.replace("{%css_extra%}", CSS)
    lock = threading.Lock()
    extent = map_extent(session.network, [u.base for u in session.units()])
    background = map_background(session.scenario) if background is None else background
    app.layout = lambda: layout(session, sync_ms)
    fields = {field_id(v, a): State(field_id(v, a), "value") for v in CLOCK_VERBS + FORM_VERBS for a in v.positional}
    live = live_fields()

    @app.callback(
        output=dict(version=Output("version", "data"), message=Output("message", "children"),
                    paused=Output("ticker", "disabled")),
        inputs=dict(clicks={name: Input(name, "n_clicks" if name != "ticker" else "n_intervals") for name in ACTIONS}),
        state=dict(version=State("version", "data"), paused=State("ticker", "disabled"),
                   speed=State("speed", "value"), stop=State("stop-at-inject", "value"), fields=fields,
                   seat=State("seat", "data")),
        prevent_initial_call=True,
    )
    def act(clicks: dict[str, Any], version: int, paused: bool, speed: int, stop: list[str],
            fields: dict[str, Any], seat: str) -> dict[str, Any]:
        with lock:
            message, ok, paused = respond(session, ctx.triggered_id, paused, {"speed": speed, "stop": stop}, fields,
                                          seat if seats else None, version)
            seen = len(session.entries)
        return dict(version=seen, paused=paused, message=html.Span(message, className="ok" if ok else "error"))

    @app.callback(Output("version", "data", allow_duplicate=True), Input("sync", "n_intervals"),
                  State("version", "data"), prevent_initial_call=True)
    def sync(beat: int, version: int) -> Any:
        with lock:
            seen = len(session.entries)
        return seen if seen != version else dash.no_update

    @app.callback(Output("seat", "data"), Output("seat-label", "children"), Output("controls", "style"),
                  Input("url", "search"))
    def take_seat(search: str | None) -> tuple[str, str, dict[str, str]]:
        seat = seat_of(search, seats)
        who = session.seats.get(seat)
        label = f"seat: {seat}" + (f" ({who.name})" if who is not None and who.name else "") if seats else ""
        return seat, label, {} if seat == FACILITATOR else {"display": "none"}

    @app.callback(
        Output("clock", "children"), Output("wall", "children"), Output("service", "children"),
        Output("map", "figure"), Output("curves", "figure"), Output("feed", "children"), Output("alerts", "children"),
        Output("teams", "children"), Output("incidents", "children"),
        *[Output(field_id(v, a), "options") for v, a in live],
        Input("version", "data"), Input("seat", "data"),
    )
    def render(version: int, seat: str) -> tuple[Any, ...]:
        seat = seat or FACILITATOR
        with lock:
            end = " (end)" if session.finished else ""
            return (session.clock() + end, session.wall_clock(), service_text(session), map_figure(session, extent, background),
                    curves_figure(session), inject_feed(session), alert_feed(session), teams_table(session, seat),
                    incidents_table(session),
                    *[live_options(session, v, a, seat) for v, a in live])

    return app


def form_arguments(verb: Verb, form: dict[str, Any]) -> dict[str, Any]:
    """A verb's arguments from its form's values; :class:`ExerciseError` naming what to choose.

    Parameters
    ----------
    verb : Verb
        The verb whose button fired.
    form : dict
        Field values by argument name.

    Returns
    -------
    dict
        Arguments for :meth:`ExerciseSession.do` (empty optional fields left to their defaults).
    """
    args = {}
    for argument in verb.positional:
        value = form.get(argument.name)
        if value in (None, "", []):
            if not argument.optional:
                raise ExerciseError(f"choose {argument.noun} first")
            continue
        if argument.type in (int, float):
            value = argument.type(value)
        elif argument.kind != "text":
            value = str(value).strip()
        args[argument.name] = value
    return args


def seat_of(search: str | None, seats: list[str] | None) -> str:
    """The seat a page's address asks for (``?seat=police``); the facilitator's by default.

    Parameters
    ----------
    search : str or None
        The page address's query string, with its ``?``.
    seats : list of str or None
        The exercise's seats (None: no seats, every page is the facilitator's).

    Returns
    -------
    str
        A seat of ``seats``; the facilitator's without seats or for a seat not among them.

    Examples
    --------
    >>> seat_of("?seat=police", ["facilitator", "police"]), seat_of("", ["facilitator", "police"])
    ('police', 'facilitator')
    """
    asked = parse_qs((search or "").lstrip("?")).get("seat", [FACILITATOR])[0].lower()
    return asked if seats and asked in seats else FACILITATOR


def respond(session: ExerciseSession, trigger: Any, paused: bool, timer: dict[str, Any],
            fields: dict[str, Any], seat: str | None = None, seen: int | None = None) -> tuple[str, bool, bool]:
    """Carry out the control that fired and say how it went, never raising.

    A verb that cannot be carried out, or a value the page's own controls cannot send (a
    hand-made request), is answered with a message, not a server error.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.
    trigger : object
        The id of the control that fired, as the request names it.
    paused : bool
        Whether the run timer is paused now.
    timer : dict
        ``speed`` and ``stop`` of the run timer, as the page sent them.
    fields : dict
        Every form field's value by element id (:func:`field_id`).
    seat : str, optional
        The seat acting (None: the exercise has no seats).
    seen : int, optional
        How many log entries the acting page had seen (None: no check).

    Returns
    -------
    tuple of (str, bool, bool)
        The message, whether the control was carried out, and whether the timer is paused
        afterwards.
    """
    try:
        if not isinstance(trigger, str):
            raise ExerciseError("no control named in the request")
        form = dict(timer)
        verb = VERBS.get(trigger.removesuffix("-go"))
        if verb is not None:
            form.update({a.name: fields.get(field_id(verb, a)) for a in verb.positional})
        message, paused = perform(session, trigger, paused, form, seat, seen)
        return message, True, paused
    except ExerciseError as exc:
        return str(exc), False, True if trigger == "ticker" else paused
    except (ValueError, TypeError, KeyError) as exc:
        return f"not a valid value ({exc})", False, paused


def perform(session: ExerciseSession, trigger: str, paused: bool, form: dict[str, Any],
            seat: str | None = None, seen: int | None = None) -> tuple[str, bool]:
    """Carry out the control that fired.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.
    trigger : str
        The control's id: a clock verb, ``run``, ``pause``, ``ticker`` or ``<verb>-go``.
    paused : bool
        Whether the run timer is paused now.
    form : dict
        ``speed`` (ticks per beat) and ``stop`` (``["stop"]`` to stop at injects) for the timer;
        the fired verb's field values by argument name.
    seat : str, optional
        The seat acting: only the facilitator runs the clock (None: no seats).
    seen : int, optional
        How many log entries the acting page had seen: a verb is refused if the log has
        grown since (None: no check; the timer's own beats are never stale).

    Returns
    -------
    tuple of (str, bool)
        The message, and whether the timer is paused afterwards.
    """
    if seat not in (None, FACILITATOR) and trigger in ("run", "pause", "ticker"):
        refusal = f"the {seat} seat cannot run the clock: the facilitator does"
        session.reject(f"{trigger.capitalize()} the clock", refusal, seat=seat)
        raise ExerciseError(refusal)
    if trigger == "run":
        if session.finished:
            raise ExerciseError("the exercise has ended")
        return "running", False
    if trigger == "pause":
        return f"paused at {session.clock()}", True
    if trigger == "ticker":
        return auto_step(session, int(form["speed"] or 1), "stop" in (form["stop"] or []))
    if trigger not in ACTIONS:
        raise ExerciseError(f"unknown control '{trigger}'")
    verb = VERBS[trigger.removesuffix("-go")]
    return session.do(verb.name, seat=seat, seen=seen, **form_arguments(verb, form)), paused


def auto_step(session: ExerciseSession, speed: int, stop_at_inject: bool) -> tuple[str, bool]:
    """One beat of the run timer: ``speed`` ticks, cut short to stop right after an inject.

    Parameters
    ----------
    session : ExerciseSession
        The exercise.
    speed : int
        Ticks per beat.
    stop_at_inject : bool
        Pause right after an inject is released.

    Returns
    -------
    tuple of (str, bool)
        The message, and whether the timer is paused afterwards.
    """
    if session.finished:
        return f"the exercise has ended ({session.clock()})", True
    n = speed
    upcoming = session.next_inject_tick()
    if stop_at_inject and upcoming is not None:
        n = max(1, min(n, upcoming + 1 - session.tick))
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
.message { white-space: pre-wrap; } .message .ok { color: #205020; } .message .error { color: #b00000; font-weight: bold; }
.main { display: flex; gap: 12px; padding: 12px 16px; }
.left { flex: 3; min-width: 0; }
.right { flex: 2; min-width: 320px; max-width: 560px; }
.map { height: 560px; background: #fff; border: 1px solid #ddd; }
.curves { height: 330px; background: #fff; border: 1px solid #ddd; margin-top: 10px; }
.feed { max-height: 300px; overflow-y: auto; }
.inject { background: #fffbe6; border-left: 4px solid #e6a100; padding: 6px 8px; margin-bottom: 6px; }
.inject-head { font-weight: bold; font-size: 12px; }
.inject-expected { color: #555; font-size: 12px; margin-top: 3px; }
.alert { background: #fdecea; border-left: 4px solid #b3261e; padding: 6px 8px; margin-bottom: 6px; }
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
