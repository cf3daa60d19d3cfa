"""``ripple import pandapower`` checked against pandapower itself: its own networks saved with
``pandapower.to_json``, their counts, positions and topology."""

import json
import logging

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from ripple import app
from sim.cascade import cascade
from sim.network import DAMAGED, ISOLATED, Network
from sim.scenario import load_scenario
from sim.scenario.importers import ImportFailed
from sim.scenario.importers.pandapower import PEOPLE_PER_MW, import_pandapower
from sim.scenario.netdata import read_network, write_network

logging.getLogger("pandapower").setLevel(logging.ERROR)     # numba, optional, is not installed
pp = pytest.importorskip("pandapower")
pn = pytest.importorskip("pandapower.networks")
top = pytest.importorskip("pandapower.topology")
pyproj = pytest.importorskip("pyproj")

runner = CliRunner()
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")    # pandapower's, on its own networks


@pytest.fixture(scope="module")
def oberrhein(tmp_path_factory):
    """pandapower's mv_oberrhein (179 buses, 6 open line switches), saved and imported."""
    net = pn.mv_oberrhein()
    path = tmp_path_factory.mktemp("pp") / "oberrhein.json"
    pp.to_json(net, str(path))
    return net, path, *import_pandapower(path)


def cigre_with_everything():
    """CIGRE MV with DER, plus what it lacks: a parallel line, bus-bus switches (one open), a
    three-winding transformer, an out-of-service line and a bus without coordinates."""
    net = pn.create_cigre_network_mv(with_der="pv_wind")
    pp.create_line_from_parameters(net, 1, 2, 2.0, 0.5, 0.4, 200.0, 0.3, name="parallel")
    extra = pp.create_bus(net, 20.0, name="no position")
    pp.create_switch(net, 3, extra, et="b", closed=True)
    spare = pp.create_bus(net, 20.0, name="spare", geodata=(4.5, 12.0))
    pp.create_switch(net, 3, spare, et="b", closed=False)
    mv, lv = pp.create_bus(net, 20.0, geodata=(8.0, 16.0)), pp.create_bus(net, 10.0, geodata=(8.0, 17.0))
    pp.create_transformer3w(net, 0, mv, lv, "63/25/38 MVA 110/20/10 kV")
    net.line.loc[5, "in_service"] = False
    return net, extra, spare


def test_buses_sources_ties_and_parallel_lines_match_pandapower(tmp_path):
    net, extra, spare = cigre_with_everything()
    pp.to_json(net, str(tmp_path / "cigre.json"))
    t, report = import_pandapower(tmp_path / "cigre.json")
    assert t.n_nodes == len(net.bus) and t.ids == [f"bus{i}" for i in net.bus.index]
    sources = set(net.ext_grid.bus[net.ext_grid.in_service]) | set(net.gen.bus[net.gen.in_service])
    assert {t.ids[i] for i in np.flatnonzero(t.source)} == {f"bus{b}" for b in sources}
    line_switches = net.switch[(net.switch.et == "l") & ~net.switch.closed]
    open_lines = set(line_switches.element) | set(net.line.index[~net.line.in_service])
    open_bus_switches = net.switch.index[(net.switch.et == "b") & ~net.switch.closed]
    assert sorted(i for i, o in zip(t.link_id, t.link_open) if o) == sorted(
        [f"line{i}" for i in open_lines] + [f"switch{i}" for i in open_bus_switches])
    assert t.link_kind.count("line") == len(net.line) and t.link_kind.count("trafo") == len(net.trafo)
    assert t.link_kind.count("trafo3w") == 3 * len(net.trafo3w) and t.link_kind.count("switch") == 2
    pair = [(t.ids[a], t.ids[b]) for a, b in zip(t.link_a, t.link_b)]
    assert pair.count(("bus1", "bus2")) == 2           # the parallel line is its own link
    assert report.unplaced == [f"bus{extra}"]      # no coordinates: left unplaced
    assert np.isnan(t.x[t.ids.index(f"bus{extra}")]) and np.isnan(t.y[t.ids.index(f"bus{extra}")])
    assert np.isfinite(t.x[t.ids.index("bus3")])
    assert f"1 node(s) without coordinates left unplaced: bus{extra}" in report.lines()
    assert t.population.sum() == pytest.approx(net.load.p_mw[net.load.in_service].sum() * PEOPLE_PER_MW)
    assert "mapped 1 lines out of service -> ties" in report.lines()


