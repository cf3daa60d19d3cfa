"""Attack tactics, interdiction and success, target rules (agents/tactics.py, attackers.py,
targeting.py)."""

import json

import numpy as np
import pytest
from scipy.stats import binomtest

from agents.attackers import p_detection, p_interdiction, p_response
from agents.tactics import TACTICS, p_success
from scenarios import attack, scenario
from sim.model import RippleModel
from sim.network import COMPROMISED, DAMAGED, SHUT
from sim.scenario.schema import RESOURCES


def outcomes(s, runs=60):
    out = []
    for i in range(runs):
        model = RippleModel(s, seed=11, run_index=i)
        model.advance(3)
        out.append(next(e.detail["outcome"] for e in model.events if e.kind == "attack"))
    return out


NO_INTERDICTION = {"policies": {"detection_base": 0.0, "detection_gain": 0.0}}


def test_full_hardening_stops_a_vbied_but_not_an_insider():
    base = scenario("town", NO_INTERDICTION)
    nodes = base.network.tables.records(RESOURCES)["nodes"]
    for n in nodes:
        n["hardening"] = 1.0
    hard = {"network": {"nodes": nodes}}
    assert set(outcomes(scenario("town", NO_INTERDICTION, hard, attack("vbied", "sub_c")))) == {"failed"}
    assert set(outcomes(scenario("town", NO_INTERDICTION, hard, attack("insider", "sub_c")))) == {"landed"}
    # a drone bypasses half: contest A / (A + 1) with h_eff = 0.5
    assert p_success(TACTICS["drone"], 1.0) == pytest.approx(0.5)


def test_contest_success_function():
    vbied = TACTICS["vbied"]  # strength 2
    assert p_success(vbied, 0.0) == 1.0
    assert p_success(vbied, 0.5) == pytest.approx(2 / 3)
    assert p_success(vbied, 1.0) == 0.0
    assert p_success(TACTICS["insider"], 1.0) == 1.0


def test_information_sharing_raises_interdiction_by_the_formula():
    runs = 200
    rates = {}
    for sharing in (0.0, 1.0):
        s = scenario("town", {"policies": {"information_sharing": sharing}}, attack("vbied", "sub_c"))
        hits = outcomes(s, runs).count("interdicted")
        # police are 30 km away: n_police = 0, so P_I = P_D · response_base
        expected = p_detection(TACTICS["vbied"], sharing, s.policies) * s.policies.response_base
        assert binomtest(hits, runs, expected).pvalue > 0.01, (sharing, hits, expected)
        rates[sharing] = hits / runs
    expected_rise = (p_interdiction(TACTICS["vbied"], 1.0, 0, scenario().policies)
                     - p_interdiction(TACTICS["vbied"], 0.0, 0, scenario().policies))
    assert expected_rise == pytest.approx(0.21)
    spread = 3 * np.sqrt(0.03 * 0.97 / runs + 0.24 * 0.76 / runs)
    assert abs((rates[1.0] - rates[0.0]) - expected_rise) < spread


def test_police_presence_raises_interdiction():
    policies = scenario().policies
    assert p_response(0, policies) == 0.5
    assert p_response(2, policies) == pytest.approx(0.5 + 0.5 * (1 - np.exp(-1)))
    near = scenario("town", {"responders": {"police": {"base": "sub_c"}}})
    model = RippleModel(near)
    assert model.police_near(model.network.index["sub_c"]) == 2
    assert model.police_near(model.network.index["reservoir"]) == 0


def test_vbied_blast_damages_neighbours_falling_with_distance_and_closes_the_scene():
    s = scenario("town", NO_INTERDICTION, attack("vbied", "sub_a", radius_km=2.5, blast_p0=1.0))
    model = RippleModel(s)
    model.advance(2)
    index = model.network.index
    assert model.own[index["sub_a"]] == DAMAGED | SHUT
    # hospital at 1.4 km: p = 1 - 1.4/2.5 > 0; plant at 2 km; sub_b at 2.8 km is outside
    hit = {e.node for e in model.events if e.kind == "hit"}
    assert "sub_b" not in hit and "sub_a" in hit
    works = [t.work for t in model.board.tasks if t.node == index["sub_a"]]
    assert works == ["clear", "make_safe", "repair"]


def test_active_shooter_shuts_without_damage_until_police_clear():
    s = scenario("town", NO_INTERDICTION, attack("active_shooter", "hospital"))
    model = RippleModel(s)
    result = model.run()
    node = model.network.index["hospital"]
    assert [t.work for t in model.board.tasks] == ["clear"]
    done = [e for e in result.events if e.kind == "task_done"]
    assert done and done[0].detail["work"] == "clear" and done[0].team.startswith("police")
    assert model.own[node] == 0


def test_cyber_compromise_spreads_along_control_edges_only():
    s = scenario("town", NO_INTERDICTION, attack("cyber", "scada", spread_p=1.0, dwell_h=6.0),
                 {"responders": {"cyber": {"count": 0}}})
    model = RippleModel(s)
    model.advance(12)
    compromised = {model.network.ids[i] for i in np.flatnonzero(model.own & COMPROMISED)}
    # pumps depend on scada through control (cyber) edges; zone_1's logical dependency and the
    # nodes scada itself depends on are not reached
    assert compromised == {"scada", "pump_1", "pump_2"}


