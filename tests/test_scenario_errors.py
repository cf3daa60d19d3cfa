"""Bad scenario files: one clear message per problem, file:line and field, exit 2, no traceback."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ripple import app
from sim.scenario import ScenarioError, load_scenario

DATA = Path(__file__).parent / "data"
BAD = DATA / "bad"
runner = CliRunner()

# file → (line, field, words in the message); line None when the problem has no line
CASES = {
    "yaml_syntax": (7, "", "YAML syntax error"),
    "empty": (None, "", "empty"),
    "not_a_mapping": (1, "", "mapping"),
    "unknown_key": (6, "sede", "did you mean 'seed'"),
    "wrong_type": (12, "network.nodes[1].x", "valid number"),
    "duplicate_node": (13, "network.nodes[2].id", "duplicate node id 'sub'"),
    "missing_node": (17, "network.dependencies[0].suppliers[0]", "no node 'sub_7'"),
    "negative_duration": (17, "network.dependencies[0].buffer", "negative"),
    "unitless_duration": (6, "clock.tick", "no unit"),
    "need_exceeds": (17, "network.dependencies[0].need", "exceeds"),
    "attack_after_end": (21, "attackers[0].plan[0].at", "after the end of the run"),
    "unknown_tactic": (21, "attackers[0].plan[0].tactic", "'vbied'"),
    "cross_sector_link": (15, "network.links[1]", "one sector"),
    "missing_network_file": (10, "network.file", "no such file"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_file_names_file_line_and_field(name):
    line, field, words = CASES[name]
    path = BAD / f"{name}.yaml"
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    where = f"{path}:{line}: " if line else f"{path}: "
    first = result.output.splitlines()[0]
    assert first.startswith(where + (f"{field}: " if field else "")), first
    assert words in result.output


def test_missing_scenario_file():
    result = runner.invoke(app, ["validate", str(DATA / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml: file not found" in result.output


def test_error_inside_a_referenced_network_file_names_that_file():
    with pytest.raises(ScenarioError) as info:
        load_scenario(BAD / "network_ref.yaml")
    (problem,) = info.value.problems
    assert problem.file.endswith("network_ref_nodes.yaml") and problem.line == 8
    assert problem.field == "network.dependencies[0].suppliers[0]" and "sub9" in problem.message


def test_every_problem_is_reported_at_once(tmp_path):
    text = (DATA / "tiny.yaml").read_text()
    text = text.replace("tick: 5min", "tick: 5").replace("x: 1, y: 0,", "x: one, y: 0,").replace("seed: 3", "seed: 3\ncolour: red")
    bad = tmp_path / "many.yaml"
    bad.write_text(text)
    result = runner.invoke(app, ["validate", str(bad)])
    assert result.exit_code == 2
    assert len(re.findall(rf"{re.escape(str(bad))}:\d+: ", result.output)) == 3


def test_run_of_a_bad_file_exits_2_without_writing(tmp_path):
    result = runner.invoke(app, ["run", str(BAD / "need_exceeds.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("text,seconds", [("5min", 300), ("2h30m", 9000), ("T+1:30", 5400), ("90 min", 5400),
                                          ("1d", 86400), ("T+0:05:30", 330), ("45s", 45)])
def test_durations(text, seconds):
    from sim.scenario import parse_duration

    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["5", "-5min", "5 parsecs", "", "T+1:75"])
def test_bad_durations(text):
    from sim.scenario import parse_duration

    with pytest.raises(ValueError):
        parse_duration(text)


def test_a_network_without_nodes_is_reported_not_a_traceback(tmp_path):
    """Found by the slow property test: links and targets naming nodes a broken node list
    does not hold (the target check looked up the sectors of unresolved link ends)."""
    import yaml

    data = yaml.safe_load((DATA / "tiny.yaml").read_text())
    data["network"]["nodes"] = None
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    result = runner.invoke(app, ["validate", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2, (result.output, repr(result.exception))
    assert "network.nodes: the network has no nodes" in result.output and "no node 'sub'" in result.output


@pytest.mark.parametrize("old, new, words", [
    ("p_load_mw: 10.0, priority: 3", "p_load_mw: '', priority: 3", "node b4 has p_load_mw: '', which must be a finite number"),
    ("rating_mva: 30}", "rating_mva: -3}", "link L34 has rating_mva: -3, which must be above 0"),
    ("slack: true", "slack: 'yes'", "node b0 has slack: 'yes', which must be true or false"),
    ("x_pu: 0.05", "x_pu: .inf", "link L34 has x_pu: inf, which must be a finite number"),
])
def test_power_flow_attrs_the_flow_cannot_read_are_refused(tmp_path, old, new, words):
    text = (DATA / "grid.yaml").read_text()
    assert old in text
    (tmp_path / "s.yaml").write_text(text.replace(old, new))
    result = runner.invoke(app, ["validate", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2, (result.output, repr(result.exception))
    assert "sectors.energy.physics: dc cannot read the network's power-flow attrs: " + words in result.output
