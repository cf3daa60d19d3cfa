"""Causes of failures (issue 14): the engine records every outage's cause and root attacks,
and `ripple why`, the terminal console and the browser console tell the chain."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

from dashboards.app import respond
from ripple import app
from ripple.console import ExerciseConsole
from sim.causes import Timeline, find_node, text_lines, why
from sim.exercise import ExerciseError, ExerciseSession
from sim.model import RippleModel
from sim.scenario import load_scenario

ROOT = Path(__file__).parent.parent
DRONE = {"attacker": "cell", "action": 0, "tactic": "drone", "node": "sub", "tick": 2}


def hand_scenario(folder: Path, buffer: str | None = None, line: bool = False) -> Path:
    """A plant feeding a substation that a hospital needs, and a drone on the substation at
    T+0:10 that always lands; with ``line``, two more substations beyond it on a line."""
    dependency = {"node": "hosp", "resource": "power", "suppliers": ["sub"]}
    if buffer:
        dependency["buffer"] = buffer
    nodes = [{"id": "plant", "sector": "energy", "x": 0, "y": 0, "source": True},
             {"id": "sub", "name": "Kestrel Hill Substation", "sector": "energy", "x": 1, "y": 0, "population": 100},
             {"id": "hosp", "name": "Children's Hospital", "sector": "health", "x": 1, "y": 1, "population": 1000}]
    links = [["plant", "sub"]]
    if line:
        nodes += [{"id": "sub_b", "sector": "energy", "x": 2, "y": 0, "population": 100},
                  {"id": "sub_c", "sector": "energy", "x": 3, "y": 0, "population": 100}]
        links += [["sub", "sub_b"], ["sub_b", "sub_c"]]
    data = {
        "id": "hand", "name": "Hand network", "seed": 1, "clock": {"tick": "5min", "duration": "6h"},
        "sectors": {"energy": {"repair": {"median": "2h", "p90": "3h"}, "outage_damage": 0},
                    "health": {"outage_damage": 0}},
        "network": {"nodes": nodes, "links": links, "dependencies": [dependency]},
        "attackers": [{"id": "cell", "plan": [{"at": "T+0:10", "tactic": "drone", "target": "sub",
                                                "params": {"detectability": 0}}]}],
        "responders": {"crew": {"kind": "repair", "base": "plant", "sectors": ["energy"]}},
    }
    path = folder / "hand.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def events_of(result) -> list[dict]:
    return [json.loads(json.dumps(e.as_dict(result.tick_seconds))) for e in result.timeline()]


def downs(events: list[dict]) -> dict[str, dict]:
    """The first node_down event of each node."""
    out: dict[str, dict] = {}
    for e in events:
        if e["kind"] == "node_down":
            out.setdefault(e["node"], e)
    return out


def clock(tick: int) -> str:
    return f"T+{tick * 5 // 60}:{tick * 5 % 60:02d}"


def test_hand_network_chain_is_hospital_substation_drone(tmp_path):
    result = RippleModel(load_scenario(hand_scenario(tmp_path))).run()
    events = events_of(result)
    assert [e["outcome"] for e in events if e["kind"] == "attack"] == ["landed"]
    down = downs(events)
    assert set(down) == {"sub", "hosp"}
    assert down["sub"]["cause"] == {"reason": "DAMAGED", "attack": DRONE}
    assert down["sub"]["roots"] == [DRONE]
    assert down["hosp"]["cause"] == {"reason": "UNSUPPLIED", "resource": "power", "suppliers": ["sub"],
                                     "buffer_ran_out": False}
    assert down["hosp"]["roots"] == [DRONE]
    assert text_lines(why(events, "hosp", clock=clock)) == [
        "hosp down since T+0:10: UNSUPPLIED, no power from sub",
        "└─ sub down since T+0:10: DAMAGED by an attack",
        "   └─ attack: drone by cell (action 0) on sub at T+0:10",
    ]
    assert why(events, "hosp", 1) is None                        # up before the attack
    assert why(events, "plant") is None                          # never down


def test_a_spent_buffer_says_so_and_keeps_the_roots(tmp_path):
    result = RippleModel(load_scenario(hand_scenario(tmp_path, buffer="30min"))).run()
    hosp = downs(events_of(result))["hosp"]
    assert hosp["tick"] == 2 + 6                                 # 30 minutes of backup from T+0:10
    assert hosp["cause"]["buffer_ran_out"] is True and hosp["cause"]["suppliers"] == ["sub"]
    assert hosp["roots"] == [DRONE]


def test_isolated_on_a_line_names_the_node_that_cut_the_path(tmp_path):
    result = RippleModel(load_scenario(hand_scenario(tmp_path, line=True))).run()
    down = downs(events_of(result))
    for node in ("sub_b", "sub_c"):                              # both beyond the lost substation
        assert down[node]["cause"] == {"reason": "ISOLATED", "sector": "energy", "cut_by": ["sub"]}
        assert down[node]["roots"] == [DRONE]
    assert text_lines(why(events_of(result), "sub_c", clock=clock))[-1] == \
        "   └─ attack: drone by cell (action 0) on sub at T+0:10"


def test_nodes_parquet_carries_the_cause_and_roots_of_each_outage_row(tmp_path):
    result = RippleModel(load_scenario(hand_scenario(tmp_path))).run()
    table = pq.read_table(result.save(tmp_path / "run") / "nodes.parquet").to_pylist()
    ids = result.node_ids
    rows = {(ids[r["node"]], r["down"] != 0): r for r in table}
    assert json.loads(rows["hosp", True]["cause"])["suppliers"] == ["sub"]
    assert json.loads(rows["hosp", True]["roots"]) == [DRONE]
    assert rows["sub", False]["cause"] is None and rows["sub", False]["roots"] is None   # repaired: no cause


@pytest.mark.parametrize("name, seed", [("calder_bay", 5), ("calder_bay", 7), ("all_tactics", 7),
                                        ("cyber_physical", 7)])
def test_every_outage_on_shipped_scenarios_is_a_direct_hit_or_has_a_root_attack(name, seed):
    result = RippleModel(load_scenario(ROOT / "scenarios" / f"{name}.yaml"), seed).run()
    events = events_of(result)
    timeline = Timeline(events)
    attacks = {(e["attacker"], e["tactic"], e["node"]) for e in events if e["kind"] == "attack"}
    checked = 0
    for e in events:
        if e["kind"] not in ("node_down", "node_reasons"):
            continue
        checked += 1
        assert e["cause"]["reason"] in e["reasons"], e
        assert "attack" in e["cause"] or e["roots"], e
        for root in e["roots"]:
            assert (root["attacker"], root["tactic"], root["node"]) in attacks
        tree = why(timeline, e["node"], e["tick"])
        assert tree is not None and tree.attacks(), e
    assert checked > 20


def test_spread_names_its_source_and_takes_its_roots():
    result = RippleModel(load_scenario(ROOT / "scenarios" / "all_tactics.yaml"), 7).run()
    events = events_of(result)
    timeline = Timeline(events)
    spread = [(i, e) for i, e in enumerate(events)
              if e["kind"] in ("node_down", "node_reasons") and "spread_from" in e["cause"]]
    assert spread
    for position, e in spread:
        when = timeline.first_with(e["node"], position, "COMPROMISED")["tick"]    # when the intrusion spread
        source = timeline.outage(e["cause"]["spread_from"], when)
        assert source is not None and "attack" in source[1]["cause"]
        assert set(map(json.dumps, source[1]["roots"])) <= set(map(json.dumps, e["roots"]))


def test_find_node_by_id_or_name_in_any_case():
    ids, names = ["sub", "hosp"], ["Kestrel Hill Substation", "Children's Hospital"]
    assert find_node("HOSP", ids, names) == "hosp"
    assert find_node("children's hospital", ids, names) == "hosp"
    with pytest.raises(ValueError, match="did you mean hosp"):
        find_node("hospx", ids, names)


def test_cli_why_prints_the_tree_and_rejects_bad_input(tmp_path):
    path = hand_scenario(tmp_path)
    RippleModel(load_scenario(path)).run().save(tmp_path / "run")
    runner = CliRunner()
    out = runner.invoke(app, ["why", str(tmp_path / "run"), "Children's Hospital", "--scenario", str(path)])
    assert out.exit_code == 0, out.output
    lines = [line.rstrip() for line in out.output.splitlines()]
    assert lines == ["Children's Hospital down since T+0:10: UNSUPPLIED, no power from Kestrel Hill Substation",
                     "└── Kestrel Hill Substation down since T+0:10: DAMAGED by an attack",
                     "    └── attack: drone by cell (action 0) on Kestrel Hill Substation at T+0:10"]
    at = runner.invoke(app, ["why", str(tmp_path / "run"), "hosp", "--at", "T+0:15"])
    assert at.exit_code == 0 and "UNSUPPLIED" in at.output
    for args, message in ((["hosp", "--at", "T+0:05"], "hosp was not down at T+0:05"),
                          (["nowhere"], "no node 'nowhere'"),
                          (["plant", "--scenario", str(path)], "plant was never down"),
                          (["plant"], "no node 'plant' among the nodes of this run's events"),
                          (["hosp", "--at", "soon"], "--at:")):
        bad = runner.invoke(app, ["why", str(tmp_path / "run"), *args])
        assert bad.exit_code == 2 and message in bad.output, bad.output
    missing = runner.invoke(app, ["why", str(tmp_path), "hosp"])
    assert missing.exit_code == 2 and "not a run folder" in missing.output


def test_why_in_the_terminal_console_and_the_browser_console(tmp_path):
    path = hand_scenario(tmp_path)
    session = ExerciseSession(path, log_path=tmp_path / "ex.jsonl")
    out = io.StringIO()
    ExerciseConsole(session, Console(file=out, width=120), io.StringIO("step 4\nwhy hosp\nwhy plant\n"),
                    interactive=False).cmdloop()
    text = out.getvalue()
    assert "Children's Hospital down since T+0:10: UNSUPPLIED, no power from Kestrel Hill Substation" in text
    assert "└─ attack: drone by cell (action 0) on Kestrel Hill Substation at T+0:10" in text
    assert "error: plant is not down at T+0:15" in text
    message, ok, _ = respond(session, "why-go", False, {"speed": 1, "stop": []}, {"why-node": "sub", "why-at": ""})
    assert ok and message.splitlines()[-1].endswith("attack: drone by cell (action 0) on Kestrel Hill Substation "
                                                    "at T+0:10")
    with pytest.raises(ExerciseError, match="has not been played yet"):
        session.do("why", node="hosp", at="T+5:00")


def test_timeline_text_names_the_cause(tmp_path):
    from sim.events import describe

    result = RippleModel(load_scenario(hand_scenario(tmp_path))).run()
    names = {"sub": "Kestrel Hill Substation", "hosp": "Children's Hospital"}
    texts = [describe(e, names, result.tick_seconds) for e in result.timeline() if e.kind == "node_down"]
    assert texts == ["Kestrel Hill Substation down: DAMAGED by an attack",
                     "Children's Hospital down: UNSUPPLIED, no power from Kestrel Hill Substation"]
