"""The after-action report of an exercise (HSEEP AAR/IP), as one self-contained HTML page
or as Markdown.

It follows the outline of the HSEEP After-Action Report / Improvement Plan (FEMA, *Homeland
Security Exercise and Evaluation Program*, 2020): exercise overview, executive summary,
analysis of core capabilities, improvement plan (Appendix A) and participants (Appendix B),
with what a simulation adds: the timeline of injects, attacks, failures and decisions, the
actions the exercise refused and why, the
service curves with the decisions marked, and a counterfactual — the same scenario and seed
run without the players' decisions — so the report states what the decisions bought.

Every page carries the Traffic Light Protocol marking (FIRST, *TLP v2.0*, 2022) in a fixed
band at the top and bottom on screen and in the margin of each printed page.
"""

from __future__ import annotations

from collections import Counter

import html
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import plotly.graph_objects as go

from dashboards import page
from dashboards.figures import BLACK, service_curves
from dashboards.numberformat import D3_SIGNIFICANT, metric_text, significant
from sim import events
from sim.exercise import CONTROLLER, DUE_DAYS, NOTE, PLAYER, RATINGS, VERBS, ExerciseSession, Rating, verb_names
from sim.exercise.ratings import mission_areas
from sim.metrics import SUMMARY, metric
from sim.results import Event, EventKind, RunResult, clean
from sim.scenario.timefmt import format_clock

__all__ = [
    "METRICS", "TLP", "PlanItem", "Report", "ReportError", "bought", "build_report", "capability_rows", "difference",
    "decision_text", "entry_text", "executive_summary", "percent", "seat_name", "improvement_plan", "what_happened", "observations", "decision_effects",
    "rejected_rows", "outcomes_text",
    "sector_worst", "stacked", "mark_decisions", "metric_rows", "overview_rows",
    "timeline", "to_html", "to_markdown", "write_report",
]

# TLP 2.0 labels: (text colour on black, who may see it)
TLP = {
    "clear": ("#FFFFFF", "Recipients can spread this to the world; there is no limit on disclosure."),
    "green": ("#33FF00", "Limited disclosure: recipients can spread this within their community, "
                         "but not via publicly accessible channels."),
    "amber": ("#FFC000", "Limited disclosure: recipients can only spread this on a need-to-know basis "
                         "within their organisation and its clients."),
    "amber+strict": ("#FFC000", "Limited disclosure: recipients can only spread this on a need-to-know basis "
                                "within their organisation only."),
    "red": ("#FF2B2B", "For the eyes and ears of individual recipients only, no further disclosure."),
}
PLAYER_VERBS = verb_names(PLAYER)
CONTROLLER_VERBS = verb_names(CONTROLLER)
# the timeline's category of each kind of logged verb (clock steps and ratings are not shown)
TIMELINE_CATEGORY = {PLAYER: "decision", NOTE: "note", CONTROLLER: "controller"}
TIMELINE_KINDS = (EventKind.INJECT, EventKind.ATTACK, EventKind.MUTUAL_AID, EventKind.MUTUAL_AID_ARRIVED,
                  EventKind.OUT_OF_SERVICE, EventKind.BACK_IN_SERVICE)
#: the metrics the report compares with the counterfactual, then each sector's resilience loss
METRICS = (*SUMMARY, "attacks_landed", "attacks_interdicted")


TO_ASSIGN = "to be assigned at the after-action meeting"


class ReportError(ValueError):
    """The report cannot be built as asked (one clear message)."""


@dataclass
class PlanItem:
    """One row of the improvement plan (HSEEP AAR/IP Appendix A).

    Attributes
    ----------
    capability, rating : str
        The core capability and its rating (``S``, ``M`` or ``U``).
    issue, action : str
        The area for improvement and the corrective action.
    element, organisation : str
        The capability element and the responsible organisation.
    start, due : str
        ISO dates.
    poc : str
        The point of contact.
    """

    capability: str
    rating: str
    issue: str
    action: str
    element: str
    organisation: str
    start: str
    due: str
    poc: str = ""


@dataclass
class Report:
    """What the after-action report is built from.

    Attributes
    ----------
    session : ExerciseSession
        The replayed exercise, played on to the end of the clock.
    exercise : RunResult
        The run with the players' decisions.
    counterfactual : RunResult
        The same scenario and seed run without them.
    stopped_tick : int
        The tick at which the players stopped.
    tlp : str
        Traffic Light Protocol marking, lower case (a key of :data:`TLP`).
    participants : list[str]
        Participating organisations or people.
    plan : list[PlanItem]
        The improvement plan.
    sponsor, poc, scope : str
        The exercise's sponsor, point of contact and scope ('' : not given).
    """

    session: ExerciseSession
    exercise: RunResult
    counterfactual: RunResult
    stopped_tick: int
    tlp: str
    participants: list[str]
    plan: list[PlanItem] = field(default_factory=list)
    sponsor: str = ""
    poc: str = ""
    scope: str = ""

    @property
    def entries(self) -> list[dict[str, Any]]:
        """The exercise log's entries, in order."""
        return self.session.entries

    @property
    def tick_seconds(self) -> float:
        """Length of a tick, seconds."""
        return self.exercise.tick_seconds

    def clock(self, tick: int) -> str:
        """Exercise clock of ``tick``, e.g. ``"T+1:30"``.

        Parameters
        ----------
        tick : int
            A tick of the run.

        Returns
        -------
        str
            Time since T+0 in hours and minutes.
        """
        return format_clock(tick * self.tick_seconds)


