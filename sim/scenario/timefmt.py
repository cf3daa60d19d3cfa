"""Durations and exercise-clock offsets as scenario files write them.

Accepted forms: ``5min``, ``90 min``, ``2h``, ``2h30m``, ``1d 6h``, ``45s``, and clock offsets
``T+1:30`` (hours:minutes) or ``T+0:05:30`` (hours:minutes:seconds). A bare number is
rejected, because ``5`` could mean minutes or hours.
"""

from __future__ import annotations

import re

__all__ = ["format_clock", "parse_duration"]

_UNITS = {
    "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hr": 3600.0, "hrs": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*")
_CLOCK = re.compile(r"^T\+(\d+):([0-5]\d)(?::([0-5]\d))?$")


def parse_duration(value: object) -> float:
    """Read a duration or clock offset as a scenario file writes it.

    Parameters
    ----------
    value : object
        A string such as ``"5min"``, ``"2h30m"``, ``"1d 6h"``, ``"45s"``, ``"T+1:30"``
        (hours:minutes) or ``"T+0:05:30"`` (hours:minutes:seconds). Units: s, m/min,
        h/hr, d (and their long forms); several parts add up.

    Returns
    -------
    float
        The duration, in seconds.

    Raises
    ------
    ValueError
        For a bare number (no unit), a negative or empty duration, a non-string, or an
        unknown unit; the message says what was expected.

    Examples
    --------
    >>> parse_duration("2h30m")
    9000.0
    >>> parse_duration("T+0:05:30")
    330.0
    >>> parse_duration(5)
    Traceback (most recent call last):
    ...
    ValueError: '5' has no unit; write e.g. '5min' or '5h'
    """
    if isinstance(value, bool) or isinstance(value, (int, float)):
        raise ValueError(f"'{value}' has no unit; write e.g. '{value}min' or '{value}h'")
    if not isinstance(value, str):
        raise ValueError("expected a duration such as '5min', '2h30m' or 'T+1:30'")
    text = value.strip()
    if text.startswith("-"):
        raise ValueError(f"'{value}' is negative; durations and times must be >= 0")
    clock = _CLOCK.match(text)
    if clock:
        hours, minutes, seconds = clock.groups()
        return int(hours) * 3600.0 + int(minutes) * 60.0 + int(seconds or 0)
    lowered, total, pos = text.lower(), 0.0, 0
    while pos < len(lowered):
        part = _PART.match(lowered, pos)
        if not part or part.group(2) not in _UNITS:
            raise ValueError(
                f"'{value}' is not a duration; expected e.g. '5min', '2h30m', '1d' or 'T+1:30'"
            )
        total += float(part.group(1)) * _UNITS[part.group(2)]
        pos = part.end()
    if pos == 0:
        raise ValueError("empty duration; expected e.g. '5min'")
    return total


def format_clock(seconds: float) -> str:
    """Format time since the start as an exercise clock offset, ``T+h:mm``.

    Parameters
    ----------
    seconds : float
        Time since the start, in seconds; rounded to the nearest minute.

    Returns
    -------
    str
        ``T+h:mm`` (hours unbounded, minutes two digits).

    Examples
    --------
    >>> format_clock(5400)
    'T+1:30'
    >>> format_clock(29)
    'T+0:00'
    """
    minutes = int(round(seconds / 60.0))
    return f"T+{minutes // 60}:{minutes % 60:02d}"
