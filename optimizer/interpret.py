"""How a row is read back in business terms: its price (from the LP's dual) and, for the
diagnosis, its relaxation (from an elastic slack), both in the config's own units.

The LP's duals are d(objective)/d(right-hand side) in LP money per LP unit of the row's
quantity (model.Scale), present value at the first period. A price converts that into
dollars of the row's period (÷ δ_t) per unit of the config figure it comes from:

- figures that are levels held through a period (demand and coverage in H100e, power and
  delivery in MW) are priced per year held: ÷ Δ_t ($/H100e-year, $/MW-year);
- figures given per year (supply, resource and budget caps) hold over each calendar year
  (one row per year, whatever the period length) and are priced per unit of that per-year
  figure, in "$ per unit/yr", in dollars of the year's start;
- shares per point, deals (which span periods) in present value.

Every price is the change a finite-difference re-solve gives when the figure moves by one of
its units in that period (tests/test_prices.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from .data import MEASURE_KINDS, STAGGER_KINDS, TRANCHE_KINDS
from .loading import format_path


@dataclass
class Reading:
    """A solved model read back: the model, its solution and the plan in real units."""

    model: object
    solution: object
    plan: object

    def dual(self, family: str, key: tuple) -> float:
        row = self.model.row_by_key.get((family, key))
        return float(self.solution.row_duals[row.position]) if row is not None else 0.0

    def value(self, family: str, key: tuple) -> float:
        """A column's value in LP units (0 where the model has no such column)."""
        var = self.model.var(family, key)
        return float(self.solution.values[var.column]) if var is not None else 0.0

    def in_period_dollars(self, t: int) -> float:
        """$ of period t per LP money unit of present value."""
        return self.model.scale.money / self.model.data.discount[t]

    def in_year_dollars(self, y: int) -> float:
        """$ of calendar year y's start per LP money unit of present value."""
        return self.in_period_dollars(self.model.data.years[y].periods[0])


# ---------------------------------------------------------------- prices


def demand_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    """d(objective)/d(D[w,t]) per year: every row D[w,t] enters, by the envelope theorem
    (d obj/d b_i = π_i; d obj/d a_ij = −π_i x_j):
        π_demand[w,t] + Σ_f ρ_w π_cover[f,w,t]                       (right-hand sides)
      + Σ_v π_vendor_share[v,t] σ[v,t] + Σ_v π_porting[v,w,t] ported[v,w]
      − Σ_{d,k: share tranche by t} π_tranche[d,k] reach_k vest[d,k]    (coefficients of D)
    all per LP unit of H100e, then in $ of the period per H100e-year. The guards between
    lexicographic stages (max-share, hhi) are held fixed."""
    model, data = reading.model, reading.model.data
    w, t = row.key
    total = dual
    critical = data.workloads[w].critical
    if critical:
        total += critical * sum(reading.dual("cover", (f, w, t)) for f in range(len(data.failures)))
    for v in data.vendors:
        total += reading.dual("vendor_share", (v, t)) * reading.value("sigma", (v, t))
        total += reading.dual("porting", (v, w, t)) * reading.value("ported", (v, w))
    for deal in data.deals:
        if deal.measure == "share":
            for k, item in enumerate(deal.tranches):
                if item.by == t:
                    total -= reading.dual("tranche", (deal.name, k)) * item.reach * reading.value("vest", (deal.name, k))
    value = total / model.scale.units * reading.in_period_dollars(t) / data.periods[t].years
    return value, "$/H100e-year", f"marginal cost of 1 more H100e of {w} demand in {data.periods[t].name}"


def cover_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    """Cost of covering 1 more H100e of w after failure f, per year."""
    data = reading.model.data
    f, w, t = row.key
    value = dual / reading.model.scale.units * reading.in_period_dollars(t) / data.periods[t].years
    return value, "$/H100e-year", (f"cost of keeping 1 more H100e of {w} covered in {data.periods[t].name} "
                                   f"if {data.failures[f].name} fails")


