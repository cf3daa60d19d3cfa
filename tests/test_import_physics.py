"""The power-flow fields through ``ripple import graphml`` and ``ripple import gis --map``: a five-bus
110 kV grid written with another tool's attribute names (reactance_ohm, kv, thermal_limit, load_kw,
gen_mw, is_slack), imported and solved by ``ripple powerflow``, gives pandapower's ``rundcpp`` flows
of the same grid; bad mappings are one message and exit 2."""

import json
import logging
import math

import networkx as nx
import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ripple import app
from sim.physics.grid import Grid
from sim.scenario.importers import ImportFailed
from sim.scenario.importers.fieldmap import field_sources, parse_mapping
from sim.scenario.importers.gis import import_gis
from sim.scenario.importers.graphml import import_graphml
from sim.scenario.netdata import read_network
from sim.scenario.schema import PHYSICS_LINK_FIELDS, PHYSICS_NODE_FIELDS

logging.getLogger("pandapower").setLevel(logging.ERROR)     # numba, optional, is not installed
pp = pytest.importorskip("pandapower")
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
runner = CliRunner()

KV = 110.0
# bus: (lon, lat, load kW, generation MW, slack); b1 holds the angle, b5 generates at a set point
BUSES = {"b1": (7.80, 48.00, 0, 0.0, "yes"), "b2": (7.90, 48.00, 60_000, 0.0, "no"),
         "b3": (7.90, 47.90, 90_000, 0.0, "no"), "b4": (8.00, 47.90, 40_000, 0.0, "no"),
         "b5": (7.80, 47.90, 0, 50.0, "no")}
# line: (from, to, reactance in ohm, thermal limit in MW); b4 hangs on b3 alone
LINES = {"L12": ("b1", "b2", 12.1, 100.0), "L13": ("b1", "b3", 24.2, 100.0), "L23": ("b2", "b3", 18.15, 60.0),
         "L15": ("b1", "b5", 12.1, 80.0), "L35": ("b3", "b5", 30.25, 80.0), "L34": ("b3", "b4", 6.05, 50.0)}
GRAPHML_MAP = ["x_ohm=reactance_ohm", "vn_kv=kv", "rating_mva=thermal_limit", "p_load_mw=load_kw*0.001",
               "p_gen_mw=gen_mw", "slack=is_slack"]


def pandapower_flows():
    """The same grid in pandapower, its DC flow (MW from the line's first bus)."""
    net = pp.create_empty_network()
    bus = {name: pp.create_bus(net, vn_kv=KV, name=name) for name in BUSES}
    for name, (_, _, load_kw, gen_mw, slack) in BUSES.items():
        if slack == "yes":
            pp.create_ext_grid(net, bus[name])
        if load_kw:
            pp.create_load(net, bus[name], p_mw=load_kw / 1000)
        if gen_mw:
            pp.create_gen(net, bus[name], p_mw=gen_mw)
    for name, (a, b, x_ohm, limit) in LINES.items():
        pp.create_line_from_parameters(net, bus[a], bus[b], length_km=1.0, r_ohm_per_km=0.01, x_ohm_per_km=x_ohm,
                                       c_nf_per_km=0.0, max_i_ka=limit / (math.sqrt(3) * KV), name=name)
    pp.rundcpp(net)
    return dict(zip(net.line.name, net.res_line.p_from_mw))


def write_graphml(path):
    graph = nx.MultiGraph()
    for name, (lon, lat, load_kw, gen_mw, slack) in BUSES.items():
        graph.add_node(name, lon=lon, lat=lat, kv=KV, load_kw=load_kw, gen_mw=gen_mw, is_slack=slack)
    for name, (a, b, x_ohm, limit) in LINES.items():
        graph.add_edge(a, b, key=name, reactance_ohm=x_ohm, thermal_limit=limit)
    nx.write_graphml(graph, path)
    return path


def write_geojson(path, lines=LINES, line_kv=KV):
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
                 "properties": {"asset": name, "kv": KV, "load_kw": load_kw, "gen_mw": gen_mw, "is_slack": slack}}
                for name, (lon, lat, load_kw, gen_mw, slack) in BUSES.items()]
    features += [{"type": "Feature", "geometry": {"type": "LineString", "coordinates": [BUSES[a][:2], BUSES[b][:2]]},
                  "properties": {"asset": name, "kv": line_kv, "reactance_ohm": x_ohm, "thermal_limit": limit}}
                 for name, (a, b, x_ohm, limit) in lines.items()]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def powerflow(network, tmp_path):
    result = runner.invoke(app, ["powerflow", str(network), "--out", str(tmp_path / "flows.parquet")])
    assert result.exit_code == 0, result.output
    return {row["line"]: row for row in pq.read_table(tmp_path / "flows.parquet").to_pylist()}


