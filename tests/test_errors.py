"""Bad input is reported as FILE:LINE: path: found X, expected Y, all problems at once."""

from __future__ import annotations

import pytest
import yaml

import optimizer as cpo
from conftest import scenario_doc, two_vendors


def problems_of(tmp_path, text: str, name: str = "bad.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(cpo.ConfigError) as caught:
        cpo.load(path)
    return [str(p) for p in caught.value.problems]


def valid_text() -> str:
    return yaml.safe_dump(scenario_doc(two_vendors()), sort_keys=False)


def test_unknown_field_names_file_line_and_suggestion(tmp_path):
    text = valid_text().replace("workloads:\n", "workloads:\n  trainng_typo: 1\n", 1)
    text = text.replace("name: test\n", "name: test\ndiscount_rat: 0.1\n", 1)
    problems = problems_of(tmp_path, text)
    assert any(p.startswith(f"{tmp_path}/bad.yaml:2: discount_rat: unknown field (did you mean 'discount_rate'?)")
               for p in problems), problems


def test_wrong_type_and_negative_value_reported_together(tmp_path):
    doc = scenario_doc(two_vendors(), voll=-5)
    doc["discount_rate"] = "lots"
    text = yaml.safe_dump(doc, sort_keys=False)
    problems = problems_of(tmp_path, text)
    assert any("discount_rate: found 'lots', expected a number" in p for p in problems), problems
    assert any("workloads.training.voll: found -5" in p and "expected a number > 0" in p for p in problems), problems
    line_of_voll = text.splitlines().index("    voll: -5") + 1
    assert any(p.startswith(f"{tmp_path}/bad.yaml:{line_of_voll}: workloads.training.voll") for p in problems)


def test_nan_and_share_cap_above_one(tmp_path):
    doc = scenario_doc(two_vendors(), policy={"shares": [{"group": "vendor", "max": 1.5}]})
    doc["workloads"]["training"]["demand"] = float("nan")
    problems = problems_of(tmp_path, yaml.safe_dump(doc, sort_keys=False))
    assert any("workloads.training.demand: found nan, expected a finite number" in p for p in problems), problems
    assert any("policy.shares[0].max: found 1.5, expected a number <= 1" in p for p in problems), problems


def test_yaml_syntax_error_has_a_line(tmp_path):
    problems = problems_of(tmp_path, "name: x\nperiods: {start: 2026\nworkloads: {}\n")
    assert problems[0].startswith(f"{tmp_path}/bad.yaml:3: YAML syntax error"), problems


@pytest.mark.parametrize("text, message", [("", "file is empty"), ("- a\n- b\n", "expected a YAML mapping")])
def test_empty_or_non_mapping_file(tmp_path, text, message):
    assert message in problems_of(tmp_path, text)[0]


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(cpo.ConfigError) as caught:
        cpo.load(tmp_path / "nope.yaml")
    assert str(caught.value) == f"{tmp_path}/nope.yaml: file not found"


def test_cross_references_are_checked(tmp_path):
    doc = scenario_doc(two_vendors(), vendors=["cheap", "intel"],
                       existing=[{"offer": "cheap/rnt", "units": 3}],
                       supply=[{"name": "p", "match": {"foundry": "tsmc"}, "cap": 1}])
    problems = problems_of(tmp_path, yaml.safe_dump(doc, sort_keys=False))
    joined = "\n".join(problems)
    assert "vendors[1]: found 'intel', expected a catalog vendor: cheap, dear" in joined
    assert "existing[0].offer: found 'cheap/rnt', expected an offer instance in play" in joined
    assert "supply[0].match.foundry: found attribute 'foundry', expected one of:" in joined


def test_catalog_errors_point_into_the_vendor_file(tmp_path):
    vendors = tmp_path / "vendors"
    vendors.mkdir()
    catalog = two_vendors()
    for name, doc in catalog.items():
        (vendors / f"{name}.yaml").write_text(yaml.safe_dump({"vendor": name, **doc}, sort_keys=False))
    text = (vendors / "dear.yaml").read_text().replace("value: 3.0", "value: -3.0")
    (vendors / "dear.yaml").write_text(text)
    doc = scenario_doc({}, catalog_dir="vendors")
    del doc["catalog"]
    problems = problems_of(tmp_path, yaml.safe_dump(doc), name="s.yaml")
    line = text.splitlines().index("      value: -3.0") + 1
    assert problems == [f"{vendors}/dear.yaml:{line}: catalog.dear.offers.rent.recurring.value: "
                        "found -3, expected a number >= 0"]


def test_override_with_bad_value_is_located_on_the_command_line(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(valid_text())
    with pytest.raises(cpo.ConfigError) as caught:
        cpo.load(path, overrides=["discount_rate=abc"])
    assert str(caught.value) == "--set: discount_rate: found 'abc', expected a number"
    with pytest.raises(cpo.ConfigError) as caught:
        cpo.load(path, overrides=["policy.shares[3].max=0.5"])
    assert str(caught.value) == "--set: policy.shares[3]: does not exist in the config, expected an existing path"


def test_override_changes_the_answer(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(valid_text())
    scenario = cpo.load(path, overrides={"catalog.dear.offers.rent.recurring.value": 4.0})
    assert cpo.solve(scenario, objective="cost").total_cost_usd == pytest.approx(60 * 2 + 40 * 4)


def test_series_starting_after_the_horizon(tmp_path):
    doc = scenario_doc(two_vendors(), demand={2040: 5})
    problems = problems_of(tmp_path, yaml.safe_dump(doc, sort_keys=False))
    assert any("workloads.training.demand.2040: found period 2040, after the horizon 2026-2026" in p
               for p in problems), problems
