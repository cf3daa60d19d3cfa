"""The last line of defence: an error ripple did not foresee is one line for the user, its
traceback in a crash file, and exit code 3 (bad input is exit 2, with its own message)."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import traceback
from datetime import datetime
from pathlib import Path

from ripple.app import app, errors

__all__ = ["CRASH_EXIT", "main", "write_crash"]

CRASH_EXIT = 3


def write_crash(exc: BaseException) -> Path:
    """Write the traceback of ``exc``, the command line and the versions to a crash file.

    Parameters
    ----------
    exc : BaseException
        The unexpected error.

    Returns
    -------
    Path
        ``ripple-crash-<time>-<pid>.txt`` in the system's temporary folder.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(tempfile.gettempdir()) / f"ripple-crash-{stamp}-{os.getpid()}.txt"
    lines = [f"command: ripple {' '.join(sys.argv[1:])}", f"python {platform.python_version()} on {platform.platform()}",
             "", *traceback.format_exception(exc)]
    path.write_text("\n".join(line.rstrip("\n") for line in lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    """Run the ``ripple`` command line; an unexpected error exits with :data:`CRASH_EXIT`.

    Exits (``SystemExit``, including typer's for bad input) and Ctrl-C pass through.
    """
    try:
        app(prog_name="ripple")
    except Exception as exc:  # noqa: BLE001  (every error a command did not handle)
        path = write_crash(exc)
        errors.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}. This is a bug in ripple, not in "
                     f"your input; the details are in {path} (please include it in a report).",
                     highlight=False, soft_wrap=True)
        sys.exit(CRASH_EXIT)
