"""Generate the Calder Bay metro network (``calder_bay_network.yaml``).

Calder Bay is an invented coastal metro of about 600,000 people on a 30 x 20 km frame
(x east, y north, km). The bay itself opens to the sea on the southern edge: an ellipse of
water centred at (21, 0) with radii 7 x 5.5 km. The downtown, Calder Centre, sits on the
north-west shore of the bay head at about (14.5, 8.8); residential districts spread north
and west of it, the airport lies on the flat marshland in the south-west, and the container
port and the Harbour Point generating station face the bay on its north-east side. Every
name is fictional.

Six sectors, each with the topology of its real counterpart:

- energy: three generating stations (sources) on a meshed 132 kV ring of eight transmission
  substations; distribution substations on radial feeders, about half with a second feed
  (to another transmission substation or a neighbour on another feeder, closing a loop);
  a grid control centre (SCADA) whose loss puts the distribution substations on manual
  operation for two hours.
- water: two treatment works (sources); a trunk main grown from them through the pumping
  stations, with a few loops; service reservoirs; pressure zones that serve the people; a
  water operations centre (SCADA) that the pumps need for control.
- telecom: two core exchanges (sources), central offices in a ring, cell sites, two data
  centres.
- transport: the airport's two terminals, three metro lines, a road grid, the container
  port, cross-bay ferries and the traffic management centre; no sources, so the sector
  works by the giant-component rule and every transport node is linked into one component.
- health: hospitals, clinics and care homes (dependencies only, no links).
- emergency: the 911 centre (PSAP), the emergency operations centre, police, fire and
  ambulance stations (dependencies only).

Dependencies pick their suppliers geographically (the nearest ones). The generator checks
that at baseline every node can work: each node of a sector with sources has a link path
to a source of its own sector, transport is one connected component, links stay inside a
sector and no dependency needs more suppliers than it lists.

The output is a pure function of the seed: re-running with the same seed writes the same
bytes. Run from the repository root::

    .venv/bin/python scenarios/generate_calder_bay.py            # seed 20260514
    .venv/bin/python scenarios/generate_calder_bay.py --seed 3 --out /tmp/cb.yaml
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from pathlib import Path

import numpy as np
from builder import NetworkBuilder, reach

SEED = 20260514
DEFAULT_OUT = Path(__file__).resolve().parent / "calder_bay_network.yaml"

WIDTH, HEIGHT = 30.0, 20.0
BAY_CENTRE, BAY_RADII = (21.0, 0.0), (7.0, 5.5)
TOTAL_POPULATION = 600_000

# name, x, y, relative density of people, spread (km)
NEIGHBOURHOODS = [
    ("Calder Centre", 14.5, 8.8, 3.0, 1.0),
    ("Harbourside", 17.6, 6.8, 1.6, 0.9),
    ("Quayside", 12.3, 6.2, 1.5, 0.9),
    ("Bramwell", 17.2, 10.8, 1.6, 1.1),
    ("Ashby Park", 10.8, 10.6, 1.6, 1.1),
    ("Kestrel Hill", 9.4, 14.6, 1.2, 1.3),
    ("Northgate", 14.6, 16.4, 1.3, 1.3),
    ("Millbeck", 20.2, 13.6, 1.2, 1.3),
    ("Westmarch", 5.0, 10.2, 1.1, 1.4),
    ("Stonebrae", 7.2, 6.6, 0.9, 1.2),
    ("Tanner's Cross", 10.8, 3.4, 0.8, 1.1),
    ("Orchard Vale", 22.6, 9.4, 0.9, 1.2),
    ("Eastmere", 26.4, 11.2, 0.8, 1.4),
    ("Hartlow", 24.0, 14.0, 0.6, 1.2),
    ("Larkmoor", 24.2, 17.4, 0.6, 1.3),
    ("Dunmarrow Heights", 19.2, 18.4, 0.5, 1.2),
    ("Fernhollow", 11.8, 18.8, 0.4, 1.2),
    ("Copperleigh", 6.8, 17.8, 0.5, 1.2),
    ("Hollowmere", 2.2, 14.8, 0.4, 1.2),
    ("Saltmarsh", 2.4, 6.0, 0.3, 1.2),
    ("Shingle Point", 8.2, 1.6, 0.4, 1.0),
    ("Redshore", 28.2, 6.2, 0.4, 1.0),
    ("Glenwater", 28.0, 18.2, 0.3, 1.1),
]

# names for the third and later node of one kind in one neighbourhood (invented streets)
STREETS = [
    "Alder Street", "Beacon Road", "Cinder Lane", "Draper Street", "Elmstead Road", "Foundry Lane",
    "Garnet Street", "Hatchard Road", "Inkerman Street", "Juniper Way", "Keel Street", "Lantern Row",
    "Mercer Road", "Nettlebed Lane", "Oakapple Road", "Pilgrim Street", "Quarry Lane", "Ropewalk",
    "Sexton Road", "Tideway", "Upton Street", "Vicarage Lane", "Wharf Street", "Yardley Road",
    "Anchor Lane", "Bellfounder Street", "Chandler Road", "Dovecote Lane", "Estuary Road", "Flax Street",
]

PLANT_REPAIR = {"median": "24h", "p90": "72h"}
TRANSMISSION_REPAIR = {"median": "12h", "p90": "48h"}


# --------------------------------------------------------------------------- geometry

def bay_distance(x: float, y: float) -> float:
    """< 1 inside the bay's ellipse of water, > 1 on land."""
    return ((x - BAY_CENTRE[0]) / BAY_RADII[0]) ** 2 + ((y - BAY_CENTRE[1]) / BAY_RADII[1]) ** 2


