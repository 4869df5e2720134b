"""Package bids (#17, instrument 2), each on a tiny model answered by hand.

The base case is architecture.md's: demand 100 H100e for 2026, cheap on-demand capacity at $2
(catalog cap 60 units), dear at $3. Without a package the plan is 60 cheap + 40 dear = $240.
A package's items are signed at no vendor price (the payments are the bundle's price), outside
the catalog's caps.
"""

from __future__ import annotations

import pytest

import optimizer as cpo
from conftest import acquired, scenario_doc, two_vendors
from test_verify import drop


def package(units: float = 40, payments=None, period=2026, **fields) -> dict:
    return {"name": "bundle", "counterparty": "Cheap Co",
            "items": [{"covers": {"offer": "cheap/rent"}, "period": period, "units": units}],
            "payments": payments or {2026: 100}, "source": "test"} | fields


def row(result) -> dict:
    return next(r for r in result.tables["packages"] if r["package"] == "bundle")


@pytest.mark.parametrize("integer", [False, True])
@pytest.mark.parametrize("payment, taken, cost", [(100.0, 1.0, 220.0), (130.0, 0.0, 240.0)])
def test_a_bundle_is_taken_when_worth_its_price_and_refused_when_not(solve, integer, payment, taken, cost):
    """40 more cheap units for $100: they replace 40 dear units ($120), so the bundle is taken:
    60 x 2 + 100 = $220. At $130 it is refused: $240. Either way it is worth 240 − 120 = $120
    (the plan with it free): the most it could cost and still be taken; surplus 120 − price."""
    doc = scenario_doc(two_vendors(), packages=[package(payments={2026: payment})], milp={"integer": integer})
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(cost)
    assert result.cost_breakdown_usd["packages"] == pytest.approx(payment * taken)
    assert acquired(result, "cheap/rent#bundle") == pytest.approx(40 * taken)
    table = row(result)
    assert table["taken"] == pytest.approx(taken)
    assert (table["price_usd"], table["value_usd"], table["surplus_usd"]) == pytest.approx((payment, 120.0, 120 - payment))


@pytest.mark.parametrize("integer, taken, cost", [(False, 0.8, 208.0), (True, 1.0, 210.0)])
def test_the_lp_takes_a_pro_rata_share_and_the_milp_the_whole_bundle(solve, integer, taken, cost):
    """50 cheap units for $110 ($2.20 a unit: dearer than cheap's $2, cheaper than dear's $3).
    The LP takes the 40 units that replace dear, 0.8 of the bundle at 0.8 of its price:
    60 x 2 + 88 = $208. Whole, all 50 are taken and cheap drops to 50: 100 + 110 = $210 < $240.
    Worth 240 − 100 = $140 in both (the bundle free and whole: 50 free units, 50 cheap)."""
    doc = scenario_doc(two_vendors(), packages=[package(units=50, payments={2026: 110})], milp={"integer": integer})
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(cost)
    assert row(result)["taken"] == pytest.approx(taken)
    assert acquired(result, "cheap/rent#bundle") == pytest.approx(50 * taken)
    assert acquired(result, "cheap/rent") == pytest.approx(60 if not integer else 50)
    assert row(result)["value_usd"] == pytest.approx(140.0)


def test_a_bundle_in_quarters_paid_in_two_instalments(solve):
    """Quarters of 2026 (cap 60 cheap units a year counts a quarter each: 240 unit-quarters; 400
    needed). 40 units for 2026Q2, $10 at 2026Q1 and $10 at 2026Q3: without it, 240 cheap and
    160 dear unit-quarters cost 0.25 x (480 + 480) = $240; with it, 120 dear unit-quarters:
    0.25 x (480 + 360) + 20 = $230. Worth 240 − 210 = $30, surplus $10."""
    doc = scenario_doc(two_vendors(), periods={"start": 2026, "end": 2026, "step": "quarter"},
                       packages=[package(period="2026Q2", payments={"2026Q1": 10, "2026Q3": 10})])
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(230.0)
    assert acquired(result, "cheap/rent#bundle", "2026Q2") == pytest.approx(40)
    assert (row(result)["value_usd"], row(result)["surplus_usd"]) == pytest.approx((30.0, 10.0))


