"""Plotly figures for ripple's pages and console: data in, ``go.Figure`` out.

Every function is pure and is given the state to draw (a tick's node states, the time to
mark), so the replay page, the Monte Carlo report and the live console draw with the same
code. Sector colours come from the Okabe–Ito palette (Okabe & Ito, "Color Universal Design",
2008), which stays distinguishable under the common colour-vision deficiencies; node state
is carried by marker shape, so it reads without colour too.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboards.layers import add_scale_bar, background_traces
from dashboards.numberformat import D3_SIGNIFICANT, metric_text, p_value
from dashboards.schematic import UNPLACED_LABEL, aside_corner, drawn_positions
from sim.batchstore import SeriesQuantiles
from sim.metrics import HEADLINE, metric
from sim.network import Network, reason_names
from sim.scenario.maplayers import LayerShapes
from sim.results import UnitStatus
from sim.stats import KaplanMeier, PairedDifference

__all__ = [
    "ARM_COLOURS", "BACKUP", "BANDS", "BLACK", "DASHES", "DOWN", "OKABE_ITO", "OPERATIONAL", "PREFERRED_SHAPES",
    "RECOVERY_TITLE", "SPARE_SHAPES", "STATE_LINE_WIDTHS", "STATE_NAMES", "STATE_SIZES", "STATE_SYMBOLS",
    "UNPLACED_LINE_WIDTH", "UNIT_NAMES", "UNIT_SYMBOLS", "AttackMark", "UnitMark", "attack_points", "axis_title", "ecdf",
    "fan_chart", "kind_order", "map_extent", "metric_distributions", "network_map", "node_hover", "node_line_widths",
    "node_states", "node_symbols", "paired_differences", "plain_numbers", "recovery_curves", "route_lines", "sector_colours",
    "sector_dashes", "sector_members", "sector_shapes", "service_curves", "state_label", "unit_groups",
    "visible_attacks", "y_floor",
]

# Okabe-Ito hues; orange, sky blue and yellow are darkened so every mark stands 3:1 or more
# against white (WCAG 2.1 success criterion 1.4.11, non-text contrast)
OKABE_ITO = ("#AD7400", "#3690C8", "#009E73", "#8A7D00", "#0072B2", "#D55E00", "#CC79A7", "#000000")
ORANGE, SKY_BLUE, GREEN, YELLOW, BLUE, VERMILLION, PURPLE, BLACK = OKABE_ITO
# fixed colours for the sectors ripple's scenarios use, so a sector looks the same on every page
PREFERRED = {"energy": ORANGE, "water": BLUE, "telecom": PURPLE, "transport": GREEN,
             "health": VERMILLION, "emergency": SKY_BLUE, "fuel": YELLOW}
ARM_COLOURS = (BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY_BLUE, YELLOW)   # arms of a comparison, in order
# line patterns for sectors and arms, so a curve reads without its colour
DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot", "5px,2px,1px,2px")
GRID = "#e5e5e5"
FAINT = "#b0b0b0"

OPERATIONAL, BACKUP, DOWN = 0, 1, 2
STATE_NAMES = ("operational", "on backup", "down")
# a node is drawn in its sector's shape (SECTOR_SHAPES) while it works, a heavy outline and a
# larger size while on backup, and as a cross in its sector's colour when down; these are the
# state key's symbols in the legend
STATE_SYMBOLS = ("circle", "circle", "x")
STATE_SIZES = (9, 12, 13)
STATE_LINE_WIDTHS = (0.8, 2.6, 0.8)
UNPLACED_LINE_WIDTH = 2.2          # the outline of an unplaced node's hollow marker
# a shape per sector, so sectors read without colour (WCAG 2.1, 1.4.1 use of colour): fixed ones
# for the sectors ripple's scenarios use, the spare ones for others; none is a unit's or an attack's
PREFERRED_SHAPES = {"energy": "circle", "water": "diamond", "telecom": "triangle-down", "transport": "hexagram",
                    "health": "cross", "emergency": "star-diamond", "fuel": "octagon"}
SPARE_SHAPES = ("triangle-left", "diamond-wide", "star-triangle-up", "triangle-right", "bowtie", "hourglass")

UNIT_SYMBOLS = {"police": "square", "fire": "triangle-up", "repair": "pentagon", "cyber": "hexagon"}
UNIT_NAMES = {"police": "police", "fire": "fire/EMS", "repair": "repair crew", "cyber": "cyber response"}

FONT = dict(family="DejaVu Sans, Verdana, Arial, sans-serif", size=12, color="#222")


def axis_title(name: str, prefix: str = "") -> str:
    """A metric's axis title from the catalogue, e.g. ``"Δ Resilience loss (h)"``.

    Parameters
    ----------
    name : str
        The metric's column name.
    prefix : str
        Put before the label, e.g. ``"Δ "`` for a difference.

    Returns
    -------
    str
        Prefix, label (capitalised) and shown unit.
    """
    info = metric(name)
    return f"{prefix}{info.title} ({info.unit})" if info.unit else f"{prefix}{info.title}"


def sector_colours(sectors: Iterable[str]) -> dict[str, str]:
    """Okabe–Ito colour per sector: fixed ones for the usual sectors, the rest in name order.

    Parameters
    ----------
    sectors : Iterable[str]
        Sector names (repeats are ignored).

    Returns
    -------
    dict[str, str]
        Sector → ``#RRGGBB`` colour; the same sector gets the same colour on every page.
    """
    return _assigned(sectors, PREFERRED, OKABE_ITO[:-1])


def sector_shapes(sectors: Iterable[str]) -> dict[str, str]:
    """A marker shape per sector: fixed ones for the usual sectors, the rest in name order.

    Parameters
    ----------
    sectors : Iterable[str]
        Sector names (repeats are ignored).

    Returns
    -------
    dict[str, str]
        Sector → plotly marker symbol; the same sector gets the same shape on every page.

    Examples
    --------
    >>> sector_shapes(["water", "energy", "pipelines"])
    {'energy': 'circle', 'pipelines': 'triangle-left', 'water': 'diamond'}
    """
    return _assigned(sectors, PREFERRED_SHAPES, (*SPARE_SHAPES, *PREFERRED_SHAPES.values()))


def _assigned(sectors: Iterable[str], preferred: dict[str, str], pool: Sequence[str]) -> dict[str, str]:
    """Each sector its preferred value, the others in name order the values of ``pool`` no
    present sector prefers (all of ``pool`` again when none is left)."""
    names = sorted(set(sectors))
    taken = {preferred[n] for n in names if n in preferred}
    spare = [value for value in pool if value not in taken] or list(pool)
    out, k = {}, 0
    for name in names:
        if name in preferred:
            out[name] = preferred[name]
        else:
            out[name] = spare[k % len(spare)]
            k += 1
    return out


def sector_dashes(sectors: Iterable[str]) -> dict[str, str]:
    """A line pattern per sector, in name order, so curves differ without colour.

    Parameters
    ----------
    sectors : Iterable[str]
        Sector names (repeats are ignored).

    Returns
    -------
    dict[str, str]
        Sector → plotly ``line.dash`` value.

    Examples
    --------
    >>> sector_dashes(["water", "energy"])
    {'energy': 'solid', 'water': 'dash'}
    """
    return {name: DASHES[k % len(DASHES)] for k, name in enumerate(sorted(set(sectors)))}


def y_floor(lowest: float) -> float:
    """Bottom of a service axis (%): the lowest value rounded down to 5%, less a margin.

    Parameters
    ----------
    lowest : float
        The lowest service shown, fraction 0..1.

    Returns
    -------
    float
        The axis minimum in percent, 0 or more.

    Examples
    --------
    >>> y_floor(0.63)
    58.0
    """
    return max(0.0, math.floor(lowest * 20.0) * 5.0 - 2.0)


def plain_numbers(fig: go.Figure) -> go.Figure:
    """Every axis of ``fig`` labelled in plain numbers with thousands separators (150,000, not
    150k or 1.5e+5), as :mod:`dashboards.numberformat` writes them.

    Parameters
    ----------
    fig : go.Figure
        The figure, changed in place.

    Returns
    -------
    go.Figure
        ``fig``.
    """
    fig.update_xaxes(exponentformat="none", separatethousands=True)
    fig.update_yaxes(exponentformat="none", separatethousands=True)
    return fig


def _base_layout(title: str, **extra: object) -> dict:
    layout = dict(title=dict(text=title, x=0.01, xanchor="left"), font=FONT, plot_bgcolor="white",
                  paper_bgcolor="white", margin=dict(l=60, r=20, t=50, b=50))
    return {**layout, **extra}


# ----------------------------------------------------------------------- the map
@dataclass(frozen=True)
class UnitMark:
    """A responder unit as drawn at one tick.

    Attributes
    ----------
    label, kind, team : str
        The unit's label, kind (``police``, ``fire``, ``repair``, ``cyber``) and team.
    x, y : float
        Where it is, km east and north.
    status : UnitStatus
        What it is doing.
    note : str
        Hover text, e.g. ``"travelling to Kestrel Hill (repair)"``.
    dest : int
        Index of the node it travels to, or -1.
    """

    label: str
    kind: str
    team: str
    x: float
    y: float
    status: UnitStatus
    note: str            # what it is doing, e.g. "travelling to Kestrel Hill (repair)"
    dest: int = -1       # node it travels to, or -1


@dataclass(frozen=True)
class AttackMark:
    """An attack attempt as drawn once it has happened.

    Attributes
    ----------
    node : int
        Index of the target node.
    tactic, attacker : str
        The tactic used and the attacker's name.
    outcome : str
        ``landed``, ``failed`` or ``interdicted``.
    time : str
        Exercise clock, e.g. ``"T+0:30"``.
    line : str or None
        The branch attacked (a ``physics: dc`` line; ``node`` is then its ``a`` end).
    """

    node: int
    tactic: str
    attacker: str
    outcome: str         # landed, failed, interdicted
    time: str            # exercise clock, e.g. "T+0:30"
    line: str | None = None


def node_states(down: np.ndarray, backup: np.ndarray) -> np.ndarray:
    """OPERATIONAL, BACKUP or DOWN per node.

    Parameters
    ----------
    down : np.ndarray
        Down-reason bitmask per node (0: up).
    backup : np.ndarray
        True where a node runs on backup.

    Returns
    -------
    np.ndarray
        int8 state code per node; down wins over backup.
    """
    return np.where(down != 0, DOWN, np.where(backup, BACKUP, OPERATIONAL)).astype(np.int8)


def state_label(down: int, backup: bool) -> str:
    """What hover text says of a node's state, e.g. ``down: DAMAGED, SHUT``.

    Parameters
    ----------
    down : int
        The node's down-reason bitmask (0: up).
    backup : bool
        The node runs on backup.

    Returns
    -------
    str
        ``down:`` and the reasons' names, ``on backup`` or ``operational``.
    """
    if down:
        return "down: " + ", ".join(reason_names(int(down)))
    return STATE_NAMES[BACKUP] if backup else STATE_NAMES[OPERATIONAL]


def node_hover(net: Network) -> list[str]:
    """The fixed part of each node's hover text: name, id, sector, kind, population.

    Parameters
    ----------
    net : Network
        The static network.

    Returns
    -------
    list[str]
        HTML per node, in node order (names escaped; population in people).
    """
    out = []
    for i in range(net.n):
        line = (f"<b>{html.escape(net.names[i])}</b><br>{html.escape(net.ids[i])} · "
                f"{html.escape(net.sector_names[net.sector[i]])} · {html.escape(net.kind[i] or 'node')}")
        if net.population[i] > 0:
            line += f"<br>serves {net.population[i]:,.0f} people"
        if not net.placed[i]:
            line += "<br><i>unplaced: no coordinates, drawn beside its neighbours</i>"
        out.append(line)
    return out


def sector_members(net: Network) -> list[np.ndarray]:
    """Node indices per sector code, in the order the map draws them.

    Parameters
    ----------
    net : Network
        The static network.

    Returns
    -------
    list[np.ndarray]
        One array of node indices per sector code (empty for a sector with no node).
    """
    return [np.flatnonzero(net.sector == code) for code in range(len(net.sector_names))]


def _segments(xy: np.ndarray, a: np.ndarray, b: np.ndarray) -> tuple[list, list]:
    """Line segments a→b as one trace's x and y, separated by gaps."""
    xs = np.full((len(a), 3), np.nan)
    ys = np.full((len(a), 3), np.nan)
    xs[:, 0], xs[:, 1] = xy[a, 0], xy[b, 0]
    ys[:, 0], ys[:, 1] = xy[a, 1], xy[b, 1]
    return [None if math.isnan(v) else v for v in xs.ravel()], [None if math.isnan(v) else v for v in ys.ravel()]


