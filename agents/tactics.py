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

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, ClassVar, TypeVar

import numpy as np

if TYPE_CHECKING:
    from agents.port import World

__all__ = ["Range", "Tactic", "TACTICS", "tactic", "make_tactic", "p_success",
           "VBIED", "ActiveShooter", "Drone", "Cyber", "Insider", "SecondaryDevice", "Sabotage"]


def p_success(tactic: "Tactic", hardening: float, decisiveness: float = 1.0) -> float:
    """Probability that an attempt that was not interdicted lands: the contest success function.

    Parameters
    ----------
    tactic : Tactic
        The tactic; its ``strength`` (A) and ``bypass`` are read.
    hardening : float
        The target's hardening, fraction 0..1.
    decisiveness : float
        The exponent m (dimensionless, > 0); 1 by default.

    Returns
    -------
    float
        The probability, 0..1, that the attempt lands; 0 when the effective hardening is 1.

    Notes
    -----
    Tullock's (1980) contest in Skaperdas's (1996) ratio form::

        P_land = A^m / (A^m + D^m),   D = h / (1 − h),   h = hardening · (1 − bypass)

    References
    ----------
    G. Tullock, "Efficient rent seeking", in *Toward a Theory of the Rent-Seeking Society*, 1980.
    S. Skaperdas, "Contest success functions", *Economic Theory* 7, 283–290, 1996.
    """
    h = hardening * (1.0 - tactic.bypass)
    if h >= 1.0:
        return 0.0
    defence = h / (1.0 - h)
    attack = tactic.strength ** decisiveness
    return attack / (attack + defence ** decisiveness)


@dataclass(frozen=True)
class Range:
    """The values a tactic parameter may take: finite, from ``low`` to ``high``.

    Parameters
    ----------
    low, high : float
        The bounds, in the parameter's unit; ``high`` may be infinite (no upper bound).
    open_low : bool
        ``low`` itself is excluded (e.g. a strength must be above 0).

    Examples
    --------
    >>> 0.5 in PROBABILITY, 1.5 in PROBABILITY, 0.0 in POSITIVE, str(NON_NEGATIVE)
    (True, False, False, '≥ 0')
    """

    low: float
    high: float = math.inf
    open_low: bool = False

    def __contains__(self, value: float) -> bool:
        return math.isfinite(value) and (value > self.low if self.open_low else value >= self.low) and value <= self.high

    def __str__(self) -> str:
        if math.isfinite(self.high):
            return f"{self.low:g}..{self.high:g}"
        return f"{'>' if self.open_low else '≥'} {self.low:g}"


PROBABILITY, NON_NEGATIVE, POSITIVE = Range(0.0, 1.0), Range(0.0), Range(0.0, open_low=True)


