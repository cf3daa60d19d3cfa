"""What validates also runs: numbers that cannot run (NaN, inf, out of range, p90 below the
median, negative seeds) and runs too big for a machine (time steps, node-steps, responder
units, each over a limit the scenario may raise) are refused by `ripple validate`, located,
with exit 2; each of these was a traceback, a hang or a runaway allocation in `ripple run`."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.tactics import TACTICS
from ripple import app

TINY = Path(__file__).parent / "data" / "tiny.yaml"
runner = CliRunner()

CASES = {
    "NaN coordinate": ("x: 1, y: 0, population: 100", "x: .nan, y: 0, population: 100",
                       "network.nodes[1].x: Input should be a finite number"),
    "infinite responder base": ("police: {kind: police, base: hosp}", "police: {kind: police, base: [.inf, 0]}",
                                "responders.police.base[0]: Input should be a finite number"),
    "infinite decisiveness": ("sectors:", "policies: {decisiveness: .inf}\nsectors:",
                              "policies.decisiveness: Input should be a finite number"),
    "p90 below the median": ("p90: 12h", "p90: 1h", "sectors.energy.repair: p90 (1h) is below the median (6h)"),
    "negative blast radius": ('inject: "Blast at the substation"', "params: {radius_km: -5}",
                              "params.radius_km: -5 is out of range: vbied.radius_km is ≥ 0"),
    "blast probability above 1": ("sectors:", "tactics: {vbied: {blast_p0: 3}}\nsectors:",
                                  "tactics.vbied.blast_p0: 3 is out of range: vbied.blast_p0 is 0..1"),
    "ten thousand years": ("duration: 12h", "duration: 3650000d", "above the limit of 1,000,000; raise it with"),
    "a millisecond tick": ("tick: 5min", "tick: 0.001s", "43,200,001 time steps, above the limit of 1,000,000"),
    "thirty digits": ("duration: 12h", "duration: 100000000000000000000000000000h", "node-steps (4 nodes)"),
    "ten million units": ("crew: {kind: repair, base: plant", "crew: {kind: repair, count: 10000000, base: plant",
                          "10,000,002 responder units, above the limit of 100,000"),
    "negative seed": ("seed: 3", "seed: -1", "seed: Input should be greater than or equal to 0"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_refuses_what_cannot_run(tmp_path, case):
    old, new, message = CASES[case]
    scenario = tmp_path / "s.yaml"
    scenario.write_text(TINY.read_text().replace(old, new, 1))
    result = runner.invoke(app, ["validate", str(scenario)])
    assert result.exit_code == 2 and message in result.output, result.output
    assert "Traceback" not in result.output


def test_a_limit_raised_in_the_scenario_lets_the_run_through(tmp_path):
    scenario = tmp_path / "s.yaml"
    scenario.write_text(TINY.read_text().replace("tick: 5min", "tick: 0.01s", 1) + "limits: {ticks: 5000000, node_ticks: 50000000}\n")
    assert runner.invoke(app, ["validate", str(scenario)]).exit_code == 0
    scenario.write_text(TINY.read_text().replace("tick: 5min", "tick: 0.01s", 1))
    refused = runner.invoke(app, ["validate", str(scenario)])
    assert refused.exit_code == 2 and "limits: {ticks: N}" in refused.output


def test_every_tactic_parameter_has_a_range():
    for name, tactic in TACTICS.items():
        assert set(tactic.parameter_ranges()) == set(tactic.parameter_names()), name
        for key in tactic.parameter_names():
            assert getattr(tactic, key) in tactic.parameter_ranges()[key], (name, key)     # the defaults are in range
