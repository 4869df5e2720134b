"""`Result`: the plan, its costs, shares and prices as tidy rows and pandas DataFrames.

Every number is computed from the plan and the scenario data (plan.py), except prices, which
are the LP's duals converted to business units (interpret.py, through families.FAMILIES).
Rows are plain dicts so the CLI can print them without importing pandas; the DataFrame
properties build frames on first use.

One headline everywhere: `total_cost_usd` is the procurement cost (present value: upfront,
recurring, unmet demand at VOLL, salvage, deals, porting), whatever the objective. The expected
cost of disruptions is its own figure (`expected_disruption_usd`, also
`cost_breakdown_usd["resilience"]`, not part of the total), and `risk_adjusted_cost_usd` adds
the two. `objective_value_usd` is what the solver minimised (with the HHI penalty).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from .data import SHARE_MEASURES, ModelData
from .families import FAMILIES
from .formulation import paused_gc
from .formulation.model import Model
from .instruments import option_rows, package_rows
from .interpret import Reading
from .plan import Plan
from .recourse import Coverage, evaluate, from_model
from .solver import Solution

JSON_KEYS = ("status", "objective", "total_cost_usd", "cost_breakdown_usd", "periods", "vendors",
             "plan", "assignment", "unmet", "shares", "prices", "resilience", "deals")
TABLES = ("plan", "assignment", "unmet", "shares", "prices", "resilience", "deals", "spend",
          "power", "concentration", "commitments", "tiers", "vendor_counts", "ladders", "staggers", "resale",
          "options", "packages")
DUAL_TOLERANCE = 1e-9
"""LP duals smaller than this (in LP money per LP unit) are reported as not binding."""
NOISE_LP = 1e-9
"""Units signed, active or assigned below this many LP units (model.Scale) are solver noise:
no plan row is written for them."""

OUTSIDE_PROCUREMENT = ("resilience", "vendor_equity")
"""cost_breakdown_usd entries reported beside the procurement cost, not in it: the expected
disruption, and vendor equity (financing, never a discount)."""

DECISIONS = {"u": "units", "z": "units", "s": "units", "short": "money", "credit": "money", "vest": "one",
             "cluster": "one", "ported": "one", "sigma": "one", "q": "one", "m": "one", "lots": "one",
             "tier_spend": "money", "tier": "one", "counted": "one", "sold": "units", "reserve": "measure", "take": "one"}
"""The solver's columns besides x and y that verify() checks rows with, and their quantity kind
(`measure`: the option's own, units or mw)."""


def plan_from_solution(model: Model, solution: Solution) -> Plan:
    """Read x, y and the other columns from the solution by their keys, in real units (the
    recourse z only where non-zero: most of its columns are)."""
    import numpy as np

    values, scale = solution.values, model.scale

    def read(family: str, kind: str = "units") -> dict:
        columns = model.family(family)
        if kind == "measure":  # reserve: each option's own measure
            measures = {(option.name,): option.measure for option in model.data.options}
            return {key: max(float(values[var.column]), 0.0) * scale.of_kind(measures[key])
                    for key, var in columns.items()}
        factor = scale.of_kind(kind)
        if family != "z":
            return {key: max(float(values[var.column]), 0.0) * factor for key, var in columns.items()}
        keys = list(columns)
        flow = values[np.fromiter((v.column for v in columns.values()), dtype=np.int64, count=len(keys))]
        return {keys[i]: float(flow[i]) * factor for i in np.flatnonzero(flow > 0).tolist()}

    decisions = {family: read(family, kind) for family, kind in DECISIONS.items() if family in model.vars}
    return Plan(read("x"), read("y"), model.data, decisions)


@dataclass(repr=False)
class Result:
    status: str
    objective: str
    solver: str
    data: ModelData = field(repr=False)
    plan_values: Plan = field(repr=False)
    tables: dict[str, list[dict[str, Any]]] = field(repr=False)
    cost_breakdown_usd: dict[str, float] = field(default_factory=dict)
    """The procurement cost's parts (they sum to total_cost_usd), and beside them (OUTSIDE_PROCUREMENT)
    `resilience`, the expected disruption, and `vendor_equity`, the equity-kind financing."""
    total_cost_usd: float = 0.0
    """Procurement cost, present value: the headline of every command."""
    objective_value_usd: float = 0.0
    """What the solver minimised, recomputed: procurement + vendor equity (negative) + (expected
    disruption if the objective prices it) + HHI penalty."""
    expected_disruption_usd: float = 0.0
    concentration_penalty_usd: float = 0.0
    mip_gap: float | None = None
    seconds: dict[str, float] = field(default_factory=dict, repr=False)
    solver_parts_usd: dict[str, float] = field(default_factory=dict, repr=False)
    """The solver's own value of each objective part (cost, resilience, hhi), for verify()."""
    message: str = ""
    """Why a plan is not proven optimal (time or gap limit), if it is not."""
    stages: tuple[float, ...] = ()
    """The solver's objective after each stage of a lexicographic objective (LP units): cost,
    the concentration measure, cost again."""

    def __repr__(self) -> str:
        shares = ", ".join(f"{v} {s:.0%}" for v, s in sorted(self._horizon_shares().items(), key=lambda kv: -kv[1]))
        return (f"<Result {self.data.name!r}: {self.status}, {self.objective}, procurement "
                f"${self.total_cost_usd / 1e9:,.2f}B, expected disruption ${self.expected_disruption_usd / 1e9:,.2f}B; "
                f"{shares}>")

    def summary(self):
        """The headline figures as a pandas Series: status, objective, procurement cost,
        expected disruption, risk-adjusted cost, unmet share of demand, and each vendor's share
        of the compute served over the horizon (H100e-years)."""
        import pandas as pd

        years = {p.name: p.years for p in self.data.periods}
        demand = sum(r["demand_h100e"] * years[r["period"]] for r in self.tables["unmet"])
        unmet = sum(r["h100e"] * years[r["period"]] for r in self.tables["unmet"])
        return pd.Series({"status": self.status, "objective": self.objective, "total_cost_usd": self.total_cost_usd,
                          "expected_disruption_usd": self.expected_disruption_usd,
                          "risk_adjusted_cost_usd": self.risk_adjusted_cost_usd,
                          "unmet_share": unmet / demand if demand else 0.0,
                          **{f"share_{v}": s for v, s in self._horizon_shares().items()}}, name=self.data.name)

    def _repr_html_(self) -> str:
        """In a notebook: the summary, then the vendor shares of served compute by period."""
        import html

        mix = self.shares
        mix = mix[(mix["group"] == "vendor") & (mix["measure"] == "compute")].pivot(index="member", columns="period",
                                                                                       values="share")
        figures = self.summary().to_frame("value")
        return (f"<h4>{html.escape(self.data.name)}: {html.escape(self.status)}, {html.escape(self.objective)}</h4>"
                + figures.to_html(float_format=lambda v: f"{v:,.4g}")
                + "<p>Vendor shares of served compute, by period</p>" + mix.to_html(float_format=lambda v: f"{v:.1%}"))

    def _horizon_shares(self) -> dict[str, float]:
        years = {p.name: p.years for p in self.data.periods}
        served = {v: 0.0 for v in self.data.vendors}
        for row in self.tables["plan"]:
            served[row["vendor"]] += row["served_h100e"] * years[row["period"]]
        total = sum(served.values())
        return {v: x / total if total else 0.0 for v, x in served.items()}

    @property
    def minimised_usd(self) -> float:
        """The solver's objective at the plan, as the LP values it: cost (with equity), plus
        resilience and the HHI penalty under multi-vendor, the HHI by the LP's tangents (a little
        below the exact HHI that objective_value_usd adds). What a stochastic plan weighs (f_s)."""
        parts = self.solver_parts_usd
        extra = parts.get("resilience", 0.0) + parts.get("hhi", 0.0) if self.objective == "multi-vendor" else 0.0
        return parts["cost"] + extra

    @property
    def risk_adjusted_cost_usd(self) -> float:
        """Procurement cost plus the expected cost of disruptions."""
        return self.total_cost_usd + self.expected_disruption_usd

    # ------------------------------------------------------------ DataFrames

    def frame(self, table: str):
        """Any table as a pandas DataFrame (one row per dict); its `period` column an ordered
        categorical in the horizon's order (2026Q4 < 2027Q1 sorts, compares and groups as time)."""
        import pandas as pd

        frame = pd.DataFrame(self.tables[table], columns=_COLUMNS.get(table))
        if "period" in frame:
            frame["period"] = pd.Categorical(frame["period"], categories=[p.name for p in self.data.periods],
                                             ordered=True)
        return frame

    plan = property(lambda self: self.frame("plan"), doc="Acquisitions, active units, spend per offer and period.")
    assignment = property(lambda self: self.frame("assignment"), doc="Units and H100e per offer, workload, period.")
    unmet = property(lambda self: self.frame("unmet"), doc="Demand, served and unmet H100e per workload and period.")
    shares = property(lambda self: self.frame("shares"), doc="Share of each group member by measure and period.")
    prices = property(lambda self: self.frame("prices"), doc="Binding constraints' duals in business units.")
    resilience = property(lambda self: self.frame("resilience"), doc="Coverage of critical demand per failure.")
    deals = property(lambda self: self.frame("deals"), doc="Deals: minimum, spend, shortfall, credit.")
    spend = property(lambda self: self.frame("spend"), doc="Cash out per vendor and period.")
    power = property(lambda self: self.frame("power"), doc="Facility MW used per site and period.")
    concentration = property(lambda self: self.frame("concentration"), doc="HHI and largest vendor share per period.")
    tiers = property(lambda self: self.frame("tiers"), doc="Volume tiers: tier reached, spend, rebate, the next tier.")
    vendor_counts = property(lambda self: self.frame("vendor_counts"),
                             doc="Vendor-count rules: members serving and counted per period.")
    ladders = property(lambda self: self.frame("ladders"), doc="Each ladder's active level and its moves within 12 months.")
    staggers = property(lambda self: self.frame("staggers"), doc="Each stagger's signings ending per calendar year.")
    resale = property(lambda self: self.frame("resale"), doc="Units sold or sublet, their age and income.")
    options = property(lambda self: self.frame("options"),
                       doc="Capacity options per exercise period: reserved, exercised, fee, value by re-solve.")
    packages = property(lambda self: self.frame("packages"), doc="Package bids: taken, price, value by re-solve.")

    # ------------------------------------------------------------ JSON

    def to_json(self) -> dict[str, Any]:
        """The result document of docs/interface.md (plus extra keys); deterministic."""
        document = {
            "status": self.status,
            "objective": self.objective,
            "scenario": self.data.name,
            "solver": self.solver,
            "total_cost_usd": self.total_cost_usd,
            "cost_breakdown_usd": dict(self.cost_breakdown_usd),
            "procurement_cost_usd": self.total_cost_usd,
            "expected_disruption_usd": self.expected_disruption_usd,
            "risk_adjusted_cost_usd": self.risk_adjusted_cost_usd,
            "concentration_penalty_usd": self.concentration_penalty_usd,
            "objective_value_usd": self.objective_value_usd,
            "mip_gap": self.mip_gap,
            "periods": [p.name for p in self.data.periods],
            "vendors": list(self.data.vendors),
            **{table: self.tables[table] for table in TABLES},
        }
        return json_ready(document)

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=1, sort_keys=False, allow_nan=False) + "\n"

    def verify(self, tolerance: float = 1e-6) -> None:
        """Re-check the plan against every constraint from the scenario data alone; raise
        VerificationError listing each breach."""
        from .verify import verify_plan

        verify_plan(self.plan_values, self, tolerance)


