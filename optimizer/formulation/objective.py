"""Objective parts (in the LP's money unit, model.Scale) and the rows that define concentration measures.

cost        Σ_{o,τ} δ(σ_τ) upfront_o(τ) x[o,τ] + Σ_t δ_t [Σ_o recurring spend_o(t) + Σ_w VOLL_w Δ_t u[w,t]]
            − δ_H Σ_{o,τ} salvage[o,τ] K[o,τ,T−1] − Σ_{o,τ,t} income[o,τ,t] sold[o,τ,t] (resale)
            + deals, porting and volume rebates (deal_terms)
            (σ_τ: when units are signed in τ, data.OfferInstance.signed_at; recurring spend pays rent
            on R[o,τ,t]: K for owned units, x for reservations; K[o,τ,t] = x[o,τ] − Σ_{t'≤t} sold[o,τ,t'];
            income: data.ModelData.resale_income)
resilience  Σ_{f,w,t} p_f Δ_t d_f · VOLL_w · δ_t · s[f,w,t]          (expected disruption cost)
hhi         λ Σ_t δ_t Δ_t Σ_v q[v,t]                                   (q >= share², tangent cuts)
max_share   Σ_t Δ_t m[t] / Σ_t Δ_t                                     (m[t] >= every vendor share)

Vendor shares here are shares of demand, σ[v,t] = Σ_{o∈v,w} θ[o,w] y[o,w,t] / Σ_w D[w,t], which
keeps them linear (demand is data); σ is a column defined by the `vendor_share` rows.
"""

from __future__ import annotations

import pulp

from ..checks import TANGENT_POINTS
from .model import Model, Terms


def cost(model: Model) -> pulp.LpAffineExpression:
    """Discounted procurement cost: upfront and recurring spend, energy, unmet demand at VOLL,
    minus salvage. Recurring on signed units folds into x (over the share of each period they
    are active); on installed units that pay it, it is a constant; energy is paid on the units
    that run (y). A unit sold (sold) brings its resale income and, owned, pays no rent from the
    sale on and earns no salvage; a sublet reservation keeps paying its rent."""
    data, scale = model.data, model.scale
    per_lp = scale.units / scale.money
    end = data.end_discount
    terms: Terms = []
    for (o, tau), var in model.family("x").items():
        offer = data.offers[o]
        coef = data.discount_at(offer.signed_at[tau]) * offer.upfront[tau] - end * offer.salvage(tau)
        for t, share in offer.activity[tau]:
            coef += data.discount[t] * offer.rent(tau, t) * data.periods[t].years * share
        terms.append((var, coef * per_lp))
    for (o, tau, t), var in model.family("sold").items():
        offer = data.offers[o]
        if offer.owned:
            coef = end * offer.salvage(tau) - sum(data.discount[u] * offer.rent(tau, u) * data.periods[u].years * share
                                                  for u, share in offer.activity[tau] if u >= t)
            terms.append((var, coef * per_lp))
    for (w, t), var in model.family("u").items():
        coef = data.discount[t] * data.workloads[w].voll * data.periods[t].years
        terms.append((var, coef * per_lp))
    for (o, w, t), var in model.family("y").items():
        if data.offers[o].energy:
            terms.append((var, data.discount[t] * data.offers[o].energy * data.periods[t].years * per_lp))
    committed = sum(data.discount[t] * data.periods[t].years * offer.recurring[t] * offer.existing_paying[t]
                    for offer in data.offers for t in data.T)
    return (pulp.LpAffineExpression(terms + deal_terms(model) + instrument_terms(model), constant=committed / scale.money)
            - resale(model))


def resale(model: Model) -> pulp.LpAffineExpression:
    """Σ_{o,τ,t} income[o,τ,t] sold[o,τ,t]: the resale income inside `cost` (LP money), for
    verify() to compare with the plan's (data.ModelData.resale_income)."""
    data, per_lp = model.data, model.scale.units / model.scale.money
    return pulp.LpAffineExpression([(var, data.resale_income(o, tau, t) * per_lp)
                                    for (o, tau, t), var in model.family("sold").items()])


def deal_terms(model: Model) -> Terms:
    """Deals and porting in the cost (LP money): + δ_{end(W_d)} short[d] + financing (every deal's,
    equity included: the lab values an investment as what it pays) + δ_0 P_{v,w} ported[v,w];
    δ_{end(W_d)} is δ at the end of the window's last period, when the shortfall is paid."""
    data, money = model.data, model.scale.money
    terms: Terms = []
    for deal in data.deals:
        short = model.var("short", (deal.name,))
        if short is not None:
            terms.append((short, data.end_of_period_discount(deal.window[-1])))
    terms += financing_terms(model, data.deals)
    for vendor, w, amount in data.milp.porting:
        terms.append((model.var("ported", (vendor, w)), data.discount[0] * amount / money))
    return terms + tier_terms(model)


def tier_terms(model: Model) -> Terms:
    """Volume rebates (LP money): − δ(end W_d) Σ_k (d_k tier_spend[d,k] − K_k tier[d,k]) for each
    deal with tiers; at tier[d,k] = 1 and tier_spend = P it is the rebate d_k P − K_k, paid at
    the end of the window's last period (as a take-or-pay shortfall is)."""
    data, money = model.data, model.scale.money
    terms: Terms = []
    for deal in data.deals:
        if deal.tiers is None:
            continue
        end = data.end_of_period_discount(deal.window[-1])
        for k, (discount, intercept) in enumerate(zip(deal.tiers.discounts, deal.tiers.intercepts)):
            if discount:
                terms.append((model.var("tier_spend", (deal.name, k)), -end * discount))
            if intercept:
                terms.append((model.var("tier", (deal.name, k)), end * intercept / money))
    return terms


