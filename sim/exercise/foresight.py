"""Foresight for the players: backup time left, and when each sector's backups run out.

The forecast runs the cascade kernel forward from the run as it stands with no further action
(nothing repaired, no unit moving), tick by tick as the model's own cascade and drain phases
do (:func:`sim.cascade.cascade`, :func:`sim.cascade.drain_buffers`) on copies of the buffers,
rerunning the kernel only when a buffer runs out. A node on backup now that the kernel puts down at a later tick has run out of backup then; the
run shows the same tick unless someone restores the supply first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.cascade import cascade, drain_buffers
from sim.model import RippleModel
from sim.scenario.schema import RESOURCES

__all__ = ["SectorForecast", "backup_left", "forecast"]


@dataclass(frozen=True)
class SectorForecast:
    """When a sector's first node now on backup goes down if nothing is done.

    Attributes
    ----------
    sector : str
        The sector.
    tick : int
        The tick at which the first of its nodes on backup goes down.
    nodes : list of str
        The ids of its nodes on backup that run out within the run, soonest first.
    ticks : list of int
        The tick each of ``nodes`` goes down.
    resources : list of str
        What the nodes on backup are missing (e.g. ``power``): its return would save them.
    """

    sector: str
    tick: int
    nodes: list[str]
    ticks: list[int]
    resources: list[str]


def backup_left(model: RippleModel) -> np.ndarray:
    """Per node, the backup time left (s) while it runs on backup; ``inf`` for the others.

    Parameters
    ----------
    model : RippleModel
        The run.

    Returns
    -------
    numpy.ndarray of float
        The smallest buffer left among the node's failed dependency groups still carrying it.
    """
    net, left = model.network, model.state.buffer_left
    out = np.full(net.n, np.inf)
    spending = model.outcome.group_failed & (left > 0)
    np.minimum.at(out, net.dep_node[spending], left[spending])
    out[~model.state.backup] = np.inf
    return out


def _runs_out(model: RippleModel) -> np.ndarray:
    """Per node, the tick at which the forecast puts it down (-1: not within the run)."""
    net, tick_s = model.network, model.tick_seconds
    left, own = model.state.buffer_left.copy(), model.own
    down_at = np.full(net.n, -1, np.int64)
    was_down, outcome, dirty = model.state.down != 0, model.outcome, model.dirty
    for tick in range(model.tick, model.n_ticks + 1):
        if dirty:                                   # the step's cascade phase
            outcome = cascade(net, own, left)
            down_at[(outcome.down != 0) & ~was_down & (down_at < 0)] = tick
            was_down = outcome.down != 0
        if not (outcome.group_failed & (left > 0)).any():
            break                                   # nothing left to run out
        dirty = drain_buffers(net, left, outcome.group_failed, tick_s)      # the step's drain
    return down_at


def forecast(model: RippleModel) -> list[SectorForecast]:
    """Per sector with nodes on backup, when the first of them runs out if nothing is done.

    Parameters
    ----------
    model : RippleModel
        The run as it stands (before the tick ``model.tick`` runs).

    Returns
    -------
    list of SectorForecast
        Soonest first; a sector whose backups outlast the run is left out.
    """
    net = model.network
    on_backup = np.flatnonzero(model.state.backup)
    if not len(on_backup):
        return []
    down_at = _runs_out(model)
    missing = model.outcome.group_failed & (model.state.buffer_left > 0)
    out = []
    for code in sorted(set(net.sector[on_backup].tolist())):
        nodes = [int(i) for i in on_backup if net.sector[i] == code and down_at[i] >= 0]
        if not nodes:
            continue
        nodes.sort(key=lambda i: (down_at[i], i))
        groups = missing & np.isin(net.dep_node, nodes)
        resources = [RESOURCES[r] for r in sorted(set(net.dep_resource[groups].tolist()))]
        out.append(SectorForecast(net.sector_names[code], int(down_at[nodes[0]]), [net.ids[i] for i in nodes],
                                  [int(down_at[i]) for i in nodes], resources))
    return sorted(out, key=lambda f: (f.tick, f.sector))
