"""How a plan fares when a failure hits.

`from_model` reads the model's own optimal recourse (z, s) when the objective had one (priced
or hard resilience). `evaluate` is the independent re-assignment, used for plans whose model
had no recourse (the `cost` objective) and by verify(): for each failure f and period t,
given the plan's active units A[o,t] (not the model's recourse variables), solve
    min Σ_w VOLL_w s[w]   s.t.   Σ_w z[o,w] <= φ_{f,o} A[o,t],   Σ_o θ[o,w] z[o,w] + s[w] >= ρ_w D[w,t]
and report the covered share of each critical requirement and the expected disruption cost
Σ p_f Δ_t d_f · VOLL_w · δ_t · s[f,w,t]. All blocks are solved as one LP by HiGHS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .plan import Plan


@dataclass(frozen=True)
class Coverage:
    failure: str
    period: str
    workload: str
    required_h100e: float
    covered_h100e: float
    expected_cost_usd: float

    @property
    def covered_fraction(self) -> float:
        return self.covered_h100e / self.required_h100e if self.required_h100e > 0 else 1.0


def _coverage(data, f: int, t: int, w: str, covered: float) -> Coverage:
    failure, workload = data.failures[f], data.workloads[w]
    need = workload.critical * workload.demand[t]
    short = need - min(max(covered, 0.0), need)
    chance = failure.probability * data.periods[t].years * failure.duration_years
    return Coverage(failure.name, data.periods[t].name, w, need, need - short,
                    chance * workload.voll * data.discount[t] * short)


def from_model(model, values) -> list[Coverage]:
    """Coverage from the model's recourse columns: covered = min(ρD, Σ_g θ[g,w] z[f,g,w,t])."""
    data, units = model.data, model.scale.units
    recourse = model.family("z")
    keys = list(recourse)
    flow = values[np.fromiter((z.column for z in recourse.values()), dtype=np.int64, count=len(keys))]
    groups = data.theta_groups
    covered: dict[tuple, float] = {}
    for i in np.flatnonzero(flow).tolist():  # most recourse columns are 0: visit only the others
        f, g, w, t = keys[i]
        covered[(f, w, t)] = covered.get((f, w, t), 0.0) + groups[g].rate(w, t) * float(flow[i]) * units
    return [_coverage(data, f, t, w, covered.get((f, w, t), 0.0))
            for (f, w, t) in (row.key for row in model.rows if row.family == "cover")]


def evaluate(plan: Plan) -> list[Coverage]:
    """Coverage of every (failure, period, critical workload) for the plan. The LP is written
    in the scenario's unit scale (model.Scale), as the model is, so a tiny demand is not lost
    inside HiGHS's tolerance; VOLL weights are divided by the largest so they stay O(1)."""
    import highspy

    from .formulation.model import Scale

    data = plan.data
    units = Scale.of(data).units
    weight = max((w.voll for w in data.workloads.values()), default=1.0)
    cost, row_lower, row_upper = [], [], []
    entries: list[tuple[int, int, float]] = []  # (row, col, value)
    slack_cols: list[tuple[int, int, str, float]] = []  # (col, f, t, w) of s

    def new_col(weight: float) -> int:
        cost.append(weight)
        return len(cost) - 1

    def new_row(lower: float, upper: float) -> int:
        row_lower.append(lower)
        row_upper.append(upper)
        return len(row_lower) - 1

    for f, failure in enumerate(data.failures):
        for t in data.T:
            cover_rows = {}
            for w, workload in data.workloads.items():
                need = workload.critical * workload.demand[t]
                if need > 0:
                    cover_rows[w] = new_row(need / units, highspy.kHighsInf)
                    col = new_col(workload.voll / weight)
                    entries.append((cover_rows[w], col, 1.0))
                    slack_cols.append((col, f, t, w))
            if not cover_rows:
                continue
            for o, offer in enumerate(data.offers):
                survives = (failure.delivered if o in failure.offers else 1.0) * plan.active(o, t)
                runnable = [w for w in cover_rows if offer.rate(w, t) > 0]
                if survives <= 0 or not runnable:
                    continue
                capacity_row = new_row(-highspy.kHighsInf, survives / units)
                for w in runnable:
                    col = new_col(0.0)
                    entries.append((capacity_row, col, 1.0))
                    entries.append((cover_rows[w], col, offer.rate(w, t)))
    if not slack_cols:
        return []
    shortfall = _solve(cost, row_lower, row_upper, entries)
    return [_coverage(data, f, t, w, data.workloads[w].critical * data.workloads[w].demand[t]
                      - float(shortfall[col]) * units) for col, f, t, w in slack_cols]


def _solve(cost, row_lower, row_upper, entries) -> np.ndarray:
    import highspy

    from .errors import SolverError
    from .solver import Arrays, quiet_highs

    n = len(cost)
    order = sorted(range(len(entries)), key=lambda k: (entries[k][1], entries[k][0]))
    starts = np.zeros(n + 1, dtype=np.int32)
    for _, col, _ in entries:
        starts[col + 1] += 1
    arrays = Arrays(np.array(cost, dtype=float), 0.0, np.zeros(n), np.full(n, highspy.kHighsInf),
                    np.array(row_lower, dtype=float), np.array(row_upper, dtype=float),
                    np.cumsum(starts).astype(np.int32), np.array([entries[k][0] for k in order], dtype=np.int32),
                    np.array([entries[k][2] for k in order], dtype=float), np.zeros(n, dtype=np.int32),
                    rowwise=False)
    highs = quiet_highs()
    arrays.load_into(highs)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        raise SolverError(f"resilience evaluation failed: {highs.modelStatusToString(highs.getModelStatus())}")
    return np.array(highs.getSolution().col_value)
