"""One session, several seats: the server holds the one exercise; every browser sees each
change within a second; each seat sees and commands its own units, the facilitator runs the
clock; every decision is logged with its seat; an action on a stale view is refused."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner
from waitress import create_server

from browser import chromium, open_page
from dashboards.app import create_app, live_options, perform
from ripple import app
from sim.exercise import ExerciseError, ExerciseSession, read_log
from sim.exercise.seats import parse_seats
from sim.exercise.verbs import VERBS

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "exercise_manual.yaml"
RIPPLE = [sys.executable, "-m", "ripple"]
SEATS = ["facilitator", "police", "utility"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"nothing listens on port {port} within {timeout:g}s")


def choose(page, dropdown: str, option: str) -> None:
    page.click(f"#{dropdown}")
    page.get_by_role("option", name=option, exact=True).click()


def test_seats_command_their_own_units_and_are_logged(tmp_path):
    log = tmp_path / "ex.jsonl"
    session = ExerciseSession(SCENARIO, log_path=log)
    session.run_to_next_inject()
    with pytest.raises(ExerciseError, match="police-1 is a police unit; the utility seat commands repair units"):
        session.do("dispatch", seat="utility", unit="police-1", node="sub")
    with pytest.raises(ExerciseError, match="the police seat cannot step: the facilitator runs the clock"):
        session.do("step", seat="police", n=1)
    with pytest.raises(ExerciseError, match="the police seat cannot run the clock"):
        perform(session, "run", True, {}, seat="police")
    assert session.do("dispatch", seat="utility", unit="crew-1", node="sub").startswith("crew-1 dispatched to sub")
    session.do("note", seat="police", text="perimeter set")
    assert [(e["verb"], e.get("seat")) for e in read_log(log)[1]] == [("next", None), ("dispatch", "utility"),
                                                                        ("note", "police")]
    assert ExerciseSession.from_log(log).entries[1]["seat"] == "utility"
    dispatch = VERBS["dispatch"]
    unit = next(a for a in dispatch.positional if a.kind == "unit")
    assert [o["value"] for o in live_options(session, dispatch, unit, "police")] == ["police-1"]
    assert [o["value"] for o in live_options(session, dispatch, unit, "utility")] == ["crew-1"]   # not the county crew
    assert [o["value"] for o in live_options(session, dispatch, unit, "facilitator")] == ["crew-1", "police-1"]


def test_an_action_on_a_stale_view_is_refused(tmp_path):
    session = ExerciseSession(SCENARIO)
    session.run_to_next_inject()
    seen = len(session.entries)
    session.step(2)                                            # another seat moved the clock
    with pytest.raises(ExerciseError, match=r"the state changed at T\+0:35; refresh"):
        session.do("dispatch", seen=seen, unit="crew-1", node="sub")
    assert session.do("dispatch", seen=len(session.entries), unit="crew-1", node="sub").startswith("crew-1 dispatched")


def test_bad_seats_are_refused_with_one_message(tmp_path):
    assert parse_seats("Facilitator, police,police") == ["facilitator", "police"]
    for text, message in (("facilitator,mayor", "no seat 'mayor'"), ("police,fire", "need a facilitator")):
        done = CliRunner().invoke(app, ["serve", str(SCENARIO), "--seats", text, "--port", str(free_port()),
                                        "--log", str(tmp_path / "x.jsonl")])
        assert done.exit_code == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "x.jsonl").exists()


@pytest.mark.browser
def test_two_browsers_stay_in_sync_and_each_seat_commands_its_units(tmp_path):
    port, log = free_port(), tmp_path / "served.jsonl"
    proc = subprocess.Popen([*RIPPLE, "serve", str(SCENARIO), "--port", str(port), "--log", str(log),
                             "--seats", ",".join(SEATS)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_listening(port)
        base = f"http://127.0.0.1:{port}/"
        with chromium() as browser, open_page(browser, base + "?seat=facilitator") as a, \
                open_page(browser, base + "?seat=utility") as b:
            fac, utility = a.page, b.page
            for page in (fac, utility):
                page.wait_for_selector("#clock:text-is('T+0:00')", timeout=30_000)
            assert "seat: utility" in utility.inner_text("#seat-label")
            assert not utility.locator("#step").is_visible()            # the facilitator runs the clock
            assert utility.locator("#unit-police-1").count() == 0 and utility.locator("#unit-crew-1").count() == 1
            fac.click("#next")                                          # the drone strike at T+0:30
            fac.wait_for_selector("#clock:text-is('T+0:35')", timeout=15_000)
            shown = time.monotonic()
            utility.wait_for_selector("#clock:text-is('T+0:35')", timeout=5_000)
            assert time.monotonic() - shown < 1.0                       # the other browser within a second
            choose(utility, "dispatch-unit", "crew-1 (repair)")
            choose(utility, "dispatch-node", "sub (incident)")
            utility.click("#dispatch-go")
            utility.wait_for_selector("#unit-crew-1:has-text('travelling')", timeout=15_000)
            fac.wait_for_selector("#unit-crew-1:has-text('travelling')", timeout=5_000)
            assert a.errors == [] and b.errors == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert [(e["verb"], e.get("seat")) for e in read_log(log)[1]] == [("next", "facilitator"), ("dispatch", "utility")]


@pytest.mark.browser
def test_a_browser_acting_on_a_stale_view_is_told_to_refresh(tmp_path):
    session = ExerciseSession(SCENARIO, log_path=tmp_path / "ex.jsonl")
    port = free_port()
    dash_app = create_app(session, "127.0.0.1", port, SEATS, sync_ms=600_000)     # pages never poll here
    server = create_server(dash_app.server, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{port}/"
        with chromium() as browser, open_page(browser, base + "?seat=facilitator") as a, \
                open_page(browser, base + "?seat=facilitator") as b:
            first, second = a.page, b.page
            for page in (first, second):
                page.wait_for_selector("#clock:text-is('T+0:00')", timeout=30_000)
            first.click("#step")
            first.wait_for_selector("#clock:text-is('T+0:05')", timeout=15_000)
            second.click("#step")                                       # still shows T+0:00
            second.wait_for_selector("#message .error", timeout=15_000)
            assert second.inner_text("#message") == "the state changed at T+0:00; refresh"
            second.wait_for_selector("#clock:text-is('T+0:05')", timeout=5_000)   # refreshed with the refusal
            second.click("#step")
            second.wait_for_selector("#clock:text-is('T+0:10')", timeout=15_000)
    finally:
        server.close()
    assert [e["verb"] for e in session.entries] == ["step", "step"] and session.tick == 2


# ------------------------------------------------------------------ seats in the scenario
PORT_SEATS = [{"id": "facilitator", "name": "Exercise Control"},
              {"id": "port_authority", "name": "Calder Port Authority", "units": ["harbour-1", "harbour-2"]},
              {"id": "police"}]


def with_seats(tmp_path: Path, seats: list[dict], harbour: int = 2) -> Path:
    """The test exercise with a harbour crew of ``harbour`` units and ``exercise: {seats: ...}``."""
    data = yaml.safe_load(SCENARIO.read_text())
    data["responders"]["harbour"] = {"kind": "repair", "base": "plant", "sectors": ["energy"], "count": harbour}
    data["exercise"] = {"seats": seats}
    path = tmp_path / "seated.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_scenario_defines_its_own_seats(tmp_path):
    scenario = with_seats(tmp_path, PORT_SEATS)
    session = ExerciseSession(scenario)
    assert parse_seats("facilitator,port_authority", session.scenario) == ["facilitator", "port_authority"]
    port = session.seats["port_authority"]
    assert (port.label, port.units, session.seats["police"].kinds) == ("Calder Port Authority",
                                                                       ("harbour-1", "harbour-2"), ("police",))
    session.run_to_next_inject()
    with pytest.raises(ExerciseError, match="crew-1 is a repair unit; the port_authority seat commands units "
                                            "harbour-1, harbour-2"):
        session.do("dispatch", seat="port_authority", unit="crew-1", node="sub")
    assert session.do("dispatch", seat="port_authority", unit="harbour-2", node="sub").startswith("harbour-2 dispatched")
    dispatch = VERBS["dispatch"]
    unit = next(a for a in dispatch.positional if a.kind == "unit")
    assert [o["value"] for o in live_options(session, dispatch, unit, "port_authority")] == ["harbour-1", "harbour-2"]
    with pytest.raises(ExerciseError, match="no seat 'harbour'"):
        parse_seats("facilitator,harbour", session.scenario)


@pytest.mark.parametrize("seats, where, message", [
    ([{"id": "police"}], r"exercise\.seats", "the seats need a facilitator to run the clock"),
    ([{"id": "facilitator"}, {"id": "port", "units": ["harbour-1", "harbour-9"]}],
     r"exercise\.seats\[1\]\.units\[1\]", "no unit 'harbour-9' \\(units are <team>-<n>"),
    ([{"id": "facilitator"}, {"id": "port", "teams": ["harbor"]}], r"exercise\.seats\[1\]\.teams\[0\]",
     "no responder team 'harbor'"),
    ([{"id": "facilitator"}, {"id": "port", "kinds": ["coastguard"]}], r"exercise\.seats\[1\]\.kinds\[0\]",
     "police"),
    ([{"id": "facilitator"}, {"id": "police"}, {"id": "police", "kinds": ["fire"]}], r"exercise\.seats\[2\]\.id",
     r"seat 'police' is listed twice \(first as seats\[1\]\)"),
    ([{"id": "facilitator"}, {"id": "port", "units": ["harbour-1", "harbour-1"]}],
     r"exercise\.seats\[1\]\.units\[1\]", "'harbour-1' is listed twice"),
    ([{"id": "facilitator", "kinds": ["police"]}], r"exercise\.seats\[0\]", "the facilitator commands every unit"),
    ([{"id": "Port Authority"}], r"exercise\.seats\[0\]\.id", "pattern"),
])
def test_bad_seats_in_the_scenario_name_file_line_and_field(tmp_path, seats, where, message):
    scenario = with_seats(tmp_path, seats)
    done = CliRunner().invoke(app, ["serve", str(scenario), "--port", str(free_port()),
                                    "--log", str(tmp_path / "x.jsonl")])
    assert done.exit_code == 2 and "Traceback" not in done.stderr
    err = done.stderr.replace("\n", " ")
    assert re.search(rf"seated\.yaml:\d+: {where}: .*{message}", err), err
    assert not (tmp_path / "x.jsonl").exists()


def serve_lines(args: list[str], until: str) -> list[str]:
    """``ripple serve`` started with ``args``: the lines it prints up to one containing ``until``."""
    proc = subprocess.Popen([*RIPPLE, "serve", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip())
            if until in line:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return lines


def test_serve_opens_the_scenarios_seats_unless_seats_are_given(tmp_path):
    scenario = with_seats(tmp_path, PORT_SEATS)
    port = free_port()
    lines = serve_lines([str(scenario), "--port", str(port), "--log", str(tmp_path / "a.jsonl")], "seat police")
    assert [line.split(":", 1)[0].strip() for line in lines[1:]] == [
        "seat facilitator (Exercise Control), commands every unit",
        "seat port_authority (Calder Port Authority), commands units harbour-1, harbour-2",
        "seat police, commands police units"]
    lines = serve_lines([str(scenario), "--port", str(free_port()), "--log", str(tmp_path / "b.jsonl"),
                         "--seats", "facilitator,utility"], "seat utility")
    assert [line.split(":", 1)[0].strip() for line in lines[1:]] == [
        "seat facilitator (Exercise Control), commands every unit", "seat utility, commands repair units"]


def test_serve_plays_with_scripted_outcomes_and_records_them(tmp_path):
    log = tmp_path / "served.jsonl"
    [banner] = serve_lines([str(SCENARIO), "--port", str(free_port()), "--log", str(log), "--scripted-outcomes"],
                           "serving the exercise")
    assert "(seed 11; attack outcomes scripted)" in banner
    assert read_log(log)[0]["scripted_outcomes"] is True
    assert ExerciseSession.from_log(log).scenario.policies.scripted_outcomes


@pytest.mark.browser
def test_two_browsers_on_the_scenarios_seats(tmp_path):
    scenario, port, log = with_seats(tmp_path, PORT_SEATS), free_port(), tmp_path / "served.jsonl"
    proc = subprocess.Popen([*RIPPLE, "serve", str(scenario), "--port", str(port), "--log", str(log)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_listening(port)
        base = f"http://127.0.0.1:{port}/"
        with chromium() as browser, open_page(browser, base + "?seat=facilitator") as a, \
                open_page(browser, base + "?seat=port_authority") as b:
            fac, harbour = a.page, b.page
            for page in (fac, harbour):
                page.wait_for_selector("#clock:text-is('T+0:00')", timeout=30_000)
            assert harbour.inner_text("#seat-label") == "seat: port_authority (Calder Port Authority)"
            assert not harbour.locator("#step").is_visible()
            assert harbour.locator("#unit-crew-1").count() == 0 and harbour.locator("#unit-harbour-2").count() == 1
            fac.click("#next")
            fac.wait_for_selector("#clock:text-is('T+0:35')", timeout=15_000)
            harbour.wait_for_selector("#clock:text-is('T+0:35')", timeout=5_000)
            choose(harbour, "dispatch-unit", "harbour-2 (repair)")
            choose(harbour, "dispatch-node", "sub (incident)")
            harbour.click("#dispatch-go")
            harbour.wait_for_selector("#unit-harbour-2:has-text('travelling')", timeout=15_000)
            fac.wait_for_selector("#unit-harbour-2:has-text('travelling')", timeout=5_000)
            assert a.errors == [] and b.errors == []
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert [(e["verb"], e.get("seat")) for e in read_log(log)[1]] == [("next", "facilitator"),
                                                                        ("dispatch", "port_authority")]


def test_the_log_records_the_seats_and_the_report_names_them(tmp_path):
    from dashboards.aar import build_report, decision_effects, rejected_rows, timeline
    from sim.exercise.log import chained_lines, read_records
    from sim.exercise.seats import resolve_seats

    scenario, log = with_seats(tmp_path, PORT_SEATS), tmp_path / "ex.jsonl"
    session = ExerciseSession(scenario, log_path=log)
    session.take_seats(resolve_seats(["facilitator", "port_authority"], session.scenario))
    session.run_to_next_inject()
    with pytest.raises(ExerciseError, match="crew-1 is a repair unit"):
        session.do("dispatch", seat="port_authority", unit="crew-1", node="sub")
    session.do("dispatch", seat="port_authority", unit="harbour-2", node="sub")
    header = read_records(log)[0]
    assert header["version"] == 4 and header["seats"] == [
        {"id": "facilitator", "name": "Exercise Control", "kinds": [], "teams": [], "units": []},
        {"id": "port_authority", "name": "Calder Port Authority", "kinds": [], "teams": [],
         "units": ["harbour-1", "harbour-2"]}]
    replayed = ExerciseSession.from_log(log)
    assert list(replayed.seats) == ["facilitator", "port_authority"]     # as played: not the scenario's police seat
    assert replayed.recorded_seats == ["facilitator", "port_authority"]
    report = build_report(log)
    assert [row[1:3] for row in rejected_rows(report)] == [("Calder Port Authority", "Dispatch crew-1 to sub")]
    assert [row[1] for row in decision_effects(report)] == ["Dispatch harbour-2 to sub (Calder Port Authority)"]
    assert "Dispatch harbour-2 to sub (Calder Port Authority)" in [text for _, _, text, _ in timeline(report)]
    # a version-3 log, written before the header recorded seats, still loads, with the scenario's seats
    old = [{k: v for k, v in r.items() if k != "seats"} | ({"version": 3} if i == 0 else {})
           for i, r in enumerate([header, *read_records(log)[1]])]
    (tmp_path / "v3.jsonl").write_text("\n".join(chained_lines(old)) + "\n")
    v3 = ExerciseSession.from_log(tmp_path / "v3.jsonl")
    assert v3.recorded_seats is None and v3.seats["port_authority"].label == "Calder Port Authority"


def test_a_resumed_log_keeps_its_seats(tmp_path):
    from sim.exercise.seats import resolve_seats

    log = tmp_path / "ex.jsonl"
    session = ExerciseSession(SCENARIO, log_path=log)
    session.take_seats(resolve_seats(["facilitator", "police"], session.scenario))
    done = CliRunner().invoke(app, ["serve", str(SCENARIO), "--port", str(free_port()), "--resume", str(log),
                                    "--seats", "facilitator,utility"])
    assert done.exit_code == 2 and "Traceback" not in done.stderr
    assert "was played with the seats facilitator,police; drop --seats to resume it" in done.stderr.replace("\n", " ")
    lines = serve_lines([str(SCENARIO), "--port", str(free_port()), "--resume", str(log)], "seat police")
    assert [line.split(":", 1)[0].strip() for line in lines[1:]] == [
        "seat facilitator, commands every unit", "seat police, commands police units"]
