"""The `cpo` command. Errors become exit codes and short messages, never tracebacks.

Exit codes: 0 solved; 1 bad input (every problem located as FILE:LINE: path: found X,
expected Y); 2 command-line usage; 3 infeasible (with a diagnosis); 4 solver failed, hit its
limit without a usable plan, or the plan failed verification; 5 a usable, verified plan the
solver did not prove optimal (it stopped at --time-limit or above milp.mip_gap): printed with
a warning.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import os
import signal
import sys
from pathlib import Path
from typing import Iterator, Optional

import typer
from rich.console import Console
from rich.markup import escape

EXIT_OK, EXIT_INPUT, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_SOLVER, EXIT_UNPROVEN = 0, 1, 2, 3, 4, 5

app = typer.Typer(
    name="cpo",
    help="Compute-procurement portfolio optimizer: split an AI lab's training and inference "
         "demand across Nvidia, AWS Trainium, AMD, Broadcom (and any vendor in the catalog) "
         "at least cost, under supply, power, budget, concentration and resilience constraints.\n\n"
         "Start with:  cpo solve examples/openai.yaml",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(show: bool) -> None:
    if show:
        from . import __version__

        out_console.print(f"cpo {__version__}", highlight=False)
        raise typer.Exit()


QUIET = [False]
"""`cpo -q`: no progress lines, bars or spinners (results and errors still print)."""


@app.callback()
def _options(
    version: bool = typer.Option(False, "--version", "-V", callback=_version, is_eager=True,
                                 help="Print cpo's version and exit."),
    verbose: int = typer.Option(0, "--verbose", "-v", count=True,
                                help="Log to stderr: -v what cpo does (each solve, its time) and HiGHS's own log."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display on stderr."),
) -> None:
    """Compute-procurement portfolio optimizer (see `cpo COMMAND -h`)."""
    import logging

    QUIET[0] = quiet
    report = sys.modules.get("optimizer.report")  # (a process running several commands: tests, notebooks)
    if report is not None:
        report.TABLE_STYLE[0] = "table"  # until the command's --format says otherwise
    if verbose:
        logging.basicConfig(stream=sys.stderr, level=logging.DEBUG, format="%(name)s: %(message)s")
class _UncroppedConsole(Console):
    """A Console whose lines are never cut at its width: a table wider than the terminal
    (report.FitTable: numbers are never split) is written whole, for the terminal to wrap."""

    def print(self, *objects, **options) -> None:
        options.setdefault("crop", False)
        super().print(*objects, **options)


out_console = _UncroppedConsole(emoji=False)
err_console = Console(stderr=True, emoji=False, soft_wrap=True)  # never wrapped: FILE:LINE: ... stays one line

def _complete_objective(incomplete: str) -> list[str]:
    """Shell completion of --objective (the names loaded only when completing)."""
    from .formulation import OBJECTIVES

    return [name for name in OBJECTIVES if name.startswith(incomplete)]


def _complete_solver(incomplete: str) -> list[str]:
    """Shell completion of --solver: cpo's own, then pulp:NAME for each PuLP adapter installed."""
    import pulp

    from .solver import PULP_PREFIX, SOLVERS

    names = [*SOLVERS, *(PULP_PREFIX + name for name in pulp.listSolvers(onlyAvailable=True))]
    return [name for name in names if name.startswith(incomplete)]


def _complete_format(incomplete: str) -> list[str]:
    from .report import FORMATS

    return [name for name in FORMATS if name.startswith(incomplete)]


ConfigArg = typer.Argument(..., metavar="CONFIG", help="Scenario YAML (e.g. examples/openai.yaml).", show_default=False)
WhatifOpt = typer.Option([], "--whatif", "-w", metavar="FILE.yaml",
                         help="What-if YAML layered on the scenario (repeatable, in order).")
MoreWhatifOpt = typer.Option([], "--whatif", "-w", metavar="FILE.yaml", help="More what-if files (repeatable).")
SetOpt = typer.Option([], "--set", "-s", metavar="PATH=VALUE",
                      help="Override one value: PATH=VALUE, e.g. policy.hhi_weight_usd_per_year=1e9 (repeatable, "
                           "applied last).")
ObjectiveOpt = typer.Option(None, "--objective", "-o", metavar="NAME",
                            autocompletion=_complete_objective, help="As for solve.")
PricedObjectiveOpt = typer.Option(None, "--objective", "-o", metavar="NAME", autocompletion=_complete_objective,
                                  help="cost or multi-vendor (default: the scenario's objective, if one of these).")
SolverOpt = typer.Option("highs", "--solver", metavar="NAME",
                         autocompletion=_complete_solver, help="highs (default), cbc, highs-pulp or pulp:NAME.")
FormatOpt = typer.Option("table", "--format", metavar="table|markdown|csv|xlsx", autocompletion=_complete_format,
                         help="Tables printed as rich tables (default), Markdown or CSV (for pasting); with --out, a "
                              "CSV per table, or xlsx: one workbook, tables.xlsx, a sheet per table.")
JobsOpt = typer.Option(None, "--jobs", "-j", metavar="N", min=1, help="Parallel solves (default: the cores).")
CommitUntilOpt = typer.Option(None, "--commit-until", metavar="YEAR",
                              help="Hold the base plan's signings up to YEAR (2026 or 2026Q2): fixed, the rest "
                                   "re-optimised; with what-ifs, each as a surprise after them.")
CommittedOpt = typer.Option(None, "--committed", metavar="PLAN.csv",
                            help="Hold these signings (offer, period, acquired_units: the columns of plan.csv); "
                                 "the periods the file names are fixed to them (with --commit-until, up to YEAR).")


def _held(config, overrides, objective, solver, commit_until, committed):
    """The commitments the flags ask for: a plan file's (up to --commit-until), or the base plan's
    signings up to --commit-until (the base solved for them), or None."""
    from .commitments import from_result, read_csv

    if commit_until is not None:
        _check_period("--commit-until", commit_until)
    if committed is not None:
        held = read_csv(committed)
        return held.until(commit_until) if commit_until is not None else held
    if commit_until is None:
        return None
    import optimizer

    base = optimizer.load(config, overrides=overrides)
    return from_result(optimizer.solve(base, objective=objective, solver=solver), commit_until)


def _check_period(option: str, value: str) -> None:
    """A ConfigError at `option` unless `value` is a year or a quarter."""
    from .errors import ConfigError, Location, Problem
    from .schema import PERIOD_KEY

    if not PERIOD_KEY.fullmatch(value):
        raise ConfigError([Problem(Location(option), "", f"found {value!r}, expected a year like 2026 or a quarter "
                                   "like 2026Q2")])


