"""Network data from referenced files: YAML/JSON node and edge lists, and GraphML."""

import json

import networkx as nx

from sim.model import RippleModel
from sim.network import ISOLATED, UNSUPPLIED
from sim.scenario import load_scenario

SCENARIO = """id: files
name: Network from a file
clock: {{tick: 5min, duration: 1h}}
network: {{file: {name}}}
attackers:
  - id: cell
    plan: [{{at: T+0:05, tactic: insider, target: sub}}]
"""


def check(path):
    s = load_scenario(path)
    assert s.network.tables.ids == ["plant", "sub", "hosp"]
    model = RippleModel(s)
    model.advance(3)
    index = model.network.index
    assert model.state.down[index["hosp"]] == UNSUPPLIED
    assert not model.state.down[index["plant"]] & ISOLATED


def test_json_network_file(tmp_path):
    (tmp_path / "net.json").write_text(json.dumps({
        "nodes": [{"id": "plant", "sector": "energy", "x": 0, "y": 0, "source": True},
                  {"id": "sub", "sector": "energy", "x": 1, "y": 0},
                  {"id": "hosp", "sector": "health", "x": 1, "y": 1, "population": 100}],
        "links": [["plant", "sub"]],
        "dependencies": [{"node": "hosp", "resource": "power", "suppliers": ["sub"]}]}))
    (tmp_path / "s.yaml").write_text(SCENARIO.format(name="net.json"))
    check(tmp_path / "s.yaml")


def test_graphml_network_file(tmp_path):
    g = nx.DiGraph()
    g.add_node("plant", sector="energy", x=0.0, y=0.0, source=True)
    g.add_node("sub", sector="energy", x=1.0, y=0.0)
    g.add_node("hosp", sector="health", x=1.0, y=1.0, population=100.0)
    g.add_edge("plant", "sub")
    g.add_edge("sub", "hosp", resource="power", need=1, buffer="0min")
    nx.write_graphml(g, tmp_path / "net.graphml")
    (tmp_path / "s.yaml").write_text(SCENARIO.format(name="net.graphml"))
    check(tmp_path / "s.yaml")
