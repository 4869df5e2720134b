"""Every example solves, passes verification and behaves as a person would predict."""

from __future__ import annotations

import shutil

import pytest
import yaml

import optimizer as cpo
from conftest import EXAMPLES, ROOT
from optimizer.results import JSON_KEYS

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))


@pytest.fixture(scope="module")
def solved() -> dict[str, cpo.solve]:
    return {path.stem: cpo.solve(cpo.load(path)) for path in EXAMPLE_FILES}


def test_there_are_three_examples():
    assert {p.stem for p in EXAMPLE_FILES} >= {"openai", "small-lab", "trainium-lab"}


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLE_FILES])
def test_example_solves_and_verifies(solved, name):
    result = solved[name]
    assert result.status == "optimal"
    result.verify()
    document = result.to_json()
    assert set(JSON_KEYS) <= set(document)
    from optimizer.results import OUTSIDE_PROCUREMENT

    parts = {k: v for k, v in document["cost_breakdown_usd"].items() if k not in OUTSIDE_PROCUREMENT}
    assert document["total_cost_usd"] == pytest.approx(sum(parts.values()), rel=1e-9)
    assert document["risk_adjusted_cost_usd"] == pytest.approx(
        document["total_cost_usd"] + document["cost_breakdown_usd"]["resilience"], rel=1e-9)


def test_openai_uses_at_least_three_vendors_and_serves_its_demand(solved):
    result = solved["openai"]
    serving = {r["vendor"] for r in result.tables["plan"] if r["served_h100e"] > 0}
    assert len(serving & {"nvidia", "aws-trainium", "amd", "broadcom"}) >= 3
    unmet = sum(r["h100e"] for r in result.tables["unmet"])
    demand = sum(r["demand_h100e"] for r in result.tables["unmet"])
    assert unmet <= 0.01 * demand


def test_openai_respects_its_nvidia_cap_from_2028(solved):
    result = solved["openai"]
    for row in result.tables["shares"]:
        if (row["group"], row["member"], row["measure"]) == ("vendor", "nvidia", "compute") and row["period"] >= "2028":
            assert row["share"] <= 0.6 + 1e-6


def test_api_inference_runs_only_on_azure(solved):
    result = solved["openai"]
    rows = [r for r in result.tables["assignment"] if r["workload"] == "api_inference"]
    assert rows
    offers = {o.key: o for o in result.data.offers}
    assert {offers[r["offer"]].attrs["provider"] for r in rows} == {"azure"}


def test_small_lab_gets_no_deal_prices(solved):
    result = solved["small-lab"]
    assert all(o.attrs["pricing"] == "list" for o in result.data.offers)


def test_raising_one_vendor_price_moves_the_plan_as_predicted(tmp_path):
    """Copy the catalog, raise AMD's MI450 upfront price by 60% in its YAML file and re-solve the
    small lab: AMD's share of compute falls, the total cost rises, and it rises by no more than
    the price increase on the MI450s the old plan bought (the old plan is still feasible)."""
    vendors = tmp_path / "vendors"
    shutil.copytree(ROOT / "vendors", vendors)
    amd = vendors / "amd.yaml"
    text = amd.read_text()
    old_line = "    upfront: {value: 40250,"
    assert text.count(old_line) == 1
    amd.write_text(text.replace(old_line, f"    upfront: {{value: {40250 * 1.6:.0f},"))
    doc = yaml.safe_load((EXAMPLES / "small-lab.yaml").read_text())
    doc["catalog_dir"] = str(vendors)
    scenario_file = tmp_path / "small-lab.yaml"
    scenario_file.write_text(yaml.safe_dump(doc, sort_keys=False))

    before = cpo.solve(cpo.load(EXAMPLES / "small-lab.yaml"), objective="cost")
    after = cpo.solve(cpo.load(scenario_file), objective="cost")

    def amd_compute(result):
        return sum(r["served_h100e"] for r in result.tables["plan"] if r["vendor"] == "amd")

    def mi450_bought(result):
        data = result.data
        return sum(data.discount[t] * units for (o, t), units in result.plan_values.acquired.items()
                   if data.offers[o].attrs["product"] == "mi450")

    assert mi450_bought(before) > 0
    assert amd_compute(after) < amd_compute(before)
    assert after.total_cost_usd > before.total_cost_usd
    assert after.total_cost_usd <= before.total_cost_usd + 0.6 * 40250 * mi450_bought(before) + 1.0
