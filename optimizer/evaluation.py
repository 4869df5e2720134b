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

import re

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any


def relaxed(scenario, objective: str | None, solver: str):
    """(result, findings): the scenario solved without its policy rules (share rules, ladders,
    staggers; hard resilience off), and the checks of those rules the plan fails (verify's breaches)."""
    from .api import solve
    from .errors import VerificationError
    from .plan import Plan
    from .verify import verify_plan

    data = scenario.data
    loose = replace(data, shares=(), ladders=(), staggers=(),
                    resilience_mode="off" if data.resilience_mode == "hard" else data.resilience_mode)
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
            "unmet_share": (outcome.unmet_h100e_years / outcome.demand_h100e_years
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


# ---------------------------------------------------------------- out of sample


DEFAULT_ALPHA = 0.9
"""CVaR's level when the scenario file states none."""


@dataclass
class OutOfSample:
    """Here-and-now signings held, each scenario (the file's, or fresh draws from its
    distribution) solved for its recourse: one row per plan and scenario, and per plan the
    mean, CVaR and spread of the objective."""

    until: str
    alpha: float
    seed: int | None
    """The draws' seed (None: the file's own scenarios)."""
    rows: list[dict[str, Any]]
    """plan, scenario, description, probability, status, objective_usd, total_cost_usd, unmet_share,
    findings (the policy rules the held signings break there, solved without them), ..."""
    summary: list[dict[str, Any]]
    """plan, scenarios, solved, rules_broken (scenarios with findings), mean_usd, cvar_usd, worst_usd,
    best_usd, std_usd, unmet_share_mean,
    vs_first_usd and vs_first_stderr_usd (the paired difference from the first plan)."""

    def frame(self, table: str = "summary"):
        import pandas as pd

        return pd.DataFrame({"summary": self.summary, "rows": self.rows}[table])


def out_of_sample(scenario, plans: dict[str, Any], scenario_set, sample: int | None = None, seed: int | None = None,
                  objective: str | None = None, solver: str = "highs", workers: int | None = 0,
                  scheduler: str | None = None, on_result=None) -> OutOfSample:
    """Each plan (a Result, commitments.Commitments or a plan.csv path, by name) held for its
    here-and-now signings (to the end of the scenario file's `until`; `scenario_set` a
    scenarios.ScenarioSet or its path), the rest of the
    horizon re-optimised in every scenario: the file's own (sample None: their probabilities,
    the in-sample check) or `sample` fresh draws from its distribution (ScenarioSet.fresh, from
    `seed`, by default the sample's seed + 1), each 1/sample. Solved on Dask like a sweep
    (sweeps.run_tasks; workers 0: in this process); on_result(row) as each finishes. A plan's
    stage signing the base cannot sign (an offer not in its catalog, a period outside the
    horizon) is a ConfigError at its line; held signings that break a scenario's policy rules
    are solved without them, the rules listed in the row's findings (evaluation.relaxed).

    mean = Σ p_s f_s, CVaR_α = the mean of the worst 1 − α of probability (stochastic.risk_measure,
    α the file's or DEFAULT_ALPHA); f_s the objective (`cost` or `multi-vendor`) the scenario's
    recourse minimises, as in the stochastic plan: the file's own scenarios give its cost column."""
    from .errors import ConfigError
    from .scenarios import ScenarioSet, read_scenarios
    from .stochastic import here_and_now
    from .sweeps import Point, run_point, run_tasks

    if not isinstance(scenario_set, ScenarioSet):
        scenario_set = read_scenarios(scenario_set, scenario)
    stage, _ = here_and_now(scenario.data, scenario_set.until, scenario_set.until_where)
    if sample is None:
        specs, seed = list(scenario_set.scenarios), None
    else:
        seed = seed if seed is not None else (scenario_set.sampler.seed + 1 if scenario_set.sampler else 1)
        specs = scenario_set.fresh(scenario, sample, seed)
    whole = {name: as_commitments(plan) for name, plan in plans.items()}
    problems = [problem for plan in whole.values() for problem in plan.unheld(scenario.data, stage)]
    if problems:
        raise ConfigError(problems)
    held = {name: plan.over(stage.periods, f"to the end of {scenario_set.until}") for name, plan in whole.items()}
    config = str(scenario.path)
    tasks = [(config, (*scenario.whatifs, *spec.whatifs), Point(k * len(specs) + i, spec.name, {}, spec.changes),
              objective, solver, held[name], tuple(scenario.override_items), True)
             for k, name in enumerate(held) for i, spec in enumerate(specs)]
    done: dict[int, dict] = {}

    def finished(row: dict) -> None:
        done[row["point"]] = row
        if on_result is not None:
            on_result(row)

    run_tasks(run_point, tasks, workers, scheduler, finished)
    names = list(held)
    rows = []
    for index in sorted(done):
        spec = specs[index % len(specs)]
        row = done[index]
        rows.append({"plan": names[index // len(specs)], "scenario": spec.name, "description": spec.description,
                     "probability": spec.probability, **{k: v for k, v in row.items() if k not in ("point", "name")}})
    alpha = scenario_set.alpha if scenario_set.weight > 0 else DEFAULT_ALPHA
    summary = [_plan_summary(name, [r for r in rows if r["plan"] == name], alpha) for name in names]
    _paired_differences(summary, rows, sample is not None)
    return OutOfSample(scenario_set.until, alpha, seed, rows, summary)


def _paired_differences(summary: list[dict], rows: list[dict], sampled: bool) -> None:
    """Each plan's mean cost minus the first plan's, over the scenarios both solved (paired: the
    same draws), and for fresh draws (each 1/n) the standard error of that mean,
    sqrt(Σ (d_s − d̄)² / (n (n − 1))); the file's own scenarios give the exact difference."""
    import numpy as np

    first = {r["scenario"]: r.get("objective_usd") for r in rows if r["plan"] == summary[0]["plan"]}
    for entry in summary:
        pairs = [(r["probability"], r["objective_usd"] - first[r["scenario"]]) for r in rows
                 if r["plan"] == entry["plan"] and r.get("objective_usd") is not None
                 and first.get(r["scenario"]) is not None]
        if entry is summary[0] or not pairs:
            entry.update(vs_first_usd=None, vs_first_stderr_usd=None)
            continue
        p, d = np.array(pairs).T
        mean = float(p @ d / p.sum())
        n = len(d)
        stderr = float(np.sqrt(((d - d.mean()) ** 2).sum() / (n * (n - 1)))) if sampled and n > 1 else None
        entry.update(vs_first_usd=mean, vs_first_stderr_usd=stderr)


def _plan_summary(name: str, rows: list[dict], alpha: float) -> dict[str, Any]:
    """A plan's mean, CVaR_α, worst, best and standard deviation of the objective over the
    scenarios that solved, their probabilities renormalised over them (all, unless some failed:
    `solved` says how many)."""
    import numpy as np

    from .stochastic import risk_measure

    solved = [r for r in rows if r.get("objective_usd") is not None]
    summary = {"plan": name, "scenarios": len(rows), "solved": len(solved),
               "rules_broken": sum(bool(r.get("findings")) for r in rows)}
    if not solved:
        return {**summary, **dict.fromkeys(("mean_usd", "cvar_usd", "worst_usd", "best_usd", "std_usd",
                                            "unmet_share_mean"))}
    costs = np.array([r["objective_usd"] for r in solved])
    p = np.array([r["probability"] for r in solved])
    p = p / p.sum()
    mean, cvar = risk_measure(costs, p, alpha, 1.0)
    return {**summary, "mean_usd": mean, "cvar_usd": float(cvar), "worst_usd": float(costs.max()),
            "best_usd": float(costs.min()), "std_usd": float(np.sqrt(p @ (costs - mean) ** 2)),
            "unmet_share_mean": float(p @ np.array([r["unmet_share"] for r in solved]))}


# ---------------------------------------------------------------- a solution solved elsewhere


def read_solution(scenario, path: str | Path, objective: str | None = None):
    """The Result of a solution file for the model `cpo export` writes of `scenario` (same
    objective), solved by any solver: lines `NAME VALUE` (HiGHS's raw solution, Gurobi's and
    most solvers' .sol), the names cpo's own (`x(offer,2026)`, ...). Columns the file does not
    name are 0; row duals (prices) are read where the file has them (HiGHS: its `# Dual solution
    values` section), else 0. The plan is verified like any solve: a solution that breaks a row
    is refused (VerificationError)."""
    import numpy as np

    from .errors import ConfigError, Location, Problem
    from .formulation import build
    from .loading import read_text
    from .results import make_result
    from .solver import Solution, multi_vendor_objective

    objective = objective or scenario.config.objective
    model = build(scenario.data, objective)
    columns = {model._solver_label(family, key): var.column for family, vars_ in model.vars.items()
               for key, var in vars_.items()}
    rows = {model._solver_label(row.family, row.key): row.position for row in model.rows}
    values, duals = np.zeros(len(model.columns)), np.zeros(len(model.rows))
    seen: set[tuple[bool, str]] = set()
    dual = False
    unknown: list[tuple[int, str]] = []
    lines: dict[str, int] = {}  # the line of each column's value
    sections: list[list] = []  # HiGHS's `# Columns N` / `# Rows N`: [line, what, N, values read under it]
    for number_of_line, line in enumerate(read_text(Path(path), "solution").splitlines(), start=1):
        if line.startswith("# Basis"):
            break  # HiGHS's basis: nothing the report reads
        dual = dual or line.startswith("# Dual solution values")
        parts = line.split()
        if parts[:2] in (["#", "Columns"], ["#", "Rows"]) and len(parts) == 3 and parts[2].isdigit():
            sections.append([number_of_line, parts[1].lower(), int(parts[2]), 0])
        names = [(i, p) for i, p in enumerate(parts) if p in columns or p in rows]
        if not names:
            label = next((p for i, p in enumerate(parts) if LABEL.fullmatch(p) and any(map(_is_number, parts[i + 1:]))),
                         None)
            if label is not None and not dual:
                unknown.append((number_of_line, label))
            continue
        if (dual, names[0][1]) in seen:
            continue
        i, name = names[0]
        number = next((float(p) for p in parts[i + 1:] if _is_number(p)), None)
        if number is None:
            continue
        seen.add((dual, name))
        if sections:
            sections[-1][3] += 1
        if name in columns:
            if not dual:
                values[columns[name]], lines[name] = number, number_of_line
        elif dual:
            duals[rows[name]] = number
    expected = "expected the names `cpo export` writes for this scenario (the same what-ifs, --set and objective)"
    if unknown:
        raise ConfigError([Problem(Location(str(path), unknown[0][0]), "", f"found {unknown[0][1]!r} (and "
                                   f"{len(unknown) - 1} more) not in this model, {expected}")])
    if not any(not d for d, _ in seen):
        raise ConfigError([Problem(Location(str(path)), "", "found no value for any of the model's columns, expected "
                                   "lines NAME VALUE with the names cpo export writes (e.g. x(offer,2026))")])
    columns_stated = next((n for line, what, n, _ in sections if what == "columns"), len(model.columns))
    if columns_stated != len(model.columns):
        line = next(line for line, what, _, _ in sections if what == "columns")
        raise ConfigError([Problem(Location(str(path), line), "", f"found a solution of {columns_stated} columns, "
                                   f"expected this model's {len(model.columns)} ({expected[9:]})")])
    for line, what, stated, read in sections:
        if read != stated:
            raise ConfigError([Problem(Location(str(path), line), "", f"found values for {read} of the {stated} "
                                       f"{what} the file states here (cut short?), expected all of them")])
    for name, line in lines.items():
        column = model.columns[columns[name]]
        value, upper = values[column.column], column.upBound
        if value < -1e-6 or (upper is not None and value > upper + 1e-6 * max(1.0, abs(upper))):
            raise ConfigError([Problem(Location(str(path), line), name, f"found {value:g}, expected a value in "
                                       f"[0, {'inf' if upper is None else f'{upper:g}'}] (the column's bounds)")])
    expression = model.objectives["cost"] if objective == "cost" else multi_vendor_objective(model)
    value = float(expression.constant) + sum(c * values[v.column] for v, c in expression.items())
    result = make_result(model, Solution("optimal", True, value, values, duals, f"file:{Path(path).name}", 0.0),
                         objective)
    result.verify()
    return result


LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\(.+\)")
"""A column or row name as cpo writes them: family(key,...)."""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
