"""Front-door benchmark (issue 12): big networks from files to results. ``ripple run`` end to
end on 10^6- and 10^5-node networks, loading and validating each file format with the current
loader side by side with the old one (``old_loader.py``), Parquet against pyarrow alone, and
the same arrays from every format. Writes its section of benchmarks/RESULTS.md and exits
non-zero naming each missed target.

The networks come from ``synthetic.generate`` (4 sectors; ``cross`` and a share of the
dependency groups chosen for ~1.3 links and ~0.15 dependencies per node, the issue's 10^5
network) and are written as files in today's hand-written shape (YAML with the C dumper,
JSON), as GraphML, and as a Parquet network directory, with scenario files around them
(72 h at 5-min ticks, a drone on the best-linked power node, a cyber intrusion, a truck bomb,
two repair teams; the JSON case 24 h). They are cached in ``$RIPPLE_BENCH_DIR`` (default: the
temporary folder's ``ripple-bench/``) and regenerated when missing.

Each measurement runs in a fresh process pinned to one core: CPU seconds (user + system,
all threads) and peak resident memory (``ru_maxrss``).

    python benchmarks/bench_frontdoor.py [--quick] [--no-big] [--old-n N] [--no-write]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any, Callable

import numpy as np

from results import RESULTS, write_section

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FLAGSHIP = ROOT / "scenarios" / "calder_bay.yaml"
FILES_VERSION = 1          # bump when the generated files change, so old caches are not reused
SEED = 12
CROSS = 0.56               # links between cells: ~1.3 links per node
DEP_SHARE = 0.1            # dependency groups kept: ~0.15 per node
FORMATS = ("yaml", "json", "graphml", "parquet")
REPEAT = 3                 # repeats of the sub-second loads (median)


# --------------------------------------------------------------------------- measuring
def cpu() -> float:
    return time.process_time()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def one_core() -> None:
    """Pin the calling process (a child, before exec) to one core."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(HERE)])}


def measured(cmd: list[str]) -> dict[str, Any]:
    """Run ``cmd`` pinned to one core; its CPU seconds, wall seconds, peak MB and output."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, env=environment(), preexec_fn=one_core)
        _, status, usage = os.wait4(proc.pid, 0)      # the child's own CPU time and peak memory
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    return {"cpu_s": usage.ru_utime + usage.ru_stime, "wall_s": wall, "peak_mb": usage.ru_maxrss / 1024.0,
            "code": os.waitstatus_to_exitcode(status), "stdout": stdout, "stderr": stderr}


def last_lines(text: str, count: int = 2) -> str:
    """The last lines of a failed process's error output, on one line."""
    return " / ".join(text.strip().splitlines()[-count:])[:300] or "failed"


def child(task: str, **args: Any) -> dict[str, Any]:
    """Run one task of this script in a fresh interpreter pinned to one core; its JSON answer,
    or ``{"error": ...}`` when it failed."""
    done = measured([sys.executable, str(Path(__file__).resolve()), "--task", task, "--args", json.dumps(args)])
    if done["code"] != 0:
        return {"error": last_lines(done["stderr"])}
    return json.loads(done["stdout"].strip().splitlines()[-1])


def ripple_run(scenario: Path) -> dict[str, Any]:
    """``ripple run SCENARIO --out DIR`` end to end, in its own process pinned to one core."""
    with tempfile.TemporaryDirectory() as out:
        done = measured([sys.executable, "-m", "ripple", "run", str(scenario), "--out", out])
    if done["code"] != 0:
        done["error"] = last_lines(done["stderr"])
    return {k: v for k, v in done.items() if k not in ("stdout", "stderr")}


# ---------------------------------------------------------------------------- the files
def cache_root() -> Path:
    return Path(os.environ.get("RIPPLE_BENCH_DIR") or Path(tempfile.gettempdir()) / "ripple-bench")


@dataclass
class Files:
    """One network of ``n`` nodes in every format, and the scenarios around it."""

    folder: Path
    n: int

    def network(self, fmt: str) -> Path:
        return self.folder / f"network.{fmt}"

    def scenario(self, fmt: str, hours: int = 72) -> Path:
        return self.folder / f"scenario_{fmt}_{hours}h.yaml"


