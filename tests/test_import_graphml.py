"""``ripple import graphml``: foreign GraphML (pandapower's mv_oberrhein exported with networkx,
small graphs written here) imported with mappings, unknown attributes kept, dependencies only
from directed graphs, and run."""

import json
import logging

import networkx as nx
import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from ripple import app
from sim.cascade import cascade
from sim.model import RippleModel
from sim.network import DAMAGED, ISOLATED, Network
from sim.scenario import load_scenario
from sim.scenario.importers import ImportFailed
from sim.scenario.importers.fieldmap import parse_mapping
from sim.scenario.importers.graphml import import_graphml
from sim.scenario.netdata import read_network

logging.getLogger("pandapower").setLevel(logging.ERROR)     # numba, optional, is not installed
pp = pytest.importorskip("pandapower")
pn = pytest.importorskip("pandapower.networks")
top = pytest.importorskip("pandapower.topology")
pyproj = pytest.importorskip("pyproj")

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")    # pandapower's, on its own networks
OBERRHEIN_MAP = ["--map", "population=load_mw*1000", "--map", "source=is_plant", "--map", "kind=element"]


@pytest.fixture(scope="module")
def oberrhein(tmp_path_factory):
    """mv_oberrhein's topology as pandapower sees it (create_nxgraph: open switches cut), with
    each bus's voltage, position and load, written to GraphML by networkx."""
    net = pn.mv_oberrhein()
    graph = top.create_nxgraph(net)
    out = nx.MultiGraph()
    plants = set(net.ext_grid.bus)
    for bus, row in net.bus.iterrows():
        lon, lat = json.loads(row.geo)["coordinates"]
        out.add_node(bus, vn_kv=float(row.vn_kv), lon=lon, lat=lat, is_plant=bus in plants,
                     load_mw=float(net.load.p_mw[net.load.bus == bus].sum()))
    for a, b, (element, index), data in graph.edges(keys=True, data=True):
        out.add_edge(a, b, key=f"{element}{index}", element=element, length_km=float(data["weight"]))
    path = tmp_path_factory.mktemp("gml") / "oberrhein.graphml"
    nx.write_graphml(out, path)
    return net, graph, path


def test_oberrhein_imports_with_mappings_and_keeps_what_ripple_does_not_use(oberrhein):
    net, graph, path = oberrhein
    t, report = import_graphml(path, sector="energy", mapping=parse_mapping(OBERRHEIN_MAP[1::2]))
    assert t.n_nodes == len(net.bus) and t.ids == [str(bus) for bus in net.bus.index]
    assert t.n_links == graph.number_of_edges() == len(net.line) + len(net.trafo) - 6    # 6 lines cut open
    assert sorted(t.link_id) == sorted(f"{e}{i}" for _, _, (e, i) in graph.edges(keys=True))
    assert {t.ids[i] for i in np.flatnonzero(t.source)} == {str(b) for b in net.ext_grid.bus}
    assert t.population.sum() == pytest.approx(net.load.p_mw.sum() * 1000)
    assert {kind for kind in t.link_kind} == {"line", "trafo"}
    assert all(attrs["vn_kv"] in (20.0, 110.0) for attrs in t.node_attrs)
    assert "length_km" in t.link_attrs[0] and "lon" not in t.node_attrs[0]
    assert "mapped 2 attributes ripple does not use, kept in attrs: length_km, vn_kv" in report.lines()
    assert "mapped 179 node positions from lon, lat (longitude, latitude: EPSG:4326) -> km" in report.lines()
    assert report.warnings == [] and report.unplaced == []


def test_oberrhein_positions_are_true_km(oberrhein):
    net, _, path = oberrhein
    t, _ = import_graphml(path, sector="energy")
    lonlat = np.array([json.loads(g)["coordinates"] for g in net.bus.geo])
    geod = pyproj.Geod(ellps="WGS84")
    for i, j in np.random.default_rng(1).integers(0, len(lonlat), size=(30, 2)):
        true_km = geod.inv(*lonlat[i], *lonlat[j])[2] / 1000
        assert np.hypot(t.x[i] - t.x[j], t.y[i] - t.y[j]) == pytest.approx(true_km, rel=1e-3, abs=1e-6)
    local = pyproj.Proj(proj="aeqd", lon_0=lonlat[:, 0].mean(), lat_0=lonlat[:, 1].mean(), datum="WGS84")
    east, north = local(lonlat[:, 0], lonlat[:, 1])
    assert (t.x.min(), t.x.max(), t.y.min(), t.y.max()) == pytest.approx(
        (east.min() / 1000, east.max() / 1000, north.min() / 1000, north.max() / 1000), abs=1e-6)


