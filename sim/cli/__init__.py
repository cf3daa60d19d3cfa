"""The ``ripple`` command line. Each module registers its commands on the shared app."""

from sim.cli import run  # noqa: F401  (registers commands)
from sim.cli import exercise  # noqa: F401  (exercise, serve, aar)
from sim.cli import batch  # noqa: F401  (batch, compare, summary)
from sim.cli import report  # noqa: F401  (report)
from sim.cli.app import app

__all__ = ["app"]
