"""Columns of the model (all non-negative, in LP units; see model.py).

Only columns that can be non-zero are created: an acquisition x[o,t] only where the offer can
be signed and its units become active inside the horizon; an assignment y[o,w,t] only where
o can run w (θ > 0) and can have active units at t.
"""

from __future__ import annotations

from .model import Model


def acquisitions(model: Model) -> None:
    """x[o,t] >= 0: thousand units of offer o signed in period t."""
    for o, offer in enumerate(model.data.offers):
        for t in offer.signable:
            model.add_var("x", (o, t))


def assignments(model: Model) -> None:
    """y[o,w,t] >= 0: thousand active units of o running workload w in period t."""
    for o, offer in enumerate(model.data.offers):
        for t in model.data.T:
            if offer.can_be_active(t):
                for w, theta in offer.theta.items():
                    if theta > 0:
                        model.add_var("y", (o, w, t))


def unmet(model: Model) -> None:
    """u[w,t] >= 0: thousand H100e of workload w's demand left unserved in period t."""
    for w in model.data.workloads:
        for t in model.data.T:
            model.add_var("u", (w, t))


def recourse(model: Model) -> None:
    """z[f,o,w,t] >= 0 (thousand units of o re-assigned to w after failure f) and, in priced
    mode, s[f,w,t] >= 0 (thousand H100e of critical demand uncovered after f; hard mode has
    no s, so the critical demand must be covered)."""
    data = model.data
    critical = [w for w, workload in data.workloads.items() if workload.critical > 0]
    for f, failure in enumerate(data.failures):
        for o, offer in enumerate(data.offers):
            if (failure.delivered if o in failure.offers else 1.0) > 0:
                for t in data.T:
                    if offer.can_be_active(t):
                        for w in critical:
                            if offer.theta.get(w, 0) > 0:
                                model.add_var("z", (f, o, w, t))
        if data.resilience_mode == "priced":
            for w in critical:
                for t in data.T:
                    if data.workloads[w].critical * data.workloads[w].demand[t] > 0:
                        model.add_var("s", (f, w, t))


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
