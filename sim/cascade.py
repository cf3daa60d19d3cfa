"""The cascade kernel: from the agents' own-cause bits to every node's state, vectorised.

One call propagates loss to a fixpoint within a tick. Each round:

1. **connectivity** inside each sector network (links): in a sector with sources a working
   node is ISOLATED unless a path of working nodes joins it to a working source; in a sector
   without sources only the largest connected component of working nodes functions (ties go
   to the component holding the lowest node index) — the rule of Buldyrev et al.,
   "Catastrophic cascade of failures in interdependent networks", Nature 464 (2010).
2. **dependencies** (Rinaldi, Peerenboom & Kelly, IEEE Control Systems 21(6), 2001): a
   group with fewer than ``need`` working suppliers fails, and once its buffer is spent its
   node is UNSUPPLIED.

Failures within a tick are sticky, as in Buldyrev's iteration, so the rounds shrink the
working set monotonically and stop when a round removes nothing. Nothing here loops over
nodes in Python.

How it stays fast (the result is exactly that of recomputing everything every round; the
naive Mesa reference in benchmarks/naive.py checks it). The parts live in ``sim/kernel/``:

- The kernel works on its own copy of the structure, in a cache-friendly order
  (:mod:`sim.kernel.layout`), built once per network.
- The first round counts working suppliers with one sparse product; later rounds subtract
  only the suppliers just lost. Connectivity is re-checked only as far as the nodes just
  lost require: not at all in sectors where none of them can cut a path
  (:func:`sim.kernel.local.may_cut`).
- Up to ``LOCAL_ABOVE`` linked nodes, connectivity is one breadth-first search a round over
  just those sectors (:mod:`sim.kernel.search`). Above, the first round labels components
  with ``connected_components`` (:mod:`sim.kernel.passes`), and later rounds re-check the
  neighbourhood of the loss (:mod:`sim.kernel.local`), else make a full pass over just the
  sectors that lost nodes, or over all: there a search would cross most of the network
  every round.
"""

from __future__ import annotations

from collections.abc import Callable
from threading import Lock
from weakref import WeakKeyDictionary

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from sim.kernel.layout import Layout, Outcome, layout, rows_of
from sim.kernel.local import Scratch, cut_local, harmless
from sim.kernel.passes import cut_full, cut_sectors
from sim.kernel.search import Reach
from sim.load import LoadMemo, overloaded
from sim.network import ISOLATED, OVERLOADED, OWN_CAUSES, UNSUPPLIED, Network

LOCAL_ABOVE = 60_000   # linked nodes above which later rounds re-check connectivity locally,
LOCAL_LOSS = 1 / 400   # ... when they lost at most this share of linked nodes

__all__ = ["LOCAL_ABOVE", "LOCAL_LOSS", "Outcome", "cascade", "components", "drain_buffers", "isolated", "layout",
           "refilling"]

_LOAD_MEMOS: WeakKeyDictionary[Layout, LoadMemo] = WeakKeyDictionary()   # per laid-out network
_LOAD_MEMOS_LOCK = Lock()


def _load_memo(lay: Layout) -> LoadMemo:
    """The loads remembered for a laid-out network (they go with it)."""
    with _LOAD_MEMOS_LOCK:
        memo = _LOAD_MEMOS.get(lay)
        if memo is None:
            memo = _LOAD_MEMOS[lay] = LoadMemo(len(lay.order))
        return memo


