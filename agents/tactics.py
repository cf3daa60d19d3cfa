"""The attack tactic library: what each tactic does when it lands, and its parameters.

Each tactic is a frozen record of parameters with documented defaults; a scenario overrides
them scenario-wide (``tactics:``) or per action (``params:``). The success and interdiction
formulas that use ``strength``, ``bypass`` and ``detectability`` live in
:mod:`agents.attackers`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace


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

    name = "tactic"

    @classmethod
    def parameter_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_params(self, params: dict[str, float]) -> "Tactic":
        return replace(self, **params)


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
    name = "vbied"


@dataclass(frozen=True)
class ActiveShooter(Tactic):
    """Active shooter: no physical damage; the facility is SHUT until police neutralise
    the attacker and clear the scene (time: the scenario's ``response.police_clear``)."""

    strength: float = 1.5
    name = "active_shooter"


@dataclass(frozen=True)
class Drone(Tactic):
    """Armed drone / UAS: damages the target; flies over perimeter hardening, bypassing
    ``bypass`` of it."""

    bypass: float = 0.5
    detectability: float = 0.6
    name = "drone"


@dataclass(frozen=True)
class Cyber(Tactic):
    """Cyber intrusion on a control node: COMPROMISED. Spreads each tick with probability
    ``spread_p`` along every control (cyber) dependency to the nodes that depend on a
    compromised node, until cyber responders contain it. Defenders notice it only after
    ``dwell_h`` hours (the incident opens then)."""

    detectability: float = 0.5
    spread_p: float = 0.05
    dwell_h: float = 2.0
    name = "cyber"


@dataclass(frozen=True)
class Insider(Tactic):
    """Insider sabotage: damages the target and bypasses its hardening entirely."""

    bypass: float = 1.0
    detectability: float = 0.3
    name = "insider"


@dataclass(frozen=True)
class SecondaryDevice(Tactic):
    """Secondary device timed against responders at a scene: every team working or
    arriving at the target node is out of service for ``out_of_service_h`` hours. It
    lands if responders are present; hardening does not apply at an open scene."""

    bypass: float = 1.0
    detectability: float = 0.8
    out_of_service_h: float = 12.0
    name = "secondary_device"


TACTICS: dict[str, Tactic] = {t.name: t() for t in (VBIED, ActiveShooter, Drone, Cyber, Insider, SecondaryDevice)}


# What each tactic does when it lands (the effects phase). ``model`` is the RippleModel.

def _vbied(t: VBIED, model, node: int, rng) -> None:
    cordon = model.hit(node, "damage", scene=True, blast=True)
    near, dist = model.nodes_within(node, t.radius_km)
    if len(near):
        p = t.blast_p0 * (1.0 - dist / t.radius_km)
        for other in near[rng.random(len(near)) < p]:
            model.hit(int(other), "damage", cordon=cordon)


def _active_shooter(t: ActiveShooter, model, node: int, rng) -> None:
    model.hit(node, "shut", scene=True)


def _damage(t: Tactic, model, node: int, rng) -> None:
    model.hit(node, "damage")


def _cyber(t: Cyber, model, node: int, rng) -> None:
    model.compromise(node, t.spread_p, t.dwell_h)


def _secondary(t: SecondaryDevice, model, node: int, rng) -> None:
    model.strike_responders(node, t.out_of_service_h)
    model.hit(node, "shut", scene=True)


EFFECTS = {"vbied": _vbied, "active_shooter": _active_shooter, "drone": _damage, "insider": _damage,
           "cyber": _cyber, "secondary_device": _secondary}
