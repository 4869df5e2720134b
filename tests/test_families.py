"""Each constraint family alone on a tiny model: the optimal cost, the plan and the price,
all computed by hand (the arithmetic is in each docstring)."""

from __future__ import annotations

import pytest

from conftest import acquired, hall, offer, price, product, scenario_doc, share, two_vendors, vendor


def test_capacity_and_demand_known_answer(solve):
    """$2 x 60 + $3 x 40 = $240; one more H100e costs the dear offer's $3; one more unit of the
    cheap cap saves $3 - $2 = $1."""
    result = solve(scenario_doc(two_vendors()))
    assert result.total_cost_usd == pytest.approx(240.0)
    assert acquired(result, "cheap/rent") == pytest.approx(60)
    assert acquired(result, "dear/rent") == pytest.approx(40)
    assert price(result, "demand[training,2026]") == pytest.approx(3.0)
    assert price(result, "supply[offer.cheap/rent,2026]") == pytest.approx(1.0)


def test_unmet_demand_priced_at_voll(solve):
    """Demand 200 against 160 of capacity: 120 + 300 + 40 x $1000 = $40,420; the marginal H100e
    is unmet, so it costs VOLL; each unit of cap saves VOLL minus its price."""
    doc = scenario_doc(two_vendors(dear_cap=100), demand=200)
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(40_420.0)
    assert result.cost_breakdown_usd["unmet"] == pytest.approx(40_000.0)
    assert next(r["h100e"] for r in result.tables["unmet"]) == pytest.approx(40.0)
    assert price(result, "demand[training,2026]") == pytest.approx(1000.0)
    assert price(result, "supply[offer.cheap/rent,2026]") == pytest.approx(998.0)
    assert price(result, "supply[offer.dear/rent,2026]") == pytest.approx(997.0)


def test_vendor_supply_cap_and_discounting(solve):
    """A vendor-level cap of 60 units/year, two years at 10%: 240 + 240/1.1 = $458.18; the price
    of compute in 2027 is reported in 2027 dollars, so it is still $3."""
    catalog = two_vendors(cheap_cap=None)
    catalog["cheap"]["supply_cap"] = {"value": 60, "source": "test"}
    result = solve(scenario_doc(catalog, end=2027, discount_rate=0.1))
    assert result.total_cost_usd == pytest.approx(240 + 240 / 1.1)
    assert acquired(result, "cheap/rent", "2027") == pytest.approx(60)
    assert price(result, "demand[training,2027]") == pytest.approx(3.0)
    assert price(result, "supply[vendor.cheap,2027]") == pytest.approx(1.0)


def test_supply_pool_in_mw(solve):
    """A scenario pool capping the cheap vendor at 0.09 MW/year of facility power, 1.5 kW per unit
    at PUE 1.2 (cloud_pue): 0.09 / 0.0018 = 50 units; cost 50x2 + 50x3 = $250; 1 MW more buys
    555.6 cheap units, each saving $1."""
    catalog = two_vendors(cheap_cap=None)
    catalog["cheap"]["products"]["c1"]["kw_per_unit"]["value"] = 1.5
    doc = scenario_doc(catalog, supply=[{"name": "cheap-mw", "match": {"vendor": "cheap"}, "cap": 0.09,
                                          "measure": "mw"}])
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(250.0)
    assert price(result, "supply[cheap-mw,2026]") == pytest.approx(1 / 0.0018)


def test_site_power_with_energy_and_facility_capex(solve):
    """An owned offer at a 0.09 MW site with PUE 1.5 (1 kW/unit -> 0.0015 MW, so 60 units fit).
    Per unit-year: upfront 1 + facility 0.1 $/kW x 1.5 kW + recurring 0.5 + energy
    1.5 kW x 8.76 MWh/kW-yr x $0.1/MWh = 1.314, total 2.964, versus $3 in the cloud.
    Cost 60 x 2.964 + 40 x 3 = $297.84; 1 MW more saves (3 - 2.964)/0.0015 = $24/MW-year."""
    catalog = {"cheap": vendor({"c1": product(reference=True)},
                               {"own": offer("c1", 0.5, channel="buy", provider="self", upfront=1.0, term=1),
                                "rent": offer("c1", 3.0)})}
    doc = scenario_doc(catalog, sites={"dc": {"power_mw": 0.09, "pue": 1.5, "region": "us",
                                              "energy_usd_per_mwh": 0.1, "facility_capex_usd_per_kw": 0.1}})
    result = solve(doc)
    assert acquired(result, "cheap/own@dc") == pytest.approx(60)
    assert result.total_cost_usd == pytest.approx(60 * 2.964 + 40 * 3)
    assert price(result, "power[dc,2026]") == pytest.approx(24.0)
    used = next(r for r in result.tables["power"] if r["site"] == "dc")
    assert used["used_mw"] == pytest.approx(0.09)


