"""The replay page draws the lines of a ``physics: dc`` grid that are out: in a real
browser, the hand-checkable grid of tests/test_physics_lines.py, where a drone takes L02 out
at T+0:30 and the overloads trip L01 and L03."""

from __future__ import annotations

import pytest

from browser import chromium, open_page, plotly_traces, screenshot
from dashboards.lines import line_outages
from dashboards.replay import write_replay
from sim.model import RippleModel
from sim.scenario import load_scenario
from test_physics_lines import _square


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("square")
    model = RippleModel(load_scenario(_square(folder)))
    return model, model.run(), folder


def test_line_outages_run_from_the_trip_to_the_reclosing(run):
    model, result, _ = run
    outages = {o.line: o for o in line_outages(result.timeline(), model.network, result.tick_seconds)}
    assert sorted(outages) == ["L01", "L02", "L03"]
    assert {o.start for o in outages.values()} == {6} and outages["L02"].attacked and not outages["L01"].attacked
    reclosed = [e.tick for e in result.events if e.kind == "line_reclosed"]
    assert {o.end for o in outages.values()} == {reclosed[0]}
    assert "66.667 MW on its 60 MVA rating, after losing L02" in outages["L01"].hover
    assert "drone by cell" in outages["L02"].hover and "repaired at" in outages["L02"].hover


@pytest.mark.browser
def test_the_replay_page_draws_the_lines_out(run):
    model, result, folder = run
    path = write_replay(result, model.network, folder / "replay.html")
    reclosed = next(e.tick for e in result.events if e.kind == "line_reclosed")
    with chromium() as browser, open_page(browser, path) as s:
        s.page.wait_for_function("window.rippleReady === true", timeout=10_000)
        s.page.evaluate("window.ripple.pause(); window.ripple.seek(7)")
        s.page.wait_for_function("document.getElementById('map').dataset.linesOut === 'L02 L01 L03'", timeout=5_000)
        traces = {t["meta"]: t for t in plotly_traces(s.page, "map")}
        drawn = traces["lines:out"]
        xy = model.network.xy
        # three segments (a, b, gap), the first L02 from b0 to b2
        assert len(drawn["x"]) == 9 and drawn["x"][:2] == [xy[0, 0], xy[2, 0]] and drawn["x"][2] is None
        hover = traces["lines:hover"]["hovertext"]
        assert any("line L01 (b0-b1) tripped at T+0:30" in h for h in hover)
        assert "drone by cell → line L02 at b0 (landed)" in s.page.inner_text("#cascade")
        assert "target: line L02 (from b0)" in traces["attacks"]["hovertext"][0]
        s.page.evaluate(f"window.ripple.seek({reclosed})")
        s.page.wait_for_function("document.getElementById('map').dataset.linesOut === ''", timeout=5_000)
        assert s.blocked == [] and s.errors == []


@pytest.mark.browser
def test_a_drone_on_a_transmission_line_on_the_replay_page(tmp_path):
    """case118 (pandapower's IEEE 118-bus case, rated 1.3 times its intact flows): a drone
    takes transformer trafo0 out, the flows trip lines round after round, and the page shows
    the lines out and, for a bus they cut off, the chain back to the drone."""
    import pandapower as pp
    from pandapower import networks

    pp.to_json(networks.case118(), str(tmp_path / "case118.json"))
    (tmp_path / "grid.yaml").write_text("""id: case118_line
name: "case118: a drone on a transformer"
seed: 3
clock: {tick: 5min, duration: 6h}
sectors:
  energy: {physics: dc, rating_from_flow: 0.3}
network:
  parts:
    - {file: case118.json}
attackers:
  - id: cell
    plan:
      - {at: "T+0:30", tactic: drone, target: trafo0}
responders:
  grid_crews: {kind: repair, sectors: [energy], base: bus1, count: 2}
""")
    model = RippleModel(load_scenario(tmp_path / "grid.yaml"))
    result = model.run()
    trips = {e.detail["line"] for e in result.events if e.kind == "line_trip" and e.tick == 6}
    path = write_replay(result, model.network, tmp_path / "replay.html")
    with chromium() as browser, open_page(browser, path) as s:
        s.page.wait_for_function("window.rippleReady === true", timeout=10_000)
        s.page.evaluate("window.ripple.pause(); window.ripple.seek(7)")
        s.page.wait_for_function("document.getElementById('map').dataset.linesOut !== undefined", timeout=5_000)
        out = set(s.page.evaluate("document.getElementById('map').dataset.linesOut").split())
        assert out == trips | {"trafo0"} and len(trips) > 10
        cascade = s.page.locator("#cascade")
        assert "drone by cell → line trafo0 at" in cascade.inner_text()
        cascade.locator("button").nth(1).click()            # the first bus traced to the drone
        details = s.page.locator("#details").inner_text()
        assert "UNSUPPLIED: no power in its energy island: cut off by line" in details
        assert "tripped at T+0:30, cascade round" in details and "MVA rating" in details
        assert "line trafo0 (" in details and "down at T+0:30: drone by cell on line trafo0" in details
        assert "Traced to\ndrone by cell on line trafo0" in details
        assert screenshot(s.page, "replay-grid", tmp_path).stat().st_size > 20_000
        assert s.blocked == [] and s.errors == []
