"""ripple's pages and live console: plotly figures built from results, never from the engine.

- :mod:`dashboards.figures`: pure plotly figures (map, service curves, timelines);
- :mod:`dashboards.page`: the self-contained HTML page they are assembled into;
- :mod:`dashboards.replay`: the replay page of one run;
- :mod:`dashboards.report`: the Monte Carlo report of a batch or comparison folder;
- :mod:`dashboards.aar`: the after-action report of an exercise (HTML or Markdown);
- :mod:`dashboards.app`: the live exercise console in the browser (Dash).

The package imports from :mod:`sim` only its results, stores, network structure and the
exercise session. It re-exports nothing: import from its modules.
"""

__all__ = []
