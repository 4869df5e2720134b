"""Why a scenario has no feasible plan, and which config fields to move by how much.

With unmet demand priced at VOLL, demand itself never makes the model infeasible; only hard
limits do: a budget below committed rent, share caps and
floors, hard resilience, supply and resource caps that other hard rows need. The diagnosis is
an elastic re-solve: every row of those families gets a slack column e ≥ 0 (lhs − e ≤ rhs, or
lhs + e ≥ rhs) and HiGHS minimises Σ e / max(|rhs|, 1), the relative size of the relaxations,
which favours a small set of small moves. Each non-zero slack is then read back as a config
field, its current value and the value that makes the scenario feasible. The same re-solve
with one family at a time relaxed gives the alternatives ("or lower this cap instead").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp

from .families import FAMILIES, RELAXABLE
from .formulation.model import Model
from .interpret import Relaxation
from .results import plan_from_solution
from .solver import Arrays, Solution, compile_arrays, quiet_highs

SLACK_THRESHOLD = 1e-7
"""Slack (in LP units) below this is solver noise, not a relaxation."""


@dataclass
class Diagnosis:
    relaxations: list[Relaxation]
    """The smallest combined set of moves (relative size) that makes the scenario feasible."""
    alternatives: dict[str, list[Relaxation]]
    """For each family that alone can fix it, its own moves."""
    note: str = ""
    """What the diagnosis could not see (integer options: it works on the LP relaxation)."""

    def lines(self) -> list[str]:
        if not self.relaxations:
            lines = ["no relaxation of power, supply, resource, budget, share or resilience limits "
                     "makes it feasible; check installed capacity against hard limits"]
        else:
            lines = [str(r) for r in self.relaxations]
        for family, moves in self.alternatives.items():
            if {m.constraint for m in moves} != {r.constraint for r in self.relaxations}:
                lines.append("or, moving only " + family + " limits: " + "; ".join(str(m) for m in moves))
        return lines + ([self.note] if self.note else [])

    def to_json(self) -> dict:
        return {"relaxations": [r.to_dict() for r in self.relaxations],
                "alternatives": {f: [r.to_dict() for r in moves] for f, moves in self.alternatives.items()},
                "note": self.note}


def diagnose(model: Model) -> Diagnosis:
    arrays = compile_arrays(model, pulp.LpAffineExpression())
    relaxable = [i for i, row in enumerate(model.rows) if row.family in RELAXABLE]
    combined = _elastic(model, arrays, relaxable) or []
    alternatives = {}
    for family in RELAXABLE:
        rows = [i for i in relaxable if model.rows[i].family == family]
        if rows:
            moves = _elastic(model, arrays, rows)
            if moves:
                alternatives[family] = moves
    milp = model.data.milp
    note = ("(found on the LP relaxation: whole lots, the minimum cluster, tranches and porting relaxed; "
            "under --integer the moves may need to be larger, or lower milp.min_cluster_units)"
            if milp.integer or milp.min_cluster else "")
    return Diagnosis(combined, alternatives, note)


def _elastic(model: Model, arrays: Arrays, rows: list[int]) -> list[Relaxation] | None:
    """Minimise the relative relaxation of `rows`; None if that cannot make the model feasible."""
    import highspy

    n = len(arrays.cost)
    extended, slack_of = _with_slacks(arrays, rows)
    highs = quiet_highs()
    extended.load_into(highs)
    highs.run()
    if highs.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    values = np.array(highs.getSolution().col_value)
    plan = plan_from_solution(model, Solution("optimal", True, 0.0, values[:n], np.zeros(0), "highs", 0.0))
    return [FAMILIES[model.rows[i].family].relax(model, model.rows[i], values[col], plan)
            for i, col in slack_of.items() if values[col] > SLACK_THRESHOLD]


def _with_slacks(arrays: Arrays, rows: list[int]) -> tuple[Arrays, dict[int, int]]:
    """The CSR arrays with one slack column per row in `rows`, weighted 1 / max(|rhs|, 1)."""
    n = len(arrays.cost)
    slack_of = {i: n + k for k, i in enumerate(rows)}
    starts, indices, values, weights = [0], [], [], []
    for i in range(len(arrays.row_lower)):
        begin, end = arrays.starts[i], arrays.starts[i + 1]
        indices.extend(arrays.indices[begin:end])
        values.extend(arrays.values[begin:end])
        if i in slack_of:
            upper_row = np.isfinite(arrays.row_upper[i])
            indices.append(slack_of[i])
            values.append(-1.0 if upper_row else 1.0)
            bound = arrays.row_upper[i] if upper_row else arrays.row_lower[i]
            weights.append(1.0 / max(abs(bound), 1.0))
        starts.append(len(indices))
    m = len(rows)
    extended = Arrays(np.concatenate([np.zeros(n), weights]), 0.0,
                      np.concatenate([arrays.col_lower, np.zeros(m)]),
                      np.concatenate([arrays.col_upper, np.full(m, np.inf)]),
                      arrays.row_lower, arrays.row_upper, np.array(starts, dtype=np.int32),
                      np.array(indices, dtype=np.int32), np.array(values, dtype=float),
                      np.zeros(n + m, dtype=np.int32))
    return extended, slack_of