def unit_groups(units: Sequence[UnitMark], kind: str) -> tuple[list[float], list[float], list[str], list[str]]:
    """Visible units of one kind grouped by place: x, y, count label and hover text.

    Parameters
    ----------
    units : Sequence[UnitMark]
        Every unit at the tick drawn; inactive ones are left out.
    kind : str
        The unit kind to group.

    Returns
    -------
    tuple of four lists
        x and y (km), the count shown when more than one unit shares a place, and the
        hover HTML; ``[None]`` and ``[""]`` when there is none, so the trace keeps its legend entry.
    """
    places: dict[tuple[float, float], list[UnitMark]] = {}
    for u in units:
        if u.kind == kind and u.status != UnitStatus.INACTIVE:
            places.setdefault((round(u.x, 3), round(u.y, 3)), []).append(u)
    xs, ys, counts, hovers = [], [], [], []   # an empty trace keeps a [None] so its legend entry stays
    for (x, y), here in places.items():
        xs.append(x)
        ys.append(y)
        counts.append(str(len(here)) if len(here) > 1 else "")
        lines = "<br>".join(f"{html.escape(u.label)}: {html.escape(u.note)}" for u in here)
        hovers.append(f"<b>{len(here)} {UNIT_NAMES.get(kind, kind)} unit{'s' if len(here) > 1 else ''}</b><br>{lines}")
    return (xs, ys, counts, hovers) if xs else ([None], [None], [""], [""])


