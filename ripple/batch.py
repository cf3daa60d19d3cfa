"""``ripple batch``, ``ripple compare`` and ``ripple summary``: Monte Carlo studies."""

from __future__ import annotations

import math
import shlex
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import typer

from ripple.app import app, console, fail, scenario_problems
from sim.engines import DASK_ENV

if TYPE_CHECKING:
    from rich.table import Table

    from sim.batch import BatchResult
    from sim.batchstore import Comparison
    from sim.overrides import ScenarioFile, Variant
    from sim.stats import MetricSummary, PairedDifference

__all__ = ["batch", "compare", "comparison_table", "summary", "summary_table", "write_summary"]

ScenarioArg = typer.Argument(..., help="scenario file (YAML)", show_default=False)
RunsOpt = typer.Option(None, "--runs", min=1, help="runs per batch (default 1000; on --resume, the batch's own)")
SeedOpt = typer.Option(None, "--seed", min=0, help="batch seed; run i seeds from (seed, i) (default: the scenario's)")
WorkersOpt = typer.Option(None, "--workers", min=1, help="local worker processes; 1 runs serially (default: all cores)")
SchedulerOpt = typer.Option(None, "--scheduler", envvar=DASK_ENV, help="Dask scheduler address, e.g. tcp://host:8786")
SetOpt = typer.Option([], "--set", help="override a scenario field: path=value (repeatable), e.g. policies.dispatch=fifo")
ResumeOpt = typer.Option(False, "--resume", help="continue the batch in --out, running only the missing runs")
HtmlOpt = typer.Option(False, "--html", help="also write an HTML report of the results")
ChunkOpt = typer.Option(None, "--chunk-size", min=1, help="runs per task (default: 10-50, by runs per worker)")


# ------------------------------------------------------------------ display
def p_value(p: float | None) -> str:
    """A p-value for a table: three decimals, ``<0.001`` below that, a dash for none.

    Parameters
    ----------
    p : float or None
        The p-value (fraction 0..1), or None when the test could not be run.

    Returns
    -------
    str
        E.g. ``"0.042"``, ``"<0.001"`` or ``"–"``.
    """
    return "–" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}")


def summary_table(title: str, summaries: dict[str, MetricSummary], only: tuple[str, ...] = ()) -> Table:
    """Per metric: runs with and without a value, mean, sd, quantiles and the interval of the
    mean, in the unit the metric catalogue shows it in; a recovery time by its Kaplan–Meier
    quantiles.

    Parameters
    ----------
    title : str
        The table's title.
    summaries : dict[str, MetricSummary]
        Metric name → its summary, in stored units.
    only : tuple[str, ...]
        The metrics to list (all when empty).

    Returns
    -------
    Table
        A rich table; a metric shows by its name (as ``--until-ci`` takes it) and unit.
    """
    from rich.table import Table

    from sim.metrics import metric

    table = Table(title=title)
    table.add_column("metric", no_wrap=True)
    table.add_column("unit", no_wrap=True)
    for name in ("n", "NaN", "mean", "sd", "5%", "50%", "95%", "95% CI of the mean"):
        table.add_column(name, justify="right")
    for name, s in summaries.items():
        if only and name not in only:
            continue
        num = _numbers(name)
        if s.km is not None:        # a recovery time: Kaplan–Meier, runs not recovered censored, no mean
            table.caption = ("recovery times (KM): Kaplan–Meier quantiles, runs not recovered censored at the end "
                             "of the run; their mean would be biased low")
            table.add_row(f"{name} (KM)", metric(name).unit, str(s.km.n), f"{s.km.censored} censored", "–", "–",
                          num(s.km.quantile(0.05)), num(s.km.median), num(s.km.quantile(0.95)), "–")
            continue
        table.add_row(name, metric(name).unit, str(s.n), str(s.missing) if s.missing else "", num(s.mean), num(s.sd),
                      num(s.q05), num(s.q50), num(s.q95), f"[{num(s.ci_low)}, {num(s.ci_high)}]")
    return table


def _numbers(name: str) -> Callable[[float | None], str]:
    """Format values of the metric ``name`` in its shown unit, a dash for no value."""
    from sim.metrics import metric

    info = metric(name)
    return lambda value: info.number(value, blank="–", average=True)