def difference(a: float, b: float) -> float:
    """a − b, 0 where it is below the rounding of the totals: a solve and a re-solve of the same
    plan (a held plan, a stochastic plan's scenario with foresight) differ by ~1e-12 of them."""
    return 0.0 if abs(a - b) <= 1e-11 * max(abs(a), abs(b)) else a - b


def json_ready(value: Any) -> Any:
    """JSON-ready: floats to 15 significant digits (a float's own precision without its last
    binary digits: 0.1 + 0.2 is 0.3; a tiny scenario's figures keep theirs, since rounding to 6
    decimals once turned 4e-7 H100e unmet into 0; and a plan.csv read back by `evaluate` or
    `--committed` costs what the solve did to the cent), no -0, no NaN or infinity (null)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        cleaned = float(f"{value:.15g}")
        return 0.0 if cleaned == 0 else cleaned
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value


_COLUMNS = {
    "plan": ["offer", "vendor", "product", "channel", "provider", "site", "period", "acquired_units",
             "active_units", "served_h100e", "spend_usd"],
    "assignment": ["offer", "vendor", "workload", "period", "units", "h100e"],
    "unmet": ["workload", "period", "demand_h100e", "served_h100e", "h100e"],
    "shares": ["group", "member", "measure", "period", "share"],
    "prices": ["constraint", "family", "period", "value", "unit", "meaning", "market_rent", "market_offer"],
    "resilience": ["failure", "period", "workload", "required_h100e", "covered_h100e",
                   "covered_fraction", "expected_cost_usd"],
    "deals": ["deal", "counterparty", "min_spend_usd", "spend_usd", "shortfall_usd", "credit_usd", "financing_kind",
              "window",
              "peak_mw", "tranches_vested", "tranches"],
    "spend": ["vendor", "period", "upfront_usd", "recurring_usd", "total_usd"],
    "power": ["site", "period", "used_mw", "installed_mw", "cap_mw"],
    "concentration": ["period", "hhi", "max_vendor_share", "largest_vendor"],
    "commitments": ["offer", "period", "held_units", "delivered_units", "status"],
    "tiers": ["deal", "kind", "tier", "tier_from_usd", "discount", "spend_usd", "counted_spend_usd", "rebate_usd",
              "next_tier_from_usd", "spend_to_next_tier_usd"],
    "vendor_counts": ["rule", "group", "period", "min", "max", "min_share", "members_serving", "members_counted",
                      "members"],
    "ladders": ["ladder", "period", "unit", "level", "rise_within_year", "fall_within_year", "max_increase_per_year",
                "max_decrease_per_year"],
    "staggers": ["stagger", "year", "unit", "ending", "share", "max_share"],
    "resale": ["offer", "signed", "period", "kind", "units", "age_years", "fraction", "income_usd", "income_pv_usd"],
    "options": ["option", "counterparty", "period", "exercised_units", "exercised_mw", "size_units", "size_mw",
                "reserve_period", "reserved_units", "reserved_mw", "fee_usd", "marginal_value_usd_per_unit",
                "value_usd", "max_fee_usd_per_unit", "max_fee_usd_per_mw_year"],
    "packages": ["package", "counterparty", "taken", "items", "units", "price_usd", "value_usd", "surplus_usd"],
}


# ---------------------------------------------------------------- building a Result


def make_result(model: Model, solution: Solution, objective: str) -> Result:
    """The Result of a solution. Python's cyclic collector is paused, as during the build: the
    report allocates many small objects while the model's PuLP objects are alive, and each full
    collection re-scanned them all (a third of this step on the large benchmark)."""
    with paused_gc():
        return _make_result(model, solution, objective)


def _make_result(model: Model, solution: Solution, objective: str) -> Result:
    data = model.data
    plan = plan_from_solution(model, solution)
    coverage = (from_model(model, solution.values) if model.family("z") else evaluate(plan)) if data.failures else []
    breakdown = plan.cost_breakdown()
    total = sum(value for name, value in breakdown.items() if name not in OUTSIDE_PROCUREMENT)
    expected_disruption = sum(c.expected_cost_usd for c in coverage)
    breakdown["resilience"] = expected_disruption
    concentration = _concentration_rows(plan)
    penalty = 0.0
    if objective == "multi-vendor" and data.hhi_weight > 0:
        penalty = sum(data.hhi_weight * data.discount[t] * data.periods[t].years * row["hhi"]
                      for t, row in enumerate(concentration))
    priced = objective == "multi-vendor" and data.resilience_mode == "priced"
    tables = {
        "plan": _plan_rows(plan, NOISE_LP * model.scale.units),
        "assignment": _assignment_rows(plan, NOISE_LP * model.scale.units),
        "unmet": _unmet_rows(plan),
        "shares": _share_rows(plan),
        "prices": price_rows(model, solution, plan),
        "resilience": [_coverage_row(c) for c in coverage],
        "deals": _deal_rows(plan),
        "spend": _spend_rows(plan),
        "power": _power_rows(plan),
        "concentration": concentration,
        "commitments": _commitment_rows(data),
        "tiers": _tier_rows(plan),
        "vendor_counts": _count_rows(plan),
        "ladders": _ladder_rows(plan),
        "staggers": _stagger_rows(plan),
        "resale": _resale_rows(plan, NOISE_LP * model.scale.units),
        "options": option_rows(plan, _option_size_prices(model, solution, plan), solution.instrument_values),
        "packages": package_rows(plan, solution.instrument_values),
    }
    parts = {name: _value(model.objectives[name], solution) * model.scale.money
             for name in ("cost", "equity", "resilience", "resale")}
    parts["hhi"] = _value(model.objectives["hhi"], solution) * model.scale.money if objective == "multi-vendor" else 0.0
    return Result(solution.status, objective, solution.solver, data, plan, tables, breakdown, total,
                  total + breakdown["vendor_equity"] + (expected_disruption if priced else 0.0) + penalty,
                  expected_disruption, penalty,
                  solution.mip_gap, {"solver": solution.seconds}, parts,
                  solution.message if solution.status != "optimal" else "", tuple(solution.stages))


def _option_size_prices(model: Model, solution: Solution, plan: Plan) -> dict[str, float]:
    """Option name -> option_size's price (interpret.option_size_price), $ per unit (or MW) of right."""
    reading, prices = Reading(model, solution, plan), {}
    for option in model.data.options:
        row = model.row_by_key.get(("option_size", (option.name,)))
        if row is not None:
            prices[option.name] = FAMILIES["option_size"].price(reading, row, reading.dual("option_size", row.key))[0]
    return prices


