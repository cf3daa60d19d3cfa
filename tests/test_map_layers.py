"""Background layers of the maps (``map.layers``) and the scale bar: read, placed in the
network's frame, simplified, drawn under the network, and refused with one clear message."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from browser import chromium, open_page
from dashboards.figures import map_extent, network_map
from dashboards.layers import map_background, scale_length, scale_path
from dashboards.replay import write_replay
from ripple import app
from sim.model import RippleModel
from sim.network import Network
from sim.scenario import load_scenario
from sim.scenario.maplayers import LayerUnreadable

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()

LONLAT_SCENARIO = """
id: coast
name: Coast
clock: {{tick: 10min, duration: 2h}}
network:
  coordinates: lonlat
  nodes:
    - {{id: plant, sector: energy, x: 8.60, y: 53.50, source: true}}
    - {{id: sub, sector: energy, x: 8.70, y: 53.55, population: 100}}
  links: [[plant, sub]]
map:
  layers:
{layers}
"""

DRAWING_SCENARIO = """
id: drawn
name: Drawn
clock: {{tick: 10min, duration: 2h}}
network:
  nodes:
    - {{id: plant, sector: energy, x: 0, y: 0, source: true}}
    - {{id: sub, sector: energy, x: 3, y: 4, population: 100}}
  links: [[plant, sub]]
