"""The exercise session and the terminal console: scripted exercises, the log, replay,
decisions that change the outcome, and bad commands that never end the exercise."""

from __future__ import annotations

import io
import json
import math
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from ripple import app
from ripple.console import ExerciseConsole
from sim.exercise import ExerciseError, ExerciseSession, read_log
from sim.exercise.log import chained_lines
from sim.model import RippleModel
from sim.results import clean
from sim.scenario import load_scenario
from sim.scenario.schema import Action

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "exercise_manual.yaml"
RIPPLE = [sys.executable, "-c", "from ripple import app; app(prog_name='ripple')"]

SCRIPT = """\
# the whole exercise, scripted
next
next
dispatch crew-1 sub
note "Crew sent to Mill Lane"
aid county_crew
sharing 0.5
harden sub_east 0.6
attack drone sub_east T+6:00
inject "The hospital asks for an update" from="Town Hospital"
rate 1 S "Crew sent within ten minutes" element=Planning org="Town Power"
rate "Public Information" U "No statement issued"
until T+4:00
step 6
policy nearest
until end
quit
"""


def ripple(*args: str, stdin: str = "", timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([*RIPPLE, *args], input=stdin, capture_output=True, text=True, timeout=timeout)


def invoke(*args: str, stdin: str = ""):
    """The command in this process, with ``stdin`` piped in (not a terminal)."""
    return CliRunner().invoke(app, list(args), input=stdin)


def play(script: str, log: Path, scenario: Path = SCENARIO) -> tuple[ExerciseSession, str]:
    """Run a script through the console in this process (the same loop as the command)."""
    session = ExerciseSession(scenario, log_path=log)
    out = io.StringIO()
    shell = ExerciseConsole(session, Console(file=out, width=120), io.StringIO(script), interactive=False)
    shell.cmdloop()
    return session, out.getvalue()


def assert_same_run(a: ExerciseSession, b: ExerciseSession) -> None:
    """Final state arrays, recorded series, metrics and events identical."""
    ma, mb = a.model, b.model
    assert ma.tick == mb.tick
    for name in ("own", "spread_p", "known_at", "ever_hit"):
        np.testing.assert_array_equal(getattr(ma, name), getattr(mb, name), err_msg=name)
    for name in ("down", "buffer_left", "backup"):
        np.testing.assert_array_equal(getattr(ma.state, name), getattr(mb.state, name), err_msg=name)
    np.testing.assert_array_equal(ma.network.hardening, mb.network.hardening)
    assert [(u.label, u.status, tuple(u.position), u.until) for u in ma.responders] == \
           [(u.label, u.status, tuple(u.position), u.until) for u in mb.responders]
    ra, rb = a.result(), b.result()
    assert json.dumps(clean(ra.metrics), sort_keys=True) == json.dumps(clean(rb.metrics), sort_keys=True)
    for key in ra.series:
        np.testing.assert_array_equal(ra.series[key], rb.series[key], err_msg=key)
    for key in ra.changes:
        np.testing.assert_array_equal(ra.changes[key], rb.changes[key], err_msg=key)
    assert [e.as_dict(ra.tick_seconds) for e in ra.events] == [e.as_dict(rb.tick_seconds) for e in rb.events]


def entries(log: Path) -> list[tuple]:
    return [(e["verb"], json.dumps(e["args"], sort_keys=True), e["tick"], e.get("to")) for e in read_log(log)[1]]


def test_scripted_terminal_exercise_runs_to_the_end_and_replays_exactly(tmp_path):
    log = tmp_path / "ex.jsonl"
    done = ripple("exercise", str(SCENARIO), "--log", str(log), stdin=SCRIPT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    out = done.stdout
    assert "> dispatch crew-1 sub" in out                       # commands are echoed
    assert "INJECT 1 · T+0:35 · Phone" in out and "Grid Control → Emergency Operations Centre" in out
    assert "crew-1 dispatched to sub (repair)" in out
    assert "(end)" in out and "exercise over" in out

    header, logged = read_log(log)
    assert header["seed"] == 11 and header["scenario"] == str(SCENARIO) and len(header["sha256"]) == 64
    verbs = [e["verb"] for e in logged]
    assert verbs == ["next", "next", "dispatch", "note", "aid", "sharing", "harden", "attack", "inject", "rate", "rate",
                     "until", "step", "policy", "until"]
    assert all(e["time"].startswith("T+") and e["wall"] for e in logged)
    assert logged[2]["tick"] == 8 and logged[2]["time"] == "T+0:40"

    # the same script in this process is the original; the subprocess logged the same verbs
    original, _ = play(SCRIPT, tmp_path / "original.jsonl")
    assert entries(log) == entries(tmp_path / "original.jsonl")
    replayed = ExerciseSession.from_log(log)
    assert replayed.finished and replayed.seed == 11
    assert_same_run(original, replayed)
    m = replayed.result().metrics
    assert f"{m['resilience_loss_h']:,.2f} h" in out                 # the closing table printed the same run
    assert [r.rating for r in replayed.ratings] == ["S", "U"]
    decisions = [e.detail["verb"] for e in replayed.model.events if e.kind == "decision"]
    assert decisions == ["dispatch", "aid", "sharing", "harden", "attack", "policy"]


def test_manual_dispatch_beats_the_counterfactual(tmp_path):
    session = ExerciseSession(SCENARIO, log_path=tmp_path / "ex.jsonl")
    session.run_to_next_inject()                        # the strike lands at T+0:30
    assert session.model.state.down[session.model.network.index["sub"]] != 0
    session.run_to_next_inject()
    message = session.dispatch("crew-1", "sub")
    assert message.startswith("crew-1 dispatched to sub (repair), ETA T+0:")
    session.run_until("end")
    ours = session.result().metrics
    counterfactual = session.counterfactual().metrics
    direct = RippleModel(load_scenario(SCENARIO), seed=11).run().metrics
    assert json.dumps(clean(counterfactual), sort_keys=True) == json.dumps(clean(direct), sort_keys=True)
    # nobody repairs the substation without the players: service never comes back
    assert math.isnan(counterfactual["recovery_100_h"])
    assert counterfactual["resilience_loss_h"] > 20.0
    # with the crew sent at T+0:40, power is back within hours and the hospital's outage is short
    assert ours["recovery_100_h"] < 6.0
    assert ours["resilience_loss_h"] < counterfactual["resilience_loss_h"] - 15.0
    assert 0.0 < ours["unserved_person_h_health"] < 0.2 * counterfactual["unserved_person_h_health"]


def test_dispatch_needs_a_waiting_task_the_unit_can_do(tmp_path):
    session = ExerciseSession(SCENARIO)
    with pytest.raises(ExerciseError, match="nothing to do at sub: no open incident there"):
        session.dispatch("crew-1", "sub")
    session.run_to_next_inject()
    with pytest.raises(ExerciseError, match=r"no waiting task at sub that police-1 \(police\) can do; open there: "
                                            r"repair \(waiting, needs repair for energy\)"):
        session.dispatch("police-1", "sub")
    with pytest.raises(ExerciseError, match="county_crew-1 is a mutual-aid unit that has not arrived"):
        session.dispatch("county_crew-1", "sub")
    with pytest.raises(ExerciseError, match=r"no unit 'crew-9' \(did you mean crew-1"):
        session.dispatch("crew-9", "sub")
    assert [e["verb"] for e in session.entries] == ["next"]   # refused commands change nothing, log nothing
    session.dispatch("CREW-1", "SUB")                  # labels and ids are case-insensitive
    assert session.teams()[0]["status"] == "travelling"
    session.recall("crew-1")
    assert session.teams()[0]["status"] == "idle"
    with pytest.raises(ExerciseError, match="crew-1 is idle; only a travelling or working unit can be recalled"):
        session.recall("crew-1")
    session.dispatch("crew-1", "sub")
    assert session.aid("county_crew") == "mutual aid county_crew activated; arrives T+2:35"
    session.run_until("T+2:40")
    assert "repair (taken by crew-1, needs repair for energy)" in session.incidents()[0]["tasks"]
    assert session.dispatch("county_crew-1", "sub").startswith("county_crew-1 dispatched to sub (repair, joining crew-1)")
    with pytest.raises(ExerciseError, match="county_crew-1 is already on repair at sub"):
        session.dispatch("county_crew-1", "sub")


def test_bad_commands_print_one_message_and_the_exercise_goes_on(tmp_path):
    log = tmp_path / "ex.jsonl"
    script = "\n".join([
        "next", "dispatch crew-1 nowhere", "step -3", 'note "unterminated', "rate 1 X", "frobnicate now",
        "until T+99:00", "recall crew-1", "aid crew", "dispatch crew-1 plant", "harden sub 2", "sharing lots",
        "policy random", "attack nuke sub", "attack drone sub T+0:05", "help dispatch", "status",
        "dispatch crew-1 [bold]", "until end",
        "step", "quit"]) + "\n"
    done = invoke("exercise", str(SCENARIO), "--log", str(log), stdin=script)
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert done.exit_code == 2
    errors = [line for line in done.stdout.splitlines() if line.startswith("error:")]
    assert len(errors) == 16, errors
    for expected in ("no node 'nowhere'", "step takes a whole number of ticks >= 1, not '-3'",
                     "cannot parse the command", "a rating is P, S, M or U", "unknown command 'frobnicate'",
                     "T+99:00 lies beyond the end of the exercise", "crew-1 is idle",
                     "'crew' is not a mutual-aid team (mutual-aid teams: county_crew)",
                     "nothing to do at plant", "hardening is a level from 0 to 1", "X must be a number, not 'lots'",
                     "no dispatch policy 'random'", "no tactic 'nuke'", "T+0:05 is in the past",
                     "the exercise clock has reached the end", "no node '[bold]'"):
        assert any(expected in e for e in errors), expected
    assert "16 command(s) could not be carried out" in done.stderr
    assert [e["verb"] for e in read_log(log)[1]] == ["next", "until"]


def test_no_decision_is_lost_when_the_process_dies_and_resume_continues(tmp_path):
    log = tmp_path / "ex.jsonl"
    proc = subprocess.Popen([*RIPPLE, "exercise", str(SCENARIO), "--log", str(log)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        proc.stdin.write("next\nnext\ndispatch crew-1 sub\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 30
        for line in proc.stdout:
            if "crew-1 dispatched to sub" in line or time.monotonic() > deadline:
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    assert [e["verb"] for e in read_log(log)[1]] == ["next", "next", "dispatch"]

    done = invoke("exercise", str(SCENARIO), "--resume", str(log), stdin="teams\nuntil end\n")
    assert done.exit_code == 0, done.output
    assert "exercise resumed at T+0:40" in done.stdout
    assert [e["verb"] for e in read_log(log)[1]] == ["next", "next", "dispatch", "until"]
    original, _ = play("next\nnext\ndispatch crew-1 sub\nuntil end\n", tmp_path / "original.jsonl")
    assert_same_run(original, ExerciseSession.from_log(log))


def test_replay_refuses_a_changed_scenario(tmp_path):
    scenario = tmp_path / "s.yaml"
    shutil.copy(SCENARIO, scenario)
    log = tmp_path / "ex.jsonl"
    session = ExerciseSession(scenario, log_path=log)
    session.step(3)
    scenario.write_text(scenario.read_text() + "\n# a comment changes nothing\n")
    assert ExerciseSession.from_log(log).model.tick == 3
    scenario.write_text(scenario.read_text().replace("median: 2h", "median: 3h"))
    with pytest.raises(ExerciseError, match=r"s\.yaml has changed since .*ex\.jsonl was written \(sha256"):
        ExerciseSession.from_log(log)
    done = invoke("exercise", str(scenario), "--resume", str(log))
    assert done.exit_code == 2 and "has changed since" in done.stderr


def test_replay_detects_a_diverging_log_and_rejects_garbage(tmp_path):
    log = tmp_path / "ex.jsonl"
    session = ExerciseSession(SCENARIO, log_path=log)
    session.step(2)
    session.note("first")
    records = [json.loads(line) for line in log.read_text().splitlines()]
    records[2]["tick"] = 5
    log.write_text("\n".join(chained_lines(records[:3])) + "\n")      # a consistent chain: the replay decides
    with pytest.raises(ExerciseError, match=r"ex\.jsonl:3: the replay reached tick 2 where the log has tick 5"):
        ExerciseSession.from_log(log)
    log.write_text("not json\n")
    with pytest.raises(ExerciseError, match=r"ex\.jsonl:1: not valid JSON"):
        ExerciseSession.from_log(log)
    log.write_text('{"verb": "step"}\n')
    with pytest.raises(ExerciseError, match="not a ripple exercise log"):
        ExerciseSession.from_log(log)


def test_attacks_added_at_run_time_fire_at_their_ticks_in_order():
    model = RippleModel(load_scenario(SCENARIO), seed=11)
    model.advance(2)
    late = Action.model_validate({"at": "T+2:00", "tactic": "drone", "target": "sub_east"})
    early = Action.model_validate({"at": "T+1:00", "tactic": "insider", "target": "plant"})
    model.add_action("cell", late)              # joins the scripted cell, after its T+0:30 strike
    model.add_action("cell", early)             # kept sorted: before the T+2:00 action
    model.add_action("second", late)            # a new cell
    assert [a.at for a in model.attackers[0].plan] == [1800.0, 3600.0, 7200.0]
    assert [a.cell_id for a in model.attackers] == ["cell", "second"]
    with pytest.raises(ValueError, match="before the current tick"):
        model.add_action("cell", Action.model_validate({"at": "T+0:05", "tactic": "drone", "target": "sub"}))
    model.run()
    attacks = [(e.tick, e.node, e.detail["attacker"]) for e in model.events if e.kind == "attack"]
    assert attacks == [(6, "sub", "cell"), (12, "plant", "cell"), (24, "sub_east", "cell"), (24, "sub_east", "second")]


def test_capabilities_resolve_by_number_name_or_prefix():
    session = ExerciseSession(SCENARIO)
    names = session.capabilities()
    assert names[:2] == ["Infrastructure Systems", "Public Information and Warning"]   # the MSEL's first
    assert len(names) == 32
    assert session.capability("2") == "Public Information and Warning"
    assert session.capability("cyber") == "Cybersecurity"
    assert session.capability("on-scene security, protection, and law enforcement").startswith("On-scene")
    with pytest.raises(ExerciseError, match="matches several capabilities"):
        session.capability("Public")
    with pytest.raises(ExerciseError, match="no core capability 'Juggling'"):
        session.capability("Juggling")
    with pytest.raises(ExerciseError, match="capability element 'Money' is not one of"):
        session.rate("1", "M", element="Money")
    assert session.rate("1", "m", "slow", element="train") == "Infrastructure Systems: M (Performed with Major Challenges)"
    assert session.ratings[0].element == "Training"


def test_no_op_decisions_are_refused_and_not_logged(tmp_path):
    log = tmp_path / "ex.jsonl"
    session = ExerciseSession(SCENARIO, log_path=log)
    with pytest.raises(ExerciseError, match="the dispatch policy is already manual; nothing to change"):
        session.policy("manual")
    with pytest.raises(ExerciseError, match="information sharing is already 0; nothing to change"):
        session.sharing(0.0)
    session.harden("sub", 0.5)
    with pytest.raises(ExerciseError, match="sub is already hardened to 0.5; nothing to change"):
        session.harden("sub", 0.5)
    assert [e["verb"] for e in read_log(log)[1]] == ["harden"]


def test_the_units_table_stays_current_and_called_aid_shows_its_arrival():
    session = ExerciseSession(SCENARIO)
    session.run_to_next_inject()
    session.dispatch("crew-1", "sub")
    session.aid("county_crew")
    rows = {r["unit"]: r for r in session.teams()}
    assert rows["county_crew-1"]["status"] == "called in" and rows["county_crew-1"]["until"] == "T+2:35"
    session.run_until("T+1:25")
    crew = next(r for r in session.teams() if r["unit"] == "crew-1")
    assert crew["status"] == "working"
    finish = crew["until"]
    assert finish > "T+1:25"                                  # the end of the work, not the arrival
    while session.teams()[0]["status"] == "working":
        session.step(1)
    assert session.clock() == finish                           # free exactly when the table said


def test_the_browser_forms_offer_what_can_be_acted_on():
    from dashboards.app import live_options
    from sim.exercise.verbs import VERBS

    session = ExerciseSession(SCENARIO)
    verb = VERBS["dispatch"]
    node, unit = (next(a for a in verb.positional if a.kind == k) for k in ("node", "unit"))
    assert live_options(session, verb, node) == []                   # nothing happened yet
    session.run_to_next_inject()
    assert [o["value"] for o in live_options(session, verb, node)] == ["sub"]
    assert [o["value"] for o in live_options(session, verb, unit)] == ["crew-1", "police-1"]   # not the county crew
    recall = VERBS["recall"]
    assert live_options(session, recall, recall.positional[0]) == []
    session.dispatch("crew-1", "sub")
    assert [o["value"] for o in live_options(session, recall, recall.positional[0])] == ["crew-1"]
    harden = VERBS["harden"]
    assert len(live_options(session, harden, harden.positional[0])) == 4  # every node
