"""Why nodes fail: each kernel run's new failures tied to what caused them, and the attacks
the chains lead back to.

The engine side of issue 14. While a run goes, :class:`Attribution` keeps, per kernel run
that changed nodes, only numpy arrays: for each node that went down (or changed reasons) the
failed dependency groups and their down suppliers (UNSUPPLIED), the down nodes on the
boundary of its cut-off piece (ISOLATED), and the record of the attack, spread or outage
behind its own-cause bits. :meth:`Attribution.resolve` turns them into the ``cause`` and
``roots`` of every change row, in order, only when a result's events or files are asked
for: a batch, which reads metrics and series only, never pays for the text.

``cause`` of a node going down, by its reasons (docs/files.md, ``events.jsonl``):

- DAMAGED / SHUT / COMPROMISED: ``{"reason", "attack": {attacker, action, tactic, node, tick}}``;
  ``{"reason": "COMPROMISED", "spread_from": id}`` for an intrusion's spread;
  ``{"reason": "DAMAGED", "outage": true}`` for damage by losing supply (the roots are then the
  node's own, from the outage);
- UNSUPPLIED: ``{"reason", "resource", "suppliers": [down suppliers], "buffer_ran_out"}``, or,
  when several dependency groups failed, ``{"reason", "dependencies": [{resource, suppliers,
  buffer_ran_out}, ...]}``;
- UNSUPPLIED by a ``physics: dc`` grid (a bus whose island has no generation, or whose
  island sheds all of its load): ``{"reason", "resource": "power", "grid": sector, "lines":
  [tripped or attacked branches around its island], "cut_by": [buses out of service next to
  it], "served": share of its load served}``;
- ISOLATED: ``{"reason", "sector", "cut_by": [down nodes next to its cut-off piece]}``;
- OVERLOADED: ``{"reason", "sector"}`` (Motter-Lai load spreads over the whole sector).

A node down for several reasons has the first (in bit order, own causes first) as its
``cause`` and the others under ``also``. ``roots`` is the union of the roots of what caused
it (a direct hit is its own root): the least fixpoint of ``roots(n) = own(n) ∪ ⋃ roots(c)``
over its causes ``c``, which a cycle of dependencies cannot inflate. At most
:data:`MAX_ROOTS` are kept per node, the earliest attacks first.

Branches of ``physics: dc`` grids have roots too (:meth:`Attribution.line_down`,
:meth:`Attribution.line_tripped`): an attacked branch its attack; a tripped one the roots of
the branches whose trips overloaded it, or, in a cascade's first round, of the buses and
branches whose loss started it. A bus its grid cannot supply takes the roots of the
branches and buses around its island.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.cascade import components
from sim.kernel.layout import rows_of
from sim.network import ISOLATED, OVERLOADED, OWN_CAUSES, RESOURCES, UNSUPPLIED, Network
from sim.physics.cut import GridCut

__all__ = ["MAX_ROOTS", "Attribution"]

MAX_ROOTS = 32            # roots kept per node, earliest attacks first
_NO_PAIRS = (np.zeros(0, np.int64), np.zeros(0, np.int64))


@dataclass
class _Own:
    """What set a node's own-cause bits: an attack (``attack`` ≥ 0), the record of the
    compromise an intrusion spread from (``via``), or a node whose roots it takes as they
    stand (``source``: the node itself, for outage damage); ``prior`` is the record it adds
    to while its bits were set."""

    cause: dict[str, Any]
    attack: int = -1
    source: int = -1
    via: int = -1
    prior: int = -1
    batch: int = 0                        # resolved before this batch (kernel run) is
    roots: tuple[int, ...] = ()


@dataclass
class _Line:
    """What took a branch out: an attack (``attack`` ≥ 0), or the branch records and nodes
    (with their own record then, -1: none) whose loss overloaded it."""

    attack: int = -1
    lines: tuple[int, ...] = ()
    nodes: tuple[tuple[int, int], ...] = ()
    batch: int = 0
    roots: tuple[int, ...] = ()


@dataclass
class _Batch:
    """One kernel run's changes, as arrays aligned with the recorder's change rows."""

    nodes: np.ndarray                     # the changed nodes, in change-row order
    down: np.ndarray                      # their new bitmask
    failing: np.ndarray                   # bool: went down or changed reasons
    own: np.ndarray                       # per row, the node's own record id (-1: none)
    groups: np.ndarray                    # (row, group): failed, spent groups of UNSUPPLIED rows
    suppliers: np.ndarray                 # (group entry, supplier): their down suppliers
    cut_by: tuple[np.ndarray, np.ndarray] = field(default_factory=lambda: _NO_PAIRS)   # (row, node)
    grid: dict[int, tuple[Any, ...]] = field(default_factory=dict)   # row → why its grid cannot supply it


class Attribution:
    """Causes of failures and their root attacks, for one run over ``network``.

    Parameters
    ----------
    network : Network
        The network the run starts on (its dependency groups never change).
    """

    def __init__(self, network: Network):
        net = network
        self.attacks: list[dict[str, Any]] = []      # root records, in the order they landed
        self.records: list[_Own] = []
        self.own_of = np.full(net.n, -1, np.int64)   # node → its own record (-1: own bits clear)
        self.batches: list[_Batch] = []
        by_node = np.argsort(net.dep_node, kind="stable")
        self.group_ptr = np.zeros(net.n + 1, np.int64)
        np.cumsum(np.bincount(net.dep_node, minlength=net.n), out=self.group_ptr[1:])
        self.group_of = by_node
        self.current: int = -1                       # the attack landing now (its root id)
        self.lines: list[_Line] = []                 # branch records, in the order taken out
        self.line_of: dict[int, int] = {}            # branch → its latest record
        self.line_names: list[str] = []              # branch id by index (set by the physics)

    # ------------------------------------------------------------ while running
    def attack(self, attacker: str, action: int, tactic: str, node: str, tick: int, line: str | None = None) -> None:
        """Note the attack whose effects come next (a root); :meth:`landed` ends it.

        Parameters
        ----------
        attacker : str
            The cell's id.
        action : int
            The action's index in the cell's plan.
        tactic : str
            The tactic's name.
        node : str
            The target's id.
        tick : int
            The tick it landed.
        line : str, optional
            The branch attacked (``physics: dc``; ``node`` is then its ``a`` end).
        """
        self.attacks.append({"attacker": attacker, "action": action, "tactic": tactic, "node": node, "tick": tick,
                             **({"line": line} if line is not None else {})})
        self.current = len(self.attacks) - 1

    def landed(self) -> None:
        """The current attack's effects are done."""
        self.current = -1

    def own(self, node: int, reason: str, source: int = -1, via: int = -1, **detail: Any) -> None:
        """Record what set a node's own-cause bits: the current attack, else ``via`` or ``source``.

        Parameters
        ----------
        node : int
            The node's index.
        reason : str
            ``DAMAGED``, ``SHUT`` or ``COMPROMISED``.
        source : int
            Without a current attack, the node whose roots this one takes as they stand
            (the node itself, for outage damage).
        via : int
            Without a current attack, the compromised node an intrusion spread from: this
            one takes the roots of its compromise.
        **detail
            Further fields of the cause (``spread_from``, ``outage``).
        """
        cause: dict[str, Any] = {"reason": reason, **detail}
        if self.current >= 0:
            cause["attack"] = self.attacks[self.current]
        attacked = self.current >= 0
        self.records.append(_Own(cause, self.current, -1 if attacked else source,
                                 -1 if attacked or via < 0 else int(self.own_of[via]),
                                 int(self.own_of[node]), len(self.batches)))
        self.own_of[node] = len(self.records) - 1

    def line_down(self, line: int) -> None:
        """Record that the current attack took a branch out.

        Parameters
        ----------
        line : int
            The branch's index over the run's grids.
        """
        self.lines.append(_Line(attack=self.current, batch=len(self.batches)))
        self.line_of[line] = len(self.lines) - 1

    def line_tripped(self, line: int, lines: list[int], nodes: list[int]) -> None:
        """Record that a branch tripped, overloaded by the loss of other branches or buses.

        Parameters
        ----------
        line : int
            The branch's index over the run's grids.
        lines : list of int
            The branches (same indices) whose loss overloaded it.
        nodes : list of int
            The buses (node indices) whose loss started the cascade.
        """
        self.lines.append(_Line(lines=tuple(self.line_of[j] for j in lines if j in self.line_of),
                                nodes=tuple((n, int(self.own_of[n])) for n in nodes), batch=len(self.batches)))
        self.line_of[line] = len(self.lines) - 1

    def explain(self, net: Network, changed: np.ndarray, before: np.ndarray, down: np.ndarray,
                own: np.ndarray, group_failed: np.ndarray, buffer_left: np.ndarray,
                grid: dict[int, GridCut] | None = None) -> None:
        """Keep what caused the changes of one kernel run (arrays only; see :meth:`resolve`).

        Parameters
        ----------
        net : Network
            The network as the kernel ran on it (ties closed so far).
        changed : numpy.ndarray of int
            The nodes whose state changed, in change-row order.
        before : numpy.ndarray of uint8
            Their bitmask before the run.
        down : numpy.ndarray of uint8, shape (net.n,)
            Every node's bitmask after it.
        own : numpy.ndarray of uint8, shape (net.n,)
            The own-cause bits it ran on.
        group_failed : numpy.ndarray of bool, shape (net.n_groups,)
            Groups with too few working suppliers.
        buffer_left : numpy.ndarray of float, shape (net.n_groups,)
            Buffer left per group as the kernel saw it (a failed group without any makes its
            node UNSUPPLIED).
        grid : dict, optional
            Node → :class:`GridCut`, for the buses ``physics: dc`` grids cannot supply.
        """
        self.own_of[changed[own[changed] == 0]] = -1
        now = down[changed]
        failing = (now != 0) & (now != before)
        rows = np.flatnonzero(failing & ((now & UNSUPPLIED) > 0))
        groups = np.zeros((0, 2), np.int64)
        suppliers = np.zeros((0, 2), np.int64)
        if len(rows):
            pos, owner = rows_of(self.group_ptr, changed[rows])
            g = self.group_of[pos]
            spent = group_failed[g] & (buffer_left[g] <= 0)
            groups = np.column_stack([rows[owner[spent]], g[spent]])
            spos, sowner = rows_of(net.supply.indptr, groups[:, 1])
            who = net.supply.indices[spos]
            gone = down[who] != 0
            suppliers = np.column_stack([sowner[gone], who[gone]])
        batch = _Batch(changed, now, failing, self.own_of[changed].copy(), groups, suppliers)
        if grid:
            rows_of_node = {node: row for row, node in enumerate(changed.tolist())}
            batch.grid = {rows_of_node[node]: ((cut.sector, tuple(self.line_of.get(j, -1) for j in cut.lines),
                                                 cut.lines, cut.nodes, cut.served))
                          for node, cut in grid.items() if node in rows_of_node and failing[rows_of_node[node]]}
        cut = np.flatnonzero(failing & ((now & ISOLATED) > 0))
        if len(cut):
            batch.cut_by = _boundary(net, down, changed, cut)
        self.batches.append(batch)

    # ------------------------------------------------------------ afterwards
    def resolve(self, n_batches: int, ids: list[str], sector_names: list[str], sector: np.ndarray,
                dep_resource: np.ndarray, dep_buffer: np.ndarray) -> tuple[list[Any], list[Any]]:
        """The ``cause`` and ``roots`` of every change row of the first ``n_batches`` runs.

        Parameters
        ----------
        n_batches : int
            How many kernel runs to resolve (a result taken mid-run stops there).
        ids : list of str
            Node id per index.
        sector_names : list of str
            Sector names by code.
        sector : numpy.ndarray of int
            Sector code per node.
        dep_resource : numpy.ndarray of int
            Resource (index into ``RESOURCES``) per dependency group.
        dep_buffer : numpy.ndarray of float
            Full buffer per group, s.

        Returns
        -------
        causes : list of dict or None
            Per change row, the cause of a node going down or changing reasons; None for a
            node coming back or only changing backup.
        roots : list of list of dict or None
            Per change row, the attacks its chain leads back to.
        """
        roots: dict[int, tuple[int, ...]] = {}      # node → roots of its current outage
        down = np.zeros(len(ids), np.uint8)
        causes_out: list[Any] = []
        roots_out: list[Any] = []
        resolved = lines = 0
        for k, batch in enumerate(self.batches[:n_batches]):
            while resolved < len(self.records) and self.records[resolved].batch <= k:
                self._resolve_own(self.records[resolved], roots)
                resolved += 1
            while lines < len(self.lines) and self.lines[lines].batch <= k:
                self._resolve_line(self.lines[lines], roots)
                lines += 1
            nodes, now = batch.nodes.tolist(), batch.down.tolist()
            for node, bits in zip(nodes, now):
                down[node] = bits
                if not bits:
                    roots.pop(node, None)
            failing = np.flatnonzero(batch.failing).tolist()
            parts: dict[int, list[dict[str, Any]]] = {row: [] for row in failing}
            deps: dict[int, set[int]] = {row: set() for row in failing}
            base: dict[int, set[int]] = {row: set() for row in failing}
            for row in failing:
                record = int(batch.own[row])
                if record >= 0 and now[row] & OWN_CAUSES:
                    parts[row].append(self.records[record].cause)
                    base[row].update(self.records[record].roots)
            self._isolated(batch, parts, deps, ids, sector_names, sector)
            self._grid(batch, parts, deps, base, ids)
            self._unsupplied(batch, parts, deps, ids, dep_resource, dep_buffer)
            for row in failing:
                if now[row] & OVERLOADED:
                    code = sector[nodes[row]]
                    parts[row].append({"reason": "OVERLOADED", "sector": sector_names[code]})
                    peers = np.flatnonzero((sector == code) & (down != 0) & ((down & OVERLOADED) == 0))
                    deps[row].update(peers.tolist())
            found = _fixpoint(failing, nodes, base, deps, roots)
            row_cause: dict[int, Any] = {}
            for row in failing:
                roots[nodes[row]] = found[row]
                first, *rest = parts[row] or [{"reason": "UNKNOWN"}]
                row_cause[row] = {**first, "also": rest} if rest else first
            causes_out.extend(row_cause.get(row) for row in range(len(nodes)))
            roots_out.extend([self.attacks[i] for i in found[row]] if row in row_cause else None
                             for row in range(len(nodes)))
        return causes_out, roots_out

    def _resolve_own(self, record: _Own, roots: dict[int, tuple[int, ...]]) -> None:
        """Fix an own record's roots: its attack, or its source's roots as they stand now."""
        mine = {record.attack} if record.attack >= 0 else set(roots.get(record.source, ()))
        if record.via >= 0:
            mine.update(self.records[record.via].roots)
        if record.prior >= 0:
            mine.update(self.records[record.prior].roots)
        record.roots = tuple(sorted(mine)[:MAX_ROOTS])

    def _resolve_line(self, record: _Line, roots: dict[int, tuple[int, ...]]) -> None:
        """Fix a branch record's roots: its attack, or those of what overloaded it."""
        mine = {record.attack} if record.attack >= 0 else set()
        for other in record.lines:
            mine.update(self.lines[other].roots)
        for node, own in record.nodes:
            mine.update(self.records[own].roots if own >= 0 else roots.get(node, ()))
        record.roots = tuple(sorted(mine)[:MAX_ROOTS])

    def _grid(self, batch: _Batch, parts: dict[int, list[dict[str, Any]]], deps: dict[int, set[int]],
              base: dict[int, set[int]], ids: list[str]) -> None:
        """Add the UNSUPPLIED parts of buses a ``physics: dc`` grid cannot supply: the
        branches and buses around their island, whose roots they take."""
        for row, (sector_name, records, lines, nodes, served) in batch.grid.items():
            parts[row].append({"reason": "UNSUPPLIED", "resource": "power", "grid": sector_name,
                               "lines": [self.line_names[j] for j in lines], "cut_by": [ids[n] for n in nodes],
                               "served": round(served, 6)})
            deps[row].update(nodes)
            for record in records:
                if record >= 0:
                    base[row].update(self.lines[record].roots)

    @staticmethod
    def _isolated(batch: _Batch, parts: dict[int, list[dict[str, Any]]], deps: dict[int, set[int]],
                  ids: list[str], sector_names: list[str], sector: np.ndarray) -> None:
        """Add the ISOLATED parts: the sector and the down nodes that cut the piece off."""
        rows, cut = batch.cut_by
        cut_by: dict[int, list[int]] = {}
        for row, node in zip(rows.tolist(), cut.tolist()):
            cut_by.setdefault(row, []).append(node)
        for row in np.flatnonzero(batch.failing & ((batch.down & ISOLATED) > 0)).tolist():
            nodes = cut_by.get(row, [])
            parts[row].append({"reason": "ISOLATED", "sector": sector_names[sector[batch.nodes[row]]],
                               "cut_by": [ids[n] for n in nodes]})
            deps[row].update(nodes)

    def _unsupplied(self, batch: _Batch, parts: dict[int, list[dict[str, Any]]], deps: dict[int, set[int]],
                    ids: list[str], dep_resource: np.ndarray, dep_buffer: np.ndarray) -> None:
        """Add the UNSUPPLIED parts: per failed group, its resource and down suppliers."""
        down_of: dict[int, list[int]] = {}
        for entry, node in batch.suppliers.tolist():
            down_of.setdefault(entry, []).append(node)
        per_row: dict[int, list[dict[str, Any]]] = {}
        for entry, (row, group) in enumerate(batch.groups.tolist()):
            who = down_of.get(entry, [])
            per_row.setdefault(row, []).append({"resource": RESOURCES[dep_resource[group]],
                                                "suppliers": [ids[n] for n in who],
                                                "buffer_ran_out": bool(dep_buffer[group] > 0)})
            deps[row].update(who)
        for row, found in per_row.items():
            parts[row].append({"reason": "UNSUPPLIED", **found[0]} if len(found) == 1
                              else {"reason": "UNSUPPLIED", "dependencies": found})