def power_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    """Saving from 1 more MW of site power (or of a deal's delivery) for a year."""
    data = reading.model.data
    name, t = row.key
    value = -dual / reading.model.scale.mw * reading.in_period_dollars(t) / data.periods[t].years
    where = f"site {name}" if row.family == "power" else f"deal {name}'s delivery"
    return value, "$/MW-year", f"saving from 1 more MW at {where} in {data.periods[t].name}, per year"


def _rate_cap_price(reading: Reading, row, dual: float, unit: str, what: str) -> tuple[float, str, str]:
    """A cap given per year (a row per calendar year): the saving from raising it by 1 per year."""
    y = row.key[-1]
    value = -dual / row.rhs_scale * reading.in_year_dollars(y)
    return value, f"$ per {unit}/yr", f"saving from raising {what} by 1 {unit}/yr in {reading.model.data.years[y].name}"


def supply_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    cap = next(c for c in reading.model.data.supply if c.name == row.key[0])
    unit = "MW" if cap.unit == "MW" else "unit"
    return _rate_cap_price(reading, row, dual, unit, f"supply pool {cap.name}'s cap")


def resource_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    cap = next(c for c in reading.model.data.resources if c.name == row.key[0])
    return _rate_cap_price(reading, row, dual, cap.unit, f"resource {cap.name}'s cap")


def resale_cap_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    return _rate_cap_price(reading, row, dual, "unit", f"resale[{row.key[0]}].max_units_per_year")


def budget_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    return _rate_cap_price(reading, row, dual, "$", "the budget")


def share_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    """Saving from moving a cap up (or a floor down) by one point of share: |π| x Σ_o m_o(t) x 0.01."""
    data = reading.model.data
    group, member, measure, bound, t = row.key
    total = sum(reading.plan.measure(o, t, measure) for o in range(len(data.offers)))
    value = abs(dual) * total / reading.model.scale.of_kind(MEASURE_KINDS[measure]) * 0.01 * reading.in_period_dollars(t)
    verb = "raising the cap on" if bound == "max" else "lowering the floor on"
    return value, "$/share-point", (f"saving from {verb} {group} {member}'s {measure} share by 1 point "
                                    f"in {data.periods[t].name}")


def take_or_pay_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    name = row.key[0]
    return dual, "$/$", f"cost of 1 more dollar of {name}'s minimum commitment (present value)"


def financing_cap_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    name = row.key[0]
    return -dual, "$/$", f"value of 1 more dollar of {name}'s financing cap (present value)"


def option_size_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    """reserve[p] <= Q_p: −π / δ(s_reserve), the saving (net of its fee) from one more unit (or MW)
    of right, in dollars of the reserve period's start."""
    option = next(p for p in reading.model.data.options if p.name == row.key[0])
    unit = "unit" if option.measure == "units" else "MW"
    value = -dual / row.rhs_scale * reading.in_period_dollars(option.reserve)
    return value, f"$ per {unit} of right", f"saving, net of its fee, from 1 more {unit} of option {option.name}'s right"


TRANCHE_UNITS = {"mw": "MW", "units": "unit", "share": "share-point", "spend_usd": "$"}


def tranche_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    """Saving from a milestone 1 unit lower: reach·vest − measure <= c, so d(obj)/d(reach) =
    −π · vest / scale (a tranche vested 40% gains 0.4 of what one more unit of measure would);
    a share tranche per point of share (× Σ_w D[w,by] × 0.01). Present value."""
    data = reading.model.data
    name, k = row.key
    deal = next(d for d in data.deals if d.name == name)
    vest = reading.value("vest", (name, k))
    per = 1.0
    if deal.measure == "share":
        per = sum(w.demand[deal.tranches[k].by] for w in data.workloads.values()) * 0.01
    value = -dual * vest * per / reading.model.scale.of_kind(TRANCHE_KINDS[deal.measure]) * reading.model.scale.money
    unit = TRANCHE_UNITS[deal.measure]
    return value, f"$/{unit}", (f"saving from {name}'s financing.tranches[{k}] needing 1 {unit} less "
                                "(present value)")


