"""Responders, dispatch policies and mutual aid (agents/responders.py, dispatch.py)."""

import math

import numpy as np
import pytest

from scenarios import attack, scenario
from sim.model import RippleModel

QUIET = {"policies": {"detection_base": 0.0, "detection_gain": 0.0}}


def events(result, kind):
    return [e for e in result.events if e.kind == kind]


def test_repair_never_starts_before_police_clear_the_scene():
    s = scenario("town", QUIET, attack("vbied", "sub_c", radius_km=0.1))
    for i in range(10):
        result = RippleModel(s, run_index=i).run()
        cleared = min(e.tick for e in events(result, "task_done") if e.detail["work"] == "clear")
        made_safe = min(e.tick for e in events(result, "task_done") if e.detail["work"] == "make_safe")
        repairs = [e.tick for e in events(result, "arrival") if e.detail["work"] == "repair"]
        assert repairs and cleared <= made_safe <= min(repairs)


def test_repair_times_follow_the_lognormal_median_and_p90():
    s = scenario("town", QUIET, attack("insider", "sub_c"),
                 {"sectors": {"energy": {"repair": {"median": "4h", "p90": "10h"}}}})
    hours = []
    for i in range(300):
        model = RippleModel(s, run_index=i)
        model.advance(3)
        hours.append(next(t.duration for t in model.board.tasks if t.work == "repair") * 5 / 60)
    assert np.median(hours) == pytest.approx(4.0, rel=0.1)
    assert np.quantile(hours, 0.9) == pytest.approx(10.0, rel=0.15)


def test_travel_slows_when_transport_is_degraded():
    s = scenario("town", QUIET, {"attackers": [{"id": "cell", "plan": [
        {"at": "T+0:05", "tactic": "insider", "target": "road_2"},
        {"at": "T+0:05", "tactic": "insider", "target": "sub_c"}]}]},
                 {"responders": {"police": {"count": 0}, "fire": {"count": 0}}})
    model = RippleModel(s)
    model.advance(3)
    # road_2 down splits the road into three single nodes; the giant component rule keeps one
    q = model.recorder.current_sector_service("transport")
    assert q == pytest.approx(1 / 3)
    factor = model.travel_factor()
    assert factor == pytest.approx(0.25 + 0.75 / 3)
    dispatch = next(e for e in model.events if e.kind == "dispatch" and e.node == "sub_c")
    km = math.dist((30, 30), (4, 1))
    assert dispatch.detail["eta_ticks"] == math.ceil(km / (60 * factor) * 12)


def test_mutual_aid_joins_after_the_trigger_and_a_delay_that_sharing_shortens():
    aid = {"responders": {"aid": {"kind": "repair", "sectors": ["energy"], "base": [50.0, 0.0], "count": 2,
                                  "jurisdiction": "Neighbour County", "mutual_aid": {"service_below": 0.9, "delay": "4h"}}}}
    arrivals = {}
    for sharing in (0.0, 1.0):
        s = scenario("town", QUIET, aid, {"policies": {"information_sharing": sharing}}, attack("insider", "plant"))
        result = RippleModel(s).run()
        (activated,) = events(result, "mutual_aid")
        (arrived,) = events(result, "mutual_aid_arrived")
        arrivals[sharing] = arrived.tick - activated.tick
        assert activated.tick == 1
    assert arrivals == {0.0: 48, 1.0: 24}


def test_mutual_aid_never_joins_without_its_trigger():
    aid = {"responders": {"aid": {"kind": "repair", "sectors": ["energy"], "base": [50.0, 0.0],
                                  "mutual_aid": {"service_below": 0.1}}}}
    result = RippleModel(scenario("town", QUIET, aid, attack("insider", "sub_c"))).run()
    assert not events(result, "mutual_aid")
    assert all(not e.team.startswith("aid") for e in events(result, "dispatch"))


def two_outages(policy):
    """Two substations lost at once, one crew: which goes first is the policy's choice."""
    plan = [{"at": "T+0:05", "tactic": "insider", "target": "sub_b"},   # 2,000 people
            {"at": "T+0:05", "tactic": "insider", "target": "sub_a"}]   # 3,000 people
    s = scenario("town", QUIET, {"attackers": [{"id": "cell", "plan": plan}],
                                 "policies": {"dispatch": policy},
                                 "responders": {"crew": {"base": [4.0, 2.0]}}})
    return RippleModel(s).run()


def test_dispatch_policies_order_the_work():
    first = {policy: events(two_outages(policy), "dispatch")[0].node for policy in ("fifo", "criticality", "nearest")}
    assert first == {"fifo": "sub_b", "criticality": "sub_a", "nearest": "sub_b"}
    assert not events(two_outages("manual"), "dispatch")


def test_criticality_counts_the_people_kept_off_spent_buffers():
    # sub_c serves 1,000 people now, but the water system runs on it (1-2 h of backup): its
    # value counts the 6,000 people of the water zones too, so it outranks sub_a (3,000)
    s = scenario("town", QUIET, {"attackers": [{"id": "cell", "plan": [
        {"at": "T+0:05", "tactic": "insider", "target": "sub_a"},
        {"at": "T+0:05", "tactic": "insider", "target": "sub_c"}]}]})
    model = RippleModel(s)
    model.advance(2)
    index = model.network.index
    values = model.restoration_values([index["sub_c"], index["sub_a"]])
    assert values == {index["sub_c"]: 1000 + 6000, index["sub_a"]: 3000}


def test_criticality_restores_more_people_sooner_than_fifo():
    loss = {p: two_outages(p).metrics["unserved_person_h"] for p in ("fifo", "criticality")}
    assert loss["criticality"] < loss["fifo"]
