"""Cross-reference checks that a schema alone cannot express (ids, counts, times).

The network's own references (links, dependencies) are checked with its columns, by
:mod:`sim.scenario.netdata.validate`; here the rest of the scenario is checked against them.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

import numpy as np

from agents.tactics import TACTICS
from sim.scenario.schema import PHYSICS_LINK_FIELDS, PHYSICS_NODE_FIELDS, Scenario, TargetRule

if TYPE_CHECKING:
    from sim.scenario.netdata.tables import NetworkTables

__all__ = ["check_references", "line_target"]

Loc = tuple[str | int, ...]   # where in the scenario: keys and list indices


def _over_budget(s: Scenario, nodes: int) -> list[tuple[Loc, str]]:
    """The run's size against the scenario's limits (``limits:``), each refusal with the cap
    and how to raise it."""
    ticks = round(s.clock.duration / s.clock.tick) + 1
    units = sum(team.count for team in s.responders.values())
    out: list[tuple[Loc, str]] = []
    for loc, size, what, key in ((("clock", "duration"), ticks, "time steps", "ticks"),
                                 (("clock", "duration"), ticks * nodes, f"node-steps ({nodes:,} nodes)", "node_ticks"),
                                 (("responders",), units, "responder units", "units")):
        cap = getattr(s.limits, key)
        if size > cap:
            out.append((loc, f"the run would have {size:,} {what}, above the limit of {cap:,}; "
                             f"raise it with `limits: {{{key}: N}}` if this machine can take it"))
    return out


def _branches(tables: "NetworkTables", code: int) -> np.ndarray:
    """Rows of the links inside sector ``code`` (both ends known nodes of it)."""
    inner = _inner_links(tables)
    return np.flatnonzero(inner & (tables.sector[np.where(inner, tables.link_a, 0)] == code))


def _link_name(tables: "NetworkTables", row: int) -> str:
    """A link's id, or its ends when it has none."""
    return tables.link_id[row] or f"{tables.ids[tables.link_a[row]]}-{tables.ids[tables.link_b[row]]}"


def _without_reactance(tables: "NetworkTables", code: int) -> list[str]:
    """Links inside a sector with neither a nonzero ``x_pu`` nor the kind ``switch`` (which
    joins its ends), by id."""
    out = []
    for row in _branches(tables, code).tolist():
        attrs = (tables.link_attrs[row] if tables.link_attrs is not None else None) or {}
        x = attrs.get("x_pu")
        if (x is None and tables.link_kind[row] != "switch") or x == 0:
            out.append(_link_name(tables, row))
    return out


def _bad_physics_values(tables: "NetworkTables", code: int) -> list[str]:
    """The power-flow attrs of a ``physics: dc`` sector that the flow cannot read: not a
    finite number (``slack``: not true or false), a rating not above 0, a negative ``p_max_mw``."""
    def problem(field: str, value: Any) -> str | None:
        if field == "slack":
            return None if isinstance(value, bool) else "true or false"
        try:
            number = float(value) if not isinstance(value, bool) else float("nan")
        except (TypeError, ValueError):
            number = float("nan")
        if not np.isfinite(number):
            return "a finite number"
        if field == "rating_mva" and number <= 0:
            return "above 0"
        if field == "p_max_mw" and number < 0:
            return "0 or more"
        return None

    out = []
    for what, rows, attrs_of, fields, name in (
            ("link", _branches(tables, code).tolist(), tables.link_attrs, PHYSICS_LINK_FIELDS,
             lambda row: _link_name(tables, row)),
            ("node", np.flatnonzero(tables.sector == code).tolist(), tables.node_attrs, PHYSICS_NODE_FIELDS,
             lambda row: tables.ids[row])):
        for row in rows:
            attrs = (attrs_of[row] if attrs_of is not None else None) or {}
            for field in fields:
                if field in attrs and (need := problem(field, attrs[field])) is not None:
                    out.append(f"{what} {name(row)} has {field}: {attrs[field]!r}, which must be {need}")
    return out


