"""Hand-made infeasible scenarios: the diagnosis names the field to move and by how much."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

import optimizer as cpo
from conftest import offer, product, scenario_doc, two_vendors, vendor
from optimizer.cli import app


def infeasible(make_scenario, doc, objective="cost") -> cpo.InfeasibleError:
    with pytest.raises(cpo.InfeasibleError) as caught:
        cpo.solve(make_scenario(doc), objective=objective)
    return caught.value


def moves(error) -> dict[str, tuple[float, float]]:
    """field -> (current, needed), from the combined relaxation and every alternative."""
    details = error.details
    found = {}
    for relaxation in details.relaxations + [r for rs in details.alternatives.values() for r in rs]:
        found[relaxation.field] = (relaxation.current, relaxation.needed)
    return found


def test_power_below_installed_units_idles_the_rest(make_scenario):
    """100 installed owned units of 1 kW at PUE 1.2 need 0.12 MW; the site has 0.1 MW. No longer
    infeasible: 83.3 units run, 16.7 sit idle (no power, no energy), and 16.7 H100e of demand go
    unmet at VOLL (16,667); recurring is paid on all 100 ($100)."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"own": offer("p", 1.0, channel="buy", provider="self", term=5)})}
    doc = scenario_doc(catalog, sites={"dc": {"power_mw": 0.1, "pue": 1.2, "region": "us", "energy_usd_per_mwh": 10}},
                       existing=[{"offer": "v/own", "site": "dc", "units": 100}])
    result = cpo.solve(make_scenario(doc), objective="cost")
    power = result.tables["power"][0]
    assert (power["used_mw"], power["installed_mw"]) == pytest.approx((0.1, 0.12))
    assert result.tables["unmet"][0]["h100e"] == pytest.approx(100 - 0.1 / 0.0012)
    assert result.cost_breakdown_usd["energy"] == pytest.approx(0.1 * 8760 * 10)
    assert result.total_cost_usd == pytest.approx(100 + 0.1 * 8760 * 10 + (100 - 0.1 / 0.0012) * 1000)


def test_share_floor_against_a_supply_cap(make_scenario):
    """100 installed cheap units; dear must hold 60% of units, i.e. 150, but can supply 100 a year.
    Fix: raise dear's cap to 150, or lower the floor to 100/200 = 0.5."""
    doc = scenario_doc(two_vendors(cheap_cap=None, dear_cap=100),
                       existing=[{"offer": "cheap/rent", "units": 100}],
                       policy={"shares": [{"group": "vendor", "member": "dear", "measure": "units", "min": 0.6}]})
    found = moves(infeasible(make_scenario, doc))
    assert found["catalog.dear.offers.rent.supply_cap.value"] == pytest.approx((100, 150))
    assert found["policy.shares[0].min"] == pytest.approx((0.6, 0.5))


def test_share_cap_against_installed_units(make_scenario):
    """Cheap holds 100 installed units and may have at most 30% of units; dear can add 100, so
    cheap's share is at least 50%. Fix: raise the cap to 0.5, or dear's cap to 233.3."""
    doc = scenario_doc(two_vendors(cheap_cap=None, dear_cap=100),
                       existing=[{"offer": "cheap/rent", "units": 100}],
                       policy={"shares": [{"group": "vendor", "member": "cheap", "measure": "units", "max": 0.3}]})
    found = moves(infeasible(make_scenario, doc))
    assert found["policy.shares[0].max"] == pytest.approx((0.3, 0.5))
    assert found["catalog.dear.offers.rent.supply_cap.value"] == pytest.approx((100, 100 / 0.3 - 100))


def test_hard_resilience_beyond_the_survivors(make_scenario):
    """80% of demand must survive either vendor failing; dear can supply only 50 units, so if
    cheap fails 50 of the 80 critical H100e are covered. Fix: critical fraction 0.5, or dear's
    cap 80."""
    doc = scenario_doc(two_vendors(cheap_cap=None, dear_cap=50),
                       policy={"resilience": {"mode": "hard", "critical_fraction": 0.8,
                                              "failures": [{"group": "vendor"}]}})
    error = infeasible(make_scenario, doc)
    found = moves(error)
    assert found["policy.resilience.critical_fraction (training)"] == pytest.approx((0.8, 0.5))
    assert found["catalog.dear.offers.rent.supply_cap.value"] == pytest.approx((50, 80))
    assert any("set policy.resilience.mode: priced" in line for line in error.diagnosis)