def build_report(log: str | Path, scenario: str | Path | None = None, tlp: str = "amber",
                 participants: Sequence[str] | None = None, sponsor: str = "", poc: str = "",
                 scope: str = "") -> Report:
    """Replay ``log``, play on to the end of the clock without further decisions, and run the
    counterfactual: ``RippleModel(scenario, seed).run()``.

    Parameters
    ----------
    log : str or Path
        The exercise log (JSON lines).
    scenario : str or Path, optional
        The scenario file; default: the one named in the log.
    tlp : str
        Traffic Light Protocol marking, a key of :data:`TLP` (any case).
    participants : Sequence[str], optional
        Participants; default: those in the log.
    sponsor, poc, scope : str
        The exercise's sponsor, point of contact and scope, for the overview ('' : not given).

    Returns
    -------
    Report
        The report's data, improvement plan included.

    Raises
    ------
    ReportError
        When ``tlp`` is not a TLP 2.0 label.
    ExerciseError, ScenarioError
        When the log cannot be replayed.
    """
    tlp = tlp.lower()
    if tlp not in TLP:
        raise ReportError(f"TLP '{tlp}' is not one of {', '.join(TLP)}")
    session = ExerciseSession.from_log(log, scenario_path=scenario, keep_logging=False)
    stopped = session.tick
    session.play_out()
    people = list(participants) if participants else list(session.header.get("participants", []))
    report = Report(session, session.result(), session.counterfactual(), stopped, tlp, people,
                    sponsor=sponsor, poc=poc, scope=scope)
    report.plan = improvement_plan(session, exercise_date(session), poc)
    return report


# ---------------------------------------------------------------- the analysis
def exercise_date(session: ExerciseSession) -> date:
    """The day the exercise was played: of its first wall-clock time, else today.

    Parameters
    ----------
    session : ExerciseSession
        The replayed exercise.

    Returns
    -------
    date
        The date of the first log entry (or the log's start) that has a wall time.
    """
    walls = [e.get("wall", "") for e in session.entries] + [session.header.get("started", "")]
    for wall in walls:
        try:
            return datetime.fromisoformat(wall).date()
        except (TypeError, ValueError):
            continue
    return date.today()


def improvement_plan(session: ExerciseSession, day: date, poc: str = "") -> list[PlanItem]:
    """A row per area for improvement: each capability rated M or U, and each rated S or P
    with an ``improve=`` observation (worst first), seeded from the rating's notes and options
    and, where those are silent, from the expected actions of the MSEL lines for it as they
    were played (an ``otherwise:`` alternative's when that was released; none never released). The notes of an S or
    P rating are strengths and never land in the plan.

    Parameters
    ----------
    session : ExerciseSession
        The replayed exercise, with its ratings.
    day : date
        The exercise's date: each item starts then and is due :data:`DUE_DAYS` of its
        rating later unless the rating gave a date.
    poc : str
        The exercise's point of contact, for items whose rating named none.

    Returns
    -------
    list[PlanItem]
        U first, then M, then S, then P; by capability within a rating.
    """
    order = {"U": 0, "M": 1, "S": 2, "P": 3}
    rows = []
    latest = sorted((r for r in session.latest_ratings().values() if r.rating in "MU" or r.improvement),
                    key=lambda r: (order[r.rating], r.capability))
    played = [line for e in session.released_injects() if (line := session.inject_record(e)) is not None]
    for r in latest:
        lines = [i for i in played if i.capability == r.capability]
        expected = " ".join(dict.fromkeys(sentence(i.expected_action) for i in lines if i.expected_action))
        recipients = ", ".join(dict.fromkeys(i.to for i in lines if i.to))
        issue = r.improvement or (r.notes if r.rating in "MU" else "") or f"Rated {r.rating} ({RATINGS[r.rating]})"
        action = r.action or (f"Revise plans and train to: {expected}" if expected else
                              f"Review {r.capability} plans and procedures and re-exercise them")
        due = r.due or (day + timedelta(days=DUE_DAYS.get(r.rating, DUE_DAYS["S"]))).isoformat()
        rows.append(PlanItem(r.capability, r.rating, issue, action, r.element or TO_ASSIGN,
                             r.organisation or recipients or TO_ASSIGN, day.isoformat(), due, r.poc or poc or TO_ASSIGN))
    return rows


def sentence(text: str) -> str:
    """``text`` stripped and ending with a full stop (or ``!``/``?``).

    Parameters
    ----------
    text : str
        A phrase.

    Returns
    -------
    str
        The phrase as a sentence.

    Examples
    --------
    >>> sentence(" Close the valve ")
    'Close the valve.'
    """
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def decision_entries(report: Report, verbs: Sequence[str]) -> list[dict[str, Any]]:
    """The log entries of the given verbs, in order.

    Parameters
    ----------
    report : Report
        The report.
    verbs : Sequence[str]
        Verb names, e.g. :data:`PLAYER_VERBS`.

    Returns
    -------
    list[dict]
        The matching log entries.
    """
    return [e for e in report.entries if e["verb"] in verbs]


def entry_text(entry: dict[str, Any]) -> str:
    """A log entry as one line of plain text, as its verb reads (:data:`sim.exercise.VERBS`).

    Parameters
    ----------
    entry : dict
        A log entry (``verb``, ``args``).

    Returns
    -------
    str
        e.g. ``Dispatch crew-1 to sub``.
    """
    return VERBS[entry["verb"]].entry_text(entry["args"])


def seat_name(report: Report, seat: str | None) -> str:
    """A seat's display name: as the log's header records it, else as the scenario's
    ``exercise.seats`` or the built-in seats name it; ``—`` for no seat.

    Parameters
    ----------
    report : Report
        The report.
    seat : str or None
        The seat id a log line carries (None: the exercise had no seats).

    Returns
    -------
    str
        The name, or the id when the seat has none.
    """
    if not seat:
        return "—"
    known = report.session.seats.get(seat)
    return known.label if known is not None else seat


def decision_text(report: Report, entry: dict[str, Any]) -> str:
    """A logged decision as one line, with the display name of the seat that took it.

    Parameters
    ----------
    report : Report
        The report.
    entry : dict
        A log entry (``verb``, ``args``, ``seat`` when the exercise had seats).

    Returns
    -------
    str
        E.g. ``Dispatch harbour-2 to sub (Calder Port Authority)``; without a seat, as
        :func:`entry_text`.
    """
    text = entry_text(entry)
    return f"{text} ({seat_name(report, entry['seat'])})" if entry.get("seat") else text


