"""One number format for the pages: thousands separators and a fixed number of significant
figures, never an exponent, so "152,000 person-h" stands beside "0.00369 h".

:func:`significant` formats in Python; :data:`D3_SIGNIFICANT` is the same rule as a d3 format
for plotly's hover texts and axes (d3-format's ``r`` type: decimal notation rounded to
significant digits). :func:`metric_text` adds a metric's unit from the catalogue
(:mod:`sim.metrics`), which also says how a stored value is scaled to it.
"""

from __future__ import annotations

import math

from sim.metrics import metric

__all__ = ["D3_SIGNIFICANT", "SIGNIFICANT", "metric_text", "p_value", "significant"]

SIGNIFICANT = 3                       # significant figures of every number a page shows
D3_SIGNIFICANT = f",.{SIGNIFICANT}r"  # the same in plotly's hovertemplates and tick formats


def significant(value: float | None, digits: int = SIGNIFICANT, signed: bool = False, blank: str = "–") -> str:
    """A number with thousands separators, rounded to ``digits`` significant figures (trailing
    zeros kept, so every number shows its precision), never in exponent notation.

    Parameters
    ----------
    value : float or None
        The number; None, NaN and infinities are ``blank``.
    digits : int
        Significant figures, 1 or more.
    signed : bool
        Put + before a positive number (a difference).
    blank : str
        Shown for no value.

    Returns
    -------
    str
        E.g. ``"152,000"``, ``"0.00369"``, ``"2.10"``, ``"+42.5"``.

    Examples
    --------
    >>> significant(152_345.0), significant(0.0036912), significant(2.1), significant(-0.0)
    ('152,000', '0.00369', '2.10', '0')
    >>> significant(9.996), significant(11_592_542.5, signed=True), significant(float("nan"))
    ('10.0', '+11,600,000', '–')
    """
    if value is None or not math.isfinite(float(value)):
        return blank
    value = float(value)
    if value == 0.0:
        return "0"
    power = math.floor(math.log10(abs(value)))
    rounded = round(value, digits - 1 - power)
    if rounded != 0.0 and math.floor(math.log10(abs(rounded))) > power:     # 9.996 → 10.0: one decimal fewer
        power += 1
        rounded = round(value, digits - 1 - power)
    decimals = max(0, digits - 1 - power)
    return f"{rounded:{'+' if signed else ''},.{decimals}f}"


def metric_text(name: str, value: float | None, signed: bool = False, unit: bool = True, blank: str | None = None) -> str:
    """A stored metric value in its shown unit (:mod:`sim.metrics`), in significant figures.

    Parameters
    ----------
    name : str
        The metric's name in the catalogue.
    value : float or None
        As stored (summary.json, batch rows); None or NaN has no value.
    signed : bool
        A difference: signed, and a difference of percentages is in percentage points.
    unit : bool
        Append the unit.
    blank : str, optional
        Shown for no value instead of the metric's own blank (e.g. ``not reached``).

    Returns
    -------
    str
        E.g. ``"85.5%"``, ``"+1.20 h"``, ``"-3.40 points"``, ``"11,600,000 person-h"``; a whole
        count under 1,000 of a count metric is exact (``"2 attacks"``, not ``"2.00 attacks"``).

    Examples
    --------
    >>> metric_text("min_service", 0.855), metric_text("min_service", -0.034, signed=True)
    ('85.5%', '-3.40 points')
    >>> metric_text("attacks_landed", 2), metric_text("nodes_down", 42.5), metric_text("unserved_person_h", 152_345.0)
    ('2 attacks', '42.5 nodes', '152,000 person-h')
    """
    info = metric(name)
    if value is None or not math.isfinite(float(value)):
        return info.blank if blank is None else blank
    shown = info.shown(value)
    if info.digits == 0 and shown.is_integer() and abs(shown) < 10 ** SIGNIFICANT:    # a small count: exact
        text = f"{int(shown):{'+' if signed and shown > 0 else ''}d}"
    else:
        text = significant(shown, signed=signed)
    if not unit or not info.unit:
        return text
    if signed and info.unit == "%":
        return text + " points"
    return text + (info.unit if info.unit in ("%", "×") else f" {info.unit}")


def p_value(p: float | None) -> str:
    """A p-value as the pages show it: three decimals, ``<0.001`` below that, ``–`` when undefined.

    Parameters
    ----------
    p : float or None
        The p-value.

    Returns
    -------
    str
        The text.

    Examples
    --------
    >>> p_value(0.00369), p_value(0.0001), p_value(None)
    ('0.004', '<0.001', '–')
    """
    if p is None or not math.isfinite(p):
        return "–"
    return "<0.001" if p < 0.001 else f"{p:.3f}"
