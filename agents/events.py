"""The kinds of entry in a run's event log (``events.jsonl``).

Agents and the model log events by kind; every reader (the replay timeline, the exercise
console, the after-action report) renders them through one table in :mod:`sim.events`.
The values are the strings written to ``events.jsonl``, so they must not change.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["EventKind"]


class EventKind(StrEnum):
    """What an event records; the value is its ``kind`` in ``events.jsonl``."""

    ATTACK = "attack"                            # an attack attempt and its outcome
    HIT = "hit"                                  # a node damaged or shut by a landed attack
    OUTAGE_DAMAGE = "outage_damage"              # a fragile node damaged by losing its supply
    COMPROMISE = "compromise"                    # a control system taken over (cyber)
    SPREAD = "spread"                            # an intrusion spreading along a control dependency
    NODE_DOWN = "node_down"                      # a node stops serving (with the reasons)
    NODE_REASONS = "node_reasons"                # a down node's reasons change
    NODE_UP = "node_up"                          # a node serves again
    DISPATCH = "dispatch"                        # a unit sent to a task
    ARRIVAL = "arrival"                          # a unit arrives at its task
    TASK_DONE = "task_done"                      # a task finished; its units are free
    TIE_CLOSED = "tie_closed"                    # a normally-open tie closed: it conducts from now on
    LINE_TRIP = "line_trip"                      # a branch tripped by overload (physics: dc), with its cause
    LINE_RECLOSED = "line_reclosed"              # a tripped branch closed again by a switch task
    LINE_DOWN = "line_down"                      # a branch taken out by an attack (physics: dc), with its cause
    LINE_REPAIRED = "line_repaired"              # an attacked branch repaired: it conducts again
    LOAD_SHED = "load_shed"                      # an island short of generation sheds load (physics: dc)
    OUT_OF_SERVICE = "out_of_service"            # units struck at a scene
    BACK_IN_SERVICE = "back_in_service"          # a struck unit is available again
    MUTUAL_AID = "mutual_aid"                    # a mutual-aid team requested
    MUTUAL_AID_ARRIVED = "mutual_aid_arrived"    # a mutual-aid team arrives
    INJECT = "inject"                            # a message to the players (MSEL line, attack report, ad hoc)
    DECISION = "decision"                        # a player's or controller's decision in an exercise
    NOTE = "note"                                # a remark recorded in an exercise
    RATING = "rating"                            # a core capability rated in an exercise
