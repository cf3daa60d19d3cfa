"""Seeded random streams: one ``SeedSequence``, one child generator per subsystem.

Keeping subsystems on separate streams means a change of response policy cannot change
which attacks land: the basis of common random numbers in policy comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STREAMS = ("attacks", "effects", "response", "generation")


@dataclass(frozen=True)
class Streams:
    attacks: np.random.Generator
    effects: np.random.Generator
    response: np.random.Generator
    generation: np.random.Generator


def seed_sequence(seed: int, run_index: int | None = None) -> np.random.SeedSequence:
    """Run ``i`` of a batch seeds from ``SeedSequence(seed, spawn_key=(i,))``; a single run
    from ``SeedSequence(seed)``."""
    if run_index is None:
        return np.random.SeedSequence(seed)
    return np.random.SeedSequence(seed, spawn_key=(run_index,))


def spawn_streams(seed: int, run_index: int | None = None) -> Streams:
    children = seed_sequence(seed, run_index).spawn(len(STREAMS))
    return Streams(*(np.random.default_rng(child) for child in children))
