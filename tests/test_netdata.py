"""Network files as columns (sim.scenario.netdata): every format gives the same arrays, conversions
round-trip, and bad input gets located messages and exit 2."""

import dataclasses
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from ripple import app
from sim.scenario.netdata import NetworkTables, read_network, write_network
from sim.network import Network
from sim.overrides import parse_set, prepare
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.schema import RESOURCES

ROOT = Path(__file__).parent.parent
CALDER = ROOT / "scenarios" / "calder_bay.yaml"
runner = CliRunner()


def same_network(a: Network, b: Network) -> None:
    for field in dataclasses.fields(Network):
        x, y = getattr(a, field.name), getattr(b, field.name)
        if field.name == "kernel_layout":
            continue
        if sp.issparse(x):
            assert (x != y).nnz == 0, field.name
        elif isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and np.array_equal(x, y), field.name
        else:
            assert x == y, field.name


def scenario_with(tmp_path: Path, network_file: str) -> Path:
    text = CALDER.read_text().replace("network: {file: calder_bay_network.yaml}", f"network: {{file: {network_file}}}")
    text = text.replace("file: calder_bay_map/", f"file: {CALDER.parent / 'calder_bay_map'}/")     # the map stays where it is
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def calder():
    s = load_scenario(CALDER)
    return s, Network.from_scenario(s)


@pytest.mark.parametrize("ext", ["yaml", "json", "graphml", "parquet"])
def test_every_format_gives_the_same_arrays(tmp_path, calder, ext):
    s, net = calder
    write_network(s.network.tables, tmp_path / f"net.{ext}")
    loaded = load_scenario(scenario_with(tmp_path, f"net.{ext}"))
    same_network(Network.from_scenario(loaded), net)
    assert Network.from_tables(read_network(tmp_path / f"net.{ext}"), s).ids == net.ids


def test_python_built_scenario_gives_the_same_arrays(calder):
    s, net = calder
    data = json.loads(s.model_dump_json(by_alias=True))
    same_network(Network.from_scenario(type(s).model_validate(data)), net)


def test_yaml_parquet_json_yaml_round_trip(tmp_path, calder):
    s, _ = calder
    write_network(s.network.tables, tmp_path / "a.yaml")
    steps = ["a.yaml", "b.parquet", "c.json", "d.yaml"]
    for source, target in zip(steps, steps[1:]):
        result = runner.invoke(app, ["network", "convert", str(tmp_path / source), str(tmp_path / target)])
        assert result.exit_code == 0, result.output
    first, last = read_network(tmp_path / "a.yaml"), read_network(tmp_path / "d.yaml")
    assert first == last == s.network.tables
    assert (tmp_path / "a.yaml").read_text() == (tmp_path / "d.yaml").read_text()


def test_convert_refuses_to_overwrite_without_force(tmp_path, calder):
    write_network(calder[0].network.tables, tmp_path / "a.json")
    args = ["network", "convert", str(CALDER), str(tmp_path / "a.json")]
    assert runner.invoke(app, args).exit_code == 2
    assert runner.invoke(app, args + ["--force"]).exit_code == 0


def test_lonlat_coordinates_survive_parquet(tmp_path):
    net = {"coordinates": "lonlat", "nodes": [{"id": "a", "sector": "energy", "x": -122.4, "y": 37.8}], "links": [],
           "dependencies": []}
    (tmp_path / "n.json").write_text(json.dumps(net))
    write_network(read_network(tmp_path / "n.json"), tmp_path / "n.parquet")
    assert read_network(tmp_path / "n.parquet").coordinates == "lonlat"