def _value(expression, solution: Solution) -> float:
    """An objective part's value at the solution, in LP money."""
    values = solution.values
    return float(expression.constant) + sum(coef * float(values[var.column]) for var, coef in expression.items())


def _plan_rows(plan: Plan, noise: float) -> list[dict]:
    data, rows = plan.data, []
    for o, offer in enumerate(data.offers):
        for t, period in enumerate(data.periods):
            acquired, active = plan.acquired.get((o, t), 0.0), plan.active(o, t)
            if acquired > noise or active > noise:
                rows.append({"offer": offer.key, "vendor": offer.vendor, "product": offer.attrs["product"],
                             "channel": offer.attrs["channel"], "provider": offer.attrs["provider"],
                             "site": offer.attrs["site"], "period": period.name,
                             "acquired_units": acquired, "active_units": active,
                             "served_h100e": plan.served(o, t), "spend_usd": plan.spend(o, t)})
    return rows


def _assignment_rows(plan: Plan, noise: float) -> list[dict]:
    data = plan.data
    return [{"offer": data.offers[o].key, "vendor": data.offers[o].vendor, "workload": w,
             "period": data.periods[t].name, "units": units, "h100e": units * data.offers[o].rate(w, t)}
            for (o, w, t), units in sorted(plan.assigned.items()) if units > noise]