@dataclass(frozen=True)
class Tactic:
    """An attack tactic: its parameters, its chance of landing and its effect (a base class).

    Parameters
    ----------
    strength : float, default 1.0
        Attacker effort A in the contest success function (dimensionless, > 0).
    bypass : float, default 0.0
        Fraction 0..1 of the target's hardening the tactic ignores (0 none, 1 all).
    detectability : float, default 1.0
        Multiplier (dimensionless) of the probability of detection P_D.

    Attributes
    ----------
    name : str
        The tactic's key in :data:`TACTICS` and in scenario files (a class variable).
    on_lines : bool
        The tactic can target a branch of a ``physics: dc`` grid (a class variable; a
        control system or a scene is a node's).

    Notes
    -----
    An attempt is first interdicted with probability ``P_I = P_D · P_R`` (EASI, Garcia 2007;
    :func:`agents.attackers.p_interdiction`), where
    ``P_D = min(1, detectability · (detection_base + detection_gain · information_sharing))``;
    otherwise it lands with :meth:`p_land`, by default the contest of :func:`p_success`
    (Tullock 1980; Skaperdas 1996)::

        P_land = A^m / (A^m + D^m),   D = h / (1 − h),   h = hardening · (1 − bypass)
    """

    strength: float = 1.0
    bypass: float = 0.0
    detectability: float = 1.0

    name: ClassVar[str] = "tactic"
    on_lines: ClassVar[bool] = True
    # the range of each parameter; a subclass adds those of the parameters it adds
    ranges: ClassVar[dict[str, Range]] = {"strength": POSITIVE, "bypass": PROBABILITY, "detectability": NON_NEGATIVE}

    @classmethod
    def parameter_names(cls) -> list[str]:
        """The names of the tactic's parameters (the keys a scenario may override)."""
        return [f.name for f in fields(cls)]

    @classmethod
    def parameter_ranges(cls) -> dict[str, Range]:
        """Every parameter's range, the subclasses' over the base's."""
        merged: dict[str, Range] = {}
        for klass in reversed(cls.__mro__):
            merged.update(vars(klass).get("ranges", {}))
        return merged

    @classmethod
    def problems(cls, params: Mapping[str, float]) -> list[tuple[str, str]]:
        """What is wrong with overrides of the tactic's parameters.

        Parameters
        ----------
        params : Mapping[str, float]
            Values by parameter name, as a scenario writes them.

        Returns
        -------
        list of (str, str)
            (parameter, message) for each unknown name and each value out of its range.
        """
        ranges, out = cls.parameter_ranges(), []
        for key, value in params.items():
            if key not in ranges:
                out.append((key, f"{cls.name} has no parameter '{key}' (has: {', '.join(cls.parameter_names())})"))
            elif value not in ranges[key]:
                out.append((key, f"{value:g} is out of range: {cls.name}.{key} is {ranges[key]}"))
        return out

    def with_params(self, params: dict[str, float]) -> "Tactic":
        """A copy with some parameters replaced.

        Parameters
        ----------
        params : dict[str, float]
            New values by parameter name (each in that parameter's unit).

        Returns
        -------
        Tactic
            The same tactic with ``params`` applied.
        """
        return replace(self, **params)

    def p_land_line(self, world: "World", line: int) -> float:
        """Probability that an attempt on a branch (``physics: dc``) that was not interdicted
        lands: a line has no hardening, so the contest against none.

        Parameters
        ----------
        world : World
            The model; the policies' decisiveness is read.
        line : int
            The branch's index.

        Returns
        -------
        float
            :func:`p_success` at hardening 0 (1 for any strength above 0).
        """
        return p_success(self, 0.0, world.policies.decisiveness)

    def apply_line(self, world: "World", line: int, rng: np.random.Generator) -> None:
        """Do what landing on a branch does: by default, take it out until repaired.

        Parameters
        ----------
        world : World
            The model (:meth:`agents.port.World.hit_line`).
        line : int
            The branch's index.
        rng : numpy.random.Generator
            The effects stream, for the tactic's own draws.
        """
        world.hit_line(line)

    def p_land(self, world: "World", node: int) -> float:
        """Probability that an attempt on ``node`` that was not interdicted lands.

        Parameters
        ----------
        world : World
            The model; the node's hardening and the policies' decisiveness are read.
        node : int
            The target's node index.

        Returns
        -------
        float
            The contest against the node's hardening (:func:`p_success`), 0..1.
        """
        return p_success(self, float(world.network.hardening[node]), world.policies.decisiveness)

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        """Do what landing on ``node`` does (the effects phase): by default, damage it.

        Parameters
        ----------
        world : World
            The model, whose effects (:meth:`agents.port.World.hit` and the like) are called.
        node : int
            The target's node index.
        rng : numpy.random.Generator
            The effects stream, for the tactic's own draws.
        """
        world.hit(node, "damage")


TACTICS: dict[str, Tactic] = {}
T = TypeVar("T", bound=type[Tactic])


def tactic(cls: T) -> T:
    """Class decorator: enter a tactic, with its default parameters, in :data:`TACTICS`.

    Parameters
    ----------
    cls : type[Tactic]
        The tactic class; an instance with its defaults is stored under ``cls.name``.

    Returns
    -------
    type[Tactic]
        ``cls`` itself.
    """
    TACTICS[cls.name] = cls()
    return cls


def make_tactic(name: str, *overrides: dict[str, float]) -> Tactic:
    """The tactic ``name`` with each mapping of ``overrides`` applied in turn.

    Parameters
    ----------
    name : str
        A key of :data:`TACTICS`.
    *overrides : dict[str, float]
        Parameter values by name, later mappings winning (scenario-wide, then per action).

    Returns
    -------
    Tactic
        The tactic with its defaults overridden.
    """
    out = TACTICS[name]
    for params in overrides:
        out = out.with_params(params)
    return out


