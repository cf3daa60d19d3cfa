"""The replay page and the Monte Carlo report: derived per-tick views, the figures, and the
pages themselves in headless Chromium with the network cut off."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from browser import chromium, is_local, open_page, plotly_traces, screenshot
from dashboards.causes import timeline_groups
from dashboards.figures import (
    BLACK, DOWN, OKABE_ITO, STATE_SYMBOLS, kind_order, map_extent, network_map, node_states,
    sector_colours, state_label,
)
from dashboards.replay import (
    attack_events, attacks_until, node_state_at, unit_keys, units_at, write_replay,
)
from dashboards.layers import map_background
from dashboards.report import ReportError, write_report
from ripple import app
from sim.batchstore import read_comparison
from sim.metrics import HEADLINE
from sim.model import RippleModel
from sim.network import DAMAGED, SHUT
from sim.results import Event, EventKind, UnitStatus
from sim.scenario import load_scenario

SCENARIO = """
id: harbour
name: "Harbour & town"
seed: 3
clock: {tick: 5min, duration: 12h, start: "2026-05-14 08:00"}
policies: {detection_base: 0, information_sharing: 0}
network:
  nodes:
    - {id: plant, name: "Harbour Power Station", sector: energy, kind: generation_plant, x: 0, y: 0, source: true}
    - {id: sub_a, name: "Quay Substation", sector: energy, kind: substation, x: 2, y: 0, population: 4000}
    - {id: sub_b, name: "Hill Substation", sector: energy, kind: substation, x: 4, y: 1, population: 3000}
    - {id: sub_c, name: "Mill Substation", sector: energy, kind: substation, x: 1, y: 3, population: 2000}
    - {id: works, name: "Water Works", sector: water, kind: treatment_plant, x: 5, y: 3, source: true}
    - {id: pump, name: "Town Pump", sector: water, kind: pump_station, x: 3, y: 3, population: 6000}
    - {id: hosp, name: "St Anne's Hospital", sector: health, kind: hospital, x: 3, y: 2, population: 9000}
    - {id: cell, name: "Hill Cell Site", sector: telecom, kind: cell_tower, x: 4.5, y: 0.5, population: 5000}
    - {id: spare, name: "Spare Substation", sector: energy, kind: substation, x: 6, y: 0}
  links: [[plant, sub_a], [sub_a, sub_b], [plant, sub_c], [works, pump]]
  dependencies:
    - {node: pump, resource: power, suppliers: [sub_b], buffer: 30min}
    - {node: hosp, resource: power, suppliers: [sub_a, sub_c], buffer: 2h}
    - {node: cell, resource: power, suppliers: [sub_b]}
attackers:
  - id: cell_1
    plan:
      - {at: "T+0:10", tactic: vbied, target: sub_a, inject: "Explosion at Quay Substation"}
      - {at: "T+0:10", tactic: active_shooter, target: hosp}
responders:
  police: {kind: police, base: [3, 2], count: 2}
  fire: {kind: fire, base: [3, 2]}
  crews: {kind: repair, base: plant, count: 2, sectors: [energy, health]}
  aid: {kind: repair, base: [9, 1], count: 1, sectors: [energy], mutual_aid: {service_below: 0.9, delay: 1h}}
injects:
  - {number: 1, at: "T+0:15", from: Grid control, to: EOC, method: Phone, message: "Quay Substation lost"}
