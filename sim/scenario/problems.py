"""Located problems of input files, reported the way compilers report errors.

Every reader collects the problems it finds and raises them together in one
:class:`ScenarioError`, so that a user fixes a file in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_PROBLEMS", "Loc", "Problem", "ScenarioError", "field_path"]

Loc = tuple[str | int, ...]      # a field's path in the data: keys and list indexes
MAX_PROBLEMS = 50                # problems listed one by one; the rest are counted


@dataclass(frozen=True)
class Problem:
    """One problem of a scenario or network file, located.

    Attributes
    ----------
    file : str
        The file, as shown to the user.
    line : int or None
        1-based line number; None when unknown.
    field : str
        The field's path (:func:`field_path`); empty for a problem of the whole file.
    message : str
        What is wrong.

    Examples
    --------
    >>> str(Problem("town.yaml", 12, "attackers[0].plan", "unknown key"))
    'town.yaml:12: attackers[0].plan: unknown key'
    """

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ScenarioError(Exception):
    """A scenario or network file has one or more problems; ``str()`` lists them one a line.

    Parameters
    ----------
    problems : list of Problem
        Every problem found. The first :data:`MAX_PROBLEMS` are kept as ``problems``;
        when there are more, a last one says how many were left out.
    """

    def __init__(self, problems: list[Problem]):
        if len(problems) > MAX_PROBLEMS:
            rest = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [Problem(problems[MAX_PROBLEMS].file, None, "", f"and {rest} more")]
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def field_path(loc: Loc) -> str:
    """A field's path as users write it.

    Parameters
    ----------
    loc : tuple of str or int
        Keys and list indexes.

    Returns
    -------
    str
        Keys joined by dots, indexes in brackets.

    Examples
    --------
    >>> field_path(("attackers", 0, "plan"))
    'attackers[0].plan'
    """
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