def on_land(x: float, y: float, margin: float = 0.3) -> bool:
    return margin <= x <= WIDTH - margin and margin <= y <= HEIGHT - margin and bay_distance(x, y) > 1.08


def density(x: float, y: float) -> float:
    return sum(w * math.exp(-((x - hx) ** 2 + (y - hy) ** 2) / (2 * s * s)) for _, hx, hy, w, s in NEIGHBOURHOODS)


def neighbourhood(x: float, y: float) -> str:
    return min(NEIGHBOURHOODS, key=lambda h: (h[1] - x) ** 2 + (h[2] - y) ** 2)[0]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower().replace("'", "")).strip("_")


def spread(raw: np.ndarray, lo: float, hi: float, total: float, step: int = 100) -> list[int]:
    """Map positive weights onto [lo, hi] monotonically (lo + (hi-lo) r^g, r = raw/max) with
    the exponent g chosen so the values sum to ``total``; rounded to ``step``."""
    r = np.asarray(raw, dtype=float) / float(np.max(raw))
    n = len(r)
    if not lo * n <= total <= hi * n:
        raise ValueError(f"cannot spread {n} values in [{lo}, {hi}] to {total}")
    a, b = 0.0, 50.0
    for _ in range(200):
        g = (a + b) / 2
        s = float(np.sum(lo + (hi - lo) * r**g))
        a, b = (g, b) if s > total else (a, g)
    return [int(round((lo + (hi - lo) * v ** ((a + b) / 2)) / step) * step) for v in r]


# --------------------------------------------------------------------------- the builder

class Network(NetworkBuilder):
    """The builder, with names taken from the neighbourhoods and positions on land."""

    def __init__(self, rng: np.random.Generator):
        super().__init__(rng)
        self.names: set[str] = set()

    # ---- nodes
    def unique_name(self, hood: str, suffix: str, x: float, y: float) -> tuple[str, str]:
        """A name for a node in ``hood`` not used yet, and the place it names: the
        neighbourhood, then the neighbourhood qualified by the compass direction from its
        centre, then the next local street from :data:`STREETS`."""
        h = next(n for n in NEIGHBOURHOODS if n[0] == hood)
        dx, dy = x - h[1], y - h[2]
        direction = ("East" if dx > 0 else "West") if abs(dx) > abs(dy) else ("North" if dy > 0 else "South")
        candidates = [hood, f"{hood} {direction}"] + STREETS
        place = next((c for c in candidates if f"{c} {suffix}" not in self.names), None)
        if place is None:
            raise RuntimeError(f"out of street names for {suffix}")
        return f"{place} {suffix}", place

    def unique_id(self, base: str) -> str:
        if base not in self.by_id:
            return base
        k = 2
        while f"{base}_{k}" in self.by_id:
            k += 1
        return f"{base}_{k}"

    def node(self, id: str, sector: str, kind: str, name: str, x: float, y: float, **attrs) -> str:
        if name in self.names:
            raise ValueError(f"duplicate name {name}")
        if not on_land(x, y, margin=0.0):
            raise ValueError(f"{id} at ({x}, {y}) is in the bay or off the map")
        self.names.add(name)
        return super().node(id, sector, kind, name, x, y, **attrs)

    def place(self, suffix: str, x: float, y: float, id_prefix: str) -> tuple[str, str]:
        """An id and a name for a node named after the neighbourhood it stands in."""
        name, place = self.unique_name(neighbourhood(x, y), suffix, x, y)
        return self.unique_id(f"{id_prefix}_{slug(place)}"), name

    def dist(self, a: str, b: str) -> float:
        (ax, ay), (bx, by) = self.xy(a), self.xy(b)
        return math.hypot(ax - bx, ay - by)

    # ---- sampling
    def sample(self, n: int, min_dist: float, avoid: list[str] = ()) -> list[tuple[float, float]]:
        """``n`` points drawn from the population density, at least ``min_dist`` apart and
        from the nodes in ``avoid``."""
        weights = np.array([h[3] for h in NEIGHBOURHOODS])
        weights = weights / weights.sum()
        taken = [self.xy(i) for i in avoid]
        out: list[tuple[float, float]] = []
        tries = 0
        while len(out) < n:
            tries += 1
            if tries > 200_000:
                raise RuntimeError("cannot place points; lower min_dist")
            h = NEIGHBOURHOODS[int(self.rng.choice(len(NEIGHBOURHOODS), p=weights))]
            x, y = self.rng.normal(h[1], h[4]), self.rng.normal(h[2], h[4])
            x, y = round(float(x), 2), round(float(y), 2)
            if not on_land(x, y):
                continue
            if any(math.hypot(x - px, y - py) < min_dist for px, py in out + taken):
                continue
            out.append((x, y))
        return out

    def jitter(self, x: float, y: float, r: float = 0.3) -> tuple[float, float]:
        while True:
            px, py = x + self.rng.uniform(-r, r), y + self.rng.uniform(-r, r)
            if on_land(px, py):
                return round(float(px), 2), round(float(py), 2)

    def hardening(self, lo: float, hi: float) -> float:
        return round(float(self.rng.uniform(lo, hi)), 2)

    def choice(self, options: list[str]) -> str:
        return options[int(self.rng.integers(len(options)))]