def route_lines(units: Sequence[UnitMark], xy: np.ndarray) -> tuple[list, list]:
    """Dashed lines from each travelling unit to the node it is heading for.

    Parameters
    ----------
    units : Sequence[UnitMark]
        Every unit at the tick drawn.
    xy : np.ndarray
        Node positions, km, shape (n, 2).

    Returns
    -------
    tuple[list, list]
        x and y of the segments (km), separated by None; ``[None]`` each when no unit travels.
    """
    xs, ys = [], []
    for u in units:
        if u.status == UnitStatus.TRAVELLING and u.dest >= 0:
            xs += [u.x, float(xy[u.dest, 0]), None]
            ys += [u.y, float(xy[u.dest, 1]), None]
    return (xs, ys) if xs else ([None], [None])


def attack_points(attacks: Sequence[AttackMark], net: Network) -> tuple[list, list, list, list]:
    """The attack trace's points: x, y, marker symbol and hover text.

    Parameters
    ----------
    attacks : Sequence[AttackMark]
        The attacks to draw.
    net : Network
        The static network, for positions and names.

    Returns
    -------
    tuple of four lists
        x and y (km) of each target, ``star`` (landed) or ``star-open`` (failed or
        interdicted), and the hover HTML.
    """
    xy = drawn_positions(net)
    xs = [float(xy[a.node, 0]) for a in attacks]
    ys = [float(xy[a.node, 1]) for a in attacks]
    symbols = ["star" if a.outcome == "landed" else "star-open" for a in attacks]
    hovers = [f"<b>attack: {html.escape(a.tactic)}</b> at {a.time}<br>target: "
              + (f"line {html.escape(a.line)} (from {html.escape(net.names[a.node])})" if a.line else
                 html.escape(net.names[a.node]))
              + f"<br>by {html.escape(a.attacker)}: {a.outcome}" for a in attacks]
    return xs, ys, symbols, hovers


def visible_attacks(attacks: Sequence[AttackMark], net: Network) -> tuple[list, list, list, list]:
    """The attack trace's points; [None] while there are none, so its legend entry stays.

    Parameters
    ----------
    attacks : Sequence[AttackMark]
        The attacks that have happened.
    net : Network
        The static network.

    Returns
    -------
    tuple of four lists
        As :func:`attack_points`.
    """
    return attack_points(attacks, net) if attacks else ([None], [None], ["star"], [""])