def timeline(report: Report) -> list[tuple[int, str, str, str]]:
    """(tick, category, text, wall time) rows in the order things happened: decisions, notes
    and controller actions (taken before their tick runs), then the tick's injects, attacks,
    failures and restorations (grouped), and mutual aid.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    list of (int, str, str, str)
        Tick, category (``decision``, ``attack``, ``failure``...), plain text, and the wall
        time of a logged entry as ``YYYY-MM-DD HH:MM`` (empty for the run's events).
    """
    net, rows = report.session.network, []
    names = dict(zip(net.ids, net.names))
    for entry in report.entries:
        category = TIMELINE_CATEGORY.get(VERBS[entry["verb"]].category)
        if category is not None:
            rows.append((entry["tick"], 0, category, decision_text(report, entry), short_wall(entry.get("wall", ""))))
    group: list[Event] = []

    def flush() -> None:
        if group:
            what = "down" if group[0].kind == EventKind.NODE_DOWN else "back in service"
            rows.append((group[0].tick, 1, "failure" if what == "down" else "restore", group_text(group, net, what), ""))
            group.clear()

    for e in report.exercise.timeline():
        if e.kind in (EventKind.NODE_DOWN, EventKind.NODE_UP):
            if group and (group[0].kind != e.kind or group[0].tick != e.tick):
                flush()
            group.append(e)
            continue
        flush()
        if e.kind in TIMELINE_KINDS and not (e.kind == EventKind.INJECT and e.detail.get("adhoc")):
            rows.append((e.tick, 1, events.category(e), events.describe(e, names, report.tick_seconds), ""))
    flush()
    rows.sort(key=lambda r: (r[0], r[1]))
    return [(tick, category, text, wall) for tick, _, category, text, wall in rows]


def short_wall(wall: str) -> str:
    """An ISO wall time as 'YYYY-MM-DD HH:MM'.

    Parameters
    ----------
    wall : str
        An ISO 8601 time.

    Returns
    -------
    str
        The short form, or ``wall`` unchanged when it is not an ISO time.

    Examples
    --------
    >>> short_wall("2025-03-01T09:30:12")
    '2025-03-01 09:30'
    """
    try:
        return datetime.fromisoformat(wall).strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return wall


def group_text(events: list[Event], net: Any, what: str) -> str:
    """One timeline line for the nodes that went down (or came back) in one tick.

    Parameters
    ----------
    events : list[Event]
        ``node_down`` (or ``node_up``) events of one tick.
    net : Network
        The static network, for names and sectors.
    what : str
        ``"down"`` or ``"back in service"``.

    Returns
    -------
    str
        The count, the count per sector and the first six node names.
    """
    by_sector: dict[str, int] = {}
    for e in events:
        sector = net.sector_names[net.sector[net.index[e.node]]]
        by_sector[sector] = by_sector.get(sector, 0) + 1
    names = [net.names[net.index[e.node]] for e in events]
    shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
    sectors = ", ".join(f"{s} {n}" for s, n in sorted(by_sector.items()))
    noun = "node" if len(events) == 1 else "nodes"
    return f"{len(events)} {noun} {what} ({sectors}): {shown}"


OUTCOME_TEXT = {"landed": "landed", "failed": "failed against the target's defences",
                "interdicted": "was interdicted before it struck", "no target": "found no target"}


def what_happened(report: Report) -> list[str]:
    """One sentence per attack of the exercise run: who attacked what, when, and how it ended.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    list[str]
        The attacks in order; the scenario's description says what was scripted, these what
        the run did.
    """
    net, session = report.session.network, report.session
    cells = {a.id: a.name or a.id for a in session.scenario.attackers}
    scripted = " (outcome scripted)" if session.scripted_outcomes else ""
    out = []
    for e in report.exercise.events:
        if e.kind != EventKind.ATTACK:
            continue
        target = f" on {net.names[net.index[e.node]]}" if e.node is not None else ""
        outcome = str(e.detail.get("outcome", ""))
        out.append(f"{report.clock(e.tick)}: {cells.get(e.detail.get('attacker'), e.detail.get('attacker'))}, "
                   f"{str(e.detail.get('tactic', '')).replace('_', ' ')}{target}: {OUTCOME_TEXT.get(outcome, outcome)}"
                   f"{scripted if outcome == 'landed' else ''}.")
    return out


def difference(name: str, ours: Any, theirs: Any) -> str:
    """Exercise − counterfactual in the metric's unit, with a word for which way is better.

    Parameters
    ----------
    name : str
        The metric's name.
    ours, theirs : float or None
        Its stored value with the decisions and without (None or NaN: not reached).

    Returns
    -------
    str
        E.g. ``"-1.20 h (better)"``, ``"same"`` (equal as shown), or which run alone reached
        a value; in the pages' one number format (:mod:`dashboards.numberformat`).
    """
    info = metric(name)

    def finite(v: Any) -> bool:
        return v is not None and math.isfinite(float(v))

    if not (finite(ours) and finite(theirs)):
        if finite(ours):
            return "reached only with the decisions"
        if finite(theirs):
            return "reached only without the decisions"
        return ""
    if metric_text(name, ours) == metric_text(name, theirs):
        return "same"
    delta = float(ours) - float(theirs)
    verdict = info.verdict(delta)
    return metric_text(name, delta, signed=True) + (f" ({verdict})" if verdict else "")


def metric_rows(report: Report) -> list[tuple[str, str, str, str]]:
    """(metric, with decisions, without, difference) for the metrics table.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    list of (str, str, str, str)
        One row per metric of :data:`METRICS`, then each sector's resilience loss; values
        with their units in three significant figures (:func:`dashboards.numberformat.metric_text`).
    """
    ours, theirs = report.exercise.metrics, report.counterfactual.metrics
    names = [*METRICS, *(f"resilience_loss_h_{sector}" for sector in report.exercise.sectors)]
    rows = []
    for name in names:
        info = metric(name)
        label = info.cited_title if name in METRICS else f"  {info.title}"
        rows.append((label, metric_text(name, ours.get(name)), metric_text(name, theirs.get(name)),
                     difference(name, ours.get(name), theirs.get(name))))
    return rows


