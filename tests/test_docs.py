"""The docs agree with the code: the scenario reference is what `ripple schema --markdown`
generates, and the architecture picture follows the layer contract."""

import re
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from ripple import app
from sim.scenario.reference import REFERENCE_PATH, scenario_reference

ROOT = Path(__file__).parent.parent


def test_committed_scenario_reference_is_current():
    committed = (ROOT / REFERENCE_PATH).read_text(encoding="utf-8")
    assert committed == scenario_reference(), (
        f"{REFERENCE_PATH} is out of date: run `ripple schema --markdown > {REFERENCE_PATH}`")


def test_ripple_schema_markdown_prints_the_reference():
    done = CliRunner().invoke(app, ["schema", "--markdown"])
    assert done.exit_code == 0, done.output
    assert done.output == scenario_reference()
    assert "`vbied`" in done.output  # allowed values come from the schema


def layer_ranks() -> dict[str, tuple[int, int]]:
    """Each package and each module of sim named in the layer contract, with its place:
    (package layer, layer within sim), smaller is higher."""
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    packages = next(c["layers"] for c in contracts if c["type"] == "layers" and not c.get("containers"))
    inside = next(c for c in contracts if c["type"] == "layers" and c.get("containers") == ["sim"])
    ranks = {name: (rank, -1) for rank, name in enumerate(packages)}
    for rank, layer in enumerate(inside["layers"]):
        for tail in re.split(r"[|:]", layer):
            ranks[f"sim.{tail.strip(' ()')}"] = (packages.index("sim"), rank)
    return ranks


def test_architecture_picture_points_down_the_layer_contract():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    picture = re.search(r"```mermaid\n(.*?)```", text, re.S).group(1)
    ranks = layer_ranks()
    arrows = [(a.replace("_", "."), b.replace("_", "."))
              for a, b in re.findall(r"^\s*(\w+)\s*-->\s*(\w+)\s*$", picture, re.M)]
    assert arrows
    for importer, imported in arrows:
        assert importer in ranks and imported in ranks, f"{importer} --> {imported}: not in the contract"
        higher, lower = ranks[importer], ranks[imported]
        assert higher[0] < lower[0] or (higher[0] == lower[0] and -1 < higher[1] < lower[1]), (
            f"{importer} --> {imported} does not point down the contract in pyproject.toml")
