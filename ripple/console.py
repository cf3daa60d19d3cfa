"""The terminal console of ``ripple exercise``: a command loop over an ExerciseSession.

Interactive on a terminal (prompt with the exercise clock, tab completion of units, nodes,
teams and policies); from a pipe or file it reads one command a line, echoes each, and
shows no prompt, so a whole exercise can be scripted. A bad command prints one message and
the loop goes on.
"""

from __future__ import annotations

import cmd
import shlex
from typing import IO, Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from agents.events import EventKind
from sim.events import describe
from sim.exercise import RATINGS, VERBS, ExerciseError, ExerciseSession, Verb
from sim.exercise.verbs import CLOCK, QUERY, Argument
from sim.results import Event

__all__ = ["ExerciseConsole", "parse", "split"]

QUIET_KINDS = {EventKind.DECISION, EventKind.NOTE, EventKind.RATING, EventKind.HIT, EventKind.SPREAD,
               EventKind.NODE_DOWN, EventKind.NODE_UP}

# the console's own commands (the verbs come from the verb table)
VIEW_HELP = [
    ("status | incidents | teams", "the clock and service; open incidents; all units"),
    ("backups", "nodes on backup: time left, when each runs out if nothing is done; the alerts"),
    ("injects | capabilities | ratings", "injects released; capabilities to rate; ratings given"),
    ("help [COMMAND] | quit", "this list; leave (the log is already saved)"),
]


def split(arg: str) -> tuple[list[str], dict[str, str]]:
    """Positional words and ``key=value`` options of a command line (shell quoting).

    Parameters
    ----------
    arg : str
        The command line after the verb.

    Returns
    -------
    tuple of (list of str, dict of str to str)
        The positional words in order, and the options by key.

    Raises
    ------
    ExerciseError
        When the quoting does not parse.

    Examples
    --------
    >>> split('crew-1 "Kestrel Hill" priority=2')
    (['crew-1', 'Kestrel Hill'], {'priority': '2'})
    """
    try:
        words = shlex.split(arg)
    except ValueError as exc:
        raise ExerciseError(f"cannot parse the command ({exc})") from None
    positional, options = [], {}
    for word in words:
        key, sep, value = word.partition("=")
        if sep and key.isidentifier():
            options[key] = value
        else:
            positional.append(word)
    return positional, options


def number(text: str, what: str) -> float:
    """``text`` as a number; :class:`ExerciseError` naming ``what`` otherwise.

    Parameters
    ----------
    text : str
        The word typed.
    what : str
        The argument's name, for the message.

    Returns
    -------
    float
        The number.

    Raises
    ------
    ExerciseError
        When ``text`` is not a number.
    """
    try:
        return float(text)
    except ValueError:
        raise ExerciseError(f"{what} must be a number, not '{text}'") from None


def convert(argument: Argument, text: str) -> Any:
    """A word of the command line as the argument's type; a count that is not a whole number
    is passed on as typed, for the verb to say what it takes.

    Parameters
    ----------
    argument : Argument
        The verb's argument the word is for.
    text : str
        The word typed.

    Returns
    -------
    float, int or str
        A float for a number argument, an int for a whole count, else ``text``.

    Raises
    ------
    ExerciseError
        When a number argument is not a number.
    """
    if argument.type is float:
        return number(text, argument.metavar)
    if argument.type is int and text.isdigit():
        return int(text)
    return text


def parse(verb: Verb, arg: str) -> dict[str, Any]:
    """The arguments of ``verb`` from the rest of its command line.

    Parameters
    ----------
    verb : Verb
        The verb, from the table.
    arg : str
        The command line after the verb (shell quoting; ``key=value`` options).

    Returns
    -------
    dict
        Arguments by name, for :meth:`ExerciseSession.do`.
    """
    words, options = split(arg)
    positional = verb.positional
    expect(words, sum(1 for a in positional if not a.optional), len(positional), verb.usage)
    args = {a.name: convert(a, word) for a, word in zip(positional, words)}
    for key, argument in verb.options.items():
        if key in options:
            args[argument.name] = convert(argument, options.pop(key))
    if options:
        rest = verb.other_options
        if rest is None:
            raise ExerciseError(f"{verb.name} has no option {', '.join(sorted(options))} "
                                f"(options: {', '.join(verb.options) or 'none'})")
        args[rest.name] = {k: number(v, k) for k, v in options.items()}
    return args