"""
runner = CliRunner()
ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("scenario") / "harbour.yaml"
    path.write_text(SCENARIO)
    return load_scenario(path)


@pytest.fixture(scope="module")
def stepped(scenario):
    """The run, with the true node and unit states after every tick."""
    model = RippleModel(scenario)
    nodes, units = [], []
    for tick in range(model.n_ticks + 1):
        model.advance(tick + 1)
        nodes.append((model.state.down.copy(), model.state.backup.copy()))
        units.append([(u.status, float(u.position[0]), float(u.position[1])) for u in model.responders])
    return model, model.result(), nodes, units


@pytest.fixture(scope="module")
def replay(stepped, tmp_path_factory):
    model, result, _, _ = stepped
    return write_replay(result, model.network, tmp_path_factory.mktemp("run") / "replay.html")


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def replay_page(browser, replay):
    """The replay page, opened once for the tests that drive it."""
    with open_page(browser, replay) as session:
        session.page.wait_for_function("window.rippleReady === true", timeout=10_000)
        yield session


# ------------------------------------------------------------ derived views
def test_node_state_at_every_tick_equals_the_model(stepped):
    model, result, nodes, _ = stepped
    for tick, (down, backup) in enumerate(nodes):
        got_down, got_backup = node_state_at(result, tick)
        assert np.array_equal(got_down, down), tick
        assert np.array_equal(got_backup, backup), tick
    assert any(d.any() for d, _ in nodes) and any(b.any() for _, b in nodes)   # the run has both states
    assert nodes[0][0][model.network.index["spare"]] != 0                       # and a node down from the start


def test_units_at_every_tick_follow_the_model(stepped):
    model, result, _, truth = stepped
    units = result.roster
    keys = unit_keys(units, result.timeline(), model.network)
    seen = set()
    for tick, expected in enumerate(truth):
        marks = units_at(units, keys, tick)
        got = [(m.status, m.x, m.y) for m in marks]
        assert got == expected, tick
        seen |= {m.status for m in marks}
    assert seen == {UnitStatus.INACTIVE, UnitStatus.IDLE, UnitStatus.TRAVELLING, UnitStatus.WORKING}   # all occur


def test_network_map_shapes_nodes_by_state_with_reasons_on_hover(scenario):
    model = RippleModel(scenario)
    net = model.network
    down = np.zeros(net.n, np.uint8)
    backup = np.zeros(net.n, bool)
    down[net.index["sub_a"]] = DAMAGED | SHUT
    backup[net.index["pump"]] = True
    fig = network_map(net, down, backup)
    nodes = [t for t in fig.data if str(t.meta).startswith("nodes:")]
    assert sum(len(t.x) - 1 for t in nodes) == net.n and all(t.x[0] is None for t in nodes)
    energy = next(t for t in nodes if t.meta == "nodes:energy")
    i = 1 + list(np.flatnonzero(net.sector == net.sector_names.index("energy"))).index(net.index["sub_a"])
    assert energy.marker.symbol[i] == STATE_SYMBOLS[DOWN]
    assert energy.customdata[i] == "down: DAMAGED, SHUT"
    assert "Quay Substation" in energy.text[i] and "sub_a · energy · substation" in energy.text[i]
    water = next(t for t in nodes if t.meta == "nodes:water")
    assert "on backup" in water.customdata
    assert state_label(0, False) == "operational"
    assert list(node_states(down, backup)[[net.index["sub_a"], net.index["pump"], net.index["plant"]]]) == [2, 1, 0]


def test_sector_colours_are_okabe_ito_distinct_and_stable():
    names = ["energy", "water", "telecom", "transport", "health", "emergency", "roads"]
    colours = sector_colours(names)
    assert set(colours.values()) <= set(OKABE_ITO) - {BLACK}
    assert len(set(colours.values())) == len(names)
    assert sector_colours(["water", "energy"])["energy"] == colours["energy"]


# -------------------------------------------------------------- replay page
def test_replay_html_is_self_contained(replay):
    text = replay.read_text()
    assert "<script src" not in text and "<link" not in text.lower()
    assert "MathJax.js" not in text and "mathjax" not in text.split("<body>")[1].lower()
    assert text.count("Plotly.newPlot") >= 2
    assert replay.stat().st_size < 10 * 2**20


def map_state(page) -> dict[str, dict]:
    return {t["meta"]: t for t in plotly_traces(page, "map")}


def _same(a, b):
    return len(a) == len(b) and all((x is None and y is None) or (x is not None and y is not None and math.isclose(x, y, abs_tol=1e-9))
                                    for x, y in zip(a, b))


@pytest.mark.browser
def test_replay_renders_offline_with_every_point(replay_page, stepped):
    model, result, _, _ = stepped
    s = replay_page
    state = map_state(s.page)
    nodes = {k: v for k, v in state.items() if k.startswith("nodes:")}
    assert sum(sum(x is not None for x in v["x"]) for v in nodes.values()) == model.network.n
    links = [v for k, v in state.items() if k.startswith("links:")]          # one trace per sector
    assert sum(len(v["x"]) for v in links) == 3 * model.scenario.network.tables.n_links
    curves = plotly_traces(s.page, "curves")
    assert sorted(c["meta"] for c in curves) == sorted(["service"] + [f"service:{x}" for x in result.sectors])
    assert all(len(c["x"]) == len(c["y"]) == model.n_ticks + 1 for c in curves)
    overall = next(c for c in curves if c["meta"] == "service")
    assert overall["y"] == pytest.approx(list(result.series["service"] * 100.0))
    rows = timeline_groups(result.timeline(), model.network, result.tick_seconds)
    assert s.page.locator("#timeline > li").count() == len(rows)
    assert sum(max(1, len(r[4])) for r in rows) == len(result.timeline())   # a group holds its events
    header = s.page.locator("header").inner_text()
    assert "Resilience loss" in header and f"{result.metrics['resilience_loss_h']:,.2f} h" in header
    assert "Cascade amplification" in header and "Time to 95% recovery" in header
    assert s.blocked == [] and s.errors == []


@pytest.mark.browser
def test_replay_play_marks_nodes_down_within_seconds(replay_page):
    count = "() => window.ripple.down().filter(d => d !== 0).length"
    shown = """() => document.getElementById('map').data.filter(t => String(t.meta).startsWith('nodes:'))
                 .reduce((n, t) => n + t.marker.symbol.filter(s => s === 'x').length, 0)"""
    s = replay_page
    s.page.evaluate("window.ripple.pause(); window.ripple.seek(0)")
    assert s.page.evaluate(count) == s.page.evaluate(shown) == 1       # the spare substation, cut off from the start
    s.page.click("#play")
    s.page.wait_for_function(f"({shown})() > 1", timeout=5_000)
    assert s.page.locator("#play").inner_text().endswith("Pause")
    assert s.page.evaluate("window.ripple.tick()") > 0
    s.page.click("#play")
    assert s.page.locator("#play").inner_text().endswith("Play")
    assert s.blocked == [] and s.errors == []


@pytest.mark.browser
def test_replay_player_draws_what_network_map_draws(replay_page, stepped):
    """At any tick, forwards or backwards, the page's map equals the pure figure's."""
    model, result, _, _ = stepped
    net = model.network
    units = result.roster
    events = result.timeline()
    keys = unit_keys(units, events, net)
    attacks = attack_events(events, net, result.tick_seconds)
    kinds = sorted({u.kind for u in units}, key=kind_order)
    rows = timeline_groups(events, net, result.tick_seconds)
    s = replay_page
    for tick in (2, 8, 14, 19, 32, 5, 0, model.n_ticks):
        s.page.evaluate(f"window.ripple.seek({tick})")
        page = map_state(s.page)
        fig = network_map(net, *node_state_at(result, tick), units_at(units, keys, tick),
                          attacks_until(attacks, tick), unit_kinds=kinds, extent=map_extent(net))
        for trace in fig.data:
            meta = str(trace.meta)
            if meta.startswith("nodes:"):
                assert page[meta]["symbol"] == list(trace.marker.symbol), (tick, meta)
                assert page[meta]["customdata"] == list(trace.customdata), (tick, meta)
            elif meta.startswith("units:") or meta in ("routes", "attacks"):
                assert _same(page[meta]["x"], list(trace.x)) and _same(page[meta]["y"], list(trace.y)), (tick, meta)
                if meta.startswith("units:"):
                    assert page[meta]["hovertext"] == list(trace.hovertext), (tick, meta)
                    assert page[meta]["text"] == list(trace.text), (tick, meta)
        future = s.page.locator("#timeline > li.future").count()
        assert future == sum(1 for row in rows if row[0] > tick)
        assert s.page.input_value("#slider") == str(tick)
    assert s.blocked == [] and s.errors == []


@pytest.mark.browser
def test_flagship_replay_at_its_worst_moment(browser, tmp_path):
    """The flagship's page seeks to the tick of minimum service and shows it (the README's picture)."""
    scenario = load_scenario(ROOT / "scenarios" / "calder_bay.yaml")
    model = RippleModel(scenario, seed=7)
    result = model.run()
    worst = int(np.argmin(result.series["service"]))
    path = write_replay(result, model.network, tmp_path / "replay.html", map_background(scenario))
    with open_page(browser, path) as s:
        s.page.wait_for_function("window.rippleReady === true", timeout=10_000)
        s.page.evaluate(f"window.ripple.pause(); window.ripple.seek({worst})")
        assert s.page.input_value("#slider") == str(worst)
        down = s.page.evaluate("window.ripple.down().filter(d => d !== 0).length")
        assert down == int(np.count_nonzero(node_state_at(result, worst)[0]))
        net = model.network
        dark = next(int(i) for i in np.flatnonzero(node_state_at(result, worst)[0])
                    if net.sector_names[net.sector[i]] == "water")        # a water node down at the worst moment
        s.page.evaluate(f"window.ripple.select({dark})")
        assert s.page.locator("#details h2").inner_text() == net.names[dark]
        assert "down: " in s.page.locator("#details").inner_text()
        assert "83 nodes down now" in s.page.locator("#cascade").inner_text()
        assert screenshot(s.page, "replay", tmp_path).stat().st_size > 50_000
        assert s.blocked == [] and s.errors == []


# ------------------------------------------------------------ why a node failed
def without_causes(events):
    """The run's events as a run that recorded no causes logs them."""
    out = []
    for e in events:
        if e.kind == EventKind.NODE_DOWN and "cause" in e.detail:
            e = Event(e.tick, e.kind, e.node, e.team, {k: v for k, v in e.detail.items() if k not in ("cause", "roots")})
        out.append(e)
    return out


