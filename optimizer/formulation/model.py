"""The built model: PuLP columns and rows, the keys of every column and row, and its scale.

Inside the LP, amounts are in scenario-sized units (`Scale`): accelerator units and H100e in
`scale.units`, MW in `scale.mw`, money in `scale.money`, each a power of ten chosen from the
scenario's demand, so that right-hand sides and plans are O(1)-O(1e8) whatever the scenario's
size and HiGHS's absolute tolerances (1e-7) stay far below every reported figure. Prices per
unit (θ, $/unit, MW/unit) are not scaled, so the matrix is the same for a scenario and a copy
of it scaled by any power of ten. Results are converted back in one place (`results.py`)
using each row's `rhs_scale`. Results are read through the tuple keys kept here, never by
parsing PuLP names (PuLP rewrites characters such as '-', '/', '[', ']').
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Iterable

import pulp

from ..data import ModelData, solver_name
from ..families import FAMILIES

SENSES = {"<=": pulp.LpConstraintLE, ">=": pulp.LpConstraintGE, "==": pulp.LpConstraintEQ}

Terms = list[tuple[pulp.LpVariable, float]]

COLUMN_KEYS = {"x": "ot", "y": "owt", "u": "wt", "z": "fgwt", "s": "fwt", "sigma": "vt", "q": "vt", "m": "t",
               "short": "-", "credit": "-t", "vest": "--", "lots": "ot", "cluster": "owt", "ported": "--",
               "cvar_eta": "", "cvar_excess": "-", "tier_spend": "--", "tier": "--", "counted": "--t", "sold": "ott",
               "reserve": "-", "take": "-"}
"""Key kinds of each column family: o offer instance, w workload, t period, f failure, g θ-group,
v vendor, - a name (rows: families.FAMILIES)."""

SMALLEST_EXPONENT, LARGEST_EXPONENT = -12, 15
"""Bounds on the scale's power of ten (1e-12 to 1e15 units per LP unit): a demand far below
1e-12 H100e is zero to any solver, and is reported unmet (plan.unmet) if nothing serves it."""


@dataclass(frozen=True)
class Scale:
    """Real units per LP unit: `units` accelerators or H100e, `mw` MW, `money` $. The three move
    together (mw = units / 1000, money = units x 1000: a typical unit costs ~$1000s and draws
    ~1 kW), so only right-hand sides and solutions change with the scenario's size."""

    units: float = 1e3
    mw: float = 1.0
    money: float = 1e6

    @classmethod
    def of(cls, data: ModelData) -> "Scale":
        """The power of ten that puts the smallest positive demand of any workload and period
        between 1 and 10 LP units (so a 0.0008 H100e tier is 8 LP units, never below HiGHS's
        tolerance); data.py refuses demands more than MAX_DEMAND_RATIO apart, so the largest
        is below 1e9 LP units."""
        demands = [d for workload in data.workloads.values() for d in workload.demand if d > 0]
        if not demands:
            return cls()
        exponent = min(max(math.floor(math.log10(min(demands))), SMALLEST_EXPONENT), LARGEST_EXPONENT)
        units = 10.0 ** exponent
        return cls(units, units / 1e3, units * 1e3)

    def describe(self) -> str:
        """What one LP unit is, for model files and messages."""
        def amount(value: float) -> str:
            return f"{value:,.0f}" if value >= 1 and value.is_integer() else f"{value:g}"

        return f"1 LP unit = {amount(self.units)} units or H100e, {amount(self.mw)} MW, ${amount(self.money)}"

    def of_kind(self, kind: str) -> float:
        """Real units per LP unit of a quantity kind: units, mw, money or one (shares)."""
        return {"units": self.units, "mw": self.mw, "money": self.money, "one": 1.0}[kind]


@dataclass(eq=False)
class Row:
    family: str
    key: tuple
    constraint: pulp.LpConstraint
    rhs_scale: float
    """Real units of the right-hand side per LP unit (H100e and unit rows: scale.units; MW rows:
    scale.mw; $ rows: scale.money; share rows: 1)."""
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
    """Named objective parts in LP money: cost, resilience, hhi, mean_hhi, max_share."""
    scale: Scale = field(default_factory=Scale)
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

    def grandfather(self, terms: Terms, rhs: float) -> float:
        """A cap's right-hand side, never below what the fixed columns (commitments) in `terms`
        use: signings the lab already holds were made under the caps of their day, so a what-if
        that lowers a cap binds new signings only."""
        held = [coef * var.lowBound for var, coef in terms
                if var.lowBound is not None and var.lowBound == var.upBound and var.lowBound]
        return max(rhs, sum(held)) if held else rhs

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
        """Per key position: the list of names for offer (o), period (t), calendar year (y), failure
        (f) or θ-group (g) indices, or None where the key part is a name already."""
        cache_key = (family, readable)
        if cache_key not in self._labels:
            data = self.data
            names = {"o": [o.key for o in data.offers], "t": [p.name for p in data.periods],
                     "y": [y.name for y in data.years],
                     "f": [f.name for f in data.failures], "g": [g.name for g in data.theta_groups]}
            kinds = (COLUMN_KEYS[family] if family in COLUMN_KEYS else FAMILIES[family].keys).ljust(8, "-")
            self._labels[cache_key] = tuple(
                (names[k] if readable else [solver_name(n) for n in names[k]]) if k in names else None
                for k in kinds)
        return self._labels[cache_key]

    def var(self, family: str, key: tuple) -> pulp.LpVariable | None:
        return self.vars.get(family, {}).get(key)

    def family(self, family: str) -> dict[tuple, pulp.LpVariable]:
        return self.vars.get(family, {})

    def active_terms(self, o: int, t: int) -> Terms:
        """A[o,t] − E[o,t] as terms: Σ a[o,τ,t] K[o,τ,t] over signings τ active for a share a of t
        (data.OfferInstance.activity; K: kept_terms; A stays an expression:
        a column a[o,t] with a defining row halves the nonzeros but made HiGHS about 2x slower on
        the large benchmark, whose recourse rows would all go through it)."""
        if (o, t) not in self._active:
            self._active[(o, t)] = [(var, share * coef) for tau, share in self.data.offers[o].signings_active_at(t)
                                    for var, coef in self.kept_terms(o, tau, t)]
        return self._active[(o, t)]

    def kept_terms(self, o: int, tau: int, t: int) -> Terms:
        """K[o,τ,t] = x[o,τ] − Σ_{t'≤t} sold[o,τ,t']: units of the signing still the lab's in t."""
        sold = self.family("sold")
        periods = self.data.sales[(o, tau)][0] if (o, tau) in self.data.sales else ()
        return [(self.family("x")[(o, tau)], 1.0)] + [(sold[(o, tau, u)], -1.0) for u in periods if u <= t]


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
