"""Ladders (policy.ladders: ladder_up / ladder_down) and staggered commitments (policy.staggers:
stagger), each on a tiny model answered by hand; every price against a finite-difference
re-solve in its stated unit. Discount rate 0 throughout, so present values are plain sums."""

from __future__ import annotations

import copy

import pytest

import optimizer as cpo
from conftest import offer, price, product, scenario_doc, vendor
from optimizer.commitments import from_result
from optimizer.errors import VerificationError
from optimizer.formulation import constraints
from optimizer.plan import Plan
from optimizer.verify import verify_plan


def catalog(cheap: str = "reserved", cap=None) -> dict:
    """cheap: 1 kW units at $1 per unit-year (a 1-year reservation, or on demand); dear: on demand
    at $3 (both at the cloud's PUE 1.2: 0.0012 MW per unit)."""
    return {"cheap": vendor({"c1": product(reference=True)},
                            {"res": offer("c1", 1.0, channel=cheap, term=1 if cheap == "reserved" else None, cap=cap)}),
            "dear": vendor({"d1": product()}, {"rent": offer("d1", 3.0, provider="cloud-b")})}


def ladder(**fields) -> dict:
    return {"name": "l", "match": {"vendor": "cheap"}} | fields


def ramp(step: str = "year", **ladder_fields) -> dict:
    """Demand 100 in 2026, 300 in 2027; the cheap reservation may rise by `max_increase` a year."""
    doc = scenario_doc(catalog(), demand={2026: 100, 2027: 300}, end=2027,
                       policy={"ladders": [ladder(**ladder_fields)]})
    doc["periods"]["step"] = step
    return doc


def level(result, period: str) -> float:
    return next(r["level"] for r in result.tables["ladders"] if r["period"] == period)


def yearly_levels(result) -> list[float]:
    """Each calendar year's average of the ladder's level (quarters averaged)."""
    by_year: dict[str, list[float]] = {}
    for row in result.tables["ladders"]:
        by_year.setdefault(row["period"][:4], []).append(row["level"])
    return [sum(values) / len(values) for _, values in sorted(by_year.items())]


def prices_of(result, family: str) -> list[float]:
    return [r["value"] for r in result.tables["prices"] if r["family"] == family]


@pytest.mark.parametrize("step", ["year", "quarter"])
def test_a_ladder_per_year_gives_the_same_plan_in_years_and_quarters(solve, step):
    """Demand 100 then 300, the cheap reservation ($1/unit-year) may rise by 150 within any 12
    months, dear on demand costs $3. Keeping 50 idle reserved units in 2026 ($1 each) lets 2027
    hold 300 ($300) instead of renting 50 dear ($150 − $50 more): 150 in 2026, 300 in 2027, cost
    150 + 300 = $450. In quarters every 2027 quarter is within a year of every 2026 quarter from
    the same quarter on, so each 2026 quarter holds 150 too: the same plan and cost. One more
    unit/yr of cap lets one idle unit go: $1 (years: the one row's price; quarters: the rows share
    it, and their prices add up to it). Re-solved at 151: $449."""
    result = solve(ramp(step, max_increase=150))
    result.verify()
    assert result.total_cost_usd == pytest.approx(450.0)
    assert yearly_levels(result) == pytest.approx([150.0, 300.0])
    assert sum(prices_of(result, "ladder_up")) == pytest.approx(1.0)
    if step == "year":
        assert price(result, "ladder_up[l,2026,2027]") == pytest.approx(1.0)
        row = result.tables["ladders"][1]
        assert (row["rise_within_year"], row["max_increase_per_year"], row["unit"]) == (pytest.approx(150.0), 150.0,
                                                                                       "units")
    assert solve(ramp(step, max_increase=151)).total_cost_usd == pytest.approx(449.0)


