"""`make demo`, as a user on a fresh checkout runs it (the install step is already done)."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_runs_the_flagship_and_writes_its_folder():
    out = ROOT / "runs" / "demo"
    shutil.rmtree(out, ignore_errors=True)
    done = subprocess.run(["make", "-s", "demo"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok: scenarios/calder_bay.yaml" in done.stdout
    assert "resilience loss" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"] == "calder_bay" and summary["seed"] == 7
    for name in ("series.parquet", "nodes.parquet", "events.jsonl", "replay.html"):
        assert (out / name).stat().st_size > 0, name