def map_extent(net: Network, points: Iterable[tuple[float, float]] = ()) -> tuple[float, float, float, float]:
    """x0, x1, y0, y1 in km covering the nodes (unplaced ones where they are drawn) and any
    extra points, with a margin.

    Parameters
    ----------
    net : Network
        The static network.
    points : Iterable[tuple[float, float]]
        Extra (x, y) points to cover, km, e.g. responder bases.

    Returns
    -------
    tuple of four floats
        The map's x range then y range, km; the margin is 4% of the wider span, at least 0.5 km.
    """
    xy = np.vstack([drawn_positions(net).reshape(-1, 2), np.array(list(points), dtype=float).reshape(-1, 2)])
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = max(0.5, 0.04 * float((hi - lo).max()))
    return float(lo[0] - pad), float(hi[0] + pad), float(lo[1] - pad), float(hi[1] + pad)


def network_map(net: Network, down: np.ndarray, backup: np.ndarray, units: Sequence[UnitMark] = (),
                attacks: Sequence[AttackMark] = (), unit_kinds: Sequence[str] | None = None,
                extent: tuple[float, float, float, float] | None = None, title: str = "Network",
                background: Sequence[LayerShapes] = ()) -> go.Figure:
    """The infrastructure map at one moment.

    Nodes sit at their positions (km), one trace per sector in its colour and shape
    (:func:`sector_shapes`), marked by state (the shape when operational, the shape larger
    with a heavy outline on backup, ✕ when down; hollow for an unplaced node, drawn where
    :func:`dashboards.schematic.drawn_positions` puts it); a sector trace's point 0 is an empty point that
    keeps its legend marker the sector's shape, so the sector's k-th node is point k + 1 (in
    :func:`sector_members` order). Links and dependencies are drawn faintly; attacks
    that have happened are stars; responder units are black markers grouped by place, with a
    dashed line to where a travelling unit is heading. Each trace's ``meta`` names its role
    (``links``, ``deps``, ``nodes:<sector>``, ``units:<kind>``, ``routes``, ``attacks``) so a
    player can restyle it by tick.

    Parameters
    ----------
    net : Network
        The static network (positions in km).
    down : np.ndarray
        Down-reason bitmask per node at the moment drawn (0: up).
    backup : np.ndarray
        True per node on backup.
    units : Sequence[UnitMark]
        Responder units at that moment.
    attacks : Sequence[AttackMark]
        Attacks that have happened by then.
    unit_kinds : Sequence[str], optional
        The unit kinds to give a trace (and legend entry) even when none is shown;
        default: the kinds in ``units``.
    extent : tuple of four floats, optional
        x0, x1, y0, y1 in km; default: :func:`map_extent` of the nodes and units.
    title : str
        The figure's title.
    background : Sequence[LayerShapes]
        The scenario's map layers (:func:`dashboards.layers.map_background`), drawn first,
        under everything, in the legend's "map" group.

    Returns
    -------
    go.Figure
        The map, east and north axes in km at equal scale, with a scale bar.
    """
    colours = sector_colours(net.sector_names)
    state = node_states(down, backup)
    hover = node_hover(net)
    xy = drawn_positions(net)
    x0, x1, y0, y1 = extent or map_extent(net, [(u.x, u.y) for u in units])
    fig = go.Figure(background_traces(background, (x0, x1, y0, y1)))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=FAINT, width=1), hoverinfo="skip",
                             name="links (within a sector)", meta="links", legendgroup="edges",
                             legendgrouptitle_text="edges"))
    once = net.link_rows < net.link_cols
    rows, cols = net.link_rows[once], net.link_cols[once]
    for code, name in enumerate(net.sector_names):      # one trace per sector: its links hide with it
        mine = net.sector[rows] == code
        if mine.any():
            lx, ly = _segments(xy, rows[mine], cols[mine])
            fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", line=dict(color=FAINT, width=1), hoverinfo="skip",
                                     name=f"{name} links", meta=f"links:{name}", showlegend=False))
    sup = net.supply.tocoo()
    dx, dy = _segments(xy, sup.col, net.dep_node[sup.row])
    fig.add_trace(go.Scatter(x=dx, y=dy, mode="lines", line=dict(color=FAINT, width=1, dash="dot"),
                             hoverinfo="skip", name="dependencies (supplier → user)", meta="deps",
                             legendgroup="edges", opacity=0.8))
    # units first, so nodes and then attacks lie over them and take the hover before them
    rx, ry = route_lines(units, xy)
    fig.add_trace(go.Scatter(x=rx, y=ry, mode="lines", line=dict(color=BLACK, width=1.5, dash="dash"),
                             hoverinfo="skip", name="unit on its way", meta="routes", legendgroup="responders",
                             legendgrouptitle_text="responders", legendrank=1100))
    kinds = list(unit_kinds) if unit_kinds is not None else sorted({u.kind for u in units}, key=kind_order)
    for kind in kinds:
        ux, uy, counts, hovers = unit_groups(units, kind)
        fig.add_trace(go.Scatter(
            x=ux, y=uy, mode="markers+text", text=counts, textposition="top right",
            textfont=dict(size=11, color=BLACK), name=UNIT_NAMES.get(kind, kind), meta=f"units:{kind}",
            legendgroup="responders", legendrank=1100, hovertext=hovers, hovertemplate="%{hovertext}<extra></extra>",
            marker=dict(color=BLACK, symbol=UNIT_SYMBOLS.get(kind, "star-square"), size=13,
                        line=dict(color="white", width=1.5))))
    shapes = sector_shapes(net.sector_names)
    for code, members in enumerate(sector_members(net)):
        if not len(members):
            continue
        name = net.sector_names[code]
        s = state[members]
        placed = net.placed[members]
        fig.add_trace(go.Scatter(
            x=[None, *xy[members, 0].tolist()], y=[None, *xy[members, 1].tolist()], mode="markers",
            name=f"{name} ({len(members)})", meta=f"nodes:{name}", legendgroup="sectors", legendgrouptitle_text="sectors",
            marker=dict(color=colours[name], symbol=[shapes[name], *node_symbols(s, placed, shapes[name])],
                        size=[STATE_SIZES[OPERATIONAL], *(STATE_SIZES[v] for v in s)],
                        line=dict(color="#333", width=[STATE_LINE_WIDTHS[OPERATIONAL], *node_line_widths(s, placed)])),
            text=["", *(hover[i] for i in members)], customdata=["", *(state_label(down[i], backup[i]) for i in members)],
            hovertemplate="%{text}<br>%{customdata}<extra></extra>"))
    for value, label in enumerate(STATE_NAMES):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=label, legendgroup="state",
                                 legendgrouptitle_text="node state", meta=f"key:{label}",
                                 marker=dict(color="#777", symbol=STATE_SYMBOLS[value], size=STATE_SIZES[value],
                                             line=dict(color="#333", width=STATE_LINE_WIDTHS[value]))))
    if len(net.placed_rows) < net.n:
        _mark_unplaced(fig, net, xy)
    ax, ay, symbols, hovers = visible_attacks(attacks, net)
    fig.add_trace(go.Scatter(x=ax, y=ay, mode="markers", name="attack (open: failed or interdicted)", meta="attacks",
                             legendgroup="attacks", legendgrouptitle_text="attacks", legendrank=1200, hovertext=hovers,
                             hovertemplate="%{hovertext}<extra></extra>",
                             marker=dict(color=BLACK, symbol=symbols, size=22, line=dict(color=BLACK, width=1.5))))
    add_scale_bar(fig, (x0, x1, y0, y1))
    fig.update_layout(**_base_layout(title, hovermode="closest", uirevision="map", margin=dict(l=55, r=10, t=40, b=45),
                                     legend=dict(groupclick="toggleitem", itemsizing="constant", font=dict(size=11))))
    # equal scale by shrinking the plot area to the data, not by widening an axis past it
    fig.update_xaxes(title_text="east (km)", range=[x0, x1], showgrid=True, gridcolor=GRID, zeroline=False,
                     constrain="domain")
    fig.update_yaxes(title_text="north (km)", range=[y0, y1], showgrid=True, gridcolor=GRID, zeroline=False,
                     scaleanchor="x", scaleratio=1, constrain="domain")
    return fig


