"""Regenerate the imported files of the Auenfeld example (``scenarios/auenfeld/``).

Auenfeld is an invented valley town whose networks are public data that come with the
packages ripple installs, imported exactly as a user would import their own:

- ``grid.yaml``: pandapower's ``mv_oberrhein`` benchmark grid (``pandapower.networks``), a
  20 kV distribution grid of 179 buses fed by two 110/20 kV substations, in its own WGS84
  bus positions (``ripple import pandapower``);
- ``water.yaml``: EPANET's Net3 example network (shipped with WNTR), a schematic drawing,
  placed at 1 drawing unit = 300 m with its 0,0 south-west of the grid so that the two
  overlap (``ripple import epanet --units 300m --origin 7.75,48.36``);
- ``hospitals.geojson``: two invented hospitals (a GIS layer the scenario imports as it
  loads, ``sector: health``).

The scenario ``scenarios/auenfeld.yaml`` composes the three as network parts and writes the
cross-sector dependencies as rules. Run from the repository root::

    python scenarios/generate_auenfeld.py
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

__all__ = ["HOSPITALS", "NET3_ORIGIN", "NET3_UNITS", "main"]

HERE = Path(__file__).resolve().parent / "auenfeld"
NET3_UNITS = "300m"                 # one Net3 drawing unit on the ground
NET3_ORIGIN = (7.75, 48.36)         # longitude, latitude of Net3's 0,0
HOSPITALS = [                       # invented: id, name, longitude, latitude, people served
    ("auenfeld_regional", "Auenfeld Regional Hospital", 7.842, 48.405, 60000.0),
    ("st_odilia", "St. Odilia Clinic", 7.792, 48.381, 25000.0),
]


def main() -> None:
    """Write grid.yaml, water.yaml and hospitals.geojson into ``scenarios/auenfeld/``."""
    import pandapower
    import pandapower.networks
    import wntr

    from sim.scenario.importers.epanet import import_epanet
    from sim.scenario.importers.pandapower import import_pandapower
    from sim.scenario.netdata import write_network

    logging.getLogger("pandapower").setLevel(logging.ERROR)
    HERE.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "mv_oberrhein.json"
        pandapower.to_json(pandapower.networks.mv_oberrhein(), str(source))
        grid, _ = import_pandapower(source)
    write_network(grid, HERE / "grid.yaml", force=True)
    net3 = Path(wntr.__file__).parent / "library" / "networks" / "Net3.inp"
    water, _ = import_epanet(net3, units=NET3_UNITS, origin=NET3_ORIGIN)
    write_network(water, HERE / "water.yaml", force=True)
    features = [{"type": "Feature", "id": key,
                 "properties": {"id": key, "name": name, "kind": "hospital", "population": people},
                 "geometry": {"type": "Point", "coordinates": [lon, lat]}}
                for key, name, lon, lat, people in HOSPITALS]
    (HERE / "hospitals.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {HERE}/grid.yaml ({grid.n_nodes} nodes), water.yaml ({water.n_nodes} nodes), hospitals.geojson")


if __name__ == "__main__":
    main()
