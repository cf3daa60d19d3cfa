"""Global sensitivity analysis (SALib) and space-filling designs (``scipy.stats.qmc``) over
scenario parameters given as ``PATH=LOW..HIGH``.

The model is a callable hook ``model(X) -> Y`` from a matrix of parameter values (one row per
point) to a matrix of outputs (one column per metric), so that an analytic test function
(Ishigami) goes through exactly the sampler and analyser code that a scenario does
(:func:`scenario_model` makes the hook for a scenario: each point is a ``--set`` per
parameter, run on common random numbers).

- ``sobol``: Saltelli's sampling and Sobol' first- and total-order indices with bootstrap
  intervals (Saltelli et al. 2010, *Comput. Phys. Commun.* 181:259).
- ``morris``: elementary effects, μ* and σ with a bootstrap interval of μ*
  (Morris 1991, *Technometrics* 33:161; Campolongo et al. 2007).
- designs ``lhs`` and ``sobol`` (scrambled Sobol' points) for an ordinary sampled batch.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
from scipy.stats import qmc

if TYPE_CHECKING:
    from sim.decide.evaluate import Evaluator

__all__ = ["DESIGNS", "LEVEL", "METHODS", "Indices", "Param", "ParamError", "analyse", "design", "parse_param",
           "run_sensitivity", "sample", "scenario_model", "set_specs", "typed"]

METHODS = ("sobol", "morris")
DESIGNS = ("lhs", "sobol")
LEVEL = 0.95
RESAMPLES = 200        # bootstrap resamples of SALib's intervals
MORRIS_LEVELS = 4      # grid levels of Morris trajectories

_RANGE = re.compile(r"^\s*([^=\s]+)\s*=\s*([-+0-9.eE]+)\s*\.\.\s*([-+0-9.eE]+)\s*$")


class ParamError(ValueError):
    """A malformed ``--param`` or design option; the message names it."""


@dataclass(frozen=True)
class Param:
    """One uncertain input: a scenario field and its range.

    Attributes
    ----------
    path : str
        The dotted field path (as ``--set`` takes it).
    low, high : float
        The range, ``low < high``; values are drawn uniformly over it.
    integer : bool
        The scenario holds a whole number at ``path`` (:func:`typed`): values are rounded.
    """

    path: str
    low: float
    high: float
    integer: bool = False

    def value(self, x: float) -> float | int:
        """The value the scenario gets for a drawn ``x``.

        Parameters
        ----------
        x : float
            A value in ``[low, high]``.

        Returns
        -------
        float or int
            ``x``, rounded when the parameter is an integer.
        """
        return int(round(x)) if self.integer else float(x)


def parse_param(text: str) -> Param:
    """A parameter from ``PATH=LOW..HIGH``.

    Parameters
    ----------
    text : str
        E.g. ``policies.information_sharing=0.1..0.9`` or ``responders.power_crews.count=1..6``.

    Returns
    -------
    Param

    Raises
    ------
    ParamError
        When the text is not ``PATH=LOW..HIGH`` with numbers ``LOW < HIGH``.

    Examples
    --------
    >>> parse_param("responders.crews.count=1..6")
    Param(path='responders.crews.count', low=1.0, high=6.0, integer=False)
    """
    match = _RANGE.match(text)
    try:
        low, high = (float(match.group(2)), float(match.group(3))) if match else (math.nan, math.nan)
    except ValueError:
        low = high = math.nan
    if not match or not (math.isfinite(low) and math.isfinite(high)) or not low < high:
        raise ParamError(f"--param {text}: expected PATH=LOW..HIGH with numbers LOW < HIGH, "
                         "e.g. policies.information_sharing=0.1..0.9")
    if any(not part for part in match.group(1).split(".")):
        raise ParamError(f"--param {text}: '{match.group(1)}' is not a dotted field path")
    return Param(match.group(1), low, high)


def _at(root: Any, path: str) -> Any:
    """The value at a dotted path through dicts, lists and objects' attributes; None if absent."""
    node = root
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            node = getattr(node, part, None)
        if node is None:
            return None
    return node