def build_network(n: int) -> Any:
    """The benchmark network: ``synthetic.generate`` with fewer links between cells and a
    random ``DEP_SHARE`` of its dependency groups (order kept)."""
    from synthetic import generate

    syn = generate(n, seed=SEED, cross=CROSS)
    rng = np.random.default_rng(SEED)
    keep = np.flatnonzero(rng.random(len(syn.dep_node)) < DEP_SHARE)
    renumber = np.full(len(syn.dep_node), -1)
    renumber[keep] = np.arange(len(keep))
    rows = renumber[syn.supplier_group] >= 0
    syn.dep_node, syn.dep_need, syn.dep_buffer, syn.dep_resource = (
        syn.dep_node[keep], syn.dep_need[keep], syn.dep_buffer[keep], syn.dep_resource[keep])
    syn.supplier_group, syn.supplier_node = renumber[syn.supplier_group[rows]], syn.supplier_node[rows]
    return syn


def node_ids(syn: Any) -> list[str]:
    from synthetic import SECTORS

    return [f"{SECTORS[s][0]}{i}" for i, s in enumerate(syn.sector.tolist())]


def network_data(syn: Any, tick_s: float = 300.0) -> dict[str, Any]:
    """The network as a hand-written file has it: nodes, links as pairs, dependencies."""
    from synthetic import SECTORS
    from sim.network import RESOURCES

    ids = node_ids(syn)
    nodes = [{"id": ids[i], "sector": SECTORS[s], "x": round(x, 4), "y": round(y, 4), "population": p, "source": src}
             for i, (s, (x, y), p, src) in enumerate(zip(syn.sector.tolist(), syn.xy.tolist(),
                                                          syn.population.tolist(), syn.source.tolist()))]
    bounds = np.searchsorted(syn.supplier_group, np.arange(len(syn.dep_node) + 1)).tolist()
    suppliers = syn.supplier_node.tolist()
    deps = [{"node": ids[node], "resource": RESOURCES[r], "suppliers": [ids[x] for x in suppliers[bounds[g]:bounds[g + 1]]],
             "need": int(need), "buffer": f"{int(buffer) * tick_s:g}s"}
            for g, (node, r, need, buffer) in enumerate(zip(syn.dep_node.tolist(), syn.dep_resource.tolist(),
                                                              syn.dep_need.tolist(), syn.dep_buffer.tolist()))]
    return {"nodes": nodes, "links": [[ids[a], ids[b]] for a, b in syn.links.tolist()], "dependencies": deps}


def write_graphml(data: dict[str, Any], path: Path) -> None:
    """GraphML as ``networkx.write_graphml`` writes a DiGraph: node attributes are node
    fields; a link is an edge without attributes; a dependency is one edge per supplier,
    supplier -> node, with its resource, need and buffer."""
    from xml.sax.saxutils import quoteattr

    keys = [("d0", "node", "sector", "string"), ("d1", "node", "x", "double"), ("d2", "node", "y", "double"),
            ("d3", "node", "population", "double"), ("d4", "node", "source", "boolean"),
            ("d5", "edge", "resource", "string"), ("d6", "edge", "need", "long"), ("d7", "edge", "buffer", "string")]
    with open(path, "w", encoding="utf-8") as f:
        f.write('<?xml version=\'1.0\' encoding=\'utf-8\'?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns" '
                'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://graphml.graphdrawing.org/xmlns '
                'http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd">\n')
        for key, kind, name, typ in keys:
            f.write(f'  <key id="{key}" for="{kind}" attr.name="{name}" attr.type="{typ}" />\n')
        f.write('  <graph edgedefault="directed">\n')
        for node in data["nodes"]:
            f.write(f'    <node id={quoteattr(node["id"])}>\n      <data key="d0">{node["sector"]}</data>\n'
                    f'      <data key="d1">{node["x"]!r}</data>\n      <data key="d2">{node["y"]!r}</data>\n'
                    f'      <data key="d3">{node["population"]!r}</data>\n'
                    f'      <data key="d4">{str(node["source"]).lower()}</data>\n    </node>\n')
        for a, b in data["links"]:
            f.write(f'    <edge source={quoteattr(a)} target={quoteattr(b)} />\n')
        for d in data["dependencies"]:
            for supplier in d["suppliers"]:
                f.write(f'    <edge source={quoteattr(supplier)} target={quoteattr(d["node"])}>\n'
                        f'      <data key="d5">{d["resource"]}</data>\n      <data key="d6">{d["need"]}</data>\n'
                        f'      <data key="d7">{d["buffer"]}</data>\n    </edge>\n')
        f.write("  </graph>\n</graphml>\n")


