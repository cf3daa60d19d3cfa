"""Sectors on the map read without colour: a shape per sector, state by outline and cross."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dashboards.figures import (
    BACKUP, DOWN, OPERATIONAL, PREFERRED_SHAPES, STATE_LINE_WIDTHS, STATE_SYMBOLS, UNIT_SYMBOLS, network_map,
    node_line_widths, node_symbols, sector_shapes,
)
from sim.network import Network
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_every_sector_gets_its_own_shape_none_a_units_or_an_attacks():
    names = [*PREFERRED_SHAPES, *(f"extra{k}" for k in range(6))]
    shapes = sector_shapes(names)
    assert len(set(shapes.values())) == len(names)
    assert not set(shapes.values()) & {*UNIT_SYMBOLS.values(), "star", STATE_SYMBOLS[DOWN]}
    assert sector_shapes(["water"])["water"] == sector_shapes(["water", "energy", "zeta"])["water"] == "diamond"


def test_state_is_drawn_over_the_sectors_shape():
    states = np.array([OPERATIONAL, BACKUP, DOWN, OPERATIONAL])
    placed = np.array([True, True, True, False])
    assert node_symbols(states, placed, "cross") == ["cross", "cross", "x", "cross-open"]
    widths = node_line_widths(states, placed)
    assert widths[1] == STATE_LINE_WIDTHS[BACKUP] > widths[0] and widths[3] > widths[0]


def test_flagship_map_legend_shows_each_sectors_shape():
    net = Network.from_scenario(load_scenario(ROOT / "scenarios" / "calder_bay.yaml"))
    fig = network_map(net, np.zeros(net.n, np.uint8), np.zeros(net.n, bool))
    shapes = sector_shapes(net.sector_names)
    sectors = [t for t in fig.data if str(t.meta).startswith("nodes:")]
    assert len(sectors) == 6
    for trace in sectors:
        name = trace.meta.removeprefix("nodes:")
        assert trace.marker.symbol[0] == shapes[name]              # the legend's marker
        assert set(trace.marker.symbol[1:]) == {shapes[name]}       # every node up, in its sector's shape