def test_cyber_intrusion_is_handled_only_after_its_dwell_time():
    s = scenario("town", NO_INTERDICTION, attack("cyber", "scada", spread_p=0.0, dwell_h=2.0))
    result = RippleModel(s).run()
    dispatch = next(e for e in result.events if e.kind == "dispatch")
    assert dispatch.tick == 1 + 24 and dispatch.detail["work"] == "contain"
    works = [e.detail["work"] for e in result.events if e.kind == "task_done"]
    assert works == ["contain", "remediate"]


def test_secondary_device_takes_out_exactly_the_teams_present():
    s = scenario("town", NO_INTERDICTION,
                 {"response": {"police_clear": {"median": "6h", "p90": "7h"}},
                  "attackers": [{"id": "cell", "plan": [
                      {"at": "T+0:05", "tactic": "vbied", "target": "sub_a", "params": {"radius_km": 0.1}},
                      {"at": "T+0:10", "tactic": "active_shooter", "target": "zone_2"},
                      {"at": "T+3:00", "tactic": "secondary_device", "target": "sub_a"}]}]})
    model = RippleModel(s)
    device_tick = model.tick_of(3 * 3600)
    model.advance(device_tick)
    present = {u.label for u in model.responders_at(model.network.index["sub_a"])}
    assert present == {"police-1"}
    model.advance(device_tick + 1)
    out = {e.team for e in model.events if e.kind == "out_of_service"}
    assert out == present
    assert {u.label for u in model.responders if u.status == "out of service"} == present


def test_target_rules_pick_on_the_network_as_it_stands():
    rules = [{"at": "T+0:05", "tactic": "insider", "target": {"rule": "most_population_served", "sector": "energy"}},
             {"at": "T+0:10", "tactic": "insider", "target": {"rule": "most_population_served", "sector": "energy"}},
             {"at": "T+0:15", "tactic": "insider", "target": {"rule": "greatest_cascade"}},
             {"at": "T+0:20", "tactic": "insider", "target": {"rule": "highest_betweenness", "sector": "transport"}}]
    s = scenario("town", NO_INTERDICTION, {"attackers": [{"id": "cell", "plan": rules}]},
                 {"responders": {"crew": {"count": 0}}})
    result = RippleModel(s).run()
    targets = [e.node for e in result.events if e.kind == "attack"]
    # the second wave adapts: sub_a is down, so the next most populous working substation;
    # with both feeders gone the grid is already lost, so the greatest cascade now is in
    # water: the reservoir (6,000 people at once; scada ties and the lower index wins)
    assert targets[:2] == ["sub_a", "sub_b"]
    assert targets[2] == "reservoir"
    assert targets[3] == "road_2"


def test_random_rule_stays_in_its_sector_and_is_reproducible():
    plan = [{"at": "T+0:05", "tactic": "insider", "target": {"rule": "random", "sector": "water"}}]
    s = scenario("town", NO_INTERDICTION, {"attackers": [{"id": "cell", "plan": plan}]})
    picks = [next(e.node for e in RippleModel(s, seed=5, run_index=i).run().events
                  if e.kind == "attack") for i in range(20)]
    assert set(picks) <= {"reservoir", "scada", "pump_1", "pump_2", "zone_1", "zone_2"} and len(set(picks)) > 2
    again = [next(e.node for e in RippleModel(s, seed=5, run_index=i).run().events
                  if e.kind == "attack") for i in range(20)]
    assert picks == again


def test_sabotage_damages_the_target_and_the_nodes_it_links_to():
    # sub_a links to plant and sub_c; hardening does not stop it (plant is hardened 0.5)
    s = scenario("town", NO_INTERDICTION, attack("sabotage", "sub_a", reach_p=1.0))
    model = RippleModel(s)
    model.advance(2)
    hit = {e.node for e in model.events if e.kind == "hit"}
    assert hit == {"sub_a", "plant", "sub_c"}
    assert all(model.own[model.network.index[n]] & DAMAGED for n in hit)
    alone = RippleModel(scenario("town", NO_INTERDICTION, attack("sabotage", "plant", reach_p=0.0)))
    alone.advance(2)
    assert {e.node for e in alone.events if e.kind == "hit"} == {"plant"}
    runs = [RippleModel(scenario("town", NO_INTERDICTION, attack("sabotage", "sub_a")), seed=3, run_index=i)
            for i in range(40)]
    for model in runs:
        model.advance(2)
    reached = [len({e.node for e in m.events if e.kind == "hit"}) - 1 for m in runs]
    assert 0 < np.mean(reached) / 2 < 1       # each neighbour with probability reach_p = 0.5


def test_schema_enums_are_the_agents_registries():
    """``ripple schema`` offers exactly the names the agents define, one registry each."""
    from typer.testing import CliRunner

    from agents.dispatch import POLICIES
    from agents.incidents import TeamKind
    from agents.targeting import RULES
    from ripple import app
    from sim.network import RESOURCES

    defs = json.loads(CliRunner().invoke(app, ["schema"]).stdout)["$defs"]
    assert defs["Action"]["properties"]["tactic"]["enum"] == list(TACTICS)
    assert defs["TargetRule"]["properties"]["rule"]["enum"] == list(RULES)
    assert defs["Policies"]["properties"]["dispatch"]["enum"] == list(POLICIES)
    assert defs["Team"]["properties"]["kind"]["enum"] == [k.value for k in TeamKind]
    assert defs["Dependency"]["properties"]["resource"]["enum"] == list(RESOURCES)
    assert "sabotage" in TACTICS


def test_the_model_plugs_into_the_agents_port():
    from agents.port import World

    assert isinstance(RippleModel(scenario()), World)
