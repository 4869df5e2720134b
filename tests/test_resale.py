"""Resale and sublease (#17, instrument 6): owned units sold, reserved ones sublet, before their
terms end; every answer worked out by hand.

The common case (`owned_doc`), 2026-2027, demand 100 H100e in 2026 and 40 in 2027:
- own: a `buy` offer signable in 2026 only, $10 upfront per unit, $1 a unit-year of opex
  (recurring), a 2-year term (so no salvage at the end of 2027), lead 0;
- rent: on demand at $8 a unit-year;
- resale of own: curve {0: 0.8, 1: 0.6, 2: 0.2} of the $10 upfront, age = years since signing.
Without resale: a unit for 2026 alone costs 10 + 2 x 1 = $12 owned (idle in 2027) against $8
rented, so 40 owned (40 x 12 = 480) and 60 rented in 2026 (480): $960. With resale, a unit
sold at the start of 2027 (age 1, f = 0.6) brings $6 and stops its 2027 opex: owned for 2026
alone it costs 10 + 1 − 6 = $5 < $8, so all 100 are bought and 60 sold. Keeping one of the 40
for 2027 costs 1 + 6 (the sale forgone) = $7 < $8 rented, so they are kept. Cost: upfront
1000 + opex 100 + 40 − resale 360 = $780.
"""

from __future__ import annotations

import copy

import pytest

import optimizer as cpo
from conftest import acquired, hall, offer, price, product, scenario_doc, vendor
from optimizer.commitments import from_result

CURVE = {0: 0.8, 1: 0.6, 2: 0.2}


def owned_doc(curve=None, power_mw: float = 1000.0, **extra) -> dict:
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"own": offer("p", 1.0, channel="buy", provider="self", upfront=10.0, term=2,
                                         end="2026Q1")}),
               "c": vendor({"q": product()}, {"rent": offer("q", 8.0)})}
    doc = scenario_doc(catalog, demand={2026: 100, 2027: 40}, end=2027, sites={"hall": hall(power_mw)},
                       resale=[{"match": {"vendor": "v"}, "curve": curve or CURVE, "source": "test"}])
    doc.update(extra)
    return doc


def quarters(doc: dict) -> dict:
    doc = copy.deepcopy(doc)
    doc["periods"]["step"] = "quarter"
    return doc


def sales(result) -> list[tuple]:
    return [(r["offer"], r["signed"], r["period"], r["kind"], pytest.approx(r["units"]), pytest.approx(r["fraction"]))
            for r in result.tables["resale"]]


def test_owned_units_are_bought_for_a_peak_and_sold_after_it(solve):
    """The module's case: buy 100, sell 60 at the start of 2027 at age 1 (0.6 x $10), $780; the
    sold units run nothing and pay no 2027 opex (recurring 100 + 40)."""
    result = solve(owned_doc())
    assert acquired(result, "v/own@hall") == pytest.approx(100)
    assert acquired(result, "c/rent") == pytest.approx(0)
    assert sales(result) == [("v/own@hall", "2026", "2027", "sale", pytest.approx(60), pytest.approx(0.6))]
    assert result.tables["resale"][0]["income_usd"] == pytest.approx(360.0)
    assert result.total_cost_usd == pytest.approx(780.0)
    breakdown = result.cost_breakdown_usd
    assert (breakdown["upfront"], breakdown["recurring"], breakdown["resale"]) == pytest.approx((1000.0, 140.0, -360.0))
    active = {r["period"]: r["active_units"] for r in result.tables["plan"] if r["offer"] == "v/own@hall"}
    assert active == {"2026": pytest.approx(100), "2027": pytest.approx(40)}


def test_without_a_resale_rule_the_peak_is_rented(solve):
    """The same case without `resale`: 40 owned and 60 rented, $960 (the module's docstring)."""
    doc = owned_doc()
    del doc["resale"]
    result = solve(doc)
    assert (acquired(result, "v/own@hall"), acquired(result, "c/rent", "2026")) == pytest.approx((40, 60))
    assert result.total_cost_usd == pytest.approx(960.0)
    assert result.tables["resale"] == []


