"""verify()'s second opinion on each row family: the family's rows recomputed from the plan and
the scenario data alone (plan.py), never from the LP's rows.

One function per family (families.FAMILIES names it); each yields `Check`s, a side of a row
and its bound in real units. Where a row holds one of the solver's own columns (a deal's
shortfall or credit, a tranche's vesting, a relaxed binary, a share variable), the column's
value comes from `plan.decisions`, and everything else in the row is recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from .data import DEAL_MEASURES, MEASURE_KINDS, STAGGER_KINDS, TRANCHE_KINDS
from .plan import Plan

TANGENT_POINTS = [k / 20 for k in range(21)]
"""a_k of the HHI tangent cuts q >= 2a·σ − a² (formulation/objective.py builds them): the cuts
are below σ² by at most 0.025² = 0.000625."""


@dataclass(frozen=True)
class Check:
    """`lhs sense rhs` for one row, in real units of `kind` (units, mw, money or one)."""

    name: str
    lhs: float
    sense: str
    rhs: float
    kind: str


def _period(plan: Plan, t: int) -> str:
    return plan.data.periods[t].name


def capacity(plan: Plan) -> Iterator[Check]:
    """Σ_w y[o,w,t] <= A[o,t]."""
    data = plan.data
    running: dict[tuple[int, int], float] = {}
    for (o, w, t), units in plan.assigned.items():
        running[(o, t)] = running.get((o, t), 0.0) + units
        if units > 0 and data.offers[o].rate(w, t) <= 0:
            yield Check(f"y[{data.offers[o].key},{w},{_period(plan, t)}] on an offer that cannot run {w}",
                        units, "<=", 0.0, "units")
    for (o, t), units in running.items():
        yield Check(f"capacity[{data.offers[o].key},{_period(plan, t)}]", units, "<=", plan.active(o, t), "units")


def demand(plan: Plan) -> Iterator[Check]:
    """Σ_o θ y <= D (capacity beyond demand is never served) and Σ_o θ y + u = D (the solver's u)."""
    data = plan.data
    served: dict[tuple[str, int], float] = {}
    for (o, w, t), units in plan.assigned.items():
        served[(w, t)] = served.get((w, t), 0.0) + units * data.offers[o].rate(w, t)
    unmet = plan.decisions.get("u", {})
    for w, workload in data.workloads.items():
        for t, period in enumerate(data.periods):
            name = f"demand[{w},{period.name}]"
            served_wt = served.get((w, t), 0.0)
            yield Check(name + " served", served_wt, "<=", workload.demand[t], "units")
            if (w, t) in unmet:
                yield Check(name, served_wt + unmet[(w, t)], "==", workload.demand[t], "units")


def _acquisition_caps(plan: Plan, family: str, caps) -> Iterator[Check]:
    """Per calendar year (held signings obey them too: data._cut_to_caps)."""
    for cap in caps:
        for year in plan.data.years:
            used = sum(c * plan.acquired.get((o, t), 0.0) for t in year.periods for o, c in cap.coef.items())
            yield Check(f"{family}[{cap.name},{year.name}]", used, "<=", sum(cap.cap[t] for t in year.periods),
                        "mw" if cap.unit == "MW" else "units")


def supply(plan: Plan) -> Iterator[Check]:
    """Σ_{t∈y} Σ_{o∈pool} c x[o,t] <= Σ_{t∈y} S·Δ_t per calendar year."""
    return _acquisition_caps(plan, "supply", plan.data.supply)


def resource(plan: Plan) -> Iterator[Check]:
    """Σ_{t∈y} Σ_o q[o,k] c_o x[o,t] <= Σ_{t∈y} Q·Δ_t per calendar year."""
    return _acquisition_caps(plan, "resource", plan.data.resources)


def _active_mw_caps(plan: Plan, family: str, caps) -> Iterator[Check]:
    """Active MW per period; a cap is never below what installed and held units draw."""
    for cap in caps:
        for t, period in enumerate(plan.data.periods):
            if cap.cap[t] is not None:
                def used(signings: Plan) -> float:
                    return sum(c * signings.active(o, t) for o, c in cap.coef.items())

                rhs = max(cap.cap[t], used(plan.held)) if plan.data.fixed else cap.cap[t]
                yield Check(f"{family}[{cap.name},{period.name}]", used(plan), "<=", rhs, "mw")


def power(plan: Plan) -> Iterator[Check]:
    """Σ_{o at site} kW·PUE/1000 · Σ_w y[o,w,t] <= P[site,t] (the running units' draw)."""
    for cap in plan.data.power:
        for t, period in enumerate(plan.data.periods):
            if cap.cap[t] is not None:
                used = sum(c * plan.running(o, t) for o, c in cap.coef.items())
                yield Check(f"power[{cap.name},{period.name}]", used, "<=", cap.cap[t], "mw")


def delivery(plan: Plan) -> Iterator[Check]:
    """Σ_{o∈d} kW·PUE/1000 · A[o,t] <= max_mw_d[t]."""
    return _active_mw_caps(plan, "delivery", plan.data.delivery)


def budget(plan: Plan) -> Iterator[Check]:
    """Σ_{t∈y} Σ_o spend_o(t) <= Σ_{t∈y} B_t·Δ_t per calendar year."""
    data = plan.data
    if data.budget[0] is None:
        return
    for year in data.years:
        def spend(signings: Plan) -> float:
            return sum(signings.spend(o, t) for t in year.periods for o in range(len(data.offers)))

        rhs = sum(data.budget[t] for t in year.periods)
        yield Check(f"budget[{year.name}]", spend(plan), "<=", max(rhs, spend(plan.held)) if data.fixed else rhs,
                    "money")


def share(plan: Plan) -> Iterator[Check]:
    """Σ_{o∈g} m_o(t) within [s_g, s̄_g] · Σ_o m_o(t)."""
    data = plan.data
    for rule in data.shares:
        for t in rule.periods:
            values = [plan.measure(o, t, rule.measure) for o in range(len(data.offers))]
            total, part = sum(values), sum(values[o] for o in rule.members)
            name = f"share[{rule.group},{rule.member},{rule.measure},{data.periods[t].name}]"
            if rule.high is not None:
                yield Check(name + " max", part, "<=", rule.high * total, MEASURE_KINDS[rule.measure])
            if rule.low is not None:
                yield Check(name + " min", part, ">=", rule.low * total, MEASURE_KINDS[rule.measure])


def recourse(plan: Plan) -> Iterator[Check]:
    """After failure f, the solver's re-assignment of θ-group g fits what survives:
    Σ_w z[f,g,w,t] <= Σ_{o∈g} φ_{f,o} A[o,t], A from the plan."""
    data, z = plan.data, plan.decisions.get("z")
    if z is None:
        return
    running: dict[tuple[int, int, int], float] = {}
    for (f, g, w, t), units in z.items():
        running[(f, g, t)] = running.get((f, g, t), 0.0) + units
    for (f, g, t), units in running.items():
        failure = data.failures[f]
        survives = sum((failure.delivered if o in failure.offers else 1.0) * plan.active(o, t)
                       for o in data.theta_groups[g].offers)
        yield Check(f"recourse[{failure.name},{data.theta_groups[g].name},{_period(plan, t)}]", units, "<=", survives,
                    "units")


def cover(plan: Plan) -> Iterator[Check]:
    """After failure f, the re-assigned units serve the critical demand, or the rest is the
    priced shortfall s: Σ_g θ[g,w] z[f,g,w,t] + s[f,w,t] >= ρ_w D[w,t] (hard mode: no s). The
    rows come from the data: in hard mode every failure, critical workload and period is
    checked, recourse columns or not (a model built without them covers nothing)."""
    data, z = plan.data, plan.decisions.get("z")
    if z is None and data.resilience_mode == "hard":
        z = {}
    if z is None:  # priced resilience under an objective that does not price it: no rows
        return
    short = plan.decisions.get("s", {})
    covered: dict[tuple[int, str, int], float] = {}
    for (f, g, w, t), units in z.items():
        covered[(f, w, t)] = covered.get((f, w, t), 0.0) + units * data.theta_groups[g].rate(w, t)
    for f, failure in enumerate(data.failures):
        for w, workload in data.workloads.items():
            for t, period in enumerate(data.periods):
                need = workload.critical * workload.demand[t]
                if need > 0:
                    yield Check(f"cover[{failure.name},{w},{period.name}]",
                                covered.get((f, w, t), 0.0) + short.get((f, w, t), 0.0), ">=", need, "units")


def take_or_pay(plan: Plan) -> Iterator[Check]:
    """Σ_{t∈W} Σ_{o∈d} paid_o(t) + short[d] >= M_d."""
    short = plan.decisions.get("short", {})
    for deal in plan.data.deals:
        if deal.min_spend is not None:
            paid = plan.deal_measure(deal, deal.window, "paid")
            yield Check(f"take_or_pay[{deal.name}]", paid + short.get((deal.name,), 0.0), ">=", deal.min_spend,
                        "money")


def financing(plan: Plan) -> Iterator[Check]:
    """credit[d,t] <= rate_d · basis_d(t)."""
    data, credit = plan.data, plan.decisions.get("credit", {})
    for deal in data.deals:
        if deal.rate <= 0:
            continue
        for t in deal.window:
            yield Check(f"financing[{deal.name},{_period(plan, t)}]", credit.get((deal.name, t), 0.0), "<=",
                        deal.rate * plan.financing_basis(deal, t), "money")


def financing_cap(plan: Plan) -> Iterator[Check]:
    """Σ_t credit[d,t] <= cap_d."""
    credit = plan.decisions.get("credit", {})
    for deal in plan.data.deals:
        if deal.rate > 0 and deal.cap is not None:
            earned = sum(credit.get((deal.name, t), 0.0) for t in deal.window)
            yield Check(f"financing_cap[{deal.name}]", earned, "<=", deal.cap, "money")


def tranche(plan: Plan) -> Iterator[Check]:
    """reach_k · vest[d,k] <= measure_d(by_k) (a share tranche: reach · Σ_w D[w,by] · vest <= served)."""
    data, vest = plan.data, plan.decisions.get("vest", {})
    for deal in data.deals:
        for k, item in enumerate(deal.tranches):
            measure = plan.deal_measure(deal, deal.tranche_periods(item), DEAL_MEASURES[deal.measure])
            reach = item.reach
            if deal.measure == "share":
                reach *= sum(w.demand[item.by] for w in data.workloads.values())
            yield Check(f"tranche[{deal.name},{k}]", reach * vest.get((deal.name, k), 0.0), "<=", measure,
                        TRANCHE_KINDS[deal.measure])


def ladder_up(plan: Plan) -> Iterator[Check]:
    """M_l(t) − M_l(t') <= up_l(t), never below what installed and held units alone move."""
    return _ladder(plan, "ladder_up", 1.0)


def ladder_down(plan: Plan) -> Iterator[Check]:
    """M_l(t') − M_l(t) <= down_l(t), never below what installed and held units alone move."""
    return _ladder(plan, "ladder_down", -1.0)


def _ladder(plan: Plan, family: str, sign: float) -> Iterator[Check]:
    for ladder in plan.data.ladders:
        for step in ladder.steps:
            cap = plan.ladder_cap(ladder, step, sign)
            if cap is not None:
                change = sign * (plan.ladder_level(ladder, step.after) - plan.ladder_level(ladder, step.before))
                yield Check(f"{family}[{ladder.name},{_period(plan, step.before)},{_period(plan, step.after)}]",
                            change, "<=", cap, MEASURE_KINDS[ladder.measure])


def stagger(plan: Plan) -> Iterator[Check]:
    """Σ_{ending in y} m x <= s · Σ m x + what the held signings alone exceed it by."""
    for rule in plan.data.staggers:
        ending = plan.stagger_ending(rule)
        total = sum(ending.values())
        for year in rule.years:
            yield Check(f"stagger[{rule.name},{year}]", ending[year], "<=",
                        rule.max_share * total + max(plan.held.stagger_excess(rule, year), 0.0),
                        STAGGER_KINDS[rule.measure])


def resale_held(plan: Plan) -> Iterator[Check]:
    """Σ_t sold[o,τ,t] <= x[o,τ], and units sold only where a rule allows (data.ModelData.sales)."""
    data, held = plan.data, {}
    for (o, tau, t), units in plan.sold.items():
        name = f"{data.offers[o].key},{_period(plan, tau)}"
        if t not in data.sales.get((o, tau), ((), None))[0]:
            yield Check(f"sold[{name},{_period(plan, t)}] where no resale rule allows it", units, "<=", 0.0, "units")
        held[(o, tau)] = held.get((o, tau), 0.0) + units
    for (o, tau), units in held.items():
        yield Check(f"resale_held[{data.offers[o].key},{_period(plan, tau)}]", units, "<=",
                    plan.acquired.get((o, tau), 0.0), "units")


def resale_cap(plan: Plan) -> Iterator[Check]:
    """Σ_{t∈y} Σ_{(o,τ)∈r} sold[o,τ,t] <= Σ_{t∈y} N_r·Δ_t per calendar year."""
    data = plan.data
    for rule in data.resale:
        if rule.cap is not None:
            for year in data.years:
                sold = sum(units for (o, tau, t), units in plan.sold.items() if t in year.periods and o in rule.offers)
                yield Check(f"resale_cap[{rule.name},{year.name}]", sold, "<=", sum(rule.cap[t] for t in year.periods),
                            "units")


def lots(plan: Plan) -> Iterator[Check]:
    """x[o,t] = L · lots[o,t] with lots whole (under --integer; relaxed otherwise by design)."""
    data = plan.data
    if not data.milp.integer:
        return
    for (o, t), units in plan.acquired.items():
        count = units / data.milp.lot_units
        yield Check(f"lots[{data.offers[o].key},{_period(plan, t)}] whole", abs(count - round(count)) * data.milp.lot_units,
                    "<=", 0.0, "units")


def cluster_size(plan: Plan) -> Iterator[Check]:
    """C_w · cluster[o,w,t] <= y[o,w,t]; under --integer, the largest run of w is at least C_w."""
    data, chosen = plan.data, plan.decisions.get("cluster", {})
    for (o, w, t), value in chosen.items():
        yield Check(f"cluster_size[{data.offers[o].key},{w},{_period(plan, t)}]", data.milp.min_cluster[w] * value,
                    "<=", plan.assigned.get((o, w, t), 0.0), "units")
    if data.milp.integer:
        for w, size in data.milp.min_cluster.items():
            for t, period in enumerate(data.periods):
                if data.workloads[w].demand[t] > 0:
                    largest = max(plan.assigned.get((o, w, t), 0.0) for o in range(len(data.offers)))
                    yield Check(f"cluster[{w},{period.name}] largest run", largest, ">=", size, "units")


def cluster_pick(plan: Plan) -> Iterator[Check]:
    """Σ_o cluster[o,w,t] >= 1 in every period with demand."""
    data, chosen = plan.data, plan.decisions.get("cluster", {})
    for w in data.milp.min_cluster:
        for t, period in enumerate(data.periods):
            if data.workloads[w].demand[t] > 0:
                picked = sum(v for (o, cw, ct), v in chosen.items() if (cw, ct) == (w, t))
                yield Check(f"cluster_pick[{w},{period.name}]", picked, ">=", 1.0, "one")


def porting(plan: Plan) -> Iterator[Check]:
    """Σ_{o∈v} θ y[o,w,t] <= D[w,t] · ported[v,w]."""
    data, ported = plan.data, plan.decisions.get("ported", {})
    for vendor, w, _ in data.milp.porting:
        for t, period in enumerate(data.periods):
            yield Check(f"porting[{vendor},{w},{period.name}]", plan.vendor_served(vendor, w, t), "<=",
                        data.workloads[w].demand[t] * ported.get((vendor, w), 0.0), "units")


def vendor_share(plan: Plan) -> Iterator[Check]:
    """σ[v,t] · Σ_w D[w,t] = Σ_{o∈v} θ y (the share-of-demand columns of HHI and max-share)."""
    data, sigma = plan.data, plan.decisions.get("sigma", {})
    for (v, t), value in sigma.items():
        demand = sum(w.demand[t] for w in data.workloads.values())
        served = sum(plan.served(o, t) for o, offer in enumerate(data.offers) if offer.vendor == v)
        yield Check(f"vendor_share[{v},{_period(plan, t)}]", value * demand, "==", served, "units")


def hhi_cut(plan: Plan) -> Iterator[Check]:
    """q[v,t] >= 2a·σ[v,t] − a² at every tangent point, σ recomputed from the plan."""
    data, q = plan.data, plan.decisions.get("q", {})
    for (v, t), value in q.items():
        sigma = plan.vendor_share_of_demand(v, t)
        for a in TANGENT_POINTS[1:]:
            yield Check(f"hhi_cut[{v},{_period(plan, t)},{a:g}]", value, ">=", 2 * a * sigma - a * a, "one")


def max_share(plan: Plan) -> Iterator[Check]:
    """m[t] >= σ[v,t], σ recomputed from the plan."""
    data, m = plan.data, plan.decisions.get("m", {})
    for (t,), value in m.items():
        for v in data.vendors:
            yield Check(f"max_share[{v},{_period(plan, t)}]", value, ">=", plan.vendor_share_of_demand(v, t), "one")


def _tier_deals(plan: Plan):
    """(deal, its tier_spend and tier columns by tier) for each deal with volume tiers."""
    spend, tier = plan.decisions.get("tier_spend", {}), plan.decisions.get("tier", {})
    for deal in plan.data.deals:
        if deal.tiers is not None:
            ks = range(len(deal.tiers.starts))
            yield deal, [spend.get((deal.name, k), 0.0) for k in ks], [tier.get((deal.name, k), 0.0) for k in ks]


def tier_split(plan: Plan) -> Iterator[Check]:
    """Σ_k tier_spend[d,k] <= paid_d, the deal's spend in the window recomputed from the plan."""
    for deal, spend, _ in _tier_deals(plan):
        yield Check(f"tier_split[{deal.name}]", sum(spend), "<=", plan.deal_measure(deal, deal.window, "paid"),
                    "money")


def tier_ceiling(plan: Plan) -> Iterator[Check]:
    """tier_spend[d,k] <= C · tier[d,k]."""
    for deal, spend, tier in _tier_deals(plan):
        for k, (s, chosen) in enumerate(zip(spend, tier)):
            yield Check(f"tier_ceiling[{deal.name},{k}]", s, "<=", deal.tiers.ceiling * chosen, "money")


def tier_reach(plan: Plan) -> Iterator[Check]:
    """b_k · tier[d,k] <= tier_spend[d,k] (all_units tiers above the first)."""
    for deal, spend, tier in _tier_deals(plan):
        if deal.tiers.kind == "all_units":
            for k, start in enumerate(deal.tiers.starts[1:], start=1):
                yield Check(f"tier_reach[{deal.name},{k}]", start * tier[k], "<=", spend[k], "money")


def tier_pick(plan: Plan) -> Iterator[Check]:
    """Σ_k tier[d,k] <= 1, each tier[d,k] 0 or 1 (binary in every solve)."""
    for deal, _, tier in _tier_deals(plan):
        yield Check(f"tier_pick[{deal.name}]", sum(tier), "<=", 1.0, "one")
        for k, chosen in enumerate(tier):
            yield Check(f"tier[{deal.name},{k}] whole", abs(chosen - round(chosen)), "<=", 0.0, "one")


def _count_rows(plan: Plan, bound: str):
    """(rule, period, member, served H100e, demand, counted) for the rules with a `bound` (high or low)."""
    data, counted = plan.data, plan.decisions.get("counted", {})
    for rule in data.vendor_counts:
        if getattr(rule, bound) is None:
            continue
        for t in rule.periods:
            demand = sum(w.demand[t] for w in data.workloads.values())
            for member, offers in rule.members.items():
                yield rule, t, member, sum(plan.served(o, t) for o in offers), demand, counted.get((rule.rule, member, t), 0.0)


def count_use(plan: Plan) -> Iterator[Check]:
    """served_m(t) <= D_t · counted[r,m,t] (rules with a max)."""
    for rule, t, member, served, demand, counted in _count_rows(plan, "high"):
        yield Check(f"count_use[{rule.rule},{member},{_period(plan, t)}]", served, "<=", demand * counted, "units")


def count_floor(plan: Plan) -> Iterator[Check]:
    """served_m(t) >= s_r · D_t · counted[r,m,t] (rules with a min)."""
    for rule, t, member, served, demand, counted in _count_rows(plan, "low"):
        yield Check(f"count_floor[{rule.rule},{member},{_period(plan, t)}]", served, ">=",
                    rule.min_share * demand * counted, "units")


def _count_totals(plan: Plan, bound: str) -> Iterator[tuple]:
    """(rule, period, Σ_m counted, each counted's distance from a whole number) for the rules with a
    `bound` (counted is binary in every solve)."""
    data, counted = plan.data, plan.decisions.get("counted", {})
    for rule in data.vendor_counts:
        if getattr(rule, bound) is None:
            continue
        for t in rule.periods:
            values = [counted.get((rule.rule, member, t), 0.0) for member in rule.members]
            yield rule, t, sum(values), [abs(v - round(v)) for v in values]


def count_max(plan: Plan) -> Iterator[Check]:
    """Σ_m counted[r,m,t] <= N_max (with count_use: at most N_max members serve any demand)."""
    return _count_bound(plan, "count_max", "high", "<=")


def count_min(plan: Plan) -> Iterator[Check]:
    """Σ_m counted[r,m,t] >= N_min (with count_floor: at least N_min members serve min_share each)."""
    return _count_bound(plan, "count_min", "low", ">=")


def _count_bound(plan: Plan, family: str, bound: str, sense: str) -> Iterator[Check]:
    """Σ_m counted[r,m,t] (sense) the rule's `bound`, each counted whole (binary in every solve)."""
    for rule, t, total, fractions in _count_totals(plan, bound):
        name = f"{family}[{rule.rule},{_period(plan, t)}]"
        yield Check(name, total, sense, float(getattr(rule, bound)), "one")
        if fractions:
            yield Check(name + " counted whole", max(fractions), "<=", 0.0, "one")


def option(plan: Plan) -> Iterator[Check]:
    """Σ_{o∈copies(p), τ} coef_o x[o,τ] <= reserve[p] (units, or MW for an option in MW)."""
    for item in plan.data.options:
        used = sum(plan.exercised(item, t) for t in item.window)
        yield Check(f"option[{item.name}]", used, "<=", plan.reserved(item), item.measure)


def option_size(plan: Plan) -> Iterator[Check]:
    """reserve[p] <= Q_p."""
    for item in plan.data.options:
        yield Check(f"option_size[{item.name}]", plan.reserved(item), "<=", item.size, item.measure)


def package(plan: Plan) -> Iterator[Check]:
    """x[copy_i, τ_i] = N_i · take[p], take in [0, 1] (whole under --integer)."""
    data = plan.data
    for item in data.packages:
        taken = plan.taken(item)
        yield Check(f"package[{item.name}] share", taken, "<=", 1.0, "one")
        if data.milp.integer:
            yield Check(f"package[{item.name}] whole", min(taken, 1.0 - taken), "<=", 0.0, "one")
        for i, line in enumerate(item.items):
            yield Check(f"package[{item.name},{i}]", plan.acquired.get((line.copy, line.period), 0.0), "==",
                        line.units * taken, "units")
