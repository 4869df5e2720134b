"""Deals (take-or-pay, financing, tranches, delivery, exclusivity) and the MILP options
(whole lots, minimum cluster, porting), each on a tiny model answered by hand."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import optimizer as cpo
from conftest import EXAMPLES, acquired, offer, price, product, scenario_doc, two_vendors, vendor
from optimizer.cli import app


def deal(**fields) -> dict:
    return {"name": "d", "counterparty": "Dear Co", "covers": {"vendor": "dear"}, "from": 2026,
            "source": "test"} | fields


def deal_row(result, name: str = "d") -> dict:
    return next(r for r in result.tables["deals"] if r["deal"] == name)


def test_take_or_pay_shortfall_is_paid_when_cheaper_than_buying(solve):
    """Demand 20. Dear sells owned units at $3 (paid to it) plus $0.5 of facility capex per unit
    (not paid to it); cheap rents at $2. The lab owes dear $90. Serving all 20 on dear costs
    20 x 3.5 and leaves a $30 shortfall: $100, versus $40 + $90 = $130 all cheap. A 21st (idle)
    dear unit would cost $3.5 to save $3 of shortfall, so the rest is paid as shortfall; one
    more dollar of minimum costs one dollar."""
    catalog = {"cheap": vendor({"c1": product(reference=True)}, {"rent": offer("c1", 2.0)}),
               "dear": vendor({"d1": product()}, {"own": offer("d1", 0.0, channel="buy", provider="self",
                                                                upfront=3.0, term=1)})}
    doc = scenario_doc(catalog, demand=20, sites={"dc": {"power_mw": 1.0, "pue": 1.0, "region": "us",
                                                         "facility_capex_usd_per_kw": 0.5}},
                       deals=[deal(min_spend_usd=90)])
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(100.0)
    assert acquired(result, "dear/own@dc") == pytest.approx(20)
    row = deal_row(result)
    assert (row["min_spend_usd"], row["spend_usd"], row["shortfall_usd"]) == pytest.approx((90.0, 60.0, 30.0))
    assert result.cost_breakdown_usd["take_or_pay"] == pytest.approx(30.0)
    assert price(result, "take_or_pay[d]") == pytest.approx(1.0)


def test_take_or_pay_is_met_by_buying_when_that_is_cheaper(solve):
    """Demand 100, cheap $2 (cap 60), dear $3, minimum $150 with dear: the 40 dear units the lab
    needs anyway pay $120, so $30 is short; 10 more dear units (replacing cheap ones) cost $1
    each net and pay $3 each of the minimum: dear 50, cheap 50, cost $250, no shortfall."""
    result = solve(scenario_doc(two_vendors(), deals=[deal(min_spend_usd=150)]))
    assert result.total_cost_usd == pytest.approx(250.0)
    assert acquired(result, "dear/rent") == pytest.approx(50)
    assert deal_row(result)["shortfall_usd"] == pytest.approx(0.0)


@pytest.mark.parametrize("rate, cost, dear_units", [(0.9, 200.0, 0.0), (1.1, 190.0, 100.0)])
def test_financing_credit_flips_the_choice_at_the_break_even_rate(solve, rate, cost, dear_units):
    """Dear ($3) credits `rate` per unit bought against cheap's $2: break-even at $1. Below,
    all cheap ($200); above, all dear: $300 - 100 x 1.1 = $190."""
    doc = scenario_doc(two_vendors(cheap_cap=None),
                       deals=[deal(financing={"rate": rate, "per": "unit", "cap_usd": 1000, "source": "test"})])
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(cost)
    assert acquired(result, "dear/rent") == pytest.approx(dear_units)
    assert deal_row(result)["credit_usd"] == pytest.approx(rate * dear_units)
    assert result.cost_breakdown_usd["financing_credit"] == pytest.approx(-rate * dear_units)


def test_financing_cap(solve):
    """Rate $1.1 per dear unit, capped at $50: 50/1.1 = 45.45 dear units earn it (net $1.9 each),
    the rest is cheap: 200 - 0.1 x 45.45 = $195.45; one more dollar of cap saves 0.1/1.1."""
    doc = scenario_doc(two_vendors(cheap_cap=None),
                       deals=[deal(financing={"rate": 1.1, "per": "unit", "cap_usd": 50, "source": "test"})])
    result = solve(doc)
    assert acquired(result, "dear/rent") == pytest.approx(50 / 1.1)
    assert result.total_cost_usd == pytest.approx(200 - 0.1 * 50 / 1.1)
    assert price(result, "financing_cap[d]") == pytest.approx(0.1 / 1.1)


@pytest.mark.parametrize("credit, cost, vested", [(70.0, 190.0, 1.0), (50.0, 200.0, 0.0)])
def test_tranche_worth_reaching_or_not(solve, credit, cost, vested):
    """A tranche pays `credit` once 60 dear units are active in 2026. Reaching it moves 60 units
    from $2 to $3 ($60): worth it for $70 (cost $190), not for $50 (cost $200)."""
    financing = {"measure": "units", "tranches": [{"reach": 60, "by": 2026, "credit_usd": credit}], "source": "test"}
    doc = scenario_doc(two_vendors(cheap_cap=None), deals=[deal(financing=financing)],
                       milp={"integer": True})
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(cost)
    assert deal_row(result)["tranches_vested"] == pytest.approx(vested)


def test_unreachable_tranche_vests_pro_rata_in_the_lp_and_not_at_all_in_the_milp(solve):
    """Dear is capped at 50 units, the $70 tranche needs 60. The LP relaxation vests 50/60 of it
    for $50 more spend: 200 + 50 - 70 x 5/6 = $191.67; the MILP cannot reach it: $200."""
    financing = {"measure": "units", "tranches": [{"reach": 60, "by": 2026, "credit_usd": 70}], "source": "test"}
    doc = scenario_doc(two_vendors(cheap_cap=None, dear_cap=50), deals=[deal(financing=financing)])
    assert solve(doc).total_cost_usd == pytest.approx(250 - 70 * 5 / 6)
    doc["milp"] = {"integer": True}
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(200.0)
    assert result.mip_gap is not None and result.mip_gap <= 1e-3


def test_share_tranche(solve):
    """An investment of $30 if dear serves at least 20% of demand: 20 units moved at $1 each."""
    financing = {"measure": "share", "tranches": [{"reach": 0.2, "by": 2026, "credit_usd": 30}], "source": "test"}
    result = solve(scenario_doc(two_vendors(cheap_cap=None), deals=[deal(financing=financing)], milp={"integer": True}))
    assert result.total_cost_usd == pytest.approx(200 + 20 - 30)
    assert acquired(result, "dear/rent") == pytest.approx(20)


def test_exclusivity_forces_a_provider(solve):
    """Training may run only on the deal's offers (dear): all 100 at $3."""
    result = solve(scenario_doc(two_vendors(), deals=[deal(exclusive=["training"])]))
    assert result.total_cost_usd == pytest.approx(300.0)
    assert acquired(result, "cheap/rent") == pytest.approx(0.0)


