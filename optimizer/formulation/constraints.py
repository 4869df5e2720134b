"""Constraint families, one function each; rows are named `family[keys]`.

Notation (docs/model.md): x[o,t] units signed, y[o,w,t] units running w, u[w,t] unmet H100e,
A[o,t] = E[o,t] + Σ_τ a[o,τ,t] x[o,τ] active units (a: the share of period t a signing in τ is
active), θ[o,w,t] H100e per unit, Δ_t period length in years. Rows are written in LP units
(model.Scale: `s.units` units or H100e, `s.mw` MW, `s.money` $ per LP unit); the installed
E[o,t] moves to the right-hand side. Every family is registered in `families.FAMILIES` with
its key kinds, price, relaxation and verify check.
"""

from __future__ import annotations

import pulp

from ..data import DEAL_MEASURES, MEASURE_KINDS, STAGGER_KINDS, TRANCHE_KINDS
from ..plan import Plan
from .model import Model, Terms


def capacity(model: Model) -> None:
    """capacity[o,t]:  Σ_w y[o,w,t] <= A[o,t]."""
    running: dict[tuple[int, int], Terms] = {}
    for (o, w, t), var in model.family("y").items():
        running.setdefault((o, t), []).append((var, 1.0))
    units = model.scale.units
    for (o, t), terms in running.items():
        acquired = [(var, -share) for var, share in model.active_terms(o, t)]
        model.add_row("capacity", (o, t), terms + acquired, "<=", model.data.offers[o].existing[t] / units, units)


def demand(model: Model) -> None:
    """demand[w,t]:  Σ_o θ[o,w,t] y[o,w,t] + u[w,t] = D[w,t]  (an equality: capacity beyond demand
    is idle, never served, so no share or tranche can count it)."""
    data = model.data
    served: dict[tuple[str, int], Terms] = {}
    for (o, w, t), var in model.family("y").items():
        served.setdefault((w, t), []).append((var, data.offers[o].rate(w, t)))
    units = model.scale.units
    for (w, t), u in model.family("u").items():
        model.add_row("demand", (w, t), served.get((w, t), []) + [(u, 1.0)], "==",
                      data.workloads[w].demand[t] / units, units)


def supply(model: Model) -> None:
    """supply[pool,y]:  Σ_{t∈y} Σ_{o∈pool} c[pool,o] x[o,t] <= Σ_{t∈y} S[pool,t]·Δ_t for each
    calendar year y, where c = c_o for pools in units and c = kW_o·PUE_o/1000 · c_o for pools
    in MW, c_o = min(1, term_o) the offer's commitment (S is per year: a year's allocation may
    be signed in any of its quarters, and a unit rented on demand every quarter counts once)."""
    _acquisition_caps(model, "supply", model.data.supply)


def resource(model: Model) -> None:
    """resource[k,y]:  Σ_{t∈y} Σ_o q[o,k] c_o x[o,t] <= Σ_{t∈y} Q[k,t]·Δ_t  (common-mode inputs
    such as CoWoS wafers, per calendar year)."""
    _acquisition_caps(model, "resource", model.data.resources)


def _acquisition_caps(model: Model, family: str, caps) -> None:
    """family[cap,y]:  Σ_{t∈y} Σ_o coef_o x[o,t] <= Σ_{t∈y} cap[t] per calendar year (caps in
    MW are in the MW scale, all others, resources included, in the unit scale: they count
    acquisitions)."""
    x = model.family("x")
    units = model.scale.units
    for cap in caps:
        scale = model.scale.mw if cap.unit == "MW" else units
        for y, year in enumerate(model.data.years):
            terms = [(x[(o, t)], coef * units / scale) for t in year.periods for o, coef in cap.coef.items()
                     if (o, t) in x]
            if terms:
                model.add_row(family, (cap.name, y), terms, "<=", sum(cap.cap[t] for t in year.periods) / scale, scale)


def power(model: Model) -> None:
    """power[site,t]:  Σ_{o at site} kW_o·PUE_site/1000 · Σ_w y[o,w,t] <= P[site,t]  (MW the running
    units draw, the period's average: an idle unit draws none, so a site that loses power idles
    units, installed or committed, instead of making the plan impossible)."""
    data, scale = model.data, model.scale
    running: dict[tuple[int, int], Terms] = {}
    for (o, w, t), var in model.family("y").items():
        running.setdefault((o, t), []).append((var, 1.0))
    for cap in data.power:
        for t in data.T:
            terms = [(var, cap.coef[o] * scale.units / scale.mw) for o in cap.coef for var, _ in running.get((o, t), [])]
            if terms and cap.cap[t] is not None:
                model.add_row("power", (cap.name, t), terms, "<=", cap.cap[t] / scale.mw, scale.mw)


