"""What evaluators rate: the HSEEP ratings, the core capabilities and the improvement-plan
fields of a rating.

HSEEP (FEMA, *Homeland Security Exercise and Evaluation Program*, 2020) rates each core
capability P / S / M / U; a low rating seeds a corrective action in the improvement plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sim.exercise.errors import ExerciseError
from sim.scenario.schema import Scenario

__all__ = ["CORE_CAPABILITIES", "DUE_DAYS", "ELEMENTS", "MISSION_AREAS", "RATINGS", "Rating", "capabilities",
           "mission_areas", "resolve_capability", "resolve_element", "check_due"]

RATINGS = {
    "P": "Performed without Challenges",
    "S": "Performed with Some Challenges",
    "M": "Performed with Major Challenges",
    "U": "Unable to be Performed",
}
# the capability elements of an improvement plan (HSEEP: planning, organisation, equipment,
# training, exercises)
ELEMENTS = ("Planning", "Organization", "Equipment", "Training", "Exercises")
# default due dates of corrective actions seeded from a rating, days after the exercise
DUE_DAYS = {"U": 30, "M": 90, "S": 180}

# the 32 core capabilities of the National Preparedness Goal (FEMA, 2nd ed., 2015)
CORE_CAPABILITIES = (
    "Planning", "Public Information and Warning", "Operational Coordination",
    "Forensics and Attribution", "Intelligence and Information Sharing", "Interdiction and Disruption",
    "Screening, Search, and Detection", "Access Control and Identity Verification", "Cybersecurity",
    "Physical Protective Measures", "Risk Management for Protection Programs and Activities",
    "Supply Chain Integrity and Security", "Community Resilience", "Long-term Vulnerability Reduction",
    "Risk and Disaster Resilience Assessment", "Threats and Hazards Identification",
    "Infrastructure Systems", "Critical Transportation", "Environmental Response/Health and Safety",
    "Fatality Management Services", "Fire Management and Suppression",
    "Logistics and Supply Chain Management", "Mass Care Services", "Mass Search and Rescue Operations",
    "On-scene Security, Protection, and Law Enforcement", "Operational Communications",
    "Public Health, Healthcare, and Emergency Medical Services", "Situational Assessment",
    "Economic Recovery", "Health and Social Services", "Housing", "Natural and Cultural Resources",
)


@dataclass
class Rating:
    """One capability rating with its improvement-plan fields.

    ``element``, ``organisation``, ``action``, ``due``, ``improvement`` (an area for
    improvement beside the notes of a P or S rating) and ``poc`` (the point of contact) are
    empty unless the evaluator gave them; ``tick`` is the exercise tick of the rating,
    ``wall`` its ISO wall time.
    """

    capability: str
    rating: str
    notes: str
    element: str
    organisation: str
    action: str
    due: str
    tick: int
    wall: str
    improvement: str = ""
    poc: str = ""


def capabilities(scenario: Scenario) -> list[str]:
    """The capabilities to rate: the MSEL's first (in inject order), then the other core ones.

    Parameters
    ----------
    scenario : Scenario
        The exercise's scenario; its ``injects`` name capabilities.

    Returns
    -------
    list of str
        Capability names, numbered from 1 by the front ends.
    """
    seen: list[str] = []
    for inject in scenario.injects:
        if inject.capability and inject.capability not in seen:
            seen.append(inject.capability)
    return seen + [c for c in CORE_CAPABILITIES if c not in seen]


def resolve_capability(scenario: Scenario, text: str) -> str:
    """A capability from its number in :func:`capabilities`, its name, or a unique prefix or part.

    Parameters
    ----------
    scenario : Scenario
        The exercise's scenario.
    text : str
        What the evaluator typed.

    Returns
    -------
    str
        The capability's name; :class:`ExerciseError` if none or several match.
    """
    names = capabilities(scenario)
    text = str(text).strip()
    if text.isdigit() and 1 <= int(text) <= len(names):
        return names[int(text) - 1]
    exact = [n for n in names if n.lower() == text.lower()]
    if exact:
        return exact[0]
    partial = [n for n in names if n.lower().startswith(text.lower())] or \
              [n for n in names if text.lower() in n.lower()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        raise ExerciseError(f"'{text}' matches several capabilities: {'; '.join(partial)}")
    raise ExerciseError(f"no core capability '{text}' (`capabilities` lists them with numbers)")


def resolve_element(text: str) -> str:
    """The capability element ``text`` starts (case-insensitive), or '' for ''.

    Parameters
    ----------
    text : str
        A prefix of one of :data:`ELEMENTS`.

    Returns
    -------
    str
        The element's name; :class:`ExerciseError` unless exactly one matches.
    """
    if not text:
        return ""
    match = [e for e in ELEMENTS if e.lower().startswith(text.lower())]
    if len(match) != 1:
        raise ExerciseError(f"capability element '{text}' is not one of {', '.join(ELEMENTS)}")
    return match[0]


def check_due(text: str, wall: str = "") -> str:
    """``text`` unchanged if it is '' or an ISO date not before the rating's day;
    :class:`ExerciseError` otherwise.

    Parameters
    ----------
    text : str
        A due date, ``YYYY-MM-DD``.
    wall : str
        The rating's ISO wall time ('' : no earliest day).

    Returns
    -------
    str
        The same text.
    """
    if text:
        try:
            due = date.fromisoformat(text)
        except ValueError:
            raise ExerciseError(f"due date '{text}' is not a date (YYYY-MM-DD)") from None
        try:
            day = datetime.fromisoformat(wall).date() if wall else None
        except ValueError:
            day = None
        if day is not None and due < day:
            raise ExerciseError(f"due date {text} is before the exercise ({day.isoformat()}); a corrective action "
                                "is due after it")
    return text


# The mission areas each core capability serves (FEMA, National Preparedness Goal, 2nd ed., 2015).
_ALL_AREAS = ("Prevention", "Protection", "Mitigation", "Response", "Recovery")
MISSION_AREAS: dict[str, tuple[str, ...]] = {
    **{c: _ALL_AREAS for c in CORE_CAPABILITIES[:3]},
    "Forensics and Attribution": ("Prevention",),
    "Intelligence and Information Sharing": ("Prevention", "Protection"),
    "Interdiction and Disruption": ("Prevention", "Protection"),
    "Screening, Search, and Detection": ("Prevention", "Protection"),
    **{c: ("Protection",) for c in CORE_CAPABILITIES[7:12]},
    **{c: ("Mitigation",) for c in CORE_CAPABILITIES[12:16]},
    "Infrastructure Systems": ("Response", "Recovery"),
    **{c: ("Response",) for c in CORE_CAPABILITIES[17:28]},
    **{c: ("Recovery",) for c in CORE_CAPABILITIES[28:]},
}


def mission_areas(names: list[str]) -> list[str]:
    """The mission areas the named core capabilities serve, in the Goal's order.

    Parameters
    ----------
    names : list of str
        Core capability names.

    Returns
    -------
    list of str
        Each mission area at most once.
    """
    served = {area for name in names for area in MISSION_AREAS.get(name, ())}
    return [a for a in _ALL_AREAS if a in served]