def test_a_bus_down_cuts_off_what_pandapower_cuts_off(oberrhein, tmp_path):
    net, _, path = oberrhein
    out = tmp_path / "grid.json"
    result = runner.invoke(app, ["import", "graphml", str(path), "--out", str(out), "--sector", "energy",
                                 *OBERRHEIN_MAP])
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: 179 nodes, 177 links (0 normally-open ties), 0 dependencies" in result.output
    data = {"id": "gml", "name": "GraphML grid", "clock": {"tick": "5min", "duration": "1h"},
            "sectors": {"energy": {"connectivity": "sources"}}, "network": {"file": out.name}}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    ripple_net = Network.from_scenario(load_scenario(tmp_path / "s.yaml"))
    for bus in net.trafo.lv_bus.tolist() + [int(b) for b in net.line.to_bus[:20]]:
        own = np.zeros(ripple_net.n, np.uint8)
        own[ripple_net.index[str(bus)]] = DAMAGED
        down = cascade(ripple_net, own, ripple_net.dep_buffer.copy()).down
        net.bus.loc[bus, "in_service"] = False
        expected = {str(b) for b in top.unsupplied_buses(net)} - {str(bus)}
        net.bus.loc[bus, "in_service"] = True
        assert {ripple_net.ids[i] for i in np.flatnonzero(down & ISOLATED)} == expected, bus


def town_graph(directed):
    """A plant, a substation and a hospital; the hospital needs power from the substation."""
    graph = nx.MultiDiGraph() if directed else nx.MultiGraph()
    graph.add_node("plant", layer="energy", type="plant", x=7.80, y=48.00, plant="yes", label="Kraftwerk")
    graph.add_node("sub", layer="energy", type="substation", x=7.82, y=48.01, plant="no", load_mw=2.5)
    graph.add_node("hospital", layer="health", type="hospital", x=7.83, y=48.02, beds=240, people=500)
    graph.add_edge("plant", "sub", key="cable1", type="cable", voltage_kv=20.0)
    graph.add_edge("sub", "hospital", key="feed", resource="power", buffer="2h", owner="DSO")
    return graph


def write(graph, path):
    nx.write_graphml(graph, path)
    return path


TOWN_MAP = ["sector=layer", "kind=type", "source=plant", "name=label", "population=people"]


