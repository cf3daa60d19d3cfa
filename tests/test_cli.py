"""The CLI end to end through typer's CliRunner, and the shipped scenarios."""

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
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