def test_a_ladder_on_an_on_demand_offer_in_quarters_prices_one_step(solve):
    """Cheap is on demand ($1/unit-year, signed per quarter), laddered only from 2026Q4 to 2027Q1
    (one pair, a quarter apart) by 150/yr. Every quarter pays a quarter-year: 2026Q1-Q3 hold 100
    ($75), 2026Q4 holds 150 ($37.5, 50 idle: cheaper than 50 dear in 2027Q1, $37.5 against
    $12.5), 2027 holds 300 ($300): $412.5. One more unit/yr of cap lets one idle unit of 2026Q4
    go: $0.25 (in $ of 2027Q1, per unit/yr). Re-solved at 151: $412.25."""
    def doc(cap: float) -> dict:
        d = scenario_doc(catalog("on_demand"), demand={2026: 100, 2027: 300}, end=2027,
                         policy={"ladders": [ladder(max_increase=cap, **{"from": "2026Q4", "to": "2027Q1"})]})
        d["periods"]["step"] = "quarter"
        return d

    result = solve(doc(150))
    result.verify()
    assert result.total_cost_usd == pytest.approx(412.5)
    assert level(result, "2026Q4") == pytest.approx(150.0)
    assert price(result, "ladder_up[l,2026Q4,2027Q1]") == pytest.approx(0.25)
    assert [r["period"] for r in result.tables["ladders"]] == ["2026Q4", "2027Q1"]
    assert solve(doc(151)).total_cost_usd == pytest.approx(412.25)


def rolloff(scale: float = 1.0, measure: str = "units", cap: float = 50.0, **extra) -> dict:
    """200 installed cheap reserved units (paying $1) in 2026, none in 2027; demand 100 both
    years; the ladder (every offer: the default match) may fall by `cap` a year."""
    rule = {"name": "l", "measure": measure, "max_decrease": cap * scale}
    return scenario_doc(catalog(), demand=100 * scale, end=2027, policy={"ladders": [rule]},
                        existing=[{"offer": "cheap/res", "units": {2026: 200 * scale, 2027: 0}}], **extra)


def test_installed_units_rolling_off_are_refilled_up_to_the_ladder(solve):
    """The installed 200 end with 2026; active capacity may fall 50 a year, so 2027 holds 150
    (the cheapest refill: cheap at $1, 50 of them idle): $200 installed + $150 = $350 (without
    the ladder $300). One more unit/yr of fall saves $1; re-solved at 51: $349."""
    result = solve(rolloff())
    result.verify()
    assert result.total_cost_usd == pytest.approx(350.0)
    assert [level(result, p) for p in ("2026", "2027")] == pytest.approx([200.0, 150.0])
    assert price(result, "ladder_down[l,2026,2027]") == pytest.approx(1.0)
    assert solve(rolloff(cap=51)).total_cost_usd == pytest.approx(349.0)


def test_a_ladder_in_mw_at_a_billion_units(solve):
    """The roll-off at 1e7 times the size (demand 1e9 units), the ladder in facility MW (0.0012
    MW per unit): a fall of 50e7 units is 6e5 MW. Cost 350e7; one more MW/yr of fall lets 1/0.0012
    units go, saving $833.33 per MW/yr; re-solved with 1,000 MW/yr more: 350e7 − 833,333."""
    mw = 0.0012
    result = solve(rolloff(1e7, "mw", 50 * mw))
    result.verify()
    assert result.total_cost_usd == pytest.approx(350e7)
    assert price(result, "ladder_down[l,2026,2027]") == pytest.approx(1 / mw)
    assert next(r["unit"] for r in result.tables["prices"] if r["family"] == "ladder_down") == "$ per MW/yr"
    assert solve(rolloff(1e7, "mw", 50 * mw + 1000 / 1e7)).total_cost_usd == pytest.approx(350e7 - 1000 / mw)