@contextlib.contextmanager
def handle_errors(as_json: bool = False) -> Iterator[None]:
    """Map cpo's errors to exit codes with readable messages (and, for --json, a document)."""
    from .errors import ConfigError, InfeasibleError, SolverError, UsageError, VerificationError

    try:
        yield
    except ConfigError as exc:
        err_console.print(f"[red]error:[/red] {len(exc.problems)} problem(s) in the input:", highlight=False)
        for problem in exc.problems:
            err_console.print(f"  - {problem}", highlight=False, markup=False)
        raise typer.Exit(EXIT_INPUT)
    except InfeasibleError as exc:
        if as_json:
            details = exc.details.to_json() if exc.details is not None else {}
            sys.stdout.write(json.dumps({"status": "infeasible", "message": str(exc), "diagnosis": exc.diagnosis,
                                         **details}, indent=1) + "\n")
        err_console.print(f"[red]infeasible:[/red] {escape(str(exc))}", highlight=False)
        for line in exc.diagnosis:
            err_console.print(f"  - {line}", highlight=False, markup=False)
        raise typer.Exit(EXIT_INFEASIBLE)
    except VerificationError as exc:
        err_console.print("[red]refused:[/red] the solver's plan fails an independent check:", highlight=False)
        for line in exc.breaches[:20]:
            err_console.print(f"  - {line}", highlight=False, markup=False)
        raise typer.Exit(EXIT_SOLVER)
    except SolverError as exc:
        err_console.print(f"[red]solver failed:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_SOLVER)
    except UsageError as exc:
        err_console.print(f"error: {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    except OSError as exc:
        err_console.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_INPUT)


@app.command()
def solve(
    config: Path = ConfigArg,
    whatif: list[Path] = WhatifOpt,
    set_: list[str] = SetOpt,
    objective: Optional[str] = typer.Option(
        None, "--objective", "-o", metavar="NAME", autocompletion=_complete_objective,
        help="multi-vendor (cost + priced N-1 resilience + HHI weight; the default unless the "
             "scenario says otherwise), cost, max-share or hhi."),
    solver: str = typer.Option("highs", "--solver", metavar="NAME", autocompletion=_complete_solver,
                               help="highs (default), cbc (if installed), highs-pulp, or pulp:NAME for any PuLP "
                                    "adapter installed (pulp:GUROBI, pulp:CPLEX_CMD, ...)."),
    solver_option: list[str] = typer.Option([], "--solver-option", metavar="KEY=VALUE",
                                            help="A solver option (repeatable): HiGHS's own (solver=ipm, threads=2, "
                                                 "mip_rel_gap=0.001), or the PuLP adapter's keyword arguments."),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", metavar="SECONDS",
                                               help="Seconds before the solver stops.", min=0.0),
    fmt: str = FormatOpt,
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR",
                                       help="Write CSV tables, result.json and manifest.json to this directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the result document (JSON) on stdout and nothing else."),
    prices: bool = typer.Option(False, "--prices", help="List every binding constraint's price (by default the three "
                                                        "largest of each family) and market rent beside each price of "
                                                        "compute."),
    integer: bool = typer.Option(False, "--integer", help="Solve as a MILP: whole lots of units, minimum clusters, "
                                 "porting and tranches as binaries (milp: in the scenario); prices come from the LP "
                                 "with the integers fixed."),
    commit_until: Optional[str] = CommitUntilOpt,
    committed: Optional[Path] = CommittedOpt,
    scenarios: Optional[Path] = typer.Option(
        None, "--scenarios", metavar="S.yaml",
        help="A scenario file (examples/scenarios/): the stochastic plan instead, one set of here-and-now "
             "signings for every scenario; prints EVPI and VSS (objective cost or multi-vendor)."),
) -> None:
    """Solve a scenario: the plan, its cost, vendor shares and prices. With --commit-until or
    --committed, the signings the lab already holds are fixed and the rest re-optimised (with
    --whatif: the what-if as a surprise after them). With --scenarios, the stochastic plan:
    what to sign now, before knowing which scenario comes."""
    from .formulation import OBJECTIVES

    _check_choice("--objective", objective, OBJECTIVES)
    _check_solver(solver)
    if scenarios is not None and (commit_until is not None or committed is not None or integer):
        err_console.print("error: --scenarios plans the here-and-now signings itself: drop --commit-until, "
                          "--committed and --integer (set milp.integer in the scenario for a MILP)", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    with handle_errors(as_json):
        _check_outputs(out, fmt=fmt)
        import optimizer

        if scenarios is not None:
            _solve_stochastic(optimizer.load(config, whatifs=whatif, overrides=set_), scenarios, objective, solver,
                              time_limit, out, as_json, fmt)
            return
        overrides = list(set_) + (["milp.integer=true"] if integer else [])
        held = _held(config, overrides, objective, solver, commit_until, committed)
        scenario = optimizer.load(config, whatifs=whatif, overrides=overrides, commitments=held)
        with _milp_progress(scenario.data.milp.integer) as progress:
            result = optimizer.solve(scenario, objective=objective, solver=solver, time_limit=time_limit,
                                     progress=progress, solver_options=_solver_options(solver_option))
        if out is not None:
            from .outputs import manifest
            from .report import write_outputs

            options = {"command": "solve", "objective": result.objective, "solver": solver,
                       "solver_options": _solver_options(solver_option), "time_limit": time_limit,
                       "integer": scenario.data.milp.integer}
            write_outputs(result, out, manifest(scenario, options, seconds=result.seconds), fmt)
        if as_json:
            sys.stdout.write(result.to_json_text())
        else:
            from .report import print_result

            print_result(result, out_console, show_prices=prices)
            if out is not None:
                out_console.print(f"Wrote {out}/ ({_tables_written(fmt)}, result.json, manifest.json)", markup=False)
        if result.status != "optimal":
            _warn_unproven(result)
            raise typer.Exit(EXIT_UNPROVEN)


def _tables_written(fmt) -> str:
    """What --out holds besides the JSON: the workbook, or a CSV per table."""
    from .report import WORKBOOK

    return WORKBOOK if str(getattr(fmt, "value", fmt)) == "xlsx" else "CSV tables"


def _solve_stochastic(scenario, scenarios: Path, objective, solver, time_limit, out, as_json, fmt) -> None:
    """cpo solve --scenarios: the stochastic plan, printed, as JSON, or written to --out."""
    import optimizer

    from .report import print_stochastic, write_stochastic
    from .scenarios import read_scenarios

    scenario_set = read_scenarios(scenarios, scenario)
    with _step_progress(not as_json) as progress:
        result = optimizer.solve(scenario, objective=objective, solver=solver, time_limit=time_limit,
                                 scenarios=scenario_set, progress=progress)
    if out is not None:
        from .outputs import manifest

        inputs = [scenarios, *{w for s in scenario_set.scenarios for w in s.whatifs}]
        options = {"command": "solve --scenarios", "objective": result.objective, "solver": solver,
                   "time_limit": time_limit}
        made = manifest(scenario, options, seconds=result.seconds, inputs=sorted(map(str, inputs)))
        write_stochastic(result, out, made, fmt)
    if as_json:
        sys.stdout.write(json.dumps(result.to_json(), indent=1) + "\n")
        return
    print_stochastic(result, out_console)
    if out is not None:
        out_console.print(f"Wrote {out}/ ({_tables_written(fmt)}, result.json, manifest.json)",
                          markup=False)


@contextlib.contextmanager
def _step_progress(enabled: bool) -> Iterator:
    """progress(message) for a run of steps, on stderr: a live status line at a terminal, the
    main steps as lines otherwise (a log, a pipe); nothing with --json."""
    if not enabled or QUIET[0]:
        yield None
        return
    if err_console.is_terminal:
        with err_console.status("starting") as status:
            yield lambda message: status.update(message)
        return
    yield lambda message: None if message.startswith(("loading", "building")) else err_console.print(
        message, markup=False, highlight=False)


PLAIN_PROGRESS_SECONDS = 10.0
"""Seconds between progress lines when stderr is not a terminal (a log, a pipe)."""


@contextlib.contextmanager
def _milp_progress(integer: bool) -> Iterator:
    """A progress callback for a MILP on stderr: a live status line at a terminal, a line every
    PLAIN_PROGRESS_SECONDS otherwise; None for an LP (it takes seconds)."""
    if not integer or QUIET[0]:
        yield None
        return
    from .report import money

    def text(stage: str, best: float, bound: float, seconds: float) -> str:
        known = math.isfinite(best) and math.isfinite(bound) and best != 0
        gap = f"{(best - bound) / abs(best):.2%}" if known else "unknown"
        return (f"{stage}: best plan {money(best) if math.isfinite(best) else 'none yet'}, "
                f"bound {money(bound) if math.isfinite(bound) else 'none yet'}, gap {gap}, {seconds:.0f} s")

    if err_console.is_terminal:
        with err_console.status("MILP starting", spinner="dots") as status:
            yield lambda *state: status.update(text(*state))
        return
    last = [-PLAIN_PROGRESS_SECONDS]

    def line(*state) -> None:
        if state[-1] - last[0] >= PLAIN_PROGRESS_SECONDS:
            last[0] = state[-1]
            err_console.print(text(*state), highlight=False, markup=False, soft_wrap=True)

    yield line


def _warn_unproven(result) -> None:
    """A usable plan not proven optimal: say so on stderr (exit 5)."""
    from .report import gap_text

    why = result.message or f"status {result.status}"
    gap = f" (MIP gap {gap_text(result.mip_gap)})" if result.mip_gap is not None and "gap" not in why else ""
    err_console.print(f"[yellow]warning:[/yellow] {escape(why)}{gap}: the plan above is feasible and verified, "
                      "but not proven optimal; allow more --time-limit or a larger milp.mip_gap", highlight=False,
                      soft_wrap=True)


@app.command()
def compare(
    config: Path = ConfigArg,
    whatifs: Optional[list[Path]] = typer.Argument(None, metavar="WHATIF.yaml",
                                                   help="What-if files (e.g. examples/whatif/*.yaml).",
                                                   show_default=False),
    whatif: list[Path] = MoreWhatifOpt,
    set_: list[str] = SetOpt,
    objective: Optional[str] = ObjectiveOpt,
    solver: str = SolverOpt,
    jobs: Optional[int] = JobsOpt,
    fmt: str = FormatOpt,
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR",
                                       help="Write compare.csv and mix.csv to this directory."),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE.png",
                                        help="Write the vendor mix per scenario as stacked bars (PNG)."),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON and nothing else."),
    commit_until: Optional[str] = typer.Option(None, "--commit-until", metavar="YEAR",
                                               help="Also each what-if as a surprise: the base plan's signings up to "
                                                    "YEAR held, the rest re-optimised; its cost beside the foresight "
                                                    "one."),
) -> None:
    """Solve the base and each what-if alone on it; one table of cost, vendor mix, unmet demand and
    the marginal costs of compute that moved most. With --commit-until, each what-if's cost if it
    comes as a surprise after the base plan's early signings, beside its cost with foresight."""
    from .formulation import OBJECTIVES

    _check_choice("--objective", objective, OBJECTIVES)
    _check_solver(solver)
    layers = [*(whatifs or []), *whatif]
    if not layers:
        err_console.print("error: give at least one what-if file, e.g. examples/whatif/*.yaml", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    with handle_errors():
        _check_outputs(out, plot, fmt)
        import optimizer

        from .comparison import comparison_rows, price_moves, run_outcomes
        from .outputs import manifest
        from .report import plot_vendor_mix, print_comparison, write_tables

        if commit_until is not None:
            _check_period("--commit-until", commit_until)
        scenario = optimizer.load(config, overrides=set_)
        outcomes = run_outcomes(scenario, [str(p) for p in layers], objective, solver, jobs, commit_until)
        rows, moves = comparison_rows(outcomes), price_moves(outcomes)
        mix = [{"scenario": o.name, **m} for o in outcomes for m in o.mix]
        made = manifest(scenario, {"command": "compare", "objective": objective, "solver": solver,
                                   "commit_until": commit_until}, inputs=layers)
        if out is not None:
            write_tables({"compare.csv": rows, "mix.csv": mix, "price_moves.csv": moves}, out, made, fmt)
        if plot is not None:
            plot_vendor_mix(rows, plot, f"{scenario.name}: vendor mix under each what-if", made)
        _emit({"scenario": scenario.name, "rows": rows, "mix": mix, "price_moves": moves}, as_json,
              lambda: print_comparison(rows, moves, out_console), (out, plot))


@app.command()
def evaluate(
    config: Path = ConfigArg,
    whatifs: Optional[list[Path]] = typer.Argument(None, metavar="WHATIF.yaml",
                                                   help="What-if files to stress the plan with.",
                                                   show_default=False),
    plan: list[Path] = typer.Option([], "--plan", "-p", metavar="PLAN.csv", show_default=False,
                                    help="The signings the lab holds: offer, period, acquired_units (the columns of "
                                         "plan.csv); every period of the horizon is fixed to them (0 where none). "
                                         "With --scenarios, only the here-and-now periods, and repeatable (e.g. a "
                                         "stochastic plan's first_stage.csv beside the base plan's plan.csv)."),
    whatif: list[Path] = MoreWhatifOpt,
    set_: list[str] = SetOpt,
    objective: Optional[str] = typer.Option(None, "--objective", "-o", metavar="NAME",
                                            autocompletion=_complete_objective,
                                            help="As for solve (how operations are chosen)."),
    solver: str = typer.Option("highs", "--solver", metavar="NAME",
                               autocompletion=_complete_solver, help="highs (default), cbc, highs-pulp or pulp:NAME."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", metavar="N", min=1,
                                       help="Parallel solves (default: the cores)."),
    scenarios: Optional[Path] = typer.Option(None, "--scenarios", metavar="S.yaml",
                                             help="Hold the plans' signings up to the file's `until` and re-plan the "
                                                  "rest in each of its scenarios: mean, CVaR and spread of the cost."),
    sample: Optional[int] = typer.Option(None, "--sample", min=1, metavar="N",
                                         help="With --scenarios: N fresh draws from the file's distribution (its "
                                              "named scenarios and its sample) instead of the file's own scenarios."),
    seed: Optional[int] = typer.Option(None, "--seed", metavar="N",
                                       help="With --sample: the draws' seed (default: the file's sample seed + 1, "
                                            "so the draws are fresh)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-n", metavar="N", min=0,
                                          help="With --scenarios: processes of a local Dask cluster (default: the "
                                               "cores; 0: run here)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="tcp://HOST:PORT",
                                            help="With --scenarios: an existing Dask scheduler instead."),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE.png",
                                        help="With --scenarios: a histogram of each plan's cost (PNG)."),
    fmt: str = FormatOpt,
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR",
                                       help="Write evaluate.csv and commitments.csv (with --scenarios: "
                                                           "evaluate.csv and summary.csv) to this directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the evaluation as JSON and nothing else."),
    solution: Optional[Path] = typer.Option(None, "--solution", metavar="FILE.sol",
                                            help="Instead of --plan: a solution of the model `cpo export` writes, "
                                                 "solved elsewhere (lines NAME VALUE); the same report as solve."),
) -> None:
    """Cost, unmet demand, deal shortfalls, resilience and broken rules of a plan the lab already
    holds, under the base scenario and each what-if (only operations re-optimised). With
    --scenarios: the plans' here-and-now signings held in every scenario of a scenario file (or
    --sample N fresh draws from it), the rest re-planned: the out-of-sample check of a stochastic
    plan."""
    from .formulation import OBJECTIVES

    _check_choice("--objective", objective, OBJECTIVES)
    _check_solver(solver)
    layers = [*(whatifs or []), *whatif]
    if solution is not None:
        _evaluate_solution(config, solution, set_, objective, plan, layers, scenarios, as_json)
        return
    if not plan:
        err_console.print("error: give --plan PLAN.csv (or --solution FILE.sol)", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    if scenarios is None:
        needs = [name for name, value in (("--sample", sample), ("--seed", seed), ("--workers", workers),
                                          ("--scheduler", scheduler), ("--plot", plot)) if value is not None]
        if needs or len(plan) > 1:
            err_console.print(f"error: {', '.join(needs) or 'a second --plan'} needs --scenarios S.yaml (without it, "
                              "evaluate holds one whole plan under the base and each what-if)", highlight=False)
            raise typer.Exit(EXIT_USAGE)
    elif layers:
        err_console.print("error: with --scenarios, put the what-ifs in the scenario file (a scenario's whatifs:)",
                          highlight=False)
        raise typer.Exit(EXIT_USAGE)
    with handle_errors():
        _check_outputs(out, plot, fmt)
        import optimizer

        if scenarios is not None:
            scenario = optimizer.load(config, overrides=set_)
            _evaluate_scenarios(scenario, plan, scenarios, sample, seed, objective, solver, workers, scheduler,
                                plot, out, as_json, fmt)
            return
        plan = plan[0]

        from .commitments import read_csv
        from .evaluation import evaluation_rows, run_evaluation
        from .outputs import manifest
        from .report import print_evaluation, write_tables

        held = read_csv(plan)
        scenario = optimizer.load(config, overrides=set_)
        outcomes = run_evaluation(scenario, held, [str(p) for p in layers], objective, solver, jobs)
        rows = evaluation_rows(outcomes)
        commitments = [{"scenario": o.name, **r} for o in outcomes for r in o.commitments]
        made = manifest(scenario, {"command": "evaluate", "objective": objective, "solver": solver},
                        inputs=[plan, *layers])
        if out is not None:
            write_tables({"evaluate.csv": rows, "commitments.csv": commitments}, out, made, fmt)
        _emit({"scenario": scenario.name, "plan": str(plan), "rows": rows, "commitments": commitments}, as_json,
              lambda: print_evaluation(rows, str(plan), out_console), (out, None))


def _evaluate_solution(config, solution, set_, objective, plan, layers, scenarios, as_json) -> None:
    """cpo evaluate --solution: a solution solved elsewhere, reported as solve reports its own."""
    if plan or layers or scenarios is not None:
        err_console.print("error: --solution is the whole plan of the exported model: drop --plan, what-ifs and "
                          "--scenarios", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    with handle_errors(as_json):
        import optimizer

        from .evaluation import read_solution
        from .report import print_result

        result = read_solution(optimizer.load(config, overrides=set_), solution, objective)
        if as_json:
            sys.stdout.write(result.to_json_text())
            return
        print_result(result, out_console)


def _evaluate_scenarios(scenario, plans: list[Path], scenarios: Path, sample, seed, objective, solver, workers,
                        scheduler, plot, out, as_json, fmt) -> None:
    """cpo evaluate --scenarios: the plans' here-and-now signings held in each scenario (or fresh
    draw), with a progress bar; printed, as JSON, written to --out, plotted."""
    from .commitments import read_csv
    from .evaluation import out_of_sample
    from .outputs import manifest
    from .report import plot_out_of_sample, print_out_of_sample, write_tables
    from .scenarios import read_scenarios

    scenario_set = read_scenarios(scenarios, scenario)
    held = {str(path): read_csv(path) for path in plans}
    total = len(held) * (sample or len(scenario_set.scenarios))
    with _progress_bar(f"evaluate over {sample or len(scenario_set.scenarios)} scenarios", total, as_json) as advance:
        result = out_of_sample(scenario, held, scenario_set, sample, seed, objective, solver, workers, scheduler,
                               on_result=lambda row: advance())
    document = {"scenario": scenario.name, "scenarios_file": str(scenarios), "until": result.until,
                "alpha": result.alpha, "sample": sample, "seed": result.seed, "plans": list(held),
                "summary": result.summary, "rows": result.rows}
    made = manifest(scenario, {"command": "evaluate --scenarios", "objective": objective, "solver": solver,
                               "sample": sample, "seed": result.seed}, inputs=[*plans, scenarios])
    if out is not None:
        write_tables({"evaluate.csv": result.rows, "summary.csv": result.summary}, out, made, fmt)
    if plot is not None:
        plot_out_of_sample(document, plot, made)
    _emit(document, as_json, lambda: print_out_of_sample(document, out_console), (out, plot))


@contextlib.contextmanager
def _progress_bar(description: str, total: int, disabled: bool) -> Iterator:
    """advance() for a run of `total` solves, on stderr: done/total, elapsed and ETA."""
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                               TimeRemainingColumn)

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("eta"), TimeRemainingColumn())
    with Progress(*columns, console=err_console, disable=disabled or QUIET[0]) as progress:
        task = progress.add_task(description, total=total)
        yield lambda steps=1: progress.advance(task, steps)


