"""Target rules, evaluated when an action fires on the network as it then stands, so that a
second wave adapts to the first.

- ``highest_betweenness``: the working node with the highest betweenness centrality in its
  sector's link graph of working nodes (Freeman 1977; sampled with k = 256 pivots above
  2,000 nodes, Brandes & Pich 2007).
- ``most_population_served``: the working node serving the most people.
- ``greatest_cascade``: the working node whose loss takes down the most population, found by
  running the cascade kernel once per candidate (the 256 candidates with the most population
  and dependents when there are more).
- ``random``: a uniformly random working node.

All rules take an optional ``sector`` and ``kind``; ties go to the lowest node index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from agents.port import World

__all__ = ["Rule", "RULES", "candidates", "resolve", "highest_betweenness", "most_population_served",
           "greatest_cascade", "random"]


class Rule(Protocol):
    """A target rule as a scenario states it (``target: {rule: ..., sector: ..., kind: ...}``)."""

    rule: str                  # a name in RULES
    sector: str | None         # only nodes of this sector
    kind: str | None           # only nodes of this kind

SAMPLE_ABOVE = 2000          # nodes above which betweenness is sampled
MAX_WHAT_IF = 256            # candidates greatest_cascade runs the kernel for


def candidates(model: "World", rule: Rule) -> np.ndarray:
    """The working nodes a rule may pick: of its sector and kind, if it names them.

    Parameters
    ----------
    model : World
        The model (the network and its node state now).
    rule : Rule
        The target rule.

    Returns
    -------
    numpy.ndarray
        Node indices, ascending.
    """
    net = model.network
    mask = model.state.down == 0
    if rule.sector is not None:
        mask &= net.sector == net.sector_names.index(rule.sector)
    if rule.kind is not None:
        mask &= np.asarray(net.kind) == rule.kind
    return np.flatnonzero(mask)


def highest_betweenness(model: "World", nodes: np.ndarray, rng: np.random.Generator) -> int:
    """The candidate with the highest betweenness in the link graph of the candidates.

    Above ``SAMPLE_ABOVE`` nodes the centrality is estimated from 256 pivots, seeded with
    one draw from ``rng`` (Brandes & Pich 2007); otherwise it is exact and draws nothing.

    Notes
    -----
    Freeman's (1977) betweenness, ``c_B(v) = Σ_{s≠v≠t} σ_st(v) / σ_st``, normalised, from
    :func:`networkx.betweenness_centrality`.

    Parameters
    ----------
    model : World
        The model (the network and, for some rules, what-if runs).
    nodes : numpy.ndarray
        The candidate node indices (working, of the rule's sector and kind), ascending.
    rng : numpy.random.Generator
        The attacks stream.

    Returns
    -------
    int
        The chosen node's index.
    """
    import networkx as nx      # here, not at the top: a scenario's schema names this rule without running it

    net = model.network
    working = np.zeros(net.n, bool)
    working[nodes] = True
    keep = working[net.link_rows] & working[net.link_cols] & (net.link_rows < net.link_cols)
    graph = nx.Graph()
    graph.add_nodes_from(nodes.tolist())
    graph.add_edges_from(zip(net.link_rows[keep].tolist(), net.link_cols[keep].tolist()))
    k = 256 if graph.number_of_nodes() > SAMPLE_ABOVE else None
    seed = int(rng.integers(2**31)) if k else None
    score = nx.betweenness_centrality(graph, k=k, seed=seed)
    return int(max(nodes, key=lambda i: (score[int(i)], -i)))


def most_population_served(model: "World", nodes: np.ndarray, rng: np.random.Generator) -> int:
    """The candidate serving the most people (draws nothing).

    Parameters
    ----------
    model : World
        The model (the network and, for some rules, what-if runs).
    nodes : numpy.ndarray
        The candidate node indices (working, of the rule's sector and kind), ascending.
    rng : numpy.random.Generator
        The attacks stream.

    Returns
    -------
    int
        The chosen node's index.
    """
    pop = model.network.population[nodes]
    return int(nodes[np.argmax(pop)])


def greatest_cascade(model: "World", nodes: np.ndarray, rng: np.random.Generator) -> int:
    """The candidate whose loss takes down the most population (draws nothing).

    One kernel run per candidate (:meth:`agents.port.World.population_lost_if_down`); above
    ``MAX_WHAT_IF`` candidates, only those with the greatest population plus dependents
    × mean population are tried.

    Parameters
    ----------
    model : World
        The model (the network and, for some rules, what-if runs).
    nodes : numpy.ndarray
        The candidate node indices (working, of the rule's sector and kind), ascending.
    rng : numpy.random.Generator
        The attacks stream.

    Returns
    -------
    int
        The chosen node's index.
    """
    net = model.network
    if len(nodes) > MAX_WHAT_IF:
        dependents = np.asarray(net.supply.sum(axis=0)).ravel()
        weight = net.population + dependents * net.population.mean()
        nodes = np.sort(nodes[np.argsort(-weight[nodes], kind="stable")[:MAX_WHAT_IF]])
    losses = [model.population_lost_if_down(int(i)) for i in nodes]
    return int(nodes[int(np.argmax(losses))])


def random(model: "World", nodes: np.ndarray, rng: np.random.Generator) -> int:
    """A uniformly random candidate (one draw).

    Parameters
    ----------
    model : World
        The model (the network and, for some rules, what-if runs).
    nodes : numpy.ndarray
        The candidate node indices (working, of the rule's sector and kind), ascending.
    rng : numpy.random.Generator
        The attacks stream.

    Returns
    -------
    int
        The chosen node's index.
    """
    return int(nodes[min(int(rng.random() * len(nodes)), len(nodes) - 1)])


RULES = {"highest_betweenness": highest_betweenness, "most_population_served": most_population_served,
         "greatest_cascade": greatest_cascade, "random": random}


def resolve(model: "World", rule: Rule, rng: np.random.Generator) -> int | None:
    """The node a rule picks now, on the network as it stands.

    Parameters
    ----------
    model : World
        The model.
    rule : Rule
        The target rule.
    rng : numpy.random.Generator
        The attacks stream, for the rule's draws.

    Returns
    -------
    int or None
        The node's index, or None when no working node qualifies (no draw is made then).
    """
    nodes = candidates(model, rule)
    if len(nodes) == 0:
        return None
    return RULES[rule.rule](model, nodes, rng)
