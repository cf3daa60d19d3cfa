"""Attackers: cells that carry out a scripted plan of actions.

Each attempt is first exposed to interdiction, then contested by the target's hardening.

Interdiction follows Garcia's EASI model (Estimate of Adversary Sequence Interruption;
M. L. Garcia, *The Design and Evaluation of Physical Protection Systems*, 2nd ed., 2007):
``P_I = P_D · P_R``, the probability that the plot is detected (communication folded in)
times the probability that a response arrives in time::

    P_D = min(1, detectability · (detection_base + detection_gain · information_sharing))
    P_R = response_base + (1 − response_base) · (1 − exp(−n_police / police_scale))

where ``n_police`` counts police units within ``police_radius_km`` of the target.

An attempt that is not interdicted lands with the contest success function of Tullock
(1980), in the ratio form axiomatised by Skaperdas (*Economic Theory* 7, 1996)::

    P_land = A^m / (A^m + D^m),   D = h / (1 − h),   h = hardening · (1 − bypass)

with ``A`` the tactic's strength and ``m`` the decisiveness; full hardening (h = 1) stops
any tactic that does not bypass it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa

from agents import targeting
from agents.tactics import TACTICS, Tactic
from sim.scenario.schema import Action, Policies, TargetRule

if TYPE_CHECKING:
    from sim.model import RippleModel


def p_detection(tactic: Tactic, information_sharing: float, policies: Policies) -> float:
    return min(1.0, tactic.detectability * (policies.detection_base + policies.detection_gain * information_sharing))


def p_response(n_police: int, policies: Policies) -> float:
    return policies.response_base + (1.0 - policies.response_base) * (1.0 - math.exp(-n_police / policies.police_scale))


def p_interdiction(tactic: Tactic, information_sharing: float, n_police: int, policies: Policies) -> float:
    """EASI: P_I = P_D · P_R (Garcia 2007)."""
    return p_detection(tactic, information_sharing, policies) * p_response(n_police, policies)


def p_success(tactic: Tactic, hardening: float, decisiveness: float = 1.0) -> float:
    """Contest success function A^m / (A^m + D^m), D = h / (1 − h) (Tullock 1980)."""
    h = hardening * (1.0 - tactic.bypass)
    if h >= 1.0:
        return 0.0
    defence = h / (1.0 - h)
    attack = tactic.strength ** decisiveness
    return attack / (attack + defence ** decisiveness)


@dataclass
class Attempt:
    attacker: str
    tactic: Tactic
    node: int
    action: Action


class Attacker(mesa.Agent):
    """A cell with a plan; actions at one time are a simultaneous attack."""

    model: "RippleModel"

    def __init__(self, model: "RippleModel", cell_id: str, plan: list[Action]):
        super().__init__(model)
        self.cell_id = cell_id
        self.plan = sorted(plan, key=lambda a: a.at)
        self.next_action = 0

    def due(self, tick: int) -> list[Action]:
        out = []
        while self.next_action < len(self.plan) and self.model.tick_of(self.plan[self.next_action].at) <= tick:
            out.append(self.plan[self.next_action])
            self.next_action += 1
        return out

    def next_tick(self) -> int | None:
        if self.next_action < len(self.plan):
            return self.model.tick_of(self.plan[self.next_action].at)
        return None

    def act(self) -> list[Attempt]:
        """Attempt every action now due; return the attempts that landed."""
        model, rng, landed = self.model, self.model.streams.attacks, []
        for action in self.due(model.tick):
            tactic = model.tactic(action)
            if isinstance(action.target, TargetRule):
                node = targeting.resolve(model, action.target, rng)
            else:
                node = model.network.index[action.target]
            # always two draws per attempt, so the stream stays aligned across policies
            u_interdict, u_land = rng.random(2)
            if node is None:
                model.log("attack", attacker=self.cell_id, tactic=action.tactic, outcome="no target")
                continue
            p_i = p_interdiction(tactic, model.information_sharing, model.police_near(node), model.policies)
            p_l = p_success(tactic, float(model.network.hardening[node]), model.policies.decisiveness)
            if action.tactic == "secondary_device" and not model.responders_at(node):
                p_l = 0.0
            outcome = "interdicted" if u_interdict < p_i else "landed" if u_land < p_l else "failed"
            model.log("attack", node=node, attacker=self.cell_id, tactic=action.tactic, outcome=outcome,
                      p_interdiction=round(p_i, 4), p_success=round(p_l, 4))
            model.count_attack(outcome)
            if outcome == "landed":
                landed.append(Attempt(self.cell_id, tactic, node, action))
        return landed


def make_tactic(name: str, *overrides: dict[str, float]) -> Tactic:
    tactic = TACTICS[name]
    for params in overrides:
        tactic = tactic.with_params(params)
    return tactic
