"""The counterfactual of an exercise: its scenario and seed run without the players' decisions."""

from __future__ import annotations

from sim.model import RippleModel
from sim.results import RunResult
from sim.scenario.schema import Scenario

__all__ = ["counterfactual"]


def counterfactual(scenario: Scenario, seed: int) -> RunResult:
    """Run ``scenario`` with ``seed`` from start to end with no exercise input (as ``ripple run``).

    Parameters
    ----------
    scenario : Scenario
        The exercise's scenario.
    seed : int
        The exercise's seed.

    Returns
    -------
    RunResult
        The whole run.
    """
    return RippleModel(scenario, seed=seed).run()