def comparison_table(comparison: Comparison) -> Table:
    """The headline metrics' paired differences per variant, in the catalogue's units.

    Parameters
    ----------
    comparison : Comparison
        A written comparison (:func:`sim.compare.write_comparison`).

    Returns
    -------
    Table
        A rich table; a difference whose interval excludes zero is bold.
    """
    from rich.table import Table

    from sim.metrics import HEADLINE, metric

    table = Table(title=f"paired differences, variant − {comparison.reference} (common random numbers)")
    for name in ("variant", "metric", "unit", "pairs", "reference mean", "variant mean", "difference", "95% CI",
                 "t-test p", "Wilcoxon p"):
        table.add_column(name, justify="left" if name in ("variant", "metric", "unit") else "right",
                         no_wrap=name in ("variant", "metric", "95% CI"))
    for variant, metrics in comparison.differences.items():
        for name in HEADLINE:
            d: PairedDifference | None = metrics.get(name)
            if d is None:
                continue
            num, info = _numbers(name), metric(name)
            clear = not math.isnan(d.ci_low) and (d.ci_low > 0 or d.ci_high < 0)
            diff = info.number(d.mean, signed=True, blank="–", average=True)
            table.add_row(variant, name, "points" if info.unit == "%" else info.unit, str(d.n), num(d.reference_mean),
                          num(d.variant_mean), f"[bold]{diff}[/]" if clear else diff,
                          f"[{num(d.ci_low)}, {num(d.ci_high)}]", p_value(d.t_p), p_value(d.wilcoxon_p))
        table.add_section()
    return table


# ------------------------------------------------------------------ helpers
def command_line() -> str:
    """The command as typed, shell-quoted, for the batch's manifest."""
    return shlex.join(["ripple", *sys.argv[1:]])


@contextmanager
def handled(folder: Path | None = None) -> Iterator[None]:
    """Turn the batch's expected failures into one clear message and an exit code.

    Parameters
    ----------
    folder : Path, optional
        The results folder of the batches the block runs: a failed batch then exits with
        code 1, and an interruption counts the finished runs it keeps. None for a block
        that only reads or checks.

    Raises
    ------
    typer.Exit
        Code 2 for bad overrides, stores or engines, and for a Dask scheduler lost
        mid-batch (its message counts the runs kept and says to resume); 1 for a failed
        batch or I/O error; 130 on Ctrl+C.
    """
    from sim.batchstore import MANIFEST, StoreError, done_indices
    from sim.engines import EngineError
    from sim.overrides import OverrideError

    if folder is None:
        failures: tuple[type[Exception], ...] = ()
    else:
        from sim.batch import BatchError

        failures = (BatchError,)
    try:
        yield
    except (OverrideError, StoreError, EngineError) as exc:
        fail(str(exc))
    except failures as exc:
        fail(str(exc), code=1)
    except (OSError, TimeoutError) as exc:
        fail(f"{type(exc).__name__}: {exc}", code=1)
    except KeyboardInterrupt:
        have = sum(len(done_indices(m.parent)) for m in folder.rglob(MANIFEST)) if folder and folder.exists() else 0
        kept = f"; {have} finished runs are kept in {folder}" if have else ""
        fail(f"interrupted{kept}. Run the same command with --resume to finish.", code=130)


def until_ci_option(text: str | None) -> tuple[str, float] | None:
    """The ``--until-ci METRIC=H`` option, parsed; exits with one message when malformed.

    Parameters
    ----------
    text : str or None
        The option as typed, or None when not given.

    Returns
    -------
    tuple of (str, float) or None
        The metric's name and the half-width H of the 95% CI of its mean to stop at
        (mean ± H), in the metric's stored unit; None without the option.
    """
    if text is None:
        return None
    metric, eq, half = text.partition("=")
    try:
        value = float(half)
    except ValueError:
        value = math.nan
    if not eq or not metric or not 0 < value < math.inf:
        fail(f"--until-ci {text}: expected METRIC=H with a half-width H > 0, e.g. resilience_loss_h=0.25 "
             "(stop once the 95% interval of the mean is within ±0.25)")
    return metric.strip(), value


def write_summary(folder: Path, only: tuple[str, ...] = ()) -> None:
    """Print a batch folder's summary table (of the metrics in ``only``, or all) and write
    ``summary.json`` (all metrics) into it.

    Parameters
    ----------
    folder : Path
        A batch folder of ``ripple batch``.
    only : tuple of str
        The metrics to print (all when empty); ``summary.json`` holds every metric.
    """
    from sim.batchstore import MANIFEST, StoreError, read_manifest, read_runs, write_json
    from sim.stats import summarize

    with handled():
        manifest = read_manifest(folder)
        if manifest is None:
            raise StoreError(f"{folder} holds no batch ({MANIFEST} is missing)")
        rows = read_runs(folder)
    summaries = summarize(rows)
    n = rows.num_rows
    write_json(folder / "summary.json", {
        "folder": str(folder), "scenario": manifest["scenario"]["id"], "seed": manifest["seed"], "runs": n,
        "runs_asked": manifest["runs"], "level": 0.95, "runs_to_halve_ci": 4 * n,
        "metrics": {name: s.as_dict() for name, s in summaries.items()},
    })
    title = f"{manifest['scenario']['name']}: {n} runs, seed {manifest['seed']}"
    console.print(summary_table(title, summaries, only))
    if n < manifest["runs"]:
        stop = manifest.get("until_ci")
        why = "unfinished; --resume finishes it"
        if isinstance(stop, dict):     # batches from before half-widths recorded a full "width"
            why = (f"stopped early by --until-ci {stop.get('metric')}=±{stop['half_width']:g}" if "half_width" in stop
                   else f"stopped early by --until-ci {stop.get('metric')} at an interval {stop.get('width')} wide")
        console.print(f"{n} of {manifest['runs']} runs asked ({why}).", highlight=False)
    console.print(f"Halving these confidence intervals takes about 4n = {4 * n:,} runs."
                  + (f" All metrics: ripple summary {folder}" if only else ""), highlight=False)


