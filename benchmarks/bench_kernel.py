"""Kernel benchmark: the cascade kernel against the bare-library limit and a naive Mesa
reference, on synthetic networks of 10^3 to 10^6 nodes; build time and memory; a 10^5-node
model stepped 1,000 ticks; flagship runs per second and the cost of quiet ticks. Writes its section of benchmarks/RESULTS.md.

A tick of the kernel = a fresh random attack damaging 1% of the nodes, then
``sim.cascade.cascade`` + ``sim.cascade.drain_buffers``. Times are CPU seconds of this
process (``time.process_time``; all of it is single-threaded), so other work on a shared
machine disturbs them little; each measurement runs in a fresh subprocess, so its peak
memory is its own.

    python benchmarks/bench_kernel.py [--sizes 1000,10000,100000,1000000] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from typing import Any, Callable

import numpy as np

from results import RESULTS, write_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FLAGSHIP = ROOT / "scenarios" / "calder_bay.yaml"
SIZES = (1_000, 10_000, 100_000, 1_000_000)
TICKS = {1_000: 40, 10_000: 20, 100_000: 10, 1_000_000: 5}
NAIVE_TICKS = 10
NAIVE_BUDGET_S = 300.0    # s: above 10^4 nodes the reference runs one tick if it should take less


# --------------------------------------------------------------------------- helpers
def cpu() -> float:
    return time.process_time()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def best(fn: Callable[[], Any], repeat: int) -> float:
    """Median CPU seconds of ``fn`` over ``repeat`` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        start = cpu()
        fn()
        times.append(cpu() - start)
    return median(times)


class Counter:
    """Counts the kernel's connectivity passes by kind: a search from the sources, a full
    pass over all linked nodes, over some sectors, or a re-check around the nodes just lost
    (wraps the module's functions)."""

    def __init__(self, module: Any):
        self.search = self.full = self.sectors = self.local = 0
        full, sectors, local, search = module.cut_full, module.cut_sectors, module.cut_local, module.Reach.cut

        def counted_search(*args: Any) -> Any:
            self.search += 1
            return search(*args)

        def counted_full(*args: Any) -> Any:
            self.full += 1
            return full(*args)

        def counted_sectors(*args: Any) -> Any:
            out = sectors(*args)
            self.sectors += out is not None
            return out

        def counted_local(*args: Any) -> Any:
            out = local(*args)
            self.local += out is not None
            return out

        module.cut_full, module.cut_sectors, module.cut_local = counted_full, counted_sectors, counted_local
        module.Reach.cut = counted_search

    def reset(self) -> None:
        self.search = self.full = self.sectors = self.local = 0


