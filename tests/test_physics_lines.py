"""Lines as targets and causes under ``physics: dc``: a hand-checkable grid where an attack
on one line trips others and cuts a load bus off, its chain of causes, the repair of an
attacked line, buses a dependency takes down leaving the flow, and validation of line
targets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.causes import text_lines, why
from sim.model import RippleModel
from sim.physics.dcflow import dc_flow
from sim.scenario import load_scenario

# The hand case of tests/test_dcflow.py: slack b0, 100 MW load at b2, two paths and a direct
# line. Lines (x per unit on 100 MVA, rating MVA): L01 (0.1, 60), L12 (0.1, 120), L03 (0.2, 80),
# L32 (0.2, 120), L02 (0.2, 50). Intact, 100 MW splits 40 / 20 / 40 (0-1-2, 0-3-2, direct).
SQUARE = """id: square
name: four buses
seed: 1
clock: {{tick: 5min, duration: 12h}}
policies: {{scripted_outcomes: true}}
sectors:
  energy: {{physics: dc, repair: {{median: 2h, p90: 3h}}}}
  control: {{}}
network:
  nodes:
    - {{id: b0, sector: energy, x: 0, y: 0, source: true, attrs: {{slack: true}}}}
    - {{id: b1, sector: energy, x: 1, y: 1}}
    - {{id: b2, sector: energy, x: 2, y: 0, population: 100, attrs: {{p_load_mw: 100.0}}}}
    - {{id: b3, sector: energy, x: 1, y: -1}}
    - {{id: ctl, sector: control, x: 0, y: 2}}
  links:
    - {{id: L01, a: b0, b: b1, attrs: {{x_pu: 0.1, rating_mva: 60}}}}
    - {{id: L12, a: b1, b: b2, attrs: {{x_pu: 0.1, rating_mva: 120}}}}
    - {{id: L03, a: b0, b: b3, attrs: {{x_pu: 0.2, rating_mva: 80}}}}
    - {{id: L32, a: b3, b: b2, attrs: {{x_pu: 0.2, rating_mva: 120}}}}
    - {{id: L02, a: b0, b: b2, attrs: {{x_pu: 0.2, rating_mva: 50}}}}
  dependencies:
    - {{node: b1, resource: control, suppliers: [ctl]}}
attackers:
  - id: cell
    plan:
      - {{at: "T+0:30", tactic: {tactic}, target: {target}}}
responders:
  crew: {{kind: repair, base: b0, sectors: [energy], count: 1, speed_kmh: 60}}