# --------------------------------------------------------------------------- sectors

def build_energy(net: Network) -> None:
    rng = net.rng
    net.mark("energy: generating stations (sources)")
    plants = [
        ("gen_harbour_point", "Harbour Point Generating Station", 22.0, 7.0),
        ("gen_kestrel_ridge", "Kestrel Ridge Power Station", 5.6, 17.8),
        ("gen_saltmarsh", "Saltmarsh Peaking Station", 1.6, 4.2),
    ]
    for id, name, x, y in plants:
        net.node(id, "energy", "generation_plant", name, x, y, source=True, hardening=0.6, repair=PLANT_REPAIR)

    net.mark("energy: 132 kV transmission substations (meshed ring)")
    ring = [
        ("ts_westmarch", "Westmarch", 4.6, 9.4),
        ("ts_kestrel_hill", "Kestrel Hill", 8.6, 15.4),
        ("ts_northgate", "Northgate", 15.2, 17.0),
        ("ts_larkmoor", "Larkmoor", 23.0, 16.4),
        ("ts_eastmere", "Eastmere", 26.6, 10.4),
        ("ts_harbourside", "Harbourside", 18.2, 7.6),
        ("ts_quayside", "Quayside", 12.0, 5.6),
        ("ts_stonebrae", "Stonebrae", 6.4, 5.0),
    ]
    for id, hood, x, y in ring:
        net.node(id, "energy", "transmission_substation", f"{hood} 132 kV Substation", x, y,
                 hardening=net.hardening(0.3, 0.5), repair=TRANSMISSION_REPAIR)
    ts = [r[0] for r in ring]
    for a, b in zip(ts, ts[1:] + ts[:1]):
        net.link(a, b)
    net.link("ts_westmarch", "ts_quayside")      # chords that mesh the ring
    net.link("ts_northgate", "ts_harbourside")
    for plant, feeds in (("gen_harbour_point", ("ts_harbourside", "ts_eastmere")),
                         ("gen_kestrel_ridge", ("ts_kestrel_hill",)),
                         ("gen_saltmarsh", ("ts_stonebrae", "ts_westmarch"))):
        for t in feeds:
            net.link(plant, t)

    net.mark("energy: distribution substations (population = customers served)")
    points = net.sample(50, min_dist=1.1, avoid=ts)
    pops = spread(np.array([density(x, y) for x, y in points]) * rng.lognormal(0, 0.25, len(points)),
                  5000, 30000, TOTAL_POPULATION)
    ds = []
    for (x, y), pop in zip(points, pops):
        id, name = net.place("Substation", x, y, "ds")
        ds.append(net.node(id, "energy", "distribution_substation", name, x, y, population=pop,
                           hardening=net.hardening(0.2, 0.4)))
    # radial feeders: from the nearest transmission substation, or through a nearer
    # distribution substation on the way when the transmission one is far
    feeder: dict[str, str] = {}
    for d in sorted(ds, key=lambda i: (net.dist(i, net.nearest_to(i, ts)[0]), i)):
        t = net.nearest_to(d, ts)[0]
        far = net.dist(d, t)
        via = [o for o in feeder if net.dist(o, t) < far - 1.0 and net.dist(d, o) < 0.6 * far]
        if far > 3.5 and via:
            o = net.nearest_to(d, via)[0]
            net.link(d, o)
            feeder[d] = feeder[o]
        else:
            net.link(d, t)
            feeder[d] = t
    # about half get a second feed: another transmission substation nearby, or a tie to a
    # neighbour on a different feeder (an open loop closed)
    for d in ds:
        if rng.random() >= 0.5:
            continue
        t2 = [t for t in net.nearest_to(d, ts, 2) if t != feeder[d]]
        ties = [o for o in net.nearest_to(d, ds, 4) if feeder[o] != feeder[d] and not net.linked(d, o)]
        if t2 and net.dist(d, t2[0]) < 4.5:
            net.link(d, t2[0])
        elif ties and net.dist(d, ties[0]) < 3.0:
            net.link(d, ties[0])

    net.mark("energy: grid control centre (SCADA)")
    net.node("energy_scada", "energy", "scada", "Calder Bay Grid Control Centre", 13.2, 12.4, hardening=0.5)
    for t in net.nearest_to("energy_scada", ts, 2):
        net.link("energy_scada", t)


