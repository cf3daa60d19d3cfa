"""``ripple import epanet`` checked against WNTR and EPANET's own example networks (Net1, Net3),
hand-computed tank buffers, and the .inp files WNTR's tests use for bad input."""

import math
import os
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from ripple import app
from sim.model import RippleModel
from sim.network import DAMAGED, ISOLATED, UNSUPPLIED
from sim.scenario import load_scenario
from sim.scenario.importers import ImportFailed, ImportReport
from sim.scenario.importers.epanet import PEOPLE_PER_LPS, average_demand, import_epanet, served_demand
from sim.scenario.netdata import read_network, write_network

with np.printoptions():           # importing WNTR sets numpy's print precision to 3 for everyone
    wntr = pytest.importorskip("wntr")
WNTR = Path(wntr.__file__).parent
NET1, NET3 = WNTR / "library" / "networks" / "Net1.inp", WNTR / "library" / "networks" / "Net3.inp"
BAD_SYNTAX = WNTR / "tests" / "networks_for_testing" / "bad_syntax.inp"
BAD_VALUES = WNTR / "tests" / "networks_for_testing" / "bad_values.inp"
GPM = 0.003785411784 / 60     # m³/s per US gallon a minute
FT = 0.3048

runner = CliRunner()


def need(path: Path) -> Path:
    """``path``, or skip the test when this WNTR does not ship it."""
    if not path.is_file():
        pytest.skip(f"{path.name} is not shipped with this WNTR")
    return path


def row(tables, node_id):
    """A node's row."""
    return tables.ids.index(node_id)


def dependency(tables, node_id):
    """(suppliers, need, buffer s) of a node's one dependency."""
    [d] = np.flatnonzero(tables.dep_node == row(tables, node_id))
    suppliers = sorted(tables.ids[s] for s in tables.supplier_node[tables.supplier_group == d])
    return suppliers, int(tables.dep_need[d]), float(tables.dep_buffer_s[d])


def links_at(tables, node_id):
    """(id, other end, open) of the links at a node."""
    i = row(tables, node_id)
    return sorted((link_id, tables.ids[b if a == i else a], bool(is_open)) for link_id, a, b, is_open
                  in zip(tables.link_id, tables.link_a, tables.link_b, tables.link_open) if i in (a, b))


@pytest.fixture(scope="module")
def net1():
    """EPANET's Net1: 9 junctions, a reservoir, a tank, a pump, 12 pipes."""
    return import_epanet(need(NET1))


@pytest.fixture(scope="module")
def net3():
    """EPANET's Net3: 92 junctions, 2 reservoirs, 3 tanks, 2 pumps (one closed), a closed pipe."""
    return import_epanet(need(NET3))


def test_nodes_sources_and_pumps_match_wntr(net1, net3):
    for path, (tables, _) in ((NET1, net1), (NET3, net3)):
        model = wntr.network.WaterNetworkModel(str(path))
        devices = model.num_pumps + model.num_valves
        assert tables.n_nodes == model.num_junctions + model.num_tanks + model.num_reservoirs + devices
        assert tables.n_links == model.num_pipes + 2 * devices
        sources = {tables.ids[i] for i in np.flatnonzero(tables.source)}
        assert sources == set(model.tank_name_list) | set(model.reservoir_name_list)
        for name in model.pump_name_list:
            pump = model.get_link(name)
            assert tables.kind[row(tables, f"pump{name}")] == "pump"
            closed = pump.initial_status.name == "Closed"
            assert links_at(tables, f"pump{name}") == [(f"pump{name}.in", pump.start_node_name, closed),
                                                      (f"pump{name}.out", pump.end_node_name, closed)]
    tables, report = net1
    assert tables.kind.count("junction") == 9 and tables.kind.count("tank") == 1 and tables.kind.count("reservoir") == 1
    assert "mapped 1 pumps -> nodes with two links" in report.lines()
    assert tables.link_attrs[tables.link_id.index("pipe10")] == {
        "epanet_id": "10", "length_m": pytest.approx(10530 * FT), "diameter_m": pytest.approx(18 * 0.0254),
        "roughness": 100.0, "minor_loss": 0.0, "status": "Open"}


def test_closed_pipes_and_closed_pumps_are_ties(net3):
    tables, report = net3
    assert sorted(i for i, is_open in zip(tables.link_id, tables.link_open) if is_open) == [
        "pipe330", "pump10.in", "pump10.out"]       # Net3: pipe 330 and the Lake pump start closed
    assert tables.link_attrs[tables.link_id.index("pipe330")]["status"] == "Closed"
    assert "mapped 1 closed pipes -> normally-open ties" in report.lines()
    assert "mapped 1 pumps closed -> nodes with tie links" in report.lines()


