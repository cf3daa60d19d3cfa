"""Why a node was down: the chain of causes from a run's event log, as a tree down to the
attacks.

Each ``node_down`` and ``node_reasons`` event carries the node's ``cause``
(:mod:`sim.attribution`); :func:`why` follows the nodes a cause names (failed suppliers,
the down nodes that cut a piece off, the node an intrusion spread from), each as it stood
at the time of the event that names it, until it reaches the attacks. The tree is the
same for ``ripple why``, the terminal console and the browser console; :func:`text_lines`
draws it as plain text.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

__all__ = ["LINE_KINDS", "OUTAGE_KINDS", "Step", "Timeline", "cause_text", "find_node", "text_lines", "why"]

OUTAGE_KINDS = ("node_down", "node_reasons", "node_up")
LINE_KINDS = ("line_trip", "line_down", "line_reclosed", "line_repaired")   # a branch out and back (physics: dc)


@dataclass
class Step:
    """One line of the tree: a node's outage, or an attack (a leaf).

    Attributes
    ----------
    text : str
        The line, e.g. ``"Kestrel Hill Substation down since T+1:15: DAMAGED by an attack"``.
    node : str or None
        The node's id (None for an attack).
    attack : dict or None
        For an attack: ``attacker``, ``action``, ``tactic``, ``node``, ``tick``.
    children : list of Step
        What caused it.
    """

    text: str
    node: str | None = None
    attack: dict[str, Any] | None = None
    children: list["Step"] = field(default_factory=list)

    def attacks(self) -> list[dict[str, Any]]:
        """Every attack in the tree, each once, in the order first met."""
        out: list[dict[str, Any]] = []
        stack = [self]
        while stack:
            step = stack.pop(0)
            if step.attack is not None and step.attack not in out:
                out.append(step.attack)
            stack[:0] = step.children
        return out


class Timeline:
    """A run's outage events by node, to look up a node's state at a time.

    Parameters
    ----------
    events : iterable of dict
        The run's events as ``events.jsonl`` lines (``tick``, ``kind``, ``node``, ...).
    """

    def __init__(self, events: Iterable[Mapping[str, Any]]):
        self.by_node: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
        self.by_line: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
        for position, event in enumerate(events):
            if event.get("kind") in OUTAGE_KINDS and event.get("node") is not None:
                self.by_node.setdefault(str(event["node"]), []).append((position, event))
            elif event.get("kind") in LINE_KINDS and event.get("line") is not None:
                self.by_line.setdefault(str(event["line"]), []).append((position, event))

    def line_out(self, line: str, tick: int) -> tuple[int, Mapping[str, Any]] | None:
        """The event that took a branch out (``line_trip``, ``line_down``), if it was out at ``tick``.

        Parameters
        ----------
        line : str
            The branch's id.
        tick : int
            The tick.

        Returns
        -------
        tuple of (int, dict) or None
            The event's log position and the event; None when the branch was in then.
        """
        found = None
        for position, event in self.by_line.get(line, []):
            if event["tick"] > tick:
                break
            found = (position, event) if event["kind"] in ("line_trip", "line_down") else None
        return found

    def outage(self, node: str, tick: int | None = None, before: int | None = None) -> tuple[int, Mapping[str, Any]] | None:
        """The latest down event of ``node`` at ``tick`` (and, in that tick, before log
        position ``before``), or of its last outage when ``tick`` is None.

        Parameters
        ----------
        node : str
            The node's id.
        tick : int or None
            The tick; None: the node's most recent outage, as it ended (or stands).
        before : int or None
            A log position: events at or after it are not counted.

        Returns
        -------
        tuple of (int, dict) or None
            The event's log position and the event; None when the node was up then.
        """
        found = None
        for position, event in self.by_node.get(node, []):
            if (tick is not None and event["tick"] > tick) or (before is not None and position >= before):
                break
            if event["kind"] == "node_up":
                if tick is not None:
                    found = None
            else:
                found = (position, event)
        return found

    def first_with(self, node: str, position: int, reason: str) -> Mapping[str, Any]:
        """The first event of the outage holding log position ``position`` that gives ``reason``.

        Parameters
        ----------
        node : str
            The node's id.
        position : int
            The log position of one of its down events.
        reason : str
            A reason name, e.g. ``COMPROMISED``.

        Returns
        -------
        dict
            That event (the one at ``position`` when no earlier one gives the reason).
        """
        start = self.outage_start(node, position)[0]
        events = [event for at, event in self.by_node[node] if start <= at <= position]
        return next((event for event in events if reason in event.get("reasons", [])), events[-1])

    def outage_start(self, node: str, position: int) -> tuple[int, Mapping[str, Any]]:
        """The ``node_down`` event that opened the outage holding log position ``position``
        (its first event, for an outage the log joins late).

        Parameters
        ----------
        node : str
            The node's id.
        position : int
            The log position of one of its down events.

        Returns
        -------
        tuple of (int, dict)
            The opening event's log position and the event.
        """
        start = None
        for at, event in self.by_node.get(node, []):
            if at > position:
                break
            if event["kind"] == "node_down" or start is None:
                start = (at, event)
        assert start is not None, f"no event of {node} at log position {position}"
        return start


def find_node(text: str, ids: Sequence[str], names: Sequence[str] = ()) -> str:
    """The id of the node ``text`` names: its id or its display name, in any case.

    Parameters
    ----------
    text : str
        A node id or name as typed.
    ids : sequence of str
        Node id per index.
    names : sequence of str
        Display name per index (may be empty).

    Returns
    -------
    str
        The node's id; ValueError naming close matches when there is none.

    Examples
    --------
    >>> find_node("kestrel hill substation", ["ts_kh"], ["Kestrel Hill Substation"])
    'ts_kh'
    """
    for keys, wanted in ((ids, text), (names, text), ([i.lower() for i in ids], text.lower()),
                         ([n.lower() for n in names], text.lower())):
        if wanted in keys:
            return ids[list(keys).index(wanted)]
    close = difflib.get_close_matches(text, [*ids, *names], n=3)
    raise ValueError(f"no node '{text}'" + (f" (did you mean {', '.join(close)}?)" if close else ""))


def why(events: Iterable[Mapping[str, Any]] | Timeline, node: str, tick: int | None = None,
        name: Callable[[str], str] = str, clock: Callable[[int], str] = lambda t: f"tick {t}") -> Step | None:
    """The chain of causes of a node's outage, as a tree down to the attacks.

    Parameters
    ----------
    events : iterable of dict or Timeline
        The run's events as ``events.jsonl`` lines, or a :class:`Timeline` of them.
    node : str
        The node's id.
    tick : int or None
        The tick to explain; None: the node's most recent outage.
    name : callable
        A node id → its display name.
    clock : callable
        A tick → the exercise clock (``T+h:mm``).

    Returns
    -------
    Step or None
        The tree; None when the node was not down at ``tick`` (or never, with None).

    Examples
    --------
    >>> events = [
    ...     {"tick": 3, "kind": "node_down", "node": "sub", "reasons": ["DAMAGED"],
    ...      "cause": {"reason": "DAMAGED", "attack": {"attacker": "c1", "action": 0, "tactic": "drone",
    ...                                                "node": "sub", "tick": 3}}},
    ...     {"tick": 3, "kind": "node_down", "node": "hosp", "reasons": ["UNSUPPLIED"],
    ...      "cause": {"reason": "UNSUPPLIED", "resource": "power", "suppliers": ["sub"], "buffer_ran_out": False}}]
    >>> print("\\n".join(text_lines(why(events, "hosp"))))
    hosp down since tick 3: UNSUPPLIED, no power from sub
    └─ sub down since tick 3: DAMAGED by an attack
       └─ attack: drone by c1 (action 0) on sub at tick 3
    """
    timeline = events if isinstance(events, Timeline) else Timeline(events)
    found = timeline.outage(node, tick)
    if found is None:
        return None
    return _explain(timeline, node, found, set(), name, clock)


def _explain(timeline: Timeline, node: str, found: tuple[int, Mapping[str, Any]], seen: set[int],
             name: Callable[[str], str], clock: Callable[[int], str], again: bool = False) -> Step:
    """The step of one outage event and, below it, the steps of what it names (``again``:
    the start of an outage whose later state is the line above)."""
    position, event = found
    start = timeline.outage_start(node, position)[1]
    head = f"{name(node)} went down at {clock(start['tick'])}" if again else \
        f"{name(node)} down since {clock(start['tick'])}"
    if position in seen:
        return Step(f"{head} (shown above)", node)
    seen.add(position)
    cause = event.get("cause")
    if cause is None:
        return Step(f"{head}: {', '.join(event.get('reasons', []))} (no cause recorded)", node)
    parts = [cause, *cause.get("also", [])]
    step = Step(f"{head}: {cause_text(cause, name)}", node)
    for part in parts:
        step.children.extend(_below(timeline, node, part, event, position, seen, name, clock))
    return step


def cause_text(cause: Mapping[str, Any], name: Callable[[str], str] = str) -> str:
    """A cause in words, each of its reasons (the first, then ``also``) in turn.

    Parameters
    ----------
    cause : dict
        A ``cause`` of a ``node_down`` or ``node_reasons`` event.
    name : callable
        A node id → its display name.

    Returns
    -------
    str
        e.g. ``"UNSUPPLIED, no power from Hollowmere Substation (backup ran out)"``.

    Examples
    --------
    >>> cause_text({"reason": "ISOLATED", "sector": "water", "cut_by": ["p1", "p2"]})
    'ISOLATED, water path cut by p1, p2'
    """
    return "; ".join(_part_text(part, name) for part in [cause, *cause.get("also", [])])


def _part_text(part: Mapping[str, Any], name: Callable[[str], str]) -> str:
    """One reason of a cause in words."""
    reason = part.get("reason", "?")
    listed = lambda ids: ", ".join(name(i) for i in ids) or "nothing recorded"  # noqa: E731
    if "attack" in part:
        return f"{reason} by an attack"
    if "spread_from" in part:
        return f"{reason}, an intrusion spread from {name(part['spread_from'])}"
    if part.get("outage"):
        return f"{reason} by losing its supply (needs repair)"
    if reason == "UNSUPPLIED" and "grid" in part:
        around = [*(f"line {line}" for line in part.get("lines", [])), *(name(n) for n in part.get("cut_by", []))]
        return (f"{reason}, no power in its {part['grid']} island: "
                + (f"cut off by {', '.join(around)}" if around else "no generation there"))
    if reason == "UNSUPPLIED":
        deps = part.get("dependencies") or [part]
        return f"{reason}, " + "; ".join(
            f"no {d.get('resource', '?')} from {listed(d.get('suppliers', []))}"
            + (" (backup ran out)" if d.get("buffer_ran_out") else "") for d in deps)
    if reason == "ISOLATED":
        return f"{reason}, {part.get('sector', '?')} path cut by {listed(part.get('cut_by', []))}"
    if reason == "OVERLOADED":
        return f"{reason}, load shifted onto it in {part.get('sector', '?')}"
    return reason


def _below(timeline: Timeline, node: str, part: Mapping[str, Any], event: Mapping[str, Any], position: int,
           seen: set[int], name: Callable[[str], str], clock: Callable[[int], str]) -> list[Step]:
    """The steps under one reason: its attack, or the outages of the nodes it names."""
    if "attack" in part:
        return [_attack_step(part["attack"], name, clock)]
    if part.get("outage"):
        start = timeline.outage_start(node, position)
        if start[0] == position:
            return [_attack_step(a, name, clock) for a in event.get("roots", [])]
        return [_explain(timeline, node, start, seen, name, clock, again=True)]
    if part.get("reason") == "OVERLOADED":
        return [_attack_step(a, name, clock) for a in event.get("roots", [])]
    tick = event["tick"]
    if "grid" in part:
        return [*(_line_step(timeline, line, tick, seen, name, clock) for line in part.get("lines", [])),
                *(_node_step(timeline, other, tick, None, seen, name, clock) for other in part.get("cut_by", []))]
    if "spread_from" in part:     # the intrusion spread when the node was first seen COMPROMISED
        named = [part["spread_from"]]
        tick = timeline.first_with(node, position, part.get("reason", ""))["tick"]
    else:
        named = part.get("cut_by") or [s for d in (part.get("dependencies") or [part]) for s in d.get("suppliers", [])]
    return [_node_step(timeline, other, tick, None if other != node else position, seen, name, clock)
            for other in dict.fromkeys(named)]


def _node_step(timeline: Timeline, node: str, tick: int, before: int | None, seen: set[int],
               name: Callable[[str], str], clock: Callable[[int], str]) -> Step:
    """The step of a node's outage at ``tick`` (before log position ``before``)."""
    found = timeline.outage(node, tick, before)
    if found is None:
        return Step(f"{name(node)} (no outage recorded then)", node)
    return _explain(timeline, node, found, seen, name, clock)