def build_water(net: Network) -> None:
    rng = net.rng
    net.mark("water: treatment works (sources)")
    net.node("wtp_fernhollow", "water", "treatment_plant", "Fernhollow Reservoir Treatment Works", 10.6, 19.2,
             source=True, hardening=0.5)
    net.node("wtp_hollowmere", "water", "treatment_plant", "Hollowmere Water Treatment Plant", 1.4, 12.6,
             source=True, hardening=0.5)
    plants = ["wtp_fernhollow", "wtp_hollowmere"]

    net.mark("water: pumping stations")
    pumps = []
    for x, y in net.sample(18, min_dist=2.2, avoid=plants):
        id, name = net.place("Pumping Station", x, y, "pump")
        pumps.append(net.node(id, "water", "pump_station", name, x, y, hardening=net.hardening(0.2, 0.4)))
    # trunk mains: grow a tree from the works, always adding the pump closest to the network
    connected = list(plants)
    todo = list(pumps)
    while todo:
        best = min(((net.dist(p, c), pumps.index(p), connected.index(c), p, c) for p in todo for c in connected))
        net.link(best[3], best[4])
        connected.append(best[3])
        todo.remove(best[3])
    # a few cross-connections close loops in the trunk network
    pairs = sorted((net.dist(a, b), i, j, a, b) for i, a in enumerate(pumps) for j, b in enumerate(pumps)
                   if i < j and not net.linked(a, b))
    for _, _, _, a, b in pairs[:5]:
        net.link(a, b)

    net.mark("water: service reservoirs")
    reservoirs = []
    for x, y in net.sample(8, min_dist=2.5, avoid=plants + pumps):
        id, name = net.place("Service Reservoir", x, y, "res")
        reservoirs.append(net.node(id, "water", "service_reservoir", name, x, y, hardening=net.hardening(0.2, 0.3)))
        for p in net.nearest_to(id, pumps, 2):
            net.link(id, p)

    net.mark("water: pressure zones (population = people supplied)")
    points = net.sample(32, min_dist=1.3)
    pops = spread(np.array([density(x, y) for x, y in points]) * rng.lognormal(0, 0.2, len(points)),
                  6000, 40000, TOTAL_POPULATION)
    feeders = pumps + reservoirs
    for (x, y), pop in zip(points, pops):
        id, name = net.place("Pressure Zone", x, y, "zone")
        net.node(id, "water", "pressure_zone", name, x, y, population=pop)
        first, second = net.nearest_to(id, feeders, 2)
        net.link(id, first)
        if rng.random() < 0.35 and net.dist(id, second) < 5.0:
            net.link(id, second)

    net.mark("water: operations centre (SCADA), on the Fernhollow works site")
    net.node("water_scada", "water", "scada", "Fernhollow Water Operations Centre", 10.9, 18.9, hardening=0.5)
    net.link("water_scada", "wtp_fernhollow")