def instrument_terms(model: Model) -> Terms:
    """Options and packages in the cost (LP money): + Σ_p δ(s_reserve_p) fee_p reserve[p]
    + Σ_p Σ_k δ(s_k) payment_k take[p] (fees at the start of the reserve period, payments at the
    start of theirs)."""
    data, scale = model.data, model.scale
    terms: Terms = []
    for option in data.options:
        size_scale = scale.units if option.measure == "units" else scale.mw
        terms.append((model.var("reserve", (option.name,)),
                      data.discount[option.reserve] * option.fee * size_scale / scale.money))
    for package in data.packages:
        terms.append((model.var("take", (package.name,)), package.price(data) / scale.money))
    return terms


def financing_terms(model: Model, deals) -> Terms:
    """− Σ_t δ_t credit[d,t] − Σ_k δ_{end(by_k)} credit_k vest[d,k] for `deals` (LP money); a
    tranche is earned at the end of its `by` period."""
    data, money = model.data, model.scale.money
    terms: Terms = []
    for deal in deals:
        for t in deal.window:
            credit = model.var("credit", (deal.name, t))
            if credit is not None:
                terms.append((credit, -data.discount[t]))
        for k, tranche in enumerate(deal.tranches):
            terms.append((model.var("vest", (deal.name, k)),
                          -data.end_of_period_discount(tranche.by) * tranche.credit / money))
    return terms


def equity(model: Model) -> pulp.LpAffineExpression:
    """The equity-kind deals' financing (investments, warrants), inside `cost` but not part of
    procurement cost (results.py reports it as vendor_equity)."""
    return pulp.LpAffineExpression(financing_terms(model, [deal for deal in model.data.deals if deal.equity]))


def resilience(model: Model) -> pulp.LpAffineExpression:
    """Expected disruption cost of the priced-mode shortfalls s."""
    data, per_lp = model.data, model.scale.units / model.scale.money
    terms = []
    for (f, w, t), var in model.family("s").items():
        failure = data.failures[f]
        chance = failure.probability * data.periods[t].years * failure.duration_years
        terms.append((var, chance * data.workloads[w].voll * data.discount[t] * per_lp))
    return pulp.LpAffineExpression(terms)


def vendor_shares(model: Model) -> None:
    """vendor_share[v,t]:  Σ_{o∈v,w} θ[o,w] y[o,w,t] − σ[v,t]·Σ_w D[w,t] = 0  (σ: share of demand)."""
    data = model.data
    served: dict[tuple[str, int], Terms] = {}
    for (o, w, t), var in model.family("y").items():
        served.setdefault((data.offers[o].vendor, t), []).append((var, data.offers[o].rate(w, t)))
    units = model.scale.units
    for (v, t), sigma in model.family("sigma").items():
        total = sum(w.demand[t] for w in data.workloads.values()) / units
        model.add_row("vendor_share", (v, t), served.get((v, t), []) + [(sigma, -total)], "==", 0.0, units)


def hhi_cuts(model: Model) -> None:
    """hhi_cut[v,t,k]:  q[v,t] >= 2a_k·σ[v,t] − a_k²  for a_k in TANGENT_POINTS, written divided
    by 2a_k (q/(2a_k) − σ >= −a_k/2) so the small tangents do not shrink the coefficients."""
    sigma = model.family("sigma")
    for (v, t), q in model.family("q").items():
        for k, a in enumerate(TANGENT_POINTS[1:], start=1):
            model.add_row("hhi_cut", (v, t, k), [(q, 1 / (2 * a)), (sigma[(v, t)], -1.0)], ">=", -a / 2, 1.0)


def max_share_rows(model: Model) -> None:
    """max_share[v,t]:  m[t] >= σ[v,t]."""
    for (v, t), sigma in model.family("sigma").items():
        m = model.var("m", (t,))
        if m is not None:
            model.add_row("max_share", (v, t), [(m, 1.0), (sigma, -1.0)], ">=", 0.0, 1.0)


def hhi(model: Model, weight_usd_per_year: float) -> pulp.LpAffineExpression:
    """λ Σ_t δ_t Δ_t Σ_v q[v,t] in LP money (λ in $ per year per unit of HHI)."""
    data = model.data
    return pulp.LpAffineExpression(
        [(q, weight_usd_per_year * data.discount[t] * data.periods[t].years / model.scale.money)
         for (v, t), q in model.family("q").items()])


def mean_hhi(model: Model) -> pulp.LpAffineExpression:
    """Σ_t Δ_t Σ_v q[v,t] / Σ_t Δ_t: the time-averaged HHI (the `hhi` objective's first stage)."""
    years = sum(p.years for p in model.data.periods)
    return pulp.LpAffineExpression(
        [(q, model.data.periods[t].years / years) for (v, t), q in model.family("q").items()])


def max_share(model: Model) -> pulp.LpAffineExpression:
    """Σ_t Δ_t m[t] / Σ_t Δ_t: the time-averaged largest vendor share of demand."""
    years = sum(p.years for p in model.data.periods)
    return pulp.LpAffineExpression(
        [(m, model.data.periods[t].years / years) for (t,), m in model.family("m").items()])
