"""Independent re-check of a plan against every constraint, from the scenario data alone.

Nothing here reads the LP: active units, served compute, spend and shares are recomputed from
the plan (x, y, u) with plan.py, and resilience from an independent re-assignment
(recourse.py). A breach is reported when a side misses by more than
`ABSOLUTE + tolerance * max(1, |lhs|, |rhs|)` (`ABSOLUTE_USD` on rows in dollars).
"""

from __future__ import annotations

from .errors import VerificationError
from .plan import Plan
from .recourse import evaluate

ABSOLUTE = 1e-3
"""Absolute slack in the row's own unit (units, H100e, MW): far below anything reported."""
ABSOLUTE_USD = 1.0
"""Absolute slack on rows in dollars: the LP holds money in $M, so HiGHS's feasibility
tolerance (1e-7 in LP units, 1e-6 for a MILP) is $0.1-$1 there."""


def verify_plan(plan: Plan, result=None, tolerance: float = 1e-6) -> None:
    data = plan.data
    breaches: list[str] = []

    def check(name: str, lhs: float, sense: str, rhs: float, absolute: float = ABSOLUTE) -> None:
        slack = absolute + tolerance * max(1.0, abs(lhs), abs(rhs))
        broken = lhs > rhs + slack if sense == "<=" else lhs < rhs - slack
        if broken:
            breaches.append(f"{name}: {lhs:.6g} {sense} {rhs:.6g} does not hold")

    for (o, t), units in plan.acquired.items():
        check(f"x[{data.offers[o].key},{data.periods[t].name}] >= 0", units, ">=", 0.0)
        if t not in data.offers[o].signable:
            breaches.append(f"x[{data.offers[o].key},{data.periods[t].name}]: signed outside its window")
    for (o, w, t), units in plan.assigned.items():
        check(f"y[{data.offers[o].key},{w},{data.periods[t].name}] >= 0", units, ">=", 0.0)
        if units > ABSOLUTE and data.offers[o].theta.get(w, 0.0) <= 0:
            breaches.append(f"y[{data.offers[o].key},{w},{data.periods[t].name}]: offer cannot run {w}")
    for (w, t), h in plan.unmet.items():
        check(f"u[{w},{data.periods[t].name}] >= 0", h, ">=", 0.0)

    for o, offer in enumerate(data.offers):
        for t, period in enumerate(data.periods):
            running = sum(plan.assigned.get((o, w, t), 0.0) for w in offer.theta)
            check(f"capacity[{offer.key},{period.name}]", running, "<=", plan.active(o, t))

    for w, workload in data.workloads.items():
        for t, period in enumerate(data.periods):
            served = sum(off.theta.get(w, 0.0) * plan.assigned.get((o, w, t), 0.0)
                         for o, off in enumerate(data.offers))
            check(f"demand[{w},{period.name}]", served + plan.unmet.get((w, t), 0.0), ">=", workload.demand[t])

    for family, caps in (("supply", data.supply), ("resource", data.resources)):
        for cap in caps:
            for t, period in enumerate(data.periods):
                if cap.cap[t] is not None:
                    used = sum(c * plan.acquired.get((o, t), 0.0) for o, c in cap.coef.items())
                    check(f"{family}[{cap.name},{period.name}]", used, "<=", cap.cap[t])

    for family, caps in (("power", data.power), ("delivery", data.delivery)):
        for cap in caps:
            for t, period in enumerate(data.periods):
                if cap.cap[t] is not None:
                    used = sum(c * plan.active(o, t) for o, c in cap.coef.items())
                    check(f"{family}[{cap.name},{period.name}]", used, "<=", cap.cap[t])

    for t, period in enumerate(data.periods):
        if data.budget[t] is not None:
            spend = sum(plan.spend(o, t) for o in range(len(data.offers)))
            check(f"budget[{period.name}]", spend, "<=", data.budget[t], ABSOLUTE_USD)

    for rule in data.shares:
        for t in rule.periods:
            values = [plan.measure(o, t, rule.measure) for o in range(len(data.offers))]
            total, part = sum(values), sum(values[o] for o in rule.members)
            name = f"share[{rule.group},{rule.member},{rule.measure},{data.periods[t].name}]"
            absolute = ABSOLUTE_USD if rule.measure == "spend" else ABSOLUTE
            if rule.high is not None:
                check(name + " max", part, "<=", rule.high * total, absolute)
            if rule.low is not None:
                check(name + " min", part, ">=", rule.low * total, absolute)

    if data.milp.integer:  # without --integer, lots and clusters are relaxed by design
        for (o, t), units in plan.acquired.items():
            lots = units / data.milp.lot_units
            check(f"lots[{data.offers[o].key},{data.periods[t].name}] whole", abs(lots - round(lots)), "<=", 0.0)
        for w, size in data.milp.min_cluster.items():
            for t, period in enumerate(data.periods):
                if data.workloads[w].demand[t] > 0:
                    largest = max(plan.assigned.get((o, w, t), 0.0) for o in range(len(data.offers)))
                    check(f"cluster[{w},{period.name}] largest run", largest, ">=", size)

    if data.resilience_mode == "hard":
        for c in evaluate(plan):
            check(f"cover[{c.failure},{c.workload},{c.period}]", c.covered_h100e, ">=", c.required_h100e)

    if result is not None:
        check("total_cost_usd = sum of cost_breakdown_usd", result.total_cost_usd, ">=",
              sum(result.cost_breakdown_usd.values()))
        check("total_cost_usd = sum of cost_breakdown_usd", result.total_cost_usd, "<=",
              sum(result.cost_breakdown_usd.values()))

    if breaches:
        raise VerificationError(breaches)
