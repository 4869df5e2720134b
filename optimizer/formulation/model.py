"""The built model: a PuLP problem plus the keys of every column and row.

Inside the LP, compute and unit counts are in thousands (`UNITS`) and money in millions of
dollars (`MONEY`), so coefficients stay between about 1e-3 and 1e4 and HiGHS sees a
well-scaled matrix. Results are converted back to units, H100e and dollars in one place
(`results.py`) using each row's `rhs_scale`. Results are read through the tuple keys kept
here, never by parsing PuLP names (PuLP rewrites characters such as '-', '/', '[', ']').
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import pulp

from ..data import ModelData, solver_name

UNITS = 1e3
"""Accelerator units and H100e per LP unit."""
MONEY = 1e6
"""Dollars per LP unit of money."""

SENSES = {"<=": pulp.LpConstraintLE, ">=": pulp.LpConstraintGE, "==": pulp.LpConstraintEQ}

Terms = list[tuple[pulp.LpVariable, float]]

KEY_KINDS = {
    # columns: o offer instance, w workload, t period, f failure, v vendor
    "x": "ot", "y": "owt", "u": "wt", "z": "fowt", "s": "fwt", "q": "vt", "m": "t",
    # rows (other parts are names already)
    "capacity": "ot", "demand": "wt", "supply": "-t", "power": "-t", "resource": "-t",
    "budget": "t", "share": "----t", "recourse": "fot", "cover": "fwt", "hhi_cut": "vt-",
    "max_share": "vt", "unmet_guard": "wt",
}


@dataclass
class Row:
    family: str
    key: tuple
    name: str
    """`family[key,...]` as users see it."""
    constraint: pulp.LpConstraint
    rhs_scale: float
    """Real units of the right-hand side per LP unit (H100e rows: UNITS; MW rows: 1; $ rows: MONEY)."""


@dataclass
class Model:
    data: ModelData
    prob: pulp.LpProblem
    vars: dict[str, dict[tuple, pulp.LpVariable]] = field(default_factory=dict)
    columns: list[pulp.LpVariable] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    row_by_key: dict[tuple, Row] = field(default_factory=dict)
    objectives: dict[str, pulp.LpAffineExpression] = field(default_factory=dict)
    """Named objective parts in LP units ($M): cost, resilience, hhi, max_share."""

    def add_var(self, family: str, key: tuple) -> pulp.LpVariable:
        """A non-negative column keyed by `key` and named `family[label]`."""
        var = self.prob.add_variable(solver_name(f"{family}[{','.join(self.label(family, key))}]"), lowBound=0)
        self.vars.setdefault(family, {})[key] = var
        self.columns.append(var)
        return var

    def add_row(self, family: str, key: tuple, terms: Terms, sense: str, rhs: float,
                rhs_scale: float) -> Row:
        """Add `Σ coef·var (sense) rhs` keyed by `key` and named `family[label]`."""
        name = f"{family}[{','.join(self.label(family, key))}]"
        expression = pulp.LpAffineExpression(_merge(terms))
        constraint = pulp.LpConstraint(expression, SENSES[sense], name=solver_name(name), rhs=rhs)
        self.prob.addConstraint(constraint)
        row = Row(family, key, name, constraint, rhs_scale)
        self.rows.append(row)
        self.row_by_key[(family, key)] = row
        return row

    def label(self, family: str, key: tuple) -> list[str]:
        """Readable names for a key: offer, period and failure indices become their names."""
        kinds = KEY_KINDS.get(family, "")
        names = {"o": lambda i: self.data.offers[i].key, "t": lambda i: self.data.periods[i].name,
                 "f": lambda i: self.data.failures[i].name}
        return [names[kind](part) if kind in names else str(part)
                for kind, part in zip(kinds.ljust(len(key)), key)]

    def var(self, family: str, key: tuple) -> pulp.LpVariable | None:
        return self.vars.get(family, {}).get(key)

    def family(self, family: str) -> dict[tuple, pulp.LpVariable]:
        return self.vars.get(family, {})

    def active_terms(self, o: int, t: int) -> Terms:
        """A[o,t] - E[o,t] in LP units: Σ x[o,τ] over signings τ active at t."""
        x = self.family("x")
        return [(x[(o, tau)], 1.0) for tau in self.data.offers[o].signings_active_at(t)]


def _merge(terms: Iterable[tuple[pulp.LpVariable, float]]) -> dict:
    merged: dict = {}
    for var, coef in terms:
        if coef:
            merged[var] = merged.get(var, 0.0) + coef
    return merged