@pytest.fixture(scope="module")
def caused_page(browser, stepped, tmp_path_factory):
    """The harbour replay, with the causes the engine recorded on its failures, opened once."""
    model, result, _, _ = stepped
    path = write_replay(result, model.network, tmp_path_factory.mktemp("caused") / "replay.html")
    with open_page(browser, path) as session:
        session.page.wait_for_function("window.rippleReady === true", timeout=10_000)
        yield session


def test_failures_of_a_round_are_grouped_by_cause(scenario):
    net = RippleModel(scenario).network
    cut = {"reason": "ISOLATED", "sector": "energy", "cut_by": ["plant"]}
    root = [{"attacker": "cell_9", "action": "damage", "tactic": "drone", "node": "plant"}]
    events = [Event(4, "node_down", n, None, {"reasons": ["ISOLATED"], "cause": cut, "roots": root})
              for n in ("sub_a", "sub_b", "sub_c")]
    events += [Event(4, "node_down", "pump", None, {"reasons": ["UNSUPPLIED"]}), Event(5, "node_up", "sub_a")]
    rows = timeline_groups(events, net, 300.0)
    assert [r[0] for r in rows] == [4, 4, 5]
    tick, cat, text, sector, members = rows[0]
    assert (cat, sector, len(members)) == ("failure", "energy", 3)
    assert text == ("3 energy nodes down: ISOLATED after Harbour Power Station went down, cutting the energy network;"
                    " traced to drone by cell_9 on Harbour Power Station")
    assert [m[1] for m in members] == ["sub_a", "sub_b", "sub_c"]
    assert rows[1][2] == "Town Pump down: UNSUPPLIED" and rows[1][4] == []
    # without causes, a round's failures of one sector and one reason still group
    bare = [Event(4, "node_down", n, None, {"reasons": ["ISOLATED"]}) for n in ("sub_a", "sub_b", "sub_c")]
    assert [r[2] for r in timeline_groups(bare, net, 300.0)] == ["3 energy nodes down: ISOLATED"]
    assert len(timeline_groups(bare[:2], net, 300.0)) == 2      # two are not a group


