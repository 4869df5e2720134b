"""Capacity options (#17, instrument 1), each on a tiny model answered by hand.

The base case is architecture.md's: demand 100 H100e for 2026, cheap on-demand capacity at $2
(catalog cap 60 units), dear at $3, products of 1 kW at the cloud's PUE 1.2 (0.0012 MW per
unit). Without an option the plan is 60 cheap + 40 dear = $240.
"""

from __future__ import annotations

import pytest

import optimizer as cpo
from conftest import acquired, price, scenario_doc, two_vendors
from optimizer.formulation import objective as objective_module
from test_verify import drop

MW_PER_UNIT = 1.0 * 1.2 / 1000


def option(**fields) -> dict:
    return {"name": "opt", "counterparty": "Cheap Co", "covers": {"vendor": "cheap"}, "units": 30,
            "exercise": {"from": 2026, "to": 2026}, "fee_usd_per_unit": 0.5, "source": "test"} | fields


def rows(result, name: str = "opt") -> list[dict]:
    return [r for r in result.tables["options"] if r["option"] == name]


@pytest.mark.parametrize("step", ["year", "quarter"])
def test_an_option_cheaper_than_spot_is_bought_and_exercised(solve, step):
    """A right to 30 more cheap units beyond the catalog's cap, at $0.50 a unit: 2 + 0.5 < 3, so
    all 30 are reserved and exercised in place of dear units: 60 x 2 + 30 x 2 + 10 x 3 + 30 x 0.5
    = $225. Its value: $240 without it, $210 with it free: $30, i.e. at most $1 per unit, and
    $30 / (0.036 MW x 1 year) = $833.33 per MW-year; one more unit of right would save 3 − 2 =
    $1 before its fee: option_size's price is 1 − 0.5 = $0.50, the marginal value $1.
    In quarters the same plan on average: on-demand units count a quarter each (commitment 0.25)
    against the per-year cap and the right, so 4 x 30 optioned and 4 x 10 dear unit-quarters
    (how they spread over the quarters is the LP's choice: every spread costs the same)."""
    doc = scenario_doc(two_vendors(), periods={"start": 2026, "end": 2026, "step": step}, options=[option()])
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(225.0)
    assert result.cost_breakdown_usd["option_fees"] == pytest.approx(15.0)
    quarters = 1 if step == "year" else 4
    assert acquired(result, "cheap/rent#opt") == pytest.approx(30 * quarters)
    assert acquired(result, "dear/rent") == pytest.approx(10 * quarters)
    table = rows(result)
    assert len(table) == (1 if step == "year" else 4)
    row = table[0]
    assert sum(r["exercised_units"] for r in table) == pytest.approx(30 * quarters)
    assert (row["reserved_units"], row["reserved_mw"], row["fee_usd"]) == pytest.approx((30, 30 * MW_PER_UNIT, 15))
    assert row["value_usd"] == pytest.approx(30.0)
    assert row["max_fee_usd_per_unit"] == pytest.approx(1.0)
    assert row["max_fee_usd_per_mw_year"] == pytest.approx(30 / (30 * MW_PER_UNIT))
    assert row["marginal_value_usd_per_unit"] == pytest.approx(1.0)
    assert price(result, "option_size[opt]") == pytest.approx(0.5)


def test_an_option_dearer_than_spot_is_left_and_still_valued(solve):
    """At $1.50 a unit, 2 + 1.5 > 3: no right is bought, the plan is the base's $240; the right
    is still worth $30 ($1 a unit), below its fee: the table says pay at most $1."""
    result = solve(scenario_doc(two_vendors(), options=[option(fee_usd_per_unit=1.5)]))
    assert result.total_cost_usd == pytest.approx(240.0)
    assert acquired(result, "cheap/rent#opt") == pytest.approx(0)
    row = rows(result)[0]
    assert (row["reserved_units"], row["fee_usd"]) == pytest.approx((0, 0))
    assert (row["value_usd"], row["max_fee_usd_per_unit"]) == pytest.approx((30.0, 1.0))