def _active_mw_caps(model: Model, family: str, caps) -> None:
    """family[cap,t]:  Σ_o coef_o · A[o,t] <= cap[t]  (MW; installed units on the right-hand
    side; no row where cap[t] is None or none of the offers can be active)."""
    data, scale = model.data, model.scale
    for cap in caps:
        for t in data.T:
            offers = [o for o in cap.coef if data.offers[o].can_be_active(t)]
            if offers and cap.cap[t] is not None:
                terms = [(var, cap.coef[o] * share * scale.units / scale.mw)
                         for o in offers for var, share in model.active_terms(o, t)]
                installed = sum(cap.coef[o] * data.offers[o].existing[t] for o in offers)
                rhs = model.grandfather(terms, (cap.cap[t] - installed) / scale.mw)
                model.add_row(family, (cap.name, t), terms, "<=", rhs, scale.mw)


def budget(model: Model) -> None:
    """budget[y]:  Σ_{t∈y} Σ_o spend_o(t) <= Σ_{t∈y} B_t·Δ_t  (cash per calendar year,
    undiscounted; spend as in measure_terms)."""
    data, money = model.data, model.scale.money
    if data.budget[0] is None:
        return
    for y, year in enumerate(data.years):
        terms, committed = _sum_measure(model, range(len(data.offers)), year.periods, "spend")
        rhs = model.grandfather(terms, sum(data.budget[t] for t in year.periods) / money - committed)
        model.add_row("budget", (y,), terms, "<=", rhs, money)


def measure_terms(model: Model, o: int, t: int, measure: str) -> tuple[Terms, float]:
    """m_o(t) in LP units of its kind (data.MEASURE_KINDS) as (terms, constant):
    compute Σ_w θ[o,w,t] y[o,w,t]; units A[o,t]; power kW·PUE/1000·A[o,t] (MW);
    spend upfront_o(t) x[o,t] + Δ_t Σ_τ a[o,τ,t] rent_o(τ,t) R[o,τ,t] + Δ_t recurring_o(t) E^pay[o,t]
          + Δ_t energy_o Σ_w y[o,w,t] ($: energy on the units that run, installed prepaid ones
    included; rent_o(τ,t) is the price of t, or of τ for a reservation); paid, what the vendor
    is paid at its list prices:
    list_upfront_o(t) x[o,t] + Δ_t Σ_τ a[o,τ,t] list_rent_o(τ,t) R[o,τ,t] + Δ_t list_recurring_o(t) E^pay[o,t];
    R[o,τ,t] the units paying rent: K[o,τ,t] for an owned offer (a unit sold pays none), x[o,τ]
    for a reservation (a sublet unit's rent is still the lab's to pay)."""
    data, scale = model.data, model.scale
    offer = data.offers[o]
    if measure == "compute":
        y = model.family("y")
        return [(y[(o, w, t)], offer.rate(w, t)) for w in offer.theta if (o, w, t) in y], 0.0
    if measure == "units":
        return list(model.active_terms(o, t)), offer.existing[t] / scale.units
    if measure == "power":
        mw = offer.mw_per_unit
        return ([(v, mw * share * scale.units / scale.mw) for v, share in model.active_terms(o, t)],
                mw * offer.existing[t] / scale.mw)
    years, paid = data.periods[t].years, measure == "paid"
    upfront = (offer.list_price["upfront"] if paid else offer.upfront)[t]
    committed = (offer.list_price["recurring"] if paid else offer.recurring)[t] * offer.existing_paying[t] * years
    per_lp = scale.units / scale.money
    x, y = model.family("x"), model.family("y")
    terms = [(var, offer.rent(tau, t, paid) * years * share * per_lp * coef)
             for tau, share in offer.signings_active_at(t)
             for var, coef in (model.kept_terms(o, tau, t) if offer.owned else [(x[(o, tau)], 1.0)])]
    if (o, t) in x:
        terms.append((x[(o, t)], upfront * per_lp))
    if offer.energy and not paid:
        terms += [(y[(o, w, t)], offer.energy * years * per_lp) for w in offer.theta if (o, w, t) in y]
    return terms, committed / scale.money


