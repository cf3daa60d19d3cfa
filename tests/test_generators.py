"""The shipped network files are exactly what their seeded generators write."""

import subprocess
import sys
from pathlib import Path

import pytest

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.mark.parametrize("name", ["calder_bay", "cyber_physical", "buldyrev"])
def test_generator_rewrites_its_network_byte_for_byte(name, tmp_path):
    out = tmp_path / f"{name}_network.yaml"
    subprocess.run([sys.executable, str(SCENARIOS / f"generate_{name}.py"), "--out", str(out)],
                   check=True, capture_output=True)
    assert out.read_bytes() == (SCENARIOS / f"{name}_network.yaml").read_bytes()