def _click_node(page, node_id: str, index: dict) -> None:
    """Click the map where the node is drawn (a real mouse click on the plot)."""
    x, y = page.evaluate("""(k) => {
      const map = document.getElementById('map'), L = map._fullLayout, r = map.getBoundingClientRect();
      const trace = map.data.find((t) => String(t.meta).startsWith('nodes:') && JSON.parse(
        document.getElementById('replay-data').textContent).traces.find((u) => u.meta === t.meta).nodes.includes(k));
      const P = JSON.parse(document.getElementById('replay-data').textContent);
      const [x, y] = P.xy[k];
      return [r.left + L.xaxis._offset + L.xaxis.l2p(x), r.top + L.yaxis._offset + L.yaxis.l2p(y)];
    }""", index[node_id])
    page.mouse.click(x, y)


@pytest.mark.browser
def test_clicking_a_node_shows_why_it_is_down(caused_page, stepped, tmp_path):
    model, result, _, _ = stepped
    s = caused_page
    s.page.evaluate("window.ripple.pause(); window.ripple.seek(8)")
    _click_node(s.page, "pump", model.network.index)
    s.page.wait_for_function("document.querySelector('#details h2').textContent === 'Town Pump'", timeout=5_000)
    text = s.page.locator("#details").inner_text()
    assert "down: UNSUPPLIED" in text
    chain = [li.strip().split("\n")[0] for li in s.page.locator("#details dd ul li").all_inner_texts()]
    assert chain[:3] == ["Town Pump down at T+0:40: UNSUPPLIED: no power from Hill Substation",
                         "Hill Substation down at T+0:10: ISOLATED: energy path cut by Quay Substation",
                         "Quay Substation down at T+0:10: DAMAGED: vbied by cell_1"]
    assert "Traced to\nvbied by cell_1 on Quay Substation" in text
    assert "Back in service\nT+2:35 (in 1 h 55 min)" in text
    assert "power from 1 of Hill Substation (down); buffer 0 h 30 min" in text
    cascade = s.page.locator("#cascade").inner_text()
    assert "vbied by cell_1 → Quay Substation (landed): 4 nodes down now traced to it" in cascade
    # the chain's names are buttons: following one shows that node, with its repair's ETA
    s.page.locator("#details button", has_text="Quay Substation").first.click()
    text = s.page.locator("#details").inner_text()
    assert text.startswith("Quay Substation") and ("Work ETA\nclear done at T+0:50 (in 0 h 10 min)\n"
                                                   "make safe done at T+1:30 (in 0 h 50 min)\n"
                                                   "repair done at T+2:35 (in 1 h 55 min)") in text
    assert "Units on it\n" in text and "none" not in text.split("Units on it")[1]
    s.page.locator("#details").scroll_into_view_if_needed()
    assert screenshot(s.page, "replay-why", tmp_path).stat().st_size > 20_000
    # on backup, the panel counts down the buffer
    s.page.evaluate("window.ripple.seek(5); window.ripple.select(%d)" % model.network.index["pump"])
    assert "Backup\nabout 0 h 15 min left (on backup since T+0:10)" in s.page.locator("#details").inner_text()
    assert s.blocked == [] and s.errors == []


