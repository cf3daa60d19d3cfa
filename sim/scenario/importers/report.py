"""What an import mapped, dropped and left unplaced, told to the user."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["ImportFailed", "ImportReport"]


class ImportFailed(ValueError):
    """The source cannot be imported (missing, unreadable, not of the expected format)."""


def _first(ids: list[str]) -> str:
    """The first ten ids, and how many more."""
    return ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")


@dataclass
class ImportReport:
    """Counts and remarks of one import.

    Attributes
    ----------
    mapped : collections.Counter
        What each source element became, e.g. ``{"line -> link": 181}``.
    dropped : collections.Counter
        Source elements left out, by type, e.g. ``{"dcline": 2}``.
    unplaced : list of str
        Ids of nodes left unplaced (no coordinates in the source).
    warnings : list of str
        Things that look wrong but do not stop the import (an implausible extent).
    """

    mapped: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    unplaced: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The report as lines of text: mapped, dropped, unplaced, then warnings."""
        out = [f"mapped {count} {what}" for what, count in self.mapped.items() if count]
        out += [f"dropped {count} {what}" for what, count in self.dropped.items() if count]
        if self.unplaced:
            out.append(f"{len(self.unplaced)} node(s) without coordinates left unplaced: {_first(self.unplaced)}")
        out += [f"warning: {w}" for w in self.warnings]
        return out
