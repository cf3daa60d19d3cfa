"""Run every benchmark in this folder (``bench_*.py``), one after another: ``make bench``.

Each module's ``main()`` runs with no command-line arguments; a benchmark that fails (or
exits naming the targets it missed) is reported and the others still run. Exit status 1 if
any failed, after a list of the failures and missed targets.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    sys.path.insert(0, str(HERE))
    failed = []
    for path in sorted(HERE.glob("bench_*.py")):
        print(f"== {path.stem}", flush=True)
        start = time.perf_counter()
        try:
            run = importlib.import_module(path.stem).main
            run([]) if inspect.signature(run).parameters else run()
        except SystemExit as done:            # argparse, and benchmarks naming missed targets
            if done.code not in (0, None):
                failed.append(f"{path.stem}: {done.code}" if isinstance(done.code, str) else path.stem)
        except Exception:                     # report it, and run the others
            traceback.print_exc()
            failed.append(path.stem)
        print(f"== {path.stem}: {time.perf_counter() - start:.0f} s", flush=True)
    if failed:
        print("failed:", *failed, sep="\n  ", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
