"""One self-contained HTML page: plotly.js inline once, figures, HTML parts and scripts.

The page makes no network request: plotly.js is embedded (no CDN), MathJax is left out,
fonts are the system's, and data travels inside the page as JSON.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.offline import get_plotlyjs

__all__ = ["CONFIG", "CSS", "figure_div", "json_script", "render", "write"]

# no plotly logo and no cloud or Chart Studio buttons: a page may carry a TLP marking, and
# nothing in it should offer to send its data away
CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False, "modeBarButtonsToRemove": ["select2d", "lasso2d", "sendDataToCloud"],
          "toImageButtonOptions": {"scale": 2}}

CSS = """
* { box-sizing: border-box; }
body { margin: 0; font-family: "DejaVu Sans", Verdana, Arial, sans-serif; font-size: 14px; color: #222;
       background: #f4f4f2; }
header { padding: 12px 20px 8px; background: #fff; border-bottom: 1px solid #ddd; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 18px 0 8px; }
.sub { color: #555; font-size: 13px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 10px; }
.card { background: #f7f7f5; border: 1px solid #ddd; border-radius: 6px; padding: 6px 12px; min-width: 150px; }
.card .label { font-size: 12px; color: #555; }
.card .value { font-size: 20px; font-weight: bold; }
.card .note { font-size: 11px; color: #666; }
main { padding: 12px 20px 24px; }
.panel { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 6px; margin-bottom: 12px; }
table { border-collapse: collapse; font-size: 13px; background: #fff; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f0ee; }
details summary { cursor: pointer; margin: 6px 0; }
"""


def json_script(element_id: str, data: Any) -> str:
    r"""Data embedded as a JSON script element.

    Parameters
    ----------
    element_id : str
        The element's ``id``, by which the page's scripts find it.
    data : object
        JSON-serialisable data; NaN and infinities are refused.

    Returns
    -------
    str
        A ``<script type="application/json">`` element, with ``</`` escaped so the data
        cannot end the script.

    Raises
    ------
    ValueError
        When ``data`` holds NaN or an infinity.

    Examples
    --------
    >>> print(json_script("d", {"a": "</script>"}))
    <script type="application/json" id="d">{"a":"<\/script>"}</script>
    """
    text = json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def figure_div(fig: go.Figure, div_id: str) -> str:
    """A figure as a div and the script that draws it; plotly.js comes from the page head.

    Parameters
    ----------
    fig : plotly.graph_objects.Figure
        The figure.
    div_id : str
        The div's ``id``.

    Returns
    -------
    str
        HTML filling its container (width and height 100 %), with the page's ``CONFIG``.
    """
    return pio.to_html(fig, full_html=False, include_plotlyjs=False, include_mathjax=False, div_id=div_id,
                       config=CONFIG, default_width="100%", default_height="100%")


def render(title: str, body: str, css: str = "", scripts: tuple[str, ...] = ()) -> str:
    """The whole document: plotly.js inline in the head, the body, then the page's scripts.

    Parameters
    ----------
    title : str
        The page title (escaped here).
    body : str
        HTML of the body.
    css : str, optional
        The page's own CSS, after the shared ``CSS``.
    scripts : tuple of str, optional
        JavaScript sources, each in its own script element at the end of the body.

    Returns
    -------
    str
        A complete HTML5 document that makes no network request.
    """
    tail = "\n".join(f"<script>{js}</script>" for js in scripts)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}{css}</style>\n"
            f'<script type="text/javascript">window.PlotlyConfig = {{MathJaxConfig: "local"}};</script>\n'
            f'<script type="text/javascript">{get_plotlyjs()}</script>\n</head>\n<body>\n{body}\n{tail}\n</body>\n</html>\n')


def write(path: str | Path, text: str) -> Path:
    """Write a page as UTF-8, creating its folder.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write.
    text : str
        The document.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
