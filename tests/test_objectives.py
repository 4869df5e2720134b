"""Objectives: cost, multi-vendor (priced resilience + HHI weight), max-share and hhi."""

from __future__ import annotations

import pytest

from conftest import offer, product, scenario_doc, share, two_vendors, vendor


def three_vendors() -> dict:
    catalog = two_vendors(cheap_cap=None)
    catalog["mid"] = vendor({"m1": product()}, {"rent": offer("m1", 2.5, provider="cloud-c")})
    return catalog


def test_cost_objective_buys_cheapest(solve):
    result = solve(scenario_doc(three_vendors(), demand=90), objective="cost")
    assert result.total_cost_usd == pytest.approx(180.0)
    assert share(result, "cheap", "2026") == pytest.approx(1.0)
    assert result.tables["concentration"][0]["hhi"] == pytest.approx(1.0)


def test_max_share_objective_splits_evenly_at_least_cost(solve):
    """Three vendors at $2, $2.5, $3 and demand 90: the smallest possible largest share is 1/3,
    so each gets 30 H100e: 60 + 75 + 90 = $225."""
    result = solve(scenario_doc(three_vendors(), demand=90), objective="max-share")
    assert result.total_cost_usd == pytest.approx(225.0)
    for member in ("cheap", "mid", "dear"):
        assert share(result, member, "2026") == pytest.approx(1 / 3)
    assert result.tables["concentration"][0]["max_vendor_share"] == pytest.approx(1 / 3)


def test_hhi_objective_minimises_the_tangent_cut_hhi(solve):
    """The cuts at 0.30 and 0.35 meet at 0.325, and the cut HHI is flat (0.3325) for any shares
    all in [0.325, 0.375]; the cheapest of those plans gives the $2 vendor 0.35 and the others
    0.325: 90 x (0.35x2 + 0.325x2.5 + 0.325x3) = $223.875. Its exact HHI is within 3 x 0.025²
    of the minimum 1/3."""
    result = solve(scenario_doc(three_vendors(), demand=90), objective="hhi")
    assert result.total_cost_usd == pytest.approx(223.875)
    assert share(result, "cheap", "2026") == pytest.approx(0.35)
    assert share(result, "dear", "2026") == pytest.approx(0.325)
    assert result.tables["concentration"][0]["hhi"] == pytest.approx(1 / 3, abs=3 * 0.025 ** 2)


def test_max_share_does_not_buy_diversity_by_serving_less(solve):
    """Shares are of demand, so serving less would lower them; the max-share objective keeps
    unmet demand at the cost optimum's level. Only one vendor can be had: all 100 served by it."""
    catalog = {"cheap": vendor({"c1": product(reference=True)}, {"rent": offer("c1", 2.0)})}
    result = solve(scenario_doc(catalog), objective="max-share")
    assert result.total_cost_usd == pytest.approx(200.0)
    assert result.tables["unmet"][0]["h100e"] == pytest.approx(0.0)


def test_hhi_weight_in_multi_vendor(solve):
    """Cheap share s: cost 300 - 100s plus λ(s² + (1-s)²) with λ = $80. The exact optimum is
    s = (100/80 + 2)/4 = 0.8125; with tangent cuts at every 0.05 the objective's slope is -4 on
    (0.775, 0.825) and +12 on (0.825, 0.875), so the LP picks s = 0.825: cost 300 - 82.5 = $217.5."""
    doc = scenario_doc(two_vendors(cheap_cap=None), policy={"hhi_weight_usd_per_year": 80})
    result = solve(doc, objective="multi-vendor")
    assert share(result, "cheap", "2026") == pytest.approx(0.825)
    assert result.total_cost_usd == pytest.approx(217.5)
    hhi = 0.825 ** 2 + 0.175 ** 2
    assert result.concentration_penalty_usd == pytest.approx(80 * hhi)
    assert result.objective_value_usd == pytest.approx(217.5 + 80 * hhi)


def test_cost_objective_ignores_priced_resilience_and_hhi(solve):
    doc = scenario_doc(two_vendors(cheap_cap=None), policy={
        "hhi_weight_usd_per_year": 80,
        "resilience": {"critical_fraction": 0.5, "failures": [{"group": "vendor", "probability": 0.1}]}})
    result = solve(doc, objective="cost")
    assert result.total_cost_usd == pytest.approx(200.0)
    assert result.objective_value_usd == pytest.approx(200.0)
    # ... but the plan's exposure is still reported: 50 H100e short if cheap fails, p 0.1 x $1000.
    assert result.expected_disruption_usd == pytest.approx(0.1 * 1000 * 50)
    assert result.cost_breakdown_usd["resilience"] == pytest.approx(0.1 * 1000 * 50)
    assert result.risk_adjusted_cost_usd == pytest.approx(200.0 + 0.1 * 1000 * 50)


def test_scenario_objective_is_the_default(make_scenario):
    import optimizer as cpo

    doc = scenario_doc(three_vendors(), demand=90, objective="max-share")
    result = cpo.solve(make_scenario(doc))
    assert result.objective == "max-share"
    assert result.total_cost_usd == pytest.approx(225.0)