def bought(report: Report) -> str:
    """The sentence that says what the decisions bought.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    str
        Resilience loss (hours) with and without the decisions, and the hours of full
        service and person-hours of service gained or lost, in three significant figures.
    """
    ours, theirs = report.exercise.metrics, report.counterfactual.metrics
    a, b = ours["resilience_loss_h"], theirs["resilience_loss_h"]
    people = theirs["unserved_person_h"] - ours["unserved_person_h"]
    head = f"resilience loss {significant(a)} h vs {significant(b)} h without the players' decisions"
    if abs(a - b) < 1e-9:
        return head + ": the decisions did not change the outcome"
    if a < b:
        return head + f": the decisions bought {significant(b - a)} h of full service ({significant(people)} person-hours of service)"
    return head + f": the run with the decisions lost {significant(a - b)} h more ({significant(-people)} person-hours)"


def shown(name: str, metrics: dict[str, float]) -> str:
    """A metric of a run with its unit, in the pages' one number format.

    Parameters
    ----------
    name : str
        The metric's name.
    metrics : dict[str, float]
        A run's metrics, in stored units.

    Returns
    -------
    str
        The formatted value, e.g. ``"12.3 h"``.
    """
    return metric_text(name, metrics.get(name))


def percent(fraction: float) -> str:
    """A service level (a fraction) as a percentage in the pages' one number format.

    Parameters
    ----------
    fraction : float
        Service, 0 to 1.

    Returns
    -------
    str
        E.g. ``"62.5%"``, ``"100%"``, ``"0%"``.

    Examples
    --------
    >>> percent(0.625), percent(1.0), percent(0.0), percent(0.99996)
    ('62.5%', '100%', '0%', '100%')
    """
    return f"{significant(float(fraction) * 100.0)}%"


def executive_summary(report: Report) -> list[str]:
    """The executive summary's paragraphs: what was played, what the decisions bought, ratings.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    list[str]
        Three paragraphs of plain text.
    """
    s, m, session = report.exercise, report.exercise.metrics, report.session
    without = report.counterfactual.metrics
    scenario = session.scenario
    decisions = decision_entries(report, PLAYER_VERBS)
    counts: dict[str, int] = {}
    for e in decisions:
        counts[e["verb"]] = counts.get(e["verb"], 0) + 1
    kinds = ", ".join(f"{n} {verb}" for verb, n in counts.items())
    injects = [e for e in s.events if e.kind == EventKind.INJECT]
    span = f"T+0:00 to {report.clock(report.stopped_tick)}"
    end = format_clock(scenario.clock.duration)
    played_on = "" if report.stopped_tick >= session.n_ticks else \
        f"; the run was continued to {end} with no further decisions, so both runs cover the same span"
    paragraphs = [
        f"{scenario.name} was played on {exercise_date(session).isoformat()} with seed {s.seed}, covering exercise "
        f"time {span} of the {end} scenario{played_on}. {len(injects)} injects were released; "
        f"{m['attacks_landed']} of {m['attacks_attempted']} attacks landed"
        f"{' (outcomes scripted: every attack lands as written)' if session.scripted_outcomes else ''} "
        f"and {m['nodes_down']} nodes went down "
        f"(cascade amplification {shown('cascade_amplification', m)}).",
        f"Players made {len(decisions)} decision{'' if len(decisions) == 1 else 's'}"
        f"{' (' + kinds + ')' if kinds else ''}. Compared with the same scenario and seed run without them: "
        f"{bought(report)}. Minimum service: {shown('min_service', m)} (without: "
        f"{shown('min_service', without)}); time to full recovery: "
        f"{shown('recovery_100_h', m)} (without: {shown('recovery_100_h', without)}).",
    ]
    ratings = session.latest_ratings()
    if ratings:
        tally = ", ".join(f"{sum(1 for r in ratings.values() if r.rating == k)} {k}" for k in RATINGS)
        strengths = [r.capability for r in ratings.values() if r.rating == "P"]
        weak = [r.capability for r in ratings.values() if r.rating in ("M", "U")]
        text = f"Evaluators rated {len(ratings)} core capabilities ({tally})."
        if strengths:
            text += f" Strengths: {'; '.join(strengths)}."
        if weak:
            text += f" Areas for improvement: {'; '.join(weak)}."
        paragraphs.append(text)
    else:
        paragraphs.append("No core capability was rated during the exercise.")
    return paragraphs


def capability_rows(report: Report) -> list[tuple[str, str, str, str, str]]:
    """(objective, capability, rating, meaning, notes), MSEL capabilities first.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    list of five str
        One row per capability in the MSEL or rated; ``not rated`` where none was given.
    """
    session = report.session
    ratings = session.latest_ratings()
    objectives: dict[str, list[str]] = {}
    for inject in session.scenario.injects:
        if inject.capability and inject.objective:
            objectives.setdefault(inject.capability, [])
            if inject.objective not in objectives[inject.capability]:
                objectives[inject.capability].append(inject.objective)
    names = list(dict.fromkeys([i.capability for i in session.scenario.injects if i.capability] + list(ratings)))
    rows = []
    for name in names:
        r: Rating | None = ratings.get(name)
        rows.append((", ".join(objectives.get(name, [])), name, r.rating if r else "not rated",
                     RATINGS[r.rating] if r else "", r.notes if r else ""))
    return rows


def _cause(report: Report, tick: int) -> str:
    """The root causes of the outages by ``tick``, from the engine's causal chain: the attacks
    their ``roots`` lead back to, most outages first (at most two named)."""
    net, cells = report.session.network, {a.id: a.name or a.id for a in report.session.scenario.attackers}
    traced: Counter = Counter()
    outages = 0
    for e in report.exercise.timeline():
        if e.tick > tick:
            break
        if e.kind == EventKind.NODE_DOWN:
            outages += 1
            traced.update({(r["tick"], r["attacker"], r["tactic"], r["node"]) for r in e.detail.get("roots", [])})
    if not traced:
        return "no outage traced back to an attack by then" if outages else "nothing had failed by then"
    named = [f"the {tactic.replace('_', ' ')} on {net.names[net.index[node]]} ({cells.get(attacker, attacker)}) at "
             f"{report.clock(at)} ({count} of them)"
             for (at, attacker, tactic, node), count in sorted(traced.items(), key=lambda kv: (-kv[1], kv[0]))[:2]]
    more = f" and {len(traced) - 2} more attack(s)" if len(traced) > 2 else ""
    return f"the {outages} outage(s) by then trace back to " + " and ".join(named) + more


