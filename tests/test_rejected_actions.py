"""Rejected actions: every refused action (unknown unit, no open incident, a stale view, a seat
acting outside its units, a no-op) is a line of the hash-chained log with its tick, seat, the
action as typed and the reason; a resume skips it; the after-action report lists it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ripple import app
from sim.exercise import ExerciseError, ExerciseSession, read_log
from sim.exercise.log import chained_lines, read_records
from test_exercise import assert_same_run, play

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "exercise_manual.yaml"


def invoke(*args: str, stdin: str = ""):
    return CliRunner().invoke(app, list(args), input=stdin)


def refusals(log: Path) -> list[tuple]:
    return [(r["time"], r.get("seat"), r["action"], r["reason"]) for r in read_records(log)[1] if r.get("kind")]


def test_each_kind_of_refusal_is_logged_with_its_seat_action_and_reason(tmp_path):
    log = tmp_path / "ex.jsonl"
    session = ExerciseSession(SCENARIO, log_path=log)
    with pytest.raises(ExerciseError):
        session.dispatch("crew-1", "sub")                                       # no open incident
    session.run_to_next_inject()
    seen = len(session.entries)
    with pytest.raises(ExerciseError):
        session.do("dispatch", seat="utility", unit="crew-9", node="sub")       # unknown unit
    with pytest.raises(ExerciseError):
        session.do("dispatch", seat="utility", unit="police-1", node="sub")     # not the seat's unit
    with pytest.raises(ExerciseError):
        session.policy("manual")                                                # a no-op
    session.step()
    with pytest.raises(ExerciseError):
        session.do("dispatch", seat="utility", seen=seen, unit="crew-1", node="sub")   # a stale view
    with pytest.raises(ExerciseError):
        session.do("why", node="nowhere")                                       # a question is not an action
    assert refusals(log) == [
        ("T+0:00", None, "Dispatch crew-1 to sub", "nothing to do at sub: no open incident there"),
        ("T+0:35", "utility", "Dispatch crew-9 to sub", "no unit 'crew-9' (did you mean crew-1?)"),
        ("T+0:35", "utility", "Dispatch police-1 to sub",
         "police-1 is a police unit; the utility seat commands repair units"),
        ("T+0:35", None, "Dispatch policy: manual", "the dispatch policy is already manual; nothing to change"),
        ("T+0:40", "utility", "Dispatch crew-1 to sub", "the state changed at T+0:35; refresh"),
    ]
    assert [e["verb"] for e in read_log(log)[1]] == ["next", "step"]          # refusals are not decisions
    assert [r["tick"] for r in session.rejections] == [0, 7, 7, 7, 8]


def test_the_terminal_logs_refusals_as_typed(tmp_path):
    log = tmp_path / "ex.jsonl"
    done = invoke("exercise", str(SCENARIO), "--log", str(log),
                  stdin="next\ndispatch crew-9   sub\ndispatch crew-1\nfrobnicate\nwhy nowhere\nstatus\n")
    assert done.exit_code == 2
    assert refusals(log) == [("T+0:35", None, "dispatch crew-9   sub", "no unit 'crew-9' (did you mean crew-1?)"),
                             ("T+0:35", None, "dispatch crew-1", "usage: dispatch UNIT NODE")]


@pytest.fixture()
def refused_log(tmp_path) -> Path:
    log = tmp_path / "ex.jsonl"
    play("next\ndispatch police-1 sub\nnext\ndispatch crew-1 sub\nharden sub 0\nstep 3\nrecall crew-9\n"
         "until T+3:00\n", log)
    return log


def test_a_refused_dispatch_appears_in_the_aar(refused_log, tmp_path):
    html_out, md_out = tmp_path / "aar.html", tmp_path / "aar.md"
    assert invoke("aar", str(refused_log), "--out", str(html_out)).exit_code == 0
    assert invoke("aar", str(refused_log), "--markdown", "--out", str(md_out)).exit_code == 0
    page = html_out.read_text()
    section = page[page.index('id="rejected"'):page.index('id="sector-worst"')]
    assert "<h2>Rejected actions</h2>" in section
    assert "<tr><th>time</th><th>seat</th><th>action</th><th>reason</th></tr>" in section
    assert ("<tr><td>T+0:35</td><td>—</td><td>dispatch police-1 sub</td><td>no waiting task at sub that police-1 "
            "(police) can do; open there: repair (waiting, needs repair for energy)</td></tr>") in section
    assert "<td>harden sub 0</td><td>sub is already hardened to 0; nothing to change</td>" in section
    assert "<td>recall crew-9</td><td>no unit &#x27;crew-9&#x27;" in section
    data = json.loads(page.split('id="aar-data">')[1].split("</script>")[0])
    assert data["rejected"] == 3 and data["decisions"] == 1
    text = md_out.read_text()
    rejected = text[text.index("## Rejected actions"):text.index("## Worst service per sector")]
    assert "| T+0:35 | — | dispatch police-1 sub | no waiting task at sub that police-1 (police) can do" in rejected
    effects = text[text.index("## Effect of each decision"):text.index("## Rejected actions")]
    assert "Dispatch crew-1 to sub" in effects and "police-1" not in effects       # a refusal is not a decision


def test_an_aar_without_refusals_says_so(tmp_path):
    log = tmp_path / "ex.jsonl"
    ExerciseSession(SCENARIO, log_path=log).run_to_next_inject()
    out = tmp_path / "aar.md"
    assert invoke("aar", str(log), "--markdown", "--out", str(out)).exit_code == 0
    assert "## Rejected actions\n\nActions the exercise refused" in out.read_text()
    assert "No action was refused." in out.read_text()


def test_a_log_with_refusals_resumes_to_the_same_state(refused_log, tmp_path):
    clean_run, _ = play("next\nnext\ndispatch crew-1 sub\nstep 3\nuntil T+3:00\n", tmp_path / "clean.jsonl")
    resumed = ExerciseSession.from_log(refused_log)
    assert_same_run(clean_run, resumed)
    assert [e["verb"] for e in resumed.entries] == ["next", "next", "dispatch", "step", "until"]
    assert len(resumed.rejections) == 3
    done = invoke("exercise", str(SCENARIO), "--resume", str(refused_log), stdin="recall crew-7\nuntil end\n")
    assert done.exit_code == 2 and "exercise resumed at T+3:00" in done.stdout
    _, records = read_records(refused_log)                     # the chain goes on after the refusals
    assert [r.get("verb") for r in records][-3:] == ["until", "recall", "until"] and records[-2]["kind"] == "rejected"
    assert_same_run(play("next\nnext\ndispatch crew-1 sub\nstep 3\nuntil T+3:00\nuntil end\n",
                         tmp_path / "clean2.jsonl")[0], ExerciseSession.from_log(refused_log))


def test_altering_or_removing_a_refusal_is_detected(refused_log):
    lines = refused_log.read_text().splitlines()
    number = next(i for i, line in enumerate(lines, 1) if '"rejected"' in line)
    for changed in (lines[:number - 1] + lines[number:],                                       # removed
                    [line.replace("no waiting task", "no task") if i == number else line       # reason edited
                     for i, line in enumerate(lines, 1)]):
        refused_log.write_text("\n".join(changed) + "\n")
        with pytest.raises(ExerciseError, match=rf"ex\.jsonl:{number}: the log's hash chain breaks here"):
            ExerciseSession.from_log(refused_log)
        done = invoke("aar", str(refused_log), "--out", str(refused_log.with_suffix(".html")))
        assert done.exit_code == 2 and f"ex.jsonl:{number}: the log's hash chain breaks here" in \
            done.stderr.replace("\n", "") and "Traceback" not in done.stderr


def test_a_version_2_log_without_refusals_still_loads(tmp_path):
    log = tmp_path / "ex.jsonl"
    session = ExerciseSession(SCENARIO, log_path=log)
    session.run_to_next_inject()
    session.dispatch("crew-1", "sub")
    header, records = read_records(log)
    log.write_text("\n".join(chained_lines([{**header, "version": 2}, *records])) + "\n")
    old = ExerciseSession.from_log(log)
    assert_same_run(session, old)
    assert old.rejections == [] and old.header["version"] == 2
    header["version"] = 1
    log.write_text("\n".join(chained_lines([header, *records])) + "\n")
    with pytest.raises(ExerciseError, match="log version 1 is not supported"):
        ExerciseSession.from_log(log)
