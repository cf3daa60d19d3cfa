"""Foresight for the players: backup time left on every node on backup, a per-sector forecast
of when backups run out if nothing is done (the kernel run forward), matching the tick the run
itself loses them, and the alerts both consoles show."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from dashboards.app import alert_feed
from ripple.console import ExerciseConsole
from sim.exercise import ExerciseSession
from sim.exercise.foresight import backup_left, forecast

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "exercise_manual.yaml"
FLAGSHIP = Path(__file__).parent.parent / "scenarios" / "calder_bay.yaml"


def first_down(session: ExerciseSession, nodes: list[str]) -> dict[str, int]:
    """Step the run tick by tick; the tick at which each node first shows down."""
    index, seen = session.network.index, {}
    while not session.finished and len(seen) < len(nodes):
        tick = session.tick
        session.step(1)
        for node in nodes:
            if node not in seen and session.model.state.down[index[node]] != 0:
                seen[node] = tick
    return seen


def test_the_hospital_forecast_matches_the_tick_its_generator_runs_out():
    session = ExerciseSession(SCENARIO)
    session.run_until("T+0:40")                              # the strike at T+0:30; the generator lasts 1 h
    hosp = session.network.index["hosp"]
    assert backup_left(session.model)[hosp] == 3000.0        # 50 min left
    assert backup_left(session.model)[session.network.index["sub_east"]] == float("inf")
    [health] = forecast(session.model)
    assert (health.sector, health.nodes, health.resources) == ("health", ["hosp"], ["power"])
    assert session.clock(health.tick) == "T+1:30"
    assert session.alerts() == ["health backups run out at T+1:30 (in 0:50) unless power returns: hosp"]
    assert session.backups() == [{"node": "hosp", "name": "Town Hospital", "sector": "health", "left": "0:50",
                                  "seconds": 3000.0, "runs_out": "T+1:30"}]
    assert first_down(session, ["hosp"]) == {"hosp": health.tick}
    assert session.alerts() == [] and session.backups() == []


def test_the_flagship_forecast_matches_every_node_the_run_loses():
    session = ExerciseSession(FLAGSHIP, seed=7)
    session.run_until("T+8:00")
    predicted = {node: tick for f in forecast(session.model) for node, tick in zip(f.nodes, f.ticks)}
    water = next(f for f in forecast(session.model) if f.sector == "water")
    assert session.clock(water.tick) == "T+9:15" and water.resources == ["power"]
    actual = first_down(session, ["water_scada", "wtp_fernhollow", "co_kestrel_hill"])
    assert actual == {n: predicted[n] for n in actual} and len(actual) == 3


def test_the_console_prints_an_alert_once_and_again_on_request():
    session = ExerciseSession(SCENARIO)
    out = io.StringIO()
    shell = ExerciseConsole(session, Console(file=out, width=200), io.StringIO(), False)
    for line in ("until T+0:40", "step 1", "backups"):
        shell.onecmd(line)
    text = out.getvalue()
    assert text.count("ALERT health backups run out at T+1:30") == 2         # new, then asked for again
    assert "ALERT health backups run out at T+1:30 (in 0:50) unless power returns: hosp" in text
    assert "│ hosp │ health │ 0:45        │ T+1:30   │" in text
    session.run_until("T+2:00")                                           # the generator ran out
    assert session.alerts() == [] and session.backups() == []


def test_the_browser_console_shows_the_alerts_and_the_backups():
    session = ExerciseSession(SCENARIO)
    assert [c.children for c in alert_feed(session)] == ["No node is running on backup."]
    session.run_until("T+0:40")
    alert, table = alert_feed(session)
    assert alert.children == "health backups run out at T+1:30 (in 0:50) unless power returns: hosp"
    [row] = table.children[1].children
    assert [td.children for td in row.children] == ["hosp", "health", "0:50", "T+1:30"]