@pytest.fixture(scope="module")
def uncaused_page(browser, stepped, tmp_path_factory):
    """The harbour replay as a run that recorded no causes (an older run folder)."""
    model, result, _, _ = stepped
    bare = copy.copy(result)
    events = without_causes(result.timeline())
    object.__setattr__(bare, "timeline", lambda: events)
    path = write_replay(bare, model.network, tmp_path_factory.mktemp("uncaused") / "replay.html")
    with open_page(browser, path) as session:
        session.page.wait_for_function("window.rippleReady === true", timeout=10_000)
        yield session


@pytest.mark.browser
def test_the_page_degrades_without_causes(uncaused_page, stepped):
    model, _, _, _ = stepped
    s = uncaused_page
    s.page.evaluate("window.ripple.seek(8); window.ripple.select(%d)" % model.network.index["pump"])
    text = s.page.locator("#details").inner_text()
    assert "UNSUPPLIED (cause not recorded in this run)" in text
    assert "Hill Substation (down)" in text                      # the network still says which supplier is out
    assert "6 nodes down now: Quay Substation, Hill Substation" in s.page.locator("#cascade").inner_text()
    assert s.blocked == [] and s.errors == []


@pytest.mark.browser
def test_hiding_a_sector_hides_its_links_curve_and_rows(caused_page):
    s = caused_page
    s.page.locator("#map .legend .traces", has_text="energy (").locator(".legendtoggle").click()
    s.page.wait_for_function("document.getElementById('map').data.find(t => t.meta === 'links:energy').visible === false")
    curve = s.page.evaluate("document.getElementById('curves').data.find(t => t.meta === 'service:energy').visible")
    assert curve == "legendonly"
    rows = s.page.locator("#timeline > li[data-sector=energy]")
    assert rows.count() > 0 and all(rows.nth(i).is_hidden() for i in range(rows.count()))
    s.page.locator("#map .legend .traces", has_text="energy (").locator(".legendtoggle").click()
    s.page.wait_for_function("document.getElementById('map').data.find(t => t.meta === 'links:energy').visible === true")
    assert rows.nth(0).is_visible()
    assert s.blocked == [] and s.errors == []


@pytest.mark.browser
def test_the_curves_time_line_follows_the_slider(caused_page):
    """The dashed line over the curves stands at the time shown, drawn without redrawing the chart."""
    s = caused_page
    where = """() => {
      const c = document.getElementById('curves'), xa = c._fullLayout.xaxis, ya = c._fullLayout.yaxis;
      const line = document.getElementById('now-line').getBoundingClientRect(), box = c.getBoundingClientRect();
      return [line.left - box.left - xa._offset, xa.l2p(window.ripple.tick() * %s / 3600), line.height, ya._length];
    }"""
    tick_seconds = s.page.evaluate("JSON.parse(document.getElementById('replay-data').textContent).tickSeconds")
    for tick in (0, 40, 100):
        s.page.evaluate(f"window.ripple.pause(); window.ripple.seek({tick})")
        left, expected, height, length = s.page.evaluate(where % tick_seconds)
        assert left == pytest.approx(expected, abs=1.5) and height == pytest.approx(length, abs=1.0)
    assert s.blocked == [] and s.errors == []


@pytest.mark.browser
def test_playback_runs_at_the_speed_it_states(caused_page, stepped):
    """Simulated hours per wall second within 10% of the menu's: the page times itself
    playing 60 ticks from a click on play."""
    model, result, _, _ = stepped
    s = caused_page
    s.page.evaluate("window.ripple.pause(); window.ripple.seek(0)")
    stated = float(s.page.locator("#speed option:checked").inner_text().split()[0])
    seconds = s.page.evaluate("""() => new Promise((done) => {
      const t0 = performance.now();
      document.getElementById('play').click();
      const wait = () => window.ripple.tick() >= 60 ? done((performance.now() - t0) / 1000) : requestAnimationFrame(wait);
      requestAnimationFrame(wait);
    })""")
    s.page.click("#play")
    rate = 60 * result.tick_seconds / 3600.0 / seconds
    assert rate == pytest.approx(stated, rel=0.1)