def test_net1_tank_buffer_is_its_usable_volume_over_the_demand(net1):
    tables, _ = net1
    # Tank 2: 50.5 ft across, starts at 120 ft, may drain to 100 ft; the 9 junctions draw
    # 1,100 gpm on average (pattern 1 averages 1.0).
    volume = math.pi * (50.5 * FT / 2) ** 2 * (120 - 100) * FT
    assert dependency(tables, "2") == (["pump9"], 1, pytest.approx(volume / (1100 * GPM), abs=0.5))
    assert dependency(tables, "pump9") == (["9"], 1, 0.0)      # the pump lifts from reservoir 9
    assert tables.node_attrs[row(tables, "2")]["usable_volume_m3"] == pytest.approx(volume)


def test_net3_tanks_need_the_open_pump_and_it_needs_the_river(net3):
    tables, _ = net3
    model = wntr.network.WaterNetworkModel(str(NET3))
    volume = sum(math.pi * (t.diameter / 2) ** 2 * (t.init_level - t.min_level) for _, t in model.tanks())
    demand = sum(average_demand(model).values())      # every junction is on the tanks' side of pump 335
    for tank in ("1", "2", "3"):
        assert dependency(tables, tank) == (["pump335"], 1, pytest.approx(volume / demand, abs=0.5))
    assert dependency(tables, "pump335") == (["River"], 1, 0.0)
    assert not (tables.dep_node == row(tables, "pump10")).any()      # closed: fills nothing


def test_average_demand_is_wntrs_average_expected_demand():
    model = wntr.network.WaterNetworkModel(str(need(NET3)))
    expected = wntr.metrics.average_expected_demand(model)
    mine = average_demand(model)
    assert mine == pytest.approx(expected.to_dict(), rel=1e-9, abs=1e-12)


def test_population_is_demand_times_people_per_lps(net1):
    tables, report = net1
    assert tables.population.sum() == pytest.approx(1100 * GPM * 1000 * PEOPLE_PER_LPS)
    assert tables.population[row(tables, "22")] == pytest.approx(200 * GPM * 1000 * PEOPLE_PER_LPS)
    assert tables.population[row(tables, "10")] == 0         # junction 10 has no demand
    assert "mapped 8 junctions with demand -> people served" in report.lines()
    halved, _ = import_epanet(NET1, people_per_lps=PEOPLE_PER_LPS / 2)
    assert halved.population.sum() == pytest.approx(tables.population.sum() / 2)


def test_coordinates_are_feet_for_us_units_metres_when_told_and_placed_at_an_origin(net1):
    tables, report = net1
    model = wntr.network.WaterNetworkModel(str(NET1))
    for name, node in model.nodes():
        assert (tables.x[row(tables, name)], tables.y[row(tables, name)]) == pytest.approx(
            (node.coordinates[0] * FT / 1000, node.coordinates[1] * FT / 1000))
    start, end = model.get_link("9").start_node.coordinates, model.get_link("9").end_node.coordinates
    assert tables.x[row(tables, "pump9")] == pytest.approx((start[0] + end[0]) / 2 * FT / 1000)
    assert tables.crs is None and any("read as ft because the flow units are GPM" in w for w in report.warnings)
    placed, report = import_epanet(NET1, units="m", origin=(-87.9, 43.0))
    assert placed.x == pytest.approx(tables.x / FT)
    assert placed.crs == "+proj=aeqd +lat_0=43 +lon_0=-87.9 +units=km +ellps=WGS84"
    assert not any("flow units" in w for w in report.warnings)


INP = """[JUNCTIONS]
 A1  10  5
 A2  10  5
 B1  10  2
 C1  10  -1
[RESERVOIRS]
 R1  50
[TANKS]
 T1  20  4  1  6  10  0
 T2  20  3  1  6  10  0
 T3  20  3  1  6  10  0
[PIPES]
 PA1  A1  T1  100  200  100  0  Open
 PA2  A1  A2  100  200  100  0  Open
 PB1  B1  T2  100  200  100  0  Open
 PC1  C1  T3  100  200  100  0  Open
 PX   A2  B1  100  200  100  0  Closed
[PUMPS]
 P1  R1  A1  POWER 50
 P2  A2  A1  POWER 10
 P3  A2  B1  POWER 10
[VALVES]
 V1  A2  A1  200  PRV  30  0
 V2  B1  C1  200  TCV  0  0
[STATUS]
 V2  Closed
[OPTIONS]
 Units  LPS
[COORDINATES]
{coordinates}
[END]
"""
UTM = {"R1": (500000, 4760000), "A1": (501000, 4760000), "A2": (502000, 4760000), "B1": (503000, 4761000),
       "C1": (503000, 4762000), "T1": (501000, 4761000), "T2": (504000, 4761000), "T3": (503000, 4763000)}


