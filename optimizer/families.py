"""The registry of row families: one table says, for every family of rows the model can hold,
how its rows are keyed, what its price means and in which unit, which config field the
diagnosis may move, and how verify() re-checks it from the plan.

Builders live in formulation/ (one function per family, its formula in the docstring);
verify checks in checks.py; prices and relaxations in interpret.py. `tests/test_families_registry.py`
fails when a family the model builds is missing here, when an entry lacks any of these, or when
docs/model.md has no line for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import checks, interpret


@dataclass(frozen=True)
class Family:
    name: str
    keys: str
    """Kind of each key part: o offer instance, w workload, t period, y calendar year, f failure,
    g θ-group, v vendor, - a name or number."""
    check: Callable | None
    """verify()'s re-check of the family's rows from the plan and the data (checks.py); None only
    for rows internal to a solve (lexicographic and frontier guards), which are not the scenario's."""
    unit: str
    """Unit of the reported price, or why the family's duals are not reported."""
    price: Callable | None = None
    """interpret.py: (reading, row, dual) -> (value, unit, meaning); None: not reported."""
    relax: Callable | None = None
    """interpret.py: (model, row, slack, plan) -> Relaxation; None: the diagnosis never moves it."""
    field: str = ""
    """The config field a relaxation moves (for docs and the diagnosis), or why none."""
    internal: bool = False


NOT_PRICED_DEFINITION = "not reported: it defines a column (its dual is part of another row's price)"
NOT_PRICED_MILP = "not reported: integer structure (prices come from the LP with the integers fixed)"
NOT_RELAXABLE = "none: a definition, not a limit"

