"""Kaplan–Meier summaries of recovery times, against hand calculations."""

import math
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from sim.stats import describe, kaplan_meier, summarize


def test_hand_kaplan_meier_on_a_small_censored_sample():
    # recovered at 2, 3, 3, 6, 8 h; censored (not recovered by the end of the run) at 4 and 7 h.
    # By hand (Kaplan & Meier 1958), S(t) = Π (1 − d/n) over recovery times ≤ t:
    #   t=2: 7 at risk, 1 recovers  → S = 6/7
    #   t=3: 6 at risk, 2 recover   → S = 6/7 · 4/6 = 4/7
    #   (4: censored, leaves 3 at risk)
    #   t=6: 3 at risk, 1 recovers  → S = 4/7 · 2/3 = 8/21
    #   (7: censored, leaves 1)
    #   t=8: 1 at risk, 1 recovers  → S = 0
    times = np.array([2.0, 3.0, 3.0, np.nan, 6.0, np.nan, 8.0])
    windows = np.array([30.0, 30.0, 30.0, 4.0, 30.0, 7.0, 30.0])
    km = kaplan_meier(times, windows)
    assert km.n == 7 and km.censored == 2
    assert km.times == (2.0, 3.0, 6.0, 8.0)
    assert km.recovered == pytest.approx((1 / 7, 3 / 7, 13 / 21, 1.0))
    assert km.median == 6.0                         # first time 1 − S ≥ 0.5
    assert km.recovered_by(5.9) == pytest.approx(3 / 7) and km.recovered_by(1.0) == 0.0
    assert km.quantile(0.9) == 8.0
    # dropping the censored runs would put the median at 3 h: biased low
    assert np.median(times[np.isfinite(times)]) == 3.0


def test_median_not_reached_when_most_runs_never_recover():
    km = kaplan_meier(np.array([1.0, np.nan, np.nan, np.nan]), np.array([10.0, 10.0, 10.0, 10.0]))
    assert km.recovered == (0.25,) and math.isnan(km.median)
    km = kaplan_meier(np.array([np.nan, np.nan]), np.array([10.0, 12.0]))
    assert km.censored == 2 and km.times == () and math.isnan(km.median)


def test_recovery_at_once_counts_as_recovered_at_zero():
    km = kaplan_meier(np.array([0.0, 0.0, 5.0, np.nan]), np.array([0.0, 0.0, 20.0, 20.0]))
    assert km.times == (0.0, 5.0) and km.recovered == pytest.approx((0.5, 0.75)) and km.median == 0.0


def test_summaries_censor_recovery_times_at_the_window():
    table = pa.table({"run_index": [0, 1, 2, 3], "recovery_95_h": [2.0, None, 4.0, 6.0],
                      "recovery_window_h": [20.0, 3.0, 20.0, 20.0], "resilience_loss_h": [1.0, 2.0, 3.0, 4.0]})
    summary = summarize(table)
    km = summary["recovery_95_h"].km
    # 4 at risk at 2 h (1 recovers: 1/4), censored at 3, 2 at risk at 4 h (S = 3/4 · 1/2), then 6 h
    assert km.censored == 1 and km.recovered == pytest.approx((0.25, 0.625, 1.0)) and km.median == 4.0
    assert summary["resilience_loss_h"].km is None and summary["recovery_window_h"].km is None
    assert summary["recovery_95_h"].as_dict()["km"]["median"] == 4.0
    assert describe(np.array([1.0, np.nan])).km is None


def test_report_table_gives_the_kaplan_meier_median_not_a_mean_of_recovered_runs():
    from dashboards.report import summary_table

    runs = {"recovery_95_h": np.array([2.0, 3.0, 3.0, np.nan, 6.0, np.nan, 8.0]),
            "recovery_window_h": np.array([30.0, 30.0, 30.0, 4.0, 30.0, 7.0, 30.0]),
            "resilience_loss_h": np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0])}
    page = summary_table({"b": runs}, ("recovery_95_h", "resilience_loss_h"))
    km_row = page.split("<tr>")[2]
    assert "time to 95% recovery (h) †" in km_row
    assert "<td>6.00</td>" in km_row and "2 of 7 censored" in km_row   # the hand KM median, not 3.00
    assert "4.40" not in km_row                                          # the biased mean of recovered runs
    assert "Kaplan–Meier" in page
    loss_row = page.split("<tr>")[3]
    assert "<td>4.00</td>" in loss_row                                   # an ordinary mean


@pytest.mark.browser
def test_report_draws_the_recovery_curves_of_a_real_batch(tmp_path):
    from browser import chromium, open_page, plotly_traces

    from dashboards.report import write_report
    from sim import run_batch

    scenario = Path(__file__).parent.parent / "scenarios" / "cyber_physical.yaml"
    result = run_batch(scenario, runs=12, out=tmp_path / "b", seed=3, workers=1)
    rows = result.rows()
    expected = kaplan_meier(rows.column("recovery_100_h").to_numpy(zero_copy_only=False).astype(float),
                            rows.column("recovery_window_h").to_numpy())
    path = write_report(tmp_path / "b")
    with chromium() as browser, open_page(browser, path) as s:
        traces = {t["meta"]: t for t in plotly_traces(s.page, "recovery")}
        assert set(traces) == {f"km:{m}:b" for m in ("recovery_90_h", "recovery_95_h", "recovery_100_h")}
        curve = traces["km:recovery_100_h:b"]
        assert curve["x"] == pytest.approx([0.0, *expected.times])
        assert curve["y"] == pytest.approx([0.0, *(100 * f for f in expected.recovered)])
        assert s.blocked == [] and s.errors == []
