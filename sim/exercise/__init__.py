"""Tabletop exercises: one run driven by a facilitator, and the exercise log.

A discussion-based exercise in the manner of HSEEP (FEMA, *Homeland Security Exercise and
Evaluation Program*, 2020): the Master Scenario Events List (the scenario's ``injects:``)
is released on the exercise clock, players decide, evaluators rate each core capability
P / S / M / U, and the after-action report compares the run with the same scenario and seed
played without decisions.

Every verb — clock steps too — is one log entry with its exercise time (tick, ``T+h:mm``)
and wall time (:mod:`sim.exercise.log`). The verbs are one table (:mod:`sim.exercise.verbs`);
their handlers live by job (:mod:`~sim.exercise.clock`, :mod:`~sim.exercise.decisions`,
:mod:`~sim.exercise.controller`, :mod:`~sim.exercise.evaluation`); the session
(:mod:`sim.exercise.session`) coordinates them with the read models (:mod:`sim.exercise.views`).
"""

from sim.exercise.errors import ExerciseError
from sim.exercise.log import LOG_KIND, LOG_VERSION, read_log
from sim.exercise.ratings import CORE_CAPABILITIES, DUE_DAYS, ELEMENTS, RATINGS, Rating
from sim.exercise.session import ExerciseSession
from sim.exercise.verbs import CATEGORIES, CLOCK, CONTROLLER, NOTE, PLAYER, QUERY, RATING, VERBS, Argument, Verb, verb_names
from sim.exercise.views import UnitView

__all__ = ["ExerciseSession", "ExerciseError", "read_log", "LOG_KIND", "LOG_VERSION", "RATINGS",
           "ELEMENTS", "DUE_DAYS", "CORE_CAPABILITIES", "Rating", "VERBS", "Verb", "Argument", "verb_names",
           "CATEGORIES", "CLOCK", "PLAYER", "CONTROLLER", "NOTE", "RATING", "QUERY", "UnitView"]
