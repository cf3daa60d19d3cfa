"""Physics where it matters: the DC power flow of a grid and its overload cascade.

A sector with ``physics: dc`` (docs/physics.md) runs :func:`sim.physics.cascade.overload_cascade`
in the cascade phase, before the dependency kernel.
"""

__all__: list[str] = []
