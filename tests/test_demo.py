"""`make demo`, as a user on a fresh checkout runs it (the install step is already done).

The test runs the demo target with the scripts next to the running interpreter, the install
stamp treated as up to date (``make -o``) and ``DEMO_OUT`` in a temporary folder, so it
neither reinstalls the package nor writes into the checkout.
"""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
STAMP = ".venv/.installed-stamp"  # the Makefile's install stamp


def make_demo(out: Path) -> subprocess.CompletedProcess:
    bin_dir = Path(sys.executable).parent
    command = ["make", "-s", "-o", STAMP, "demo", f"BIN={bin_dir}", f"DEMO_OUT={out}"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


@needs_make
def test_make_demo_runs_the_flagship_and_writes_its_folder(tmp_path):
    out = tmp_path / "demo"
    done = make_demo(out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok: scenarios/calder_bay.yaml" in done.stdout
    assert "resilience loss" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "calder_bay" and summary["seed"] == 7
    for name in ("series.parquet", "nodes.parquet", "events.jsonl", "replay.html"):
        assert (out / name).stat().st_size > 0, name


@pytest.mark.slow
@needs_make
def test_make_demo_runs_again_over_its_own_folder(tmp_path):
    out = tmp_path / "demo"
    first = make_demo(out)
    assert first.returncode == 0, first.stdout + first.stderr
    summary = (out / "summary.json").read_bytes()
    again = make_demo(out)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (out / "summary.json").read_bytes() == summary
