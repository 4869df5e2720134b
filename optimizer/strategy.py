"""The multi-vendor strategy, priced: the cost/concentration frontier and each vendor's leverage.

Both re-solve one model kept in a HighsSession (bounds and right-hand sides change in place,
HiGHS starts from the last basis), so a 10-point frontier or a leverage table costs a handful
of warm re-solves, not rebuilds.

Frontier (ε-constraint): minimise procurement cost subject to `measure <= ε`, for ε from the
cost-only optimum's value down to the smallest value any plan reaches (found by minimising the
measure without serving less demand than the cost-only plan; every point keeps that guard, so
diversity is bought with dearer capacity, never by leaving demand unmet). Measures: `max-share` (the
time-averaged largest vendor share of demand), `hhi` (time-averaged HHI, tangent cuts) and
`disruption` (expected disruption cost of priced resilience).

Leverage, per vendor: the lab's walk-away position (the cost if the vendor gets no new
business; its installed units stay), its share and spend now, and for each of its offers the
price range within which the plan stays as it is. The range is exact parametric cost ranging
on the optimal basis: the offer's price moves the cost of all its columns together (upfront
price: δ_τ − δ_H·salvage fraction per unit signed in τ; recurring: Σ δ_t Δ_t over the periods
a signing is active), and the basis stays optimal while every non-basic reduced cost and
row dual keeps its sign. Inside the range the plan is unchanged; past `price_high` the offer
starts to lose business, below `price_low` it takes more. Prices that also enter a budget,
spend-share or deal row are ranged on their cost only (those rows are held fixed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pulp

from .errors import ConfigError, InfeasibleError, Problem
from .formulation import build
from .formulation.model import Model
from .results import make_result
from .solver import HighsSession, Solution

MEASURES = {"max-share": ("max_share", "max_vendor_share"), "hhi": ("mean_hhi", "hhi"),
            "disruption": ("resilience", "expected_disruption_usd")}


# ---------------------------------------------------------------- frontier


def frontier_points(scenario, measure: str = "max-share", points: int = 10) -> dict[str, Any]:
    """The frontier document: {"measure", "points": [...], "chosen": {...}}."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}, expected one of {', '.join(MEASURES)}")
    data = scenario.data
    if measure == "disruption" and not (data.failures and data.resilience_mode == "priced"):
        raise ConfigError([Problem(None, "policy.resilience", "the disruption frontier needs priced resilience "
                                   "with failures, expected policy.resilience.mode: priced")])
    model = build(data, {"max-share": "max-share", "hhi": "hhi", "disruption": "multi-vendor"}[measure])
    part, key = MEASURES[measure]
    expression = model.objectives[part]
    session = HighsSession(model, model.objectives["cost"], None)
    cheapest = _optimal(session.run(), scenario)
    high = _value(expression, cheapest)

    for (w, t), u in model.family("u").items():  # diversity is never bought by serving less
        model.add_row("unmet_guard", (w, t), [(u, 1.0)], "<=", max(cheapest.values[u.column], 0.0), 1.0)
    session.set_objective(expression)
    low = _value(expression, _optimal(session.run(), scenario))
    session.set_objective(model.objectives["cost"])
    cap = model.add_row("frontier_cap", (), list(expression.items()), "<=", high, 1.0)

    rows = []
    for epsilon in np.linspace(high, low, max(points, 2)):
        session.set_row_upper(cap, float(epsilon) + 1e-9 * max(1.0, abs(high)))
        solution = _optimal(session.run(), scenario)
        row = _point(model, solution, measure, key)
        money = model.scale.money
        row["cap"] = float(epsilon) * (money if measure == "disruption" else 1.0)
        dual = solution.row_duals[cap.position]
        row["marginal_usd_per_point"] = -dual * (money * 0.01 if measure != "disruption" else 1.0)
        rows.append(row)
    base = rows[0]
    for row in rows:
        given_up = (base[key] - row[key]) * (100 if measure != "disruption" else 1)
        row["usd_per_point"] = (row["total_cost_usd"] - base["total_cost_usd"]) / given_up if given_up > 1e-9 else 0.0

    from .api import solve

    chosen = solve(scenario)
    chosen_row = {"objective": chosen.objective, "total_cost_usd": chosen.total_cost_usd, **_measures(chosen)}
    return {"measure": key, "scenario": scenario.name, "points": rows, "chosen": chosen_row,
            "unit": "per point of share" if measure != "disruption" else "per $ of expected disruption"}


def _optimal(solution: Solution, scenario) -> Solution:
    if solution.status != "optimal":
        raise InfeasibleError(f"scenario {scenario.name!r}: the frontier solve ended {solution.status}")
    return solution