def build_telecom(net: Network) -> None:
    rng = net.rng
    net.mark("telecom: core exchanges (sources)")
    net.node("core_ashby_park", "telecom", "core_switch", "Ashby Park Core Exchange", 11.4, 11.2,
             source=True, hardening=0.5)
    net.node("core_millbeck", "telecom", "core_switch", "Millbeck Core Exchange", 20.6, 13.0,
             source=True, hardening=0.5)
    cores = ["core_ashby_park", "core_millbeck"]
    net.link(*cores)

    net.mark("telecom: central offices (ring)")
    cos = []
    for hood in ("Calder Centre", "Harbourside", "Quayside", "Bramwell", "Ashby Park", "Kestrel Hill",
                 "Northgate", "Millbeck", "Westmarch", "Stonebrae", "Orchard Vale", "Eastmere"):
        h = next(n for n in NEIGHBOURHOODS if n[0] == hood)
        x, y = net.jitter(h[1], h[2], 0.5)
        cos.append(net.node(f"co_{slug(hood)}", "telecom", "central_office", f"{hood} Central Office", x, y,
                            hardening=net.hardening(0.2, 0.4)))
    for c in cos:
        net.link(c, net.nearest_to(c, cores)[0])
    ring = sorted(cos, key=lambda c: math.atan2(net.xy(c)[1] - 11.0, net.xy(c)[0] - 15.0))
    for a, b in zip(ring, ring[1:] + ring[:1]):
        net.link(a, b)

    net.mark("telecom: data centres")
    for id, name, x, y in (("dc_kestrel_hill", "Kestrel Hill Data Centre", 8.2, 15.8),
                           ("dc_orchard_vale", "Orchard Vale Data Centre", 23.6, 8.2)):
        net.node(id, "telecom", "data_centre", name, x, y, hardening=0.5)
        net.link(id, net.nearest_to(id, cores)[0])
        net.link(id, net.nearest_to(id, cos)[0])

    net.mark("telecom: cell sites (population = subscribers in coverage)")
    points = net.sample(72, min_dist=0.9)
    pops = spread(np.array([density(x, y) for x, y in points]) * rng.lognormal(0, 0.25, len(points)),
                  5000, 20000, TOTAL_POPULATION)
    for (x, y), pop in zip(points, pops):
        id, name = net.place("Cell Site", x, y, "cell")
        net.node(id, "telecom", "cell_tower", name, x, y, population=pop, hardening=net.hardening(0.1, 0.2))
        first, second = net.nearest_to(id, cos, 2)
        net.link(id, first)
        if rng.random() < 0.3:
            net.link(id, second)


ROWS = ["Shoreline Road", "Harbour Road", "Calder Avenue", "Larch Road", "Millbeck Road", "Ridgeway"]
COLUMNS = ["Hollowmere Lane", "Saltmarsh Road", "Stonebrae Road", "Ashby Street", "Bramwell Avenue",
           "Orchard Way", "Hartlow Road", "Eastmere Parkway"]

# line name -> stations in order: (id or None for metro_<slug>, name, x, y)
METRO = {
    "Red Line": [("metro_hollowmere", "Hollowmere", 2.0, 11.4), ("metro_westmarch", "Westmarch", 4.4, 10.4),
                 ("metro_linden_road", "Linden Road", 7.4, 10.6), ("metro_ashby_park", "Ashby Park", 10.4, 10.2),
                 ("metro_civic_centre", "Civic Centre", 12.7, 9.4), ("central_station", "Calder Bay Central", 14.5, 8.8),
                 ("metro_bramwell", "Bramwell", 16.9, 10.2), ("metro_orchard_vale", "Orchard Vale", 20.0, 10.0),
                 ("metro_hartlow_road", "Hartlow Road", 23.0, 10.7), ("metro_eastmere", "Eastmere", 26.2, 11.4)],
    "Blue Line": [("metro_dunmarrow_heights", "Dunmarrow Heights", 17.8, 18.4), ("metro_northgate", "Northgate", 14.4, 17.5),
                  ("metro_northgate_south", "Northgate South", 14.6, 15.4), ("metro_fairholme", "Fairholme", 14.8, 13.3),
                  ("metro_bramwell_north", "Bramwell North", 15.0, 11.0), ("central_station", "Calder Bay Central", 14.5, 8.8),
                  ("metro_harbourside", "Harbourside", 16.7, 7.2), ("metro_harbour_point", "Harbour Point", 19.4, 6.6)],
    "Green Line": [("central_station", "Calder Bay Central", 14.5, 8.8), ("metro_quayside", "Quayside", 12.4, 6.7),
                   ("metro_tanners_cross", "Tanner's Cross", 10.2, 4.7), ("metro_stonebrae", "Stonebrae", 7.7, 4.4),
                   ("metro_airport", "Airport", 5.7, 3.9)],
}


