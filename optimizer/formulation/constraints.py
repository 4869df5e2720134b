"""Constraint families, one function each; rows are named `family[keys]`.

Notation (docs/model.md): x[o,t] units signed, y[o,w,t] units running w, u[w,t] unmet H100e,
A[o,t] = E[o,t] + Σ_{τ: τ+lead_o <= t < τ+lead_o+term_o} x[o,τ] active units, θ[o,w] H100e per
unit, Δ_t period length in years. Rows are written in LP units (model.py): thousands of units
or H100e, $M, and MW; the installed E[o,t] moves to the right-hand side.
"""

from __future__ import annotations

import pulp

from .model import MONEY, UNITS, Model, Terms


def capacity(model: Model) -> None:
    """capacity[o,t]:  Σ_w y[o,w,t] <= A[o,t]."""
    running: dict[tuple[int, int], Terms] = {}
    for (o, w, t), var in model.family("y").items():
        running.setdefault((o, t), []).append((var, 1.0))
    for (o, t), terms in running.items():
        acquired = [(var, -1.0) for var, _ in model.active_terms(o, t)]
        model.add_row("capacity", (o, t), terms + acquired, "<=", model.data.offers[o].existing[t] / UNITS, UNITS)


def demand(model: Model) -> None:
    """demand[w,t]:  Σ_o θ[o,w] y[o,w,t] + u[w,t] >= D[w,t]."""
    data = model.data
    served: dict[tuple[str, int], Terms] = {}
    for (o, w, t), var in model.family("y").items():
        served.setdefault((w, t), []).append((var, data.offers[o].theta[w]))
    for (w, t), u in model.family("u").items():
        model.add_row("demand", (w, t), served.get((w, t), []) + [(u, 1.0)], ">=",
                      data.workloads[w].demand[t] / UNITS, UNITS)


def supply(model: Model) -> None:
    """supply[pool,t]:  Σ_{o∈pool} c[pool,o] x[o,t] <= S[pool,t]·Δ_t, where c = 1 for pools in
    units and c = kW_o·PUE_o/1000 for pools in MW (S is per year)."""
    _acquisition_caps(model, "supply", model.data.supply)


def resource(model: Model) -> None:
    """resource[k,t]:  Σ_o q[o,k] x[o,t] <= Q[k,t]·Δ_t  (common-mode inputs such as CoWoS wafers)."""
    _acquisition_caps(model, "resource", model.data.resources)


def _acquisition_caps(model: Model, family: str, caps) -> None:
    x = model.family("x")
    for cap in caps:
        scale = UNITS if cap.unit == "units" else 1.0
        for t in model.data.T:
            terms = [(x[(o, t)], coef * UNITS / scale) for o, coef in cap.coef.items() if (o, t) in x]
            if terms and cap.cap[t] is not None:
                model.add_row(family, (cap.name, t), terms, "<=", cap.cap[t] / scale, scale)


def power(model: Model) -> None:
    """power[site,t]:  Σ_{o at site} kW_o·PUE_site/1000 · A[o,t] <= P[site,t]  (MW)."""
    data = model.data
    for cap in data.power:
        for t in data.T:
            offers = [o for o in cap.coef if data.offers[o].can_be_active(t)]
            if offers:
                terms = [(var, cap.coef[o] * UNITS) for o in offers for var, _ in model.active_terms(o, t)]
                installed = sum(cap.coef[o] * data.offers[o].existing[t] for o in offers)
                model.add_row("power", (cap.name, t), terms, "<=", cap.cap[t] - installed, 1.0)


def budget(model: Model) -> None:
    """budget[t]:  Σ_o (upfront_o x[o,t] + recurring_o Δ_t A^pay[o,t]) <= B_t·Δ_t  (cash, undiscounted)."""
    data = model.data
    for t in data.T:
        if data.budget[t] is None:
            continue
        terms, committed = [], 0.0
        for o in range(len(data.offers)):
            spend_terms, spend_constant = measure_terms(model, o, t, "spend")
            terms += spend_terms
            committed += spend_constant
        model.add_row("budget", (t,), terms, "<=", data.budget[t] / MONEY - committed, MONEY)


def measure_terms(model: Model, o: int, t: int, measure: str) -> tuple[Terms, float]:
    """m_o(t) in LP units as (terms, constant):
    compute Σ_w θ[o,w] y[o,w,t]; units A[o,t]; power kW·PUE/1000·A[o,t] (MW);
    spend upfront_o x[o,t] + recurring_o Δ_t A^pay[o,t] ($M, installed units counted when they pay)."""
    data = model.data
    offer = data.offers[o]
    active = model.active_terms(o, t)
    if measure == "compute":
        y = model.family("y")
        return [(y[(o, w, t)], th) for w, th in offer.theta.items() if (o, w, t) in y], 0.0
    if measure == "units":
        return list(active), offer.existing[t] / UNITS
    if measure == "power":
        mw = offer.mw_per_unit
        return [(v, mw * UNITS) for v, _ in active], mw * offer.existing[t]
    recurring = offer.recurring * data.periods[t].years
    terms = [(v, recurring * UNITS / MONEY) for v, _ in active]
    x = model.var("x", (o, t))
    if x is not None:
        terms.append((x, offer.upfront * UNITS / MONEY))
    return terms, recurring * offer.existing_paying[t] / MONEY


def concentration(model: Model) -> None:
    """share[group,member,measure,max|min,t]:
    Σ_{o∈g} m_o(t) <= s̄_g · Σ_o m_o(t)  and  Σ_{o∈g} m_o(t) >= s_g · Σ_o m_o(t)
    (homogeneous, so linear: Σ_o (1[o∈g] - s̄_g) m_o(t) <= 0)."""
    data = model.data
    for rule in data.shares:
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
                              -constant, 1.0)


def resilience(model: Model) -> None:
    """After failure f (its offers deliver only φ_f of their units), the surviving units are
    re-assigned (z) to cover the critical fraction ρ_w of demand:
    recourse[f,o,t]:  Σ_w z[f,o,w,t] <= φ_{f,o} · A[o,t]   (φ_{f,o} = φ_f if o∈f else 1)
    cover[f,w,t]:     Σ_o θ[o,w] z[f,o,w,t] + s[f,w,t] >= ρ_w · D[w,t]   (hard mode: no s)."""
    data = model.data
    running: dict[tuple, pulp.LpAffineExpression] = {}
    covered: dict[tuple, pulp.LpAffineExpression] = {}
    for (f, o, w, t), z in model.family("z").items():
        expression = running.get((f, o, t))
        if expression is None:
            expression = running[(f, o, t)] = pulp.LpAffineExpression()
        expression[z] = 1.0
        expression = covered.get((f, w, t))
        if expression is None:
            expression = covered[(f, w, t)] = pulp.LpAffineExpression()
        expression[z] = data.offers[o].theta[w]
    for (f, o, t), terms in running.items():
        share = data.failures[f].delivered if o in data.failures[f].offers else 1.0
        for var, _ in model.active_terms(o, t):
            terms[var] = -share
        model.add_row("recourse", (f, o, t), terms, "<=", share * data.offers[o].existing[t] / UNITS, UNITS)
    s = model.family("s")
    for f in range(len(data.failures)):
        for w, workload in data.workloads.items():
            for t in data.T:
                need = workload.critical * workload.demand[t]
                if need > 0:
                    terms = covered.get((f, w, t)) or pulp.LpAffineExpression()
                    if (f, w, t) in s:
                        terms[s[(f, w, t)]] = 1.0
                    model.add_row("cover", (f, w, t), terms, ">=", need / UNITS, UNITS)