@app.command()
def sweep(
    config: Path = ConfigArg,
    grid: Path = typer.Option(..., "--grid", "-g", metavar="GRID.yaml",
                              help="Grid YAML: parameters (cartesian) or points (a list).",
                              show_default=False),
    workers: Optional[int] = typer.Option(None, "--workers", "-n", metavar="N", min=0,
                                          help="Processes of a local Dask cluster (default: the cores; 0: run here)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="tcp://HOST:PORT",
                                            help="An existing Dask scheduler (docs/whatifs.md, sweeps on Dask)."),
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR",
                                       help="Stream each point to DIR/points/ and write DIR/results.csv."),
    resume: bool = typer.Option(False, "--resume", help="Finish an interrupted sweep in --out, skipping done points."),
    fmt: str = typer.Option("csv", "--format", metavar="csv|parquet", help="csv (default) or parquet (needs pyarrow)."),
    solver: str = typer.Option("highs", "--solver", metavar="NAME",
                               autocompletion=_complete_solver, help="highs (default), cbc, highs-pulp or pulp:NAME."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON and nothing else."),
    commit_until: Optional[str] = typer.Option(None, "--commit-until", metavar="YEAR",
                                               help="Hold the base plan's signings up to YEAR at every point: each "
                                                    "point a surprise after them."),
) -> None:
    """Solve many variations of a scenario (a grid of what-if changes) in parallel, on a local or
    remote Dask cluster; a progress bar, one tidy table, results streamed to --out."""

    _check_solver(solver)
    _check_choice("--format", fmt, ("csv", "parquet"))
    if resume and out is None:
        err_console.print("error: --resume needs --out (the directory of the interrupted sweep)", highlight=False)
        raise typer.Exit(EXIT_USAGE)
    with handle_errors():
        from .report import print_sweep
        from .sweeps import read_grid, run_sweep

        import optimizer

        if fmt == "parquet":
            _require("pyarrow", "--format parquet needs pyarrow: pip install pyarrow")
        if commit_until is not None:
            _check_period("--commit-until", commit_until)
        parsed = read_grid(grid)
        optimizer.load(config, whatifs=parsed.whatifs)  # bad base input fails here, before any worker starts
        with _progress_bar(f"sweep {parsed.description}", len(parsed.points), as_json) as advance:
            advance(len(list((out / "points").glob("[0-9]*.json"))) if resume and out else 0)
            rows = run_sweep(config, parsed, out, workers, scheduler, resume, solver,
                             on_result=lambda row: advance(), fmt=fmt, commit_until=commit_until)
        if as_json:
            sys.stdout.write(json.dumps(rows, indent=1, default=str) + "\n")
            return
        print_sweep(rows, out_console)
        if out is not None:
            out_console.print(f"Wrote {out}/results.{fmt} ({len(rows)} points; one JSON per point in {out}/points/)",
                              markup=False)