def build_transport(net: Network) -> None:
    rng = net.rng
    net.mark("transport: Calder Bay International Airport (population = daily passengers)")
    net.node("airport_terminal_a", "transport", "airport_terminal", "Calder Bay International Terminal A",
             5.0, 3.6, population=32000, hardening=0.4)
    net.node("airport_terminal_b", "transport", "airport_terminal", "Calder Bay International Terminal B",
             5.35, 3.3, population=28000, hardening=0.4)
    net.link("airport_terminal_a", "airport_terminal_b")

    net.mark("transport: metro stations (population = daily riders); Red, Blue and Green lines")
    stations: dict[str, tuple[str, float, float]] = {}
    for line in METRO.values():
        for id, name, x, y in line:
            stations.setdefault(id, (name, x, y))
    others = [s for s in stations if s != "central_station"]
    raw = np.array([density(stations[s][1], stations[s][2]) for s in others]) * rng.lognormal(0, 0.3, len(others))
    riders = dict(zip(others, spread(raw, 5000, 30000, 13000 * len(others))))
    for id, (name, x, y) in stations.items():
        if id == "central_station":
            net.node(id, "transport", "metro_station", "Calder Bay Central Station", x, y, population=40000,
                     hardening=0.3)
        else:
            net.node(id, "transport", "metro_station", f"{name} Station", x, y, population=riders[id],
                     hardening=net.hardening(0.1, 0.2))
    for line in METRO.values():
        ids = [s[0] for s in line]
        for a, b in zip(ids, ids[1:]):
            net.link(a, b)
    net.link("airport_terminal_a", "metro_airport")

    net.mark("transport: road junctions (arterial grid)")
    xs = np.linspace(1.8, 28.2, len(COLUMNS))
    ys = np.linspace(1.5, 18.5, len(ROWS))
    grid: dict[tuple[int, int], str] = {}
    for r, row in enumerate(ROWS):
        for c, col in enumerate(COLUMNS):
            x = round(float(xs[c] + rng.uniform(-0.5, 0.5)), 2)
            y = round(float(ys[r] + rng.uniform(-0.5, 0.5)), 2)
            if not on_land(x, y):
                continue
            id = f"jct_{slug(row.split()[0])}_{slug(col.split()[0])}"
            grid[(r, c)] = net.node(id, "transport", "road_junction", f"{row} / {col} Junction", x, y)
    for (r, c), id in grid.items():
        for nb in ((r, c + 1), (r + 1, c)):
            if nb in grid:
                net.link(id, grid[nb])
    junctions = list(grid.values())
    # the metro and the airport join the road network at their ends and at the interchange
    for s in ("central_station", "metro_hollowmere", "metro_eastmere", "metro_dunmarrow_heights",
              "metro_harbour_point", "metro_civic_centre", "metro_fairholme"):
        net.link(s, net.nearest_to(s, junctions)[0])
    net.link("airport_terminal_b", net.nearest_to("airport_terminal_b", junctions)[0])

    net.mark("transport: container port and cross-bay ferries")
    net.node("port_north_quay", "transport", "port_terminal", "Calder Bay Port North Quay", 23.4, 6.6,
             population=3500, hardening=0.3)
    net.node("port_redshore", "transport", "port_terminal", "Redshore Container Terminal", 27.4, 5.6,
             population=2500, hardening=0.3)
    net.link("port_north_quay", "port_redshore")
    ferries = [("ferry_quayside", "Quayside Ferry Wharf", 13.9, 3.4, 4500),
               ("ferry_harbourside", "Harbourside Ferry Terminal", 16.6, 5.6, 6000),
               ("ferry_redshore", "Redshore Ferry Pier", 27.2, 4.5, 2500)]
    for id, name, x, y, pop in ferries:
        net.node(id, "transport", "ferry_terminal", name, x, y, population=pop, hardening=0.2)
    for i, a in enumerate(ferries):
        for b in ferries[i + 1:]:
            net.link(a[0], b[0])  # ferry routes across the bay
    for id in ("port_north_quay", "port_redshore", "ferry_quayside", "ferry_harbourside", "ferry_redshore"):
        net.link(id, net.nearest_to(id, junctions)[0])

    net.mark("transport: traffic management centre (SCADA)")
    net.node("traffic_control", "transport", "scada", "Calder Bay Traffic Management Centre", 13.0, 11.6, hardening=0.4)
    net.link("traffic_control", net.nearest_to("traffic_control", junctions)[0])


HOSPITALS = [
    ("hosp_calder_general", "Calder Bay General Hospital", 13.8, 9.7, 200000),
    ("hosp_northgate", "Northgate Regional Hospital", 15.6, 16.0, 130000),
    ("hosp_westmarch", "Westmarch Community Hospital", 5.6, 11.0, 95000),
    ("hosp_eastmere", "Eastmere Memorial Hospital", 25.0, 12.6, 110000),
    ("hosp_harbourside_childrens", "Harbourside Children's Hospital", 17.2, 8.2, 85000),
]


