"""The one table of exercise verbs.

Every command of an exercise — clock steps, the players' decisions, the controller's actions,
notes and ratings — is a :class:`Verb` record here: its name, category, arguments, usage line,
one-line help, labels for a form, how its log entry reads, and the handler that carries it
out. The session runs verbs through this table; the terminal console builds its help, usage
errors and completion from it, the browser console its forms, the after-action report its
categories and timeline text. Adding a verb is one record plus its handler.
"""

from __future__ import annotations

from copy import copy
from dataclasses import dataclass, field
from typing import Any, Callable

from sim.exercise import clock, controller, decisions, evaluation, questions
from sim.exercise.errors import ExerciseError
from sim.exercise.state import ExerciseState

__all__ = ["CLOCK", "PLAYER", "CONTROLLER", "NOTE", "RATING", "QUERY", "CATEGORIES", "ANY_OPTION", "Argument", "Verb", "VERBS",
           "verb_names"]

CLOCK, PLAYER, CONTROLLER, NOTE, RATING, QUERY = "clock", "player", "controller", "note", "rating", "query"
CATEGORIES = (CLOCK, PLAYER, CONTROLLER, NOTE, RATING, QUERY)   # a query changes nothing in the run
ANY_OPTION = "*"   # Argument.option of the argument that collects every other key=value option

Handler = Callable[[ExerciseState, dict[str, Any], str], str]


@dataclass(frozen=True)
class Argument:
    """One argument of a verb, as the log records it and the front ends ask for it.

    Attributes
    ----------
    name : str
        Its key in the logged ``args``.
    metavar : str
        How a usage line shows it (``UNIT``, ``LEVEL``).
    kind : str
        What it names, which decides completion and form widgets: ``unit``, ``node``, ``team``,
        ``policy``, ``tactic``, ``target``, ``time``, ``until``, ``count``, ``level``,
        ``capability``, ``rating``, ``text``, ``word`` or ``parameters``.
    type : type
        ``str``, ``int``, ``float`` or ``dict`` (tactic parameters).
    noun : str
        What a form asks the user to choose (``a unit``).
    hint : str
        Placeholder text of a form field.
    option : str
        The console's ``key=`` for it; '' for a positional argument, :data:`ANY_OPTION` for the
        argument that collects the other ``key=value`` options.
    optional : bool
        May be left out.
    default : Any
        Filled in when left out; ``None`` leaves it out of the log when missing or empty.
    setting : str
        The run-wide setting it changes (the session's ``settings()`` key), whose current
        value pre-fills a form.
    """

    name: str
    metavar: str
    kind: str
    type: type = str
    noun: str = ""
    hint: str = ""
    option: str = ""
    optional: bool = False
    default: Any = None
    setting: str = ""