def _require(module: str, message: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        err_console.print(f"error: {message}", highlight=False)
        raise typer.Exit(EXIT_USAGE)


@app.command()
def frontier(
    config: Path = ConfigArg,
    whatif: list[Path] = WhatifOpt,
    set_: list[str] = SetOpt,
    measure: str = typer.Option("max-share", "--measure", "-m", metavar="NAME",
                                help="max-share (largest vendor share, default), hhi, or disruption (expected cost)."),
    points: int = typer.Option(10, "--points", metavar="N", min=2,
                               help="Points from the cheapest to the most diversified plan."),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE.png",
                                        help="Write cost against concentration (PNG), the scenario's plan marked."),
    fmt: str = FormatOpt,
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR", help="Write frontier.csv to this directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the frontier as JSON and nothing else."),
) -> None:
    """The price of diversification: least cost at each cap on vendor concentration, from the
    cheapest plan to the most diversified feasible one."""
    from .strategy import MEASURES

    _check_choice("--measure", measure, MEASURES)
    with handle_errors(as_json):
        _check_outputs(out, plot, fmt)
        import optimizer

        from .outputs import manifest
        from .report import plot_frontier, print_frontier, write_tables
        from .strategy import frontier_points, frontier_rows

        scenario = optimizer.load(config, whatifs=whatif, overrides=set_)
        document = frontier_points(scenario, measure, points)
        made = manifest(scenario, {"command": "frontier", "measure": measure, "points": points})
        if plot is not None:
            plot_frontier(document, plot, made)
        if out is not None:
            write_tables({"frontier.csv": frontier_rows(document)}, out, made, fmt)
        _emit(document, as_json, lambda: print_frontier(document, out_console), (plot, out))


