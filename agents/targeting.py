"""Target rules, evaluated when an action fires on the network as it then stands, so that a
second wave adapts to the first.

- ``highest_betweenness``: the working node with the highest betweenness centrality in its
  sector's link graph of working nodes (Freeman 1977), exact at every size
  (:func:`agents.centrality.betweenness`, the same as the load model's).
- ``most_population_served``: the working node serving the most people.
- ``greatest_cascade``: the working node whose loss takes down the most population, found by
  running the cascade kernel once per candidate (the 256 candidates with the most population
  and dependents when there are more).
- ``random``: a uniformly random working node; with ``fraction``, that share of the working
  nodes at once (drawn without replacement).

All rules take an optional ``sector`` and ``kind``; ties go to the lowest node index. The
first three *rank* the candidates; the simultaneous actions of one cell resolve to distinct
nodes (:class:`Picker`): the k-th action of a rule at one time takes the best node the cell
does not already attack then, its rank in the rule's order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Protocol

import numpy as np

from agents.centrality import betweenness

if TYPE_CHECKING:
    from agents.port import World

__all__ = ["Rule", "RULES", "RANKED", "Picker", "candidates", "highest_betweenness", "most_population_served",
           "greatest_cascade", "random", "random_share"]


class Rule(Protocol):
    """A target rule as a scenario states it (``target: {rule: ..., sector: ..., kind: ...}``)."""

    rule: str                  # a name in RULES
    sector: str | None         # only nodes of this sector
    kind: str | None           # only nodes of this kind
    fraction: float | None     # rule random only: the share of the candidates attacked at once


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


def _ranked(nodes: np.ndarray, score: np.ndarray) -> np.ndarray:
    """``nodes`` by ``score``, highest first; ties in ascending node order."""
    return nodes[np.argsort(-score, kind="stable")]


def highest_betweenness(model: "World", nodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The candidates by betweenness in the link graph of the candidates, highest first
    (draws nothing).

    Parameters
    ----------
    model : World
        The model (the network).
    nodes : numpy.ndarray
        The candidate node indices (working, of the rule's sector and kind), ascending.
    rng : numpy.random.Generator
        The attacks stream (not drawn from).

    Returns
    -------
    numpy.ndarray
        The candidates, best first.

    Notes
    -----
    Freeman's (1977) betweenness, ``c_B(v) = Σ_{s≠v≠t} σ_st(v) / σ_st``, exact (Brandes
    2001, :func:`agents.centrality.betweenness`); scores equal to 1e-9 relative count as
    ties.
    """
    net = model.network
    working = np.zeros(net.n, bool)
    working[nodes] = True
    keep = working[net.link_rows] & working[net.link_cols] & (net.link_rows < net.link_cols)
    compact = np.cumsum(working) - 1
    score = betweenness(len(nodes), compact[net.link_rows[keep]], compact[net.link_cols[keep]])
    scale = max(1.0, float(score.max(initial=0.0)))
    return _ranked(nodes, np.round(score / scale, 9))