def cascade(net: Network, down: np.ndarray, buffer_left: np.ndarray, unsupplied: np.ndarray | None = None) -> Outcome:
    r"""Propagate the own-cause bits in ``down`` to a fixpoint; return every node's state.

    Parameters
    ----------
    net : Network
        The network.
    down : numpy.ndarray of uint8, shape (net.n,)
        Down-reason bitmask per node; only the own-cause bits (``OWN_CAUSES``: DAMAGED,
        SHUT, COMPROMISED) are read, derived bits are recomputed.
    buffer_left : numpy.ndarray of float, shape (net.n_groups,)
        Buffer left per dependency group (s); a failed group with buffer > 0 still
        rides on backup. The caller drains and refills buffers between ticks
        (:func:`drain_buffers`).
    unsupplied : numpy.ndarray of bool, shape (net.n,), optional
        Nodes UNSUPPLIED from outside the kernel: the buses a ``physics: dc`` grid cannot
        supply (:mod:`sim.physics.phase`); they start down and their loss propagates.

    Returns
    -------
    Outcome
        ``down``: the full bitmask per node (own causes plus ISOLATED, UNSUPPLIED and,
        with the load model on, OVERLOADED); ``group_failed``: bool per group, fewer than
        ``need`` suppliers work; ``backup``: bool per node, working only on a buffer;
        ``rounds``: propagation rounds to the fixpoint (>= 1). Its arrays are the
        caller's to change.

    Notes
    -----
    Each round applies, until a round removes nothing:

    1. connectivity per sector (Buldyrev et al. [1]_): with the sources rule a working node
       is ISOLATED unless a path of working nodes joins it to a working source; with the
       giant-component rule only the largest component of working nodes works (ties: the
       component holding the lowest node index);
    2. dependencies (Rinaldi, Peerenboom & Kelly [2]_): a group fails when

       .. math:: \sum_{j \in \mathrm{suppliers}(g)} \mathrm{working}_j < \mathrm{need}_g

       and its node is UNSUPPLIED once the group's buffer is spent.

    Failures within a call are sticky, so the working set shrinks monotonically. With
    ``net.capacity`` set, working nodes whose load exceeds their capacity
    (:func:`sim.load.overloaded`, Motter & Lai [3]_) are then OVERLOADED and propagation
    resumes from them.

    The answer depends only on the own causes and on which buffers are left, so the last
    few answers per network are remembered (as many as fit in
    :data:`sim.kernel.layout.MEMO_BYTES`, 1 to 32): what-if evaluations repeat many questions.

    References
    ----------
    .. [1] S. V. Buldyrev, R. Parshani, G. Paul, H. E. Stanley and S. Havlin, "Catastrophic
       cascade of failures in interdependent networks", Nature 464, 1025-1028 (2010).
    .. [2] S. M. Rinaldi, J. P. Peerenboom and T. K. Kelly, "Identifying, understanding, and
       analyzing critical infrastructure interdependencies", IEEE Control Systems Magazine
       21(6), 11-25 (2001).
    .. [3] A. E. Motter and Y.-C. Lai, "Cascade-based attacks on complex networks",
       Phys. Rev. E 66, 065102 (2002).

    Examples
    --------
    A power line 0-1-2 fed at node 0, and a water node 3 that needs node 2:

    >>> from sim.network import DAMAGED
    >>> net = Network.from_arrays(
    ...     sector=np.array([0, 0, 0, 1]), sector_names=["power", "water"], rules=["sources", "none"],
    ...     links=np.array([[0, 1], [1, 2]]), dep_node=np.array([3]), dep_need=np.array([1.0]),
    ...     dep_buffer=np.array([0]), supplier_group=np.array([0]), supplier_node=np.array([2]),
    ...     source=np.array([True, False, False, False]))
    >>> out = cascade(net, np.array([0, DAMAGED, 0, 0], np.uint8), net.dep_buffer.copy())
    >>> out.down.tolist(), out.group_failed.tolist()    # node 2 ISOLATED (8), node 3 UNSUPPLIED (16)
    ([0, 1, 8, 16], [True])
    """
    lay = layout(net)
    own = (np.asarray(down) & OWN_CAUSES).astype(np.uint8)
    spare = np.asarray(buffer_left) > 0
    key = own.tobytes() + np.packbits(spare).tobytes()
    if unsupplied is not None:
        key += b"u" + np.packbits(unsupplied).tobytes()
    with lay.lock:
        known = lay.memo.get(key)
        if known is not None:
            lay.memo.move_to_end(key)
    if known is None:
        overload = None
        if net.capacity is not None:  # Motter-Lai load redistribution, in original node order
            memo = _load_memo(lay)

            def overload(working: np.ndarray) -> np.ndarray:
                return overloaded(net, working[lay.rank], net.capacity, memo)[lay.order]
        known = _propagate(lay, own, spare, overload, unsupplied)
        with lay.lock:
            lay.memo[key] = known
            while len(lay.memo) > lay.memo_size:
                lay.memo.popitem(last=False)
    return Outcome(known.down.copy(), known.group_failed.copy(), known.backup.copy(), known.rounds)