def node_symbols(states: np.ndarray, placed: np.ndarray, shape: str = "circle") -> list[str]:
    """Marker symbol per node of one sector: its sector's shape, a cross when down, hollow
    (``-open``) when the node is unplaced.

    Parameters
    ----------
    states : numpy.ndarray
        :data:`OPERATIONAL`, :data:`BACKUP` or :data:`DOWN` per node.
    placed : numpy.ndarray
        Bool per node: its position is known.
    shape : str
        The sector's shape (:func:`sector_shapes`).

    Returns
    -------
    list of str
        Plotly marker symbols, e.g. ``["diamond", "x-open"]``.

    Examples
    --------
    >>> node_symbols(np.array([0, 1, 2]), np.array([True, True, False]), "diamond")
    ['diamond', 'diamond', 'x-open']
    """
    return [(STATE_SYMBOLS[DOWN] if v == DOWN else shape) + ("" if here else "-open")
            for v, here in zip(states.tolist(), placed.tolist())]


def node_line_widths(states: np.ndarray, placed: np.ndarray) -> list[float]:
    """Marker outline per node: heavy on backup, thicker for an unplaced node's hollow marker.

    Parameters
    ----------
    states : numpy.ndarray
        :data:`OPERATIONAL`, :data:`BACKUP` or :data:`DOWN` per node.
    placed : numpy.ndarray
        Bool per node: its position is known.

    Returns
    -------
    list of float
        Outline widths, px.

    Examples
    --------
    >>> node_line_widths(np.array([0, 1, 0]), np.array([True, True, False]))
    [0.8, 2.6, 2.2]
    """
    return [STATE_LINE_WIDTHS[v] if v == BACKUP or here else UNPLACED_LINE_WIDTH
            for v, here in zip(states.tolist(), placed.tolist())]


def _mark_unplaced(fig: go.Figure, net: Network, xy: np.ndarray) -> None:
    """The legend key of hollow (unplaced) markers, and the label over the grid of unplaced
    nodes set aside (:mod:`dashboards.schematic`)."""
    count = net.n - len(net.placed_rows)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"unplaced ({count}): drawn aside",
                             legendgroup="state", meta="key:unplaced",
                             marker=dict(color="#777", symbol="circle-open", size=STATE_SIZES[OPERATIONAL],
                                         line=dict(width=UNPLACED_LINE_WIDTH))))
    x0, top = aside_corner(net)
    if (xy[~net.placed, 0] >= x0 - 1e-9).any():
        fig.add_annotation(x=x0, y=top, text=UNPLACED_LABEL, showarrow=False, xanchor="left", yanchor="bottom",
                           yshift=8, font=dict(size=11, color="#555"))


def kind_order(kind: str) -> tuple[int, str]:
    """Sort key of a unit kind: police, fire, repair, cyber, then others by name.

    Parameters
    ----------
    kind : str
        A unit kind.

    Returns
    -------
    tuple[int, str]
        Rank among the known kinds (past the last for others), then the name.
    """
    order = list(UNIT_SYMBOLS)
    return (order.index(kind) if kind in order else len(order), kind)