def _seat_problems(s: Scenario) -> list[tuple[Loc, str]]:
    """The exercise's seats against the responders: each seat once, a facilitator among them,
    which commands every unit, and every team and unit named there."""
    seats = s.exercise.seats
    if not seats:
        return []
    out: list[tuple[Loc, str]] = []
    labels = {f"{name}-{n}" for name, team in s.responders.items() for n in range(1, team.count + 1)}
    first: dict[str, int] = {}
    for i, seat in enumerate(seats):
        loc: Loc = ("exercise", "seats", i)
        if seat.id in first:
            out.append((loc + ("id",), f"seat '{seat.id}' is listed twice (first as seats[{first[seat.id]}])"))
        first.setdefault(seat.id, i)
        if seat.id == "facilitator" and (seat.kinds or seat.teams or seat.units):
            out.append((loc, "the facilitator commands every unit; list kinds, teams or units on the other seats"))
        for key in ("kinds", "teams", "units"):
            values = getattr(seat, key)
            for j, value in enumerate(values):
                if value in values[:j]:
                    out.append((loc + (key, j), f"'{value}' is listed twice"))
        for j, team in enumerate(seat.teams):
            if team not in s.responders:
                out.append((loc + ("teams", j), f"no responder team '{team}' (teams: {', '.join(s.responders) or 'none'})"))
        for j, unit in enumerate(seat.units):
            if unit not in labels:
                out.append((loc + ("units", j), f"no unit '{unit}' (units are <team>-<n>: "
                                                 f"{', '.join(sorted(labels)[:8]) or 'none'}{', …' if len(labels) > 8 else ''})"))
    if "facilitator" not in first:
        out.append((("exercise", "seats"), "the seats need a facilitator to run the clock (- id: facilitator)"))
    return out


def _inner_links(tables: "NetworkTables") -> np.ndarray:
    """bool per link: both its ends are nodes of the network (a link to an unknown node is
    reported on its own) and of one sector."""
    a, b = np.asarray(tables.link_a), np.asarray(tables.link_b)
    known = (a >= 0) & (b >= 0) & (a < tables.n_nodes) & (b < tables.n_nodes)
    out = np.zeros(len(a), bool)
    out[known] = tables.sector[a[known]] == tables.sector[b[known]]
    return out


def _link_sector(tables: "NetworkTables", link_id: str) -> str | None:
    """The sector of the first link with this id inside one sector; None when there is none."""
    inner = _inner_links(tables)
    for row in np.flatnonzero(np.asarray(tables.link_id, dtype=object) == link_id).tolist():
        if inner[row]:
            return tables.sector_names[tables.sector[tables.link_a[row]]]
    return None


def line_target(s: Scenario, tables: "NetworkTables", loc: Loc, target: str, tactic: str) -> list[tuple[Loc, str]]:
    """What is wrong with an action's target that is not a node: a branch of a sector without
    ``physics: dc``, a tactic that cannot hit a line, or no such node or line (with the
    nearest names). The scenario's checks and the exercise's ``attack`` verb both use it.

    Parameters
    ----------
    s : Scenario
        The scenario.
    tables : NetworkTables
        Its network, as columns.
    loc : Loc
        Where the target is written, for the problem's location.
    target : str
        The target as written, not a node id.
    tactic : str
        The attack's tactic.

    Returns
    -------
    list[tuple[Loc, str]]
        Empty when ``target`` is a line of a ``physics: dc`` sector the tactic can hit, else
        the one problem.
    """
    dc = {name for name, sector in s.sectors.items() if sector.physics == "dc"}
    sector = _link_sector(tables, target)
    if sector is not None and sector in dc:
        if not TACTICS[tactic].on_lines:
            return [(loc, f"'{target}' is a line, and {tactic} cannot target a line (it acts on a node's control "
                          "system or scene): use a node")]
        return []
    if sector is not None:
        return [(loc, f"'{target}' is a line of sector {sector}, which has no physics: dc: lines are targets only "
                      f"where the grid's flow is modelled (sectors: {{{sector}: {{physics: dc}}}})")]
    codes = [code for code, name in enumerate(tables.sector_names) if name in dc]
    inner = _inner_links(tables)
    sector_of = np.full(len(inner), -1)
    sector_of[inner] = tables.sector[np.asarray(tables.link_a)[inner]]
    inside = np.isin(sector_of, codes)
    lines = [tables.link_id[row] for row in np.flatnonzero(inside).tolist() if tables.link_id[row]]
    close = difflib.get_close_matches(target, [*tables.ids, *lines], n=3)
    what = "node or line" if lines else "node"
    return [(loc, f"no {what} '{target}'" + (f" (did you mean {', '.join(close)}?)" if close else ""))]


