"""``ripple report``: the HTML report of a batch or comparison results folder."""

from __future__ import annotations

from pathlib import Path

import typer

from ripple.app import app, console, fail

__all__ = ["report"]


@app.command()
def report(folder: Path = typer.Argument(..., help="results folder of `ripple batch` or `ripple compare`",
                                         show_default=False)) -> None:
    """Write FOLDER/report.html, the HTML report of a batch or comparison folder.

    It shows the distributions of the headline metrics, the fan chart of service over time
    and, for a comparison, the paired differences. The page opens offline."""
    from dashboards.report import ReportError, write_report

    if not folder.exists():
        fail(f"{folder} does not exist; pass the results folder of `ripple batch` or `ripple compare`")
    try:
        path = write_report(folder)
    except ReportError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the report in {folder}: {exc}", code=1)
    console.print(f"wrote {path}", highlight=False)
