"""Build the LP from ModelData: columns, then each constraint family, then the objective parts.

`build(data, objective)` returns a `Model`: its PuLP columns and rows (`Model.named_problem`
assembles them into a PuLP problem); which objective part is minimised (and in how many
stages) is decided in `solver.py`.
"""

from __future__ import annotations

import contextlib
import gc
import threading

import pulp

from ..data import ModelData
from . import constraints, objective, variables
from .model import Model, Row, Scale

OBJECTIVES = ("multi-vendor", "cost", "max-share", "hhi")


_pause = {"depth": 0, "resume": False}
_pause_lock = threading.Lock()


@contextlib.contextmanager
def paused_gc():
    """Pause Python's cyclic garbage collector: the build creates hundreds of thousands of
    PuLP objects that live as long as the model, and re-scanning them as they accumulate cost
    a third of the build time on the large benchmark (docs/performance.md). The collector is
    process-wide, so pauses nest and threads share them: it resumes when the last one ends,
    and only if it was enabled when the first began."""
    with _pause_lock:
        if _pause["depth"] == 0:
            _pause["resume"] = gc.isenabled()
            gc.disable()
        _pause["depth"] += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pause["depth"] -= 1
            if _pause["depth"] == 0 and _pause["resume"]:
                gc.enable()


def build(data: ModelData, objective_name: str = "multi-vendor", scale: Scale | None = None) -> Model:
    """The model for `objective_name` (one of OBJECTIVES), in `scale` (default: Scale.of(data);
    a stochastic plan builds every scenario in its reference scenario's)."""
    if objective_name not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective_name!r}, expected one of {', '.join(OBJECTIVES)}")
    with paused_gc():
        return _build(data, objective_name, scale or Scale.of(data))


def _build(data: ModelData, objective_name: str, scale: Scale) -> Model:
    model = Model(data, pulp.LpProblem("cpo", pulp.LpMinimize), scale=scale)
    priced = data.resilience_mode == "priced" and objective_name == "multi-vendor"
    with_recourse = bool(data.failures) and (data.resilience_mode == "hard" or priced)
    with_hhi = objective_name == "hhi" or (objective_name == "multi-vendor" and data.hhi_weight > 0)

    variables.acquisitions(model)
    variables.assignments(model)
    variables.unmet(model)
    if with_recourse:
        variables.recourse(model)
    variables.concentration(model, hhi=with_hhi, max_share=objective_name == "max-share")
    variables.deals(model)
    variables.volume_tiers(model)
    variables.vendor_counts(model)
    variables.resale(model)
    variables.integer_choices(model)
    variables.instruments(model)

    constraints.capacity(model)
    constraints.demand(model)
    constraints.supply(model)
    constraints.resource(model)
    constraints.power(model)
    constraints.budget(model)
    constraints.concentration(model)
    if with_recourse:
        constraints.resilience(model)
    constraints.take_or_pay(model)
    constraints.financing(model)
    constraints.tranches(model)
    constraints.delivery(model)
    constraints.ladders(model)
    constraints.staggers(model)
    constraints.resale(model)
    constraints.integer_lots(model)
    constraints.min_cluster(model)
    constraints.porting(model)
    constraints.volume_tiers(model)
    constraints.vendor_counts(model)
    constraints.options(model)
    constraints.packages(model)
    objective.vendor_shares(model)
    objective.hhi_cuts(model)
    objective.max_share_rows(model)

    model.objectives = {
        "cost": objective.cost(model),
        "equity": objective.equity(model),
        "resale": objective.resale(model),
        "resilience": objective.resilience(model),
        "hhi": objective.hhi(model, data.hhi_weight if objective_name == "multi-vendor" else 0.0),
        "mean_hhi": objective.mean_hhi(model),
        "max_share": objective.max_share(model),
    }
    return model


__all__ = ["build", "Model", "Row", "Scale", "OBJECTIVES"]