@tactic
@dataclass(frozen=True)
class VBIED(Tactic):
    """Vehicle-borne IED: damages the target and nodes in the blast radius.

    The target is DAMAGED and SHUT as a scene: police must clear it and fire/EMS make it safe
    before repair; repairs anywhere in the blast zone wait for that. Every other node within
    ``radius_km`` is damaged with a probability falling linearly with its distance d (km),
    one draw per node in index order.

    Parameters
    ----------
    strength : float, default 2.0
        Attacker effort A (dimensionless).
    bypass : float, default 0.0
        Fraction 0..1 of the target's hardening ignored.
    detectability : float, default 1.2
        Multiplier of P_D (dimensionless).
    radius_km : float, default 0.3
        Blast radius, km.
    blast_p0 : float, default 0.9
        Probability 0..1 of damage to a node at distance 0.

    Notes
    -----
    Lands with the contest (Tullock 1980; Skaperdas 1996)
    ``P_land = 2^m / (2^m + D^m)``, ``D = h / (1 − h)``; a node at distance d is then
    damaged with ``p = blast_p0 · (1 − d / radius_km)``.
    """

    strength: float = 2.0
    detectability: float = 1.2
    radius_km: float = 0.3
    blast_p0: float = 0.9
    name: ClassVar[str] = "vbied"
    ranges: ClassVar[dict[str, Range]] = {"radius_km": NON_NEGATIVE, "blast_p0": PROBABILITY}

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        """Damage and close the target as a blast scene; damage nodes in the blast radius.

        Parameters
        ----------
        world, node, rng
            As in :meth:`Tactic.apply`.
        """
        cordon = world.hit(node, "damage", scene=True, blast=True)
        near, dist = world.nodes_within(node, self.radius_km)
        if len(near):
            p = self.blast_p0 * (1.0 - dist / self.radius_km)
            for other in near[rng.random(len(near)) < p]:
                world.hit(int(other), "damage", cordon=cordon)

    def apply_line(self, world: "World", line: int, rng: np.random.Generator) -> None:
        """Take the branch out; damage nodes within the blast radius of its midpoint.

        Parameters
        ----------
        world, line, rng
            As in :meth:`Tactic.apply_line`.
        """
        world.hit_line(line)
        near, dist = world.nodes_near_line(line, self.radius_km)
        if len(near) and self.radius_km > 0:
            p = self.blast_p0 * (1.0 - dist / self.radius_km)
            for other in near[rng.random(len(near)) < p]:
                world.hit(int(other), "damage")


@tactic
@dataclass(frozen=True)
class ActiveShooter(Tactic):
    """Active shooter: no physical damage; the facility is SHUT as a scene.

    It stays SHUT until police neutralise the attacker and clear the scene (time: the
    scenario's ``response.police_clear``).

    Parameters
    ----------
    strength : float, default 1.5
        Attacker effort A (dimensionless).
    bypass : float, default 0.0
        Fraction 0..1 of the target's hardening ignored.
    detectability : float, default 1.0
        Multiplier of P_D (dimensionless).

    Notes
    -----
    Lands with the contest (Tullock 1980; Skaperdas 1996)
    ``P_land = 1.5^m / (1.5^m + D^m)``, ``D = h / (1 − h)``.
    """

    strength: float = 1.5
    name: ClassVar[str] = "active_shooter"
    on_lines: ClassVar[bool] = False

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        """Close the target as a scene (SHUT) until police clear it.

        Parameters
        ----------
        world, node, rng
            As in :meth:`Tactic.apply`.
        """
        world.hit(node, "shut", scene=True)


@tactic
@dataclass(frozen=True)
class Drone(Tactic):
    """Armed drone / UAS: damages the target; flies over perimeter hardening.

    Parameters
    ----------
    strength : float, default 1.0
        Attacker effort A (dimensionless).
    bypass : float, default 0.5
        Fraction 0..1 of the target's hardening ignored.
    detectability : float, default 0.6
        Multiplier of P_D (dimensionless).

    Notes
    -----
    Lands with the contest (Tullock 1980; Skaperdas 1996) ``P_land = 1 / (1 + D^m)``,
    ``D = h / (1 − h)``, ``h = hardening · (1 − bypass)``: half the hardening by default.
    """

    bypass: float = 0.5
    detectability: float = 0.6
    name: ClassVar[str] = "drone"


@tactic
@dataclass(frozen=True)
class Cyber(Tactic):
    """Cyber intrusion: the target's control system is COMPROMISED, and the intrusion spreads.

    Each tick, until cyber responders contain it, it spreads along control (cyber)
    dependencies to the nodes that depend on a compromised node. Defenders notice it only
    after ``dwell_h`` hours (its containment and remediation tasks open then).

    Parameters
    ----------
    strength : float, default 1.0
        Attacker effort A (dimensionless).
    bypass : float, default 0.0
        Fraction 0..1 of the target's hardening ignored.
    detectability : float, default 0.5
        Multiplier of P_D (dimensionless).
    spread_p : float, default 0.05
        Probability 0..1, per tick and per compromised supplier, of spreading to a dependent.
    dwell_h : float, default 2.0
        Hours between the intrusion and the defenders learning of it.

    Notes
    -----
    Lands with the contest (Tullock 1980; Skaperdas 1996) ``P_land = 1 / (1 + D^m)``,
    ``D = h / (1 − h)``. A dependency group with compromised suppliers is reached each tick
    with ``p = min(1, Σ spread_p)`` over them (:meth:`sim.effects.Effects.spread_intrusions`).
    """

    detectability: float = 0.5
    spread_p: float = 0.05
    dwell_h: float = 2.0
    name: ClassVar[str] = "cyber"
    on_lines: ClassVar[bool] = False
    ranges: ClassVar[dict[str, Range]] = {"spread_p": PROBABILITY, "dwell_h": NON_NEGATIVE}

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        """Compromise the target's control system; detection comes ``dwell_h`` hours later.

        Parameters
        ----------
        world, node, rng
            As in :meth:`Tactic.apply`.
        """
        world.compromise(node, self.spread_p, self.dwell_h)


