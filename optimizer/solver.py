"""One place that runs solvers and maps their statuses to cpo's.

The default path hands HiGHS the whole model at once: the PuLP problem's rows are compiled to
CSR arrays and passed with `Highs.passModel` (no per-row Python calls into the solver).
`--solver cbc` (COIN_CMD, when CBC is installed) and `highs-pulp` (PuLP's own HiGHS adapter,
kept to check the fast path) go through PuLP.

Objectives `cost` and `multi-vendor` are one solve. `max-share` and `hhi` are lexicographic:
(1) minimise cost, (2) minimise the concentration measure without serving less demand than (1),
(3) minimise cost without exceeding the concentration found in (2).
"""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Callable

import numpy as np
import pulp

from .errors import SolverError, UsageError
from .formulation import Model

SOLVERS = ("highs", "cbc", "highs-pulp")
STATUSES = ("optimal", "infeasible", "unbounded", "time_limit", "error")

HIGHS_OPTIONS = {"output_flag": False, "simplex_scale_strategy": 0}
"""Options of every HiGHS cpo runs. The model is scaled by construction (thousands of units,
$M: model.py), and HiGHS's own simplex scaling on top of it made the examples 2-3x slower and
the large benchmark 3x slower, for the same optima (docs/performance.md)."""


_banner_lock = threading.Lock()
_banner_done = False


def quiet_highs():
    """A `highspy.Highs` with HIGHS_OPTIONS. highspy >= 1.13 prints a banner to stdout while the
    first instance of a process is built, before any option can be set, which would break
    `--json`. That one construction runs, under a lock, with file descriptor 1 sent into a pipe;
    afterwards fd 1 is restored and whatever else was written meanwhile (by another thread) is
    written back, without the banner. Later instances print nothing and skip all this, so no
    thread ever sees stdout redirected but during that first construction."""
    import highspy

    global _banner_done
    if not _banner_done:
        with _banner_lock:
            if not _banner_done:
                highs = _construct_absorbing_banner(highspy.Highs)
                _banner_done = True
            else:
                highs = highspy.Highs()
    else:
        highs = highspy.Highs()
    for option, value in HIGHS_OPTIONS.items():
        highs.setOptionValue(option, value)
    if HIGHS_LOG.isEnabledFor(logging.DEBUG):  # `cpo -v`: HiGHS's own log, through logging (stderr)
        highs.setOptionValue("output_flag", True)
        highs.setOptionValue("log_to_console", False)
        highs.cbLogging.subscribe(_log_highs_line)
    return highs


HIGHS_LOG = logging.getLogger("cpo.highs")


def _log_highs_line(event) -> None:
    HIGHS_LOG.debug(event.message.rstrip("\n"))


BANNER_PREFIXES = (b"Running HiGHS", b"Includes third-party", b"Copyright (c)")


def _construct_absorbing_banner(construct):
    """construct() with fd 1 captured; every captured line but HiGHS's banner is written back."""
    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError, AttributeError):  # no fd 1 (closed, or not a real file)
        return construct()
    read_end, write_end = os.pipe()
    os.dup2(write_end, 1)
    os.close(write_end)
    try:
        highs = construct()
        _flush_c_stdout()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        captured = _read_all(read_end)
        os.close(read_end)
    kept = b"".join(line for line in captured.splitlines(keepends=True) if not line.startswith(BANNER_PREFIXES))
    if kept:
        os.write(1, kept)
    return highs


def _read_all(fd: int) -> bytes:
    """Everything in a pipe whose write end is closed."""
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _flush_c_stdout() -> None:
    try:
        _c_runtime().fflush(None)
    except (OSError, TypeError, AttributeError):  # no C runtime reachable this way (Windows)
        pass


@functools.cache
def _c_runtime() -> ctypes.CDLL:
    """The process's C runtime, loaded once (each new handle leaves ctypes objects in cycles)."""
    return ctypes.CDLL(None)


GUARD_TOLERANCE = 1e-9
"""Relative and absolute slack on the concentration guard between lexicographic stages (the
measure is a share, so this is far below anything reported). The unmet guard has no slack:
stage 1's own solution satisfies it exactly."""


