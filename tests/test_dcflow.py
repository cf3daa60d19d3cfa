"""The DC power flow and its overload cascade (physics: dc): pandapower's own flows, a hand
case, and a cascade an attack starts in a run."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from sim.model import RippleModel
from sim.physics.cascade import overload_cascade, rating_from_flow
from sim.physics.dcflow import dc_flow
from sim.physics.grid import Grid, GridError
from sim.physics.phase import without_branches
from sim.scenario import load_scenario
from sim.scenario.importers.pandapower import import_pandapower
from sim.scenario.netdata import tables_from_records

pp = pytest.importorskip("pandapower")
networks = pytest.importorskip("pandapower.networks")
logging.getLogger("pandapower").setLevel(logging.ERROR)

PER_UNIT_MW = 100.0    # 1e-6 per unit on 100 MVA is 1e-4 MW


def _saved(net, tmp_path: Path, name: str = "grid.json") -> Path:
    path = tmp_path / name
    pp.to_json(net, str(path))
    return path


@pytest.mark.parametrize("make", [networks.mv_oberrhein, lambda: networks.create_cigre_network_mv(with_der="pv_wind"),
                                  networks.case118, networks.case300],
                         ids=["mv_oberrhein", "cigre_mv_der", "case118", "case300"])
def test_intact_flows_equal_pandapower_rundcpp(make, tmp_path):
    net = make()
    tables, _ = import_pandapower(_saved(net, tmp_path))
    grid = Grid.from_tables(tables, 0)
    flow = dc_flow(grid, grid.closed, np.ones(grid.n_bus, bool))
    pp.rundcpp(net)
    theirs = {f"line{i}": p for i, p in zip(net.line.index, net.res_line.p_from_mw)}
    theirs |= {f"trafo{i}": p for i, p in zip(net.trafo.index, net.res_trafo.p_hv_mw)}
    ours = dict(zip(grid.line_id, flow.flow_mw.tolist()))
    compared = [k for k, p in theirs.items() if k in ours and not np.isnan(p)]
    assert len(compared) >= len(net.line) * 0.9
    worst = max(abs(ours[k] - theirs[k]) for k in compared) / PER_UNIT_MW
    assert worst < 1e-6
    # the bus angles too (pandapower's are degrees)
    angle = dict(zip(net.bus.index, np.deg2rad(net.res_bus.va_degree.to_numpy())))
    ours_angle = {int(tables.node_attrs[node]["pandapower_index"]): th for node, th in zip(grid.bus_node, flow.theta)}
    assert max(abs(ours_angle[b] - a) for b, a in angle.items() if not np.isnan(a)) < 1e-6


def _square() -> Grid:
    """The hand case: slack bus 0, 100 MW load at bus 2, two paths and a direct line.

    Lines (x per unit on 100 MVA, rating MVA): L01 (0.1, 60), L12 (0.1, 120), L03 (0.2, 80),
    L32 (0.2, 120), L02 (0.2, 50).
    """
    records = {
        "nodes": [{"id": "b0", "sector": "energy", "source": True, "attrs": {"slack": True}},
                  {"id": "b1", "sector": "energy"},
                  {"id": "b2", "sector": "energy", "population": 100, "attrs": {"p_load_mw": 100.0}},
                  {"id": "b3", "sector": "energy"}],
        "links": [{"id": f"L{a}{b}", "a": f"b{a}", "b": f"b{b}", "attrs": {"x_pu": x, "rating_mva": r}}
                  for a, b, x, r in ((0, 1, 0.1, 60), (1, 2, 0.1, 120), (0, 3, 0.2, 80), (3, 2, 0.2, 120),
                                     (0, 2, 0.2, 50))],
        "dependencies": []}
    tables, problems = tables_from_records(records)
    assert not problems
    return Grid.from_tables(tables, 0)


def test_hand_case_flows_and_the_next_trip():
    grid = _square()
    on = np.ones(grid.n_bus, bool)
    # intact: conductances 1/0.2 = 5 (path 0-1-2), 1/0.4 = 2.5 (path 0-3-2), 1/0.2 = 5 (direct):
    # 100 MW splits 40 / 20 / 40
    flow = dc_flow(grid, grid.closed, on)
    assert flow.flow_mw == pytest.approx([40, 40, 20, 20, 40], abs=1e-9)
    # L02 out: 100 MW splits 5 : 2.5 over the paths, 66.667 and 33.333 MW; L01 (60 MVA) overloads
    lines = grid.closed.copy()
    lines[4] = False
    flow = dc_flow(grid, lines, on)
    assert flow.flow_mw == pytest.approx([200 / 3, 200 / 3, 100 / 3, 100 / 3, 0], abs=1e-9)
    result = overload_cascade(grid, lines, on, grid.rating_mva)
    # round 1 trips L01 alone; round 2: all 100 MW over 0-3-2, L03 (80 MVA) trips, L32 (120) holds;
    # round 3: buses 1, 2 and 3 cut off from the slack, no flow, nothing overloaded
    assert [(grid.line_id[t.line], t.round, round(t.flow_mw, 6)) for t in result.trips] == [
        ("L01", 1, round(200 / 3, 6)), ("L03", 2, 100.0)]
    assert result.trips[1].cause == (0,)
    assert result.rounds == 3
    assert result.flow.supplied.tolist() == [True, False, False, False]


def test_islands_short_of_generation_shed_in_proportion_and_ramp():
    records = {
        "nodes": [{"id": "g", "sector": "energy", "source": True, "attrs": {"slack": True, "p_max_mw": 30.0}},
                  {"id": "h", "sector": "energy", "source": True, "attrs": {"p_gen_mw": 10.0, "p_max_mw": 30.0}},
                  {"id": "d", "sector": "energy", "attrs": {"p_load_mw": 80.0}}],
        "links": [{"id": "gd", "a": "g", "b": "d", "attrs": {"x_pu": 0.1}},
                  {"id": "hd", "a": "h", "b": "d", "attrs": {"x_pu": 0.1}}],
        "dependencies": []}
    grid = Grid.from_tables(tables_from_records(records)[0], 0)
    flow = dc_flow(grid, grid.closed, np.ones(3, bool))
    # capacity 60 MW for 80 MW of load: both give their most, every load served 3/4
    assert flow.served.tolist() == [0.75, 0.75, 0.75]
    assert flow.shed_mw == pytest.approx(20.0)
    assert flow.flow_mw == pytest.approx([30.0, 30.0])
    grid.load_mw[2] = 45.0   # the slack's 30 MW do not cover 45 - 10: h ramps by 5
    assert dc_flow(grid, grid.closed, np.ones(3, bool)).flow_mw == pytest.approx([30.0, 15.0])


def test_rating_from_flow_and_a_missing_reactance():
    grid = _square()
    assert rating_from_flow(grid, 0.1) == pytest.approx([44, 44, 22, 22, 44])
    records = {"nodes": [{"id": "a", "sector": "energy"}, {"id": "b", "sector": "energy"}],
               "links": [{"id": "ab", "a": "a", "b": "b"}], "dependencies": []}
    with pytest.raises(GridError, match="link ab has no reactance"):
        Grid.from_tables(tables_from_records(records)[0], 0)


def test_without_branches_takes_one_of_parallel_links():
    from sim.network import Network

    net = Network.from_arrays(sector=np.zeros(3), sector_names=["energy"], rules=["sources"],
                              links=np.array([[0, 1], [0, 1], [1, 2]]), dep_node=np.zeros(0), dep_need=np.zeros(0),
                              dep_buffer=np.zeros(0), supplier_group=np.zeros(0), supplier_node=np.zeros(0))
    out = without_branches(net, np.array([1]), np.array([0]))
    assert sorted(zip(out.link_rows.tolist(), out.link_cols.tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1)]


def _case118_scenario(tmp_path: Path, physics: str) -> Path:
    _saved(networks.case118(), tmp_path, "case118.json")
    energy = "{physics: dc, rating_from_flow: 0.5}" if physics == "dc" else "{}"
    path = tmp_path / f"attack_{physics}.yaml"
    path.write_text(f"""id: case118_{physics}
