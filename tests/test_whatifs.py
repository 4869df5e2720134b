"""What-if layers: each operation, precedence, located errors; every example what-if moves the
answer; compare rows equal individual solves."""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

import optimizer as cpo
from conftest import EXAMPLES, scenario_doc, two_vendors
from optimizer.cli import app

WHATIFS = sorted((EXAMPLES / "whatif").glob("*.yaml"))


@pytest.fixture
def base(tmp_path):
    doc = scenario_doc(two_vendors(cheap_cap=60, dear_cap=200), end=2028,
                       demand={2026: 100, 2027: 100, 2028: 100},
                       supply=[{"name": "pool", "match": {"vendor": "dear"}, "cap": {2026: 100, 2028: 80}}])
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def layer(tmp_path, name: str, changes: list, description: str = "a test what-if"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"description": description, "changes": changes}, sort_keys=False))
    return path


def cost(path, **options) -> float:
    return cpo.solve(cpo.load(path, **options), objective="cost").total_cost_usd


def test_scale_a_sourced_price_everywhere_by_wildcard(tmp_path, base):
    """Every offer's recurring x2: cost 240 per year over 3 years -> 480 per year."""
    whatif = layer(tmp_path, "double", [{"scale": "catalog.*.offers.*.recurring", "by": 2}])
    scenario = cpo.load(base, whatifs=[whatif])
    assert cost(base) == pytest.approx(3 * 240)
    assert cpo.solve(scenario, objective="cost").total_cost_usd == pytest.approx(3 * 480)
    source = scenario.config.catalog["cheap"].offers["rent"].recurring.source
    assert source.startswith("test [what-if") and "x2" in source


def test_scale_a_series_from_a_period(tmp_path, base):
    """The cheap cap 60/yr x0.5 from 2027: 60 in 2026, then 30 cheap + 70 dear; the pool series
    {2026: 100, 2028: 80} x0.5 from 2027 becomes {2026: 100, 2027: 50, 2028: 40}."""
    whatif = layer(tmp_path, "cut", [{"scale": "catalog.cheap.offers.rent.supply_cap", "by": 0.5, "from": 2027},
                                     {"scale": "supply[pool].cap", "by": 0.5, "from": 2027}])
    scenario = cpo.load(base, whatifs=[whatif])
    assert scenario.config.supply[0].cap == {"2026": 100.0, "2027": 50.0, "2028": 40.0}
    assert scenario.config.catalog["cheap"].offers["rent"].supply_cap.value == {"2026": 60.0, "2027": 30.0}
    # 2026: 60x2 + 40x3; 2027: 30x2 + 50x3 + 20 unmet x 1000; 2028: 30x2 + 40x3 + 30 unmet x 1000
    assert cpo.solve(scenario, objective="cost").total_cost_usd == pytest.approx(240 + 210 + 20_000 + 180 + 30_000)


def test_scale_until(tmp_path, base):
    whatif = layer(tmp_path, "dip", [{"scale": "supply[pool].cap", "by": 0.0, "from": 2027, "until": 2027}])
    assert cpo.load(base, whatifs=[whatif]).config.supply[0].cap == {"2026": 100.0, "2027": 0.0, "2028": 80.0}


def test_set_remove_add_append_delay(tmp_path, base):
    whatif = layer(tmp_path, "many", [
        {"set": "workloads.training.voll", "to": 5},
        {"remove": "supply[pool]"},
        {"add": "catalog.dear.offers.rent2", "value": yaml.safe_load(yaml.safe_dump(
            two_vendors()["dear"]["offers"]["rent"]))},
        {"append": "existing", "value": {"offer": "cheap/rent", "units": 10}},
        {"delay": "catalog.dear.offers.rent", "by": 1},
    ])
    base_doc = yaml.safe_load(base.read_text())
    base_doc["existing"] = []
    base.write_text(yaml.safe_dump(base_doc, sort_keys=False))
    scenario = cpo.load(base, whatifs=[whatif])
    config = scenario.config
    assert config.workloads["training"].voll == 5
    assert config.supply == []
    assert "rent2" in config.catalog["dear"].offers
    assert config.existing[0].units == 10
    assert config.catalog["dear"].offers["rent"].available.from_ == "2027"
    assert [c.path for c in scenario.changes] == [
        "workloads.training.voll", "supply[0]", "catalog.dear.offers.rent2", "existing[0]",
        "catalog.dear.offers.rent.available"]


def test_layers_apply_in_order_then_set(tmp_path, base):
    first = layer(tmp_path, "first", [{"set": "workloads.training.voll", "to": 7}])
    second = layer(tmp_path, "second", [{"scale": "workloads.training.voll", "by": 3}])
    assert cpo.load(base, whatifs=[first, second]).config.workloads["training"].voll == 21
    assert cpo.load(base, whatifs=[second, first]).config.workloads["training"].voll == 7
    loaded = cpo.load(base, whatifs=[first, second], overrides=["workloads.training.voll=2"])
    assert loaded.config.workloads["training"].voll == 2