def _unmet_rows(plan: Plan) -> list[dict]:
    data = plan.data
    return [{"workload": w, "period": period.name, "demand_h100e": workload.demand[t],
             "served_h100e": plan.served_demand(w, t), "h100e": plan.unmet[(w, t)]}
            for w, workload in data.workloads.items() for t, period in enumerate(data.periods)]


def _share_rows(plan: Plan) -> list[dict]:
    """Every member's share of every measure, per period: member sum / total over all offers."""
    import numpy as np

    data, rows = plan.data, []
    measures = {m: np.array([[plan.measure(o, t, m) for t in data.T] for o in range(len(data.offers))]).reshape(
        len(data.offers), len(data.periods)) for m in SHARE_MEASURES}
    totals = {m: values.sum(axis=0) for m, values in measures.items()}
    for group in data.groups:
        if group == "offer":
            continue
        for member, offers in data.group_members(group).items():
            for measure, values in measures.items():
                part = values[offers].sum(axis=0)
                for t, period in enumerate(data.periods):
                    total = totals[measure][t]
                    rows.append({"group": group, "member": member, "measure": measure, "period": period.name,
                                 "share": float(part[t] / total) if total > 0 else 0.0})
    return rows


def _deal_rows(plan: Plan) -> list[dict]:
    data = plan.data
    rows = []
    for outcome in plan.deal_outcomes:
        deal = outcome.deal
        window = [data.periods[t].name for t in deal.window]
        peak = max((plan.deal_measure(deal, [t], "power") for t in data.T), default=0.0)
        rows.append({"deal": deal.name, "counterparty": deal.counterparty, "min_spend_usd": deal.min_spend,
                     "spend_usd": outcome.spend, "shortfall_usd": outcome.shortfall, "credit_usd": outcome.credit,
                     "financing_kind": "equity" if deal.equity else "credit",
                     "window": f"{window[0]}-{window[-1]}" if window else "", "peak_mw": peak,
                     "tranches_vested": sum(outcome.vested), "tranches": len(outcome.vested)})
    return rows


