"""What a DC power flow needs of a pandapower network, per branch and per bus.

pandapower builds its own branch model (per-unit reactances with transformer taps and phase
shifts, ``net._ppc``); the reactances are taken from there, so that ripple's DC flow
(:mod:`sim.physics.dcflow`) solves the very network pandapower's ``rundcpp`` solves:

- per branch: ``x_pu``, the series reactance in per unit on a 100 MVA base times the tap
  ratio (a DC flow's branch susceptance is ``1 / (x · τ)``, Zimmerman et al., MATPOWER
  manual, sec. 3.7), ``phase_shift_degree`` where nonzero, and ``rating_mva``: √3 ·
  ``max_i_ka`` · ``vn_kv`` · ``parallel`` for lines, ``sn_mva`` · ``parallel`` for
  transformers (left out where the net gives none, NaN or 0: the branch is unrated and
  never trips). A three-winding transformer is a star of three branches in pandapower; its
  three winding-pair links carry the delta that is equivalent in a DC flow (Kron reduction
  of the star point: ``b_ij = b_i b_j / (b_h + b_m + b_l)``);
- per bus: ``p_load_mw`` (loads, storage and shunts, each times its ``scaling`` or step),
  ``p_gen_mw`` (generators and static generators at their set points, scaled),
  ``p_max_mw`` on buses with a generator or external grid (the most the bus can give:
  ``max_p_mw``, or the set point where none is given, plus its static generators; absent
  when an external grid there has no limit), ``slack`` (an external
  grid or a generator marked ``slack``) and ``slack_va_degree``.
"""

from __future__ import annotations

import math
import warnings
from collections import defaultdict
from typing import Any

import numpy as np

__all__ = ["BASE_MVA", "branch_electrics", "bus_electrics"]

BASE_MVA = 100.0     # per-unit base of the reactances written, MVA
_X, _RATIO, _SHIFT = 3, 8, 9    # columns of pandapower's internal branch table (MATPOWER's BR_X, TAP, SHIFT)


def branch_electrics(net: Any) -> dict[str, dict[str, float]] | None:
    """The DC-flow attributes of every branch, by the link id the importer gives it.

    Parameters
    ----------
    net : pandapower.auxiliary.pandapowerNet
        The network; its DC power flow is run here to build pandapower's branch table.

    Returns
    -------
    dict or None
        ``{"line3": {"x_pu": …, "rating_mva": …}, "trafo3w0_hv_mv": {…}, …}``; None when
        pandapower cannot build the network's power flow (no slack, for one).
    """
    import pandapower

    try:
        with warnings.catch_warnings():   # pandapower's deprecation notes about older files
            warnings.simplefilter("ignore")
            pandapower.rundcpp(net)
    except Exception:   # pandapower raises many kinds for a network it cannot solve
        return None
    branch, lookup = net._ppc["branch"], net._pd2ppc_lookups["branch"]
    base = float(net._ppc["baseMVA"])
    x = branch[:, _X].real * BASE_MVA / base
    ratio = branch[:, _RATIO].real
    x_eff = x * np.where(ratio == 0, 1.0, ratio)
    shift = branch[:, _SHIFT].real
    out: dict[str, dict[str, float]] = {}
    vn = net.bus.vn_kv
    for table in ("line", "trafo", "impedance"):
        if table not in lookup:
            continue
        start, _ = lookup[table]
        frame = net[table]
        for row, index in enumerate(frame.index.tolist()):
            at = start + row
            attrs = {"x_pu": float(x_eff[at])}
            if shift[at]:
                attrs["phase_shift_degree"] = float(shift[at])
            rating = math.nan
            if table == "line":
                line = frame.loc[index]
                rating = math.sqrt(3) * float(line.max_i_ka) * float(vn[line.from_bus]) * float(line.parallel)
            elif table == "trafo":
                rating = float(frame.at[index, "sn_mva"]) * float(frame.at[index, "parallel"])
            if math.isfinite(rating) and rating > 0:        # none given (NaN, 0): the branch is unrated
                attrs["rating_mva"] = rating
            out[f"{table}{index}"] = attrs
    if "trafo3w" in lookup:
        start, _ = lookup["trafo3w"]
        n = len(net.trafo3w)
        for row, (index, t) in enumerate(zip(net.trafo3w.index.tolist(), net.trafo3w.to_dict("records"))):
            b = {side: 1.0 / x_eff[start + k * n + row] for k, side in enumerate(("hv", "mv", "lv"))}
            total = sum(b.values())
            for one, other in (("hv", "mv"), ("hv", "lv"), ("mv", "lv")):
                rating = float(min(t[f"sn_{one}_mva"], t[f"sn_{other}_mva"]))
                out[f"trafo3w{index}_{one}_{other}"] = {"x_pu": float(total / (b[one] * b[other]))} | (
                    {"rating_mva": rating} if math.isfinite(rating) and rating > 0 else {})
    return out