def write_inp(path: Path, coordinates: dict[str, tuple[float, float]] = UTM, encoding: str = "utf-8") -> Path:
    """The small network of :data:`INP`: a reservoir pumped into part A (tank T1, a booster pump
    and a valve inside it), part A pumped into part B (tank T2), and part C with a tank and
    nothing filling it, behind a closed valve."""
    text = INP.format(coordinates="\n".join(f" {n}  {x}  {y}" for n, (x, y) in coordinates.items()))
    path.write_bytes(text.encode(encoding))
    return path


def test_which_pumps_fill_a_tank_and_what_a_pump_draws_from(tmp_path):
    tables, report = import_epanet(write_inp(tmp_path / "parts.inp"))
    area = math.pi * 5 ** 2
    assert dependency(tables, "pumpP1") == (["R1"], 1, 0.0)
    # part A's tank serves A's 10 L/s and, through pump P3, part B's 2 L/s
    assert dependency(tables, "T1") == (["pumpP1"], 1, pytest.approx(area * 3 / 0.012, abs=0.5))
    assert dependency(tables, "pumpP3") == (["T1"], 1, 0.0)      # lifts from part A into part B
    assert dependency(tables, "T2") == (["pumpP3"], 1, pytest.approx(area * 2 / 0.002, abs=0.5))
    assert not (tables.dep_node == row(tables, "pumpP2")).any()   # a booster inside part A fills nothing
    assert not (tables.dep_node == row(tables, "T3")).any()
    assert "mapped 1 tanks with no pump or reservoir filling them -> sources that never drain" in report.lines()
    assert tables.node_attrs[row(tables, "pumpP1")] == {"epanet_id": "P1", "pump_type": "POWER", "power_kw": 50.0,
                                                          "speed": 1.0, "status": "Open"}


def test_valves_are_nodes_between_their_ends_and_closed_ones_ties(tmp_path):
    tables, report = import_epanet(write_inp(tmp_path / "parts.inp"), crs="EPSG:32616")
    assert links_at(tables, "valveV1") == [("valveV1.in", "A2", False), ("valveV1.out", "A1", False)]
    assert links_at(tables, "valveV2") == [("valveV2.in", "B1", True), ("valveV2.out", "C1", True)]
    assert tables.kind[row(tables, "valveV1")] == "valve" and tables.name[row(tables, "valveV1")] == "valve V1"
    assert tables.node_attrs[row(tables, "valveV1")] == {"epanet_id": "V1", "valve_type": "PRV", "diameter_m": 0.2,
                                                           "setting": 30.0, "status": "Active"}
    middle = row(tables, "valveV2")
    assert (tables.x[middle], tables.y[middle]) == pytest.approx(
        ((tables.x[row(tables, "B1")] + tables.x[row(tables, "C1")]) / 2,
         (tables.y[row(tables, "B1")] + tables.y[row(tables, "C1")]) / 2))
    assert "mapped 1 valves closed -> nodes with tie links" in report.lines()
    assert tables.population[row(tables, "C1")] == 0
    assert "mapped 1 junctions with negative demand (an inflow) -> no people" in report.lines()


def test_a_part_shares_the_demand_it_pumps_on_and_a_circle_falls_back_to_its_own():
    report = ImportReport()
    # part 1 is pumped from part 0 and has a reservoir of its own: part 0 carries half of it
    assert served_demand(np.array([1.0, 4.0]), {1: {0}}, {1}, report).tolist() == [3.0, 4.0]
    assert report.warnings == []
    assert served_demand(np.array([1.0, 4.0]), {1: {0}, 0: {1}}, set(), report).tolist() == [1.0, 4.0]
    assert report.warnings and "round in a circle" in report.warnings[0]


