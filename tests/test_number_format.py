"""One number format on the pages: thousands separators, fixed significant figures, no exponent."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import pytest

from browser import chromium, open_page
from dashboards import page
from dashboards.numberformat import D3_SIGNIFICANT, metric_text, p_value, significant

CASES = [
    (152_345.0, "152,000"), (0.0036912, "0.00369"), (2.1, "2.10"), (85.46, "85.5"), (999.5, "1,000"),
    (9.996, "10.0"), (0.09996, "0.100"), (-1234.5, "-1,230"), (1.0, "1.00"), (123.0, "123"),
    (11_592_542.5, "11,600,000"), (4.5e-7, "0.000000450"), (0.0, "0"), (-0.0, "0"),
]


@pytest.mark.parametrize("value, text", CASES)
def test_significant_figures_with_separators_and_no_exponent(value, text):
    assert significant(value) == text
    assert "e" not in significant(value).lower()


def test_signs_digits_and_blanks():
    assert significant(0.5, signed=True) == "+0.500" and significant(-0.5, signed=True) == "-0.500"
    assert significant(152_345.0, digits=2) == "150,000" and significant(3.14159, digits=5) == "3.1416"
    assert significant(None) == significant(math.nan) == significant(math.inf) == "–"
    assert significant(None, blank="not reached") == "not reached"


def test_metric_text_uses_the_catalogues_unit_and_scale():
    assert metric_text("resilience_loss_h", 2.139895) == "2.14 h"
    assert metric_text("min_service", 0.8550247) == "85.5%"
    assert metric_text("min_service", -0.0342, signed=True) == "-3.42 points"
    assert metric_text("unserved_person_h", 11_592_542.5) == "11,600,000 person-h"
    assert metric_text("unserved_person_h", 152_345.0, signed=True) == "+152,000 person-h"
    assert metric_text("cascade_amplification", 42.5) == "42.5×"
    assert metric_text("attacks_landed", 2) == "2 attacks" and metric_text("nodes_down", 85) == "85 nodes"
    assert metric_text("recovery_95_h", math.nan) == "not reached"
    assert metric_text("resilience_loss_h", 0.00369, unit=False) == "0.00369"


def test_p_values_have_three_decimals():
    assert (p_value(0.00369), p_value(0.0001), p_value(0.5), p_value(None)) == ("0.004", "<0.001", "0.500", "–")


@pytest.mark.browser
def test_plotly_formats_as_significant(tmp_path):
    """The d3 format the figures' hover texts use writes what :func:`significant` writes (drawn
    here as the points' text, which plotly formats with the same template rules)."""
    values = [v for v, _ in CASES if v != 0.0]
    fig = go.Figure(go.Scatter(x=list(range(len(values))), y=values, mode="markers+text",
                               texttemplate=f"%{{y:{D3_SIGNIFICANT}}}",
                               hovertemplate=f"%{{y:{D3_SIGNIFICANT}}}<extra></extra>"))
    path = page.write(tmp_path / "numbers.html", page.render("numbers", page.figure_div(fig, "fig")))
    with chromium() as browser, open_page(browser, path) as s:
        s.page.wait_for_function(f"document.querySelectorAll('#fig .textpoint').length === {len(values)}")
        shown = s.page.evaluate("Array.from(document.querySelectorAll('#fig .textpoint')).map(e => e.textContent)")
        assert s.blocked == [] and s.errors == []
    assert [t.replace("−", "-") for t in shown] == [significant(v) for v in values]
