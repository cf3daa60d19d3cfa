"""Sanity warnings: each on a hand case, none on the shipped scenarios, and how the CLI shows them."""

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ripple import app
from sim.scenario import load_scenario
from sim.scenario.sanity import first_few, sanity_warnings
from tests.scenarios import DATA, scenario

ROOT = Path(__file__).parent.parent
runner = CliRunner()
TINY_NODES = scenario("tiny").network.model_dump(mode="json")["nodes"]


def tiny(nodes=None, **network):
    """The tiny scenario with its nodes (and other network fields) replaced."""
    return scenario("tiny", {"network": {"nodes": nodes if nodes is not None else TINY_NODES, **network}})


def moved(**where):
    """The tiny nodes with some moved: ``id=(x, y)`` (None: unplaced)."""
    out = []
    for node in TINY_NODES:
        node = dict(node)
        if node["id"] in where:
            node.pop("x"), node.pop("y")
            if where[node["id"]] is not None:
                node["x"], node["y"] = where[node["id"]]
        out.append(node)
    return out


def test_the_tiny_scenario_has_no_warning():
    assert sanity_warnings(tiny()) == []


@pytest.mark.parametrize("name", ["calder_bay", "cyber_physical", "all_tactics", "buldyrev"])
def test_the_shipped_scenarios_have_no_warning(name):
    assert sanity_warnings(load_scenario(ROOT / "scenarios" / f"{name}.yaml")) == []


def test_no_population_warns():
    nodes = [{k: v for k, v in n.items() if k != "population"} for n in TINY_NODES]
    assert sanity_warnings(tiny(nodes)) == ["no node has population: service stays at 100% and losses at 0 whatever "
                                           "fails (give the nodes that serve people a `population`)"]


def test_an_implausible_extent_warns_both_ways():
    [wide] = sanity_warnings(tiny(moved(hosp=(3000.0, 0.0))))
    assert wide.startswith("the nodes span 3,000 km")
    [narrow] = sanity_warnings(tiny(moved(plant=(0.0, 0.0), sub=(0.01, 0.0), sub2=(0.02, 0.0), hosp=(0.0, 0.02))))
    assert narrow == "the nodes all lie within 20 m: are the coordinates placeholders?"
    lonlat = [dict(n, x=7.8 + n["x"] * 0.01, y=48.0 + n["y"] * 0.01) for n in TINY_NODES]
    assert sanity_warnings(tiny(lonlat, coordinates="lonlat")) == []       # degrees, about 1 km across


def test_a_supplier_of_another_resources_sector_warns_and_unknown_sectors_do_not():
    deps = [{"node": "hosp", "resource": "water", "suppliers": ["sub2"]}]
    [warning] = sanity_warnings(tiny(dependencies=deps))
    assert warning == "1 supplier(s) are of a sector that supplies another resource: hosp needs water from sub2 (energy)"
    deps = [{"node": "sub", "resource": "power", "suppliers": ["hosp"]}]        # health supplies nothing known
    assert sanity_warnings(tiny(dependencies=deps)) == []
    deps = [{"node": "hosp", "resource": "control", "suppliers": ["sub2"]}]     # control comes from any sector
    assert sanity_warnings(tiny(dependencies=deps)) == []


def test_a_linked_utility_sector_without_sources_warns_unless_its_connectivity_is_set():
    nodes = [{k: v for k, v in n.items() if k != "source"} for n in TINY_NODES]
    [warning] = sanity_warnings(tiny(nodes))
    assert warning.startswith("sector(s) energy have links but no source node")
    chosen = scenario("tiny", {"network": {"nodes": nodes}, "sectors": {"energy": {"connectivity": "giant_component"}}})
    assert sanity_warnings(chosen) == []


def test_many_nodes_on_one_position_warn():
    extra = [{"id": f"pole{i}", "sector": "energy", "x": 0.5, "y": 0.5} for i in range(5)]
    [warning] = sanity_warnings(tiny(TINY_NODES + extra))
    assert warning == ("5 of the 9 placed nodes share one position (0.5, 0.5): pole0, pole1, pole2, pole3, pole4; "
                       "are their coordinates placeholders?")
    assert sanity_warnings(tiny(TINY_NODES + extra[:4])) == []      # 4 is not many


def test_unplaced_nodes_warn_with_their_count():
    [warning] = sanity_warnings(tiny(moved(sub2=None)))
    assert warning.startswith("1 node(s) are unplaced (no x, y): sub2;")


def test_a_buffer_shorter_than_a_tick_warns():
    deps = [{"node": "hosp", "resource": "power", "suppliers": ["sub2"], "buffer": "2min"}]
    assert sanity_warnings(tiny(dependencies=deps)) == [
        "1 dependency buffer(s) are shorter than a tick (300s): each carries its node through one whole tick: hosp"]


def test_first_few_names_the_rest_by_count():
    assert first_few([f"n{i}" for i in range(8)]) == "n0, n1, n2, n3, n4 and 3 more"
    assert first_few(["a"]) == "a"


def test_validate_keeps_its_ok_line_and_prints_warnings_after_it(tmp_path):
    path = tmp_path / "warned.yaml"
    text = (DATA / "tiny.yaml").read_text().replace(", population: 100", "").replace(", population: 1000", "")
    path.write_text(text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(rf"ok: {re.escape(str(path))}: Tiny town: 4 nodes in 2 sectors, 2 links, 1 dependencies; "
                        r"1 attack actions, 3 responder units; 12h at 5min ticks\n", result.stdout)
    assert result.stderr.splitlines() == ["warning: no node has population: service stays at 100% and losses at 0 "
                                          "whatever fails (give the nodes that serve people a `population`)"]
    clean = runner.invoke(app, ["validate", str(DATA / "tiny.yaml")])
    assert clean.stderr == "" and clean.stdout.startswith("ok: ")


def test_run_prints_warnings_and_writes_them_in_the_summary(tmp_path):
    result = runner.invoke(app, ["run", str(DATA / "unplaced.yaml"), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert len(summary["warnings"]) == 2
    assert [f"warning: {w}" for w in summary["warnings"]] == [
        line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    plain = runner.invoke(app, ["run", str(DATA / "tiny.yaml"), "--out", str(tmp_path / "tiny")])
    assert "warnings" not in json.loads((tmp_path / "tiny" / "summary.json").read_text())
    assert "warning" not in plain.stderr


def test_batch_prints_the_warnings_once(tmp_path):
    result = runner.invoke(app, ["batch", str(DATA / "unplaced.yaml"), "--runs", "3", "--workers", "1",
                                 "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert lines == [f"warning: {w}" for w in sanity_warnings(scenario("unplaced"))] and len(lines) == 1
