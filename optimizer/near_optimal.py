"""Near-optimal alternatives (modelling to generate alternatives, MGA): the negotiating room a
lab has at almost no cost.

With f* the optimum of the scenario's objective (cost or multi-vendor), every plan kept obeys

    near_optimal:  f <= f* + slack·|f*|
    served_fixed[w,t]:  u[w,t] = u*[w,t]     (the optimum's unmet demand, in each workload and period)

so it costs at most `slack` more and serves exactly what the optimum serves. Serving the same
compute, a member m's share of served compute over the horizon is linear in the plan:

    share_m = Σ_t Δ_t Σ_{o∈m} Σ_w θ[o,w,t] y[o,w,t] / Σ_t Δ_t Σ_w (D[w,t] − u*[w,t])

and is minimised and maximised for each member (vendor, site, any offer attribute, or deal:
the offers a deal covers), then `plans` diverse plans maximise Σ_m r_m share_m for random
directions r (a seeded normal draw). Every solve is a warm re-solve of one HighsSession, and
every plan reported is verified (results.Result.verify) and re-checked against the slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pulp

from .errors import ConfigError, InfeasibleError, Location, Problem, VerificationError

NO_DEAL = "(no deal)"


@dataclass
class Alternatives:
    """Ranges of each member's share among plans within the slack, and diverse plans."""

    scenario: str
    objective: str
    by: str
    slack: float
    optimum_usd: float
    ranges: list[dict[str, Any]]
    """member, optimum_share, min_share, max_share, and the objective and procurement cost of
    the plan at each end (min_plan_objective_usd, min_plan_cost_usd, max_plan_...)."""
    plans: list[dict[str, Any]] = field(default_factory=list)
    """One row per diverse plan: plan, objective_usd, total_cost_usd, share_<member>..."""
    seconds: dict[str, float] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        from .results import json_ready

        return json_ready({"scenario": self.scenario, "objective": self.objective, "by": self.by, "slack": self.slack,
                           "optimum_usd": self.optimum_usd, "ranges": self.ranges, "plans": self.plans})

    @property
    def frame(self):
        import pandas as pd

        return pd.DataFrame(self.ranges)


def members(data, by: str) -> dict[str, list[int]]:
    """Member name -> offer instances, for an attribute group (vendor, site, provider...) or
    `deal` (each deal's offers; the rest under NO_DEAL)."""
    if by == "deal":
        out = {deal.name: sorted(deal.offers) for deal in data.deals}
        covered = {o for deal in data.deals for o in deal.offers}
        rest = [o for o in range(len(data.offers)) if o not in covered]
        return {**out, **({NO_DEAL: rest} if rest else {})}
    if by not in data.groups:
        raise ConfigError([Problem(Location("--by"), "", f"found {by!r}, expected one of "
                                   f"{', '.join((*data.groups, 'deal'))}")])
    return data.group_members(by)