def concentration(model: Model) -> None:
    """share[group,member,measure,max|min,t]:
    Σ_{o∈g} m_o(t) <= s̄_g · Σ_o m_o(t)  and  Σ_{o∈g} m_o(t) >= s_g · Σ_o m_o(t)
    (homogeneous, so linear: Σ_o (1[o∈g] - s̄_g) m_o(t) <= 0)."""
    data = model.data
    for rule in data.shares:
        scale = model.scale.of_kind(MEASURE_KINDS[rule.measure])
        for t in rule.periods:
            parts = [(o, *measure_terms(model, o, t, rule.measure)) for o in range(len(data.offers))]
            for bound, sense, label in ((rule.high, "<=", "max"), (rule.low, ">=", "min")):
                if bound is None:
                    continue
                terms, constant = [], 0.0
                for o, o_terms, o_constant in parts:
                    weight = (1.0 if o in rule.members else 0.0) - bound
                    terms += [(v, c * weight) for v, c in o_terms]
                    constant += o_constant * weight
                model.add_row("share", (rule.group, rule.member, rule.measure, label, t), terms, sense,
                              -constant, scale)


def resilience(model: Model) -> None:
    """After failure f (its offers deliver only φ_f of their units), the surviving units are
    re-assigned (z, per θ-group g of interchangeable offers) to cover the critical fraction ρ_w
    of demand:
    recourse[f,g,t]:  Σ_w z[f,g,w,t] <= Σ_{o∈g} φ_{f,o} · A[o,t]   (φ_{f,o} = φ_f if o∈f else 1)
    cover[f,w,t]:     Σ_g θ[g,w] z[f,g,w,t] + s[f,w,t] >= ρ_w · D[w,t]   (hard mode: no s)."""
    data = model.data
    units = model.scale.units
    groups = data.theta_groups
    running: dict[tuple, pulp.LpAffineExpression] = {}
    covered: dict[tuple, pulp.LpAffineExpression] = {}
    for (f, g, w, t), z in model.family("z").items():
        expression = running.get((f, g, t))
        if expression is None:
            expression = running[(f, g, t)] = pulp.LpAffineExpression()
        expression[z] = 1.0
        expression = covered.get((f, w, t))
        if expression is None:
            expression = covered[(f, w, t)] = pulp.LpAffineExpression()
        expression[z] = groups[g].rate(w, t)
    for (f, g, t), terms in running.items():
        failure, installed = data.failures[f], 0.0
        for o in groups[g].offers:
            delivered = failure.delivered if o in failure.offers else 1.0
            if delivered:  # an offer that delivers nothing after f adds no term (no zeros in the matrix)
                for var, share in model.active_terms(o, t):
                    terms[var] = -delivered * share
            installed += delivered * data.offers[o].existing[t]
        model.add_row("recourse", (f, g, t), terms, "<=", installed / units, units)
    s = model.family("s")
    for f in range(len(data.failures)):
        for w, workload in data.workloads.items():
            for t in data.T:
                need = workload.critical * workload.demand[t]
                if need > 0:
                    terms = covered.get((f, w, t)) or pulp.LpAffineExpression()
                    if (f, w, t) in s:
                        terms[s[(f, w, t)]] = 1.0
                    model.add_row("cover", (f, w, t), terms, ">=", need / units, units)


def _sum_measure(model: Model, offers, periods, measure: str) -> tuple[Terms, float]:
    """Σ_{o∈offers, t∈periods} m_o(t) as (terms, constant), in LP units (see measure_terms)."""
    terms, constant = [], 0.0
    for o in offers:
        for t in periods:
            o_terms, o_constant = measure_terms(model, o, t, measure)
            terms += o_terms
            constant += o_constant
    return terms, constant


def take_or_pay(model: Model) -> None:
    """take_or_pay[d]:  Σ_{t∈W_d} Σ_{o∈d} paid_o(t) + short[d] >= M_d   (undiscounted $ paid to the
    vendor at list prices; short[d] is paid at the end of the window's last period)."""
    short, money = model.family("short"), model.scale.money
    for deal in model.data.deals:
        if deal.min_spend is not None:
            terms, constant = _sum_measure(model, sorted(deal.offers), deal.window, "paid")
            model.add_row("take_or_pay", (deal.name,), terms + [(short[(deal.name,)], 1.0)], ">=",
                          deal.min_spend / money - constant, money)


