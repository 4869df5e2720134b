"""Volume tiers on a deal (deals[i].volume_tiers), each on a tiny model answered by hand.

The common market: demand 100 H100e in 2026, cheap rents at $2 (at most 60 units), dear at $3;
the deal covers dear, so its spend P is $3 per dear unit (capped at the ceiling C). Without
tiers the plan is 60 cheap + 40 dear = $240, P = $120.
"""

from __future__ import annotations

import copy

import pytest

import optimizer as cpo
from conftest import acquired, price, scenario_doc, two_vendors

ALL_UNITS = [{"from_usd": 0, "discount": 0.0}, {"from_usd": 150, "discount": 0.1}, {"from_usd": 330, "discount": 0.3}]


def tiered(tiers, kind: str = "all_units", up_to: float = 1000.0, integer: bool = True, size: float = 1.0,
           **extra) -> dict:
    """The common market with `tiers` on the dear deal; every amount (demand, caps, $ thresholds,
    the lot of whole units under --integer) x `size`, so the answers scale by `size`. (Lots of one
    unit at 1e9 H100e are 1e9 integers: HiGHS then reports everything unmet as optimal, with or
    without tiers.)"""
    scaled = [{"from_usd": t["from_usd"] * size, "discount": t["discount"]} for t in tiers]
    deal = {"name": "d", "counterparty": "Dear Co", "covers": {"vendor": "dear"}, "from": 2026, "source": "test",
            "volume_tiers": {"kind": kind, "up_to_usd": up_to * size, "tiers": scaled, "source": "test"}}
    deal |= extra.pop("deal", {})
    return scenario_doc(two_vendors(cheap_cap=60 * size), demand=100 * size, deals=[deal],
                        milp={"integer": integer, "lot_units": size}, **extra)


def tier_row(result) -> dict:
    return next(r for r in result.tables["tiers"] if r["deal"] == "d")


@pytest.mark.parametrize("size, step", [(1.0, "year"), (1.0, "quarter"), (1e7, "year")])
def test_all_units_tier_worth_buying_idle_units_for(solve, size, step):
    """All-units tiers: 10% from $150, 30% from $330. Under --integer, by hand:
    no tier: $240; tier 1: 10 units moved cheap -> dear (P = 150): 100 + 150 - 15 = $235;
    tier 2: all 100 on dear and 10 more dear units left idle (P = 330): 330 - 0.3 x 330 = $231,
    the best: the lab buys $30 it does not need to save $99 - $0. The tier's threshold $1 lower
    saves $1 of idle spend less 30 cents of rebate: tier_reach[d,2] = $0.7/$ (a re-solve with
    from_usd 329 costs 329 x 0.7 = $230.3). The same in quarters (four quarterly rentals of
    a unit pay what a year does), and x 1e7 at 1e9 H100e of demand."""
    periods = {"start": 2026, "end": 2026, "step": step}
    result = solve(tiered(ALL_UNITS, size=size, periods=periods))
    assert result.total_cost_usd == pytest.approx(231 * size)
    units = sum(r["acquired_units"] for r in result.tables["plan"] if r["offer"] == "dear/rent")
    assert units == pytest.approx(110 * size * (4 if step == "quarter" else 1))
    assert acquired(result, "cheap/rent") == pytest.approx(0.0)
    row = tier_row(result)
    assert (row["tier"], row["tier_from_usd"], row["discount"]) == (2, 330 * size, 0.3)
    assert row["spend_usd"] == pytest.approx(330 * size)
    assert row["rebate_usd"] == pytest.approx(99 * size)
    assert row["next_tier_from_usd"] is None and row["spend_to_next_tier_usd"] is None
    assert result.cost_breakdown_usd["volume_rebate"] == pytest.approx(-99 * size)
    assert price(result, "tier_reach[d,2]") == pytest.approx(0.7)


def test_tier_reach_price_is_the_finite_difference_of_the_threshold(solve):
    """tier_reach[d,2]'s price against a re-solve with tier 2's from_usd moved from $330 to $327:
    units are whole under --integer, so the threshold moves by one dear unit ($3), and the plan
    buys 109 dear units for 327 x 0.7 = $228.9, $2.1 = 3 x $0.7 less."""
    base = solve(tiered(ALL_UNITS))
    lower = copy.deepcopy(ALL_UNITS)
    lower[2]["from_usd"] = 327
    moved = solve(tiered(lower))
    assert acquired(moved, "dear/rent") == pytest.approx(109)
    assert moved.total_cost_usd == pytest.approx(327 * 0.7)
    assert (base.total_cost_usd - moved.total_cost_usd) / 3 == pytest.approx(price(base, "tier_reach[d,2]"))


def test_all_units_tier_is_binary_without_integer(solve):
    """Without --integer (no lots, relaxed tranches) the tier choice stays binary: its relaxation
    would earn P x max_k (d_k - K_k/C) = 0.3 P, the top discount on every dollar ($204 on the
    60 cheap + 40 dear plan, for a contract that pays nothing on $120). The plan is the MILP's:
    110 dear units, $231; the table reports the tier reached and no spend to go."""
    result = solve(tiered(ALL_UNITS, integer=False))
    assert result.total_cost_usd == pytest.approx(231.0)
    assert acquired(result, "dear/rent") == pytest.approx(110.0)
    row = tier_row(result)
    assert (row["tier"], row["rebate_usd"]) == pytest.approx((2, 99.0))
    assert result.mip_gap is not None and result.mip_gap <= 1e-3


