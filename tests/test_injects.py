"""MSEL injects that follow the simulation: a `when:` condition judged as the inject falls due
(an attack landed, failed or was interdicted; a node down or restored; a sector below a
service level; a backup running short) and its `otherwise:` alternative; scripted outcomes that
make attacks land as written; `ripple run` releasing the MSEL as written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from agents.events import EventKind
from ripple import app
from sim.exercise import ExerciseSession, read_log
from sim.model import RippleModel
from sim.scenario import ScenarioError, load_scenario

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "exercise_manual.yaml"
FLAGSHIP = Path(__file__).parent.parent / "scenarios" / "calder_bay.yaml"

ALTERNATIVE = {"from": "Grid Control", "to": "EOC", "message": "A drone crashed short of Mill Lane; nothing is damaged.",
               "expected_action": "Ask police to recover the drone."}


WEAK_DRONE = {"drone": {"strength": 1e-3, "bypass": 0.0}}     # against Mill Lane hardened to 0.9: P_land 1/9001


def variant(tmp_path: Path, injects: list[dict[str, Any]], **changes: Any) -> Path:
    """The test exercise with ``injects`` added to its MSEL and top-level sections merged;
    with ``tactics``, Mill Lane is hardened to 0.9."""
    data = yaml.safe_load(SCENARIO.read_text())
    data["injects"] += injects
    if "tactics" in changes:
        data["network"]["nodes"][1]["hardening"] = 0.9
    for key, value in changes.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def released(session: ExerciseSession, number: int) -> list[tuple[str, str | None]]:
    return [(e.detail["message"], e.detail.get("branch")) for e in session.released_injects()
            if e.detail.get("number") == number]


def on_attack(outcome: str) -> dict[str, Any]:
    return {"number": 3, "at": "T+0:40", "from": "Grid Control", "message": "The drone hit Mill Lane.",
            "expected_action": "Send the crew.", "when": {"attack": "cell", "outcome": outcome},
            "otherwise": ALTERNATIVE}


def test_an_inject_fires_on_a_landed_attack_and_not_its_alternative(tmp_path):
    session = ExerciseSession(variant(tmp_path, [on_attack("landed")]))
    session.run_until("T+1:00")
    assert [e.detail["outcome"] for e in session.events if e.kind == EventKind.ATTACK] == ["landed"]
    assert released(session, 3) == [("The drone hit Mill Lane.", None)]
    event = next(e for e in session.released_injects() if e.detail.get("number") == 3)
    assert session.inject_record(event).expected_action == "Send the crew."


def test_a_failed_attack_releases_the_alternative_instead(tmp_path):
    scenario = variant(tmp_path, [on_attack("landed")], tactics=WEAK_DRONE)
    session = ExerciseSession(scenario)
    session.run_until("T+1:00")
    assert [e.detail["outcome"] for e in session.events if e.kind == EventKind.ATTACK] == ["failed"]
    assert released(session, 3) == [(ALTERNATIVE["message"], "otherwise")]
    event = next(e for e in session.released_injects() if e.detail.get("number") == 3)
    record = session.inject_record(event)
    assert record.expected_action == "Ask police to recover the drone." and record.sender == "Grid Control"
    assert "The drone hit Mill Lane." not in [e.detail.get("message") for e in session.events]


def test_failed_and_interdicted_conditions_and_no_alternative(tmp_path):
    failed = on_attack("failed") | {"otherwise": None}
    session = ExerciseSession(variant(tmp_path, [failed], tactics=WEAK_DRONE))
    session.run_until("T+1:00")
    assert released(session, 3) == [("The drone hit Mill Lane.", None)]
    interdicted = on_attack("interdicted") | {"otherwise": None}
    session = ExerciseSession(variant(tmp_path, [interdicted]))       # lands: no inject, no alternative
    session.run_until("T+1:00")
    assert released(session, 3) == []
    policies = {"detection_base": 1.0, "detection_gain": 0.0, "response_base": 1.0}
    session = ExerciseSession(variant(tmp_path, [interdicted], policies=policies,
                                      tactics={"drone": {"detectability": 5.0}}))
    session.run_until("T+1:00")
    assert [e.detail["outcome"] for e in session.events if e.kind == EventKind.ATTACK] == ["interdicted"]
    assert released(session, 3) == [("The drone hit Mill Lane.", None)]


def test_node_service_and_backup_conditions_follow_the_run(tmp_path):
    def line(number: int, at: str, when: dict[str, Any]) -> dict[str, Any]:
        return {"number": number, "at": at, "message": f"inject {number}", "when": when}

    injects = [line(3, "T+0:25", {"node_down": "sub"}),                         # before the strike
               line(4, "T+0:40", {"node_down": "sub"}),
               line(5, "T+0:40", {"sector": "energy", "service_below": 0.5}),
               line(6, "T+0:40", {"backup_hours_below": 0.5}),                   # 50 min left
               line(7, "T+1:05", {"backup_hours_below": 0.5, "sector": "health"}),   # 25 min left
               line(8, "T+1:05", {"backup_hours_below": 0.5, "sector": "energy"}),   # energy runs on no backup
               line(9, "T+1:05", {"node_restored": "sub"}),
               line(10, "T+9:00", {"node_restored": "sub"})]
    session = ExerciseSession(variant(tmp_path, injects))
    session.run_until("T+0:35")
    session.dispatch("crew-1", "sub")
    session.run_until("T+10:00")
    assert session.model.state.down[session.network.index["sub"]] == 0
    numbers = sorted(e.detail["number"] for e in session.released_injects() if e.detail.get("number", 0) > 2)
    assert numbers == [4, 5, 7, 10]


def test_scripted_outcomes_make_attacks_land_with_the_same_draws(tmp_path):
    weak = variant(tmp_path, [on_attack("landed")], tactics=WEAK_DRONE,
                   policies={"scripted_outcomes": True})
    session = ExerciseSession(weak)
    session.run_until("T+1:00")
    attack = next(e for e in session.events if e.kind == EventKind.ATTACK)
    assert attack.detail["outcome"] == "landed" and attack.detail["p_success"] < 0.01
    assert released(session, 3) == [("The drone hit Mill Lane.", None)]
    unscripted = RippleModel(load_scenario(variant(tmp_path, [], tactics=WEAK_DRONE)), seed=3)
    scripted = RippleModel(load_scenario(variant(tmp_path, [], tactics=WEAK_DRONE,
                                                 policies={"scripted_outcomes": True})), seed=3)
    unscripted.advance(7)
    scripted.advance(7)
    assert unscripted.streams.attacks.random() == scripted.streams.attacks.random()   # the stream stays aligned


def test_a_plain_run_releases_the_msel_as_written(tmp_path):
    model = RippleModel(load_scenario(variant(tmp_path, [on_attack("failed") | {"otherwise": None}])), seed=11)
    model.run()
    assert [e.detail["number"] for e in model.events if e.kind == EventKind.INJECT and "number" in e.detail] == [1, 3, 2]


@pytest.mark.parametrize(("when", "message"), [
    ({"attack": "nobody", "outcome": "landed"}, "injects[2].when.attack: no attacker cell 'nobody' (cells: cell)"),
    ({"node_down": "nowhere"}, "injects[2].when.node_down: no node 'nowhere'"),
    ({"sector": "gas", "service_below": 0.5}, "injects[2].when.sector: no sector 'gas'"),
    ({"attack": "cell"}, "attack and outcome go together"),
    ({"node_down": "sub", "node_restored": "sub"}, "give exactly one of attack, node_down"),
    ({"service_below": 0.5}, "service_below needs the sector"),
])
def test_bad_conditions_are_refused_with_one_message(tmp_path, when, message):
    with pytest.raises(ScenarioError) as caught:
        load_scenario(variant(tmp_path, [{"number": 3, "at": "T+1:00", "message": "m", "when": when}]))
    assert message in str(caught.value)


def test_otherwise_needs_a_condition(tmp_path):
    with pytest.raises(ScenarioError, match="otherwise is the alternative to a when condition"):
        load_scenario(variant(tmp_path, [{"number": 3, "at": "T+1:00", "message": "m", "otherwise": ALTERNATIVE}]))


def test_the_flagship_plays_the_alternative_when_the_shooter_fails():
    session = ExerciseSession(FLAGSHIP, seed=7)
    session.run_until("T+1:00")
    shooter = next(e for e in session.events if e.kind == EventKind.ATTACK and e.detail["attacker"] == "cell_south")
    assert shooter.detail["outcome"] == "failed"
    [(message, branch)] = released(session, 2)
    assert branch == "otherwise" and "stopped at the Central Station ticket barrier" in message
    assert "armed man on the Central Station concourse" not in " ".join(e.detail.get("message", "") for e in session.events)


def test_the_aar_says_what_happened_not_what_was_scripted(tmp_path):
    log = tmp_path / "ex.jsonl"
    session = ExerciseSession(FLAGSHIP, seed=7, log_path=log)
    session.run_until("T+1:00")
    out = tmp_path / "aar.md"
    done = CliRunner().invoke(app, ["aar", str(log), "--markdown", "--out", str(out)])
    assert done.exit_code == 0, done.output
    text = out.read_text()
    happened = text[text.index("### What happened"):text.index("## Executive summary")]
    assert "- T+0:30: South cell (active shooter), active shooter on Calder Bay Central Station: failed" in happened
    assert "- T+0:30: North cell (VBIED team, then UAS operator), vbied on" in happened
    assert "stopped at the Central Station ticket barrier" in text          # the alternative, in the timeline
    assert "armed man on the Central Station concourse" not in text


def test_a_watched_inject_is_a_utility_report_the_tick_a_backup_runs_short(tmp_path):
    report = {"number": 3, "at": "T+0:05", "until": "T+6:00", "from": "Town Hospital", "to": "EOC",
              "message": "Our generator has less than 30 minutes of fuel left.",
              "when": {"sector": "health", "backup_hours_below": 0.5}}
    late = {"number": 4, "at": "T+0:05", "until": "T+0:20", "message": "never", "when": {"node_down": "sub"},
            "otherwise": {"message": "All quiet at Mill Lane."}}
    session = ExerciseSession(variant(tmp_path, [report, late]))
    session.run_until("T+0:40")
    assert released(session, 3) == [] and released(session, 4) == [("All quiet at Mill Lane.", "otherwise")]
    assert session.model.watching == {3}
    assert session.clock(session.next_inject_tick()) == "T+1:00"      # the MSEL's next line, not the watch
    session.run_until("T+2:00")
    [event] = [e for e in session.released_injects() if e.detail.get("number") == 3]
    assert session.clock(event.tick) == "T+1:05"     # the generator (1 h from T+0:30) has 25 min left: < 30
    assert session.model.watching == set()


def test_until_needs_a_condition_and_a_window(tmp_path):
    with pytest.raises(ScenarioError, match="until is how long a when condition is watched"):
        load_scenario(variant(tmp_path, [{"number": 3, "at": "T+1:00", "until": "T+2:00", "message": "m"}]))
    with pytest.raises(ScenarioError, match="until is before at"):
        load_scenario(variant(tmp_path, [{"number": 3, "at": "T+1:00", "until": "T+0:30", "message": "m",
                                          "when": {"node_down": "sub"}}]))
    with pytest.raises(ScenarioError, match=r"injects\[2\]\.until: after the end of the run"):
        load_scenario(variant(tmp_path, [{"number": 3, "at": "T+1:00", "until": "T+48:00", "message": "m",
                                          "when": {"node_down": "sub"}}]))


def test_the_scripted_outcomes_flag_makes_the_flagships_shooter_land_and_the_aar_says_so(tmp_path):
    log, out = tmp_path / "ex.jsonl", tmp_path / "aar.md"
    done = CliRunner().invoke(app, ["exercise", str(FLAGSHIP), "--seed", "7", "--scripted-outcomes", "--log", str(log)],
                              input="until T+1:00\n")
    assert done.exit_code == 0, done.output
    assert "(seed 7; attack outcomes scripted)" in done.stdout
    header, _ = read_log(log)
    assert header["scripted_outcomes"] is True
    session = ExerciseSession.from_log(log)                         # the header carries the flag to a replay
    shooter = next(e for e in session.events if e.kind == EventKind.ATTACK and e.detail["attacker"] == "cell_south")
    assert shooter.detail["outcome"] == "landed"                    # it fails at seed 7 without the flag
    [(message, branch)] = released(session, 2)
    assert branch is None and "armed man on the Central Station concourse" in message    # the MSEL as scripted
    done = CliRunner().invoke(app, ["aar", str(log), "--markdown", "--out", str(out)])
    assert done.exit_code == 0, done.output
    text = out.read_text()
    assert "| Attack outcomes | Scripted (ripple exercise/serve --scripted-outcomes): every attack landed as written" in text
    happened = text[text.index("### What happened"):text.index("## Executive summary")]
    assert "- T+0:30: South cell (active shooter), active shooter on Calder Bay Central Station: landed " \
           "(outcome scripted)." in happened
    assert "(outcomes scripted: every attack lands as written)" in text
    assert "armed man on the Central Station concourse" in text and "stopped at the Central Station ticket barrier" not in text
    landed = [line for line in text.splitlines() if line.startswith("| Attacks landed")]
    assert len(landed) == 1 and landed[0].split("|")[2] == landed[0].split("|")[3]    # the counterfactual scripted too


def test_a_resume_keeps_the_flag_and_refuses_it_on_a_simulated_log(tmp_path):
    scripted, simulated = tmp_path / "scripted.jsonl", tmp_path / "simulated.jsonl"
    ExerciseSession(SCENARIO, log_path=scripted, scripted_outcomes=True).step(2)
    ExerciseSession(SCENARIO, log_path=simulated).step(2)
    assert "scripted_outcomes" not in read_log(simulated)[0]
    done = CliRunner().invoke(app, ["exercise", str(SCENARIO), "--resume", str(scripted)], input="step\n")
    assert done.exit_code == 0 and "attack outcomes scripted" in done.stdout
    assert ExerciseSession.from_log(scripted).scripted_outcomes and ExerciseSession.from_log(scripted).tick == 3
    done = CliRunner().invoke(app, ["exercise", str(SCENARIO), "--resume", str(simulated), "--scripted-outcomes"])
    assert done.exit_code == 2 and "was played with the attacks' outcomes simulated, not scripted" in done.stderr


@pytest.mark.parametrize("flag, expected, not_expected", [
    ([], "Send police to search Central Station for a second attacker", "Dispatch police to an active-shooter response"),
    (["--scripted-outcomes"], "Dispatch police to an active-shooter response", "search Central Station"),
])
def test_the_improvement_plan_asks_for_the_expected_action_of_the_inject_that_played(tmp_path, flag, expected,
                                                                                      not_expected):
    log, out = tmp_path / "ex.jsonl", tmp_path / "aar.md"
    script = 'until T+1:00\nrate On-scene U "Slow to the station"\n'
    done = CliRunner().invoke(app, ["exercise", str(FLAGSHIP), "--seed", "7", "--log", str(log), *flag], input=script)
    assert done.exit_code == 0, done.output
    assert CliRunner().invoke(app, ["aar", str(log), "--markdown", "--out", str(out)]).exit_code == 0
    text = out.read_text()
    plan = text[text.index("## Appendix A"):text.index("## Appendix B")]
    assert "Revise plans and train to: " in plan and expected in plan and not_expected not in plan