def write_parquet(records: Path, path: Path) -> None:
    """The Parquet network directory of the columnar format (issue 12), converted from a
    record file as ``ripple network convert`` does."""
    from sim.scenario.netdata import read_network, write_network

    write_network(read_network(records), path)


def scenario_data(syn: Any, network_file: str, hours: int) -> dict[str, Any]:
    """A scenario around the network: a drone on the best-linked power node at T+1h, a
    cyber intrusion into a random telecom node at T+2h, a truck bomb at the water node
    serving the most people at T+6h; two repair teams at the centre."""
    from synthetic import RULES, SECTORS

    ids = node_ids(syn)
    degree = np.bincount(syn.links.ravel(), minlength=syn.n)
    power = np.flatnonzero(syn.sector == SECTORS.index("power"))
    centre = [round(float(v), 3) for v in syn.xy.mean(axis=0)]
    return {
        "id": f"frontdoor_{syn.n}", "name": f"Front-door benchmark, {syn.n:,} nodes", "seed": SEED,
        "clock": {"tick": "5min", "duration": f"{hours}h"},
        "sectors": {name: {"connectivity": rule} for name, rule in zip(SECTORS, RULES)},
        "network": {"file": network_file},
        "attackers": [{"id": "cell", "plan": [
            {"at": "1h", "tactic": "drone", "target": ids[int(power[np.argmax(degree[power])])]},
            {"at": "2h", "tactic": "cyber", "target": {"rule": "random", "sector": "telecom"}},
            {"at": "6h", "tactic": "vbied", "target": {"rule": "most_population_served", "sector": "water"}},
        ]}],
        "responders": {
            "power_crews": {"kind": "repair", "base": centre, "count": 4, "sectors": ["power"]},
            "utility_crews": {"kind": "repair", "base": list(centre), "count": 4, "sectors": ["water", "telecom", "transport"]},
        },
    }


def ensure_files(n: int) -> Files:
    """The network of ``n`` nodes in every format and its scenarios, written when missing."""
    import yaml

    files = Files(cache_root() / f"frontdoor-v{FILES_VERSION}" / f"n{n}", n)
    done = files.folder / "complete"
    if done.exists():
        return files
    print(f"frontdoor: writing the {n:,}-node network files to {files.folder} ...", flush=True)
    shutil.rmtree(files.folder, ignore_errors=True)
    files.folder.mkdir(parents=True)
    syn = build_network(n)
    data = network_data(syn)
    with open(files.network("yaml"), "w", encoding="utf-8") as f:
        yaml.dump(data, f, Dumper=yaml.CSafeDumper, default_flow_style=None, sort_keys=False, width=1000)
    with open(files.network("json"), "w", encoding="utf-8") as f:
        json.dump(data, f)
    write_graphml(data, files.network("graphml"))
    write_parquet(files.network("json"), files.network("parquet"))
    for fmt in FORMATS:
        for hours in (72, 24):
            text = yaml.dump(scenario_data(syn, files.network(fmt).name, hours), Dumper=yaml.CSafeDumper,
                             default_flow_style=None, sort_keys=False)
            files.scenario(fmt, hours).write_text(text)
    done.write_text(json.dumps({"links": len(syn.links), "dependencies": len(syn.dep_node),
                                "supplier_rows": len(syn.supplier_node)}))
    return files


def counts(files: Files) -> dict[str, int]:
    return json.loads((files.folder / "complete").read_text())


def size_mb(path: Path) -> float:
    paths = path.rglob("*") if path.is_dir() else [path]
    return sum(p.stat().st_size for p in paths if p.is_file()) / 2**20