def test_real_coordinates_in_a_crs_become_km_around_the_data(tmp_path):
    tables, report = import_epanet(write_inp(tmp_path / "utm.inp"), crs="EPSG:32616")
    for a, b in (("R1", "A1"), ("R1", "T2"), ("C1", "T3")):
        true_km = math.dist(UTM[a], UTM[b]) / 1000
        assert math.dist((tables.x[row(tables, a)], tables.y[row(tables, a)]),
                         (tables.x[row(tables, b)], tables.y[row(tables, b)])) == pytest.approx(true_km, rel=2e-3)
    assert tables.crs.startswith("+proj=aeqd") and report.warnings == []
    with pytest.raises(ImportFailed, match="either --crs"):
        import_epanet(tmp_path / "utm.inp", crs="EPSG:32616", units="m")


def test_a_node_without_coordinates_is_left_unplaced_and_reported(tmp_path):
    drawn = {name: xy for name, xy in UTM.items() if name != "A2"}
    tables, report = import_epanet(write_inp(tmp_path / "partial.inp", drawn), crs="EPSG:32616")
    assert report.unplaced == ["A2"]
    assert np.isnan(tables.x).tolist() == [i == row(tables, "A2") for i in range(tables.n_nodes)]


@pytest.mark.parametrize("ext", ["yaml", "json", "graphml", "parquet"])
def test_every_format_round_trips_the_imported_network(net3, tmp_path, ext):
    tables, _ = net3
    write_network(tables, tmp_path / f"net3.{ext}")
    assert read_network(tmp_path / f"net3.{ext}") == tables


def test_the_command_writes_the_file_and_says_what_it_mapped(net3, tmp_path):
    out = tmp_path / "w.parquet"
    result = runner.invoke(app, ["import", "epanet", str(NET3), "--out", str(out), "--prefix", "wt.",
                                 "--units", "m", "--origin", "-87.9,43", "--people-per-lps", "216"])
    assert result.exit_code == 0, result.output
    assert "mapped 92 junctions -> nodes" in result.output and "mapped 1 closed pipes -> normally-open ties" in result.output
    assert "wrote" in result.output and "99 nodes, 121 links (3 normally-open ties), 4 dependencies" in result.output
    written = read_network(out)
    assert written.ids[0] == "wt.10" and written.name[0] == "10" and "wt.pump335" in written.ids
    assert written.population.sum() == pytest.approx(net3[0].population.sum() / 2)
    assert written.crs.startswith("+proj=aeqd")
    again = runner.invoke(app, ["import", "epanet", str(NET3), "--out", str(out)])
    assert again.exit_code == 2 and "--force" in again.output


def test_a_drone_on_the_pump_leaves_the_tank_serving_until_its_buffer_ends(net1, tmp_path):
    tables, _ = net1
    write_network(tables, tmp_path / "net1.yaml")
    data = {"id": "net1", "name": "Net1", "clock": {"tick": "15min", "duration": "12h"},
            "sectors": {"water": {"connectivity": "sources"}}, "network": {"file": "net1.yaml"},
            "attackers": [{"id": "cell", "plan": [{"at": "T+1:00", "tactic": "drone", "target": "pump9"}]}]}
    (tmp_path / "scenario.yaml").write_text(yaml.safe_dump(data))
    assert runner.invoke(app, ["validate", str(tmp_path / "scenario.yaml")]).exit_code == 0
    result = RippleModel(load_scenario(tmp_path / "scenario.yaml"), seed=1).run()
    changes = result.changes
    tank, pump = result.node_ids.index("2"), result.node_ids.index("pump9")
    hit = int(changes["tick"][(changes["node"] == pump) & (changes["down"] & DAMAGED > 0)][0])
    on_tank = changes["node"] == tank
    backup_from = int(changes["tick"][on_tank & changes["backup"]][0])
    down_at = int(changes["tick"][on_tank & (changes["down"] & UNSUPPLIED > 0)][0])
    buffer_ticks = dependency(tables, "2")[2] / 900
    assert backup_from == hit and down_at - hit == pytest.approx(buffer_ticks, abs=1)
    junctions = [i for i, kind in enumerate(tables.kind) if kind == "junction"]
    for node in junctions:       # served by the tank until it runs dry, then cut off
        first = changes["tick"][(changes["node"] == node) & (changes["down"] & ISOLATED > 0)]
        assert len(first) and first[0] == down_at
    service = result.series["service"]
    assert service[hit + 1] == 1.0 and service[down_at] == 0.0


def run_import(*args: str):
    """``ripple import epanet ARGS`` in a runner."""
    return runner.invoke(app, ["import", "epanet", *args])