def observations(report: Report) -> list[dict[str, Any]]:
    """Per rated core capability, its strengths and its areas for improvement, each area with
    its analysis (the state of the run when it was rated and the root cause the engine's
    causal chain gives) and its recommendation (the improvement plan's corrective action).

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    list of dict
        ``capability``, ``rating`` (letter), ``strengths`` (list of str) and
        ``improvements`` (list of (observation, analysis, recommendation)).
    """
    series, out = report.exercise.series, []
    actions = {item.capability: item.action for item in report.plan}
    for r in report.session.latest_ratings().values():
        strengths = [r.notes] if r.notes and r.rating in "PS" else []
        issue = r.improvement or (r.notes or f"Rated {r.rating} ({RATINGS[r.rating]})" if r.rating in "MU" else "")
        improvements = []
        if issue:
            row = min(r.tick, len(series["service"]) - 1)
            analysis = (f"When rated at {report.clock(r.tick)}, overall service was "
                        f"{percent(series['service'][row])}; {_cause(report, r.tick)}.")
            improvements.append((issue, analysis, actions.get(r.capability, "")))
        out.append({"capability": r.capability, "rating": r.rating, "strengths": strengths,
                    "improvements": improvements})
    return out


def decision_effects(report: Report) -> list[tuple[str, str, str, str]]:
    """The counterfactual of each decision: the same seed replayed without that one decision.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    list of (str, str, str, str)
        Per player decision: its time, its text, the resilience loss without it, and what it
        bought (hours of full service; negative: it cost them).
    """
    ours = report.exercise.metrics["resilience_loss_h"]
    rows = []
    for index, entry in enumerate(report.entries):
        if entry["verb"] not in PLAYER_VERBS:
            continue
        without = report.session.without(index).metrics["resilience_loss_h"]
        rows.append((entry["time"], decision_text(report, entry), f"{significant(without)} h",
                     f"{significant(without - ours, signed=True)} h"))
    return rows


def rejected_rows(report: Report) -> list[tuple[str, str, str, str]]:
    """The actions the exercise refused, in order: (time, seat, action as typed, reason).

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    list of (str, str, str, str)
        One row per refusal in the log; the seat by its display name (:func:`seat_name`),
        ``—`` when the exercise had none.
    """
    return [(r.get("time", report.clock(int(r["tick"]))), seat_name(report, r.get("seat")), r["action"], r["reason"])
            for r in report.session.rejections]


def outcomes_text(session: ExerciseSession) -> str:
    """How the attacks' outcomes were decided, for the overview.

    Parameters
    ----------
    session : ExerciseSession
        The replayed exercise.

    Returns
    -------
    str
        Scripted (and by what) or simulated.
    """
    if not session.scripted_outcomes:
        return "Simulated: each attack could be interdicted, fail or land, drawn from the run's seeded attack stream"
    by = "ripple exercise/serve --scripted-outcomes" if session.header.get("scripted_outcomes") else \
        "the scenario's policies.scripted_outcomes"
    return (f"Scripted ({by}): every attack landed as written, so the MSEL held; the interdiction and success "
            "draws were still made")


def sector_worst(report: Report) -> list[tuple[str, str, str]]:
    """Per sector, its worst service level and when, with the decisions and without.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    list of (str, str, str)
        Sector, ``min% at T+h:mm`` with the decisions, the same without.
    """
    def worst(series: dict[str, Any], sector: str) -> str:
        values = np.asarray(series[f"service_{sector}"])
        row = int(np.argmin(values))
        return f"{percent(values[row])} at {report.clock(row)}"

    return [(sector, worst(report.exercise.series, sector), worst(report.counterfactual.series, sector))
            for sector in report.exercise.sectors]


def overview_rows(report: Report) -> list[tuple[str, str]]:
    """The exercise overview as (field, value) rows: name, dates, type, scenario, clock, threats.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    list of (str, str)
        The HSEEP overview's fields, in order.
    """
    session, scenario = report.session, report.session.scenario
    header = session.header
    tactics = sorted({a.tactic for cell in scenario.attackers for a in cell.plan} |
                     {e["args"]["tactic"] for e in decision_entries(report, ("attack",))})
    capabilities = list(dict.fromkeys(r[1] for r in capability_rows(report)))
    walls = [e.get("wall", "") for e in report.entries if e.get("wall")]
    when = f"{short_wall(walls[0])} to {short_wall(walls[-1])}" if walls else short_wall(str(header.get("started", "")))
    return [
        ("Exercise name", scenario.name),
        ("Exercise dates", when),
        ("Type", "Discussion-based (tabletop) exercise with a simulation that reacts to the players' decisions"),
        ("Scenario", f"{scenario.id} ({Path(header.get('scenario', '')).name}, sha256 {str(header.get('sha256', ''))[:16]}…), "
                     f"seed {report.exercise.seed}"),
        ("Exercise clock", f"T+0 = {scenario.clock.start or 'not set'}; played {report.clock(0)} to "
                           f"{report.clock(report.stopped_tick)} of {format_clock(scenario.clock.duration)}"),
        ("Scope", report.scope or f"{scenario.name}: {format_clock(scenario.clock.duration)} of simulated time, "
                                  f"{len(session.network.ids)} nodes in {len(report.exercise.sectors)} sectors"),
        ("Mission areas", ", ".join(mission_areas(capabilities)) or "none listed"),
        ("Threat / hazard", ", ".join(t.replace("_", " ") for t in tactics) or "none scripted"),
        ("Attack outcomes", outcomes_text(session)),
        ("Scenario summary", scenario.description or scenario.name),
        ("Core capabilities", "; ".join(capabilities) or "none listed"),
        ("Sponsor", report.sponsor or "not given (ripple aar --sponsor)"),
        ("Participating organisations", "; ".join(report.participants) or "not recorded (ripple exercise --participants or ripple aar --participants)"),
        ("Point of contact", report.poc or "not given (ripple aar --poc)"),
    ]


