"""The replay page draws the lines of a ``physics: dc`` grid that are out: in a real
browser, the hand-checkable grid of tests/test_physics_lines.py, where a drone takes L02 out
at T+0:30 and the overloads trip L01 and L03."""

from __future__ import annotations

import pytest

from browser import chromium, open_page, plotly_traces
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