def test_delivery_schedule_and_start(solve):
    """Cheap (1 kW per unit at the cloud PUE 1.2) is a deal that delivers nothing before 2027
    and at most 0.06 MW (50 units) from then: 2026 all dear ($300), 2027 50 + 50 ($250);
    1 MW more in 2027 moves 833 units from $3 to $2."""
    doc = scenario_doc(two_vendors(cheap_cap=None), end=2027,
                       deals=[deal(name="late", covers={"vendor": "cheap"}, **{"from": 2027}, max_mw=0.06)])
    result = solve(doc)
    assert acquired(result, "cheap/rent", "2026") == pytest.approx(0.0)
    assert acquired(result, "cheap/rent", "2027") == pytest.approx(50.0)
    assert result.total_cost_usd == pytest.approx(550.0)
    assert price(result, "delivery[late,2027]") == pytest.approx(1 / 0.0012)


def test_integer_lots_are_whole(solve):
    """Units come in lots of 72: demand 100 needs two cheap lots (144 units, $288) rather than
    100 units for $200."""
    result = solve(scenario_doc(two_vendors(cheap_cap=None), milp={"integer": True, "lot_units": 72}))
    assert result.status == "optimal" and result.mip_gap <= 1e-3
    assert acquired(result, "cheap/rent") == pytest.approx(144)
    assert result.total_cost_usd == pytest.approx(288.0)
    for row in result.tables["plan"]:
        assert row["acquired_units"] / 72 == pytest.approx(round(row["acquired_units"] / 72), abs=1e-9)


