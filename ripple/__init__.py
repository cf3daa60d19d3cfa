"""The application layer: the ``ripple`` command line and the consoles.

The one package allowed to import every other (sim, agents, dashboards); nothing imports it.
Each module registers its commands on the shared app; :func:`main` runs it."""

from ripple import run  # noqa: F401  (registers commands)
from ripple import exercise  # noqa: F401  (exercise, serve, aar)
from ripple import batch  # noqa: F401  (batch, compare, summary)
from ripple import report  # noqa: F401  (report)
from ripple import network  # noqa: F401  (network convert)
from ripple import why  # noqa: F401  (why)
from ripple import importers  # noqa: F401  (import pandapower)
from ripple import powerflow  # noqa: F401  (powerflow)
from ripple import decide  # noqa: F401  (harden, sensitivity, discover)
from ripple.app import app
from ripple.crash import main

__all__ = ["app", "main"]
