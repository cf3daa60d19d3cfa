"""The ``ripple`` command line. Each module registers its commands on the shared app."""

from sim.cli import run  # noqa: F401  (registers commands)
from sim.cli.app import app

__all__ = ["app"]