@pytest.mark.browser
def test_space_on_a_focused_button_presses_only_that_button(caused_page):
    s = caused_page
    s.page.evaluate("window.ripple.pause(); window.ripple.seek(0)")
    s.page.focus("#next")
    s.page.keyboard.press(" ")
    assert s.page.locator("#play").inner_text().endswith("Play")     # not playing
    assert s.page.evaluate("window.ripple.tick()") > 0                  # the button did its own job


@pytest.mark.browser
def test_the_page_shows_no_internals_and_no_cloud_buttons(caused_page):
    s = caused_page
    text = s.page.locator("body").inner_text()
    assert "effect=" not in text and "scene=" not in text and "Work." not in text
    s.page.hover("#map")
    assert s.page.locator("#map .modebar-btn[data-title*='Chart Studio']").count() == 0
    assert s.page.locator("#map .modebar-btn[data-title*='cloud' i]").count() == 0
    assert s.page.evaluate("document.querySelector('#map .modebar-btn--logo')") is None


@pytest.mark.browser
def test_browser_helper_blocks_and_counts_remote_requests(browser, tmp_path):
    page = tmp_path / "remote.html"
    page.write_text('<html><body><img src="http://example.invalid/x.png"><script>fetch("https://cdn.example/a.js")'
                    '.catch(() => {})</script></body></html>')
    with open_page(browser, page) as s:
        s.page.wait_for_timeout(300)
        assert len(s.blocked) == 2
    assert is_local("http://127.0.0.1:8050/") and is_local("http://localhost/") and is_local("http://[::1]:80/")
    assert not is_local("http://10.0.0.1/") and not is_local("https://cdn.plot.ly/plotly.js")


# ------------------------------------------------------------ report pages
SECTORS = ("energy", "water")


def make_batch(folder: Path, seed: int, runs: int = 40, ticks: int = 25) -> dict[str, np.ndarray]:
    """A results folder in the batch format, with made-up numbers."""
    rng = np.random.default_rng(seed)
    cols: dict[str, np.ndarray] = {
        "run_index": np.arange(runs), "seed": np.full(runs, 7),
        "resilience_loss_h": rng.gamma(2.0, 1.5, runs), "min_service": rng.uniform(0.5, 1.0, runs),
        "min_service_time_h": rng.uniform(0, 2, runs), "recovery_90_h": rng.uniform(1, 5, runs),
        "recovery_95_h": np.where(rng.random(runs) < 0.2, np.nan, rng.uniform(2, 9, runs)),
        "recovery_100_h": rng.uniform(3, 12, runs), "unserved_person_h": rng.uniform(1e3, 1e5, runs),
        "nodes_down": rng.integers(1, 30, runs), "nodes_hit": np.full(runs, 2),
        "cascade_amplification": rng.uniform(1, 15, runs), "attacks_landed": rng.integers(0, 3, runs),
        "responder_utilisation": rng.uniform(0, 0.2, runs),
    }
    for s in SECTORS:
        cols[f"resilience_loss_h_{s}"] = rng.gamma(2.0, 1.0, runs)
        cols[f"unserved_person_h_{s}"] = rng.uniform(1e3, 1e4, runs)
    (folder / "runs").mkdir(parents=True)
    table = pa.table({**cols, "seed_key": [f"7/{i}" for i in range(runs)]})
    half = runs // 2
    pq.write_table(table.slice(0, half), folder / "runs" / f"part-000000-{half - 1:06d}.parquet")
    pq.write_table(table.slice(half), folder / "runs" / f"part-{half:06d}-{runs - 1:06d}.parquet")
    time_h = np.arange(ticks) / 12.0
    rows = {k: [] for k in ("series", "tick", "time_h", "q05", "q25", "q50", "q75", "q95")}
    for series in ("service", *(f"service_{s}" for s in SECTORS)):
        dip = 1.0 - 0.4 * np.exp(-time_h) * rng.uniform(0.5, 1.0)
        for k, spread in zip(("q05", "q25", "q50", "q75", "q95"), (-0.2, -0.1, 0.0, 0.05, 0.08)):
            rows[k] += list(np.clip(dip + spread * np.exp(-time_h), 0, 1))
        rows["series"] += [series] * ticks
        rows["tick"] += list(range(ticks))
        rows["time_h"] += list(time_h)
    pq.write_table(pa.table(rows), folder / "quantiles.parquet")
    manifest = {"format": "ripple-batch/1", "scenario": {"id": "demo", "name": "Demo study"}, "seed": 7, "runs": runs}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return cols


