"""Links as records (ids, kinds, normally-open ties, attributes) and node attributes: read,
checked, written in every format, and ties left out of the kernel's links."""

import numpy as np
import pytest
import yaml

from sim.cascade import cascade
from sim.network import ISOLATED, Network
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.netdata import read_network, tables_from_records, write_network

NETWORK = {
    "nodes": [
        {"id": "src", "sector": "energy", "x": 0, "y": 0, "source": True,
         "attrs": {"vn_kv": 20.0, "yes": None, "a b": [1, 2], "zone": "north"}},
        {"id": "a", "sector": "energy", "x": 1, "y": 0, "population": 10},
        {"id": "b", "sector": "energy", "x": 2, "y": 0, "population": 10},
    ],
    "links": [
        ["src", "a"],
        {"id": "line1", "a": "src", "b": "a", "kind": "line", "attrs": {"length_km": 1.5, "on": True}},
        {"id": "tie1", "a": "a", "b": "b", "kind": "switch", "open": True},
    ],
    "dependencies": [],
}


def scenario_file(tmp_path, links):
    """A scenario whose feeder b reaches the source only through ``links``."""
    data = {"id": "t", "name": "t", "clock": {"tick": "5min", "duration": "1h"},
            "network": {**NETWORK, "links": [["src", "a"], *links]}}
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_records_keep_ids_kinds_ties_attributes_and_parallel_links():
    t, problems = tables_from_records(NETWORK)
    assert problems == []
    assert t.n_links == 3 and t.link_id == ["", "line1", "tie1"] and t.link_kind == ["", "line", "switch"]
    assert t.link_open.tolist() == [False, False, True]
    assert t.link_attrs == [None, {"length_km": 1.5, "on": True}, None]
    assert t.node_attrs[0]["zone"] == "north" and t.node_attrs[1] is None
    assert t.records(("power",))["links"][0] == ["src", "a"]


@pytest.mark.parametrize("ext", ["yaml", "json", "graphml", "parquet"])
def test_every_format_round_trips_link_records(tmp_path, ext):
    t, _ = tables_from_records(NETWORK)
    write_network(t, tmp_path / f"net.{ext}")
    assert read_network(tmp_path / f"net.{ext}") == t


def test_pairs_only_are_still_written_as_pairs(tmp_path):
    t, _ = tables_from_records({**NETWORK, "links": [["src", "a"], ["a", "b"]],
                                "nodes": [dict(n, attrs=None) for n in NETWORK["nodes"]]})
    write_network(t, tmp_path / "net.yaml")
    assert '  - ["src", "a"]\n  - ["a", "b"]\n' in (tmp_path / "net.yaml").read_text()
    assert "attrs" not in (tmp_path / "net.yaml").read_text()


def test_bad_link_records_are_located():
    links = [{"id": "x", "a": "src", "b": "a"}, {"id": "x", "a": "a", "b": "b", "open": "yes"},
             {"a": "src", "b": "b", "attrs": [1]}, {"a": "src"}, {"a": "src", "b": "a", "colour": 1}]
    _, problems = tables_from_records({**NETWORK, "links": links})
    found = {(loc, message.split(";")[0]) for loc, message in problems}
    assert (("links", 1, "id"), "duplicate link id 'x' (first at links[0])") in found
    assert (("links", 1, "open"), "Input should be a valid boolean") in found
    assert (("links", 2, "attrs"), "Input should be a valid dictionary") in found
    assert (("links", 3, "b"), "required field is missing") in found
    assert (("links", 4, "colour"), "unknown key") in found


def test_node_attrs_must_be_a_mapping():
    nodes = [dict(NETWORK["nodes"][0], attrs="high voltage"), *NETWORK["nodes"][1:]]
    _, problems = tables_from_records({**NETWORK, "nodes": nodes})
    assert (("nodes", 0, "attrs"), "Input should be a valid dictionary") in problems


def test_a_scenario_file_reports_a_bad_link_record_with_its_line(tmp_path):
    path = scenario_file(tmp_path, [{"a": "src", "b": "b", "open": 1}])
    with pytest.raises(ScenarioError, match=r"network\.links\[1\]\.open: Input should be a valid boolean"):
        load_scenario(path)


def served(path):
    """Down bits of every node of a scenario with nothing attacked."""
    net = Network.from_scenario(load_scenario(path))
    return net, cascade(net, np.zeros(net.n, np.uint8), net.dep_buffer.copy()).down


def test_an_open_tie_does_not_conduct_and_a_closed_one_does(tmp_path):
    net, down = served(scenario_file(tmp_path, [{"id": "tie1", "a": "a", "b": "b", "kind": "switch", "open": True}]))
    assert down.tolist() == [0, 0, ISOLATED]
    assert net.tie_a.tolist() == [1] and net.tie_b.tolist() == [2] and net.tie_ids == ["tie1"]
    _, down = served(scenario_file(tmp_path, [{"id": "tie1", "a": "a", "b": "b", "kind": "switch", "open": False}]))
    assert down.tolist() == [0, 0, 0]


def test_a_tie_does_not_make_a_sector_one_with_links(tmp_path):
    data = {"id": "t", "name": "t", "clock": {"tick": "5min", "duration": "1h"},
            "network": {"nodes": [{"id": "p", "sector": "water", "x": 0, "y": 0},
                                  {"id": "q", "sector": "water", "x": 1, "y": 0}],
                        "links": [{"a": "p", "b": "q", "open": True}]}}
    path = tmp_path / "w.yaml"
    path.write_text(yaml.safe_dump(data))
    net = Network.from_scenario(load_scenario(path))
    assert net.rule.tolist() == [0] and len(net.link_rows) == 0


def test_a_scenario_built_in_python_takes_link_records():
    from sim.scenario.schema import Link, Scenario

    s = Scenario.model_validate({"id": "t", "name": "t", "clock": {"tick": "5min", "duration": "1h"},
                                 "network": {**NETWORK, "links": [["src", "a"], Link(a="a", b="b", open=True)]}})
    net = Network.from_scenario(s)
    assert net.tie_a.tolist() == [1] and net.tie_ids == [""]
    assert cascade(net, np.zeros(net.n, np.uint8), net.dep_buffer.copy()).down.tolist() == [0, 0, ISOLATED]