def _scaled(net: Any, table: str, column: str = "p_mw") -> dict[int, float]:
    """Sum per bus of ``column`` times ``scaling`` over the in-service elements of ``table``."""
    out: dict[int, float] = defaultdict(float)
    if table not in net or not len(net[table]):
        return out
    frame = net[table][net[table].in_service.astype(bool)]
    scale = frame.scaling if "scaling" in frame else 1.0
    for bus, value in (frame[column] * scale).groupby(frame.bus).sum().items():
        out[int(bus)] += float(value)
    return out


def bus_electrics(net: Any) -> dict[int, dict[str, Any]]:
    """The DC-flow attributes of every bus with load, generation or a slack, by bus index.

    Parameters
    ----------
    net : pandapower.auxiliary.pandapowerNet
        The network.

    Returns
    -------
    dict
        ``{bus: {"p_load_mw": …, "p_gen_mw": …, "p_max_mw": …, "slack": True, …}}``.
    """
    load = _scaled(net, "load")
    for bus, value in _scaled(net, "storage").items():
        load[bus] += value
    if "shunt" in net and len(net.shunt):
        shunt = net.shunt[net.shunt.in_service.astype(bool)]
        vn = shunt.vn_kv.fillna(net.bus.vn_kv.loc[shunt.bus].set_axis(shunt.index))
        p = shunt.p_mw * shunt.step * (net.bus.vn_kv.loc[shunt.bus].to_numpy() / vn) ** 2
        for bus, value in p.groupby(shunt.bus).sum().items():
            load[int(bus)] += float(value)
    gen = _scaled(net, "sgen")
    capacity: dict[int, float] = defaultdict(float)
    slack: dict[int, float] = {}
    if "gen" in net and len(net.gen):
        on = net.gen[net.gen.in_service.astype(bool)]
        for row in on.to_dict("records"):
            bus, p = int(row["bus"]), float(row["p_mw"]) * float(row.get("scaling", 1.0))
            gen[bus] += p
            top = row.get("max_p_mw")
            capacity[bus] += p if top is None or math.isnan(top) else float(top)
            if row.get("slack"):
                slack.setdefault(bus, float(row.get("va_degree", 0.0) or 0.0))
    if "ext_grid" in net and len(net.ext_grid):
        for row in net.ext_grid[net.ext_grid.in_service.astype(bool)].to_dict("records"):
            bus = int(row["bus"])
            slack[bus] = float(row.get("va_degree", 0.0))
            top = row.get("max_p_mw")
            capacity[bus] += math.inf if top is None or math.isnan(top) else float(top)
    out: dict[int, dict[str, Any]] = defaultdict(dict)
    for bus, value in load.items():
        if value:
            out[bus]["p_load_mw"] = value
    for bus, value in gen.items():
        if value:
            out[bus]["p_gen_mw"] = value
    for bus, value in capacity.items():
        value += sum(v for b, v in _scaled(net, "sgen").items() if b == bus)
        if math.isfinite(value):
            out[bus]["p_max_mw"] = value
    for bus, angle in slack.items():
        out[bus]["slack"] = True
        if angle:
            out[bus]["slack_va_degree"] = angle
    return dict(out)