@dataclass(frozen=True)
class Verb:
    """One exercise verb.

    Attributes
    ----------
    name : str
        The command word and the log entry's ``verb``.
    category : str
        One of :data:`CATEGORIES`.
    usage : str
        The usage line, e.g. ``dispatch UNIT NODE``.
    help : str
        One line on what it does.
    title, button : str
        A form's title and its button label.
    entry : callable
        ``entry(args) -> str``: how a logged entry reads as a line of text.
    handler : callable
        ``handler(state, args, wall) -> str``: carries the verb out and returns its message,
        raising :class:`ExerciseError` before changing anything when it cannot.
    arguments : tuple of Argument
        Its arguments, positional ones in order.
    prepare : callable, optional
        ``prepare(args) -> args``: reshapes bound arguments into the form the log records.
    """

    name: str
    category: str
    usage: str
    help: str
    title: str
    button: str
    entry: Callable[[dict[str, Any]], str]
    handler: Handler
    arguments: tuple[Argument, ...] = field(default_factory=tuple)
    prepare: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def positional(self) -> list[Argument]:
        """The arguments given by position, in order."""
        return [a for a in self.arguments if not a.option]

    @property
    def options(self) -> dict[str, Argument]:
        """The arguments given as ``key=value``, by key (without :data:`ANY_OPTION`)."""
        return {a.option: a for a in self.arguments if a.option and a.option != ANY_OPTION}

    @property
    def other_options(self) -> Argument | None:
        """The argument that collects any other ``key=value`` option, if the verb has one."""
        return next((a for a in self.arguments if a.option == ANY_OPTION), None)

    def bind(self, args: dict[str, Any]) -> dict[str, Any]:
        """The arguments as the log records them: defaults filled in, empty optional ones left
        out, then reshaped by ``prepare``.

        Parameters
        ----------
        args : dict
            Arguments by name.

        Returns
        -------
        dict
            The arguments to log and hand to the handler; :class:`ExerciseError` for an unknown
            or missing argument.
        """
        unknown = sorted(set(args) - {a.name for a in self.arguments})
        if unknown:
            names = ", ".join(a.name for a in self.arguments) or "none"
            raise ExerciseError(f"{self.name} has no argument {', '.join(unknown)} (arguments: {names})")
        bound: dict[str, Any] = {}
        for a in self.arguments:
            value = args.get(a.name)
            if value is None:
                if a.default is not None:
                    bound[a.name] = copy(a.default)
                elif not a.optional:
                    raise ExerciseError(f"usage: {self.usage}")
            elif not (a.optional and a.default is None and value == ""):
                bound[a.name] = value
        return self.prepare(bound) if self.prepare else bound

    def entry_text(self, args: dict[str, Any]) -> str:
        """A logged entry's arguments as one line of plain text.

        Parameters
        ----------
        args : dict
            The entry's ``args``.

        Returns
        -------
        str
            e.g. ``Dispatch police-1 to sub-3``.
        """
        return self.entry(args)


def verb_names(*categories: str) -> tuple[str, ...]:
    """The names of the verbs in ``categories``, in table order.

    Parameters
    ----------
    *categories : str
        Categories from :data:`CATEGORIES`.

    Returns
    -------
    tuple of str
        Verb names.
    """
    return tuple(name for name, verb in VERBS.items() if verb.category in categories)


def _attack_text(a: dict[str, Any]) -> str:
    """How a logged ``attack`` entry reads: tactic, target (a rule by its name) and time."""
    target = a["target"] if isinstance(a["target"], str) else a["target"].get("rule", "?")
    return f"Controller attack: {a['tactic']} on {target}" + (f" at {a['at']}" if a.get("at") else "")


UNIT = Argument("unit", "UNIT", "unit", noun="a unit", hint="unit")
NODE = Argument("node", "NODE", "node", noun="a node", hint="node")