def alternatives(scenario, slack: float = 0.01, by: str = "vendor", plans: int = 0, objective: str | None = None,
                 seed: int = 0) -> Alternatives:
    """The near-optimal ranges of each member's share, and `plans` diverse plans (see module)."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from .formulation import build, paused_gc
    from .solver import HighsSession, multi_vendor_objective
    from .stochastic import STAGE_OBJECTIVES

    objective = objective or scenario.config.objective
    if objective not in STAGE_OBJECTIVES:
        raise ConfigError([Problem(Location("--objective"), "", f"found {objective}, expected one of "
                                   f"{', '.join(STAGE_OBJECTIVES)} (max-share and hhi are themselves about shares)")])
    if not 0 <= slack <= 1:
        raise ConfigError([Problem(Location("--slack"), "", f"found {slack:g}, expected a fraction between 0 and 1 "
                                   "(0.01: plans within 1% of the optimum)")])
    started = time.perf_counter()
    data = scenario.data
    groups = members(data, by)
    with paused_gc():
        model = build(data, objective)
        f = model.objectives["cost"] if objective == "cost" else multi_vendor_objective(model)
        session = HighsSession(model, f, None)
        optimum = _optimal(session.run(prices=False), scenario)
        best = _value(f, optimum)
        served = _guard(model, f, best, slack, optimum)
        if served <= 0:
            raise ConfigError([Problem(scenario.tree.locate(("workloads",)), "workloads", "found nothing served at the "
                                       "optimum (no demand, or all of it unmet), expected some served compute: "
                                       "shares of served compute have no range")])
        session.prefer_primal()
        shares = {m: _share_expression(model, offers, served) for m, offers in groups.items()}
        at_optimum = {m: _value(e, optimum) for m, e in shares.items()}
        first = time.perf_counter()
        twin = _twin(session, model, f)
        members_list = list(shares)
        halves = (members_list[::2], members_list[1::2])
        with ThreadPoolExecutor(3) as pool:  # two HiGHS sessions (the GIL released) and the checks beside them
            def extremes_of(runner, names) -> dict:
                found = {}
                for member in names:
                    for sense in (1.0, -1.0):
                        runner.set_objective(sense * shares[member])
                        solution = _optimal(runner.run(prices=False), scenario)
                        found[member, sense] = (_value(shares[member], solution),
                                                pool.submit(_checked, model, solution, f, best, slack))
                return found

            other = pool.submit(extremes_of, twin, halves[1])
            extremes = {**extremes_of(session, halves[0]), **other.result()}
            directions = np.random.default_rng(seed).normal(size=(plans, len(shares)))
            diverse = []
            for direction in directions:
                expression = pulp.LpAffineExpression()
                for weight, share in zip(direction, shares.values()):
                    expression += -float(weight) * share
                session.set_objective(expression)
                solution = _optimal(session.run(prices=False), scenario)
                diverse.append(({f"share_{m}": _value(e, solution) for m, e in shares.items()},
                                pool.submit(_checked, model, solution, f, best, slack)))
        ranges = []
        for member in shares:
            (low, low_check), (high, high_check) = extremes[member, 1.0], extremes[member, -1.0]
            (low_objective, low_cost), (high_objective, high_cost) = low_check.result(), high_check.result()
            ranges.append({"member": member, "optimum_share": at_optimum[member], "min_share": low, "max_share": high,
                           "min_plan_objective_usd": low_objective, "min_plan_cost_usd": low_cost,
                           "max_plan_objective_usd": high_objective, "max_plan_cost_usd": high_cost})
        rows = [{"plan": k + 1, "objective_usd": check.result()[0], "total_cost_usd": check.result()[1], **plan_shares}
                for k, (plan_shares, check) in enumerate(diverse)]
    money = model.scale.money
    return Alternatives(scenario.name, objective, by, slack, best * money, ranges, rows,
                        {"optimum": first - started, "total": time.perf_counter() - started})


def _twin(session, model, f):
    """A second HiGHS session of the same model (the guard rows included), warm from the
    first's basis: half the members' extremes are solved on it, at the same time."""
    from .solver import HighsSession

    session._sync_rows()
    twin = HighsSession(model, f, None)
    twin.prefer_primal()
    twin.highs.setBasis(session.highs.getBasis())
    return twin


def _guard(model, f, best: float, slack: float, optimum) -> float:
    """Add near_optimal and served_fixed; return the optimum's served compute over the horizon
    (Σ_t Δ_t Σ_w D − u*, LP units x years)."""
    data = model.data
    model.add_row("near_optimal", (), dict(f.items()), "<=", best + slack * abs(best) - float(f.constant), model.scale.money)
    total = 0.0
    for (w, t), u in model.family("u").items():
        unmet = max(float(optimum.values[u.column]), 0.0)
        model.add_row("served_fixed", (w, t), [(u, 1.0)], "==", unmet, model.scale.units)
        total += data.periods[t].years * (data.workloads[w].demand[t] / model.scale.units - unmet)
    return total


def _share_expression(model, offers: list[int], served: float) -> pulp.LpAffineExpression:
    """Σ_t Δ_t Σ_{o∈m} Σ_w θ y / served: the member's share of served compute over the horizon."""
    data, chosen = model.data, set(offers)
    terms = {var: data.offers[o].rate(w, t) * data.periods[t].years / served
             for (o, w, t), var in model.family("y").items() if o in chosen}
    return pulp.LpAffineExpression(terms)


def _value(expression: pulp.LpAffineExpression, solution) -> float:
    return float(expression.constant) + sum(c * float(solution.values[v.column]) for v, c in expression.items())


def _optimal(solution, scenario):
    if solution.status != "optimal":
        raise InfeasibleError(f"scenario {scenario.name!r}: a near-optimal re-solve ended {solution.status}")
    return solution


def _checked(model, solution, f, best: float, slack: float) -> tuple[float, float]:
    """The plan verified (every row recomputed from the data: verify.verify_plan) and its
    objective within the slack: (objective, procurement cost recomputed from the plan)."""
    from .results import OUTSIDE_PROCUREMENT, plan_from_solution
    from .verify import verify_plan

    plan = plan_from_solution(model, solution)
    verify_plan(plan)
    money = model.scale.money
    value, limit = _value(f, solution) * money, (best + slack * abs(best)) * money
    if value > limit + 1e-7 * max(abs(limit), money):
        raise VerificationError([f"a near-optimal plan's objective, {value:.9g}, is above the slack's {limit:.9g}"])
    return value, sum(v for k, v in plan.cost_breakdown().items() if k not in OUTSIDE_PROCUREMENT)
