"""verify(): a second opinion on a solved plan, from the scenario data alone.

1. Every row family in families.FAMILIES is re-checked by its own function in checks.py: the
   plan's acquisitions and assignments (x, y) and the solver's other columns (deal shortfalls
   and credits, vesting, relaxed binaries, recourse) against rows recomputed from the data,
   not read from the LP.
2. Every cost term is recomputed from the plan (plan.py: upfront, recurring, unmet demand as
   demand − served, salvage, deals, porting; recourse.py: disruption) and compared with the
   solver's own value of the same objective part. A formulation that drops or doubles a term
   or a family (a mutant) gives a plan whose recomputed cost differs from the solver's, or
   whose rows fail here (tests/test_verify.py).

Tolerances are in LP units (model.Scale), so they follow the scenario's size: a side may miss
its bound by `ABSOLUTE_LP` LP units of its kind plus `tolerance` x the larger side.
"""

from __future__ import annotations

from .checks import TANGENT_POINTS
from .errors import VerificationError
from .families import FAMILIES

ABSOLUTE_LP = 1e-5
"""Absolute slack per row in LP units of its kind (HiGHS's tolerances are 1e-7 for an LP and
1e-6 for a MILP there): 1e-5 of the smallest positive demand or less, far below anything
reported."""


def verify_plan(plan, result=None, tolerance: float = 1e-6) -> None:
    """Raise VerificationError listing every breach (rows, then costs)."""
    from .formulation.model import Scale

    scale = Scale.of(plan.data)
    breaches: list[str] = []

    absolute: dict[str, float] = {}

    def check(name: str, lhs: float, sense: str, rhs: float, kind: str, magnitude: float = 0.0) -> None:
        """`magnitude`: the size of the terms behind the sides, where they cancel (costs)."""
        unit = absolute.get(kind)
        if unit is None:
            unit = absolute[kind] = ABSOLUTE_LP * scale.of_kind(kind)
        slack = unit + tolerance * max(abs(lhs), abs(rhs), magnitude)
        if sense == "<=":
            broken = lhs > rhs + slack
        elif sense == ">=":
            broken = lhs < rhs - slack
        else:
            broken = abs(lhs - rhs) > slack
        if broken:
            breaches.append(f"{name}: {lhs + 0.0:.9g} {sense} {rhs + 0.0:.9g} does not hold")

    for (o, t), units in plan.acquired.items():
        if t not in plan.data.offers[o].signable and units > 0:
            breaches.append(f"x[{plan.data.offers[o].key},{plan.data.periods[t].name}]: signed outside its window")
    for family in FAMILIES.values():
        if family.check is not None:
            for c in family.check(plan):
                check(c.name, c.lhs, c.sense, c.rhs, c.kind)
    if result is not None:
        _check_costs(plan, result, check)
    if breaches:
        raise VerificationError(breaches)


def _check_costs(plan, result, check) -> None:
    """The plan's recomputed costs against the solver's value of the same objective parts."""
    data = plan.data
    from .results import OUTSIDE_PROCUREMENT

    breakdown = result.cost_breakdown_usd
    procurement = sum(v for k, v in breakdown.items() if k not in OUTSIDE_PROCUREMENT)
    equity = breakdown.get("vendor_equity", 0.0)
    gross = sum(abs(v) for v in breakdown.values())
    check("total_cost_usd = sum of its parts", result.total_cost_usd, "==", procurement, "money")
    check("procurement cost and vendor equity recomputed from the plan = the solver's cost", procurement + equity,
          "==", result.solver_parts_usd.get("cost", procurement + equity), "money", gross)
    check("vendor equity recomputed from the plan = the solver's", equity, "==",
          result.solver_parts_usd.get("equity", equity), "money", gross)
    check("resale income recomputed from the plan = the solver's", -breakdown.get("resale", 0.0), "==",
          result.solver_parts_usd.get("resale", -breakdown.get("resale", 0.0)), "money", gross)
    if result.objective == "multi-vendor" and data.resilience_mode == "priced":
        check("expected disruption recomputed from the recourse = the solver's", result.expected_disruption_usd,
              "==", result.solver_parts_usd.get("resilience", 0.0), "money")
    # the tangent cuts under-estimate each vendor's squared share by at most 0.025²
    cuts_gap = len(data.vendors) * (TANGENT_POINTS[1] / 2) ** 2
    if result.objective == "multi-vendor" and data.hhi_weight > 0:
        slack = sum(data.hhi_weight * data.discount[t] * data.periods[t].years for t in data.T) * cuts_gap
        check("HHI penalty recomputed >= the solver's", result.concentration_penalty_usd, ">=",
              result.solver_parts_usd["hhi"], "money")
        check("HHI penalty recomputed <= the solver's + the cuts' gap", result.concentration_penalty_usd, "<=",
              result.solver_parts_usd["hhi"] + slack, "money")
    if result.objective in ("max-share", "hhi") and len(result.stages) > 1:
        _check_concentration_stage(plan, result, check, cuts_gap)


def _check_concentration_stage(plan, result, check, cuts_gap: float) -> None:
    """A lexicographic objective's plan reaches the concentration its second stage proved: the
    time-averaged largest vendor share (exact), or HHI (between the cuts' value and it plus
    their gap), recomputed from the plan's vendor shares of demand."""
    data = plan.data
    years = sum(p.years for p in data.periods)
    measure = 0.0
    for t, period in enumerate(data.periods):
        if sum(w.demand[t] for w in data.workloads.values()) > 0:
            shares = [plan.vendor_share_of_demand(v, t) for v in data.vendors]
            measure += period.years * (max(shares) if result.objective == "max-share" else sum(s * s for s in shares))
    measure /= years
    proved = result.stages[1]
    name = "largest vendor share" if result.objective == "max-share" else "HHI"
    check(f"time-averaged {name} recomputed >= the second stage's", measure, ">=", proved, "one")
    check(f"time-averaged {name} recomputed <= the second stage's", measure, "<=",
          proved + (cuts_gap if result.objective == "hhi" else 0.0), "one")