def write_html(folder: Path) -> None:
    """Write ``folder/report.html`` and say so; exits with one message when it cannot.

    Parameters
    ----------
    folder : Path
        A batch or comparison folder.
    """
    from dashboards.report import ReportError, write_report

    try:
        path = write_report(folder)
    except ReportError as exc:
        fail(str(exc))
    console.print(f"wrote {path}", highlight=False)


def finish_batch(result: BatchResult, html: bool) -> None:
    """Report a finished batch: runs and speed, why it stopped early, its headline summary.

    Parameters
    ----------
    result : BatchResult
        What :func:`sim.batch.run_batch` returned.
    html : bool
        Also write the HTML report.
    """
    from sim.batchstore import read_manifest
    from sim.metrics import HEADLINE

    resumed = (read_manifest(result.folder) or {}).get("resumed") or [{}]
    if damaged := resumed[-1].get("set_aside"):
        console.print(f"set aside {len(damaged)} unreadable chunk(s) in {result.folder}/damaged/ "
                      f"({', '.join(damaged)}); their runs ran again", highlight=False, soft_wrap=True)
    if result.ran:
        rate = result.ran / result.seconds
        console.print(f"{result.ran} runs in {result.seconds:.1f} s ({rate:.1f} runs/s, {result.engine}); "
                      f"{result.done} of {result.runs} in {result.folder}/", highlight=False)
    else:
        console.print(f"nothing to run: {result.folder}/ already holds {result.done} of {result.runs} runs",
                      highlight=False)
    if result.stopped_early:
        console.print(f"stopped early: {result.stopped_early}", highlight=False)
    write_summary(result.folder, only=HEADLINE)
    if html:
        write_html(result.folder)


def comparison(scenario: ScenarioFile, variants: list[Variant], sets: list[str], runs: int | None,
               seed: int | None, out: Path, workers: int | None, scheduler: str | None, resume: bool,
               chunk_size: int | None, sweep: bool, html: bool) -> None:
    """Run a comparison (``compare`` or ``batch --sweep``) and print its paired differences.

    Parameters
    ----------
    scenario : ScenarioFile
        The base scenario file, read.
    variants : list of Variant
        The arms compared with the base.
    sets : list of str
        ``--set path=value`` overrides applied to every arm.
    runs : int or None
        Runs per arm (None: the default, or the comparison's own on resume).
    seed : int or None
        The seed (None: the scenario's).
    out : Path
        The comparison folder.
    workers : int or None
        Local worker processes (None: all cores).
    scheduler : str or None
        A Dask scheduler address, instead of local workers.
    resume : bool
        Run only the runs missing from ``out``.
    chunk_size : int or None
        Runs per task (None: chosen by runs per worker).
    sweep : bool
        The variants are the values of swept fields, or their combinations (``--sweep``);
        the first is the reference.
    html : bool
        Also write the HTML report.
    """
    from ripple.progress import BarTask, progress_bar
    from sim.compare import run_compare
    from sim.overrides import parse_set

    with handled(out), progress_bar() as bar:
        result = run_compare(scenario, variants, runs, out, seed, overrides=tuple(parse_set(s) for s in sets),
                             sweep=sweep, workers=workers, scheduler=scheduler, resume=resume, chunk_size=chunk_size,
                             progress=lambda name: BarTask(bar, name), command=command_line())
    console.print(comparison_table(result))
    console.print(f"all metrics: {out / 'comparison.json'}; each arm's runs: {out}/<arm>/", highlight=False)
    if html:
        write_html(out)


