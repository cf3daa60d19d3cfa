"""Scenario files: schema, durations, loading with located errors."""

from sim.scenario.loader import Problem, ScenarioError, deep_merge, load_scenario, load_scenario_data, validate_data
from sim.scenario.schema import Scenario
from sim.scenario.timefmt import format_clock, parse_duration

__all__ = [
    "Problem", "Scenario", "ScenarioError", "deep_merge", "format_clock", "load_scenario",
    "load_scenario_data", "parse_duration", "validate_data",
]
