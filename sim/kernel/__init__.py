"""The cascade kernel's parts; :func:`sim.cascade.cascade` is its entry point.

- :mod:`sim.kernel.layout`: the kernel's copy of a network's structure, in a cache-friendly
  order, the array helpers the passes share, and :class:`~sim.kernel.layout.Outcome`;
- :mod:`sim.kernel.passes`: full connectivity passes (``connected_components`` and each
  sector's rule);
- :mod:`sim.kernel.search`: connectivity by one breadth-first search a round, on networks of
  up to ``sim.cascade.LOCAL_ABOVE`` linked nodes;
- :mod:`sim.kernel.local`: connectivity re-checked near the nodes just lost, on larger ones.

The package re-exports nothing: import from its modules, or call :mod:`sim.cascade`.
"""

__all__: list[str] = []
