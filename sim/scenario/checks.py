"""Cross-reference checks that a schema alone cannot express (ids, counts, times)."""

from __future__ import annotations

from agents.tactics import TACTICS
from sim.scenario.schema import Scenario, TargetRule

__all__ = ["check_references"]

Loc = tuple[str | int, ...]   # where in the scenario: keys and list indices


def check_references(s: Scenario) -> list[tuple[Loc, str]]:
    """Every broken reference in a structurally valid scenario.

    Parameters
    ----------
    s : Scenario
        A scenario that passed the schema.

    Returns
    -------
    list[tuple[Loc, str]]
        (location, message) per problem, in file order by section; empty when all is well.
    """
    out: list[tuple[Loc, str]] = []
    nodes = s.network.nodes
    ids = {n.id for n in nodes}
    sector_of = {n.id: n.sector for n in nodes}
    sectors = {n.sector for n in nodes}

    def node(loc: Loc, node_id: str) -> bool:
        if node_id not in ids:
            out.append((loc, f"no node '{node_id}'"))
            return False
        return True

    if not nodes:
        out.append((("network", "nodes"), "the network has no nodes"))
    first_seen: dict[str, int] = {}
    for i, n in enumerate(nodes):
        if n.id in first_seen:
            out.append((("network", "nodes", i, "id"), f"duplicate node id '{n.id}' (first at nodes[{first_seen[n.id]}])"))
        first_seen.setdefault(n.id, i)

    for i, (a, b) in enumerate(s.network.links):
        ok_a, ok_b = node(("network", "links", i, 0), a), node(("network", "links", i, 1), b)
        if ok_a and ok_b and sector_of[a] != sector_of[b]:
            out.append((("network", "links", i), f"links join nodes of one sector; '{a}' is {sector_of[a]}, "
                        f"'{b}' is {sector_of[b]} (use a dependency between sectors)"))
        if a == b:
            out.append((("network", "links", i), f"a link from '{a}' to itself"))

    for i, d in enumerate(s.network.dependencies):
        loc = ("network", "dependencies", i)
        node(loc + ("node",), d.node)
        for j, supplier in enumerate(d.suppliers):
            node(loc + ("suppliers", j), supplier)
        if len(set(d.suppliers)) != len(d.suppliers):
            out.append((loc + ("suppliers",), "a supplier is listed twice"))
        if d.need > len(d.suppliers):
            out.append((loc + ("need",), f"need {d.need} exceeds the {len(d.suppliers)} supplier(s) listed"))
        if d.node in d.suppliers:
            out.append((loc + ("suppliers",), f"'{d.node}' cannot supply itself"))

    for name, sector in s.sectors.items():
        if name not in sectors:
            out.append((("sectors", name), f"no node is in sector '{name}'"))
        elif sector.connectivity == "sources" and not any(n.source for n in nodes if n.sector == name):
            out.append((("sectors", name, "connectivity"), f"'sources' but no node of {name} has source: true"))

    if s.clock.tick <= 0:
        out.append((("clock", "tick"), "the tick must be longer than zero"))
    elif s.clock.duration < s.clock.tick:
        out.append((("clock", "duration"), "the run must last at least one tick"))

    for a, attacker in enumerate(s.attackers):
        for k, action in enumerate(attacker.plan):
            loc = ("attackers", a, "plan", k)
            if action.at > s.clock.duration:
                out.append((loc + ("at",), f"after the end of the run ({s.clock.duration / 3600:g}h)"))
            if isinstance(action.target, TargetRule):
                if action.target.sector is not None and action.target.sector not in sectors:
                    out.append((loc + ("target", "sector"), f"no sector '{action.target.sector}'"))
            else:
                node(loc + ("target",), action.target)
            allowed = TACTICS[action.tactic].parameter_names()
            for key in action.params:
                if key not in allowed:
                    out.append((loc + ("params", key), f"{action.tactic} has no parameter '{key}' (has: {', '.join(allowed)})"))
    for tactic, params in s.tactics.items():
        allowed = TACTICS[tactic].parameter_names()
        for key in params:
            if key not in allowed:
                out.append((("tactics", tactic, key), f"{tactic} has no parameter '{key}' (has: {', '.join(allowed)})"))

    for name, team in s.responders.items():
        loc = ("responders", name)
        if isinstance(team.base, str):
            node(loc + ("base",), team.base)
        if team.kind == "repair" and not team.sectors:
            out.append((loc + ("sectors",), "a repair crew needs the sectors it can repair"))
        for j, sector in enumerate(team.sectors):
            if sector not in sectors:
                out.append((loc + ("sectors", j), f"no sector '{sector}'"))
        if team.mutual_aid and team.mutual_aid.at is not None and team.mutual_aid.at > s.clock.duration:
            out.append((loc + ("mutual_aid", "at"), f"after the end of the run ({s.clock.duration / 3600:g}h)"))

    numbers: dict[int, int] = {}
    for i, inject in enumerate(s.injects):
        if inject.at > s.clock.duration:
            out.append((("injects", i, "at"), f"after the end of the run ({s.clock.duration / 3600:g}h)"))
        if inject.number in numbers:
            out.append((("injects", i, "number"), f"inject number {inject.number} is used twice"))
        numbers.setdefault(inject.number, i)
    return out
