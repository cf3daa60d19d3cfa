"""Incidents: the work a node needs before it is back, as ordered tasks for responders.

A landed attack opens an incident on each node it hits. Its tasks follow the order of
on-scene operations: police clear the scene, fire/EMS make a blast scene safe, then crews
repair or cyber teams contain and remediate. A task is ready when the one before it is done.

A task's duration is work for one unit; several units on site share it (each working tick
of each unit takes one tick of work off), which is how mutual-aid crews shorten a big job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# the work of each task: which kind of team does it, and which down bit it clears
WORK_TEAM = {"clear": "police", "make_safe": "fire", "repair": "repair", "contain": "cyber", "remediate": "cyber"}


@dataclass(eq=False)
class Task:
    seq: int
    node: int
    work: str                 # clear | make_safe | repair | contain | remediate
    duration: int             # ticks of work on site for one unit
    opened: int               # tick the incident opened
    available: int            # tick the defenders know of it (later for undetected intrusions)
    sector: int               # the node's sector (repair crews have sector skills)
    before: "Task | None" = None
    crew: list = field(default_factory=list)  # the Responders assigned
    done: bool = False
    work_left: int = field(init=False)

    def __post_init__(self) -> None:
        self.work_left = max(1, self.duration)

    @property
    def team(self):
        """The first unit assigned, or None."""
        return self.crew[0] if self.crew else None

    @property
    def team_kind(self) -> str:
        return WORK_TEAM[self.work]

    @property
    def ready(self) -> bool:
        return not self.done and (self.before is None or self.before.done)

    def waiting(self, tick: int) -> bool:
        return self.ready and self.team is None and self.available <= tick


@dataclass
class TaskBoard:
    """Every task opened in a run, in the order opened."""

    tasks: list[Task] = field(default_factory=list)

    def add(self, node: int, work: str, duration: int, opened: int, available: int, sector: int,
            before: Task | None) -> Task:
        task = Task(len(self.tasks), node, work, duration, opened, available, sector, before)
        self.tasks.append(task)
        return task

    def open_tasks(self) -> list[Task]:
        return [t for t in self.tasks if not t.done]

    def waiting(self, tick: int) -> list[Task]:
        """Ready, known tasks that no team has taken."""
        return [t for t in self.tasks if t.waiting(tick)]

    def pending(self, node: int, work: str) -> Task | None:
        return next((t for t in reversed(self.tasks) if t.node == node and t.work == work and not t.done), None)
