"""docs/files.md says what ripple writes: every table there matches the files the code writes."""

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from agents.events import EventKind
from ripple.batch import write_summary
from sim.batch import run_batch
from sim.compare import run_compare
from sim.exercise import ExerciseSession
from sim.model import RippleModel
from sim.overrides import parse_variant
from sim.scenario import load_scenario

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "files.md"
TINY = ROOT / "tests" / "data" / "tiny.yaml"
COMMON_EVENT_KEYS = {"tick", "time", "kind", "node", "team"}


def sections() -> dict[str, list[list[tuple[str, ...]]]]:
    """Section title → its tables → rows of cells (backticks stripped from the first two)."""
    out: dict[str, list[list[tuple[str, ...]]]] = {}
    tables: list[list[tuple[str, ...]]] = []
    previous = ""
    for line in DOC.read_text().splitlines():
        if line.startswith("## "):
            tables = out.setdefault(line[3:].replace("`", "").strip(), [])
        elif line.startswith("|") and not line.startswith("|---"):
            cells = tuple(c.strip() for c in line.strip("|").split("|"))
            if not previous.startswith("|"):
                tables.append([])            # the header row starts a table
            else:
                tables[-1].append(cells)
        previous = line
    return out


def names(table: list[tuple[str, ...]]) -> set[str]:
    return {row[0].replace("`", "") for row in table}


def columns(table: list[tuple[str, ...]]) -> set[tuple[str, str]]:
    return {(row[0].replace("`", ""), row[1]) for row in table}


def generic(name: str, sectors: list[str]) -> str:
    """A column or key name with its sector or attack outcome replaced by the doc's placeholder."""
    if name.startswith("attacks_"):
        return "attacks_<outcome>"
    for sector in sectors:
        if name.endswith(f"_{sector}"):
            return name.removesuffix(sector) + "<sector>"
    return name


def schema(path: Path, sectors: list[str]) -> set[tuple[str, str]]:
    return {(generic(f.name, sectors), str(f.type)) for f in pq.read_schema(path)}


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """A run of the flagship, a small batch and a small comparison."""
    root = tmp_path_factory.mktemp("files")
    model = RippleModel(load_scenario(ROOT / "scenarios" / "all_tactics.yaml"), 7)
    model.run().save(root / "run")
    run_batch(TINY, 3, root / "batch", seed=1, workers=1)
    write_summary(root / "batch")
    run_compare(TINY, [parse_variant("more=responders.crew.count=2")], 3, root / "compare", seed=1, workers=1)
    return root


def test_run_summary_keys_and_metrics(written):
    doc = sections()["summary.json"]
    summary = json.loads((written / "run" / "summary.json").read_text())
    assert "warnings" not in summary        # written only when there are any (tests/test_sanity.py)
    assert names(doc[0]) == set(summary) | {"warnings"}
    assert names(doc[1]) == {generic(m, summary["sectors"]) for m in summary["metrics"]}


def test_run_parquet_columns(written):
    sectors = json.loads((written / "run" / "summary.json").read_text())["sectors"]
    for name in ("series.parquet", "nodes.parquet"):
        assert columns(sections()[name][0]) == schema(written / "run" / name, sectors), name


def test_every_event_kind_and_key_is_documented(written):
    common, by_kind = sections()["events.jsonl"]
    assert names(common) == COMMON_EVENT_KEYS
    documented = {row[0].strip("`"): {k.strip(" `") for k in row[1].split(",") if k.strip()} for row in by_kind}
    assert set(documented) == set(EventKind)
    seen: dict[str, set[str]] = {}
    for line in (written / "run" / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        seen.setdefault(event["kind"], set()).update(set(event) - COMMON_EVENT_KEYS)
    session = ExerciseSession(ROOT / "scenarios" / "calder_bay.yaml")
    session.note("a remark")
    session.policy("fifo")
    session.harden(session.model.network.ids[0], 0.5)
    session.inject("a message")
    session.rate(session.capabilities()[0], "S")
    session.attack("vbied", session.model.network.ids[1], None, {}, "controller", "")
    session.step(3)
    for event in session.model.events:
        seen.setdefault(event.kind, set()).update(event.detail)
    assert len(seen) >= 15
    for kind, keys in seen.items():
        assert keys <= documented[kind], (kind, keys - documented[kind])


def test_batch_files(written):
    doc = sections()
    part_file = next((written / "batch" / "runs").glob("*.parquet"))
    sectors = [c.removeprefix("resilience_loss_h_") for c in pq.read_schema(part_file).names
               if c.startswith("resilience_loss_h_")]
    part = schema(part_file, sectors)
    fixed = columns(doc["runs/part-*.parquet"][0]) - {("*metric*", "double or int64")}
    assert fixed <= part
    metrics = names(doc["summary.json"][1])
    counts = {"nodes_down", "nodes_hit", "nodes_spread", "service_events", "attacks_<outcome>"}
    assert part - fixed == {(m, "int64" if m in counts else "double") for m in metrics}
    assert columns(doc["quantiles.parquet"][0]) == schema(written / "batch" / "quantiles.parquet", sectors)
    summary = json.loads((written / "batch" / "summary.json").read_text())
    assert names(doc["batch summary.json"][0]) == set(summary)
    assert names(doc["batch summary.json"][1]) == set(summary["metrics"]["resilience_loss_h"])


def test_comparison_json(written):
    top, difference = sections()["comparison.json"]
    data = json.loads((written / "compare" / "comparison.json").read_text())
    assert names(top) == set(data)
    variant = data["variants"]["more"]
    assert set(variant) == {"overrides", "metrics"}
    assert names(difference) == set(variant["metrics"]["resilience_loss_h"])


def test_exercise_log_keys(tmp_path):
    from sim.exercise import ExerciseError
    from sim.exercise.log import read_records
    from sim.exercise.seats import resolve_seats

    log = tmp_path / "exercise.jsonl"
    session = ExerciseSession(ROOT / "scenarios" / "calder_bay.yaml", log_path=log, participants=["Town EOC"],
                              scripted_outcomes=True)
    session.take_seats(resolve_seats(["facilitator", "police"], session.scenario))
    session.do("step", seat="facilitator", n=2)
    with pytest.raises(ExerciseError):
        session.do("dispatch", seat="police", unit="police-1", node="central_station")
    session.do("policy", seat="facilitator", name="nearest")
    raw = [json.loads(line) for line in log.read_text().splitlines()]
    read_records(log)                                     # the chain holds
    doc = sections()["Exercise logs"]
    header, action, refusal = (names(table) for table in doc)
    assert set(raw[0]) == header
    kinds = {"rejected": refusal}
    for line in raw[1:]:
        assert set(line) <= kinds.get(line.get("kind"), action), line
    assert {"to", "seat"} <= set(raw[1]) and raw[2]["kind"] == "rejected" and "seat" in raw[2]
    assert refusal - {"verb"} <= set(raw[2]) and action - {"to"} <= set(raw[3])
