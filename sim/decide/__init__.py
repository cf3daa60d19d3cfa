"""Decision support over the engine: defender plans against scripted and adaptive attackers
(:mod:`sim.decide.harden`), global sensitivity and sampled designs
(:mod:`sim.decide.sensitivity`), and scenario discovery by PRIM (:mod:`sim.decide.prim`)."""

__all__: list[str] = []
