"""Event log entries as text: one renderer per :class:`~agents.events.EventKind`.

The replay timeline, the exercise console and the after-action report all describe events
through :func:`describe`, so an event reads the same everywhere. Each kind has one entry
in :data:`KINDS`: its timeline category and its renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from agents.events import EventKind
from sim.causes import cause_text
from sim.results import Event
from sim.scenario.timefmt import format_clock

__all__ = ["CATEGORIES", "KINDS", "EventKind", "KindInfo", "category", "describe"]

CATEGORIES = ("attack", "failure", "restore", "response", "inject", "decision", "other")


@dataclass(frozen=True)
class _Seen:
    """What a renderer reads: the event, its node's display name, and the clock."""

    event: Event
    node: str                               # display name of the event's node ("" if none)
    clock: Callable[[int], str]             # tick → exercise clock, e.g. "T+1:30"
    names: Mapping[str, str]                # display name per node id, for the nodes a cause names

    @property
    def d(self) -> dict[str, Any]:
        return self.event.detail

    @property
    def team(self) -> str:
        return self.event.team or ""

    def who(self) -> str:
        """Team and node, whichever the event names."""
        return ", ".join(x for x in (self.team, self.node) if x)


def _attack(s: _Seen) -> str:
    target = f" on {s.node}" if s.node else ""
    return f"Attack: {s.d.get('tactic', '?')}{target} by {s.d.get('attacker', '?')}, {s.d.get('outcome', '?')}"


def _hit(s: _Seen) -> str:
    effect = "damaged" if s.d.get("effect") == "damage" else "shut"
    return f"{s.node} {effect}" + (", scene closed" if s.d.get("scene") else "")


def _outage_damage(s: _Seen) -> str:
    return f"{s.node} damaged by the outage; it needs repair"


def _compromise(s: _Seen) -> str:
    known = s.d.get("detected_at_tick")
    return f"{s.node}: control system compromised" + (f" (detected {s.clock(known)})" if known is not None else "")


def _reasons(s: _Seen) -> str:
    return ", ".join(s.d.get("reasons", []))


def _why(s: _Seen) -> str:
    """The event's reasons, with what caused them when it records that (suppliers and cut-off
    paths by the nodes' display names)."""
    cause = s.d.get("cause")
    return cause_text(cause, lambda node: s.names.get(node, node)) if cause else _reasons(s)


def _dispatch(s: _Seen) -> str:
    eta = s.d.get("eta_ticks")
    verb = "sent to join the" if s.d.get("joins") else "dispatched to"
    return f"{s.team} {verb} {s.d.get('work', '')} at {s.node}" + (
        f", ETA {s.clock(eta).removeprefix('T+')}" if eta is not None else "")


def _mutual_aid(s: _Seen) -> str:
    due = s.d.get("arrives_tick")
    return f"Mutual aid requested: {s.team} ({s.d.get('reason', '')})" + (f", due {s.clock(due)}" if due is not None else "")


def _tie_closed(s: _Seen) -> str:
    return f"Tie {s.d.get('tie', '')} closed at {s.node} by {s.team or 'operators'}; it conducts from now on"


def _line_trip(s: _Seen) -> str:
    cause = ", ".join(s.d.get("cause") or [])
    return (f"Line {s.d.get('line', '')} ({s.d.get('a', '')}-{s.d.get('b', '')}) tripped: {s.d.get('flow_mw', 0):g} MW "
            f"over its {s.d.get('rating_mva', 0):g} MVA rating, cascade round {s.d.get('round', '?')}"
            + (f", after losing {cause}" if cause else ""))


def _line_reclosed(s: _Seen) -> str:
    return f"Line {s.d.get('line', '')} reclosed at {s.node} by {s.team or 'operators'}; it conducts again"


def _line_down(s: _Seen) -> str:
    attack = (s.d.get("cause") or {}).get("attack") or {}
    by = f" by {attack.get('tactic', '?')} ({attack.get('attacker', '?')})" if attack else ""
    return f"Line {s.d.get('line', '')} ({s.d.get('a', '')}-{s.d.get('b', '')}) down{by}; out until repaired"


def _load_shed(s: _Seen) -> str:
    buses = s.d.get("buses") or []
    fraction = float(s.d.get("fraction", 0))
    if fraction <= 0:
        return f"Island of {len(buses)} loaded buses at {s.node} serves all its load again"
    return (f"Island of {len(buses)} loaded buses at {s.node} sheds {s.d.get('shed_mw', 0):g} MW "
            f"({fraction:.0%} of its load)")


