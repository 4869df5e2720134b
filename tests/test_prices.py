"""Every price is what a finite-difference re-solve gives when its config figure moves by one of
its units (interpret.py states the conventions): d(objective)/d(figure), in dollars of the
row's period, per year held for levels (demand, power, delivery), per unit of the per-year
figure for caps given per year (supply, resource, budget), present value for deals."""

from __future__ import annotations

import pytest

import optimizer as cpo
from conftest import EXAMPLES, offer, price, product, scenario_doc, two_vendors, vendor


def objective_at(make_scenario, doc, overrides: dict, objective: str = "cost") -> float:
    """The solver's objective ($, present value) with `overrides` applied."""
    result = cpo.solve(make_scenario(doc, overrides=overrides), objective=objective)
    return sum(result.solver_parts_usd.values())


def central_difference(make_scenario, doc, path: str, value: float, step: float, objective: str = "cost",
                       wrap=lambda v: v) -> float:
    up = objective_at(make_scenario, doc, {path: wrap(value + step)}, objective)
    down = objective_at(make_scenario, doc, {path: wrap(value - step)}, objective)
    return (up - down) / (2 * step)


def hedged_doc() -> dict:
    """Cheap ($2, up to 70 units) and dear ($3); demand 100 over 2026-2027 at 10%; priced N-1
    resilience (half of demand critical, 5% a year, VOLL $1000) and an HHI weight: the
    marginal H100e moves the demand, cover and vendor-share rows together."""
    doc = scenario_doc(two_vendors(cheap_cap=70), end=2027, discount_rate=0.1, demand={2026: 100, 2027: 120},
                       policy={"hhi_weight_usd_per_year": 30.0,
                               "resilience": {"mode": "priced", "critical_fraction": 0.5,
                                              "failures": [{"group": "vendor", "probability": 0.05}]}})
    return doc


@pytest.mark.parametrize("period, t", [("2026", 0), ("2027", 1)])
def test_marginal_cost_of_compute_is_the_derivative_of_the_objective(make_scenario, period, t):
    doc = hedged_doc()
    result = cpo.solve(make_scenario(doc), objective="multi-vendor")
    demand = {2026: 100, 2027: 120}

    def series(value):
        return {**demand, int(period): value}

    fd = central_difference(make_scenario, doc, "workloads.training.demand", demand[int(period)], 0.5,
                            "multi-vendor", series)
    assert price(result, f"demand[training,{period}]") == pytest.approx(fd * 1.1 ** t, rel=1e-6)


def test_marginal_cost_of_compute_under_hard_resilience_counts_the_cover_rows(make_scenario):
    """Hard N-1 at 40%: 0.6 more cheap units ($2) and 0.4 more dear ($3) per H100e: $2.40."""
    doc = scenario_doc(two_vendors(cheap_cap=None),
                       policy={"resilience": {"mode": "hard", "critical_fraction": 0.4, "failures": [{"group": "vendor"}]}})
    result = cpo.solve(make_scenario(doc), objective="cost")
    assert price(result, "demand[training,2026]") == pytest.approx(2.4)
    assert central_difference(make_scenario, doc, "workloads.training.demand", 100, 1.0) == pytest.approx(2.4)


def test_the_flagships_marginal_cost_of_compute_matches_a_re_solve(make_scenario):
    """examples/openai.yaml, pretraining in 2031 under the default objective (it once left out
    the cover and HHI rows: 3,899 against 4,216 by finite difference)."""
    path = EXAMPLES / "openai.yaml"
    base = cpo.load(path)
    result = cpo.solve(base)
    demand = dict(base.tree.data["workloads"]["pretraining"]["demand"])
    t = [p.name for p in base.data.periods].index("2031")
    level = base.data.workloads["pretraining"].demand[t]
    step = 1e-4 * level  # 1e-3 (9,200 H100e) crosses a breakpoint of the December 2026 example: slopes 5,978 | 5,998

    def objective(value):
        overrides = {"workloads.pretraining.demand": {**{str(k): v for k, v in demand.items()}, "2031": value,
                                                      "2032": base.data.workloads["pretraining"].demand[t + 1]}}
        solved = cpo.solve(cpo.load(path, overrides=overrides))
        return sum(solved.solver_parts_usd.values())

    fd = (objective(level + step) - objective(level - step)) / (2 * step) / base.data.discount[t]
    assert price(result, "demand[pretraining,2031]") == pytest.approx(fd, rel=1e-3)


