"""Pydantic models of a scenario file. ``ripple schema`` prints their JSON Schema.

Every model forbids unknown keys, so a typo in a scenario file is an error, not a silent
default. Durations are stored in seconds (see :mod:`sim.scenario.timefmt`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Protocol

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    Tag,
    WithJsonSchema,
    model_serializer,
    model_validator,
)

from agents.dispatch import POLICIES
from agents.incidents import TeamKind as TeamKinds
from agents.tactics import TACTICS
from agents.targeting import RULES
from sim.scenario.timefmt import parse_duration


class NetworkColumns(Protocol):
    """What the schema needs of the network's columns (:class:`sim.scenario.netdata.NetworkTables`,
    which builds on this module): writing them back as records."""

    def records(self, resources: tuple[str, ...]) -> dict[str, Any]:
        """The nodes, links and dependencies as scenario files write them.

        Parameters
        ----------
        resources : tuple of str
            The resource names, indexed by the dependencies' resource codes.
        """

__all__ = [
    "Action", "Attacker", "Clock", "Connectivity", "Dependency", "DependencyKind", "DependencyRule", "DispatchPolicy",
    "Distance", "Duration", "Exercise", "KM_PER_UNIT", "NetworkColumns", "NetworkPart", "NodeSelector", "drawing_unit_km",
    "parse_distance",
    "Fraction", "Inject", "InjectAlternative", "InjectCondition", "Link", "MapLayer", "MapSettings", "MutualAid",
    "NetworkData", "Node", "PHYSICS_LINK_FIELDS", "PHYSICS_NODE_FIELDS", "Policies", "RESOURCES", "Resource",
    "ResponseTimes", "Scenario", "Seat", "Sector", "Strict", "TacticName", "TargetRule", "TargetRuleName", "Team",
    "TeamKind", "TimeDistribution",
]

Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda s: f"{s:g}s", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^(T\+\d+:\d\d(:\d\d)?|(\s*\d+(\.\d+)?\s*[a-z]+)+)$",
                    "examples": ["5min", "2h30m", "T+1:30"]}),
]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]

KM_PER_UNIT = {"km": 1.0, "m": 0.001, "ft": 0.0003048, "us-ft": 1200 / 3937 / 1000}   # international and US survey foot


def parse_distance(value: object) -> float:
    """A distance as scenario files write it, in km.

    Parameters
    ----------
    value : object
        A number with its unit (:data:`KM_PER_UNIT`): ``"5km"``, ``"500 m"``, ``"1000ft"`` (a
        bare number is an error, as for durations: a distance's unit is never guessed).

    Returns
    -------
    float
        km.

    Raises
    ------
    ValueError
        For anything else.

    Examples
    --------
    >>> parse_distance("5km"), parse_distance("250m"), parse_distance("1.5 km")
    (5.0, 0.25, 1.5)
    """
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(km|m|ft|us-ft)\s*", value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"'{value}' is not a distance; write it with its unit, e.g. 5km or 500m")
    return float(match[1]) * KM_PER_UNIT[match[2]]


def drawing_unit_km(value: object) -> float:
    """km per unit of an unreferenced drawing: a unit, or one unit's length.

    Parameters
    ----------
    value : object
        ``"m"``, ``"km"``, ``"ft"``, ``"us-ft"``, or a positive length such as ``"300m"``
        (a schematic drawn at one unit to 300 m).

    Returns
    -------
    float
        km.

    Raises
    ------
    ValueError
        For anything else, or a length of 0.

    Examples
    --------
    >>> drawing_unit_km("ft"), drawing_unit_km("300m")
    (0.0003048, 0.3)
    """
    text = value.strip() if isinstance(value, str) else ""
    try:
        km = parse_distance(f"1{text}" if text in KM_PER_UNIT else text)
    except ValueError:
        km = 0.0
    if not km:
        raise ValueError(f"'{value}' is not a unit of a drawing: use m, km, ft or us-ft, or the length of one drawing "
                         "unit such as 300m")
    return km


def _drawing_unit(value: object) -> object:
    """The ``units`` of a part, checked (kept as written)."""
    drawing_unit_km(value)
    return value


Distance = Annotated[
    float,
    BeforeValidator(parse_distance),
    PlainSerializer(lambda km: f"{km:g}km", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\s*(\d+(\.\d*)?|\.\d+)\s*(km|m|ft|us-ft)\s*$",
                    "examples": ["5km", "500m"]}),
]

RESOURCES = ("power", "water", "telecom", "fuel", "control", "transport")
# The attributes a DC power flow reads (sim/physics/grid.py, docs/physics.md "Inputs"), in
# links' and nodes' attrs: defined here so that the importers, below the physics, map them too.
PHYSICS_LINK_FIELDS = ("x_pu", "phase_shift_degree", "rating_mva")
PHYSICS_NODE_FIELDS = ("p_load_mw", "p_gen_mw", "p_max_mw", "slack", "slack_va_degree", "priority")
Resource = Literal[RESOURCES]
DependencyKind = Literal["physical", "cyber", "geographic", "logical"]
Connectivity = Literal["sources", "giant_component", "none"]
# the names the agents define, each from its one registry
TacticName = Literal[tuple(TACTICS)]
TargetRuleName = Literal[tuple(RULES)]
TeamKind = Literal[tuple(kind.value for kind in TeamKinds)]
DispatchPolicy = Literal[tuple(POLICIES)]


def _by_shape(mapping_tag: str, other_tag: str):
    """A discriminator that picks a union member by the shape of the input, for clear errors."""
    return Discriminator(lambda v: other_tag if isinstance(v, str) else mapping_tag)


class Strict(BaseModel):
    """Base of every scenario model: unknown keys are an error, and so is a number that is
    not finite (NaN, inf): nothing in a scenario can run on one."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class TimeDistribution(Strict):
    """A lognormal duration given by its median and 90th percentile."""

    median: Duration
    p90: Duration

    @model_validator(mode="after")
    def _p90_not_below_median(self) -> "TimeDistribution":
        if self.p90 < self.median:
            raise ValueError(f"p90 ({self.p90 / 3600:g}h) is below the median ({self.median / 3600:g}h)")
        return self


class Node(Strict):
    """One infrastructure asset: where it is, whom it serves, how hard it is to attack."""

    id: str = Field(min_length=1, description="unique id, used by links, dependencies, targets and bases")
    sector: str = Field(min_length=1, description="the sector it belongs to, e.g. power, water")
    kind: str = Field(
        "", description="what it is within its sector, e.g. substation; target rules can select by it"
    )
    name: str = Field("", description="display name; default: the id")
    x: float | None = Field(None, description="east, km (or longitude with `coordinates: lonlat`); without x and y "
                            "the node is unplaced: blasts and distances skip it, maps draw it aside")
    y: float | None = Field(None, description="north, km (or latitude)")
    population: float = Field(0.0, ge=0, description="people served; >0 makes this a service node")
    source: bool = Field(False, description="a source of its sector network (plant, reservoir, core)")
    hardening: Fraction = Field(
        0.0, description="protection against attack, 0..1 (the h of the contest success function)"
    )
    repair: TimeDistribution | None = Field(None, description="default: the sector's repair time")
    attrs: dict[str, Any] | None = Field(None, description="whatever else the source knew of it (kept, not used)")

    @model_validator(mode="after")
    def _both_or_neither(self) -> "Node":
        if (self.x is None) != (self.y is None):
            raise ValueError("give both x and y, or neither (an unplaced node)")
        return self


class Link(Strict):
    """A link between two nodes of one sector, written as a record when it has more than its ends."""

    id: str = Field("", description="unique id, e.g. line12 (optional)")
    a: str = Field(description="id of one end")
    b: str = Field(description="id of the other end")
    kind: str = Field("", description="what it is, e.g. line, trafo, switch, pipe")
    open: bool = Field(False, description="a normally-open tie: kept, but conducts nothing until switched")
    attrs: dict[str, Any] | None = Field(None, description="whatever else the source knew of it (kept, not used)")


class Dependency(Strict):
    """``node`` needs ``resource`` from at least ``need`` of ``suppliers`` (Rinaldi et al. 2001)."""

    node: str = Field(description="id of the dependent node")
    resource: Resource
    kind: DependencyKind | None = Field(None, description="default: cyber for control, else physical")
    suppliers: list[str] = Field(min_length=1, description="ids of the nodes that can supply it")
    need: int = Field(1, ge=1, description="suppliers that must be working")
    buffer: Duration = Field(0.0, description="how long the node rides out the loss (generator, tank, battery); "
                             "it runs out on the first tick at or after it expires")
    refill: Duration = Field(0.0, description="time an empty buffer takes to refill once supply is back (a level "
                             "that refills at buffer/refill); 0: refilled at once")


class NetworkPart(BaseModel):
    """One file of a network composed of parts: a ripple network file or anything ``ripple
    import`` reads, with the import's options as keys (e.g. ``id_field``, ``people_per_mw``)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    file: str = Field(min_length=1, description="the part's file, relative to the scenario")
    prefix: str = Field("", description="put before every node id (and link id) of the part")
    sector: str | None = Field(None, min_length=1, description="sector of the part's nodes, for importers that need one")
    crs: str | None = Field(None, description="CRS of the part's positions when the file declares none")
    units: Annotated[str, BeforeValidator(_drawing_unit)] | None = Field(
        None, description="units of an unreferenced drawing: m, km, ft, us-ft, or one drawing unit's length, e.g. 300m")
    origin: tuple[float, float] | None = Field(None, description="longitude, latitude of an unreferenced drawing's 0, 0")

    def options(self) -> dict[str, Any]:
        """The import options given (not ``file`` or ``prefix``), by name."""
        given = {key: getattr(self, key) for key in ("sector", "crs", "units", "origin") if getattr(self, key) is not None}
        return {**given, **(self.model_extra or {})}


class NodeSelector(Strict):
    """Nodes chosen by sector, and optionally kind and id."""

    sector: str = Field(min_length=1, description="the nodes' sector")
    kind: str | list[str] | None = Field(None, description="only nodes of this kind (or of one of these kinds)")
    ids: list[str] | None = Field(None, description="only these node ids")

    def kinds(self) -> list[str] | None:
        """The kinds asked for, as a list; None for any kind."""
        return [self.kind] if isinstance(self.kind, str) else self.kind


class DependencyRule(Strict):
    """Dependencies written as a rule: each selected node needs ``resource`` from its
    ``nearest`` candidate suppliers in range, ``need`` of which must work."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)

    nodes: NodeSelector = Field(description="the dependent nodes")
    resource: Resource
    suppliers: NodeSelector = Field(alias="from", description="the candidate suppliers")
    nearest: int = Field(1, ge=1, description="suppliers per node: the nearest this many candidates in range")
    need: int = Field(1, ge=1, description="suppliers that must be working")
    within: Distance | None = Field(None, description="range, e.g. 5km or 800m; default: any distance")
    buffer: Duration = Field(0.0, description="how long the node rides out the loss")
    kind: DependencyKind | None = Field(None, description="default: cyber for control, else physical")

    @model_validator(mode="after")
    def _need_within_nearest(self) -> "DependencyRule":
        if self.need > self.nearest:
            raise ValueError(f"need ({self.need}) is more than nearest ({self.nearest})")
        return self


class NetworkData(Strict):
    """Nodes, links (same-sector topology) and dependencies, inline or from a file."""

    # A loaded scenario keeps its network as columns (``tables``); its node, link and
    # dependency lists are then empty, and are written out from the columns on serialising.

    file: str | None = Field(
        None, description="network file relative to the scenario: YAML or JSON records, GraphML, or a Parquet directory"
    )
    coordinates: Literal["km", "lonlat"] = Field(
        "km", description="unit of node x, y: km, or degrees (projected to km)"
    )
    crs: str | None = Field(
        None, description="CRS of node x, y in km of a known frame (e.g. an import's local frame), as pyproj reads it")
    nodes: list[Node] = Field(default_factory=list)
    links: list[tuple[str, str] | Link] = Field(
        default_factory=list, description="pairs of node ids of one sector, or link records")
    dependencies: list[Dependency] = Field(default_factory=list)
    parts: list[NetworkPart] | None = Field(
        None, description="network files (or files ripple import reads) composed into one network; not with file")
    rules: list[DependencyRule] = Field(
        default_factory=list, description="dependencies by rule, expanded when the scenario loads")
    frame: str | None = Field(
        None, description="CRS every placed part is projected to (km); default: a local frame around the data")
    dependencies_file: str | None = Field(
        None, description="CSV of dependencies (as `ripple network show --dependencies` writes it), added to "
                          "dependencies; with parts")
    _tables: Any = PrivateAttr(None)
    _warnings: list[str] = PrivateAttr(default_factory=list)
    _dependency_rule: Any = PrivateAttr(None)

    @property
    def warnings(self) -> list[str]:
        """What loading the network found doubtful but not wrong (e.g. nodes rules skipped)."""
        return self._warnings

    @model_validator(mode="after")
    def _file_or_parts(self) -> "NetworkData":
        if self.parts is not None and self.file is not None:
            raise ValueError("give either file or parts, not both")
        if self.dependencies_file is not None and self.parts is None:
            raise ValueError("dependencies_file goes with parts (a single network file holds its dependencies)")
        return self

    @property
    def tables(self) -> "NetworkColumns | None":
        """The network as columns, when the scenario was loaded from a file; else None."""
        return self._tables

    def attach(self, tables: NetworkColumns, dependency_rule: Any = None, warnings: list[str] | None = None) -> None:
        """Keep the network as columns (the loader does, in place of the lists).

        Parameters
        ----------
        tables : NetworkColumns
            The checked network.
        dependency_rule : numpy.ndarray or None
            Per dependency, the index of the rule it was expanded from (-1: written out);
            None when the network has no rules.
        warnings : list of str or None
            What loading found doubtful but not wrong.
        """
        self._tables = tables
        self._dependency_rule = dependency_rule
        self._warnings = list(warnings or [])

    @property
    def dependency_rule(self) -> Any:
        """Per dependency, the rule it was expanded from (-1: written out), or None."""
        return self._dependency_rule

    @model_serializer(mode="wrap")
    def _with_tables(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        out = handler(self)
        if self._tables is not None:
            out.update(self._tables.records(RESOURCES))
            for key in ("parts", "rules", "frame", "dependencies_file"):    # composed, placed: now one network
                out.pop(key, None)
            out["coordinates"], out["crs"] = self._tables.coordinates, self._tables.crs
        return out


class Sector(Strict):
    """How a sector's network works and how fast its nodes are repaired."""

    connectivity: Connectivity | None = Field(
        None, description="default: sources if the sector has a source node, none without links, else giant_component"
    )
    repair: TimeDistribution = Field(TimeDistribution(median="4h", p90="12h"),
                                     description="repair time of the sector's nodes, for one crew")
    outage_damage: Fraction = Field(
        0.0, description="chance that a node the cascade knocks out is damaged too (surges, water hammer, failed restarts)"
    )
    switch_time: Duration = Field(15 * 60.0, description="time to close a normally-open tie on site (a switch task)")
    operator_switching: bool = Field(
        False, description="operators close ties remotely (after switch_time, no crew); else a crew goes to the tie")
    physics: Literal["topological", "dc"] = Field(
        "topological", description="dc: a DC power flow per island and its overload cascade (branches above their "
        "rating trip) run before the dependencies, from the links' x_pu and rating_mva (docs/physics.md)")
    rating_from_flow: float | None = Field(
        None, ge=0.0, description="physics dc only: rate each branch (1 + this) times its flow in the intact network "
        "(a branch without intact flow keeps its rating)")

    @model_validator(mode="after")
    def _rating_from_flow_needs_dc(self) -> "Sector":
        if self.rating_from_flow is not None and self.physics != "dc":
            raise ValueError("rating_from_flow applies to physics: dc only")
        return self


class Clock(Strict):
    """The run's time step and length."""

    tick: Duration = Field(300.0, description="length of one time step")
    duration: Duration = Field(description="length of the run, from T+0")
    start: str = Field("", description="wall-clock label of T+0 for exercises, e.g. '2026-05-14 08:00'")


class TargetRule(Strict):
    """A target chosen when the action fires, among the working nodes (ties: first in file
    order). Simultaneous rule targets of one cell go to distinct nodes: the k-th action of a
    rule at one time takes the rule's k-th choice."""

    rule: TargetRuleName = Field(description="how the node is chosen")
    sector: str | None = Field(None, description="only nodes of this sector")
    kind: str | None = Field(None, description="only nodes of this kind")
    fraction: float | None = Field(
        None, gt=0.0, le=1.0, description="rule `random` only: attack this share of the working nodes at once "
        "(rounded to the nearest whole number of nodes), each its own attempt")

    @model_validator(mode="after")
    def _fraction_only_at_random(self) -> "TargetRule":
        if self.fraction is not None and self.rule != "random":
            raise ValueError(f"fraction applies to rule random only, not to {self.rule}")
        return self


class Action(Strict):
    """One attack of a cell's plan."""

    at: Duration = Field(description="time after T+0")
    tactic: TacticName = Field(description="the attack tactic (its parameters: `tactics`, `params`)")
    target: Annotated[
        Annotated[str, Tag("by-id")] | Annotated[TargetRule, Tag("by-rule")], _by_shape("by-rule", "by-id")
    ] = Field(description="a node id, or a rule evaluated when the action fires")
    params: dict[str, float] = Field(default_factory=dict, description="overrides of the tactic's parameters")
    inject: str = Field("", description="message released to players when the action lands (once, however many nodes a `fraction` action hits)")


class Attacker(Strict):
    """An attacker cell and its plan."""

    id: str = Field(description="the cell's id")
    name: str = Field("", description="display name")
    plan: list[Action] = Field(min_length=1, description="its actions; actions at one time are a simultaneous attack")


class MutualAid(Strict):
    """When a mutual-aid team is called in, and how long it takes to arrive."""

    service_below: Fraction | None = Field(None, description="activate when overall service falls below this")
    at: Duration | None = Field(None, description="activate at this time")
    delay: Duration = Field(4 * 3600.0, description="activation delay at information_sharing 0")


class Team(Strict):
    """A team of identical responder units sharing a base."""

    kind: TeamKind = Field(description="which work it does: police clear scenes, fire/EMS make blast "
                                          "scenes safe, repair crews repair, cyber teams contain and remediate")
    base: Annotated[
        Annotated[str, Tag("by-id")] | Annotated[tuple[float, float], Tag("by-xy")], _by_shape("by-xy", "by-id")
    ] = Field(description="a node id or [x, y]")
    count: int = Field(1, ge=0, description="units in the team")
    speed_kmh: float = Field(40.0, gt=0, description="travel speed in km/h, straight line")
    sectors: list[str] = Field(default_factory=list, description="repair crews: the sectors they can repair")
    jurisdiction: str = Field("", description="the agency or area it belongs to")
    mutual_aid: MutualAid | None = Field(None, description="joins only after activation (trigger or order)")


class ResponseTimes(Strict):
    """Task durations by kind of work (lognormal, median and 90th percentile)."""

    police_clear: TimeDistribution = TimeDistribution(median="45min", p90="2h")
    fire_make_safe: TimeDistribution = TimeDistribution(median="1h", p90="3h")
    cyber_contain: TimeDistribution = TimeDistribution(median="1h", p90="4h")
    cyber_remediate: TimeDistribution = TimeDistribution(median="6h", p90="24h")


class Policies(Strict):
    """Scenario-wide policies, and the parameters of the interdiction and success formulas
    (README, "Attacks: interdiction and success")."""

    information_sharing: Fraction = Field(
        0.0, description="0..1: raises P_D (EASI) and shortens mutual-aid delays (by up to half)"
    )
    dispatch: DispatchPolicy = Field("criticality", description="which waiting task idle units take first")
    detection_base: Fraction = Field(0.05, description="P_D with no information sharing (EASI)")
    detection_gain: Fraction = Field(0.35, description="P_D added at information_sharing 1")
    response_base: Fraction = Field(0.5, description="P_R with no police near the target")
    police_radius_km: float = Field(2.0, ge=0, description="police within this distance count as present")
    police_scale: float = Field(2.0, gt=0, description="police units that raise P_R by 63% of its headroom")
    decisiveness: float = Field(1.0, gt=0, description="exponent m of the contest success function")
    min_travel_factor: Fraction = Field(0.25, description="speed factor when transport service is 0")
    max_crew: int = Field(3, ge=1, description="units that may share one task (idle units reinforce work under way)")
    reinforce: list[TeamKind] = Field(["repair"], description="kinds of team whose idle units reinforce work under way")
    load_model: bool = Field(False, description="Motter-Lai load redistribution in linked sectors")
    load_alpha: float = Field(0.2, ge=0, description="capacity = (1 + alpha) x initial load")
    scripted_outcomes: bool = Field(
        False, description="every attack lands as written (no interdiction, no failure), for an exercise whose MSEL "
        "must hold; the draws are still made, so the rest of the run keeps its random numbers")


class InjectCondition(Strict):
    """When an MSEL inject plays, judged by the exercise at the inject's time on the run as it
    stands (before that tick's attacks); give exactly one of `attack` (with `outcome`),
    `node_down`, `node_restored`, `service_below` (with `sector`) or
    `backup_hours_below`. `ripple run` releases the MSEL as written."""

    attack: str | None = Field(None, description="an attacker cell's id: its attack (on `node`, if given) ended in `outcome`")
    node: str | None = Field(None, description="with `attack`: only its attack on this node")
    outcome: Literal["landed", "failed", "interdicted"] | None = Field(
        None, description="with `attack`: landed, failed, or interdicted before it struck")
    node_down: str | None = Field(None, description="this node is down")
    node_restored: str | None = Field(None, description="this node was down and is up again")
    sector: str | None = Field(None, description="with `service_below` or `backup_hours_below`: this sector's")
    service_below: Fraction | None = Field(None, description="the sector's service level is below this")
    backup_hours_below: float | None = Field(
        None, gt=0, description="a node (of `sector`, if given) running on backup has less than this many hours left")

    @model_validator(mode="after")
    def _one_condition(self) -> "InjectCondition":
        given = [k for k in ("attack", "node_down", "node_restored", "service_below", "backup_hours_below")
                 if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of attack, node_down, node_restored, service_below, "
                             f"backup_hours_below (got {', '.join(given) or 'none'})")
        if (self.attack is None) != (self.outcome is None):
            raise ValueError("attack and outcome go together: when: {attack: <cell id>, outcome: landed}")
        if self.node is not None and self.attack is None:
            raise ValueError("node narrows an attack condition; for a node's state use node_down or node_restored")
        if self.service_below is not None and self.sector is None:
            raise ValueError("service_below needs the sector it applies to")
        if self.sector is not None and self.service_below is None and self.backup_hours_below is None:
            raise ValueError("sector narrows service_below or backup_hours_below")
        return self


class InjectAlternative(Strict):
    """What an MSEL inject releases instead when its `when` condition does not hold."""

    sender: str = Field("", alias="from")
    to: str = ""
    method: str = ""
    message: str
    expected_action: str = ""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)


class Inject(Strict):
    """One line of the Master Scenario Events List (HSEEP)."""

    number: int
    at: Duration
    sender: str = Field("", alias="from")
    to: str = ""
    method: str = ""
    message: str
    expected_action: str = ""
    objective: str = ""
    capability: str = ""
    contingency: bool = False
    when: InjectCondition | None = Field(
        None, description="exercise only: play this inject only if the run meets the condition at its time")
    otherwise: InjectAlternative | None = Field(
        None, description="exercise only: what is released instead when `when` does not hold (default: nothing)")
    until: Duration | None = Field(
        None, description="exercise only, with `when`: watch the condition every tick from `at` to this time and "
        "release the inject the first tick it holds (a utility report when a backup runs short); `otherwise` "
        "is released if it never holds by then")

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, populate_by_name=True)

    @model_validator(mode="after")
    def _otherwise_needs_when(self) -> "Inject":
        if self.otherwise is not None and self.when is None:
            raise ValueError("otherwise is the alternative to a when condition; give when too")
        if self.until is not None and self.when is None:
            raise ValueError("until is how long a when condition is watched; give when too")
        if self.until is not None and self.until < self.at:
            raise ValueError("until is before at: the watch would end before it starts")
        return self


