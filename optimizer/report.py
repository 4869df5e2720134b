"""Terminal tables (rich) and files (CSV, JSON, manifest, PNG) for a Result.

Files are written through `outputs.py`: atomically, only over what cpo wrote, with the
user's umask, each recording how it was made.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from .results import OUTSIDE_PROCUREMENT, TABLES, Result, _COLUMNS


def money(value: float) -> str:
    """$1.23T / $1.23B / $45.60M / $789.00k / $12.50 / $240 / $0.0016 / $0.000001: the unit
    picked after rounding ($999,999.99 is $1.00M, not $1,000.00k), cents where an amount under
    $1,000 has them, three significant digits under $1, never an exponent, never -$0."""
    if not math.isfinite(value):
        return "n/a"
    magnitude = abs(value)
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if round(magnitude / scale, 2) >= 1:
            return f"{'-' if value < 0 else ''}${magnitude / scale:,.2f}{suffix}"
    if round(magnitude, 2) >= 1:
        text = f"{magnitude:,.2f}".removesuffix(".00")
    else:
        text = _plain(magnitude)
    return ("-" if value < 0 and float(text.replace(",", "")) else "") + "$" + text


def _plain(value: float) -> str:
    """Three significant digits, positional (0.000001, not 1e-06)."""
    import numpy as np

    return np.format_float_positional(float(f"{value:.3g}"), trim="-")


def money_column(values: list[float | None]) -> list[str]:
    """Amounts that differ in their 4th-6th digits, in one unit, billions at most ($1,059.67B,
    $802.61B, $3.53B, $0.45B), so the differences show; None is ''."""
    magnitude = max((abs(v) for v in values if v is not None and math.isfinite(v)), default=0.0)
    unit, suffix = next(((s, x) for s, x in ((1e9, "B"), (1e6, "M"), (1e3, "k")) if magnitude >= s), (1.0, ""))
    return ["" if v is None else ("-" if v < 0 and round(abs(v) / unit, 2) else "") + f"${abs(v) / unit:,.2f}{suffix}"
            for v in values]


def count(value: float) -> str:
    """1.23M / 45.6k / 789 / 0.0008: three significant digits, the unit picked after rounding
    (999,999 is 1M, not 1e+03k), never an exponent (1,000T; 0.000001)."""
    value += 0.0  # no -0
    if abs(float(f"{value / 1e12:.3g}")) >= 1000:  # beyond the largest unit: whole trillions
        return f"{value / 1e12:,.0f}T"
    for scale, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(float(f"{value / scale:.3g}")) >= 1:
            return f"{_plain(value / scale)}{suffix}"
    if not value % 1:
        return f"{value:,.0f}"
    return ("-" if value < 0 else "") + _plain(abs(value))


NAME_FLOOR = 10
"""The narrowest a name column is cut to (with an ellipsis) before a table grows past the terminal."""
PROSE_FLOOR = 24
"""The narrowest a prose column (overflow fold) is wrapped to: its words whole."""


class FitTable(Table):
    """A rich Table that never splits a number: right-justified columns (numbers) keep their
    width, text columns give way, names (overflow ellipsis) cut to an ellipsis and prose
    (overflow fold) wrapped, none below NAME_FLOOR or PROSE_FLOOR (or its own width); if that is
    too wide, the cells lose their padding; a table that cannot fit even so is drawn wider than
    the terminal (its lines run on, whole), never with a number across two lines. Headers wrap at spaces. `keep`: the indices of text columns kept
    whole like numbers (identifiers whose end is the point, e.g. a constraint's period)."""

    def __init__(self, *args, keep: tuple[int, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.keep = keep

    def __rich_console__(self, console, options):
        if TABLE_STYLE[0] in ("markdown", "csv"):
            yield Text(self._as_text(TABLE_STYLE[0]), no_wrap=True, overflow="ignore")  # lines whole, for pasting
            return
        widths = [_natural_width(column) for column in self.columns]
        numeric = [column.justify == "right" or i in self.keep for i, column in enumerate(self.columns)]
        needed = self._lay_out(widths, numeric, options.max_width)
        if needed > options.max_width and self.padding != (0, 0, 0, 0):  # tighter: cells meet the rules
            self.padding = (0, 0)
            needed = self._lay_out(widths, numeric, options.max_width)
        if needed > options.max_width:
            options = options.update(width=needed, max_width=needed)
        yield from super().__rich_console__(console, options)

    def _as_text(self, style: str) -> str:
        """The table as GitHub Markdown or CSV, whole cells, for pasting."""
        header = [c.header.plain if isinstance(c.header, Text) else str(c.header) for c in self.columns]
        cells = [[c.plain if isinstance(c, Text) else str(c) for c in column._cells] for column in self.columns]
        rows = [list(row) for row in zip(*cells)]
        if style == "csv":
            stream = io.StringIO()
            csv.writer(stream, lineterminator="\n").writerows([header, *rows])
            return stream.getvalue().rstrip("\n")
        line = lambda values: "| " + " | ".join(  # noqa: E731
            v.replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>") for v in values) + " |"
        rule = "|" + "|".join("---:" if c.justify == "right" else "---" for c in self.columns) + "|"
        return "\n".join([line(header), rule, *map(line, rows)])

    def _lay_out(self, widths: list[int], numeric: list[bool], max_width: int) -> int:
        """Set each column's width (numbers and kept columns: their own; text: _fit into what is
        left) and return the table's width."""
        frame = (len(self.columns) + 1 if self.box and self.show_edge else len(self.columns) - 1) + sum(
            self._get_padding_width(i) for i in range(len(self.columns)))
        room = max_width - frame - sum(w for w, n in zip(widths, numeric) if n)
        text = [(w, min(w, NAME_FLOOR if c.overflow == "ellipsis" else PROSE_FLOOR))
                for w, n, c in zip(widths, numeric, self.columns) if not n]
        fitted = iter(_fit([w for w, _ in text], [f for _, f in text], room))
        for column, width, number in zip(self.columns, widths, numeric):
            column.width = width if number else next(fitted)
            column.no_wrap = not number and column.overflow == "ellipsis"
        return frame + sum(c.width for c in self.columns)


def _natural_width(column) -> int:
    """The widest cell of `column` (a number column: also its header's longest word)."""
    cells = [Text(c) if isinstance(c, str) else c for c in column._cells]
    widest = max((max(map(len, c.plain.split("\n"))) for c in cells if isinstance(c, Text)), default=1)
    header = column.header.plain if isinstance(column.header, Text) else str(column.header)
    words = max(map(len, header.split() or [""]))
    return max(widest, words if column.justify == "right" else min(len(header), NAME_FLOOR), 1)


def _fit(widths: list[int], floors: list[int], room: int) -> list[int]:
    """Widths for text columns sharing `room`: the widest cut first (water-filling) to a common
    cap, none below its floor."""
    if sum(widths) <= room or not widths:
        return widths
    cap = max(widths)
    while cap > min(floors) and sum(max(min(w, cap), f) for w, f in zip(widths, floors)) > room:
        cap -= 1
    return [max(min(w, cap), f) for w, f in zip(widths, floors)]


def _table(console: Console, title: str, *columns: str, left: int = 1, keep: tuple[int, ...] = ()) -> Table:
    """A table whose first `left` columns are text (names: cut with an ellipsis; `keep`: kept
    whole) and the rest numbers (never split: FitTable); data is never markup."""
    console.print(f"\n[bold]{escape(title)}[/bold]")
    table = FitTable(keep=keep)
    for i, column in enumerate(columns):
        table.add_column(escape(column), justify="left" if i < left else "right",
                         overflow="ellipsis" if i < left else "fold")
    return table


def _print_instruments(result: Result, console: Console) -> None:
    """Options (one line each: the right reserved, exercised, fee and what it is worth) and
    packages (taken, price, value) when the scenario has any."""
    by_option: dict[str, list[dict]] = {}
    for row in result.tables["options"]:
        by_option.setdefault(row["option"], []).append(row)
    if by_option:
        table = _table(console, "Options (value by re-solve: the most worth paying for the whole right)", "option",
                       "size MW", "reserved MW", "exercised MW", "fee", "value", "max $/MW-yr", left=1)
        for name, rows in by_option.items():
            first = rows[0]
            add_row(table, name, count(first["size_mw"]), count(first["reserved_mw"]),
                    count(sum(r["exercised_mw"] for r in rows)), money(first["fee_usd"]), money(first["value_usd"]),
                    money(first["max_fee_usd_per_mw_year"]))
        console.print(table)
    if result.tables["packages"]:
        table = _table(console, "Packages (value by re-solve: the most the bundle could cost and still be taken)",
                       "package", "counterparty", "taken", "price", "value", "surplus", left=2)
        for row in result.tables["packages"]:
            add_row(table, row["package"], row["counterparty"], f"{row['taken']:.3g}", money(row["price_usd"]),
                    money(row["value_usd"]), money(row["surplus_usd"]))
        console.print(table)


def add_row(table: Table, *values: Any, style: str = "") -> None:
    """Add a row of plain text in `style`: data is never read as markup (and plain Text
    renders a third faster than markup strings, which counts on every `cpo solve`)."""
    table.add_row(*(v if isinstance(v, Text) else Text(str(v), style=style) for v in values))


def print_result(result: Result, console: Console, show_prices: bool = False) -> None:
    data = result.data
    periods = [p.name for p in data.periods]
    status = "green" if result.status == "optimal" else "yellow"
    console.print(f"[bold]{escape(data.name)}[/bold]  objective [cyan]{result.objective}[/cyan]  "
                  f"status [{status}]{result.status}[/{status}]  solver {result.solver}"
                  + (f"  MIP gap {gap_text(result.mip_gap)}" if result.mip_gap is not None else ""))

    costs = _table(console, "Cost (present value, discounted to the first period)", "component", "$")
    gross = sum(abs(v) for v in result.cost_breakdown_usd.values())
    for name, value in result.cost_breakdown_usd.items():
        if name not in OUTSIDE_PROCUREMENT and abs(value) > 1e-9 * gross:
            add_row(costs, name, money(value))
    add_row(costs, "procurement cost", money(result.total_cost_usd), style="bold")
    if result.cost_breakdown_usd.get("vendor_equity"):
        add_row(costs, "vendor equity (financing, not a discount)", money(result.cost_breakdown_usd["vendor_equity"]))
    if data.failures:
        add_row(costs, "expected disruption (N-1)", money(result.expected_disruption_usd))
        add_row(costs, "risk-adjusted cost", money(result.risk_adjusted_cost_usd))
    if result.concentration_penalty_usd:
        add_row(costs, "HHI penalty (objective only)", money(result.concentration_penalty_usd))
    console.print(costs)

    mix = _table(console, "Share of demand served, by vendor (compute)", "vendor", *periods)
    demand = {p: sum(r["demand_h100e"] for r in result.tables["unmet"] if r["period"] == p) for p in periods}
    for vendor in data.vendors:
        served = {p: 0.0 for p in periods}
        for row in result.tables["plan"]:
            if row["vendor"] == vendor:
                served[row["period"]] += row["served_h100e"]
        if any(served.values()):
            add_row(mix, vendor, *[f"{served[p] / demand[p]:.0%}" if demand[p] else "-" for p in periods])
    unmet = {p: sum(r["h100e"] for r in result.tables["unmet"] if r["period"] == p) for p in periods}
    add_row(mix, Text("unmet", style="red"), *[f"{unmet[p] / demand[p]:.0%}" if demand[p] else "-" for p in periods])
    add_row(mix, Text("demand (H100e)", style="dim"), *[count(demand[p]) for p in periods])
    console.print(mix)

    buys = _table(console, "Units signed, by offer and period", "offer", *periods)
    signed: dict[str, dict[str, float]] = {}
    for row in result.tables["plan"]:
        if row["acquired_units"] > 0:
            signed.setdefault(row["offer"], {})[row["period"]] = row["acquired_units"]
    for offer, by_period in sorted(signed.items()):
        add_row(buys, offer, *[count(by_period[p]) if p in by_period else "" for p in periods])
    if signed:
        console.print(buys)

    if result.tables["deals"]:
        deals = _table(console, "Deals (undiscounted $ over each deal's window)", "deal", "counterparty", "window",
                       "minimum", "paid to vendor", "shortfall", "credit", "tranches", left=3)
        for row in result.tables["deals"]:
            tranches = f"{row['tranches_vested']:.3g} of {row['tranches']}" if row["tranches"] else ""
            add_row(deals, row["deal"], row["counterparty"], row["window"],
                 money(row["min_spend_usd"]) if row["min_spend_usd"] is not None else "",
                 money(row["spend_usd"]), money(row["shortfall_usd"]) if row["shortfall_usd"] else "",
                 money(row["credit_usd"]) if row["credit_usd"] else "", tranches)
        console.print(deals)
    _print_tiers_and_counts(result, console)
    _print_instruments(result, console)

    _print_prices(result, console, periods, full=show_prices)

    if result.tables["resilience"]:
        worst: dict[str, dict] = {}
        for row in result.tables["resilience"]:
            if row["failure"] not in worst or row["covered_fraction"] < worst[row["failure"]]["covered_fraction"]:
                worst[row["failure"]] = row
        res = _table(console, "If a failure hits: worst coverage of critical demand", "failure",
                     "workload", "period", "worst covered", "expected cost", left=3)
        for name, row in worst.items():
            cost = sum(r["expected_cost_usd"] for r in result.tables["resilience"] if r["failure"] == name)
            add_row(res, name, row["workload"], row["period"], f"{row['covered_fraction']:.0%}", money(cost))
        console.print(res)
    held = result.tables["commitments"]
    if held:
        periods = sorted({r["period"] for r in held})
        cut = [r for r in held if r["status"].startswith("cut")]
        gone = [r for r in held if r["status"].startswith("refunded")]
        notes = ([f"{len(cut)} cut pro rata by this scenario's caps"] if cut else []) + (
            [f"{len(gone)} refunded, their offer not in this scenario"] if gone else [])
        console.print(f"\nHeld signings: {len(held)} fixed ({', '.join(periods)}), the rest re-optimised"
                      + "".join(f"; {note}" for note in notes) + " (commitments table).", markup=False, highlight=False)
    console.print("[dim]All tables: --out DIR (CSV + result.json) or --json.[/dim]")


def _print_tiers_and_counts(result: Result, console: Console) -> None:
    """The volume tiers reached and the
    vendor-count rules' members per period, where the scenario has them."""
    if result.tables["tiers"]:
        tiers = _table(console, "Volume tiers (undiscounted $ over each deal's window)", "deal", "kind",
                       "tier reached", "spend", "rebate",
                       "to next tier", left=3, keep=(2,))
        for row in result.tables["tiers"]:
            reached = f"{row['discount']:.1%} from {money(row['tier_from_usd'])}"
            to_next = "" if row["spend_to_next_tier_usd"] is None else money(row["spend_to_next_tier_usd"])
            add_row(tiers, row["deal"], row["kind"], reached, money(row["spend_usd"]), money(row["rebate_usd"]), to_next)
        console.print(tiers)
    if result.tables["vendor_counts"]:
        counts = _table(console, "Vendor counts (members serving demand; counted: at least min_share each)", "rule",
                        "period", "members", "min", "max", "serving", "counted", left=3, keep=(0, 2))
        for row in result.tables["vendor_counts"]:
            add_row(counts, f"policy.vendor_counts[{row['rule']}] ({row['group']})", row["period"], row["members"],
                    "" if row["min"] is None else row["min"], "" if row["max"] is None else row["max"],
                    row["members_serving"], row["members_counted"])
        console.print(counts)


def gap_text(gap: float | None) -> str:
    """A MIP gap as a percentage, or `unknown` where no bound was proven."""
    return f"{gap:.3%}" if gap is not None and math.isfinite(gap) else "unknown"


def _print_prices(result: Result, console: Console, periods: list[str], full: bool) -> None:
    prices = result.tables["prices"]
    compute = _table(console, "Marginal cost of compute ($/H100e-year, in each year's dollars)", "workload",
                     *periods)
    for w in result.data.workloads:
        by_period = {r["period"]: r for r in prices
                     if r["family"] == "demand" and r["constraint"].startswith(f"demand[{w},")}
        add_row(compute, w, *[f"{by_period[p]['value']:,.0f}" if p in by_period else "" for p in periods])
        rent = [by_period[p]["market_rent"] if p in by_period else None for p in periods]
        if full and any(r is not None for r in rent):
            add_row(compute, "  market rent", *[f"{r:,.0f}" if r is not None else "" for r in rent], style="dim")
    console.print(compute)
    if not full:
        console.print("[dim]Market rent (the cheapest rented H100e-year) beside each: --prices.[/dim]")
    binding = [r for r in prices if r["family"] != "demand"]
    if not binding:
        return
    shown = binding if full else _top_per_family(binding, 3)
    title = f"Binding constraints ({len(shown)} of {len(binding)}" + ("" if full else "; all with --prices") + ")"
    table = _table(console, title, "constraint", "meaning", "value", left=2, keep=(0,))
    table.columns[1].overflow = "fold"  # prose, wrapped at words; the constraint (its period) is never cut
    for row in shown:
        add_row(table, row["constraint"], row["meaning"], price_text(row["value"], row["unit"]))
    console.print(table)


def _top_per_family(rows: list[dict], n: int) -> list[dict]:
    """The n largest prices of each family, families in the order they first appear."""
    families = dict.fromkeys(r["family"] for r in rows)
    return [r for family in families
            for r in sorted((r for r in rows if r["family"] == family), key=lambda r: -abs(r["value"]))[:n]]


def price_text(value: float, unit: str) -> str:
    """`$1.23M/MW-year`, `$24.33M per unit/yr`, `0.2122 $/$`."""
    if unit.startswith("$/") and unit != "$/$":
        return f"{money(value)}/{unit[2:]}"
    if unit.startswith("$ per "):
        return f"{money(value)} {unit[2:]}"
    return f"{value:,.4g} {unit}"


# ---------------------------------------------------------------- files


def write_outputs(result: Result, out: Path, manifest: dict[str, Any], fmt: str = "csv") -> None:
    """CSV per table (or one workbook: table_files) + result.json + manifest.json as the
    directory `out`, replaced atomically and only if cpo wrote it (outputs.write_directory)."""
    from .outputs import write_directory

    document = result.to_json()
    files = table_files({f"{table}.csv": (document[table], _COLUMNS[table]) for table in TABLES}, fmt)
    files["result.json"] = result.to_json_text().encode()
    write_directory(out, files, manifest)


FORMATS = ("table", "markdown", "csv", "xlsx")
"""--format: how tables print (a rich table, Markdown or CSV, for pasting; xlsx prints tables)
and what --out writes (a workbook with xlsx, CSV files otherwise)."""
TABLE_STYLE = ["table"]
"""How FitTable prints: table, markdown or csv (the command line's --format)."""
WORKBOOK = "tables.xlsx"


def table_files(tables: dict[str, tuple[list[dict], list[str]]], fmt: str = "csv") -> dict[str, bytes]:
    """Tables (file name -> rows and columns) as files: one CSV each, or (xlsx) one workbook,
    WORKBOOK, a sheet per table named as its file without `.csv` (a value that is not a number
    or text, a series say, written as its JSON)."""
    if fmt != "xlsx":
        return {name: csv_bytes(rows, columns) for name, (rows, columns) in tables.items()}
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, (rows, columns) in tables.items():
        sheet = book.create_sheet(name.removesuffix(".csv")[:31])
        sheet.append(columns)
        for row in rows:
            values = [row.get(c) for c in columns]
            sheet.append([json.dumps(v) if isinstance(v, (dict, list)) else v for v in values])
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    cell.data_type = "s"  # text, not a formula: a name or note is never run
    stream = io.BytesIO()
    book.save(stream)
    return {WORKBOOK: stream.getvalue()}


def csv_bytes(rows: list[dict], columns: list[str]) -> bytes:
    """`rows` as CSV (a header of `columns`, then one line per row), UTF-8."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return stream.getvalue().encode()


# ---------------------------------------------------------------- comparisons


def print_evaluation(rows: list[dict], plan: str, console: Console) -> None:
    """The held plan under each scenario: cost, unmet, shortfalls, what became of its signings,
    and the rules it breaks."""
    table = _table(console, f"The plan in {plan}, held under the base and each what-if (only operations "
                   "re-optimised)", "scenario", "total cost", "change", "unmet", "shortfall", "signings",
                   "rules broken", left=1)
    table.columns[-1].justify = "left"
    for row in rows:
        if row["total_cost_usd"] is None:
            add_row(table, row["scenario"], row["status"], "", "", "", "", row["message"])
            continue
        change = "" if row["scenario"] == "base" else money(row["delta_usd"])
        fates = [f"{row['signings_held']} held"] + [f"{row[f'signings_{k}']} {k}" for k in ("cut", "refunded")
                                                   if row[f"signings_{k}"]]
        add_row(table, row["scenario"], money(row["total_cost_usd"]), change, f"{row['unmet_share']:.1%}",
                money(row["shortfall_usd"]), ", ".join(fates), row["finding_details"] or "none")
    console.print(table)
    console.print("[dim]cut: delivered pro rata where a what-if's supply or resource cap is below the held signings "
                  "(the rest refunded); refunded: the offer is not in the what-if. Rules broken: the policy rules "
                  "(shares, hard resilience) the held plan cannot meet, solved without them.[/dim]")


def print_out_of_sample(document: dict[str, Any], console: Console, limit: int = 30) -> None:
    """Each plan's here-and-now signings held over the scenarios: mean, CVaR and spread of the
    objective; each scenario's cost under each plan when there are at most `limit`."""
    alpha = document["alpha"]
    summary = document["summary"]
    what = f"{document['sample']} fresh draws" if document["sample"] else "the file's scenarios"
    table = _table(console, f"{document['scenario']}: here-and-now signings to the end of {document['until']} held, "
                   f"each of {what} re-planned after them ({document['scenarios_file']})", "plan", "mean",
                   f"CVaR {alpha:.0%}", "worst", "vs first", "unmet", left=1)
    columns = [money_column([row[k] for row in summary]) for k in ("mean_usd", "cvar_usd", "worst_usd")]
    for i, row in enumerate(summary):
        unmet = "" if row["unmet_share_mean"] is None else f"{row['unmet_share_mean']:.1%}"
        versus = "" if row["vs_first_usd"] is None else money(row["vs_first_usd"]) + (
            "" if row["vs_first_stderr_usd"] is None else f" ± {money(row['vs_first_stderr_usd'])}")
        add_row(table, row["plan"], *[c[i] for c in columns], versus, unmet)
    console.print(table)
    plans = [row["plan"] for row in summary]
    names = list(dict.fromkeys(row["scenario"] for row in document["rows"]))
    if len(names) <= limit:
        cost = {(row["plan"], row["scenario"]): row for row in document["rows"]}
        table = _table(console, "Each scenario's cost (the objective) under each plan", "scenario", "p", *plans,
                       left=1)
        cells = [money_column([cost[plan, name].get("objective_usd") for name in names]) for plan in plans]
        for i, name in enumerate(names):
            add_row(table, name, f"{cost[plans[0], name]['probability']:.3g}",
                    *[c[i] or cost[plan, name]["status"] for c, plan in zip(cells, plans)])
        console.print(table)
    console.print(f"[dim]mean = Σ p_s cost_s; CVaR {alpha:.0%} = the mean of the worst {1 - alpha:.0%} of probability; "
                  "vs first: the mean of the paired differences from the first plan over the same scenarios (± one "
                  "standard error, for fresh draws); std and the best case are in --json; cost: the objective each scenario's re-plan minimises, as the stochastic plan weighs it. A plan's "
                  "here-and-now signings are held as contracts (docs/uncertainty.md).[/dim]")
    for row in summary:
        if row["solved"] < row["scenarios"]:
            console.print(f"Note: {row['plan']}: {row['scenarios'] - row['solved']} scenario(s) had no plan (see "
                          "their status in --json or --out); the mean and CVaR are over the rest, renormalised",
                          markup=False, highlight=False)


def plot_out_of_sample(document: dict[str, Any], target: Path, manifest: dict[str, Any]) -> None:
    """A histogram of each plan's cost over the scenarios (probability-weighted), its mean (solid)
    and CVaR (dashed) marked (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    figure, axis = plt.subplots(figsize=(7.5, 4.2))
    solved = [r for r in document["rows"] if r.get("objective_usd") is not None]
    costs = np.array([r["objective_usd"] for r in solved]) / 1e9
    bins = np.histogram_bin_edges(costs, bins=min(40, max(8, len(costs) // 10))) if len(costs) else 10
    for k, row in enumerate(document["summary"]):
        mine = [r for r in solved if r["plan"] == row["plan"]]
        if not mine:
            continue
        colour = f"C{k}"
        values, weights = [r["objective_usd"] / 1e9 for r in mine], [r["probability"] for r in mine]
        axis.hist(values, bins=bins, weights=weights, histtype="stepfilled", alpha=0.25, color=colour)
        axis.hist(values, bins=bins, weights=weights, histtype="step", linewidth=1.6, color=colour, label=row["plan"])
        axis.axvline(row["mean_usd"] / 1e9, color=colour, linewidth=1)
        axis.axvline(row["cvar_usd"] / 1e9, color=colour, linewidth=1, linestyle="--")
    axis.set_xlabel(f"cost, $B (solid: mean; dashed: CVaR {document['alpha']:.0%})")
    axis.set_ylabel("probability")
    what = f"{document['sample']} fresh draws" if document["sample"] else "the file's scenarios"
    axis.set_title(f"{document['scenario']}: signings to {document['until']} held, {what}", fontsize=10)
    axis.legend(fontsize=8)
    figure.tight_layout()
    _save_figure(figure, Path(target), manifest)


def print_comparison(rows: list[dict], moves: list[dict], console: Console) -> None:
    vendors = [k.removeprefix("share_") for k in rows[0] if k.startswith("share_")]
    largest: dict[str, str] = {}
    for move in moves:  # the first of each what-if is its largest
        largest.setdefault(move["scenario"], f"{move['workload']} {move['period']} "
                           f"${move['base_usd_per_h100e_year'] / 1e3:,.1f}k->${move['usd_per_h100e_year'] / 1e3:,.1f}k "
                           f"({move['change']:+.0%})")
    surprise = "surprise_cost_usd" in rows[0]
    extra = ["surprise cost", "of committing", "surprise unmet"] if surprise else []
    table = _table(console, "Base and what-ifs, each alone on the base (vendor shares of served compute, "
                   "whole horizon)", "scenario", "foresight cost" if surprise else "total cost", "change",
                   *extra, *vendors, "unmet", "largest move in marginal cost of compute ($/H100e-yr)", left=1)
    table.columns[-1].justify = "left"
    for row in rows:
        if row["total_cost_usd"] is None:
            add_row(table, row["scenario"], row["status"], "", *[""] * (len(extra) + len(vendors)), "", row["message"])
            continue
        change = "" if row["scenario"] == "base" else f"{money(row['delta_usd'])} ({row['delta_fraction']:+.1%})"
        shares = [f"{row['share_' + v]:.0%}" if row["share_" + v] is not None else "" for v in vendors]
        committed = []
        if surprise:
            held = row["surprise_cost_usd"]
            committed = ([money(held), money(row["cost_of_committing_usd"]), f"{row['surprise_unmet_share']:.1%}"]
                         if held is not None else [row["surprise_status"], "", ""])
        add_row(table, row["scenario"], money(row["total_cost_usd"]), change, *committed, *shares,
                f"{row['unmet_share']:.1%}", largest.get(row["scenario"], ""))
    console.print(table)
    if surprise:
        console.print("[dim]Foresight: the what-if known from the start. Surprise: the base plan's signings up to "
                      "--commit-until already held, the what-if learned after (both procurement cost); of committing = "
                      "the surprise's objective − the foresight's (what each minimises: procurement less vendor "
                      "equity, and under multi-vendor priced disruption and the HHI penalty), never below 0.[/dim]")
    console.print("[dim]Descriptions and every price move: --json or --out DIR (compare.csv, "
                  "price_moves.csv).[/dim]")


def write_tables(tables: dict[str, list[dict]], out: Path, manifest: dict[str, Any], fmt: str = "csv") -> None:
    """Each table (file name -> rows; columns from its first row; as table_files in `fmt`) and
    manifest.json as the directory `out`, replaced atomically and only if cpo wrote it
    (outputs.write_directory)."""
    from .outputs import write_directory
    from .results import json_ready

    write_directory(out, table_files({name: (json_ready(rows), list(rows[0]) if rows else [])
                                      for name, rows in tables.items()}, fmt), manifest)


def plot_vendor_mix(rows: list[dict], target: Path, title: str, manifest: dict[str, Any]) -> None:
    """Stacked bars: each scenario's vendor shares of served compute over the horizon (a PNG
    recording `manifest`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    vendors = [k.removeprefix("share_") for k in rows[0] if k.startswith("share_")]
    colours = vendor_colours(vendors)
    figure, axis = plt.subplots(figsize=(max(6, 0.9 * len(rows) + 2), 4.8))
    bottom = [0.0] * len(rows)
    for vendor in vendors:
        heights = [(r["share_" + vendor] or 0.0) if r["total_cost_usd"] is not None else 0.0 for r in rows]
        axis.bar(range(len(rows)), heights, bottom=bottom, label=vendor, color=colours[vendor])
        bottom = [b + h for b, h in zip(bottom, heights)]
    for i, row in enumerate(rows):
        if row["total_cost_usd"] is None:  # shown, not dropped: a what-if with no plan says so
            axis.text(i, 0.5, row["status"], rotation=90, ha="center", va="center", fontsize=9, color="0.3")
    labels = [r["scenario"] + ("" if r["scenario"] == "base" or r["total_cost_usd"] is None
                               else f"\n{r['delta_fraction']:+.1%}") for r in rows]
    axis.set_xticks(range(len(rows)), labels, rotation=35, ha="right", fontsize=8)
    axis.set_ylabel("share of served compute, whole horizon")
    axis.set_ylim(0, 1)
    axis.set_title(title, fontsize=10)
    handles, names = axis.get_legend_handles_labels()  # in stacking order: the top of the stack first
    axis.legend(handles[::-1], names[::-1], fontsize=8, bbox_to_anchor=(1.01, 1), loc="upper left")
    figure.tight_layout()
    _save_figure(figure, Path(target), manifest)


def vendor_colours(vendors) -> dict[str, str]:
    """One colour per vendor, the same in every chart of a catalog: matplotlib's tab10 cycle in
    the vendors' sorted order (tab20 past ten)."""
    names = sorted(vendors)
    palette = "tab10" if len(names) <= 10 else "tab20"
    import matplotlib

    cmap = matplotlib.colormaps[palette]
    return {v: matplotlib.colors.to_hex(cmap(i % cmap.N)) for i, v in enumerate(names)}


def _save_figure(figure, target: Path, manifest: dict[str, Any]) -> None:
    """Write a PNG atomically, marked as cpo's (text chunk `Software: cpo <version>`, and the
    manifest as JSON in `cpo-manifest`); refuse to replace a file cpo did not write."""
    import matplotlib.pyplot as plt

    from .outputs import cpo_version, staged_file

    metadata = {"Software": f"cpo {cpo_version()}", "cpo-manifest": json.dumps(manifest, sort_keys=True)}
    try:
        with staged_file(target, _is_cpo_png, PNG_EXPECTED) as staging:
            figure.savefig(staging, format="png", dpi=120, metadata=metadata)
    finally:
        plt.close(figure)


PNG_EXPECTED = "a new path or a PNG cpo wrote (text chunk Software: cpo)"


def check_figure(target: Path) -> None:
    """Raise OutputError if `target` holds something _save_figure would refuse to replace."""
    from .outputs import check_file

    check_file(target, _is_cpo_png, PNG_EXPECTED)


def _is_cpo_png(path: Path) -> bool:
    """Whether `path` is a PNG whose Software text chunk says cpo wrote it."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            return image.format == "PNG" and str(image.info.get("Software", "")).startswith("cpo ")
    except Exception:  # whatever cannot be read as a PNG is not recognisably cpo's: refuse it
        return False


def print_changes(changes, console: Console) -> None:
    """What the what-if layers and overrides changed, in the order they applied."""
    if not changes:
        console.print("no what-ifs or overrides: the effective config is the scenario as written")
        return
    table = _table(console, "Effective values (changed by what-ifs and --set, in order)", "path", "before", "after",
                   "from", left=4)
    for change in changes:
        add_row(table, change.path, _short(change.before), _short(change.after), change.location)
    console.print(table)


def _short(value) -> str:
    import json as _json

    text = _json.dumps(value, default=str) if not isinstance(value, str) else value
    return text if len(text) <= 90 else text[:87] + "..."


def print_sweep(rows: list[dict], console: Console, limit: int = 40) -> None:
    """The sweep's rows (cheapest first when there are more than `limit`)."""
    fixed = {"point", "name", "status", "reason", "total_cost_usd", "expected_disruption_usd", "unmet_share", "seconds"}
    vendors = sorted({k.removeprefix("share_") for row in rows for k in row if k.startswith("share_")})
    parameters = [k for k in rows[0] if k not in fixed and not k.startswith("share_")] if rows else []
    solved = sorted((r for r in rows if r.get("total_cost_usd") is not None), key=lambda r: r["total_cost_usd"])
    failed = [r for r in rows if r.get("total_cost_usd") is None]
    shown = rows if len(rows) <= limit else solved[: limit // 2] + failed[: limit // 2]
    title = f"Sweep: {len(rows)} points, {len(solved)} solved, {len(failed)} not"
    if len(rows) > limit:
        title += (f" (showing the {min(len(solved), limit // 2)} cheapest" + (" and the first failures" if failed else "")
                  + "; all in --out or --json)")
    keys = parameters or ["name"]
    table = _table(console, title, *keys, "status", "total cost", *vendors, "unmet", *(["reason"] if failed else []),
                   left=len(keys) + 1)
    if failed:
        table.columns[-1].justify = "left"
    for row in shown:
        head = [str(row.get(k, "")) for k in keys] + [row["status"]]
        if row.get("total_cost_usd") is None:
            add_row(table, *head, "", *[""] * len(vendors), "", row.get("reason", "")[:100])
        else:
            add_row(table, *head, money(row["total_cost_usd"]),
                 *[f"{row.get('share_' + v, 0.0):.0%}" for v in vendors],
                 f"{row['unmet_share']:.1%}", *([""] if failed else []))
    console.print(table)


# ---------------------------------------------------------------- frontier and leverage


def print_frontier(document: dict, console: Console) -> None:
    key = document["measure"]
    share = key != "expected_disruption_usd"
    vendors = sorted(document["points"][0]["shares"])
    table = _table(console, f"{document['scenario']}: cost against {key.replace('_', ' ')} (ε-constraint, "
                   "each vendor's share of served compute over the horizon)",
                   key.replace("_", " "), "total cost", "vs cheapest", "$ per point (average)",
                   "$ per point (marginal)", *vendors, "unmet", left=0)
    base = document["points"][0]["total_cost_usd"]
    for row in document["points"]:
        measure = f"{row[key]:.1%}" if share else money(row[key])
        add_row(table, measure, money(row["total_cost_usd"]), money(row["total_cost_usd"] - base),
             money(row["usd_per_point"]), money(row["marginal_usd_per_point"]),
             *[f"{row['shares'][v]:.0%}" for v in vendors], f"{row['unmet_share']:.1%}")
    console.print(table)
    chosen = document["chosen"]
    measure = f"{chosen[key]:.1%}" if share else money(chosen[key])
    console.print(f"The scenario's own plan ({chosen['objective']}): {key.replace('_', ' ')} {measure}, "
                  f"procurement cost {money(chosen['total_cost_usd'])}. "
                  f"$ per point: cost of lowering the {key.replace('_', ' ')} by one percentage point"
                  + (" ($ per $ of expected disruption avoided)." if not share else "."), highlight=False)


def plot_frontier(document: dict, target: Path, manifest: dict[str, Any]) -> None:
    """Cost against the concentration measure, the scenario's own plan marked (a PNG recording
    `manifest`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    key = document["measure"]
    scale = 100 if key != "expected_disruption_usd" else 1e-9
    label = {"max_vendor_share": "largest vendor share of demand, time-averaged (%)",
             "hhi": "HHI of vendor shares of demand, time-averaged (x100)",
             "expected_disruption_usd": "expected disruption cost ($B)"}[key]
    figure, axis = plt.subplots(figsize=(7.5, 4.8))
    xs = [row[key] * scale for row in document["points"]]
    ys = [row["total_cost_usd"] / 1e9 for row in document["points"]]
    axis.plot(xs, ys, "o-", label="least-cost plan at each cap")
    chosen = document["chosen"]
    star = chosen[key] * scale
    spacing, last = abs(xs[0] - xs[-1]) / 6, None  # label points at least a sixth of the axis apart
    for x, y, row in zip(xs[1:], ys[1:], document["points"][1:]):
        if (last is None or abs(x - last) >= spacing or row is document["points"][-1]) and abs(x - star) >= spacing / 3:
            axis.annotate(f"{money(row['marginal_usd_per_point'])}/pt", (x, y), textcoords="offset points",
                          xytext=(4, 6), fontsize=7)  # (none next to the star, which would cover it)
            last = x
    axis.plot([star], [chosen["total_cost_usd"] / 1e9], "*", markersize=14, color="tab:red", zorder=3,
              label=f"the scenario's own plan ({chosen['objective']})")
    axis.invert_xaxis()  # lower concentration to the right
    axis.set_xlabel(label + "  more diversified ->")
    axis.set_ylabel("procurement cost, present value ($B)")
    axis.set_title(f"{document['scenario']}: the price of diversification", fontsize=10)
    axis.legend(fontsize=8)
    axis.grid(alpha=0.3)
    figure.tight_layout()
    _save_figure(figure, Path(target), manifest)


def print_leverage(document: dict, console: Console) -> None:
    table = _table(console, f"{document['scenario']}: each vendor's weight, and the lab's walk-away position "
                   f"({document['objective']} objective; excluding a vendor stops new business, installed units stay)",
                   "vendor", "share of compute", "share of spend", "spend (PV)", "cost without it", "walk-away cost",
                   left=1)
    for vendor in document["vendors"]:
        excluded = vendor["exclusion_cost_usd"]
        add_row(table, vendor["vendor"], f"{vendor['share']:.1%}", f"{vendor['spend_share']:.1%}",
             money(vendor["spend_usd"]),
             money(excluded) if excluded is not None else vendor["exclusion_status"],
             money(vendor["walk_away_usd"]) if vendor["walk_away_usd"] is not None else "")
    console.print(table)
    offers = _table(console, "Price ranges within which the plan stays the same (per offer; upfront $/unit for "
                    "owned, recurring $/unit-year for rented)", "offer", "field", "price", "low", "high",
                    "units signed", "room to raise", "cut to win", left=2)
    for vendor in document["vendors"]:
        for row in vendor["offers"]:
            high = "no limit" if row["price_high"] == float("inf") else money(row["price_high"])
            raise_room = f"{row['raise_to_lose_fraction']:+.0%}" if row["raise_to_lose_fraction"] is not None else ""
            cut = ""
            if row["cut_to_win_fraction"] is not None:
                cut = "not even free" if row["cut_to_win_fraction"] >= 1 else f"-{row['cut_to_win_fraction']:.0%}"
            add_row(offers, row["offer"], row["price_field"], money(row["price"]), money(row["price_low"]),
                 high, count(row["units_signed"]), raise_room, cut)
    console.print(offers)


# ---------------------------------------------------------------- the stochastic plan

FIRST_STAGE_SHOWN = 20


def print_stochastic(result, console: Console) -> None:
    """The stochastic plan: its value (SP, WS, EEV, EVPI, VSS), the here-and-now signings beside
    the base plan's, and each scenario's outcome."""
    summary = result.summary
    status = "green" if result.status == "optimal" else "yellow"
    console.print(f"[bold]{escape(summary['scenario'])}[/bold]  stochastic plan over {summary['scenario_count']} "
                  f"scenarios, here and now to the end of {result.until}  objective [cyan]{result.objective}[/cyan]  "
                  f"status [{status}]{result.status}[/{status}]")
    measure = "E[cost]" + (f" + {summary['cvar_weight']:g}·CVaR{summary['cvar_alpha']:g}" if summary["cvar_weight"] else "")
    table = _table(console, f"What the plan is worth (each in {measure})", "", "value", "what it is", left=1)
    table.columns[-1].justify = "left"
    rows = [("stochastic plan (SP)", summary["objective_usd"], "one set of here-and-now signings, each scenario's best after"),
            ("expected cost", summary["expected_cost_usd"], "Σ p_s cost_s under the stochastic plan"),
            ("wait and see (WS)", summary["ws_usd"], "each scenario planned knowing it from the start"),
            ("base plan (EEV)", summary["eev_usd"], "the base plan's here-and-now signings, then each scenario's best"),
            ("EVPI = SP − WS", summary["evpi_usd"], "what knowing the future would be worth"),
            ("VSS = EEV − SP", summary["vss_usd"], "what planning for the scenarios saves over planning for the base")]
    if summary["cvar_weight"]:
        rows.insert(2, (f"CVaR{summary['cvar_alpha']:g}", summary["cvar_usd"],
                        f"the expected cost of the worst {1 - summary['cvar_alpha']:.0%} of outcomes"))
    for (label, value, meaning), shown in zip(rows, money_column([value for _, value, _ in rows])):
        add_row(table, label, shown or "unbounded", meaning)
    console.print(table)
    signings = sorted(result.first_stage, key=lambda r: -abs(r["change_units"]))[:FIRST_STAGE_SHOWN]
    table = _table(console, f"Sign now (to the end of {result.until}), beside the base plan's signings",
                   "offer", "period", "units", "base plan", "change", left=2)
    for row in sorted(signings, key=lambda r: (r["period"], r["offer"])):
        change = row["change_units"]
        moved = abs(change) > 1e-6 * max(abs(row["base_units"]), abs(row["acquired_units"]))
        add_row(table, row["offer"], row["period"], count(row["acquired_units"]), count(row["base_units"]),
                f"{'+' if change > 0 else ''}{count(change)}" if moved else "")
    console.print(table)
    if len(result.first_stage) > FIRST_STAGE_SHOWN:
        console.print(f"[dim]The {FIRST_STAGE_SHOWN} signings that differ most from the base plan's, of "
                      f"{len(result.first_stage)}: all in --out DIR (first_stage.csv) or --json.[/dim]")
    shortfalls = any(r["shortfall_usd"] > 0 for r in result.scenarios)
    table = _table(console, "Each scenario under the stochastic plan", "scenario", "p", "cost", "foresight",
                   "base plan", "regret", "unmet", *["shortfall"] * shortfalls, left=1)
    table.columns[0].no_wrap = True
    costs = money_column([r[k] for r in result.scenarios for k in ("objective_usd", "ws_usd", "eev_usd")])
    for i, row in enumerate(result.scenarios):
        cost, foresight, base = costs[3 * i: 3 * i + 3]
        add_row(table, row["scenario"], f"{row['probability']:.3g}", cost, foresight, base or "infeasible",
                money(row["regret_usd"]), f"{row['unmet_share']:.1%}" if row["unmet_share"] is not None else "",
                *[money(row["shortfall_usd"])] * shortfalls)
    console.print(table)
    console.print("[dim]cost: the scenario's objective under the stochastic plan; foresight: planned knowing the "
                  "scenario (WS); base plan: after the base plan's here-and-now signings (EEV); regret = cost − "
                  "foresight" + ("; shortfall: take-or-pay owed" if shortfalls else "") + ".[/dim]")
    vendors = [k.removeprefix("share_") for k in result.scenarios[0] if k.startswith("share_")]
    table = _table(console, "Vendor shares of served compute (whole horizon) in each scenario", "scenario", *vendors)
    for row in result.scenarios:
        add_row(table, row["scenario"], *[f"{row['share_' + v]:.0%}" if row.get("share_" + v) is not None else ""
                                          for v in vendors])
    console.print(table)
    for note in result.notes:
        console.print(f"Note: {note}", markup=False, highlight=False)


def write_stochastic(result, out: Path, manifest: dict[str, Any], fmt: str = "csv") -> None:
    """first_stage.csv, scenarios.csv, mix.csv, plan.csv (every scenario's plan), result.json and
    manifest.json as the directory `out`, atomically (outputs.write_directory)."""
    from .outputs import write_directory
    from .results import json_ready

    document = result.to_json()
    plans = [{"scenario": name, **row} for name, r in result.results.items() for row in r.tables["plan"]]
    tables = {"first_stage.csv": document["first_stage"], "scenarios.csv": document["scenarios"],
              "mix.csv": document["mix"], "plan.csv": json_ready(plans)}
    files = table_files({name: (rows, list(rows[0]) if rows else []) for name, rows in tables.items()}, fmt)
    files["result.json"] = (json.dumps(document, indent=1) + "\n").encode()
    write_directory(out, files, manifest)


# ---------------------------------------------------------------- near-optimal alternatives


def print_alternatives(document: dict[str, Any], console: Console) -> None:
    """Each member's share at the optimum and its range among plans within the slack."""
    by, slack = document["by"], document["slack"]
    table = _table(console, f"{document['scenario']}: {by} shares of served compute (whole horizon) among plans within "
                   f"{slack:.1%} of the optimum ({money(document['optimum_usd'])}, objective {document['objective']}) "
                   "serving as much", by, "optimum", "min", "max", "room", left=1)
    for row in document["ranges"]:
        add_row(table, row["member"], f"{row['optimum_share']:.1%}", f"{row['min_share']:.1%}",
                f"{row['max_share']:.1%}", f"{row['max_share'] - row['min_share']:.1%}")
    console.print(table)
    if document["plans"]:
        members = [r["member"] for r in document["ranges"]]
        table = _table(console, "Diverse plans within the slack (random directions)", "plan", "objective", "cost",
                       *members, left=1)
        for row in document["plans"]:
            add_row(table, str(row["plan"]), money(row["objective_usd"]), money(row["total_cost_usd"]),
                    *[f"{row['share_' + m]:.1%}" for m in members])
        console.print(table)
    console.print("[dim]room = max − min: how far the share can move at almost no cost; the plans at each end are in "
                  "--json (their costs) and every one is verified.[/dim]")


def plot_alternatives(document: dict[str, Any], target: Path, manifest: dict[str, Any]) -> None:
    """Range bars: each member's min-max share within the slack, the optimum's marked (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = document["ranges"]
    figure, axis = plt.subplots(figsize=(7, 0.55 * len(rows) + 1.6))
    colours = vendor_colours(r["member"] for r in rows) if document["by"] == "vendor" else {}
    for i, row in enumerate(rows):
        axis.plot([row["min_share"], row["max_share"]], [i, i], linewidth=9, color=colours.get(row["member"], "#8fb8de"),
                  alpha=0.55, solid_capstyle="butt")
        axis.plot([row["optimum_share"]], [i], marker="D", color="#1f4e79", markersize=7)
        axis.text(row["max_share"] + 0.005, i, f"{row['min_share']:.0%}-{row['max_share']:.0%}", va="center", fontsize=8)
    axis.set_yticks(range(len(rows)), [r["member"] for r in rows], fontsize=9)
    axis.invert_yaxis()
    axis.set_xlim(0, min(1.0, max(r["max_share"] for r in rows) + 0.12))
    axis.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    axis.set_xlabel("share of served compute, whole horizon (diamond: the optimum)")
    axis.set_title(f"{document['scenario']}: {document['by']} shares within {document['slack']:.1%} of the optimum",
                   fontsize=10)
    figure.tight_layout()
    _save_figure(figure, Path(target), manifest)