@dataclass
class Solution:
    status: str
    """One of STATUSES."""
    has_plan: bool
    objective: float
    """In LP units ($M), including the objective's constant."""
    values: np.ndarray
    """Per model.columns."""
    row_duals: np.ndarray
    """Per model.rows: d(objective)/d(rhs), in LP units."""
    solver: str
    seconds: float
    """In the solver for this plan (every stage's run, for staged objectives and the staged
    MILP; not the LP that prices a MILP's plan), not building or handing the model over."""
    message: str = ""
    stages: list[float] = field(default_factory=list)
    """Objective value of each stage (lexicographic objectives)."""
    mip_gap: float | None = None
    instrument_values: dict = field(default_factory=dict)
    """(option|package, name) -> value in $ by re-solve (instruments.values_by_resolve)."""


def solve_model(model: Model, objective: str, solver: str = "highs",
                time_limit: float | None = None, progress: "Progress | None" = None,
                options: dict | None = None) -> Solution:
    """Solve `model` for `objective` (see the module docstring for the stages); `progress` is
    told how a MILP is going (HiGHS only); `options` as open_session's."""
    parts = model.objectives
    if objective in ("cost", "multi-vendor"):
        expression = parts["cost"] if objective == "cost" else multi_vendor_objective(model)
        session = open_session(model, expression, solver, time_limit, progress, options)
        return _with_instrument_values(session, expression, session.run())

    measure = parts["max_share" if objective == "max-share" else "mean_hhi"]
    session = open_session(model, parts["cost"], solver, time_limit, progress, options)
    first = session.run(prices=False)
    if first.status != "optimal":
        return first
    for (w, t), var in model.family("u").items():
        served_at_least = max(first.values[var.column], 0.0)
        model.add_row("unmet_guard", (w, t), [(var, 1.0)], "<=", served_at_least, 1.0)
    session.set_objective(measure)
    second = session.run(prices=False)
    if second.status != "optimal":
        return second
    model.add_row("concentration_guard", (), list(measure.items()), "<=",
                  second.objective * (1 + GUARD_TOLERANCE) + GUARD_TOLERANCE, 1.0)
    session.set_objective(parts["cost"])
    third = session.run()
    third.stages = [first.objective, second.objective, third.objective]
    third.seconds += first.seconds + second.seconds
    return _with_instrument_values(session, parts["cost"], third)


def _with_instrument_values(session, objective: pulp.LpAffineExpression, solution: Solution) -> Solution:
    """The solution with its options' and packages' values by warm re-solves of the same session
    (instruments.values_by_resolve), when it has a plan and the model has any."""
    data = session.model.data
    if solution.has_plan and (data.options or data.packages):
        from .instruments import values_by_resolve

        solution.instrument_values = values_by_resolve(session, objective, fixed=solution.values)
    return solution


def open_session(model: Model, objective: pulp.LpAffineExpression, solver: str = "highs",
                 time_limit: float | None = None, progress: "Progress | None" = None,
                 options: dict | None = None) -> "HighsSession | PulpSession":
    """A model ready for repeated solves: `highs` loads it into HiGHS once (HighsSession);
    `cbc`, `highs-pulp` and `pulp:NAME` (any PuLP adapter) re-solve the PuLP problem each time
    (PulpSession). `options`: HiGHS options (`highs`: solver=ipm, threads, mip_rel_gap, ...) or
    the PuLP adapter's keyword arguments."""
    check_solver(solver)
    deadline = time.monotonic() + time_limit if time_limit is not None else None
    if solver == "highs":
        return HighsSession(model, objective, deadline, progress, options)
    return PulpSession(model, objective, solver, deadline, options)


PULP_PREFIX = "pulp:"


def check_solver(solver: str) -> None:
    """A UsageError unless `solver` is one of SOLVERS or `pulp:NAME` for a PuLP adapter NAME
    (pulp.listSolvers(); whether it is installed is checked when it runs)."""
    if solver in SOLVERS:
        return
    if solver.startswith(PULP_PREFIX) and solver[len(PULP_PREFIX):] in pulp.listSolvers():
        return
    raise UsageError(f"solver: found {solver!r}, expected one of {', '.join(SOLVERS)} or pulp:NAME with NAME one "
                     f"of PuLP's adapters ({', '.join(dict.fromkeys(pulp.listSolvers()))})")


