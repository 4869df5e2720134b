"""Economics that move (issue #15 item 4): prices as period series, efficiencies that ramp, a
provider's goodput; and physical sense (item 5): racks a site can power and cool, owned units
need a site. Each with the answer worked out by hand."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from conftest import NoAliasDumper, acquired, hall, offer, product, scenario_doc, vendor
from optimizer.cli import app
from optimizer.errors import ConfigError


def two_years(catalog: dict, demand=10) -> dict:
    return scenario_doc(catalog, demand=demand, end=2027)


def test_an_upfront_price_series_charges_the_price_of_the_signing_year(solve):
    """Owned units with a 1-year life cost $100 in 2026 and $50 in 2027: 10 a year, $1,500."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"own": offer("p", 0.0, channel="buy", provider="self", term=1)})}
    catalog["v"]["offers"]["own"]["upfront"]["value"] = {2026: 100, 2027: 50}
    result = solve(two_years(catalog) | {"sites": {"hall": hall()}})
    assert result.total_cost_usd == pytest.approx(1500.0)
    assert acquired(result, "v/own@hall", "2027") == pytest.approx(10)


def test_a_reservations_rent_is_fixed_when_it_is_signed(solve):
    """A 2-year reservation at $2 signed in 2026 keeps its $2 in 2027, when new ones cost $4;
    on demand is $3: reserve 10 in 2026, $40 (were the rent the period's, 2 + 4 = 6 a unit:
    no better than on demand's 3 + 3, $60)."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"res": offer("p", 0.0, channel="reserved", provider="r", term=2),
                            "od": offer("p", 3.0)})}
    catalog["v"]["offers"]["res"]["recurring"]["value"] = {2026: 2, 2027: 4}
    result = solve(two_years(catalog))
    assert result.total_cost_usd == pytest.approx(40.0)
    assert acquired(result, "v/res", "2026") == pytest.approx(10)


def test_installed_units_pay_each_periods_price(solve):
    """10 installed units of an offer whose price goes from $1 to $2: $10 + $20."""
    catalog = {"v": vendor({"p": product(reference=True)}, {"res": offer("p", 0.0, channel="reserved", term=1)})}
    catalog["v"]["offers"]["res"]["recurring"]["value"] = {2026: 1, 2027: 2}
    doc = two_years(catalog)
    doc["existing"] = [{"offer": "v/res", "units": 10}]
    assert solve(doc).total_cost_usd == pytest.approx(30.0)


@pytest.mark.parametrize("throughput", [{"value": {2026: 0.5, 2027: 1.0}, "source": "test"},
                                        {"basis": "tflops", "efficiency": {2026: 0.5, 2027: 1.0}, "source": "test"}])
def test_an_efficiency_that_ramps_needs_fewer_units_as_it_matures(solve, throughput):
    """θ 0.5 in 2026 and 1 in 2027 (as a value or as spec ratio 1 x efficiency), demand 10, $1
    on demand: 20 units, then 10: $30."""
    ref = product(reference=True, other=1.0)
    ref["specs"] = {"tflops": {"value": 100, "source": "test"}}
    ramped = product()
    ramped["specs"] = {"tflops": {"value": 100, "source": "test"}}
    ramped["throughput"] = {"training": throughput}
    catalog = {"ref": vendor({"r": ref}, {}), "v": vendor({"p": ramped}, {"od": offer("p", 1.0)})}
    result = solve(two_years(catalog))
    assert acquired(result, "v/od", "2026") == pytest.approx(20)
    assert acquired(result, "v/od", "2027") == pytest.approx(10)
    assert result.total_cost_usd == pytest.approx(30.0)


def test_goodput_scales_a_providers_throughput(solve):
    """A provider delivering 80% of the product's throughput: demand 10 needs 12.5 units at $1."""
    catalog = {"v": vendor({"p": product(reference=True)}, {"od": offer("p", 1.0)})}
    catalog["v"]["offers"]["od"]["goodput"] = {"value": 0.8, "source": "test"}
    result = solve(scenario_doc(catalog, demand=10))
    assert acquired(result, "v/od") == pytest.approx(12.5)
    assert result.total_cost_usd == pytest.approx(12.5)