def _propagate(lay: Layout, own_bits: np.ndarray, spare_buffer: np.ndarray,
               overload: Callable[[np.ndarray], np.ndarray] | None = None,
               forced: np.ndarray | None = None) -> Outcome:
    """The kernel proper (see :func:`cascade`), on own causes and buffers in network order.
    With ``overload``, working nodes above capacity fail once the rest has settled, and the
    propagation resumes from them, until no node is overloaded; ``forced`` nodes start
    UNSUPPLIED."""
    own = own_bits[lay.order]
    working = own == 0
    spare = spare_buffer[lay.gorder]
    n = len(own)
    cut = np.zeros(n, bool)
    unsupplied = np.zeros(n, bool)
    if forced is not None:
        unsupplied[:] = np.asarray(forced, bool)[lay.order]
        working &= ~unsupplied
    local = lay.m > LOCAL_ABOVE
    scratch = Scratch(np.zeros(lay.m, bool), np.empty(lay.m, np.int64))

    if local:
        newly_cut, pieces = cut_full(lay, working)
    else:
        reach = Reach(lay, working)
        newly_cut = reach.cut(working)
    cut[newly_cut] = True
    working[newly_cut] = False
    count = lay.supply @ working.astype(np.float32)
    failed = count < lay.need
    lost = _unsupplied(lay, np.flatnonzero(failed), spare, unsupplied, working)
    over = np.zeros(n, bool)
    rounds = 1
    while True:
        if not len(lost):
            if overload is None:
                break
            lost = np.flatnonzero(overload(working) & working)
            if not len(lost):
                break
            over[lost] = True
            working[lost] = False
        rounds += 1
        gone = lost[lost < lay.m]
        newly_cut = np.zeros(0, np.int64)
        if not local:
            newly_cut = reach.cut(working, gone, scratch)
        elif len(gone) and not harmless(lay, working, gone, scratch):
            newly_cut = cut_local(lay, working, gone, pieces, scratch) if len(gone) <= LOCAL_LOSS * lay.m else None
            if newly_cut is None:
                newly_cut = cut_sectors(lay, working, gone, pieces)
            if newly_cut is None:
                newly_cut, pieces = cut_full(lay, working)
        cut[newly_cut] = True
        working[newly_cut] = False
        failing = _drop(lay, count, failed, np.concatenate([lost, newly_cut]))
        lost = _unsupplied(lay, failing, spare, unsupplied, working)

    state = own | (cut * np.uint8(ISOLATED)) | (unsupplied * np.uint8(UNSUPPLIED)) | (over * np.uint8(OVERLOADED))
    backup = np.zeros(n, bool)
    backup[lay.dep_node[failed & spare]] = True
    return Outcome(state[lay.rank], failed[lay.grank], (backup & working)[lay.rank], rounds)