# ---------------------------------------------------------------------------- tasks
def task_size(n: int, naive_ticks: int) -> dict[str, Any]:
    """Kernel, limit and naive reference on one synthetic network of ``n`` nodes."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    import sim.cascade as kernel
    from naive import NaiveCascade
    from sim.network import DAMAGED
    from synthetic import generate

    base = rss_mb()
    start = cpu()
    syn = generate(n, seed=1)
    generate_s = cpu() - start
    start = cpu()
    net = syn.network()
    build_s = cpu() - start
    del syn
    gc.collect()
    start = cpu()
    lay = kernel.layout(net)
    layout_s = cpu() - start

    count = Counter(kernel)
    rng = np.random.default_rng(7)
    buffer_left = net.dep_buffer.copy()
    ticks = []
    for _ in range(TICKS.get(n, 5)):
        own = np.zeros(n, np.uint8)
        own[rng.choice(n, max(1, n // 100), replace=False)] = DAMAGED
        before = buffer_left.copy()
        count.reset()
        lay.memo.clear()                      # time the kernel, not its memory of answers
        start = cpu()
        out = kernel.cascade(net, own, buffer_left)
        kernel.drain_buffers(net, buffer_left, out.group_failed)
        ticks.append({"s": cpu() - start, "rounds": out.rounds, "search": count.search, "full": count.full,
                      "sectors": count.sectors, "local": count.local,
                      "down": int((out.down != 0).sum()), "own": own, "buffer": before, "out": out})

    quiet_own = np.zeros(n, np.uint8)
    quiet_buffer = net.dep_buffer.copy()

    def quiet_tick() -> None:
        lay.memo.clear()
        out = kernel.cascade(net, quiet_own, quiet_buffer)
        kernel.drain_buffers(net, quiet_buffer, out.group_failed)

    quiet_s = best(quiet_tick, 5 if n >= 10**6 else 10)

    # the limit: one sparse product and one connected_components, alone, on this network
    working = (ticks[0]["own"] == 0)[lay.order]
    alive = working[:lay.m]
    keep = alive[lay.half_rows] & alive[lay.half_cols]
    kept = np.zeros(len(keep) + 1, np.int32)
    np.cumsum(keep, out=kept[1:])
    cols = lay.half_cols32[keep]
    graph = sp.csr_matrix((np.ones(len(cols)), cols, kept[lay.half_ptr]), shape=(lay.m, lay.m))
    vector = working.astype(np.float32)
    repeat = 5 if n >= 10**6 else 20
    cc_s = best(lambda: connected_components(graph, directed=False), repeat)
    spmv_s = best(lambda: lay.supply @ vector, repeat)
    # the same two operations on the network as stored (file order, float64, both directions)
    stored_graph = sp.csr_matrix((np.ones(len(net.link_cols)), net.link_cols,
                                  np.searchsorted(net.link_rows, np.arange(n + 1)).astype(np.int32)), shape=(n, n))
    stored_vector = (ticks[0]["own"] == 0).astype(np.float64)
    stored_cc_s = best(lambda: connected_components(stored_graph, directed=True, connection="strong"), repeat)
    stored_spmv_s = best(lambda: net.supply @ stored_vector, repeat)

    # exactness: against the naive reference, and the local rounds against full passes
    kernel_peak_mb = peak_mb()
    naive: dict[str, Any] = {}
    if naive_ticks:
        start = cpu()
        reference = NaiveCascade(net)
        naive["build_s"] = cpu() - start
        times, ratios, exact = [], [], True
        for tick in ticks[:naive_ticks]:
            start = cpu()
            ref = reference.run(tick["own"], tick["buffer"])
            times.append(cpu() - start)
            ratios.append(times[-1] / tick["s"])
            out = tick["out"]
            exact &= bool((out.down == ref.down()).all() and (out.backup == ref.backup()).all()
                          and (out.group_failed == ref.group_failed()).all() and out.rounds == ref.rounds)
        naive.update(tick_s=median(times), ticks=len(times), speedup=median(ratios), exact=exact,
                     added_mb=peak_mb() - kernel_peak_mb)
    local_equals_search = None
    if lay.m > kernel.LOCAL_ABOVE:
        tick = ticks[0]
        saved, kernel.LOCAL_ABOVE = kernel.LOCAL_ABOVE, 10**18
        lay.memo.clear()
        try:
            searched = kernel.cascade(net, tick["own"], tick["buffer"].copy())
        finally:
            kernel.LOCAL_ABOVE = saved
        local_equals_search = bool((searched.down == tick["out"].down).all()
                                   and (searched.backup == tick["out"].backup).all()
                                   and searched.rounds == tick["out"].rounds)

    return {
        "n": n, "links": int(len(net.link_rows) // 2), "groups": net.n_groups, "suppliers": int(net.supply.nnz),
        "generate_s": generate_s, "build_s": build_s, "layout_s": layout_s,
        "tick_s": median(t["s"] for t in ticks), "ticks": len(ticks),
        "rounds": median(t["rounds"] for t in ticks), "searches": median(t["search"] for t in ticks),
        "full_passes": median(t["full"] for t in ticks),
        "sector_passes": median(t["sectors"] for t in ticks), "local_passes": median(t["local"] for t in ticks),
        "down": median(t["down"] for t in ticks),
        "limit_tick_s": median(t["rounds"] * (cc_s + spmv_s) for t in ticks),
        "quiet_s": quiet_s, "cc_s": cc_s, "spmv_s": spmv_s, "stored_cc_s": stored_cc_s, "stored_spmv_s": stored_spmv_s,
        "naive": naive, "local_equals_search": local_equals_search,
        "base_mb": base, "peak_mb": kernel_peak_mb,
    }


def timed_causes() -> tuple[list[float], Callable[[], None]]:
    """Time :meth:`sim.attribution.Attribution.explain` (what the engine does to keep the causes
    of failures) from now on: the list it adds the CPU seconds to, and a function that stops."""
    from sim.attribution import Attribution

    spent, explain = [0.0], Attribution.explain

    def timed(*args: Any) -> None:
        start = cpu()
        explain(*args)
        spent[0] += cpu() - start

    Attribution.explain = timed
    return spent, lambda: setattr(Attribution, "explain", explain)


def task_model(n: int, ticks: int) -> dict[str, Any]:
    """A whole RippleModel on an ``n``-node generated scenario: build, then ``ticks`` ticks."""
    import sim.model as model_module
    from sim.model import RippleModel
    from synthetic import generate, scenario

    syn = generate(n, seed=1)
    start = cpu()
    sc = scenario(syn, ticks)
    scenario_s = cpu() - start
    del syn
    start = cpu()
    model = RippleModel(sc, seed=1, skip_quiet=False)
    build_s = cpu() - start

    kernel_calls, kernel_s = [0], [0.0]
    cascade = model_module.cascade

    def timed_cascade(*args: Any) -> Any:
        start = cpu()
        out = cascade(*args)
        kernel_calls[0] += 1
        kernel_s[0] += cpu() - start
        return out

    model_module.cascade = timed_cascade
    causes_s, untime = timed_causes()
    busy, calm = [], []
    start = cpu()
    while model.tick <= model.n_ticks:
        calls, t0 = kernel_calls[0], cpu()
        model.step()
        (busy if kernel_calls[0] > calls else calm).append(cpu() - t0)
    stepped_s = cpu() - start
    stepped = model.result()
    model_module.cascade = cascade
    untime()
    start = cpu()
    stepped.causes()
    resolve_s = cpu() - start

    skipping = RippleModel(sc, seed=1, skip_quiet=True)
    start = cpu()
    skipped = skipping.run()
    skip_s = cpu() - start
    same = all(np.array_equal(stepped.series[k], skipped.series[k]) for k in stepped.series)
    return {
        "n": n, "ticks": model.n_ticks + 1, "scenario_s": scenario_s, "build_s": build_s, "stepped_s": stepped_s,
        "skip_s": skip_s, "kernel_calls": kernel_calls[0], "kernel_s": kernel_s[0],
        "busy_ticks": len(busy), "busy_tick_s": median(busy) if busy else 0.0,
        "calm_ticks": len(calm), "calm_tick_s": median(calm) if calm else 0.0,
        "landed": stepped.metrics.get("attacks_landed"), "nodes_down": stepped.metrics.get("nodes_down"),
        "same_with_skip": same, "peak_mb": peak_mb(), "causes_s": causes_s[0], "resolve_s": resolve_s,
    }


def task_flagship(seconds: float) -> dict[str, Any]:
    """Flagship runs per second on one core, and the cost of busy, quiet and skipped ticks."""
    import sim.model as model_module
    from sim.model import RippleModel
    from sim.scenario import load_scenario

    sc = load_scenario(FLAGSHIP)
    runs, start = 0, cpu()
    while cpu() - start < seconds or runs < 10:
        RippleModel(sc, seed=runs).run()
        runs += 1
    rate = runs / (cpu() - start)

    causes_s, untime = timed_causes()
    start = cpu()
    for seed in range(20):
        result = RippleModel(sc, seed=seed).run()
    causes_share = causes_s[0] / (cpu() - start)
    untime()
    start = cpu()
    result.causes()
    resolve_s = cpu() - start

    kernel_calls = [0]
    cascade = model_module.cascade

    def counted(*args: Any) -> Any:
        kernel_calls[0] += 1
        return cascade(*args)

    model_module.cascade = counted
    busy, quiet, other = [], [], []
    for seed in range(5):
        model = RippleModel(sc, seed=seed, skip_quiet=False)
        while model.tick <= model.n_ticks:
            is_quiet, calls = model.quiet(), kernel_calls[0]
            t0 = cpu()
            model.step()
            dt = cpu() - t0
            (busy if kernel_calls[0] > calls else quiet if is_quiet else other).append(dt)
    model_module.cascade = cascade

    skip_s, skipped = 0.0, 0
    for seed in range(5):
        model = RippleModel(sc, seed=seed, skip_quiet=True)
        while model.tick <= model.n_ticks:
            ahead = model.next_event() if model.quiet() else model.tick
            if ahead > model.tick:
                t0, tick = cpu(), model.tick
                model.advance(until=ahead)
                skip_s += cpu() - t0
                skipped += model.tick - tick
            else:
                model.advance(until=model.tick + 1)
    return {
        "nodes": len(sc.network.nodes), "ticks": int(round(sc.clock.duration / sc.clock.tick)) + 1,
        "runs": runs, "runs_per_s": rate,
        "busy_tick_s": median(busy), "busy_ticks": len(busy) / 5,
        "quiet_tick_s": median(quiet), "quiet_ticks": len(quiet) / 5,
        "other_tick_s": median(other) if other else 0.0,
        "skip_per_tick_s": skip_s / max(skipped, 1), "skipped_ticks": skipped / 5,
        "causes_share": causes_share, "resolve_s": resolve_s,
    }


TASKS = {"size": task_size, "model": task_model, "flagship": task_flagship}


def child(task: str, **args: Any) -> dict[str, Any]:
    """Run one task in a fresh interpreter; return its JSON answer."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--task", task, "--args", json.dumps(args)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark task {task} {args} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------- report