"""


def _square(tmp_path: Path, tactic: str = "drone", target: str = "L02") -> Path:
    path = tmp_path / "square.yaml"
    path.write_text(SQUARE.format(tactic=tactic, target=target))
    return path


def _events(result) -> list[dict]:
    return [e.as_dict(result.tick_seconds) for e in result.timeline()]


def test_an_attack_on_a_line_trips_others_and_cuts_the_load_off(tmp_path):
    result = RippleModel(load_scenario(_square(tmp_path))).run()
    events = _events(result)
    down = [e for e in events if e["kind"] == "line_down"]
    assert [(e["line"], e["a"], e["b"], e["cause"]["attack"]["tactic"]) for e in down] == [("L02", "b0", "b2", "drone")]
    trips = [(e["line"], e["round"], e["flow_mw"], e["rating_mva"], e["cause"]) for e in events if e["kind"] == "line_trip"]
    # L02 out: 100 MW splits 2 : 1, L01 carries 66.667 MW over its 60 MVA; then all 100 MW on 0-3-2
    assert trips == [("L01", 1, 66.667, 60.0, ["L02"]), ("L03", 2, 100.0, 80.0, ["L01"])]
    b2 = next(e for e in events if e["kind"] == "node_down" and e["node"] == "b2")
    assert b2["reasons"] == ["UNSUPPLIED"]
    assert b2["cause"] == {"reason": "UNSUPPLIED", "resource": "power", "grid": "energy",
                           "lines": ["L01", "L03", "L02"], "cut_by": [], "served": 0.0}
    assert b2["roots"] == [{"attacker": "cell", "action": 0, "tactic": "drone", "node": "b0", "tick": 6, "line": "L02"}]
    from dashboards.causes import cause_phrase
    from sim.results import Event

    phrase = cause_phrase(Event(6, "node_down", "b2", detail={"cause": b2["cause"]}), {})
    assert phrase == "line L01, line L03 and line L02 went out, cutting its energy island off"
    clock = lambda t: f"T+{t * 5 // 60}:{t * 5 % 60:02d}"  # noqa: E731
    assert text_lines(why(events, "b2", clock=clock)) == [
        "b2 down since T+0:30: UNSUPPLIED, no power in its energy island: cut off by line L01, line L03, line L02",
        "├─ line L01 (b0-b1) tripped at T+0:30, cascade round 1: 66.667 MW on its 60 MVA rating",
        "│  └─ line L02 (b0-b2) down since T+0:30: DAMAGED by an attack",
        "│     └─ attack: drone by cell (action 0) on line L02 at T+0:30",
        "├─ line L03 (b0-b3) tripped at T+0:30, cascade round 2: 100 MW on its 80 MVA rating",
        "│  └─ line L01 (b0-b1) (shown above)",
        "└─ line L02 (b0-b2) (shown above)"]


def test_an_attacked_line_is_repaired_by_a_crew_not_switched(tmp_path):
    result = RippleModel(load_scenario(_square(tmp_path))).run()
    events = _events(result)
    repair = [e for e in events if e["kind"] == "task_done" and e.get("work") == "repair"]
    repaired = [e for e in events if e["kind"] == "line_repaired"]
    assert [e["line"] for e in repaired] == ["L02"] and repaired[0]["team"] == repair[0]["team"]
    assert repaired[0]["tick"] - 6 >= 12          # hours of repair (median 2 h), not minutes of switching
    # repaired, it waits open; closing it alone would put 100 MW on its 50 MVA, so one switch task
    # recloses it with the tripped L01 and L03 (the intact grid again), and b2 is back
    reclosed = [(e["tick"], e["line"]) for e in events if e["kind"] == "line_reclosed"]
    assert sorted(line for _, line in reclosed) == ["L01", "L02", "L03"]
    assert {tick for tick, _ in reclosed} == {reclosed[0][0]} and reclosed[0][0] > repaired[0]["tick"]
    b2 = [(e["tick"], e["kind"]) for e in events if e["node"] == "b2" and e["kind"] in ("node_down", "node_up")]
    assert b2 == [(6, "node_down"), (reclosed[0][0], "node_up")]


def test_a_bus_its_control_system_took_down_leaves_the_flow(tmp_path):
    # ctl compromised: b1 UNSUPPLIED (control) leaves the flow; 100 MW then split 2 : 1 over the
    # direct line and 0-3-2: L02 (50 MVA) carries 66.667 and trips, then L03 carries 100 and trips
    result = RippleModel(load_scenario(_square(tmp_path, "cyber", "ctl"))).run()
    events = _events(result)
    trips = [(e["line"], e["round"], e["flow_mw"], e["cause"]) for e in events if e["kind"] == "line_trip"]
    assert trips == [("L02", 1, 66.667, ["b1"]), ("L03", 2, 100.0, ["L02"])]
    b2 = next(e for e in events if e["kind"] == "node_down" and e["node"] == "b2")
    assert b2["cause"]["lines"] == ["L03", "L02"] and b2["cause"]["cut_by"] == ["b1"]
    assert [r["tactic"] for r in b2["roots"]] == ["cyber"]
    tree = "\n".join(text_lines(why(events, "b2")))
    assert "b1 down since tick 6: UNSUPPLIED, no control from ctl" in tree
    assert "attack: cyber by cell (action 0) on ctl at tick 6" in tree


@pytest.mark.parametrize("edit, message", [
    (("drone", "L0"), "no node or line 'L0' (did you mean L03, L02, L01?)"),
    (("cyber", "L02"), "'L02' is a line, and cyber cannot target a line"),
])
def test_line_targets_are_validated(tmp_path, edit, message):
    from typer.testing import CliRunner

    from ripple import app

    result = CliRunner().invoke(app, ["validate", str(_square(tmp_path, *edit))])
    assert result.exit_code == 2 and "attackers[0].plan[0].target" in result.output
    assert message in result.output and "Traceback" not in result.output


def test_a_line_is_a_target_only_where_physics_is_dc(tmp_path):
    from typer.testing import CliRunner

    from ripple import app

    path = _square(tmp_path)
    path.write_text(path.read_text().replace("{physics: dc, ", "{"))
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "'L02' is a line of sector energy, which has no physics: dc" in result.output


SHORT = """id: short
name: an island short of generation
seed: 1
clock: {tick: 5min, duration: 1h}
sectors:
  energy: {physics: dc}