def _boundary(net: Network, down: np.ndarray, changed: np.ndarray, cut: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, node) pairs: for each row in ``cut``, the down nodes not ISOLATED themselves that
    border its piece, the connected set of ISOLATED nodes it lies in."""
    isolated = (down & ISOLATED) > 0
    _, labels = components(net, isolated)
    rows, cols = net.link_rows, net.link_cols
    edge = isolated[rows] & (down[cols] != 0) & ~isolated[cols]
    piece, node = labels[rows[edge]], cols[edge].astype(np.int64)
    order = np.lexsort((node, piece))
    piece, node = piece[order], node[order]
    keep = np.ones(len(piece), bool)
    keep[1:] = (piece[1:] != piece[:-1]) | (node[1:] != node[:-1])
    piece, node = piece[keep], node[keep]
    wanted = labels[changed[cut]]
    start, stop = np.searchsorted(piece, wanted, "left"), np.searchsorted(piece, wanted, "right")
    count = stop - start
    owner = np.repeat(np.arange(len(cut)), count)
    pos = np.arange(len(owner)) + (start - np.cumsum(count) + count)[owner]
    return cut[owner], node[pos]


def _fixpoint(failing: list[int], nodes: list[int], base: dict[int, set[int]], deps: dict[int, set[int]],
              roots: dict[int, tuple[int, ...]]) -> dict[int, tuple[int, ...]]:
    """The least fixpoint of ``roots(row) = base(row) ∪ ⋃ roots(cause)`` over one run's
    failing rows, the roots of nodes not failing in it read from ``roots``."""
    row_of = {nodes[row]: row for row in failing}
    found = {row: set(base[row]) for row in failing}
    for row in failing:                         # causes outside this run: their roots stand
        for node in deps[row]:
            if node not in row_of:
                found[row].update(roots.get(node, ()))
    inner = {row: [row_of[n] for n in deps[row] if n in row_of] for row in failing}
    changed = True
    while changed:
        changed = False
        for row in failing:
            size = len(found[row])
            for other in inner[row]:
                found[row] |= found[other]
            changed |= len(found[row]) != size
    return {row: tuple(sorted(found[row])[:MAX_ROOTS]) for row in failing}