def test_a_tranche_whole_lots_cannot_reach_falls_back_to_the_whole_milp(solve):
    """Dear is capped at 100 units and a $150 tranche needs 100 dear units: the relaxation (lots
    relaxed) takes it, but with lots of 72 dear can hold only 72. The plan is two cheap lots,
    $288, not an infeasibility."""
    financing = {"measure": "units", "tranches": [{"reach": 100, "by": 2026, "credit_usd": 150}], "source": "test"}
    doc = scenario_doc(two_vendors(cheap_cap=None, dear_cap=100), deals=[deal(financing=financing)],
                       milp={"integer": True, "lot_units": 72})
    result = solve(doc)
    assert result.status == "optimal"
    assert result.total_cost_usd == pytest.approx(288.0)


def test_max_share_objective_under_integer(solve):
    """Lexicographic max-share with whole lots of 10: 50/50 is reachable, $250."""
    result = solve(scenario_doc(two_vendors(cheap_cap=None), milp={"integer": True, "lot_units": 10}),
                   objective="max-share")
    assert result.total_cost_usd == pytest.approx(250.0)
    assert acquired(result, "dear/rent") == pytest.approx(50)


def test_minimum_cluster(solve):
    """Cheap is capped at 60 units, and a run needs 70 units of one offer: dear hosts it,
    70 x 3 + 30 x 2 = $270 (the LP without the cluster: $240)."""
    doc = scenario_doc(two_vendors(), milp={"integer": True, "min_cluster_units": {"training": 70}})
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(270.0)
    assert acquired(result, "dear/rent") == pytest.approx(70)


@pytest.mark.parametrize("porting_usd, cost, dear_units", [(60.0, 200.0, 0.0), (40.0, 190.0, 100.0)])
def test_porting_cost(solve, porting_usd, cost, dear_units):
    """Dear at $1.5 saves $50 on 100 units but needs its stack ported once: worth it for $40
    ($150 + $40), not for $60 (all cheap, $200)."""
    doc = scenario_doc(two_vendors(cheap_cap=None, dear_price=1.5),
                       milp={"integer": True, "porting": [{"vendor": "dear", "workload": "training",
                                                           "cost_usd": porting_usd, "source": "test"}]})
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(cost)
    assert acquired(result, "dear/rent") == pytest.approx(dear_units)
    assert result.cost_breakdown_usd["porting"] == pytest.approx(porting_usd if dear_units else 0.0)


def test_milp_prices_come_from_the_lp_with_integers_fixed(solve):
    """Lots of 72 with demand 100 leave 44 idle units: with the lots fixed, one more H100e of
    demand costs nothing, and the fixed LP's duals say so."""
    result = solve(scenario_doc(two_vendors(cheap_cap=None), milp={"integer": True, "lot_units": 72}))
    assert price(result, "demand[training,2026]") == pytest.approx(0.0)


def test_an_impossible_cluster_is_diagnosed_on_the_relaxation_and_says_so():
    """Tiny's offers can hold 60 + 100 units; a 200-unit cluster cannot be had: exit 3, and the
    diagnosis says it worked on the LP relaxation."""
    result = CliRunner().invoke(app, ["solve", str(EXAMPLES.parent / "tests" / "data" / "tiny.yaml"), "--integer",
                                      "--set", "milp.min_cluster_units={training: 200}", "--json"])
    assert result.exit_code == 3
    document = json.loads(result.stdout)
    assert document["relaxations"] and "LP relaxation" in document["note"]


