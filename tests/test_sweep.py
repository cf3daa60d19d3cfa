"""Several --sweep form a full factorial: every combination of their values is an arm, run
on the same run indices (common random numbers) and compared with the first combination."""

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ripple import app
from sim.overrides import MAX_SWEEP_VARIANTS, OverrideError, parse_sweep, parse_sweeps

SMALL = Path(__file__).parent / "data" / "batch_small.yaml"
runner = CliRunner()


def test_one_sweep_is_unchanged():
    assert parse_sweeps(["responders.crews.count=1,2"]) == parse_sweep("responders.crews.count=1,2")


def test_two_sweeps_make_every_combination():
    variants = parse_sweeps(["responders.crews.count=1,2", "policies.dispatch=fifo,criticality,nearest"])
    assert [v.name for v in variants] == [
        f"responders.crews.count={c},policies.dispatch={d}" for c in (1, 2) for d in ("fifo", "criticality", "nearest")]
    assert [o.spec for o in variants[4].overrides] == ["responders.crews.count=2", "policies.dispatch=criticality"]


@pytest.mark.parametrize("sweeps, message", [
    (["a.b=1,2", "a.b=3,4"], "more than once"),
    (["a=1,2,3,4,5,6,7", "b=1,2,3,4,5,6,7", "c=1,2,3,4,5,6"], f"294 combinations, more than the {MAX_SWEEP_VARIANTS}"),
    (["a=1,2", "b=1"], "at least two"),
])
def test_bad_sweeps_are_refused(sweeps, message):
    with pytest.raises(OverrideError, match=message):
        parse_sweeps(sweeps)


def test_a_factorial_sweep_runs_six_arms_on_common_random_numbers(tmp_path):
    out = tmp_path / "factorial"
    result = runner.invoke(app, ["batch", str(SMALL), "--sweep", "responders.crews.count=1,3", "--sweep",
                                 "policies.dispatch=criticality,fifo,nearest", "--runs", "10", "--seed", "1", "--out",
                                 str(out), "--workers", "1", "--html"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    names = [f"responders.crews.count={c},policies.dispatch={d}"
             for c in (1, 3) for d in ("criticality", "fifo", "nearest")]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == sorted(names)
    data = json.loads((out / "comparison.json").read_text())
    assert data["reference"] == names[0] and data["order"] == names and list(data["variants"]) == names[1:]
    reference = pq.read_table(out / names[0] / "runs").sort_by("run_index")
    for name in names[1:]:
        arm = pq.read_table(out / name / "runs").sort_by("run_index")
        assert arm.column("seed_key").to_pylist() == reference.column("seed_key").to_pylist()
        for metric in ("attacks_attempted", "attacks_interdicted", "attacks_landed"):   # the same attacks
            np.testing.assert_array_equal(arm.column(metric).to_numpy(), reference.column(metric).to_numpy())
        diff = arm.column("resilience_loss_h").to_numpy() - reference.column("resilience_loss_h").to_numpy()
        assert data["variants"][name]["metrics"]["resilience_loss_h"]["mean"] == pytest.approx(diff.mean())
        manifest = json.loads((out / name / "manifest.json").read_text())
        assert [o["set"] for o in manifest["overrides"]] == name.split(",")
    assert "policies.dispatch=fifo" in result.output
    report = (out / "report.html").read_text()
    assert all(name in report for name in names)
    summary = runner.invoke(app, ["summary", str(out)], env={"COLUMNS": "250"})
    assert summary.exit_code == 0 and names[-1] in summary.output