def _inject(s: _Seen) -> str:
    if s.d.get("number") is not None or s.d.get("sender"):
        head = f"Inject {s.d['number']}" if s.d.get("number") is not None else "Inject"
        return f"{head}, {s.d.get('sender', '')} → {s.d.get('to', '')}: {s.d.get('message', '')}"
    return f"Report: {s.d.get('message', '')}"


def _decision(s: _Seen) -> str:
    extra = ", ".join(f"{k} {v}" for k, v in s.d.items() if k != "verb")
    head = " ".join(x for x in (s.d.get("verb", ""), s.who()) if x)
    return f"Decision: {head}" + (f" ({extra})" if extra else "")


def _rating(s: _Seen) -> str:
    notes = s.d.get("notes")
    return f"Rating: {s.d.get('capability', '')} {s.d.get('rating', '')}" + (f" ({notes})" if notes else "")


@dataclass(frozen=True)
class KindInfo:
    """How one kind of event is shown: its timeline category and its text."""

    category: str                           # one of CATEGORIES
    render: Callable[[_Seen], str]


KINDS: dict[EventKind, KindInfo] = {
    EventKind.ATTACK: KindInfo("attack", _attack),
    EventKind.HIT: KindInfo("attack", _hit),
    EventKind.OUTAGE_DAMAGE: KindInfo("failure", _outage_damage),
    EventKind.COMPROMISE: KindInfo("attack", _compromise),
    EventKind.SPREAD: KindInfo("attack", lambda s: f"Intrusion spreads to {s.node}"),
    EventKind.NODE_DOWN: KindInfo("failure", lambda s: f"{s.node} down: {_why(s)}"),
    EventKind.NODE_REASONS: KindInfo("failure", lambda s: f"{s.node} still down, now: {_why(s)}"),
    EventKind.NODE_UP: KindInfo("restore", lambda s: f"{s.node} back in service"),
    EventKind.DISPATCH: KindInfo("response", _dispatch),
    EventKind.ARRIVAL: KindInfo("response", lambda s: f"{s.team} arrives at {s.node} ({s.d.get('work', '')})"),
    EventKind.TASK_DONE: KindInfo(
        "restore", lambda s: f"{s.team or 'Operators'} finished {s.d.get('work', '')} at {s.node}"),
    EventKind.TIE_CLOSED: KindInfo("restore", _tie_closed),
    EventKind.LINE_TRIP: KindInfo("failure", _line_trip),
    EventKind.LINE_RECLOSED: KindInfo("restore", _line_reclosed),
    EventKind.LINE_DOWN: KindInfo("attack", _line_down),
    EventKind.LINE_REPAIRED: KindInfo(
        "restore", lambda s: f"Line {s.d.get('line', '')} repaired at {s.node} by {s.team}; it conducts again"),
    EventKind.LOAD_SHED: KindInfo("failure", _load_shed),
    EventKind.OUT_OF_SERVICE: KindInfo(
        "response", lambda s: f"{s.team} out of service for {s.d.get('hours', '?')} h at {s.node}"),
    EventKind.BACK_IN_SERVICE: KindInfo("response", lambda s: f"{s.team} back in service"),
    EventKind.MUTUAL_AID: KindInfo("response", _mutual_aid),
    EventKind.MUTUAL_AID_ARRIVED: KindInfo("response", lambda s: f"Mutual aid arrived: {s.team}"),
    EventKind.INJECT: KindInfo("inject", _inject),
    EventKind.DECISION: KindInfo("decision", _decision),
    EventKind.NOTE: KindInfo("decision", lambda s: f"Note: {s.d.get('text', '')}"),
    EventKind.RATING: KindInfo("decision", _rating),
}


def category(event: Event) -> str:
    """The timeline category of an event (one of :data:`CATEGORIES`).

    Parameters
    ----------
    event : Event
        An entry of a run's event log.

    Returns
    -------
    str
        ``attack``, ``failure``, ``restore``, ``response``, ``inject`` or ``decision``.
    """
    return KINDS[event.kind].category


def describe(event: Event, names: Mapping[str, str] | None, tick_seconds: float) -> str:
    """One line of plain text for an event.

    Parameters
    ----------
    event : Event
        An entry of a run's event log.
    names : Mapping[str, str] or None
        Display name per node id; a node without one (or ``names=None``) shows its id.
    tick_seconds : float
        Length of a tick in seconds, to show the ticks an event names as exercise clock
        times (``T+h:mm``).

    Returns
    -------
    str
        The event as a sentence, e.g. ``"Quay Substation down: DAMAGED by an attack"``; a
        node_down or node_reasons event without a cause lists its reasons.
    """
    node = (names or {}).get(event.node, event.node) if event.node else ""
    seen = _Seen(event, node or "", lambda tick: format_clock(tick * tick_seconds), names or {})
    return KINDS[event.kind].render(seen)