def problems_of(path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        read_network(path)
    return [str(p) for p in info.value.problems]


def test_record_checks_name_line_and_field(tmp_path):
    (tmp_path / "n.yaml").write_text(
        "nodes:\n"
        "  - {id: a, sector: energy, x: 0, y: 0, hardening: 1.5}\n"
        "  - {id: b, sector: energy, x: 1, y: 0, populaton: 3}\n"
        "  - {id: c, sector: water, x: 1, y: 1, population: -1}\n"
        "links: [[a, a], [a, zz]]\n"
        "dependencies:\n"
        "  - node: c\n"
        "    resource: power\n"
        "    suppliers: [a, a, c]\n"
        "    need: 0\n")
    found = problems_of(tmp_path / "n.yaml")
    file = str(tmp_path / "n.yaml")
    expected = [
        f"{file}:2: nodes[0].hardening: Input should be less than or equal to 1",
        f"{file}:3: nodes[1].populaton: unknown key; did you mean 'population'?",
        f"{file}:4: nodes[2].population: Input should be greater than or equal to 0",
        f"{file}:5: links[0]: a link from 'a' to itself",
        f"{file}:5: links[1][1]: no node 'zz'",
        f"{file}:9: dependencies[0].suppliers: a supplier is listed twice",
        f"{file}:9: dependencies[0].suppliers: 'c' cannot supply itself",
        f"{file}:10: dependencies[0].need: Input should be greater than or equal to 1",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in found), (line, found)


def test_json_problems_have_lines(tmp_path):
    (tmp_path / "n.json").write_text('{"nodes": [\n {"id": "a", "sector": "e", "x": 0, "y": 0},\n'
                                     ' {"id": "a", "sector": "e", "x": "east", "y": 0}\n], "links": []}')
    found = problems_of(tmp_path / "n.json")
    assert any(p.startswith(f"{tmp_path / 'n.json'}:3: nodes[1].id: duplicate node id 'a'") for p in found)
    assert any(":3: nodes[1].x: Input should be a valid number" in p for p in found)


def test_too_many_problems_are_counted(tmp_path):
    nodes = [{"id": f"n{i}", "sector": "e", "x": 0, "y": 0, "hardening": 2} for i in range(80)]
    (tmp_path / "n.json").write_text(json.dumps({"nodes": nodes}))
    found = problems_of(tmp_path / "n.json")
    assert len(found) == 51 and found[-1].endswith("and 30 more")


# ------------------------------------------------------------------ bad Parquet
@pytest.fixture()
def parquet_dir(tmp_path, calder):
    path = tmp_path / "net.parquet"
    write_network(calder[0].network.tables, path)
    return path


def rewrite(path: Path, name: str, change) -> None:
    table = pq.read_table(path / name)
    pq.write_table(change(table), path / name)


def set_column(table: pa.Table, name: str, values) -> pa.Table:
    return table.set_column(table.column_names.index(name), name, values)


BAD_PARQUET = {
    "missing column": ("nodes.parquet", lambda t: t.drop_columns(["x"]), "nodes.parquet: missing column 'x'"),
    "wrong type": ("nodes.parquet", lambda t: set_column(t, "hardening", pa.array(["high"] * t.num_rows)),
                   "nodes.parquet: column 'hardening' has type string; expected float"),
    "duplicate id": ("nodes.parquet", lambda t: set_column(t, "id", pa.array(["dup"] * 2 + t.column("id").to_pylist()[2:])),
                     "nodes[id=dup]: id: duplicate node id 'dup' (first at nodes[0])"),
    "dangling reference": ("links.parquet", lambda t: set_column(t, "b", pa.array(["nowhere"] + t.column("b").to_pylist()[1:])),
                           "links[0]: b: no node 'nowhere'"),
    "out of range": ("nodes.parquet", lambda t: set_column(t, "hardening", pa.array([2.0] + [0.0] * (t.num_rows - 1))),
                     "hardening: Input should be less than or equal to 1"),
}


@pytest.mark.parametrize("case", sorted(BAD_PARQUET))
def test_bad_parquet_gets_a_located_message_and_exit_2(tmp_path, parquet_dir, case):
    name, change, words = BAD_PARQUET[case]
    rewrite(parquet_dir, name, change)
    result = runner.invoke(app, ["validate", str(scenario_with(tmp_path, "net.parquet"))])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{parquet_dir}" in result.output and words in result.output, result.output


def test_truncated_parquet_and_not_a_directory(tmp_path, parquet_dir):
    data = (parquet_dir / "links.parquet").read_bytes()
    (parquet_dir / "links.parquet").write_bytes(data[: len(data) // 2])
    result = runner.invoke(app, ["network", "convert", str(parquet_dir), str(tmp_path / "x.json")])
    assert result.exit_code == 2 and "links.parquet: not a readable Parquet file" in result.output, result.output
    (tmp_path / "flat.parquet").write_bytes(data)
    result = runner.invoke(app, ["network", "convert", str(tmp_path / "flat.parquet"), str(tmp_path / "x.json")])
    assert result.exit_code == 2 and "expected a directory" in result.output, result.output


def test_overrides_patch_a_network_file(tmp_path, calder):
    write_network(calder[0].network.tables, tmp_path / "net.yaml")
    prepared = prepare(scenario_with(tmp_path, "net.yaml"), [parse_set("network.nodes.3.hardening=0.75")])
    tables = prepared.scenario.network.tables
    assert tables.hardening[3] == 0.75
    assert np.array_equal(np.delete(tables.hardening, 3), np.delete(calder[0].network.tables.hardening, 3))


def test_tables_write_records_as_files_write_them(calder):
    records = calder[0].network.tables.records(RESOURCES)
    assert set(records) == {"nodes", "links", "dependencies"}
    assert isinstance(calder[0].network.tables, NetworkTables)
    assert all(isinstance(pair, list) and len(pair) == 2 for pair in records["links"])


def test_a_changed_parquet_network_changes_the_scenario_digest(tmp_path, parquet_dir):
    """Batch manifests and exercise logs identify a scenario by this digest: a Parquet network
    stays a reference in the data, so its tables' bytes must enter the digest."""
    from sim.overrides import ScenarioFile

    scenario = scenario_with(tmp_path, "net.parquet")
    before = ScenarioFile.read(scenario).sha256
    assert ScenarioFile.read(scenario).sha256 == before
    rewrite(parquet_dir, "nodes.parquet", lambda t: set_column(t, "population", pa.array([0.0] * t.num_rows)))
    assert ScenarioFile.read(scenario).sha256 != before
