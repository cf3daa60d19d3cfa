"""What evaluators rate: the HSEEP ratings, the core capabilities and the improvement-plan
fields of a rating.

HSEEP (FEMA, *Homeland Security Exercise and Evaluation Program*, 2020) rates each core
capability P / S / M / U; a low rating seeds a corrective action in the improvement plan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sim.exercise.errors import ExerciseError
from sim.scenario.schema import Scenario

__all__ = ["CORE_CAPABILITIES", "DUE_DAYS", "ELEMENTS", "RATINGS", "Rating", "capabilities", "resolve_capability",
           "resolve_element", "check_due"]

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

    ``element``, ``organisation``, ``action`` and ``due`` are empty unless the evaluator gave
    them; ``tick`` is the exercise tick of the rating, ``wall`` its ISO wall time.
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


def check_due(text: str) -> str:
    """``text`` unchanged if it is '' or an ISO date; :class:`ExerciseError` otherwise.

    Parameters
    ----------
    text : str
        A due date, ``YYYY-MM-DD``.

    Returns
    -------
    str
        The same text.
    """
    if text:
        try:
            date.fromisoformat(text)
        except ValueError:
            raise ExerciseError(f"due date '{text}' is not a date (YYYY-MM-DD)") from None
    return text
