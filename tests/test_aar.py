"""The after-action report: HSEEP outline, the counterfactual equal to a plain run, the
improvement plan seeded from low ratings, the TLP marking on every page, and a page that
opens with no network."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pypdf
import pytest
from typer.testing import CliRunner

from browser import chromium, open_page, screenshot
from dashboards.numberformat import significant
from ripple import app
from sim.exercise import ExerciseError, ExerciseSession

DATA = Path(__file__).parent / "data"
SCENARIO = DATA / "exercise_manual.yaml"


def ripple(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture(scope="module")
def played(tmp_path_factory) -> Path:
    """An exercise stopped at T+6:00: the crew sent, two capabilities rated low, one well."""
    log = tmp_path_factory.mktemp("aar") / "exercise.jsonl"
    session = ExerciseSession(SCENARIO, log_path=log, participants=["Town EOC", "Town Power"])
    session.run_to_next_inject()
    session.run_to_next_inject()
    session.dispatch("crew-1", "sub")
    session.note("Players debated whether the crew needed a police escort")
    session.rate("Infrastructure Systems", "P", "Crew sent within ten minutes of the report")
    session.rate("Public Information", "U", "No statement before the Herald deadline")
    session.rate("Operational Coordination", "M", "No common operating picture", element="Planning",
                 org="Town EOC", action="Write an EOC activation checklist", due="2099-09-01")
    session.run_until("T+6:00")
    return log


def aar_data(page: str) -> dict:
    found = re.search(r'<script type="application/json" id="aar-data">(.*?)</script>', page, re.S)
    assert found, "the report embeds its numbers"
    return json.loads(found.group(1))


def test_counterfactual_equals_a_plain_run_and_the_report_says_what_decisions_bought(played, tmp_path):
    out = tmp_path / "aar.html"
    done = ripple("aar", str(played), "--out", str(out))
    assert done.exit_code == 0, done.stderr
    assert "the decisions bought" in done.stdout
    run = ripple("run", str(SCENARIO), "--seed", "11", "--out", str(tmp_path / "run"))
    assert run.exit_code == 0, run.stderr
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    page = out.read_text()
    data = aar_data(page)
    assert data["counterfactual"] == summary["metrics"]
    assert data["seed"] == summary["seed"] == 11
    ours, theirs = data["exercise"], data["counterfactual"]
    assert ours["resilience_loss_h"] < theirs["resilience_loss_h"]
    sentence = (f"resilience loss {significant(ours['resilience_loss_h'])} h vs "
                f"{significant(theirs['resilience_loss_h'])} h without the players&#x27; decisions: the decisions "
                f"bought {significant(theirs['resilience_loss_h'] - ours['resilience_loss_h'])} h of full service")
    assert sentence in page                                             # in the one number format of the pages
    assert f"<td>{significant(theirs['resilience_loss_h'])} h</td>" in page   # the metrics table, without column
    # the exercise stopped at T+6:00; the rest ran on without decisions, over the same span
    assert data["stopped_tick"] == 72
    assert "the run was continued to T+24:00 with no further decisions" in page


def test_report_follows_the_hseep_outline(played, tmp_path):
    out = tmp_path / "aar.html"
    assert ripple("aar", str(played), "--out", str(out), "--tlp", "green").exit_code == 0
    page = out.read_text()
    for section in ("Exercise overview", "Executive summary", "Headline metrics: with the decisions and without",
                    "Timeline", "Analysis of core capabilities", "Appendix A: Improvement plan",
                    "Appendix B: Participants"):
        assert f">{section}</h2>" in page, section
    assert "<li>Town EOC</li>" in page and "<li>Town Power</li>" in page
    assert "1. Restore power to the hospital before its generator runs out." in page
    # the timeline has the inject, the attack, the failures, the decision and the note, in order
    timeline = page[page.index('id="timeline"'):page.index('id="capabilities"')]
    order = ["Attack: drone on Mill Lane Substation by cell, landed", "nodes down (energy 2)",
             "Inject 1, Grid Control", "Dispatch crew-1 to sub", "Note: Players debated", "back in service"]
    positions = [timeline.index(text) for text in order]
    assert positions == sorted(positions)
    # improvement plan: worst first; defaults from the MSEL, explicit options kept
    plan = page[page.index('id="improvement-plan"'):page.index('id="participants"')]
    rows = re.findall(r"<tr><td>(.*?)</td><td>([PSMU])</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td><td>(.*?)</td>"
                      r"<td>(.*?)</td><td>(.*?)</td><td>(.*?)</td></tr>", plan)
    assert [(r[0], r[1]) for r in rows] == [("Public Information and Warning", "U"), ("Operational Coordination", "M")]
    pio = rows[0]
    assert pio[2] == "No statement before the Herald deadline"
    assert pio[3] == "Revise plans and train to: Issue a statement on the outage and the restoration estimate."
    assert pio[5] == "Public Information Officer"                      # the inject's recipient
    start = pio[7]
    assert pio[8] > start                                               # due 30 days on for U
    assert rows[1][3:6] == ("Write an EOC activation checklist", "Planning", "Town EOC") and rows[1][8] == "2099-09-01"
    assert "Infrastructure Systems" not in plan                         # rated P: no corrective action
    assert page.count("TLP:GREEN") >= 3


def test_markdown_report_and_tlp_options(played, tmp_path):
    out = tmp_path / "aar.md"
    done = ripple("aar", str(played), "--markdown", "--out", str(out), "--tlp", "amber+strict",
                  "--participants", "Alpha; Beta")
    assert done.exit_code == 0, done.stderr
    text = out.read_text()
    lines = text.strip().splitlines()
    assert lines[0].startswith("**TLP:AMBER+STRICT**") and lines[-1] == "**TLP:AMBER+STRICT**"
    assert "| Resilience loss (Bruneau 2003) |" in text and "## Appendix A: Improvement plan" in text
    assert "- Alpha\n- Beta" in text
    assert "| T+0:00 | 100% | 100% |" in text                          # service with and without
    bad = ripple("aar", str(played), "--tlp", "purple")
    assert bad.exit_code == 2 and "--tlp must be one of clear, green, amber, amber+strict, red" in bad.stderr
    missing = ripple("aar", str(tmp_path / "nope.jsonl"))
    assert missing.exit_code == 2 and "log file not found" in missing.stderr and "Traceback" not in missing.stderr


def test_markdown_shows_player_text_and_never_runs_it(tmp_path):
    """Markdown passes raw HTML through: a note or participant with a script must land
    escaped in aar.md (it landed raw)."""
    log = tmp_path / "hostile.jsonl"
    session = ExerciseSession(SCENARIO, log_path=log, participants=["<b>EOC</b>"])
    session.note("<script>alert(1)</script> | pipes & ampersands")
    out = tmp_path / "aar.md"
    assert ripple("aar", str(log), "--markdown", "--out", str(out)).exit_code == 0
    text = out.read_text()
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| pipes &amp; ampersands" in text
    assert "- &lt;b&gt;EOC&lt;/b&gt;" in text


@pytest.mark.browser
def test_report_opens_offline_and_every_printed_page_is_marked(played, tmp_path):
    out = tmp_path / "aar.html"
    assert ripple("aar", str(played), "--out", str(out)).exit_code == 0
    with chromium() as browser, open_page(browser, out) as session:
        page = session.page
        page.wait_for_selector("#service-curves .main-svg", timeout=20_000)
        traces = page.evaluate("document.getElementById('service-curves').data.map(t => t.name)")
        assert "overall" in traces and "overall, without decisions" in traces and "decision" in traces
        for band in (".tlp.top", ".tlp.bottom"):
            assert page.locator(band).is_visible()
            assert page.locator(band).inner_text().startswith("TLP:AMBER")
        top = page.locator(".tlp.top").bounding_box()
        assert top["y"] == 0
        page.mouse.wheel(0, 3000)
        page.wait_for_timeout(200)
        assert page.locator(".tlp.top").bounding_box()["y"] == 0          # fixed: stays on screen
        page.evaluate("window.scrollTo(0, 0)")
        assert screenshot(page, "aar", tmp_path).stat().st_size > 20_000
        pdf = page.pdf(format="A4")
        assert session.blocked == [] and session.errors == []
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    for number, sheet in enumerate(reader.pages, 1):
        text = sheet.extract_text()
        assert text.count("TLP:AMBER") >= 2, f"printed page {number} lacks its TLP marks"


def test_report_has_every_hseep_aar_ip_section(tmp_path):
    log = tmp_path / "ex.jsonl"
    session = ExerciseSession(SCENARIO, log_path=log, participants=["Town EOC"])
    session.run_to_next_inject()
    session.run_to_next_inject()
    session.dispatch("crew-1", "sub")
    session.sharing(0.5)
    session.rate("Infrastructure Systems", "S", "Crew sent within ten minutes",
                 improve="No one asked the hospital how long its generator lasts", poc="J. Doe, Town Power")
    session.rate("Public Information", "P", "Statement out before the deadline")
    with pytest.raises(ExerciseError, match=r"due date 2001-01-01 is before the exercise \(\d{4}-\d\d-\d\d\)"):
        session.rate("Operational Coordination", "M", "slow", due="2001-01-01")
    session.run_until("T+4:00")
    out = tmp_path / "aar.html"
    done = ripple("aar", str(log), "--out", str(out), "--sponsor", "Town of Mill Lane", "--poc", "A. Smith, EOC")
    assert done.exit_code == 0, done.stderr
    page = out.read_text()
    overview = page[page.index('id="overview"'):page.index('id="summary"')]
    for field, value in (("Scope", "Substation strike (manual dispatch): T+24:00 of simulated time, 4 nodes in 2 sectors"),
                         ("Mission areas", "Prevention, Protection, Mitigation, Response, Recovery"),
                         ("Sponsor", "Town of Mill Lane"), ("Participating organisations", "Town EOC"),
                         ("Point of contact", "A. Smith, EOC"), ("Exercise dates", ""), ("Threat / hazard", "drone"),
                         ("Scenario summary", "A drone strike on the Mill Lane substation")):
        assert f"<tr><td>{field}</td><td>{value}" in overview, field
    analysis = page[page.index('id="capabilities"'):page.index('id="decision-effects"')]
    infra = analysis[analysis.index("<h3>Infrastructure Systems: S"):]
    strengths, areas = infra[:infra.index("Areas for improvement")], infra[infra.index("Areas for improvement"):]
    assert "Crew sent within ten minutes" in strengths and "Crew sent" not in areas
    assert "<b>Observation:</b> No one asked the hospital how long its generator lasts" in areas
    assert "<b>Analysis:</b> When rated at T+0:40, overall service was 62.5%; the 2 outage(s) by then trace back to " \
           "the drone on Mill Lane Substation (cell) at T+0:30 (2 of them)." in areas
    assert "<b>Recommendation:</b> Revise plans and train to: Send the line crew to Mill Lane" in areas
    public = analysis[analysis.index("<h3>Public Information and Warning: P"):]
    assert "Statement out before the deadline" in public[:public.index("Areas for improvement")]
    plan = page[page.index('id="improvement-plan"'):page.index('id="participants"')]
    assert "<th>point of contact</th>" in plan and "<td>J. Doe, Town Power</td>" in plan
    assert "No one asked the hospital" in plan and "Crew sent within ten minutes" not in plan
    assert "Public Information" not in plan and "Operational Coordination" not in plan    # the refused rating
    effects = page[page.index('id="decision-effects"'):page.index('id="sector-worst"')]
    rows = re.findall(r"<tr><td>(T\+[0-9:]+)</td><td>(.*?)</td><td>([0-9.,]+) h</td><td>([+-]?[0-9.,]+) h</td></tr>", effects)
    assert [r[:2] for r in rows] == [("T+0:40", "Dispatch crew-1 to sub"), ("T+0:40", "Information sharing: 0.5")]
    data = aar_data(page)
    dispatch, sharing = rows
    assert float(dispatch[3]) > 0 and dispatch[2] == significant(data["counterfactual"]["resilience_loss_h"])
    assert float(sharing[3]) == 0.0                        # nothing left to interdict: it bought nothing
    worst = page[page.index('id="sector-worst"'):page.index('id="improvement-plan"')]
    assert "<tr><td>energy</td><td>0% at T+0:30</td><td>0% at T+0:30</td></tr>" in worst
    assert "<tr><td>health</td><td>0% at T+1:30</td><td>0% at T+1:30</td></tr>" in worst


@pytest.mark.browser
def test_the_chart_fits_a_printed_page_and_stacked_decisions_do_not_overlap(tmp_path):
    log, out = tmp_path / "ex.jsonl", tmp_path / "aar.html"
    session = ExerciseSession(SCENARIO, log_path=log)
    session.run_to_next_inject()
    session.dispatch("crew-1", "sub")
    session.sharing(0.5)
    session.harden("sub_east", 0.5)
    assert ripple("aar", str(log), "--out", str(out)).exit_code == 0
    with chromium() as browser, open_page(browser, out) as session:
        page = session.page
        page.set_viewport_size({"width": 1400, "height": 900})
        page.wait_for_selector("#service-curves .main-svg", timeout=20_000)
        chart = page.locator("#service-curves .main-svg").first.bounding_box()
        assert chart["width"] <= 178 / 25.4 * 96 + 1                   # 178 mm at 96 px per inch
        marks = page.evaluate("document.getElementById('service-curves').data"
                              ".filter(t => String(t.meta).startsWith('marks:')).map(t => [t.x, t.y])")
    points = sorted((x, y) for xs, ys in marks for x, y in zip(xs, ys))
    assert len(points) == 3 and len({x for x, _ in points}) == 1       # three decisions at one time…
    assert len({y for _, y in points}) == 3                             # …stacked, not on one spot