@pytest.mark.parametrize("integer", [True, False])
def test_incremental_rebate_is_exact(solve, integer):
    """Incremental tiers: nothing on the first $60, 50% above. Every dear dollar above $60 costs
    50 cents, so dear at $1.5 beats cheap at $2: all 100 on dear, P = $300, rebate
    0.5 x (300 - 60) = $120 (= d_1 P - K_1 with K_1 = 0.5 x 60 = 30), cost $180, with or without
    --integer (a relaxed tier would earn P x (0.5 - 30/1000) = 0.47 P = $141: $159)."""
    tiers = [{"from_usd": 0, "discount": 0.0}, {"from_usd": 60, "discount": 0.5}]
    result = solve(tiered(tiers, kind="incremental", integer=integer))
    assert result.total_cost_usd == pytest.approx(180.0)
    assert acquired(result, "dear/rent") == pytest.approx(100.0)
    row = tier_row(result)
    assert (row["tier"], row["spend_usd"], row["rebate_usd"]) == pytest.approx((1, 300.0, 120.0))


@pytest.mark.parametrize("integer", [False, True])
def test_ceiling_stops_the_rebate_and_its_price(solve, integer):
    """The same incremental tiers with the ceiling C = $201: spend above it earns nothing, so
    dear is bought up to P = $201 (67 units at $3) and cheap serves the other 33 at $2:
    66 + 201 - 0.5 x (201 - 60) = $196.5 (P = 300 would cost 300 - 70.5 = $229.5; P = 120,
    240 - 30 = $210; 66 or 68 dear units $197 and $197.5). The LP relaxation's rate at the
    ceiling, 0.5 - 30/201, earns exactly R(C) there, so it agrees: its cost is 230 - C/6 for
    C > 180 (dear then costs 3 x (0.5 + 30/C) < $2 up to the ceiling), and a ceiling $1 higher
    saves $1/6 (tier_ceiling[d,1]: 1/3 unit more on dear, +$1/3, rebate +$0.5), as a re-solve
    with up_to_usd 202 shows."""
    tiers = [{"from_usd": 0, "discount": 0.0}, {"from_usd": 60, "discount": 0.5}]
    result = solve(tiered(tiers, kind="incremental", up_to=201, integer=integer))
    assert result.total_cost_usd == pytest.approx(196.5)
    assert acquired(result, "dear/rent") == pytest.approx(67)
    row = tier_row(result)
    assert (row["spend_usd"], row["counted_spend_usd"], row["rebate_usd"]) == pytest.approx((201.0, 201.0, 70.5))
    if not integer:
        assert price(result, "tier_ceiling[d,1]") == pytest.approx(1 / 6)
        higher = solve(tiered(tiers, kind="incremental", up_to=202, integer=False))
        assert result.total_cost_usd - higher.total_cost_usd == pytest.approx(1 / 6)


def test_rebate_is_paid_at_the_end_of_the_window(solve):
    """The incremental deal of test_incremental_rebate_is_exact over 2026 alone, in a 2026-2027
    horizon at 10%: the $120 rebate is paid at the end of 2026, worth 120 / 1.1 today; 2027
    (no deal) is 60 cheap + 40 dear, $240 / 1.1. 2026 still goes all dear: 300 - 109.09 beats
    240 - 30 / 1.1."""
    tiers = [{"from_usd": 0, "discount": 0.0}, {"from_usd": 60, "discount": 0.5}]
    doc = tiered(tiers, kind="incremental", end=2027, discount_rate=0.1, deal={"to": 2026})
    result = solve(doc)
    assert acquired(result, "dear/rent", "2026") == pytest.approx(100.0)
    assert acquired(result, "dear/rent", "2027") == pytest.approx(40.0)
    assert result.cost_breakdown_usd["volume_rebate"] == pytest.approx(-120 / 1.1)
    assert result.total_cost_usd == pytest.approx(300 - 120 / 1.1 + 240 / 1.1)


@pytest.mark.parametrize("change, where, message", [
    (lambda t: t["tiers"][0].update(from_usd=10), "deals[0].volume_tiers.tiers[0].from_usd",
     "found 10, expected 0"),
    (lambda t: t["tiers"][2].update(from_usd=150), "deals[0].volume_tiers.tiers[2].from_usd",
     "found 150 after 150, expected from_usd strictly rising"),
    (lambda t: t["tiers"][2].update(discount=0.05), "deals[0].volume_tiers.tiers[2].discount",
     "found 0.05 after 0.1, expected discounts that never fall"),
    (lambda t: t.update(up_to_usd=300), "deals[0].volume_tiers.up_to_usd",
     "found 300, expected more than the last tier's from_usd 330"),
    (lambda t: t["tiers"][1].update(discount=1.0), "deals[0].volume_tiers.tiers[1].discount",
     "found 1.0, expected a number < 1"),
    (lambda t: t.update(kind="stepped"), "deals[0].volume_tiers.kind", "found 'stepped', expected 'all_units'"),
])
def test_bad_tiers_are_refused_at_their_field(make_scenario, change, where, message):
    doc = tiered(ALL_UNITS)
    change(doc["deals"][0]["volume_tiers"])
    with pytest.raises(cpo.ConfigError) as caught:
        make_scenario(doc).data
    problems = [str(p) for p in caught.value.problems]
    assert any(where in p and message in p for p in problems), problems
