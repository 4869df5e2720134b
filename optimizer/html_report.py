"""`cpo report CONFIG --html report.html`: one self-contained page a strategy lead can mail.

The page holds the recommended plan and what to sign in the first period, the vendor mix over
time, the cost breakdown, the deals, the binding constraints in business units, resilience,
each what-if (and its surprise cost after the first year's signings) and the stochastic plan
where asked, and every catalog figure the plan depends on with its source. Charts are Plotly
(plotly.js is inlined: the file opens with no network); tables are the same rows `--out` writes.
"""

from __future__ import annotations

import datetime
import html
from pathlib import Path
from typing import Any

MARK = "<!-- Written by cpo"
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 3px 8px; } th { background: #f4f4f4; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } .note { color: #666; font-size: 0.85em; }
.headline td { font-size: 1.1em; }
"""


def build_report(scenario, whatifs=(), scenarios=None, objective: str | None = None, solver: str = "highs",
                 manifest: dict | None = None) -> str:
    """The page as HTML text (see the module docstring); `manifest` (how it was made) is embedded
    as JSON (`<script type="application/json" id="cpo-manifest">`)."""
    import json

    import plotly.offline

    import optimizer

    from .report import money, vendor_colours

    result = optimizer.solve(scenario, objective=objective, solver=solver)
    colours = vendor_colours(result.data.vendors)
    sections = [_headline(result, money), _sign_now(result), _mix_chart(result, colours), _cost_chart(result),
                _table("Deals (undiscounted $ over each deal's window)", result.tables["deals"],
                       ("deal", "counterparty", "window", "min_spend_usd", "spend_usd", "shortfall_usd", "credit_usd")),
                _prices(result), _resilience(result)]
    if whatifs:
        sections.append(_whatifs(scenario, [str(w) for w in whatifs], objective, solver))
    if scenarios is not None:
        sections.append(_stochastic(scenario, scenarios, objective, solver))
    sections.append(_figures(scenario, result))
    title = f"{scenario.name}: procurement plan"
    made = (f"cpo {optimizer.__version__}, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, "
            f"from {Path(scenario.path).name}" + (f" with {', '.join(Path(w).name for w in whatifs)}" if whatifs else ""))
    return (f"{MARK} {html.escape(made)} -->\n<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
            f"<script>{plotly.offline.get_plotlyjs()}</script></head><body>"
            f"<h1>{html.escape(title)}</h1><p class='note'>{html.escape(made)}; objective {result.objective}, "
            f"status {result.status}.</p>" + "".join(sections)
            + "<script type='application/json' id='cpo-manifest'>"
            + json.dumps(manifest or {}, sort_keys=True).replace("<", "\\u003c") + "</script></body></html>\n")


def write_report(text: str, target: Path) -> None:
    """Write the page atomically, only over a page cpo wrote."""
    from .outputs import staged_file

    with staged_file(Path(target), _is_cpo_page, f"a new path or a report cpo wrote (first line: {MARK})") as staging:
        staging.write_text(text, encoding="utf-8")


def _is_cpo_page(path: Path) -> bool:
    with open(path, "rb") as stream:
        return stream.readline(200).startswith(MARK.encode())


# ---------------------------------------------------------------- sections


def _table(title: str, rows: list[dict], columns: tuple[str, ...], note: str = "") -> str:
    """An HTML table of `columns` (money columns, ending _usd, as money; numbers right-aligned)."""
    from .report import count, money

    def cell(column: str, value: Any) -> str:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            text = money(value) if column.endswith("_usd") else (f"{value:.1%}" if column.endswith("share")
                                                                   else count(value))
            return f"<td class='num'>{html.escape(text)}</td>"
        return f"<td>{html.escape('' if value is None else str(value))}</td>"

    head = "".join(f"<th>{html.escape(c.removesuffix('_usd').replace('_', ' '))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(cell(c, row.get(c)) for c in columns) + "</tr>" for row in rows)
    note_html = f"<p class='note'>{html.escape(note)}</p>" if note else ""
    return f"<h2>{html.escape(title)}</h2><table><tr>{head}</tr>{body}</table>{note_html}"


def _headline(result, money) -> str:
    rows = [("procurement cost (present value)", money(result.total_cost_usd)),
            ("expected disruption (N-1)", money(result.expected_disruption_usd)),
            ("risk-adjusted cost", money(result.risk_adjusted_cost_usd)),
            *[(f"{v} share of served compute (horizon)", f"{s:.1%}") for v, s in
              sorted(result._horizon_shares().items(), key=lambda kv: -kv[1])]]
    body = "".join(f"<tr><td>{html.escape(k)}</td><td class='num'>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<h2>The plan</h2><table class='headline'>{body}</table>"


def _sign_now(result) -> str:
    first = result.data.periods[0].name
    rows = [r for r in result.tables["plan"] if r["period"] == first and r["acquired_units"] > 0]
    return _table(f"What to sign in {first}", rows, ("offer", "vendor", "channel", "site", "acquired_units",
                                                      "spend_usd"),
                  "Units signed in the first period (the rest of the plan: --out DIR, plan.csv).")


def _chart(figure) -> str:
    figure.update_layout(margin={"l": 50, "r": 20, "t": 40, "b": 40}, height=380, template="plotly_white")
    return figure.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def _mix_chart(result, colours) -> str:
    import plotly.graph_objects as go

    mix = [r for r in result.tables["shares"] if r["group"] == "vendor" and r["measure"] == "compute"]
    periods = [p.name for p in result.data.periods]
    figure = go.Figure()
    for vendor in sorted(result.data.vendors):
        share = {r["period"]: r["share"] for r in mix if r["member"] == vendor}
        figure.add_trace(go.Bar(name=vendor, x=periods, y=[share.get(p, 0.0) for p in periods],
                                marker_color=colours[vendor]))
    figure.update_layout(barmode="stack", yaxis_tickformat=".0%", title="Vendor shares of served compute")
    return "<h2>Vendor mix over time</h2>" + _chart(figure)


def _cost_chart(result) -> str:
    import plotly.graph_objects as go

    from .results import OUTSIDE_PROCUREMENT

    parts = {k: v for k, v in result.cost_breakdown_usd.items() if k not in OUTSIDE_PROCUREMENT and abs(v) > 0}
    figure = go.Figure(go.Bar(x=list(parts), y=[v / 1e9 for v in parts.values()], marker_color="#4c78a8"))
    figure.update_layout(title="Procurement cost by component ($B, present value)", yaxis_title="$B")
    return "<h2>Cost breakdown</h2>" + _chart(figure)


def _prices(result) -> str:
    from .report import price_text

    rows = sorted((r for r in result.tables["prices"] if r["family"] != "demand"), key=lambda r: -abs(r["value"]))[:15]
    shown = [{"constraint": r["constraint"], "meaning": r["meaning"], "price": price_text(r["value"], r["unit"])}
             for r in rows]
    return _table("Binding constraints (the 15 largest prices)", shown, ("constraint", "meaning", "price"),
                  "What one more unit of each limit would save, in its business unit.")


def _resilience(result) -> str:
    rows = result.tables["resilience"]
    if not rows:
        return ""
    worst = sorted(rows, key=lambda r: r["covered_fraction"])[:20]
    shown = [{**r, "covered_share": r["covered_fraction"]} for r in worst]
    return _table("Resilience: critical demand covered if a vendor fails (the 20 least covered)", shown,
                  ("failure", "workload", "period", "required_h100e", "covered_h100e", "covered_share",
                   "expected_cost_usd"))


def _whatifs(scenario, whatifs: list[str], objective, solver) -> str:
    import plotly.graph_objects as go

    from .comparison import comparison_rows, run_outcomes

    first = scenario.data.periods[0].name
    rows = comparison_rows(run_outcomes(scenario, whatifs, objective, solver, None, first))
    figure = go.Figure(go.Bar(x=[r["scenario"] for r in rows],
                              y=[(r["total_cost_usd"] or 0.0) / 1e9 for r in rows], marker_color="#72b7b2"))
    figure.update_layout(title="Procurement cost under each what-if ($B)", yaxis_title="$B")
    return (_table(f"What-ifs (surprise: after the base plan's {first} signings)", rows,
                   ("scenario", "status", "total_cost_usd", "delta_usd", "surprise_cost_usd", "cost_of_committing_usd"))
            + _chart(figure))


def _stochastic(scenario, scenarios, objective, solver) -> str:
    import optimizer

    result = optimizer.solve(scenario, objective=objective, solver=solver, scenarios=scenarios)
    summary = [{"measure": name, "value_usd": result.summary[key]} for name, key in
               (("stochastic plan (SP)", "objective_usd"), ("wait and see (WS)", "ws_usd"),
                ("base plan (EEV)", "eev_usd"), ("EVPI = SP - WS", "evpi_usd"), ("VSS = EEV - SP", "vss_usd"))]
    return (_table(f"Under uncertainty: {len(result.scenarios)} scenarios, signings to the end of {result.until}",
                   summary, ("measure", "value_usd"))
            + _table("Sign now (stochastic plan, beside the base plan)", result.first_stage,
                     ("offer", "period", "acquired_units", "base_units", "change_units"))
            + _table("Each scenario", result.scenarios, ("scenario", "probability", "objective_usd", "ws_usd",
                                                           "regret_usd", "unmet_share")))


def _figures(scenario, result) -> str:
    """Every catalog figure of the offers and products the plan signs, with its source."""
    from .catalog import figure_rows

    used = {(r["vendor"], r["offer"].split("/", 1)[1].split("@")[0], r["product"]) for r in result.tables["plan"]
            if r["acquired_units"] > 0}
    offers = {(v, f"offer {o} ") for v, o, _ in used}
    products = {(v, f"product {p}") for v, _, p in used}
    rows = [r for r in figure_rows(scenario.config.catalog)
            if any(r["vendor"] == v and r["item"].startswith(item) for v, item in offers)
            or (r["vendor"], r["item"]) in products]
    shown = [{**r, "value": r["value"] if not isinstance(r["value"], dict) else str(r["value"])} for r in rows]
    return _table("The catalog figures this plan rests on", shown,
                  ("vendor", "item", "field", "value", "low", "high", "as_of", "kind", "source"),
                  "Ranged assumptions carry low and high; cpo sensitivity ranks which of them move the plan.")
