"""The CLI end to end through typer's CliRunner, and the shipped scenarios."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from ripple import app

ROOT = Path(__file__).parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
SCENARIOS = [p for p in SCENARIOS if not p.name.endswith("_network.yaml")]
runner = CliRunner()


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_shipped_scenarios_validate(path):
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"ok: {path}: ")


def test_schema_is_json_schema_of_scenarios():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "Scenario"
    assert {"clock", "network", "attackers", "responders"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_run_writes_summary_series_and_events(tmp_path):
    out = tmp_path / "x"
    result = runner.invoke(app, ["run", str(ROOT / "tests/data/tiny.yaml"), "--seed", "7", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "resilience loss" in result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 7 and summary["scenario"] == "tiny"
    series = pq.read_table(out / "series.parquet").to_pydict()
    assert len(series["service"]) == 12 * 12 + 1
    assert {"service_energy", "service_health", "nodes_down"} <= set(series)
    kinds = [json.loads(line)["kind"] for line in (out / "events.jsonl").read_text().splitlines()]
    assert kinds[0] == "attack" and "node_down" in kinds and "task_done" in kinds and "node_up" in kinds


def test_same_seed_gives_byte_identical_summaries_and_seeds_differ(tmp_path):
    scenario = str(ROOT / "scenarios/calder_bay.yaml")
    texts = []
    for name, seed in (("a", "7"), ("b", "7"), ("c", "8")):
        assert runner.invoke(app, ["run", scenario, "--seed", seed, "--out", str(tmp_path / name)]).exit_code == 0
        texts.append((tmp_path / name / "summary.json").read_bytes())
    assert texts[0] == texts[1]
    assert texts[0] != texts[2]
    assert (tmp_path / "a/events.jsonl").read_bytes() == (tmp_path / "b/events.jsonl").read_bytes()


HEAVY = ("mesa", "dask", "distributed", "plotly", "dash", "scipy.stats", "pyarrow", "networkx", "pandas", "pandapower",
         "pyproj")
SHOW_HELP = """
import sys
sys.argv = ["ripple", *{args!r}]
from ripple import app
try:
    app(prog_name="ripple")
except SystemExit:
    pass
print("modules:", *sorted(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize("args", [["--help"], ["batch", "--help"]], ids=" ".join)
def test_help_imports_no_engine_pages_or_statistics(args):
    # the budget of `ripple --help` (benchmarks/bench_cli.py) holds only while it imports none of these
    done = subprocess.run([sys.executable, "-c", SHOW_HELP.format(args=args, heavy=HEAVY)], capture_output=True,
                          text=True, check=True, env={**os.environ, "COLUMNS": "200"})
    assert done.stdout.splitlines()[-1] == "modules:"


def test_help_lists_every_command_and_option():
    result = runner.invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    commands = typer.main.get_command(app).commands
    assert len(commands) >= 10
    for name, command in commands.items():
        assert name in result.output
        shown = runner.invoke(app, [name, "--help"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0, name
        for param in command.params:
            assert all(flag in shown.output for flag in param.opts if flag.startswith("--")), (name, param.opts)
