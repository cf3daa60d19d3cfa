"""Batches under failure and at scale: a Dask scheduler lost mid-batch, workers that join a
running batch, --until-ci decided at fixed checkpoints on every engine, and sizes that
would not fit in memory or time."""

import json
import resource
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from scipy import stats
from typer.testing import CliRunner

from ripple import app
from sim import run_batch
from sim.batch import CHUNK_LIMIT, MAX_RUNS, ci_checkpoint_after, cut, missing_ranges
from sim.batchstore import StoreError, read_runs
from sim.engines import DaskEngine, EngineLost

SMALL = Path(__file__).parent / "data" / "batch_small.yaml"
BIN = Path(sys.executable).parent
runner = CliRunner()


def assert_same_rows(a: pa.Table, b: pa.Table) -> None:
    assert a.column_names == b.column_names
    for name in a.column_names:
        np.testing.assert_array_equal(a.column(name).to_numpy(zero_copy_only=False),
                                      b.column(name).to_numpy(zero_copy_only=False), err_msg=name)


@pytest.fixture(scope="module")
def serial200(tmp_path_factory):
    return run_batch(SMALL, 200, tmp_path_factory.mktemp("serial") / "b", seed=1, workers=1).rows()


class Scheduler:
    """A ``dask scheduler`` and one ``dask worker`` as processes of their own, so that the
    scheduler can be killed as a real one dies."""

    def __init__(self, folder: Path):
        file = folder / f"scheduler-{time.monotonic_ns()}.json"
        self.scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port", "0",
                                           "--no-dashboard", "--scheduler-file", str(file)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while not file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.2)                  # the file is written before it is complete
        self.address = json.loads(file.read_text())["address"]
        self.worker = subprocess.Popen([str(BIN / "dask"), "worker", self.address, "--nthreads", "1",
                                        "--no-dashboard"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from dask.distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)

    def kill_scheduler(self) -> None:
        self.scheduler.send_signal(signal.SIGKILL)
        self.scheduler.wait()

    def close(self) -> None:
        for process in (self.worker, self.scheduler):
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                process.wait()


@pytest.mark.slow
def test_losing_the_scheduler_keeps_the_runs_and_says_to_resume(serial200, tmp_path):
    """It ended in an 87-line traceback: the wait for chunks was outside the handled call."""
    out = tmp_path / "lost"
    first = Scheduler(tmp_path)
    try:
        batch = subprocess.Popen([str(BIN / "ripple"), "batch", str(SMALL), "--runs", "100", "--seed", "1",
                                  "--chunk-size", "10", "--out", str(out), "--scheduler", first.address],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 300           # a worker's first chunk imports and builds everything
        while not list((out / "runs").glob("part-*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.01)
        first.kill_scheduler()
        stdout, stderr = batch.communicate(timeout=60)
    finally:
        first.close()
    assert batch.returncode == 2, stdout + stderr
    assert "Traceback" not in stdout + stderr
    assert "lost the Dask scheduler" in stderr and "--resume" in stderr
    kept = read_runs(out)                                       # every part kept is whole
    assert 1 <= kept.num_rows < 100
    assert f"{kept.num_rows} finished runs are kept in {out}" in " ".join(stderr.split())
    assert_same_rows(serial200.filter(pa.compute.is_in(serial200.column("run_index"), kept.column("run_index"))), kept)

    second = Scheduler(tmp_path)
    try:
        done = subprocess.run([str(BIN / "ripple"), "batch", str(SMALL), "--out", str(out), "--resume",
                               "--scheduler", second.address], capture_output=True, text=True, timeout=600)
    finally:
        second.close()
    assert done.returncode == 0, done.stdout + done.stderr
    assert_same_rows(serial200.slice(0, 100), read_runs(out))


def test_a_lost_engine_refuses_further_work(tmp_path):
    cluster = Scheduler(tmp_path)
    try:
        engine = DaskEngine(cluster.address)
        future = engine.submit(time.sleep, 5)
        cluster.kill_scheduler()
        with pytest.raises(EngineLost, match="lost the Dask scheduler"):
            engine.wait_first([future])
        with pytest.raises(EngineLost):
            engine.submit(int)
        engine.close()
    finally:
        cluster.close()


class GrowCluster:
    """A progress reporter that adds a second worker to the cluster after the first chunk."""

    def __init__(self, cluster, client):
        self.cluster, self.client, self.chunks = cluster, client, 0

    def start(self, total: int, done: int) -> None:
        pass

    def advance(self, runs: int) -> None:
        self.chunks += 1
        if self.chunks == 1:
            self.cluster.scale(2)
            self.client.wait_for_workers(2, timeout=60)


@pytest.mark.slow
def test_workers_that_join_a_running_batch_are_used(serial200, tmp_path):
    """The window of chunks in flight was fixed when the client connected: one chunk at a time
    for a cluster that started with one worker, however many joined later."""
    from dask.distributed import Client, LocalCluster, get_task_stream

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        with get_task_stream(client) as stream:
            result = run_batch(SMALL, 200, tmp_path / "grow", seed=1, chunk_size=10,
                               scheduler=cluster.scheduler_address, progress=GrowCluster(cluster, client))
        spans = [(task["worker"], part["start"], part["stop"]) for task in stream.data
                 if task["key"].startswith("run_chunk") for part in task["startstops"] if part["action"] == "compute"]
    assert len({worker for worker, _, _ in spans}) == 2, spans
    at_once = any(a[0] != b[0] and a[1] < b[2] and b[1] < a[2] for a in spans for b in spans)
    assert at_once, "the two workers never ran chunks at the same time"
    assert_same_rows(serial200, result.rows())


# ------------------------------------------------------------------ --until-ci
def test_until_ci_checkpoints_and_chunks_cut_at_them():
    assert [ci_checkpoint_after(n) for n in (0, 29, 30, 49, 50, 51)] == [30, 30, 50, 50, 70, 70]
    pieces = list(cut([(0, 130)], 40, checkpoints=True))
    assert pieces == [(0, 30), (30, 40), (40, 50), (50, 70), (70, 80), (80, 90), (90, 110), (110, 120), (120, 130)]
    assert list(cut([(0, 130)], 40)) == [(0, 40), (40, 80), (80, 120), (120, 130)]


def test_until_ci_keeps_the_same_runs_on_every_engine(serial200, tmp_path):
    """It decided on whichever runs had finished: 40 runs kept serially, 100 on the pool, both
    saying "after 40 runs". Now runs 0..n-1 decide, at n = 30, 50, 70, ..."""
    values = serial200.column("resilience_loss_h").to_numpy()
    halves = {n: stats.sem(values[:n]) * stats.t.ppf(0.975, n - 1) for n in (30, 50, 70, 90, 110)}
    target = (halves[70] + halves[90]) / 2             # met first at 90 runs
    assert halves[70] > target >= halves[90]
    results = [run_batch(SMALL, 400, tmp_path / name, seed=1, until_ci=("resilience_loss_h", target), **engine)
               for name, engine in (("serial", {"workers": 1}), ("pool", {"workers": 2}),
                                    ("small", {"workers": 2, "chunk_size": 7}))]
    for result in results:
        assert result.done == 90 and "after 90 runs" in result.stopped_early, result
        assert_same_rows(serial200.slice(0, 90), result.rows())
        manifest = json.loads((result.folder / "manifest.json").read_text())
        assert manifest["until_ci"] == {"metric": "resilience_loss_h", "half_width": target, "stopped_at": 90}


@pytest.mark.slow
def test_until_ci_keeps_the_same_runs_on_dask(serial200, tmp_path):
    from dask.distributed import LocalCluster

    values = serial200.column("resilience_loss_h").to_numpy()
    target = stats.sem(values[:90]) * stats.t.ppf(0.975, 89) * 1.0001
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        result = run_batch(SMALL, 400, tmp_path / "dask", seed=1, until_ci=("resilience_loss_h", target),
                           scheduler=cluster.scheduler_address)
    assert result.engine == "dask" and result.done <= 90 and f"after {result.done} runs" in result.stopped_early
    assert_same_rows(serial200.slice(0, result.done), result.rows())
    serial = run_batch(SMALL, 400, tmp_path / "serial", seed=1, until_ci=("resilience_loss_h", target), workers=1)
    assert serial.done == result.done


def test_until_ci_resumed_after_its_stop_runs_nothing_more(tmp_path):
    out = tmp_path / "ci"
    first = run_batch(SMALL, 400, out, seed=1, workers=1, until_ci=("resilience_loss_h", 5.0))
    assert first.done == 30
    again = run_batch(SMALL, out=out, resume=True, workers=1, until_ci=("resilience_loss_h", 5.0))
    assert again.ran == 0 and again.done == 30 and "after 30 runs" in again.stopped_early


def test_until_ci_means_a_half_width(tmp_path):
    result = runner.invoke(app, ["batch", str(SMALL), "--runs", "100", "--out", str(tmp_path / "x"),
                                 "--until-ci", "resilience_loss_h=inf"])
    assert result.exit_code == 2 and "half-width" in result.output
    assert not (tmp_path / "x").exists()


# ---------------------------------------------------------------------- sizes
@pytest.mark.parametrize("args, message", [
    (["--runs", str(10 ** 12)], f"--runs must be 1 to {MAX_RUNS:,}"),
    (["--runs", "20", "--chunk-size", str(10 ** 12)], f"--chunk-size must be 1 to {CHUNK_LIMIT}"),
    (["--runs", str(10 ** 12), "--sweep", "responders.crews.count=1,2"], "--runs must be 1 to"),
])
def test_huge_runs_and_chunks_are_refused_at_once(args, message, tmp_path):
    out = tmp_path / "huge"
    result = runner.invoke(app, ["batch", str(SMALL), "--out", str(out), "--workers", "1", *args])
    assert result.exit_code == 2 and message in " ".join(result.output.split())
    assert not out.exists()


def test_a_huge_batch_ends_at_once_without_a_traceback(tmp_path):
    """--runs 10^12 allocated an array of every run index (8 TB) before anything ran."""
    result = subprocess.run([str(BIN / "ripple"), "batch", str(SMALL), "--runs", str(10 ** 12), "--out",
                             str(tmp_path / "huge")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stdout + result.stderr
    assert "--runs must be 1 to" in result.stderr
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 1_000_000          # KiB: under 1 GB


def test_resume_refuses_huge_runs(tmp_path):
    out = tmp_path / "b"
    run_batch(SMALL, 10, out, seed=1, workers=1)
    with pytest.raises(StoreError, match="--runs must be 1 to"):
        run_batch(SMALL, 10 ** 12, out, resume=True, workers=1)


def test_the_plan_takes_no_memory_in_proportion_to_the_runs():
    """The plan was np.arange(runs) and a Python list of every index: 10^12 runs wanted 8 TB."""
    tracemalloc.start()
    pieces = cut(missing_ranges([(0, 50), (100, 150)], MAX_RUNS), 50)
    head = [next(pieces) for _ in range(3)]
    count = 3 + sum(1 for _ in pieces)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert head == [(50, 100), (150, 200), (200, 250)]
    assert count == MAX_RUNS // 50 - 2
    assert peak < 1_000_000


def test_local_workers_are_capped_per_core():
    """--workers 100000 on a large batch forked until the machine gave out."""
    from sim.engines import WORKERS_PER_CORE, cpu_count, open_engine

    with open_engine(100_000, tasks=10 ** 6) as engine:
        assert engine.slots == WORKERS_PER_CORE * cpu_count()


def test_a_resume_with_nothing_to_do_starts_no_pool(tmp_path):
    out = tmp_path / "b"
    run_batch(SMALL, 10, out, seed=1, workers=1)
    again = run_batch(SMALL, out=out, resume=True, workers=4)
    assert again.ran == 0 and again.engine == "serial"


def test_summary_says_why_a_batch_stopped_early_old_and_new(tmp_path):
    out = tmp_path / "ci"
    run_batch(SMALL, 400, out, seed=1, workers=1, until_ci=("resilience_loss_h", 5.0))
    result = runner.invoke(app, ["summary", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "stopped early by --until-ci resilience_loss_h=±5" in result.output
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["until_ci"] = {"metric": "resilience_loss_h", "width": 10.0, "stopped_at": 30}    # as written before
    (out / "manifest.json").write_text(json.dumps(manifest))
    result = runner.invoke(app, ["summary", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0 and "at an interval 10.0 wide" in result.output
