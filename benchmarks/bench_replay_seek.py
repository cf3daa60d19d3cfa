"""What a slider seek costs on the flagship's replay page, in Debian's headless Chromium.

The flagship run (``scenarios/calder_bay.yaml``, seed 7, with its map layers) is written as
a replay page and opened once. Two kinds of seek are timed in the page, each from the call
to the map, curves, timeline and panels redrawn (the page's ``window.ripple.seek``, which is
synchronous, then a forced layout so the browser has the new page):

- **steps**: one tick forward at a time, as playback does (200 consecutive ticks through
  the cascade);
- **jumps**: 60 seeded random ticks anywhere in the run, back and forth, as a user drags
  the slider (a jump back replays the changes from the start).

The naive reference draws the map from scratch at each tick (``Plotly.newPlot`` with the
page's figure at that tick), as a page that rebuilt its figure per frame would. Results go
to ``benchmarks/RESULTS.md`` (section ``bench_replay_seek``)::

    .venv/bin/python benchmarks/bench_replay_seek.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "benchmarks")]

from browser import chromium, open_page  # noqa: E402
from results import write_section  # noqa: E402

from dashboards.layers import map_background  # noqa: E402
from dashboards.replay import write_replay  # noqa: E402
from sim.model import RippleModel  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402

SEED = 7
STEPS, JUMPS = 200, 60
# targets, relative to the machine: a playback step fits in a frame at 60 Hz, and a jump costs no
# more than drawing the map anew (absolute times vary several-fold with the machine's load; a
# jump that moves units changes positions, which plotly recomputes the map for, so it cannot be
# much cheaper than a redraw: on an idle machine it is about 3/4 of one, under load about 1/2)
STEP_MS = 16.7
JUMP_SHARE = 1.0
# the same measurement of the page before seeks were batched (one restyle per kind of trace,
# per-node hover text restyled, the curves' time line a plotly shape), same machine, light load
BEFORE = "steps median 13.3 ms (p95 136 ms), jumps median 187 ms (p95 245 ms), naive redraw median 81.5 ms"

# each seek timed from the call until the page is laid out again; returns ms per seek
TIME_SEEKS = """(ticks) => {
  const out = [], map = document.getElementById('map');
  for (const t of ticks) {
    const start = performance.now();
    window.ripple.seek(t);
    void document.body.offsetHeight;            // force style and layout of what changed
    out.push(performance.now() - start);
  }
  return out;
}"""

# the naive reference: the whole map drawn anew at each tick, from the page's own state
TIME_NAIVE = """(ticks) => {
  const out = [], map = document.getElementById('map');
  for (const t of ticks) {
    window.ripple.seek(t);                       // the state at t, in the traces (not timed)
    const data = JSON.parse(JSON.stringify(map.data)), layout = JSON.parse(JSON.stringify(map.layout));
    const start = performance.now();
    Plotly.newPlot(map, data, layout, {responsive: true, displaylogo: false});
    void document.body.offsetHeight;
    out.push(performance.now() - start);
  }
  return out;
}"""


def summary(times: list[float]) -> tuple[float, float, float]:
    """Median, 95th percentile and mean, ms."""
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], statistics.fmean(ordered)


def measure(path: Path, steps: list[int], jumps: list[int], naive_ticks: list[int]) -> dict[str, list[float]]:
    """ms per seek of each kind, and of the naive full redraw."""
    with chromium() as browser, open_page(browser, path, height=950) as s:
        s.page.wait_for_function("window.rippleReady === true", timeout=60_000)
        s.page.evaluate("window.ripple.pause(); window.ripple.seek(0)")
        s.page.evaluate(TIME_SEEKS, steps[:20])                     # warm up the JIT and plotly's caches
        s.page.evaluate("window.ripple.seek(0)")
        out = {"steps": s.page.evaluate(TIME_SEEKS, steps), "jumps": s.page.evaluate(TIME_SEEKS, jumps)}
        out["naive"] = s.page.evaluate(TIME_NAIVE, naive_ticks)
        if s.blocked or s.errors:
            raise SystemExit(f"{path}: blocked {s.blocked}, errors {s.errors}")
    return out


def main() -> None:
    scenario = load_scenario(ROOT / "scenarios" / "calder_bay.yaml")
    model = RippleModel(scenario, seed=SEED)
    result = model.run()
    ticks = len(result.series["time_h"]) - 1
    first = int(result.changes["tick"].min()) if len(result.changes["tick"]) else 0
    steps = list(range(first, min(ticks, first + STEPS) + 1))
    jumps = np.random.default_rng(SEED).integers(0, ticks + 1, JUMPS).tolist()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_replay(result, model.network, Path(tmp) / "replay.html", map_background(scenario))
        times = measure(path, steps, jumps, jumps[:20])
    naive = summary(times["naive"])
    rows = []
    for kind in ("steps", "jumps"):
        median, p95, mean = summary(times[kind])
        rows.append(f"| {kind} ({len(times[kind])}) | {median:.1f} | {p95:.1f} | {mean:.1f} | {naive[0] / median:.1f}× |")
        print(f"seek, {kind}: median {median:.1f} ms, p95 {p95:.1f} ms, mean {mean:.1f} ms "
              f"(naive full redraw median {naive[0]:.1f} ms)")
    step, jump = summary(times["steps"])[0], summary(times["jumps"])[0]
    met = step < STEP_MS and jump <= JUMP_SHARE * naive[0]
    body = "\n".join([
        f"Flagship replay page (328 nodes, {ticks + 1} ticks, with its map layers), headless Chromium, "
        f"2 shared cores. A seek is timed from `window.ripple.seek(t)` until the page is laid out again "
        f"(map, curves, timeline, cascade and details panels). The naive reference draws the map anew "
        f"(`Plotly.newPlot`) at each tick: median {naive[0]:.1f} ms, p95 {naive[1]:.1f} ms.",
        "",
        "| seeks | median (ms) | p95 (ms) | mean (ms) | naive ÷ page (median) |",
        "|---|---|---|---|---|",
        *rows,
        "",
        f"Targets: a playback step's median under {STEP_MS} ms (one frame at 60 Hz), a jump's median at most "
        f"{JUMP_SHARE:.0%} of the naive redraw's: {'met' if met else 'MISSED'} ({step:.1f} ms; "
        f"{jump:.1f} ms of {naive[0]:.1f} ms).",
        "",
        f"Before seeks were batched into one restyle of the map: {BEFORE}.",
    ])
    write_section("bench_replay_seek", "Replay page: what a seek costs (bench_replay_seek.py)", body)
    if not met:
        raise SystemExit(f"seek: step median {step:.1f} ms (target {STEP_MS} ms), jump median {jump:.1f} ms "
                         f"(target {JUMP_SHARE * naive[0]:.1f} ms)")


if __name__ == "__main__":
    main()
