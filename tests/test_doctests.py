"""The Examples sections of the documented modules run as doctests, so they cannot rot."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "sim", "sim.cascade", "sim.engines", "sim.files", "sim.load", "sim.overrides", "sim.streams",
    "sim.kernel", "sim.kernel.layout", "sim.kernel.local", "sim.kernel.passes", "sim.kernel.search",
    "sim.scenario", "sim.scenario.loader", "sim.scenario.timefmt",
    "dashboards", "dashboards.page",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, raise_on_error=False, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


@pytest.mark.parametrize("name", MODULES)
def test_all_lists_public_names(name: str) -> None:
    module = importlib.import_module(name)
    for public in module.__all__:
        assert hasattr(module, public), f"{name}.__all__ names {public}, which it does not define"
