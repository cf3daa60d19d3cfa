"""Why nodes failed, as the replay page shows it: a round's failures grouped by cause for
the timeline, and per node the data its details panel reads (suppliers, dependants,
buffers, outages with their causes, repair and restoration times).

A ``node_down`` event may carry a ``cause`` ({reason, resource, suppliers} for UNSUPPLIED,
{reason, sector, cut_by} for ISOLATED, {reason, attack: {attacker, action, tactic}} or
{reason, spread_from} for a direct hit or an intrusion) and ``roots``, the attacks the
chain leads back to ([{attacker, action, tactic, node}]). Runs recorded before causes were
logged have neither; everything here then falls back on the event's reasons.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Mapping, Sequence

import numpy as np

from sim.causes import LINE_KINDS
from sim.events import category, describe
from sim.network import RESOURCES, Network
from sim.results import Event, EventKind

__all__ = ["GROUP_MIN", "cause_key", "cause_phrase", "line_events", "node_facts", "outages", "timeline_groups"]

GROUP_MIN = 3    # failures of one round sharing a cause are grouped from this many on


def _names(ids: Sequence[str] | None, names: Mapping[str, str]) -> list[str]:
    return [names.get(i, i) for i in (ids or [])]


def _listed(items: Sequence[str], most: int = 3) -> str:
    """``"A"``, ``"A and B"``, ``"A, B and C"``, ``"A, B, C and 2 more"``."""
    if len(items) <= 1:
        return "".join(items)
    if len(items) > most:
        return ", ".join(items[:most]) + f" and {len(items) - most} more"
    return ", ".join(items[:-1]) + " and " + items[-1]


def cause_phrase(event: Event, names: Mapping[str, str]) -> str:
    """What a ``node_down`` event's cause says, as a phrase to follow "after" or "because",
    or "" when the event has no cause.

    Parameters
    ----------
    event : Event
        A ``node_down`` event.
    names : Mapping[str, str]
        Display name per node id.

    Returns
    -------
    str
        E.g. ``"Kestrel Hill Substation lost power"`` or ``"a vbied by cell_1"``.

    Examples
    --------
    >>> e = Event(3, "node_down", "pump", detail={"cause": {"reason": "UNSUPPLIED", "resource": "power",
    ...                                                     "suppliers": ["sub"]}})
    >>> cause_phrase(e, {"sub": "Hill Substation"})
    'Hill Substation failed (power)'
    """
    cause = event.detail.get("cause") or {}
    if "attack" in cause:
        attack = cause["attack"] or {}
        return f"{attack.get('tactic') or attack.get('action', 'an attack')} by {attack.get('attacker', '?')}"
    if cause.get("spread_from"):
        return f"an intrusion spread from {names.get(cause['spread_from'], cause['spread_from'])}"
    if cause.get("suppliers"):
        return f"{_listed(_names(cause['suppliers'], names))} failed ({cause.get('resource', 'supply')})"
    if cause.get("grid") and (cause.get("lines") or cause.get("cut_by")):
        around = [f"line {line}" for line in cause.get("lines", [])] + _names(cause.get("cut_by", []), names)
        return f"{_listed(around)} went out, cutting its {cause['grid']} island off"
    if cause.get("cut_by"):
        return f"{_listed(_names(cause['cut_by'], names))} went down, cutting the {cause.get('sector', '')} network"
    return ""


def cause_key(event: Event) -> tuple:
    """What failures must share to be grouped: reasons, and the cause's suppliers, cut or
    attack and the root attacks when the event has them.

    Parameters
    ----------
    event : Event
        A ``node_down`` event.

    Returns
    -------
    tuple
        A hashable key.
    """
    cause = event.detail.get("cause") or {}
    roots = tuple(sorted((r.get("attacker", ""), r.get("tactic", ""), r.get("node", ""))
                         for r in event.detail.get("roots") or []))
    culprits = tuple(sorted(cause.get("suppliers") or [*cause.get("lines", []), *cause.get("cut_by", [])]))
    return (tuple(event.detail.get("reasons", [])), cause.get("resource", ""), culprits, roots)


def _sector(event: Event, net: Network) -> str:
    node = net.index.get(event.node, -1) if event.node else -1
    return net.sector_names[net.sector[node]] if node >= 0 else ""


def timeline_groups(events: Sequence[Event], net: Network, tick_seconds: float) -> list[list[Any]]:
    """The timeline's rows: one per event, except that :data:`GROUP_MIN` or more
    ``node_down`` events of one tick, one sector and one cause become a single row
    ("12 water nodes down: ISOLATED after Kestrel Hill Substation went down …") holding
    its members.

    Parameters
    ----------
    events : Sequence[Event]
        The run's timeline, in order.
    net : Network
        The run's network, for names and sectors.
    tick_seconds : float
        Length of a tick, seconds.

    Returns
    -------
    list[list]
        ``[tick, category, text, sector, members]`` per row, in event order (a group
        where its first member was); ``members`` is ``[[text, node id], ...]`` for a group
        and ``[]`` otherwise, ``sector`` the node's sector or "".
    """
    names = dict(zip(net.ids, net.names))
    by_key: dict[tuple, list[int]] = defaultdict(list)
    for i, e in enumerate(events):
        if e.kind == EventKind.NODE_DOWN:
            by_key[(e.tick, _sector(e, net), cause_key(e))].append(i)
    grouped = {i: key for key, members in by_key.items() if len(members) >= GROUP_MIN for i in members}
    rows: list[list[Any]] = []
    done: set[tuple] = set()
    for i, e in enumerate(events):
        key = grouped.get(i)
        if key is None:
            rows.append([e.tick, category(e), describe(e, names, tick_seconds), _sector(e, net), []])
            continue
        if key in done:
            continue
        done.add(key)
        members = [events[j] for j in by_key[key]]
        reasons = ", ".join(e.detail.get("reasons", [])) or "down"
        why = cause_phrase(e, names)
        roots = _listed([f"{r.get('tactic', '?')} by {r.get('attacker', '?')} on {names.get(r.get('node', ''), r.get('node', ''))}"
                         for r in e.detail.get("roots") or []])
        text = f"{len(members)} {key[1] or 'other'} nodes down: {reasons}" + (f" after {why}" if why else "") + \
            (f"; traced to {roots}" if roots else "")
        rows.append([e.tick, "failure", text, key[1],
                     [[describe(m, names, tick_seconds), m.node or ""] for m in members]])
    return rows


def outages(events: Sequence[Event], net: Network) -> dict[int, list[dict[str, Any]]]:
    """Each node's outages as the details panel reads them.

    Parameters
    ----------
    events : Sequence[Event]
        The run's timeline, in order.
    net : Network
        The run's network.

    Returns
    -------
    dict[int, list[dict]]
        Node index → ``{"t": tick, "reasons": [...], "cause": {...} or None, "roots": [...]}``
        per ``node_down`` event, in order.
    """
    out: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e.kind == EventKind.NODE_DOWN and e.node in net.index:
            out[net.index[e.node]].append({"t": e.tick, "reasons": list(e.detail.get("reasons", [])),
                                           "cause": e.detail.get("cause"), "roots": e.detail.get("roots") or []})
    return dict(out)


def node_facts(net: Network, events: Sequence[Event]) -> dict[str, Any]:
    """Per node, what the details panel shows besides its state: id, name, sector and kind;
    its supply groups (resource, suppliers, how many it needs, buffer in seconds); its
    dependants; its outages (:func:`outages`); and the ticks repairs finished on it.

    Parameters
    ----------
    net : Network
        The run's network.
    events : Sequence[Event]
        The run's timeline, in order.

    Returns
    -------
    dict
        JSON-ready columns: ``id``, ``name``, ``sector``, ``kind`` (lists per node), ``groups``
        (per node a list of ``[resource, [supplier indices], need, buffer_s]``), ``dependants``
        (per node a list of node indices), ``outages`` and ``repairs`` (node index as a string
        → list), and ``lines``: per branch id of a ``physics: dc`` grid its events in order,
        each ``[tick, kind, a, b, round, flow_mw, rating_mva, cause]`` (``cause``: the
        branches or buses whose loss tripped it, or the attack that took it down).
    """
    sup = net.supply.tocsr()
    groups: list[list[list[Any]]] = [[] for _ in range(net.n)]
    dependants: list[set[int]] = [set() for _ in range(net.n)]
    for g in range(len(net.dep_node)):
        user = int(net.dep_node[g])
        suppliers = sup.indices[sup.indptr[g]:sup.indptr[g + 1]].tolist()
        groups[user].append([RESOURCES[int(net.dep_resource[g])], suppliers, int(net.dep_need[g]),
                             float(net.dep_buffer[g])])
        for s in suppliers:
            dependants[s].add(user)
    repairs: dict[str, list[list[Any]]] = defaultdict(list)
    for e in events:
        if e.kind == EventKind.TASK_DONE and e.node in net.index:
            work = e.detail.get("work", "repair")
            repairs[str(net.index[e.node])].append([e.tick, str(getattr(work, "value", work)).replace("_", " ")])
    return {
        "id": list(net.ids), "name": list(net.names), "kind": list(net.kind),
        "sector": [net.sector_names[c] for c in np.asarray(net.sector).tolist()],
        "groups": groups, "dependants": [sorted(d) for d in dependants],
        "outages": {str(k): v for k, v in outages(events, net).items()}, "repairs": dict(repairs),
        "lines": line_events(events),
    }


def line_events(events: Sequence[Event]) -> dict[str, list[list[Any]]]:
    """The events of each branch of a ``physics: dc`` grid, as the details panel follows them.

    Parameters
    ----------
    events : Sequence[Event]
        The run's timeline, in order.

    Returns
    -------
    dict[str, list[list]]
        Branch id → ``[tick, kind, a, b, round, flow_mw, rating_mva, cause]`` per event of
        :data:`sim.causes.LINE_KINDS`, in order.
    """
    out: dict[str, list[list[Any]]] = defaultdict(list)
    for e in events:
        if str(e.kind) in LINE_KINDS and e.detail.get("line") is not None:
            d = e.detail
            cause = d.get("cause")
            out[str(d["line"])].append([e.tick, str(e.kind), d.get("a"), d.get("b"), d.get("round"), d.get("flow_mw"),
                                        d.get("rating_mva"), cause.get("attack") if isinstance(cause, dict) else cause])
    return dict(out)
