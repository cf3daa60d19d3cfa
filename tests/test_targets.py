"""Target rules against independent references: exact betweenness against networkx, the
top-k of simultaneous rule targets against what-if losses computed one node at a time, a
random fraction of a sector, and ``ripple run --set``."""

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from typer.testing import CliRunner

from agents.centrality import betweenness
from agents.targeting import candidates, highest_betweenness
from ripple import app
from scenarios import scenario
from sim.load import loads
from sim.model import RippleModel
from sim.network import Network
from sim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]
NO_INTERDICTION = {"policies": {"detection_base": 0.0, "detection_gain": 0.0}}
runner = CliRunner()


def nx_scores(graph: nx.Graph) -> np.ndarray:
    score = nx.betweenness_centrality(graph, normalized=False)
    return np.array([score[i] for i in range(graph.number_of_nodes())])


@pytest.mark.parametrize("graph", [
    nx.barabasi_albert_graph(300, 2, seed=1),
    nx.gnm_random_graph(200, 260, seed=3),            # several components
    nx.path_graph(6),
    nx.star_graph(5),
    nx.cycle_graph(8),                                # equal shortest paths both ways round
    nx.grid_2d_graph(7, 5),                           # many shortest paths per pair
], ids=["ba", "er-split", "path", "star", "cycle", "grid"])
def test_betweenness_equals_networkx_exact(graph):
    graph = nx.convert_node_labels_to_integers(graph)
    edges = np.array(graph.edges(), dtype=np.int64)
    got = betweenness(graph.number_of_nodes(), edges[:, 0], edges[:, 1])
    assert got == pytest.approx(nx_scores(graph), rel=1e-9, abs=1e-9)


@pytest.mark.slow
def test_loads_are_exact_betweenness_of_the_working_nodes_at_any_size():
    """Above the 2,000 nodes where the estimate used to start, the load of the working
    subgraph equals networkx's exact betweenness of that subgraph."""
    graph = nx.barabasi_albert_graph(2_100, 2, seed=7)
    net = Network.from_arrays(
        sector=np.zeros(2_100), sector_names=["grid"], rules=["giant_component"],
        links=np.array(graph.edges(), dtype=np.int64), dep_node=np.zeros(0, np.int64), dep_need=np.zeros(0),
        dep_buffer=np.zeros(0, np.int64), supplier_group=np.zeros(0, np.int64), supplier_node=np.zeros(0, np.int64))
    working = np.ones(2_100, bool)
    working[np.random.default_rng(1).choice(2_100, 300, replace=False)] = False
    sub = graph.subgraph(np.flatnonzero(working).tolist())
    score = nx.betweenness_centrality(sub, normalized=False)
    expected = np.zeros(2_100)
    expected[list(score)] = list(score.values())
    assert loads(net, working, np.arange(2_100)) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_highest_betweenness_ranks_like_networkx():
    model = RippleModel(scenario("town"))
    nodes = candidates(model, type("R", (), {"rule": "highest_betweenness", "sector": "water", "kind": None,
                                            "fraction": None})())
    ranking = highest_betweenness(model, nodes, np.random.default_rng(0))
    graph = nx.Graph()
    graph.add_nodes_from(nodes.tolist())
    net = model.network
    graph.add_edges_from((int(a), int(b)) for a, b in zip(net.link_rows, net.link_cols) if a in nodes and b in nodes)
    score = nx.betweenness_centrality(graph)
    assert int(ranking[0]) == max(nodes.tolist(), key=lambda i: (score[i], -i))
    assert net.ids[int(ranking[0])] == "reservoir"


def drones(rule: dict, k: int, extra: list | None = None):
    plan = [{"at": "T+0:05", "tactic": "drone", "target": rule} for _ in range(k)] + (extra or [])
    return {"attackers": [{"id": "cell", "plan": plan}]}


def attack_events(model):
    return [e for e in model.events if e.kind == "attack"]


def test_five_greatest_cascade_drones_take_the_five_worst_nodes_in_order():
    s = scenario("town", NO_INTERDICTION, drones({"rule": "greatest_cascade"}, 5))
    reference = RippleModel(s)     # tick 0: the network the drones see at T+0:05
    working = np.flatnonzero(reference.state.down == 0)
    lost = {int(i): reference.population_lost_if_down(int(i)) for i in working}
    top5 = sorted(lost, key=lambda i: (-lost[i], i))[:5]
    model = RippleModel(s)
    model.advance(2)
    events = attack_events(model)
    assert [e.node for e in events] == [model.network.ids[i] for i in top5]
    assert [e.detail["rank"] for e in events] == [1, 2, 3, 4, 5]
    assert len({e.node for e in events}) == 5


