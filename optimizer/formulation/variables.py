"""Columns of the model (all non-negative, in LP units: model.Scale).

Only columns that can be non-zero are created: an acquisition x[o,t] only where the offer can
be signed and its units become active inside the horizon; an assignment y[o,w,t] only where
o can run w (θ > 0) and can have active units at t.
"""

from __future__ import annotations

from .model import Model


def acquisitions(model: Model) -> None:
    """x[o,t] >= 0: LP units (scale.units) of offer o signed in period t; fixed at the units the
    lab already holds where commitments cover t (data.fixed)."""
    model.add_vars("x", [(o, t) for o, offer in enumerate(model.data.offers) for t in offer.signable])
    x, units = model.family("x"), model.scale.units
    for key, value in model.data.fixed.items():
        x[key].lowBound = x[key].upBound = value / units


def assignments(model: Model) -> None:
    """y[o,w,t] >= 0: LP units of active units of o running workload w in period t."""
    model.add_vars("y", [(o, w, t) for o, offer in enumerate(model.data.offers) for t in model.data.T
                         if offer.can_be_active(t) for w in offer.theta if offer.rate(w, t) > 0])


def unmet(model: Model) -> None:
    """u[w,t] >= 0: LP units of H100e of workload w's demand left unserved in period t."""
    model.add_vars("u", [(w, t) for w in model.data.workloads for t in model.data.T])


def recourse(model: Model) -> None:
    """z[f,g,w,t] >= 0 (LP units of θ-group g re-assigned to w after failure f) and, in
    priced mode, s[f,w,t] >= 0 (LP units of H100e of critical demand uncovered after f; hard mode
    has no s, so the critical demand must be covered). Offers with the same θ are one group:
    their surviving units are interchangeable, so one column per group does what one per offer
    would (exactly), with fewer columns."""
    data = model.data
    critical = [w for w, workload in data.workloads.items() if workload.critical > 0]
    for f, failure in enumerate(data.failures):
        z_keys = []
        for g, group in enumerate(data.theta_groups):
            for t in data.T:
                if any(data.offers[o].can_be_active(t) and (failure.delivered if o in failure.offers else 1.0) > 0
                       for o in group.offers):
                    z_keys += [(f, g, w, t) for w in critical if group.rate(w, t) > 0]
        model.add_vars("z", z_keys)
        if data.resilience_mode == "priced":
            model.add_vars("s", [(f, w, t) for w in critical for t in data.T
                                 if data.workloads[w].critical * data.workloads[w].demand[t] > 0])


def concentration(model: Model, hhi: bool, max_share: bool) -> None:
    """σ[v,t] >= 0: vendor v's share of demand in t (defined by the `vendor_share` rows);
    q[v,t] >= 0: tangent-cut bound on σ[v,t]²; m[t] >= 0: the largest σ[v,t] in t."""
    if not (hhi or max_share):
        return
    data = model.data
    for t in data.T:
        if sum(w.demand[t] for w in data.workloads.values()) <= 0:
            continue
        for v in data.vendors:
            model.add_var("sigma", (v, t))
            if hhi:
                model.add_var("q", (v, t))
        if max_share:
            model.add_var("m", (t,))


def deals(model: Model) -> None:
    """Per deal d: short[d] >= 0 (LP money of take-or-pay shortfall, where a minimum exists);
    credit[d,t] >= 0 (LP money of financing earned in each window period, where a rate exists);
    vest[d,k] in [0, 1]: how much of tranche k is earned (binary under --integer)."""
    integer = model.data.milp.integer
    for deal in model.data.deals:
        if deal.min_spend is not None:
            model.add_var("short", (deal.name,))
        if deal.rate > 0:
            for t in deal.window:
                model.add_var("credit", (deal.name, t))
        for k in range(len(deal.tranches)):
            model.add_var("vest", (deal.name, k), upper=1.0, integer=integer)


def volume_tiers(model: Model) -> None:
    """Per deal d with volume tiers and tier k: tier_spend[d,k] >= 0 (LP money of the deal's spend
    counted in tier k) and tier[d,k] binary (tier k is the one reached), in every solve: relaxed,
    it would earn the top discount on any spend (docs/model.md, "Volume tiers")."""
    for deal in model.data.deals:
        if deal.tiers is not None:
            keys = [(deal.name, k) for k in range(len(deal.tiers.starts))]
            model.add_vars("tier_spend", keys)
            model.add_vars("tier", keys, upper=1.0, integer=True)


def vendor_counts(model: Model) -> None:
    """counted[r,m,t] binary: member m of rule r's group counts in period t, in every solve
    (relaxed, it could be m's share of demand, so a max would never bind: docs/model.md)."""
    for rule in model.data.vendor_counts:
        model.add_vars("counted", [(rule.rule, m, t) for t in rule.periods for m in rule.members],
                       upper=1.0, integer=True)


def resale(model: Model) -> None:
    """sold[o,τ,t] >= 0: LP units of the signing (o,τ) sold (owned) or sublet (reserved) at the
    start of t, where its rule allows (data.ModelData.sales); continuous, even under --integer
    (a sale need not be a whole lot). Never fixed by commitments: the lab holds signings, and
    selling is its recourse to a surprise."""
    model.add_vars("sold", [(o, tau, t) for (o, tau), (periods, _) in model.data.sales.items() for t in periods])


def integer_choices(model: Model) -> None:
    """lots[o,t] >= 0 integer: lots of o signed in t (only under --integer);
    cluster[o,w,t] in [0, 1]: o hosts w's minimum cluster in t; ported[v,w] in [0, 1]: vendor v's
    stack is brought up for w. The last two are binary under --integer, relaxed otherwise."""
    data = model.data
    integer = data.milp.integer
    if integer:
        for key in model.family("x"):
            model.add_var("lots", key, integer=True)
    y = model.family("y")
    for w in data.milp.min_cluster:
        for t in data.T:
            if data.workloads[w].demand[t] > 0:
                for o in range(len(data.offers)):
                    if (o, w, t) in y:
                        model.add_var("cluster", (o, w, t), upper=1.0, integer=integer)
    for vendor, w, _ in data.milp.porting:
        model.add_var("ported", (vendor, w), upper=1.0, integer=integer)


def instruments(model: Model) -> None:
    """reserve[p] >= 0: option p's right bought, in LP units of its measure (scale.units units,
    or scale.mw MW for an option sized in MW); take[p] in [0, 1]: the share of package p taken
    (binary under --integer; relaxed, a share of the bundle at the same share of its price)."""
    for option in model.data.options:
        model.add_var("reserve", (option.name,))
    for package in model.data.packages:
        model.add_var("take", (package.name,), upper=1.0, integer=model.data.milp.integer)
