"""The engine true to its definitions (issue 16): repairs show in the tick they finish,
buffers run out on the first tick at or after expiry, storage drains and refills as a level,
and normally-open ties close as a ``switch`` task. Every case is a hand calculation."""

from typing import Any

import numpy as np
import pytest

from sim.events import describe
from sim.model import RippleModel
from sim.scenario import Scenario, deep_merge, validate_data
from sim.scenario.netdata import read_network, tables_from_records, write_network
from sim.scenario.sanity import sanity_warnings

TICK_H = 5 / 60


def hand_case(*patches: dict[str, Any]) -> dict[str, Any]:
    """One substation feeding three 1,000-person hospitals with buffers 6 h, 12 h and none;
    a drone at T+1:00; one crew based at the substation; repair exactly 10 h; 5-minute ticks."""
    data: dict[str, Any] = {
        "id": "hand", "name": "Hand case", "seed": 1,
        "clock": {"tick": "5min", "duration": "24h"},
        "sectors": {"energy": {"repair": {"median": "10h", "p90": "10h"}}},
        "policies": {"detection_base": 0.0, "detection_gain": 0.0},
        "network": {
            "nodes": [
                {"id": "sub", "sector": "energy", "x": 0, "y": 0},
                {"id": "h6", "sector": "health", "x": 1, "y": 0, "population": 1000},
                {"id": "h12", "sector": "health", "x": 1, "y": 1, "population": 1000},
                {"id": "h0", "sector": "health", "x": 0, "y": 1, "population": 1000},
            ],
            "dependencies": [
                {"node": "h6", "resource": "power", "suppliers": ["sub"], "buffer": "6h"},
                {"node": "h12", "resource": "power", "suppliers": ["sub"], "buffer": "12h"},
                {"node": "h0", "resource": "power", "suppliers": ["sub"]},
            ],
        },
        "responders": {"crew": {"kind": "repair", "base": "sub", "sectors": ["energy"], "speed_kmh": 60}},
        "attackers": [{"id": "cell", "plan": [{"at": "T+1:00", "tactic": "drone", "target": "sub"}]}],
    }
    for patch in patches:
        data = deep_merge(data, patch)
    return data


def run(data: dict[str, Any], skip_quiet: bool = True):
    return RippleModel(validate_data(data, {}, "hand"), skip_quiet=skip_quiet).run()


def ticks_of(result, kind: str, node: str | None = None) -> list[int]:
    return [e.tick for e in result.timeline() if e.kind == kind and (node is None or e.node == node)]


@pytest.mark.parametrize("skip_quiet", [True, False])
def test_a_node_repaired_in_a_tick_is_up_in_that_tick_s_record(skip_quiet):
    result = run(hand_case(), skip_quiet)
    assert ticks_of(result, "hit", "sub") == [12]                          # T+1:00
    done = [e.tick for e in result.events if e.kind == "task_done" and e.detail["work"] == "repair"]
    assert done == [132]                                                   # T+11:00: 10 h of work
    assert ticks_of(result, "node_up", "sub") == [132]
    assert ticks_of(result, "node_down", "h0") == [12]
    assert ticks_of(result, "node_down", "h6") == [84]                     # T+7:00: 6 h of buffer
    assert ticks_of(result, "node_down", "h12") == []                      # 12 h outlasts the repair
    assert ticks_of(result, "node_up", "h0") == ticks_of(result, "node_up", "h6") == [132]
    service = result.series["service"]
    assert service[131] == pytest.approx(1 / 3) and service[132] == 1.0
    # unserved person-hours by the definition: h0 10 h, h6 4 h, 1,000 people each
    unserved = ((1 - service) * 3000).sum() * TICK_H
    assert unserved == pytest.approx(14_000)
    # the timeline puts the node coming back after the work that brought it back
    order = [(e.kind, e.node) for e in result.timeline() if e.tick == 132]
    assert order.index(("task_done", "sub")) < order.index(("node_up", "sub"))


