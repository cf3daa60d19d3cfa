"""``python -m ripple``: the same command line as the ``ripple`` script."""

from ripple import app

app(prog_name="ripple")
