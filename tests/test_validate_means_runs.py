"""The rule of hostile input, as a property (hypothesis): mutate a scenario at random —
values of any type, NaN and infinities, huge numbers, bad durations, deleted keys — and
`ripple validate` either refuses it with exit 2 or `ripple run` completes with exit 0. Never
a traceback (exit 1), never a hang (each example has a deadline).

The same holds for a scenario composed of network parts (``composed.yaml``): its rules and
parts are mutated, and so are the part files themselves (nodes, links, ties, ``crs``).

A short budget runs in `make test`; `make test-all` runs a long one on three scenarios."""

from __future__ import annotations

import copy
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ripple import app

DATA = Path(__file__).parent / "data"
runner = CliRunner()
VALUES = st.one_of(
    st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8), st.none(),
    st.booleans(), st.lists(st.integers(-3, 3), max_size=3),
    st.sampled_from(["5min", "0s", "1000000d", "T+0:00", "-1h", "1e400h", "", "nan", "sub", "energy", "power"]),
)


def paths(data: Any, loc: tuple = ()) -> list[tuple]:
    """Every key and list item of ``data``, as paths."""
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    out = []
    for key, value in items:
        out += [loc + (key,), *paths(value, loc + (key,))]
    return out


def mutated(base: dict[str, Any], edits: list[tuple[tuple, Any, bool]]) -> dict[str, Any]:
    """``base`` with each edit applied: the value at a path replaced, or its key deleted."""
    data = copy.deepcopy(base)
    for loc, value, delete in edits:
        parent = data
        try:
            for part in loc[:-1]:
                parent = parent[part]
            if delete and isinstance(parent, dict):
                parent.pop(loc[-1], None)
            else:
                parent[loc[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    return data


def check(tmp_path_factory: pytest.TempPathFactory, data: dict[str, Any],
          parts: dict[str, Any] | None = None) -> None:
    folder = tmp_path_factory.mktemp("mutant")
    (folder / "s.yaml").write_text(yaml.safe_dump(data))
    for name, part in (parts or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(yaml.safe_dump(part))
    validated = runner.invoke(app, ["validate", str(folder / "s.yaml")])
    assert validated.exit_code in (0, 2), (data, validated.output, repr(validated.exception))
    if validated.exit_code == 0:
        ran = runner.invoke(app, ["run", str(folder / "s.yaml"), "--out", str(folder / "run")])
        assert ran.exit_code == 0, (data, ran.output, repr(ran.exception))


def property_for(name: str, examples: int):
    base = yaml.safe_load((DATA / name).read_text())
    edits = st.lists(st.tuples(st.sampled_from(paths(base)), VALUES, st.booleans()), min_size=1, max_size=3)

    @settings(max_examples=examples, deadline=timedelta(seconds=30), derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(edits=edits)
    def prop(tmp_path_factory, edits) -> None:
        check(tmp_path_factory, mutated(base, edits))

    return prop


def composed_property(examples: int):
    """Mutate the composed scenario and, in the same example, its two part files."""
    base = yaml.safe_load((DATA / "composed.yaml").read_text())
    names = [part["file"] for part in base["network"]["parts"]]
    parts = {name: yaml.safe_load((DATA / name).read_text()) for name in names}
    targets = [("scenario", loc) for loc in paths(base)] + [(name, loc) for name in names for loc in paths(parts[name])]
    edits = st.lists(st.tuples(st.sampled_from(targets), VALUES, st.booleans()), min_size=1, max_size=3)

    @settings(max_examples=examples, deadline=timedelta(seconds=30), derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(edits=edits)
    def prop(tmp_path_factory, edits) -> None:
        def of(which: str) -> list[tuple[tuple, Any, bool]]:
            return [(loc, value, delete) for (name, loc), value, delete in edits if name == which]

        check(tmp_path_factory, mutated(base, of("scenario")), {name: mutated(parts[name], of(name)) for name in names})

    return prop


test_tiny_scenario_short = property_for("tiny.yaml", 60)
test_grid_scenario_short = property_for("grid.yaml", 30)          # physics: dc, lines as targets, a tie
test_grid_scenario_long = pytest.mark.slow(property_for("grid.yaml", 400))
test_composed_scenario_short = composed_property(40)
test_composed_scenario_long = pytest.mark.slow(composed_property(400))
test_tiny_scenario_long = pytest.mark.slow(property_for("tiny.yaml", 1500))
test_town_scenario_long = pytest.mark.slow(property_for("town.yaml", 400))
