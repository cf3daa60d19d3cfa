"""`ripple run` writes one run per folder: a folder holding files is refused unless
--force, a file or an unwritable place named as --out gets one message and exit 2, and
seeds are ≥ 0 on the command line and in scenario files."""

from pathlib import Path

from typer.testing import CliRunner

from ripple import app

ROOT = Path(__file__).parent.parent
TINY = ROOT / "tests" / "data" / "tiny.yaml"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["run", str(TINY), *args])


def test_a_folder_that_holds_files_needs_force(tmp_path):
    out = tmp_path / "r"
    assert run("--out", str(out), "--html").exit_code == 0
    assert (out / "replay.html").exists()
    (out / "notes.txt").write_text("mine")
    again = run("--out", str(out))
    assert again.exit_code == 2 and "not empty; pass --force" in again.output and "Traceback" not in again.output
    forced = run("--out", str(out), "--force")
    assert forced.exit_code == 0, forced.output
    assert not (out / "replay.html").exists()             # the earlier run's page does not mix with this run
    assert (out / "summary.json").exists() and (out / "notes.txt").read_text() == "mine"


def test_out_that_is_a_file_or_unwritable(tmp_path):
    (tmp_path / "f").write_text("x")
    as_file = run("--out", str(tmp_path / "f"))
    assert as_file.exit_code == 2 and "is a file, not a folder" in as_file.output
    below_file = run("--out", str(tmp_path / "f" / "sub"))
    assert below_file.exit_code == 2 and "cannot create --out" in below_file.output
    assert "Traceback" not in as_file.output + below_file.output


def test_seeds_are_not_negative(tmp_path):
    negative = run("--seed", "-1", "--out", str(tmp_path / "r"))
    assert negative.exit_code == 2 and "--seed" in negative.output and "greater than or equal to 0" in negative.output
    assert not (tmp_path / "r").exists()
    scenario = tmp_path / "s.yaml"
    scenario.write_text(TINY.read_text().replace("seed: 3", "seed: -1", 1))
    refused = runner.invoke(app, ["validate", str(scenario)])
    assert refused.exit_code == 2 and "seed" in refused.output and "greater than or equal to 0" in refused.output
