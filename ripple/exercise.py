"""``ripple exercise`` (terminal console), ``ripple serve`` (browser console) and
``ripple aar`` (after-action report) — the tabletop-exercise commands."""

from __future__ import annotations

import socket
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ripple.app import app, console, fail, scenario_problems

if TYPE_CHECKING:
    from sim.exercise import ExerciseSession
    from sim.overrides import ScenarioFile

__all__ = ["aar", "exercise", "open_session", "serve"]

ScenarioArg = typer.Argument(..., help="scenario file (YAML)", show_default=False)
ScriptedOption = typer.Option(False, "--scripted-outcomes",
                              help="every attack lands as written, so the MSEL holds (overrides "
                                   "policies.scripted_outcomes for this exercise; recorded in the log)")


def default_log(scenario_id: str, seed: int) -> Path:
    """The default exercise log: ``runs/exercise-<id>-seed<seed>-<local time>.jsonl``.

    Parameters
    ----------
    scenario_id : str
        The scenario's id.
    seed : int
        The exercise's seed.

    Returns
    -------
    Path
        A path relative to the working folder, stamped with the time now.
    """
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"exercise-{scenario_id}-seed{seed}-{stamp}.jsonl"


def open_session(scenario: Path, seed: int | None, log: Path | None, resume: Path | None,
                 participants: str, scripted_outcomes: bool = False, file: ScenarioFile | None = None) -> ExerciseSession:
    """A new session, or one rebuilt from ``resume``; exits with one message on bad input.

    Parameters
    ----------
    scenario : Path
        The scenario file (YAML).
    seed : int or None
        The seed (None: the scenario's; on resume it must match the log's).
    log : Path or None
        Where to write the exercise log (None: :func:`default_log`, or the resumed log).
    resume : Path or None
        An exercise log to replay and continue.
    participants : str
        Participants separated by ``;`` (empty: keep those in the log).
    scripted_outcomes : bool
        Every attack lands as written (``--scripted-outcomes``); a resumed log keeps what its
        header records, and refuses the flag if it was played without.
    file : ScenarioFile, optional
        ``scenario`` already read (default: read it here).

    Returns
    -------
    ExerciseSession
        The session, its log already saved.

    Raises
    ------
    typer.Exit
        On a bad scenario, a log that cannot be replayed or written, or a seed that
        differs from the resumed log's.
    """
    from sim.exercise import ExerciseError, ExerciseSession
    from sim.overrides import ScenarioFile
    from sim.scenario import ScenarioError

    if file is None:
        with scenario_problems(scenario):
            file = ScenarioFile.read(scenario)
    people = [p.strip() for p in participants.split(";") if p.strip()]
    try:
        if resume is None:
            session = ExerciseSession(scenario, seed=seed, file=file, participants=people,
                                      scripted_outcomes=scripted_outcomes)
            session.log_path = log or default_log(file.scenario.id, session.seed)
            session.save()
            return session
        session = ExerciseSession.from_log(resume, scenario_path=scenario, file=file)
    except ScenarioError as exc:
        fail(str(exc))
    except ExerciseError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the exercise log: {exc}")
    if seed is not None and seed != session.seed:
        fail(f"{resume} was played with seed {session.seed}, not {seed}; drop --seed to resume it")
    if scripted_outcomes and not session.scripted_outcomes:
        fail(f"{resume} was played with the attacks' outcomes simulated, not scripted; drop --scripted-outcomes "
             "to resume it")
    if people:
        session.header["participants"] = people
    if log is not None:
        session.log_path = log
    try:
        session.save()
    except OSError as exc:
        fail(f"cannot write the exercise log: {exc}")
    return session


