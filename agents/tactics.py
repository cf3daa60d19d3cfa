"""The attack tactic library: one class per tactic, owning its parameters, its chance of
landing and its effect.

Each tactic is a frozen record of parameters with documented defaults; a scenario overrides
them scenario-wide (``tactics:``) or per action (``params:``). ``@tactic`` enters a class in
:data:`TACTICS`, the one list the scenario schema, the checks and the consoles read: adding
a tactic is adding a class here.

A tactic that is not interdicted lands with the contest success function of Tullock
(1980), in the ratio form axiomatised by Skaperdas (*Economic Theory* 7, 1996)::

    P_land = A^m / (A^m + D^m),   D = h / (1 − h),   h = hardening · (1 − bypass)

with ``A`` the tactic's strength and ``m`` the decisiveness; full hardening (h = 1) stops
any tactic that does not bypass it. Interdiction (which uses ``detectability``) lives in
:mod:`agents.attackers`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, ClassVar, TypeVar

import numpy as np

if TYPE_CHECKING:
    from agents.port import World

__all__ = ["Tactic", "TACTICS", "tactic", "make_tactic", "p_success",
           "VBIED", "ActiveShooter", "Drone", "Cyber", "Insider", "SecondaryDevice", "Sabotage"]


def p_success(tactic: "Tactic", hardening: float, decisiveness: float = 1.0) -> float:
    """Contest success function A^m / (A^m + D^m), D = h / (1 − h) (Tullock 1980).

    Parameters
    ----------
    tactic : the tactic (its ``strength`` and ``bypass``).
    hardening : the target's hardening, 0..1.
    decisiveness : the exponent m.

    Returns
    -------
    The probability, 0..1, that the attempt lands.
    """
    h = hardening * (1.0 - tactic.bypass)
    if h >= 1.0:
        return 0.0
    defence = h / (1.0 - h)
    attack = tactic.strength ** decisiveness
    return attack / (attack + defence ** decisiveness)


@dataclass(frozen=True)
class Tactic:
    """Common parameters.

    strength: attacker effort A in the contest success function (Tullock 1980).
    bypass: share of the target's hardening the tactic ignores (0 none, 1 all).
    detectability: multiplies the probability of detection in EASI (Garcia 2007).
    """

    strength: float = 1.0
    bypass: float = 0.0
    detectability: float = 1.0

    name: ClassVar[str] = "tactic"

    @classmethod
    def parameter_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_params(self, params: dict[str, float]) -> "Tactic":
        return replace(self, **params)

    def p_land(self, world: "World", node: int) -> float:
        """Probability that an attempt on ``node`` that was not interdicted lands: the
        contest against the node's hardening."""
        return p_success(self, float(world.network.hardening[node]), world.policies.decisiveness)

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        """What landing on ``node`` does (the effects phase); ``rng`` is the effects stream."""
        raise NotImplementedError(f"{type(self).__name__} defines no effect")


TACTICS: dict[str, Tactic] = {}
T = TypeVar("T", bound=type[Tactic])


def tactic(cls: T) -> T:
    """Class decorator: enter a tactic, with its default parameters, in :data:`TACTICS`."""
    TACTICS[cls.name] = cls()
    return cls


def make_tactic(name: str, *overrides: dict[str, float]) -> Tactic:
    """The tactic ``name`` with each mapping of ``overrides`` applied in turn."""
    out = TACTICS[name]
    for params in overrides:
        out = out.with_params(params)
    return out


@tactic
@dataclass(frozen=True)
class VBIED(Tactic):
    """Vehicle-borne IED: damages the target and, within ``radius_km``, each node with
    probability ``blast_p0 * (1 - d / radius_km)`` (falling linearly with distance d). The
    scene is closed (SHUT) until police clear it and fire/EMS make it safe; repairs anywhere
    in the blast zone wait for that."""

    strength: float = 2.0
    detectability: float = 1.2
    radius_km: float = 0.3
    blast_p0: float = 0.9
    name: ClassVar[str] = "vbied"

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        cordon = world.hit(node, "damage", scene=True, blast=True)
        near, dist = world.nodes_within(node, self.radius_km)
        if len(near):
            p = self.blast_p0 * (1.0 - dist / self.radius_km)
            for other in near[rng.random(len(near)) < p]:
                world.hit(int(other), "damage", cordon=cordon)


@tactic
@dataclass(frozen=True)
class ActiveShooter(Tactic):
    """Active shooter: no physical damage; the facility is SHUT until police neutralise
    the attacker and clear the scene (time: the scenario's ``response.police_clear``)."""

    strength: float = 1.5
    name: ClassVar[str] = "active_shooter"

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        world.hit(node, "shut", scene=True)


@tactic
@dataclass(frozen=True)
class Drone(Tactic):
    """Armed drone / UAS: damages the target; flies over perimeter hardening, bypassing
    ``bypass`` of it."""

    bypass: float = 0.5
    detectability: float = 0.6
    name: ClassVar[str] = "drone"

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        world.hit(node, "damage")


@tactic
@dataclass(frozen=True)
class Cyber(Tactic):
    """Cyber intrusion on a control node: COMPROMISED. Spreads each tick with probability
    ``spread_p`` along every control (cyber) dependency to the nodes that depend on a
    compromised node, until cyber responders contain it. Defenders notice it only after
    ``dwell_h`` hours (the incident opens then)."""

    detectability: float = 0.5
    spread_p: float = 0.05
    dwell_h: float = 2.0
    name: ClassVar[str] = "cyber"

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        world.compromise(node, self.spread_p, self.dwell_h)


@tactic
@dataclass(frozen=True)
class Insider(Tactic):
    """Insider sabotage: damages the target and bypasses its hardening entirely."""

    bypass: float = 1.0
    detectability: float = 0.3
    name: ClassVar[str] = "insider"

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        world.hit(node, "damage")


@tactic
@dataclass(frozen=True)
class SecondaryDevice(Tactic):
    """Secondary device timed against responders at a scene: every team working or
    arriving at the target node is out of service for ``out_of_service_h`` hours. It
    lands if responders are present; hardening does not apply at an open scene."""

    bypass: float = 1.0
    detectability: float = 0.8
    out_of_service_h: float = 12.0
    name: ClassVar[str] = "secondary_device"

    def p_land(self, world: "World", node: int) -> float:
        """The contest, but only where responders are on site (0 at an empty scene)."""
        return super().p_land(world, node) if world.responders_at(node) else 0.0

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        world.strike_responders(node, self.out_of_service_h)
        world.hit(node, "shut", scene=True)


@tactic
@dataclass(frozen=True)
class Sabotage(Tactic):
    """Sabotage from within: damages the target, bypassing its hardening like an insider,
    and with probability ``reach_p`` each node it links to directly (same-sector links:
    a tampered feeder trips the substations on it, a contaminated main the pipes beyond),
    one draw per neighbour in node order."""

    bypass: float = 1.0
    detectability: float = 0.3
    reach_p: float = 0.5
    name: ClassVar[str] = "sabotage"

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        world.hit(node, "damage")
        net = world.network
        lo, hi = np.searchsorted(net.link_rows, [node, node + 1])
        linked = net.link_cols[lo:hi]
        for other in linked[rng.random(len(linked)) < self.reach_p]:
            world.hit(int(other), "damage")