def test_common_mode_resource(solve):
    """CoWoS-like wafers: 30 per year, 0.5 per cheap unit, so at most 60 cheap units: $240;
    one more wafer lets 2 units move from $3 to $2: $2 per wafer."""
    doc = scenario_doc(two_vendors(cheap_cap=None),
                       resources=[{"name": "wafers", "unit": "wafer", "cap": 30,
                                   "usage": [{"match": {"vendor": "cheap"}, "per_unit": 0.5}]}])
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(240.0)
    assert price(result, "resource[wafers,2026]") == pytest.approx(2.0)


def test_budget(solve):
    """Budget $150: cheap 60 ($120) + dear 10 ($30); 30 H100e unmet at VOLL $10 = $300; total $450.
    One more dollar buys 1/3 dear unit that saves $10 - $3: (10 - 3)/3 = $2.33 per dollar."""
    doc = scenario_doc(two_vendors(), voll=10.0, policy={"budget_usd_per_year": 150})
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(450.0)
    assert price(result, "budget[2026]") == pytest.approx(7 / 3)


def test_concentration_cap(solve):
    """No vendor above 50% of compute: 50 x 2 + 50 x 3 = $250. Raising the cap one point moves
    1 H100e from $3 to $2: $1 per share point."""
    doc = scenario_doc(two_vendors(cheap_cap=None), policy={"shares": [{"group": "vendor", "max": 0.5}]})
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(250.0)
    assert share(result, "cheap", "2026") == pytest.approx(0.5)
    assert price(result, "share[vendor,cheap,compute,max,2026]") == pytest.approx(1.0)


def test_concentration_floor_by_spend(solve):
    """The dear vendor must get at least 60% of spend. With d dear units: 3d >= 0.6 (2(100 - d) + 3d)
    = 120 + 0.6d, so d >= 50; cost 50 x 2 + 50 x 3 = $250."""
    doc = scenario_doc(two_vendors(cheap_cap=None),
                       policy={"shares": [{"group": "vendor", "member": "dear", "measure": "spend", "min": 0.6}]})
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(250.0)
    assert share(result, "dear", "2026", measure="spend") == pytest.approx(0.6)


def test_resilience_hard_n_minus_1(solve):
    """Critical fraction 0.4 and either vendor can fail: each must hold 40 units, so cheap 60 +
    dear 40 = 120 + 120 = $240 (cost-only: $200). Covering one more H100e after the cheap vendor
    fails swaps a $2 unit for a $3 one: $1 per H100e-year. One more H100e of demand raises what
    must be covered by 0.4 as well: 0.6 more cheap units and 0.4 more dear ones, $2.40
    (d cost / d demand, cover rows included: 242.4 - 240 for 1 more).
    (Critical fraction 0.5 would make the optimum degenerate, with one-sided prices.)"""
    doc = scenario_doc(two_vendors(cheap_cap=None),
                       policy={"resilience": {"mode": "hard", "critical_fraction": 0.4,
                                              "failures": [{"group": "vendor"}]}})
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(240.0)
    assert acquired(result, "dear/rent") == pytest.approx(40)
    assert price(result, "cover[vendor.cheap,training,2026]") == pytest.approx(1.0)
    assert price(result, "demand[training,2026]") == pytest.approx(0.6 * 2 + 0.4 * 3)
    assert {r["covered_fraction"] for r in result.tables["resilience"]} == {1.0}


@pytest.mark.parametrize("probability, cost, disruption", [(0.1, 250.0, 0.0), (0.0005, 200.0, 25.0)])
def test_resilience_priced(solve, probability, cost, disruption):
    """Priced N-1: a shortfall of critical demand costs p x 1 year x VOLL $1000. Each dear unit
    replacing a cheap one costs $1 and saves p x 1000 of expected shortfall: worth it when p > 0.001.
    p = 0.1: split 50/50, $250 of procurement, nothing at risk. p = 0.0005: all cheap ($200) and
    50 H100e short if cheap fails: 0.0005 x 1000 x 50 = $25 expected, $225 risk-adjusted."""
    doc = scenario_doc(two_vendors(cheap_cap=None),
                       policy={"resilience": {"mode": "priced", "critical_fraction": 0.5,
                                              "failures": [{"group": "vendor", "probability": probability}]}})
    result = solve(doc, objective="multi-vendor")
    assert result.total_cost_usd == pytest.approx(cost)
    assert result.expected_disruption_usd == pytest.approx(disruption)
    assert result.cost_breakdown_usd["resilience"] == pytest.approx(disruption)
    assert result.risk_adjusted_cost_usd == pytest.approx(cost + disruption)
    assert result.objective_value_usd == pytest.approx(cost + disruption)


