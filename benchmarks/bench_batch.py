"""Batch throughput: runs per second of ``run_batch`` in one process, on a local process pool
of all cores, and on a Dask LocalCluster of as many single-threaded worker processes.

Parallel efficiency = pool rate / (cores × serial rate); the targets are ≥ 85% on two cores,
and Dask within 10% of the pool. Each engine is started once and then timed over whole
batches (every chunk written, quantiles computed): the steady throughput of a standing pool
or cluster, whose start-up (and the Dask workers' first import of the simulator) is paid
once. Engines take turns, ``--repeat`` times, and the best rate of each is reported, so that
other load on the machine disturbs the comparison as little as possible.

    python benchmarks/bench_batch.py [--runs 200] [--repeat 3] [--scenario scenarios/calder_bay.yaml]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from importlib import import_module
from pathlib import Path

from rich.console import Console
from rich.table import Table

from sim.batch import run_batch
from sim.engines import Engine, cpu_count, open_engine

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = ROOT / "scenarios" / "calder_bay.yaml"
SMALL = ROOT / "tests" / "data" / "batch_small.yaml"


def timed(scenario: Path, runs: int, folder: Path, engine: Engine) -> float:
    """Runs per second of one whole batch."""
    start = time.perf_counter()
    result = run_batch(scenario, runs, folder, seed=1, engine=engine)
    if result.done != runs:
        raise SystemExit(f"{folder}: {result.done} of {runs} runs")
    return runs / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", type=Path, default=FLAGSHIP if FLAGSHIP.exists() else SMALL)
    args = parser.parse_args(argv)
    cores = cpu_count()
    console = Console(width=120)
    console.print(f"{args.scenario.name}: {args.runs} runs a batch, best of {args.repeat}, {cores} cores",
                  highlight=False)
    import dask
    from dask.distributed import LocalCluster

    rates: dict[str, list[float]] = {"serial": [], "pool": [], "dask": []}
    with tempfile.TemporaryDirectory() as tmp, open_engine(workers=1) as serial, open_engine(workers=cores) as pool:
        # the workers' statistical profiler samples every 10 ms by default: on a small
        # machine that shares its cores with the scheduler it costs several percent
        with dask.config.set({"distributed.worker.profile.enabled": False}), \
                LocalCluster(n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
                open_engine(scheduler=cluster.scheduler_address) as dask:
            dask.client.run(import_module, "sim.batch")
            engines = {"serial": serial, "pool": pool, "dask": dask}
            for turn in range(args.repeat):
                for name, engine in engines.items():
                    rates[name].append(timed(args.scenario, args.runs, Path(tmp) / f"{name}-{turn}", engine))
    best = {name: max(values) for name, values in rates.items()}
    table = Table(title="ripple batch throughput")
    for name in ("engine", "workers", "runs/s", "all tries", "speed-up", "parallel efficiency", "vs pool"):
        table.add_column(name, justify="left" if name == "engine" else "right", no_wrap=name in ("engine", "all tries"))
    for label, name, workers in (("serial", "serial", 1), ("process pool", "pool", cores),
                                 ("Dask LocalCluster", "dask", cores)):
        speedup = best[name] / best["serial"]
        table.add_row(label, str(workers), f"{best[name]:.1f}", " ".join(f"{r:.1f}" for r in rates[name]),
                      f"{speedup:.2f}", f"{speedup / workers:.0%}",
                      f"{best[name] / best['pool'] - 1:+.0%}" if name == "dask" else "")
    console.print(table)


if __name__ == "__main__":
    main()