def _drop(lay: Layout, count: np.ndarray, failed: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Take ``nodes`` out of their groups' supplier counts; return the groups that fail now
    (a group may repeat)."""
    pos, _ = rows_of(lay.feeds_ptr, nodes)
    groups = lay.feeds_group[pos]
    if len(groups) > len(count) // 8:
        count -= np.bincount(groups, weights=lay.feeds_weight[pos], minlength=len(count))
    else:
        np.subtract.at(count, groups, lay.feeds_weight[pos])
    new = groups[(count[groups] < lay.need[groups]) & ~failed[groups]]
    failed[new] = True
    return new


def _unsupplied(lay: Layout, new_failed: np.ndarray, spare: np.ndarray, unsupplied: np.ndarray,
                working: np.ndarray) -> np.ndarray:
    """Mark the nodes of failed groups whose buffer is spent; take and return the working ones."""
    nodes = lay.dep_node[new_failed[~spare[new_failed]]]
    unsupplied[nodes] = True
    lost = np.unique(nodes[working[nodes]])
    working[lost] = False
    return lost


def components(net: Network, working: np.ndarray) -> tuple[int, np.ndarray]:
    """Connected components of the link graph restricted to working nodes.

    Parameters
    ----------
    net : Network
        The network.
    working : numpy.ndarray of bool, shape (net.n,)
        Which nodes work.

    Returns
    -------
    n_components : int
        Number of components; every node not working is a component of its own.
    labels : numpy.ndarray of int32, shape (net.n,)
        Component label per node.
    """
    keep = working[net.link_rows] & working[net.link_cols]
    counts = np.bincount(net.link_rows[keep], minlength=net.n)
    indptr = np.empty(net.n + 1, dtype=np.int32)
    indptr[0] = 0
    np.cumsum(counts, out=indptr[1:])
    cols = net.link_cols[keep]
    graph = sp.csr_matrix((np.ones(len(cols)), cols, indptr), shape=(net.n, net.n))
    return connected_components(graph, directed=False)


def isolated(net: Network, working: np.ndarray) -> np.ndarray:
    """Working nodes that their sector's connectivity rule cuts off (one full pass).

    Parameters
    ----------
    net : Network
        The network.
    working : numpy.ndarray of bool, shape (net.n,)
        Which nodes work.

    Returns
    -------
    numpy.ndarray of bool, shape (net.n,)
        True for working nodes of linked sectors that the sources or giant-component rule
        cuts off; dependencies are not applied.
    """
    lay = layout(net)
    out = np.zeros(net.n, bool)
    out[cut_full(lay, working[lay.order])[0]] = True
    return out[lay.rank]


def drain_buffers(net: Network, buffer_left: np.ndarray, group_failed: np.ndarray, tick_s: float = 1.0) -> bool:
    """Spend one tick of buffer in failed groups and refill satisfied ones, in place.

    Parameters
    ----------
    net : Network
        The network; ``net.dep_buffer`` holds each group's full buffer, s.
    buffer_left : numpy.ndarray of float, shape (net.n_groups,)
        Buffer left per group, s; changed in place.
    group_failed : numpy.ndarray of bool, shape (net.n_groups,)
        Which groups failed (``Outcome.group_failed``).
    tick_s : float
        Length of the tick spent, s; 1 by default, which counts buffers in ticks.

    Returns
    -------
    bool
        True when a buffer ran out or came back, i.e. when the next cascade may differ.

    Notes
    -----
    A failed group with buffer left spends ``tick_s`` of it (down to 0): a buffer ``B``
    that starts at tick ``s`` carries its node through ticks ``s … s + ⌈B / tick⌉ − 1``
    and runs out on the first tick at or after ``s + B`` (a 6 h 02 min buffer on 5-minute
    ticks lasts 73 ticks, a 2-minute one a single tick). A group not failed refills: at
    once to ``net.dep_buffer`` by default; as a level, at ``dep_buffer / dep_refill``
    seconds of buffer per second of supply, where ``net.dep_refill`` gives it a refill time
    (storage: ``buffer: 24h, refill: 6h`` takes 6 h of supply to refill from empty, and a
    tank supplied again for 10 minutes holds 40 minutes).

    Examples
    --------
    Node 1 needs node 0 and has a buffer of 2 ticks:

    >>> net = Network.from_arrays(
    ...     sector=np.array([0, 1]), sector_names=["power", "water"], rules=["none", "none"],
    ...     links=np.zeros((0, 2)), dep_node=np.array([1]), dep_need=np.array([1.0]),
    ...     dep_buffer=np.array([2]), supplier_group=np.array([0]), supplier_node=np.array([0]))
    >>> left = net.dep_buffer.copy()
    >>> drain_buffers(net, left, np.array([True])), left.tolist()
    (False, [1.0])
    >>> drain_buffers(net, left, np.array([True])), left.tolist()
    (True, [0.0])
    >>> drain_buffers(net, left, np.array([False])), left.tolist()
    (True, [2.0])
    """
    before = buffer_left <= 0
    spending = group_failed & (buffer_left > 0)
    np.subtract(buffer_left, tick_s, out=buffer_left, where=spending)
    np.copyto(buffer_left, 0.0, where=spending & (buffer_left < 1e-9 * tick_s))   # spent, rounding aside
    supplied = ~group_failed
    if net.dep_refill is None:
        np.copyto(buffer_left, net.dep_buffer, where=supplied)
    else:
        gradual = net.dep_refill > 0
        np.copyto(buffer_left, net.dep_buffer, where=supplied & ~gradual)
        filling = supplied & gradual
        rate = net.dep_buffer / np.where(gradual, net.dep_refill, 1.0)      # s of buffer per s of supply
        np.add(buffer_left, rate * tick_s, out=buffer_left, where=filling)
        np.minimum(buffer_left, net.dep_buffer, out=buffer_left, where=filling)
    return bool((before != (buffer_left <= 0)).any())


def refilling(net: Network, buffer_left: np.ndarray, group_failed: np.ndarray) -> bool:
    """Whether some supplied group's buffer is still refilling (its level changes each tick).

    Parameters
    ----------
    net : Network
        The network.
    buffer_left : numpy.ndarray of float, shape (net.n_groups,)
        Buffer left per group, s.
    group_failed : numpy.ndarray of bool, shape (net.n_groups,)
        Which groups failed.

    Returns
    -------
    bool
        False when every buffer refills at once (``net.dep_refill`` is None).
    """
    return net.dep_refill is not None and bool((~group_failed & (buffer_left < net.dep_buffer)).any())
