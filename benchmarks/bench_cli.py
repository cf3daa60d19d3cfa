"""Start-up of the command line: wall time of ``ripple --help`` and of ``ripple validate`` on
the flagship scenario, each the median of ``--repeat`` fresh processes, and the heavy
libraries each command imports. Targets: --help under 0.5 s, validate under 1 s. Writes its
section of benchmarks/RESULTS.md; exits non-zero naming a missed target.

    python benchmarks/bench_cli.py [--repeat 5] [--no-write]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from results import write_section

ROOT = Path(__file__).resolve().parent.parent
FLAGSHIP = "scenarios/calder_bay.yaml"
HEAVY = ("mesa", "scipy.stats", "dask", "distributed", "plotly", "dash", "pyarrow", "networkx", "pydantic")
COMMANDS = {"ripple --help": (["--help"], 0.5), f"ripple validate {FLAGSHIP}": (["validate", FLAGSHIP], 1.0)}
IMPORTS = """
import sys
sys.argv = ["ripple", *{args!r}]
from ripple import app
try:
    app(prog_name="ripple")
except SystemExit:
    pass
print(" ".join(m for m in {heavy!r} if m in sys.modules), file=sys.stderr)
"""


def wall(args: list[str]) -> float:
    """Wall seconds of one ``python -m ripple ARGS`` in a fresh process, from the repository."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "ripple", *args], cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def imported(args: list[str]) -> str:
    """The heavy libraries a command imports."""
    done = subprocess.run([sys.executable, "-c", IMPORTS.format(args=args, heavy=HEAVY)], cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-write", action="store_true", help="print, do not update RESULTS.md")
    args = parser.parse_args(argv)
    wall(["--help"])        # warm the file cache
    rows, missed = [], []
    for label, (command, target) in COMMANDS.items():
        times = [wall(command) for _ in range(args.repeat)]
        median = statistics.median(times)
        met = median < target
        if not met:
            missed.append(f"{label} {median:.2f} s ≥ {target:g} s")
        rows.append(f"| `{label}` | {median:.2f} | {' '.join(f'{t:.2f}' for t in times)} | < {target:g} | "
                    f"{'yes' if met else '**no**'} | {imported(command) or 'none'} |")
    section = "\n".join([
        f"Measured {datetime.now():%Y-%m-%d %H:%M} on {platform.machine()}, Python {platform.python_version()}; "
        f"wall seconds of a fresh `python -m ripple` process, median of {args.repeat}.",
        "",
        "| command | median s | all runs s | target s | met | heavy libraries imported |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"*heavy libraries*: which of {', '.join(HEAVY)} the command imports. The command modules import the "
        "engine, the pages and their libraries inside the commands that use them (ripple/app.py), so that a "
        "command pays only for what it runs.",
    ])
    print(section)
    if not args.no_write:
        write_section("bench_cli", "Command-line start-up", section)
    if missed:
        sys.exit("targets missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