def _tier_rows(plan: Plan) -> list[dict]:
    """Per deal with volume tiers (plan.tier_outcomes), undiscounted: the tier the spend reaches,
    its rebate, and the spend still needed for the next tier (none at the top or when
    the next tier's start is above the ceiling)."""
    rows = []
    for outcome in plan.tier_outcomes:
        tiers, k = outcome.deal.tiers, outcome.tier
        following = tiers.starts[k + 1] if k + 1 < len(tiers.starts) else None
        rows.append({"deal": outcome.deal.name, "kind": tiers.kind, "tier": k, "tier_from_usd": tiers.starts[k],
                     "discount": tiers.discounts[k], "spend_usd": outcome.spend,
                     "counted_spend_usd": tiers.counted(outcome.spend), "rebate_usd": outcome.rebate,
                     "next_tier_from_usd": following,
                     "spend_to_next_tier_usd": None if following is None else following - outcome.spend})
    return rows


COUNTED_SHARE = 1e-9
"""A member with less than this share of demand serves none of it (solver noise), in the vendor_counts table."""


def _count_rows(plan: Plan) -> list[dict]:
    """Per vendor-count rule and period, from the plan: members serving any demand (what `max`
    counts), members serving at least min_share of it (what `min` counts), and each one's share."""
    data, rows = plan.data, []
    for rule in data.vendor_counts:
        for t in rule.periods:
            shares = {m: plan.served_share(offers, t) for m, offers in rule.members.items()}
            serving = {m: s for m, s in shares.items() if s > COUNTED_SHARE}
            rows.append({"rule": rule.rule, "group": rule.group, "period": data.periods[t].name, "min": rule.low,
                         "max": rule.high, "min_share": rule.min_share, "members_serving": len(serving),
                         "members_counted": sum(s >= rule.min_share * (1 - 1e-6) for s in serving.values()),
                         "members": ", ".join(f"{m} {s:.1%}" for m, s in sorted(serving.items(), key=lambda i: (-round(i[1], 9), i[0])))})
    return rows