def tier_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    """tier_reach (b_k tier − spend <= 0): saving from tier k's threshold $1 lower; tier_ceiling
    (spend − C tier <= 0): saving from the ceiling $1 higher. Both move a coefficient of tier[d,k],
    so by the envelope theorem the saving is −π · tier[d,k] (with the integers fixed: tier
    = 1 for the tier reached), present value."""
    name, k = row.key
    value = -dual * reading.value("tier", (name, k))
    if row.family == "tier_reach":
        return value, "$/$", f"saving from {name}'s volume_tiers.tiers[{k}].from_usd $1 lower (present value)"
    return value, "$/$", f"saving from {name}'s volume_tiers.up_to_usd $1 higher, in tier {k} (present value)"
LADDER_UNITS = {"units": "unit", "power": "MW"}


def _ladder_of(model, row):
    return next(ladder for ladder in model.data.ladders if ladder.name == row.key[0])


def ladder_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    """Saving from 1 more unit (or MW) per year of a ladder's max_increase (ladder_up) or
    max_decrease (ladder_down) on the step from t' to t: −π / scale, in $ of period t."""
    data = reading.model.data
    name, before, after = row.key
    unit = LADDER_UNITS[_ladder_of(reading.model, row).measure]
    value = -dual / row.rhs_scale * reading.in_period_dollars(after)
    verb = "rise" if row.family == "ladder_up" else "fall"
    return value, f"$ per {unit}/yr", (f"saving from letting ladder {name} {verb} 1 more {unit}/yr from "
                                       f"{data.periods[before].name} to {data.periods[after].name}")


def _stagger_total(plan, model, row) -> tuple[object, float]:
    """The stagger of a row and Σ m x over all its signings in the plan, in LP units of its kind."""
    rule = next(s for s in model.data.staggers if s.name == row.key[0])
    return rule, sum(plan.stagger_ending(rule).values()) / model.scale.of_kind(STAGGER_KINDS[rule.measure])


def stagger_price(reading: Reading, row, dual: float) -> tuple[float, str, str]:
    """Saving from a max_share 1 point higher: the row is Σ_y m x − s Σ m x <= 0, so
    d(obj)/d(s) = π · Σ m x; |π| x Σ m x x 0.01, present value (the signings span years)."""
    rule, total = _stagger_total(reading.plan, reading.model, row)
    value = abs(dual) * total * 0.01 * reading.model.scale.money
    return value, "$/share-point", (f"saving from letting 1 more point of stagger {rule.name}'s signings end in "
                                    f"{row.key[1]} (present value)")


# ---------------------------------------------------------------- relaxations


@dataclass(frozen=True)
class Relaxation:
    constraint: str
    family: str
    field: str
    period: str
    current: float
    needed: float
    unit: str
    note: str = ""

    def __str__(self) -> str:
        verb = "raise" if self.needed > self.current else "lower"
        text = (f"{verb} {self.field} in {self.period} from {_number(self.current)} to "
                f"{_number(self.needed)} {self.unit}".rstrip())
        return f"{text} ({self.note})" if self.note else text

    def to_dict(self) -> dict:
        from dataclasses import asdict

        return {**asdict(self), "message": str(self)}


def _number(value: float) -> str:
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def cap_relaxation(model, row, slack: float, plan) -> Relaxation:
    """A cap row: the config figure raised by the slack, per calendar year for caps given per
    year (supply, resource), per period for levels (power, delivery MW)."""
    data = model.data
    caps = {"power": data.power, "delivery": data.delivery, "supply": data.supply, "resource": data.resources}
    cap = next(c for c in caps[row.family] if c.name == row.key[0])
    if cap.per_year:
        year = data.years[row.key[-1]]
        current = sum(cap.cap[t] for t in year.periods)
        return Relaxation(model.row_name(row), row.family, format_path(cap.path), year.name, current,
                          current + slack * row.rhs_scale, cap.unit + "/year")
    t = row.key[-1]
    current = cap.cap[t]
    return Relaxation(model.row_name(row), row.family, format_path(cap.path), data.periods[t].name, current,
                      current + slack * row.rhs_scale, cap.unit)