def typed(params: list[Param], *sources: Any) -> list[Param]:
    """The parameters, marked integer where the scenario holds a whole number at their path
    (a team's ``count``), so that their values are rounded.

    Parameters
    ----------
    params : list of Param
        As parsed.
    *sources : object
        Where to look, in order: the scenario file's data (:attr:`sim.overrides.ScenarioFile.data`),
        then the validated scenario (for fields left at their defaults).

    Returns
    -------
    list of Param

    Examples
    --------
    >>> typed([Param("a.n", 1, 6), Param("a.x", 0, 1)], {"a": {"n": 2, "x": 0.5}})[0].integer
    True
    """
    marked = []
    for p in params:
        value = next((v for v in (_at(source, p.path) for source in sources) if v is not None), None)
        marked.append(Param(p.path, p.low, p.high, isinstance(value, int) and not isinstance(value, bool)))
    return marked


def _problem(params: list[Param]) -> dict[str, Any]:
    """SALib's problem dictionary."""
    return {"num_vars": len(params), "names": [p.path for p in params], "bounds": [[p.low, p.high] for p in params]}


def _check(params: list[Param]) -> None:
    """Refuse no parameter, or one path twice."""
    if not params:
        raise ParamError("give at least one --param PATH=LOW..HIGH")
    paths = [p.path for p in params]
    if len(set(paths)) < len(paths):
        raise ParamError(f"--param {next(p for p in paths if paths.count(p) > 1)} is given more than once")


def sample(params: list[Param], method: str, n: int, seed: int) -> np.ndarray:
    """The points a sensitivity method needs.

    Parameters
    ----------
    params : list of Param
        The inputs.
    method : str
        ``sobol`` (Saltelli: ``n·(d+2)`` points) or ``morris`` (``n`` trajectories:
        ``n·(d+1)`` points).
    n : int
        Base samples (sobol: a power of two keeps the Sobol' sequence balanced) or trajectories.
    seed : int
        Seeds the scrambling or the trajectories.

    Returns
    -------
    numpy.ndarray, shape (points, d)
        Values in the parameters' ranges (not rounded).

    Raises
    ------
    ParamError
        For an unknown method, no parameter, a path twice or ``n < 2``.
    """
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    _check(params)
    if n < 2:
        raise ParamError(f"--samples {n}: give at least 2")
    if method == "sobol":
        return sobol_sample.sample(_problem(params), n, calc_second_order=False, seed=seed)
    if method == "morris":
        return morris_sample.sample(_problem(params), n, num_levels=MORRIS_LEVELS, seed=seed)
    raise ParamError(f"--method {method}: choose one of {', '.join(METHODS)}")


def design(params: list[Param], kind: str, n: int, seed: int) -> np.ndarray:
    """A space-filling design for an ordinary sampled batch (``ripple batch --design``).

    Parameters
    ----------
    params : list of Param
        The inputs.
    kind : str
        ``lhs`` (Latin hypercube, McKay et al. 1979) or ``sobol`` (scrambled Sobol' points).
    n : int
        Points, at least 2.
    seed : int
        Seeds the design.

    Returns
    -------
    numpy.ndarray, shape (n, d)
        Values in the parameters' ranges, integers rounded.

    Raises
    ------
    ParamError
        For an unknown design, no parameter, a path twice or ``n < 2``.
    """
    _check(params)
    if n < 2:
        raise ParamError(f"--points {n}: give at least 2")
    if kind == "lhs":
        unit = qmc.LatinHypercube(d=len(params), seed=seed).random(n)
    elif kind == "sobol":
        unit = qmc.Sobol(d=len(params), scramble=True, seed=seed).random(n)
    else:
        raise ParamError(f"--design {kind}: choose one of {', '.join(DESIGNS)}")
    values = qmc.scale(unit, [p.low for p in params], [p.high for p in params])
    for j, p in enumerate(params):
        if p.integer:
            values[:, j] = np.round(values[:, j])
    return values


def set_specs(params: list[Param], row: np.ndarray) -> list[str]:
    """The ``--set`` specs that put one point's values into a scenario.

    Parameters
    ----------
    params : list of Param
        The inputs.
    row : numpy.ndarray, shape (d,)
        One point.

    Returns
    -------
    list of str
        ``path=value``, one per parameter.

    Examples
    --------
    >>> set_specs([Param("a.b", 0, 1), Param("c", 1, 5, True)], np.array([0.25, 2.6]))
    ['a.b=0.25', 'c=3']
    """
    return [f"{p.path}={p.value(x)!r}" for p, x in zip(params, row)]