# ------------------------------------------------------------------ tasks (in a child)
def digest(net: Any) -> str:
    """A hash of the network's arrays, independent of the order of its dependency groups
    (GraphML lists them by node) and of each group's suppliers."""
    order = np.lexsort((net.dep_resource, net.dep_node))
    supply = net.supply[order].tocsr()
    supply.sort_indices()
    h = hashlib.sha256()
    h.update("\n".join(net.ids).encode())
    h.update("\n".join(net.sector_names).encode())
    for a in (net.sector, net.xy, net.population, net.source, net.hardening, net.repair_median, net.repair_p90,
              net.rule, net.outage_damage, net.link_rows, net.link_cols, net.dep_node[order], net.dep_need[order],
              net.dep_buffer[order], net.dep_resource[order], net.dep_cyber[order], supply.indptr, supply.indices,
              supply.data):
        h.update(np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def load_new(path: str) -> Any:
    """The current path: the scenario file to the network the model runs on."""
    from sim.network import Network
    from sim.scenario import load_scenario

    return Network.from_scenario(load_scenario(path))


def load_old(path: str) -> Any:
    """The old path (old_loader.py)."""
    import old_loader

    return old_loader.load(path)[1]


def task_load(side: str, path: str, repeat: int) -> dict[str, Any]:
    """Scenario file to network with the old or the current loader: CPU s (median of
    ``repeat`` calls), peak MB, the arrays' digest."""
    load: Callable[[str], Any] = {"old": load_old, "new": load_new}[side]
    importlib.import_module({"old": "old_loader", "new": "sim.scenario"}[side])    # imports are not loading
    base = peak_mb()
    times = []
    for _ in range(repeat):
        start = cpu()
        net = load(path)
        times.append(cpu() - start)
    return {"cpu_s": median(times), "peak_mb": peak_mb(), "base_mb": base, "digest": digest(net), "n": net.n}


def task_tables(path: str, repeat: int) -> dict[str, Any]:
    """Parquet: ``sim.scenario.netdata.read_network`` (read and validate the tables) against bare
    ``pyarrow.parquet.read_table`` of the same three files; CPU s, medians."""
    import pyarrow.parquet as pq

    from sim.scenario.netdata import read_network

    folder = Path(path)
    bare, ours = [], []
    for _ in range(repeat):
        start = cpu()
        for name in ("nodes", "links", "dependencies"):
            pq.read_table(folder / f"{name}.parquet")
        bare.append(cpu() - start)
        start = cpu()
        read_network(folder)
        ours.append(cpu() - start)
    return {"pyarrow_s": median(bare), "read_network_s": median(ours)}


TASKS = {"load": task_load, "tables": task_tables}


# ---------------------------------------------------------------------------- the study
def study(n: int, big: int | None, old_n: int) -> dict[str, Any]:
    """Every measurement: ``n`` nodes in every format (old loader at ``old_n``), and the
    Parquet run at ``big`` nodes."""
    out: dict[str, Any] = {"n": n, "big": big, "old_n": old_n}
    files = ensure_files(n)
    old_files = files if old_n == n else ensure_files(old_n)
    out["counts"] = counts(files)
    out["sizes_mb"] = {fmt: size_mb(files.network(fmt)) for fmt in FORMATS}
    print("frontdoor: ripple run on the flagship (baseline memory) ...", flush=True)
    out["flagship"] = ripple_run(FLAGSHIP)
    out["runs"] = {}
    for label, size, fmt, hours in ([("big", big, "parquet", 72)] if big else []) + [
            ("parquet", n, "parquet", 72), ("json", n, "json", 24)]:
        print(f"frontdoor: ripple run, {size:,} nodes, {fmt}, {hours} h ...", flush=True)
        path = (ensure_files(size) if size != n else files).scenario(fmt, hours)
        out["runs"][label] = {"n": size, "fmt": fmt, "hours": hours, **ripple_run(path)}
    out["load"] = {}
    for fmt in FORMATS:
        print(f"frontdoor: load + validate, {fmt}, current loader ...", flush=True)
        new = child("load", side="new", path=str(files.scenario(fmt)), repeat=REPEAT if n <= 100_000 else 1)
        old = new_at_old_n = None       # the old loader reads no Parquet
        if fmt != "parquet":
            print(f"frontdoor: load + validate, {fmt}, old loader, {old_n:,} nodes ...", flush=True)
            old = child("load", side="old", path=str(old_files.scenario(fmt)), repeat=1)
            new_at_old_n = new if old_n == n else child("load", side="new", path=str(old_files.scenario(fmt)),
                                                        repeat=REPEAT)
        out["load"][fmt] = {"new": new, "old": old, "new_at_old_n": new_at_old_n}
    print("frontdoor: Parquet tables against pyarrow alone ...", flush=True)
    out["tables"] = child("tables", path=str(files.network("parquet")), repeat=REPEAT)
    return out


# ---------------------------------------------------------------------------- report
def mb(v: float) -> str:
    return f"{v:,.0f}"


def report(r: dict[str, Any]) -> tuple[str, list[tuple[str, str, bool]]]:
    """The markdown section and the target checks (name, measured, met)."""
    n, old_n = r["n"], r["old_n"]
    c = r["counts"]
    base = r["flagship"].get("peak_mb", 0.0)
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; each measurement a fresh process pinned to one core; "
        "CPU seconds (user + system, all threads) and peak resident memory.",
        "",
        f"The {n:,}-node network: {c['links']:,} links, {c['dependencies']:,} dependencies "
        f"({c['supplier_rows']:,} supplier rows), 4 sectors; files: "
        + ", ".join(f"{fmt} {r['sizes_mb'][fmt]:.1f} MB" for fmt in FORMATS) + ".",
        "",
        "### `ripple run` end to end",
        "",
        "| network | format | run | CPU s | wall s | peak MB | bytes/node | bytes/node over the flagship's |",
        "|---|---|---|---|---|---|---|---|",
    ]
    flag = r["flagship"]
    lines.append(f"| flagship (328 nodes) | yaml | 72 h | {flag['cpu_s']:.1f} | {flag['wall_s']:.1f} | {mb(base)} | — | — |")
    for run in r["runs"].values():
        if "error" in run:
            lines.append(f"| {run['n']:,} nodes | {run['fmt']} | {run['hours']} h | failed: {run['error']} | | | | |")
            continue
        lines.append(f"| {run['n']:,} nodes | {run['fmt']} | {run['hours']} h | {run['cpu_s']:.1f} | {run['wall_s']:.1f} "
                     f"| {mb(run['peak_mb'])} | {run['peak_mb'] * 2**20 / run['n']:,.0f} "
                     f"| {(run['peak_mb'] - base) * 2**20 / run['n']:,.0f} |")
    lines += [
        "",
        f"### Load + validate: scenario file to the kernel's arrays, {n:,} nodes",
        "",
        "| format | current CPU s | current peak MB | old CPU s | old peak MB | old ÷ current | same arrays |",
        "|---|---|---|---|---|---|---|",
    ]
    digests = {}
    for fmt, m in r["load"].items():
        new, old, new_old_n = m["new"], m["old"], m["new_at_old_n"]
        if "error" in new:
            lines.append(f"| {fmt} | failed: {new['error']} | | | | | |")
            continue
        digests[fmt] = new["digest"]
        if old is None:
            old_cols = "— | — | —"
        elif "error" in old or "error" in new_old_n:
            old_cols = f"failed: {(old.get('error') or new_old_n['error'])} | | "
        else:
            at = "" if old_n == n else f" ({old_n:,} nodes; current there {new_old_n['cpu_s']:.2f} s)"
            old_cols = (f"{old['cpu_s']:.1f}{at} | {mb(old['peak_mb'])} "
                        f"| {old['cpu_s'] / new_old_n['cpu_s']:,.0f}×")
        same = "—" if not old or "error" in old or "error" in new_old_n else (
            "✓" if old["digest"] == new_old_n["digest"] else "**differ**")
        lines.append(f"| {fmt} | {new['cpu_s']:.2f} | {mb(new['peak_mb'])} | {old_cols} | {same} |")
    t = r["tables"]
    lines += [
        "",
        "*current*: `sim.scenario.load_scenario` and the network build the model does, median of "
        f"{REPEAT} calls in one process after its imports; *old*: `benchmarks/old_loader.py`, the path "
        "before issue 12 (PyYAML's pure-Python loader twice, a pydantic model per node, the network "
        "built node by node), run once"
        + ("" if old_n == n else f", on the {old_n:,}-node network of the same generator (at {n:,} "
           "nodes it takes minutes and gigabytes)") + ". *same arrays*: the old and the current "
        "loader give the same network arrays (a hash of them, dependency groups in a canonical order).",
        "",
        "Parquet tables: " + (f"failed: {t['error']}" if "error" in t else
                              f"`sim.scenario.netdata.read_network` {t['read_network_s']:.3f} s, bare "
                              f"`pyarrow.parquet.read_table` of the three files {t['pyarrow_s']:.3f} s "
                              f"({t['read_network_s'] / t['pyarrow_s']:.1f}×)."),
    ]

    checks: list[tuple[str, str, bool]] = []
    runs = r["runs"]

    def run_check(label: str, what: str, cpu_max: float, mb_max: float) -> None:
        run = runs.get(label)
        if run is None:
            return
        name = f"{what}: {run['n']:,} nodes, {run['fmt']}, {run['hours']} h < {cpu_max:g} s and < {mb_max:,.0f} MB"
        if "error" in run:
            checks.append((name, f"failed: {run['error'][:80]}", False))
        else:
            checks.append((name, f"{run['cpu_s']:.1f} s, {mb(run['peak_mb'])} MB",
                           run["cpu_s"] < cpu_max and run["peak_mb"] < mb_max))

    run_check("big", "ripple run", 60, 2048)
    run_check("parquet", "ripple run", 5, 400)
    run_check("json", "ripple run", 15, 1024)
    # the issue states the speed-up at 10^5 nodes; on smaller networks the fixed costs of a
    # load weigh more, and the ratio stays in the table without being a target
    for fmt in ("yaml", "json") if old_n >= 100_000 else ():
        m = r["load"][fmt]
        name = f"{fmt} loads ≥ 20× faster than the old loader ({old_n:,} nodes)"
        if any("error" in x for x in (m["old"], m["new_at_old_n"])):
            checks.append((name, "failed", False))
        else:
            ratio = m["old"]["cpu_s"] / m["new_at_old_n"]["cpu_s"]
            checks.append((name, f"{ratio:,.0f}×", ratio >= 20))
    name = "Parquet load + validate ≤ 5× pyarrow alone"
    if "error" in t:
        checks.append((name, f"failed: {t['error'][:80]}", False))
    else:
        ratio = t["read_network_s"] / t["pyarrow_s"]
        checks.append((name, f"{ratio:.1f}×", ratio <= 5))
    loaded = [fmt for fmt in FORMATS if fmt in digests]
    checks.append(("the same arrays from every format",
                   ", ".join(loaded) + (f" (failed: {', '.join(f for f in FORMATS if f not in digests)})" if len(loaded) < 4 else ""),
                   len(loaded) == len(FORMATS) and len(set(digests.values())) == 1))
    olds = [(fmt, m) for fmt, m in r["load"].items() if m["old"] and "error" not in m["old"] and "error" not in m["new_at_old_n"]]
    checks.append(("the same arrays as the old loader", ", ".join(fmt for fmt, _ in olds) or "none loaded",
                   bool(olds) and all(m["old"]["digest"] == m["new_at_old_n"]["digest"] for _, m in olds)))
    lines += ["", "### Targets", "", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {'yes' if ok else '**no**'} |" for name, value, ok in checks]
    return "\n".join(lines), checks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a 10^4-node network only (a smoke test)")
    parser.add_argument("--no-big", action="store_true", help="skip the 10^6-node run")
    parser.add_argument("--old-n", type=int, help="nodes for the old loader (default: as the current one)")
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    parser.add_argument("--task", help=argparse.SUPPRESS)
    parser.add_argument("--args", default="{}", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.task:
        sys.path.insert(0, str(HERE))
        print(json.dumps(TASKS[args.task](**json.loads(args.args))))
        return
    n = 10_000 if args.quick else 100_000
    big = None if args.quick or args.no_big else 1_000_000
    result = study(n, big, args.old_n or n)
    section, checks = report(result)
    print(section)
    if not args.no_write and not args.quick:
        write_section("bench_frontdoor", "The front door: from files to results", section)
        print(f"wrote {RESULTS.relative_to(ROOT)}")
    missed = [name for name, _, ok in checks if not ok]
    if missed:
        sys.exit("targets missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
