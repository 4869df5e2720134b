"""Which of the catalog's uncertain figures move the answer: a tornado (`cpo sensitivity`).

Every figure of the scenario's catalog that carries a low-high range (vendors/README.md) and
that the solve reads (its vendor is in play, its offer or product is one an offer in play uses,
a spec is some throughput's basis) is moved to its low and then to its high end, everything
else at base, and the scenario re-solved: an override of the figure's value (its efficiency,
for a throughput given by basis), applied after the scenario's what-ifs and `--set`s as a
`--set` is. Each figure's row holds the procurement cost (total_cost_usd) at low and at high,
the swing (the largest minus the smallest of the costs at low, base and high; infinite if an
end has no plan), and the largest move of any vendor's share of served compute over the
horizon (H100e-years, as compare.py computes it; signed, in share points as a fraction). Rows
are ranked by swing (`rank="cost"`) or by the size of the share move (`rank="mix"`). The
solves run in parallel processes (comparison.solve_outcome).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from .catalog import figures
from .loading import PathKey, format_path
from .schema import Throughput

RANKS = ("cost", "mix")


@dataclass(frozen=True)
class RangedFigure:
    """One figure a sensitivity run moves."""

    label: str
    """vendor/item and field, e.g. `nvidia/rubin-own upfront`, `nvidia/rubin throughput.inference`."""
    path: str
    """The config path set to low or high, e.g. catalog.nvidia.offers.rubin-own.upfront.value."""
    low: Any
    base: Any
    high: Any


def ranged_figures(scenario) -> list[RangedFigure]:
    """The catalog figures with a range (low != high) that the scenario's solve reads."""
    read = _reader(scenario)
    found = []
    for vendor_id in scenario.data.vendors:
        for path, figure in figures(scenario.config.catalog[vendor_id]):
            low, high = getattr(figure, "low", None), getattr(figure, "high", None)
            if low is None or low == high or not read(vendor_id, path):
                continue
            field = figure.ranged_field()
            suffix = ".efficiency" if isinstance(figure, Throughput) and figure.basis else ""
            head = (f"{vendor_id}/{path[1]} {format_path(path[2:])}" if len(path) > 2
                    else f"{vendor_id} {format_path(path)}")
            found.append(RangedFigure(head + suffix, format_path(("catalog", vendor_id) + path + (field,)),
                                      low, getattr(figure, field), high))
    return found


def _reader(scenario) -> Callable[[str, PathKey], bool]:
    """reads(vendor, path inside the vendor): whether the solve reads that figure."""
    catalog = scenario.config.catalog
    offers = {o.catalog_key for o in scenario.data.offers}
    products = {(v, catalog[v].offers[o].product) for v, o in (key.split("/", 1) for key in offers)}
    profiles = {workload.profile or name for name, workload in scenario.config.workloads.items()}
    bases = {(v, p, t.basis) for v, p in products for profile, t in catalog[v].products[p].throughput.items()
             if profile in profiles and t.basis}
    reference = next(((v, p) for v in catalog for p, product in catalog[v].products.items() if product.reference), None)

    def reads(vendor_id: str, path: PathKey) -> bool:
        if path[0] == "offers":
            return f"{vendor_id}/{path[1]}" in offers
        if path[0] != "products":
            return True
        product = (vendor_id, path[1])
        if path[2] == "throughput":
            return product in products and path[3] in profiles
        if path[2] == "specs":
            return (*product, path[3]) in bases or (product == reference and any(b == path[3] for *_, b in bases))
        return product in products

    return reads


def sensitivity_document(scenario, objective: str | None = None, solver: str = "highs", jobs: int | None = None,
                         rank: str = "cost", on_result: Callable[[], None] | None = None) -> dict[str, Any]:
    """The tornado: base cost and shares, and one row per ranged figure, ranked by `rank`
    (one of RANKS). `on_result()` is called after each solve."""
    ranged = ranged_figures(scenario)
    tasks = [()] + [((f.path, value),) for f in ranged for value in (f.low, f.high)]
    outcomes = _solve_all(scenario, tasks, objective, solver, jobs, on_result)
    base = outcomes[0]
    if base.total_cost_usd is None:
        import optimizer

        optimizer.solve(scenario, objective=objective, solver=solver)  # raises the base's own error
    rows = [_row(f, base, outcomes[1 + 2 * i], outcomes[2 + 2 * i]) for i, f in enumerate(ranged)]
    key = "swing_usd" if rank == "cost" else "share_move"
    rows.sort(key=lambda r: (-abs(r[key]), r["figure"]))
    return {"scenario": scenario.name, "objective": objective or scenario.config.objective, "rank": rank,
            "base_cost_usd": base.total_cost_usd, "base_shares": shares(base), "rows": rows}


