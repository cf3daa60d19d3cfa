"""Attackers: cells that carry out a scripted plan of actions.

Each attempt is first exposed to interdiction, then contested by the target's hardening.

Interdiction follows Garcia's EASI model (Estimate of Adversary Sequence Interruption;
M. L. Garcia, *The Design and Evaluation of Physical Protection Systems*, 2nd ed., 2007):
``P_I = P_D · P_R``, the probability that the plot is detected (communication folded in)
times the probability that a response arrives in time::

    P_D = min(1, detectability · (detection_base + detection_gain · information_sharing))
    P_R = response_base + (1 − response_base) · (1 − exp(−n_police / police_scale))

where ``n_police`` counts police units within ``police_radius_km`` of the target.

An attempt that is not interdicted lands with the tactic's own success model
(:meth:`agents.tactics.Tactic.p_land`: the Tullock contest against the target's hardening
unless the tactic says otherwise).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Mapping, Protocol

import mesa
import numpy as np

from agents import targeting
from agents.events import EventKind
from agents.tactics import Tactic, make_tactic

if TYPE_CHECKING:
    from agents.port import World

__all__ = ["PlannedAction", "InterdictionParams", "p_detection", "p_response", "p_interdiction", "Attempt",
           "Attacker"]


class PlannedAction(Protocol):
    """One action of a cell's plan (a scenario's ``attackers[].plan[]``)."""

    at: float                               # seconds after T+0
    tactic: str                             # a name in agents.tactics.TACTICS
    target: str | targeting.Rule            # a node id, or a rule evaluated when the action fires
    params: dict[str, float]                # overrides of the tactic's parameters
    inject: str                             # message released to players when the action lands


class InterdictionParams(Protocol):
    """The EASI parameters of the scenario's policies."""

    detection_base: float
    detection_gain: float
    response_base: float
    police_scale: float


def p_detection(tactic: Tactic, information_sharing: float, policies: InterdictionParams) -> float:
    """Probability P_D that the plot is detected (EASI, Garcia 2007).

    Parameters
    ----------
    tactic : Tactic
        The tactic; its ``detectability`` (dimensionless multiplier) is read.
    information_sharing : float
        The scenario's level of information sharing, fraction 0..1.
    policies : InterdictionParams
        ``detection_base`` and ``detection_gain``, fractions 0..1.

    Returns
    -------
    float
        ``min(1, detectability · (detection_base + detection_gain · information_sharing))``.
    """
    return min(1.0, tactic.detectability * (policies.detection_base + policies.detection_gain * information_sharing))


def p_response(n_police: int, policies: InterdictionParams) -> float:
    """Probability P_R that a response arrives in time (EASI, Garcia 2007).

    Parameters
    ----------
    n_police : int
        Active police units within ``police_radius_km`` of the target.
    policies : InterdictionParams
        ``response_base`` (fraction 0..1) and ``police_scale`` (police units).

    Returns
    -------
    float
        ``response_base + (1 − response_base) · (1 − exp(−n_police / police_scale))``.
    """
    return policies.response_base + (1.0 - policies.response_base) * (1.0 - math.exp(-n_police / policies.police_scale))


def p_interdiction(tactic: Tactic, information_sharing: float, n_police: int, policies: InterdictionParams) -> float:
    """Probability P_I that an attempt is interdicted: EASI's P_I = P_D · P_R (Garcia 2007).

    Parameters
    ----------
    tactic : Tactic
        The tactic (its ``detectability``).
    information_sharing : float
        The scenario's level of information sharing, fraction 0..1.
    n_police : int
        Active police units within ``police_radius_km`` of the target.
    policies : InterdictionParams
        The EASI parameters.

    Returns
    -------
    float
        :func:`p_detection` × :func:`p_response`, 0..1.

    References
    ----------
    M. L. Garcia, *The Design and Evaluation of Physical Protection Systems*, 2nd ed.,
    Butterworth-Heinemann, 2007.
    """
    return p_detection(tactic, information_sharing, policies) * p_response(n_police, policies)


@dataclass
class Attempt:
    """An attempt that landed, handed to the effects phase.

    Attributes
    ----------
    attacker : str
        The cell's id.
    tactic : Tactic
        The tactic with its parameters as overridden.
    node : int
        The target's node index.
    action : PlannedAction
        The planned action it carries out (for its inject message).
    line : int or None
        The branch attacked (``physics: dc``), whose ``a`` end is ``node``; None: the node.
    """

    attacker: str
    tactic: Tactic
    node: int
    action: PlannedAction
    line: int | None = None