def build_health(net: Network) -> None:
    rng = net.rng
    net.mark("health: hospitals (population = catchment)")
    for id, name, x, y, pop in HOSPITALS:
        net.node(id, "health", "hospital", name, x, y, population=pop, hardening=net.hardening(0.3, 0.4))
    net.mark("health: clinics")
    points = net.sample(12, min_dist=2.0, avoid=[h[0] for h in HOSPITALS])
    pops = spread(np.array([density(x, y) for x, y in points]) * rng.lognormal(0, 0.2, len(points)),
                  10000, 30000, 18000 * len(points))
    for (x, y), pop in zip(points, pops):
        id, name = net.place("Health Clinic", x, y, "clinic")
        net.node(id, "health", "clinic", name, x, y, population=pop, hardening=0.1)
    net.mark("health: care homes (population = residents)")
    for x, y in net.sample(8, min_dist=1.5):
        id, name = net.place("Care Home", x, y, "care")
        net.node(id, "health", "care_home", name, x, y, population=int(rng.integers(8, 26)) * 10, hardening=0.1)


def build_emergency(net: Network) -> None:
    ds = net.groups["distribution_substation"]
    served = {d: net.by_id[d]["population"] for d in ds}

    def coverage(ids: list[str]) -> dict[str, int]:
        """People in each station's area: distribution-substation customers to the nearest station."""
        out = {i: 0 for i in ids}
        for d, pop in served.items():
            out[net.nearest_to(d, ids)[0]] += pop
        return {i: int(round(v, -3)) for i, v in out.items()}

    total = sum(served.values())
    net.mark("emergency: 911 centre (PSAP) and emergency operations centre")
    net.node("psap", "emergency", "psap", "Calder Bay Emergency Communications Centre (911)", 12.1, 11.2,
             population=total, hardening=0.6)
    net.node("eoc", "emergency", "eoc", "Calder Bay Emergency Operations Centre", 12.5, 12.0, hardening=0.6)

    net.mark("emergency: police stations (population = people in the precinct)")
    police = [("police_central", "Calder Centre Police Headquarters", 14.2, 9.2),
              ("police_northgate", "Northgate Police Station", 14.9, 16.9),
              ("police_westmarch", "Westmarch Police Station", 5.2, 9.4),
              ("police_eastmere", "Eastmere Police Station", 25.8, 11.8),
              ("police_stonebrae", "Stonebrae Police Station", 8.0, 5.2),
              ("police_millbeck", "Millbeck Police Station", 20.4, 14.2)]
    fire = [("fire_calder_centre", "Fire Station 1 (Calder Centre)", 14.9, 9.4),
            ("fire_harbourside", "Fire Station 2 (Harbourside)", 18.0, 6.9),
            ("fire_ashby_park", "Fire Station 3 (Ashby Park)", 10.2, 11.0),
            ("fire_kestrel_hill", "Fire Station 4 (Kestrel Hill)", 9.0, 14.9),
            ("fire_northgate", "Fire Station 5 (Northgate)", 15.8, 17.6),
            ("fire_orchard_vale", "Fire Station 6 (Orchard Vale)", 22.2, 9.8),
            ("fire_eastmere", "Fire Station 7 (Eastmere)", 26.8, 10.9),
            ("fire_tanners_cross", "Fire Station 8 (Tanner's Cross)", 10.6, 3.8)]
    ems = [("ems_quayside", "Quayside Ambulance Station", 12.0, 6.6),
           ("ems_westmarch", "Westmarch Ambulance Station", 4.6, 10.8),
           ("ems_millbeck", "Millbeck Ambulance Station", 19.6, 13.2),
           ("ems_northgate", "Northgate Ambulance Station", 13.8, 16.2),
           ("ems_eastmere", "Eastmere Ambulance Station", 25.4, 10.2)]
    comments = {"fire_calder_centre": "emergency: fire stations (population = people in the first-due area)",
                "ems_quayside": "emergency: ambulance stations (population = people in the response area)"}
    for group, kind, hard in ((police, "police_station", (0.3, 0.5)), (fire, "fire_station", (0.2, 0.3)),
                              (ems, "ems_station", (0.1, 0.2))):
        # the areas need the stations' positions: place them, then set their populations
        for id, name, x, y in group:
            if id in comments:
                net.mark(comments[id])
            net.node(id, "emergency", kind, name, x, y, population=1, hardening=net.hardening(*hard))
        for id, pop in coverage([g[0] for g in group]).items():
            net.by_id[id]["population"] = pop


# --------------------------------------------------------------------------- dependencies

