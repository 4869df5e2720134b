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
    # columns: o offer instance, w workload, t period, f failure, v vendor, g θ-group
    "x": "ot", "y": "owt", "u": "wt", "z": "fgwt", "s": "fwt", "sigma": "vt", "q": "vt", "m": "t",
    # rows (other parts are names already)
    "capacity": "ot", "demand": "wt", "supply": "-t", "power": "-t", "resource": "-t",
    "budget": "t", "share": "----t", "recourse": "fgt", "cover": "fwt", "vendor_share": "vt",
    "hhi_cut": "vt-", "max_share": "vt", "unmet_guard": "wt",
    # deals and MILP (d: deal name, k: tranche number, v: vendor)
    "short": "-", "credit": "-t", "vest": "--", "lots": "ot", "cluster": "owt", "ported": "--",
    "take_or_pay": "-", "financing": "-t", "financing_cap": "-", "tranche": "--", "delivery": "-t",
    "cluster_size": "owt", "cluster_pick": "wt", "porting": "--t",
}


@dataclass(eq=False)
class Row:
    family: str
    key: tuple
    constraint: pulp.LpConstraint
    rhs_scale: float
    """Real units of the right-hand side per LP unit (H100e rows: UNITS; MW rows: 1; $ rows: MONEY)."""
    position: int
    """Index in Model.rows, and HiGHS's row number."""