@app.command()
def leverage(
    config: Path = ConfigArg,
    whatif: list[Path] = WhatifOpt,
    set_: list[str] = SetOpt,
    objective: Optional[str] = PricedObjectiveOpt,
    fmt: str = FormatOpt,
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR",
                                       help="Write leverage.csv (one row per offer) to this directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the leverage document as JSON and nothing else."),
) -> None:
    """Each vendor's weight in the plan, the cost of walking away from it, and how far each of its
    prices can move before the plan changes."""
    _check_choice("--objective", objective, ("cost", "multi-vendor"))
    with handle_errors(as_json):
        _check_outputs(out, fmt=fmt)
        import optimizer

        from .outputs import manifest
        from .report import print_leverage, write_tables
        from .strategy import leverage_document, leverage_rows

        scenario = optimizer.load(config, whatifs=whatif, overrides=set_)
        document = leverage_document(scenario, objective)
        if out is not None:
            write_tables({"leverage.csv": leverage_rows(document)}, out, fmt=fmt, manifest=
                         manifest(scenario, {"command": "leverage", "objective": objective}))
        _emit(document, as_json, lambda: print_leverage(document, out_console), (out,))


@app.command()
def alternatives(
    config: Path = ConfigArg,
    whatif: list[Path] = WhatifOpt,
    set_: list[str] = SetOpt,
    slack: float = typer.Option(0.01, "--slack", metavar="FRACTION", min=0.0, max=1.0,
                                help="Plans costing at most this fraction above the optimum (0.01: 1%)."),
    by: str = typer.Option("vendor", "--by", metavar="GROUP",
                           help="vendor (default), site, deal, or any offer attribute "
                                                  "(provider, region, product...)."),
    plans: int = typer.Option(0, "--plans", "-k", metavar="K", min=0, max=1000,
                              help="Also this many diverse plans, from random directions in the members' shares."),
    seed: int = typer.Option(0, "--seed", metavar="N", help="Seed of the random directions."),
    objective: Optional[str] = PricedObjectiveOpt,
    fmt: str = FormatOpt,
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR",
                                       help="Write ranges.csv and plans.csv to this directory."),
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE.png", help="Write the ranges as bars (PNG)."),
    as_json: bool = typer.Option(False, "--json", help="Print the ranges as JSON and nothing else."),
) -> None:
    """Near-optimal alternatives: how far each vendor's (site's, deal's) share of served compute can
    move among plans within --slack of the optimum that serve as much: the lab's room to negotiate."""
    _check_choice("--objective", objective, ("cost", "multi-vendor"))
    with handle_errors(as_json):
        _check_outputs(out, plot, fmt)
        import optimizer

        from .near_optimal import alternatives as near_optimal
        from .outputs import manifest
        from .report import plot_alternatives, print_alternatives, write_tables

        scenario = optimizer.load(config, whatifs=whatif, overrides=set_)
        found = near_optimal(scenario, slack, by, plans, objective, seed)
        made = manifest(scenario, {"command": "alternatives", "objective": found.objective, "slack": slack, "by": by,
                                   "plans": plans, "seed": seed})
        document = found.to_json()
        if out is not None:
            write_tables({"ranges.csv": document["ranges"], "plans.csv": document["plans"]}, out, made, fmt)
        if plot is not None:
            plot_alternatives(document, plot, made)
        _emit(document, as_json, lambda: print_alternatives(document, out_console), (out, plot))


