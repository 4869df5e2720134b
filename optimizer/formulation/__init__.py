"""Build the LP from ModelData: columns, then each constraint family, then the objective parts.

`build(data, objective)` returns a `Model` whose PuLP problem holds every row; which objective
part is minimised (and in how many stages) is decided in `solve.py`.
"""

from __future__ import annotations

import pulp

from ..data import ModelData
from . import constraints, objective, variables
from .model import MONEY, UNITS, Model, Row

OBJECTIVES = ("multi-vendor", "cost", "max-share", "hhi")


def build(data: ModelData, objective_name: str = "multi-vendor") -> Model:
    """The model for `objective_name` (one of OBJECTIVES)."""
    if objective_name not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective_name!r}, expected one of {', '.join(OBJECTIVES)}")
    model = Model(data, pulp.LpProblem("cpo", pulp.LpMinimize))
    priced = data.resilience_mode == "priced" and objective_name == "multi-vendor"
    with_recourse = bool(data.failures) and (data.resilience_mode == "hard" or priced)
    with_hhi = objective_name == "hhi" or (objective_name == "multi-vendor" and data.hhi_weight > 0)

    variables.acquisitions(model)
    variables.assignments(model)
    variables.unmet(model)
    if with_recourse:
        variables.recourse(model)
    variables.concentration(model, hhi=with_hhi, max_share=objective_name == "max-share")

    constraints.capacity(model)
    constraints.demand(model)
    constraints.supply(model)
    constraints.resource(model)
    constraints.power(model)
    constraints.budget(model)
    constraints.concentration(model)
    if with_recourse:
        constraints.resilience(model)
    objective.hhi_cuts(model)
    objective.max_share_rows(model)

    model.objectives = {
        "cost": objective.cost(model),
        "resilience": objective.resilience(model),
        "hhi": objective.hhi(model, data.hhi_weight if objective_name == "multi-vendor" else 0.0),
        "mean_hhi": objective.mean_hhi(model),
        "max_share": objective.max_share(model),
    }
    return model


__all__ = ["build", "Model", "Row", "OBJECTIVES", "UNITS", "MONEY"]