def test_positions_are_km_around_the_data(oberrhein):
    net, _, t, report = oberrhein
    lonlat = np.array([json.loads(g)["coordinates"] for g in net.bus.geo])
    geod = pyproj.Geod(ellps="WGS84")
    rng = np.random.default_rng(0)
    for i, j in rng.integers(0, len(lonlat), size=(40, 2)):
        true_km = geod.inv(*lonlat[i], *lonlat[j])[2] / 1000
        assert np.hypot(t.x[i] - t.x[j], t.y[i] - t.y[j]) == pytest.approx(true_km, rel=1e-3, abs=1e-6)
    local = pyproj.Proj(proj="aeqd", lon_0=lonlat[:, 0].mean(), lat_0=lonlat[:, 1].mean(), datum="WGS84")
    east, north = local(lonlat[:, 0], lonlat[:, 1])
    for mine, theirs in ((t.x, east), (t.y, north)):
        assert (mine.min(), mine.max()) == pytest.approx((theirs.min() / 1000, theirs.max() / 1000), abs=1e-6)
    assert t.coordinates == "km"
    assert report.warnings == [] and report.unplaced == []


def test_an_implausible_extent_warns_and_another_crs_is_projected(tmp_path):
    net = pn.create_cigre_network_mv()
    net.bus.geo = '{"type": "Point", "coordinates": [7.0, 48.0]}'
    pp.to_json(net, str(tmp_path / "flat.json"))
    _, report = import_pandapower(tmp_path / "flat.json")
    assert report.warnings and "within 0 m" in report.warnings[0]
    net = pn.create_cigre_network_mv()
    pp.to_json(net, str(tmp_path / "cigre.json"))
    t, report = import_pandapower(tmp_path / "cigre.json", crs="EPSG:25832")     # metres, not degrees
    assert report.warnings and "placeholders" in report.warnings[0]
    metres = np.array([json.loads(g)["coordinates"] for g in net.bus.geo])
    assert np.hypot(np.ptp(t.x), np.ptp(t.y)) == pytest.approx(np.hypot(*np.ptp(metres, axis=0)) / 1000, rel=0.01)


def scenario_around(tmp_path, network_file):
    """A scenario of the imported grid alone: the sources rule, no attacks."""
    data = {"id": "pp", "name": "pandapower grid", "clock": {"tick": "5min", "duration": "1h"},
            "sectors": {"energy": {"connectivity": "sources"}}, "network": {"file": network_file.name}}
    path = network_file.parent / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path)


def unsupplied_without(net, bus, **kw):
    """pandapower's unsupplied buses with ``bus`` out of service (respecting switches)."""
    net.bus.loc[bus, "in_service"] = False
    try:
        return set(top.unsupplied_buses(net, **kw))
    finally:
        net.bus.loc[bus, "in_service"] = True


