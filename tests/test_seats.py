"""One session, several seats: the server holds the one exercise; every browser sees each
change within a second; each seat sees and commands its own units, the facilitator runs the
clock; every decision is logged with its seat; an action on a stale view is refused."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
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
