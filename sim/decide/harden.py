"""Defender plans: which k measures minimise the expected loss against the scenario's
attacks, or against an attacker who re-targets against the defence.

A *measure* is one change of the scenario written as ``--set`` overrides: ``harden`` raises
one node's hardening, ``backup`` adds hours of buffer to one node's dependencies, ``crews``
pre-positions one repair unit at one node. A *plan* is a set of measures; its loss is the
metric's mean over runs ``0 .. runs-1`` on common random numbers (:mod:`sim.decide.evaluate`).

Against an adaptive attacker the loss of a plan is the worst, over the attacker's options,
of the mean loss: the scenario's scripted plan, or every action of it re-targeted by one of
the ranked target rules (:data:`agents.targeting.RANKED`), within the sector it struck or
anywhere, with the same tactic, time and number of actions. The defender moves first and the attacker
answers the defended network: the attacker–defender model of Brown, Carlyle, Salmerón and
Wood (2006, *Interfaces* 36:530), with the attacker's best response found by enumeration.

The plan is chosen greedily, one measure per step, the one whose marginal benefit is
largest. Against the scripted attacks, marginal benefits are evaluated lazily (Minoux 1978;
Leskovec et al. 2007): a candidate whose stale benefit is still the largest after
re-evaluation is taken without re-evaluating the rest. For a monotone submodular benefit
the greedy plan has at least 1 − 1/e of the best plan's benefit (Nemhauser, Wolsey and
Fisher 1978). The worst case over an adaptive attacker's options is not submodular (a
measure can be worth nothing until another is taken), so there every candidate is
re-evaluated at every step. ``tests/test_harden.py`` compares greedy with exhaustive search.

Candidates are pruned with the kernel's what-ifs: the nodes the scripted plan strikes, then
the nodes whose loss takes down the most population on the intact network.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.targeting import RANKED
from sim.cascade import cascade
from sim.decide.evaluate import Evaluator
from sim.model import Prebuilt
from sim.network import DAMAGED
from sim.overrides import OverrideError, ScenarioFile, set_patch
from sim.scenario import deep_merge
from sim.scenario.timefmt import parse_duration
from sim.stats import PairedDifference, paired

__all__ = ["MEASURES", "Measure", "Plan", "Step", "attacker_options", "candidates", "exhaustive", "greedy",
           "measure", "plan_overlay", "population_at_stake", "worst_case"]

MEASURES = ("harden", "backup", "crews")


@dataclass(frozen=True)
class Measure:
    """One defensive measure at one node.

    Attributes
    ----------
    kind : str
        ``harden``, ``backup`` or ``crews``.
    node : str
        The node's id.
    specs : tuple of str
        The ``--set`` overrides that make it.
    """

    kind: str
    node: str
    specs: tuple[str, ...]

    @property
    def label(self) -> str:
        """``kind node``, e.g. ``harden ts_kestrel_hill``."""
        return f"{self.kind} {self.node}"


def _network_lists(source: ScenarioFile) -> dict[str, Any]:
    """The network's node and dependency records; refuses a network given only as parts or Parquet."""
    network = source.data.get("network") or {}
    if not isinstance(network.get("nodes"), list):
        raise OverrideError(f"{source.path}: a defender plan needs the network's nodes as records (inline or in a "
                            "YAML, JSON or GraphML network file); convert it with ripple network convert")
    return network