# ----------------------------------------------------------------- commands
@app.command()
def batch(
    scenario: Path = ScenarioArg,
    runs: int | None = RunsOpt,
    seed: int | None = SeedOpt,
    out: Path | None = typer.Option(None, help="results folder (default: results/<scenario id>)"),
    workers: int | None = WorkersOpt,
    scheduler: str | None = SchedulerOpt,
    sets: list[str] = SetOpt,
    sweeps: list[str] = typer.Option([], "--sweep", help="compare over values of a field: path=v1,v2,v3; several "
                                     "--sweep run every combination (full factorial)"),
    until_ci: str | None = typer.Option(None, "--until-ci", metavar="METRIC=H",
                                        help="stop once the 95% CI of METRIC's mean is within ±H (checked at 30, 50, "
                                        "70, ... runs)"),
    resume: bool = ResumeOpt,
    html: bool = HtmlOpt,
    chunk_size: int | None = ChunkOpt,
    design: str | None = typer.Option(None, "--design", help="sample the --param ranges (lhs or sobol): one batch "
                                      "of --runs per point, for ripple discover"),
    params: list[str] = typer.Option([], "--param", help="with --design: PATH=LOW..HIGH (repeatable)"),
    points: int = typer.Option(32, "--points", min=2, max=256, help="with --design: points sampled"),
) -> None:
    """Run a scenario many times (Monte Carlo) on all cores or a Dask cluster; results survive a crash."""
    from ripple.progress import BarTask, progress_bar
    from ripple.run import print_warnings
    from sim.batch import run_batch
    from sim.overrides import ScenarioFile, parse_set, parse_sweeps, prepare
    from sim.scenario.sanity import sanity_warnings

    with scenario_problems(scenario):
        source = ScenarioFile.read(scenario)
    base = source.scenario
    stop = until_ci_option(until_ci)
    if design or params:
        from sim.decide.designs import design_variants, write_design
        from sim.decide.sensitivity import ParamError

        if not design or not params or sweeps or stop:
            fail("--design takes one or more --param PATH=LOW..HIGH, and neither --sweep nor --until-ci")
        try:
            parsed, values, variants = design_variants(params, design, points, base.seed if seed is None else seed,
                                                      source.data, base)
        except ParamError as exc:
            fail(str(exc))
        out = out or Path("results") / f"{base.id}-design"
        comparison(source, variants, sets, runs, seed, out, workers, scheduler, resume, chunk_size, True, html)
        write_design(out, parsed, values, [v.name for v in variants], design)
        return
    if sweeps:
        if stop:
            fail("--until-ci applies to a single batch, not to --sweep")
        with handled():
            variants = parse_sweeps(sweeps)
        out = out or Path("results") / f"{base.id}-sweep"
        comparison(source, variants, sets, runs, seed, out, workers, scheduler, resume, chunk_size, True, html)
        return
    out = out or Path("results") / base.id
    with handled():
        prepared = prepare(source, [parse_set(s) for s in sets])
    print_warnings(sanity_warnings(prepared.scenario))
    with handled(out), progress_bar() as bar:
        result = run_batch(prepared, runs, out, seed, workers=workers, scheduler=scheduler, resume=resume,
                           chunk_size=chunk_size, until_ci=stop, progress=BarTask(bar, prepared.scenario.id),
                           command=command_line())
    finish_batch(result, html)


@app.command()
def compare(
    scenario: Path = ScenarioArg,
    variants: list[str] = typer.Option(..., "--variant", help="NAME=overlay.yaml or NAME=path=value;path=value (repeatable)"),
    runs: int | None = RunsOpt,
    seed: int | None = SeedOpt,
    out: Path | None = typer.Option(None, help="results folder (default: results/<scenario id>-compare)"),
    workers: int | None = WorkersOpt,
    scheduler: str | None = SchedulerOpt,
    sets: list[str] = SetOpt,
    resume: bool = ResumeOpt,
    html: bool = HtmlOpt,
    chunk_size: int | None = ChunkOpt,
) -> None:
    """Run the scenario and each variant on the same run indices; report paired differences."""
    from sim.overrides import ScenarioFile, parse_variant

    with scenario_problems(scenario):
        source = ScenarioFile.read(scenario)
    with handled():
        parsed = [parse_variant(v) for v in variants]
    out = out or Path("results") / f"{source.scenario.id}-compare"
    comparison(source, parsed, sets, runs, seed, out, workers, scheduler, resume, chunk_size, False, html)


@app.command()
def summary(folder: Path = typer.Argument(..., help="a results folder of ripple batch or compare", show_default=False)) -> None:
    """Summarise a batch (per metric: mean, sd, quantiles, 95% CI) or a comparison; writes summary.json."""
    from sim.compare import PLAN, write_comparison

    if (folder / PLAN).exists():
        with handled():
            result = write_comparison(folder)
        console.print(comparison_table(result))
        console.print(f"all metrics: {folder / 'comparison.json'}", highlight=False)
        return
    if not folder.is_dir():
        fail(f"{folder}: no such results folder")
    write_summary(folder)
