"""The shipped "bring your own network" example: public networks imported, composed and run.

``scenarios/auenfeld.yaml`` composes pandapower's mv_oberrhein, EPANET's Net3 and a GeoJSON
layer of hospitals with dependency rules; ``scenarios/generate_auenfeld.py`` regenerates its
imported files from the installed packages."""

import importlib.util
import logging
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ripple import app
from sim.model import RippleModel
from sim.scenario import load_scenario
from sim.scenario.netdata import read_network

logging.getLogger("pandapower").setLevel(logging.ERROR)
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")    # pandapower's, on its own networks
ROOT = Path(__file__).resolve().parents[1]
SCENARIO = str(ROOT / "scenarios" / "auenfeld.yaml")
DRONE_TARGET = "pw.bus318"      # the 110/20 kV substation the shipped plan strikes


@pytest.fixture(scope="module")
def scenario():
    return load_scenario(SCENARIO)


def test_the_imported_files_are_what_the_script_makes_of_the_packages(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("generate_auenfeld", ROOT / "scenarios" / "generate_auenfeld.py")
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    monkeypatch.setattr(generate, "HERE", tmp_path)
    generate.main()
    for name in ("grid.yaml", "water.yaml"):
        assert read_network(tmp_path / name) == read_network(ROOT / "scenarios" / "auenfeld" / name), name
    shipped = (ROOT / "scenarios" / "auenfeld" / "hospitals.geojson").read_text()
    assert (tmp_path / "hospitals.geojson").read_text() == shipped


def test_validate_counts_every_part_and_the_rules(scenario):
    result = CliRunner().invoke(app, ["validate", SCENARIO])
    assert result.exit_code == 0, result.output
    t = scenario.network.tables
    assert t.n_nodes == 179 + 99 + 2       # buses; Net3's nodes, pumps as nodes; hospitals
    assert f"{t.n_nodes} nodes in 3 sectors" in result.output and "warning" not in result.output
    rule = scenario.network.dependency_rule
    assert (rule >= 0).sum() == 2 + 2 + 2        # two pumps and two hospitals need power; two need water


def test_the_drone_blacks_out_exactly_what_pandapower_cuts_off(scenario):
    pp = pytest.importorskip("pandapower")
    pn = pytest.importorskip("pandapower.networks")
    top = pytest.importorskip("pandapower.topology")
    net = pn.mv_oberrhein()
    net.bus.loc[int(DRONE_TARGET.removeprefix("pw.bus")), "in_service"] = False
    expected = {f"pw.bus{b}" for b in top.unsupplied_buses(net)} | {DRONE_TARGET}

    result = RippleModel(scenario, seed=7).run()
    hit = [e.tick for e in result.timeline() if e.kind == "hit" and e.node == DRONE_TARGET]
    assert hit, "the drone lands at seed 7"
    down = {e.node for e in result.timeline() if e.kind == "node_down" and e.tick == hit[0]}
    energy = {node for node in down if node.startswith("pw.")}
    assert energy == expected
    assert len(expected) > 50                    # a whole substation's feeders
    pumps_fed_from_there = {"wt.pump10", "wt.pump335"} & down
    t = scenario.network.tables
    for g in np.flatnonzero(t.dep_resource == 0).tolist():           # power
        bounds = t.supplier_bounds()
        suppliers = {t.ids[j] for j in t.supplier_node[bounds[g]:bounds[g + 1]]}
        node = t.ids[t.dep_node[g]]
        if node.startswith("wt.pump"):
            assert (node in pumps_fed_from_there) == suppliers.issubset(expected), node


def test_the_replay_page_names_what_was_imported(tmp_path):
    result = CliRunner().invoke(app, ["run", SCENARIO, "--out", str(tmp_path / "run"), "--html"])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "run" / "replay.html").read_text(encoding="utf-8")
    for shown in ("Auenfeld Regional Hospital", "pw.bus318", "wt.pump335", "Bus 177"):
        assert shown in page, shown
