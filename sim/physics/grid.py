"""One sector's network as a DC power-flow model: buses, branches, injections, ratings.

Read from the network's columns (:class:`sim.scenario.netdata.NetworkTables`): the nodes of
the sector are buses, its links (normally-open ties too, not conducting) are branches. The
attributes read are those ``ripple import pandapower`` writes
(:mod:`sim.scenario.importers.ppelectric`), and any network may carry them:

- links: ``x_pu`` (series reactance, per unit on 100 MVA, times the tap ratio; a link of
  kind ``switch`` without one has none: its ends are one bus), ``phase_shift_degree``,
  ``rating_mva`` (none: the branch never trips);
- nodes: ``p_load_mw``, ``p_gen_mw``, ``p_max_mw``, ``slack``, ``slack_va_degree`` and
  ``priority`` (a load's rank when its island sheds: higher is shed last).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.scenario.netdata import NetworkTables
from sim.scenario.schema import PHYSICS_LINK_FIELDS, PHYSICS_NODE_FIELDS

__all__ = ["Grid", "GridError"]

_X, _SHIFT, _RATING = PHYSICS_LINK_FIELDS
_LOAD, _GEN, _MAX, _SLACK, _ANGLE, _PRIORITY = PHYSICS_NODE_FIELDS


class GridError(ValueError):
    """The network lacks what a DC power flow needs (a reactance on a branch)."""


@dataclass
class Grid:
    """The DC power-flow model of one sector.

    Attributes
    ----------
    sector : int
        The sector's code.
    bus_node : numpy.ndarray
        int64 node row of each bus.
    line_a, line_b : numpy.ndarray
        int64 bus index (into ``bus_node``) of each branch's ends.
    line_id : list of str
        The link id of each branch (``a-b`` node ids when the link has none).
    line_row : numpy.ndarray
        int64 row of each branch in the network's link columns.
    x_pu : numpy.ndarray
        Series reactance per unit on 100 MVA (negative with series compensation); 0 for a
        zero-impedance switch.
    shift_rad : numpy.ndarray
        Phase shift, radians.
    rating_mva : numpy.ndarray
        Rating, MVA; inf where none is given.
    closed : numpy.ndarray
        bool: the branch conducts as built (not a normally-open tie).
    load_mw, gen_mw, max_mw : numpy.ndarray
        Load, generation at set point, and the most a bus can give (inf: an unlimited
        slack), MW per bus.
    slack : numpy.ndarray
        bool per bus: holds its island's voltage angle.
    slack_angle : numpy.ndarray
        Voltage angle of a slack bus, radians.
    priority : numpy.ndarray
        Rank of each bus's load when its island sheds (higher: shed last); 0 by default.
    """

    sector: int
    bus_node: np.ndarray
    line_a: np.ndarray
    line_b: np.ndarray
    line_id: list[str]
    line_row: np.ndarray
    x_pu: np.ndarray
    shift_rad: np.ndarray
    rating_mva: np.ndarray
    closed: np.ndarray
    load_mw: np.ndarray
    gen_mw: np.ndarray
    max_mw: np.ndarray
    slack: np.ndarray
    slack_angle: np.ndarray
    priority: np.ndarray | None = None

    def __post_init__(self) -> None:
        """No priorities given: every load ranks alike."""
        if self.priority is None:
            self.priority = np.zeros(len(self.bus_node))

    @property
    def n_bus(self) -> int:
        """Number of buses."""
        return len(self.bus_node)

    @property
    def n_line(self) -> int:
        """Number of branches."""
        return len(self.line_a)

    @classmethod
    def from_tables(cls, t: NetworkTables, sector: int) -> "Grid":
        """The DC model of one sector of a network.

        Parameters
        ----------
        t : NetworkTables
            The network's columns.
        sector : int
            The sector's code.

        Returns
        -------
        Grid

        Raises
        ------
        GridError
            When a branch that is not a switch has no nonzero ``x_pu`` (series
            compensation may make it negative).
        """
        sector_of = np.asarray(t.sector)
        bus_node = np.flatnonzero(sector_of == sector)
        bus_of = np.full(len(sector_of), -1, np.int64)
        bus_of[bus_node] = np.arange(len(bus_node))
        rows = np.flatnonzero((sector_of[t.link_a] == sector) & (sector_of[t.link_b] == sector))
        x = np.zeros(len(rows))
        shift = np.zeros(len(rows))
        rating = np.full(len(rows), np.inf)
        ids = []
        for k, row in enumerate(rows.tolist()):
            attrs = (t.link_attrs[row] if t.link_attrs is not None else None) or {}
            link_id = t.link_id[row] or f"{t.ids[t.link_a[row]]}-{t.ids[t.link_b[row]]}"
            ids.append(link_id)
            value = attrs.get(_X)
            if value is None or value == 0:
                if t.link_kind[row] != "switch" or value is not None:
                    raise GridError(f"link {link_id} has no reactance x_pu (nonzero), which `physics: dc` needs "
                                    "(ripple import pandapower writes it; a switch without one joins its ends)")
            else:
                x[k] = float(value)
            shift[k] = np.deg2rad(float(attrs.get(_SHIFT, 0.0)))
            if attrs.get(_RATING) is not None:
                rating[k] = float(attrs[_RATING])
        n = len(bus_node)
        load, gen, top = np.zeros(n), np.zeros(n), np.full(n, np.nan)
        slack, angle, priority = np.zeros(n, bool), np.zeros(n), np.zeros(n)
        for k, node in enumerate(bus_node.tolist()):
            attrs = (t.node_attrs[node] if t.node_attrs is not None else None) or {}
            load[k] = float(attrs.get(_LOAD, 0.0))
            gen[k] = float(attrs.get(_GEN, 0.0))
            slack[k] = bool(attrs.get(_SLACK, False))
            angle[k] = np.deg2rad(float(attrs.get(_ANGLE, 0.0)))
            priority[k] = float(attrs.get(_PRIORITY, 0.0))
            if attrs.get(_MAX) is not None:
                top[k] = float(attrs[_MAX])
        top = np.where(np.isnan(top), np.where(slack, np.inf, gen), top)
        return cls(sector, bus_node, bus_of[t.link_a[rows]], bus_of[t.link_b[rows]], ids, rows, x, shift, rating,
                   ~np.asarray(t.link_open)[rows], load, gen, top, slack, angle, priority)
