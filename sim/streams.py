"""Seeded random streams: one ``SeedSequence``, one child generator per subsystem.

Keeping subsystems on separate streams means a change of response policy cannot change
which attacks land: the basis of common random numbers in policy comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["STREAMS", "Streams", "seed_sequence", "spawn_streams"]

STREAMS = ("attacks", "effects", "response", "generation")   # spawn order: never reorder


@dataclass(frozen=True)
class Streams:
    """One run's random generators, one per subsystem.

    Attributes
    ----------
    attacks : numpy.random.Generator
        The attackers' draws.
    effects : numpy.random.Generator
        Draws of what attacks and outages do (e.g. which nodes a cascade damages).
    response : numpy.random.Generator
        The response's draws (e.g. task durations).
    generation : numpy.random.Generator
        The Mesa model's own ``rng``.
    """

    attacks: np.random.Generator
    effects: np.random.Generator
    response: np.random.Generator
    generation: np.random.Generator


def seed_sequence(seed: int, run_index: int | None = None) -> np.random.SeedSequence:
    """The seed sequence of one run.

    Parameters
    ----------
    seed : int
        The scenario's (or batch's) seed.
    run_index : int or None, optional
        The run's index within a batch; None for a single run.

    Returns
    -------
    numpy.random.SeedSequence
        ``SeedSequence(seed, spawn_key=(run_index,))`` for run ``run_index`` of a batch,
        ``SeedSequence(seed)`` for a single run. Runs of a batch are thus independent of
        each other and of the number of runs or workers.

    Examples
    --------
    >>> seed_sequence(7, 3).spawn_key
    (3,)
    >>> seed_sequence(7).entropy == seed_sequence(7, 3).entropy
    True
    >>> seed_sequence(7).spawn_key
    ()
    """
    if run_index is None:
        return np.random.SeedSequence(seed)
    return np.random.SeedSequence(seed, spawn_key=(run_index,))


def spawn_streams(seed: int, run_index: int | None = None) -> Streams:
    """The run's generators: one child of :func:`seed_sequence` per name in ``STREAMS``.

    Parameters
    ----------
    seed : int
        The scenario's (or batch's) seed.
    run_index : int or None, optional
        The run's index within a batch; None for a single run.

    Returns
    -------
    Streams
        One ``numpy.random.Generator`` per subsystem, spawned in ``STREAMS`` order.

    Examples
    --------
    >>> a, b = spawn_streams(7, 0), spawn_streams(7, 0)
    >>> int(a.attacks.integers(1000)) == int(b.attacks.integers(1000))
    True
    """
    children = seed_sequence(seed, run_index).spawn(len(STREAMS))
    return Streams(*(np.random.default_rng(child) for child in children))