def financing(model: Model) -> None:
    """financing[d,t]:  credit[d,t] <= rate_d · basis_d(t), basis = Σ_{o∈d} (kW·PUE/1000 · c_o x[o,t]
    for per: mw; c_o x[o,t] for per: unit; paid_o(t) for per: usd), t in the window, where
    c_o = min(1, term_o) is the offer's commitment (data.OfferInstance.commitment);
    financing_cap[d]:  Σ_t credit[d,t] <= cap_d."""
    data, scale = model.data, model.scale
    credit, x = model.family("credit"), model.family("x")
    for deal in data.deals:
        if deal.rate <= 0:
            continue
        for t in deal.window:
            if deal.per == "usd":
                basis, constant = _sum_measure(model, sorted(deal.offers), [t], "paid")
            else:
                basis = [(x[(o, t)], data.offers[o].financed_per_unit(deal.per) * scale.units / scale.money)
                         for o in sorted(deal.offers) if (o, t) in x]
                constant = 0.0
            terms = [(credit[(deal.name, t)], 1.0)] + [(v, -deal.rate * c) for v, c in basis]
            model.add_row("financing", (deal.name, t), terms, "<=", deal.rate * constant, scale.money)
        if deal.cap is not None:
            model.add_row("financing_cap", (deal.name,), [(credit[(deal.name, t)], 1.0) for t in deal.window],
                          "<=", deal.cap / scale.money, scale.money)


def tranches(model: Model) -> None:
    """tranche[d,k]:  reach_k · vest[d,k] <= measure_d(by_k), where the measure is active facility
    MW or units of d's offers in by_k, their served compute as a share of all demand in by_k
    (reach · Σ_w D[w,by] · vest <= Σ_{o∈d} Σ_w θ y), or their spend from the window's start to by_k."""
    data = model.data
    vest = model.family("vest")
    for deal in data.deals:
        scale = model.scale.of_kind(TRANCHE_KINDS[deal.measure])
        for k, tranche in enumerate(deal.tranches):
            terms, constant = _sum_measure(model, sorted(deal.offers), deal.tranche_periods(tranche),
                                           DEAL_MEASURES[deal.measure])
            reach = tranche.reach
            if deal.measure == "share":
                reach *= sum(w.demand[tranche.by] for w in data.workloads.values())
            model.add_row("tranche", (deal.name, k), [(vest[(deal.name, k)], reach / scale)] + [(v, -c) for v, c in terms],
                          "<=", constant, scale)


def delivery(model: Model) -> None:
    """delivery[d,t]:  Σ_{o∈d} kW_o·PUE_o/1000 · A[o,t] <= max_mw_d[t]  (MW; 0 new before the
    window, never below the MW already installed: data.py)."""
    _active_mw_caps(model, "delivery", model.data.delivery)


def ladders(model: Model) -> None:
    """ladder_up[l,t',t]:    M_l(t) − M_l(t') <= up_l(t)
    ladder_down[l,t',t]:  M_l(t') − M_l(t) <= down_l(t)
    for periods t' < t of the ladder's window whose starts are at most a year apart (the most M may
    move within any 12 months), M_l(t) = Σ_{o∈l} m_o A[o,t] with m_o = 1 (units) or kW·PUE/1000
    (MW), installed units on the right-hand side. A cap is never below what the installed and held
    units alone move up, nor, where no free signing could refill it, down (Plan.ladder_cap, as
    Model.grandfather): contracts already signed never make a scenario infeasible."""
    data = model.data
    caps = Plan({}, {}, data)
    for ladder in data.ladders:
        scale = model.scale.of_kind(MEASURE_KINDS[ladder.measure])
        periods = sorted({t for step in ladder.steps for t in (step.before, step.after)})
        level = {t: _sum_measure(model, sorted(ladder.offers), [t], ladder.measure) for t in periods}
        for step in ladder.steps:
            (after, installed_after), (before, installed_before) = level[step.after], level[step.before]
            for family, sign in (("ladder_up", 1.0), ("ladder_down", -1.0)):
                cap = caps.ladder_cap(ladder, step, sign)
                if cap is not None:
                    terms = [(v, sign * c) for v, c in after] + [(v, -sign * c) for v, c in before]
                    model.add_row(family, (ladder.name, step.before, step.after), terms, "<=",
                                  cap / scale - sign * (installed_after - installed_before), scale)