def tranche_doc(reach_mw: float = 1.0) -> dict:
    """Owned units ($2, 1 kW at PUE 1; the vendor ships at most 400 a year) at a 1 MW site, cloud
    at $3, demand 1000; a $10,000 tranche at `reach_mw` of owned MW by 2026: 0.4 MW of 1 MW
    vests 40% in the LP."""
    catalog = {"own": vendor({"p": product(reference=True)},
                             {"buy": offer("p", 2.0, channel="buy", provider="self", term=1, cap=400)}),
               "cloud": vendor({"c": product()}, {"rent": offer("c", 3.0)})}
    return scenario_doc(catalog, demand=1000, sites={"a": {"power_mw": 1.0, "pue": 1.0, "region": "us"}},
                        deals=[{"name": "warrant", "counterparty": "Own", "covers": {"vendor": "own"}, "from": 2026,
                                "financing": {"measure": "mw", "tranches": [{"reach": reach_mw, "by": 2026,
                                                                             "credit_usd": 10_000}],
                                              "source": "test"}, "source": "test"}])


def test_a_partly_vested_tranche_is_worth_its_vested_share_per_unit_of_milestone(make_scenario):
    """Vest = 0.4 MW / reach; credit 10,000 x 0.4 / reach; lowering the reach by 1 MW is worth
    d/d(reach) = 10,000 x 0.4 / reach² = $4,000 per MW at reach 1 (not the $10,000 one more MW
    of measure would earn: that was 1/vest too high)."""
    result = cpo.solve(make_scenario(tranche_doc()), objective="cost")
    assert result.tables["deals"][0]["tranches_vested"] == pytest.approx(0.4)
    assert price(result, "tranche[warrant,0]") == pytest.approx(4_000.0)
    fd = central_difference(make_scenario, tranche_doc(), "deals[0].financing.tranches[0].reach", 1.0, 0.01)
    assert fd == pytest.approx(4_000.0, rel=1e-3)  # raising the milestone costs what lowering it saves


@pytest.mark.parametrize("measure, reach, per", [("units", 1000.0, 1.0), ("spend_usd", 2000.0, 1.0),
                                                 ("share", 1.0, 0.01)])
def test_tranche_prices_on_every_measure_match_re_solves(make_scenario, measure, reach, per):
    """The same owned capacity (400 units, $800 a year paid to the vendor, 40% of demand) against
    a milestone it reaches 40% of, on units, spend and share (per point)."""
    doc = tranche_doc()
    doc["deals"][0]["financing"]["measure"] = measure
    doc["deals"][0]["financing"]["tranches"][0]["reach"] = reach
    result = cpo.solve(make_scenario(doc), objective="cost")
    assert result.tables["deals"][0]["tranches_vested"] == pytest.approx(0.4)
    fd = central_difference(make_scenario, doc, "deals[0].financing.tranches[0].reach", reach, 1e-3 * reach) * per
    assert price(result, "tranche[warrant,0]") == pytest.approx(fd, rel=1e-3)