# --------------------------------------------------------------------- figure
STACK_STEP = 2.0      # percent between markers stacked at one time


def stacked(xs: Sequence[float], y: float, near: float) -> list[float]:
    """Heights for markers at ``xs`` so that markers closer than ``near`` stack upwards.

    Parameters
    ----------
    xs : Sequence[float]
        Marker positions, ascending.
    y : float
        Height of an unstacked marker.
    near : float
        Markers closer than this (same unit as ``xs``) go one above the other.

    Returns
    -------
    list of float
        One height per marker, ``y`` plus :data:`STACK_STEP` per marker stacked below it.

    Examples
    --------
    >>> stacked([0.5, 0.6, 0.7, 5.0], 101.0, 0.5)
    [101.0, 103.0, 105.0, 101.0]
    """
    out: list[float] = []
    for i, x in enumerate(xs):
        below = 0
        while i - below - 1 >= 0 and x - xs[i - below - 1] < near * (below + 1):
            below += 1
        out.append(y + STACK_STEP * below)
    return out


def mark_decisions(fig: go.Figure, entries: Sequence[dict[str, Any]], tick_seconds: float, y: float = 101.0) -> None:
    """Decisions and controller actions as markers along the top of a service-curve figure.

    Parameters
    ----------
    fig : go.Figure
        A :func:`dashboards.figures.service_curves` figure (x in hours, y in percent);
        changed in place.
    entries : Sequence[dict]
        Exercise log entries (``verb``, ``tick``, ``time``, ``args``).
    tick_seconds : float
        Length of a tick, seconds.
    y : float
        Height of the markers, percent.
    """
    span = max((e["tick"] for e in entries), default=0) * tick_seconds / 3600.0
    for verbs, name, symbol in ((PLAYER_VERBS, "decision", "triangle-down"),
                                (CONTROLLER_VERBS, "controller action", "diamond")):
        chosen = [e for e in entries if e["verb"] in verbs]
        if not chosen:
            continue
        xs = [e["tick"] * tick_seconds / 3600.0 for e in chosen]
        fig.add_trace(go.Scatter(
            x=xs, y=stacked(xs, y, max(span, 1.0) / 80.0), mode="markers", name=name,
            meta=f"marks:{name}", marker=dict(symbol=symbol, size=11, color=BLACK if name == "decision" else "#888"),
            hovertext=[f"{e['time']}: {html.escape(entry_text(e))}" for e in chosen],
            hovertemplate="%{hovertext}<extra></extra>"))
        for e in chosen:
            fig.add_vline(x=e["tick"] * tick_seconds / 3600.0, line=dict(color="#999", width=1, dash="dot"))


def curves_figure(report: Report) -> go.Figure:
    """Service curves with the decisions, the counterfactual's overall curve and the decisions marked.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    go.Figure
        Service (percent) over time (hours); a red line where the players stopped, if early.
    """
    fig = service_curves(report.exercise.series, report.exercise.sectors,
                         title="Service level Q(t): with the players' decisions, and without (dashed)")
    cf = report.counterfactual.series
    fig.add_trace(go.Scatter(x=cf["time_h"], y=np.asarray(cf["service"]) * 100.0, mode="lines",
                             name="overall, without decisions", meta="counterfactual",
                             line=dict(color="#777", width=2.5, dash="dash"),
                             hovertemplate=f"without decisions: %{{y:{D3_SIGNIFICANT}}}%<extra></extra>"))
    mark_decisions(fig, report.entries, report.tick_seconds)
    if report.stopped_tick < report.session.n_ticks:
        x = report.stopped_tick * report.tick_seconds / 3600.0
        fig.add_vline(x=x, line=dict(color="#c00", width=1.5, dash="dash"),
                      annotation_text="exercise stopped", annotation_position="top left")
    top = max([104.0] + [max(t.y) + 3.0 for t in fig.data if str(t.meta).startswith("marks:")])
    fig.update_yaxes(range=[fig.layout.yaxis.range[0], top])
    fig.update_layout(height=460)
    return fig


# ----------------------------------------------------------------------- HTML
PLAN_HEADERS = ("core capability", "rating", "issue / area for improvement", "corrective action", "capability element",
                "responsible organisation", "point of contact", "start", "due")
DECISION_HEADERS = ("time", "decision", "resilience loss without it", "what it bought")
REJECTED_HEADERS = ("time", "seat", "action", "reason")
NO_REJECTIONS = "No action was refused."


def _observation_html(o: dict[str, Any]) -> str:
    strengths = "".join(f"<li>{html.escape(t)}</li>" for t in o["strengths"]) or "<li>none recorded</li>"
    areas = "".join(f"<li><b>Observation:</b> {html.escape(obs)} <b>Analysis:</b> {html.escape(why)} "
                    f"<b>Recommendation:</b> {html.escape(rec)}</li>" for obs, why, rec in o["improvements"])
    return (f'<div class="observation"><h3>{html.escape(o["capability"])}: {o["rating"]} '
            f'({html.escape(RATINGS[o["rating"]])})</h3><h4>Strengths</h4><ul>{strengths}</ul>'
            f'<h4>Areas for improvement</h4><ul>{areas or "<li>none recorded</li>"}</ul></div>')


def _table(headers: Sequence[str] | None, rows: Sequence[Sequence[str]], cls: str = "") -> str:
    head = "" if headers is None else \
        "<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in headers) + "</tr></thead>"
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}">{head}<tbody>{body}</tbody></table>'


def tlp_label(tlp: str) -> str:
    """The TLP marking as printed, e.g. ``TLP:AMBER``.

    Parameters
    ----------
    tlp : str
        A key of :data:`TLP`.

    Returns
    -------
    str
        ``TLP:`` and the label in capitals.
    """
    return f"TLP:{tlp.upper()}"