@app.command()
def exercise(
    scenario: Path = ScenarioArg,
    seed: int | None = typer.Option(None, min=0, help="random seed, ≥ 0 (default: the scenario's)"),
    log: Path | None = typer.Option(None, help="exercise log, JSON lines (default: runs/exercise-<id>-seed<seed>-<time>.jsonl)"),
    resume: Path | None = typer.Option(None, help="continue a saved exercise log (replays it first)"),
    participants: str = typer.Option("", help="participating organisations or people, separated by ';'"),
    scripted_outcomes: bool = ScriptedOption,
) -> None:
    """Run a tabletop exercise in the terminal: injects on the clock, player decisions, ratings.

    Reads commands from a pipe or file too (one a line, echoed), so an exercise can be scripted."""
    from ripple.console import ExerciseConsole

    session = open_session(scenario, seed, log, resume, participants, scripted_outcomes)
    interactive = sys.stdin.isatty()
    shell = ExerciseConsole(session, console, sys.stdin, interactive)
    verb = "resumed" if resume else "started"
    scripted = "; attack outcomes scripted" if session.scripted_outcomes else ""
    console.print(f"{session.scenario.name}: exercise {verb} at {session.clock()} (seed {session.seed}{scripted}); "
                  f"log {session.log_path}", highlight=False, soft_wrap=True)
    if interactive:
        for objective in session.scenario.objectives:
            console.print(f"  objective {objective}", highlight=False, soft_wrap=True)
        console.print("type `help` for the commands, `next` to run to the first inject", highlight=False)
    shell.show_news()
    shell.status_line()
    try:
        shell.cmdloop()
    except KeyboardInterrupt:
        console.print(f"\ninterrupted; log saved: {session.log_path}", highlight=False)
    if not interactive and shell.failures:
        fail(f"{shell.failures} command(s) could not be carried out (see the messages above)")


TLP_NAMES = ("clear", "green", "amber", "amber+strict", "red")


@app.command()
def aar(
    log: Path = typer.Argument(..., help="exercise log (from ripple exercise or ripple serve)", show_default=False),
    out: Path | None = typer.Option(None, help="output file (default: aar.html, or aar.md with --markdown)"),
    markdown: bool = typer.Option(False, "--markdown", help="write Markdown instead of HTML"),
    tlp: str = typer.Option("amber", help=f"Traffic Light Protocol marking: {' | '.join(TLP_NAMES)}"),
    participants: str = typer.Option("", help="participants, separated by ';' (default: those in the log)"),
    scenario: Path | None = typer.Option(None, help="scenario file (default: the one named in the log)"),
    sponsor: str = typer.Option("", help="the exercise's sponsor, for the overview"),
    poc: str = typer.Option("", help="the exercise's point of contact (overview, and plan items without one)"),
    scope: str = typer.Option("", help="the exercise's scope (default: the scenario's span and network)"),
) -> None:
    """Write the after-action report and improvement plan (HSEEP AAR/IP) of an exercise log.

    The report compares the exercise with its counterfactual: the same scenario and seed run
    without the players' decisions, and without each decision in turn."""
    from dashboards.aar import ReportError, build_report, bought, write_report
    from sim.exercise import ExerciseError
    from sim.scenario import ScenarioError

    if tlp.lower() not in TLP_NAMES:
        fail(f"--tlp must be one of {', '.join(TLP_NAMES)}, not '{tlp}'")
    people = [p.strip() for p in participants.split(";") if p.strip()]
    try:
        with console.status("replaying the exercise and running the counterfactual"):
            report = build_report(log, scenario, tlp, people, sponsor.strip(), poc.strip(), scope.strip())
    except ScenarioError as exc:
        fail(str(exc))
    except (ExerciseError, ReportError) as exc:
        fail(str(exc))
    target = out or Path("aar.md" if markdown else "aar.html")
    try:
        write_report(report, target, markdown)
    except OSError as exc:
        fail(f"cannot write {target}: {exc}")
    console.print(f"{bought(report)}", highlight=False, soft_wrap=True)
    console.print(f"wrote {target} (TLP:{tlp.upper()})", highlight=False)


