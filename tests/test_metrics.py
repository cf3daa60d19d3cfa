"""Recovery metrics from recorded curves."""

from pathlib import Path

import numpy as np
import pytest

from sim.metrics import recovery_time, recovery_window, resilience_loss, run_metrics, service_events


def bruneau_curve(step_h: float = 1.0):
    """Service falls to 40% at day 0 and recovers linearly to 100% over 10 days."""
    t = np.arange(0.0, 240.0 + step_h, step_h)
    return t, 0.4 + 0.6 * t / 240.0


def test_bruneau_example_loses_three_days_of_full_service():
    # Bruneau et al. 2003: 0.6 x 10 days / 2 = 3 days = 72 h (300 %-days)
    t, q = bruneau_curve()
    assert resilience_loss(t, q) == pytest.approx(72.0)
    t, q = bruneau_curve(step_h=5 / 60)
    assert resilience_loss(t, q) == pytest.approx(72.0)


def test_recovery_times_count_from_the_first_drop():
    t = np.arange(0.0, 11.0)
    q = np.array([1, 1, 0.5, 0.4, 0.6, 0.8, 0.91, 0.95, 0.99, 1.0, 1.0])
    assert recovery_time(t, q, 1.0, 0.90) == 4.0   # drop at 2, back over 0.9 at 6
    assert recovery_time(t, q, 1.0, 0.95) == 5.0
    assert recovery_time(t, q, 1.0, 1.00) == 7.0
    assert np.isnan(recovery_time(t, q[:8], 1.0, 1.0))  # never back to 100% within the run
    assert recovery_time(t, np.ones(11), 1.0, 0.95) == 0.0


def test_run_metrics_unserved_person_hours_and_amplification():
    t = np.array([0.0, 1.0, 2.0])
    energy = np.array([1.0, 0.5, 1.0])
    m = run_metrics(t, energy, {"energy": energy}, {"energy": 1000.0}, 1.0, {"energy": 1.0}, ever_down=6, ever_hit=2,
                    spread=0,
                    attacks={"attempted": 2, "interdicted": 0, "failed": 0, "landed": 2},
                    busy=np.array([0, 1, 1]), active=np.array([2, 2, 2]))
    assert m["unserved_person_h_energy"] == pytest.approx(500.0)  # 1000 people x 0.5 h of the curve
    assert m["cascade_amplification"] == 3.0
    assert m["min_service"] == 0.5 and m["min_service_time_h"] == 1.0
    assert m["responder_utilisation"] == pytest.approx(2 / 6)


# ------------------------------------------------------------------ against the pre-attack level
def test_loss_counts_no_deficit_the_network_started_with():
    # constant service 0.95 with no event over 24 h: nothing was lost (issue 16 measured 1.2 h)
    t = np.arange(0.0, 24.0 + 1 / 12, 1 / 12)
    q = np.full(len(t), 0.95)
    m = run_metrics(t, q, {"energy": q}, {"energy": 100.0}, 0.95, {"energy": 0.95}, ever_down=0, ever_hit=0,
                    spread=0, attacks={}, busy=np.zeros(len(t)), active=np.ones(len(t)))
    assert m["resilience_loss_h"] == 0.0 and m["resilience_loss_h_energy"] == 0.0
    assert m["unserved_person_h"] == 0.0 and m["service_events"] == 0
    assert m["resilience_loss_abs_h"] == pytest.approx(0.05 * 24)   # the absolute loss keeps its meaning
    assert m["recovery_90_h"] == m["recovery_100_h"] == 0.0


def test_loss_is_a_fraction_of_the_pre_attack_level():
    # hand calculation: Q0 = 0.8, shortfall 0, 0.4, 0.4, 0 at hours 0-3: trapezoids 0.2 + 0.4 + 0.2 = 0.8, ÷ 0.8 = 1 h
    t = np.arange(0.0, 6.0)
    q = np.array([0.8, 0.4, 0.4, 0.8, 0.8, 0.9])     # above Q0 is no gain
    assert resilience_loss(t, q, 0.8) == pytest.approx(1.0)


def hospitals_series():
    """The exact curves of issue 16's hand case, by definition: one substation feeds three
    1,000-person hospitals with buffers 6 h, 12 h and none; a drone lands at T+1:00, a crew
    on site repairs it in exactly 10 h (done T+11:00, everything up in that tick); 5-minute
    ticks over 24 h."""
    t = np.arange(0, 24 * 12 + 1) / 12.0
    up = 3 - (t >= 1.0) - (t >= 7.0)                 # no-buffer hospital at 1:00, 6 h one at 7:00
    up = np.where(t >= 11.0, 3, up)                  # repaired at 11:00 (the 12 h buffer never runs out)
    return t, up / 3.0


def test_issue16_hand_case_from_the_curve():
    t, q = hospitals_series()
    m = run_metrics(t, q, {"health": q}, {"health": 3000.0}, 1.0, {"health": 1.0}, ever_down=3, ever_hit=1,
                    spread=0, attacks={}, busy=np.zeros(len(t)), active=np.ones(len(t)))
    assert m["resilience_loss_h"] == pytest.approx(14 / 3)                   # 4.667 h
    assert m["unserved_person_h"] == pytest.approx(14_000)                  # 10 h × 1,000 + 4 h × 1,000
    for level in (90, 95, 100):
        assert m[f"recovery_{level}_h"] == pytest.approx(10.0)
    assert m["service_events"] == 1 and m["recovery_window_h"] == pytest.approx(23.0)
    assert m["min_service"] == pytest.approx(1 / 3) and m["min_service_time_h"] == pytest.approx(7.0)


