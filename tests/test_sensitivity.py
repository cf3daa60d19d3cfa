"""Sensitivity indices and sampled designs: the Ishigami function through the same sampler and
analyser code a scenario goes through, and the commands on a small scenario."""

import json
from pathlib import Path

import numpy as np
import pytest
from SALib.test_functions import Ishigami
from typer.testing import CliRunner

from ripple import app
from sim.decide.designs import read_samples
from sim.decide.sensitivity import Param, ParamError, design, parse_param, run_sensitivity, set_specs, typed

ROOT = Path(__file__).parent.parent
TINY = str(ROOT / "tests" / "data" / "tiny.yaml")
runner = CliRunner()

# Ishigami and Homma (1990) with a = 7, b = 0.1: the analytic first- and total-order indices
S1 = np.array([0.3139, 0.4424, 0.0])
ST = np.array([0.5576, 0.4424, 0.2437])
PARAMS = [parse_param(f"x{i}={-np.pi}..{np.pi}") for i in (1, 2, 3)]


def ishigami(x: np.ndarray) -> np.ndarray:
    """The model hook: points to one output column."""
    return Ishigami.evaluate(x)[:, None]


def test_sobol_indices_of_ishigami_match_the_analytic_values_within_their_intervals():
    _, _, indices = run_sensitivity(PARAMS, "sobol", 1024, ishigami, ["f"], seed=1)
    v = indices["f"].values
    assert np.all(np.abs(np.array(v["S1"]) - S1) <= np.array(v["S1_conf"])), v
    assert np.all(np.abs(np.array(v["ST"]) - ST) <= np.array(v["ST_conf"])), v
    assert max(v["S1_conf"]) < 0.1          # the intervals are informative, not wide enough to hold anything


def test_morris_elementary_effects_of_a_linear_model_are_its_slopes():
    params = [Param("a", 0.0, 1.0), Param("b", 0.0, 1.0), Param("c", 0.0, 1.0)]
    _, _, indices = run_sensitivity(params, "morris", 20, lambda x: (3 * x[:, 0] - x[:, 1])[:, None], ["f"], seed=2)
    v = indices["f"].values
    assert v["mu_star"][0] == pytest.approx(3 * v["mu_star"][1])
    assert v["mu"][1] < 0 < v["mu"][0]
    assert v["mu_star"][2] == 0 and max(v["sigma"]) < 1e-9


@pytest.mark.parametrize("kind", ["lhs", "sobol"])
def test_designs_fill_the_ranges(kind):
    params = [Param("a", 0.0, 1.0), Param("b", 10.0, 20.0), Param("n", 1, 6, integer=True)]
    x = design(params, kind, 32, seed=4)
    assert x.shape == (32, 3)
    assert np.all((x[:, 0] >= 0) & (x[:, 0] <= 1) & (x[:, 1] >= 10) & (x[:, 1] <= 20))
    assert set(np.unique(x[:, 2])) <= set(range(1, 7)) and len(np.unique(x[:, 2])) >= 5
    if kind == "lhs":   # one point in each of the 32 strata of every continuous input
        assert sorted(np.floor(x[:, 0] * 32).astype(int)) == list(range(32))


def test_params_parse_and_take_the_scenario_type():
    assert parse_param("policies.information_sharing=0.1..0.9") == Param("policies.information_sharing", 0.1, 0.9)
    for bad in ["a=1", "a=2..1", "a=x..2", "=0..1", "a..b=0..1"]:
        with pytest.raises(ParamError):
            parse_param(bad)
    count, share = typed([Param("r.c.count", 1, 6), Param("p.share", 0, 1)], {"r": {"c": {"count": 2}}, "p": {}})
    assert count.integer and not share.integer
    assert set_specs([count, share], np.array([2.6, 0.25])) == ["r.c.count=3", "p.share=0.25"]


def test_sensitivity_command_on_a_scenario(tmp_path):
    out = tmp_path / "s"
    result = runner.invoke(app, ["sensitivity", TINY, "--param", "network.nodes.1.hardening=0..1",
                                 "--param", "responders.crew.speed_kmh=5..60", "--samples", "4", "--runs", "4",
                                 "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "sensitivity.json").read_text())
    assert data["points"] == 4 * (2 + 2)
    st = data["indices"]["resilience_loss_h"]["ST"]
    assert st[0] > st[1]         # the substation's hardening decides whether the blast lands
    page = (out / "report.html").read_text()
    assert "<title>Sensitivity: tiny</title>" in page and 'id="ind0"' in page
    names, x, y = read_samples(out, "resilience_loss_h")
    assert x.shape == (16 * 4, 2) and len(y) == 64


def test_design_batch_then_discover(tmp_path):
    out = tmp_path / "d"
    result = runner.invoke(app, ["batch", TINY, "--design", "lhs", "--param", "network.nodes.1.hardening=0..1",
                                 "--param", "responders.crew.count=1..4", "--points", "12", "--runs", "4",
                                 "--workers", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    design_file = json.loads((out / "design.json").read_text())
    assert len(design_file["points"]) == 12
    assert all(isinstance(p["values"][1], int) for p in design_file["points"])
    result = runner.invoke(app, ["discover", str(out), "--metric", "resilience_loss_h", "--above", "5"])
    assert result.exit_code == 0, result.output
    found = json.loads((out / "discover.json").read_text())
    assert found["runs"] == 48 and 0 < found["coverage"] <= 1
    assert (out / "discover.html").exists()


@pytest.mark.parametrize("args, message", [
    (["batch", TINY, "--design", "lhs"], "--design takes"),
    (["batch", TINY, "--design", "grid", "--param", "a.b=0..1"], "--design grid"),
    (["batch", TINY, "--design", "lhs", "--param", "a.b=1..0"], "LOW < HIGH"),
    (["sensitivity", TINY, "--param", "a.b=0..1", "--method", "fast"], "--method fast"),
    (["discover", str(ROOT / "tests" / "data"), "--metric", "x", "--above", "1"], "no sampled study"),
    (["discover", str(ROOT / "tests" / "data"), "--metric", "x"], "one of --above or --below"),
])
def test_bad_options_exit_2_with_one_message(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
