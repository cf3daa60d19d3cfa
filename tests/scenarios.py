"""Build test scenarios from the files in tests/data with partial patches merged on."""

from pathlib import Path
from typing import Any

from sim.scenario import Scenario, deep_merge, load_scenario_data, validate_data

DATA = Path(__file__).parent / "data"


def scenario(name: str = "town", *patches: dict[str, Any]) -> Scenario:
    data, lines = load_scenario_data(DATA / f"{name}.yaml")
    for patch in patches:
        data = deep_merge(data, patch)
    return validate_data(data, lines, name)


def attack(tactic: str, target: Any, at: str = "T+0:05", **params: float) -> dict[str, Any]:
    return {"attackers": [{"id": "cell", "plan": [{"at": at, "tactic": tactic, "target": target, "params": params}]}]}