@dataclass
class Indices:
    """Sensitivity indices of one output, one entry per parameter.

    Attributes
    ----------
    method : str
        ``sobol`` or ``morris``.
    names : list of str
        The parameters' paths.
    values : dict of str to list of float
        sobol: ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (the ``_conf`` entries are the
        half-widths of the 95% bootstrap intervals); morris: ``mu``, ``mu_star``, ``sigma``,
        ``mu_star_conf``.
    """

    method: str
    names: list[str]
    values: dict[str, list[float]]

    def as_dict(self) -> dict[str, Any]:
        """The indices as JSON holds them (NaN as null)."""
        clean = {k: [None if not math.isfinite(x) else x for x in v] for k, v in self.values.items()}
        return {"method": self.method, "names": self.names, **clean}


_KEYS = {"sobol": ("S1", "S1_conf", "ST", "ST_conf"), "morris": ("mu", "mu_star", "sigma", "mu_star_conf")}


def analyse(params: list[Param], method: str, x: np.ndarray, y: np.ndarray, seed: int) -> Indices:
    """The indices of one output from the sampled points and the model's values there.

    Parameters
    ----------
    params : list of Param
        The inputs, as sampled.
    method : str
        ``sobol`` or ``morris``, as sampled.
    x : numpy.ndarray, shape (points, d)
        The points of :func:`sample`.
    y : numpy.ndarray, shape (points,)
        The output at each point.
    seed : int
        Seeds the bootstrap of the intervals.

    Returns
    -------
    Indices
    """
    from SALib.analyze import morris, sobol

    y = np.asarray(y, dtype=float)
    if method == "sobol":
        out = sobol.analyze(_problem(params), y, calc_second_order=False, num_resamples=RESAMPLES,
                            conf_level=LEVEL, seed=seed)
    else:
        out = morris.analyze(_problem(params), x, y, num_resamples=RESAMPLES, conf_level=LEVEL,
                             num_levels=MORRIS_LEVELS, seed=seed)
    return Indices(method, [p.path for p in params], {k: [float(v) for v in out[k]] for k in _KEYS[method]})


def run_sensitivity(params: list[Param], method: str, n: int, model: Callable[[np.ndarray], np.ndarray],
                    outputs: list[str], seed: int) -> tuple[np.ndarray, np.ndarray, dict[str, Indices]]:
    """Sample, evaluate the model at every point, and analyse each output.

    Parameters
    ----------
    params : list of Param
        The inputs.
    method : str
        ``sobol`` or ``morris``.
    n : int
        Base samples or trajectories (:func:`sample`).
    model : callable
        ``model(x) -> y``: points ``(m, d)`` to outputs ``(m, len(outputs))``.
    outputs : list of str
        The outputs' names, one per column of ``y``.
    seed : int
        Seeds the sampling and the intervals.

    Returns
    -------
    x : numpy.ndarray, shape (m, d)
        The points.
    y : numpy.ndarray, shape (m, len(outputs))
        The model's outputs.
    indices : dict of str to Indices
        Per output.
    """
    x = sample(params, method, n, seed)
    y = np.asarray(model(x), dtype=float).reshape(len(x), len(outputs))
    return x, y, {name: analyse(params, method, x, y[:, j], seed) for j, name in enumerate(outputs)}


def scenario_model(evaluator: "Evaluator", params: list[Param], metrics: list[str],
                   fixed: tuple[str, ...] = ()) -> Callable[[np.ndarray], np.ndarray]:
    """The model hook of a scenario: each point's parameters as ``--set`` overrides, the
    metrics' means over the evaluator's runs (the same run indices and seed at every point:
    common random numbers, so the indices see the parameters and not the draws).

    Parameters
    ----------
    evaluator : Evaluator
        Runs each point as a batch (:class:`sim.decide.evaluate.Evaluator`).
    params : list of Param
        The inputs, one per column of the points.
    metrics : list of str
        The outputs.
    fixed : tuple of str
        ``--set`` overrides applied at every point, before the parameters.

    Returns
    -------
    callable
        ``model(x) -> y`` with ``y`` of shape ``(points, len(metrics))``.
    """
    def model(x: np.ndarray) -> np.ndarray:
        return np.array([[evaluator.mean(fixed + tuple(set_specs(params, row)), m) for m in metrics] for row in x])

    return model
