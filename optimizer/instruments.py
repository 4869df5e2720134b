"""Capacity options and package bids read back: their values by re-solve and their tables.

Both instruments are derived offer instances (data.derived_instance) with a column of their
own: reserve[p], the right an option's fee buys, and take[p], the share of a package taken
(docs/model.md). What a right or a bundle is worth is not a dual (a whole block moves the plan
by more than a margin), so it is found by re-solving the same session warm, twice:

    option   value_usd = f(reserve fixed at 0) − f(fee 0, reserve free up to Q)
             the most worth paying for the whole right (present value at the horizon's start);
    package  value_usd = f(take fixed at 0) − f(take fixed at 1, price 0)
             the most the whole bundle could cost (present value) and still be worth taking.

f is the objective the plan minimised (procurement cost, plus expected disruption and the HHI
penalty under multi-vendor). Where the model has integers (lots, tranches, clusters, porting,
tiers, counts), both re-solves relax whole lots and hold every binary but the instrument's own
at the plan's values: the value given the plan's discrete choices, as its prices are (lots move
a value by at most their rounding). Two whole MILPs per instrument took the flagship MILP with a
package and an option from 40 s to 69 s, past its 60 s.
"""

from __future__ import annotations

import math

import numpy as np
import pulp

from .plan import Plan


def instrument_columns(models) -> dict[tuple[str, str], list[pulp.LpVariable]]:
    """(option|package, name) -> its reserve or take column in each of `models` that has it (one
    model; or a stochastic plan's scenarios, whose re-solves move every scenario's column)."""
    columns: dict[tuple[str, str], list[pulp.LpVariable]] = {}
    for model in models:
        for kind, family, items in (("option", "reserve", model.data.options), ("package", "take", model.data.packages)):
            for item in items:
                columns.setdefault((kind, item.name), []).append(model.var(family, (item.name,)))
    return columns


def values_by_resolve(session, objective: pulp.LpAffineExpression, columns=None,
                      fixed: np.ndarray | None = None) -> dict[tuple[str, str], float]:
    """(option|package, name) -> value in $ (NaN where a re-solve finds no optimum), `columns` as
    instrument_columns gives them (default: the session's model's), the model's other integers
    held at `fixed` (the plan's values; default: the session's last solution); the session's
    objective and bounds are restored afterwards."""
    out = {}
    for (kind, name), chosen in (columns or instrument_columns([session.model])).items():
        whole = 0.0 if kind == "option" else 1.0  # free: an option's right up to Q, a package taken whole
        without = _resolve(session, objective, chosen, 0.0, 0.0, free=False, fixed=fixed)
        free = _resolve(session, objective, chosen, whole, math.inf if kind == "option" else whole, free=True,
                        fixed=fixed)
        out[(kind, name)] = (without - free) * session.model.scale.money
    session.set_objective(objective)
    return out


def _resolve(session, objective, columns, lower: float, upper: float, free: bool, fixed) -> float:
    """The objective (LP money) with `columns` bounded to [lower, upper] and, if `free`, their cost
    coefficients 0, the other integers at `fixed`; NaN unless the re-solve is optimal. The
    columns' bounds are restored."""
    expression = objective.copy()
    if free:
        for column in columns:
            expression[column] = 0.0
    session.set_objective(expression)
    restore = ([column.lowBound or 0.0 for column in columns],
               [math.inf if column.upBound is None else column.upBound for column in columns])
    count = len(columns)
    session.set_column_bounds(columns, np.full(count, lower), np.full(count, upper))
    try:
        # (HiGHS sessions; a PuLP adapter's session re-solves the whole model)
        solution = (session.run_with_integers_fixed(fixed, columns)
                    if fixed is not None and getattr(session, "integers", np.empty(0)).size
                    else session.run(prices=False))
    finally:
        session.set_column_bounds(columns, np.array(restore[0]), np.array(restore[1]))
    return solution.objective if solution.status == "optimal" else math.nan


def option_rows(plan: Plan, duals: dict[str, float], values: dict) -> list[dict]:
    """One row per option and exercise period. Per unit means per accelerator: units and MW convert
    at the facility MW per unit of the units exercised (the copies' mean if none is; copies
    differ only in site PUE).
    `duals`: option name -> option_size's price in $ of the reserve period per unit of the
    option's measure (interpret.option_size_price; 0 where the row does not bind)."""
    data, rows = plan.data, []
    for option in data.options:
        signed = {o: sum(plan.acquired.get((o, t), 0.0) for t in option.window) for o in option.copies}
        weights = signed if sum(signed.values()) > 0 else dict.fromkeys(option.copies, 1.0)
        mw_per_unit = sum(data.offers[o].mw_per_unit * n for o, n in weights.items()) / sum(weights.values())
        per_measure = mw_per_unit if option.measure == "mw" else 1.0

        def both(amount: float) -> tuple[float, float]:
            """(units, MW) of an amount in the option's measure."""
            units = amount / mw_per_unit if option.measure == "mw" else amount
            return units, units * mw_per_unit

        size_units, size_mw = both(option.size)
        reserved_units, reserved_mw = both(plan.reserved(option))
        value = values.get(("option", option.name), math.nan)
        years = data.periods[option.window[-1]].end - data.periods[option.reserve].start
        for t in option.window:
            exercised_units = sum(plan.acquired.get((o, t), 0.0) for o in option.copies)
            rows.append({
                "option": option.name, "counterparty": option.counterparty, "period": data.periods[t].name,
                "exercised_units": exercised_units,
                "exercised_mw": sum(data.offers[o].mw_per_unit * plan.acquired.get((o, t), 0.0) for o in option.copies),
                "size_units": size_units, "size_mw": size_mw, "reserve_period": data.periods[option.reserve].name,
                "reserved_units": reserved_units, "reserved_mw": reserved_mw,
                "fee_usd": option.fee * plan.reserved(option),
                "marginal_value_usd_per_unit": (option.fee + duals.get(option.name, 0.0)) * per_measure,
                "value_usd": value, "max_fee_usd_per_unit": value / size_units,
                "max_fee_usd_per_mw_year": value / (size_mw * years)})
    return rows


def package_rows(plan: Plan, values: dict) -> list[dict]:
    """One row per package: the share taken, its price (present value), its value by re-solve
    and the surplus (value − price: what taking it saves)."""
    data, rows = plan.data, []
    for package in data.packages:
        price = package.price(data)
        value = values.get(("package", package.name), math.nan)
        rows.append({"package": package.name, "counterparty": package.counterparty, "taken": plan.taken(package),
                     "items": len(package.items), "units": sum(item.units for item in package.items),
                     "price_usd": price, "value_usd": value, "surplus_usd": value - price})
    return rows