SMALL_MILP_COLUMNS = 2000
"""MILPs this small are solved without HiGHS's presolve: HiGHS 1.16's MIP presolve returns a
wrong plan as optimal on a two-offer model whose lots number 1e5 or more (x = L·lots with
L / scale.units = 1e-5: 60 + 100 units bought for a demand of 100, gap 0; the presolve bugs of
ERGO-Code/HiGHS #3073, #3094, #3274 are of the same kind). Small models solve in moments
either way; large ones keep presolve, which the flagship MILP needs for its time limit."""


Progress = Callable[[str, float, float, float], None]
"""progress(stage, best_usd, bound_usd, seconds): a MILP's best plan and proven bound so far
($, inf until there is one), about once a second."""
PROGRESS_SECONDS = 1.0


class HighsSession:
    """The model loaded in HiGHS once. Re-solves change only what changed (objective, column
    bounds, row bounds, rows added to the model since) and start from the previous basis."""

    def __init__(self, model: Model, objective: pulp.LpAffineExpression, deadline: float | None,
                 progress: Progress | None = None, options: dict | None = None):
        self.model, self.deadline = model, deadline
        self.highs = quiet_highs()
        self.stage = ["MILP"]
        """The MILP stage running, for progress (a list the progress callback shares, so that
        it holds no reference to the session)."""
        arrays = compile_arrays(model, objective)
        arrays.load_into(self.highs)
        self.rows_loaded = len(model.rows)
        self.integers = np.flatnonzero(arrays.integrality).astype(np.int32)
        self.integer_bounds = (arrays.col_lower[self.integers], arrays.col_upper[self.integers])
        lots = {v.column for v in model.family("lots").values()}
        self.lots = np.array(sorted(lots), dtype=np.int32)
        # (a set difference: np.setdiff1d would import numpy.ma, 20 ms of every start-up)
        self.binaries = np.array([c for c in self.integers.tolist() if c not in lots], dtype=np.int32)
        if self.integers.size:
            self.highs.setOptionValue("mip_rel_gap", model.data.milp.mip_gap / 2)
            if progress is not None:
                self._report_progress_to(progress)
        for option, value in (options or {}).items():  # the user's, last: they win
            _set_highs_option(self.highs, option, value)

    def _report_progress_to(self, progress: Progress) -> None:
        """Tell `progress` how the branch-and-bound goes, at most every PROGRESS_SECONDS."""
        money, stage, last = self.model.scale.money, self.stage, [-PROGRESS_SECONDS]

        def on_event(event) -> None:
            out = event.data_out
            if out.running_time - last[0] >= PROGRESS_SECONDS:
                last[0] = out.running_time
                progress(stage[0], out.mip_primal_bound * money, out.mip_dual_bound * money, out.running_time)

        self.highs.cbMipInterrupt.subscribe(on_event)

    def set_objective(self, objective: pulp.LpAffineExpression) -> None:
        cost = np.zeros(len(self.model.columns))
        for var, coef in objective.items():
            cost[var.column] += coef
        self.highs.changeColsCost(len(cost), np.arange(len(cost), dtype=np.int32), cost)
        self.highs.changeObjectiveOffset(float(objective.constant))

    def set_upper_bounds(self, columns: list[pulp.LpVariable], upper: list[float]) -> None:
        """Change column upper bounds (e.g. 0 to exclude an offer); lower bounds stay 0."""
        import highspy

        self.set_column_bounds(columns, np.zeros(len(columns)),
                               np.array([u if u is not None else highspy.kHighsInf for u in upper], dtype=float))

    def set_column_bounds(self, columns: list[pulp.LpVariable], lower: np.ndarray, upper: np.ndarray) -> None:
        """Change column bounds (in LP units; np.inf for none)."""
        index = np.array([v.column for v in columns], dtype=np.int32)
        self.highs.changeColsBounds(len(index), index, np.asarray(lower, dtype=float), np.asarray(upper, dtype=float))

    def prefer_primal(self) -> None:
        """Re-solve from the last basis with primal simplex and no presolve: after the objective
        changes (or rows are relaxed) that basis stays feasible, and on the example a re-solve
        takes 0.01-0.03 s this way against 0.2 s with presolve (docs/performance.md)."""
        self.highs.setOptionValue("presolve", "off")
        self.highs.setOptionValue("simplex_strategy", 4)

    def set_row_bounds(self, rows: list, lower: float, upper: float) -> None:
        """Bound rows between `lower` and `upper` (np.inf for none): e.g. an equality relaxed away."""
        self._sync_rows()
        index = np.array([row.position for row in rows], dtype=np.int32)
        self.highs.changeRowsBounds(len(index), index, np.full(len(index), lower), np.full(len(index), upper))

    def set_row_upper(self, row, upper: float) -> None:
        """Change the right-hand side of a `<=` row (e.g. a frontier's share cap)."""
        import highspy

        self._sync_rows()
        self.highs.changeRowBounds(row.position, -highspy.kHighsInf, upper)

    def run(self, prices: bool = True) -> Solution:
        """Solve; with integers, `prices` re-solves the LP with them fixed, for the row duals and
        for continuous values optimal given the integers (stages whose plan and prices nobody
        reads skip it)."""
        self._sync_rows()
        small = self.integers.size and len(self.model.columns) <= SMALL_MILP_COLUMNS
        if small:
            self.highs.setOptionValue("presolve", "off")
        if self.lots.size and self.binaries.size:
            solution = self._run_integer()
        else:
            self._set_time_limit()
            solution = run_highs(self.highs, self.model)
        if small:  # the LP with the integers fixed (prices) keeps presolve
            self.highs.setOptionValue("presolve", "choose")
        if prices and self.integers.size and solution.has_plan:
            self._polish_with_integers_fixed(solution)
        return solution

    def run_with_integers_fixed(self, values: np.ndarray, keep) -> Solution:
        """One solve with whole lots relaxed and every binary but those in `keep` fixed at its
        rounded value in `values` (a MILP's plan): the re-solves of instruments.py, which must
        not cost a whole MILP each (two per option or package made the flagship MILP miss its
        60 s); lots move a value by at most their rounding."""
        self._sync_rows()
        kept = {column.column for column in keep}
        fixed = np.array([c for c in self.binaries.tolist() if c not in kept], dtype=np.int32)
        highs, lots = self.highs, self.lots
        highs.changeColsIntegrality(lots.size, lots, np.zeros(lots.size, dtype=np.uint8))
        try:
            return self._run_with(fixed, relax=True, fix=values)
        finally:
            highs.changeColsIntegrality(lots.size, lots, np.ones(lots.size, dtype=np.uint8))

    def _set_time_limit(self) -> None:
        if self.deadline is not None:
            self.highs.setOptionValue("time_limit", max(self.deadline - time.monotonic(), 0.0))

    def _run_integer(self) -> Solution:
        """The MILP with lots and binaries (tranches, clusters, porting), in stages (a MILP
        with only one kind is solved whole, by run()):
        (1) lots relaxed, binaries integral: its proven dual bound is a lower bound on the MILP,
        being a relaxation of it; (2) binaries fixed at (1)'s values, lots integral; (3) lots
        fixed at (2)'s values, binaries free again, so that a tranche the rounded lots reach is
        earned. The gap reported is (plan − bound) / plan, so it is proven, and the status is
        optimal when it is within milp.mip_gap. Branching on everything at once stalls on the
        example: HiGHS branches on lot counts in the hundreds of thousands, which never moves
        the bound (docs/model.md). If (2) fails or the gap is too wide (small models, large
        lots), the whole MILP is solved, started from the stages' plan where there is one."""
        highs, lots, binaries = self.highs, self.lots, self.binaries
        self.stage[0] = "MILP stage 1 of 3 (lots relaxed)"
        first = self._run_with(lots, relax=True)
        bound = highs.getInfo().mip_dual_bound
        if not first.has_plan:
            return first
        self.stage[0] = "MILP stage 2 of 3 (binaries fixed)"
        second = self._run_with(binaries, fix=first.values)
        spent = first.seconds + second.seconds
        if second.has_plan:
            self.stage[0] = "MILP stage 3 of 3 (lots fixed)"
            third = self._run_with(lots, fix=second.values)
            spent += third.seconds
            best = third if third.has_plan and third.objective <= second.objective else second
            best.seconds = spent
            best.mip_gap = max(best.objective - bound, 0.0) / max(abs(best.objective), 1e-9)
            if best.mip_gap <= self.model.data.milp.mip_gap * (1 + 1e-9):
                best.status = "optimal"
                return best
            highs.setSolution(len(best.values), np.arange(len(best.values), dtype=np.int32), best.values)
        self._set_time_limit()
        self.stage[0] = "MILP (whole)"
        whole = run_highs(highs, self.model)
        spent += whole.seconds
        whole_bound = highs.getInfo().mip_dual_bound
        if np.isfinite(whole_bound):
            bound = max(bound, whole_bound)
        plans = [s for s in ((best if second.has_plan else None), whole) if s is not None and s.has_plan]
        if not plans:
            whole.seconds = spent
            return whole
        chosen = min(plans, key=lambda s: s.objective)
        chosen.seconds = spent
        chosen.mip_gap = max(chosen.objective - bound, 0.0) / max(abs(chosen.objective), 1e-9)
        proven = chosen.mip_gap <= self.model.data.milp.mip_gap * (1 + 1e-9)
        chosen.status = "optimal" if proven else "time_limit"
        chosen.message = "" if proven else (f"the solver stopped with a {chosen.mip_gap:.3%} MIP gap (best plan against "
                                            f"its proven bound), above milp.mip_gap {self.model.data.milp.mip_gap:.3%}")
        return chosen

    def _run_with(self, columns: np.ndarray, relax: bool = False, fix: np.ndarray | None = None) -> Solution:
        """One solve with `columns` made continuous (relax) or fixed at their rounded values in
        `fix`; their integrality and bounds are restored afterwards."""
        highs, count = self.highs, len(columns)
        if relax:
            highs.changeColsIntegrality(count, columns, np.zeros(count, dtype=np.uint8))
        if fix is not None:
            fixed = np.round(fix[columns])
            highs.changeColsBounds(count, columns, fixed, fixed)
        self._set_time_limit()
        solution = run_highs(highs, self.model)
        if relax:
            highs.changeColsIntegrality(count, columns, np.ones(count, dtype=np.uint8))
        if fix is not None:
            where = np.searchsorted(self.integers, columns)
            highs.changeColsBounds(count, columns, self.integer_bounds[0][where], self.integer_bounds[1][where])
        return solution

    def _polish_with_integers_fixed(self, solution: Solution) -> None:
        """A MILP's plan and prices: the LP with every integer column fixed at its value,
        re-solved (the columns are restored afterwards for later re-solves). Its duals are the
        prices; its values replace the MILP's, whose continuous columns may come from a
        heuristic and sit short of their optimum (a take-or-pay shortfall $1.30 above what
        the plan owes, in one fuzz case)."""
        fixed = self._run_with(self.integers, relax=True, fix=solution.values)
        if fixed.status != "optimal":
            solution.row_duals = np.zeros(len(self.model.rows))
            return
        solution.row_duals = fixed.row_duals
        if fixed.objective <= solution.objective:
            solution.values, solution.objective = fixed.values, fixed.objective

    def _sync_rows(self) -> None:
        """Pass rows the model gained since the last solve (guards, caps) to HiGHS."""
        new = self.model.rows[self.rows_loaded:]
        if not new:
            return
        arrays = compile_arrays(self.model, pulp.LpAffineExpression(), rows=new)
        self.highs.addRows(len(new), arrays.row_lower, arrays.row_upper, len(arrays.values), arrays.starts[:-1],
                           arrays.indices, arrays.values)
        self.rows_loaded = len(self.model.rows)


