"""Unplaced nodes: written without x and y in every format, skipped by blasts and radii,
reached by responders at an estimated distance, and drawn aside on the maps."""

import json
import math

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from agents.events import EventKind
from dashboards.figures import network_map
from dashboards.replay import write_replay
from dashboards.schematic import aside_corner, drawn_positions
from sim.model import Prebuilt, RippleModel
from sim.network import Network
from sim.scenario import ScenarioError
from sim.scenario.netdata import read_network, write_network
from sim.scenario.schema import Node, Scenario
from tests.browser import chromium, open_page, plotly_traces, screenshot
from tests.scenarios import DATA, scenario

NETWORK = {
    "nodes": [
        {"id": "plant", "sector": "energy", "x": 0.0, "y": 0.0, "source": True},
        {"id": "sub", "sector": "energy", "x": 1.0, "y": 0.0, "population": 100.0},
        {"id": "far", "sector": "energy", "population": 5.0},
        {"id": "hosp", "sector": "health", "population": 1000.0},
    ],
    "links": [["plant", "sub"], ["sub", "far"]],
    "dependencies": [{"node": "hosp", "resource": "power", "suppliers": ["far"]}],
}


def write_yaml(path, network):
    path.write_text(json.dumps(network))      # JSON is YAML
    return path


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".graphml", ".parquet"])
def test_unplaced_nodes_round_trip_in_every_format(tmp_path, suffix):
    tables = read_network(write_yaml(tmp_path / "in.yaml", NETWORK))
    assert np.isnan(tables.x).tolist() == [False, False, True, True] and np.isnan(tables.y).tolist() == [False, False, True, True]
    write_network(tables, tmp_path / f"out{suffix}")
    again = read_network(tmp_path / f"out{suffix}")
    assert again == tables
    if suffix in (".yaml", ".json"):
        text = (tmp_path / f"out{suffix}").read_text()
        assert "nan" not in text.lower()          # written without x and y, never as NaN
    if suffix == ".parquet":
        nodes = pq.read_table(tmp_path / "out.parquet" / "nodes.parquet")
        assert nodes.column("x").null_count == 2


def test_only_one_coordinate_or_a_written_nan_is_refused(tmp_path):
    half = {**NETWORK, "nodes": [*NETWORK["nodes"][:2], {"id": "far", "sector": "energy", "x": 3.0}]}
    with pytest.raises(ScenarioError, match=r"nodes\[2\]\.y: give both x and y, or neither"):
        read_network(write_yaml(tmp_path / "half.yaml", {**half, "links": [], "dependencies": []}))
    (tmp_path / "nan.yaml").write_text("nodes:\n  - {id: a, sector: e, x: .nan, y: 1}\n  - {id: b, sector: e, x: 1, y: .inf}\n")
    with pytest.raises(ScenarioError) as caught:
        read_network(tmp_path / "nan.yaml")
    text = str(caught.value)
    assert "nodes[0].x: Input should be a finite number" in text and "nodes[1].y: Input should be a finite number" in text
    (tmp_path / "text.yaml").write_text("nodes:\n  - {id: a, sector: e, x: 'nan', y: 1}\n")
    with pytest.raises(ScenarioError, match=r"nodes\[0\]\.x: Input should be a finite number"):
        read_network(tmp_path / "text.yaml")
    (tmp_path / "null.yaml").write_text("nodes:\n  - {id: a, sector: e, x: null, y: null}\n")
    assert np.isnan(read_network(tmp_path / "null.yaml").x[0])


def test_parquet_null_is_unplaced_and_nan_is_refused(tmp_path):
    tables = read_network(write_yaml(tmp_path / "in.yaml", NETWORK))
    write_network(tables, tmp_path / "net.parquet")
    nodes = pq.read_table(tmp_path / "net.parquet" / "nodes.parquet")
    x = nodes.column("x").to_pylist()
    x[2] = float("nan")                 # written as a number, not null
    nodes = nodes.set_column(nodes.column_names.index("x"), "x", pa.array(x, pa.float64()))
    pq.write_table(nodes, tmp_path / "net.parquet" / "nodes.parquet")
    with pytest.raises(ScenarioError, match=r"nodes\[id=far\]: x: Input should be a finite number"):
        read_network(tmp_path / "net.parquet")


def test_an_inline_node_may_be_unplaced_but_not_half_placed():
    assert Node(id="a", sector="e").x is None
    with pytest.raises(ValueError, match="give both x and y"):
        Node(id="a", sector="e", x=1.0)
    s = scenario("unplaced")
    net = Network.from_scenario(s)
    assert net.placed.tolist() == [True, True, True, False, True, False]
    built = Scenario.model_validate({**s.model_dump(mode="json", by_alias=True), "network": s.network.model_dump(mode="json")})
    assert np.array_equal(Network.from_scenario(built).placed, net.placed)      # a scenario built in Python


def test_the_spatial_index_holds_placed_nodes_only():
    prebuilt = Prebuilt.of(scenario("unplaced"))
    assert prebuilt.tree.n == 4 and prebuilt.network.placed_rows.tolist() == [0, 1, 2, 4]