# ---------------------------------------------------------------- service curves
def service_curves(series: Mapping[str, np.ndarray], sectors: Sequence[str], current_h: float | None = None,
                   title: str = "Service level Q(t)") -> go.Figure:
    """Population-weighted service per sector and overall (%) over time, with the current
    time marked by a vertical line (the figure's first shape).

    Parameters
    ----------
    series : Mapping[str, np.ndarray]
        ``time_h`` (hours since T+0), ``service`` and ``service_<sector>`` (fraction 0..1)
        per tick, as in :attr:`RunResult.series`.
    sectors : Sequence[str]
        The sectors to draw, one line each.
    current_h : float, optional
        The time to mark, hours since T+0 (none when None).
    title : str
        The figure's title.

    Returns
    -------
    go.Figure
        One line per sector and a thick black overall line; y in percent, x in hours.
    """
    colours, dashes = sector_colours(sectors), sector_dashes(sectors)
    t = np.asarray(series["time_h"], dtype=float)
    fig = go.Figure()
    lows = [float(np.min(series["service"]))] if len(t) else [1.0]
    for name in sectors:
        values = np.asarray(series[f"service_{name}"], dtype=float)
        lows.append(float(values.min()) if len(values) else 1.0)
        fig.add_trace(go.Scatter(x=t, y=values * 100.0, mode="lines", name=name, meta=f"service:{name}",
                                 line=dict(color=colours[name], width=1.8, dash=dashes[name]), legendgroup=name,
                                 hovertemplate=f"{html.escape(name)}: %{{y:{D3_SIGNIFICANT}}}%<extra></extra>"))
    fig.add_trace(go.Scatter(x=t, y=np.asarray(series["service"], dtype=float) * 100.0, mode="lines", name="overall",
                             meta="service", line=dict(color=BLACK, width=3),
                             hovertemplate=f"overall: %{{y:{D3_SIGNIFICANT}}}%<extra></extra>"))
    floor = y_floor(min(lows))
    fig.update_layout(**_base_layout(title, hovermode="x unified", margin=dict(l=60, r=15, t=40, b=40),
                                     legend=dict(orientation="h", yanchor="top", y=-0.25, x=0, font=dict(size=11))))
    fig.update_xaxes(title_text="time since T+0 (h)", showgrid=True, gridcolor=GRID, zeroline=False,
                     range=[float(t[0]), float(t[-1])] if len(t) else None)
    fig.update_yaxes(title_text="population served (%)", range=[floor, 101.5], showgrid=True, gridcolor=GRID)
    if current_h is not None:
        fig.add_shape(type="line", xref="x", yref="paper", x0=current_h, x1=current_h, y0=0, y1=1,
                      line=dict(color="#555", width=1.5, dash="dash"), name="now")
    return plain_numbers(fig)


# --------------------------------------------------------------------- Monte Carlo
def _rgba(colour: str, alpha: float) -> str:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


BANDS = {"5–95%": ("q05", "q95", 0.15), "25–75%": ("q25", "q75", 0.35)}


def fan_chart(fans: Mapping[str, SeriesQuantiles], title: str = "Service level Q(t) across runs",
              colours: Mapping[str, str] | None = None, bands: Sequence[str] = tuple(BANDS),
              banded: Sequence[str] | None = None) -> go.Figure:
    """Median with 25–75% and 5–95% bands of Q(t) (or the ``bands`` asked), one fan per
    label (e.g. per variant).

    Parameters
    ----------
    fans : Mapping[str, SeriesQuantiles]
        Label → per-tick quantiles of a service series across runs (``time_h`` in hours,
        quantiles as fractions 0..1).
    title : str
        The figure's title.
    colours : Mapping[str, str], optional
        Label → colour; default: :data:`ARM_COLOURS` in order.
    bands : Sequence[str]
        Keys of :data:`BANDS` to shade, widest first.
    banded : Sequence[str], optional
        The labels whose bands are shaded (default: every label); the others are median
        lines only, so that bands of several arms do not overlay into one muddy colour.

    Notes
    -----
    Each label's median has its own line pattern (:data:`DASHES`), so arms read without
    colour; the first label (a comparison's reference) is drawn last, on top, and thicker.

    Returns
    -------
    go.Figure
        Shaded bands and a median line per label; y in percent, x in hours.
    """
    fig = go.Figure()
    lows = [1.0]
    order = list(enumerate(fans.items()))
    for k, (label, fan) in order[1:] + order[:1]:       # the first (reference) arm drawn last, on top
        colour = (colours or {}).get(label, ARM_COLOURS[k % len(ARM_COLOURS)])
        t = np.asarray(fan.time_h, dtype=float)
        if len(t):
            lows += [float(np.nanmin(getattr(fan, BANDS[b][0]))) for b in bands] + [float(np.nanmin(fan.q50))]
        prefix = f"{label}: " if len(fans) > 1 else ""
        for band in bands if banded is None or label in banded else ():
            low, high, alpha = BANDS[band]
            lo, hi = getattr(fan, low), getattr(fan, high)
            fig.add_trace(go.Scatter(x=t, y=np.asarray(lo) * 100.0, mode="lines", line=dict(width=0),
                                     showlegend=False, hoverinfo="skip", legendgroup=f"{label}{band}"))
            fig.add_trace(go.Scatter(x=t, y=np.asarray(hi) * 100.0, mode="lines", line=dict(width=0), fill="tonexty",
                                     fillcolor=_rgba(colour, alpha), name=f"{prefix}{band} of runs",
                                     legendgroup=f"{label}{band}", hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=t, y=np.asarray(fan.q50) * 100.0, mode="lines",
                                 line=dict(color=colour, width=3.5 if k == 0 and len(fans) > 1 else 2.5,
                                           dash=DASHES[k % len(DASHES)]),
                                 name=f"{prefix}median", meta=f"median:{label}",
                                 hovertemplate=f"{html.escape(prefix)}median %{{y:{D3_SIGNIFICANT}}}% at %{{x:{D3_SIGNIFICANT}}} h<extra></extra>"))
    floor = y_floor(min(lows))
    fig.update_layout(**_base_layout(title, hovermode="closest", legend=dict(orientation="h", yanchor="top", y=-0.2, x=0)))
    fig.update_xaxes(title_text="time since T+0 (h)", showgrid=True, gridcolor=GRID, zeroline=False)
    fig.update_yaxes(title_text="population served (%)", range=[floor, 101.5], showgrid=True, gridcolor=GRID)
    return plain_numbers(fig)


