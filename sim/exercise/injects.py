"""MSEL injects that follow the simulation: ``when:`` conditions and their ``otherwise:``.

An exercise plays its scenario on :class:`ExerciseModel`, a :class:`~sim.model.RippleModel`
that judges each MSEL inject's ``when`` condition as the inject falls due (at the start of its
tick, on the run as it stands before that tick's attacks). When the condition holds the inject
is released as written; when it does not, its ``otherwise`` alternative is released instead
(detail ``branch: otherwise``), or nothing. An inject with ``until`` is watched every tick from
``at`` to ``until`` and released the first tick its condition holds (an automatic utility
report when a backup runs short); its alternative only when the window closes. A plain ``ripple run`` releases the MSEL as
written, so runs do not change. No condition draws a random number.
"""

from __future__ import annotations

from typing import Any

from agents.events import EventKind
from sim.agenda import Due, Entry
from sim.exercise.foresight import backup_left
from sim.model import RippleModel
from sim.scenario.schema import Inject, InjectCondition

__all__ = ["ExerciseModel", "condition_holds", "released_as"]


def _attack_ended(model: RippleModel, when: InjectCondition) -> bool:
    """True when the cell's attack (on ``when.node``, if given) has ended in ``when.outcome``."""
    return any(e.kind == EventKind.ATTACK and e.detail.get("attacker") == when.attack
               and (when.node is None or e.node == when.node) and e.detail.get("outcome") == when.outcome
               for e in model.events)


def condition_holds(model: RippleModel, when: InjectCondition) -> bool:
    """Whether an inject's ``when`` condition holds on the run as it stands.

    Parameters
    ----------
    model : RippleModel
        The run under play.
    when : InjectCondition
        The condition.

    Returns
    -------
    bool
        True when the condition holds now.
    """
    net = model.network
    if when.attack is not None:
        return _attack_ended(model, when)
    if when.node_down is not None:
        return bool(model.state.down[net.index[when.node_down]] != 0)
    if when.node_restored is not None:
        node = net.index[when.node_restored]
        return bool(model.recorder.ever_down[node] and model.state.down[node] == 0)
    if when.service_below is not None:
        level = model.recorder.current_sector_service(when.sector)
        return level is not None and level < when.service_below
    left = backup_left(model)
    if when.sector is not None:
        left = left[net.sector == net.sector_names.index(when.sector)]
    return bool((left < when.backup_hours_below * 3600.0).any())


def released_as(inject: Inject, branch: str | None) -> Inject:
    """The MSEL line as it was released: the inject itself, or its ``otherwise`` alternative.

    Parameters
    ----------
    inject : Inject
        The MSEL line.
    branch : str or None
        The event's ``branch`` detail (``otherwise``, or None).

    Returns
    -------
    Inject
        For the alternative, the inject with the alternative's sender, recipient, method,
        message and expected action.
    """
    if branch != "otherwise" or inject.otherwise is None:
        return inject
    alt = inject.otherwise
    return inject.model_copy(update={"sender": alt.sender, "to": alt.to, "method": alt.method,
                                     "message": alt.message, "expected_action": alt.expected_action})


class ExerciseModel(RippleModel):
    """The model an exercise plays (built as :class:`~sim.model.RippleModel`): MSEL injects
    follow their ``when`` conditions; one with ``until`` is watched every tick of its window.

    Attributes
    ----------
    watching : set of int
        The numbers of the injects whose condition is being watched, past their ``at``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.watching: set[int] = set()

    def _release_injects(self, due: list[Entry]) -> None:
        """Release the injects due: as written when their condition holds, else (once a watched
        inject's window has closed) the alternative."""
        for entry in due:
            if entry.kind != Due.INJECT:
                continue
            inject: Inject = entry.payload
            if inject.when is None or condition_holds(self, inject.when):
                self.watching.discard(inject.number)
                self.log(EventKind.INJECT, number=inject.number, sender=inject.sender, to=inject.to,
                         message=inject.message)
            elif inject.until is not None and self.tick < self.tick_of(inject.until):
                self.watching.add(inject.number)
                self.agenda.schedule(self.tick + 1, Due.INJECT, inject)
            else:
                self.watching.discard(inject.number)
                if (alt := inject.otherwise) is not None:
                    self.log(EventKind.INJECT, number=inject.number, sender=alt.sender, to=alt.to,
                             message=alt.message, branch="otherwise")