def check_flows(rows):
    expected = pandapower_flows()
    assert set(rows) == set(LINES)
    for name, (a, b, x_ohm, limit) in LINES.items():
        assert (rows[name]["a"], rows[name]["b"]) == (a, b)
        assert rows[name]["flow_mw"] == pytest.approx(expected[name], abs=1e-6)
        assert rows[name]["x_pu"] == pytest.approx(x_ohm * 100 / KV ** 2, rel=1e-12)     # Z_base = 121 ohm
        assert rows[name]["rating_mva"] == limit
    # by hand: b4 hangs on L34 alone and draws 40 MW; b1 gives what b5's 50 MW leaves of 190 MW of load
    assert rows["L34"]["flow_mw"] == pytest.approx(40.0, abs=1e-9)
    assert rows["L12"]["flow_mw"] + rows["L13"]["flow_mw"] + rows["L15"]["flow_mw"] == pytest.approx(140.0, abs=1e-9)
    assert rows["L34"]["loading"] == pytest.approx(0.8)


def test_a_graphml_grid_with_foreign_names_imports_with_map_and_flows_as_pandapower(tmp_path):
    source = write_graphml(tmp_path / "grid.graphml")
    result = runner.invoke(app, ["import", "graphml", str(source), "--out", str(tmp_path / "grid.yaml"),
                                 "--sector", "energy", *[f"--map={m}" for m in GRAPHML_MAP]])
    assert result.exit_code == 0, result.output
    for line in ("mapped 5 node load_kw*0.001 -> p_load_mw", "mapped 5 node is_slack -> slack",
                 "mapped 5 node kv -> vn_kv", "mapped 6 link thermal_limit -> rating_mva",
                 "mapped 6 link reactance_ohm (ohm at vn_kv) -> x_pu on 100 MVA"):
        assert line in result.output.splitlines()
    assert "attributes ripple does not use" not in result.output      # every foreign attribute was mapped
    t = read_network(tmp_path / "grid.yaml")
    assert t.node_attrs[t.ids.index("b2")] == {"p_load_mw": 60.0, "p_gen_mw": 0.0, "slack": False, "vn_kv": KV}
    assert t.node_attrs[0]["slack"] is True
    check_flows(powerflow(tmp_path / "grid.yaml", tmp_path))


def test_a_gis_grid_of_points_and_lines_imports_with_map_and_flows_as_pandapower(tmp_path):
    source = write_geojson(tmp_path / "grid.geojson")
    result = runner.invoke(app, ["import", "gis", str(source), "--out", str(tmp_path / "grid.yaml"),
                                 "--sector", "energy", "--id-field", "asset", *[f"--map={m}" for m in GRAPHML_MAP]])
    assert result.exit_code == 0, result.output
    assert "mapped 6 link reactance_ohm (ohm at vn_kv) -> x_pu on 100 MVA" in result.output.splitlines()
    t = read_network(tmp_path / "grid.yaml")
    link = t.link_attrs[t.link_id.index("L34")]
    assert set(link) == {"length_km", "vn_kv", "x_pu", "rating_mva"}          # mapped fields are not kept twice
    assert t.node_attrs[t.ids.index("b5")] == {"p_load_mw": 0.0, "p_gen_mw": 50.0, "slack": False, "vn_kv": KV}
    check_flows(powerflow(tmp_path / "grid.yaml", tmp_path))


