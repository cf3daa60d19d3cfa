"""``ripple serve``: the browser console drives the same exercise session, offline, bound to
127.0.0.1 only unless told otherwise."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from typer.testing import CliRunner

from browser import chromium, open_page, screenshot
from dashboards.app import allowed_host, perform, respond
from ripple import app
from sim.exercise import ExerciseError, ExerciseSession, read_log

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "exercise_manual.yaml"
RIPPLE = [sys.executable, "-m", "ripple"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_listening(proc: subprocess.Popen, port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ripple serve exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"ripple serve did not listen on port {port} within {timeout:g}s")


@pytest.fixture
def server(tmp_path):
    port, log = free_port(), tmp_path / "served.jsonl"
    proc = subprocess.Popen([*RIPPLE, "serve", str(SCENARIO), "--port", str(port), "--log", str(log)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_listening(proc, port)
        yield proc, port, log
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def choose(page, dropdown: str, option: str) -> None:
    page.click(f"#{dropdown}")
    page.get_by_role("option", name=option, exact=True).click()


@pytest.mark.browser
def test_browser_steps_dispatches_and_reload_keeps_the_state(server):
    proc, port, log = server
    # the server socket is bound to the loopback address only
    listening = [c.laddr for c in psutil.Process(proc.pid).net_connections("inet") if c.status == psutil.CONN_LISTEN]
    assert listening and {a.ip for a in listening} == {"127.0.0.1"} and {a.port for a in listening} == {port}

    url = f"http://127.0.0.1:{port}/"
    with chromium() as browser:
        with open_page(browser, url) as session:
            page = session.page
            page.wait_for_selector("#clock:text-is('T+0:00')", timeout=30_000)
            assert "Thu 14 May 08:00" in page.inner_text("#wall")
            page.click("#step")
            page.wait_for_selector("#clock:text-is('T+0:05')", timeout=15_000)
            page.click("#next")                                    # the drone strike at T+0:30
            page.wait_for_selector("#clock:text-is('T+0:35')", timeout=15_000)
            assert "Mill Lane Substation explodes" in page.inner_text("#feed")
            assert "idle" in page.inner_text("#unit-crew-1")
            choose(page, "dispatch-unit", "crew-1 (repair)")
            choose(page, "dispatch-node", "sub (incident)")
            page.click("#dispatch-go")
            page.wait_for_selector("#unit-crew-1:has-text('travelling')", timeout=15_000)
            assert "crew-1 dispatched to sub (repair)" in page.inner_text("#message")
            assert "sub" in page.inner_text("#unit-crew-1")
            page.click("#dispatch-go")                             # the task is taken now: one clear message
            page.wait_for_selector("#message .error", timeout=15_000)
            assert "crew-1 is already on repair at sub" in page.inner_text("#message")
            page.wait_for_selector("#map .main-svg")
            page.wait_for_selector("#curves .main-svg")
            assert screenshot(page, "console", log.parent).stat().st_size > 20_000
            assert session.blocked == [] and session.errors == []
        with open_page(browser, url) as session:                   # a reload shows the exercise as it stands
            page = session.page
            page.wait_for_selector("#clock:text-is('T+0:35')", timeout=30_000)
            assert "travelling" in page.inner_text("#unit-crew-1")
            page.fill("#step-n", "3")
            page.click("#step")
            page.wait_for_selector("#clock:text-is('T+0:50')", timeout=15_000)
            page.wait_for_selector("#unit-crew-1:has-text('working')", timeout=15_000)
            assert session.blocked == [] and session.errors == []

    verbs = [(e["verb"], e["args"]) for e in read_log(log)[1]]
    assert verbs == [("step", {"n": 1}), ("next", {}), ("dispatch", {"unit": "crew-1", "node": "sub"}), ("step", {"n": 3})]
    replayed = ExerciseSession.from_log(log)
    assert replayed.model.tick == 10 and replayed.teams()[0]["status"] == "working"


def test_a_production_server_that_answers_only_requests_addressed_to_it(server):
    """waitress serves the console (not Flask's development server), and a request whose Host
    names another site (DNS rebinding against a console with no login) is refused."""
    import http.client

    _, port, _ = server
    for host, status in ((f"127.0.0.1:{port}", 200), (f"localhost:{port}", 200), (f"evil.example:{port}", 421),
                         ("127.0.0.1", 421)):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", "/", headers={"Host": host})
        response = connection.getresponse()
        assert response.status == status, host
        assert response.getheader("Server") == "waitress"
        connection.close()
    assert allowed_host("[::1]:8050", "::1", 8050) and not allowed_host("[::1]:9", "::1", 8050)


def test_malformed_values_get_a_message_not_a_server_error():
    session = ExerciseSession(SCENARIO)
    for trigger, timer, fields in (("ticker", {"speed": "fast", "stop": None}, {}),
                                   ("step", {"speed": 1, "stop": None}, {"step-n": "many"}),
                                   ("harden-go", {"speed": 1, "stop": None}, {"harden-node": "sub", "harden-level": [1]}),
                                   (None, {}, {}), ("bogus", {}, {})):
        message, ok, _ = respond(session, trigger, False, timer, fields)
        assert not ok and message, trigger
    assert session.model.tick == 0 and session.entries == []


def test_serve_refuses_a_port_in_use(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = CliRunner().invoke(app, ["serve", str(SCENARIO), "--port", str(port), "--log", str(tmp_path / "x.jsonl")])
    assert done.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in done.stderr
    assert not (tmp_path / "x.jsonl").exists()


def test_run_timer_stops_at_each_inject_and_at_the_end():
    session = ExerciseSession(SCENARIO)
    form = {"speed": 12, "stop": ["stop"]}
    message, paused = perform(session, "ticker", False, form)
    assert (message, paused) == ("T+0:00 → T+0:35: paused at an inject", True)    # the strike's report at T+0:30
    assert perform(session, "run", True, form) == ("running", False)
    assert perform(session, "ticker", False, form) == ("T+0:35 → T+0:40: paused at an inject", True)
    message, paused = perform(session, "ticker", False, {"speed": 12, "stop": []})
    assert (message, paused) == ("T+0:40 → T+1:40", False)                      # not stopping: runs through
    with pytest.raises(ExerciseError, match="choose a unit first"):
        perform(session, "dispatch-go", True, {"unit": None, "node": "sub"})
    session.run_until("T+23:55")
    message, paused = perform(session, "ticker", False, form)
    assert paused and message.endswith("(end)")
    with pytest.raises(ExerciseError, match="the exercise has ended"):
        perform(session, "run", True, form)