def test_quarters_sell_at_the_same_age_for_the_same_income(solve):
    """Curve {0: 0.8, 1: 0.6, 2: 0}: in quarters the 60 units are sold at the start of 2027Q1,
    age 1, $360, as in years, and the answer is the same $780 (opex $0.25 a quarter). No later
    sale pays: selling the 40 at the start of 2027Qk (age 1 + (k−1)/4, f = 0.6 − 0.6 (k−1)/4)
    and renting them for the rest of 2027 gains 10 f + 0.25 (5 − k) and costs 2 (5 − k): k = 2,
    4.5 + 0.75 < 6; k = 3, 3 + 0.5 < 4; k = 4, 1.5 + 0.25 < 2."""
    curve = {0: 0.8, 1: 0.6, 2: 0.0}
    yearly, quarterly = solve(owned_doc(curve)), solve(quarters(owned_doc(curve)))
    assert yearly.total_cost_usd == pytest.approx(780.0)
    assert quarterly.total_cost_usd == pytest.approx(780.0)
    assert sales(quarterly) == [("v/own@hall", "2026Q1", "2027Q1", "sale", pytest.approx(60), pytest.approx(0.6))]
    assert quarterly.cost_breakdown_usd["resale"] == pytest.approx(-360.0)


def test_quarters_can_sell_late_in_a_year_where_years_cannot(solve):
    """The module's curve (f(1.75) = 0.6 − 0.4 x 0.75 = 0.3): in quarters the 40 kept units are
    sold at the start of 2027Q4 for $3 each, saving their last quarter's $0.25 of opex, and that
    quarter is rented at $2: 1.25 x 40 = $50 below the yearly $780, which cannot date a sale
    inside 2027: $730."""
    quarterly = solve(quarters(owned_doc()))
    assert sales(quarterly) == [("v/own@hall", "2026Q1", "2027Q1", "sale", pytest.approx(60), pytest.approx(0.6)),
                                ("v/own@hall", "2026Q1", "2027Q4", "sale", pytest.approx(40), pytest.approx(0.3))]
    assert quarterly.total_cost_usd == pytest.approx(730.0)
    assert quarterly.cost_breakdown_usd["resale"] == pytest.approx(-480.0)


def test_a_discounted_sale_is_worth_its_present_value(solve):
    """At 10% a year the sale at the start of 2027 is worth 360 / 1.1 = $327.27 today; buying for
    2026 alone still pays (10 + 1 − 6/1.1 = 5.55 < 8), keeping for 2027 too (7/1.1 < 8/1.1):
    1000 + 100 + 40/1.1 − 360/1.1 = $809.09."""
    result = solve(owned_doc(discount_rate=0.1))
    assert acquired(result, "v/own@hall") == pytest.approx(100)
    assert result.cost_breakdown_usd["resale"] == pytest.approx(-360 / 1.1)
    row = result.tables["resale"][0]
    assert (row["income_usd"], row["income_pv_usd"]) == pytest.approx((360.0, 360 / 1.1))
    assert result.total_cost_usd == pytest.approx(1100 + (40 - 360) / 1.1)


def test_a_sold_unit_earns_no_salvage_at_1e9_scale(solve):
    """A 3-year term: a unit signed in 2026 has a third of its life, $10/3, left at the end of
    2027. Demand 1e9 x (100, 40): a unit sold at the start of 2027 brings $6 and stops $1 of
    opex but gives up its $3.33 salvage; kept for 2027 it costs 1 + 6 − 3.33 = $3.67 < 8. So 100e9
    bought, 60e9 sold, 40e9 kept to the end: 1000 + 140 − 360 − 40 x 10/3 = $646.67 (x 1e9)."""
    doc = owned_doc(power_mw=2e8)
    doc["catalog"]["v"]["offers"]["own"]["term_years"]["value"] = 3
    doc["workloads"]["training"]["demand"] = {2026: 100e9, 2027: 40e9}
    result = solve(doc)
    assert acquired(result, "v/own@hall") == pytest.approx(100e9)
    assert result.tables["resale"][0]["units"] == pytest.approx(60e9)
    assert result.cost_breakdown_usd["salvage"] == pytest.approx(-40e9 * 10 / 3)
    assert result.total_cost_usd == pytest.approx((1140 - 360 - 400 / 3) * 1e9)


def test_a_resale_cap_binds_and_is_priced(solve):
    """At most 50 units a year: 90 bought (50 sold, 40 kept), the 10 more of 2026's peak rented:
    900 + 90 + 40 − 300 + 80 = $810. One more unit a year of cap buys one more unit instead of
    renting it: 8 − 5 = $3 per unit/yr."""
    doc = owned_doc()
    doc["resale"][0]["max_units_per_year"] = 50
    result = solve(doc)
    assert acquired(result, "v/own@hall") == pytest.approx(90)
    assert result.total_cost_usd == pytest.approx(810.0)
    assert price(result, "resale_cap[0,2027]") == pytest.approx(3.0)