class Seat(Strict):
    """One seat at a multi-seat exercise (`ripple serve`): who plays it and which units it commands.
    The `facilitator` seat runs the clock and commands every unit; any other seat commands the
    units of its `kinds`, its `teams` and its `units`, calls mutual aid for them, and writes notes."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_-]*$",
                    description="the seat's name in the page's address (`/?seat=ID`) and in the log; "
                    "`facilitator` is the one that runs the clock")
    name: str = Field("", description="display name, e.g. the organisation at the seat")
    kinds: list[TeamKind] = Field(default_factory=list, description="the kinds of unit it commands")
    teams: list[str] = Field(default_factory=list, description="responder teams (keys of `responders`) it commands")
    units: list[str] = Field(default_factory=list, description="single units it commands, by label (`<team>-<n>`)")


class Exercise(Strict):
    """Settings for playing the scenario as an exercise (`ripple exercise`, `ripple serve`)."""

    seats: list[Seat] = Field(
        [], description="the seats `ripple serve` opens when `--seats` is not given; one must be "
        "`facilitator`; a seat named like a built-in one (police, fire, utility, cyber) that lists no units "
        "commands the built-in kinds")


class Limits(Strict):
    """Budgets a run must fit, so that a scenario that validates also runs to its end on one
    machine; raise them here for a bigger study."""

    ticks: int = Field(10**6, ge=1, description="time steps of one run (duration ÷ tick)")
    node_ticks: int = Field(2 * 10**9, ge=1, description="nodes × time steps of one run")
    units: int = Field(10**5, ge=0, description="responder units in all teams")


class MapLayer(Strict):
    """A background layer of the maps (coastline, roads, boundaries), drawn under the network."""

    file: str = Field(min_length=1, description="vector file relative to the scenario: GeoJSON, GeoPackage, "
                      "shapefile or any other format GDAL reads (lines, polygons with their holes, and points as small markers)")
    name: str = Field(min_length=1, description="the layer's name in the map's legend")
    style: Literal["water", "land", "road", "boundary"] = Field(
        description="how it is drawn, in muted colours: water (blue fill, coast and river lines), land (grey-green "
                    "fill), road (tan lines), boundary (dashed grey outline)")
    layer: str | None = Field(None, description="the layer within a file that holds several (a GeoPackage)")
    crs: str | None = Field(
        None, description="CRS of the file's coordinates, as pyproj reads it, when the file declares none or a wrong "
                          "one; `network`: already in the network's own coordinates (a drawing's km). Default: the "
                          "file's own CRS (GeoJSON is WGS84 by its specification), or the network's when it has none")


class MapSettings(Strict):
    """What the maps draw besides the network."""

    layers: list[MapLayer] = Field(default_factory=list, description="background layers, drawn in order, the first "
                                   "lowest; projected to the network's frame, simplified for drawing")


class Scenario(Strict):
    """A scenario file: the network, who attacks it and how, who responds, on what clock."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: str
    description: str = ""
    objectives: list[str] = Field(default_factory=list)
    reference: Literal["buldyrev"] | None = Field(
        None, description="a published experiment the scenario reproduces; a sweep's report draws its theory "
        "(buldyrev: μ∞(p) of Buldyrev et al. 2010 against 1 − the swept fraction)")
    seed: int = Field(0, ge=0, description="default seed of the run's random streams (numpy SeedSequence), ≥ 0")
    clock: Clock
    sectors: dict[str, Sector] = Field(default_factory=dict)
    network: NetworkData
    policies: Policies = Policies()
    tactics: dict[TacticName, dict[str, float]] = Field(
        default_factory=dict, description="scenario-wide overrides of tactic parameters"
    )
    response: ResponseTimes = ResponseTimes()
    attackers: list[Attacker] = Field(default_factory=list)
    responders: dict[str, Team] = Field(default_factory=dict)
    injects: list[Inject] = Field(default_factory=list)
    exercise: Exercise = Exercise()
    limits: Limits = Limits()
    map: MapSettings = MapSettings()
