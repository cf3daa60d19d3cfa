"""The agenda: every event a run has scheduled for a later tick, in one heap.

Attack actions, MSEL injects, mutual aid (scheduled activations and arrivals), the
detection of an intrusion (the tick its tasks become known) and the end of the run are
entered when they become known (SimPy's event queue, kept by ticks). The model pops the
entries due at the start of each tick; skipping quiet ticks jumps to :meth:`Agenda.peek`.
An entry that lost its point (a scheduled activation after a triggered one) only costs a
tick that is stepped instead of skipped, which gives the same result.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable

__all__ = ["Due", "Entry", "Agenda"]


class Due(StrEnum):
    """What an agenda entry is."""

    ACTION = "action"              # payload: the attacker's action
    INJECT = "inject"              # payload: the MSEL inject
    AID_SCHEDULED = "aid_scheduled"  # payload: the team whose mutual aid activates at a set time
    AID_ARRIVAL = "aid_arrival"    # payload: the team whose mutual aid arrives
    DETECTION = "detection"        # payload: the task that becomes known
    END = "end"                    # the tick after the last


@dataclass(frozen=True, order=True)
class Entry:
    """One scheduled event; entries order by tick, then by order of scheduling.

    Attributes
    ----------
    tick : int
        The tick it is due.
    seq : int
        Order of scheduling, for ties.
    kind : Due
        What it is.
    payload : Any
        The object it concerns (see :class:`Due`).
    """

    tick: int
    seq: int                                        # order of scheduling, for ties
    kind: Due = field(compare=False)
    payload: Any = field(compare=False, default=None)


class Agenda:
    """A heap of :class:`Entry`, earliest tick first, ties in the order scheduled."""

    def __init__(self) -> None:
        self._heap: list[Entry] = []
        self._seq = itertools.count()

    def schedule(self, tick: int, kind: Due, payload: Any = None) -> Entry:
        """Enter ``payload`` as a ``kind`` event at ``tick``.

        Parameters
        ----------
        tick : int
            The tick the event is due.
        kind : Due
            What it is.
        payload : Any
            The object it concerns (an action, inject, team name, task).

        Returns
        -------
        Entry
            The entry.
        """
        entry = Entry(tick, next(self._seq), kind, payload)
        heapq.heappush(self._heap, entry)
        return entry

    def peek(self) -> int | None:
        """The tick of the earliest entry, or None when the agenda is empty."""
        return self._heap[0].tick if self._heap else None

    def pop_due(self, tick: int) -> list[Entry]:
        """Remove and return the entries due at or before ``tick``.

        Parameters
        ----------
        tick : int
            The current tick.

        Returns
        -------
        list[Entry]
            The entries, earliest first, ties in the order scheduled.
        """
        out = []
        while self._heap and self._heap[0].tick <= tick:
            out.append(heapq.heappop(self._heap))
        return out

    def first(self, match: Callable[[Entry], bool]) -> int | None:
        """The earliest tick of an entry that ``match`` accepts.

        Parameters
        ----------
        match : Callable[[Entry], bool]
            A test of an entry.

        Returns
        -------
        int or None
            The tick, or None when no entry matches.
        """
        return min((e.tick for e in self._heap if match(e)), default=None)