def test_buses_down_are_pandapowers_unsupplied_buses(oberrhein, tmp_path):
    net, _, tables, _ = oberrhein
    write_network(tables, tmp_path / "grid.yaml")
    ripple_net = Network.from_scenario(scenario_around(tmp_path, tmp_path / "grid.yaml"))
    sources = set(net.ext_grid.bus)
    intact = cascade(ripple_net, np.zeros(ripple_net.n, np.uint8), ripple_net.dep_buffer.copy()).down
    assert {ripple_net.ids[i] for i in np.flatnonzero(intact)} == {f"bus{b}" for b in top.unsupplied_buses(net)}
    largest = 0
    for bus in net.bus.index:
        own = np.zeros(ripple_net.n, np.uint8)
        own[ripple_net.index[f"bus{bus}"]] = DAMAGED
        down = cascade(ripple_net, own, ripple_net.dep_buffer.copy()).down
        ripple_cut = {ripple_net.ids[i] for i in np.flatnonzero(down & ISOLATED)}
        expected = {f"bus{b}" for b in unsupplied_without(net, bus, slacks=sources - {bus})} - {f"bus{bus}"}
        assert ripple_cut == expected, bus
        largest = max(largest, len(expected))
    assert largest >= 30        # some bus cuts off a whole feeder


def test_closing_an_open_switch_in_pandapower_and_in_ripple_agree(tmp_path):
    net = pn.mv_oberrhein()
    net.switch.closed = True            # every tie closed: a meshed grid
    pp.to_json(net, str(tmp_path / "closed.json"))
    tables, _ = import_pandapower(tmp_path / "closed.json")
    assert not tables.link_open.any()
    write_network(tables, tmp_path / "grid.json")
    ripple_net = Network.from_scenario(scenario_around(tmp_path, tmp_path / "grid.json"))
    for bus in net.trafo.lv_bus:
        own = np.zeros(ripple_net.n, np.uint8)
        own[ripple_net.index[f"bus{bus}"]] = DAMAGED
        down = cascade(ripple_net, own, ripple_net.dep_buffer.copy()).down
        assert {ripple_net.ids[i] for i in np.flatnonzero(down & ISOLATED)} == {
            f"bus{b}" for b in unsupplied_without(net, bus)} - {f"bus{bus}"}


@pytest.mark.parametrize("ext", ["yaml", "json", "graphml", "parquet"])
def test_every_format_round_trips_the_imported_grid(oberrhein, tmp_path, ext):
    _, _, tables, _ = oberrhein
    write_network(tables, tmp_path / f"grid.{ext}")
    assert read_network(tmp_path / f"grid.{ext}") == tables


def test_the_command_writes_the_file_and_says_what_it_mapped(oberrhein, tmp_path):
    _, path, tables, _ = oberrhein
    result = runner.invoke(app, ["import", "pandapower", str(path), "--out", str(tmp_path / "g.parquet"),
                                 "--prefix", "ob_", "--people-per-mw", "500"])
    assert result.exit_code == 0, result.output
    assert "mapped 179 buses -> nodes" in result.output and "mapped 6 lines cut by an open switch -> ties" in result.output
    assert "wrote" in result.output and "(6 normally-open ties)" in result.output
    written = read_network(tmp_path / "g.parquet")
    assert written.ids[0] == "ob_bus0" and written.population.sum() == pytest.approx(tables.population.sum() / 2)


@pytest.mark.parametrize("content, message", [(None, "file not found"), ('{"nodes": []}', "not a pandapower network"),
                                              ("not json", "not a pandapower network")])
def test_bad_input_is_one_line_and_exit_2(tmp_path, content, message):
    path = tmp_path / "net.json"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["import", "pandapower", str(path), "--out", str(tmp_path / "g.yaml")])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    with pytest.raises(ImportFailed, match=message):
        import_pandapower(path)


def test_a_bus_out_of_service_keeps_its_node_and_its_branches_become_ties(tmp_path):
    net = pn.create_cigre_network_mv()
    net.bus.loc[5, "in_service"] = False
    pp.to_json(net, str(tmp_path / "cigre.json"))
    t, report = import_pandapower(tmp_path / "cigre.json")
    at_bus = [i for i, (a, b) in enumerate(zip(t.link_a, t.link_b)) if "bus5" in (t.ids[a], t.ids[b])]
    assert at_bus and t.link_open[at_bus].all()
    assert t.node_attrs[t.ids.index("bus5")]["in_service"] is False
    assert "mapped 1 buses out of service (kept, their links ties)" in report.lines()
