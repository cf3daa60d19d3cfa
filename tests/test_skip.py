"""Skipping quiet ticks changes nothing: with ``skip_quiet`` on or off a run gives the same
metrics, series, events and node changes, while stepping fewer ticks."""

import math
from pathlib import Path

import numpy as np
import pytest
from scenarios import attack, scenario

from sim.model import RippleModel
from sim.results import RunResult
from sim.scenario import deep_merge, load_scenario

FLAGSHIP = Path(__file__).resolve().parents[1] / "scenarios" / "calder_bay.yaml"

MUTUAL_AID = {"responders": {"aid_crews": {"kind": "repair", "base": "station", "count": 2, "sectors": ["energy", "water"],
                                           "mutual_aid": {"service_below": 0.9, "delay": "2h"}}}}

CASES = {
    # pumps and SCADA ride on 1-2 h buffers when sub_c is lost; the hospital on 8 h
    "buffers": lambda: scenario("town", attack("insider", "sub_c", at="T+0:20")),
    # an intrusion on SCADA spreads along control dependencies to the pumps until contained
    "cyber_spread": lambda: scenario("town", attack("cyber", "scada", spread_p=0.4, dwell_h=1.5)),
    # the grid's source is lost; crews from the next county join once service falls below 90%
    "mutual_aid": lambda: scenario("town", attack("insider", "plant", at="T+1:00"), MUTUAL_AID),
    "tiny": lambda: scenario("tiny"),
    "flagship": lambda: load_scenario(FLAGSHIP),
}


def run(sc, seed: int, skip: bool) -> tuple[RunResult, int]:
    model = RippleModel(sc, seed=seed, skip_quiet=skip)
    steps = []
    step = model.step
    model.step = lambda: (steps.append(model.tick), step())[1]
    return model.run(), len(steps)


def same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("seed", [1, 2])
def test_skipping_quiet_ticks_gives_the_same_run(case, seed):
    sc = CASES[case]()
    stepped, n_stepped = run(sc, seed, skip=False)
    skipped, n_skipped = run(sc, seed, skip=True)
    assert n_stepped == len(stepped.series["tick"])
    assert n_skipped < n_stepped, "nothing was skipped"
    assert stepped.metrics.keys() == skipped.metrics.keys()
    assert all(same_value(stepped.metrics[k], skipped.metrics[k]) for k in stepped.metrics), case
    assert stepped.series.keys() == skipped.series.keys()
    for key, values in stepped.series.items():
        np.testing.assert_array_equal(values, skipped.series[key], err_msg=key)
    assert stepped.events == skipped.events
    assert stepped.changes.keys() == skipped.changes.keys()
    for key, values in stepped.changes.items():
        np.testing.assert_array_equal(values, skipped.changes[key], err_msg=key)
    assert stepped.event_marks == skipped.event_marks


def test_the_cases_exercise_what_they_claim():
    buffers, _ = run(CASES["buffers"](), 1, skip=True)
    assert buffers.series["nodes_on_backup"].max() > 0
    spread, _ = run(CASES["cyber_spread"](), 1, skip=True)
    assert any(e.kind == "spread" for e in spread.events)
    aid, _ = run(CASES["mutual_aid"](), 1, skip=True)
    assert any(e.kind == "mutual_aid_arrived" for e in aid.events)


def test_deep_merge_keeps_the_town_responders():
    merged = deep_merge({"responders": {"police": {"count": 2}}}, MUTUAL_AID)
    assert set(merged["responders"]) == {"police", "aid_crews"}