def _set_highs_option(highs, option: str, value) -> None:
    """One HiGHS option, or a UsageError naming it (an unknown option, a value of the wrong type)."""
    import highspy

    if highs.setOptionValue(option, value) == highspy.HighsStatus.kError:
        raise UsageError(f"--solver-option {option}={value!r}: HiGHS has no such option, or it takes another type "
                         "(https://ergo-code.github.io/HiGHS/stable/options/definitions/)")


class PulpSession:
    """Re-solves through PuLP (CBC, PuLP's own HiGHS adapter, or any adapter: pulp:NAME): the
    whole problem each time."""

    def __init__(self, model: Model, objective: pulp.LpAffineExpression, solver: str, deadline: float | None,
                 options: dict | None = None):
        self.model, self.objective, self.solver, self.deadline = model, objective, solver, deadline
        self.options = dict(options or {})

    def set_objective(self, objective: pulp.LpAffineExpression) -> None:
        self.objective = objective

    def set_upper_bounds(self, columns: list[pulp.LpVariable], upper: list[float]) -> None:
        for var, bound in zip(columns, upper):
            var.upBound = bound

    def set_row_upper(self, row, upper: float) -> None:
        row.constraint.changeRHS(upper)

    def set_column_bounds(self, columns: list[pulp.LpVariable], lower, upper) -> None:
        """Change column bounds (in LP units; np.inf for none) on the PuLP columns themselves."""
        for var, low, high in zip(columns, lower, upper):
            var.lowBound, var.upBound = float(low), (None if np.isinf(high) else float(high))

    def run(self, prices: bool = True) -> Solution:
        """Solve (PuLP's solvers return their duals with the plan: `prices` changes nothing)."""
        remaining = max(self.deadline - time.monotonic(), 0.0) if self.deadline is not None else None
        return _run_pulp(self.model, self.objective, self.solver, remaining, self.options)