def test_optioned_units_stay_inside_scenario_supply_pools(solve):
    """A scenario pool of 70 cheap units a year covers the copies too (only the catalog's cap is
    what the right buys past): 60 cheap + 10 optioned + 30 dear = 120 + 20 + 5 + 90 = $235; the
    right is worth 240 − 230 = $10. A pool that leaves the copies out (`option: "(none)"`) gives
    back the $225 plan."""
    inside = solve(scenario_doc(two_vendors(), options=[option()],
                                supply=[{"name": "pool", "match": {"vendor": "cheap"}, "cap": 70}]))
    assert inside.total_cost_usd == pytest.approx(235.0)
    assert acquired(inside, "cheap/rent#opt") == pytest.approx(10)
    assert rows(inside)[0]["value_usd"] == pytest.approx(10.0)
    outside = solve(scenario_doc(two_vendors(), options=[option()],
                                 supply=[{"name": "pool", "match": {"vendor": "cheap", "option": "(none)"}, "cap": 70}]))
    assert outside.total_cost_usd == pytest.approx(225.0)


def test_a_right_bought_a_year_ahead_is_discounted_by_when_it_is_paid(solve):
    """2026-2027 at 10%: demand only in 2027, the right bought at the start of 2026 for $0.50 a
    unit, exercised in 2027 at a strike of $1.80 (below the catalog's $2). Each optioned unit
    saves (3 − 1.8) / 1.1 = $1.0909 of present value against dear, so all 30 are bought:
    (60 x 2 + 30 x 1.8 + 10 x 3) / 1.1 + 15 = $200 + 4/1.1 = $3.6364 → $203.6364. The right is
    worth 30 x 1.2 / 1.1 = $32.727 (present value at 2026's start), $1.0909 a unit, and over the
    two years from the fee to the window's end $32.727 / (0.036 MW x 2) = $454.55 per MW-year;
    one more unit of right is worth $1.0909 in 2026 dollars (the fee plus option_size's price)."""
    doc = scenario_doc(two_vendors(), demand={2026: 0, 2027: 100}, end=2027, discount_rate=0.1,
                       options=[option(reserve=2026, exercise={"from": 2027, "to": 2027},
                                       strike={"recurring_usd": 1.8})])
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx((120 + 54 + 30) / 1.1 + 15)
    assert acquired(result, "cheap/rent#opt", "2027") == pytest.approx(30)
    row = rows(result)[0]
    assert row["value_usd"] == pytest.approx(36 / 1.1)
    assert row["max_fee_usd_per_unit"] == pytest.approx(1.2 / 1.1)
    assert row["max_fee_usd_per_mw_year"] == pytest.approx(36 / 1.1 / (30 * MW_PER_UNIT * 2))
    assert row["marginal_value_usd_per_unit"] == pytest.approx(1.2 / 1.1)


def test_an_option_in_mw_at_a_billion_h100e(solve):
    """Demand 1e9, cheap cap 6e8 units, a right to 360,000 MW (3e8 units of 0.0012 MW) at $500 per
    MW ($0.60 a unit: 2.6 < 3, so all of it): 6e8 x 2 + 3e8 x 2 + 1e8 x 3 + 360,000 x 500 =
    $2.28e9. Worth 2.4e9 − 2.1e9 = $3e8: $1 a unit, $833.33 per MW-year; one more MW of right
    saves 833.33 units x $1 − $500 of fee, so the marginal value is $1 a unit."""
    doc = scenario_doc(two_vendors(cheap_cap=6e8), demand=1e9,
                       options=[option(units=None, mw=360_000, fee_usd_per_unit=None, fee_usd_per_mw=500)])
    result = solve(doc)
    assert result.total_cost_usd == pytest.approx(2.28e9)
    assert acquired(result, "cheap/rent#opt") == pytest.approx(3e8)
    row = rows(result)[0]
    assert (row["size_units"], row["size_mw"], row["reserved_mw"]) == pytest.approx((3e8, 360_000, 360_000))
    assert (row["value_usd"], row["max_fee_usd_per_unit"]) == pytest.approx((3e8, 1.0))
    assert row["max_fee_usd_per_mw_year"] == pytest.approx(1 / MW_PER_UNIT)
    assert row["marginal_value_usd_per_unit"] == pytest.approx(1.0)
    assert price(result, "option_size[opt]") == pytest.approx(1 / MW_PER_UNIT - 500)


def test_the_option_value_under_integer_is_the_milp_re_solve(solve):
    """--integer: the same $225 plan and $30 value (whole units here), by re-solving the MILP."""
    result = solve(scenario_doc(two_vendors(), options=[option()], milp={"integer": True}))
    assert result.total_cost_usd == pytest.approx(225.0)
    assert rows(result)[0]["value_usd"] == pytest.approx(30.0)


