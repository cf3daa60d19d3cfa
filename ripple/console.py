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

from agents.dispatch import POLICIES
from agents.events import EventKind
from agents.tactics import TACTICS
from sim.events import describe
from sim.exercise import RATINGS, ExerciseError, ExerciseSession
from sim.results import Event
from sim.scenario.schema import TargetRuleName

RULES = TargetRuleName.__args__
QUIET_KINDS = {EventKind.DECISION, EventKind.NOTE, EventKind.RATING, EventKind.HIT, EventKind.SPREAD,
               EventKind.NODE_DOWN, EventKind.NODE_UP}

HELP = [
    ("step [N]", "run N ticks (default 1)"),
    ("next", "run to the next inject (MSEL line or attack that carries one)"),
    ("until T+h:mm | end", "run until the clock shows that time, or to the end"),
    ("dispatch UNIT NODE", "send a unit (e.g. police-1) to the first task at NODE it can do"),
    ("recall UNIT", "stop a unit's task; it waits where it stands"),
    ("aid TEAM", "activate a mutual-aid team (it arrives after its delay)"),
    ("harden NODE LEVEL", "set a node's hardening, 0 to 1"),
    ("policy NAME", f"dispatch policy: {', '.join(POLICIES)}"),
    ("sharing X", "information-sharing level, 0 to 1"),
    ("attack TACTIC TARGET [AT] [k=v ...]", "controller: schedule an attack (TARGET a node or a rule; "
                                          "k=v: cell=, inject=, sector=, kind=, tactic parameters)"),
    ("inject \"text\" [from=..] [to=..]", "controller: release an ad-hoc inject now"),
    ("note \"text\"", "record a remark in the log"),
    ("rate CAP P|S|M|U [\"notes\"] [k=v ...]", "rate a core capability (CAP: number, name or prefix; "
                                            "k=v: element=, org=, action=, due=YYYY-MM-DD)"),
    ("status | incidents | teams", "the clock and service; open incidents; all units"),
    ("injects | capabilities | ratings", "injects released; capabilities to rate; ratings given"),
    ("help [COMMAND] | quit", "this list; leave (the log is already saved)"),
]


def split(arg: str) -> tuple[list[str], dict[str, str]]:
    """Positional words and ``key=value`` options of a command line (shell quoting)."""
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
    try:
        return float(text)
    except ValueError:
        raise ExerciseError(f"{what} must be a number, not '{text}'") from None


def expect(words: list[str], low: int, high: int, usage: str) -> None:
    if not low <= len(words) <= high:
        raise ExerciseError(f"usage: {usage}")