def budget_relaxation(model, row, slack: float, plan) -> Relaxation:
    data = model.data
    year = data.years[row.key[-1]]
    current = sum(data.budget[t] for t in year.periods)
    return Relaxation(model.row_name(row), "budget", "policy.budget_usd_per_year", year.name, current,
                      current + slack * row.rhs_scale, "$/year")


def share_relaxation(model, row, slack: float, plan) -> Relaxation:
    data = model.data
    group, member, measure, bound, t = row.key
    rule = next(r for r in data.shares if (r.group, r.member, r.measure) == (group, member, measure)
                and t in r.periods and (r.high if bound == "max" else r.low) is not None)
    total = sum(plan.measure(o, t, measure) for o in range(len(data.offers))) / model.scale.of_kind(MEASURE_KINDS[measure])
    current = rule.high if bound == "max" else rule.low
    change = slack / total if total > 0 else 1.0
    needed = min(current + change, 1.0) if bound == "max" else max(current - change, 0.0)
    return Relaxation(model.row_name(row), "share", f"policy.shares[{rule.rule}].{bound}", data.periods[t].name,
                      current, needed, "", f"{group} {member}, {measure}")


def cluster_relaxation(model, row, slack: float, plan) -> Relaxation:
    """A minimum cluster no single offer can run: the largest that w's demand in t can fill on
    one offer (max_o D[w,t] / θ[o,w], since capacity beyond demand is idle), when the size is
    above that; otherwise the size the elastic slack allows, (C·c − e) / c for the offer's share
    c of the pick."""
    data = model.data
    o, w, t = row.key
    size = data.milp.min_cluster[w]
    demand = data.workloads[w].demand[t]
    fillable = max((demand / offer.rate(w, t) for offer in data.offers if offer.rate(w, t) > 0), default=0.0)
    if fillable < size:
        return Relaxation(model.row_name(row), "cluster_size", f"milp.min_cluster_units.{w}", data.periods[t].name,
                          size, fillable, "units", f"the most units of one offer {w}'s demand can use")
    picked = max(plan.decisions.get("cluster", {}).get((o, w, t), 1.0), 1e-9)
    needed = max((size * picked - slack * row.rhs_scale) / picked, 0.0)
    return Relaxation(model.row_name(row), "cluster_size", f"milp.min_cluster_units.{w}", data.periods[t].name,
                      size, needed, "units", f"on {data.offers[o].key}")


def cover_relaxation(model, row, slack: float, plan) -> Relaxation:
    data = model.data
    f, w, t = row.key
    workload = data.workloads[w]
    demand = workload.demand[t]
    needed = max(workload.critical - slack * row.rhs_scale / demand, 0.0) if demand > 0 else 0.0
    return Relaxation(model.row_name(row), "cover", f"policy.resilience.critical_fraction ({w})",
                      data.periods[t].name, workload.critical, needed, "",
                      f"if {data.failures[f].name} fails; or set policy.resilience.mode: priced")


def ladder_relaxation(model, row, slack: float, plan) -> Relaxation:
    """A ladder cap raised by the slack for the step into period t (per year, in its measure)."""
    ladder = _ladder_of(model, row)
    name, before, after = row.key
    step = next(s for s in ladder.steps if (s.before, s.after) == (before, after))
    up = row.family == "ladder_up"
    current = step.up if up else step.down
    unit = LADDER_UNITS[ladder.measure]
    return Relaxation(model.row_name(row), row.family,
                      f"policy.ladders[{ladder.rule}].{'max_increase' if up else 'max_decrease'}",
                      model.data.periods[after].name, current, current + slack * row.rhs_scale, f"{unit}/year",
                      f"ladder {name}, from {model.data.periods[before].name}")


def stagger_relaxation(model, row, slack: float, plan) -> Relaxation:
    """A stagger's max_share raised until the year's signings fit: + slack / Σ m x (at most 1)."""
    rule, total = _stagger_total(plan, model, row)
    needed = min(rule.max_share + (slack / total if total > 0 else 1.0), 1.0)
    return Relaxation(model.row_name(row), "stagger", f"policy.staggers[{rule.rule}].max_share", row.key[1],
                      rule.max_share, needed, "", f"stagger {rule.name}")