def test_held_signings_that_break_a_ladder_are_grandfathered(solve, make_scenario):
    """The plan made without the ladder signs 100 for 2027 ($300): held whole under the ladder,
    its fall of 100 (installed 200 -> held 100) cannot be refilled (no free signing) and is
    allowed: feasible, $300, verified. Holding only 2026 (nothing signed then) leaves 2027 free:
    it is refilled to 150 ($350)."""
    plain = copy.deepcopy(rolloff())
    del plain["policy"]
    unladdered = solve(plain)
    assert unladdered.total_cost_usd == pytest.approx(300.0)
    held = cpo.solve(make_scenario(rolloff(), commitments=from_result(unladdered)), objective="cost")
    held.verify()
    assert held.total_cost_usd == pytest.approx(300.0)
    assert held.tables["ladders"][1]["fall_within_year"] == pytest.approx(100.0)
    early = cpo.solve(make_scenario(rolloff(), commitments=from_result(unladdered, 2026)), objective="cost")
    assert early.total_cost_usd == pytest.approx(350.0)


def test_a_ladder_that_cannot_be_refilled_is_diagnosed(make_scenario):
    """As the roll-off, the ladder on cheap alone, which can supply only 100 units a year: 2027
    needs 150. Raise max_decrease from 50 to 100, or cheap's supply cap from 100 to 150."""
    doc = rolloff()
    doc["catalog"] = catalog(cap=100)
    doc["policy"]["ladders"][0]["match"] = {"vendor": "cheap"}
    with pytest.raises(cpo.InfeasibleError) as caught:
        cpo.solve(make_scenario(doc), objective="cost")
    found = {r.field: (r.current, r.needed) for r in caught.value.details.relaxations
             + [r for rs in caught.value.details.alternatives.values() for r in rs]}
    assert found["policy.ladders[0].max_decrease"] == pytest.approx((50.0, 100.0))
    assert found["catalog.cheap.offers.res.supply_cap.value"] == pytest.approx((100.0, 150.0))


def stagger_doc(max_share: float = 0.6, measure: str = "units", step: str = "year") -> dict:
    """2026 only, demand 100; a 1-year reservation at $1 (its term ends in 2026) and a 2-year one
    at $1.5/unit-year (ends in 2027), both signable in 2026Q1 only."""
    doc = scenario_doc({"v": vendor({"p": product(reference=True)},
                                    {"one": offer("p", 1.0, channel="reserved", term=1, end="2026Q1"),
                                     "two": offer("p", 1.5, channel="reserved", term=2, end="2026Q1")})},
                       policy={"staggers": [{"name": "g", "measure": measure, "max_share": max_share}]})
    doc["periods"]["step"] = step
    return doc


@pytest.mark.parametrize("step", ["year", "quarter"])
def test_a_stagger_spreads_the_ends_of_terms(solve, step):
    """Unstaggered, all 100 would be 1-year ($100), all ending in 2026. At most 60% may end in one
    year: 60 one-year and 40 two-year units, 60 + 1.5 x 40 = $120 (the same in quarters: both
    sign in 2026Q1). The cost is 150 − 50 s, so a point of max_share saves $0.5 = |π| x 100 x
    0.01 (π = 0.5); re-solved at 0.61: $119.5."""
    result = solve(stagger_doc(step=step))
    result.verify()
    assert result.total_cost_usd == pytest.approx(120.0)
    rows = {r["year"]: r for r in result.tables["staggers"]}
    assert (rows["2026"]["ending"], rows["2027"]["ending"]) == pytest.approx((60.0, 40.0))
    assert rows["2026"]["share"] == pytest.approx(0.6)
    assert price(result, "stagger[g,2026]") == pytest.approx(0.5)
    assert solve(stagger_doc(0.61, step=step)).total_cost_usd == pytest.approx(119.5)