def to_html(report: Report) -> str:
    """The report as one self-contained HTML document (plotly.js inline, no network).

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    str
        The HTML document, with the TLP band on screen and in print.
    """
    scenario, tlp = report.session.scenario, report.tlp
    colour, meaning = TLP[tlp]
    label = tlp_label(tlp)
    band = f'<div class="tlp {{pos}}" role="note">{label} <span class="tlp-def">— {html.escape(meaning)}</span></div>'
    timeline_rows = [(report.clock(t), cat, text, wall) for t, cat, text, wall in timeline(report)]
    plan_rows = [(p.capability, p.rating, p.issue, p.action, p.element, p.organisation, p.poc, p.start, p.due)
                 for p in report.plan]
    data = clean({"tlp": label, "seed": report.exercise.seed, "stopped_tick": report.stopped_tick,
                  "exercise": report.exercise.metrics, "counterfactual": report.counterfactual.metrics,
                  "decisions": len(decision_entries(report, PLAYER_VERBS)), "rejected": len(report.session.rejections),
                  "scripted_outcomes": report.session.scripted_outcomes})
    objectives = "".join(f"<li>{html.escape(o)}</li>" for o in scenario.objectives) or "<li>none listed</li>"
    body = f"""
{band.format(pos="top")}
<header>
  <div class="sub">After-Action Report / Improvement Plan</div>
  <h1>{html.escape(scenario.name)}</h1>
  <div class="sub">{html.escape(exercise_date(report.session).isoformat())} · scenario {html.escape(scenario.id)} · seed {report.exercise.seed}</div>
</header>
<main>
<section id="overview"><h2>Exercise overview</h2>
{_table(None, overview_rows(report), "overview")}
<h3>Objectives</h3><ul class="objectives">{objectives}</ul>
{f'<h3>Scenario as scripted</h3><p class="scenario">{html.escape(scenario.description)}</p>' if scenario.description else ''}
<h3>What happened</h3><ul class="happened">{"".join(f"<li>{html.escape(t)}</li>" for t in what_happened(report)) or "<li>no attack was made</li>"}</ul>
</section>
<section id="summary"><h2>Executive summary</h2>
{"".join(f"<p>{html.escape(p)}</p>" for p in executive_summary(report))}
</section>
<section id="metrics"><h2>Headline metrics: with the decisions and without</h2>
<p class="sub">Without = the same scenario and seed run with no exercise input (<code>ripple run</code>).</p>
{_table(("metric", "with decisions", "without (counterfactual)", "difference"), metric_rows(report), "metrics")}
</section>
<section id="curves" class="panel">{page.figure_div(curves_figure(report), "service-curves")}</section>
<section id="timeline"><h2>Timeline</h2>
{_table(("time", "what", "", "wall time"), timeline_rows, "timeline")}
</section>
<section id="capabilities"><h2>Analysis of core capabilities</h2>
<p class="sub">P: {RATINGS['P']} · S: {RATINGS['S']} · M: {RATINGS['M']} · U: {RATINGS['U']}</p>
{_table(("objective", "core capability", "rating", "", "observations"), capability_rows(report), "capabilities")}
{"".join(_observation_html(o) for o in observations(report))}
</section>
<section id="decision-effects"><h2>Effect of each decision</h2>
<p class="sub">Each decision's counterfactual: the same scenario and seed replayed without that one decision.</p>
{_table(DECISION_HEADERS, decision_effects(report), "effects") if decision_entries(report, PLAYER_VERBS) else "<p>The players made no decision.</p>"}
</section>
<section id="rejected"><h2>Rejected actions</h2>
<p class="sub">Actions the exercise refused, as typed, with the reason the player was given; they changed nothing in the run.</p>
{_table(REJECTED_HEADERS, rejected_rows(report), "rejected") if report.session.rejections else f"<p>{NO_REJECTIONS}</p>"}
</section>
<section id="sector-worst"><h2>Worst service per sector</h2>
{_table(("sector", "with decisions", "without (counterfactual)"), sector_worst(report), "sectors")}
</section>
<section id="improvement-plan"><h2>Appendix A: Improvement plan</h2>
{_table(PLAN_HEADERS, plan_rows, "plan") if plan_rows else
 "<p>No capability was rated S, M or U; no corrective actions were raised.</p>"}
</section>
<section id="participants"><h2>Appendix B: Participants</h2>
{"<ul>" + "".join(f"<li>{html.escape(p)}</li>" for p in report.participants) + "</ul>" if report.participants else "<p>Not recorded.</p>"}
</section>
</main>
{band.format(pos="bottom")}
{page.json_script("aar-data", data)}
"""
    css = AAR_CSS.replace("TLPCOLOUR", colour).replace("TLPLABEL", label)
    return page.render(f"{label} After-action report: {scenario.name}", body, css)


AAR_CSS = """
body { padding: 34px 0; background: #fff; }
.tlp { position: fixed; left: 0; right: 0; z-index: 100; background: #000; color: TLPCOLOUR; text-align: center;
       font: bold 12pt "DejaVu Sans Mono", monospace; padding: 6px 10px; letter-spacing: 0.5px; }
.tlp.top { top: 0; } .tlp.bottom { bottom: 0; }
.tlp-def { font-weight: normal; font-size: 9pt; color: #ddd; font-family: "DejaVu Sans", sans-serif; }
header { border-bottom: 2px solid #222; }
main { max-width: 1200px; }
section { margin-bottom: 18px; }
h3 { font-size: 14px; margin: 12px 0 4px; }
ul.objectives { list-style: none; padding-left: 12px; }
:root { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
table { width: 100%; margin: 6px 0; }
td { vertical-align: top; text-align: left; }
th { text-align: left; }
table.metrics td:not(:first-child), table.metrics th:not(:first-child) { text-align: right; }
table.overview td:first-child { font-weight: bold; width: 180px; }
table.timeline td:first-child { white-space: nowrap; font-family: "DejaVu Sans Mono", monospace; }
table.timeline td:nth-child(2) { white-space: nowrap; color: #555; }
table.timeline td:last-child { white-space: nowrap; color: #777; font-size: 11px; }
table.plan td:nth-last-child(-n+2) { white-space: nowrap; }
table.rejected td:first-child { white-space: nowrap; font-family: "DejaVu Sans Mono", monospace; }
#curves { height: 480px; }
@page { margin: 14mm 12mm;
  @top-center { content: "TLPLABEL"; color: TLPCOLOUR; background: #000; font: bold 12pt monospace;
                padding: 2mm 6mm; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  @bottom-center { content: "TLPLABEL"; color: TLPCOLOUR; background: #000; font: bold 12pt monospace;
                   padding: 2mm 6mm; -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
#curves { max-width: 178mm; }   /* the width of an A4 page inside its margins: the chart prints whole */
@media print {
  .tlp { display: none; }
  body { padding: 0; }
  section { break-inside: auto; }
  tr { break-inside: avoid; }
  #curves { break-inside: avoid; }
}
"""


