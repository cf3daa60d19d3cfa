"""Incidents: the work a node needs before it is back, as ordered tasks for responders.

A landed attack opens an incident on each node it hits. Its tasks follow the order of
on-scene operations: police clear the scene, fire/EMS make a blast scene safe, then crews
repair or cyber teams contain and remediate. A task is ready when the one before it is done.

A task's duration is work for one unit; several units on site share it (each working tick
of each unit takes one tick of work off), which is how mutual-aid crews shorten a big job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

__all__ = ["TeamKind", "UnitStatus", "Work", "WORK_TEAM", "Task", "TaskBoard"]


class TeamKind(StrEnum):
    """The kinds of responder team (a scenario's ``responders.<team>.kind``)."""

    POLICE = "police"
    FIRE = "fire"
    REPAIR = "repair"
    CYBER = "cyber"


class UnitStatus(StrEnum):
    """Where a unit is in its cycle; the values are the words events and pages show."""

    INACTIVE = "inactive"          # mutual aid not yet arrived
    IDLE = "idle"
    TRAVELLING = "travelling"
    WORKING = "working"
    OUT = "out of service"         # struck by a secondary device


class Work(StrEnum):
    """The kinds of task an incident holds, in on-scene order."""

    CLEAR = "clear"            # police clear the scene (clears SHUT)
    MAKE_SAFE = "make_safe"    # fire/EMS make a blast scene safe
    REPAIR = "repair"          # a crew of the node's sector repairs it (clears DAMAGED)
    CONTAIN = "contain"        # cyber responders stop an intrusion spreading
    REMEDIATE = "remediate"    # cyber responders clean the control system (clears COMPROMISED)
    SWITCH = "switch"          # a crew of the tie's sector closes a normally-open tie (restores load through it)


# which kind of team does each kind of work
WORK_TEAM = {Work.CLEAR: TeamKind.POLICE, Work.MAKE_SAFE: TeamKind.FIRE, Work.REPAIR: TeamKind.REPAIR,
             Work.CONTAIN: TeamKind.CYBER, Work.REMEDIATE: TeamKind.CYBER, Work.SWITCH: TeamKind.REPAIR}


@dataclass(eq=False)
class Task:
    """One piece of work a node needs, for one kind of team.

    Attributes
    ----------
    seq : int
        Its position on the task board (order opened).
    node : int
        The node's index.
    work : Work
        What is to be done.
    duration : int
        Ticks of work on site for one unit.
    opened : int
        Tick the incident opened.
    available : int
        Tick the defenders know of it (later for undetected intrusions).
    sector : int
        The node's sector code (repair crews have sector skills).
    before : Task or None
        The task that must be done first.
    crew : list[Responder]
        The units assigned, first assigned first.
    done : bool
        Whether it is finished.
    tie : int or None
        For a switch task, the tie's index among the network's normally-open ties.
    line : int or None
        For a task on a branch of a ``physics: dc`` grid (a switch that recloses it after a
        trip, a repair after an attack), the branch's index over the run's grids.
    remote : bool
        Done by operators from the control room: no unit is dispatched to it.
    work_left : int
        Ticks of unit work still to do (at least 1 when opened).
    """

    seq: int
    node: int
    work: Work
    duration: int             # ticks of work on site for one unit
    opened: int               # tick the incident opened
    available: int            # tick the defenders know of it (later for undetected intrusions)
    sector: int               # the node's sector (repair crews have sector skills)
    before: "Task | None" = None
    crew: list = field(default_factory=list)  # the Responders assigned
    done: bool = False
    tie: int | None = None
    remote: bool = False
    line: int | None = None
    work_left: int = field(init=False)

    def __post_init__(self) -> None:
        """Start with the whole duration (at least one tick) left."""
        self.work_left = max(1, self.duration)

    @property
    def team(self):
        """The first unit assigned, or None."""
        return self.crew[0] if self.crew else None

    @property
    def team_kind(self) -> TeamKind:
        """The kind of team that does this work."""
        return WORK_TEAM[self.work]

    @property
    def ready(self) -> bool:
        """Not done, and the task before it (if any) is done."""
        return not self.done and (self.before is None or self.before.done)

    def waiting(self, tick: int) -> bool:
        """Whether the task is ready, known at ``tick`` and has no unit.

        Parameters
        ----------
        tick : int
            The current tick.

        Returns
        -------
        bool
            True when a unit may be dispatched to it (never for a remote task).
        """
        return self.ready and self.team is None and self.available <= tick and not self.remote


@dataclass
class TaskBoard:
    """Every task opened in a run, in the order opened."""

    tasks: list[Task] = field(default_factory=list)

    def add(self, node: int, work: Work, duration: int, opened: int, available: int, sector: int,
            before: Task | None, tie: int | None = None, remote: bool = False, line: int | None = None) -> Task:
        """Open a task at the end of the board.

        Parameters
        ----------
        node : int
            The node's index.
        work : Work
            What is to be done.
        duration : int
            Ticks of work on site for one unit.
        opened : int
            Tick the incident opened.
        available : int
            Tick the defenders know of it.
        sector : int
            The node's sector code.
        before : Task or None
            The task that must be done first.
        tie : int, optional
            For a switch task, the tie's index.
        remote : bool
            Done by operators, without a unit.
        line : int, optional
            For a task on a branch (reclosing, repair), its index.

        Returns
        -------
        Task
            The new task.
        """
        task = Task(len(self.tasks), node, work, duration, opened, available, sector, before, tie=tie, remote=remote, line=line)
        self.tasks.append(task)
        return task

    def open_tasks(self) -> list[Task]:
        """The tasks not yet done, in the order opened."""
        return [t for t in self.tasks if not t.done]

    def waiting(self, tick: int) -> list[Task]:
        """Ready, known tasks that no team has taken.

        Parameters
        ----------
        tick : int
            The current tick.

        Returns
        -------
        list[Task]
            The waiting tasks, in the order opened.
        """
        return [t for t in self.tasks if t.waiting(tick)]

    def pending(self, node: int, work: Work) -> Task | None:
        """The latest task of ``work`` at ``node`` not yet done (not counting a branch's).

        Parameters
        ----------
        node : int
            The node's index.
        work : Work
            The kind of work.

        Returns
        -------
        Task or None
            The most recently opened such task, or None when there is none.
        """
        return next((t for t in reversed(self.tasks)
                     if t.node == node and t.work == work and not t.done and t.line is None), None)