def build_dependencies(net: Network) -> None:
    rng = net.rng
    g = net.groups
    ds = g["distribution_substation"]
    cos = g["central_office"]
    cores = g["core_switch"]
    zones = g["pressure_zone"]

    def power(node: str, k: int, buffer: str, need: int = 1) -> None:
        net.dep(node, "power", net.nearest_to(node, ds, k), need=need, buffer=buffer)

    def telecom(node: str, k: int, buffer: str, pool: list[str] = cos) -> None:
        net.dep(node, "telecom", net.nearest_to(node, pool, k), buffer=buffer)

    # energy: distribution substations fall back to manual operation without the control centre
    for d in ds:
        net.dep(d, "control", ["energy_scada"], kind="cyber", buffer="2h")
    net.dep("energy_scada", "telecom", list(cores), buffer="4h")

    # water
    for w in g["treatment_plant"]:
        power(w, 2, "12h")
    for p in g["pump_station"]:
        power(p, int(rng.integers(1, 3)), net.choice(["4h", "6h", "8h"]))
        net.dep(p, "control", ["water_scada"], kind="cyber", buffer=net.choice(["1h", "2h", "3h"]))
    power("water_scada", 2, "8h")
    telecom("water_scada", 2, "1h")

    # telecom
    for c in cores:
        power(c, 2, "24h")
    for c in cos:
        power(c, 1, "8h")
    for c in g["data_centre"]:
        power(c, 2, "48h")
    for c in g["cell_tower"]:
        power(c, 1, net.choice(["2h", "3h", "4h"]))

    # transport
    for t in g["airport_terminal"]:
        power(t, 2, "4h")
        telecom(t, 2, "2h")
    for s in g["metro_station"]:
        power(s, 1, "0min")
    for p in g["port_terminal"] + g["ferry_terminal"]:
        power(p, 1, "1h")
    power("traffic_control", 2, "4h")
    telecom("traffic_control", 2, "1h")

    # health
    for h in g["hospital"]:
        power(h, 2, net.choice(["8h", "12h", "24h"]))
        net.dep(h, "water", net.nearest_to(h, zones, 2), buffer="24h")
        telecom(h, 2, "4h")
    for c in g["clinic"]:
        power(c, 1, net.choice(["0min", "1h", "2h"]))
    for c in g["care_home"]:
        power(c, 1, net.choice(["0min", "2h", "4h"]))
        net.dep(c, "water", net.nearest_to(c, zones, 1), buffer="12h")

    # emergency
    power("psap", 2, "48h")
    telecom("psap", 2, "2h", pool=cores)
    power("eoc", 2, "48h")
    telecom("eoc", 2, "2h")
    for kind in ("police_station", "fire_station", "ems_station"):
        for s in g[kind]:
            power(s, 1, net.choice(["12h", "24h", "48h"]))
            telecom(s, 2, "2h")


# --------------------------------------------------------------------------- checks and output

def check(net: Network) -> None:
    """Baseline feasibility: the checks the module docstring promises."""
    problems = [f"{i} has no path to a {net.by_id[i]['sector']} source"
                for i in net.unfed(("energy", "water", "telecom"))]
    adj = net.adjacency()
    transport = [n["id"] for n in net.nodes if n["sector"] == "transport"]
    if any(n.get("source") for n in net.nodes if n["sector"] == "transport"):
        problems.append("transport has a source")
    one = reach(adj, transport[:1])
    problems += [f"{i} is off the transport giant component" for i in transport if i not in one]
    for n in net.nodes:
        if n["sector"] in ("health", "emergency") and adj[n["id"]]:
            problems.append(f"{n['id']} has links")
    if problems:
        raise SystemExit("generate_calder_bay: " + "; ".join(problems))


def transmission_impact(net: Network) -> list[tuple[int, str, list[str]]]:
    """For each transmission substation: the customers cut off from every source if it is lost."""
    out = []
    for t in net.groups["transmission_substation"]:
        cut = set(net.unfed(("energy",), removed=(t,)))
        cut = [d for d in net.groups["distribution_substation"] if d in cut]
        out.append((sum(net.by_id[d]["population"] for d in cut), t, cut))
    return sorted(out, reverse=True)


HEADER = [
    "Calder Bay metro network: invented coastal city, ~600k people, 30 x 20 km (km, x east, y north).",
    "Generated by scenarios/generate_calder_bay.py --seed {seed}; do not edit by hand, change the",
    "generator and re-run it. Used by calder_bay.yaml and all_tactics.yaml.",
]


def build(seed: int = SEED) -> Network:
    net = Network(np.random.default_rng(seed))
    build_energy(net)
    build_water(net)
    build_telecom(net)
    build_transport(net)
    build_health(net)
    build_emergency(net)
    build_dependencies(net)
    check(net)
    return net


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output file (default scenarios/calder_bay_network.yaml)")
    args = parser.parse_args(argv)
    net = build(args.seed)
    args.out.write_text(net.dump([line.format(seed=args.seed) for line in HEADER]), encoding="utf-8")
    print(f"wrote {args.out}: {net.summary()}")
    print("customers cut off by the loss of each transmission substation:")
    for pop, t, cut in transmission_impact(net):
        print(f"  {t:18s} {pop:7d}  {len(cut)} substations")
    return 0


if __name__ == "__main__":
    sys.exit(main())