_TABLE = (
    Verb("step", CLOCK, "step [N]", "run N ticks (default 1)", "Step", "Step",
         lambda a: f"Step {a.get('n', 1)} tick(s)", clock.step,
         (Argument("n", "N", "count", int, noun="a number of ticks", optional=True, default=1),)),
    Verb("next", CLOCK, "next", "run to the next inject (MSEL line or attack that carries one)",
         "Run to next inject", "Run to next inject", lambda a: "Run to the next inject", clock.next_inject),
    Verb("until", CLOCK, "until T+h:mm | end", "run until the clock shows that time, or to the end",
         "Run until", "Run until", lambda a: f"Run until {a['at']}", clock.until,
         (Argument("at", "T+h:mm", "until", noun="a time (T+h:mm or end)", hint="T+2:00"),)),
    Verb("dispatch", PLAYER, "dispatch UNIT NODE", "send a unit (e.g. police-1) to the first task at NODE it can do",
         "Dispatch a unit", "Dispatch", lambda a: f"Dispatch {a['unit']} to {a['node']}", decisions.dispatch,
         (UNIT, NODE)),
    Verb("recall", PLAYER, "recall UNIT", "stop a unit's task; it waits where it stands", "Recall a unit", "Recall",
         lambda a: f"Recall {a['unit']}", decisions.recall, (UNIT,)),
    Verb("aid", PLAYER, "aid TEAM", "activate a mutual-aid team (it arrives after its delay)", "Mutual aid",
         "Activate", lambda a: f"Activate mutual aid: {a['team']}", decisions.aid,
         (Argument("team", "TEAM", "team", noun="a mutual-aid team", hint="team"),)),
    Verb("harden", PLAYER, "harden NODE LEVEL", "set a node's hardening, 0 to 1", "Harden a node", "Harden",
         lambda a: f"Harden {a['node']} to {a['level']:g}", decisions.harden,
         (NODE, Argument("level", "LEVEL", "level", float, noun="a level", hint="0–1"))),
    Verb("policy", PLAYER, "policy NAME", f"dispatch policy: {', '.join(decisions.policy_names())}",
         "Dispatch policy", "Set policy", lambda a: f"Dispatch policy: {a['name']}", decisions.policy,
         (Argument("name", "NAME", "policy", noun="a policy", hint="policy", setting="policy"),)),
    Verb("sharing", PLAYER, "sharing X", "information-sharing level, 0 to 1", "Information sharing", "Set sharing",
         lambda a: f"Information sharing: {a['level']:g}", decisions.sharing,
         (Argument("level", "X", "level", float, noun="a level", hint="0–1", setting="sharing"),)),
    Verb("attack", CONTROLLER, "attack TACTIC TARGET [AT] [k=v ...]",
         "controller: schedule an attack (TARGET a node, a rule, or a line where physics is dc; k=v: cell=, inject=, sector=, kind=, "
         "tactic parameters)", "Schedule an attack", "Schedule", _attack_text, controller.attack,
         (Argument("tactic", "TACTIC", "tactic", noun="a tactic"),
          Argument("target", "TARGET", "target", noun="a node, a target rule or a line"),
          Argument("at", "AT", "time", noun="a time (T+h:mm)", optional=True),
          Argument("cell", "ID", "word", option="cell", default="controller"),
          Argument("inject", "text", "text", option="inject", optional=True),
          Argument("sector", "S", "word", option="sector", optional=True),
          Argument("kind", "K", "word", option="kind", optional=True),
          Argument("params", "PARAM=VALUE", "parameters", dict, option=ANY_OPTION, default={})),
         prepare=controller.attack_target),
    Verb("inject", CONTROLLER, 'inject "text" [from=..] [to=..]', "controller: release an ad-hoc inject now",
         "Ad-hoc inject", "Release",
         lambda a: f"Ad-hoc inject from {a.get('sender') or 'controller'}: {a['message']}", controller.inject,
         (Argument("message", '"text"', "text", noun="a message", hint="message"),
          Argument("sender", "SENDER", "word", option="from", default="controller"),
          Argument("to", "RECIPIENT", "word", option="to", default=""))),
    Verb("note", NOTE, 'note "text"', "record a remark in the log", "Note", "Add note",
         lambda a: f"Note: {a['text']}", evaluation.note,
         (Argument("text", '"text"', "text", noun="some text", hint="observation, discussion point"),)),
    Verb("rate", RATING, 'rate CAP P|S|M|U ["notes"] [k=v ...]',
         "rate a core capability (CAP: number, name or prefix; k=v: element=, org=, action=, due=YYYY-MM-DD, "
         "improve= an area for improvement beside a P or S, poc= the point of contact)",
         "Rate a core capability", "Rate", lambda a: f"Rating: {a['capability']} {str(a['rating']).upper()}",
         evaluation.rate,
         (Argument("capability", "CAP", "capability", noun="a capability", hint="capability"),
          Argument("rating", "P|S|M|U", "rating", noun="a rating"),
          Argument("notes", '"notes"', "text", hint="observations, issues", optional=True, default=""),
          Argument("element", "POETE", "word", option="element", optional=True),
          Argument("org", "ORG", "word", option="org", optional=True),
          Argument("action", "text", "text", option="action", optional=True),
          Argument("due", "YYYY-MM-DD", "word", option="due", optional=True),
          Argument("improve", "text", "text", option="improve", optional=True),
          Argument("poc", "POC", "word", option="poc", optional=True))),
    Verb("why", QUERY, "why NODE [T+h:mm]", "why a node is down (or was, at a time): its causes down to the attacks",
         "Why is it down?", "Explain", lambda a: f"Why: {a['node']}" + (f" at {a['at']}" if a.get("at") else ""),
         questions.why, (NODE, Argument("at", "T+h:mm", "time", noun="a time (T+h:mm)", optional=True))),
)
VERBS: dict[str, Verb] = {verb.name: verb for verb in _TABLE}