def _emit(document, as_json: bool, show, written: tuple) -> None:
    """`--json`: the document on stdout and nothing else; otherwise the tables (`show()`), then
    the files written."""
    if as_json:
        from .results import json_ready

        sys.stdout.write(json.dumps(json_ready(document), indent=1) + "\n")
        return
    show()
    for target in written:
        if target is not None:
            out_console.print(f"Wrote {target}", markup=False)


@app.command()
def validate(config: Path = ConfigArg, whatif: list[Path] = WhatifOpt, set_: list[str] = SetOpt,
             show_effective: bool = typer.Option(False, "--show-effective",
                                                 help="List every value the what-ifs and --set changed: before, "
                                                      "after, where.")) -> None:
    """Check a scenario (and what-ifs) against the schema and the catalog; print every error at once.
    Warn (on stderr) about prices older than 12 months or resting only on an aggregator."""
    with handle_errors():
        import datetime

        import optimizer

        from .catalog import price_warnings, scenario_problems
        from .errors import ConfigError

        scenario = optimizer.load(config, whatifs=whatif, overrides=set_)
        problems = scenario_problems(scenario)
        if problems:
            raise ConfigError(problems)
        if show_effective:
            from .report import print_changes

            print_changes(scenario.changes, out_console)
        for warning in price_warnings(scenario, datetime.date.today()):
            err_console.print(f"warning: {warning}", highlight=False, markup=False)
        data = scenario.data
        out_console.print(
            f"ok: {scenario.name}: {len(data.periods)} periods ({data.periods[0].name}-{data.periods[-1].name}), "
            f"{len(data.workloads)} workloads, {len(data.vendors)} vendors ({', '.join(data.vendors)}), "
            f"{len(data.offers)} offer instances, {len(data.power)} sites", highlight=False, markup=False)


@app.command()
def vendors(
    directory: Optional[Path] = typer.Option(None, "--vendors", metavar="DIR",
                                             help="Catalog directory (default: the repo's vendors/)."),
    vendor: Optional[str] = typer.Option(None, "--vendor", metavar="NAME", help="Only this vendor."),
    assumptions: bool = typer.Option(False, "--assumptions",
                                     help="Only figures that are assumptions or derived from one (kind assumption)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON rows."),
) -> None:
    """The vendor catalog: every figure with its range, date, kind and source."""
    with handle_errors():
        from .catalog import catalog_rows

        rows = catalog_rows(directory, vendor, assumptions)
        if as_json:
            sys.stdout.write(json.dumps(rows, indent=1) + "\n")
            return
        from .report import FitTable, add_row

        for name in dict.fromkeys(r["vendor"] for r in rows):
            table = FitTable(title=escape(name), title_justify="left", show_lines=False)
            for column in ("item", "field", "value", "range", "as of", "kind", "source"):
                table.add_column(column, overflow="fold", justify="right" if column in ("value", "range") else "left")
            for row in rows:
                if row["vendor"] == name:
                    add_row(table, row["item"], row["field"], _figure_text(row["value"]),
                            f"{_figure_text(row['low'])}-{_figure_text(row['high'])}" if row["low"] is not None else "",
                            row["as_of"] or "", row["kind"] or "", row["source"])
            out_console.print(table)
        out_console.print(f"{len(rows)} figures; {sum(r['assumption'] for r in rows)} are assumptions or derived "
                          "from one.")