# ------------------------------------------------------------------- Markdown
def _md_text(value: Any) -> str:
    """Text from the log or the scenario, safe in Markdown: HTML in it is shown, not run
    (Markdown passes raw HTML through to the page)."""
    return html.escape(str(value), quote=False)


def _md_cell(value: Any) -> str:
    return _md_text(value).replace("|", "\\|").replace("\n", " ")


def _md_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(_md_cell(h) for h in headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def service_milestones(report: Report, every_h: float | None = None) -> list[tuple[str, str, str]]:
    """Overall service with and without the decisions at regular times (Markdown's curve).

    Parameters
    ----------
    report : Report
        The report.
    every_h : float, optional
        Hours between rows; default: a whole number of hours giving about 12 rows.

    Returns
    -------
    list of (str, str, str)
        Exercise clock, service with and without the decisions (percent).
    """
    t = np.asarray(report.exercise.series["time_h"])
    total = float(t[-1]) if len(t) else 0.0
    step = every_h or max(1.0, float(np.ceil(total / 12.0)))
    rows = []
    for h in np.arange(0.0, total + 1e-9, step):
        i = int(np.searchsorted(t, h - 1e-9))
        rows.append((format_clock(h * 3600.0), percent(report.exercise.series['service'][i]),
                     percent(report.counterfactual.series['service'][i])))
    return rows


def _observation_md(o: dict[str, Any]) -> list[str]:
    lines = [f"### {_md_text(o['capability'])}: {o['rating']} ({RATINGS[o['rating']]})", "", "Strengths:", ""]
    lines += [f"- {_md_text(t)}" for t in o["strengths"] or ["none recorded"]]
    lines += ["", "Areas for improvement:", ""]
    lines += [f"- **Observation:** {_md_text(obs)} **Analysis:** {_md_text(why)} **Recommendation:** {_md_text(rec)}"
              for obs, why, rec in o["improvements"]] or ["- none recorded"]
    return [*lines, ""]


def to_markdown(report: Report) -> str:
    """The report as Markdown: the same sections as the HTML, the curve as a table.

    Parameters
    ----------
    report : Report
        The report.

    Returns
    -------
    str
        The Markdown text, with the TLP marking at the top and bottom.
    """
    scenario = report.session.scenario
    label = tlp_label(report.tlp)
    meaning = TLP[report.tlp][1]
    parts = [
        f"**{label}** — {meaning}", "",
        f"# After-Action Report / Improvement Plan: {_md_text(scenario.name)}", "",
        "## Exercise overview", "", _md_table(("field", "value"), overview_rows(report)), "",
        "### Objectives", "", *(f"- {_md_text(o)}" for o in scenario.objectives or ["none listed"]), "",
        *(("### Scenario as scripted", "", _md_text(scenario.description), "") if scenario.description else ()),
        "### What happened", "", *(f"- {_md_text(t)}" for t in what_happened(report) or ["no attack was made"]), "",
        "## Executive summary", "", *(_md_text(p) + "\n" for p in executive_summary(report)),
        "## Headline metrics: with the decisions and without", "",
        "Without = the same scenario and seed run with no exercise input (`ripple run`).", "",
        _md_table(("metric", "with decisions", "without (counterfactual)", "difference"), metric_rows(report)), "",
        "## Service level, overall", "",
        _md_table(("time", "with decisions", "without"), service_milestones(report)), "",
        "## Timeline", "",
        _md_table(("time", "what", "", "wall time"), [(report.clock(t), c, x, w) for t, c, x, w in timeline(report)]), "",
        "## Analysis of core capabilities", "",
        _md_table(("objective", "core capability", "rating", "", "observations"), capability_rows(report)), "",
        *(line for o in observations(report) for line in _observation_md(o)),
        "## Effect of each decision", "",
        "Each decision's counterfactual: the same scenario and seed replayed without that one decision.", "",
        _md_table(DECISION_HEADERS, decision_effects(report)) if decision_entries(report, PLAYER_VERBS)
        else "The players made no decision.", "",
        "## Rejected actions", "",
        "Actions the exercise refused, as typed, with the reason the player was given; they changed nothing in the run.",
        "",
        _md_table(REJECTED_HEADERS, rejected_rows(report)) if report.session.rejections else NO_REJECTIONS, "",
        "## Worst service per sector", "",
        _md_table(("sector", "with decisions", "without (counterfactual)"), sector_worst(report)), "",
        "## Appendix A: Improvement plan", "",
        _md_table(PLAN_HEADERS, [(p.capability, p.rating, p.issue, p.action, p.element, p.organisation, p.poc, p.start,
                                  p.due) for p in report.plan])
        if report.plan else "No capability was rated S, M or U; no corrective actions were raised.", "",
        "## Appendix B: Participants", "", *(f"- {_md_text(p)}" for p in report.participants or ["Not recorded."]), "",
        f"**{label}**", "",
    ]
    return "\n".join(parts)


def write_report(report: Report, path: str | Path, markdown: bool = False) -> Path:
    """Write the report as HTML, or as Markdown.

    Parameters
    ----------
    report : Report
        The report.
    path : str or Path
        The file to write (its folder is created).
    markdown : bool
        Write Markdown instead of HTML.

    Returns
    -------
    Path
        ``path``.
    """
    return page.write(path, to_markdown(report) if markdown else to_html(report))
