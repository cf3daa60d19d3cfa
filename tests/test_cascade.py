"""The cascade kernel on small graphs whose answers can be checked by hand."""

import numpy as np

from sim.cascade import cascade, drain_buffers
from sim.network import COMPROMISED, DAMAGED, ISOLATED, SHUT, UNSUPPLIED, Network


def network(sectors, rules, links, groups, **kw):
    """groups: list of (dependent, [suppliers], need, buffer_ticks)."""
    dep_node = [g[0] for g in groups]
    pairs = [(k, s) for k, g in enumerate(groups) for s in g[1]]
    return Network.from_arrays(
        sector=np.array(sectors), sector_names=[f"s{i}" for i in range(len(rules))], rules=rules,
        links=np.array(links, dtype=np.int64).reshape(-1, 2),
        dep_node=np.array(dep_node, dtype=np.int64), dep_need=np.array([g[2] for g in groups], float),
        dep_buffer=np.array([g[3] for g in groups], dtype=np.int64),
        supplier_group=np.array([p[0] for p in pairs], dtype=np.int64),
        supplier_node=np.array([p[1] for p in pairs], dtype=np.int64), **kw)


def run(net, hit=(), bits=DAMAGED, buffer_left=None):
    own = np.zeros(net.n, np.uint8)
    own[list(hit)] = bits
    return cascade(net, own, net.dep_buffer.copy() if buffer_left is None else buffer_left)


def test_redundancy_need_one_of_two_survives_one_loss():
    # nodes 0, 1 suppliers (sector 0, no links), node 2 needs 1 of {0, 1}; node 3 needs 2 of {0, 1}
    net = network([0, 0, 1, 1], ["none", "none"], [], [(2, [0, 1], 1, 0), (3, [0, 1], 2, 0)])
    out = run(net, hit=[0])
    assert out.down[2] == 0
    assert out.down[3] == UNSUPPLIED
    out = run(net, hit=[0, 1])
    assert out.down[2] == UNSUPPLIED


def test_buffer_rides_out_then_fails_exactly_when_spent_and_recovers():
    # node 1 depends on node 0 with a 3-tick buffer
    net = network([0, 1], ["none", "none"], [], [(1, [0], 1, 3)])
    buffer_left = net.dep_buffer.copy()
    own = np.zeros(2, np.uint8)
    own[0] = DAMAGED
    states = []
    for _tick in range(5):
        out = cascade(net, own, buffer_left)
        states.append((int(out.down[1]), bool(out.backup[1])))
        drain_buffers(net, buffer_left, out.group_failed)
    # on backup for exactly 3 ticks, then UNSUPPLIED
    assert states == [(0, True), (0, True), (0, True), (UNSUPPLIED, False), (UNSUPPLIED, False)]
    own[0] = 0  # supply returns
    out = cascade(net, own, buffer_left)
    assert out.down[1] == 0 and not out.backup[1]
    drain_buffers(net, buffer_left, out.group_failed)
    assert buffer_left[0] == 3  # refilled


def test_cutting_the_only_path_to_a_source_isolates():
    # a line 0 (source) - 1 - 2 - 3; damaging 1 isolates 2 and 3
    net = network([0, 0, 0, 0], ["sources"], [(0, 1), (1, 2), (2, 3)], [], source=np.array([1, 0, 0, 0], bool))
    out = run(net, hit=[1])
    assert list(out.down) == [0, DAMAGED, ISOLATED, ISOLATED]
    # a ring keeps everything fed after one cut
    ring = network([0, 0, 0, 0], ["sources"], [(0, 1), (1, 2), (2, 3), (3, 0)], [], source=np.array([1, 0, 0, 0], bool))
    assert list(run(ring, hit=[1]).down) == [0, DAMAGED, 0, 0]


def test_losing_the_source_isolates_its_whole_network():
    net = network([0, 0, 0], ["sources"], [(0, 1), (1, 2)], [], source=np.array([1, 0, 0], bool))
    assert list(run(net, hit=[0]).down) == [DAMAGED, ISOLATED, ISOLATED]