def _figure_text(value) -> str:
    """A figure's value (a number or a {period: number} series) in a table cell."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v:,.6g}" for k, v in value.items())
    return f"{value:,.6g}"


@app.command()
def sources(
    directory: Optional[Path] = typer.Option(None, "--vendors", metavar="DIR",
                                             help="Catalog directory (default: the repo's vendors/)."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON rows."),
) -> None:
    """The sourcing table: per vendor file, how many figures are dated (as_of and a kind other than
    assumption), assumptions with a low-high range, or neither (listed, to fix)."""
    with handle_errors():
        from .catalog import STATUSES, sourcing_rows, ungrounded

        rows = sourcing_rows(directory)
        missing = ungrounded(directory) if rows[-1]["neither"] else []
        if as_json:
            sys.stdout.write(json.dumps({"files": rows, "neither": missing}, indent=1) + "\n")
            return
        from .report import FitTable, add_row

        table = FitTable(title="Sourcing of the catalog's figures", title_justify="left")
        for column in ("file", "figures", *STATUSES):
            table.add_column(column, justify="left" if column == "file" else "right")
        for row in rows:
            add_row(table, row["file"], *(str(row[k]) for k in ("figures", *STATUSES)),
                    style="bold" if row["file"] == "total" else "")
        out_console.print(table)
        for name in missing:
            out_console.print(f"neither dated nor a ranged assumption: {name}", markup=False, highlight=False)


@app.command()
def sensitivity(
    config: Path = ConfigArg,
    whatif: list[Path] = WhatifOpt,
    set_: list[str] = SetOpt,
    top: int = typer.Option(15, "--top", metavar="N", min=1,
                            help="Figures shown in the table and the plot (files hold all)."),
    rank: str = typer.Option("cost", "--rank", metavar="cost|mix",
                             help="cost (the procurement cost swing, default) or mix (the largest "
                                                    "vendor-share move)."),
    objective: Optional[str] = ObjectiveOpt,
    solver: str = SolverOpt,
    jobs: Optional[int] = JobsOpt,
    plot: Optional[Path] = typer.Option(None, "--plot", metavar="FILE.png", help="Write the tornado (PNG)."),
    fmt: str = FormatOpt,
    out: Optional[Path] = typer.Option(None, "--out", metavar="DIR",
                                       help="Write sensitivity.csv (every figure) to this directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the tornado as JSON and nothing else."),
) -> None:
    """A tornado: re-solve with each ranged catalog figure at its low and its high end (everything
    else at base) and rank the figures by how far they move the procurement cost and the vendor mix."""
    from .formulation import OBJECTIVES
    from .sensitivity import RANKS

    _check_choice("--objective", objective, OBJECTIVES)
    _check_solver(solver)
    _check_choice("--rank", rank, RANKS)
    with handle_errors(as_json):
        _check_outputs(out, plot, fmt)
        import optimizer

        from .outputs import manifest
        from .report import write_tables
        from .sensitivity import plot_tornado, print_tornado, ranged_figures, sensitivity_document

        scenario = optimizer.load(config, whatifs=whatif, overrides=set_)
        with _progress_bar("sensitivity solves", 1 + 2 * len(ranged_figures(scenario)), as_json) as advance:
            document = sensitivity_document(scenario, objective, solver, jobs, rank, on_result=advance)
        made = manifest(scenario, {"command": "sensitivity", "objective": objective, "solver": solver, "rank": rank})
        if plot is not None:
            plot_tornado(document, plot, made, top)
        if out is not None:
            write_tables({"sensitivity.csv": document["rows"]}, out, made, fmt)
        _emit(document, as_json, lambda: print_tornado(document, out_console, top), (plot, out))


@app.command()
def schema(kind: str = typer.Option("config", "--kind", metavar="KIND",
                                    help="config (a scenario and its catalog, the default), vendor (one vendor "
                                         "file), whatif, grid (a sweep's) or scenarios (a file for --scenarios).")
           ) -> None:
    """Print the JSON Schema (draft 2020-12) of one kind of cpo file, for editor completion and checks."""
    from .schema import SCHEMA_KINDS, json_schema

    _check_choice("--kind", kind, SCHEMA_KINDS)
    sys.stdout.write(json.dumps(json_schema(kind), indent=1) + "\n")


@app.command()
def report(
    config: Path = ConfigArg,
    html_file: Path = typer.Option(..., "--html", metavar="REPORT.html", show_default=False,
                                   help="The page to write: self-contained (charts inlined), opens with no network."),
    whatif: list[Path] = typer.Option([], "--whatif", "-w", metavar="FILE.yaml",
                                      help="What-ifs to compare, each with its surprise cost (repeatable)."),
    scenarios: Optional[Path] = typer.Option(None, "--scenarios", metavar="S.yaml",
                                             help="Add the stochastic plan over this scenario file (EVPI, VSS, what "
                                                  "to sign now)."),
    set_: list[str] = SetOpt,
    objective: Optional[str] = ObjectiveOpt,
    solver: str = SolverOpt,
) -> None:
    """One HTML page for a board: the plan and what to sign now, the vendor mix, costs, deals,
    binding constraints, resilience, what-ifs and risks, and the catalog figures behind it."""
    from .formulation import OBJECTIVES

    _check_choice("--objective", objective, OBJECTIVES)
    _check_solver(solver)
    with handle_errors():
        from .html_report import _is_cpo_page, build_report, write_report
        from .outputs import check_file

        check_file(html_file, _is_cpo_page, "a new path or a report cpo wrote")
        import optimizer

        scenario = optimizer.load(config, overrides=set_)
        with _step_progress(True) as progress:
            if progress is not None:
                progress("solving the plan" + (", the what-ifs" if whatif else "")
                         + (" and the stochastic plan" if scenarios else ""))
            from .outputs import manifest

            made = manifest(scenario, {"command": "report", "objective": objective, "solver": solver},
                            inputs=[*whatif, *([scenarios] if scenarios else [])])
            page = build_report(scenario, whatif, scenarios, objective, solver, made)
        write_report(page, html_file)
        out_console.print(f"Wrote {html_file} ({len(page) / 1e6:.1f} MB)", markup=False, highlight=False)


@app.command("import")
def import_bids(
    sheet_file: Path = typer.Argument(..., metavar="BIDS.xlsx|BIDS.csv", show_default=False,
                                      help="A bid sheet: one offer per row (docs/whatifs.md lists the columns)."),
    vendor: str = typer.Option(..., "--vendor", metavar="NAME", show_default=False,
                               help="The catalog vendor the offers belong to (e.g. nvidia)."),
    out: Path = typer.Option(..., "--out", metavar="FILE.yaml", show_default=False,
                             help="The what-if to write: it adds the offers to the catalog."),
    sheet: Optional[str] = typer.Option(None, "--sheet", metavar="NAME",
                                        help="The workbook's sheet (default: the first)."),
    check: Optional[Path] = typer.Option(None, "--check", metavar="CONFIG",
                                         help="Also validate the offers against this scenario's catalog."),
) -> None:
    """Turn a vendor's bid sheet into a what-if layer adding its offers (with their sources) to the
    catalog: then `cpo solve CONFIG --whatif FILE.yaml` or `cpo compare CONFIG FILE.yaml`."""
    with handle_errors():
        from .bids import import_bids as run

        count = run(sheet_file, vendor, out, sheet, check)
        out_console.print(f"Wrote {out} ({count} offer(s) for {vendor}"
                          + (f"; checked against {check})" if check else ")"), markup=False, highlight=False,
                          soft_wrap=True)


@app.command()
def export(
    config: Path = ConfigArg,
    file: Path = typer.Argument(..., metavar="FILE", help="Output model file: .lp or .mps.", show_default=False),
    whatif: list[Path] = WhatifOpt,
    set_: list[str] = SetOpt,
    objective: Optional[str] = typer.Option(None, "--objective", "-o", metavar="NAME",
                                            autocompletion=_complete_objective,
                                            help="Objective to export (max-share and hhi export their cost stage)."),
    scenarios: Optional[Path] = typer.Option(None, "--scenarios", metavar="S.yaml",
                                             help="Export the stochastic plan's deterministic equivalent instead "
                                                  "(objective cost or multi-vendor)."),
) -> None:
    """Write the model (or, with --scenarios, the stochastic plan's deterministic equivalent) as an
    LP or MPS file for any other solver."""
    from .formulation import OBJECTIVES

    _check_choice("--objective", objective, OBJECTIVES)
    if file.suffix.lower() not in (".lp", ".mps"):
        err_console.print(f"error: {file}: found suffix {file.suffix!r}, expected .lp or .mps", highlight=False,
                          markup=False)
        raise typer.Exit(EXIT_USAGE)
    with handle_errors():
        import optimizer

        from .export import export_model, export_stochastic
        from .scenarios import read_scenarios

        scenario = optimizer.load(config, whatifs=whatif, overrides=set_)
        if scenarios is not None:
            rows, columns, scale = export_stochastic(scenario, read_scenarios(scenarios, scenario), file, objective)
        else:
            rows, columns, scale = export_model(scenario, file, objective)
        out_console.print(f"Wrote {file} ({rows} rows, {columns} columns; {scale.describe()})", markup=False)


def _check_outputs(out: Optional[Path], plot: Optional[Path] = None, fmt: str = "csv") -> None:
    """Refuse, before any work, an --out directory or --plot file cpo may not replace (exit 1
    through handle_errors; the writers check again); a --plot inside --out is a usage error
    (a file the directory's manifest would not list, so the next run would refuse it)."""
    if plot is not None and out is not None and Path(os.path.realpath(plot)).is_relative_to(os.path.realpath(out)):
        err_console.print(f"error: --plot {plot}: found a path inside --out {out}, which cpo writes as a whole; "
                          "expected a path outside it (e.g. beside it)", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE)
    if out is not None:
        from .outputs import check_directory

        check_directory(out)
    from .report import FORMATS, TABLE_STYLE

    _check_choice("--format", fmt, FORMATS)
    TABLE_STYLE[0] = fmt if fmt in ("markdown", "csv") else "table"
    if plot is not None:
        from .report import check_figure

        check_figure(plot)


def _check_solver(solver: str) -> None:
    """A usage error (exit 2) unless `solver` is one cpo can reach (solver.check_solver)."""
    from .errors import UsageError
    from .solver import check_solver

    try:
        check_solver(solver)
    except UsageError as exc:
        err_console.print(f"error: --{exc}", highlight=False, markup=False)
        raise typer.Exit(EXIT_USAGE)


def _solver_options(items: list[str]) -> dict:
    """--solver-option KEY=VALUE items as {KEY: VALUE}, each VALUE read as YAML (2 is an int, ipm a
    string, true a bool); a usage error (exit 2) for an item without '='."""
    import yaml

    options = {}
    for item in items:
        key, equals, value = item.partition("=")
        if not equals or not key.strip():
            err_console.print(f"error: --solver-option {item!r}: expected KEY=VALUE, e.g. solver=ipm", highlight=False,
                              markup=False)
            raise typer.Exit(EXIT_USAGE)
        options[key.strip()] = yaml.safe_load(value)
    return options


def _check_choice(option: str, value: Optional[str], choices) -> None:
    if value is not None and value not in choices:
        err_console.print(f"error: {option}: found {value!r}, expected one of {', '.join(choices)}", highlight=False,
                          markup=False)
        raise typer.Exit(EXIT_USAGE)


GC_GEN0_THRESHOLD = 100_000
"""Allocations between young-generation garbage collections in a `cpo` process (CPython's
default is 700). A run imports ~400 modules and builds and reads a model, making a few million
objects of which almost none are garbage; at 700, CPython collected ~150 times and scanned the
whole heap once, 65 ms of a 0.9 s `cpo solve examples/openai.yaml`; at 100,000, 12 ms
(docs/performance.md). At most this many unreachable objects wait for a collection (a few MB)."""


class Terminated(SystemExit):
    """SIGTERM, raised in the main thread so that `finally` blocks run (staged outputs are
    removed); exit 143, as a process killed by SIGTERM reports."""


def _terminate(signum: int, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated(128 + signum)


def main() -> None:
    gc.set_threshold(GC_GEN0_THRESHOLD, *gc.get_threshold()[1:])
    signal.signal(signal.SIGTERM, _terminate)
    # cpo uses NumPy for arrays, never for linear algebra: without this, OpenBLAS starts a
    # thread pool when NumPy is imported that kept a second core busy for ~0.1 s of every run
    # (and of every sweep worker). A value the user set is kept.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        app(prog_name="cpo")
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except Terminated as exc:
        err_console.print("terminated")
        sys.exit(exc.code)