def _commitment_rows(data: ModelData) -> list[dict]:
    """The signings the lab held (fixed in the model): delivered whole, cut pro rata by a cap of
    this scenario (data._cut_to_caps), or refunded because their offer is not in it."""
    rows = []
    for (o, t), units in sorted(data.fixed.items()):
        held, row = data.cut.get((o, t), (units, None))
        if held > 0:
            status = "held" if row is None else f"cut by {row}: {units / held:.1%} delivered, the rest refunded"
            rows.append({"offer": data.offers[o].key, "period": data.periods[t].name, "held_units": held,
                         "delivered_units": units, "status": status})
    return rows + [{"offer": key, "period": period, "held_units": units, "delivered_units": 0.0,
                    "status": "refunded: offer not in this scenario"} for key, period, units in data.dropped]


def _ladder_rows(plan: Plan) -> list[dict]:
    """Per ladder and period of its window: M(t) (units or MW), the largest rise and fall into t
    from the periods at most a year before it (what ladder_up and ladder_down cap), and the caps."""
    rows = []
    for ladder in plan.data.ladders:
        periods = sorted({t for step in ladder.steps for t in (step.before, step.after)})
        level = {t: plan.ladder_level(ladder, t) for t in periods}
        for t in periods:
            steps = [s for s in ladder.steps if s.after == t]
            moves = [level[t] - level[s.before] for s in steps]
            rows.append({"ladder": ladder.name, "period": plan.data.periods[t].name,
                         "unit": "MW" if ladder.measure == "power" else "units", "level": level[t],
                         "rise_within_year": max([0.0, *moves]), "fall_within_year": max([0.0, *(-m for m in moves)]),
                         "max_increase_per_year": steps[0].up if steps else None,
                         "max_decrease_per_year": steps[0].down if steps else None})
    return rows


