"""Compare a base scenario with what-if layers: one row per scenario.

Each what-if is applied alone on the base (never on another what-if). Scenarios solve in
parallel processes when there are several and more than one core; each row carries the total
cost and its change against the base, the vendor mix (share of served compute over the
horizon), unmet demand, expected disruption, and the marginal costs of compute that moved most.

Two costs per what-if, with `commit_until`:
- **foresight**: the what-if known from the start, the whole plan re-optimised for it (what
  `compare` gives without `commit_until`);
- **surprise**: the base plan's signings up to `commit_until` already held (commitments.py),
  the what-if learned after, only the later signings re-optimised. The surprise cost is never
  below the foresight cost: the difference is what signing early, before knowing, costs.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MOVE_THRESHOLD = 0.005
"""A marginal cost of compute has moved when it changed by more than this fraction."""


@dataclass
class Outcome:
    """One scenario's solve, reduced to what a comparison needs (cheap to send between processes)."""

    name: str
    description: str
    status: str
    message: str = ""
    total_cost_usd: float | None = None
    expected_disruption_usd: float | None = None
    unmet_h100e_years: float | None = None
    demand_h100e_years: float | None = None
    vendor_compute: dict[str, float] = field(default_factory=dict)
    """H100e-years served per vendor over the horizon."""
    mix: list[dict] = field(default_factory=list)
    """vendor, period, share of served compute."""
    compute_prices: dict[str, float] = field(default_factory=dict)
    """demand[w,t] -> $/H100e-year."""
    surprise: "Outcome | None" = None
    """The same what-if as a surprise after the base plan's commitments (commit_until)."""
    shortfall_usd: float = 0.0
    """Take-or-pay shortfalls owed (deals)."""
    findings: list[str] = field(default_factory=list)
    """The scenario's rules the plan breaks (evaluate: policy rules a held plan cannot meet)."""
    commitments: list[dict] = field(default_factory=list)
    """The held signings' rows (results' commitments table): held, cut or refunded."""
    objective_usd: float | None = None
    """What the solve minimised (Result.minimised_usd): procurement less vendor equity, plus
    priced disruption and the HHI penalty under multi-vendor."""


def solve_outcome(config: str, whatifs: tuple[str, ...], overrides: tuple[tuple[str, object], ...], name: str,
                  description: str, objective: str | None, solver: str, commitments=None) -> Outcome:
    """Load and solve one scenario (with `commitments` held, if given); infeasible and solver
    failures become outcomes, not errors. Held signings that cannot meet the scenario's policy
    rules (shares, hard resilience) are solved without them, the rules they break listed as
    findings (evaluation.relaxed)."""
    from .api import load, solve
    from .errors import InfeasibleError, SolverError, VerificationError

    scenario = load(config, whatifs=whatifs, overrides=list(overrides), commitments=commitments)
    findings: list[str] = []
    try:
        try:
            result = solve(scenario, objective=objective, solver=solver)
        except InfeasibleError:
            if commitments is None:
                raise
            from .evaluation import relaxed

            result, findings = relaxed(scenario, objective, solver)
    except InfeasibleError as exc:
        return Outcome(name, description, "infeasible", "; ".join(exc.diagnosis[:2]) or str(exc))
    except (SolverError, VerificationError) as exc:
        return Outcome(name, description, "failed", str(exc).splitlines()[0])
    data = result.data
    years = {p.name: p.years for p in data.periods}
    vendor_compute: dict[str, float] = {v: 0.0 for v in data.vendors}
    for row in result.tables["plan"]:
        vendor_compute[row["vendor"]] += row["served_h100e"] * years[row["period"]]
    mix = [{"vendor": r["member"], "period": r["period"], "share": r["share"]} for r in result.tables["shares"]
           if r["group"] == "vendor" and r["measure"] == "compute"]
    return Outcome(
        name, description, result.status, "", result.total_cost_usd, result.expected_disruption_usd,
        sum(r["h100e"] * years[r["period"]] for r in result.tables["unmet"]),
        sum(r["demand_h100e"] * years[r["period"]] for r in result.tables["unmet"]),
        vendor_compute, mix,
        {r["constraint"]: r["value"] for r in result.tables["prices"] if r["family"] == "demand"},
        shortfall_usd=sum(r["shortfall_usd"] for r in result.tables["deals"]), findings=findings,
        commitments=result.tables["commitments"], objective_usd=result.minimised_usd)


def whatif_description(path: str | Path) -> str:
    from .layers import read_whatif

    return read_whatif(Path(path))[0]


def run_outcomes(scenario, whatifs: list[str], objective: str | None = None, solver: str = "highs",
                 jobs: int | None = None, commit_until=None) -> list[Outcome]:
    """Base first, then each what-if alone on the base (foresight); with `commit_until`, each
    what-if also as a surprise on the base plan's signings up to then. In parallel where it helps."""
    from .api import solve
    from .commitments import from_result

    tasks = scenario_tasks(scenario, whatifs)
    held = from_result(solve(scenario, objective=objective, solver=solver), commit_until) if commit_until else None
    arguments = [(str(scenario.path), layers, scenario.override_items, name, description, objective, solver, None)
                 for name, description, layers in tasks]
    arguments += [(*args[:-1], held) for args in arguments[1:]] if held is not None else []
    solved = solve_outcomes(arguments, jobs)
    outcomes = solved[:len(tasks)]
    if held is not None:
        outcomes[0].surprise = outcomes[0]
        for outcome, surprise in zip(outcomes[1:], solved[len(tasks):]):
            outcome.surprise = surprise
    return outcomes