def test_a_vbied_next_to_an_unplaced_node_does_not_hit_it_and_the_run_warns(tmp_path):
    model = RippleModel(scenario("unplaced"), seed=1)
    result = model.run()
    hit = {e.node for e in result.events if e.kind == EventKind.HIT}
    assert hit == {"sub", "plant", "sub2", "hosp"}       # every placed node, in a radius of 1,000 km
    assert any(w.startswith("a blast radius skipped the 2 unplaced node(s)") for w in result.warnings)
    assert any(w.startswith("2 node(s) are unplaced (no x, y): sub3, clinic") for w in result.warnings)
    summary = json.loads((result.save(tmp_path) / "summary.json").read_text())
    assert summary["warnings"] == result.warnings
    assert result.metrics["min_service"] < 1.0            # the run completed, with losses


def test_responders_reach_an_unplaced_node_at_the_median_distance_of_its_sector():
    s = scenario("unplaced", {"attackers": [{"id": "cell", "plan": [{"at": "T+0:10", "tactic": "vbied", "target": "sub3"}]}]})
    model = RippleModel(s, seed=2)
    result = model.run()
    crew = next(u for u in model.responders if u.team == "crew")
    dispatch = next(e for e in result.events if e.kind == EventKind.DISPATCH and e.node == "sub3" and e.detail["work"] == "repair")
    energy = np.array([[0.0, 0.0], [1.0, 0.0], [1.1, 0.1]])    # the placed energy nodes; the crew's base is the plant
    km = float(np.median(np.hypot(*(energy - [0.0, 0.0]).T)))
    assert dispatch.detail["eta_ticks"] == math.ceil(km / crew.speed_kmh * 3600 / s.clock.tick - 1e-9)
    assert np.allclose(crew.base, [0.0, 0.0]) and np.isfinite(crew.position).all()   # it stays where it set out from
    assert any("reached no other node" in w for w in result.warnings)                # a blast at an unplaced centre
    assert any(w.startswith("units were sent to 1 unplaced node(s) (sub3)") for w in result.warnings)


def test_a_base_on_an_unplaced_node_is_refused():
    with pytest.raises(ScenarioError, match=r"responders\.crew\.base: node 'sub3' is unplaced"):
        scenario("unplaced", {"responders": {"crew": {"base": "sub3"}}})


def test_the_map_draws_unplaced_nodes_hollow_beside_their_neighbours():
    s = scenario("unplaced", {"network": {"nodes": [*scenario("unplaced").network.model_dump(mode="json")["nodes"],
                                                    {"id": "lonely", "sector": "telecom"}]}})
    net = Network.from_scenario(s)
    xy = drawn_positions(net)
    assert np.isfinite(xy).all() and np.array_equal(xy[net.placed], net.xy[net.placed])
    sub2, sub3 = net.index["sub2"], net.index["sub3"]
    assert np.hypot(*(xy[sub3] - xy[sub2])) <= 0.06 * 1.1 + 1e-9   # beside its one placed neighbour (6% of the span)
    x0, top = aside_corner(net)
    assert xy[net.index["lonely"], 0] >= x0 and xy[net.index["lonely"], 1] == top   # no placed node in reach: aside
    fig = network_map(net, np.zeros(net.n, np.uint8), np.zeros(net.n, bool))
    energy = next(t for t in fig.data if t.meta == "nodes:energy")
    members = np.flatnonzero(net.sector == net.sector_names.index("energy")).tolist()
    assert energy.marker.symbol[1 + members.index(sub3)] == "circle-open"
    assert energy.marker.symbol[1 + members.index(sub2)] == "circle"
    assert any(a.text.startswith("unplaced") for a in fig.layout.annotations)


@pytest.mark.browser
def test_the_replay_page_renders_unplaced_nodes(tmp_path):
    model = RippleModel(scenario("unplaced"), seed=1)
    path = write_replay(model.run(), model.network, tmp_path / "replay.html")
    with chromium() as browser, open_page(browser, path) as session:
        page = session.page
        page.wait_for_function("window.rippleReady === true", timeout=10_000)
        page.evaluate("document.getElementById('slider').value = 40; "
                      "document.getElementById('slider').dispatchEvent(new Event('input'))")
        page.wait_for_timeout(300)
        traces = {t["meta"]: t for t in plotly_traces(page, "map")}
        energy, health = traces["nodes:energy"], traces["nodes:health"]
        assert all(v is not None for v in energy["x"][1:] + health["x"][1:])     # every node drawn
        assert energy["symbol"][4].endswith("-open") and health["symbol"][2].endswith("-open")   # sub3, clinic
        assert not energy["symbol"][2].endswith("-open")
        assert "key:unplaced" in traces
        shot = screenshot(page, "replay-unplaced", tmp_path)
        assert shot.stat().st_size > 10_000
        assert session.blocked == [] and session.errors == []


def test_the_shipped_scenarios_have_every_node_placed():
    for name in ("calder_bay", "cyber_physical", "buldyrev"):
        net = read_network(DATA.parent.parent / "scenarios" / f"{name}_network.yaml")
        assert not np.isnan(net.x).any()


def test_a_network_with_no_node_placed_runs_and_draws(tmp_path):
    nodes = [{k: v for k, v in n.items() if k not in ("x", "y")} for n in scenario("tiny").network.model_dump(mode="json")["nodes"]]
    bases = {team: {"base": [0.0, 0.0]} for team in ("police", "fire", "crew")}
    model = RippleModel(scenario("tiny", {"network": {"nodes": nodes}, "responders": bases}), seed=1)
    result = model.run()
    assert result.warnings[-1] == "units were sent to 1 unplaced node(s) (sub): no node is placed, so the trips took no time"
    assert np.isfinite(drawn_positions(model.network)).all()
    assert write_replay(result, model.network, tmp_path / "replay.html").stat().st_size > 0