def test_lead_term_salvage_and_discount(solve):
    """Buy at $100 upfront + $10/yr, 2-year life, 12-month lead; demand only in 2028 (horizon
    2026-2028, 10%). Sign in 2027, active 2028-2029; at the end of 2028 half the life remains,
    so salvage is $50 at the horizon's end. Per unit: 100/1.1 + 10/1.21 - 50/1.331 = $61.607.
    The marginal H100e in 2028 dollars per year: 61.607 x 1.21 = $74.545."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"own": offer("p", 10.0, channel="buy", provider="self", upfront=100.0, term=2,
                                         lead_months=12)})}
    doc = scenario_doc(catalog, demand={2026: 0, 2028: 10}, end=2028, discount_rate=0.1, sites={"hall": hall()})
    result = solve(doc)
    per_unit = 100 / 1.1 + 10 / 1.21 - 50 / 1.331
    assert acquired(result, "v/own@hall", "2027") == pytest.approx(10)
    assert result.total_cost_usd == pytest.approx(10 * per_unit)
    assert result.cost_breakdown_usd["salvage"] == pytest.approx(-10 * 50 / 1.331)
    assert price(result, "demand[training,2028]") == pytest.approx(per_unit * 1.21)


def test_existing_capacity(solve):
    """30 installed cheap units (paying $2) plus 60 more signed, 10 dear: 90x2 + 10x3 = $210."""
    doc = scenario_doc(two_vendors(), existing=[{"offer": "cheap/rent", "units": 30}])
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(210.0)
    assert acquired(result, "cheap/rent") == pytest.approx(60)
    assert next(r["active_units"] for r in result.tables["plan"] if r["offer"] == "cheap/rent") == pytest.approx(90)


def test_eligibility_forces_a_provider(solve):
    """The workload may run only at provider cloud-b (the dear one): 100 x 3 = $300."""
    doc = scenario_doc(two_vendors())
    doc["workloads"]["training"]["eligible"] = {"provider": "cloud-b"}
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(300.0)
    assert acquired(result, "cheap/rent") == pytest.approx(0)


def test_throughput_from_spec_ratio(solve):
    """θ = spec / reference spec x efficiency = 2000/1000 x 0.75 = 1.5 H100e per unit: 150 H100e
    needs 100 units at $3 = $300, i.e. $2 per H100e-year."""
    ref = product(reference=True)
    ref["specs"] = {"tflops": {"value": 1000, "source": "test"}}
    fast = product()
    fast["specs"] = {"tflops": {"value": 2000, "source": "test"}}
    fast["throughput"] = {"training": {"basis": "tflops", "efficiency": 0.75, "source": "test"}}
    catalog = {"ref": vendor({"r": ref}, {}), "fast": vendor({"f": fast}, {"rent": offer("f", 3.0)})}
    result = solve(scenario_doc(catalog, demand=150))
    assert acquired(result, "fast/rent") == pytest.approx(100)
    assert price(result, "demand[training,2026]") == pytest.approx(2.0)


def test_quarterly_periods(solve):
    """Quarters of 0.25 years: $4/unit-year x 100 units x 4 quarters x 0.25 = $400. The cap of
    200 units a year on the $4 offer holds over the calendar year, and a unit rented on demand
    for a quarter counts a quarter of a unit against it: 100 units every quarter count 100, so
    nothing is bought at $8, and a unit of cap is worth nothing. With a cap of 60 a year: 60
    units rented all year at $4 and 40 at $8: $240 + $320 = $560; one more unit/yr of cap lets
    one unit move from $8 to $4 for the year: $4 per unit/yr."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"a": offer("p", 4.0, cap=200), "b": offer("p", 8.0, provider="other")})}
    doc = scenario_doc(catalog)
    doc["periods"]["step"] = "quarter"
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(400.0)
    assert [p.name for p in result.data.periods] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert price(result, "demand[training,2026Q3]") == pytest.approx(4.0)
    catalog["v"]["offers"]["a"]["supply_cap"]["value"] = 60
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(560.0)
    assert price(result, "supply[offer.v/a,2026]") == pytest.approx(4.0)
    assert price(result, "demand[training,2026Q3]") == pytest.approx(8.0)
