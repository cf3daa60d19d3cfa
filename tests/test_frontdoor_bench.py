"""The front-door benchmark (benchmarks/bench_frontdoor.py) at 10^4 nodes: every file format
loads to the same arrays as the old loader's, and the targets hold at that size."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import bench_frontdoor  # noqa: E402


@pytest.mark.slow
def test_quick_frontdoor_benchmark_meets_its_targets(tmp_path, monkeypatch):
    monkeypatch.setenv("RIPPLE_BENCH_DIR", str(tmp_path))
    bench_frontdoor.main(["--quick", "--no-write"])      # exits naming the targets missed
