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
    xy: np.ndarray              # (N, 2) km; NaN for an unplaced node
    placed: np.ndarray          # bool per node: its position is known
    placed_rows: np.ndarray     # the placed nodes' indices, ascending
    population: np.ndarray      # people served
    hardening: np.ndarray       # 0..1
    link_rows: np.ndarray       # same-sector links, both directions, sorted by row
    link_cols: np.ndarray
    supply: Any                 # (groups, N) sparse matrix: 1 where a node supplies a group

    @property
    def n(self) -> int:
        """Number of nodes."""


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
    scripted_outcomes: bool


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
    line_index: dict[str, int]   # branches of physics: dc grids by id → their index (targets)

    def tick_of(self, seconds: float) -> int:
        """The tick at which a time after T+0 falls.

        Parameters
        ----------
        seconds : float
            Time after T+0, s.

        Returns
        -------
        int
            The first tick starting at or after it.
        """

    def log(self, kind: EventKind, node: int | None = None, team: str | None = None, **detail: Any) -> None:
        """Append an event at the current tick.

        Parameters
        ----------
        kind : EventKind
            What the event records.
        node : int, optional
            The node's index, written as its id.
        team : str, optional
            The unit's label.
        **detail
            Further fields of the event (JSON-serialisable).
        """

    def count_attack(self, outcome: str) -> None:
        """Count one attack attempt.

        Parameters
        ----------
        outcome : str
            ``"interdicted"``, ``"failed"`` or ``"landed"``.
        """

    def police_near(self, node: int) -> int:
        """Active police units within the policies' ``police_radius_km`` of a node.

        Parameters
        ----------
        node : int
            The node's index.

        Returns
        -------
        int
            The number of police units, neither inactive nor out of service.
        """

    def responders_at(self, node: int) -> Sequence[Labelled]:
        """Units working at a node now.

        Parameters
        ----------
        node : int
            The node's index.

        Returns
        -------
        Sequence[Labelled]
            The units on site and working.
        """

    def population_lost_if_down(self, node: int) -> float:
        """Population that losing a node now would take down.

        Parameters
        ----------
        node : int
            The node's index.

        Returns
        -------
        float
            People served now and not served with ``node`` also damaged.
        """

    def restoration_values(self, nodes: list[int]) -> dict[int, float]:
        """Population that depends on each node in the restored network.

        Parameters
        ----------
        nodes : list[int]
            Node indices.

        Returns
        -------
        dict[int, float]
            People by node index.
        """

    def travel_factor(self) -> float:
        """Speed factor from the transport sector's service level (1 without one)."""

    def complete(self, task: Task, unit: Labelled | None) -> None:
        """Record that ``unit`` finished ``task``: clear the bit the work clears.

        Parameters
        ----------
        task : Task
            The finished task.
        unit : Labelled or None
            The unit that finished it; None for operators switching remotely.
        """

    def hit(self, node: int, effect: str, scene: bool = False, blast: bool = False,
            cordon: Task | None = None, direct: bool = True) -> Task | None:
        """Damage or shut a node and open its incident.

        Parameters
        ----------
        node : int
            The node's index.
        effect : str
            ``"damage"`` (DAMAGED) or ``"shut"`` (SHUT).
        scene : bool
            The node is a scene police must clear (sets SHUT too).
        blast : bool
            The scene needs fire/EMS to make it safe.
        cordon : Task, optional
            A task the node's work must wait for (a blast zone's).
        direct : bool
            An attack hit the node (False: outage damage from the cascade).

        Returns
        -------
        Task or None
            The node's last task before repair, for blast neighbours to wait on.
        """

    def compromise(self, node: int, spread_p: float, dwell_h: float) -> None:
        """Take over a node's control system (COMPROMISED).

        Parameters
        ----------
        node : int
            The node's index.
        spread_p : float
            Probability 0..1 per tick of spreading to each control dependent.
        dwell_h : float
            Hours until defenders learn of it.
        """

    def strike_responders(self, node: int, hours: float) -> None:
        """Put every unit working at a node out of service.

        Parameters
        ----------
        node : int
            The node's index.
        hours : float
            Time out of service, h.
        """

    def line_node(self, line: int) -> int:
        """The node at a branch's ``a`` end, where its events and repair are.

        Parameters
        ----------
        line : int
            The branch's index (``line_index``).

        Returns
        -------
        int
            The node's index.
        """

    def police_near_line(self, line: int) -> int:
        """Active police units within ``police_radius_km`` of a branch's midpoint.

        Parameters
        ----------
        line : int
            The branch's index.

        Returns
        -------
        int
            The number of police units.
        """

    def hit_line(self, line: int) -> None:
        """Take a branch out until a crew repairs it; flows redistribute this tick.

        Parameters
        ----------
        line : int
            The branch's index.
        """

    def nodes_near_line(self, line: int, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Nodes within a radius of a branch's midpoint (unplaced nodes never are).

        Parameters
        ----------
        line : int
            The branch's index.
        radius_km : float
            Radius, km.

        Returns
        -------
        tuple[numpy.ndarray, numpy.ndarray]
            Their indices, ascending, and their distances, km.
        """

    def nodes_within(self, node: int, radius_km: float) -> tuple[np.ndarray, np.ndarray]:
        """Other nodes within a radius of a node (unplaced nodes never are).

        Parameters
        ----------
        node : int
            The centre node's index.
        radius_km : float
            Radius, km.

        Returns
        -------
        tuple[numpy.ndarray, numpy.ndarray]
            Their indices, ascending, and their distances, km.
        """