def test_x_ohm_takes_the_link_voltage_first_and_refuses_a_transformer_without_one(tmp_path):
    source = write_geojson(tmp_path / "v.geojson", line_kv=220.0)      # the lines say 220 kV, their ends 110
    t, _ = import_gis(source, sector="energy", id_field="asset", mapping={"x_ohm": "reactance_ohm", "vn_kv": "kv"})
    assert t.link_attrs[t.link_id.index("L12")]["x_pu"] == pytest.approx(12.1 * 100 / 220.0 ** 2, rel=1e-12)
    without = write_geojson(tmp_path / "w.geojson", line_kv=None)           # the lines say nothing: their ends' kV
    t, _ = import_gis(without, sector="energy", id_field="asset", mapping={"x_ohm": "reactance_ohm", "vn_kv": "kv"})
    assert t.link_attrs[t.link_id.index("L12")]["x_pu"] == pytest.approx(0.1, rel=1e-12)
    graph = nx.MultiGraph()
    graph.add_node("hv", kv=110.0, x=0.0, y=0.0)
    graph.add_node("mv", kv=20.0, x=1.0, y=0.0)
    graph.add_edge("hv", "mv", key="T1", reactance_ohm=10.0)
    nx.write_graphml(graph, tmp_path / "t.graphml")
    with pytest.raises(ImportFailed, match="edge 'T1' \\(hv -- mv\\) joins 20 kV and 110 kV: a transformer's reactance "
                                           "in ohms depends on the side it is given for; give its x_pu instead"):
        import_graphml(tmp_path / "t.graphml", sector="energy", units="km",
                       mapping={"x_ohm": "reactance_ohm", "vn_kv": "kv"})


def test_every_physics_field_lands_where_the_grid_reads_it(tmp_path):
    """The importers and sim/physics/grid.py share the field names: each one mapped changes the grid."""
    graph = nx.MultiGraph()
    graph.add_node("a", x=0.0, y=0.0, **{f"n_{f}": 1 for f in PHYSICS_NODE_FIELDS})
    graph.add_node("b", x=1.0, y=0.0)
    graph.add_edge("a", "b", key="L", **{f"e_{f}": 2 for f in PHYSICS_LINK_FIELDS})
    nx.write_graphml(graph, tmp_path / "all.graphml")
    mapping = {f: f"n_{f}" for f in PHYSICS_NODE_FIELDS} | {f: f"e_{f}" for f in PHYSICS_LINK_FIELDS}
    t, _ = import_graphml(tmp_path / "all.graphml", sector="energy", units="km", mapping=mapping)
    grid = Grid.from_tables(t, 0)
    assert (grid.x_pu[0], np.rad2deg(grid.shift_rad[0]), grid.rating_mva[0]) == (2.0, 2.0, 2.0)
    assert (grid.load_mw[0], grid.gen_mw[0], grid.max_mw[0], grid.slack[0], np.rad2deg(grid.slack_angle[0]),
            grid.priority[0]) == (1.0, 1.0, 1.0, True, pytest.approx(1.0), 1.0)


def test_an_attribute_already_named_as_a_physics_field_is_read_and_checked(tmp_path):
    graph = nx.MultiGraph()
    graph.add_node("a", x=0.0, y=0.0, p_load_mw="12.5")
    graph.add_node("b", x=1.0, y=0.0, p_load_mw="lots")
    nx.write_graphml(graph, tmp_path / "own.graphml")
    with pytest.raises(ImportFailed, match="node 'b': p_load_mw \\(attribute 'p_load_mw'\\) is 'lots', not a number "
                                           "\\(to keep that attribute in attrs instead: --map p_load_mw=\\)"):
        import_graphml(tmp_path / "own.graphml", sector="energy", units="km")
    t, _ = import_graphml(tmp_path / "own.graphml", sector="energy", units="km", mapping={"p_load_mw": ""})
    assert [attrs["p_load_mw"] for attrs in t.node_attrs] == ["12.5", "lots"]     # kept as they are


def test_a_factor_is_read_only_for_numbers():
    assert field_sources(parse_mapping(["rating_mva=thermal_kw*0.001"]), ("rating_mva",), ("rating_mva",)) == {
        "rating_mva": ("thermal_kw", 0.001)}
    with pytest.raises(ImportFailed, match="--map slack=is_slack\\*2: slack is yes or no, it takes no factor"):
        field_sources({"slack": "is_slack*2"}, ("slack",), ())


