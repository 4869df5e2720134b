"""`cpo export`: the model as an LP or MPS file for any other solver."""

from __future__ import annotations

from pathlib import Path


def export_model(scenario, file: Path, objective: str | None = None) -> tuple[int, int]:
    """Write the model (LP units: $M, thousands of units and H100e) and return (rows, columns).

    `cost` and `multi-vendor` export their objective; `max-share` and `hhi` export their first
    (cost) stage, since the later stages depend on its solution."""
    from .formulation import build
    from .solver import multi_vendor_objective

    objective = objective or scenario.config.objective
    model = build(scenario.data, objective)
    parts = model.objectives
    expression = multi_vendor_objective(model) if objective == "multi-vendor" else parts["cost"]
    problem = model.named_problem(expression)
    file = Path(file)
    file.parent.mkdir(parents=True, exist_ok=True)
    if file.suffix.lower() == ".mps":
        problem.writeMPS(str(file))
    else:
        problem.writeLP(str(file))
    return len(model.rows), len(model.columns)