def test_hard_resilience_beyond_a_delivery_schedule(make_scenario):
    """As above, with dear limited by its deal's delivery schedule instead of a supply cap:
    0.06 MW is 50 units of 1 kW at the cloud PUE 1.2. Fix: critical fraction 0.5, or 0.096 MW
    (80 units)."""
    doc = scenario_doc(two_vendors(cheap_cap=None, dear_cap=None),
                       deals=[{"name": "d", "counterparty": "Dear Co", "covers": {"vendor": "dear"}, "from": 2026,
                               "max_mw": 0.06, "source": "test"}],
                       policy={"resilience": {"mode": "hard", "critical_fraction": 0.8,
                                              "failures": [{"group": "vendor"}]}})
    found = moves(infeasible(make_scenario, doc))
    assert found["policy.resilience.critical_fraction (training)"] == pytest.approx((0.8, 0.5))
    assert found["deals[0].max_mw"] == pytest.approx((0.06, 0.096))


def test_budget_below_committed_rent(make_scenario):
    """100 installed units paying $2 a year against a $150 budget."""
    doc = scenario_doc(two_vendors(cheap_cap=None), existing=[{"offer": "cheap/rent", "units": 100}],
                       policy={"budget_usd_per_year": 150})
    assert moves(infeasible(make_scenario, doc))["policy.budget_usd_per_year"] == pytest.approx((150, 200))


def test_cli_exit_3_with_diagnosis_in_text_and_json(tmp_path):
    doc = scenario_doc(two_vendors(cheap_cap=None), existing=[{"offer": "cheap/rent", "units": 100}],
                       policy={"budget_usd_per_year": 150})
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    runner = CliRunner()
    result = runner.invoke(app, ["solve", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 3
    assert "raise policy.budget_usd_per_year in 2026 from 150 to 200 $/year" in result.output
    result = runner.invoke(app, ["solve", str(path), "--json"], env={"COLUMNS": "200"})
    assert result.exit_code == 3
    document = json.loads(result.stdout)
    assert document["status"] == "infeasible"
    assert document["relaxations"][0]["field"] == "policy.budget_usd_per_year"
    assert document["relaxations"][0]["needed"] == pytest.approx(200)


@pytest.mark.parametrize("case", ["share_floor", "share_cap", "resilience", "budget"])
def test_each_suggested_move_makes_the_scenario_feasible(make_scenario, case):
    """Apply every alternative the diagnosis offers (one family's moves at a time) and re-solve."""
    base = {
        "share_floor": scenario_doc(two_vendors(cheap_cap=None, dear_cap=100),
                                    existing=[{"offer": "cheap/rent", "units": 100}],
                                    policy={"shares": [{"group": "vendor", "member": "dear", "measure": "units",
                                                        "min": 0.6}]}),
        "share_cap": scenario_doc(two_vendors(cheap_cap=None, dear_cap=100),
                                  existing=[{"offer": "cheap/rent", "units": 100}],
                                  policy={"shares": [{"group": "vendor", "member": "cheap", "measure": "units",
                                                      "max": 0.3}]}),
        "resilience": scenario_doc(two_vendors(cheap_cap=None, dear_cap=50),
                                   policy={"resilience": {"mode": "hard", "critical_fraction": 0.8,
                                                          "failures": [{"group": "vendor"}]}}),
        "budget": scenario_doc(two_vendors(cheap_cap=None), existing=[{"offer": "cheap/rent", "units": 100}],
                               policy={"budget_usd_per_year": 150}),
    }[case]
    error = infeasible(make_scenario, base)
    assert error.details.alternatives
    for family, fixes in error.details.alternatives.items():
        overrides = {}
        for fix in fixes:
            path = fix.field.split(" (")[0]  # "policy.resilience.critical_fraction (training)" -> the field
            nudge = 1e-6 * max(1.0, abs(fix.needed))
            overrides[path] = fix.needed + (nudge if fix.needed > fix.current else -nudge)
        result = cpo.solve(make_scenario(base, overrides=overrides), objective="cost")
        assert result.status == "optimal", (family, overrides)
