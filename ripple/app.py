"""The typer application and the error handling every command shares."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

from sim.scenario import Scenario, ScenarioError, load_scenario

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
    """Print one clear message on stderr and exit non-zero (no traceback)."""
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load_or_exit(path: Path, patches: list[dict[str, Any]] | None = None) -> Scenario:
    try:
        return load_scenario(path, patches)
    except ScenarioError as exc:
        for problem in exc.problems:
            errors.print(str(problem), highlight=False, markup=False, soft_wrap=True)
        plural = "s" if len(exc.problems) > 1 else ""
        errors.print(f"[bold red]error:[/] {len(exc.problems)} problem{plural} in {path}", highlight=False)
        raise typer.Exit(2) from None
