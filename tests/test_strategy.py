"""The strategy analytics: frontier, leverage (exclusions and price ranging), prices checked by
finite differences, and hard resilience checked by re-assigning the plan independently."""

from __future__ import annotations

import copy
import json

import pytest
from typer.testing import CliRunner

import optimizer as cpo
from conftest import EXAMPLES, acquired, offer, price, product, scenario_doc, two_vendors, vendor
from optimizer.cli import app
from optimizer.recourse import evaluate
from optimizer.strategy import frontier_points, leverage_document


def run_cli(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


# ---------------------------------------------------------------- frontier


def test_frontier_on_two_vendors_is_the_hand_line(make_scenario):
    """Cheap $2 (no cap) and dear $3, demand 100: holding the cheap vendor's share to s costs
    200s + 300(1 - s) = 300 - 100s, from $200 at s = 1 down to $250 at s = 0.5 (the most
    diversified plan): $1 per point of share, average and marginal alike."""
    document = frontier_points(make_scenario(scenario_doc(two_vendors(cheap_cap=None))),
                                            "max-share", points=6)
    shares = [p["max_vendor_share"] for p in document["points"]]
    assert shares == pytest.approx([1.0, 0.9, 0.8, 0.7, 0.6, 0.5])
    assert [p["total_cost_usd"] for p in document["points"]] == pytest.approx([300 - 100 * s for s in shares])
    assert [p["usd_per_point"] for p in document["points"][1:]] == pytest.approx([1.0] * 5)
    assert [p["marginal_usd_per_point"] for p in document["points"][1:]] == pytest.approx([1.0] * 5)
    assert document["points"][-1]["shares"] == pytest.approx({"cheap": 0.5, "dear": 0.5})


def test_frontier_never_buys_diversity_by_serving_less(make_scenario):
    """VOLL $2.50 is below the dear vendor's $3: leaving demand unmet would lower every vendor's
    share more cheaply than buying dear units, so the frontier must hold service at the
    cost-only plan's (all 100 served) and pay for real diversification instead."""
    doc = scenario_doc(two_vendors(cheap_cap=None), voll=2.5)
    document = frontier_points(make_scenario(doc), "max-share", points=3)
    assert [p["unmet_share"] for p in document["points"]] == pytest.approx([0.0] * 3)
    assert document["points"][-1]["total_cost_usd"] == pytest.approx(250.0)


def test_frontier_library_returns_a_dataframe(make_scenario):
    frame = cpo.frontier(make_scenario(scenario_doc(two_vendors(cheap_cap=None))), "hhi", points=3)
    assert list(frame["hhi"]) == pytest.approx([1.0, 0.75, 0.5], abs=2e-3)  # HHI held by tangent cuts
    assert {"share_cheap", "share_dear", "total_cost_usd", "usd_per_point"} <= set(frame.columns)


def test_frontier_of_expected_disruption(make_scenario):
    """Priced N-1 with p = 0.0005 and critical 0.5: all-cheap costs $200 with $25 expected
    disruption (50 H100e short x 0.0005 x $1000). Each dear unit costs $1 more and removes 0.5
    dollars of expected disruption: the frontier ends at $250 with none."""
    doc = scenario_doc(two_vendors(cheap_cap=None), policy={"resilience": {
        "mode": "priced", "critical_fraction": 0.5, "failures": [{"group": "vendor", "probability": 0.0005}]}})
    document = frontier_points(make_scenario(doc), "disruption", points=3)
    assert [p["expected_disruption_usd"] for p in document["points"]] == pytest.approx([25.0, 12.5, 0.0], abs=1e-2)
    assert [p["total_cost_usd"] for p in document["points"]] == pytest.approx([200.0, 225.0, 250.0], abs=1e-2)


def test_openai_frontier_from_the_cli(tmp_path):
    """The done-when: >= 8 points, cost non-decreasing as concentration falls, and a PNG."""
    png = tmp_path / "frontier.png"
    result = run_cli("frontier", str(EXAMPLES / "openai.yaml"), "--json", "--points", "8", "--plot", str(png))
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["measure"] == "max_vendor_share"
    points = document["points"]
    assert len(points) == 8
    shares = [p["max_vendor_share"] for p in points]
    costs = [p["total_cost_usd"] for p in points]
    assert all(b < a for a, b in zip(shares, shares[1:]))
    assert all(b >= a * (1 - 1e-9) for a, b in zip(costs, costs[1:]))
    assert costs[-1] > costs[0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000


# ---------------------------------------------------------------- leverage


def test_leverage_ranges_on_the_hand_example(make_scenario):
    """Cheap $2 capped at 60, dear $3 uncapped, demand 100, VOLL $1000. The cheap offer keeps
    its 60 units up to $3 (then dear takes it all) and at any lower price; the dear offer keeps
    its 40 between $2 (below, it takes all 100) and $1000 (above, leaving demand unmet wins)."""
    document = leverage_document(make_scenario(scenario_doc(two_vendors())), "cost")
    offers = {o["offer"]: o for v in document["vendors"] for o in v["offers"]}
    assert (offers["cheap/rent"]["price_low"], offers["cheap/rent"]["price_high"]) == pytest.approx((0.0, 3.0))
    assert (offers["dear/rent"]["price_low"], offers["dear/rent"]["price_high"]) == pytest.approx((2.0, 1000.0))
    assert offers["cheap/rent"]["raise_to_lose_fraction"] == pytest.approx(0.5)
    vendors = {v["vendor"]: v for v in document["vendors"]}
    assert vendors["cheap"]["exclusion_cost_usd"] == pytest.approx(300.0)   # all dear
    assert vendors["dear"]["exclusion_cost_usd"] == pytest.approx(120.0 + 40_000.0)  # 40 unmet at VOLL
    assert vendors["cheap"]["share"] == pytest.approx(0.6)


@pytest.mark.parametrize("vendor_id, price_key, side, expected_dear_units", [
    ("cheap", "price_high", -1, 40.0), ("cheap", "price_high", +1, 100.0),
    ("dear", "price_low", +1, 40.0), ("dear", "price_low", -1, 100.0),
    ("dear", "price_high", -1, 40.0), ("dear", "price_high", +1, 0.0),
])
def test_ranging_bounds_hold_just_inside_and_break_just_outside(make_scenario, vendor_id, price_key, side,
                                                               expected_dear_units):
    """Re-solve with the offer's price 0.1% inside or outside each reported bound: inside, the
    plan is the base plan (dear 40); outside, it changes the way the bound says."""
    base = scenario_doc(two_vendors())
    document = leverage_document(make_scenario(base), "cost")
    bound = next(o[price_key] for v in document["vendors"] for o in v["offers"] if o["offer"] == f"{vendor_id}/rent")
    moved = copy.deepcopy(base)
    moved["catalog"][vendor_id]["offers"]["rent"]["recurring"]["value"] = bound * (1 + side * 1e-3)
    result = cpo.solve(make_scenario(moved), objective="cost")
    assert acquired(result, "dear/rent") == pytest.approx(expected_dear_units)


def test_leverage_exclusion_equals_a_solve_without_the_vendor(make_scenario):
    """On the small-lab example (no installed base): each vendor's exclusion cost is the
    scenario re-solved with that vendor left out of `vendors`."""
    path = EXAMPLES / "small-lab.yaml"
    scenario = cpo.load(path)
    document = leverage_document(scenario)
    assert not any(any(o.existing) for o in scenario.data.offers)
    for row in document["vendors"]:
        others = [v for v in scenario.data.vendors if v != row["vendor"]]
        alone = cpo.solve(cpo.load(path, overrides={"vendors": others}))
        assert row["exclusion_cost_usd"] == pytest.approx(alone.total_cost_usd, rel=1e-7), row["vendor"]
        assert row["walk_away_usd"] == pytest.approx(alone.total_cost_usd - document["total_cost_usd"], rel=1e-6, abs=1e-3)


def test_leverage_ranges_match_highs_cost_ranging_for_single_column_offers(make_scenario):
    """For an offer with one LP column, the direction is that column alone: the range must be
    HiGHS's own cost ranging of it (scaled from $M per 1000 units back to $ per unit)."""
    from optimizer.formulation import build
    from optimizer.solver import HighsSession

    scenario = make_scenario(scenario_doc(two_vendors()))
    model = build(scenario.data, "cost")
    session = HighsSession(model, model.objectives["cost"], None)
    session.run()
    ranging = session.highs.getRanging()[1]
    document = leverage_document(scenario, "cost")
    for (o, _), var in model.family("x").items():
        key = scenario.data.offers[o].catalog_key
        mine = next(x for v in document["vendors"] for x in v["offers"] if x["offer"] == key)
        up = ranging.col_cost_up.value_[var.column] * model.scale.money / model.scale.units
        assert mine["price_high"] == pytest.approx(up)


def test_leverage_cli_json_lists_every_vendor():
    result = run_cli("leverage", str(EXAMPLES / "openai.yaml"), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    scenario = cpo.load(EXAMPLES / "openai.yaml")
    assert [v["vendor"] for v in document["vendors"]] == list(scenario.data.vendors)
    for row in document["vendors"]:
        assert {"vendor", "share", "exclusion_cost_usd"} <= set(row)
        assert row["exclusion_cost_usd"] >= document["total_cost_usd"] * (1 - 1e-9)
        assert row["offers"], row["vendor"]
        for offer_row in row["offers"]:
            assert {"offer", "price_low", "price_high"} <= set(offer_row)
            high = offer_row["price_high"]  # null: no price loses the business the offer has
            assert offer_row["price_low"] <= offer_row["price"] * (1 + 1e-9)
            assert high is None or offer_row["price"] <= high * (1 + 1e-9)


# ---------------------------------------------------------------- prices by finite differences


def _power_site_doc(power_mw: float) -> dict:
    catalog = {"cheap": vendor({"c1": product(reference=True)},
                               {"own": offer("c1", 0.5, channel="buy", provider="self", upfront=1.0, term=1),
                                "rent": offer("c1", 3.0)})}
    return scenario_doc(catalog, sites={"dc": {"power_mw": power_mw, "pue": 1.5, "region": "us",
                                               "energy_usd_per_mwh": 0.1, "facility_capex_usd_per_kw": 0.1}})


FINITE_DIFFERENCES = {
    # name: (document at parameter p, p, step, constraint, sign of d cost / d p relative to the price)
    "demand": (lambda p: scenario_doc(two_vendors(), demand=p), 100.0, 0.5, "demand[training,2026]", +1),
    "offer supply": (lambda p: scenario_doc(two_vendors(cheap_cap=p)), 60.0, 0.5,
                     "supply[offer.cheap/rent,2026]", -1),
    "site power": (_power_site_doc, 0.09, 0.0003, "power[dc,2026]", -1),
    "share cap (per point)": (lambda p: scenario_doc(two_vendors(cheap_cap=None), policy={
        "shares": [{"group": "vendor", "max": p / 100}]}), 60.0, 0.5, "share[vendor,cheap,compute,max,2026]", -1),
    "budget": (lambda p: scenario_doc(two_vendors(), voll=10.0, policy={"budget_usd_per_year": p}), 150.0, 0.75,
               "budget[2026]", -1),
    "resource": (lambda p: scenario_doc(two_vendors(cheap_cap=None), resources=[
        {"name": "wafers", "unit": "wafer", "cap": p, "usage": [{"match": {"vendor": "cheap"}, "per_unit": 0.5}]}]),
        30.0, 0.25, "resource[wafers,2026]", -1),
    "hard resilience (per H100e)": (lambda p: scenario_doc(two_vendors(cheap_cap=None), policy={
        "resilience": {"mode": "hard", "critical_fraction": p / 100, "failures": [{"group": "vendor"}]}}),
        40.0, 0.5, "cover[vendor.cheap,training,2026]", +1),
}


@pytest.mark.parametrize("name", FINITE_DIFFERENCES)
def test_price_matches_a_finite_difference_re_solve(solve, name):
    """The reported dual equals (cost(p + h) - cost(p - h)) / 2h from two fresh solves."""
    document, p, h, constraint, sign = FINITE_DIFFERENCES[name]
    base = solve(document(p))
    slope = (solve(document(p + h)).total_cost_usd - solve(document(p - h)).total_cost_usd) / (2 * h)
    assert price(base, constraint) != 0
    assert sign * price(base, constraint) == pytest.approx(slope, rel=1e-6)


def test_compute_prices_sit_next_to_market_rent(solve):
    """Demand rows carry the cheapest available on-demand rent per H100e-year beside the dual:
    here the cheap offer's $2 (the dual is $3 because its 60 units are used up)."""
    row = next(r for r in solve(scenario_doc(two_vendors())).tables["prices"]
               if r["constraint"] == "demand[training,2026]")
    assert row["value"] == pytest.approx(3.0)
    assert row["market_rent"] == pytest.approx(2.0)


# ---------------------------------------------------------------- hard resilience, checked independently


def _three_vendors_two_foundries() -> dict:
    """a and b are made at TSMC, c at Samsung; a is cheapest, c dearest."""
    def one(name: str, price_usd: float, foundry: str) -> dict:
        return vendor({f"{name}1": product(reference=name == "a", tags={"foundry": foundry})},
                      {"rent": offer(f"{name}1", price_usd, provider=f"cloud-{name}")})
    return {"a": one("a", 2.0, "tsmc"), "b": one("b", 2.5, "tsmc"), "c": one("c", 3.0, "samsung")}


@pytest.mark.parametrize("critical", [0.3, 0.6])
def test_hard_mode_covers_every_vendor_and_foundry_failure(solve, critical):
    """Hard N-1 over vendors and foundries: remove each failure's units from the plan and
    re-assign what is left by hand (one workload, so the covered compute is Σ surviving units
    x throughput); it must reach the critical fraction of demand. The independent recourse LP
    (optimizer.recourse.evaluate) must agree."""
    failures = [{"group": "vendor"}, {"group": "foundry"}]
    doc = scenario_doc(_three_vendors_two_foundries(), demand=100.0,
                       policy={"resilience": {"mode": "hard", "critical_fraction": critical, "failures": failures}})
    result = solve(doc, objective="cost")
    units = {r["vendor"]: r["active_units"] for r in result.tables["plan"]}
    foundry = {"a": "tsmc", "b": "tsmc", "c": "samsung"}
    failure_sets = [{v} for v in units] + [{v for v in units if foundry[v] == f} for f in ("tsmc", "samsung")]
    for lost in failure_sets:
        surviving = sum(u for v, u in units.items() if v not in lost)
        assert surviving >= critical * 100.0 * (1 - 1e-7), (lost, units)
    coverage = evaluate(result.plan_values)
    assert coverage and all(c.covered_fraction >= 1 - 1e-7 for c in coverage)
    # By hand: Samsung (c, $3) alone must carry ρD when TSMC fails, and no more; the cheapest
    # TSMC vendor (a, $2) serves the rest of demand and must itself carry ρD when c fails:
    # a = max((1 - ρ)D, ρD). ρ = 0.3: 30 x 3 + 70 x 2 = $230; ρ = 0.6: 60 x 3 + 60 x 2 = $300.
    assert units["c"] == pytest.approx(critical * 100.0)
    assert units["a"] == pytest.approx(max(1 - critical, critical) * 100.0)
    assert result.total_cost_usd == pytest.approx({0.3: 230.0, 0.6: 300.0}[critical])


def test_common_mode_what_if_reports_coverage_per_failure():
    """The common-mode what-if adds foundry, memory and region failures; the result carries a
    coverage row per failure, period and workload, and each is between 0 and 1."""
    scenario = cpo.load(EXAMPLES / "openai.yaml", whatifs=[EXAMPLES / "whatif" / "common-mode.yaml"])
    result = cpo.solve(scenario)
    failures = {r["failure"] for r in result.tables["resilience"]}
    assert {"tsmc-cowos", "uae-export-ban"} <= failures
    assert any(f.startswith("memory.") for f in failures)
    assert all(0 <= r["covered_fraction"] <= 1 + 1e-9 for r in result.tables["resilience"])