def multi_vendor_objective(model: Model) -> pulp.LpAffineExpression:
    """cost + resilience + hhi (the parts are empty where the model has no such columns)."""
    parts = model.objectives
    return parts["cost"] + parts["resilience"] + parts["hhi"]


@dataclass
class Arrays:
    """An LP as arrays for HiGHS: CSR rows (`rowwise`) or CSC columns."""

    cost: np.ndarray
    offset: float
    col_lower: np.ndarray
    col_upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    indices: np.ndarray
    values: np.ndarray
    integrality: np.ndarray
    rowwise: bool = True

    def load_into(self, highs) -> None:
        """Hand the whole model to HiGHS in one call: Highs.passModel on the arrays themselves
        (NumPy buffers, no copy through Python objects: on the large benchmark, filling a
        HighsLp's matrix took 0.16 s, this call takes 0.04 s). Integrality is always given,
        all zeros (continuous) for an LP, which HiGHS then solves as an LP."""
        import highspy

        matrix_format = highspy.MatrixFormat.kRowwise if self.rowwise else highspy.MatrixFormat.kColwise
        status = highs.passModel(len(self.cost), len(self.row_lower), len(self.values), int(matrix_format.value),
                                 int(highspy.ObjSense.kMinimize.value), self.offset, self.cost, self.col_lower,
                                 self.col_upper, self.row_lower, self.row_upper, self.starts, self.indices,
                                 self.values, self.integrality)
        if status == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected the model (passModel failed)")