def test_a_sale_does_not_reduce_what_a_deal_counts_as_paid(solve):
    """A take-or-pay of $1,140 with v: the plan pays v 1000 upfront + 100 + 40 of opex (the 60
    units sold pay none in 2027) = $1,140, met; the $360 of resale income is not a payment, so
    the minimum stays met and the plan and its $780 are unchanged."""
    deal = {"name": "d", "counterparty": "V", "covers": {"vendor": "v"}, "from": 2026, "min_spend_usd": 1140,
            "source": "test"}
    result = solve(owned_doc(deals=[deal]))
    row = result.tables["deals"][0]
    assert (row["spend_usd"], row["shortfall_usd"]) == pytest.approx((1140.0, 0.0))
    assert result.total_cost_usd == pytest.approx(780.0)


def reserved_doc(curve: dict, **extra) -> dict:
    """A 2-year reservation at $6 a unit-year (signable in 2026), on demand at $8, demand 100 then 40."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"res": offer("p", 6.0, channel="reserved", provider="r", term=2, end=2026)}),
               "c": vendor({"q": product()}, {"rent": offer("q", 8.0)})}
    return scenario_doc(catalog, demand={2026: 100, 2027: 40}, end=2027,
                        resale=[{"match": {"channel": "reserved"}, "curve": curve, "source": "test"}], **extra)


@pytest.mark.parametrize("fraction, cost, sublet", [(0.9, 876.0, 60.0), (0.5, 960.0, 0.0)])
def test_a_reservation_is_sublet_when_its_rent_beats_renting(solve, fraction, cost, sublet):
    """Sublet at the start of 2027 for the rest of its term, a reserved unit earns f x $6 while
    the lab keeps paying its $6. Reserving for 2026 alone then costs 12 − 6f against $8 on
    demand: at f = 0.9, 6.6 < 8: 100 reserved, 60 sublet, 1200 − 60 x 5.4 = $876; at f = 0.5,
    9 > 8: 40 reserved (480) and 60 on demand in 2026 (480), $960, nothing sublet. A deal's
    $1,200 minimum on v counts the rent paid on sublet units: met at f = 0.9."""
    deal = {"name": "d", "counterparty": "V", "covers": {"vendor": "v"}, "from": 2026,
            "min_spend_usd": 1200 if sublet else 480, "source": "test"}
    result = solve(reserved_doc({0: fraction}, deals=[deal]))
    assert result.total_cost_usd == pytest.approx(cost)
    assert sum(r["units"] for r in result.tables["resale"]) == pytest.approx(sublet)
    assert all(r["kind"] == "sublease" for r in result.tables["resale"])
    assert result.tables["deals"][0]["shortfall_usd"] == pytest.approx(0.0)
    if sublet:
        assert result.cost_breakdown_usd["recurring"] == pytest.approx(1200.0)
        assert result.cost_breakdown_usd["resale"] == pytest.approx(-324.0)


def test_sales_need_not_be_whole_lots(solve):
    """Lots of 7 on every offer: 2026's 100 need 15 lots of own (105 units; 14 lots and a lot
    of rent cost 980 + 98 + 40 + 56 − 58 x 6 = $826), of which 65 are sold, not a multiple of 7:
    1050 + 105 + 40 − 390 = $805."""
    result = solve(owned_doc(milp={"integer": True, "lot_units": 7}))
    assert acquired(result, "v/own@hall") == pytest.approx(105)
    assert result.tables["resale"][0]["units"] == pytest.approx(65)
    assert result.total_cost_usd == pytest.approx(805.0)


def test_a_held_plan_sells_its_surplus_when_demand_falls(tmp_path, make_scenario):
    """Base: demand 100 in both years, so 100 owned units (12 < 16 rented), $1,200, nothing sold.
    A what-if cuts 2027 to 40 after the 2026 signing is held (--commit-until 2026). Without
    resale the 60 idle units still pay their opex: $1,200, against $960 with foresight (40
    owned, 60 rented in 2026), a surprise cost of $240. With resale the held plan sells the 60
    at the start of 2027: 1200 − 60 x (6 + 1) = $780, which is also the foresight optimum
    (buy 100, sell 60), so the surprise cost falls by $240 to 0 and the held plan's cost by $420."""
    import yaml

    def outcome(with_resale: bool) -> tuple[float, float, object]:
        doc = owned_doc(**{"workloads": {"training": {"demand": 100, "voll": 1000.0}}})
        if not with_resale:
            del doc["resale"]
        path = tmp_path / f"base-{with_resale}.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        cut = tmp_path / "cut.yaml"
        cut.write_text(yaml.safe_dump({"description": "demand cut", "changes": [
            {"set": "workloads.training.demand", "to": {2026: 100, 2027: 40}}]}))
        base = cpo.solve(cpo.load(path), objective="cost")
        assert base.total_cost_usd == pytest.approx(1200.0) and base.tables["resale"] == []
        held = from_result(base, 2026)
        surprise = cpo.solve(cpo.load(path, whatifs=[cut], commitments=held), objective="cost")
        foresight = cpo.solve(cpo.load(path, whatifs=[cut]), objective="cost")
        return surprise.total_cost_usd, foresight.total_cost_usd, surprise

    held_cost, foresight_cost, _ = outcome(False)
    assert (held_cost, foresight_cost) == pytest.approx((1200.0, 960.0))
    held_cost, foresight_cost, surprise = outcome(True)
    assert (held_cost, foresight_cost) == pytest.approx((780.0, 780.0))
    assert sales(surprise) == [("v/own@hall", "2026", "2027", "sale", pytest.approx(60), pytest.approx(0.6))]