@pytest.mark.parametrize("source, where, message", [
    (BAD_SYNTAX, ":330:", "(Error 201) syntax error in `[FOO]`"),
    (BAD_VALUES, ":56:", "undefined node, 'node1'"),
])
def test_wntrs_bad_files_are_refused_with_the_file_and_line(tmp_path, source, where, message):
    result = run_import(str(need(source)), "--out", str(tmp_path / "w.yaml"))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{source}{where}" in result.output and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "w.yaml").exists()


def test_a_value_wntr_cannot_read_is_refused_with_its_line(tmp_path):
    lines = need(NET1).read_text().splitlines()
    number = next(i for i, line in enumerate(lines) if line.split()[:1] == ["11"]) + 1    # junction 11
    lines[number - 1] = " 11   high   150"
    (tmp_path / "bad.inp").write_text("\n".join(lines) + "\n")
    result = run_import(str(tmp_path / "bad.inp"), "--out", str(tmp_path / "w.yaml"))
    assert result.exit_code == 2 and f"bad.inp:{number}: " in result.output and "'high'" in result.output
    lines[number - 1] = " 11"
    (tmp_path / "short.inp").write_text("\n".join(lines) + "\n")
    result = run_import(str(tmp_path / "short.inp"), "--out", str(tmp_path / "w.yaml"))
    assert result.exit_code == 2 and f"short.inp:{number}: " in result.output and "too few values" in result.output


@pytest.mark.parametrize("make, message", [
    (lambda p: p, "file not found"),
    (lambda p: (p.write_bytes(b""), p)[1], "the file is empty"),
    (lambda p: (p.mkdir(), p)[1], "is a directory"),
    (lambda p: (os.mkfifo(p), p)[1], "is a FIFO (named pipe)"),
    (lambda p: (p.write_text("[TITLE]\nnothing here\n"), p)[1], "no junctions, tanks or reservoirs"),
    (lambda p: (p.write_text("hello\n"), p)[1], "net.inp:1: not a valid EPANET file"),
])
def test_unreadable_input_is_one_line_and_exit_2(tmp_path, make, message):
    path = make(tmp_path / "net.inp")
    result = run_import(str(path), "--out", str(tmp_path / "w.yaml"))
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    with pytest.raises(ImportFailed, match=re.escape(message)):
        import_epanet(path)


def test_a_file_above_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setenv("RIPPLE_MAX_FILE_MB", "0.001")
    result = run_import(str(need(NET3)), "--out", str(tmp_path / "w.yaml"))
    assert result.exit_code == 2 and "above the limit" in result.output


def test_a_latin1_file_is_read_with_its_accents_and_a_warning(tmp_path):
    coordinates = {"Straße" if name == "A1" else name: xy for name, xy in UTM.items()}
    text = INP.replace(" A1 ", " Straße ").replace(" A1\n", " Straße\n")
    (tmp_path / "latin1.inp").write_bytes(text.format(coordinates="\n".join(
        f" {n}  {x}  {y}" for n, (x, y) in coordinates.items())).encode("latin-1"))
    tables, report = import_epanet(tmp_path / "latin1.inp", crs="EPSG:32616")
    assert "Straße" in tables.ids and tables.n_nodes == 13
    line = text.splitlines().index(" Straße  10  5") + 1
    assert report.warnings == [f"{tmp_path / 'latin1.inp'}:{line}: not UTF-8: read as Windows-1252 (Latin-1), "
                               "check the names with accents"]
    result = run_import(str(tmp_path / "latin1.inp"), "--out", str(tmp_path / "w.json"), "--crs", "EPSG:32616")
    assert result.exit_code == 0 and "not UTF-8" in result.output
    assert "Straße" in read_network(tmp_path / "w.json").ids


@pytest.mark.parametrize("args, message", [
    (["--origin", "7.8"], "longitude and latitude of the drawing"),
    (["--origin", "200,48"], "longitude within ±180"),
    (["--units", "furlong"], "'furlong' is not a unit of a drawing"),
    (["--crs", "EPSG:0"], "unknown CRS"),
    (["--crs", "EPSG:32616", "--units", "m"], "either --crs"),
])
def test_bad_options_are_refused(tmp_path, args, message):
    result = run_import(str(need(NET1)), "--out", str(tmp_path / "w.yaml"), *args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_a_pump_id_taken_by_a_junction_is_refused(tmp_path):
    text = INP.replace(" B1 ", " pumpP1 ").replace(" B1\n", " pumpP1\n")
    (tmp_path / "clash.inp").write_text(text.format(coordinates=""))
    with pytest.raises(ImportFailed, match="pumpP1 is also a junction"):
        import_epanet(tmp_path / "clash.inp")