@tactic
@dataclass(frozen=True)
class Insider(Tactic):
    """Insider sabotage: damages the target and bypasses its hardening entirely.

    Parameters
    ----------
    strength : float, default 1.0
        Attacker effort A (dimensionless).
    bypass : float, default 1.0
        Fraction 0..1 of the target's hardening ignored.
    detectability : float, default 0.3
        Multiplier of P_D (dimensionless).

    Notes
    -----
    With ``bypass = 1`` the contest (Tullock 1980; Skaperdas 1996) has ``h = 0``, ``D = 0``
    and ``P_land = A^m / (A^m + 0) = 1``: only interdiction stops an insider.
    """

    bypass: float = 1.0
    detectability: float = 0.3
    name: ClassVar[str] = "insider"


@tactic
@dataclass(frozen=True)
class SecondaryDevice(Tactic):
    """Secondary device timed against responders at a scene.

    Every unit working at the target node is out of service for ``out_of_service_h``
    hours, and the node is SHUT as a new scene.

    Parameters
    ----------
    strength : float, default 1.0
        Attacker effort A (dimensionless).
    bypass : float, default 1.0
        Fraction 0..1 of the target's hardening ignored (an open scene has none).
    detectability : float, default 0.8
        Multiplier of P_D (dimensionless).
    out_of_service_h : float, default 12.0
        Hours the struck units are out of service.

    Notes
    -----
    ``P_land`` is the contest (Tullock 1980; Skaperdas 1996) where responders are on site,
    1 with the default ``bypass = 1``, and 0 at a scene with no one working.
    """

    bypass: float = 1.0
    detectability: float = 0.8
    out_of_service_h: float = 12.0
    name: ClassVar[str] = "secondary_device"
    on_lines: ClassVar[bool] = False
    ranges: ClassVar[dict[str, Range]] = {"out_of_service_h": NON_NEGATIVE}

    def p_land(self, world: "World", node: int) -> float:
        """The contest, but only where responders are on site (0 at an empty scene).

        Parameters
        ----------
        world : World
            The model; the units at ``node`` and its hardening are read.
        node : int
            The target's node index.

        Returns
        -------
        float
            :meth:`Tactic.p_land` if some unit works at ``node``, else 0.
        """
        return super().p_land(world, node) if world.responders_at(node) else 0.0

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        """Put the units working at the target out of service and close it as a scene.

        Parameters
        ----------
        world, node, rng
            As in :meth:`Tactic.apply`.
        """
        world.strike_responders(node, self.out_of_service_h)
        world.hit(node, "shut", scene=True)


@tactic
@dataclass(frozen=True)
class Sabotage(Tactic):
    """Sabotage from within: damages the target and, by chance, the nodes it links to.

    The target is DAMAGED, its hardening bypassed like an insider's; each node it links to
    directly (same-sector links: a tampered feeder trips the substations on it, a
    contaminated main the pipes beyond) is damaged with probability ``reach_p``, one draw
    per neighbour in node order.

    Parameters
    ----------
    strength : float, default 1.0
        Attacker effort A (dimensionless).
    bypass : float, default 1.0
        Fraction 0..1 of the target's hardening ignored.
    detectability : float, default 0.3
        Multiplier of P_D (dimensionless).
    reach_p : float, default 0.5
        Probability 0..1 that each directly linked node is damaged too.

    Notes
    -----
    With ``bypass = 1`` the contest (Tullock 1980; Skaperdas 1996) gives ``P_land = 1``.
    """

    bypass: float = 1.0
    detectability: float = 0.3
    reach_p: float = 0.5
    name: ClassVar[str] = "sabotage"
    ranges: ClassVar[dict[str, Range]] = {"reach_p": PROBABILITY}

    def apply(self, world: "World", node: int, rng: np.random.Generator) -> None:
        """Damage the target and, each with probability ``reach_p``, the nodes it links to.

        Parameters
        ----------
        world, node, rng
            As in :meth:`Tactic.apply`.
        """
        super().apply(world, node, rng)
        net = world.network
        lo, hi = np.searchsorted(net.link_rows, [node, node + 1])
        linked = net.link_cols[lo:hi]
        for other in linked[rng.random(len(linked)) < self.reach_p]:
            world.hit(int(other), "damage")
