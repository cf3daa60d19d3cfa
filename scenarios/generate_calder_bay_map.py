"""Generate the background layers of the Calder Bay map (``calder_bay_map/*.geojson``).

Three small invented layers in the network's own frame (km east and north of the 30 x 20 km
drawing of ``generate_calder_bay.py``, so the scenario names them with ``crs: network``):

- ``water.geojson``: the bay, an ellipse of water centred at (21, 0) with radii 7 x 5.5 km
  (the generator's ``BAY_CENTRE`` and ``BAY_RADII``), its shore wavering by 3%, and the sea
  south of the frame, whose coast runs along y = 0 within 0.2 km, clear of every node;
- ``roads.geojson``: six main roads through the districts' centres, none across the bay;
- ``boundary.geojson``: the City of Calder Bay's limits; Glenwater, in the north-east
  corner, lies outside them in Ashgrove County, where mutual aid comes from.

The layers are a pure function of the constants below: re-running writes the same bytes.
Run from the repository root::

    .venv/bin/python scenarios/generate_calder_bay_map.py                 # scenarios/calder_bay_map/
    .venv/bin/python scenarios/generate_calder_bay_map.py --out /tmp/map
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "calder_bay_map"
BAY_CENTRE, BAY_RADII = (21.0, 0.0), (7.0, 5.5)      # as in generate_calder_bay.py
SEA_LEFT, SEA_RIGHT, SEA_BOTTOM = -3.0, 33.0, -4.0

# road name -> the places it runs through, (x, y) km
ROADS = {
    "M1 Calder Expressway": [(-1.0, 12.4), (5.0, 10.2), (10.8, 10.6), (14.5, 8.8), (17.2, 10.8), (22.6, 9.4),
                             (26.4, 11.2), (31.0, 12.2)],
    "A2 Airport Road": [(14.5, 8.8), (12.3, 6.2), (10.8, 3.4), (7.6, 3.0), (5.4, 3.6), (2.4, 6.0), (-1.0, 6.6)],
    "A3 Northgate Road": [(14.5, 8.8), (14.8, 13.0), (14.6, 16.4), (15.2, 21.0)],
    "A4 Ring Road": [(5.0, 10.2), (6.8, 14.2), (9.4, 14.6), (14.6, 16.4), (20.2, 13.6), (24.0, 14.0), (26.4, 11.2)],
    "A5 Harbour Road": [(17.2, 10.8), (17.6, 6.8), (19.8, 6.2)],
    "A6 Redshore Road": [(22.6, 9.4), (25.4, 7.8), (28.2, 6.2), (31.0, 5.0)],
}

CITY_LIMITS = [(1.2, 1.8), (9.5, 0.6), (13.5, 2.2), (28.6, 3.0), (29.0, 15.5), (26.5, 19.4), (9.0, 19.6),
               (0.8, 16.5), (1.2, 1.8)]


def coast_y(x: float) -> float:
    """The sea's coast along the south edge, km north of y = 0 (-0.1 to 0.2)."""
    return 0.05 + 0.1 * math.sin(0.8 * x) + 0.05 * math.sin(2.1 * x + 1.0)


def water_ring(steps: int = 120) -> list[tuple[float, float]]:
    """The water's outline: the south coast west of the bay, the bay's shore, the coast east of
    it, round the sea and back."""
    cx, cy = BAY_CENTRE
    rx, ry = BAY_RADII
    west = [(SEA_LEFT + 0.5 * k, coast_y(SEA_LEFT + 0.5 * k)) for k in range(int((cx - rx - SEA_LEFT) / 0.5) + 1)]
    bay = []
    for k in range(steps + 1):
        angle = math.pi * (1 - k / steps)                   # west shore, round the head, to the east shore
        r = 1.0 + 0.03 * math.sin(6.0 * angle)
        bay.append((cx + rx * r * math.cos(angle), cy + ry * r * math.sin(angle)))
    east_start = cx + rx
    east = [(east_start + 0.5 * k, coast_y(east_start + 0.5 * k)) for k in range(1, int((SEA_RIGHT - east_start) / 0.5) + 1)]
    ring = west + bay + east + [(SEA_RIGHT, SEA_BOTTOM), (SEA_LEFT, SEA_BOTTOM)]
    return ring + [ring[0]]


def _coords(points: list[tuple[float, float]]) -> list[list[float]]:
    return [[round(x, 3), round(y, 3)] for x, y in points]


def feature(name: str, geometry: dict) -> dict:
    return {"type": "Feature", "properties": {"name": name}, "geometry": geometry}


def collection(name: str, features: list[dict]) -> str:
    """A GeoJSON FeatureCollection as stable text (no CRS member: the scenario says crs: network)."""
    return json.dumps({"type": "FeatureCollection", "name": name, "features": features}, indent=None,
                      separators=(",", ":")) + "\n"


def layers() -> dict[str, str]:
    """File name -> GeoJSON text of each layer."""
    return {
        "water.geojson": collection("water", [feature("Calder Bay and the sea",
                                                      {"type": "Polygon", "coordinates": [_coords(water_ring())]})]),
        "roads.geojson": collection("roads", [feature(name, {"type": "LineString", "coordinates": _coords(points)})
                                              for name, points in ROADS.items()]),
        "boundary.geojson": collection("boundary", [feature("City of Calder Bay",
                                                            {"type": "Polygon", "coordinates": [_coords(CITY_LIMITS)]})]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder to write the layers to")
    out = parser.parse_args().out
    out.mkdir(parents=True, exist_ok=True)
    for name, text in layers().items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