def _solve_all(scenario, tasks: list[tuple], objective, solver, jobs, on_result) -> list:
    """comparison.Outcome for each task (extra overrides on the scenario), in order; in parallel
    processes where there are several tasks and cores."""
    from .comparison import solve_outcomes

    return solve_outcomes([(str(scenario.path), scenario.whatifs, (*scenario.override_items, *extra), "sensitivity",
                            "", objective, solver) for extra in tasks], jobs, on_result)


def shares(outcome) -> dict[str, float]:
    """Each vendor's share of compute served over the horizon (H100e-years)."""
    served = sum(outcome.vendor_compute.values())
    return {v: c / served for v, c in outcome.vendor_compute.items()} if served else {}


def _row(figure: RangedFigure, base, low, high) -> dict[str, Any]:
    """One tornado row: the figure, its range, the costs at each end, the swing and the largest
    vendor-share move."""
    costs = [o.total_cost_usd for o in (low, base, high)]
    swing = max(costs) - min(costs) if None not in costs else math.inf
    before = shares(base)
    moves = [(shares(o).get(v, 0.0) - before.get(v, 0.0), v, end) for end, o in (("low", low), ("high", high))
             if o.total_cost_usd is not None for v in sorted({*before, *o.vendor_compute})]
    move, vendor, end = max(moves, key=lambda m: abs(m[0]), default=(0.0, "", ""))
    return {"figure": figure.label, "path": figure.path, "low": figure.low, "base": figure.base, "high": figure.high,
            "cost_low_usd": low.total_cost_usd, "cost_high_usd": high.total_cost_usd, "swing_usd": swing,
            "share_move": move, "share_move_vendor": vendor, "share_move_end": end,
            "status_low": low.status, "status_high": high.status}


# ---------------------------------------------------------------- showing it


def _value_text(value: Any) -> str:
    """A figure (a number or a {period: number} series) in a table cell or a label: whole
    numbers with thousands separators from 1,000, else 4 significant digits."""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items())
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _cost_text(value: float | None, status: str) -> str:
    from .report import money

    return money(value) if value is not None else status


def print_tornado(document: dict, console, top: int) -> None:
    """The ranked table of the `top` figures."""
    from .report import FitTable, add_row, money

    rows = document["rows"][:top]
    by = "procurement cost swing" if document["rank"] == "cost" else "largest vendor-share move"
    table = FitTable(title=f"{document['scenario']}: the {len(rows)} of {len(document['rows'])} ranged figures that move "
                        f"the plan most, by {by} (base {money(document['base_cost_usd'])}, {document['objective']})",
                  title_justify="left")
    for column in ("#", "figure", "low", "base", "high", "cost at low", "cost at high", "swing",
                   "largest vendor-share move"):
        table.add_column(column, justify="left" if column in ("figure", "largest vendor-share move") else "right",
                         overflow="fold")
    for index, row in enumerate(rows, 1):
        move = (f"{row['share_move_vendor']} {100 * row['share_move']:+.1f} pts at {row['share_move_end']}"
                if row["share_move_vendor"] else "")
        add_row(table, index, row["figure"], _value_text(row["low"]), _value_text(row["base"]), _value_text(row["high"]),
                _cost_text(row["cost_low_usd"], row["status_low"]), _cost_text(row["cost_high_usd"], row["status_high"]),
                money(row["swing_usd"]), move)
    console.print(table)
    console.print("Swing: the largest minus the smallest procurement cost at low, base and high. Vendor shares "
                  "are of compute served over the horizon. All rows: --json or --out DIR (sensitivity.csv).")


def plot_tornado(document: dict, target: Path, manifest: dict[str, Any], top: int) -> None:
    """Horizontal bars of the `top` figures: the change in procurement cost with the figure at low
    and at high (a PNG recording `manifest`, written as the other plots are)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .report import _save_figure

    rows = [r for r in document["rows"] if math.isfinite(r["swing_usd"])][:top][::-1]
    base = document["base_cost_usd"]
    scale, unit = (1e9, "billion") if max((r["swing_usd"] for r in rows), default=0) >= 1e9 else (1e6, "million")
    figure, axis = plt.subplots(figsize=(10, 0.55 * len(rows) + 1.6))
    for end, shift, colour in (("low", -0.2, "tab:blue"), ("high", 0.2, "tab:orange")):
        axis.barh([i + shift for i in range(len(rows))], [(r[f"cost_{end}_usd"] - base) / scale for r in rows],
                  height=0.4, color=colour, label=f"figure at its {end} end")
    axis.set_yticks(range(len(rows)), [f"{r['figure']}\n{_value_text(r['low'])} .. {_value_text(r['high'])}"
                                       for r in rows], fontsize=7)
    axis.axvline(0, color="black", linewidth=0.8)
    axis.set_xlabel(f"change in procurement cost against the base (USD {base / scale:,.1f} {unit}), USD {unit}")
    axis.set_title(f"{document['scenario']}: the catalog figures that move the cost most", fontsize=10)
    axis.legend(fontsize=8, loc="best")
    axis.grid(axis="x", alpha=0.3)
    figure.tight_layout()
    _save_figure(figure, Path(target), manifest)