def _workers():
    """The processes compare and sweeps solve in: started from a fresh server process that has
    imported cpo (multiprocessing forkserver), never forked from this one."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["optimizer.comparison"])
    return context


def solve_outcomes(arguments: list[tuple], jobs: int | None = None, on_result=None) -> list[Outcome]:
    """solve_outcome(*args) for each, in order; in parallel processes where there are several
    and more than one core; on_result() is called as each finishes (progress)."""
    jobs = jobs or min(os.cpu_count() or 1, len(arguments))
    if jobs <= 1 or len(arguments) < 3:
        outcomes = []
        for args in arguments:
            outcomes.append(solve_outcome(*args))
            if on_result:
                on_result()
        return outcomes
    # forkserver, not fork: a child forked from a process whose HiGHS has run keeps HiGHS's task
    # scheduler in the state of the parent's threads, and its first MILP (a volume tier, a vendor
    # count) waits on them for ever
    with ProcessPoolExecutor(max_workers=jobs, mp_context=_workers()) as pool:
        futures = {pool.submit(solve_outcome, *args): i for i, args in enumerate(arguments)}
        outcomes: list = [None] * len(arguments)
        for future in as_completed(futures):
            outcomes[futures[future]] = future.result()
            if on_result:
                on_result()
    return outcomes


def scenario_tasks(scenario, whatifs: list[str]) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, description, what-if layers) of the base and of each what-if alone on it; every
    what-if is loaded once here, so a bad one fails before anything solves."""
    from .api import load

    tasks = [("base", scenario.config.description or scenario.name, scenario.whatifs)]
    for whatif in whatifs:
        load(scenario.path, whatifs=(*scenario.whatifs, whatif), overrides=scenario.override_items)
        tasks.append((Path(whatif).stem, whatif_description(whatif), (*scenario.whatifs, str(whatif))))
    return tasks


def comparison_rows(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """Tidy rows: one per scenario, with deltas against the first (the base)."""
    base = outcomes[0]
    vendors = sorted({v for o in outcomes for v in o.vendor_compute})
    rows = []
    for outcome in outcomes:
        row: dict[str, Any] = {"scenario": outcome.name, "description": outcome.description, "status": outcome.status,
                               "total_cost_usd": outcome.total_cost_usd, "delta_usd": None, "delta_fraction": None}
        if outcome.total_cost_usd is not None and base.total_cost_usd:
            row["delta_usd"] = outcome.total_cost_usd - base.total_cost_usd
            row["delta_fraction"] = row["delta_usd"] / base.total_cost_usd
        served = sum(outcome.vendor_compute.values())
        for vendor in vendors:
            row[f"share_{vendor}"] = outcome.vendor_compute.get(vendor, 0.0) / served if served else None
        row["unmet_share"] = (outcome.unmet_h100e_years / outcome.demand_h100e_years
                            if outcome.demand_h100e_years else None)
        row["expected_disruption_usd"] = outcome.expected_disruption_usd
        if outcome.surprise is not None:
            row.update(_surprise_columns(outcome, base))
        row["message"] = outcome.message
        rows.append(row)
    return rows


def _surprise_columns(outcome: Outcome, base: Outcome) -> dict[str, Any]:
    from .results import difference

    """The surprise cost beside the foresight one: its status, procurement cost and change
    against the base, what signing before knowing cost (cost_of_committing: surprise − foresight
    in the objective both minimise, never below 0, where procurement alone may fall when the
    held plan trades it for risk), and unmet share."""
    surprise = outcome.surprise
    cost = surprise.total_cost_usd
    known = surprise.objective_usd is not None and outcome.objective_usd is not None
    return {"surprise_status": surprise.status, "surprise_cost_usd": cost,
            "surprise_delta_usd": cost - base.total_cost_usd if cost is not None and base.total_cost_usd else None,
            "objective_usd": outcome.objective_usd, "surprise_objective_usd": surprise.objective_usd,
            "cost_of_committing_usd": difference(surprise.objective_usd, outcome.objective_usd) if known else None,
            "surprise_unmet_share": (surprise.unmet_h100e_years / surprise.demand_h100e_years
                                   if surprise.demand_h100e_years else None),
            "surprise_message": surprise.message}


def price_moves(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """The marginal costs of compute (demand[w,t] prices, $/H100e-year) that moved by more than
    MOVE_THRESHOLD against the base, one row per what-if and price, the largest relative moves
    first in each what-if."""
    base = outcomes[0]
    rows = []
    for outcome in outcomes[1:]:
        moves = []
        for name, old in base.compute_prices.items():
            new = outcome.compute_prices.get(name)
            if new is not None and old > 0 and abs(new - old) > MOVE_THRESHOLD * old:
                workload, period = name.removeprefix("demand[").rstrip("]").split(",")
                moves.append({"scenario": outcome.name, "workload": workload, "period": period,
                              "base_usd_per_h100e_year": old, "usd_per_h100e_year": new, "change": (new - old) / old})
        rows += sorted(moves, key=lambda m: (-abs(m["change"]), m["workload"], m["period"]))
    return rows


def compare(scenario, whatifs, objective: str | None = None, solver: str = "highs", jobs: int | None = None,
            commit_until=None):
    """The comparison as a pandas DataFrame (one row per scenario, base first); with
    `commit_until` (a year), each what-if's surprise cost beside its foresight cost."""
    import pandas as pd

    outcomes = run_outcomes(scenario, [str(w) for w in whatifs], objective, solver, jobs, commit_until)
    return pd.DataFrame(comparison_rows(outcomes))