DIFFS = {"fifo": {"resilience_loss_h": {"mean_diff": 0.8, "ci_low": 0.3, "ci_high": 1.3, "p_value": 0.002, "n": 40},
                  "min_service": {"mean_diff": -0.02, "ci_low": -0.05, "ci_high": 0.01, "p_value": 0.2, "n": 40}},
         "nearest": {"resilience_loss_h": {"mean_diff": -0.4, "ci_low": -0.9, "ci_high": 0.1, "p_value": 0.11, "n": 40},
                     "min_service": {"mean_diff": 0.01, "ci_low": 0.0, "ci_high": 0.02, "p_value": 0.04, "n": 40}}}


def engine_format(diffs: dict) -> dict:
    """``comparison.json`` as the engine writes it, for the paired differences ``diffs``."""
    return {"reference": "base", "variants": {name: {"overrides": [], "metrics": {
        m: {"mean": d["mean_diff"], "ci_low": d["ci_low"], "ci_high": d["ci_high"], "t_p": d["p_value"], "n": d["n"],
            "wilcoxon_p": None, "excluded": 0, "reference_mean": 1.0, "variant_mean": 1.0 + d["mean_diff"], "sd": 0.5}
        for m, d in metrics.items()}} for name, metrics in diffs.items()}}


def make_comparison(folder: Path) -> None:
    for k, arm in enumerate(("base", *DIFFS)):
        make_batch(folder / arm, seed=k)
    (folder / "comparison.json").write_text(json.dumps(engine_format(DIFFS)))


@pytest.mark.browser
def test_batch_report_renders_offline(browser, tmp_path):
    cols = make_batch(tmp_path / "b", seed=1)
    path = write_report(tmp_path / "b")
    assert path == tmp_path / "b" / "report.html"
    with open_page(browser, path) as s:
        hists = [(t["meta"], len(t["x"])) for t in plotly_traces(s.page, "distributions")]
        expected = {f"hist:{m}": int(np.isfinite(cols[m]).sum()) for m in HEADLINE}
        assert dict(hists) == expected
        titles = s.page.evaluate("document.getElementById('distributions').layout.annotations.map(a => a.text)")
        missing = int(np.isnan(cols["recovery_95_h"]).sum())
        assert any(f"not recovered within the run in {missing} of 40 runs" in t for t in titles)
        fan = [(t["name"], len(t["y"])) for t in plotly_traces(s.page, "fan-service")]
        assert [name for name, _ in fan] == [None, "5–95% of runs", None, "25–75% of runs", "median"]
        assert all(n == 25 for _, n in fan)
        assert s.page.locator(".grid .plotly-graph-div").count() == len(SECTORS)
        rows = s.page.locator("table tbody tr").count()
        assert rows >= len(HEADLINE)
        assert s.blocked == [] and s.errors == []
        assert screenshot(s.page, "report", tmp_path, full_page=True).stat().st_size > 20_000


@pytest.mark.browser
def test_comparison_report_shows_one_row_per_variant(browser, tmp_path):
    make_comparison(tmp_path / "c")
    path = write_report(tmp_path / "c")
    with open_page(browser, path) as s:
        by_metric = {t["meta"]: (t["y"], t["x"], t["error_plus"], t["error_minus"])
                     for t in plotly_traces(s.page, "differences")}
        names, x, plus, minus = by_metric["diff:resilience_loss_h"]
        assert names == ["fifo", "nearest"]
        assert x == pytest.approx([0.8, -0.4]) and plus == pytest.approx([0.5, 0.5]) and minus == pytest.approx([0.5, 0.5])
        names, x, _, _ = by_metric["diff:min_service"]
        assert x == pytest.approx([-2.0, 1.0])       # shown in percentage points
        ecdfs = [t["meta"] for t in plotly_traces(s.page, "distributions")]
        assert {"ecdf:resilience_loss_h:base", "ecdf:resilience_loss_h:fifo", "ecdf:resilience_loss_h:nearest"} <= set(ecdfs)
        medians = [t["meta"] for t in plotly_traces(s.page, "fan-service") if t["meta"]]
        assert medians == ["median:fifo", "median:nearest", "median:base"]    # the reference drawn last, on top
        dashes = {t["meta"]: t["dash"] for t in s.page.evaluate(
            "document.getElementById('fan-service').data.filter(t => t.meta).map(t => ({meta: t.meta, dash: t.line.dash}))")}
        assert len(set(dashes.values())) == 3                                   # arms differ without colour
        assert s.page.locator("[id^=fan-sector-]").count() >= 1                  # per-sector fans per arm
        s.page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        head = s.page.locator("details table thead").first.inner_text()
        for column in ("better is", "so the variant is", "p (paired t)", "p (Wilcoxon signed-rank)", "pairs"):
            assert column in head
        row = s.page.locator("details table tbody tr", has_text="fifo").first.inner_text().split("\t")
        assert row[2] == "lower" and row[4] == "worse"                          # resilience loss +0.8 h: worse
        assert s.page.locator("p.how").count() >= 4                              # a line under each chart
        summary = s.page.locator("table").nth(1).locator("thead").inner_text()
        assert "n" in summary.split("\t") and "sd" in summary.split("\t")
        assert s.blocked == [] and s.errors == []
        assert screenshot(s.page, "comparison", tmp_path, full_page=True).stat().st_size > 20_000


