"""Sections of benchmarks/RESULTS.md: each benchmark replaces only its own, between markers."""

from __future__ import annotations

from pathlib import Path

__all__ = ["RESULTS", "write_section"]

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def write_section(name: str, heading: str, body: str) -> None:
    """Replace the section of benchmark ``name`` in RESULTS.md, or append it under ``heading``.

    Parameters
    ----------
    name : str
        The benchmark's module name, e.g. ``bench_cli``; it names the section's markers.
    heading : str
        The section's ``##`` heading, used when the section is new.
    body : str
        The section's Markdown, written between the markers.
    """
    begin, end = f"<!-- {name}: begin -->", f"<!-- {name}: end -->"
    block = f"{begin}\n{body}\n{end}"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n## {heading}\n\n{block}\n"
    RESULTS.write_text(text)