@pytest.mark.parametrize("fields, where", [
    ({"mw": 10}, "options[0]: found both units and mw"),
    ({"fee_usd_per_unit": None, "fee_usd_per_mw": 5}, "options[0]: found fee_usd_per_mw, expected "
     "fee_usd_per_unit"),
    ({"covers": {"vendor": "nobody"}}, "options[0].covers.vendor: found 'nobody'"),
    ({"reserve": 2027, "exercise": {"from": 2026, "to": 2027}}, "options[0].reserve: found '2027', after the "
     "exercise window's start 2026"),
    ({"reserve": "2026Q3"}, "options[0].reserve: found '2026Q3', expected a period of the horizon"),
    ({"exercise": {"from": 2027, "to": 2027}, "covers": {"offer": "cheap/rent"}}, "options[0].exercise: found no "
     "covered offer signable in 2027-2027"),
])
def test_bad_options_are_located_errors(make_scenario, fields, where):
    doc = scenario_doc(two_vendors(), end=2027, options=[option(**fields)])
    doc["catalog"]["cheap"]["offers"]["rent"]["available"]["to"] = 2026
    with pytest.raises(cpo.ConfigError) as error:
        make_scenario(doc)
    assert where in str(error.value)


def test_option_names_are_unique_among_options_and_packages(make_scenario):
    package = {"name": "opt", "counterparty": "x", "items": [{"covers": {"vendor": "dear"}, "period": 2026,
                                                               "units": 1}], "payments": {2026: 1}, "source": "t"}
    with pytest.raises(cpo.ConfigError, match=r"packages\[0\]\.name: found 'opt' again"):
        make_scenario(scenario_doc(two_vendors(), options=[option()], packages=[package]))


@pytest.mark.parametrize("mutate", [drop("options"), lambda monkeypatch: monkeypatch.setattr(
    objective_module, "instrument_terms", lambda model: [])], ids=["rows dropped", "fees dropped"])
def test_verify_refuses_a_plan_that_breaks_the_option(make_scenario, monkeypatch, mutate):
    """Without the option rows the solver signs copies without a right (x > reserve = 0); without
    the fees in the objective the solver's cost is $15 below the plan's recomputed cost."""
    scenario = make_scenario(scenario_doc(two_vendors(), options=[option()]))
    mutate(monkeypatch)
    with pytest.raises(cpo.VerificationError):
        cpo.solve(scenario, objective="cost")


def test_under_scenarios_the_right_is_bought_now_and_exercised_only_where_it_pays(tmp_path):
    """2026-2027, the stage ends with 2026. Demand comes in 2027 only: 60 (low, p = 0.5) or 100
    (high, p = 0.5); cheap $2 (cap 60), dear $3. The right to 30 cheap units in 2027 costs $0.40
    a unit, bought in 2026 (here and now, one choice for both scenarios); each unit saves $1 in
    high only: 0.5 x 1 > 0.4, so all 30 are bought, and exercised in high only. low: 120 + 12 =
    $132; high: 120 + 60 + 30 + 12 = $222; expected $177 (without the right: 0.5 x 120 + 0.5 x
    240 = $180). The right is worth the expected saving: 180 − (0.5 x 120 + 0.5 x 210) = $15,
    at most $0.50 a unit; a deterministic base (demand 80) would see the same $0.50 as a sure
    saving on 20 units, not a hedge."""
    import yaml

    doc = scenario_doc(two_vendors(), demand={2026: 0, 2027: 80}, end=2027,
                       options=[option(fee_usd_per_unit=0.4, reserve=2026, exercise={"from": 2027, "to": 2027})])
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    scenarios = {"until": 2026, "scenarios": [
        {"name": name, "probability": 0.5, "changes": [{"set": "workloads.training.demand", "to": {2026: 0, 2027: d}}]}
        for name, d in (("low", 60), ("high", 100))]}
    file = tmp_path / "risks.yaml"
    file.write_text(yaml.safe_dump(scenarios, sort_keys=False))
    result = cpo.solve(cpo.load(path), objective="cost", scenarios=file)
    assert result.summary["objective_usd"] == pytest.approx(177.0)
    low, high = (result.results[name] for name in ("low", "high"))
    assert (low.total_cost_usd, high.total_cost_usd) == pytest.approx((132.0, 222.0))
    for scenario, exercised in ((low, 0.0), (high, 30.0)):
        (row,) = rows(scenario)
        assert (row["reserved_units"], row["exercised_units"]) == pytest.approx((30.0, exercised))
        assert (row["value_usd"], row["max_fee_usd_per_unit"]) == pytest.approx((15.0, 0.5))
