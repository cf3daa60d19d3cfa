"""Response policies on the flagship scenario, over paired seeds (common random numbers)."""

from pathlib import Path

import numpy as np
import pytest

from sim.model import RippleModel
from sim.scenario import deep_merge, load_scenario_data, validate_data

FLAGSHIP = Path(__file__).parent.parent / "scenarios" / "calder_bay.yaml"


def runs(patch, metric, n):
    data, lines = load_scenario_data(FLAGSHIP)
    s = validate_data(deep_merge(data, patch), lines, str(FLAGSHIP))
    hours = s.clock.duration / 3600
    values = [RippleModel(s, seed=1, run_index=i).run().metrics[metric] for i in range(n)]
    return np.nan_to_num(np.array(values, dtype=float), nan=hours)  # not recovered: censored at the end


@pytest.mark.slow
def test_mutual_aid_shortens_time_to_95_percent_recovery():
    with_aid = runs({}, "recovery_95_h", 20)
    without = runs({"responders": {"ashgrove_power": {"count": 0}}}, "recovery_95_h", 20)
    assert with_aid.mean() < without.mean()
    assert (with_aid <= without + 1e-9).mean() >= 0.9


@pytest.mark.slow
def test_criticality_dispatch_beats_fifo_on_resilience_loss():
    criticality = runs({"policies": {"dispatch": "criticality"}}, "resilience_loss_h", 30)
    fifo = runs({"policies": {"dispatch": "fifo"}}, "resilience_loss_h", 30)
    assert criticality.mean() < fifo.mean()
