"""``python -m ripple``: the same command line as the ``ripple`` script."""

from ripple import app

__all__ = []

app(prog_name="ripple")