def bad_graphml(tmp_path):
    source = write_graphml(tmp_path / "grid.graphml")
    graph = nx.read_graphml(source, force_multigraph=True)
    graph.edges["b1", "b2", "L12"]["thermal_limit"] = "high"
    nx.write_graphml(graph, tmp_path / "words.graphml")
    graph.edges["b1", "b2", "L12"]["thermal_limit"] = -5.0
    nx.write_graphml(graph, tmp_path / "negative.graphml")
    return {
        "unknown field": (source, ["reactance=reactance_ohm"], "--map reactance=reactance_ohm: ripple has no field "
                                                               "'reactance' here; it knows"),
        "not a number": (tmp_path / "words.graphml", GRAPHML_MAP, "edge 'L12' (b1 -- b2): rating_mva (attribute "
                                                                  "'thermal_limit') is 'high', not a number"),
        "negative rating": (tmp_path / "negative.graphml", GRAPHML_MAP, "edge 'L12' (b1 -- b2): rating_mva (attribute "
                                                                        "'thermal_limit') is -5, not above 0"),
        "factor on slack": (source, ["slack=is_slack*1"], "--map slack=is_slack*1: slack is yes or no, it takes no "
                                                          "factor"),
        "ohms without kV": (source, ["x_ohm=reactance_ohm"], "--map x_ohm=reactance_ohm: a reactance in ohms needs the "
                                                             "nominal voltage"),
        "both reactances": (source, ["x_ohm=reactance_ohm", "x_pu=reactance_ohm", "vn_kv=kv"],
                            "map the reactance once, per unit or in ohms"),
        "missing attribute": (source, ["rating_mva=limit"], "--map rating_mva=limit: no edge has an attribute 'limit'"),
    }


@pytest.mark.parametrize("case", ["unknown field", "not a number", "negative rating", "factor on slack",
                                  "ohms without kV", "both reactances", "missing attribute"])
def test_bad_graphml_mappings_are_one_message_and_exit_2(tmp_path, case):
    path, mapping, message = bad_graphml(tmp_path)[case]
    result = runner.invoke(app, ["import", "graphml", str(path), "--out", str(tmp_path / "n.yaml"), "--sector",
                                 "energy", *[f"--map={m}" for m in mapping]])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert text.startswith("error:") and message in text and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "n.yaml").exists()


@pytest.mark.parametrize("mapping, message", [
    (["kind=type"], "--map kind=type: ripple has no field 'kind' here; it knows p_gen_mw, p_load_mw, p_max_mw, "
                    "phase_shift_degree, priority, rating_mva, slack, slack_va_degree, vn_kv, x_ohm, x_pu; a node's "
                    "name, kind and people come from --name-field"),
    (["rating_mva=limit"], "--map rating_mva=limit: the layer has no field 'limit' (its fields: asset, kv, load_kw"),
    (["p_gen_mw=is_slack"], "feature 0 ('b1'): p_gen_mw (attribute 'is_slack') is 'yes', not a number"),
    (["slack=is_slack*2"], "slack is yes or no, it takes no factor"),
    (["x_ohm=reactance_ohm", "vn_kv=load_kw"], "feature 0 ('b1'): vn_kv (attribute 'load_kw') is 0, not above 0"),
])
def test_bad_gis_mappings_are_one_message_and_exit_2(tmp_path, mapping, message):
    source = write_geojson(tmp_path / "grid.geojson")
    result = runner.invoke(app, ["import", "gis", str(source), "--out", str(tmp_path / "n.yaml"), "--sector", "energy",
                                 "--id-field", "asset", *[f"--map={m}" for m in mapping]])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert text.startswith("error:") and message in text and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "n.yaml").exists()


SCENARIO = """id: imported
name: an imported five-bus grid
seed: 1
clock: {{tick: 5min, duration: 2h}}
policies: {{scripted_outcomes: true}}
sectors:
  energy: {{physics: dc}}
network:
  parts:
    - file: grid.{ext}
      sector: energy
      mapping: {{x_ohm: reactance_ohm, vn_kv: kv, rating_mva: thermal_limit, p_load_mw: load_kw*0.001,
                p_gen_mw: gen_mw, slack: is_slack}}
      {more}
attackers:
  - id: cell
    plan:
      - {{at: "T+0:30", tactic: drone, target: L34}}
"""


@pytest.mark.parametrize("ext, more", [("graphml", ""), ("geojson", "id_field: asset")])
def test_a_scenario_part_maps_the_fields_and_the_grid_runs_on_them(tmp_path, ext, more):
    (write_graphml if ext == "graphml" else write_geojson)(tmp_path / f"grid.{ext}")
    scenario = tmp_path / "imported.yaml"
    scenario.write_text(SCENARIO.format(ext=ext, more=more))
    check_flows(powerflow(scenario, tmp_path))
    from sim.model import RippleModel
    from sim.scenario import load_scenario

    result = RippleModel(load_scenario(scenario)).run()
    down = [e.as_dict(result.tick_seconds) for e in result.timeline() if e.kind == "node_down"]
    # b4 hangs on L34 alone: the drone leaves it in an island without generation
    assert [(e["node"], e["reasons"], e["cause"]["lines"]) for e in down] == [("b4", ["UNSUPPLIED"], ["L34"])]
