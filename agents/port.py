"""What the agents see of the model that runs them: the port they plug into.

Agents import only libraries and each other; they reach the engine through :class:`World`,
a structural type (``typing.Protocol``) that the engine's model satisfies without naming it.
Changing what agents may touch means changing this one file.
"""

from __future__ import annotations

from typing import Any, Protocol, Sequence, runtime_checkable

import numpy as np

from agents.events import EventKind
from agents.incidents import Task, TaskBoard

__all__ = ["NetworkArrays", "NodeStates", "PolicyParams", "Labelled", "World"]


class NetworkArrays(Protocol):
    """The static network, as arrays indexed by node (coordinates in km)."""

    ids: list[str]
    index: dict[str, int]
    sector: np.ndarray          # sector code per node
    sector_names: list[str]
    kind: list[str]
    xy: np.ndarray              # (N, 2) km
    population: np.ndarray      # people served
    hardening: np.ndarray       # 0..1
    link_rows: np.ndarray       # same-sector links, both directions, sorted by row
    link_cols: np.ndarray
    supply: Any                 # (groups, N) sparse matrix: 1 where a node supplies a group

    @property
    def n(self) -> int: ...


class NodeStates(Protocol):
    """Node state now: the down-reason bitmask per node (0 = operational)."""

    down: np.ndarray


class PolicyParams(Protocol):
    """The scenario policies agents read: interdiction (EASI), contest and crew sizes."""

    detection_base: float
    detection_gain: float
    response_base: float
    police_scale: float
    decisiveness: float
    max_crew: int
    reinforce: Sequence[str]


class Labelled(Protocol):
    """A unit, as far as the model's bookkeeping needs: its label."""

    label: str


@runtime_checkable
class World(Protocol):
    """The model as agents use it: the clock, the network and its state, the incident
    board, the event log, and the effects a landed attack or finished task has."""

    tick: int
    tick_seconds: float
    network: NetworkArrays
    state: NodeStates
    policies: PolicyParams
    information_sharing: float
    board: TaskBoard

    def tick_of(self, seconds: float) -> int:
        """The tick at which ``seconds`` after T+0 falls."""

    def log(self, kind: EventKind, node: int | None = None, team: str | None = None, **detail: Any) -> None:
        """Append an event at the current tick."""

    def count_attack(self, outcome: str) -> None:
        """Count one attempt with ``outcome`` (interdicted, failed, landed)."""

    def police_near(self, node: int) -> int:
        """Active police units within the policies' radius of ``node``."""

    def responders_at(self, node: int) -> Sequence[Labelled]:
        """Units working at ``node`` now."""

    def population_lost_if_down(self, node: int) -> float:
        """Population that losing ``node`` now would take down."""

    def restoration_values(self, nodes: list[int]) -> dict[int, float]:
        """Population that depends on each of ``nodes`` in the restored network."""

    def travel_factor(self) -> float:
        """Speed factor from the transport sector's service level (1 without one)."""

    def complete(self, task: Task, unit: Labelled) -> None:
        """``unit`` finished ``task``: clear the bit the work clears."""

    def hit(self, node: int, effect: str, scene: bool = False, blast: bool = False,
            cordon: Task | None = None, direct: bool = True) -> Task | None:
        """Damage or shut ``node`` and open its incident; return its last task before repair."""

    def compromise(self, node: int, spread_p: float, dwell_h: float) -> None:
        """Take over ``node``'s control system; defenders learn of it after ``dwell_h`` hours."""

    def strike_responders(self, node: int, hours: float) -> None:
        """Put every unit working at ``node`` out of service for ``hours``."""

    def nodes_within(self, node: int, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Other nodes within ``radius_km`` of ``node`` and their distances (km)."""