def test_a_billion_h100e_bundle_with_financing_discounted_by_its_dates(solve):
    """2026-2027 at 10%, demand 1e9 in 2027 only, cheap cap 6e8: the other 4e8 units cost
    4e8 x 3 / 1.1 = $1.0909e9 of present value on dear. Two bids of 4e8 cheap units for 2027:
    `bundle` for $0.044e9 at the start of 2026 and $1.32e9 at the start of 2027, $1.244e9 of
    present value (refused); `financed` for $1.1e9 in 2026 with $0.121e9 back in 2027 (a
    negative payment), $1.1e9 − $0.11e9 = $0.99e9 (taken). Cost 6e8 x 2 / 1.1 + 0.99e9 =
    $2.0809e9. Values: `financed` 2.1818e9 − 1.0909e9 = $1.0909e9 (without it, dear); `bundle`
    2.0809e9 − 1.0909e9 = $0.99e9 (free, it replaces `financed`)."""
    doc = scenario_doc(two_vendors(cheap_cap=6e8), demand={2026: 0, 2027: 1e9}, end=2027, discount_rate=0.1,
                       packages=[package(units=4e8, period=2027, payments={2026: 0.044e9, 2027: 1.32e9}),
                                 package(name="financed", units=4e8, period=2027,
                                         payments={2026: 1.1e9, 2027: -0.121e9})])
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(1.2e9 / 1.1 + 0.99e9)
    bundle, financed = result.tables["packages"]
    assert (bundle["taken"], financed["taken"]) == pytest.approx((0.0, 1.0))
    assert (bundle["price_usd"], financed["price_usd"]) == pytest.approx((1.244e9, 0.99e9))
    assert (bundle["value_usd"], financed["value_usd"]) == pytest.approx((0.99e9, 1.2e9 / 1.1))
    assert acquired(result, "cheap/rent#financed", "2027") == pytest.approx(4e8)


@pytest.mark.parametrize("change, where", [
    ({"items": [{"covers": {"vendor": ["cheap", "dear"]}, "period": 2026, "units": 1}]},
     "packages[0].items[0].covers: found 2 offer instances (cheap/rent, dear/rent), expected a selector that picks "
     "exactly one"),
    ({"items": [{"covers": {"offer": "cheap/rent"}, "period": 2027, "units": 1}]},
     "packages[0].items[0].period: found '2027', expected a period of the horizon"),
    ({"payments": {2030: 5}}, "packages[0].payments.2030: found '2030', expected a payment inside the horizon"),
    ({"payments": 100}, "packages[0].payments: found 100, expected a mapping of periods to dollars"),
    ({"items": []}, "packages[0].items"),
])
def test_bad_packages_are_located_errors(make_scenario, change, where):
    with pytest.raises(cpo.ConfigError) as error:
        make_scenario(scenario_doc(two_vendors(), packages=[package() | change]))
    assert where in str(error.value)


def test_an_item_the_offer_cannot_sign_then_is_refused(make_scenario):
    doc = scenario_doc(two_vendors(), end=2027, packages=[package(period=2027)])
    doc["catalog"]["cheap"]["offers"]["rent"]["available"]["to"] = 2026
    with pytest.raises(cpo.ConfigError, match=r"packages\[0\]\.items\[0\]\.period: found '2027', when cheap/rent "
                                              "cannot be signed"):
        make_scenario(doc)


def test_verify_refuses_a_plan_that_takes_the_items_without_the_bundle(make_scenario, monkeypatch):
    """Without the package rows the copies are free units (price 0, take 0): the solver signs 40
    of them for nothing, and verify() finds x[copy] = 40 where N · take = 0."""
    scenario = make_scenario(scenario_doc(two_vendors(), packages=[package()]))
    drop("packages")(monkeypatch)
    with pytest.raises(cpo.VerificationError):
        cpo.solve(scenario, objective="cost")