def measure(source: ScenarioFile, kind: str, node: str, level: float = 0.9, hours: float = 24.0) -> Measure | None:
    """The measure of ``kind`` at ``node``, or None where it changes nothing.

    Parameters
    ----------
    source : ScenarioFile
        The scenario file, read.
    kind : str
        ``harden`` (hardening to ``level``), ``backup`` (``hours`` more buffer on each of the
        node's dependencies) or ``crews`` (one repair unit based at the node, for its sector).
    node : str
        The node's id.
    level : float
        The hardening a ``harden`` measure sets, 0..1.
    hours : float
        The buffer hours a ``backup`` measure adds.

    Returns
    -------
    Measure or None
        None when the node is already hardened to ``level`` or has no dependency to back up.

    Raises
    ------
    OverrideError
        For an unknown kind or node, or a network not given as records.
    """
    network = _network_lists(source)
    ids = [n.get("id") for n in network["nodes"]]
    if node not in ids:
        raise OverrideError(f"no node '{node}' in {source.path}")
    i = ids.index(node)
    record = network["nodes"][i]
    if kind == "harden":
        if float(record.get("hardening", 0.0)) >= level:
            return None
        return Measure(kind, node, (f"network.nodes.{i}.hardening={level!r}",))
    if kind == "backup":
        deps = [j for j, d in enumerate(network.get("dependencies") or []) if d.get("node") == node]
        specs = tuple(f"network.dependencies.{j}.buffer={parse_duration(network['dependencies'][j].get('buffer', 0)) / 3600 + hours:g}h"
                      for j in deps)
        return Measure(kind, node, specs) if specs else None
    if kind == "crews":
        team = {"kind": "repair", "base": node, "count": 1, "sectors": [record["sector"]]}
        return Measure(kind, node, (f"responders.plan_crew_{i}={json.dumps(team)}",))
    raise OverrideError(f"--measure {kind}: choose one of {', '.join(MEASURES)}")


def population_at_stake(source: ScenarioFile) -> dict[str, float]:
    """Per node, the population its loss takes down on the intact network with no buffer left
    (one kernel what-if per node, :func:`sim.cascade.cascade`).

    Parameters
    ----------
    source : ScenarioFile
        The scenario file, read.

    Returns
    -------
    dict of str to float
        Node id → people no longer served.
    """
    net = Prebuilt.of(source.scenario).network
    served = float(net.population.sum())
    empty = np.zeros(net.n_groups)
    at_stake = {}
    for i, node in enumerate(net.ids):
        down = np.zeros(net.n, np.uint8)
        down[i] = DAMAGED
        outcome = cascade(net, down, empty)
        at_stake[node] = served - float(net.population[outcome.down == 0].sum())
    return at_stake


def _scripted_targets(source: ScenarioFile) -> list[str]:
    """The nodes the scripted plan names as targets, in plan order."""
    targets = [a.get("target") for cell in source.data.get("attackers") or [] for a in cell.get("plan") or []]
    return list(dict.fromkeys(t for t in targets if isinstance(t, str)))


def candidates(source: ScenarioFile, kind: str, limit: int, level: float = 0.9, hours: float = 24.0) -> list[Measure]:
    """The measures worth evaluating: at the scripted targets first, then at the nodes with the
    most population at stake (:func:`population_at_stake`), at most ``limit``.

    Parameters
    ----------
    source : ScenarioFile
        The scenario file, read.
    kind : str
        The measure's kind (:data:`MEASURES`).
    limit : int
        The most candidates to keep.
    level : float
        Hardening of ``harden``.
    hours : float
        Buffer hours of ``backup``.

    Returns
    -------
    list of Measure
        Distinct nodes, the order above.
    """
    at_stake = population_at_stake(source)
    ranked = sorted(at_stake, key=lambda node: -at_stake[node])
    order = _scripted_targets(source) + [n for n in ranked if at_stake[n] > 0]
    chosen: list[Measure] = []
    for node in dict.fromkeys(order):
        m = measure(source, kind, node, level, hours)
        if m is not None:
            chosen.append(m)
        if len(chosen) >= limit:
            break
    return chosen


def _retargeted(source: ScenarioFile, rule: str, in_sector: bool) -> str:
    """The ``attackers=...`` override that re-targets every action by ``rule``, within the
    sector the action struck or anywhere."""
    nodes = {n["id"]: n for n in _network_lists(source)["nodes"]}
    attackers = copy.deepcopy(source.data.get("attackers") or [])
    for cell in attackers:
        for action in cell.get("plan") or []:
            target = action.get("target")
            sector = nodes[target]["sector"] if isinstance(target, str) and target in nodes else (
                target.get("sector") if isinstance(target, dict) else None)
            action["target"] = {"rule": rule, **({"sector": sector} if sector and in_sector else {})}
    return "attackers=" + json.dumps(attackers)