class Attacker(mesa.Agent):
    """A cell with a plan; actions at one time are a simultaneous attack.

    Parameters
    ----------
    model : World
        The model the cell acts in.
    cell_id : str
        The cell's id (a scenario's ``attackers[].id``).
    plan : list[PlannedAction]
        Its actions, in any order (kept sorted by time).
    tactic_overrides : Mapping[str, dict[str, float]]
        Scenario-wide parameters by tactic name, applied before an action's own ``params``.
    """

    model: "World"

    def __init__(self, model: "World", cell_id: str, plan: list[PlannedAction],
                 tactic_overrides: Mapping[str, dict[str, float]]):
        super().__init__(model)
        self.cell_id = cell_id
        self.tactic_overrides = tactic_overrides
        self.plan = sorted(plan, key=lambda a: a.at)
        self.next_action = 0

    def due(self, tick: int) -> list[PlannedAction]:
        """Take the actions due at or before ``tick`` off the plan.

        Parameters
        ----------
        tick : int
            The current tick.

        Returns
        -------
        list[PlannedAction]
            The actions due, in time order; the plan's cursor moves past them.
        """
        out = []
        while self.next_action < len(self.plan) and self.model.tick_of(self.plan[self.next_action].at) <= tick:
            out.append(self.plan[self.next_action])
            self.next_action += 1
        return out

    def next_tick(self) -> int | None:
        """The tick of the next action still planned, or None when the plan is done."""
        if self.next_action < len(self.plan):
            return self.model.tick_of(self.plan[self.next_action].at)
        return None

    def tactic(self, action: PlannedAction) -> Tactic:
        """The action's tactic with the scenario-wide, then the action's, parameters.

        Parameters
        ----------
        action : PlannedAction
            An action of the plan.

        Returns
        -------
        Tactic
            Its tactic, parameters overridden.
        """
        return make_tactic(action.tactic, self.tactic_overrides.get(action.tactic, {}), action.params)

    def _attack_line(self, action: PlannedAction, tactic: Tactic, line: int, rng: np.random.Generator) -> list[Attempt]:
        """One attempt on a branch (``physics: dc``), by its id: interdicted by the police near
        its midpoint, contested by no hardening; logged at its ``a`` end with its id.

        Parameters
        ----------
        action : PlannedAction
            The action.
        tactic : Tactic
            Its tactic, parameters overridden.
        line : int
            The branch's index.
        rng : numpy.random.Generator
            The attacks stream: two draws (interdiction, landing).

        Returns
        -------
        list[Attempt]
            The attempt if it landed.
        """
        model = self.model
        u_interdict, u_land = rng.random(2)
        p_i = p_interdiction(tactic, model.information_sharing, model.police_near_line(line), model.policies)
        p_l = tactic.p_land_line(model, line)
        outcome = "interdicted" if u_interdict < p_i else "landed" if u_land < p_l else "failed"
        if model.policies.scripted_outcomes:
            outcome = "landed"
        node = model.line_node(line)
        model.log(EventKind.ATTACK, node=node, attacker=self.cell_id, tactic=action.tactic, outcome=outcome,
                  p_interdiction=round(p_i, 4), p_success=round(p_l, 4), line=action.target)
        model.count_attack(outcome)
        return [Attempt(self.cell_id, tactic, node, action, line)] if outcome == "landed" else []

    def act(self, rng: np.random.Generator) -> list[Attempt]:
        """Attempt every action now due; log each outcome and count it.

        Rule targets of the actions due together resolve to distinct nodes, passing over
        the nodes the cell attacks by id then (:class:`agents.targeting.Picker`). An action
        with a share of a sector (``fraction``) is one attempt per node drawn, each
        interdicted and contested on its own.

        Parameters
        ----------
        rng : numpy.random.Generator
            The attacks stream: two draws per attempt (interdiction, landing), plus a
            target rule's own draws.

        Returns
        -------
        list[Attempt]
            The attempts that landed, in plan order.
        """
        model, landed = self.model, []
        actions = self.due(model.tick)
        by_id = [model.network.index[a.target] for a in actions
                 if isinstance(a.target, str) and a.target in model.network.index]
        picker = targeting.Picker(model, by_id)
        same_rule = Counter((a.target.rule, a.target.sector, a.target.kind)
                            for a in actions if not isinstance(a.target, str))
        for action in actions:
            tactic = self.tactic(action)
            if isinstance(action.target, str) and action.target not in model.network.index:
                landed.extend(self._attack_line(action, tactic, model.line_index[action.target], rng))
                continue
            if isinstance(action.target, str):
                targets: list[tuple[int, int | None]] = [(model.network.index[action.target], None)]
                shared = False
            else:
                targets = picker.pick(action.target, rng)
                shared = same_rule[(action.target.rule, action.target.sector, action.target.kind)] > 1
            if not targets:
                rng.random(2)     # the two draws of the attempt, so the stream stays aligned across policies
                model.log(EventKind.ATTACK, attacker=self.cell_id, tactic=action.tactic, outcome="no target")
                continue
            for node, rank in targets:
                # always two draws per attempt, so the stream stays aligned across policies
                u_interdict, u_land = rng.random(2)
                p_i = p_interdiction(tactic, model.information_sharing, model.police_near(node), model.policies)
                p_l = tactic.p_land(model, node)
                outcome = "interdicted" if u_interdict < p_i else "landed" if u_land < p_l else "failed"
                if model.policies.scripted_outcomes:
                    outcome = "landed"     # as written, after the same draws
                extra = {"rank": rank} if shared and rank is not None else {}
                model.log(EventKind.ATTACK, node=node, attacker=self.cell_id, tactic=action.tactic, outcome=outcome,
                          p_interdiction=round(p_i, 4), p_success=round(p_l, 4), **extra)
                model.count_attack(outcome)
                if outcome == "landed":
                    landed.append(Attempt(self.cell_id, tactic, node, action))
        return landed
