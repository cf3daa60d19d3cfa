"""Tamper-evident exercise logs: every line carries the hash of the previous line's hash and its
own content; a line inserted, removed or changed by hand (a decision slipped in at tick 0, the
header's seed changed) is refused by `ripple aar` and `ripple exercise --resume` with exit 2,
naming the first altered line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ripple import app
from sim.exercise import ExerciseError, ExerciseSession, read_log
from sim.exercise.log import line_hash

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "exercise_manual.yaml"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture()
def log(tmp_path) -> Path:
    path = tmp_path / "ex.jsonl"
    session = ExerciseSession(SCENARIO, seed=7, log_path=path)
    session.run_to_next_inject()
    session.run_to_next_inject()
    session.dispatch("crew-1", "sub")
    session.note("crew sent")
    return path


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def write(path: Path, records: list[dict]) -> None:
    path.write_text("\n".join(json.dumps(r, sort_keys=True) for r in records) + "\n")


def refused(path: Path, number: int) -> None:
    """The session, the AAR and --resume all refuse ``path`` naming line ``number``."""
    with pytest.raises(ExerciseError, match=rf"ex\.jsonl:{number}: the log's hash chain breaks here"):
        ExerciseSession.from_log(path)
    for args in (("aar", str(path), "--out", str(path.with_suffix(".html"))),
                 ("exercise", str(SCENARIO), "--resume", str(path))):
        done = invoke(*args)
        assert done.exit_code == 2, done.output
        assert f"ex.jsonl:{number}: the log's hash chain breaks here" in done.stderr.replace("\n", "")
        assert "Traceback" not in done.stderr


def test_every_line_chains_to_the_one_before(log):
    records = lines_of(log)
    assert len(records) == 5
    previous = ""
    for record in records:
        content = {k: v for k, v in record.items() if k != "hash"}
        canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert record["hash"] == hashlib.sha256((previous + canonical).encode()).hexdigest()
        previous = record["hash"]
    assert records[0]["seed"] == 7 and len(records[0]["sha256"]) == 64      # scenario hash and seed in the header
    header, entries = read_log(log)
    assert "hash" not in header and all("hash" not in e for e in entries)
    assert ExerciseSession.from_log(log).model.tick == entries[-1]["tick"]


def test_a_decision_inserted_at_tick_0_is_refused_naming_its_line(log):
    records = lines_of(log)
    forged = {"verb": "aid", "args": {"team": "county_crew"}, "tick": 0, "time": "T+0:00",
              "wall": records[1]["wall"]}
    forged["hash"] = line_hash("", forged)                   # a forger without the chain's previous hash
    write(log, [records[0], forged, *records[1:]])
    refused(log, 2)


def test_an_inserted_line_with_its_own_valid_hash_still_breaks_the_next_line(log):
    records = lines_of(log)
    forged = {"verb": "note", "args": {"text": "forged"}, "tick": 0, "time": "T+0:00", "wall": records[1]["wall"]}
    forged["hash"] = line_hash(records[0]["hash"], forged)   # chained to the header, but the next line is not
    write(log, [records[0], forged, *records[1:]])
    refused(log, 3)


def test_a_changed_seed_in_the_header_is_refused_as_line_1(log):
    records = lines_of(log)
    records[0]["seed"] = 8
    write(log, records)
    refused(log, 1)


def test_a_removed_or_edited_decision_is_refused(log):
    records = lines_of(log)
    write(log, [*records[:3], records[4]])                    # the dispatch removed
    refused(log, 4)
    records[3]["args"]["node"] = "plant"                      # the dispatch redirected
    write(log, records)
    refused(log, 4)


def test_reformatting_a_line_changes_nothing(log):
    records = lines_of(log)
    log.write_text("\n".join(json.dumps(r, indent=None, separators=(", ", ": ")) for r in reversed_keys(records)) + "\n")
    assert ExerciseSession.from_log(log).entries == read_log(log)[1]
    assert len(ExerciseSession.from_log(log).entries) == 4


def reversed_keys(records: list[dict]) -> list[dict]:
    return [dict(reversed(list(r.items()))) for r in records]