@pytest.mark.browser
def test_comparison_fans_shade_only_the_references_band(browser, tmp_path):
    """Bands of several arms are not overlaid: the reference's is shaded under every median,
    and each arm's own fan sits on shared axes with the reference's median as a thin line."""
    make_comparison(tmp_path / "c")
    path = write_report(tmp_path / "c")
    with open_page(browser, path) as s:
        fills = s.page.evaluate("document.getElementById('fan-service').data.filter(t => t.fill === 'tonexty')"
                                ".map(t => t.name)")
        assert fills == ["base: 25–75% of runs"]
        panels = s.page.evaluate("""Array.from(document.querySelectorAll('[id^=fan-]')).filter(d => /^fan-[0-9]+$/.test(d.id))
            .map(d => ({refs: d.data.filter(t => t.meta === 'reference:base').length, y: d.layout.yaxis.range,
                        x: d.layout.xaxis.range}))""")
        assert [p["refs"] for p in panels] == [0, 1, 1]                  # base, fifo, nearest
        assert len({tuple(p["y"]) for p in panels}) == 1 and len({tuple(p["x"]) for p in panels}) == 1
        assert any("middle half of base's runs" in t for t in s.page.locator("p.how").all_inner_texts())
        assert s.blocked == [] and s.errors == []


def test_comparison_reads_the_engine_format(tmp_path):
    make_comparison(tmp_path / "c")
    differences = {name: {m: {"mean_diff": d.mean, "ci_low": d.ci_low, "ci_high": d.ci_high, "p_value": d.t_p, "n": d.n}
                          for m, d in metrics.items()}
                   for name, metrics in read_comparison(tmp_path / "c").differences.items()}
    assert differences == DIFFS


def test_report_cli_writes_the_page_and_rejects_bad_folders(tmp_path):
    make_batch(tmp_path / "b", seed=2)
    result = runner.invoke(app, ["report", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "b" / "report.html").exists() and "report.html" in result.output
    (tmp_path / "empty").mkdir()
    for folder, message in ((tmp_path / "missing", "does not exist"), (tmp_path / "empty", "neither a batch folder")):
        result = runner.invoke(app, ["report", str(folder)])
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    (tmp_path / "b" / "runs" / "part-000000-000019.parquet").write_bytes(b"not parquet")
    result = runner.invoke(app, ["report", str(tmp_path / "b")])
    assert result.exit_code == 2 and "not a readable Parquet file" in re.sub(r"\s+", " ", result.output)


def test_report_errors_name_the_problem(tmp_path):
    make_comparison(tmp_path / "c")
    (tmp_path / "c" / "comparison.json").write_text(json.dumps(engine_format({"gone": {}})))
    with pytest.raises(ReportError, match="no folder 'gone'"):
        write_report(tmp_path / "c")
    (tmp_path / "c" / "comparison.json").write_text("[1, 2]")
    with pytest.raises(ReportError, match="JSON object"):
        write_report(tmp_path / "c")


def test_report_of_an_unfinished_batch_says_what_is_missing(tmp_path):
    make_batch(tmp_path / "b", seed=3)
    (tmp_path / "b" / "quantiles.parquet").unlink()
    part = tmp_path / "b" / "runs" / "part-000000-000019.parquet"
    table = pq.read_table(part)
    column = table.schema.get_field_index("recovery_95_h")
    pq.write_table(table.set_column(column, "recovery_95_h", pa.array([np.nan] * table.num_rows)), part)
    text = write_report(tmp_path / "b").read_text()
    assert "No quantiles.parquet in this folder" in text
    assert "not recovered within the run in" in text
