"""ripple: agent-based simulation of coordinated attacks on interdependent critical
infrastructure, and of the recovery.

``from sim import load_scenario, RippleModel, run_batch`` — the names load on first use, so
that importing a submodule (e.g. ``sim.scenario``) stays light.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"load_scenario": "sim.scenario", "RippleModel": "sim.model", "run_batch": "sim.batch"}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import the module of an exported name on first use (PEP 562)."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