def staggers(model: Model) -> None:
    """stagger[g,y]:  Σ_{(o,τ)∈g ending in y} m_o(τ) x[o,τ] <= s_g · Σ_{(o,τ)∈g} m_o(τ) x[o,τ]
    for each calendar year y a matched term signing can end in (homogeneous, so linear:
    Σ_{(o,τ)} (1[end(o,τ) ∈ y] − s_g) m_o(τ) x[o,τ] <= 0); m = 1 (units), kW·PUE/1000 (MW) or
    upfront_o(τ) + recurring_o(τ)·term_o (usd); on-demand offers excluded. The right-hand side is
    never below what the held signings (data.fixed) alone give (as Model.grandfather)."""
    data, x = model.data, model.family("x")
    held = Plan({}, {}, data).held
    for stagger in data.staggers:
        scale = model.scale.of_kind(STAGGER_KINDS[stagger.measure])
        for year in stagger.years:
            terms = [(x[key], ((end == year) - stagger.max_share) * per_unit * model.scale.units / scale)
                     for key, (end, per_unit) in stagger.signings.items() if key in x]
            model.add_row("stagger", (stagger.name, year), terms, "<=",
                          max(held.stagger_excess(stagger, year), 0.0) / scale, scale)


def resale(model: Model) -> None:
    """resale_held[o,τ]:  Σ_t sold[o,τ,t] <= x[o,τ]  (no more sold than signed);
    resale_cap[r,y]:  Σ_{t∈y} Σ_{(o,τ)∈r} sold[o,τ,t] <= Σ_{t∈y} N_r·Δ_t  (rules with max_units_per_year)."""
    data, units = model.data, model.scale.units
    x, sold = model.family("x"), model.family("sold")
    by_signing: dict[tuple[int, int], Terms] = {}
    for (o, tau, t), var in sold.items():
        by_signing.setdefault((o, tau), []).append((var, 1.0))
    for (o, tau), terms in by_signing.items():
        model.add_row("resale_held", (o, tau), terms + [(x[(o, tau)], -1.0)], "<=", 0.0, units)
    for rule in data.resale:
        if rule.cap is None:
            continue
        for y, year in enumerate(data.years):
            terms = [(var, 1.0) for (o, tau, t), var in sold.items() if t in year.periods and o in rule.offers]
            if terms:
                model.add_row("resale_cap", (rule.name, y), terms, "<=",
                              sum(rule.cap[t] for t in year.periods) / units, units)


def integer_lots(model: Model) -> None:
    """lots[o,t]:  x[o,t] = L · lots[o,t]  (integer lots of L units; only under --integer)."""
    lot, units = model.data.milp.lot_units, model.scale.units
    for key, lots in model.family("lots").items():
        model.add_row("lots", key, [(model.family("x")[key], 1.0), (lots, -lot / units)], "==", 0.0, units)


def min_cluster(model: Model) -> None:
    """cluster_size[o,w,t]:  C_w · cluster[o,w,t] <= y[o,w,t];  cluster_pick[w,t]:  Σ_o cluster[o,w,t] >= 1
    (in every period with demand, one offer runs at least C_w units of w)."""
    data, units = model.data, model.scale.units
    y = model.family("y")
    picks: dict[tuple[str, int], Terms] = {}
    for (o, w, t), chosen in model.family("cluster").items():
        model.add_row("cluster_size", (o, w, t), [(chosen, data.milp.min_cluster[w] / units), (y[(o, w, t)], -1.0)],
                      "<=", 0.0, units)
        picks.setdefault((w, t), []).append((chosen, 1.0))
    for w in data.milp.min_cluster:
        for t in data.T:
            if data.workloads[w].demand[t] > 0:
                model.add_row("cluster_pick", (w, t), picks.get((w, t), []), ">=", 1.0, 1.0)


def porting(model: Model) -> None:
    """porting[v,w,t]:  Σ_{o∈v} θ[o,w,t] y[o,w,t] <= D[w,t] · ported[v,w]  (a vendor serves w only
    once its stack is ported; relaxed, the porting cost is paid pro rata of its largest share)."""
    data, units = model.data, model.scale.units
    y = model.family("y")
    for (vendor, w), ported in model.family("ported").items():
        for t in data.T:
            served = [(y[(o, w, t)], offer.rate(w, t)) for o, offer in enumerate(data.offers)
                      if offer.vendor == vendor and (o, w, t) in y]
            if served:
                model.add_row("porting", (vendor, w, t), served + [(ported, -data.workloads[w].demand[t] / units)],
                              "<=", 0.0, units)


