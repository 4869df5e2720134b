"""The edges of the model, each with the answer worked out by hand (issue #13): per-instance
eligibility, demand as an equality, tiny and huge demands, prepaid energy, the take-or-pay
discount, leads inside a period, share rules that leave only an empty plan."""

from __future__ import annotations

import pytest

import optimizer as cpo
from conftest import EXAMPLES, acquired, hall, offer, product, scenario_doc, share, two_vendors, vendor


def two_site_doc(eligible: dict) -> dict:
    """One owned product hosted at two sites (a: power for 60 units, b: plenty; $1 a unit-year)
    and a $3 rental, demand 100, VOLL $1000."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"own": offer("p", 1.0, channel="buy", provider="self", term=1),
                            "rent": offer("p", 3.0)})}
    doc = scenario_doc(catalog, sites={"a": {"power_mw": 0.06, "pue": 1.0, "region": "us"},
                                       "b": {"power_mw": 10.0, "pue": 1.0, "region": "eu"}})
    doc["workloads"]["training"]["eligible"] = eligible
    return doc


def test_eligibility_at_one_site_keeps_the_other_sites_tables(solve):
    """Training eligible only at site a: 60 units there at $1 and 40 H100e unmet at $1000 =
    $40,060 (a shared θ table once removed training from every site instance: 'no offer can
    run training')."""
    result = solve(two_site_doc({"site": "a"}))
    assert result.total_cost_usd == pytest.approx(40_060.0)
    assert acquired(result, "v/own@a") == pytest.approx(60)
    assert acquired(result, "v/own@b") == pytest.approx(0)
    assert result.data.offers[[o.key for o in result.data.offers].index("v/own@b")].theta == {}
    assert next(r["h100e"] for r in result.tables["unmet"]) == pytest.approx(40)


def test_eligibility_at_the_other_site(solve):
    """Eligible only at site b (plenty of power): 100 units at $1 = $100."""
    result = solve(two_site_doc({"site": "b"}))
    assert result.total_cost_usd == pytest.approx(100.0)
    assert acquired(result, "v/own@b") == pytest.approx(100)


def test_exclusive_deal_at_one_site(solve):
    """A deal covering site a makes training exclusive to it: the same $40,060 as eligibility."""
    doc = two_site_doc({"vendor": "v"})
    doc["deals"] = [{"name": "site-a", "counterparty": "A", "covers": {"site": "a"}, "from": 2026,
                     "exclusive": ["training"], "source": "test"}]
    assert solve(doc).total_cost_usd == pytest.approx(40_060.0)


def test_the_flagships_owned_us_offers_can_run_pretraining_when_it_is_us_only():
    scenario = cpo.load(EXAMPLES / "openai.yaml", overrides=["workloads.pretraining.eligible={region: us}"])
    owned = [o for o in scenario.data.offers if o.attrs["channel"] == "buy" and o.attrs["region"] == "us"]
    assert owned and all(o.rate("pretraining", 0) > 0 for o in owned if "pretraining" in
                         scenario.config.catalog[o.vendor].products[o.attrs["product"]].throughput)
    assert not any(o.theta.get("pretraining") for o in scenario.data.offers if o.attrs["region"] != "us")
    assert any(r["workload"] == "pretraining" and "@" in r["offer"]
               for r in cpo.solve(scenario).tables["assignment"])


def test_indexed_data_cannot_be_changed(make_scenario):
    data = make_scenario(scenario_doc(two_vendors())).data
    with pytest.raises(TypeError):
        data.offers[0].theta["training"] = 5.0
    with pytest.raises(AttributeError):
        data.offers[0].upfront = 1.0


def test_idle_capacity_is_never_served_so_shares_count_demand(solve):
    """X ($1) may hold 50% of served compute; only X or Z ($5) run the big workload (100), only
    Y ($0.01) runs a small one (1). Served compute is 101, so X serves 50.5 and Z 49.5:
    50.5 + 247.5 + 0.01 = $298.01. (With demand as a >= row, Y 'served' 100 idle units to the
    small workload for $1 and X took all of the big one: 99% of demand under a 50% cap.)"""
    catalog = {"x": vendor({"px": product(reference=True, big=1.0)}, {"rent": offer("px", 1.0)}),
               "z": vendor({"pz": product(big=1.0)}, {"rent": offer("pz", 5.0, provider="z")}),
               "y": vendor({"py": product(small=1.0)}, {"rent": offer("py", 0.01, provider="y")})}
    doc = scenario_doc(catalog, policy={"shares": [{"group": "vendor", "member": "x", "max": 0.5}]})
    doc["workloads"] = {"big": {"demand": 100, "voll": 1000}, "small": {"demand": 1, "voll": 1000}}
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(298.01)
    assert share(result, "x", "2026") == pytest.approx(0.5)
    assert sum(r["served_h100e"] for r in result.tables["unmet"]) == pytest.approx(101)
    assert all(r["served_h100e"] <= r["demand_h100e"] * (1 + 1e-9) for r in result.tables["unmet"])


def test_verify_refuses_a_plan_that_serves_more_than_demand(solve):
    result = solve(scenario_doc(two_vendors()))
    key = next(k for k in result.plan_values.assigned)
    result.plan_values.assigned[key] += 1e-3 * result.plan_values.assigned[key]
    result.plan_values.acquired[(key[0], key[2])] *= 1 + 1e-3
    with pytest.raises(cpo.VerificationError) as caught:
        result.verify()
    assert any(b.startswith("demand[training,2026] served") for b in caught.value.breaches)


@pytest.mark.parametrize("size", [1e-6, 1e-4, 1e-2, 1.0, 1e3, 1e6, 1e9])
@pytest.mark.parametrize("step", ["year", "quarter"])
def test_answers_do_not_depend_on_the_size_of_the_scenario(solve, size, step):
    """Architecture.md's example (caps 60 and 100 units, $2 and $3, demand 100) scaled by `size`:
    cost 2.4 x size per year held, the marginal H100e $3, whatever the size and time step (in
    quarters, the on-demand units renting all year count once against a per-year cap, so the
    caps are the same 60 and 100 units at a time)."""
    doc = scenario_doc(two_vendors(cheap_cap=60 * size, dear_cap=100 * size), demand=100 * size)
    doc["periods"]["step"] = step
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(240 * size, rel=1e-9)
    assert acquired(result, "cheap/rent") == pytest.approx(60 * size * (4 if step == "quarter" else 1), rel=1e-9)
    assert sum(r["h100e"] for r in result.tables["unmet"]) == pytest.approx(0, abs=1e-9 * size)
    assert all(r["value"] == pytest.approx(3.0, rel=1e-9) for r in result.tables["prices"] if r["family"] == "demand")


def mixed_doc(tiny: float, huge: float, hard: bool = False) -> dict:
    """A tiny tier and a huge one, each on its own product ($2 and $1 a unit-year); with `hard`,
    the tiny tier must survive its only vendor's failure, which nothing else can run."""
    catalog = {"a": vendor({"pa": product(reference=True, tiny=1.0)}, {"rent": offer("pa", 2.0)}),
               "b": vendor({"pb": product(huge=1.0)}, {"rent": offer("pb", 1.0, provider="b")})}
    doc = scenario_doc(catalog)
    doc["workloads"] = {"tiny": {"demand": tiny, "voll": 1e6}, "huge": {"demand": huge, "voll": 10}}
    if hard:
        doc["policy"] = {"resilience": {"mode": "hard", "critical_fraction": {"tiny": 1.0},
                                        "failures": [{"name": "a-down", "match": {"vendor": "a"}}]}}
    return doc


def test_demands_eight_orders_of_magnitude_apart_are_each_met(solve):
    """0.01 H100e beside 1e6: both met, $0.02 + $1e6."""
    result = solve(mixed_doc(0.01, 1e6))
    served = {r["workload"]: r for r in result.tables["unmet"]}
    assert served["tiny"]["served_h100e"] == pytest.approx(0.01, rel=1e-9)
    assert served["huge"]["served_h100e"] == pytest.approx(1e6, rel=1e-9)
    assert result.total_cost_usd == pytest.approx(1e6 + 0.02, rel=1e-12)


def test_a_tiny_tiers_hard_resilience_is_never_met_on_paper_only(make_scenario):
    """Nothing survives vendor a's failure that can run the tiny tier: infeasible, diagnosed,
    beside a huge tier as alone (at 1e-6 beside 1e9 the cover row once sat inside HiGHS's
    tolerance and the report said 100% covered)."""
    for huge in (0.0, 1e6):
        with pytest.raises(cpo.InfeasibleError) as caught:
            cpo.solve(make_scenario(mixed_doc(0.01, huge, hard=True)), objective="cost")
        assert any("critical_fraction (tiny)" in line for line in caught.value.diagnosis)


def test_demands_too_far_apart_for_the_lp_are_a_located_error(make_scenario):
    with pytest.raises(cpo.ConfigError) as caught:
        make_scenario(mixed_doc(1e-6, 1e9))
    [problem] = caught.value.problems
    assert problem.path == "workloads.tiny.demand"
    assert "found 1e-06 H100e in 2026 and 1e+09 H100e (huge, 2026), a factor 1.0e+15 apart" in problem.message


def serving_tier_doc(integer: bool) -> dict:
    """A 0.0008 req/s serving tier only an H100 ($20,000 a unit-year, θ 1) can hold; unmet
    demand costs $1,000,000 per H100e-year, so $800 for the whole tier."""
    catalog = {"nv": vendor({"h100": product(reference=True, serving=1.0)}, {"rent": offer("h100", 20_000.0)})}
    doc = scenario_doc(catalog, demand=0.0008, voll=1e6, milp={"integer": integer})
    doc["workloads"] = {"serving": doc["workloads"].pop("training")}
    return doc


def test_a_tiny_tier_is_served_in_the_lp(solve):
    """0.0008 units at $20,000: $16 (the LP may rent a fraction of a unit)."""
    result = solve(serving_tier_doc(integer=False))
    assert result.total_cost_usd == pytest.approx(16.0, rel=1e-9)
    assert result.tables["unmet"][0]["h100e"] == pytest.approx(0, abs=1e-12)


def test_a_tiny_tier_left_unserved_under_integer_units_is_reported_unmet(solve):
    """Whole units: one H100 ($20,000) costs more than leaving the tier unmet ($800), so the
    tier is unmet, and the report says so: 0.0008 H100e, $800 (it once said 0 unmet)."""
    result = solve(serving_tier_doc(integer=True))
    assert result.status == "optimal"
    assert result.tables["unmet"][0]["h100e"] == pytest.approx(0.0008, rel=1e-9)
    assert result.total_cost_usd == pytest.approx(800.0, rel=1e-9)
    assert result.cost_breakdown_usd["unmet"] == pytest.approx(800.0, rel=1e-9)


def test_installed_prepaid_units_pay_their_site_energy(solve):
    """10 installed units prepaid (pay_recurring: false) at a site with PUE 1.5 and $100/MWh:
    each draws 1.5 kW, 13.14 MWh a year: $1,314 a unit-year of energy, $13,140 in all; the
    vendor's $500 recurring is prepaid. Demand 10 is met by them."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"own": offer("p", 500.0, channel="buy", provider="self", upfront=1000.0, term=5)})}
    doc = scenario_doc(catalog, demand=10, voll=1e5, existing=[{"offer": "v/own", "site": "dc", "units": 10,
                                                                "pay_recurring": False}],
                       sites={"dc": {"power_mw": 1.0, "pue": 1.5, "region": "us", "energy_usd_per_mwh": 100.0}})
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(10 * 1.5 * 8.76 * 100)
    assert acquired(result, "v/own@dc") == pytest.approx(0)


def test_a_take_or_pay_shortfall_is_paid_at_the_windows_end(solve):
    """A $1000 minimum over 2026-2027 with nothing bought from the vendor: the shortfall is paid
    at the end of 2027, two years after the first period's start at 10%: 1000 / 1.21."""
    catalog = two_vendors()
    doc = scenario_doc(catalog, demand=0, end=2027, discount_rate=0.1,
                       deals=[{"name": "min", "counterparty": "Dear", "covers": {"vendor": "dear"}, "from": 2026,
                               "to": 2027, "min_spend_usd": 1000, "source": "test"}])
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(1000 / 1.21)
    assert result.cost_breakdown_usd["take_or_pay"] == pytest.approx(1000 / 1.21)


def lead_doc(lead_months: float, step: str = "year") -> dict:
    """Demand 100 in 2026 only; a reserved offer ($2 a unit-year, at most 100 units signed a
    year, 1-year term) with a lead, and an on-demand one at $3."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"res": offer("p", 2.0, channel="reserved", provider="r", term=1, lead_months=lead_months,
                                         cap=100),
                            "od": offer("p", 3.0)})}
    doc = scenario_doc(catalog)
    doc["periods"]["step"] = step
    return doc


def test_a_lead_inside_a_period_counts_the_share_of_it_the_units_are_active(solve):
    """A 6-month lead: 100 reserved units signed in 2026 are active half of it, 50 H100e-years
    for $100; 50 more on demand at $3 = $250. (Rounded to a whole period, as it once was, the
    reserved units served nothing in 2026: $300.)"""
    result = solve(lead_doc(6))
    assert result.total_cost_usd == pytest.approx(250.0)
    reserved = next(r for r in result.tables["plan"] if r["offer"] == "v/res")
    assert (reserved["acquired_units"], reserved["active_units"]) == pytest.approx((100, 50))


@pytest.mark.parametrize("lead", [0, 3, 6, 9, 11])
def test_the_cost_moves_smoothly_with_the_lead(solve, lead):
    """100 x 2 x (1 − lead/12) H100e-years reserved, the rest on demand at $3: $300 − 100 (1 − lead/12)."""
    assert solve(lead_doc(lead)).total_cost_usd == pytest.approx(300 - 100 * (1 - lead / 12))


def test_yearly_and_quarterly_versions_agree(solve):
    """Demand 100 a year over 2026-2030, 2-year reservations at $2 with a 6-month lead, $3 on
    demand: the same scenario in quarters costs within a few % of the yearly answer (each
    period's capacity is its average; quarters see the first half of 2026 before any
    reservation arrives)."""
    def doc(step):
        catalog = {"v": vendor({"p": product(reference=True)},
                               {"res": offer("p", 2.0, channel="reserved", provider="r", term=2, lead_months=6),
                                "od": offer("p", 3.0)})}
        scenario = scenario_doc(catalog, end=2030)
        scenario["periods"]["step"] = step
        return scenario

    yearly, quarterly = solve(doc("year")).total_cost_usd, solve(doc("quarter")).total_cost_usd
    assert quarterly == pytest.approx(yearly, rel=0.05)


@pytest.mark.parametrize("example, apart", [("small-lab", 0.100), ("trainium-lab", 0.072)])
def test_examples_in_quarters_agree_with_years(example, apart):
    """Quarters see what yearly averages hide (capacity signed in a year arrives after its lead,
    while the year's demand holds from 1 January): the quarterly plans cost 10.0% and 7.2% more
    (docs/model.md, Time resolution). The small lab's gap grew from 3.1% when the neocloud H100
    rent became the 1-year term its $2.35/h is quoted for: in years, a 1-year rent signed on
    1 January with a 3-month lead serves 2026 on average; quarters see the first quarter empty."""
    yearly = cpo.solve(cpo.load(EXAMPLES / f"{example}.yaml"))
    quarterly = cpo.solve(cpo.load(EXAMPLES / f"{example}.yaml", overrides=["periods.step=quarter"]))
    assert quarterly.total_cost_usd / yearly.total_cost_usd - 1 == pytest.approx(apart, abs=0.005)


@pytest.mark.parametrize("rule, message", [
    ({"group": "vendor", "min": 0.6}, "share floors on vendor adding up to 120% in 2026"),
    ({"group": "vendor", "max": 0.4}, "share caps on every vendor adding up to 80% in 2026"),
])
def test_share_rules_that_only_an_empty_plan_meets_are_located_errors(make_scenario, rule, message):
    with pytest.raises(cpo.ConfigError) as caught:
        make_scenario(scenario_doc(two_vendors(), policy={"shares": [rule]}))
    assert any(p.path == "policy.shares[0]" and message in p.message for p in caught.value.problems)


def test_a_tiny_scenario_prints_its_plan_and_costs(make_scenario):
    """At 1e-6 of the hand example, the terminal still shows what was signed and what it costs
    (its display thresholds were once absolute: half a unit, half a dollar)."""
    from typer.testing import CliRunner

    from optimizer.cli import app

    path = make_scenario(scenario_doc(two_vendors(cheap_cap=6e-5, dear_cap=1e-4), demand=1e-4)).path
    output = CliRunner().invoke(app, ["solve", str(path), "--objective", "cost"]).stdout
    signed = output.split("Units signed")[1]
    assert "cheap/rent" in signed and "0.00006" in signed and "dear/rent" in signed
    assert "$0.00024" in output


@pytest.mark.parametrize("value, text", [(0.0, "$0"), (-0.0, "$0"), (-0.2, "-$0.2"), (0.0016, "$0.0016"),
                                         (4.67e-7, "$0.000000467"), (-4e-7, "-$0.0000004"), (4.67e-5, "$0.0000467"),
                                         (999.6, "$1.00k"), (999_999.99, "$1.00M"), (1.08e12, "$1.08T"),
                                         (-175.7e9, "-$175.70B"), (float("inf"), "n/a"), (12.5, "$12.50"),
                                         (240.0, "$240"), (1e-6, "$0.000001"), (1e15, "$1,000.00T")])
def test_money_is_never_folded_into_the_wrong_unit(value, text):
    from optimizer.report import money

    assert money(value) == text


@pytest.mark.parametrize("value, text", [(-0.0, "0"), (0.0008, "0.0008"), (999.9, "1k"), (999_999, "1M"),
                                         (1500, "1.5k"), (4.6e7, "46M"), (1e15, "1,000T"), (6e-5, "0.00006"),
                                         (-2.5e-7, "-0.00000025")])
def test_counts_pick_their_unit_after_rounding(value, text):
    from optimizer.report import count

    assert count(value) == text


def test_a_quarter_key_in_a_yearly_horizon_counts_for_its_part_of_the_year(make_scenario):
    """Demand {2026: 0, 2026Q3: 10} is 5 H100e on average in the year 2026 (it was read at the
    period's start: 0, a free year), and a per-year cap {2026: 100, 2026Q3: 200} is 150."""
    catalog = two_vendors(cheap_cap={2026: 100, "2026Q3": 200})
    data = make_scenario(scenario_doc(catalog, demand={2026: 0, "2026Q3": 10})).data
    assert data.workloads["training"].demand == (5.0,)
    assert next(c for c in data.supply if c.name == "offer.cheap/rent").cap == (150.0,)


def test_a_deal_window_inside_a_yearly_period_is_a_located_error(make_scenario):
    doc = scenario_doc(two_vendors(), end=2027, deals=[{"name": "h2", "counterparty": "Dear", "covers": {"vendor": "dear"},
                                                        "from": "2026Q3", "to": 2027, "min_spend_usd": 10,
                                                        "source": "test"}])
    with pytest.raises(cpo.ConfigError) as caught:
        make_scenario(doc)
    [problem] = caught.value.problems
    assert problem.path == "deals[0].from"
    assert problem.message.startswith("found '2026Q3', which starts inside the period 2026")


def test_the_upfront_is_paid_when_units_are_signed(solve):
    """A product available from 2026Q3 ($10 upfront, 1-year life, lead 0) signed in the year 2026
    is signed mid-2026: 20 units cost 200 / 1.1^0.5 at 10% a year; it serves half of 2026, so
    demand 10 needs 20 units."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"own": offer("p", 0.0, channel="buy", provider="self", upfront=10.0, term=1,
                                         start="2026Q3")})}
    result = solve(scenario_doc(catalog, demand=10, discount_rate=0.1, sites={"hall": hall()}))
    assert acquired(result, "v/own@hall") == pytest.approx(20)
    assert result.cost_breakdown_usd["upfront"] == pytest.approx(200 / 1.1 ** 0.5)
    assert result.cost_breakdown_usd["salvage"] == pytest.approx(-100 / 1.1)  # half the life left at the end of 2026


def test_json_keeps_a_tiny_scenarios_figures(make_scenario):
    """Caps of 60e-6 and 69.6e-6 units against demand 130e-6: 0.4e-6 H100e unmet, which rounding
    JSON to 6 decimals once printed as 0 while its cost still showed."""
    result = cpo.solve(make_scenario(scenario_doc(two_vendors(cheap_cap=60e-6, dear_cap=69.6e-6), demand=130e-6)),
                       objective="cost")
    document = result.to_json()
    assert document["unmet"][0]["h100e"] == pytest.approx(0.4e-6, rel=1e-6)
    assert document["total_cost_usd"] == pytest.approx(120e-6 + 208.8e-6 + 0.4e-3, rel=1e-9)