def test_errors_name_the_whatif_file_line_and_path(tmp_path, base):
    whatif = layer(tmp_path, "bad", [{"set": "workloads.training.voll", "to": 5},
                                     {"scale": "catalog.cheep.offers.rent.recurring", "by": 0.5}])
    with pytest.raises(cpo.ConfigError) as caught:
        cpo.load(base, whatifs=[whatif])
    assert str(caught.value) == (f"{whatif}:5: changes[1].scale: catalog.cheep.offers.rent.recurring: "
                                 "catalog.cheep does not exist in the scenario (did you mean 'cheap'?), "
                                 "expected an existing path")


def test_a_bad_value_set_by_a_whatif_is_located_in_the_whatif(tmp_path, base):
    whatif = layer(tmp_path, "neg", [{"set": "workloads.training.voll", "to": -3}])
    with pytest.raises(cpo.ConfigError) as caught:
        cpo.load(base, whatifs=[whatif])
    assert str(caught.value) == f"{whatif}:3: workloads.training.voll: found -3, expected a number > 0"


@pytest.mark.parametrize("changes, message", [
    ([{"scale": "workloads.training.voll"}], "scale needs by"),
    ([{"scale": "x", "set": "y", "to": 1}], "expected exactly one of"),
    ([{"frobnicate": "x"}], "expected exactly one of"),
    ([{"scale": "workloads.training.voll", "by": -1}], "expected a non-negative number"),
    ([{"add": "workloads.training", "value": {}}], "already exists"),
    ([{"delay": "workloads.training", "by": 1}], "has no availability window"),
])
def test_malformed_changes_are_reported(tmp_path, base, changes, message):
    with pytest.raises(cpo.ConfigError) as caught:
        cpo.load(base, whatifs=[layer(tmp_path, "m", changes)])
    assert message in str(caught.value)


def test_whatif_needs_a_description(tmp_path, base):
    path = tmp_path / "nodesc.yaml"
    path.write_text("changes:\n  - {set: workloads.training.voll, to: 5}\n")
    with pytest.raises(cpo.ConfigError) as caught:
        cpo.load(base, whatifs=[path])
    assert "expected a one-line description" in str(caught.value)


def test_there_are_at_least_six_example_whatifs_each_described():
    from optimizer.comparison import whatif_description

    assert len(WHATIFS) >= 6
    for path in WHATIFS:
        assert len(whatif_description(path).splitlines()) == 1


@pytest.fixture(scope="module")
def openai_comparison():
    from optimizer.comparison import comparison_rows, run_outcomes

    scenario = cpo.load(EXAMPLES / "openai.yaml")
    return comparison_rows(run_outcomes(scenario, [str(p) for p in WHATIFS]))


def test_every_example_whatif_solves_and_moves_the_cost(openai_comparison):
    base, *rows = openai_comparison
    assert base["status"] == "optimal"
    assert len(rows) == len(WHATIFS)
    for row in rows:
        assert row["status"] == "optimal", row
        # more than $1M on a ~$1T plan, in its cost or (common-mode failures) its expected disruption
        moved = abs(row["delta_usd"]), abs(row["expected_disruption_usd"] - base["expected_disruption_usd"])
        assert max(moved) > 1e6, row["scenario"]


def test_compare_rows_equal_individual_solves(openai_comparison):
    rows = {r["scenario"]: r for r in openai_comparison}
    for name in ("base", "amd-mi450-slip"):
        whatifs = [] if name == "base" else [EXAMPLES / "whatif" / f"{name}.yaml"]
        alone = cpo.solve(cpo.load(EXAMPLES / "openai.yaml", whatifs=whatifs))
        assert rows[name]["total_cost_usd"] == pytest.approx(alone.total_cost_usd, rel=1e-9)
        served = {}
        for r in alone.tables["plan"]:
            served[r["vendor"]] = served.get(r["vendor"], 0.0) + r["served_h100e"]
        assert rows[name]["share_amd"] == pytest.approx(served["amd"] / sum(served.values()), rel=1e-6)


def test_new_vendor_added_purely_as_data(openai_comparison):
    cerebras = next(r for r in openai_comparison if r["scenario"] == "cerebras-750mw")
    assert cerebras["share_cerebras"] > 0


def test_compare_cli_json_out_and_plot(tmp_path):
    whatifs = [str(EXAMPLES / "whatif" / "amd-mi450-slip.yaml"), str(EXAMPLES / "whatif" / "trainium-discount.yaml")]
    result = CliRunner().invoke(app, ["compare", str(EXAMPLES / "small-lab.yaml"), *whatifs, "--json",
                                      "--out", str(tmp_path / "cmp"), "--plot", str(tmp_path / "mix.png")])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [r["scenario"] for r in document["rows"]] == ["base", "amd-mi450-slip", "trainium-discount"]
    assert (tmp_path / "cmp" / "compare.csv").read_text().startswith("scenario,description,status,total_cost_usd")
    assert (tmp_path / "mix.png").read_bytes()[:4] == b"\x89PNG"


def test_validate_shows_effective_values(base, tmp_path):
    whatif = layer(tmp_path, "v", [{"set": "workloads.training.voll", "to": 9}])
    result = CliRunner().invoke(app, ["validate", str(base), "-w", str(whatif), "--show-effective"],
                                env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "workloads.training.voll" in result.output and "1000.0" in result.output and "9" in result.output