name: case118 under attack
seed: 3
clock: {{tick: 5min, duration: 6h}}
sectors:
  energy: {energy}
network:
  parts:
    - {{file: case118.json}}
attackers:
  - id: cell
    plan:
      - {{at: "T+0:30", tactic: sabotage, target: bus37}}
responders:
  grid_crews: {{kind: repair, sectors: [energy], base: bus1, count: 2}}
""")
    return path


def test_one_attack_on_a_meshed_grid_trips_lines_with_causes(tmp_path):
    scenario = load_scenario(_case118_scenario(tmp_path, "dc"))
    result = RippleModel(scenario).run()
    trips = [e for e in result.events if e.kind == "line_trip"]
    assert len(trips) >= 3
    first = [e for e in trips if e.detail["round"] == 1]
    assert first and all(e.detail["cause"] == ["bus37"] for e in first)
    later = [e for e in trips if e.detail["round"] > 1]
    assert later and all(set(e.detail["cause"]) <= {t.detail["line"] for t in trips} for e in later)
    assert all({"line", "a", "b", "flow_mw", "rating_mva"} <= set(e.detail) for e in trips)
    assert all(abs(e.detail["flow_mw"]) > e.detail["rating_mva"] for e in trips)
    json.dumps([e.detail for e in trips])
    from sim.events import category, describe

    text = describe(later[0], None, 300.0)
    assert category(later[0]) == "failure"
    assert text.startswith(f"Line {later[0].detail['line']} (") and "tripped" in text and "after losing" in text
    # the topological run of the same attack trips nothing and loses fewer nodes
    plain = RippleModel(load_scenario(_case118_scenario(tmp_path, "topological"))).run()
    assert not [e for e in plain.events if e.kind == "line_trip"]


def test_tripped_lines_are_reclosed_by_switch_tasks(tmp_path):
    scenario = load_scenario(_case118_scenario(tmp_path, "dc"))
    result = RippleModel(scenario).run()
    reclosed = [e for e in result.events if e.kind == "line_reclosed"]
    tripped = {e.detail["line"] for e in result.events if e.kind == "line_trip"}
    assert reclosed and {e.detail["line"] for e in reclosed} <= tripped
    switch_done = [e for e in result.events if e.kind == "task_done" and e.detail.get("work") == "switch"]
    assert len(switch_done) >= len(reclosed)


def test_validation_refuses_missing_reactances_and_warns_of_placeholder_ratings(tmp_path):
    from typer.testing import CliRunner

    from ripple import app

    runner = CliRunner()
    path = _case118_scenario(tmp_path, "dc")
    plain = tmp_path / "placeholder.yaml"
    plain.write_text(path.read_text().replace("{physics: dc, rating_from_flow: 0.5}", "{physics: dc}"))
    result = runner.invoke(app, ["validate", str(plain)])
    assert result.exit_code == 0
    assert "ratings look like placeholders" in result.output and "4.5%" in result.output
    assert "placeholders" not in runner.invoke(app, ["validate", str(path)]).output
    calder = Path(__file__).resolve().parent.parent / "scenarios"
    for name in ("calder_bay.yaml", "calder_bay_network.yaml"):
        (tmp_path / name).write_text((calder / name).read_text())
    dc = tmp_path / "calder_bay.yaml"
    text = dc.read_text()
    assert "  energy: {" in text
    dc.write_text(text.replace("  energy: {", "  energy: {physics: dc, ", 1))
    result = runner.invoke(app, ["validate", str(dc)])
    assert result.exit_code == 2
    assert "sectors.energy.physics: dc needs a reactance x_pu on every branch: link" in result.output
    assert "Traceback" not in result.output
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(path.read_text().replace("{physics: dc, rating_from_flow: 0.5}", "{rating_from_flow: 0.5}"))
    result = runner.invoke(app, ["validate", str(wrong)])
    assert result.exit_code == 2 and "rating_from_flow applies to physics: dc only" in result.output


def test_ripple_powerflow_writes_the_intact_flows(tmp_path):
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from ripple import app

    runner = CliRunner()
    net = networks.case118()
    source = _saved(net, tmp_path)
    out = tmp_path / "flows.parquet"
    result = runner.invoke(app, ["powerflow", str(source), "--out", str(out), "--top", "2"])
    assert result.exit_code == 0, result.output
    assert "186 branches in energy; 186 rated, the most loaded at 4.5%" in result.output
    rows = pq.read_table(out).to_pylist()
    pp.rundcpp(net)
    line = {r["line"]: r for r in rows}
    assert line["line3"]["flow_mw"] == pytest.approx(net.res_line.p_from_mw[3], abs=1e-6)
    assert line["line3"]["a"] == f"bus{net.line.from_bus[3]}"
    scenario = _case118_scenario(tmp_path, "dc")
    result = runner.invoke(app, ["powerflow", str(scenario), "--top", "1"])
    assert result.exit_code == 0 and "the most loaded at 66.7%" in result.output   # rated 1.5 x intact flow
    result = runner.invoke(app, ["powerflow", str(source), "--sector", "water"])
    assert result.exit_code == 2 and "no sector 'water'" in result.output
    result = runner.invoke(app, ["powerflow", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_skipping_quiet_ticks_changes_nothing_with_physics(tmp_path):
    scenario = load_scenario(_case118_scenario(tmp_path, "dc"))
    skipped = RippleModel(scenario).run()
    stepped = RippleModel(scenario, skip_quiet=False).run()
    assert [(e.tick, e.kind, e.node, e.detail) for e in skipped.events] == \
           [(e.tick, e.kind, e.node, e.detail) for e in stepped.events]
    assert json.dumps(skipped.metrics, sort_keys=True) == json.dumps(stepped.metrics, sort_keys=True)


def test_reclosing_checks_a_few_branches_a_tick_and_skipping_waits_for_them(tmp_path, monkeypatch):
    import sim.physics.phase as phase

    path = _case118_scenario(tmp_path, "dc")
    path.write_text(path.read_text().replace("rating_from_flow: 0.5}", "rating_from_flow: 0.5, operator_switching: true}"))
    scenario = load_scenario(path)
    monkeypatch.setattr(phase, "RECLOSE_CHECKS", 1)
    skipped = RippleModel(scenario).run()
    stepped = RippleModel(scenario, skip_quiet=False).run()
    assert [(e.tick, e.kind, e.detail) for e in skipped.events] == [(e.tick, e.kind, e.detail) for e in stepped.events]
    reclosed = [e for e in skipped.events if e.kind == "line_reclosed"]
    assert len(reclosed) >= 2 and all(e.team is None for e in reclosed)    # by operators, one look a tick