def compile_arrays(model: Model, objective: pulp.LpAffineExpression, rows=None) -> Arrays:
    """Rows of the PuLP problem (all, or `rows`) -> CSR arrays, columns in model.columns order
    (each column carries its position as `var.column`, set when the model created it)."""
    import highspy

    inf = highspy.kHighsInf
    n = len(model.columns)
    cost = np.zeros(n)
    for var, coef in objective.items():
        cost[var.column] += coef
    lower = np.array([v.lowBound if v.lowBound is not None else -inf for v in model.columns], dtype=float)
    upper = np.array([v.upBound if v.upBound is not None else inf for v in model.columns], dtype=float)
    integrality = np.array([1 if v.cat == pulp.LpInteger else 0 for v in model.columns], dtype=np.int32)
    rows = model.rows if rows is None else rows
    expressions = [row.constraint.expr for row in rows]
    lengths = np.fromiter(map(len, expressions), dtype=np.int64, count=len(expressions))
    starts = np.zeros(len(expressions) + 1, dtype=np.int32)
    np.cumsum(lengths, out=starts[1:])
    nonzeros = int(starts[-1])
    indices = np.fromiter(map(attrgetter("column"), chain.from_iterable(expressions)), dtype=np.int32,
                          count=nonzeros)
    values = np.fromiter(chain.from_iterable(map(dict.values, expressions)), dtype=float, count=nonzeros)
    bounds = np.fromiter((-row.constraint.constant for row in rows), dtype=float, count=len(rows))
    senses = np.fromiter((row.constraint.sense for row in rows), dtype=np.int8, count=len(rows))
    row_lower = np.where(senses == pulp.LpConstraintLE, -inf, bounds)
    row_upper = np.where(senses == pulp.LpConstraintGE, inf, bounds)
    return Arrays(cost, float(objective.constant), lower, upper, row_lower, row_upper, starts, indices, values,
                  integrality)


