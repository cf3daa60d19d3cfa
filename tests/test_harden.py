"""Defender plans: greedy picks the known best measure, stays within the stated bound of
exhaustive search, an adaptive attacker answers a plan tuned to the scripted attacks, and the
plan is an overlay ``ripple compare`` runs."""

import json
import math
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ripple import app
from sim.decide.evaluate import Evaluator
from sim.decide.harden import attacker_options, candidates, exhaustive, greedy, measure, worst_case
from sim.engines import open_engine
from sim.overrides import ScenarioFile, parse_set, prepare

ROOT = Path(__file__).parent.parent
HUB = ROOT / "tests" / "data" / "hub.yaml"
TINY = ROOT / "tests" / "data" / "tiny.yaml"
RUNS = 20
GREEDY_BOUND = 1 - 1 / math.e      # Nemhauser, Wolsey and Fisher (1978), for submodular benefits
runner = CliRunner()


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """The hub scenario, its candidate measures and an evaluator shared by the tests."""
    source = ScenarioFile.read(HUB)
    with open_engine(1, None, None) as engine:
        yield source, candidates(source, "harden", 10), Evaluator(
            source, "resilience_loss_h", RUNS, 11, tmp_path_factory.mktemp("evals"), engine)


def test_candidates_start_at_the_scripted_targets_then_what_ifs(hub):
    _, pool, _ = hub
    labels = [m.label for m in pool]
    assert labels[:2] == ["harden hub", "harden f4"]
    assert set(labels) == {f"harden {n}" for n in ("plant", "hub", "f1", "f2", "f3", "f4")}


def test_greedy_hardens_the_hub_that_feeds_everything(hub):
    source, pool, evaluator = hub
    plan = greedy(evaluator, pool, 1, attacker_options(source, False))
    assert [m.node for m in plan.measures] == ["hub"]
    benefit = plan.steps[0].benefit
    assert benefit.ci_low > 0 and plan.loss < plan.base_loss


@pytest.mark.parametrize("adaptive", [False, True], ids=["scripted", "adaptive"])
def test_greedy_is_within_the_bound_of_exhaustive_search(hub, adaptive):
    source, pool, evaluator = hub
    options = attacker_options(source, adaptive)
    plan = greedy(evaluator, pool, 2, options, lazy=not adaptive)
    best, best_loss = exhaustive(evaluator, pool, 2, options)
    assert plan.base_loss - plan.loss >= GREEDY_BOUND * (plan.base_loss - best_loss)
    # on this network greedy finds the optimum itself
    assert plan.loss == pytest.approx(best_loss)
    assert {m.node for m in plan.measures} == {m.node for m in best}


def test_lazy_evaluation_misses_a_complement_that_full_evaluation_finds(hub):
    """Against the adaptive attacker, hardening the plant is worth nothing until the hub is
    hardened: lazy evaluation never looks at it again; full re-evaluation does."""
    source, pool, evaluator = hub
    options = attacker_options(source, True)
    lazy = greedy(evaluator, pool, 2, options, lazy=True)
    full = greedy(evaluator, pool, 2, options, lazy=False)
    assert full.loss < lazy.loss
    assert [m.node for m in full.measures] == ["hub", "plant"]


def test_adaptive_attacker_hurts_a_plan_tuned_to_the_scripted_attacks_more(hub):
    source, pool, evaluator = hub
    plan = greedy(evaluator, pool, 1, attacker_options(source, False))
    attack, _, means = worst_case(evaluator, plan.specs, attacker_options(source, True))
    assert attack.startswith("rule:")
    assert means[attack] > means["scripted"] + 1.0


def test_backup_and_crew_measures_are_valid_overrides():
    source = ScenarioFile.read(TINY)
    backup = measure(source, "backup", "hosp", hours=24)
    assert backup.specs == ("network.dependencies.0.buffer=24.5h",)
    crew = measure(source, "crews", "sub2")
    for m in (backup, crew):
        prepared = prepare(source, [parse_set(s) for s in m.specs])
    assert "plan_crew_2" in prepared.scenario.responders
    assert measure(source, "backup", "plant") is None     # nothing to back up


def test_harden_command_writes_a_plan_compare_runs(tmp_path):
    out = tmp_path / "h"
    args = ["harden", str(TINY), "--budget", "1", "--runs", "6", "--workers", "1", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "plan.json").read_text())
    assert plan["measures"][0]["node"] == "sub"
    overlay = yaml.safe_load((out / "plan.yaml").read_text())
    assert [n["hardening"] for n in overlay["network"]["nodes"] if n["id"] == "sub"] == [0.9]
    assert "report.html" in result.output
    page = (out / "report.html").read_text()
    assert "<title>Defender plan: tiny</title>" in page and "harden sub" in page and 'id="benefit"' in page
    # the same command again reads its evaluations back and gives the same plan
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and json.loads((out / "plan.json").read_text())["loss"] == plan["loss"]
    # the overlay, compared on the same runs and seed, has the plan's loss
    result = runner.invoke(app, ["compare", str(TINY), "--variant", f"plan={out / 'plan.yaml'}", "--runs", "6",
                                 "--seed", str(plan["seed"]), "--workers", "1", "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    compared = json.loads((tmp_path / "c" / "comparison.json").read_text())
    loss = compared["variants"]["plan"]["metrics"]["resilience_loss_h"]
    assert loss["variant_mean"] == pytest.approx(plan["loss"])
    assert loss["reference_mean"] == pytest.approx(plan["base_loss"])


@pytest.mark.parametrize("args, message", [
    (["--measure", "walls"], "--measure walls"),
    (["--attacker", "smart"], "--attacker smart"),
    (["--metric", "nope"], "no metric 'nope'"),
    (["--measure", "backup", "--budget", "2"], "only 1 node(s)"),
])
def test_bad_options_exit_2_with_one_message(tmp_path, args, message):
    result = runner.invoke(app, ["harden", str(TINY), "--budget", "1", "--runs", "2", "--workers", "1",
                                 "--out", str(tmp_path / "x"), *args])   # a later --budget wins
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_another_study_in_the_same_folder_is_refused(tmp_path):
    base = ["harden", str(TINY), "--runs", "2", "--workers", "1", "--out", str(tmp_path / "x")]
    assert runner.invoke(app, [*base, "--budget", "1"]).exit_code == 0
    result = runner.invoke(app, [*base, "--budget", "2"])
    assert result.exit_code == 2 and "another study" in result.output


def test_a_network_of_parts_is_refused_with_a_reason(tmp_path):
    result = runner.invoke(app, ["harden", str(ROOT / "tests" / "data" / "composed.yaml"), "--budget", "1",
                                 "--runs", "2", "--workers", "1", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2, result.output
    assert "nodes as records" in result.output


@pytest.mark.slow
def test_flagship_plan_beats_random_and_betweenness_plans():
    """The flagship study of benchmarks/bench_harden.py: K = 3, held-out runs; it exits non-zero
    unless every paired interval against the other plans excludes 0."""
    import sys

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_harden

    bench_harden.main(["--runs", "30", "--test-runs", "200", "--random", "3", "--no-write"])
