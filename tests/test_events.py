"""Every kind of event the engine or an exercise can log has one renderer, and renders."""

import re
from pathlib import Path

import pytest

from agents.events import EventKind
from sim.events import CATEGORIES, KINDS, category, describe
from sim.model import RippleModel
from sim.results import Event
from sim.scenario import load_scenario

ROOT = Path(__file__).parent.parent


def test_every_kind_has_one_entry_in_the_table():
    assert set(KINDS) == set(EventKind)
    assert {info.category for info in KINDS.values()} <= set(CATEGORIES)


def test_every_kind_logged_in_the_source_is_named_through_event_kind():
    first_argument = re.compile(r'(?<![\w.])(?:self|model|state\.model|self\.model|world)\.log\(\s*([^,)]+)')
    logged = []
    for path in [*ROOT.glob("agents/*.py"), *ROOT.glob("sim/**/*.py")]:
        logged += [(path.name, argument) for argument in first_argument.findall(path.read_text())]
    assert len(logged) > 20
    named = re.compile(r"^EventKind\.(\w+)(?: if \w+ else EventKind\.(\w+))?$")
    for where, argument in logged:
        match = named.match(argument.strip())
        assert match, f"{where}: log({argument}) does not name an EventKind"
        assert {k for k in match.groups() if k} <= {kind.name for kind in EventKind}


def test_an_unknown_kind_fails_where_it_is_logged():
    with pytest.raises(ValueError):
        Event(0, "explosion")


@pytest.mark.parametrize("scenario, seed", [("all_tactics", 5), ("all_tactics", 7), ("calder_bay", 7)])
def test_every_event_of_the_shipped_runs_renders(scenario, seed):
    model = RippleModel(load_scenario(ROOT / "scenarios" / f"{scenario}.yaml"), seed)
    result = model.run()
    names = dict(zip(model.network.ids, model.network.names))
    for event in result.timeline():
        text = describe(event, names, result.tick_seconds)
        assert text and "None" not in text, (event, text)
        assert category(event) in CATEGORIES
        if event.node:
            assert names[event.node] in text or event.kind in (EventKind.ATTACK, EventKind.INJECT)


def test_exercise_kinds_render():
    names = {"sub_a": "Quay Substation"}
    assert describe(Event(3, "decision", "sub_a", "police-1", {"verb": "dispatch", "work": "clear"}), names, 300) == \
        "Decision: dispatch police-1, Quay Substation (work clear)"
    assert describe(Event(3, "decision", None, None, {"verb": "policy", "name": "fifo"}), names, 300) == \
        "Decision: policy (name fifo)"
    assert describe(Event(3, "note", None, None, {"text": "crews tired"}), None, 300) == "Note: crews tired"
    assert describe(Event(3, "rating", None, None, {"capability": "Mass Care", "rating": "S", "notes": ""}),
                    None, 300) == "Rating: Mass Care S"
    assert describe(Event(4, "out_of_service", "sub_a", "fire-1", {"hours": 2.0}), names, 300) == \
        "fire-1 out of service for 2.0 h at Quay Substation"
    assert describe(Event(4, "dispatch", "sub_a", "fire-1", {"work": "make_safe", "eta_ticks": 3}), names, 300) == \
        "fire-1 dispatched to make_safe at Quay Substation, ETA 0:15"
