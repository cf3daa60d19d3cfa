"""``python -m ripple``: the same command line as the ``ripple`` script."""

from ripple import main

__all__ = []

main()