def run_highs(highs, model: Model) -> Solution:
    """Run a Highs instance that holds the model and read its solution in model order."""
    import highspy

    started = time.perf_counter()
    n, m = highs.getNumCol(), highs.getNumRow()
    highs.run()
    model_status = highs.getModelStatus()
    if model_status == highspy.HighsModelStatus.kUnboundedOrInfeasible:
        highs.setOptionValue("presolve", "off")
        highs.run()
        model_status = highs.getModelStatus()
    info = highs.getInfo()
    cpo_status = _HIGHS_STATUS.get(model_status.name, "error")
    has_plan = cpo_status == "optimal" or (
        cpo_status == "time_limit" and info.primal_solution_status == 2)
    solution = highs.getSolution()
    values = np.array(solution.col_value) if has_plan else np.zeros(n)
    duals = np.array(solution.row_dual) if has_plan and solution.dual_valid else np.zeros(m)
    integer = any(v.cat == pulp.LpInteger for v in model.columns)
    mip_gap = info.mip_gap if integer and has_plan else None
    return Solution(cpo_status, has_plan, highs.getObjectiveValue() if has_plan else float("nan"),
                    values, duals, "highs", time.perf_counter() - started,
                    highs.modelStatusToString(model_status), mip_gap=mip_gap)


_HIGHS_STATUS = {
    "kOptimal": "optimal", "kInfeasible": "infeasible", "kUnboundedOrInfeasible": "infeasible",
    "kUnbounded": "unbounded", "kTimeLimit": "time_limit", "kIterationLimit": "time_limit",
    "kInterrupt": "time_limit", "kSolutionLimit": "time_limit", "kObjectiveBound": "time_limit",
    "kObjectiveTarget": "time_limit",
}


def _run_pulp(model: Model, objective: pulp.LpAffineExpression, solver: str,
              time_limit: float | None, options: dict | None = None) -> Solution:
    options = options or {}
    quiet_highs()  # the process's first Highs prints highspy's banner: here, not in an adapter's
    settings = {"msg": False, "timeLimit": time_limit, **options}  # the user's options win (msg=1 shows the log)
    name = solver[len(PULP_PREFIX):] if solver.startswith(PULP_PREFIX) else {"cbc": "COIN_CMD"}.get(solver, "HiGHS")
    try:
        backend = pulp.getSolver(name, **settings)
    except TypeError as exc:
        raise UsageError(f"--solver-option: PuLP's {name} adapter refused them ({exc})") from None
    if not backend.available():
        available = pulp.listSolvers(onlyAvailable=True)
        if solver == "cbc":
            bundled = " or --solver pulp:PULP_CBC_CMD (PuLP's own CBC)" if "PULP_CBC_CMD" in available else ""
            raise SolverError(f"CBC is not installed: pip install 'cpo[cbc]' (or put cbc on PATH), or use the default "
                              f"--solver highs{bundled}")
        raise SolverError(f"PuLP's {name} adapter is not available here: install the solver (and its Python "
                          f"package) it needs; available now: {', '.join(available)}")
    problem = model.named_problem(objective)
    started = time.perf_counter()
    code = problem.solve(backend)
    status = {pulp.LpStatusOptimal: "optimal", pulp.LpStatusInfeasible: "infeasible",
              pulp.LpStatusUnbounded: "unbounded"}.get(code, "error")
    if status == "optimal" and problem.sol_status == pulp.LpSolutionIntegerFeasible:
        status = "time_limit"
    has_plan = status in ("optimal", "time_limit")
    values = np.array([v.varValue or 0.0 for v in model.columns]) if has_plan else np.zeros(len(model.columns))
    duals = np.array([r.constraint.pi or 0.0 for r in model.rows]) if has_plan else np.zeros(len(model.rows))
    value = pulp.value(problem.objective) if has_plan else float("nan")
    return Solution(status, has_plan, value, values, duals, solver, time.perf_counter() - started,
                    pulp.LpStatus[code])