@pytest.mark.parametrize(("buffer", "down_tick"), [("6h", 84), ("6h2min", 85), ("2min", 13), ("5min", 13), ("0s", 12)])
def test_a_buffer_runs_out_on_the_first_tick_at_or_after_expiry(buffer, down_tick):
    # the substation goes at tick 12 (T+1:00); 6h02m lasts to T+7:02, so h6 is down from T+7:05
    result = run(hand_case({"network": {"dependencies": [
        {"node": "h6", "resource": "power", "suppliers": ["sub"], "buffer": buffer},
        {"node": "h12", "resource": "power", "suppliers": ["sub"], "buffer": "12h"},
        {"node": "h0", "resource": "power", "suppliers": ["sub"]}]}}))
    assert ticks_of(result, "node_down", "h6") == [down_tick]


def test_buffers_shorter_than_a_tick_are_named():
    data = hand_case({"network": {"dependencies": [
        {"node": "h6", "resource": "power", "suppliers": ["sub"], "buffer": "2min"},
        {"node": "h12", "resource": "power", "suppliers": ["sub"], "buffer": "12h"},
        {"node": "h0", "resource": "power", "suppliers": ["sub"]}]}})
    assert sanity_warnings(Scenario.model_validate(data)) == [
        "1 dependency buffer(s) are shorter than a tick (300s): each carries its node through one whole tick: h6"]


def storage_case(refill: str | None) -> dict[str, Any]:
    """The substation is down T+1:00-T+4:00 (3 h repairs), up ten minutes, and down again from
    T+4:10; one hospital has a 2 h buffer."""
    dependency = {"node": "h6", "resource": "power", "suppliers": ["sub"], "buffer": "2h"}
    if refill is not None:
        dependency["refill"] = refill
    return hand_case({"sectors": {"energy": {"repair": {"median": "3h", "p90": "3h"}}},
                      "network": {"dependencies": [dependency]},
                      "attackers": [{"id": "cell", "plan": [{"at": "T+1:00", "tactic": "drone", "target": "sub"},
                                                            {"at": "T+4:10", "tactic": "drone", "target": "sub"}]}]})


@pytest.mark.parametrize("skip_quiet", [True, False])
def test_storage_is_a_level_that_drains_and_refills_at_its_rate(skip_quiet):
    # spent at T+3:00 (tick 36); 10 minutes of supply at a third of a second per second
    # (2 h in 6 h) put back 200 s, which carries the hospital one tick: down again at tick 51
    result = run(storage_case("6h"), skip_quiet)
    assert ticks_of(result, "node_up", "sub") == [48, 86]
    assert ticks_of(result, "node_down", "h6") == [36, 51]
    model = RippleModel(validate_data(storage_case("6h"), {}, "hand"), skip_quiet=skip_quiet)
    model.advance(50)
    assert model.state.buffer_left.tolist() == [200.0]
    model.advance(86 + 36)                       # 3 h of supply from T+7:10 (tick 86): half full
    assert model.state.buffer_left.tolist() == [3600.0]
    model.advance(86 + 72)                       # 6 h: full, and no fuller
    assert model.state.buffer_left.tolist() == [7200.0]
    model.advance(86 + 80)
    assert model.state.buffer_left.tolist() == [7200.0]


def test_without_refill_storage_is_full_again_after_one_tick_of_supply():
    result = run(storage_case(None))
    assert ticks_of(result, "node_down", "h6") == [36, 74]       # a full 2 h again from T+4:10
    assert run(storage_case("0s")).series["service"].tolist() == result.series["service"].tolist()


@pytest.mark.parametrize("suffix", [".yaml", ".json", ".graphml", ".parquet"])
def test_refill_survives_every_network_format(tmp_path, suffix):
    tables, problems = tables_from_records(storage_case("6h")["network"])
    assert not problems and tables.dep_refill_s.tolist() == [21600.0]
    write_network(tables, tmp_path / f"net{suffix}")
    assert read_network(tmp_path / f"net{suffix}").dep_refill_s.tolist() == [21600.0]


def test_a_negative_refill_is_refused():
    _, problems = tables_from_records(hand_case({"network": {"dependencies": [
        {"node": "h6", "resource": "power", "suppliers": ["sub"], "buffer": "2h", "refill": -60}]}})["network"])
    assert [loc for loc, _ in problems] == [("dependencies", 0, "refill")]