def _stagger_rows(plan: Plan) -> list[dict]:
    """Per stagger and calendar year its signings can end in: what ends then (units, MW or $)
    and its share of all the group's signings."""
    rows = []
    for rule in plan.data.staggers:
        ending = plan.stagger_ending(rule)
        total = sum(ending.values())
        rows += [{"stagger": rule.name, "year": year, "unit": {"units": "units", "mw": "MW", "usd": "$"}[rule.measure],
                  "ending": amount, "share": amount / total if total > 0 else 0.0, "max_share": rule.max_share}
                 for year, amount in ending.items()]
    return rows


def _resale_rows(plan: Plan, noise: float) -> list[dict]:
    """One row per signing and period units of it are sold (owned) or sublet (reserved) at the
    start of: age s_t − σ_τ, the curve's fraction there, income undiscounted and present value."""
    data, rows = plan.data, []
    for (o, tau, t), units in sorted(plan.sold.items()):
        if units > noise:
            offer = data.offers[o]
            age = data.periods[t].start - offer.signed_at[tau]
            rows.append({"offer": offer.key, "signed": data.periods[tau].name, "period": data.periods[t].name,
                         "kind": "sale" if offer.owned else "sublease", "units": units, "age_years": age,
                         "fraction": data.sales[(o, tau)][1].fraction(age),
                         "income_usd": units * data.resale_income(o, tau, t, discounted=False),
                         "income_pv_usd": units * data.resale_income(o, tau, t)})
    return rows


