"""docs/scenario-reference.md is what `ripple schema --markdown` generates from the schema."""

from pathlib import Path

from typer.testing import CliRunner

from ripple import app
from sim.scenario.reference import REFERENCE_PATH, scenario_reference

ROOT = Path(__file__).parent.parent


def test_committed_scenario_reference_is_current():
    committed = (ROOT / REFERENCE_PATH).read_text(encoding="utf-8")
    assert committed == scenario_reference(), (
        f"{REFERENCE_PATH} is out of date: run `ripple schema --markdown > {REFERENCE_PATH}`")


def test_ripple_schema_markdown_prints_the_reference():
    done = CliRunner().invoke(app, ["schema", "--markdown"])
    assert done.exit_code == 0, done.output
    assert done.output == scenario_reference()
    assert "`vbied`" in done.output  # allowed values come from the schema
