"""WCAG 2.1 AA on the pages a facilitator and an analyst read: axe-core (through
axe-playwright-python) finds no serious or critical violation on the replay page, the Monte
Carlo report and the after-action report, each opened offline in headless Chromium."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from typer.testing import CliRunner

from browser import chromium, open_page
from dashboards.replay import write_replay
from dashboards.report import write_report
from ripple import app
from sim.exercise import ExerciseSession
from sim.model import RippleModel
from sim.scenario import load_scenario
from test_pages import make_batch, make_comparison

ROOT = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
# WCAG 2.0/2.1 levels A and AA; axe's "best practice" rules are advice, not the standard
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def serious(page) -> list[str]:
    """The serious and critical violations axe finds on ``page``, one line each."""
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": TAGS}})
    assert results.response["passes"], "axe checked nothing"
    return [f"{v['id']} ({v['impact']}): {v['help']} — {len(v['nodes'])} element(s), e.g. {v['nodes'][0]['html'][:160]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.mark.browser
def test_the_check_finds_what_it_looks_for(browser, tmp_path):
    path = tmp_path / "bad.html"
    path.write_text('<!DOCTYPE html><html lang="en"><head><title>bad</title></head><body><main>'
                    '<p style="color:#bbb">faint text</p><input type="checkbox"></main></body></html>')
    with open_page(browser, path) as s:
        found = serious(s.page)
    assert any(v.startswith("color-contrast (serious)") for v in found)
    assert any(v.startswith("label (critical)") for v in found)


@pytest.mark.browser
def test_replay_page_meets_wcag_aa(browser, tmp_path):
    scenario = load_scenario(ROOT / "scenarios" / "calder_bay.yaml")
    model = RippleModel(scenario, seed=7)
    path = write_replay(model.run(), model.network, tmp_path / "replay.html")
    with open_page(browser, path) as s:
        s.page.wait_for_function("window.rippleReady === true", timeout=20_000)
        s.page.evaluate("window.ripple.seek(200); window.ripple.select(0)")
        assert serious(s.page) == []
        assert s.blocked == [] and s.errors == []


@pytest.mark.browser
def test_batch_and_comparison_reports_meet_wcag_aa(browser, tmp_path):
    make_batch(tmp_path / "batch", 1)
    make_comparison(tmp_path / "cmp")
    for folder in ("batch", "cmp"):
        path = write_report(tmp_path / folder)
        with open_page(browser, path) as s:
            s.page.wait_for_selector(".main-svg", timeout=20_000)
            assert serious(s.page) == [], folder
            assert s.blocked == [] and s.errors == []


@pytest.mark.browser
def test_after_action_report_meets_wcag_aa(browser, tmp_path):
    log = tmp_path / "exercise.jsonl"
    session = ExerciseSession(DATA / "exercise_manual.yaml", log_path=log, participants=["Town EOC"])
    session.run_to_next_inject()
    session.rate("Public Information", "U", "No statement before the Herald deadline")
    session.run_until("T+6:00")
    out = tmp_path / "aar.html"
    assert CliRunner().invoke(app, ["aar", str(log), "--out", str(out)]).exit_code == 0
    with open_page(browser, out) as s:
        s.page.wait_for_selector("#service-curves .main-svg", timeout=20_000)
        assert serious(s.page) == []
        assert s.blocked == [] and s.errors == []