def test_a_directed_dependency_edge_runs_from_supplier_to_dependent(tmp_path):
    mapping = {"sector": "layer", "kind": "type", "source": "plant", "name": "label", "population": "people"}
    assert parse_mapping(TOWN_MAP) == mapping            # a part of a scenario gives the mapping as keys
    t, report = import_graphml(write(town_graph(True), tmp_path / "town.graphml"), prefix="t.", mapping=mapping)
    assert t.ids == ["t.plant", "t.sub", "t.hospital"] and t.sector_names == ["energy", "health"]
    assert t.name[0] == "Kraftwerk" and t.kind == ["plant", "substation", "hospital"]
    assert t.link_id == ["t.cable1"] and t.link_kind == ["cable"] and t.link_attrs[0] == {"voltage_kv": 20.0}
    assert t.n_dependencies == 1
    assert t.ids[t.dep_node[0]] == "t.hospital" and [t.ids[s] for s in t.supplier_node] == ["t.sub"]
    assert t.dep_buffer_s[0] == 7200.0
    assert t.node_attrs[1] == {"load_mw": 2.5} and t.node_attrs[2] == {"beds": 240}
    assert "dropped 1 attributes of dependency edges (dependencies keep none): owner" in report.lines()
    # a drone on the substation takes the hospital down once its 2 h buffer is spent
    out = tmp_path / "town.yaml"
    result = runner.invoke(app, ["import", "graphml", str(tmp_path / "town.graphml"), "--out", str(out),
                                 *[f"--map={m}" for m in TOWN_MAP]])
    assert result.exit_code == 0, result.output
    data = {"id": "town", "name": "GraphML town", "clock": {"tick": "5min", "duration": "6h"},
            "sectors": {"energy": {"connectivity": "sources"}, "health": {"connectivity": "none"}},
            "network": {"file": out.name},
            "attackers": [{"id": "cell", "plan": [{"at": "T+0:10", "tactic": "drone", "target": "sub"}]}]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    run = RippleModel(load_scenario(tmp_path / "s.yaml"), seed=1).run()
    down = {e.node: e.tick for e in run.timeline() if e.kind == "node_down"}
    assert set(down) == {"sub", "hospital"}
    assert (down["hospital"] - down["sub"]) * run.tick_seconds == pytest.approx(7200.0, abs=300)


def test_an_undirected_graph_with_a_dependency_edge_is_refused_saying_why(tmp_path):
    path = write(town_graph(False), tmp_path / "town.graphml")
    result = runner.invoke(app, ["import", "graphml", str(path), "--out", str(tmp_path / "t.yaml"),
                                 *[f"--map={m}" for m in TOWN_MAP]])
    assert result.exit_code == 2 and "Traceback" not in result.output
    text = " ".join(result.output.split())
    assert "edge 'feed' (sub -- hospital) carries resource 'power'" in text
    assert "the graph is undirected" in text and "substation needs power from the hospital" in text
    assert not (tmp_path / "t.yaml").exists()


def test_dependency_edges_into_one_node_are_one_dependency_with_every_supplier(tmp_path):
    graph = nx.MultiDiGraph()
    for node in ("a", "b", "c"):
        graph.add_node(node, sector="energy", x=0.0 + ord(node), y=1.0)
    graph.add_node("pump", sector="water", x=100.0, y=1.0)
    graph.add_edge("a", "pump", resource="power", need=2, kind="physical")
    graph.add_edge("b", "pump", resource="power", need=2)
    graph.add_edge("c", "pump", resource="power")
    t, _ = import_graphml(write(graph, tmp_path / "g.graphml"), units="km")
    assert t.n_dependencies == 1 and t.dep_need.tolist() == [2] and t.dep_kind == ["physical"]
    assert [t.ids[s] for s in t.supplier_node] == ["a", "b", "c"]
    assert t.crs is None and t.x.tolist() == [97.0, 98.0, 99.0, 100.0]
    graph.add_edge("c", "pump", resource="power", need=3)
    with pytest.raises(ImportFailed, match="need 3 differs from 2 on another edge into the same node for power"):
        import_graphml(write(graph, tmp_path / "g.graphml"), units="km")


def test_positions_in_metres_need_a_crs_or_units(tmp_path):
    graph = nx.Graph()
    graph.add_node("a", x=412000.0, y=5318000.0)
    graph.add_node("b", x=413000.0, y=5318000.0)
    graph.add_edge("a", "b")
    path = write(graph, tmp_path / "m.graphml")
    with pytest.raises(ImportFailed, match="declares no CRS and its positions are not degrees .*--crs EPSG:NNNN"):
        import_graphml(path, sector="energy")
    t, _ = import_graphml(path, sector="energy", crs="EPSG:25832")
    assert t.x[1] - t.x[0] == pytest.approx(1.0, rel=1e-3) and t.crs.startswith("+proj=aeqd")
    t, _ = import_graphml(path, sector="energy", units="m")
    assert t.x.tolist() == [412.0, 413.0] and t.crs is None
    t, _ = import_graphml(path, sector="energy", units="ft", origin=(7.8, 48.0))
    assert t.x[1] - t.x[0] == pytest.approx(0.3048) and "+lon_0=7.8" in t.crs


def test_a_graph_without_positions_is_placed_and_warned_about(tmp_path):
    graph = nx.Graph()
    graph.add_edge("a", "b")
    t, report = import_graphml(write(graph, tmp_path / "g.graphml"), sector="telecom")
    assert t.n_nodes == 2 and sorted(report.unplaced) == ["a", "b"]
    assert any("no node has a position" in w for w in report.warnings)


def test_the_import_round_trips_every_format(tmp_path):
    path = write(town_graph(True), tmp_path / "town.graphml")
    t, _ = import_graphml(path, mapping=parse_mapping(TOWN_MAP))
    for ext in ("yaml", "json", "graphml", "parquet"):
        result = runner.invoke(app, ["import", "graphml", str(path), "--out", str(tmp_path / f"n.{ext}"),
                                     *[f"--map={m}" for m in TOWN_MAP]])
        assert result.exit_code == 0, result.output
        assert read_network(tmp_path / f"n.{ext}") == t


def bad_graphs(tmp_path):
    no_sector = town_graph(True)
    no_sector.add_node("depot", x=7.81, y=48.0)
    bad_resource = town_graph(True)
    bad_resource.add_edge("sub", "hospital", key="gas", resource="gas")
    cross = town_graph(True)
    cross.add_edge("sub", "hospital", key="wire")
    negative = town_graph(True)
    negative.nodes["hospital"]["people"] = -5
    bad_flag = town_graph(True)
    bad_flag.nodes["sub"]["plant"] = "maybe"
    (tmp_path / "not.graphml").write_text("<graphml><graph><node></graph>")
    return {
        "no sector": (write(no_sector, tmp_path / "a.graphml"), TOWN_MAP,
                      "node 'depot' has no sector (no attribute 'layer')"),
        "no sector at all": (write(town_graph(True), tmp_path / "b.graphml"), [],
                             "node 'plant' has no sector (no attribute 'sector')"),
        "bad resource": (write(bad_resource, tmp_path / "c.graphml"), TOWN_MAP,
                         "edge 'gas' (sub -> hospital): resource 'gas' is not one ripple knows"),
        "link across sectors": (write(cross, tmp_path / "d.graphml"), TOWN_MAP,
                                "link 'wire' (sub -- hospital): links join nodes of one sector"),
        "negative population": (write(negative, tmp_path / "e.graphml"), TOWN_MAP,
                                "node 'hospital': population (attribute 'people') is -5, below 0"),
        "bad flag": (write(bad_flag, tmp_path / "f.graphml"), TOWN_MAP,
                     "node 'sub': source (attribute 'plant') is 'maybe', not yes or no"),
        "unknown field": (write(town_graph(True), tmp_path / "g.graphml"), ["colour=type"],
                          "--map colour=type: ripple has no field 'colour'"),
        "missing attribute": (write(town_graph(True), tmp_path / "h.graphml"), ["sector=zone"],
                              "--map sector=zone: no node has an attribute 'zone'"),
        "bad factor": (write(town_graph(True), tmp_path / "i.graphml"), ["population=people*lots"],
                       "the factor 'lots' is not a number"),
        "not graphml": (tmp_path / "not.graphml", [], "not valid GraphML"),
        "missing file": (tmp_path / "none.graphml", [], "file not found"),
    }


@pytest.mark.parametrize("case", ["no sector", "no sector at all", "bad resource", "link across sectors",
                                  "negative population", "bad flag", "unknown field", "missing attribute",
                                  "bad factor", "not graphml", "missing file"])
def test_bad_input_is_one_message_and_exit_2(tmp_path, case):
    path, mapping, message = bad_graphs(tmp_path)[case]
    result = runner.invoke(app, ["import", "graphml", str(path), "--out", str(tmp_path / "n.yaml"),
                                 *[f"--map={m}" for m in mapping]])
    assert result.exit_code == 2, result.output
    text = " ".join(result.output.split())
    assert message in text and text.startswith("error:") and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "n.yaml").exists()


def test_an_attribute_named_like_a_field_but_meaning_something_else_can_be_kept_aside(tmp_path):
    graph = town_graph(True)
    graph.nodes["sub"]["source"] = "OpenStreetMap"          # where the record came from, not a supply source
    path = write(graph, tmp_path / "town.graphml")
    with pytest.raises(ImportFailed, match="source \\(attribute 'source'\\) is 'OpenStreetMap', not yes or no "
                                           "\\(to keep that attribute in attrs instead: --map source=\\)"):
        import_graphml(path, mapping=parse_mapping(["sector=layer"]))
    t, _ = import_graphml(path, mapping=parse_mapping(["sector=layer", "source="]))
    assert not t.source.any() and t.node_attrs[1]["source"] == "OpenStreetMap"