def test_giant_component_rule_keeps_only_the_largest_piece():
    # 0-1-2-3-4 and 5-6: cutting 2 leaves {0,1}, {3,4}, {5,6}; ties go to... the largest only:
    net = network([0] * 8, ["giant_component"], [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (6, 7)], [])
    out = run(net)
    assert list(out.down[:6]) == [0] * 6 and list(out.down[6:]) == [ISOLATED, ISOLATED]
    out = run(net, hit=[1])  # leaves {0}, {2,3,4,5}, {6,7}
    assert list(out.down) == [ISOLATED, DAMAGED, 0, 0, 0, 0, ISOLATED, ISOLATED]


def test_fixpoint_crosses_several_hops_and_sectors_in_one_tick():
    # power line 0(src)-1-2 ; water pump 3 needs power from 2 ; water line 3(src)-4 ;
    # telecom 5 needs water from 4 ; hospital 6 needs telecom 5
    net = network(
        [0, 0, 0, 1, 1, 2, 3], ["sources", "sources", "none", "none"], [(0, 1), (1, 2), (3, 4)],
        [(3, [2], 1, 0), (5, [4], 1, 0), (6, [5], 1, 0)], source=np.array([1, 0, 0, 1, 0, 0, 0], bool))
    out = run(net, hit=[1])
    assert out.rounds >= 3
    assert list(out.down) == [0, DAMAGED, ISOLATED, UNSUPPLIED, ISOLATED, UNSUPPLIED, UNSUPPLIED]


def test_down_reason_bits_combine_and_own_causes_pass_through():
    net = network([0, 0, 1], ["sources", "none"], [(0, 1)], [(2, [1], 1, 0)], source=np.array([1, 0, 0], bool))
    own = np.array([DAMAGED, SHUT, COMPROMISED], np.uint8)
    out = cascade(net, own, net.dep_buffer.copy())
    assert out.down[0] == DAMAGED
    # ISOLATED is judged for nodes that would otherwise work; UNSUPPLIED for every node
    assert out.down[1] == SHUT
    assert out.down[2] == COMPROMISED | UNSUPPLIED
    own[1] = 0
    out = cascade(net, own, net.dep_buffer.copy())
    assert out.down[1] == ISOLATED and out.down[2] == COMPROMISED | UNSUPPLIED


def test_recovery_when_the_cause_is_gone():
    net = network([0, 0, 1], ["sources", "none"], [(0, 1)], [(2, [1], 1, 0)], source=np.array([1, 0, 0], bool))
    assert run(net, hit=[0]).down[2] == UNSUPPLIED
    assert list(run(net).down) == [0, 0, 0]


def test_buffers_in_seconds_run_out_on_the_first_tick_at_or_after_expiry_and_refill_as_a_level():
    # three nodes need node 0: buffers 6h02m, 2 min, and 2 h that refills in 6 h; 5-minute ticks
    net = network([0, 1, 1, 1], ["none", "none"], [], [(1, [0], 1, 0), (2, [0], 1, 0), (3, [0], 1, 0)])
    net.dep_buffer = np.array([6 * 3600.0 + 120, 120.0, 7200.0])
    net.dep_refill = np.array([0.0, 0.0, 6 * 3600.0])
    left, own, lasted = net.dep_buffer.copy(), np.array([DAMAGED, 0, 0, 0], np.uint8), np.zeros(3, int)
    for _tick in range(80):
        out = cascade(net, own, left)
        lasted += out.down[1:] == 0
        drain_buffers(net, left, out.group_failed, 300.0)
    assert lasted.tolist() == [73, 1, 24]          # ⌈21720/300⌉, ⌈120/300⌉, 7200/300 ticks
    own[0] = 0
    out = cascade(net, own, left)
    assert drain_buffers(net, left, out.group_failed, 300.0)      # the spent ones come back
    assert left.tolist() == [21720.0, 120.0, 100.0]                 # a third of 300 s refilled
    for _tick in range(71):
        drain_buffers(net, left, out.group_failed, 300.0)
    assert left[2] == 7200.0