def volume_tiers(model: Model) -> None:
    """A deal's volume tiers over its spend paid_d = Σ_{t∈W_d} Σ_{o∈d} paid_o(t) (take_or_pay's
    measure), tiers k with start b_k, discount d_k, ceiling C:
    tier_split[d]:      Σ_k tier_spend[d,k] <= paid_d
    tier_ceiling[d,k]:  tier_spend[d,k] <= C · tier[d,k]
    tier_reach[d,k]:    b_k · tier[d,k] <= tier_spend[d,k]   (all_units, k >= 1)
    tier_pick[d]:       Σ_k tier[d,k] <= 1
    (the rebate δ(end W_d) Σ_k (d_k tier_spend[d,k] − K_k tier[d,k]) is in the cost: objective.tier_terms)."""
    money = model.scale.money
    spend, tier = model.family("tier_spend"), model.family("tier")
    for deal in model.data.deals:
        tiers = deal.tiers
        if tiers is None:
            continue
        keys = [(deal.name, k) for k in range(len(tiers.starts))]
        paid, constant = _sum_measure(model, sorted(deal.offers), deal.window, "paid")
        model.add_row("tier_split", (deal.name,), [(spend[key], 1.0) for key in keys] + [(v, -c) for v, c in paid],
                      "<=", constant, money)
        for key, start in zip(keys, tiers.starts):
            model.add_row("tier_ceiling", key, [(spend[key], 1.0), (tier[key], -tiers.ceiling / money)], "<=", 0.0,
                          money)
            if tiers.kind == "all_units" and start > 0:
                model.add_row("tier_reach", key, [(tier[key], start / money), (spend[key], -1.0)], "<=", 0.0, money)
        model.add_row("tier_pick", (deal.name,), [(tier[key], 1.0) for key in keys], "<=", 1.0, 1.0)


def vendor_counts(model: Model) -> None:
    """Rule r on group g, periods t with demand D_t = Σ_w D[w,t], served_m(t) = Σ_{o∈m,w} θ y:
    count_use[r,m,t]:    served_m(t) <= D_t · counted[r,m,t]           (a max: any share counts)
    count_floor[r,m,t]:  served_m(t) >= s_r · D_t · counted[r,m,t]     (a min: counts from min_share)
    count_max[r,t]:      Σ_m counted[r,m,t] <= N_max
    count_min[r,t]:      Σ_m counted[r,m,t] >= N_min."""
    data, units = model.data, model.scale.units
    counted = model.family("counted")
    for rule in data.vendor_counts:
        for t in rule.periods:
            demand = sum(w.demand[t] for w in data.workloads.values()) / units
            for member, offers in rule.members.items():
                key = (rule.rule, member, t)
                served = [term for o in sorted(offers) for term in measure_terms(model, o, t, "compute")[0]]
                if rule.high is not None:
                    model.add_row("count_use", key, served + [(counted[key], -demand)], "<=", 0.0, units)
                if rule.low is not None:
                    model.add_row("count_floor", key, served + [(counted[key], -rule.min_share * demand)], ">=", 0.0,
                                  units)
            column = [(counted[(rule.rule, member, t)], 1.0) for member in rule.members]
            if rule.high is not None:
                model.add_row("count_max", (rule.rule, t), column, "<=", float(rule.high), 1.0)
            if rule.low is not None:
                model.add_row("count_min", (rule.rule, t), column, ">=", float(rule.low), 1.0)


def options(model: Model) -> None:
    """option[p]:  Σ_{o∈copies(p), τ∈exercise} coef_o x[o,τ] <= reserve[p], coef_o = c_o (units) or
    kW_o·PUE_o/1000 · c_o (mw) (the copies are signable only in the exercise window);
    option_size[p]:  reserve[p] <= Q_p."""
    data, scale = model.data, model.scale
    x = model.family("x")
    for option in data.options:
        size_scale = scale.units if option.measure == "units" else scale.mw
        reserve = model.var("reserve", (option.name,))
        terms = [(x[(o, tau)], option.coef(data.offers[o]) * scale.units / size_scale)
                 for o in option.copies for tau in data.offers[o].signable]
        model.add_row("option", (option.name,), terms + [(reserve, -1.0)], "<=", 0.0, size_scale)
        model.add_row("option_size", (option.name,), [(reserve, 1.0)], "<=", option.size / size_scale, size_scale)


def packages(model: Model) -> None:
    """package[p,i]:  x[copy_i, τ_i] = N_i · take[p]  (the bundle is taken whole, or in the LP a share
    of every item)."""
    x, units = model.family("x"), model.scale.units
    for package in model.data.packages:
        take = model.var("take", (package.name,))
        for i, item in enumerate(package.items):
            model.add_row("package", (package.name, i), [(x[(item.copy, item.period)], 1.0),
                                                          (take, -item.units / units)], "==", 0.0, units)