# ------------------------------------------------------------------ recovery times (issue 16's cases)
def test_shallow_dip_that_never_went_below_the_target_recovers_at_once():
    t = np.arange(0.0, 10.0)
    q = np.array([1, 1, 0.95, 0.95, 0.95, 0.95, 1, 1, 1, 1])
    assert recovery_time(t, q, 1.0, 0.90) == 0.0          # issue 16 measured 4 h (time to the minimum)
    assert recovery_time(t, q, 1.0, 0.95) == 0.0
    assert recovery_time(t, q, 1.0, 1.00) == 4.0          # from 2 to 6


def test_recovery_is_measured_on_the_event_holding_the_minimum():
    t = np.arange(0.0, 12.0)
    # event 1: 1..3 (dip to 0.8, back at 3); event 2: 5..9 (dip to 0.5, back over 0.9 at 8, full at 9)
    q = np.array([1, 0.8, 0.9, 1, 1, 0.7, 0.5, 0.6, 0.92, 1, 1, 1])
    assert service_events(q, 1.0) == [(1, 3), (5, 9)]
    assert recovery_time(t, q, 1.0, 0.90) == 3.0          # from 5 (not from the first drop at 1) to 8
    assert recovery_time(t, q, 1.0, 1.00) == 4.0
    m = run_metrics(t, q, {}, {}, 1.0, {}, ever_down=0, ever_hit=0, spread=0, attacks={},
                    busy=np.zeros(12), active=np.ones(12))
    assert m["service_events"] == 2 and m["recovery_window_h"] == 6.0   # 5 to the end at 11


def test_a_deeper_dip_that_never_recovers_is_censored_and_a_later_shallow_one_counts_as_an_event():
    t = np.arange(0.0, 10.0)
    q = np.array([1, 0.5, 1, 1, 0.3, 0.3, 0.4, 0.4, 0.4, 0.4])
    assert np.isnan(recovery_time(t, q, 1.0, 0.9))        # the minimum's event never recovers
    assert recovery_window(t, q, 1.0) == 5.0              # censored at 9 − 4 h
    q = np.array([1, 0.5, 1, 1, 0.97, 0.97, 1, 1, 1, 1])
    assert recovery_time(t, q, 1.0, 0.9) == 1.0 and len(service_events(q, 1.0)) == 2


def test_recovery_targets_are_fractions_of_the_pre_attack_level():
    t = np.arange(0.0, 6.0)
    q = np.array([0.8, 0.4, 0.7, 0.72, 0.8, 0.8])
    assert recovery_time(t, q, 0.8, 0.90) == 2.0          # 0.72 ≥ 0.9 × 0.8 at 3
    assert recovery_time(t, q, 0.8, 1.00) == 3.0


def hospitals_scenario():
    """Issue 16's hand case as a scenario."""
    from sim.scenario import validate_data

    hospital = dict(sector="health", kind="hospital", population=1000, x=1, y=1)
    data = {
        "id": "hospitals", "name": "Three hospitals behind one substation", "seed": 1,
        "clock": {"tick": "5min", "duration": "24h"},
        "sectors": {"energy": {"repair": {"median": "10h", "p90": "10h"}}},
        "network": {
            "nodes": [{"id": "plant", "sector": "energy", "x": 0, "y": 0, "source": True},
                      {"id": "sub", "sector": "energy", "x": 1, "y": 0},
                      {"id": "h6", **hospital}, {"id": "h12", **hospital}, {"id": "h0", **hospital}],
            "links": [["plant", "sub"]],
            "dependencies": [{"node": "h6", "resource": "power", "suppliers": ["sub"], "buffer": "6h"},
                             {"node": "h12", "resource": "power", "suppliers": ["sub"], "buffer": "12h"},
                             {"node": "h0", "resource": "power", "suppliers": ["sub"]}],
        },
        "responders": {"crew": {"kind": "repair", "base": "sub", "sectors": ["energy"]}},
        "attackers": [{"id": "cell", "plan": [{"at": "T+1:00", "tactic": "drone", "target": "sub"}]}],
    }
    return validate_data(data, None, "hospitals")


def test_issue16_hand_case_end_to_end():
    from sim.model import RippleModel

    m = RippleModel(hospitals_scenario(), seed=1).run().metrics
    assert m["attacks_landed"] == 1 and m["nodes_hit"] == 1
    assert m["resilience_loss_h"] == pytest.approx(14 / 3)
    assert m["unserved_person_h"] == pytest.approx(14_000)
    for level in (90, 95, 100):
        assert m[f"recovery_{level}_h"] == pytest.approx(10.0)


def test_amplification_counts_direct_hits_only_and_spread_apart():
    from sim.model import RippleModel
    from sim.scenario import load_scenario

    scenario = load_scenario(Path(__file__).parent.parent / "scenarios" / "cyber_physical.yaml")
    result = RippleModel(scenario, seed=7).run()
    m = result.metrics
    spread = {e.node for e in result.events if e.kind == "spread"}
    direct = {e.node for e in result.events if e.kind == "hit"}
    direct |= {e.node for e in result.events if e.kind == "compromise"} - spread   # spread logs before its compromise
    assert spread and m["nodes_hit"] == len(direct) and m["nodes_spread"] == len(spread - direct)
    assert m["cascade_amplification"] == pytest.approx(37 / 6)     # the README's definition: 6.17, not 2.85
    assert m["nodes_down"] == 37
