"""Generate the Varrow Valley network (``cyber_physical_network.yaml``).

Varrow Valley is an invented river town of about 120,000 people on a 12 x 10 km frame
(x east, y north, km), used by ``cyber_physical.yaml``: a cyber intrusion on the water
utility's control system combined with attacks on the backup power of its pumping stations.

- energy: two grid supply points (sources), two primary substations, ten distribution
  substations on radial feeders with a few ties, the electric control room (SCADA), a fuel
  terminal, and one standby diesel generator at each pumping station (kind
  ``backup_generator``). A standby generator is its own source of power, so it is a source
  node with no links: it keeps working whatever happens to the grid, until it is attacked or
  its day tank runs dry (it needs fuel from the terminal, 24 h buffer).
- water: the treatment works (source), a trunk main through eight pumping stations, the
  pressure zones they supply, and the water control centre (SCADA). Each pump needs power
  from its grid feeder *or* its generator (need 1 of 2), and control from the SCADA (8 h, a shift of
  manual running by site staff). Four pumps (Riverside high-lift and three boosters) hang
  off one radial feeder, the Riverside substation.
- telecom: one exchange (source), two central offices, cell sites.
- health: two hospitals, clinics and care homes.

The output is a pure function of the seed. Run from the repository root::

    .venv/bin/python scenarios/generate_cyber_physical.py
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from builder import NetworkBuilder

SEED = 4242
DEFAULT_OUT = Path(__file__).resolve().parent / "cyber_physical_network.yaml"

# pump id, name, x, y, grid feeder
PUMPS = [
    ("pump_riverside_high", "Riverside High-Lift Pumping Station", 4.6, 5.4, "ds_riverside"),
    ("pump_weir_road", "Weir Road Booster Station", 6.0, 4.6, "ds_riverside"),
    ("pump_tannery_lane", "Tannery Lane Booster Station", 6.3, 5.9, "ds_riverside"),
    ("pump_mill_lane", "Mill Lane Booster Station", 5.1, 4.1, "ds_riverside"),
    ("pump_ravensgate", "Ravensgate Booster Station", 3.2, 8.2, "ds_ravensgate"),
    ("pump_beckside", "Beckside Booster Station", 8.8, 7.4, "ds_beckside"),
    ("pump_kilnworth", "Kilnworth Booster Station", 7.3, 2.0, "ds_kilnworth"),
    ("pump_eastholme", "Eastholme Booster Station", 10.6, 4.8, "ds_eastholme"),
]
# distribution substation id, name, x, y, feeds from
SUBSTATIONS = [
    ("ds_riverside", "Riverside Substation", 5.5, 5.1, ["ps_millrace"]),
    ("ds_old_town", "Old Town Substation", 6.9, 6.2, ["ps_millrace"]),
    ("ds_ravensgate", "Ravensgate Substation", 3.0, 7.8, ["ps_millrace"]),
    ("ds_beckside", "Beckside Substation", 8.5, 7.9, ["ps_millrace", "ds_old_town"]),
    ("ds_fellside", "Fellside Substation", 10.4, 8.6, ["ds_beckside"]),
    ("ds_kilnworth", "Kilnworth Substation", 7.0, 1.5, ["ps_kilnworth"]),
    ("ds_sallowmead", "Sallowmead Substation", 4.4, 2.0, ["ps_kilnworth"]),
    ("ds_quarrydene", "Quarrydene Substation", 9.4, 3.0, ["ps_kilnworth"]),
    ("ds_eastholme", "Eastholme Substation", 11.0, 5.2, ["ds_quarrydene", "ds_fellside"]),
    ("ds_westbeck", "Westbeck Substation", 2.4, 4.8, ["ps_kilnworth", "ds_ravensgate"]),
]
ZONE_NAMES = ["Riverside", "Weir Road", "Tannery Lane", "Mill Lane", "Old Town", "Ravensgate", "Westbeck",
              "Beckside", "Fellside", "Kilnworth", "Sallowmead", "Quarrydene", "Eastholme", "Castle Mound"]
ZONE_POSITIONS = [(4.9, 5.9), (6.3, 4.2), (6.8, 5.6), (5.0, 3.6), (7.2, 6.6), (3.0, 8.6), (2.3, 5.2),
                  (9.0, 8.0), (10.3, 8.9), (7.6, 1.4), (4.2, 1.8), (9.6, 2.6), (11.0, 4.4), (5.6, 6.6)]
TOWERS = [("Castle Mound", 5.8, 7.0), ("Riverside", 5.2, 4.9), ("Ravensgate", 2.8, 8.4), ("Beckside", 9.0, 8.2),
          ("Kilnworth", 7.4, 1.8), ("Sallowmead", 4.0, 2.2), ("Eastholme", 10.8, 4.6), ("Westbeck", 2.0, 5.0)]


def build(seed: int = SEED) -> NetworkBuilder:
    net = NetworkBuilder(np.random.default_rng(seed))
    rng = net.rng

    net.mark("energy: grid supply points (sources) and primary substations")
    net.node("gsp_north", "energy", "grid_supply_point", "Varrow North Grid Supply Point", 1.0, 8.5,
             source=True, hardening=0.6)
    net.node("gsp_south", "energy", "grid_supply_point", "Varrow South Grid Supply Point", 1.5, 1.0,
             source=True, hardening=0.6)
    net.node("ps_millrace", "energy", "transmission_substation", "Millrace Primary Substation", 4.5, 6.6,
             hardening=0.4, repair={"median": "12h", "p90": "36h"})
    net.node("ps_kilnworth", "energy", "transmission_substation", "Kilnworth Primary Substation", 6.5, 2.6,
             hardening=0.4, repair={"median": "12h", "p90": "36h"})
    for a, b in (("gsp_north", "ps_millrace"), ("gsp_south", "ps_kilnworth"), ("gsp_south", "ps_millrace"),
                 ("ps_millrace", "ps_kilnworth")):
        net.link(a, b)

    net.mark("energy: distribution substations (population = customers served)")
    pops = rng.integers(80, 160, size=len(SUBSTATIONS)) * 100
    pops = np.round(pops * 120_000 / pops.sum(), -2).astype(int)
    for (id, name, x, y, feeds), pop in zip(SUBSTATIONS, pops):
        net.node(id, "energy", "distribution_substation", name, x, y, population=pop,
                 hardening=round(float(rng.uniform(0.2, 0.4)), 2))
    for id, *_, feeds in SUBSTATIONS:
        for f in feeds:
            net.link(id, f)

    net.mark("energy: electric control room (SCADA)")
    net.node("energy_scada", "energy", "scada", "Varrow Electric Control Room", 5.4, 3.4, hardening=0.5)
    net.link("energy_scada", "ps_millrace")
    net.link("energy_scada", "ps_kilnworth")

    net.mark("energy: fuel terminal and standby generators at the pumping stations (own sources, no links)")
    net.node("fuel_terminal", "energy", "fuel_depot", "Varrow Fuel Terminal", 8.2, 1.0, source=True, hardening=0.4)
    for pid, pname, x, y, _ in PUMPS:
        site = pname.removesuffix(" Pumping Station").removesuffix(" Booster Station")
        net.node(f"gen_{pid.removeprefix('pump_')}", "energy", "backup_generator", f"{site} Standby Generator",
                 x + 0.03, y - 0.03, source=True, hardening=round(float(rng.uniform(0.1, 0.2)), 2),
                 repair={"median": "8h", "p90": "24h"})

    net.mark("water: treatment works (source) and pumping stations")
    net.node("wtp_varrow", "water", "treatment_plant", "Varrow River Treatment Works", 3.5, 5.6, source=True,
             hardening=0.5)
    for pid, pname, x, y, _ in PUMPS:
        net.node(pid, "water", "pump_station", pname, x, y, hardening=round(float(rng.uniform(0.2, 0.35)), 2))
    for a, b in (("wtp_varrow", "pump_riverside_high"), ("wtp_varrow", "pump_mill_lane"),
                 ("wtp_varrow", "pump_ravensgate"), ("pump_riverside_high", "pump_weir_road"),
                 ("pump_riverside_high", "pump_tannery_lane"), ("pump_riverside_high", "pump_mill_lane"),
                 ("pump_tannery_lane", "pump_beckside"), ("pump_mill_lane", "pump_kilnworth"),
                 ("pump_weir_road", "pump_eastholme"), ("pump_beckside", "pump_eastholme")):
        net.link(a, b)

    net.mark("water: pressure zones (population = people supplied)")
    pumps = [p[0] for p in PUMPS]
    zpops = rng.integers(50, 130, size=len(ZONE_NAMES)) * 100
    zpops = np.round(zpops * 120_000 / zpops.sum(), -2).astype(int)
    for name, (x, y), pop in zip(ZONE_NAMES, ZONE_POSITIONS, zpops):
        id = "zone_" + name.lower().replace(" ", "_")
        net.node(id, "water", "pressure_zone", f"{name} Pressure Zone", x, y, population=pop)
        first, second = net.nearest_to(id, pumps, 2)
        net.link(id, first)
        if rng.random() < 0.3:
            net.link(id, second)

    net.mark("water: control centre (SCADA), at the treatment works")
    net.node("water_scada", "water", "scada", "Varrow Water Control Centre", 3.7, 5.9, hardening=0.5)
    net.link("water_scada", "wtp_varrow")

    net.mark("telecom: exchange (source), central offices, cell sites")
    net.node("core_varrow", "telecom", "core_switch", "Varrow Telephone Exchange", 5.9, 6.4, source=True, hardening=0.5)
    net.node("co_north", "telecom", "central_office", "Ravensgate Central Office", 3.9, 8.0, hardening=0.3)
    net.node("co_south", "telecom", "central_office", "Kilnworth Central Office", 7.1, 2.9, hardening=0.3)
    net.link("core_varrow", "co_north")
    net.link("core_varrow", "co_south")
    net.link("co_north", "co_south")
    tpops = rng.integers(60, 200, size=len(TOWERS)) * 100
    tpops = np.round(tpops * 120_000 / tpops.sum(), -2).astype(int)
    for (name, x, y), pop in zip(TOWERS, tpops):
        id = "cell_" + name.lower().replace(" ", "_")
        net.node(id, "telecom", "cell_tower", f"{name} Cell Site", x, y, population=pop, hardening=0.1)
        first, second = net.nearest_to(id, ["co_north", "co_south"], 2)
        net.link(id, first)
        if rng.random() < 0.4:
            net.link(id, second)

    net.mark("health: hospitals (population = catchment), clinics, care homes (population = residents)")
    net.node("hosp_varrow_general", "health", "hospital", "Varrow General Hospital", 6.4, 6.8, population=80000,
             hardening=0.3)
    net.node("hosp_kilnworth", "health", "hospital", "Kilnworth District Hospital", 7.7, 2.3, population=45000,
             hardening=0.3)
    for id, name, x, y, pop in (("clinic_old_town", "Old Town Health Centre", 7.0, 6.0, 18000),
                                ("clinic_westbeck", "Westbeck Medical Practice", 2.5, 5.0, 12000),
                                ("clinic_eastholme", "Eastholme Health Centre", 10.7, 5.0, 14000),
                                ("care_castle_mound", "Castle Mound Care Home", 5.5, 6.9, 120),
                                ("care_sallowmead", "Sallowmead Lodge Care Home", 4.3, 2.2, 90),
                                ("care_fellside", "Fellside House Care Home", 10.2, 8.8, 70)):
        net.node(id, "health", "clinic" if id.startswith("clinic") else "care_home", name, x, y, population=pop,
                 hardening=0.1)

    # ---- dependencies
    ds = [s[0] for s in SUBSTATIONS]
    zones = net.groups["pressure_zone"]
    cos = ["co_north", "co_south"]
    for d in ds:
        net.dep(d, "control", ["energy_scada"], kind="cyber", buffer="2h")
    net.dep("energy_scada", "telecom", ["core_varrow"], buffer="4h")
    for g in net.groups["backup_generator"]:
        net.dep(g, "fuel", ["fuel_terminal"], buffer="24h")
    net.dep("wtp_varrow", "power", net.nearest_to("wtp_varrow", ds, 2), buffer="12h")
    for pid, _, _, _, feeder in PUMPS:
        # grid feeder or standby generator; 30 min of surge tanks and storage before pressure drops
        net.dep(pid, "power", [feeder, f"gen_{pid.removeprefix('pump_')}"], need=1, buffer="30min")
        net.dep(pid, "control", ["water_scada"], kind="cyber", buffer="8h")  # a shift of manual running
    net.dep("water_scada", "power", ["ds_westbeck", "ds_ravensgate"], buffer="8h")
    net.dep("water_scada", "telecom", cos, buffer="1h")
    net.dep("core_varrow", "power", ["ds_old_town", "ds_riverside"], buffer="24h")
    for c in cos:
        net.dep(c, "power", net.nearest_to(c, ds, 1), buffer="8h")
    for i, t in enumerate(net.groups["cell_tower"]):
        net.dep(t, "power", net.nearest_to(t, ds, 1), buffer=["2h", "3h", "4h"][i % 3])
    for h in net.groups["hospital"]:
        net.dep(h, "power", net.nearest_to(h, ds, 2), buffer="24h")
        net.dep(h, "water", net.nearest_to(h, zones, 2), buffer="24h")
        net.dep(h, "telecom", cos, buffer="4h")
    for c in net.groups["clinic"]:
        net.dep(c, "power", net.nearest_to(c, ds, 1), buffer="1h")
        net.dep(c, "water", net.nearest_to(c, zones, 1), buffer="12h")
    for c in net.groups["care_home"]:
        net.dep(c, "power", net.nearest_to(c, ds, 1), buffer="2h")
        net.dep(c, "water", net.nearest_to(c, zones, 1), buffer="8h")
    check(net)
    return net


def check(net: NetworkBuilder) -> None:
    """Baseline feasibility: every node of a sector with sources has a link path to one of them."""
    problems = net.unfed(("energy", "water", "telecom"))
    if problems:
        raise SystemExit(f"generate_cyber_physical: no path to a source: {problems}")


HEADER = [
    "Varrow Valley network: invented river town, ~120k people, 12 x 10 km (km, x east, y north).",
    "Generated by scenarios/generate_cyber_physical.py --seed {seed}; do not edit by hand.",
    "Used by cyber_physical.yaml.",
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output file (default scenarios/cyber_physical_network.yaml)")
    args = parser.parse_args(argv)
    net = build(args.seed)
    args.out.write_text(net.dump([line.format(seed=args.seed) for line in HEADER]), encoding="utf-8")
    print(f"wrote {args.out}: {net.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
