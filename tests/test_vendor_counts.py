"""Vendor-count rules (policy.vendor_counts), each on a tiny model answered by hand.

The market: demand 100 H100e in 2026; vendors a at $2, b at $3 and c at $4 per unit-year (on
demand, 1 H100e each), optionally capped. A rule's cost is the re-solve with N moved by one.
"""

from __future__ import annotations

import pytest

import optimizer as cpo
from conftest import acquired, offer, product, scenario_doc, vendor


def market(a_cap=None, b_cap=None, size: float = 1.0, integer: bool = True, rule=None, **extra) -> dict:
    """The three vendors, every amount (demand, caps, the lot under --integer) x `size`."""
    def cap(value):
        return None if value is None else value * size

    catalog = {"a": vendor({"a1": product(reference=True)}, {"rent": offer("a1", 2.0, provider="pa", cap=cap(a_cap))}),
               "b": vendor({"b1": product()}, {"rent": offer("b1", 3.0, provider="pb", cap=cap(b_cap))}),
               "c": vendor({"c1": product()}, {"rent": offer("c1", 4.0, provider="pc")})}
    return scenario_doc(catalog, demand=100 * size, policy={"vendor_counts": [rule]},
                        milp={"integer": integer, "lot_units": size}, **extra)


def count_row(result, period: str = "2026") -> dict:
    return next(r for r in result.tables["vendor_counts"] if r["period"] == period)


@pytest.mark.parametrize("integer, size, step", [(False, 1.0, "year"), (True, 1.0, "year"), (True, 1.0, "quarter"),
                                                 (True, 1e7, "year")])
def test_min_vendors_cost_n_versus_n_plus_one(solve, integer, size, step):
    """At least 2 vendors with 10% each: a serves 90, b (the next cheapest) 10: 180 + 30 = $210.
    At least 3: a 80, b 10, c 10: 160 + 30 + 40 = $230. The third vendor costs $20 =
    10 H100e x ($4 - $2). The LP relaxation agrees here (each member's count can reach 1 only at
    10% of demand, and the cheapest way to count is whole members). The same in each quarter
    (four quarterly rentals pay a year's rent), and x 1e7 at 1e9 H100e."""
    periods = {"start": 2026, "end": 2026, "step": step}
    two = solve(market(size=size, rule={"min": 2, "min_share": 0.1}, integer=integer, periods=periods))
    three = solve(market(size=size, rule={"min": 3, "min_share": 0.1}, integer=integer, periods=periods))
    assert two.total_cost_usd == pytest.approx(210.0 * size)
    assert three.total_cost_usd == pytest.approx(230.0 * size)
    assert three.total_cost_usd - two.total_cost_usd == pytest.approx(20.0 * size)
    quarters = 4 if step == "quarter" else 1
    assert [acquired(three, f"{v}/rent") for v in "abc"] == pytest.approx([80 * size * quarters, 10 * size * quarters,
                                                                          10 * size * quarters])
    for row in three.tables["vendor_counts"]:
        assert (row["members_serving"], row["members_counted"], row["members"]) == (3, 3, "a 80.0%, b 10.0%, c 10.0%")


@pytest.mark.parametrize("integer", [True, False])
def test_min_vendors_counted_whole_without_integer(solve, integer):
    """b can sell only 5 units, under its 10%. The second vendor must be c at 10%: a 90, c 10,
    $220, with or without --integer (counted is binary in every solve: relaxed, b and c at 5% each
    would count as half a member each, a 90, b 5, c 5 = $215 with only a really counted)."""
    result = solve(market(b_cap=5, rule={"min": 2, "min_share": 0.1}, integer=integer))
    assert result.total_cost_usd == pytest.approx(220.0)
    assert [acquired(result, f"{v}/rent") for v in "abc"] == pytest.approx([90, 0, 10])
    assert count_row(result)["members_counted"] == 2


