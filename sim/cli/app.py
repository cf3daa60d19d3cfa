"""The typer application and the error handling every command shares."""

from __future__ import annotations

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
console = Console()
errors = Console(stderr=True)


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