def test_evaluate_sells_a_held_plans_surplus(tmp_path, make_scenario):
    """cpo evaluate holds every signing of a plan file (100 own units in 2026) on the 100-then-40
    case: the evaluation sells 60 at the start of 2027, $780 (the module's plan)."""
    plan = tmp_path / "plan.csv"
    plan.write_text("offer,period,acquired_units\nv/own@hall,2026,100\n")
    frame = cpo.evaluate(make_scenario(owned_doc()), plan)
    assert frame.total_cost_usd[0] == pytest.approx(780.0)


def test_verify_refuses_a_plan_that_sells_more_than_it_signed(solve):
    """A tampered plan: 150 units sold of the 100 signed (resale_held); 250 a year, above a cap
    of 200 (resale_cap)."""
    from optimizer.plan import Plan
    from optimizer.verify import verify_plan

    doc = owned_doc()
    doc["resale"][0]["max_units_per_year"] = 200
    plan = solve(doc).plan_values
    (key, units), = ((k, v) for k, v in plan.sold.items() if v > 0)
    assert units == pytest.approx(60)
    verify_plan(plan)
    for sold, row in ((150.0, r"resale_held\[v/own@hall,2026\]"), (250.0, r"resale_cap\[0,2027\]")):
        tampered = Plan(plan.acquired, plan.assigned, plan.data, {**plan.decisions, "sold": {key: sold}})
        with pytest.raises(cpo.VerificationError, match=row):
            verify_plan(tampered)


@pytest.mark.parametrize("change, expected", [
    ({"curve": {0: 1.2}}, r"resale\[0\]\.curve\[0\]: found 1\.2, expected a number <= 1"),
    ({"curve": {-1: 0.5}}, r"resale\[0\]\.curve\.-1: found -1, expected a number >= 0"),
    ({"curve": {"a": 0.5}}, r"resale\[0\]\.curve\.a: found 'a', expected a number"),
    ({"curve": {}}, r"resale\[0\]\.curve: found a mapping, expected at least 1 item"),
    ({"match": {"vendor": "c"}}, r"resale\[0\]\.match: found 1 offers, none of them buy or reserved"),
    ({"from": 2030}, r"resale\[0\]: covers no period"),
])
def test_bad_resale_rules_are_located(make_scenario, change, expected):
    """Fractions outside [0, 1], negative or non-numeric ages, an empty curve, a match with no
    owned or reserved offer (c/rent is on demand) and a window outside the horizon: located
    ConfigErrors naming the field, what was found and what was expected."""
    doc = owned_doc()
    doc["resale"][0].update(change)
    with pytest.raises(cpo.ConfigError, match=expected):
        make_scenario(doc)


def test_an_offer_in_two_rules_is_an_error(make_scenario):
    doc = owned_doc()
    doc["resale"].append({"match": {"channel": "buy"}, "curve": {0: 0.5}, "source": "test"})
    with pytest.raises(cpo.ConfigError, match=r"resale\[1\]\.match: found v/own@hall, also matched by resale\[0\]"):
        make_scenario(doc)