network:
  nodes:
    - {id: g, sector: energy, x: 0, y: 0, source: true, attrs: {slack: true, p_max_mw: 60.0}}
    - {id: hospital, sector: energy, x: 1, y: 0, population: 10, attrs: {p_load_mw: 40.0, priority: 2}}
    - {id: homes, sector: energy, x: 2, y: 0, population: 10, attrs: {p_load_mw: 30.0, priority: 1}}
    - {id: mill, sector: energy, x: 3, y: 0, population: 10, attrs: {p_load_mw: 50.0}}
  links:
    - {id: l1, a: g, b: hospital, attrs: {x_pu: 0.1}}
    - {id: l2, a: hospital, b: homes, attrs: {x_pu: 0.1}}
    - {id: l3, a: homes, b: mill, attrs: {x_pu: 0.1}}
"""


def test_an_island_short_of_generation_sheds_the_lowest_priority_first(tmp_path):
    path = tmp_path / "short.yaml"
    path.write_text(SHORT)
    model = RippleModel(load_scenario(path))
    result = model.run()
    # 60 MW for 120 MW of load: the hospital (priority 2) in full, the homes (1) get the 20 MW
    # left, 2/3 of theirs; the mill (no priority: 0) none: it is down UNSUPPLIED, served 0
    shed = [e.detail for e in result.events if e.kind == "load_shed"]
    assert shed == [{"buses": ["hospital", "homes", "mill"], "served": [1.0, 0.666667, 0.0], "shed_mw": 60.0,
                     "fraction": 0.5}]
    down = {model.network.ids[i]: int(d) for i, d in enumerate(result.baseline_down) if d}
    assert down == {"mill": 16}       # UNSUPPLIED; the homes, partly served, count as up
    grid = model.physics.grids[0]
    flows = dict(zip(grid.line_id, dc_flow(grid, grid.closed, np.ones(4, bool)).flow_mw.tolist()))
    assert flows == pytest.approx({"l1": 60.0, "l2": 20.0, "l3": 0.0})


@pytest.mark.parametrize("tactic, target", [("drone", "L02"), ("cyber", "ctl"), ("vbied", "L01")])
def test_skipping_quiet_ticks_changes_nothing_with_lines_attacked(tmp_path, tactic, target):
    scenario = load_scenario(_square(tmp_path, tactic, target))
    skipped, stepped = RippleModel(scenario).run(), RippleModel(scenario, skip_quiet=False).run()
    assert _events(skipped) == _events(stepped)


def test_a_controller_attack_on_a_line_trips_the_lines_the_scenario_attack_trips(tmp_path):
    import yaml

    from sim.exercise import ExerciseError, ExerciseSession

    data = yaml.safe_load(_square(tmp_path).read_text())
    data["attackers"] = []                                  # the controller makes the attack instead
    path = tmp_path / "bare.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    session = ExerciseSession(path)
    assert sorted(session.line_ids()) == ["L01", "L02", "L03", "L12", "L32"]
    for tactic, target, message in (("cyber", "L02", "'L02' is a line, and cyber cannot target a line"),
                                    ("drone", "L0", r"no node or line 'L0' \(did you mean L03, L02, L01\?\)")):
        with pytest.raises(ExerciseError, match=message):               # the scenario check's own messages
            session.attack(tactic, target, "T+0:30")
    assert session.attack("drone", "L02", "T+0:30") == "drone on line L02 scheduled at T+0:30 (cell controller)"
    session.play_out()
    events = _events(session.result())
    trips = [(e["line"], e["round"], e["flow_mw"], e["rating_mva"], e["cause"]) for e in events if e["kind"] == "line_trip"]
    assert trips == [("L01", 1, 66.667, 60.0, ["L02"]), ("L03", 2, 100.0, 80.0, ["L01"])]     # as the scenario's attack
    down = [(e["line"], e["cause"]["attack"]["attacker"]) for e in events if e["kind"] == "line_down"]
    assert down == [("L02", "controller")]


def test_an_attack_on_a_line_of_a_topological_sector_is_refused_in_an_exercise(tmp_path):
    import yaml

    from sim.exercise import ExerciseError, ExerciseSession

    data = yaml.safe_load(_square(tmp_path).read_text())
    data["attackers"], data["sectors"]["energy"] = [], {"repair": {"median": "2h", "p90": "3h"}}
    path = tmp_path / "topological.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    session = ExerciseSession(path)
    assert session.line_ids() == []
    with pytest.raises(ExerciseError, match="'L02' is a line of sector energy, which has no physics: dc"):
        session.attack("drone", "L02")
    with pytest.raises(ExerciseError, match="no node 'b9'"):
        session.attack("drone", "b9")
