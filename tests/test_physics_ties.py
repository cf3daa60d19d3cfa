"""Normally-open ties under ``physics: dc``: a tie between a bus the grid cut off and a live
one is closed by a switch task when the DC flow with it closed overloads nothing, and the
bus comes back with the flows the hand calculation gives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.model import RippleModel
from sim.physics.dcflow import dc_flow
from sim.scenario import load_scenario

# Slack b0; b1 (30 MW) hangs off b0 on L01 alone; b2 (40 MW) and b3 (20 MW) on a triangle
# L02 (x 0.1), L03 (x 0.2), L23 (x 0.1); a normally-open tie T13 joins b1 to b3.
# Intact: L01 30, L02 40, L03 20, L23 0 MW. With L01 out and T13 closed, b3 takes 50 MW:
# B = [[20, -10], [-10, 15]], θ = B⁻¹(-0.4, -0.5) = (-0.055, -0.070) rad, so
# L02 = 0.055 / 0.1 = 55 MW, L03 = 0.070 / 0.2 = 35 MW, L23 = 0.015 / 0.1 = 15 MW, T13 30 MW to b1.
TIES = """id: ties
name: a feeder with a normally-open tie
seed: 1
clock: {{tick: 5min, duration: 2h}}
policies: {{scripted_outcomes: true}}
sectors:
  energy: {{physics: dc, operator_switching: {remote}, repair: {{median: 8h, p90: 10h}}}}
network:
  nodes:
    - {{id: b0, sector: energy, x: 0, y: 0, source: true, attrs: {{slack: true}}}}
    - {{id: b1, sector: energy, x: 0, y: 10, population: 30, attrs: {{p_load_mw: 30.0}}}}
    - {{id: b2, sector: energy, x: 5, y: 0, population: 40, attrs: {{p_load_mw: 40.0}}}}
    - {{id: b3, sector: energy, x: 5, y: 10, population: 20, attrs: {{p_load_mw: 20.0}}}}
  links:
    - {{id: L01, a: b0, b: b1, attrs: {{x_pu: 0.1, rating_mva: 100}}}}
    - {{id: L02, a: b0, b: b2, attrs: {{x_pu: 0.1, rating_mva: 100}}}}
    - {{id: L03, a: b0, b: b3, attrs: {{x_pu: 0.2, rating_mva: {l03}}}}}
    - {{id: L23, a: b2, b: b3, attrs: {{x_pu: 0.1, rating_mva: 100}}}}
    - {{id: T13, a: b1, b: b3, open: true, attrs: {{x_pu: 0.1, rating_mva: 50}}}}
attackers:
  - id: cell
    plan:
      - {{at: "T+0:30", tactic: drone, target: L01}}
responders:
  crew: {{kind: repair, base: b0, sectors: [energy], count: 1, speed_kmh: 60}}
"""

ATTACK = 6          # T+0:30 in 5-minute ticks
SWITCH = 3          # the default switch_time, 15 minutes
TRAVEL = 2          # b0 to b1, 10 km at 60 km/h


def _ties(tmp_path: Path, l03: float = 100.0, remote: bool = False) -> Path:
    path = tmp_path / "ties.yaml"
    path.write_text(TIES.format(l03=l03, remote=str(remote).lower()))
    return path


def _events(result) -> list[dict]:
    return [e.as_dict(result.tick_seconds) for e in result.timeline()]


def test_a_crew_closes_the_tie_to_a_bus_the_grid_cut_off(tmp_path):
    model = RippleModel(load_scenario(_ties(tmp_path)))
    result = model.run()
    events = _events(result)
    b1 = [(e["tick"], e["kind"], e.get("reasons")) for e in events
          if e["node"] == "b1" and e["kind"] in ("node_down", "node_up")]
    closed_at = ATTACK + TRAVEL + SWITCH
    assert b1 == [(ATTACK, "node_down", ["UNSUPPLIED"]), (closed_at, "node_up", None)]
    dispatch = [(e["tick"], e["node"], e["work"]) for e in events if e["kind"] == "dispatch"]
    assert dispatch[0] == (ATTACK, "b1", "switch")                  # switching before the line's repair
    closed = [(e["tick"], e["node"], e["team"], e["tie"]) for e in events if e["kind"] == "tie_closed"]
    assert closed == [(closed_at, "b1", "crew-1", "T13")]
    assert not [e for e in events if e["kind"] == "line_trip"]
    grid = model.physics.grids[0]
    on = grid.closed.copy()
    on[grid.line_id.index("L01")] = False
    on[grid.line_id.index("T13")] = True
    assert np.array_equal(model._line_on(0), on)                    # L01 still out, the tie closed
    flows = dict(zip(grid.line_id, dc_flow(grid, on, np.ones(4, bool)).flow_mw.tolist()))
    assert flows == pytest.approx({"L01": 0.0, "L02": 55.0, "L03": 35.0, "L23": 15.0, "T13": -30.0})
    assert result.series["service"][closed_at - 1] < 1.0 and result.series["service"][closed_at] == 1.0


def test_operators_close_the_tie_remotely_after_the_switch_time(tmp_path):
    result = RippleModel(load_scenario(_ties(tmp_path, remote=True))).run()
    events = _events(result)
    closed = [(e["tick"], e.get("team"), e["tie"]) for e in events if e["kind"] == "tie_closed"]
    assert closed == [(ATTACK + SWITCH, None, "T13")]
    assert [e["tick"] for e in events if e["node"] == "b1" and e["kind"] == "node_up"] == [ATTACK + SWITCH]


def test_a_tie_whose_closing_would_overload_a_branch_is_not_offered(tmp_path):
    # L03 rated 30 MVA: it carries 20 MW intact and with L01 out, 35 MW were the tie closed
    result = RippleModel(load_scenario(_ties(tmp_path, l03=30.0))).run()
    events = _events(result)
    assert not [e for e in events if e["kind"] == "tie_closed"]
    assert [e["work"] for e in events if e["kind"] == "dispatch"] == ["repair"]
    b1 = [(e["tick"], e["kind"]) for e in events if e["node"] == "b1" and e["kind"] in ("node_down", "node_up")]
    assert b1 == [(ATTACK, "node_down")]                            # down until L01 is repaired (hours)
    assert not [e for e in events if e["kind"] == "line_trip"]


def test_skipping_quiet_ticks_changes_nothing_with_a_tie(tmp_path):
    scenario = load_scenario(_ties(tmp_path))
    skipped, stepped = RippleModel(scenario).run(), RippleModel(scenario, skip_quiet=False).run()
    assert _events(skipped) == _events(stepped)