def attacker_options(source: ScenarioFile, adaptive: bool) -> dict[str, tuple[str, ...]]:
    """What the attacker may do: the scripted plan, and with ``adaptive`` the plan re-targeted
    by each ranked rule, within each action's sector and anywhere.

    Parameters
    ----------
    source : ScenarioFile
        The scenario file, read.
    adaptive : bool
        Whether the attacker answers the defence.

    Returns
    -------
    dict of str to tuple of str
        Option name (``scripted``, ``rule:<name>`` within the sectors struck,
        ``rule:<name>:anywhere``, left out in a network of one sector) → its overrides.
    """
    options: dict[str, tuple[str, ...]] = {"scripted": ()}
    sectors = {n.get("sector") for n in _network_lists(source)["nodes"]}
    if adaptive:
        for rule in RANKED:
            options[f"rule:{rule}"] = (_retargeted(source, rule, True),)
            if len(sectors) > 1:
                options[f"rule:{rule}:anywhere"] = (_retargeted(source, rule, False),)
    return options


def worst_case(evaluator: Evaluator, specs: tuple[str, ...],
               options: dict[str, tuple[str, ...]]) -> tuple[str, np.ndarray, dict[str, float]]:
    """The attacker's best response to a plan: the option with the greatest mean loss.

    Parameters
    ----------
    evaluator : Evaluator
        Runs the evaluations.
    specs : tuple of str
        The plan's overrides.
    options : dict of str to tuple of str
        The attacker's options (:func:`attacker_options`).

    Returns
    -------
    name : str
        The best response (ties: the first).
    values : numpy.ndarray
        Its per-run loss.
    means : dict of str to float
        Every option's mean loss.
    """
    values = {name: evaluator.values(attack + specs) for name, attack in options.items()}
    means = {name: float(np.nanmean(v)) for name, v in values.items()}
    best = max(means, key=lambda name: means[name])
    return best, values[best], means


@dataclass
class Step:
    """One step of the greedy plan.

    Attributes
    ----------
    measure : str
        The measure taken (:attr:`Measure.label`).
    loss : float
        The plan's mean loss after it (worst case over the attacker's options).
    attack : str
        The attacker's best response after it.
    benefit : PairedDifference
        Loss before minus loss after, paired by run: its mean and 95% interval.
    """

    measure: str
    loss: float
    attack: str
    benefit: PairedDifference


@dataclass
class Plan:
    """A defender plan and how it was found.

    Attributes
    ----------
    measures : list of Measure
        The measures, in the order taken.
    base_loss : float
        Mean loss with no measure (worst case over the attacker's options).
    base_attack : str
        The attacker's best response to no measure.
    steps : list of Step
        One per measure.
    responses : dict of str to float
        Mean loss of every attacker option against the final plan.
    evaluations : int
        Plans evaluated (each ``runs`` runs per attacker option).
    """

    measures: list[Measure]
    base_loss: float
    base_attack: str
    steps: list[Step] = field(default_factory=list)
    responses: dict[str, float] = field(default_factory=dict)
    evaluations: int = 0

    @property
    def specs(self) -> tuple[str, ...]:
        """Every measure's overrides, in order."""
        return tuple(s for m in self.measures for s in m.specs)

    @property
    def loss(self) -> float:
        """The final plan's mean loss (the base loss when the plan is empty)."""
        return self.steps[-1].loss if self.steps else self.base_loss

    def as_dict(self) -> dict[str, Any]:
        """The plan as ``plan.json`` holds it."""
        return {"measures": [{"kind": m.kind, "node": m.node, "overrides": list(m.specs)} for m in self.measures],
                "base_loss": self.base_loss, "base_attack": self.base_attack, "loss": self.loss,
                "steps": [{"measure": s.measure, "loss": s.loss, "attack": s.attack, "benefit": s.benefit.as_dict()}
                          for s in self.steps],
                "responses": self.responses, "evaluations": self.evaluations}


