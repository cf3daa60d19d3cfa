"""How big the pages are and how fast they open, in Debian's headless Chromium.

For the flagship run (``scenarios/calder_bay.yaml``, seed 7; another shipped scenario if it
is absent) and for a synthetic 1,000-node, 1,000-tick run, it writes the replay page and
prints its size and its load time: from navigation start to the map drawn and the player
ready (targets: under 10 MB, under 3 s). It then runs a small batch and a two-arm
comparison of the flagship, writes their reports, and measures them the same way.
Screenshots of the replay and report pages go to ``--shots`` (default: the temp folder)::

    .venv/bin/python benchmarks/bench_pages.py [--runs 40] [--shots DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from browser import chromium, open_page  # noqa: E402
from synthetic import SECTORS, generate  # noqa: E402

from dashboards.replay import write_replay  # noqa: E402
from dashboards.report import write_report  # noqa: E402
from sim.model import RippleModel  # noqa: E402
from sim.network import RESOURCES  # noqa: E402
from sim.scenario import Scenario, load_scenario, validate_data  # noqa: E402

MB = 2**20
READY = "window.rippleReady === true"
DRAWN = "document.querySelectorAll('.plotly-graph-div .main-svg').length > 0"


def flagship() -> Path:
    path = ROOT / "scenarios" / "calder_bay.yaml"
    if path.exists():
        return path
    return next(p for p in sorted((ROOT / "scenarios").glob("*.yaml")) if not p.name.endswith("_network.yaml"))


def large_scenario(n: int = 1000, ticks: int = 1000, seed: int = 1) -> Scenario:
    """A synthetic network of ``n`` nodes (benchmarks/synthetic.py) as a scenario of ``ticks``
    5-minute ticks, hit by a dozen attacks spread over the first day."""
    syn = generate(n, seed=seed)
    rng = np.random.default_rng(seed)
    ids = [f"n{i}" for i in range(syn.n)]
    nodes = [{"id": ids[i], "sector": SECTORS[syn.sector[i]], "kind": f"{SECTORS[syn.sector[i]]}_node",
              "x": float(syn.xy[i, 0]), "y": float(syn.xy[i, 1]), "population": float(syn.population[i]),
              "source": bool(syn.source[i])} for i in range(syn.n)]
    members: dict[int, list[str]] = {}
    for g, node in zip(syn.supplier_group.tolist(), syn.supplier_node.tolist()):
        members.setdefault(g, []).append(ids[node])
    deps = [{"node": ids[int(syn.dep_node[g])], "resource": RESOURCES[int(syn.dep_resource[g])], "suppliers": members[g],
             "need": int(syn.dep_need[g]), "buffer": f"{int(syn.dep_buffer[g]) * 5}min"} for g in range(len(syn.dep_node))]
    targets = rng.choice(np.flatnonzero(~syn.source), size=12, replace=False)
    plan = [{"at": f"T+{int(h)}:{int(m):02d}", "tactic": "vbied", "target": ids[t]}
            for t, (h, m) in zip(targets, sorted(zip(rng.integers(0, 24, 12), rng.integers(0, 12, 12) * 5)))]
    centre = [float(v) for v in syn.xy.mean(axis=0)]
    data = {
        "id": "synthetic", "name": f"Synthetic {n}-node network", "seed": seed,
        "clock": {"tick": "5min", "duration": f"{ticks * 5}min"},
        "sectors": {s: {"connectivity": "giant_component" if s == "transport" else "sources"} for s in SECTORS},
        "policies": {"detection_base": 0.0},
        "network": {"nodes": nodes, "links": [[ids[a], ids[b]] for a, b in syn.links.tolist()], "dependencies": deps},
        "attackers": [{"id": "cell", "plan": plan}],
        "responders": {"police": {"kind": "police", "base": centre, "count": 6},
                       "fire": {"kind": "fire", "base": centre, "count": 4},
                       **{f"{s}_crews": {"kind": "repair", "base": centre, "count": 3, "sectors": [s]} for s in SECTORS}},
    }
    return validate_data(data, {}, "synthetic")


def measure(path: Path, ready: str, shot: Path | None = None, tick: int | None = None, repeat: int = 3) -> list[float]:
    """Seconds from navigation start to ``ready`` for each of ``repeat`` fresh loads."""
    times = []
    with chromium() as browser:
        for k in range(repeat):
            with open_page(browser, path, height=950) as s:
                s.page.wait_for_function(ready, timeout=60_000)
                at = s.page.evaluate("window.rippleReadyAt || performance.now()")
                times.append(at / 1000.0)
                if s.blocked or s.errors:
                    raise SystemExit(f"{path}: blocked {s.blocked}, errors {s.errors}")
                if shot is not None and k == repeat - 1:
                    if tick is not None:
                        s.page.evaluate(f"window.ripple.seek({tick})")
                    s.page.wait_for_timeout(300)
                    s.page.screenshot(path=str(shot), full_page=True)
    return times


def report_line(label: str, path: Path, times: list[float]) -> None:
    size = path.stat().st_size / MB
    print(f"{label:<34} {size:6.2f} MB {'ok' if size < 10 else 'OVER 10 MB':>10}   load "
          f"median {statistics.median(times):.2f} s, best {min(times):.2f} s "
          f"{'ok' if statistics.median(times) < 3 else 'over 3 s'}")


def replay_case(label: str, scenario: Scenario, seed: int, out: Path, shot: Path | None) -> None:
    model = RippleModel(scenario, seed=seed)
    started = time.perf_counter()
    result = model.run()
    ran = time.perf_counter() - started
    started = time.perf_counter()
    path = write_replay(result, model.network, out / "replay.html")
    wrote = time.perf_counter() - started
    lowest = int(np.argmin(result.series["service"]))
    print(f"{label}: {model.network.n} nodes, {model.n_ticks} ticks, {len(result.changes['tick'])} state changes, "
          f"{len(result.timeline())} events; run {ran:.2f} s, page written in {wrote:.2f} s")
    report_line(f"  replay.html ({label})", path, measure(path, READY, shot, lowest))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40, help="runs per batch for the report pages")
    parser.add_argument("--shots", type=Path, default=Path(tempfile.gettempdir()), help="folder for the screenshots")
    args = parser.parse_args(argv)
    from sim.batch import run_batch
    from sim.compare import run_compare
    from sim.overrides import Variant, parse_set

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path = flagship()
        replay_case(f"{path.stem} seed 7", load_scenario(path), 7, tmp / "flagship", args.shots / "replay.png")
        replay_case("synthetic 1,000 nodes", large_scenario(), 1, tmp / "large", None)
        run_batch(path, args.runs, tmp / "batch", 7, workers=2)
        report = write_report(tmp / "batch")
        report_line(f"report.html ({args.runs} runs)", report, measure(report, DRAWN, args.shots / "report.png"))
        run_compare(path, [Variant("fifo", (parse_set("policies.dispatch=fifo"),))], args.runs, tmp / "compare", 7,
                    workers=2)
        report = write_report(tmp / "compare")
        report_line("report.html (comparison, 2 arms)", report, measure(report, DRAWN, args.shots / "report_compare.png"))
    print(f"screenshots: {args.shots / 'replay.png'}, {args.shots / 'report.png'}, {args.shots / 'report_compare.png'}")


if __name__ == "__main__":
    main()
