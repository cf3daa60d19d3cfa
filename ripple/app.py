"""The typer application and the error handling every command shares.

Command modules import here only what their options need: the engine, pages and their
libraries are imported inside the commands that use them, so that ``ripple --help`` and
``ripple validate`` start fast (benchmarks/bench_cli.py).
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sim.scenario import Scenario

__all__ = ["app", "console", "errors", "fail", "load_or_exit", "scenario_problems"]

app = typer.Typer(
    name="ripple",
    help="Simulate coordinated attacks on interdependent infrastructure, and the recovery.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
# piped output (files, CI logs) gets room for the wide summary tables rich would squeeze to 80
_WIDTH = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 140
console = Console(width=_WIDTH)
errors = Console(stderr=True, width=_WIDTH)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one clear message on stderr and exit non-zero (no traceback).

    Parameters
    ----------
    message : str
        What went wrong, for the user (rich markup allowed).
    code : int
        The exit code: 2 for bad input, 1 for a failure while running.

    Raises
    ------
    typer.Exit
        Always, with ``code``.
    """
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def scenario_problems(path: Path) -> Iterator[None]:
    """Print every problem of a scenario file with file:line and exit with code 2.

    Parameters
    ----------
    path : Path
        The scenario file, named in the closing line.

    Raises
    ------
    typer.Exit
        With code 2 when the block raises :class:`sim.scenario.ScenarioError`.
    """
    from sim.scenario import ScenarioError

    try:
        yield
    except ScenarioError as exc:
        for problem in exc.problems:
            errors.print(str(problem), highlight=False, markup=False, soft_wrap=True)
        plural = "s" if len(exc.problems) > 1 else ""
        errors.print(f"[bold red]error:[/] {len(exc.problems)} problem{plural} in {path}", highlight=False)
        raise typer.Exit(2) from None


def load_or_exit(path: Path, patches: list[dict[str, Any]] | None = None) -> Scenario:
    """Load a scenario, or print every problem with file:line and exit with code 2.

    Parameters
    ----------
    path : Path
        The scenario file (YAML).
    patches : list of dict, optional
        Overrides applied on top of the file (:func:`sim.scenario.load_scenario`).

    Returns
    -------
    Scenario
        The validated scenario.

    Raises
    ------
    typer.Exit
        With code 2 when the scenario has problems.
    """
    from sim.scenario import load_scenario

    with scenario_problems(path):
        return load_scenario(path, patches)
