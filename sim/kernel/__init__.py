"""The cascade kernel's parts; :mod:`sim.cascade` is its entry point."""
