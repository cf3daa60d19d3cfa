"""Scenario overrides: --set paths and YAML values, overlay files, variants and sweeps."""

from pathlib import Path

import pytest

from sim.overrides import OverrideError, parse_overlay, parse_set, parse_sweep, parse_variant, prepare, set_patch
from sim.scenario import ScenarioError, load_scenario, load_scenario_data
from sim.scenario.schema import RESOURCES

SMALL = Path(__file__).parent / "data" / "batch_small.yaml"


def sets(*specs: str):
    return prepare(SMALL, [parse_set(s) for s in specs]).scenario


def test_values_are_yaml_scalars_and_lists():
    s = sets("policies.information_sharing=0.9", "policies.load_model=true", "clock.duration=12h",
             "responders.crews.sectors=[energy, water]", "responders.crews.count=3")
    assert s.policies.information_sharing == 0.9
    assert s.policies.load_model is True
    assert s.clock.duration == 12 * 3600
    assert s.responders["crews"].sectors == ["energy", "water"]
    assert s.responders["crews"].count == 3


def test_integer_segments_index_lists_and_keep_the_rest_of_the_list():
    base = load_scenario(SMALL)
    s = sets("attackers.0.plan.1.at=2h", "network.nodes.3.hardening=0.75")
    assert s.attackers[0].plan[1].at == 7200
    assert s.attackers[0].plan[0] == base.attackers[0].plan[0]
    assert s.attackers[1] == base.attackers[1]
    assert s.network.tables.hardening[3] == 0.75
    assert s.network.tables.ids == base.network.tables.ids
    assert s.network.tables.records(RESOURCES)["nodes"][2] == base.network.tables.records(RESOURCES)["nodes"][2]


def test_patch_of_a_list_path_copies_the_list_and_leaves_the_data_alone():
    data, _ = load_scenario_data(SMALL)
    before = repr(data)
    patch, loc, created = set_patch(data, "attackers.1.plan.0.tactic=drone")
    assert loc == ("attackers", 1, "plan", 0, "tactic")
    assert created is None
    assert patch["attackers"][1]["plan"][0]["tactic"] == "drone"
    assert patch["attackers"][0] == data["attackers"][0]
    assert repr(data) == before


@pytest.mark.parametrize("spec, expected", [
    ("policies.informaton_sharing=0.9", "--set policies.informaton_sharing=0.9: policies.informaton_sharing: unknown key"),
    ("policies.information_sharing=2", "--set policies.information_sharing=2: policies.information_sharing: "),
    ("policies.dispatch=sideways", "--set policies.dispatch=sideways: policies.dispatch: Input should be"),
    ("attackers.7.plan.0.at=1h", "--set attackers.7.plan.0.at=1h: attackers has 2 item(s); index 7 is out of range"),
    ("attackers.first.id=x", "--set attackers.first.id=x: attackers is a list; index it with a number"),
    ("clock.tick.minutes=5", "--set clock.tick.minutes=5: clock.tick is a value"),
    ("responders.crew.count=4", "--set responders.crew.count=4: responders has no 'crew' (it has: crews, fire, linemen, police)"),
    ("responders.crews.base=nowhere", "--set responders.crews.base=nowhere: responders.crews.base: "),
    ("clock.duration=12", "--set clock.duration=12: clock.duration: '12' has no unit"),
])
def test_bad_path_or_value_names_the_override(spec, expected):
    with pytest.raises(OverrideError) as exc:
        sets(spec)
    assert str(exc.value).startswith(expected), str(exc.value)


@pytest.mark.parametrize("spec", ["policies", "=3", "policies..dispatch=fifo", "policies.dispatch="])
def test_malformed_set(spec):
    with pytest.raises(OverrideError):
        sets(spec)


def test_problems_of_the_file_itself_stay_located_in_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SMALL.read_text().replace("dispatch: criticality", "dispatch: sideways"))
    with pytest.raises(ScenarioError) as exc:
        prepare(bad, [parse_set("policies.information_sharing=0.5")])
    assert str(bad) in str(exc.value) and "policies.dispatch" in str(exc.value)


def test_overlay_merges_a_partial_scenario(tmp_path):
    overlay = tmp_path / "more.yaml"
    overlay.write_text("responders:\n  crews: {count: 4}\npolicies: {dispatch: fifo}\n")
    s = prepare(SMALL, [parse_overlay(overlay)]).scenario
    assert s.responders["crews"].count == 4 and s.responders["crews"].kind == "repair"
    assert s.policies.dispatch == "fifo" and s.policies.information_sharing == 0.3
    overlay.write_text("responders:\n  crews: {cuont: 4}\n")
    with pytest.raises(OverrideError, match=r"^overlay .*more.yaml: responders.crews.cuont: unknown key"):
        prepare(SMALL, [parse_overlay(overlay)])
    with pytest.raises(OverrideError, match="not found"):
        parse_overlay(tmp_path / "missing.yaml")


def test_variants_are_overlays_or_semicolon_separated_sets(tmp_path):
    overlay = tmp_path / "v.yaml"
    overlay.write_text("policies: {information_sharing: 0.8}\n")
    v = parse_variant(f"sharing={overlay}")
    assert v.name == "sharing" and v.overrides[0].data == {"policies": {"information_sharing": 0.8}}
    v = parse_variant("fast=policies.dispatch=fifo; responders.crews.count=2")
    assert v.name == "fast" and [o.spec for o in v.overrides] == ["policies.dispatch=fifo", "responders.crews.count=2"]
    s = prepare(SMALL, list(v.overrides)).scenario
    assert s.policies.dispatch == "fifo" and s.responders["crews"].count == 2
    for bad in ("nothing", "a b=policies.dispatch=fifo", "x="):
        with pytest.raises(OverrideError):
            parse_variant(bad)


def test_sweep_makes_one_variant_per_value():
    variants = parse_sweep("responders.crews.count=2,4,8")
    assert [v.name for v in variants] == ["responders.crews.count=2", "responders.crews.count=4", "responders.crews.count=8"]
    assert [prepare(SMALL, list(v.overrides)).scenario.responders["crews"].count for v in variants] == [2, 4, 8]
    lists = parse_sweep("responders.crews.sectors=[energy], [energy, water]")
    assert [v.overrides[0].spec for v in lists] == ["responders.crews.sectors=[energy]",
                                                    "responders.crews.sectors=[energy, water]"]
    for bad in ("responders.crews.count=2", "responders.crews.count", "responders.crews.count=2,2"):
        with pytest.raises(OverrideError):
            parse_sweep(bad)


def test_records_and_hash_are_those_of_the_file_and_the_overrides():
    plain = prepare(SMALL)
    changed = prepare(SMALL, [parse_set("policies.dispatch=fifo")])
    assert plain.sha256 == changed.sha256            # the file is the same
    assert changed.records == [{"set": "policies.dispatch=fifo"}]
    assert plain.scenario == load_scenario(SMALL)