def us(seconds: float) -> str:
    v = seconds * 1e6
    return f"{v:,.0f}" if v >= 100 else f"{v:,.1f}"


def report(sizes: list[dict[str, Any]], model: dict[str, Any] | None, flagship: dict[str, Any] | None) -> tuple[str, list[tuple[str, str, bool]]]:
    """The markdown section and the target checks (name, measured, met)."""
    by_n = {s["n"]: s for s in sizes}
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; CPU time of one core per measurement, medians.",
        "",
        "### Kernel per tick (a fresh attack on 1% of the nodes; cascade + drain_buffers)",
        "",
        "| nodes | links | groups | rounds | connectivity: search / all / sectors / local | ripple µs/tick "
        "| limit µs/round | limit µs/tick | ripple ÷ limit | naive µs/tick | naive ÷ ripple | exact "
        "| quiet tick µs |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in sizes:
        naive = s["naive"]
        exact = "naive ✓" if naive.get("exact") else "naive ✗" if naive else ""
        if s["local_equals_search"] is not None:
            same = s["local_equals_search"]
            exact += (" · " if exact else "") + ("local = search ✓" if same else "local ≠ search ✗")
        versus = (f"{us(naive['tick_s'])} | {naive['speedup']:,.0f}×") if naive else "— | —"
        lines.append(
            f"| {s['n']:,} | {s['links']:,} | {s['groups']:,} | {s['rounds']:g} "
            f"| {s['searches']:g} / {s['full_passes']:g} / {s['sector_passes']:g} / {s['local_passes']:g} "
            f"| {us(s['tick_s'])} | {us(s['cc_s'] + s['spmv_s'])} | {us(s['limit_tick_s'])} "
            f"| {s['tick_s'] / s['limit_tick_s']:.2f} | {versus} | {exact} | {us(s['quiet_s'])} |")
    lines += [
        "",
        "*naive ÷ ripple*: the median over the ticks the naive reference ran (its first ticks) of "
        "the two times on the same tick. "
        "*limit* = one `connected_components` over the link graph of working nodes plus one sparse "
        "product over the dependency matrix, timed alone in a loop (µs/round); per tick, times the "
        "rounds the tick needed. *connectivity*: rounds whose connectivity took a breadth-first search "
        "from the sources (networks up to `LOCAL_ABOVE` linked nodes), a full `connected_components` "
        "pass over all linked nodes or over the sectors that lost nodes, or a re-check around the "
        "nodes just lost (the other rounds lost no node that could cut a path); *local = search*: the "
        "first tick gives the same states with the searches instead. "
        "*quiet tick*: the kernel run again and again on an undamaged network, what a tick costs "
        "when nothing spreads (the synthetic networks have small fragments cut off from their "
        "sources, and their dependants fail too: one to three rounds).",
        "",
        "### The limit's two operations, and build time and memory",
        "",
        "| nodes | components µs | product µs | as stored: components µs | as stored: product µs "
        "| generate s | Network.from_arrays s | kernel layout s | peak memory MB | bytes/node "
        "| naive build s | naive bytes/node |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in sizes:
        per_node = (s["peak_mb"] - s["base_mb"]) * 2**20 / s["n"]
        naive = s["naive"]
        naive_cols = f"{naive['build_s']:.2f} | {naive['added_mb'] * 2**20 / s['n']:,.0f}" if naive else "— | —"
        lines.append(
            f"| {s['n']:,} | {us(s['cc_s'])} | {us(s['spmv_s'])} | {us(s['stored_cc_s'])} | {us(s['stored_spmv_s'])} "
            f"| {s['generate_s']:.2f} | {s['build_s']:.2f} | {s['layout_s']:.2f} | {s['peak_mb']:,.0f} "
            f"| {per_node:,.0f} | {naive_cols} |")
    lines += [
        "",
        "*as stored*: the same operations on the network as built (file order, both link directions, "
        "float64), which is what the kernel did before it kept its own layout (sim/kernel/layout.py, "
        "`Layout`). Peak memory is the whole benchmark process (interpreter, generator, network, "
        "layout, ticks), read before the naive reference runs; bytes/node counts what it added to "
        "the interpreter's own footprint. *naive*: building the reference's Mesa agents, and the "
        "memory its agents and runs added on top.",
    ]
    if model:
        lines += [
            "", f"### A whole model: {model['n']:,} nodes, {model['ticks']:,} ticks", "",
            f"Generated scenario (pydantic) {model['scenario_s']:.1f} s; RippleModel built (network, "
            f"spatial index, responders) in {model['build_s']:.1f} s. "
            f"Stepping every tick: {model['stepped_s']:.1f} s for {model['ticks']:,} ticks "
            f"({model['landed']} attacks landed, {model['nodes_down']} nodes went down); "
            f"{model['kernel_calls']:,} kernel calls (the tick's cascade and the dispatcher's what-ifs) took "
            f"{model['kernel_s']:.1f} s. A tick that ran the kernel: {model['busy_tick_s'] * 1e3:,.1f} ms "
            f"({model['busy_ticks']} ticks); one that did not: {model['calm_tick_s'] * 1e3:,.2f} ms "
            f"({model['calm_ticks']} ticks). With quiet ticks skipped: {model['skip_s']:.1f} s "
            f"(series {'identical' if model['same_with_skip'] else 'DIFFERENT'}). Keeping the causes of "
            f"failures (`sim.attribution`) took {model['causes_s']:.2f} s of the stepping "
            f"({model['causes_s'] / model['stepped_s']:.1%}); turning them into the events' text afterwards "
            f"(`RunResult.causes`), which only writing a run does, {model['resolve_s']:.2f} s.",
        ]
    if flagship:
        lines += [
            "", f"### Flagship (scenarios/calder_bay.yaml, {flagship['nodes']} nodes, {flagship['ticks']} ticks)", "",
            f"{flagship['runs_per_s']:.1f} runs per second on one core ({flagship['runs']} runs). "
            f"Per tick: {us(flagship['busy_tick_s'])} µs when the kernel runs ({flagship['busy_ticks']:.0f} a run), "
            f"{us(flagship['quiet_tick_s'])} µs for a stepped quiet tick ({flagship['quiet_ticks']:.0f} a run), "
            f"{us(flagship['other_tick_s'])} µs for other ticks (response under way), and "
            f"{us(flagship['skip_per_tick_s'])} µs per tick skipped ({flagship['skipped_ticks']:.0f} a run). "
            f"Keeping the causes of failures (`sim.attribution`) is {flagship['causes_share']:.1%} of a run; "
            f"turning them into text (only when a run is written) {flagship['resolve_s'] * 1e3:.2f} ms.",
        ]

    checks: list[tuple[str, str, bool]] = []
    for n in (100_000, 1_000_000):
        if n in by_n:
            r = by_n[n]["tick_s"] / by_n[n]["limit_tick_s"]
            checks.append((f"ripple ≤ 3× the limit per tick at {n:,}", f"{r:.2f}×", r <= 3))
    if 10_000 in by_n and by_n[10_000]["naive"]:
        r = by_n[10_000]["naive"]["speedup"]
        checks.append(("ripple ≥ 50× faster than naive at 10,000", f"{r:,.0f}×", r >= 50))
    exact = [s for s in sizes if s["naive"]]
    if exact:
        checks.append(("same node states as the naive reference", ", ".join(f"{s['n']:,}" for s in exact),
                       all(s["naive"]["exact"] for s in exact)))
    if 100_000 in by_n and 1_000_000 in by_n:
        r = by_n[1_000_000]["tick_s"] / by_n[100_000]["tick_s"]
        checks.append(("µs per tick at 10^6 ÷ at 10^5 ≤ 12", f"{r:.1f}", r <= 12))
    if 1_000_000 in by_n:
        s = by_n[1_000_000]
        checks.append(("10^6 nodes fit in 2 GB", f"{s['peak_mb']:,.0f} MB", s["peak_mb"] <= 2048))
        total = s["build_s"] + s["layout_s"]
        checks.append(("network build at 10^6 < 30 s", f"{total:.1f} s (from_arrays + layout)", total < 30))
    if model:
        per = model["stepped_s"] * 1000 / model["ticks"]
        checks.append((f"{model['n']:,} nodes step 1,000 ticks < 60 s", f"{per:.1f} s", per < 60))
        checks.append(("result identical with quiet ticks skipped", "series equal", model["same_with_skip"]))
        share = model["causes_s"] / model["stepped_s"]
        checks.append((f"causes of failures ≤ 10% of stepping {model['n']:,} nodes", f"{share:.1%}", share <= 0.10))
    if flagship:
        checks.append(("a skipped quiet tick costs almost nothing",
                       f"{us(flagship['skip_per_tick_s'])} µs vs {us(flagship['busy_tick_s'])} µs busy",
                       flagship["skip_per_tick_s"] < 0.05 * flagship["busy_tick_s"]))
        checks.append(("causes of failures ≤ 10% of a flagship run", f"{flagship['causes_share']:.1%}",
                       flagship["causes_share"] <= 0.10))
    lines += ["", "### Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in checks]
    return "\n".join(lines), checks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="comma-separated node counts")
    parser.add_argument("--quick", action="store_true", help="sizes only: no model or flagship runs")
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--args", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.task:
        sys.path.insert(0, str(HERE))
        print(json.dumps(TASKS[args.task](**json.loads(args.args))))
        return

    sizes: list[dict[str, Any]] = []
    naive_tick_s: dict[int, float] = {}
    for n in sorted(int(x) for x in args.sizes.split(",")):
        smaller = max((m for m in naive_tick_s if m < n), default=None)
        per_tick = naive_tick_s[smaller] * (n / smaller) * 1.5 if smaller else None     # the reference's, guessed
        naive_ticks = NAIVE_TICKS if n <= 10_000 else 1 if per_tick and per_tick < NAIVE_BUDGET_S else 0
        print(f"kernel: {n:,} nodes ...", flush=True)
        result = child("size", n=n, naive_ticks=naive_ticks)
        if result["naive"]:
            naive_tick_s[n] = result["naive"]["tick_s"]
        sizes.append(result)
    model = flagship = None
    if not args.quick:
        print("kernel: a 100,000-node model, 1,000 ticks ...", flush=True)
        model = child("model", n=100_000, ticks=1000)
        print("kernel: flagship runs ...", flush=True)
        flagship = child("flagship", seconds=5.0)
    section, checks = report(sizes, model, flagship)
    print(section)
    if not args.no_write:
        write_section("bench_kernel", "Cascade kernel", section)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    missed = [name for name, _, ok in checks if not ok]
    if missed:
        sys.exit("targets missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