def expect(words: list[str], low: int, high: int, usage: str) -> None:
    """:class:`ExerciseError` with the usage line unless ``low <= len(words) <= high``.

    Parameters
    ----------
    words : list of str
        The positional words typed.
    low, high : int
        The fewest and most positional words the verb takes.
    usage : str
        The verb's usage line, for the message.

    Raises
    ------
    ExerciseError
        When the number of words is out of range.
    """
    if not low <= len(words) <= high:
        raise ExerciseError(f"usage: {usage}")


class ExerciseConsole(cmd.Cmd):
    """The command loop: the verbs of the table (:data:`sim.exercise.VERBS`) run through
    :meth:`default`; each ``do_`` method is one of the console's own commands.

    The ``do_`` methods' docstrings are the console's ``help COMMAND`` text, so they stay
    one user-facing line each.

    Parameters
    ----------
    session : ExerciseSession
        The exercise the commands drive.
    out : Console
        Where messages, tables and injects are printed.
    stdin : IO[str]
        Where commands are read from.
    interactive : bool
        A terminal: show the clock prompt and complete with tab; otherwise echo each
        command read and show no prompt.

    Attributes
    ----------
    failures : int
        Commands that could not be carried out so far.
    """

    def __init__(self, session: ExerciseSession, out: Console, stdin: IO[str], interactive: bool):
        super().__init__(completekey="tab", stdin=stdin)
        self.session = session
        self.out = out
        self.interactive = interactive
        self.use_rawinput = interactive
        self.failures = 0
        self.alerted: set[str] = set()       # alerts printed so far, without their countdown
        self.prompt = self._prompt()

    # ------------------------------------------------------------- the loop
    def _prompt(self) -> str:
        return f"{self.session.clock()} ripple> " if self.interactive else ""

    def preloop(self) -> None:
        """cmd.Cmd hook: on a terminal, tab completion splits words only at spaces and quotes."""
        if self.interactive:
            try:
                import readline
                readline.set_completer_delims(" \t\n\"'")
            except ImportError:
                pass

    def precmd(self, line: str) -> str:
        """cmd.Cmd hook: echo a command read from a pipe; a ``#`` line is a comment."""
        if not self.interactive and line.strip() and line != "EOF":
            self.out.print(f"> {line.rstrip()}", highlight=False, markup=False)
        return "" if line.lstrip().startswith("#") else line

    def postcmd(self, stop: bool, line: str) -> bool:
        """cmd.Cmd hook: refresh the prompt's clock."""
        self.prompt = self._prompt()
        return stop

    def onecmd(self, line: str) -> bool:
        """cmd.Cmd hook: run one command; an error prints one message and the loop goes on."""
        try:
            return super().onecmd(line)
        except ExerciseError as exc:
            self.fail(str(exc))
        except Exception as exc:  # a bug must not end a live exercise; the log is saved after every verb
            self.fail(f"unexpected {type(exc).__name__}: {exc}")
        return False

    def emptyline(self) -> bool:
        """cmd.Cmd hook: an empty line does nothing (not the last command again)."""
        return False

    def fail(self, message: str) -> None:
        """Print an error and count it in :attr:`failures`.

        Parameters
        ----------
        message : str
            What went wrong (printed as plain text).
        """
        self.failures += 1
        self.out.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)

    def say(self, message: str) -> None:
        """Print a message as plain text (no markup, soft-wrapped).

        Parameters
        ----------
        message : str
            The text.
        """
        self.out.print(message, highlight=False, markup=False, soft_wrap=True)

    # ------------------------------------------------------------ the verbs
    def default(self, line: str) -> bool:
        """cmd.Cmd hook: run a verb of the table, then show what it caused; a refused action
        is logged as typed (the session logs those it refuses itself)."""
        name, arg, _ = self.parseline(line)
        verb = VERBS.get(name or "")
        if verb is None:
            self.fail(f"unknown command '{line.split()[0]}'; `help` lists the commands")
            return False
        typed = line.strip()
        try:
            args = parse(verb, arg or "")
        except ExerciseError as exc:
            if verb.category != QUERY:
                self.session.reject(typed, str(exc), verb=verb.name)
            raise
        message = self.session.do(verb.name, typed=typed, **args)
        if verb.category == CLOCK:
            self._after_clock(message)
        else:
            self.say(message)
            self.show_news()
        return False

    def _after_clock(self, message: str) -> None:
        before = int((self.session.node_states()[0] != 0).sum())
        self.say(message)
        self.show_news()
        after = int((self.session.node_states()[0] != 0).sum())
        if after != before:
            self.say(f"nodes down: {before} → {after}")
        self.show_alerts()
        self.status_line()
        if self.session.finished:
            from ripple.run import summary_table
            self.out.print(summary_table(self.session.result()))
            where = self.session.log_path or "the log"
            self.say(f"exercise over; `ripple aar {where} --out aar.html` writes the after-action report")

    # -------------------------------------------------------------- viewing
    def show_news(self) -> None:
        """Print what happened since the last command: injects as panels, other events as
        one line each (see :func:`sim.events.describe`)."""
        session = self.session
        names = dict(zip(session.network.ids, session.network.names))
        for event in session.news():
            if event.kind == EventKind.INJECT:
                self.show_inject(event)
            elif event.kind not in QUIET_KINDS:
                self.say(f"  {session.clock(event.tick)}  {describe(event, names, session.tick_seconds)}")

    def show_alerts(self, again: bool = False) -> None:
        """Print the forecast's alerts (:meth:`ExerciseSession.alerts`) not printed before.

        Parameters
        ----------
        again : bool
            Print every alert, also those printed before.
        """
        for line in self.session.alerts():
            key = line.split(" (in ")[0]              # the same forecast, later: not news
            if again or key not in self.alerted:
                self.alerted.add(key)
                self.out.print(f"[bold yellow]ALERT[/] {escape(line)}", highlight=False, soft_wrap=True)

    def show_inject(self, event: Event) -> None:
        """Print an inject as a panel: its MSEL line's routing, message and expected action,
        or the message of an inject raised by an attack.

        Parameters
        ----------
        event : Event
            An ``inject`` event.
        """
        session = self.session
        line = session.inject_record(event)
        clock = session.clock(event.tick)
        if line is not None:
            route = " → ".join(x for x in (line.sender, line.to) if x)
            title = f"INJECT {line.number} · {clock} · {line.method or 'message'}"
            body = (f"[bold]{escape(route)}[/bold]\n" if route else "") + escape(line.message)
            if line.expected_action:
                body += f"\n[dim]expected: {escape(line.expected_action)}"
                tags = [f"objective {line.objective}" if line.objective else "", line.capability]
                if any(tags):
                    body += f" ({escape(' · '.join(t for t in tags if t))})"
                body += "[/dim]"
        else:
            sender = event.detail.get("sender") or f"report of the attack by {event.detail.get('attacker', '?')}"
            title, body = f"INJECT · {clock} · {sender}", escape(str(event.detail.get("message", "")))
        self.out.print(Panel(body, title=escape(title), title_align="left", border_style="yellow"), highlight=False)

    def status_line(self) -> None:
        """Print one line: clock, service overall and per sector, incidents, idle units, next inject."""
        s = self.session
        q, sectors = s.service()
        wall = s.wall_clock()
        parts = ", ".join(f"{name} {value:.0%}" for name, value in sectors.items())
        idle = sum(1 for u in s.units() if u.status == "idle")
        nxt = s.next_inject_tick()
        upcoming = f"; next inject {s.clock(nxt)}" if nxt is not None else ""
        self.say(f"[{s.clock()}{' · ' + wall if wall else ''}] service {q:.1%} ({parts}); "
                 f"{plural(len(s.incidents()), 'incident')} open, {plural(idle, 'unit')} idle{upcoming}")

    def do_status(self, arg: str) -> None:
        """status: the clock, service per sector, policy and what comes next."""
        s = self.session
        q, sectors = s.service()
        self.say(f"{s.scenario.name} · {s.clock()} {s.wall_clock()} · tick {s.tick}/{s.n_ticks}")
        table = Table(show_header=True)
        table.add_column("sector")
        table.add_column("service", justify="right")
        for name, value in sectors.items():
            table.add_row(name, f"{value:.1%}")
        table.add_row("[bold]overall", f"[bold]{q:.1%}")
        self.out.print(table)
        settings = s.settings()
        self.say(f"dispatch policy {settings['policy']}; information sharing {settings['sharing']:g}; "
                 f"seed {s.seed}; log {s.log_path or '(none)'}")
        self.status_line()

    def do_incidents(self, arg: str) -> None:
        """incidents: nodes with open work, why they are down, and the state of each task."""
        rows = self.session.incidents()
        if not rows:
            self.say("no open incidents")
            return
        table = Table(show_header=True)
        for column in ("node", "sector", "down", "tasks"):
            table.add_column(column)
        for row in rows:
            table.add_row(escape(row["node"]), escape(row["sector"]), "+".join(row["down"]) or "up",
                          "\n".join(row["tasks"]))
        self.out.print(table)

    def do_backups(self, arg: str) -> None:
        """backups: nodes on backup, their time left and when each runs out if nothing is done."""
        rows = self.session.backups()
        if not rows:
            self.say("no node is running on backup")
            return
        table = Table(show_header=True)
        for column in ("node", "sector", "backup left", "runs out"):
            table.add_column(column)
        for row in rows:
            table.add_row(escape(row["node"]), escape(row["sector"]), row["left"], row["runs_out"])
        self.out.print(table)
        self.show_alerts(again=True)

    def do_teams(self, arg: str) -> None:
        """teams: every unit, its status, where it is going or working, and until when."""
        table = Table(show_header=True)
        for column in ("unit", "kind", "status", "node", "work", "until"):
            table.add_column(column)
        for row in self.session.teams():
            style = "green" if row["status"] == "idle" else "dim" if row["status"] == "inactive" else ""
            table.add_row(row["unit"], row["kind"], row["status"], row["node"], row["work"], row["until"], style=style)
        self.out.print(table)

    def do_injects(self, arg: str) -> None:
        """injects: the injects released so far."""
        released = self.session.released_injects()
        if not released:
            self.say("no injects released yet")
        for event in released:
            self.show_inject(event)

    def do_capabilities(self, arg: str) -> None:
        """capabilities: the core capabilities to rate, the MSEL's first, numbered for `rate`."""
        ratings = self.session.latest_ratings()
        for i, name in enumerate(self.session.capabilities(), 1):
            given = f"  [{ratings[name].rating}]" if name in ratings else ""
            self.say(f"{i:3d}  {name}{given}")

    def do_ratings(self, arg: str) -> None:
        """ratings: the capability ratings given so far (the latest per capability)."""
        ratings = self.session.latest_ratings()
        if not ratings:
            self.say("no ratings yet")
        for r in ratings.values():
            self.say(f"{r.capability}: {r.rating} ({RATINGS[r.rating]}){' — ' + r.notes if r.notes else ''}")

    def do_help(self, arg: str) -> None:
        """help [COMMAND]: the list of commands, or one command's help."""
        name = arg.strip()
        if name in VERBS:
            self.say(f"{VERBS[name].usage}: {VERBS[name].help}")
            return
        if name:
            method = getattr(self, f"do_{name}", None)
            if method is None or name == "EOF":
                raise ExerciseError(f"no command '{name}'")
            self.say(" ".join(method.__doc__.split()))
            return
        table = Table(show_header=False, box=None)
        for usage, what in [(v.usage, v.help) for v in VERBS.values()] + VIEW_HELP:
            table.add_row(escape(usage), escape(what))
        self.out.print(table)

    def do_quit(self, arg: str) -> bool:
        """quit: leave the console (every command is already in the log)."""
        self.say(f"log saved: {self.session.log_path}" if self.session.log_path else "bye")
        return True

    do_exit = do_quit

    def do_EOF(self, arg: str) -> bool:
        """End of input (Ctrl+D or the end of a script): as ``quit``."""
        if self.interactive:
            self.say("")
        return self.do_quit(arg)

    # ----------------------------------------------------------- completion
    def completenames(self, text: str, *ignored: Any) -> list[str]:
        """cmd.Cmd hook: complete the first word with a command or a verb."""
        return sorted(set(super().completenames(text, *ignored)) | {v for v in VERBS if v.startswith(text)})

    def completedefault(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        """cmd.Cmd hook: complete a verb's argument by its kind (:meth:`choices`)."""
        verb = VERBS.get(line.split()[0]) if line.split() else None
        position = len(line[:begidx].split()) - 1
        if verb is None or not 0 <= position < len(verb.positional):
            return []
        return [c for c in self.choices(verb.positional[position].kind) if c.startswith(text)]

    def choices(self, kind: str) -> list[str]:
        """What an argument of ``kind`` may be, for completion ([] when anything goes).

        Parameters
        ----------
        kind : str
            The argument's kind in the verb table, e.g. ``"unit"`` or ``"node"``.

        Returns
        -------
        list of str
            The words it may be, from the session as it stands.
        """
        s = self.session
        return {
            "unit": s.unit_labels, "node": s.node_ids, "team": s.aid_teams, "policy": s.policy_names,
            "tactic": s.tactic_names, "target": lambda: s.target_rules() + s.node_ids() + s.line_ids(), "until": lambda: ["end"],
            "capability": lambda: [str(i) for i in range(1, len(s.capabilities()) + 1)], "rating": lambda: list(RATINGS),
        }.get(kind, list)()


def plural(n: int, noun: str) -> str:
    """``n`` and ``noun``, with an ``s`` unless ``n`` is 1.

    Parameters
    ----------
    n : int
        The count.
    noun : str
        The singular noun.

    Returns
    -------
    str
        E.g. ``"1 unit"``, ``"3 units"``.
    """
    return f"{n} {noun}{'' if n == 1 else 's'}"
