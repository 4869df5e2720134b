"""Compare a base scenario with what-if layers: one row per scenario.

Each what-if is applied alone on the base (never on another what-if). Scenarios solve in
parallel processes when there are several and more than one core; each row carries the total
cost and its change against the base, the vendor mix (share of served compute over the
horizon), unmet demand, expected disruption, and the marginal costs of compute that moved most.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MOVES_SHOWN = 3


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


def solve_outcome(config: str, whatifs: tuple[str, ...], overrides: tuple[tuple[str, object], ...], name: str,
                  description: str,
                  objective: str | None, solver: str) -> Outcome:
    """Load and solve one scenario; infeasible and solver failures become outcomes, not errors."""
    from .api import load, solve
    from .errors import InfeasibleError, SolverError, VerificationError

    scenario = load(config, whatifs=whatifs, overrides=list(overrides))
    try:
        result = solve(scenario, objective=objective, solver=solver)
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
        {r["constraint"]: r["value"] for r in result.tables["prices"] if r["family"] == "demand"})


def whatif_description(path: str | Path) -> str:
    from .layers import read_whatif

    return read_whatif(Path(path))[0]


def run_outcomes(scenario, whatifs: list[str], objective: str | None = None, solver: str = "highs",
                 jobs: int | None = None) -> list[Outcome]:
    """Base first, then each what-if alone on the base; in parallel where it helps."""
    from .api import load

    tasks = [("base", scenario.config.description or scenario.name, scenario.whatifs)]
    for whatif in whatifs:
        load(scenario.path, whatifs=(*scenario.whatifs, whatif), overrides=scenario.override_items)  # fail fast
        tasks.append((Path(whatif).stem, whatif_description(whatif), (*scenario.whatifs, str(whatif))))
    jobs = jobs or min(os.cpu_count() or 1, len(tasks))
    arguments = [(str(scenario.path), layers, scenario.override_items, name, description, objective, solver)
                 for name, description, layers in tasks]
    if jobs <= 1 or len(tasks) < 3:
        return [solve_outcome(*args) for args in arguments]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(solve_outcome, *zip(*arguments)))


def comparison_rows(outcomes: list[Outcome]) -> list[dict[str, Any]]:
    """Tidy rows: one per scenario, with deltas against the first (the base)."""
    base = outcomes[0]
    vendors = sorted({v for o in outcomes for v in o.vendor_compute})
    rows = []
    for outcome in outcomes:
        row: dict[str, Any] = {"scenario": outcome.name, "description": outcome.description, "status": outcome.status,
                               "total_cost_usd": outcome.total_cost_usd, "delta_usd": None, "delta_pct": None}
        if outcome.total_cost_usd is not None and base.total_cost_usd:
            row["delta_usd"] = outcome.total_cost_usd - base.total_cost_usd
            row["delta_pct"] = row["delta_usd"] / base.total_cost_usd
        served = sum(outcome.vendor_compute.values())
        for vendor in vendors:
            row[f"share_{vendor}"] = outcome.vendor_compute.get(vendor, 0.0) / served if served else None
        row["unmet_pct"] = (outcome.unmet_h100e_years / outcome.demand_h100e_years
                            if outcome.demand_h100e_years else None)
        row["expected_disruption_usd"] = outcome.expected_disruption_usd
        row["price_moves"] = "; ".join(_moves(base.compute_prices, outcome.compute_prices))
        row["message"] = outcome.message
        rows.append(row)
    return rows


def _moves(before: dict[str, float], after: dict[str, float]) -> list[str]:
    """The marginal costs of compute that moved most (relative change), as readable text."""
    changes = []
    for name, old in before.items():
        new = after.get(name)
        if new is not None and old > 0 and abs(new - old) > 0.005 * old:
            changes.append((abs(new - old) / old, name, old, new))
    changes.sort(key=lambda c: (-c[0], c[1]))
    return [f"{name.removeprefix('demand[').rstrip(']').replace(',', ' ')} ${old / 1e3:,.1f}k->${new / 1e3:,.1f}k "
            f"({(new - old) / old:+.0%})" for _, name, old, new in changes[:MOVES_SHOWN]]


def compare(scenario, whatifs, objective: str | None = None, solver: str = "highs", jobs: int | None = None):
    """The comparison as a pandas DataFrame (one row per scenario, base first)."""
    import pandas as pd

    return pd.DataFrame(comparison_rows(run_outcomes(scenario, [str(w) for w in whatifs], objective, solver, jobs)))