def test_a_single_rule_action_carries_no_rank_and_rules_pass_over_nodes_attacked_by_id():
    s = scenario("town", NO_INTERDICTION, drones({"rule": "most_population_served"}, 1,
                                                 [{"at": "T+0:05", "tactic": "drone", "target": "hospital"}]))
    model = RippleModel(s)
    model.advance(2)
    rule_event, id_event = attack_events(model)
    assert id_event.node == "hospital"
    assert rule_event.node == "zone_1"        # the hospital (5000) is taken; the zone serves 4000
    assert "rank" not in rule_event.detail


def test_simultaneous_random_targets_are_distinct():
    s = scenario("town", NO_INTERDICTION, drones({"rule": "random", "sector": "energy"}, 4))
    for seed in range(20):
        model = RippleModel(s, seed=seed)
        model.advance(2)
        assert sorted(e.node for e in attack_events(model)) == ["plant", "sub_a", "sub_b", "sub_c"]


def test_more_ranked_actions_than_candidates_leave_the_rest_without_target():
    s = scenario("town", NO_INTERDICTION, drones({"rule": "most_population_served", "sector": "energy"}, 5))
    model = RippleModel(s)
    model.advance(2)
    outcomes = [e.detail["outcome"] for e in attack_events(model)]
    assert outcomes.count("no target") == 1 and len(outcomes) == 5


def test_a_fraction_removes_that_share_of_the_working_nodes_at_once():
    s = load_scenario(ROOT / "scenarios/buldyrev.yaml")
    model = RippleModel(s, seed=3)
    alpha = np.flatnonzero(model.network.sector == 0)
    working = int((model.state.down[alpha] == 0).sum())
    model.advance(2)
    events = attack_events(model)
    nodes = [model.network.index[e.node] for e in events]
    assert len(nodes) == round(0.3 * working) and len(set(nodes)) == len(nodes)
    assert all(model.network.sector[i] == 0 for i in nodes)
    assert {e.detail["outcome"] for e in events} == {"landed"}
    other = RippleModel(s, seed=4)
    other.advance(2)
    assert {e.node for e in attack_events(other)} != {e.node for e in events}   # drawn from the seeded stream
    again = RippleModel(s, seed=3)
    again.advance(2)
    assert [e.node for e in attack_events(again)] == [e.node for e in events]


def test_fraction_is_for_the_random_rule_only_and_at_most_one():
    with pytest.raises(ScenarioError, match="fraction applies to rule random only"):
        scenario("town", drones({"rule": "greatest_cascade", "fraction": 0.5}, 1))
    with pytest.raises(ScenarioError, match="less than or equal to 1"):
        scenario("town", drones({"rule": "random", "fraction": 1.5}, 1))


def test_run_set_overrides_a_field_and_refuses_a_bad_path(tmp_path):
    path = str(ROOT / "scenarios/buldyrev.yaml")
    out = tmp_path / "half"
    result = runner.invoke(app, ["run", path, "--set", "attackers.0.plan.0.target.fraction=0.5", "--out", str(out)])
    assert result.exit_code == 0, result.output
    landed = json.loads((out / "summary.json").read_text())["metrics"]["attacks_landed"]
    working = int((RippleModel(load_scenario(path)).state.down[:1000] == 0).sum())   # alpha: the first 1000
    assert landed == round(0.5 * working)
    bad = runner.invoke(app, ["run", path, "--set", "attackers.3.plan.0.at=1h", "--out", str(tmp_path / "bad")])
    assert bad.exit_code == 2
    assert "--set attackers.3.plan.0.at=1h" in bad.output and "out of range" in bad.output
    worse = runner.invoke(app, ["run", path, "--set", "attackers.0.plan.0.target.fraction=2", "--out",
                                str(tmp_path / "worse")])
    assert worse.exit_code == 2 and "less than or equal to 1" in worse.output
    assert not (tmp_path / "bad").exists() and not (tmp_path / "worse").exists()


def test_a_fraction_with_an_inject_tells_it_once():
    s = load_scenario(ROOT / "scenarios/buldyrev.yaml")
    s = s.model_copy(update={"attackers": [a.model_copy(update={"plan": [a.plan[0].model_copy(
        update={"inject": "Insiders sabotage part of network A."})]}) for a in s.attackers]})
    model = RippleModel(s, seed=3)
    model.advance(2)
    assert len(attack_events(model)) > 1
    assert [e.detail["message"] for e in model.events if e.kind == "inject"] == ["Insiders sabotage part of network A."]
