"""``ripple import gis``: GeoJSON, GeoPackage and shapefile layers written here, imported and
checked for counts, snapped links, positions (against pyproj's geodesics), sources and attributes."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from ripple import app
from sim.scenario.importers import ImportFailed
from sim.scenario.importers.gis import import_gis
from sim.scenario.netdata import read_network

gpd = pytest.importorskip("geopandas")
pyproj = pytest.importorskip("pyproj")
shapely = pytest.importorskip("shapely.geometry")

runner = CliRunner()
GEOD = pyproj.Geod(ellps="WGS84")

# a plant, two substations and a hospital (a polygon) near Freiburg, joined by three cables; the
# first cable ends 15 m from the plant, the third meets the second at a point with no asset
PLANT, SUB_N, SUB_S = (7.8400, 47.9900), (7.8600, 47.9950), (7.8600, 47.9800)
HOSPITAL = [(7.8700, 47.9790), (7.8710, 47.9790), (7.8710, 47.9797), (7.8700, 47.9797), (7.8700, 47.9790)]
JOINT = (7.8650, 47.9850)


def feature(props, geometry):
    return {"type": "Feature", "properties": props, "geometry": geometry}


def point(lonlat):
    return {"type": "Point", "coordinates": list(lonlat)}


def line(*lonlats):
    return {"type": "LineString", "coordinates": [list(p) for p in lonlats]}


def town_features():
    return [
        feature({"asset": "P1", "label": "Plant", "type": "plant", "people": 0, "mw": 120.5}, point(PLANT)),
        feature({"asset": "S1", "label": "North", "type": "substation", "people": 4000}, point(SUB_N)),
        feature({"asset": "S2", "label": "South", "type": "substation", "people": 2500}, point(SUB_S)),
        feature({"asset": "H1", "label": "Hospital", "type": "hospital", "people": 300},
                {"type": "Polygon", "coordinates": [[list(p) for p in HOSPITAL]]}),
        feature({"asset": "C1", "type": "cable", "kv": 20}, line((7.8402, 47.9900), (7.8500, 47.9930), SUB_N)),
        feature({"asset": "C2", "type": "cable", "kv": 20}, line(SUB_N, JOINT)),
        feature({"asset": "C3", "type": "cable", "kv": 20, "status": "open"}, line((7.86502, 47.98501), SUB_S)),
        feature({"asset": "C4", "type": "cable", "kv": 20}, line(SUB_S, (7.8703, 47.9792))),
    ]


def write_geojson(path, features, crs=None):
    data = {"type": "FeatureCollection", "features": features}
    if crs:
        data["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def town(tmp_path):
    return write_geojson(tmp_path / "town.geojson", town_features())


def import_town(path, **kw):
    options = dict(sector="energy", id_field="asset", kind_field="type", name_field="label",
                   population_field="people", source_where="type == 'plant'", open_where="status == 'open'")
    return import_gis(path, **{**options, **kw})


def distance_km(t, a, b):
    i, j = t.ids.index(a), t.ids.index(b)
    return float(np.hypot(t.x[i] - t.x[j], t.y[i] - t.y[j]))


def test_points_polygons_and_lines_become_nodes_and_snapped_links(town):
    t, report = import_town(town)
    assert t.ids == ["P1", "S1", "S2", "H1", "junction1"]
    assert [t.kind[i] for i in range(5)] == ["plant", "substation", "substation", "hospital", "junction"]
    assert t.name[:4] == ["Plant", "North", "South", "Hospital"]
    assert [t.ids[i] for i in np.flatnonzero(t.source)] == ["P1"]
    assert t.population.tolist() == [0, 4000, 2500, 300, 0]
    ends = {i: (t.ids[a], t.ids[b]) for i, a, b in zip(t.link_id, t.link_a, t.link_b)}
    # C1 starts 15 m from the plant: snapped to it; C2 and C3 meet where no asset is: a junction
    assert ends == {"C1": ("P1", "S1"), "C2": ("S1", "junction1"), "C3": ("junction1", "S2"), "C4": ("S2", "H1")}
    assert [i for i, o in zip(t.link_id, t.link_open) if o] == ["C3"]
    assert t.node_attrs[0] == {"mw": 120.5}                 # fields used as id, name, kind, population: not repeated
    attrs = t.link_attrs[t.link_id.index("C1")]
    assert attrs["kv"] == 20 and attrs["length_km"] == pytest.approx(
        GEOD.line_length([7.8402, 7.8500, SUB_N[0]], [47.9900, 47.9930, SUB_N[1]]) / 1000, rel=1e-3)
    assert "mapped 1 line ends with no node within 50 m -> junction nodes" in report.lines()
    assert report.warnings == [] and report.unplaced == []


def test_positions_are_km_of_a_local_frame_true_to_the_geodesic(town):
    t, _ = import_town(town)
    for a, b, (lon_a, lat_a), (lon_b, lat_b) in (("P1", "S1", PLANT, SUB_N), ("S1", "S2", SUB_N, SUB_S),
                                                 ("P1", "S2", PLANT, SUB_S)):
        assert distance_km(t, a, b) == pytest.approx(GEOD.inv(lon_a, lat_a, lon_b, lat_b)[2] / 1000, rel=1e-4)
    to_frame = pyproj.Transformer.from_crs("EPSG:4326", t.crs, always_xy=True)
    for node, lonlat in (("P1", PLANT), ("S1", SUB_N), ("S2", SUB_S)):
        i = t.ids.index(node)
        assert (t.x[i], t.y[i]) == pytest.approx(to_frame.transform(*lonlat), abs=1e-9)
    # the polygon's node lies inside the polygon; the frame is centred on the data: a few km box
    hospital = shapely.Polygon(HOSPITAL)
    frame = pyproj.Transformer.from_crs(t.crs, "EPSG:4326", always_xy=True)
    i = t.ids.index("H1")
    assert hospital.contains(shapely.Point(frame.transform(t.x[i], t.y[i])))
    assert np.abs(t.x).max() < 2.5 and np.abs(t.y).max() < 1.5 and t.coordinates == "km"
    assert t.x[t.ids.index("S1")] > t.x[t.ids.index("P1")]       # east is +x
    assert t.y[t.ids.index("S1")] > t.y[t.ids.index("S2")]       # north is +y


def test_a_layer_in_its_own_projected_crs_is_read_in_it(tmp_path):
    utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    features = []
    for f in town_features():
        g = shapely.shape(f["geometry"])
        features.append(feature(f["properties"], shapely.mapping(shapely_transform(g, utm))))
    path = write_geojson(tmp_path / "utm.geojson", features, crs="urn:ogc:def:crs:EPSG::25832")
    t, report = import_town(path, crs="EPSG:3857")       # the file's own CRS wins
    wgs, _ = import_town(write_geojson(tmp_path / "wgs.geojson", town_features()))
    assert t.ids == wgs.ids
    for a, b in (("P1", "S1"), ("S1", "H1"), ("P1", "junction1")):
        assert distance_km(t, a, b) == pytest.approx(distance_km(wgs, a, b), rel=1e-3)
    assert any("--crs EPSG:3857 is ignored" in w for w in report.warnings)


def shapely_transform(geometry, transformer):
    import shapely as shp
    return shp.transform(geometry, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])))


def test_metres_in_a_geojson_that_says_nothing_are_refused_not_read_as_degrees(tmp_path):
    utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
    features = [feature(f["properties"], shapely.mapping(shapely_transform(shapely.shape(f["geometry"]), utm)))
                for f in town_features()]
    path = write_geojson(tmp_path / "metres.geojson", features)
    with pytest.raises(ImportFailed, match="degrees .* but they are not .*--crs"):
        import_town(path)
    t, report = import_town(path, crs="EPSG:25832")
    assert distance_km(t, "P1", "S1") == pytest.approx(GEOD.inv(*PLANT, *SUB_N)[2] / 1000, rel=1e-3)
    assert any("read in --crs EPSG:25832" in w for w in report.warnings)


def test_a_geopackage_layer_is_picked_by_name(tmp_path):
    frame = gpd.read_file(write_geojson(tmp_path / "town.geojson", town_features()))
    path = tmp_path / "town.gpkg"
    frame.to_file(path, layer="assets", driver="GPKG")
    frame.iloc[:2].to_file(path, layer="other", driver="GPKG")
    with pytest.raises(ImportFailed, match="2 layers; pick one with --layer: assets, other"):
        import_town(path)
    with pytest.raises(ImportFailed, match="no layer 'nope'"):
        import_town(path, layer="nope")
    t, _ = import_town(path, layer="assets")
    wgs, _ = import_town(tmp_path / "town.geojson")
    assert t == wgs


@pytest.mark.filterwarnings("ignore:.crs. was not provided")
def test_a_shapefile_of_lines_only_without_a_crs_is_a_drawing_placed_by_units_and_origin(tmp_path):
    # a feeder drawn in feet: three cables end to end and a spur, ends a few feet apart
    cables = gpd.GeoDataFrame(
        {"cable": ["A", "B", "C", "D"], "kv": [11, 11, 11, 0.4]},
        geometry=[shapely.LineString([(0, 0), (1000, 0)]), shapely.LineString([(1003, 2), (2000, 0)]),
                  shapely.LineString([(2000, 0), (3000, 500)]), shapely.LineString([(2001, 1), (2000, 800)])])
    path = tmp_path / "feeder.shp"
    cables.to_file(path)
    assert not (tmp_path / "feeder.prj").exists()
    with pytest.raises(ImportFailed, match="declares no CRS and its positions are not degrees .*--units"):
        import_gis(path, sector="energy", id_field="cable")
    t, report = import_gis(path, sector="energy", id_field="cable", units="ft", origin=(7.8, 48.0))
    assert t.ids == ["junction1", "junction2", "junction3", "junction4", "junction5"]
    ends = {i: {t.ids[a], t.ids[b]} for i, a, b in zip(t.link_id, t.link_a, t.link_b)}
    assert ends["A"] & ends["B"] and ends["B"] & ends["C"] & ends["D"]     # joined within 50 m
    assert t.x.max() == pytest.approx(3000 * 0.0003048) and t.crs.startswith("+proj=aeqd +lat_0=48 +lon_0=7.8")
    assert t.link_attrs[t.link_id.index("A")]["length_km"] == pytest.approx(0.3048)
    t, _ = import_gis(path, sector="energy", id_field="cable", units="ft", snap_m=0.1)
    assert t.n_nodes == 7 and t.crs is None              # ends 0.4 m apart stay apart; no origin: unplaced


def test_multilines_split_where_they_do_not_join_and_a_line_onto_itself_is_dropped(tmp_path):
    features = [feature({"id": "A"}, point(PLANT)), feature({"id": "B"}, point(SUB_N)),
                feature({"id": "C"}, point(SUB_S)),
                feature({"id": "M"}, {"type": "MultiLineString", "coordinates": [[PLANT, SUB_N], [SUB_N, SUB_S],
                                                                                 [SUB_S, JOINT]]}),
                feature({"id": "X"}, {"type": "MultiLineString", "coordinates": [[PLANT, SUB_S], [SUB_N, JOINT]]}),
                feature({"id": "L"}, line(PLANT, (7.8401, 47.9901)))]
    t, report = import_gis(write_geojson(tmp_path / "multi.geojson", features), sector="water")
    ends = {i: (t.ids[a], t.ids[b]) for i, a, b in zip(t.link_id, t.link_a, t.link_b)}
    assert ends == {"M": ("A", "junction1"), "X.1": ("A", "C"), "X.2": ("B", "junction1")}
    assert "dropped 1 lines whose ends snap to one node (L)" in report.lines()


def test_without_an_id_field_features_are_numbered(tmp_path):
    features = [feature({"kind": "tower"}, point(PLANT)), feature({"kind": "tower"}, point(SUB_N)),
                feature({}, line(PLANT, SUB_N))]
    t, _ = import_gis(write_geojson(tmp_path / "towers.geojson", features), sector="telecom", prefix="tc.",
                      kind_field="kind")
    assert t.ids == ["tc.feature0", "tc.feature1"] and t.link_id == ["tc.feature2"]
    assert t.kind == ["tower", "tower"]


def test_a_query_that_selects_the_wrong_features_warns(town):
    _, report = import_town(town, source_where="kv == 20", open_where="type == 'plant'")
    assert report.warnings == ["--source-where selects 4 lines: only nodes are sources",
                               "--open-where selects 1 nodes: only links are ties"]
    _, report = import_town(town, source_where="type == 'reactor'")
    assert report.warnings == ["--source-where selects no feature"]


def test_a_feature_without_geometry_is_an_unplaced_node(tmp_path):
    features = town_features() + [feature({"asset": "Z9", "type": "depot"}, None)]
    t, report = import_town(write_geojson(tmp_path / "t.geojson", features))
    assert "Z9" in t.ids and report.unplaced == ["Z9"]


@pytest.mark.parametrize("ext", ["yaml", "json", "graphml", "parquet"])
def test_every_format_keeps_the_import(town, tmp_path, ext):
    t, _ = import_town(town)
    result = runner.invoke(app, ["import", "gis", str(town), "--out", str(tmp_path / f"n.{ext}"), "--sector", "energy",
                                 "--id-field", "asset", "--kind-field", "type", "--name-field", "label",
                                 "--population-field", "people", "--source-where", "type == 'plant'",
                                 "--open-where", "status == 'open'"])
    assert result.exit_code == 0, result.output
    assert "mapped 4 lines -> links" in result.output
    assert f"wrote {tmp_path / f'n.{ext}'}: 5 nodes, 4 links (1 normally-open ties), 0 dependencies" in result.output
    assert read_network(tmp_path / f"n.{ext}") == t


def bad_inputs(tmp_path):
    features = town_features()
    duplicate = [*features, feature({"asset": "S1", "type": "substation"}, point(JOINT))]
    empty = [*features, feature({"asset": "", "type": "substation"}, point(JOINT))]
    return {
        "missing id field": (write_geojson(tmp_path / "a.geojson", features), ["--id-field", "ref"],
                             "--id-field 'ref': the layer has no such field (its fields: asset, label, type"),
        "duplicate id": (write_geojson(tmp_path / "b.geojson", duplicate), ["--id-field", "asset"],
                         "feature 8: duplicate id 'S1' (field 'asset'; first at feature 1)"),
        "empty id": (write_geojson(tmp_path / "c.geojson", empty), ["--id-field", "asset"],
                     "feature 8: empty id (field 'asset')"),
        "bad query": (write_geojson(tmp_path / "d.geojson", features), ["--source-where", "type ==="],
                      "--source-where \"type ===\" is not a query on the layer's fields"),
        "unknown field in query": (write_geojson(tmp_path / "e.geojson", features), ["--source-where", "kind == 1"],
                                   "--source-where \"kind == 1\" is not a query"),
        "bad population": (write_geojson(tmp_path / "f.geojson", features), ["--population-field", "label"],
                           "feature 0: population field 'label' is 'Plant', not a number"),
        "not a layer": ((tmp_path / "g.geojson"), [], "not a GIS layer GDAL can read"),
        "missing file": ((tmp_path / "none.geojson"), [], "file not found"),
        "no geometry": ((tmp_path / "table.csv"), [], "the layer has no geometry"),
        "unknown crs": (write_geojson(tmp_path / "h.geojson", [feature({}, point((500.0, 800.0)))]),
                        ["--crs", "EPSG:99999"], "unknown CRS 'EPSG:99999'"),
        "bad origin": (write_geojson(tmp_path / "i.geojson", features), ["--units", "m", "--origin", "north"],
                       "--origin north: write the longitude and latitude"),
        "bad units": (write_geojson(tmp_path / "j.geojson", [feature({}, point((500.0, 800.0)))]),
                      ["--units", "yards"], "'yards' is not a unit of a drawing"),
    }


@pytest.mark.parametrize("case", ["missing id field", "duplicate id", "empty id", "bad query", "unknown field in query",
                                  "bad population", "not a layer", "missing file", "no geometry", "unknown crs",
                                  "bad origin",
                                  "bad units"])
def test_bad_input_is_one_message_and_exit_2(tmp_path, case):
    (tmp_path / "g.geojson").write_text("this is not a layer")
    (tmp_path / "table.csv").write_text("asset,people\nS1,40\n")
    path, options, message = bad_inputs(tmp_path)[case]
    result = runner.invoke(app, ["import", "gis", str(path), "--out", str(tmp_path / "n.yaml"), "--sector", "energy",
                                 *options])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split()) and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert result.output.startswith("error:") and str(path) in result.output.replace("\n", "") or case == "bad origin"
    assert not (tmp_path / "n.yaml").exists()


def test_a_shapefile_with_its_prj_and_geojson_feature_ids(tmp_path):
    frame = gpd.read_file(write_geojson(tmp_path / "town.geojson", town_features())).to_crs("EPSG:25832")
    frame[frame.geom_type == "Point"].to_file(tmp_path / "assets.shp")     # a shapefile holds one geometry type
    assert (tmp_path / "assets.prj").exists()
    t, report = import_town(tmp_path / "assets.shp", open_where=None)
    assert t.ids == ["P1", "S1", "S2"] and report.warnings == []
    for (a, b), (lonlat_a, lonlat_b) in ((("P1", "S1"), (PLANT, SUB_N)), (("S1", "S2"), (SUB_N, SUB_S))):
        assert distance_km(t, a, b) == pytest.approx(GEOD.inv(*lonlat_a, *lonlat_b)[2] / 1000, rel=1e-4)
    # GeoJSON members "id" (as OpenStreetMap exports write them) are the default ids
    features = [{**feature({"amenity": "hospital", "name": "St. Josef"}, point(PLANT)), "id": "node/101"},
                {**feature({"amenity": "hospital", "name": "Uniklinik"}, point(SUB_N)), "id": "way/202"}]
    t, _ = import_gis(write_geojson(tmp_path / "osm.geojson", features), sector="health", prefix="h.")
    assert t.ids == ["h.node/101", "h.way/202"] and t.name == ["St. Josef", "Uniklinik"]
    assert t.node_attrs == [{"amenity": "hospital"}] * 2