def test_bad_deals_and_milp_options_are_located(make_scenario):
    tranche = {"reach": 1, "by": 2026, "credit_usd": 1}
    doc = scenario_doc(two_vendors(), end=2027, deals=[
        deal(covers={"vendor": "nobody"}, exclusive=["chess"]),
        deal(name="late", **{"from": 2027}, financing={"measure": "mw", "tranches": [tranche], "source": "t"})],
        milp={"porting": [{"vendor": "dear", "workload": "training", "cost_usd": 1, "source": "t"}] * 2})
    with pytest.raises(cpo.ConfigError) as error:
        make_scenario(doc)
    text = str(error.value)
    assert "deals[0].covers.vendor: found 'nobody'" in text
    assert "deals[0].exclusive[0]: found workload 'chess'" in text
    assert "deals[1].financing.tranches[0].by: found '2026', expected a period inside the deal's window" in text
    assert "milp.porting[1]: found dear/training again" in text
    with pytest.raises(cpo.ConfigError, match=r"deals\[0\]\.financing: a financing rate needs cap_usd"):
        make_scenario(scenario_doc(two_vendors(), deals=[deal(financing={"rate": 2.0, "source": "t"})]))


def test_openai_deals_rows_meet_their_minimums():
    """The done-when: a row for each of the articles' deals, spend + shortfall >= minimum."""
    result = CliRunner().invoke(app, ["solve", str(EXAMPLES / "openai.yaml"), "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["deals"]
    assert len(rows) >= 6
    for row in rows:
        if row["min_spend_usd"] is not None:
            assert row["spend_usd"] + row["shortfall_usd"] >= row["min_spend_usd"] * (1 - 1e-9), row["deal"]
    assert any(row["credit_usd"] > 0 for row in rows)


def test_openai_milp_solves_to_a_proven_small_gap():
    scenario = cpo.load(EXAMPLES / "openai.yaml", overrides={"milp.integer": True})
    result = cpo.solve(scenario, time_limit=60)
    assert result.status == "optimal"
    assert result.mip_gap is not None and result.mip_gap <= 1e-3
    lot = scenario.data.milp.lot_units
    for row in result.tables["plan"]:
        assert row["acquired_units"] / lot == pytest.approx(round(row["acquired_units"] / lot), abs=1e-6)


@pytest.mark.parametrize("size, step", [(1e3, "year"), (1e6, "year"), (1e5, "quarter")])
def test_whole_lots_of_one_unit_at_large_demand_are_exact(solve, size, step):
    """Lots of one unit under --integer, demand 100 x size, cheap $2 (60 x size per year), dear $3:
    the plan is 60 cheap + 40 dear, (120 + 120) x size (in quarters, four rentals of each a year).
    HiGHS 1.16's MIP presolve returned 60 + 100 units (420 x size) as optimal with gap 0 once lots
    numbered 1e5 (solver.SMALL_MILP_COLUMNS)."""
    result = solve(scenario_doc(two_vendors(cheap_cap=60 * size), demand=100 * size, milp={"integer": True},
                                periods={"start": 2026, "end": 2026, "step": step}))
    rentals = 4 if step == "quarter" else 1
    assert result.total_cost_usd == pytest.approx(240 * size)
    assert (acquired(result, "cheap/rent"), acquired(result, "dear/rent")) == pytest.approx(
        (60 * size * rentals, 40 * size * rentals))


def test_lots_too_many_to_count_exactly_are_refused(make_scenario):
    """1e9 H100e of demand in lots of one unit: counts of 1e9 lots, which HiGHS does not hold
    exactly (it called a plan leaving all demand unmet optimal); refused at milp.lot_units,
    with the smallest lot that works."""
    with pytest.raises(cpo.ConfigError) as error:
        make_scenario(scenario_doc(two_vendors(cheap_cap=6e8), demand=1e9, milp={"integer": True}))
    assert "milp.lot_units: found 1 unit(s) per lot" in str(error.value)
    assert "lot_units of at least 10" in str(error.value)
