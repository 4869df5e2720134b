"""Evaluate a plan the lab holds: its signings fixed over the whole horizon, only the operations
re-optimised (which units run which workload, what is unmet, deal shortfalls), under the base
scenario and each what-if alone on it.

The held signings are commitments (commitments.py): a what-if's caps cut them pro rata, an
offer it removes refunds them, a slip delivers them late, a site that loses power idles them.
What the plan cannot meet of the scenario's policy rules (vendor shares, hard resilience) is a
finding: the scenario is solved without those rules and verify's checks of them, on the plan,
are listed. Under the scenario it was solved for, a plan's evaluation costs what the solve did.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any


def relaxed(scenario, objective: str | None, solver: str):
    """(result, findings): the scenario solved without its policy rules (share rules; hard
    resilience off), and the checks of those rules the plan fails (verify's breaches)."""
    from .api import solve
    from .errors import VerificationError
    from .plan import Plan
    from .verify import verify_plan

    data = scenario.data
    loose = replace(data, shares=(), resilience_mode="off" if data.resilience_mode == "hard" else data.resilience_mode)
    result = solve(replace(scenario, data=loose), objective=objective, solver=solver)
    plan = result.plan_values
    try:
        verify_plan(Plan(plan.acquired, plan.assigned, data, plan.decisions))
    except VerificationError as exc:
        return result, exc.breaches
    return result, []


def as_commitments(plan):
    """A whole plan to hold: a Result's signings, a Commitments, or a plan.csv path."""
    from .commitments import Commitments, from_result, read_csv

    if isinstance(plan, Commitments):
        return plan.whole()
    if isinstance(plan, (str, Path)):
        return read_csv(plan).whole()
    return from_result(plan)


def run_evaluation(scenario, plan, whatifs: list[str], objective: str | None = None, solver: str = "highs",
                   jobs: int | None = None) -> list:
    """The plan held under the base and each what-if (comparison.Outcome each, base first)."""
    from .comparison import scenario_tasks, solve_outcomes

    held = as_commitments(plan)
    tasks = scenario_tasks(scenario, whatifs)
    return solve_outcomes([(str(scenario.path), layers, scenario.override_items, name, description, objective,
                            solver, held) for name, description, layers in tasks], jobs)


def evaluation_rows(outcomes: list) -> list[dict[str, Any]]:
    """One row per scenario: cost and its change against the base, unmet demand, deal
    shortfalls, expected disruption, what became of the held signings, and the findings."""
    base = outcomes[0]
    rows = []
    for outcome in outcomes:
        held = outcome.commitments
        cost = outcome.total_cost_usd
        rows.append({
            "scenario": outcome.name, "description": outcome.description, "status": outcome.status,
            "total_cost_usd": cost,
            "delta_usd": cost - base.total_cost_usd if cost is not None and base.total_cost_usd is not None else None,
            "unmet_pct": (outcome.unmet_h100e_years / outcome.demand_h100e_years
                          if outcome.demand_h100e_years else None),
            "unmet_h100e_years": outcome.unmet_h100e_years, "shortfall_usd": outcome.shortfall_usd,
            "expected_disruption_usd": outcome.expected_disruption_usd,
            "signings_held": sum(r["status"] == "held" for r in held),
            "signings_cut": sum(r["status"].startswith("cut") for r in held),
            "signings_refunded": sum(r["status"].startswith("refunded") for r in held),
            "findings": len(outcome.findings), "finding_details": "; ".join(outcome.findings),
            "message": outcome.message})
    return rows


def evaluate(scenario, plan, whatifs=(), objective: str | None = None, solver: str = "highs",
             jobs: int | None = None):
    """The plan (a Result, commitments.Commitments or a plan.csv path) held whole under the
    scenario and each what-if: a pandas DataFrame, one row per scenario, base first
    (evaluation_rows)."""
    import pandas as pd

    return pd.DataFrame(evaluation_rows(run_evaluation(scenario, plan, [str(w) for w in whatifs], objective,
                                                       solver, jobs)))