def test_power_price_is_per_mw_year(make_scenario):
    """Owned units ($2, 1 kW at PUE 1) at a 0.4 MW site, cloud at $3, demand 1000: one more MW
    runs 1000 more owned units instead of rented ones, $1,000 per MW-year, as a re-solve says."""
    catalog = {"own": vendor({"p": product(reference=True)},
                             {"buy": offer("p", 2.0, channel="buy", provider="self", term=1)}),
               "cloud": vendor({"c": product()}, {"rent": offer("c", 3.0)})}
    doc = scenario_doc(catalog, demand=1000, sites={"a": {"power_mw": 0.4, "pue": 1.0, "region": "us"}})
    result = cpo.solve(make_scenario(doc), objective="cost")
    fd = -central_difference(make_scenario, doc, "sites.a.power_mw", 0.4, 0.01)
    assert price(result, "power[a,2026]") == pytest.approx(1000.0)
    assert fd == pytest.approx(1000.0, rel=1e-6)


def test_caps_given_per_year_are_priced_per_unit_of_the_figure_in_quarters(make_scenario):
    """Quarters, the $4 offer capped at 60 units a year, $8 otherwise, demand 100: one more
    unit/yr of cap moves a unit-year from $8 to $4: $4 per unit/yr, in the year's row."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"a": offer("p", 4.0, cap=60), "b": offer("p", 8.0, provider="other")})}
    doc = scenario_doc(catalog)
    doc["periods"]["step"] = "quarter"
    result = cpo.solve(make_scenario(doc), objective="cost")
    assert price(result, "supply[offer.v/a,2026]") == pytest.approx(4.0)
    fd = -central_difference(make_scenario, doc, "catalog.v.offers.a.supply_cap.value", 60, 1.0)
    assert fd == pytest.approx(4.0)


@pytest.mark.parametrize("step", ["year", "quarter"])
def test_budget_and_resource_prices_match_re_solves(make_scenario, step):
    doc = scenario_doc(two_vendors(cheap_cap=None), voll=10.0, policy={"budget_usd_per_year": 150},
                       resources=[{"name": "wafers", "unit": "wafer", "cap": 20,
                                   "usage": [{"match": {"vendor": "cheap"}, "per_unit": 0.5}]}])
    doc["periods"]["step"] = step
    result = cpo.solve(make_scenario(doc), objective="cost")
    assert price(result, "budget[2026]") == pytest.approx(
        -central_difference(make_scenario, doc, "policy.budget_usd_per_year", 150, 1.0), rel=1e-6)
    assert price(result, "resource[wafers,2026]") == pytest.approx(
        -central_difference(make_scenario, doc, "resources[0].cap", 20, 0.5), rel=1e-6)


def test_share_cap_price_is_per_point(make_scenario):
    """No vendor above 60%: raising the cap a point moves 1 H100e from $3 to $2: $1 per point."""
    doc = scenario_doc(two_vendors(cheap_cap=None), policy={"shares": [{"group": "vendor", "max": 0.6}]})
    result = cpo.solve(make_scenario(doc), objective="cost")
    fd = -central_difference(make_scenario, doc, "policy.shares[0].max", 0.6, 0.001) * 0.01
    assert price(result, "share[vendor,cheap,compute,max,2026]") == pytest.approx(1.0)
    assert fd == pytest.approx(1.0, rel=1e-6)


def test_deal_prices_match_re_solves(make_scenario):
    """A take-or-pay minimum and a financing cap, each moved by $1 (present value)."""
    catalog = two_vendors(cheap_cap=None)
    doc = scenario_doc(catalog, deals=[{"name": "d", "counterparty": "Dear", "covers": {"vendor": "dear"},
                                        "from": 2026, "min_spend_usd": 150, "source": "test"},
                                       {"name": "f", "counterparty": "Dear", "covers": {"vendor": "dear"},
                                        "from": 2026, "financing": {"rate": 1.5, "per": "unit", "cap_usd": 45,
                                                                    "source": "test"}, "source": "test"}])
    result = cpo.solve(make_scenario(doc), objective="cost")
    assert price(result, "take_or_pay[d]") == pytest.approx(
        central_difference(make_scenario, doc, "deals[0].min_spend_usd", 150, 1.0), rel=1e-6)
    assert price(result, "financing_cap[f]") == pytest.approx(
        -central_difference(make_scenario, doc, "deals[1].financing.cap_usd", 45, 1.0), rel=1e-6)
