"""Monte Carlo batches: the same rows on every engine, crash safety and resume, common random
numbers, and summaries that match numpy/scipy computed from the stored rows."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim import RippleModel, load_scenario, run_batch
from sim.batch import plan, prebuilt, run_chunk
from ripple import app
from sim.compare import run_compare
from sim.engines import open_engine
from sim.model import Prebuilt
from sim.stats import bca_interval
from sim.overrides import parse_set, parse_variant, prepare
from sim.scenario import load_scenario_data

SMALL = Path(__file__).parent / "data" / "batch_small.yaml"
RIPPLE = Path(sys.executable).parent / "ripple"
runner = CliRunner()


def as_arrays(table: pa.Table) -> dict[str, np.ndarray]:
    return {name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names}


def assert_same_rows(a: pa.Table, b: pa.Table) -> None:
    assert a.column_names == b.column_names
    left, right = as_arrays(a), as_arrays(b)
    for name in a.column_names:
        np.testing.assert_array_equal(left[name], right[name], err_msg=name)


@pytest.fixture(scope="session")
def cluster():
    from dask.distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        yield cluster


@pytest.fixture(scope="module")
def serial40(tmp_path_factory):
    return run_batch(SMALL, 40, tmp_path_factory.mktemp("serial") / "b", seed=1, workers=1)


def test_rows_are_runs_of_the_model(serial40):
    rows = serial40.rows()
    assert rows.column("run_index").to_pylist() == list(range(40))
    assert set(rows.column("seed").to_pylist()) == {1}
    assert rows.column("seed_key").to_pylist()[:2] == ["1/0", "1/1"]
    direct = RippleModel(load_scenario(SMALL), seed=1, run_index=7).run().metrics
    row = rows.slice(7, 1).to_pylist()[0]
    assert {k: row[k] for k in direct} == pytest.approx(direct, nan_ok=True)
    assert len(set(rows.column("resilience_loss_h").to_pylist())) > 10     # runs differ


def test_same_rows_on_a_process_pool(serial40, tmp_path):
    pool = run_batch(SMALL, 40, tmp_path / "pool", seed=1, workers=2)
    assert pool.engine == "processes"
    assert_same_rows(serial40.rows(), pool.rows())


def test_workers_are_capped_by_the_runs_to_do(serial40, tmp_path):
    """A pool starts every worker up front: --workers 100000 for 3 runs starts 3 (it hung)."""
    few = run_batch(SMALL, 3, tmp_path / "few", seed=1, workers=100_000)
    assert few.engine == "processes" and few.rows().num_rows == 3
    assert_same_rows(serial40.rows().slice(0, 3), few.rows())
    with open_engine(100_000, tasks=1) as engine:
        assert engine.slots == 1


@pytest.mark.slow
def test_same_rows_on_a_dask_cluster(serial40, cluster, tmp_path):
    dask = run_batch(SMALL, 40, tmp_path / "dask", seed=1, scheduler=cluster.scheduler_address)
    assert dask.engine == "dask"
    assert_same_rows(serial40.rows(), dask.rows())
    assert_same_rows(pq.read_table(serial40.folder / "quantiles.parquet"), pq.read_table(dask.folder / "quantiles.parquet"))


def test_dask_through_the_command_line(serial40, cluster, tmp_path):
    out = tmp_path / "cli"
    result = runner.invoke(app, ["batch", str(SMALL), "--runs", "20", "--seed", "1", "--out", str(out),
                                 "--scheduler", cluster.scheduler_address])
    assert result.exit_code == 0, result.output
    assert "dask" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == 20 and manifest["seed"] == 1 and manifest["command"].startswith("ripple")
    assert_same_rows(serial40.rows().slice(0, 20), run_batch(SMALL, out=out, resume=True, workers=1).rows())


def test_folder_layout_and_manifest(serial40):
    folder = serial40.folder
    parts = sorted(p.name for p in (folder / "runs").glob("part-*.parquet"))
    assert parts[0] == "part-000000-000009.parquet" and len(parts) == 4
    assert pq.ParquetFile(folder / "runs" / parts[0]).metadata.row_group(0).column(0).compression == "ZSTD"
    assert not list((folder / "runs").glob(".tmp-*"))
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["scenario"]["id"] == "batch_small" and len(manifest["scenario"]["sha256"]) == 64
    assert json.loads(manifest["scenario"]["text"])["id"] == "batch_small"
    assert {"ripple-sim", "numpy", "pyarrow", "dask"} <= set(manifest["versions"])
    assert manifest["chunk_size"] == 10 and manifest["runs"] == 40 and manifest["overrides"] == []


def test_quantiles_are_those_of_the_runs_service_series(serial40):
    scenario = load_scenario(SMALL)
    runs = [RippleModel(scenario, seed=1, run_index=i).run().series for i in range(40)]
    q = pq.read_table(serial40.folder / "quantiles.parquet")
    assert set(q.column("series").to_pylist()) == {"service", "service_energy", "service_health",
                                                   "service_telecom", "service_water"}
    for name in ("service", "service_water"):
        rows = q.filter(pa.compute.equal(q.column("series"), name))
        expected = np.quantile(np.stack([r[name] for r in runs]).astype(np.float32).astype(float),
                               [0.05, 0.25, 0.5, 0.75, 0.95], axis=0)
        for level, column in zip(expected, ("q05", "q25", "q50", "q75", "q95")):
            np.testing.assert_allclose(rows.column(column).to_numpy(), level, rtol=1e-6)
        np.testing.assert_allclose(rows.column("time_h").to_numpy(), runs[0]["time_h"])
        assert rows.column("tick").to_pylist() == list(range(len(runs[0]["time_h"])))


def test_chunks_cover_missing_runs_on_the_grid():
    assert plan(np.arange(25), 10) == [(0, 10), (10, 20), (20, 25)]
    assert plan(np.array([3, 4, 5, 12, 13, 19, 20, 21]), 10) == [(3, 6), (12, 14), (19, 20), (20, 22)]


def test_killed_batch_resumes_to_exactly_the_runs_asked(serial40, tmp_path):
    out, runs = tmp_path / "killed", 40
    command = [str(RIPPLE), "batch", str(SMALL), "--runs", str(runs), "--seed", "1", "--out", str(out),
               "--workers", "1", "--chunk-size", "10"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not list((out / "runs").glob("part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    kept = len(list((out / "runs").glob("part-*.parquet")))
    assert 1 <= kept < runs // 10, "the batch should be killed part-way"

    result = runner.invoke(app, ["batch", str(SMALL), "--out", str(out), "--resume", "--workers", "1"])
    assert result.exit_code == 0, result.output
    rows = pq.read_table(out / "runs").sort_by("run_index")
    assert rows.column("run_index").to_pylist() == list(range(runs))
    assert not list(out.rglob(".tmp-*"))
    assert_same_rows(serial40.rows(), rows)
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["resumed"]) == 1 and manifest["runs"] == runs


def test_existing_results_are_never_overwritten(serial40):
    before = sorted(p.stat().st_mtime_ns for p in (serial40.folder / "runs").iterdir())
    result = runner.invoke(app, ["batch", str(SMALL), "--runs", "40", "--seed", "1", "--out", str(serial40.folder)])
    assert result.exit_code == 2
    assert "--resume" in result.output and "--out" in result.output
    assert sorted(p.stat().st_mtime_ns for p in (serial40.folder / "runs").iterdir()) == before


def test_resume_refuses_another_scenario_seed_or_overrides(tmp_path):
    scenario = tmp_path / "s.yaml"
    shutil.copy(SMALL, scenario)
    out = tmp_path / "b"
    result = runner.invoke(app, ["batch", str(scenario), "--runs", "10", "--seed", "3", "--out", str(out), "--workers", "1"])
    assert result.exit_code == 0, result.output
    for extra, message in ((["--seed", "4"], "the seed differs"),
                           (["--set", "policies.dispatch=fifo"], "the overrides differ")):
        result = runner.invoke(app, ["batch", str(scenario), "--out", str(out), "--resume", *extra])
        assert result.exit_code == 2 and message in result.output, result.output
    scenario.write_text(SMALL.read_text().replace("information_sharing: 0.3", "information_sharing: 0.4"))
    result = runner.invoke(app, ["batch", str(scenario), "--out", str(out), "--resume", "--runs", "20"])
    assert result.exit_code == 2 and "the scenario changed" in result.output, result.output
    assert len(list((out / "runs").glob("part-*.parquet"))) == 1


def test_resume_extends_a_batch(serial40, tmp_path):
    out = tmp_path / "grow"
    run_batch(SMALL, 25, out, seed=1, workers=1)
    grown = run_batch(SMALL, 40, out, resume=True, workers=1)
    assert grown.ran == 15
    assert_same_rows(serial40.rows(), grown.rows())


@pytest.mark.parametrize("spec, named", [("policies.informaton_sharing=0.9", "policies.informaton_sharing"),
                                         ("policies.information_sharing=1.5", "policies.information_sharing=1.5"),
                                         ("attackers.5.plan.0.at=1h", "attackers.5.plan.0.at=1h")])
def test_bad_set_exits_2_naming_it(spec, named, tmp_path):
    result = runner.invoke(app, ["batch", str(SMALL), "--runs", "5", "--out", str(tmp_path / "x"), "--set", spec])
    assert result.exit_code == 2
    assert named in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()


def test_summary_matches_numpy_and_scipy(serial40):
    result = runner.invoke(app, ["summary", str(serial40.folder)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "resilience_loss_h" in result.output and "4n = 160" in result.output
    summary = json.loads((serial40.folder / "summary.json").read_text())
    rows = pa.concat_tables(pq.read_table(p) for p in sorted((serial40.folder / "runs").glob("part-*.parquet")))
    assert summary["runs"] == 40 and summary["runs_to_halve_ci"] == 160
    for metric in ("resilience_loss_h", "recovery_95_h", "unserved_person_h", "attacks_landed"):
        values = rows.column(metric).to_numpy(zero_copy_only=False).astype(float)
        valid = values[~np.isnan(values)]
        s = summary["metrics"][metric]
        assert s["n"] == len(valid) and s["missing"] == 40 - len(valid)
        assert s["mean"] == pytest.approx(valid.mean())
        assert s["sd"] == pytest.approx(valid.std(ddof=1))
        assert [s["q05"], s["q50"], s["q95"]] == pytest.approx(np.quantile(valid, [0.05, 0.5, 0.95]).tolist())
        low, high = stats.t.interval(0.95, len(valid) - 1, loc=valid.mean(), scale=stats.sem(valid))
        assert (s["t_low"], s["t_high"]) == pytest.approx((low, high))
        assert (s["bca_low"], s["bca_high"]) == pytest.approx(bca_interval(valid))
        shown = (s["bca_low"], s["bca_high"]) if s["interval"] == "bca" else (s["t_low"], s["t_high"])
        assert (s["ci_low"], s["ci_high"]) == shown
    assert summary["metrics"]["recovery_95_h"]["missing"] > 0      # some runs never recover
    km = summary["metrics"]["recovery_95_h"]["km"]                 # ... and are censored, not left out
    assert km["censored"] == summary["metrics"]["recovery_95_h"]["missing"] and km["n"] == 40


def test_until_ci_stops_early_after_whole_chunks(tmp_path):
    out = tmp_path / "ci"
    result = runner.invoke(app, ["batch", str(SMALL), "--runs", "200", "--seed", "1", "--out", str(out),
                                 "--workers", "1", "--chunk-size", "10", "--until-ci", "resilience_loss_h=3"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "stopped early" in result.output
    rows = pq.read_table(out / "runs")
    assert 30 <= rows.num_rows < 200 and rows.num_rows % 10 == 0
    values = rows.column("resilience_loss_h").to_numpy()
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert (high - low) / 2 <= 3                 # --until-ci METRIC=H: a half-width (it was a full width)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["until_ci"]["metric"] == "resilience_loss_h"


@pytest.mark.slow
def test_common_random_numbers_shrink_the_variance_of_differences(tmp_path):
    variant = parse_variant("crews=responders.crews.count=3")
    with open_engine(workers=2) as engine:
        comparison = run_compare(SMALL, [variant], 40, tmp_path / "cmp", seed=1, engine=engine)
        independent = run_batch(SMALL, 40, tmp_path / "indep", seed=2, overrides=variant.overrides, engine=engine)
    independent = independent.rows()
    base = pq.read_table(tmp_path / "cmp" / "base" / "runs").sort_by("run_index")
    paired = pq.read_table(tmp_path / "cmp" / "crews" / "runs").sort_by("run_index")
    for metric in ("resilience_loss_h", "unserved_person_h"):
        b, v, i = (t.column(metric).to_numpy() for t in (base, paired, independent))
        assert np.var(v - b, ddof=1) < np.var(i - b, ddof=1) / 3, metric
    # attacks are drawn from their own stream: identical across response policies
    for metric in ("attacks_attempted", "attacks_interdicted", "attacks_landed"):
        np.testing.assert_array_equal(base.column(metric).to_numpy(), paired.column(metric).to_numpy())
    data = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    d = data["variants"]["crews"]["metrics"]["resilience_loss_h"]
    diff = paired.column("resilience_loss_h").to_numpy() - base.column("resilience_loss_h").to_numpy()
    assert d["mean"] == pytest.approx(diff.mean()) and d["n"] == 40
    assert d["t_p"] == pytest.approx(stats.ttest_rel(paired.column("resilience_loss_h").to_numpy(),
                                                     base.column("resilience_loss_h").to_numpy()).pvalue)
    assert d["wilcoxon_p"] == pytest.approx(stats.wilcoxon(diff).pvalue)
    assert comparison.differences["crews"]["resilience_loss_h"].mean == pytest.approx(diff.mean())
    assert set(data["variants"]["crews"]["metrics"]) == set(base.column_names) - {"run_index", "seed", "seed_key"}


def test_compare_and_sweep_commands(tmp_path):
    overlay = tmp_path / "more.yaml"
    overlay.write_text("responders:\n  crews: {count: 3}\n")
    out = tmp_path / "cmp"
    result = runner.invoke(app, ["compare", str(SMALL), "--variant", f"more_crews={overlay}",
                                 "--variant", "sharing=policies.information_sharing=0.9", "--runs", "10",
                                 "--seed", "1", "--out", str(out), "--workers", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "more_crews" in result.output and "unserved_person_h" in result.output
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["base", "more_crews", "sharing"]
    data = json.loads((out / "comparison.json").read_text())
    assert data["reference"] == "base" and data["order"] == ["base", "more_crews", "sharing"]
    out = tmp_path / "sweep"
    result = runner.invoke(app, ["batch", str(SMALL), "--sweep", "responders.crews.count=1,2", "--runs", "10",
                                 "--out", str(out), "--workers", "1"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    data = json.loads((out / "comparison.json").read_text())
    assert data["reference"] == "responders.crews.count=1"
    assert list(data["variants"]) == ["responders.crews.count=2"]
    result = runner.invoke(app, ["summary", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "responders.crews.count=2" in result.output
    twice = runner.invoke(app, ["batch", str(SMALL), "--sweep", "responders.crews.count=1,2", "--sweep",
                                "responders.crews.count=3,4", "--runs", "2", "--out", str(tmp_path / "two")])
    assert twice.exit_code == 2 and "more than once" in twice.output        # several sweeps: tests/test_sweep.py
    assert not (tmp_path / "two").exists()


def test_html_report(serial40):
    result = runner.invoke(app, ["batch", str(SMALL), "--out", str(serial40.folder), "--resume", "--html"])
    assert result.exit_code == 0, result.output
    assert (serial40.folder / "report.html").exists()


def network_arrays(prebuilt: Prebuilt) -> dict[str, np.ndarray]:
    """Every array of a prebuilt network and its kernel layout, copied."""
    net = prebuilt.network
    arrays = {f"net.{k}": v for k, v in vars(net).items() if isinstance(v, np.ndarray)}
    arrays |= {f"net.supply.{k}": getattr(net.supply, k) for k in ("data", "indices", "indptr")}
    arrays |= {f"layout.{k}": v for k, v in vars(net.kernel_layout).items() if isinstance(v, np.ndarray)}
    arrays["tree"] = prebuilt.tree.data
    return {k: np.array(v, copy=True) for k, v in arrays.items()}


@pytest.mark.parametrize("name", ["calder_bay", "all_tactics", "cyber_physical"])
def test_runs_sharing_a_network_never_change_it_and_equal_runs_on_their_own(name):
    scenario = load_scenario(Path(__file__).parent.parent / "scenarios" / f"{name}.yaml")
    shared = Prebuilt.of(scenario)
    before = network_arrays(shared)
    for i in range(3):
        result = RippleModel(scenario, seed=1, run_index=i, prebuilt=shared).run()
        alone = RippleModel(scenario, seed=1, run_index=i).run()
        np.testing.assert_equal(result.metrics, alone.metrics)
        for key, values in alone.series.items():
            np.testing.assert_array_equal(result.series[key], values, err_msg=key)
    after = network_arrays(shared)
    assert before.keys() == after.keys()
    for key in before:
        np.testing.assert_array_equal(after[key], before[key], err_msg=key)


def test_a_process_keeps_one_network_per_scenario_and_overrides():
    # buffers are kept in seconds (a network does not depend on the clock): change one
    base, changed = prepare(SMALL), prepare(SMALL, [parse_set("network.dependencies.0.buffer=3h")])
    assert base.sha256 == changed.sha256 and base.key != changed.key
    first = prebuilt(base.scenario, base.key)
    assert prebuilt(base.scenario, base.key) is first
    other = prebuilt(changed.scenario, changed.key)
    assert other is not first and not np.array_equal(other.network.dep_buffer, first.network.dep_buffer)


def test_every_arm_runs_on_its_own_network(tmp_path):
    variant = parse_variant("finer=clock.tick=5min;network.dependencies.0.buffer=3h")
    run_compare(SMALL, [variant], 10, tmp_path / "cmp", seed=1, workers=1)
    for arm, overrides in (("base", ()), ("finer", variant.overrides)):
        stored = pq.read_table(tmp_path / "cmp" / arm / "runs").sort_by("run_index")
        fresh = run_chunk(prepare(SMALL, overrides).scenario, 1, 0, 10)     # no key: a network of its own
        np.testing.assert_equal({name: stored.column(name).to_pylist() for name in fresh.columns}, fresh.columns)


def test_batch_and_compare_read_the_scenario_file_once(tmp_path, monkeypatch):
    import sim.overrides
    import sim.scenario.loader

    reads = []

    def counted(path):
        reads.append(path)
        return load_scenario_data(path)

    monkeypatch.setattr(sim.overrides, "load_scenario_data", counted)
    monkeypatch.setattr(sim.scenario.loader, "load_scenario_data", counted)
    result = runner.invoke(app, ["batch", str(SMALL), "--runs", "2", "--out", str(tmp_path / "b"), "--workers", "1",
                                 "--set", "policies.dispatch=fifo"])
    assert result.exit_code == 0, result.output
    assert len(reads) == 1
    reads.clear()
    result = runner.invoke(app, ["compare", str(SMALL), "--variant", "a=policies.dispatch=fifo", "--variant",
                                 "b=responders.crews.count=2", "--runs", "2", "--out", str(tmp_path / "c"),
                                 "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert len(reads) == 1


def test_pool_workers_end_with_a_driver_killed_by_sigkill(tmp_path):
    """kill -9 of `ripple batch` left its pool workers running (160 MB each, a minute later)."""
    import psutil

    driver = subprocess.Popen([sys.executable, "-m", "ripple", "batch", str(SMALL), "--runs", "2000", "--workers", "2",
                               "--out", str(tmp_path / "b")], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while len(workers := psutil.Process(driver.pid).children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers) >= 2, "the pool did not start"
    finally:
        driver.kill()
        driver.wait()
    gone, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, f"{len(alive)} pool workers outlived their driver"


def test_resume_sets_aside_unreadable_chunks_and_reruns_them(serial40, tmp_path):
    """--resume trusted part files by their names: a truncated one was never rerun, and every
    summary after it ended in an error."""
    import shutil

    folder = tmp_path / "b"
    shutil.copytree(serial40.folder, folder)
    part = folder / "runs" / "part-000010-000019.parquet"
    part.write_bytes(part.read_bytes()[:200])
    series = folder / "series" / "000020-000029.npz"
    series.write_bytes(series.read_bytes()[:100])
    refused = runner.invoke(app, ["summary", str(folder)])
    assert refused.exit_code == 2 and "part-000010-000019.parquet is not a readable Parquet file" in refused.output
    resumed = runner.invoke(app, ["batch", str(SMALL), "--out", str(folder), "--resume"], env={"COLUMNS": "200"})
    assert resumed.exit_code == 0, resumed.output
    assert "set aside 2 unreadable chunk(s)" in resumed.output and "20 runs in" in resumed.output
    assert sorted(p.name for p in (folder / "damaged").iterdir()) == [
        "000010-000019.npz", "000020-000029.npz", "part-000010-000019.parquet", "part-000020-000029.parquet"]
    assert_same_rows(serial40.rows(), pq.read_table(folder / "runs").sort_by("run_index"))