def _line_step(timeline: Timeline, line: str, tick: int, seen: set[int], name: Callable[[str], str],
               clock: Callable[[int], str]) -> Step:
    """The step of a branch out at ``tick`` and, below it, what took it out: the attack, or
    the branches and buses whose loss overloaded it."""
    found = timeline.line_out(line, tick)
    if found is None:
        return Step(f"line {line} (no trip recorded then)")
    position, event = found
    ends = f"line {line} ({name(str(event.get('a', '?')))}-{name(str(event.get('b', '?')))})"
    if position in seen:
        return Step(f"{ends} (shown above)")
    seen.add(position)
    if event["kind"] == "line_down":
        attack = (event.get("cause") or {}).get("attack")
        step = Step(f"{ends} down since {clock(event['tick'])}: DAMAGED by an attack")
        step.children = [_attack_step(attack, name, clock)] if attack else []
        return step
    step = Step(f"{ends} tripped at {clock(event['tick'])}, cascade round {event.get('round', '?')}: "
                f"{abs(event.get('flow_mw', 0)):g} MW on its {event.get('rating_mva', 0):g} MVA rating")
    for other in event.get("cause", []):
        if other in timeline.by_line:
            step.children.append(_line_step(timeline, other, event["tick"], seen, name, clock))
        else:
            step.children.append(_node_step(timeline, other, event["tick"], None, seen, name, clock))
    return step


def _attack_step(attack: Mapping[str, Any], name: Callable[[str], str], clock: Callable[[int], str]) -> Step:
    """The leaf of one attack."""
    target = f"line {attack['line']}" if attack.get("line") else name(str(attack.get("node", "?")))
    return Step(f"attack: {attack.get('tactic', '?')} by {attack.get('attacker', '?')} (action {attack.get('action', '?')}) "
                f"on {target} at {clock(int(attack.get('tick', 0)))}",
                attack=dict(attack))


def text_lines(step: Step) -> list[str]:
    """A tree as plain-text lines, its branches drawn with box characters.

    Parameters
    ----------
    step : Step
        The root of the tree.

    Returns
    -------
    list of str
        One line per step.
    """
    lines = [step.text]

    def walk(children: list[Step], prefix: str) -> None:
        for i, child in enumerate(children):
            last = i == len(children) - 1
            lines.append(prefix + ("└─ " if last else "├─ ") + child.text)
            walk(child.children, prefix + ("   " if last else "│  "))

    walk(step.children, "")
    return lines
