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

from ..data import DEAL_MEASURES, MEASURE_KINDS, TRANCHE_KINDS
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
    spend upfront_o(t) x[o,t] + Δ_t Σ_τ a[o,τ,t] rent_o(τ,t) x[o,τ] + Δ_t recurring_o(t) E^pay[o,t]
          + Δ_t energy_o Σ_w y[o,w,t] ($: energy on the units that run, installed prepaid ones
    included; rent_o(τ,t) is the price of t, or of τ for a reservation); paid, what the vendor
    is paid at its list prices:
    list_upfront_o(t) x[o,t] + Δ_t Σ_τ a[o,τ,t] list_rent_o(τ,t) x[o,τ] + Δ_t list_recurring_o(t) E^pay[o,t]."""
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
    terms = [(x[(o, tau)], offer.rent(tau, t, paid) * years * share * per_lp)
             for tau, share in offer.signings_active_at(t)]
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
