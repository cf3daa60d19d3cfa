"""Recovery metrics from recorded curves."""

import numpy as np
import pytest

from sim.metrics import recovery_time, resilience_loss, run_metrics


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
    m = run_metrics(t, energy, {"energy": energy}, {"energy": 1000.0}, 1.0, ever_down=6, ever_hit=2,
                    attacks={"attempted": 2, "interdicted": 0, "failed": 0, "landed": 2},
                    busy=np.array([0, 1, 1]), active=np.array([2, 2, 2]))
    assert m["unserved_person_h_energy"] == pytest.approx(500.0)  # 1000 people x 0.5 h of the curve
    assert m["cascade_amplification"] == 3.0
    assert m["min_service"] == 0.5 and m["min_service_time_h"] == 1.0
    assert m["responder_utilisation"] == pytest.approx(2 / 6)