def check_references(s: Scenario, tables: "NetworkTables") -> list[tuple[Loc, str]]:
    """Every broken reference of a structurally valid scenario to its network, and its times.

    Parameters
    ----------
    s : Scenario
        A scenario that passed the schema.
    tables : NetworkTables
        Its network, as columns.

    Returns
    -------
    list[tuple[Loc, str]]
        (location, message) per problem, in file order by section; empty when all is well.
    """
    out: list[tuple[Loc, str]] = []
    wanted = {a.target for at in s.attackers for a in at.plan if isinstance(a.target, str)}
    wanted |= {team.base for team in s.responders.values() if isinstance(team.base, str)}
    wanted |= {n for i in s.injects if i.when for n in (i.when.node, i.when.node_down, i.when.node_restored) if n}
    ids = set(tables.ids).intersection(wanted) if wanted else set()
    sectors = set(tables.sector_names)
    sectors_index = {name: code for code, name in enumerate(tables.sector_names)}
    with_source = {tables.sector_names[code] for code in np.unique(tables.sector[tables.source]).tolist()}

    def node(loc: Loc, node_id: str) -> None:
        if node_id not in ids:
            out.append((loc, f"no node '{node_id}'"))

    for name, sector in s.sectors.items():
        if name not in sectors:
            out.append((("sectors", name), f"no node is in sector '{name}'"))
        elif sector.connectivity == "sources" and name not in with_source:
            out.append((("sectors", name, "connectivity"), f"'sources' but no node of {name} has source: true"))
        elif sector.physics == "dc" and (missing := _without_reactance(tables, sectors_index[name])):
            more = f", nor do {len(missing) - 1} more" if len(missing) > 1 else ""
            out.append((("sectors", name, "physics"), f"dc needs a reactance x_pu on every branch: link {missing[0]} has none"
                                                       f"{more} (ripple import pandapower writes them)"))
        elif sector.physics == "dc" and (bad := _bad_physics_values(tables, sectors_index[name])):
            more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
            out.append((("sectors", name, "physics"), f"dc cannot read the network's power-flow attrs: {bad[0]}{more}"))

    if s.clock.tick <= 0:
        out.append((("clock", "tick"), "the tick must be longer than zero"))
    elif s.clock.duration < s.clock.tick:
        out.append((("clock", "duration"), "the run must last at least one tick"))
    else:
        out += _over_budget(s, tables.n_nodes)

    for a, attacker in enumerate(s.attackers):
        for k, action in enumerate(attacker.plan):
            loc = ("attackers", a, "plan", k)
            if action.at > s.clock.duration:
                out.append((loc + ("at",), f"after the end of the run ({s.clock.duration / 3600:g}h)"))
            if isinstance(action.target, TargetRule):
                if action.target.sector is not None and action.target.sector not in sectors:
                    out.append((loc + ("target", "sector"), f"no sector '{action.target.sector}'"))
            elif action.target not in ids:
                out += line_target(s, tables, loc + ("target",), action.target, action.tactic)
            out += [(loc + ("params", key), message) for key, message in TACTICS[action.tactic].problems(action.params)]
    for tactic, params in s.tactics.items():
        out += [(("tactics", tactic, key), message) for key, message in TACTICS[tactic].problems(params)]

    for name, team in s.responders.items():
        loc = ("responders", name)
        if isinstance(team.base, str):
            node(loc + ("base",), team.base)
            if team.base in ids and np.isnan(tables.x[tables.ids.index(team.base)]):
                out.append((loc + ("base",), f"node '{team.base}' is unplaced (no x, y): give the base as [x, y]"))
        if team.kind == "repair" and not team.sectors:
            out.append((loc + ("sectors",), "a repair crew needs the sectors it can repair"))
        for j, sector in enumerate(team.sectors):
            if sector not in sectors:
                out.append((loc + ("sectors", j), f"no sector '{sector}'"))
        if team.mutual_aid and team.mutual_aid.at is not None and team.mutual_aid.at > s.clock.duration:
            out.append((loc + ("mutual_aid", "at"), f"after the end of the run ({s.clock.duration / 3600:g}h)"))

    out += _seat_problems(s)

    numbers: dict[int, int] = {}
    for i, inject in enumerate(s.injects):
        if inject.at > s.clock.duration:
            out.append((("injects", i, "at"), f"after the end of the run ({s.clock.duration / 3600:g}h)"))
        if inject.until is not None and inject.until > s.clock.duration:
            out.append((("injects", i, "until"), f"after the end of the run ({s.clock.duration / 3600:g}h)"))
        if inject.number in numbers:
            out.append((("injects", i, "number"), f"inject number {inject.number} is used twice"))
        numbers.setdefault(inject.number, i)
        if (when := inject.when) is not None:
            cells = [a.id for a in s.attackers]
            if when.attack is not None and when.attack not in cells:
                out.append((("injects", i, "when", "attack"),
                            f"no attacker cell '{when.attack}' (cells: {', '.join(cells) or 'none'})"))
            for key in ("node", "node_down", "node_restored"):
                if (node_id := getattr(when, key)) is not None:
                    node(("injects", i, "when", key), node_id)
            if when.sector is not None and when.sector not in sectors:
                out.append((("injects", i, "when", "sector"), f"no sector '{when.sector}'"))
    return out