map:
  layers:
{layers}
"""


def geojson_line(path: Path, points: list[tuple[float, float]]) -> Path:
    coords = ",".join(f"[{x},{y}]" for x, y in points)
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
                    f'"geometry":{{"type":"LineString","coordinates":[{coords}]}}}}]}}\n')
    return path


def write_scenario(folder: Path, template: str, layers: str) -> Path:
    path = folder / "scenario.yaml"
    path.write_text(template.format(layers=layers))
    return path


# ------------------------------------------------------------------ the scale bar
@pytest.mark.parametrize("span", [0.03, 0.9, 4.99, 5.0, 7.0, 30.0, 123.0, 4000.0])
def test_scale_length_is_the_largest_round_length_within_a_fifth(span):
    length = scale_length(span)
    mantissa = length / 10 ** math.floor(math.log10(length) + 1e-12)
    assert round(mantissa, 9) in (1.0, 2.0, 5.0)
    assert length <= span / 5 * (1 + 1e-9)
    bigger = {1.0: 2.0, 2.0: 5.0, 5.0: 10.0}[round(mantissa, 9)] * length / mantissa
    assert bigger > span / 5


def test_scale_bar_is_its_length_in_km_and_labelled():
    path, x, _, label = scale_path((10.0, 40.0, 0.0, 20.0))
    xs = [float(p.split(",")[0].lstrip("ML")) for p in path.split()]
    assert max(xs) - min(xs) == pytest.approx(5.0) and label == "5 km"
    assert x == pytest.approx((max(xs) + min(xs)) / 2)
    assert scale_path((0.0, 2.0, 0.0, 1.0))[3] == "200 m"


# ---------------------------------------------------------------- the flagship's layers
def test_generator_rewrites_the_flagship_layers_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scenarios" / "generate_calder_bay_map.py"), "--out", str(tmp_path)],
                   check=True, capture_output=True)
    shipped = ROOT / "scenarios" / "calder_bay_map"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in shipped.iterdir())
    for made in tmp_path.iterdir():
        assert made.read_bytes() == (shipped / made.name).read_bytes(), made.name


@pytest.fixture(scope="module")
def flagship():
    scenario = load_scenario(ROOT / "scenarios" / "calder_bay.yaml")
    return scenario, Network.from_scenario(scenario)


def test_flagship_layers_are_drawn_first_under_the_network(flagship):
    scenario, net = flagship
    background = map_background(scenario)
    assert [b.layer.name for b in background] == ["Calder Bay and the sea", "City limits", "Main roads"]
    assert {b.placed_as for b in background} == {"network"}
    extent = map_extent(net)
    fig = network_map(net, np.zeros(net.n, np.uint8), np.zeros(net.n, bool), extent=extent, background=background)
    metas = [t.meta for t in fig.data]
    assert metas[:3] == ["layer:Calder Bay and the sea", "layer:City limits", "layer:Main roads"]
    assert all(t.hoverinfo == "skip" and t.legendgroup == "background" for t in fig.data[:3])
    assert fig.data[0].fill == "toself" and fig.data[2].fill is None          # water filled, roads as lines
    side = max(extent[1] - extent[0], extent[3] - extent[2])
    water_x = [v for v in fig.data[0].x if v is not None]
    assert min(water_x) >= extent[0] - 0.5 * side - 1e-6 and max(water_x) <= extent[1] + 0.5 * side + 1e-6  # clipped
    assert [s.name for s in fig.layout.shapes] == ["scale"]
    assert [a.text for a in fig.layout.annotations if a.name == "scale"] == ["5 km"]


def test_layers_do_not_change_the_run(flagship, tmp_path):
    """A scenario's map is drawing only: the same run with and without it."""
    scenario, _ = flagship
    plain = scenario.model_copy(update={"map": scenario.map.model_copy(update={"layers": []})})
    a, b = RippleModel(scenario, seed=5).run(), RippleModel(plain, seed=5).run()
    a.save(tmp_path / "a")
    b.save(tmp_path / "b")
    for name in ("summary.json", "events.jsonl", "series.parquet", "nodes.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


# ------------------------------------------------------------ placing layers in the frame
def test_a_wgs84_layer_is_projected_with_the_network(tmp_path):
    geojson_line(tmp_path / "line.geojson", [(8.60, 53.50), (8.70, 53.55)])
    scenario = load_scenario(write_scenario(tmp_path, LONLAT_SCENARIO,
                                            "    - {file: line.geojson, name: Line, style: road}"))
    net = Network.from_scenario(scenario)
    (shapes,) = map_background(scenario)
    assert shapes.placed_as == "EPSG:4326"
    ends = np.array(shapes.geometries[0].coords)
    assert np.abs(ends - net.xy).max() < 1e-6          # the line runs exactly between the two nodes


def test_a_layer_without_a_crs_is_taken_in_the_networks_frame(tmp_path):
    import geopandas
    import shapely

    frame = geopandas.GeoDataFrame({"name": ["x"]}, geometry=[shapely.LineString([(1.0, 2.0), (3.0, 4.0)])])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                # pyogrio's note that the file will have no CRS: the point
        frame.to_file(tmp_path / "plain.shp")          # a shapefile without .prj: no CRS
    scenario = load_scenario(write_scenario(tmp_path, LONLAT_SCENARIO,
                                            "    - {file: plain.shp, name: Plain, style: boundary}"))
    (shapes,) = map_background(scenario)
    assert shapes.placed_as == "network" and "names no CRS" in shapes.note
    assert list(shapes.geometries[0].coords) == [(1.0, 2.0), (3.0, 4.0)]
    result = runner.invoke(app, ["run", str(tmp_path / "scenario.yaml"), "--out", str(tmp_path / "run"), "--html"])
    assert result.exit_code == 0, result.output
    assert "warning:" in result.output and "names no CRS" in result.output     # said so when the page is drawn


def test_crs_network_keeps_a_drawings_km(tmp_path):
    geojson_line(tmp_path / "km.geojson", [(0, 0), (3, 4)])
    scenario = load_scenario(write_scenario(tmp_path, DRAWING_SCENARIO,
                                            "    - {file: km.geojson, name: Km, style: road, crs: network}"))
    (shapes,) = map_background(scenario)
    assert list(shapes.geometries[0].coords) == [(0.0, 0.0), (3.0, 4.0)] and shapes.note == ""


def test_a_referenced_layer_on_a_drawing_is_refused(tmp_path):
    geojson_line(tmp_path / "wgs.geojson", [(8.6, 53.5), (8.7, 53.55)])
    scenario = load_scenario(write_scenario(tmp_path, DRAWING_SCENARIO,
                                            "    - {file: wgs.geojson, name: Wgs, style: road}"))
    with pytest.raises(LayerUnreadable, match="drawing without a CRS.*crs: network"):
        map_background(scenario)


# ------------------------------------------------------------------- bad layers
@pytest.mark.parametrize("layers, line, field, words", [
    ("    - {file: nowhere.geojson, name: X, style: water}", 12, "map.layers[0].file", "nowhere.geojson' (paths are"),
    ("    - {file: km.geojson, name: X, style: forest}", 12, "map.layers[0].style", "'water'"),
    ("    - {file: km.geojson, name: X, style: road, crs: 'EPSG:99999999'}", 12, "map.layers[0].crs", "not a CRS"),
])
def test_a_bad_layer_entry_is_located(tmp_path, layers, line, field, words):
    geojson_line(tmp_path / "km.geojson", [(0, 0), (3, 4)])
    path = write_scenario(tmp_path, DRAWING_SCENARIO, layers)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    first = result.output.splitlines()[0]
    assert first.startswith(f"{path}:{line}: {field}: "), first
    assert words in result.output


@pytest.mark.parametrize("content, words", [
    ("this is not GeoJSON\n", "not a vector layer GDAL can read"),
    ('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},'
     '"geometry":{"type":"LineString","coordinates":[[8.6,53.5],[8.7,53.55]]}}]}\n', "drawing without a CRS"),
])
def test_an_unreadable_layer_is_refused_at_its_line_before_anything_is_written(tmp_path, content, words):
    (tmp_path / "bad.geojson").write_text(content)
    path = write_scenario(tmp_path, DRAWING_SCENARIO, "    - {file: bad.geojson, name: Bad, style: water}")
    out = tmp_path / "run"
    out.mkdir()
    (out / "summary.json").write_text("an earlier run's")
    log = tmp_path / "exercise.jsonl"
    for command in (["validate", str(path)], ["run", str(path), "--out", str(out), "--html", "--force"],
                    ["serve", str(path), "--log", str(log), "--port", "8979"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output and words in result.output
        assert result.output.startswith(f"{path}:12: map.layers[0].file: {tmp_path / 'bad.geojson'}: "), result.output
    assert (out / "summary.json").read_text() == "an earlier run's" and not log.exists()


# --------------------------------------------------------------------- in the browser
@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.mark.browser
def test_replay_draws_layers_and_a_scale_bar_that_follows_zoom(browser, flagship, tmp_path):
    scenario, _ = flagship
    model = RippleModel(scenario, seed=7)
    result = model.run()
    path = write_replay(result, model.network, tmp_path / "replay.html", map_background(scenario))
    with open_page(browser, path) as s:
        s.page.wait_for_function("window.rippleReady === true", timeout=10_000)
        names = s.page.evaluate("document.getElementById('map').data.filter(t => String(t.meta).startsWith('layer:'))"
                                ".map(t => t.name)")
        assert names == ["Calder Bay and the sea", "City limits", "Main roads"]
        label = "() => document.getElementById('map').layout.annotations.find(a => a.name === 'scale').text"
        assert s.page.evaluate(label) == "5 km"
        s.page.evaluate("Plotly.relayout('map', {'xaxis.range': [10, 18], 'yaxis.range': [5, 9]})")
        s.page.wait_for_function(f"({label})() === '1 km'", timeout=5_000)
        s.page.evaluate("Plotly.relayout('map', {'xaxis.range': [14, 15], 'yaxis.range': [8, 8.5]})")
        s.page.wait_for_function(f"({label})() === '200 m'", timeout=5_000)
        s.page.locator("#map .legend .traces", has_text="Main roads").locator(".legendtoggle").click()  # the legend hides it
        s.page.wait_for_function("document.getElementById('map').data.find(t => t.meta === 'layer:Main roads').visible"
                                 " === 'legendonly'", timeout=5_000)
        assert s.blocked == [] and s.errors == []


def test_the_console_map_draws_the_layers_under_the_network():
    from dashboards.app import map_figure
    from sim.exercise import ExerciseSession

    session = ExerciseSession(ROOT / "scenarios" / "calder_bay.yaml", seed=7)
    fig = map_figure(session, map_extent(session.network), map_background(session.scenario))
    assert [t.meta for t in fig.data[:3]] == ["layer:Calder Bay and the sea", "layer:City limits", "layer:Main roads"]
    assert [a.text for a in fig.layout.annotations if a.name == "scale"] == ["5 km"]


# ------------------------------------------------------------- points and holes
# a lake with an island, both rings clockwise as many files have them (RFC 7946 asks for the
# exterior counter-clockwise and holes clockwise), and landmarks as a point and a multipoint
LAKE = ('{"type":"FeatureCollection","features":['
        '{"type":"Feature","properties":{},"geometry":{"type":"Polygon","coordinates":'
        '[[[0,0],[0,10],[10,10],[10,0],[0,0]],[[4,4],[4,6],[6,6],[6,4],[4,4]]]}},'
        '{"type":"Feature","properties":{"name":"lighthouse"},"geometry":{"type":"Point","coordinates":[8,2]}},'
        '{"type":"Feature","properties":{},"geometry":{"type":"MultiPoint","coordinates":[[2,8],[3,8]]}}]}\n')


def signed_area(xs: list[float], ys: list[float]) -> float:
    """Twice the signed area of a closed ring (positive: counter-clockwise)."""
    return sum(x0 * y1 - x1 * y0 for x0, y0, x1, y1 in zip(xs, ys, xs[1:], ys[1:]))


def segments(values: list) -> list[list]:
    out: list[list] = [[]]
    for v in values:
        if v is None:
            out.append([])
        else:
            out[-1].append(v)
    return out


def lake_figure(tmp_path: Path):
    from dashboards.layers import POINT_SIZE, background_traces

    (tmp_path / "lake.geojson").write_text(LAKE)
    scenario = load_scenario(write_scenario(tmp_path, DRAWING_SCENARIO,
                                            "    - {file: lake.geojson, name: Lake, style: water, crs: network}"))
    (shapes,) = map_background(scenario)
    assert sorted(g.geom_type for g in shapes.geometries) == ["MultiPoint", "Point", "Polygon"]   # points kept
    (trace,) = background_traces([shapes], (0.0, 10.0, 0.0, 10.0))
    return trace, POINT_SIZE


def test_a_layers_points_are_drawn_and_its_holes_wind_the_other_way(tmp_path):
    trace, size = lake_figure(tmp_path)
    assert trace.mode == "lines+markers" and trace.fill == "toself"
    xs, ys = segments(list(trace.x)), segments(list(trace.y))
    rings = [(x, y) for x, y in zip(xs, ys) if len(x) > 1]
    assert [signed_area(x, y) > 0 for x, y in rings] == [True, False]      # exterior ccw, the island's shore cw
    marked = sorted((x, y) for x, y, s in zip(trace.x, trace.y, trace.marker.size) if s == size)
    assert marked == [(2.0, 8.0), (3.0, 8.0), (8.0, 2.0)]                  # the landmarks, nothing else
    assert sorted(set(trace.marker.size)) == [0, size] and list(trace.marker.size).count(size) == 3   # rings: no marks


@pytest.mark.browser
def test_chromium_leaves_the_hole_of_a_filled_layer_empty(browser, tmp_path):
    import plotly.graph_objects as go

    from dashboards import page

    trace, size = lake_figure(tmp_path)
    fig = go.Figure([trace])
    fig.update_layout(width=600, height=600, xaxis=dict(range=[-1, 11]), yaxis=dict(range=[-1, 11]))
    path = tmp_path / "lake.html"
    path.write_text(page.render("lake", page.figure_div(fig, "lake"), ""))
    with open_page(browser, path) as s:
        s.page.wait_for_selector("#lake .main-svg")
        inside = s.page.evaluate("""([points]) => {
          const gd = document.getElementById('lake'), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
          const fill = gd.querySelector('path.js-fill');
          return points.map(([x, y]) => fill.isPointInFill(new DOMPoint(xa.d2p(x), ya.d2p(y))));
        }""", [[[2, 2], [5, 5], [8, 8]]])
        assert inside == [True, False, True]                               # water, the island, water
        shown = s.page.evaluate("[...document.querySelectorAll('#lake .points path.point')]"
                                ".filter(p => p.getBBox().width > 0).length")
        assert shown == 3                                                   # three landmark markers drawn
        assert s.blocked == [] and s.errors == []