def ring(*patches: dict[str, Any]) -> dict[str, Any]:
    """A plant feeding a ring through two buses, a1-a2-a3 off bus_a and b1-b2-b3 off bus_b,
    with a normally-open tie a3-b3; a drone on bus_a at T+1:00; one crew 10 km away (10
    minutes at 60 km/h); repairs 10 h."""
    nodes = [{"id": "plant", "sector": "power", "x": 0, "y": 0, "source": True},
             {"id": "bus_a", "sector": "power", "x": 1, "y": 0},
             {"id": "bus_b", "sector": "power", "x": -1, "y": 0}]
    nodes += [{"id": f"{side}{i}", "sector": "power", "x": sign * (1 + i), "y": 1, "population": 100}
              for side, sign in (("a", 1), ("b", -1)) for i in (1, 2, 3)]
    nodes += [{"id": "depot", "sector": "base", "x": 4, "y": 11}]
    links = [["plant", "bus_a"], ["plant", "bus_b"], ["bus_a", "a1"], ["a1", "a2"], ["a2", "a3"],
             ["bus_b", "b1"], ["b1", "b2"], ["b2", "b3"],
             {"id": "sw1", "a": "a3", "b": "b3", "kind": "switch", "open": True}]
    data = hand_case({"attackers": [{"id": "cell", "plan": [{"at": "T+1:00", "tactic": "drone", "target": "bus_a"}]}],
                      "responders": {"crew": {"kind": "repair", "base": "depot", "sectors": ["power"], "speed_kmh": 60}},
                      "sectors": {"power": {"repair": {"median": "10h", "p90": "10h"}}}})
    data["network"] = {"nodes": nodes, "links": links}
    data["sectors"].pop("energy")
    for patch in patches:
        data = deep_merge(data, patch)
    return data


@pytest.mark.parametrize("skip_quiet", [True, False])
def test_a_crew_closes_a_tie_and_the_cut_off_half_comes_back_before_any_repair(skip_quiet):
    result = run(ring(), skip_quiet)
    assert ticks_of(result, "node_down", "a1") == [12]
    dispatch = [e for e in result.events if e.kind == "dispatch"]
    assert (dispatch[0].tick, dispatch[0].node, dispatch[0].detail["work"]) == (12, "a3", "switch")
    assert dispatch[0].detail["eta_ticks"] == 2                        # 10 km at 60 km/h
    closed = [e for e in result.events if e.kind == "tie_closed"]
    assert [(e.tick, e.node, e.team, e.detail["tie"]) for e in closed] == [(17, "a3", "crew-1", "sw1")]
    # 12 + 2 ticks of travel + 15 minutes of switching: up at T+1:25, ten hours before the repair
    for node in ("a1", "a2", "a3"):
        assert ticks_of(result, "node_up", node) == [17]
    assert ticks_of(result, "node_up", "bus_a") == [17 + 1 + 120]     # then to the bus, 3.2 km away
    assert result.series["service"][16] == 0.5 and result.series["service"][17] == 1.0


def test_operators_close_a_tie_remotely_after_the_switch_time():
    result = run(ring({"sectors": {"power": {"operator_switching": True, "switch_time": "20min"}}}))
    closed = [e for e in result.events if e.kind == "tie_closed"]
    assert [(e.tick, e.team) for e in closed] == [(16, None)]        # T+1:00 + 20 min, no crew
    assert ticks_of(result, "node_up", "a1") == [16]
    assert [e.detail["work"] for e in result.events if e.kind == "dispatch"] == ["repair"]


def test_an_open_tie_conducts_nothing_until_closed():
    data = ring({"responders": {"crew": {"count": 0}}})
    result = run(data)
    assert ticks_of(result, "node_down", "a3") == [12] and ticks_of(result, "node_up", "a3") == []
    assert not [e for e in result.events if e.kind == "tie_closed"]
    model = RippleModel(validate_data(data, {}, "hand"))
    net = model.network
    assert net.tie_ids == ["sw1"] and model.scenario.network.tables.link_open.sum() == 1
    closed = net.with_ties(np.array([True]))
    assert len(closed.link_rows) == len(net.link_rows) + 2 and closed.tie_ids == net.tie_ids


def test_the_switching_reads_as_text():
    result = run(ring({"sectors": {"power": {"operator_switching": True}}}))
    lines = [describe(e, None, 300.0) for e in result.events if e.kind in ("task_done", "tie_closed")][:2]
    assert lines == ["Operators finished switch at a3", "Tie sw1 closed at a3 by operators; it conducts from now on"]