def free_port(host: str, port: int) -> None:
    """Exit with one message unless ``host:port`` can be listened on.

    Parameters
    ----------
    host : str
        Address or host name to listen on.
    port : int
        TCP port.

    Raises
    ------
    typer.Exit
        When the host does not resolve or the port cannot be bound.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        fail(f"--host {host}: {exc.strerror}")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


@app.command()
def serve(
    scenario: Path = ScenarioArg,
    host: str = typer.Option("127.0.0.1", help="address to listen on (only this machine by default)"),
    port: int = typer.Option(8050, min=1, max=65535, help="port to listen on"),
    seed: int | None = typer.Option(None, min=0, help="random seed, ≥ 0 (default: the scenario's)"),
    log: Path | None = typer.Option(None, help="exercise log, JSON lines (default: runs/exercise-<id>-seed<seed>-<time>.jsonl)"),
    resume: Path | None = typer.Option(None, help="continue a saved exercise log (replays it first)"),
    participants: str = typer.Option("", help="participating organisations or people, separated by ';'"),
    seats: str = typer.Option("", help="seats, e.g. facilitator,police,fire,utility: each browser opens /?seat=NAME, "
                                       "commands its own units and is logged by seat (default: the scenario's "
                                       "exercise.seats, else no seats; a resumed log keeps its own)"),
    scripted_outcomes: bool = ScriptedOption,
) -> None:
    """Run a tabletop exercise in the browser: map, service curves, injects, decision forms.

    The page has clock controls and a form for each decision; every browser that connects
    drives the one exercise session held by this process and sees each change within a second."""
    from waitress import create_server

    from dashboards.app import create_app
    from ripple.run import map_layers, print_warnings
    from sim.exercise import ExerciseError
    from sim.exercise.seats import parse_seats, resolve_seats, scenario_seats
    from sim.overrides import ScenarioFile

    with scenario_problems(scenario):
        file = ScenarioFile.read(scenario)
    try:
        seated = parse_seats(seats, file.scenario) if seats.strip() else list(scenario_seats(file.scenario)) or None
    except ExerciseError as exc:
        fail(f"--seats: {exc}")
    free_port(host, port)
    background = map_layers(scenario, file.scenario)        # a bad layer stops before the log is opened
    print_warnings([shapes.note for shapes in background if shapes.note])
    session = open_session(scenario, seed, log, resume, participants, scripted_outcomes, file)
    recorded = session.recorded_seats
    if recorded is not None:             # a resumed log plays on with the seats it was played with
        if seats.strip() and seated != recorded:
            fail(f"{resume} was played with the seats {','.join(recorded)}; drop --seats to resume it")
        seated = recorded
    elif seated:
        try:
            session.take_seats(resolve_seats(seated, session.scenario))
        except OSError as exc:
            fail(f"cannot write the exercise log: {exc}")
    dash_app = create_app(session, host, port, seated, background=background)
    if host not in ("127.0.0.1", "localhost", "::1"):
        console.print(f"[bold yellow]warning:[/] listening on {host}: anyone who can reach it can drive the exercise "
                      "(there is no login)", highlight=False)
    shown = f"[{host}]" if ":" in host else host
    scripted = "; attack outcomes scripted" if session.scripted_outcomes else ""
    console.print(f"{session.scenario.name}: serving the exercise at http://{shown}:{port}/ (seed {session.seed}{scripted}); "
                  f"log {session.log_path}; Ctrl+C stops", highlight=False, soft_wrap=True)
    for seat in session.seats.values() if seated else ():
        named = f" ({seat.name})" if seat.name else ""
        console.print(f"  seat {seat.id}{named}, commands {'every unit' if seat.runs_the_clock else seat.describe()}: "
                      f"http://{shown}:{port}/?seat={seat.id}", highlight=False, soft_wrap=True)
    try:
        server = create_server(dash_app.server, host=host, port=port, threads=8)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    try:
        server.run()          # waitress, a production WSGI server; Ctrl+C ends it
    except KeyboardInterrupt:
        console.print("stopped", highlight=False)