def most_population_served(model: "World", nodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The candidates by the people they serve, most first (draws nothing).

    Parameters
    ----------
    model : World
        The model (the network).
    nodes : numpy.ndarray
        The candidate node indices (working, of the rule's sector and kind), ascending.
    rng : numpy.random.Generator
        The attacks stream (not drawn from).

    Returns
    -------
    numpy.ndarray
        The candidates, best first.
    """
    return _ranked(nodes, model.network.population[nodes])


def greatest_cascade(model: "World", nodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The candidates by the population their loss takes down, most first (draws nothing).

    One kernel run per candidate (:meth:`agents.port.World.population_lost_if_down`); above
    ``MAX_WHAT_IF`` candidates, only those with the greatest population plus dependents
    × mean population are tried (and ranked).

    Parameters
    ----------
    model : World
        The model (the network and what-if runs).
    nodes : numpy.ndarray
        The candidate node indices (working, of the rule's sector and kind), ascending.
    rng : numpy.random.Generator
        The attacks stream (not drawn from).

    Returns
    -------
    numpy.ndarray
        The candidates tried, best first.
    """
    net = model.network
    if len(nodes) > MAX_WHAT_IF:
        dependents = np.asarray(net.supply.sum(axis=0)).ravel()
        weight = net.population + dependents * net.population.mean()
        nodes = np.sort(nodes[np.argsort(-weight[nodes], kind="stable")[:MAX_WHAT_IF]])
    losses = np.array([model.population_lost_if_down(int(i)) for i in nodes], dtype=float)
    return _ranked(nodes, losses)


def random(model: "World", nodes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One uniformly random candidate (one draw).

    Parameters
    ----------
    model : World
        The model (not read).
    nodes : numpy.ndarray
        The candidate node indices (working, of the rule's sector and kind, not yet
        attacked by the cell this tick), ascending.
    rng : numpy.random.Generator
        The attacks stream.

    Returns
    -------
    numpy.ndarray
        The chosen node, as an array of one.
    """
    return nodes[[min(int(rng.random() * len(nodes)), len(nodes) - 1)]]


def random_share(nodes: np.ndarray, share: int, rng: np.random.Generator) -> np.ndarray:
    """``share`` distinct candidates drawn uniformly without replacement (one ``choice`` call).

    Parameters
    ----------
    nodes : numpy.ndarray
        The candidate node indices, ascending.
    share : int
        How many to draw, 0..len(nodes).
    rng : numpy.random.Generator
        The attacks stream.

    Returns
    -------
    numpy.ndarray
        The chosen nodes, ascending.
    """
    return np.sort(nodes[rng.choice(len(nodes), size=share, replace=False)])


RULES = {"highest_betweenness": highest_betweenness, "most_population_served": most_population_served,
         "greatest_cascade": greatest_cascade, "random": random}
RANKED = ("highest_betweenness", "most_population_served", "greatest_cascade")   # rules that order candidates


class Picker:
    """Resolves the rule targets of one cell's simultaneous actions to distinct nodes.

    A ranked rule is evaluated once per tick and (rule, sector, kind); each action of it
    takes the best candidate the cell does not already attack this tick. ``random`` draws
    among the candidates not yet attacked.

    Parameters
    ----------
    model : World
        The model, as it stands when the actions fire.
    taken : iterable of int
        Nodes the cell attacks by id this tick: rules pass them over.
    """

    def __init__(self, model: "World", taken: Iterable[int] = ()):
        self.model = model
        self.taken: set[int] = set(taken)
        self.rankings: dict[tuple[str, str | None, str | None], np.ndarray] = {}

    def pick(self, rule: Rule, rng: np.random.Generator) -> list[tuple[int, int | None]]:
        """The nodes one action of ``rule`` attacks now, with their ranks.

        Parameters
        ----------
        rule : Rule
            The action's target rule.
        rng : numpy.random.Generator
            The attacks stream, for the rule's draws.

        Returns
        -------
        list of (int, int or None)
            ``(node, rank)`` pairs: one for a single target (rank 1 for the rule's first
            choice, None for ``random``), ``round(fraction × candidates)`` for a share, in
            ascending node order; empty when no working node qualifies (no draw is made
            then).
        """
        nodes = candidates(self.model, rule)
        if rule.rule in RANKED:
            key = (rule.rule, rule.sector, rule.kind)
            if key not in self.rankings:
                self.rankings[key] = RULES[rule.rule](self.model, nodes, rng) if len(nodes) else nodes
            ranking = self.rankings[key]
            free = np.flatnonzero(~np.isin(ranking, list(self.taken)))
            chosen = [(int(ranking[free[0]]), int(free[0]) + 1)] if len(free) else []
        else:
            free_nodes = nodes[~np.isin(nodes, list(self.taken))]
            if not len(free_nodes):
                chosen = []
            elif rule.fraction is None:
                chosen = [(int(random(self.model, free_nodes, rng)[0]), None)]
            else:
                share = min(len(free_nodes), int(np.floor(rule.fraction * len(nodes) + 0.5)))
                chosen = [(int(i), None) for i in random_share(free_nodes, share, rng)]
        self.taken.update(node for node, _ in chosen)
        return chosen