def greedy(evaluator: Evaluator, pool: list[Measure], budget: int, options: dict[str, tuple[str, ...]],
           lazy: bool = True) -> Plan:
    """The greedy plan of ``budget`` measures from ``pool``.

    Parameters
    ----------
    evaluator : Evaluator
        Runs the evaluations on common random numbers.
    pool : list of Measure
        The candidates (:func:`candidates`).
    budget : int
        Measures to take (at most ``len(pool)``).
    options : dict of str to tuple of str
        The attacker's options (:func:`attacker_options`).
    lazy : bool
        Re-evaluate a candidate only while its last benefit is the largest (exact when
        benefits only shrink as the plan grows). Against an adaptive attacker they need not:
        hardening the plant is worth nothing until the hub is hardened, and then it is what
        the attacker turns to; pass False there to re-evaluate every candidate at every step.

    Returns
    -------
    Plan
        With each step's paired marginal benefit and the attacker's responses to the final plan.
    """
    attack, current, _ = worst_case(evaluator, (), options)
    plan = Plan([], float(np.nanmean(current)), attack)
    # heap entries: (-benefit, pool index, step at which the benefit was evaluated)
    heap = [(-np.inf, k, -1) for k in range(len(pool))]
    heapq.heapify(heap)
    fresh: dict[int, tuple[str, np.ndarray]] = {}
    while len(plan.measures) < min(budget, len(pool)) and heap:
        step = len(plan.measures)
        if not lazy:   # make every entry fresh before the best is taken
            heap = [(-np.inf, k, -1) for _, k, _ in heap]
            for k in [k for _, k, _ in heap]:
                fresh[k] = worst_case(evaluator, plan.specs + pool[k].specs, options)[:2]
            heap = [(-(float(np.nanmean(current)) - float(np.nanmean(fresh[k][1]))), k, step) for _, k, _ in heap]
            heapq.heapify(heap)
        _, k, stamp = heapq.heappop(heap)
        if stamp == step:
            attack, values = fresh[k]
            plan.measures.append(pool[k])
            plan.steps.append(Step(pool[k].label, float(np.nanmean(values)), attack, paired(values, current)))
            current = values
            continue
        attack, values, _ = worst_case(evaluator, plan.specs + pool[k].specs, options)
        fresh[k] = (attack, values)
        heapq.heappush(heap, (-(float(np.nanmean(current)) - float(np.nanmean(values))), k, step))
    plan.responses = worst_case(evaluator, plan.specs, options)[2]
    plan.evaluations = evaluator.evaluations
    return plan


def exhaustive(evaluator: Evaluator, pool: list[Measure], budget: int,
               options: dict[str, tuple[str, ...]]) -> tuple[tuple[Measure, ...], float]:
    """The best plan of ``budget`` measures by trying every subset of ``pool``.

    Parameters
    ----------
    evaluator : Evaluator
        Runs the evaluations on the same common random numbers as :func:`greedy`.
    pool : list of Measure
        The candidates.
    budget : int
        Measures per plan.
    options : dict of str to tuple of str
        The attacker's options.

    Returns
    -------
    plan : tuple of Measure
        The subset with the least mean loss (worst case over the options).
    loss : float
        Its mean loss.
    """
    best: tuple[tuple[Measure, ...], float] = ((), np.inf)
    for subset in itertools.combinations(pool, budget):
        specs = tuple(s for m in subset for s in m.specs)
        loss = float(np.nanmean(worst_case(evaluator, specs, options)[1]))
        if loss < best[1]:
            best = (subset, loss)
    return best


def plan_overlay(source: ScenarioFile, specs: tuple[str, ...]) -> dict[str, Any]:
    """The plan as an overlay file's content: a partial scenario that ``--variant plan=plan.yaml``
    merges onto the scenario (lists, such as the network's nodes, are given whole).

    Parameters
    ----------
    source : ScenarioFile
        The scenario file, read.
    specs : tuple of str
        The plan's overrides.

    Returns
    -------
    dict
        The partial scenario.
    """
    data, overlay = source.data, {}
    for spec in specs:
        patch = set_patch(data, spec)[0]
        data = deep_merge(data, patch)
        overlay = deep_merge(overlay, patch)
    return overlay
