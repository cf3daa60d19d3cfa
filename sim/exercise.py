"""The exercise session: one RippleModel driven by a facilitator, and the exercise log.

A discussion-based exercise in the manner of HSEEP (FEMA, *Homeland Security Exercise and
Evaluation Program*, 2020): the Master Scenario Events List (the scenario's ``injects:``)
is released on the exercise clock, players decide, evaluators rate each core capability
P / S / M / U, and the after-action report compares the run with the same scenario and seed
played without decisions.

Every verb — clock steps too — is one log entry with its exercise time (tick, ``T+h:mm``)
and wall time. The log is JSON lines: a header (scenario path, sha256 of the scenario and its
network file, seed) and one line per entry, rewritten atomically after every change (temp file
+ ``os.replace``), so no decision is lost if the process dies. Replaying the entries on the
same scenario and seed rebuilds the same state, bit for bit.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from agents.dispatch import POLICIES
from agents.incidents import WORK_TEAM, Task
from agents.responders import Responder, UnitStatus
from agents.tactics import TACTICS
from sim.agenda import Due
from sim.files import write_text_atomic
from sim.model import RippleModel
from sim.network import reason_names
from sim.results import Event, RunResult
from sim.scenario.loader import load_scenario, scenario_text
from sim.scenario.schema import Action, Inject, Scenario, TargetRule
from sim.scenario.timefmt import format_clock, parse_duration

LOG_KIND = "ripple-exercise-log"
LOG_VERSION = 1

RATINGS = {
    "P": "Performed without Challenges",
    "S": "Performed with Some Challenges",
    "M": "Performed with Major Challenges",
    "U": "Unable to be Performed",
}
# the capability elements of an improvement plan (HSEEP: planning, organisation, equipment,
# training, exercises)
ELEMENTS = ("Planning", "Organization", "Equipment", "Training", "Exercises")
# default due dates of corrective actions seeded from a rating, days after the exercise
DUE_DAYS = {"U": 30, "M": 90, "S": 180}

# the 32 core capabilities of the National Preparedness Goal (FEMA, 2nd ed., 2015)
CORE_CAPABILITIES = (
    "Planning", "Public Information and Warning", "Operational Coordination",
    "Forensics and Attribution", "Intelligence and Information Sharing", "Interdiction and Disruption",
    "Screening, Search, and Detection", "Access Control and Identity Verification", "Cybersecurity",
    "Physical Protective Measures", "Risk Management for Protection Programs and Activities",
    "Supply Chain Integrity and Security", "Community Resilience", "Long-term Vulnerability Reduction",
    "Risk and Disaster Resilience Assessment", "Threats and Hazards Identification",
    "Infrastructure Systems", "Critical Transportation", "Environmental Response/Health and Safety",
    "Fatality Management Services", "Fire Management and Suppression",
    "Logistics and Supply Chain Management", "Mass Care Services", "Mass Search and Rescue Operations",
    "On-scene Security, Protection, and Law Enforcement", "Operational Communications",
    "Public Health, Healthcare, and Emergency Medical Services", "Situational Assessment",
    "Economic Recovery", "Health and Social Services", "Housing", "Natural and Cultural Resources",
)

CLOCK_VERBS = ("step", "next", "until")
DECISION_VERBS = ("dispatch", "recall", "aid", "harden", "policy", "sharing", "attack")
VERBS = CLOCK_VERBS + DECISION_VERBS + ("inject", "note", "rate")


class ExerciseError(ValueError):
    """A command that cannot be carried out; the message says why, in one line."""


def scenario_digest(path: str | Path) -> str:
    """sha256 of the scenario and its network file (canonical JSON, so comments don't count)."""
    return hashlib.sha256(scenario_text(path).encode()).hexdigest()


def now_wall() -> str:
    return datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")


def read_log(path: str | Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The header and entries of an exercise log; :class:`ExerciseError` if it is not one."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ExerciseError(f"{path}: log file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExerciseError(f"{path}: cannot read: {exc}") from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ExerciseError(f"{path}:{number}: not valid JSON ({exc.msg}); an exercise log holds one JSON "
                                "object per line, as `ripple exercise` writes it") from None
    if not records or not isinstance(records[0], dict) or records[0].get("kind") != LOG_KIND:
        raise ExerciseError(f"{path}: not a ripple exercise log (its first line must be the header)")
    header = records[0]
    if header.get("version") != LOG_VERSION:
        raise ExerciseError(f"{path}: log version {header.get('version')} is not supported (expected {LOG_VERSION})")
    for number, entry in enumerate(records[1:], 2):
        if not isinstance(entry, dict) or entry.get("verb") not in VERBS or not isinstance(entry.get("args"), dict):
            raise ExerciseError(f"{path}:{number}: not an exercise log entry (expected a verb and its args)")
    return header, records[1:]


@dataclass
class Rating:
    capability: str
    rating: str
    notes: str
    element: str
    organisation: str
    action: str
    due: str
    tick: int
    wall: str


class ExerciseSession:
    """A RippleModel under a facilitator's control, with its exercise log.

    Verbs return a one-line message and raise :class:`ExerciseError` for anything that cannot
    be done, before changing any state.
    """

    def __init__(self, scenario_path: str | Path, seed: int | None = None, log_path: str | Path | None = None,
                 participants: list[str] | None = None, scenario: Scenario | None = None):
        self.scenario_path = Path(scenario_path)
        self.scenario = scenario if scenario is not None else load_scenario(self.scenario_path)
        self.digest = scenario_digest(self.scenario_path)
        self.model = RippleModel(self.scenario, seed=seed)
        self.seed = self.model.seed
        self.header: dict[str, Any] = {
            "kind": LOG_KIND, "version": LOG_VERSION, "scenario": str(self.scenario_path),
            "scenario_abs": str(self.scenario_path.resolve()), "sha256": self.digest, "seed": self.seed,
            "scenario_id": self.scenario.id, "name": self.scenario.name, "started": now_wall(),
            "participants": list(participants or []),
        }
        self.entries: list[dict[str, Any]] = []
        self.ratings: list[Rating] = []
        self.log_path = Path(log_path) if log_path is not None else None
        self._cursor = 0
        self._verbs: dict[str, Callable[[dict[str, Any]], str]] = {v: getattr(self, f"_{v}") for v in VERBS}
        if self.log_path is not None:
            self.save()

    # ------------------------------------------------------------ log and replay
    @classmethod
    def from_log(cls, log_path: str | Path, scenario_path: str | Path | None = None,
                 keep_logging: bool = True) -> "ExerciseSession":
        """Rebuild a session by replaying a saved log on its scenario and seed; refuse if the
        scenario changed since the log was written. With ``keep_logging`` new verbs append to it."""
        header, entries = read_log(log_path)
        path = Path(scenario_path) if scenario_path is not None else cls._find_scenario(header)
        if not path.exists():
            raise ExerciseError(f"{path}: scenario file not found")
        digest = scenario_digest(path)
        if digest != header.get("sha256"):
            raise ExerciseError(
                f"{path} has changed since {log_path} was written (sha256 {digest[:12]}… != "
                f"{str(header.get('sha256'))[:12]}…); a replay needs the scenario exactly as it was played")
        session = cls(path, seed=int(header["seed"]), log_path=None)
        session.header = header
        for number, entry in enumerate(entries, 2):
            if entry.get("tick") != session.model.tick:
                raise ExerciseError(f"{log_path}:{number}: the replay reached tick {session.model.tick} where "
                                    f"the log has tick {entry.get('tick')}; the simulator has changed since")
            try:
                session._verbs[entry["verb"]](dict(entry["args"]), entry.get("wall", ""))
            except (ExerciseError, KeyError, TypeError) as exc:
                raise ExerciseError(f"{log_path}:{number}: cannot replay `{entry['verb']}`: {exc}") from None
        session.entries = list(entries)
        session._cursor = len(session.model.events)
        if keep_logging:
            session.log_path = Path(log_path)
        return session

    @staticmethod
    def _find_scenario(header: dict[str, Any]) -> Path:
        given, absolute = Path(str(header.get("scenario", ""))), Path(str(header.get("scenario_abs", "")))
        return given if given.exists() or not absolute.exists() else absolute

    def save(self) -> None:
        """Rewrite the log atomically (header, then one line per entry)."""
        if self.log_path is None:
            return
        lines = [json.dumps(self.header, sort_keys=True)] + [json.dumps(e, sort_keys=True) for e in self.entries]
        write_text_atomic(self.log_path, "\n".join(lines) + "\n")

    def do(self, verb: str, **args: Any) -> str:
        """Carry out one verb, log it with its exercise and wall time, save the log."""
        if verb not in self._verbs:
            raise ExerciseError(f"unknown verb '{verb}'")
        tick, wall = self.model.tick, now_wall()
        message = self._verbs[verb](args, wall)
        entry = {"verb": verb, "args": args, "tick": tick, "time": format_clock(tick * self.model.tick_seconds),
                 "wall": wall}
        if verb in CLOCK_VERBS:
            entry["to"] = self.model.tick
        self.entries.append(entry)
        self.save()
        return message

    # --------------------------------------------------------------- the clock
    @property
    def finished(self) -> bool:
        return self.model.tick > self.model.n_ticks

    def clock(self, tick: int | None = None) -> str:
        tick = min(self.model.tick if tick is None else tick, self.model.n_ticks)
        return format_clock(tick * self.model.tick_seconds)

    def wall_clock(self, tick: int | None = None) -> str:
        """The scenario's wall-clock label for ``tick`` (from ``clock.start``), or ''."""
        start = self.scenario.clock.start
        if not start:
            return ""
        tick = min(self.model.tick if tick is None else tick, self.model.n_ticks)
        try:
            at = datetime.fromisoformat(start) + timedelta(seconds=tick * self.model.tick_seconds)
        except ValueError:
            return ""
        return at.strftime("%a %d %b %H:%M")

    def next_inject_tick(self) -> int | None:
        """The tick of the next MSEL inject or planned attack that carries an inject, if any."""
        model = self.model
        tick = model.agenda.first(lambda e: e.kind == Due.INJECT or (e.kind == Due.ACTION and bool(e.payload.inject)))
        return tick if tick is not None and tick <= model.n_ticks else None

    def _advance_to(self, until: int) -> str:
        if self.finished:
            raise ExerciseError(f"the exercise clock has reached the end ({self.clock()})")
        start = self.model.tick
        self.model.advance(until)
        return f"{format_clock(start * self.model.tick_seconds)} → {self.clock()}" + (" (end)" if self.finished else "")

    def _step(self, args: dict[str, Any], wall: str) -> str:
        n = args.get("n", 1)
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise ExerciseError(f"step takes a whole number of ticks >= 1, not '{n}'")
        return self._advance_to(self.model.tick + n)

    def _next(self, args: dict[str, Any], wall: str) -> str:
        target = self.next_inject_tick()
        if target is None:
            raise ExerciseError("no injects are left; use `until T+h:mm`, `until end` or `step N`")
        return self._advance_to(max(target, self.model.tick) + 1)

    def _until(self, args: dict[str, Any], wall: str) -> str:
        at = args.get("at")
        if at == "end":
            return self._advance_to(self.model.n_ticks + 1)
        try:
            seconds = parse_duration(at)
        except ValueError as exc:
            raise ExerciseError(f"until: {exc}") from None
        target = self.model.tick_of(seconds)
        if target <= self.model.tick:
            raise ExerciseError(f"the clock is already at {self.clock()}; `until` needs a later time")
        if target > self.model.n_ticks:
            raise ExerciseError(f"{at} lies beyond the end of the exercise ({self.clock(self.model.n_ticks)}); "
                                "use `until end`")
        return self._advance_to(target)

    def step(self, n: int = 1) -> str:
        return self.do("step", n=n)

    def run_to_next_inject(self) -> str:
        return self.do("next")

    def run_until(self, at: str) -> str:
        return self.do("until", at=at)

    # --------------------------------------------------------------- decisions
    def _live(self) -> None:
        if self.finished:
            raise ExerciseError("the exercise has ended; decisions can no longer change the run")

    def node(self, node_id: str) -> int:
        index = self.model.network.index
        if node_id in index:
            return index[node_id]
        folded = {k.lower(): v for k, v in index.items()}
        if node_id.lower() in folded:
            return folded[node_id.lower()]
        close = difflib.get_close_matches(node_id, list(index), n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else " (`incidents` lists the nodes in trouble)"
        raise ExerciseError(f"no node '{node_id}'{hint}")

    def unit(self, label: str) -> Responder:
        for unit in self.model.responders:
            if unit.label.lower() == label.lower():
                return unit
        labels = [u.label for u in self.model.responders]
        close = difflib.get_close_matches(label, labels, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else f" (units: {', '.join(labels)})"
        raise ExerciseError(f"no unit '{label}'{hint}")

    def task_for(self, unit: Responder, node: int) -> Task:
        """The node's first waiting task ``unit`` can do; else a task under way there it can
        join (crews share work, up to ``policies.max_crew``); else an error saying what is there."""
        model = self.model
        here = [t for t in model.board.tasks if t.node == node and not t.done]
        for task in here:
            if task.waiting(model.tick) and unit.can_do(task):
                return task
        if unit.task is not None and unit.task.node == node:
            raise ExerciseError(f"{unit.label} is already on {unit.task.work} at {model.network.ids[node]}")
        for task in here:
            if (task.ready and task.crew and task.available <= model.tick and unit.can_do(task)
                    and len(task.crew) < model.policies.max_crew):
                return task
        node_id = model.network.ids[node]
        open_tasks = here
        if not open_tasks:
            raise ExerciseError(f"nothing to do at {node_id}: no open incident there")
        raise ExerciseError(f"no waiting task at {node_id} that {unit.label} ({self._skills(unit)}) can do; "
                            f"open there: {'; '.join(self._describe_task(t) for t in open_tasks)}")

    def _skills(self, unit: Responder) -> str:
        if unit.kind != "repair":
            return unit.kind
        return "repair: " + ", ".join(sorted(self.model.network.sector_names[s] for s in unit.sectors))

    def _describe_task(self, task: Task) -> str:
        sector = self.model.network.sector_names[task.sector]
        who = f"{WORK_TEAM[task.work]} for {sector}" if task.work == "repair" else WORK_TEAM[task.work]
        if task.crew:
            state = f"taken by {', '.join(u.label for u in task.crew)}"
        elif task.available > self.model.tick:
            state = "not yet detected"
        elif not task.ready:
            state = f"after {task.before.work}"
        else:
            state = "waiting"
        return f"{task.work} ({state}, needs {who})"

    def _dispatch(self, args: dict[str, Any], wall: str) -> str:
        self._live()
        model, unit, node = self.model, self.unit(args["unit"]), self.node(args["node"])
        if unit.status == UnitStatus.INACTIVE:
            raise ExerciseError(f"{unit.label} is a mutual-aid unit that has not arrived (`aid {unit.team}` requests it)")
        if unit.status == UnitStatus.OUT:
            raise ExerciseError(f"{unit.label} is out of service until {self.clock(unit.until)}")
        task = self.task_for(unit, node)
        joins = [u.label for u in task.crew]
        model.log("decision", node=node, team=unit.label, verb="dispatch", work=task.work)
        model.dispatcher.order(unit, task, model.tick)
        where = "on scene" if unit.status == UnitStatus.WORKING else f"ETA {self.clock(unit.until)}"
        helping = f", joining {', '.join(joins)}" if joins else ""
        return f"{unit.label} dispatched to {model.network.ids[node]} ({task.work}{helping}), {where}"

    def _recall(self, args: dict[str, Any], wall: str) -> str:
        self._live()
        unit = self.unit(args["unit"])
        if unit.status not in (UnitStatus.TRAVELLING, UnitStatus.WORKING):
            raise ExerciseError(f"{unit.label} is {unit.status}; only a travelling or working unit can be recalled")
        node = unit.task.node
        self.model.log("decision", node=node, team=unit.label, verb="recall", work=unit.task.work)
        unit.recall()
        held = "" if self.model.dispatcher.policy == "manual" else \
            f" (the {self.model.dispatcher.policy} policy may assign it again; `policy manual` holds it)"
        return f"{unit.label} recalled from {self.model.network.ids[node]}, idle where it stands{held}"

    def _aid(self, args: dict[str, Any], wall: str) -> str:
        self._live()
        team, model = args["team"], self.model
        teams = [name for name, t in self.scenario.responders.items() if t.mutual_aid is not None]
        if team not in teams:
            raise ExerciseError(f"'{team}' is not a mutual-aid team (mutual-aid teams: {', '.join(teams) or 'none'})")
        if model.aid_due[team] is not None:
            raise ExerciseError(f"mutual aid {team} was already activated; it arrives {self.clock(model.aid_due[team])}")
        model.log("decision", team=team, verb="aid")
        model.activate_mutual_aid(team, "requested by players")
        return f"mutual aid {team} activated; arrives {self.clock(model.aid_due[team])}"

    def _harden(self, args: dict[str, Any], wall: str) -> str:
        self._live()
        node, level = self.node(args["node"]), args["level"]
        if not isinstance(level, (int, float)) or isinstance(level, bool) or not 0.0 <= level <= 1.0:
            raise ExerciseError(f"hardening is a level from 0 to 1, not '{level}'")
        net = self.model.network
        before = float(net.hardening[node])
        self.model.log("decision", node=node, verb="harden", level=float(level), before=before)
        net.hardening[node] = float(level)
        return f"{net.ids[node]} hardened {before:g} → {float(level):g}"

    def _policy(self, args: dict[str, Any], wall: str) -> str:
        self._live()
        name = args["name"]
        if name not in POLICIES:
            raise ExerciseError(f"no dispatch policy '{name}' (policies: {', '.join(POLICIES)})")
        before = self.model.dispatcher.policy
        self.model.log("decision", verb="policy", name=name, before=before)
        self.model.dispatcher.policy = name
        return f"dispatch policy {before} → {name}"

    def _sharing(self, args: dict[str, Any], wall: str) -> str:
        self._live()
        level = args["level"]
        if not isinstance(level, (int, float)) or isinstance(level, bool) or not 0.0 <= level <= 1.0:
            raise ExerciseError(f"information sharing is a level from 0 to 1, not '{level}'")
        before = self.model.information_sharing
        self.model.log("decision", verb="sharing", level=float(level), before=before)
        self.model.information_sharing = float(level)
        return f"information sharing {before:g} → {float(level):g}"

    def _attack(self, args: dict[str, Any], wall: str) -> str:
        self._live()
        model = self.model
        tactic, target = args["tactic"], args["target"]
        if tactic not in TACTICS:
            raise ExerciseError(f"no tactic '{tactic}' (tactics: {', '.join(TACTICS)})")
        params = args.get("params", {})
        unknown = sorted(set(params) - set(TACTICS[tactic].parameter_names()))
        if unknown:
            raise ExerciseError(f"{tactic} has no parameter {', '.join(unknown)} "
                                f"(parameters: {', '.join(TACTICS[tactic].parameter_names())})")
        if isinstance(target, dict):
            if target.get("sector") is not None and target["sector"] not in model.network.sector_names:
                raise ExerciseError(f"no sector '{target['sector']}' (sectors: {', '.join(model.network.sector_names)})")
        else:
            target = model.network.ids[self.node(target)]
        at = args.get("at") or f"{model.tick * model.tick_seconds:g}s"
        try:
            action = Action.model_validate({"at": at, "tactic": tactic, "target": target, "params": params,
                                            "inject": args.get("inject", "")})
        except ValidationError as exc:
            raise ExerciseError("attack: " + "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())) from None
        if model.tick_of(action.at) < model.tick:
            raise ExerciseError(f"{at} is in the past (the clock is at {self.clock()})")
        if model.tick_of(action.at) > model.n_ticks:
            raise ExerciseError(f"{at} lies beyond the end of the exercise")
        cell = args.get("cell", "controller")
        shown = target if isinstance(target, str) else TargetRule.model_validate(target).rule
        model.log("decision", node=model.network.index.get(shown), verb="attack", tactic=tactic, attacker=cell,
                  at=format_clock(action.at), target=shown)
        model.add_action(cell, action)
        return f"{tactic} on {shown} scheduled at {format_clock(action.at)} (cell {cell})"

    def _inject(self, args: dict[str, Any], wall: str) -> str:
        self._live()
        message = str(args["message"]).strip()
        if not message:
            raise ExerciseError("an inject needs a message")
        self.model.log("inject", number=None, sender=args.get("sender", "controller"), to=args.get("to", ""),
                       message=message, adhoc=True)
        return f"ad-hoc inject released at {self.clock()}"

    def _note(self, args: dict[str, Any], wall: str) -> str:
        text = str(args["text"]).strip()
        if not text:
            raise ExerciseError("a note needs some text")
        self.model.log("note", text=text)
        return f"noted at {self.clock()}"

    def _rate(self, args: dict[str, Any], wall: str) -> str:
        capability = self.capability(args["capability"])
        rating = str(args["rating"]).upper()
        if rating not in RATINGS:
            raise ExerciseError(f"a rating is P, S, M or U ({'; '.join(f'{k}: {v}' for k, v in RATINGS.items())}), "
                                f"not '{args['rating']}'")
        element = args.get("element", "")
        if element:
            match = [e for e in ELEMENTS if e.lower().startswith(element.lower())]
            if len(match) != 1:
                raise ExerciseError(f"capability element '{element}' is not one of {', '.join(ELEMENTS)}")
            element = match[0]
        due = args.get("due", "")
        if due:
            try:
                date.fromisoformat(due)
            except ValueError:
                raise ExerciseError(f"due date '{due}' is not a date (YYYY-MM-DD)") from None
        self.model.log("rating", capability=capability, rating=rating, notes=args.get("notes", ""))
        self.ratings.append(Rating(capability, rating, args.get("notes", ""), element, args.get("org", ""),
                                   args.get("action", ""), due, self.model.tick, wall))
        return f"{capability}: {rating} ({RATINGS[rating]})"

    # thin verbs for the front ends
    def dispatch(self, unit: str, node: str) -> str:
        return self.do("dispatch", unit=unit, node=node)

    def recall(self, unit: str) -> str:
        return self.do("recall", unit=unit)

    def aid(self, team: str) -> str:
        return self.do("aid", team=team)

    def harden(self, node: str, level: float) -> str:
        return self.do("harden", node=node, level=level)

    def policy(self, name: str) -> str:
        return self.do("policy", name=name)

    def sharing(self, level: float) -> str:
        return self.do("sharing", level=level)

    def attack(self, tactic: str, target: str | dict[str, Any], at: str | None = None,
               params: dict[str, float] | None = None, cell: str = "controller", inject: str = "") -> str:
        args: dict[str, Any] = {"tactic": tactic, "target": target, "params": params or {}, "cell": cell}
        if at:
            args["at"] = at
        if inject:
            args["inject"] = inject
        return self.do("attack", **args)

    def inject(self, message: str, sender: str = "controller", to: str = "") -> str:
        return self.do("inject", message=message, sender=sender, to=to)

    def note(self, text: str) -> str:
        return self.do("note", text=text)

    def rate(self, capability: str, rating: str, notes: str = "", **plan: str) -> str:
        return self.do("rate", capability=capability, rating=rating, notes=notes, **plan)

    # ------------------------------------------------------------ capabilities
    def capabilities(self) -> list[str]:
        """The MSEL's capabilities first (in inject order), then the other core capabilities."""
        seen: list[str] = []
        for inject in self.scenario.injects:
            if inject.capability and inject.capability not in seen:
                seen.append(inject.capability)
        return seen + [c for c in CORE_CAPABILITIES if c not in seen]

    def capability(self, text: str) -> str:
        """Resolve a capability from its number in :meth:`capabilities`, its name, or a unique prefix."""
        names = self.capabilities()
        text = str(text).strip()
        if text.isdigit() and 1 <= int(text) <= len(names):
            return names[int(text) - 1]
        exact = [n for n in names if n.lower() == text.lower()]
        if exact:
            return exact[0]
        partial = [n for n in names if n.lower().startswith(text.lower())] or \
                  [n for n in names if text.lower() in n.lower()]
        if len(partial) == 1:
            return partial[0]
        if partial:
            raise ExerciseError(f"'{text}' matches several capabilities: {'; '.join(partial)}")
        raise ExerciseError(f"no core capability '{text}' (`capabilities` lists them with numbers)")

    def latest_ratings(self) -> dict[str, Rating]:
        return {r.capability: r for r in self.ratings}

    # ---------------------------------------------------------------- viewing
    def news(self) -> list[Event]:
        """Events logged since the last call."""
        events = self.model.events[self._cursor:]
        self._cursor = len(self.model.events)
        return events

    def inject_record(self, event: Event) -> Inject | None:
        """The MSEL line behind an inject event, if it came from the MSEL."""
        number = event.detail.get("number")
        return next((i for i in self.scenario.injects if i.number == number), None) if number is not None else None

    def service(self) -> tuple[float, dict[str, float]]:
        q, sector_q = self.model.recorder.levels
        return q, dict(zip(self.model.recorder.sectors, map(float, sector_q)))

    def incidents(self) -> list[dict[str, Any]]:
        """Nodes with open tasks: the node, why it is down, and each task's state."""
        model, net = self.model, self.model.network
        nodes: dict[int, list[Task]] = {}
        for task in model.board.tasks:
            if not task.done:
                nodes.setdefault(task.node, []).append(task)
        return [{"node": net.ids[i], "name": net.names[i], "sector": net.sector_names[net.sector[i]],
                 "down": reason_names(int(model.state.down[i])), "tasks": [self._describe_task(t) for t in tasks]}
                for i, tasks in nodes.items()]

    def teams(self) -> list[dict[str, Any]]:
        model, net = self.model, self.model.network
        out = []
        for unit in model.responders:
            row = {"unit": unit.label, "team": unit.team, "kind": self._skills(unit), "status": unit.status,
                   "node": "", "work": "", "until": ""}
            if unit.task is not None:
                row.update(node=net.ids[unit.task.node], work=unit.task.work)
            if unit.status in (UnitStatus.TRAVELLING, UnitStatus.WORKING, UnitStatus.OUT):
                row["until"] = self.clock(unit.until)
            out.append(row)
        return out

    def released_injects(self) -> list[Event]:
        return [e for e in self.model.events if e.kind == "inject"]

    def result(self) -> RunResult:
        """The run so far (rows past the clock are not yet filled)."""
        return self.model.result()

    def counterfactual(self) -> RunResult:
        """The same scenario and seed run without the players' decisions."""
        return RippleModel(self.scenario, seed=self.seed).run()