def _spend_rows(plan: Plan) -> list[dict]:
    data, rows = plan.data, []
    for vendor in data.vendors:
        for t, period in enumerate(data.periods):
            offers = [o for o, off in enumerate(data.offers) if off.vendor == vendor]
            upfront = sum(plan.upfront_cash(o, t) for o in offers)
            recurring = sum(plan.recurring_cash(o, t) for o in offers)
            rows.append({"vendor": vendor, "period": period.name, "upfront_usd": upfront,
                         "recurring_usd": recurring, "total_usd": upfront + recurring})
    return rows


def _power_rows(plan: Plan) -> list[dict]:
    """Per site and period: MW the running units draw, MW installed (idle units included), the cap."""
    data = plan.data
    return [{"site": cap.name, "period": period.name,
             "used_mw": sum(coef * plan.running(o, t) for o, coef in cap.coef.items()),
             "installed_mw": sum(coef * plan.active(o, t) for o, coef in cap.coef.items()), "cap_mw": cap.cap[t]}
            for cap in data.power for t, period in enumerate(data.periods)]


def _concentration_rows(plan: Plan) -> list[dict]:
    data, rows = plan.data, []
    for t, period in enumerate(data.periods):
        shares = {v: plan.vendor_share_of_demand(v, t) for v in data.vendors}
        largest = max(shares, key=lambda v: (shares[v], v)) if shares else None
        rows.append({"period": period.name, "hhi": sum(s * s for s in shares.values()),
                     "max_vendor_share": shares.get(largest, 0.0), "largest_vendor": largest})
    return rows


def _coverage_row(c: Coverage) -> dict:
    return {"failure": c.failure, "period": c.period, "workload": c.workload,
            "required_h100e": c.required_h100e, "covered_h100e": c.covered_h100e,
            "covered_fraction": c.covered_fraction, "expected_cost_usd": c.expected_cost_usd}


# ---------------------------------------------------------------- prices


def price_rows(model: Model, solution: Solution, plan: Plan) -> list[dict]:
    """Every binding row's price in business units (families.FAMILIES: each family's price
    function in interpret.py says what its value means, in which unit), and the marginal cost
    of compute for every workload and period (demand rows), binding or not."""
    reading = Reading(model, solution, plan)
    rows = []
    duals = solution.row_duals
    for row in model.rows:
        dual = duals[row.position]
        family = FAMILIES[row.family]
        if family.price is None or (row.family != "demand" and abs(dual) < DUAL_TOLERANCE):
            continue
        value, unit, meaning = family.price(reading, row, float(dual))
        entry = {"constraint": model.row_name(row), "family": row.family,
                 "period": _period_of(model, row), "value": value, "unit": unit,
                 "meaning": meaning, "market_rent": None, "market_offer": None}
        if row.family == "demand":
            entry["market_rent"], entry["market_offer"] = market_rent(model.data, row.key[0], row.key[1])
        rows.append(entry)
    return rows


def _period_of(model: Model, row) -> str | None:
    """The period (or calendar year) a row is in, by its last key part, or None (deals)."""
    kind = FAMILIES[row.family].keys[-1:]
    if kind == "t":
        return model.data.periods[row.key[-1]].name
    return model.data.years[row.key[-1]].name if kind == "y" else None


def market_rent(data: ModelData, workload: str, t: int) -> tuple[float | None, str | None]:
    """The cheapest rent for one H100e-year of `workload` that can be signed in period t: over
    reserved and on-demand offers, recurring / θ (upfront spread over the term); None if none."""
    best = (None, None)
    for offer in data.offers:
        theta = offer.rate(workload, t)
        if offer.attrs["channel"] == "buy" or theta <= 0 or t not in offer.signable:
            continue
        rent = (offer.recurring[t] + offer.upfront[t] / offer.term_years) / theta
        if best[0] is None or rent < best[0]:
            best = (rent, offer.catalog_key)
    return best
