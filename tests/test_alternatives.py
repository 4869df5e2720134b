"""Near-optimal alternatives (issue #14 item 5), worked out by hand on architecture.md's two
vendors: cheap ($2, at most 60) and dear ($3), demand 100. The optimum buys 60 cheap and 40
dear, $240. Within a slack of 10% ($264), cheap must still serve c with 300 − c <= 264, so its
share lies in [36%, 60%] and dear's in [40%, 64%]."""

from __future__ import annotations

import json

import pytest

import optimizer as cpo
from conftest import scenario_doc, two_vendors
from optimizer.near_optimal import alternatives


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e9])
def test_ranges_by_hand(make_scenario, scale):
    doc = scenario_doc(two_vendors(cheap_cap=60 * scale), demand=100 * scale)
    found = alternatives(make_scenario(doc), slack=0.10, objective="cost")
    ranges = {r["member"]: r for r in found.ranges}
    assert found.optimum_usd == pytest.approx(240 * scale)
    assert (ranges["cheap"]["min_share"], ranges["cheap"]["max_share"]) == (pytest.approx(0.36), pytest.approx(0.60))
    assert (ranges["dear"]["min_share"], ranges["dear"]["max_share"]) == (pytest.approx(0.40), pytest.approx(0.64))
    assert ranges["cheap"]["min_plan_cost_usd"] == pytest.approx(264 * scale)  # the slack binds at that end
    assert ranges["cheap"]["max_plan_cost_usd"] == pytest.approx(240 * scale)


def test_every_range_holds_the_optimum_and_every_plan_meets_the_slack(make_scenario):
    from conftest import EXAMPLES

    scenario = cpo.load(EXAMPLES / "openai.yaml")
    found = alternatives(scenario, slack=0.01, plans=3, objective="cost")
    limit = found.optimum_usd * 1.01 * (1 + 1e-9)
    for row in found.ranges:
        assert row["min_share"] <= row["optimum_share"] + 1e-9 <= row["max_share"] + 2e-9
        assert row["min_plan_objective_usd"] <= limit and row["max_plan_objective_usd"] <= limit
    assert sum(r["optimum_share"] for r in found.ranges) == pytest.approx(1.0)
    for plan in found.plans:
        assert plan["objective_usd"] <= limit
        assert sum(v for k, v in plan.items() if k.startswith("share_")) == pytest.approx(1.0)


def test_a_zero_slack_leaves_no_room_where_the_optimum_is_unique(make_scenario):
    found = alternatives(make_scenario(scenario_doc(two_vendors(), demand=100)), slack=0.0, objective="cost")
    for row in found.ranges:
        assert row["min_share"] == pytest.approx(row["max_share"])


def test_an_unknown_group_is_an_error(make_scenario):
    with pytest.raises(cpo.ConfigError, match="--by: found 'colour', expected one of vendor"):
        alternatives(make_scenario(scenario_doc(two_vendors(), demand=100)), by="colour")


def test_the_cli_prints_ranges_and_writes_json_and_a_plot(make_scenario, tmp_path):
    import yaml
    from typer.testing import CliRunner

    from optimizer.cli import app

    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(scenario_doc(two_vendors(), demand=100)))
    runner = CliRunner()
    run = runner.invoke(app, ["alternatives", str(path), "--slack", "0.1", "--objective", "cost", "--json"])
    assert run.exit_code == 0, run.output
    ranges = {r["member"]: r for r in json.loads(run.stdout)["ranges"]}
    assert ranges["cheap"]["min_share"] == pytest.approx(0.36)
    plot = tmp_path / "ranges.png"
    shown = runner.invoke(app, ["alternatives", str(path), "--slack", "0.1", "--objective", "cost", "--plot", str(plot),
                                "--plans", "2"])
    assert shown.exit_code == 0, shown.output
    assert "36.0%" in shown.output and plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_nothing_served_is_a_located_error(make_scenario):
    """With no demand, shares of served compute are 0/0: an error at the workloads, not a
    ZeroDivisionError."""
    with pytest.raises(cpo.ConfigError, match=r"\.yaml:\d+: workloads: found nothing served at the optimum"):
        cpo.alternatives(make_scenario(scenario_doc(two_vendors(), demand=0)), slack=0.1, objective="cost")
