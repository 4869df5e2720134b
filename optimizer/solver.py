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

import time
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter

import numpy as np
import pulp

from .errors import SolverError
from .formulation import Model

SOLVERS = ("highs", "cbc", "highs-pulp")
STATUSES = ("optimal", "infeasible", "unbounded", "time_limit", "error")

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
    message: str = ""
    stages: list[float] = field(default_factory=list)
    """Objective value of each stage (lexicographic objectives)."""
    mip_gap: float | None = None


def solve_model(model: Model, objective: str, solver: str = "highs",
                time_limit: float | None = None) -> Solution:
    """Solve `model` for `objective` (see the module docstring for the stages)."""
    if solver not in SOLVERS:
        raise SolverError(f"unknown solver {solver!r}, expected one of {', '.join(SOLVERS)}")
    deadline = time.monotonic() + time_limit if time_limit is not None else None
    parts = model.objectives
    if objective == "cost":
        return run(model, parts["cost"], solver, deadline)
    if objective == "multi-vendor":
        return run(model, multi_vendor_objective(model), solver, deadline)

    measure = parts["max_share" if objective == "max-share" else "mean_hhi"]
    first = run(model, parts["cost"], solver, deadline)
    if first.status != "optimal":
        return first
    for (w, t), var in model.family("u").items():
        served_at_least = max(first.values[var.column], 0.0)
        model.add_row("unmet_guard", (w, t), [(var, 1.0)], "<=", served_at_least, 1.0)
    second = run(model, measure, solver, deadline)
    if second.status != "optimal":
        return second
    model.add_row("concentration_guard", (), list(measure.items()), "<=",
                  second.objective * (1 + GUARD_TOLERANCE) + GUARD_TOLERANCE, 1.0)
    third = run(model, parts["cost"], solver, deadline)
    third.stages = [first.objective, second.objective, third.objective]
    return third


def multi_vendor_objective(model: Model) -> pulp.LpAffineExpression:
    """cost + resilience + hhi (the parts are empty where the model has no such columns)."""
    parts = model.objectives
    return parts["cost"] + parts["resilience"] + parts["hhi"]


def run(model: Model, objective: pulp.LpAffineExpression, solver: str,
        deadline: float | None = None) -> Solution:
    """One solve of the model's rows with `objective`."""
    remaining = None
    if deadline is not None:
        remaining = max(deadline - time.monotonic(), 0.0)
    if solver == "highs":
        return _run_highs(model, objective, remaining)
    return _run_pulp(model, objective, solver, remaining)


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
        """Hand the whole model to HiGHS in one call (Highs.passModel with a HighsLp)."""
        import highspy

        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.cost), len(self.row_lower)
        lp.col_cost_, lp.offset_ = self.cost, self.offset
        lp.col_lower_, lp.col_upper_ = self.col_lower, self.col_upper
        lp.row_lower_, lp.row_upper_ = self.row_lower, self.row_upper
        matrix = lp.a_matrix_
        matrix.format_ = highspy.MatrixFormat.kRowwise if self.rowwise else highspy.MatrixFormat.kColwise
        matrix.num_col_, matrix.num_row_ = lp.num_col_, lp.num_row_
        matrix.start_, matrix.index_, matrix.value_ = self.starts, self.indices, self.values
        if self.integrality.any():
            lp.integrality_ = [highspy.HighsVarType(int(v)) for v in self.integrality]
        if highs.passModel(lp) == highspy.HighsStatus.kError:
            raise SolverError("HiGHS rejected the model (passModel failed)")


def compile_arrays(model: Model, objective: pulp.LpAffineExpression) -> Arrays:
    """Rows of the PuLP problem -> CSR arrays, columns in model.columns order (each column
    carries its position as `var.column`, set when the model created it)."""
    import highspy

    inf = highspy.kHighsInf
    n = len(model.columns)
    cost = np.zeros(n)
    for var, coef in objective.items():
        cost[var.column] += coef
    lower = np.array([v.lowBound if v.lowBound is not None else -inf for v in model.columns], dtype=float)
    upper = np.array([v.upBound if v.upBound is not None else inf for v in model.columns], dtype=float)
    integrality = np.array([1 if v.cat == pulp.LpInteger else 0 for v in model.columns], dtype=np.int32)
    expressions = [row.constraint.expr for row in model.rows]
    lengths = np.fromiter(map(len, expressions), dtype=np.int64, count=len(expressions))
    starts = np.zeros(len(expressions) + 1, dtype=np.int32)
    np.cumsum(lengths, out=starts[1:])
    nonzeros = int(starts[-1])
    indices = np.fromiter(map(attrgetter("column"), chain.from_iterable(expressions)), dtype=np.int32,
                          count=nonzeros)
    values = np.fromiter(chain.from_iterable(map(dict.values, expressions)), dtype=float, count=nonzeros)
    bounds = np.fromiter((-row.constraint.constant for row in model.rows), dtype=float, count=len(model.rows))
    senses = np.fromiter((row.constraint.sense for row in model.rows), dtype=np.int8, count=len(model.rows))
    row_lower = np.where(senses == pulp.LpConstraintLE, -inf, bounds)
    row_upper = np.where(senses == pulp.LpConstraintGE, inf, bounds)
    return Arrays(cost, float(objective.constant), lower, upper, row_lower, row_upper, starts, indices, values,
                  integrality)


def _run_highs(model: Model, objective: pulp.LpAffineExpression, time_limit: float | None) -> Solution:
    import highspy

    started = time.perf_counter()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    if time_limit is not None:
        highs.setOptionValue("time_limit", float(time_limit))
    compile_arrays(model, objective).load_into(highs)
    solution = run_highs(highs, model)
    solution.seconds = time.perf_counter() - started
    return solution


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
              time_limit: float | None) -> Solution:
    if solver == "cbc":
        backend = pulp.COIN_CMD(msg=False, timeLimit=time_limit)
        if not backend.available():
            raise SolverError("CBC is not installed: pip install 'cpo[cbc]' (or put cbc on PATH), "
                              "or use the default --solver highs")
    else:
        backend = pulp.HiGHS(msg=False, timeLimit=time_limit)
    started = time.perf_counter()
    model.name_columns()
    model.prob.setObjective(objective)
    code = model.prob.solve(backend)
    status = {pulp.LpStatusOptimal: "optimal", pulp.LpStatusInfeasible: "infeasible",
              pulp.LpStatusUnbounded: "unbounded"}.get(code, "error")
    if status == "optimal" and model.prob.sol_status == pulp.LpSolutionIntegerFeasible:
        status = "time_limit"
    has_plan = status in ("optimal", "time_limit")
    values = np.array([v.varValue or 0.0 for v in model.columns]) if has_plan else np.zeros(len(model.columns))
    duals = np.array([r.constraint.pi or 0.0 for r in model.rows]) if has_plan else np.zeros(len(model.rows))
    value = pulp.value(model.prob.objective) if has_plan else float("nan")
    return Solution(status, has_plan, value, values, duals, solver, time.perf_counter() - started,
                    pulp.LpStatus[code])