class ExerciseConsole(cmd.Cmd):
    """The command loop; each ``do_`` method is one command."""

    def __init__(self, session: ExerciseSession, out: Console, stdin: IO[str], interactive: bool):
        super().__init__(completekey="tab", stdin=stdin)
        self.session = session
        self.out = out
        self.interactive = interactive
        self.use_rawinput = interactive
        self.failures = 0
        self.prompt = self._prompt()

    # ------------------------------------------------------------- the loop
    def _prompt(self) -> str:
        return f"{self.session.clock()} ripple> " if self.interactive else ""

    def preloop(self) -> None:
        if self.interactive:
            try:
                import readline
                readline.set_completer_delims(" \t\n\"'")
            except ImportError:
                pass

    def precmd(self, line: str) -> str:
        if not self.interactive and line.strip() and line != "EOF":
            self.out.print(f"> {line.rstrip()}", highlight=False, markup=False)
        return "" if line.lstrip().startswith("#") else line

    def postcmd(self, stop: bool, line: str) -> bool:
        self.prompt = self._prompt()
        return stop

    def onecmd(self, line: str) -> bool:
        try:
            return super().onecmd(line)
        except ExerciseError as exc:
            self.fail(str(exc))
        except Exception as exc:  # a bug must not end a live exercise; the log is saved after every verb
            self.fail(f"unexpected {type(exc).__name__}: {exc}")
        return False

    def emptyline(self) -> bool:
        return False

    def default(self, line: str) -> bool:
        self.fail(f"unknown command '{line.split()[0]}'; `help` lists the commands")
        return False

    def fail(self, message: str) -> None:
        self.failures += 1
        self.out.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)

    def say(self, message: str) -> None:
        self.out.print(message, highlight=False, markup=False, soft_wrap=True)

    # ------------------------------------------------------------ the clock
    def _clock(self, message: str) -> None:
        before = int((self.session.model.state.down != 0).sum())
        self.say(message)
        self.show_news()
        after = int((self.session.model.state.down != 0).sum())
        if after != before:
            self.say(f"nodes down: {before} → {after}")
        self.status_line()
        if self.session.finished:
            from ripple.run import summary_table
            self.out.print(summary_table(self.session.result()))
            where = self.session.log_path or "the log"
            self.say(f"exercise over; `ripple aar {where} --out aar.html` writes the after-action report")

    def do_step(self, arg: str) -> None:
        """step [N]: run N ticks (default 1)."""
        words, _ = split(arg)
        expect(words, 0, 1, "step [N]")
        n = words[0] if words else "1"
        if not n.isdigit() or int(n) < 1:
            raise ExerciseError(f"step takes a whole number of ticks >= 1, not '{n}'")
        self._clock(self.session.step(int(n)))

    def do_next(self, arg: str) -> None:
        """next: run to the next inject (an MSEL line, or a planned attack that carries one)."""
        expect(split(arg)[0], 0, 0, "next")
        self._clock(self.session.run_to_next_inject())

    def do_until(self, arg: str) -> None:
        """until T+h:mm | end: run until the clock shows that time, or to the end of the exercise."""
        words, _ = split(arg)
        expect(words, 1, 1, "until T+h:mm | end")
        self._clock(self.session.run_until(words[0]))

    # ------------------------------------------------------------ decisions
    def _decide(self, message: str) -> None:
        self.say(message)
        self.show_news()

    def do_dispatch(self, arg: str) -> None:
        """dispatch UNIT NODE: send a unit to the first waiting task at NODE that it can do."""
        words, _ = split(arg)
        expect(words, 2, 2, "dispatch UNIT NODE")
        self._decide(self.session.dispatch(*words))

    def do_recall(self, arg: str) -> None:
        """recall UNIT: stop the unit's task (it returns to the queue); the unit waits where it is."""
        words, _ = split(arg)
        expect(words, 1, 1, "recall UNIT")
        self._decide(self.session.recall(words[0]))

    def do_aid(self, arg: str) -> None:
        """aid TEAM: activate a mutual-aid team; it arrives after its delay."""
        words, _ = split(arg)
        expect(words, 1, 1, "aid TEAM")
        self._decide(self.session.aid(words[0]))

    def do_harden(self, arg: str) -> None:
        """harden NODE LEVEL: set the node's hardening (0 none, 1 full)."""
        words, _ = split(arg)
        expect(words, 2, 2, "harden NODE LEVEL")
        self._decide(self.session.harden(words[0], number(words[1], "LEVEL")))

    def do_policy(self, arg: str) -> None:
        """policy NAME: the dispatch policy (criticality, nearest, fifo, manual)."""
        words, _ = split(arg)
        expect(words, 1, 1, "policy NAME")
        self._decide(self.session.policy(words[0]))

    def do_sharing(self, arg: str) -> None:
        """sharing X: the information-sharing level, 0 to 1 (raises interdiction, shortens aid delays)."""
        words, _ = split(arg)
        expect(words, 1, 1, "sharing X")
        self._decide(self.session.sharing(number(words[0], "X")))

    def do_attack(self, arg: str) -> None:
        """attack TACTIC TARGET [AT] [cell=ID] [inject="text"] [sector=S] [kind=K] [PARAM=VALUE ...]:
        schedule an attack now or at AT; TARGET is a node id or a rule (highest_betweenness,
        most_population_served, greatest_cascade, random) narrowed by sector= and kind=."""
        words, options = split(arg)
        expect(words, 2, 3, "attack TACTIC TARGET [AT] [k=v ...]")
        tactic, target = words[0], words[1]
        cell, inject = options.pop("cell", "controller"), options.pop("inject", "")
        rule = {k: options.pop(k) for k in ("sector", "kind") if k in options}
        if target in RULES:
            target_spec: str | dict[str, Any] = {"rule": target, **rule}
        elif rule:
            raise ExerciseError("sector= and kind= narrow a target rule, not a node id")
        else:
            target_spec = target
        params = {k: number(v, k) for k, v in options.items()}
        self._decide(self.session.attack(tactic, target_spec, words[2] if len(words) == 3 else None,
                                         params, cell, inject))

    def do_inject(self, arg: str) -> None:
        """inject "text" [from=SENDER] [to=RECIPIENT]: release an ad-hoc inject now."""
        words, options = split(arg)
        expect(words, 1, 1, 'inject "text" [from=..] [to=..]')
        self._decide(self.session.inject(words[0], options.get("from", "controller"), options.get("to", "")))

    def do_note(self, arg: str) -> None:
        """note "text": record a remark (observation, player discussion) in the log."""
        words, _ = split(arg)
        expect(words, 1, 1, 'note "text"')
        self._decide(self.session.note(words[0]))

    def do_rate(self, arg: str) -> None:
        """rate CAPABILITY P|S|M|U ["notes"] [element=POETE] [org=ORG] [action="text"] [due=YYYY-MM-DD]:
        rate a core capability; CAPABILITY is its number in `capabilities`, its name or a prefix."""
        words, options = split(arg)
        expect(words, 2, 3, 'rate CAPABILITY P|S|M|U ["notes"] [k=v ...]')
        unknown = sorted(set(options) - {"element", "org", "action", "due"})
        if unknown:
            raise ExerciseError(f"rate has no option {', '.join(unknown)} (options: element, org, action, due)")
        self._decide(self.session.rate(words[0], words[1], words[2] if len(words) == 3 else "", **options))

    # -------------------------------------------------------------- viewing
    def show_news(self) -> None:
        """Print what happened since the last command: injects as panels, other events as
        one line each (see :func:`sim.events.describe`)."""
        model = self.session.model
        names = dict(zip(model.network.ids, model.network.names))
        for event in self.session.news():
            if event.kind == "inject":
                self.show_inject(event)
            elif event.kind not in QUIET_KINDS:
                self.say(f"  {self.session.clock(event.tick)}  {describe(event, names, model.tick_seconds)}")

    def show_inject(self, event: Event) -> None:
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
        s = self.session
        q, sectors = s.service()
        wall = s.wall_clock()
        parts = ", ".join(f"{name} {value:.0%}" for name, value in sectors.items())
        idle = sum(1 for u in s.model.responders if u.status == "idle")
        nxt = s.next_inject_tick()
        upcoming = f"; next inject {s.clock(nxt)}" if nxt is not None else ""
        self.say(f"[{s.clock()}{' · ' + wall if wall else ''}] service {q:.1%} ({parts}); "
                 f"{plural(len(s.incidents()), 'incident')} open, {plural(idle, 'unit')} idle{upcoming}")

    def do_status(self, arg: str) -> None:
        """status: the clock, service per sector, policy and what comes next."""
        s = self.session
        q, sectors = s.service()
        self.say(f"{s.scenario.name} · {s.clock()} {s.wall_clock()} · tick {min(s.model.tick, s.model.n_ticks)}"
                 f"/{s.model.n_ticks}")
        table = Table(show_header=True)
        table.add_column("sector")
        table.add_column("service", justify="right")
        for name, value in sectors.items():
            table.add_row(name, f"{value:.1%}")
        table.add_row("[bold]overall", f"[bold]{q:.1%}")
        self.out.print(table)
        self.say(f"dispatch policy {s.model.dispatcher.policy}; information sharing {s.model.information_sharing:g}; "
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
        if arg.strip():
            method = getattr(self, f"do_{arg.strip()}", None)
            if method is None or arg.strip() == "EOF":
                raise ExerciseError(f"no command '{arg.strip()}'")
            self.say(" ".join(method.__doc__.split()))
            return
        table = Table(show_header=False, box=None)
        for usage, what in HELP:
            table.add_row(escape(usage), escape(what))
        self.out.print(table)

    def do_quit(self, arg: str) -> bool:
        """quit: leave the console (every command is already in the log)."""
        self.say(f"log saved: {self.session.log_path}" if self.session.log_path else "bye")
        return True

    do_exit = do_quit

    def do_EOF(self, arg: str) -> bool:
        if self.interactive:
            self.say("")
        return self.do_quit(arg)

    # ----------------------------------------------------------- completion
    def _complete(self, text: str, line: str, begidx: int, choices: list[list[str]]) -> list[str]:
        position = len(line[:begidx].split()) - 1
        if 0 <= position < len(choices):
            return [c for c in choices[position] if c.startswith(text)]
        return []

    def _units(self) -> list[str]:
        return [u.label for u in self.session.model.responders]

    def _nodes(self) -> list[str]:
        return list(self.session.model.network.ids)

    def complete_dispatch(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        return self._complete(text, line, begidx, [self._units(), self._nodes()])

    def complete_recall(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        return self._complete(text, line, begidx, [self._units()])

    def complete_aid(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        teams = [n for n, t in self.session.scenario.responders.items() if t.mutual_aid is not None]
        return self._complete(text, line, begidx, [teams])

    def complete_harden(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        return self._complete(text, line, begidx, [self._nodes()])

    def complete_policy(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        return self._complete(text, line, begidx, [list(POLICIES)])

    def complete_attack(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        return self._complete(text, line, begidx, [list(TACTICS), list(RULES) + self._nodes()])

    def complete_until(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        return self._complete(text, line, begidx, [["end"]])

    def complete_rate(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        numbers = [str(i) for i in range(1, len(self.session.capabilities()) + 1)]
        return self._complete(text, line, begidx, [numbers, list(RATINGS)])


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