@pytest.mark.parametrize("size", [1.0, 1e7])
def test_max_vendors_cost_n_versus_n_plus_one(solve, size):
    """a sells at most 60, b 30. At most 3 vendors (no rule in effect): a 60, b 30, c 10 =
    120 + 90 + 40 = $250. At most 2: a 60 + c 40 = $280 (b 30 + c 70 = $370; a + b leaves 10 unmet
    at $1000). Two vendors instead of three cost $30; x 1e7 at 1e9 H100e."""
    two = solve(market(60, 30, size, rule={"max": 2}))
    three = solve(market(60, 30, size, rule={"max": 3}))
    assert two.total_cost_usd == pytest.approx(280.0 * size)
    assert three.total_cost_usd == pytest.approx(250.0 * size)
    assert [acquired(two, f"{v}/rent") for v in "abc"] == pytest.approx([60 * size, 0, 40 * size])
    assert (count_row(two)["members_serving"], count_row(two)["members"]) == (2, "a 60.0%, c 40.0%")


def test_max_vendors_per_quarter_can_rotate_within_a_yearly_cap(solve):
    """The same market in quarters: the rule holds in each quarter, while b's cap is per year
    (30 unit-years = 120 quarter rentals), so b can sell 40 in each of three quarters and c the
    last: no quarter has more than two vendors and the year costs what three vendors did, $250
    ((3 x (120 + 120) + (120 + 160)) / 4)."""
    result = solve(market(60, 30, rule={"max": 2}, periods={"start": 2026, "end": 2026, "step": "quarter"}))
    assert result.total_cost_usd == pytest.approx(250.0)
    assert all(row["members_serving"] <= 2 for row in result.tables["vendor_counts"])


@pytest.mark.parametrize("integer", [True, False])
def test_max_one_vendor_binds_without_integer(solve, integer):
    """At most 1 vendor with a capped at 60: all 100 on b, $300, with or without --integer
    (relaxed, counted >= share would let a 60% + b 40% count 0.6 + 0.4 = 1: $240)."""
    result = solve(market(a_cap=60, rule={"max": 1}, integer=integer))
    assert result.total_cost_usd == pytest.approx(300.0)
    assert acquired(result, "b/rent") == pytest.approx(100.0)


def test_rule_holds_only_in_its_window(solve):
    """At most 1 vendor from 2027 in a 2026-2027 horizon: 2026 is a 60 + b 40 ($240), 2027 all b
    ($300): $540. The table has 2027 alone."""
    result = solve(market(a_cap=60, rule={"max": 1, "from": 2027}, end=2027))
    assert result.total_cost_usd == pytest.approx(540.0)
    assert [r["period"] for r in result.tables["vendor_counts"]] == ["2027"]
    assert acquired(result, "a/rent", "2026") == pytest.approx(60.0)


def test_group_provider(solve):
    """Rules count members of any group: at most 1 provider, a capped at 60: all on pb, $300."""
    result = solve(market(a_cap=60, rule={"group": "provider", "max": 1}))
    assert result.total_cost_usd == pytest.approx(300.0)
    assert count_row(result)["members"] == "pb 100.0%"


@pytest.mark.parametrize("rule, extra, where, message", [
    ({"min": 4}, {}, "policy.vendor_counts[0].min",
     "found 4, expected at most the 3 vendor member(s) that can serve demand in 2026 (a, b, c)"),
    ({"min": 3}, {"start": 2026}, "policy.vendor_counts[0].min",
     "found 3, expected at most the 2 vendor member(s) that can serve demand in 2026 (a, b)"),
    ({"min": 3, "min_share": 0.4}, {}, "policy.vendor_counts[0].min_share",
     "found min 3 x min_share 0.4 = 120% of demand, expected at most 100%"),
    ({"group": "foundry", "max": 1}, {}, "policy.vendor_counts[0].group", "found 'foundry', expected one of"),
    ({"min": 3, "max": 2}, {}, "policy.vendor_counts[0]", "found min 3 above max 2, expected min <= max"),
    ({"min_share": 0.1}, {}, "policy.vendor_counts[0]", "give min, max or both"),
    ({"min": 0}, {}, "policy.vendor_counts[0].min", "found 0, expected a number >= 1"),
])
def test_bad_rules_are_refused_at_their_field(make_scenario, rule, extra, where, message):
    """The second case: c is available only from 2027, so in 2026 two vendors can serve."""
    doc = market(rule=rule, end=2027)
    if extra:
        doc["catalog"]["c"]["offers"]["rent"]["available"]["from"] = 2027
    with pytest.raises(cpo.ConfigError) as caught:
        make_scenario(doc).data
    problems = [str(p) for p in caught.value.problems]
    assert any(f": {where}:" in p and message in p for p in problems), problems