FAMILIES: dict[str, Family] = {f.name: f for f in (
    Family("capacity", "ot", checks.capacity, "not reported: its value is the offer's reduced cost",
           field="none: installed capacity is data (existing)"),
    Family("demand", "wt", checks.demand, "$/H100e-year", interpret.demand_price,
           field="none: unmet demand is priced at VOLL, so demand never makes a scenario infeasible"),
    Family("supply", "-y", checks.supply, "$ per unit/yr (or MW/yr)", interpret.supply_price,
           interpret.cap_relaxation, "supply[i].cap, catalog.<vendor>.supply_cap, catalog.<vendor>.offers.<offer>.supply_cap"),
    Family("resource", "-y", checks.resource, "$ per <resource unit>/yr", interpret.resource_price,
           interpret.cap_relaxation, "resources[i].cap"),
    Family("power", "-t", checks.power, "$/MW-year", interpret.power_price, interpret.cap_relaxation,
           "sites.<site>.power_mw"),
    Family("budget", "y", checks.budget, "$ per $/yr", interpret.budget_price, interpret.budget_relaxation,
           "policy.budget_usd_per_year"),
    Family("share", "----t", checks.share, "$/share-point", interpret.share_price, interpret.share_relaxation,
           "policy.shares[i].max, policy.shares[i].min"),
    Family("recourse", "fgt", checks.recourse, "not reported: the value of surviving capacity is in cover's price",
           field="none: a failure's delivered share is data"),
    Family("cover", "fwt", checks.cover, "$/H100e-year", interpret.cover_price, interpret.cover_relaxation,
           "policy.resilience.critical_fraction"),
    Family("take_or_pay", "-", checks.take_or_pay, "$/$", interpret.take_or_pay_price,
           field="none: a shortfall is paid, never infeasible"),
    Family("financing", "-t", checks.financing, "not reported: the credit's value is the rate itself",
           field=NOT_RELAXABLE),
    Family("financing_cap", "-", checks.financing_cap, "$/$", interpret.financing_cap_price, field=NOT_RELAXABLE),
    Family("tranche", "--", checks.tranche, "$/MW, $/unit, $/share-point or $/$", interpret.tranche_price,
           field=NOT_RELAXABLE),
    Family("delivery", "-t", checks.delivery, "$/MW-year", interpret.power_price, interpret.cap_relaxation,
           "deals[i].max_mw"),
    Family("ladder_up", "-tt", checks.ladder_up, "$ per unit/yr (or MW/yr)", interpret.ladder_price,
           interpret.ladder_relaxation, "policy.ladders[i].max_increase"),
    Family("ladder_down", "-tt", checks.ladder_down, "$ per unit/yr (or MW/yr)", interpret.ladder_price,
           interpret.ladder_relaxation, "policy.ladders[i].max_decrease"),
    Family("stagger", "--", checks.stagger, "$/share-point", interpret.stagger_price, interpret.stagger_relaxation,
           "policy.staggers[i].max_share"),
    Family("resale_held", "ot", checks.resale_held,
           "not reported: a sale's value is in the plan's cost (resale table), its dual in the offer's reduced cost",
           field=NOT_RELAXABLE),
    Family("resale_cap", "-y", checks.resale_cap, "$ per unit/yr", interpret.resale_cap_price,
           field="none: selling is optional, so a resale cap never makes a scenario infeasible"),
    Family("lots", "ot", checks.lots, NOT_PRICED_MILP, field=NOT_RELAXABLE),
    Family("cluster_size", "owt", checks.cluster_size, NOT_PRICED_MILP, relax=interpret.cluster_relaxation,
           field="milp.min_cluster_units.<workload> (the diagnosis works on the LP relaxation and says so)"),
    Family("cluster_pick", "wt", checks.cluster_pick, NOT_PRICED_MILP, field=NOT_RELAXABLE),
    Family("porting", "--t", checks.porting, NOT_PRICED_MILP, field=NOT_RELAXABLE),
    Family("tier_split", "-", checks.tier_split, NOT_PRICED_DEFINITION, field=NOT_RELAXABLE),
    Family("tier_ceiling", "--", checks.tier_ceiling, "$/$", interpret.tier_price, field=NOT_RELAXABLE),
    Family("tier_reach", "--", checks.tier_reach, "$/$", interpret.tier_price, field=NOT_RELAXABLE),
    Family("tier_pick", "-", checks.tier_pick, NOT_PRICED_MILP, field=NOT_RELAXABLE),
    Family("count_use", "--t", checks.count_use, NOT_PRICED_MILP, field=NOT_RELAXABLE),
    Family("count_floor", "--t", checks.count_floor, NOT_PRICED_MILP, field=NOT_RELAXABLE),
    Family("count_max", "-t", checks.count_max, NOT_PRICED_MILP + "; the rule's cost is a re-solve with N + 1 "
           "(tests/test_vendor_counts.py)", field="none: policy.vendor_counts[i].max (re-solve to see its cost)"),
    Family("count_min", "-t", checks.count_min, NOT_PRICED_MILP + "; the rule's cost is a re-solve with N − 1 "
           "(tests/test_vendor_counts.py)", field="none: policy.vendor_counts[i].min (data.py refuses one no "
           "plan can meet for want of members)"),
    Family("option", "-", checks.option, "not reported: its dual is the fee plus option_size's price (the options "
           "table's marginal_value_usd_per_unit)", field=NOT_RELAXABLE),
    Family("option_size", "-", checks.option_size, "$ per unit (or MW) of right", interpret.option_size_price,
           field="none: an option is never needed for a plan to exist (its rows only allow signings)"),
    Family("package", "--", checks.package, "not reported: the package's value is its re-solve (packages table)",
           field=NOT_RELAXABLE),
    Family("vendor_share", "vt", checks.vendor_share, NOT_PRICED_DEFINITION, field=NOT_RELAXABLE),
    Family("hhi_cut", "vt-", checks.hhi_cut, NOT_PRICED_DEFINITION, field=NOT_RELAXABLE),
    Family("max_share", "vt", checks.max_share, NOT_PRICED_DEFINITION, field=NOT_RELAXABLE),
    Family("unmet_guard", "wt", None, "not reported: a guard between lexicographic stages",
           field=NOT_RELAXABLE, internal=True),
    Family("concentration_guard", "", None, "not reported: a guard between lexicographic stages",
           field=NOT_RELAXABLE, internal=True),
    Family("frontier_cap", "", None, "reported as the frontier's marginal $ per point (strategy.py)",
           field=NOT_RELAXABLE, internal=True),
    Family("near_optimal", "", None, "not reported: the slack of near-optimal alternatives (near_optimal.py)",
           field=NOT_RELAXABLE, internal=True),
    Family("served_fixed", "wt", None, "not reported: alternatives serve what the optimum serves (near_optimal.py)",
           field=NOT_RELAXABLE, internal=True),
    Family("stage", "---", None, "not reported: one here-and-now signing for every scenario (stochastic.py)",
           field=NOT_RELAXABLE, internal=True),
    Family("stage_sale", "----", None, "not reported: one here-and-now sale for every scenario (stochastic.py)",
           field=NOT_RELAXABLE, internal=True),
    Family("cvar", "-", None, "not reported: a scenario's cost above the value at risk (stochastic.py)",
           field=NOT_RELAXABLE, internal=True),
)}

RELAXABLE = tuple(name for name, family in FAMILIES.items() if family.relax is not None)
"""Families the diagnosis may relax, in the order it tries them alone."""