def _value(expression: pulp.LpAffineExpression, solution: Solution) -> float:
    return float(expression.constant + sum(c * solution.values[v.column] for v, c in expression.items()))


def _point(model: Model, solution: Solution, measure: str, key: str) -> dict[str, Any]:
    result = _verified(model, solution, "cost")
    return {"total_cost_usd": result.total_cost_usd, **_measures(result)}


def _verified(model: Model, solution: Solution, objective: str):
    """The Result of a re-solve, re-checked like every plan cpo reports (VerificationError)."""
    result = make_result(model, solution, objective)
    result.verify()
    return result


def _measures(result) -> dict[str, Any]:
    """Time-averaged largest vendor share and HHI (exact, of demand), expected disruption,
    unmet share and each vendor's share of served compute over the horizon."""
    data = result.data
    years = [p.years for p in data.periods]
    concentration = result.tables["concentration"]
    weight = sum(years)
    served: dict[str, float] = {v: 0.0 for v in data.vendors}
    periods = {p.name: p.years for p in data.periods}
    for row in result.tables["plan"]:
        served[row["vendor"]] += row["served_h100e"] * periods[row["period"]]
    total = sum(served.values()) or 1.0
    demand = sum(r["demand_h100e"] * periods[r["period"]] for r in result.tables["unmet"]) or 1.0
    return {
        "max_vendor_share": sum(r["max_vendor_share"] * y for r, y in zip(concentration, years)) / weight,
        "hhi": sum(r["hhi"] * y for r, y in zip(concentration, years)) / weight,
        "expected_disruption_usd": result.expected_disruption_usd,
        "unmet_share": sum(r["h100e"] * periods[r["period"]] for r in result.tables["unmet"]) / demand,
        "shares": {v: s / total for v, s in served.items()},
    }


# ---------------------------------------------------------------- leverage


@dataclass(frozen=True)
class OfferDirection:
    offer: str
    field: str
    price: float
    columns: dict[int, float]
    """LP column -> d(cost coefficient)/d(price), in $M per LP unit per $."""


def leverage_document(scenario, objective: str | None = None) -> dict[str, Any]:
    """{"vendors": [{vendor, share, spend_usd, exclusion_cost_usd, offers: [...]}], ...}."""
    objective = objective or scenario.config.objective
    if objective not in ("cost", "multi-vendor"):
        objective = "cost"
    model = build(scenario.data, objective)
    parts = model.objectives
    session = HighsSession(model, parts["cost"] + parts["resilience"] + parts["hhi"]
                           if objective == "multi-vendor" else parts["cost"], None)
    solution = _optimal(session.run(), scenario)
    base = _verified(model, solution, objective)
    data = scenario.data
    directions = _offer_directions(model)
    ranging = _Ranging(session.highs)
    ranges = {d.offer: ranging.interval(d.columns) for d in directions}
    signed = {}
    for (o, _), units in base.plan_values.acquired.items():
        signed[data.offers[o].catalog_key] = signed.get(data.offers[o].catalog_key, 0.0) + units
    measures = _measures(base)
    spend = {v: 0.0 for v in data.vendors}
    spend_total = 0.0
    for o, offer in enumerate(data.offers):
        for t in data.T:
            amount = data.discount[t] * base.plan_values.spend(o, t)
            spend[offer.vendor] += amount
            spend_total += amount
    vendors = []
    for vendor in data.vendors:
        columns = [v for (o, _), v in model.family("x").items() if data.offers[o].vendor == vendor]
        session.set_upper_bounds(columns, [0.0] * len(columns))
        excluded = session.run()
        session.set_upper_bounds(columns, [None] * len(columns))
        exclusion = _verified(model, excluded, objective).total_cost_usd if excluded.status == "optimal" else None
        offers = []
        for direction in (d for d in directions if d.offer.split("/")[0] == vendor):
            low, high = ranges[direction.offer]
            used = signed.get(direction.offer, 0.0)
            offers.append({
                "offer": direction.offer, "price_field": direction.field, "price": direction.price,
                "price_low": max(direction.price + low, 0.0), "price_high": direction.price + high,
                "units_signed": used,
                "raise_to_lose_fraction": (high / direction.price if used > 1e-6 and direction.price else None),
                "cut_to_win_fraction": (-low / direction.price if used <= 1e-6 and direction.price and np.isfinite(low)
                                   else None),
            })
        vendors.append({
            "vendor": vendor, "share": measures["shares"].get(vendor, 0.0),
            "spend_usd": spend[vendor], "spend_share": spend[vendor] / spend_total if spend_total else 0.0,
            "exclusion_cost_usd": exclusion, "exclusion_status": excluded.status,
            "walk_away_usd": (exclusion - base.total_cost_usd) if exclusion is not None else None,
            "offers": offers,
        })
    return {"scenario": scenario.name, "objective": objective, "total_cost_usd": base.total_cost_usd,
            "vendors": vendors}