@dataclass
class Model:
    data: ModelData
    prob: pulp.LpProblem
    """Creates the columns (PuLP 4's `add_variable`); the rows are in `rows`, and
    named_problem() assembles the whole PuLP problem."""
    vars: dict[str, dict[tuple, pulp.LpVariable]] = field(default_factory=dict)
    columns: list[pulp.LpVariable] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    row_by_key: dict[tuple, Row] = field(default_factory=dict)
    objectives: dict[str, pulp.LpAffineExpression] = field(default_factory=dict)
    """Named objective parts in LP units ($M): cost, resilience, hhi, mean_hhi, max_share."""
    _labels: dict[tuple, tuple] = field(default_factory=dict, repr=False)
    _clean: dict = field(default_factory=dict, repr=False)
    _active: dict[tuple[int, int], Terms] = field(default_factory=dict, repr=False)

    def add_var(self, family: str, key: tuple, upper: float | None = None, integer: bool = False) -> pulp.LpVariable:
        """A non-negative column keyed by `key` (at most `upper`; integer if asked)."""
        self.add_vars(family, (key,), upper, integer)
        return self.columns[-1]

    def add_vars(self, family: str, keys: Iterable[tuple], upper: float | None = None,
                 integer: bool = False) -> None:
        """add_var for each key, in order. Columns are named `c<position>` (named_problem gives
        readable names); one call for a family's many columns keeps cpo's own work per column
        below PuLP's (the large benchmark makes 200k)."""
        category = pulp.LpInteger if integer else pulp.LpContinuous
        by_key = self.vars.setdefault(family, {})
        columns, new_variable = self.columns, self.prob.add_variable
        for key in keys:
            column = len(columns)
            var = new_variable(f"c{column}", 0, upper, category)
            var.column = column
            by_key[key] = var
            columns.append(var)

    def add_row(self, family: str, key: tuple, terms: Terms | dict, sense: str, rhs: float,
                rhs_scale: float) -> Row:
        """Add `Σ coef·var (sense) rhs` keyed by `key` (unnamed: see row_name and
        named_problem). `terms` is a
        list of (var, coef) (repeats are added), a {var: coef} dict, or an LpAffineExpression
        (used as it is)."""
        expression = terms if isinstance(terms, pulp.LpAffineExpression) else pulp.LpAffineExpression(
            terms if isinstance(terms, dict) else _merge(terms))
        constraint = pulp.LpConstraint(expression, SENSES[sense], rhs=rhs)
        row = Row(family, key, constraint, rhs_scale, len(self.rows))
        self.rows.append(row)
        self.row_by_key[(family, key)] = row
        return row

    def row_name(self, row: Row) -> str:
        """`family[label,...]`, as users see a row (e.g. `demand[training,2026]`)."""
        return f"{row.family}[{','.join(self.label(row.family, row.key))}]"

    def named_problem(self, objective: pulp.LpAffineExpression) -> pulp.LpProblem:
        """The model as a PuLP problem whose columns and rows have readable names,
        `family(part,...)`, for model files and PuLP's solvers. While building, columns are
        named by position (`c<i>`) and rows stay unnamed in `rows`, outside any problem (`prob`
        only creates the columns): naming 270k columns and rows and inserting the rows into a
        problem up front took a third of the large benchmark's build. Rows go in with PuLP's
        batch insert, `extend` (unlike addConstraint it does not register each variable of
        each row; `variables()` does when a solver or writer asks). Names are unique because
        keys are (data.py checks ids stay distinct as solver names)."""
        for family, columns in self.vars.items():
            for key, var in columns.items():
                var.name = self._solver_label(family, key)
        problem = pulp.LpProblem(self.prob.name, pulp.LpMinimize)
        problem.extend({self._solver_label(row.family, row.key): row.constraint for row in self.rows})
        problem.setObjective(objective)
        return problem

    def label(self, family: str, key: tuple) -> list[str]:
        """Readable names for a key: offer, period and failure indices become their names."""
        return [names[part] if names is not None else str(part)
                for names, part in zip(self._namers(family, readable=True), key)]

    def _solver_label(self, family: str, key: tuple) -> str:
        """`family(part,...)` with every part written for LP/MPS readers (see solver_name)."""
        clean = self._clean
        parts = [names[part] if names is not None else clean.get(part) or clean.setdefault(part, solver_name(str(part)))
                 for names, part in zip(self._namers(family, readable=False), key)]
        return f"{family}({','.join(parts)})"

    def _namers(self, family: str, readable: bool) -> tuple:
        """Per key position: the list of names for offer (o), period (t), failure (f) or θ-group
        (g) indices, or None where the key part is a name already."""
        cache_key = (family, readable)
        if cache_key not in self._labels:
            data = self.data
            names = {"o": [o.key for o in data.offers], "t": [p.name for p in data.periods],
                     "f": [f.name for f in data.failures], "g": [g.name for g in data.theta_groups]}
            kinds = KEY_KINDS.get(family, "").ljust(8, "-")
            self._labels[cache_key] = tuple(
                (names[k] if readable else [solver_name(n) for n in names[k]]) if k in names else None
                for k in kinds)
        return self._labels[cache_key]
    def var(self, family: str, key: tuple) -> pulp.LpVariable | None:
        return self.vars.get(family, {}).get(key)

    def family(self, family: str) -> dict[tuple, pulp.LpVariable]:
        return self.vars.get(family, {})

    def active_terms(self, o: int, t: int) -> Terms:
        """A[o,t] − E[o,t] as terms: Σ x[o,τ] over signings τ active at t (A stays an expression:
        a column a[o,t] with a defining row halves the nonzeros but made HiGHS about 2x slower on
        the large benchmark, whose recourse rows would all go through it)."""
        if (o, t) not in self._active:
            x = self.family("x")
            self._active[(o, t)] = [(x[(o, tau)], 1.0) for tau in self.data.offers[o].signings_active_at(t)]
        return self._active[(o, t)]


def _merge(terms: Terms) -> dict:
    """Terms as {var: coef}, adding repeated variables and dropping zeros."""
    merged = dict(terms)
    if len(merged) != len(terms):
        merged = {}
        for var, coef in terms:
            merged[var] = merged.get(var, 0.0) + coef
    if 0.0 in merged.values():
        merged = {var: coef for var, coef in merged.items() if coef}
    return merged