def test_equity_from_a_vendor_moves_the_plan_but_never_lowers_procurement_cost(solve):
    """Dear ($3) invests $1.10 in the lab per unit bought, against cheap's $2: the plan still goes
    all dear (worth $190 to the lab), but the procurement cost is the $300 it pays; the $110 is
    vendor equity, its own line (as a credit, the same deal would cost $190)."""
    from conftest import two_vendors

    financing = {"rate": 1.1, "per": "unit", "cap_usd": 1000, "kind": "equity", "source": "test"}
    deal = {"name": "invest", "counterparty": "Dear Co", "covers": {"vendor": "dear"}, "from": 2026,
            "financing": financing, "source": "test"}
    result = solve(scenario_doc(two_vendors(cheap_cap=None), deals=[deal]))
    assert acquired(result, "dear/rent") == pytest.approx(100)
    assert result.total_cost_usd == pytest.approx(300.0)
    assert result.cost_breakdown_usd["vendor_equity"] == pytest.approx(-110.0)
    assert result.cost_breakdown_usd["financing_credit"] == pytest.approx(0.0)
    assert result.objective_value_usd == pytest.approx(190.0)
    assert result.tables["deals"][0]["financing_kind"] == "equity"
    financing["kind"] = "credit"
    assert solve(scenario_doc(two_vendors(cheap_cap=None), deals=[deal])).total_cost_usd == pytest.approx(190.0)


def test_a_rack_too_dense_or_too_hot_for_a_site_cannot_land_there(make_scenario):
    """A 200 kW liquid-cooled rack fits the campus (liquid cooling, no density cap) but neither a
    40 kW colocation cage nor an air-cooled hall; a 15 kW air-cooled one fits all three."""
    dense = product(reference=True)
    dense.update(rack_kw={"value": 200, "source": "test"}, cooling="liquid")
    light = product()
    light.update(rack_kw={"value": 15, "source": "test"})
    catalog = {"v": vendor({"dense": dense, "light": light},
                           {"own-dense": offer("dense", 1.0, channel="buy", provider="self", term=1),
                            "own-light": offer("light", 1.0, channel="buy", provider="self", term=1)})}
    sites = {"campus": {"power_mw": 10, "pue": 1.2, "region": "us"},
             "cage": {"power_mw": 10, "pue": 1.5, "region": "us", "max_rack_kw": 40},
             "hall": {"power_mw": 10, "pue": 1.4, "region": "us", "liquid_cooling": False}}
    keys = {o.key for o in make_scenario(scenario_doc(catalog, sites=sites)).data.offers}
    assert keys == {"v/own-dense@campus", "v/own-light@campus", "v/own-light@cage", "v/own-light@hall"}


def owned_and_rented() -> dict:
    """An owned offer (`buy`) beside a rental of the same product."""
    return {"v": vendor({"p": product(reference=True)},
                        {"own": offer("p", 1.0, channel="buy", provider="self", term=1), "rent": offer("p", 3.0)})}


def test_a_buy_offer_no_site_hosts_is_refused_at_the_offer(tmp_path):
    """Owned units without a site would pay no facility and no energy and draw on no power cap:
    `cpo validate` exits 1 with one located line naming the offer, and no traceback."""
    path = tmp_path / "no-hall.yaml"
    text = yaml.dump(scenario_doc(owned_and_rented()), Dumper=NoAliasDumper, sort_keys=False)
    path.write_text(text)
    assert text.splitlines()[22] == "        channel: buy"  # line 23: the owned offer's channel
    result = CliRunner().invoke(app, ["validate", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"{path}:23: catalog.v.offers.own.channel: found `buy` offer 'v/own' that no site hosts "
            "(sites: none), expected a site") in result.output
    assert "v/rent" not in result.output


def test_a_buy_offer_whose_racks_fit_no_site_is_refused_unless_excluded(make_scenario):
    """A liquid-cooled offer beside an air-cooled hall only: refused, naming the hall; excluded,
    the scenario loads with the rental alone; a hall that can cool it hosts it (v/own@hall)."""
    catalog = owned_and_rented()
    catalog["v"]["products"]["p"]["cooling"] = "liquid"
    air = {"hall": hall() | {"liquid_cooling": False}}
    with pytest.raises(ConfigError, match=r"catalog\.v\.offers\.own\.channel: found `buy` offer 'v/own' that no "
                                          r"site hosts \(sites: hall\)") as refused:
        make_scenario(scenario_doc(catalog, sites=air))
    assert len(refused.value.problems) == 1
    excluded = make_scenario(scenario_doc(catalog, sites=air, exclude=[{"channel": "buy"}]))
    assert [o.key for o in excluded.data.offers] == ["v/rent"]
    hosted = make_scenario(scenario_doc(catalog, sites={"hall": hall()}))
    assert sorted(o.key for o in hosted.data.offers) == ["v/own@hall", "v/rent"]