def _offer_directions(model: Model) -> list[OfferDirection]:
    """Per catalog offer: its price field, price, and the cost derivative of each of its x columns."""
    data = model.data
    out: dict[str, OfferDirection] = {}
    for (o, tau), var in model.family("x").items():
        offer = data.offers[o]
        key = offer.catalog_key
        if offer.attrs["channel"] == "buy":
            field = "upfront"
            derivative = data.discount_at(offer.signed_at[tau]) - data.end_discount * offer.salvage_fraction.get(tau, 0.0)
        else:
            field = "recurring"
            derivative = sum(data.discount[t] * data.periods[t].years * share for t, share in offer.activity[tau])
        if key not in out:
            out[key] = OfferDirection(key, field, offer.list_price[field][offer.signable[0]], {})
        out[key].columns[var.column] = derivative * model.scale.units / model.scale.money
    return list(out.values())


class _Ranging:
    """The optimal basis in arrays, read once, for parametric cost ranging of many directions."""

    def __init__(self, highs):
        import highspy

        self.highs = highs
        lp = highs.getLp()
        self.n, self.m = lp.num_col_, lp.num_row_
        basis, solution = highs.getBasis(), highs.getSolution()
        self.basic = np.asarray(highs.getBasicVariables()[1])
        highs.ensureColwise()
        matrix = highs.getLp().a_matrix_
        self.start, self.index = np.asarray(matrix.start_), np.asarray(matrix.index_)
        self.value = np.asarray(matrix.value_)
        self.owner = np.repeat(np.arange(self.n), np.diff(self.start))
        lower, upper = highspy.HighsBasisStatus.kLower.value, highspy.HighsBasisStatus.kUpper.value
        col_status = np.array([s.value for s in basis.col_status])
        row_status = np.array([s.value for s in basis.row_status])
        equality = np.asarray(lp.row_lower_) == np.asarray(lp.row_upper_)
        # sign: +1 where the reduced cost (row dual) must stay >= 0, -1 where <= 0, 0 where free
        self.col_sign = np.where(col_status == lower, 1.0, np.where(col_status == upper, -1.0, 0.0))
        self.row_sign = np.where(equality, 0.0,
                                 np.where(row_status == lower, 1.0, np.where(row_status == upper, -1.0, 0.0)))
        self.col_dual, self.row_dual = np.asarray(solution.col_dual), np.asarray(solution.row_dual)

    def interval(self, columns: dict[int, float]) -> tuple[float, float]:
        """The t for which the basis stays optimal when costs become c + t·d (d given per column)."""
        d = np.zeros(self.n)
        for j, g in columns.items():
            d[j] = g
        rhs = np.where(self.basic >= 0, d[np.maximum(self.basic, 0)], 0.0)
        yhat = np.asarray(self.highs.getBasisTransposeSolve(rhs)[1])
        aty = np.zeros(self.n)
        np.add.at(aty, self.owner, self.value * yhat[self.index])
        values = np.concatenate([self.col_sign * self.col_dual, self.row_sign * self.row_dual])
        slopes = np.concatenate([self.col_sign * (d - aty), self.row_sign * yhat])
        values = np.maximum(values, 0.0)  # need values + t * slopes >= 0
        rising, falling = slopes > 1e-12, slopes < -1e-12
        low = np.max(-values[rising] / slopes[rising]) if rising.any() else -np.inf
        high = np.min(values[falling] / -slopes[falling]) if falling.any() else np.inf
        return float(low), float(high)


def frontier(scenario, measure: str = "max-share", points: int = 10):
    """The frontier as a DataFrame: one row per point (cap, measures, cost, $ per point)."""
    import pandas as pd

    return pd.DataFrame(frontier_rows(frontier_points(scenario, measure, points)))


def frontier_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per frontier point: the vendor shares become share_<vendor> columns."""
    return [{k: v for k, v in row.items() if k != "shares"} | {f"share_{v}": s for v, s in row["shares"].items()}
            for row in document["points"]]


def leverage(scenario, objective: str | None = None):
    """Leverage as a DataFrame: one row per (vendor, offer) with the vendor's figures repeated."""
    import pandas as pd

    return pd.DataFrame(leverage_rows(leverage_document(scenario, objective)))


def leverage_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per (vendor, offer), the vendor's figures repeated on each."""
    return [{**{k: v for k, v in vendor.items() if k != "offers"}, **offer}
            for vendor in document["vendors"] for offer in vendor["offers"] or [{}]]