def test_a_stagger_in_dollars_of_obligation(solve):
    """Measured in $ signed (1-year: $1 per unit; 2-year: $3), 2026's ends a ≤ 0.6 (a + 3b):
    b ≥ 2a/9, so a = 900/11, b = 200/11, cost a + 1.5 b = 1200/11. KKT: 1 + 0.4 μ = 1.5 − 1.8 μ,
    μ = 5/22; Σ m x = a + 3b = 1500/11, a point of share saves μ x 1500/11 x 0.01 = 75/242 =
    $0.3099: the slope of the re-solved cost at 0.6 (± 0.0005)."""
    result = solve(stagger_doc(measure="usd"))
    result.verify()
    assert result.total_cost_usd == pytest.approx(1200 / 11)
    assert price(result, "stagger[g,2026]") == pytest.approx(75 / 242)
    slope = (solve(stagger_doc(0.5995, "usd")).total_cost_usd - solve(stagger_doc(0.6005, "usd")).total_cost_usd) / 0.1
    assert slope == pytest.approx(75 / 242, rel=1e-4)


def test_verify_refuses_a_plan_that_breaks_a_ladder_or_a_stagger(solve, monkeypatch):
    """The roll-off plan with its 2027 signing cut to 100 falls 100 > 50; the stagger plan with all
    100 in one-year units ends 100% in 2026 > 60%. And a formulation without the ladder rows
    signs 100 for 2027 (a fall of 100), which solve's own verify() refuses."""
    for doc, family in ((rolloff(), "ladder_down[l,2026,2027]"), (stagger_doc(), "stagger[g,2026]")):
        result = solve(doc)
        plan = result.plan_values
        acquired = {key: value for key, value in plan.acquired.items()}
        key = max(acquired, key=lambda k: acquired[k]) if family.startswith("ladder") else None
        if key is not None:
            acquired[key] = 100.0
        else:
            acquired = {k: (100.0 if plan.data.offers[k[0]].term_years == 1 else 0.0) for k in acquired}
        with pytest.raises(VerificationError, match=family.replace("[", r"\[").replace("]", r"\]")):
            verify_plan(Plan(acquired, plan.assigned, plan.data, plan.decisions))
    monkeypatch.setattr(constraints, "ladders", lambda model: None)
    with pytest.raises(VerificationError, match=r"ladder_down\[l,2026,2027\]: 100 <= 50"):
        solve(rolloff())


@pytest.mark.parametrize("policy, field, message", [
    ({"ladders": [{"name": "l"}]}, "policy.ladders[0]", "give max_increase, max_decrease or both"),
    ({"ladders": [{"name": "l", "max_increase": -1}]}, "policy.ladders[0].max_increase", "expected a number >= 0"),
    ({"ladders": [{"name": "l", "max_increase": 1, "from": 2027}]}, "policy.ladders[0]",
     "covers only 2027, expected a window of at least two periods"),
    ({"ladders": [{"name": "l", "max_increase": 1}, {"name": "l", "max_decrease": 1}]}, "policy.ladders[1].name",
     "found 'l' again"),
    ({"ladders": [{"name": "l", "max_increase": 1, "match": {"vendor": "nobody"}}]}, "policy.ladders[0].match.vendor",
     "found 'nobody'"),
    ({"staggers": [{"name": "g", "max_share": 0.4}]}, "policy.staggers[0].max_share",
     "found 0.4 with the matched terms ending in only 2 calendar years (2026, 2027), expected at least 1/2"),
    ({"staggers": [{"name": "g", "max_share": 0}]}, "policy.staggers[0].max_share", "found 0, expected a number > 0"),
    ({"staggers": [{"name": "g", "max_share": 0.5, "match": {"vendor": "dear"}}]}, "policy.staggers[0].match",
     "found only on-demand offers"),
])
def test_bad_ladders_and_staggers_are_located(make_scenario, policy, field, message):
    """Each mistake is a ConfigError naming the field, what it found and what it expected."""
    doc = scenario_doc(catalog(), end=2027, policy=policy)
    with pytest.raises(cpo.ConfigError) as caught:
        make_scenario(doc)
    text = str(caught.value)
    assert field in text and message in text, text