def ecdf(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted finite values and the share of all runs at or below each.

    Parameters
    ----------
    values : np.ndarray
        One value per run; NaN (not reached) counts in the total but is not plotted.

    Returns
    -------
    tuple[np.ndarray, np.ndarray]
        The sorted finite values, and the fraction 0..1 of all runs at or below each.

    Examples
    --------
    >>> ecdf(np.array([2.0, np.nan, 1.0, 3.0]))
    (array([1., 2., 3.]), array([0.25, 0.5 , 0.75]))
    """
    finite = np.sort(values[np.isfinite(values)])
    return finite, np.arange(1, len(finite) + 1) / max(1, len(values))


def metric_distributions(samples: Mapping[str, Mapping[str, np.ndarray]], metrics: Sequence[str] = HEADLINE,
                         title: str = "Distributions across runs") -> go.Figure:
    """One panel per metric: a histogram of the runs for a single batch, or one ECDF per
    label when comparing (overlaid histograms hide each other). Runs where a metric was not
    reached (NaN, e.g. never recovered) are counted in the panel title.

    Parameters
    ----------
    samples : Mapping[str, Mapping[str, np.ndarray]]
        Label (batch or arm) → metric → value per run, in stored units.
    metrics : Sequence[str]
        The metrics to show, one panel each (those no label has are left out).
    title : str
        The figure's title.

    Returns
    -------
    go.Figure
        Two panels a row, x in each metric's shown unit (:func:`axis_title`).
    """
    metrics = [m for m in metrics if any(m in s for s in samples.values())]
    cols = 2 if len(metrics) > 1 else 1
    rows = max(1, math.ceil(len(metrics) / cols))
    titles = []
    for m in metrics:
        missing = [(label, int(np.sum(~np.isfinite(s[m]))), len(s[m])) for label, s in samples.items() if m in s]
        counts = [(label, k, n) for label, k, n in missing if k]
        if len(samples) == 1:
            note = "; ".join(f"{metric(m).no_value} in {k} of {n} runs" for _, k, n in counts)
        else:       # one short line for every arm, so the title stays within its panel
            note = (f"{metric(m).no_value}: " + ", ".join(f"{label} {k} of {n}" for label, k, n in counts) + " runs"
                    if counts else "")
        titles.append(metric(m).title + (f"<br><span style='font-size:11px'>{note}</span>" if note else ""))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles or None, vertical_spacing=0.2, horizontal_spacing=0.1)
    single = len(samples) == 1
    for k, m in enumerate(metrics):
        row, col = k // cols + 1, k % cols + 1
        unit, scale = metric(m).unit, metric(m).scale
        for j, (label, s) in enumerate(samples.items()):
            if m not in s:
                continue
            values = np.asarray(s[m], dtype=float) * scale
            colour = ARM_COLOURS[j % len(ARM_COLOURS)]
            if single:
                finite = values[np.isfinite(values)]
                fig.add_trace(go.Histogram(x=finite, name=label, marker_color=colour,
                                           nbinsx=int(min(40, max(10, 2 * math.sqrt(len(finite))))),
                                           marker_line=dict(color="white", width=0.5), showlegend=False,
                                           meta=f"hist:{m}", hovertemplate=f"%{{x}} {unit}: %{{y}} runs<extra></extra>"),
                              row=row, col=col)
            else:
                x, y = ecdf(values)
                fig.add_trace(go.Scatter(x=x, y=y * 100.0, mode="lines", line=dict(color=colour, width=2, shape="hv", dash=DASHES[j % len(DASHES)]),
                                         name=label, legendgroup=label, showlegend=k == 0, meta=f"ecdf:{m}:{label}",
                                         hovertemplate=f"{html.escape(label)}: %{{y:.0f}}% of runs ≤ %{{x:{D3_SIGNIFICANT}}} {unit}<extra></extra>"),
                              row=row, col=col)
        fig.update_xaxes(title_text=axis_title(m), showgrid=True, gridcolor=GRID, row=row, col=col)
        fig.update_yaxes(title_text="runs" if single else "runs at or below (%)", showgrid=True, gridcolor=GRID,
                         row=row, col=col)
    fig.update_layout(**_base_layout(title, bargap=0.05, height=330 * rows + 80,
                                     legend=dict(orientation="h", yanchor="bottom", y=1.04, x=1, xanchor="right")))
    return plain_numbers(fig)


RECOVERY_TITLE = "Runs recovered by each time (Kaplan–Meier, runs not recovered censored)"


def recovery_curves(curves: Mapping[str, Mapping[str, KaplanMeier]], title: str = RECOVERY_TITLE) -> go.Figure:
    """One panel per recovery time, one step line per arm: the Kaplan–Meier estimate of the
    fraction of runs recovered by each time, with the runs that did not recover within the
    run censored (not left out, which would bias the curve up).

    Parameters
    ----------
    curves : Mapping[str, Mapping[str, KaplanMeier]]
        Label (batch or arm) → recovery metric → its estimate (:func:`sim.stats.kaplan_meier`).
    title : str
        The figure's title.

    Returns
    -------
    go.Figure
        x in hours from the start of the deepest service event, y in % of runs.
    """
    metrics = list(dict.fromkeys(m for arm in curves.values() for m in arm))
    fig = make_subplots(rows=1, cols=max(1, len(metrics)), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[metric(m).title + ("" if metric(m).better.value == "none" else
                                                           f"<br>({metric(m).better.value} is better)")
                                        for m in metrics] or None)
    for k, m in enumerate(metrics):
        for j, (label, arm) in enumerate(curves.items()):
            km = arm.get(m)
            if km is None:
                continue
            x, y = [0.0, *km.times], [0.0, *(100.0 * f for f in km.recovered)]
            median = metric_text(m, km.median, blank="not reached")
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color=ARM_COLOURS[j % len(ARM_COLOURS)], width=2,
                                                                       shape="hv", dash=DASHES[j % len(DASHES)]),
                                     name=label, legendgroup=label, showlegend=k == 0 and len(curves) > 1,
                                     meta=f"km:{m}:{label}",
                                     hovertemplate=(f"{html.escape(label)}: %{{y:.0f}}% recovered by %{{x:{D3_SIGNIFICANT}}} h"
                                                    f"<br>median {median}; {km.censored} of {km.n} runs censored"
                                                    "<extra></extra>")),
                          row=1, col=k + 1)
        fig.add_hline(y=50, line=dict(color="#888", width=1, dash="dash"), row=1, col=k + 1)
        fig.update_xaxes(title_text="hours from the start of the deepest drop", showgrid=True, gridcolor=GRID,
                         row=1, col=k + 1)
    fig.update_yaxes(title_text="runs recovered (%)", range=[0, 102], showgrid=True, gridcolor=GRID, row=1, col=1)
    fig.update_layout(**_base_layout(title, height=340, hovermode="closest",
                                     legend=dict(orientation="h", yanchor="bottom", y=1.08, x=1, xanchor="right")))
    return plain_numbers(fig)


def paired_differences(comparison: Mapping[str, Mapping[str, PairedDifference]], base: str = "base",
                       metrics: Sequence[str] = HEADLINE,
                       title: str = "Paired differences, variant − base (mean and 95% CI)") -> go.Figure:
    """One panel per metric, one row per variant: the mean paired difference from the base
    with its confidence interval; filled where the interval excludes zero.

    Parameters
    ----------
    comparison : Mapping[str, Mapping[str, PairedDifference]]
        Variant → metric → paired difference, in stored units (:attr:`Comparison.differences`).
    base : str
        The reference arm's name, for the hover text.
    metrics : Sequence[str]
        The metrics to show, one panel each (those no variant has are left out).
    title : str
        The figure's title.

    Returns
    -------
    go.Figure
        Differences in the metrics' shown units (percentage points for a share).
    """
    variants = list(comparison)
    metrics = [m for m in metrics if any(m in comparison[v] for v in variants)]
    fig = make_subplots(rows=1, cols=max(1, len(metrics)), shared_yaxes=True, horizontal_spacing=0.04,
                        subplot_titles=[metric(m).title + ("" if metric(m).better.value == "none" else
                                                           f"<br>({metric(m).better.value} is better)")
                                        for m in metrics] or None)
    for k, m in enumerate(metrics):
        info = metric(m)
        names, mean, plus, minus, symbols, hovers = [], [], [], [], [], []
        for v in variants:
            d = comparison[v].get(m)
            if d is None:
                continue
            mu, lo, hi = (info.shown(x) for x in (d.mean, d.ci_low, d.ci_high))
            names.append(v)
            mean.append(mu)
            plus.append(hi - mu)
            minus.append(mu - lo)
            clear = lo > 0 or hi < 0
            symbols.append("circle" if clear else "circle-open")
            hovers.append(f"<b>{html.escape(v)} − {html.escape(base)}</b><br>{metric_text(m, d.mean, signed=True)} "
                          f"(95% CI {metric_text(m, d.ci_low, signed=True, unit=False)} to "
                          f"{metric_text(m, d.ci_high, signed=True, unit=False)})"
                          f"<br>p = {p_value(d.t_p)} (paired t), n = {d.n:,} paired runs")
        fig.add_trace(go.Scatter(x=mean, y=names, mode="markers", meta=f"diff:{m}", showlegend=False,
                                 error_x=dict(type="data", array=plus, arrayminus=minus, color=BLACK, thickness=1.5, width=6),
                                 marker=dict(color=BLACK, size=10, symbol=symbols, line=dict(color=BLACK, width=1.5)),
                                 hovertext=hovers, hovertemplate="%{hovertext}<extra></extra>"), row=1, col=k + 1)
        fig.add_vline(x=0, line=dict(color="#888", width=1, dash="dash"), row=1, col=k + 1)
        fig.update_xaxes(title_text=axis_title(m, "Δ "), showgrid=True, gridcolor=GRID, zeroline=False, row=1, col=k + 1)
    fig.update_yaxes(autorange="reversed", showgrid=True, gridcolor=GRID, title_text="variant", row=1, col=1)
    fig.update_layout(**_base_layout(title, height=max(290, 110 + 60 * len(variants)), hovermode="closest",
                                     margin=dict(l=60, r=20, t=90, b=50)))     # room for two-line panel titles
    return plain_numbers(fig)
