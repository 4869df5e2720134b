"""The out-of-sample check (issue #14 item 4): a plan's here-and-now signings held in every
scenario of a scenario file, or in fresh draws from it, the rest re-planned; worked out by hand
on test_stochastic's bet.

The bet (p = 0.8 of high demand, 10 H100e in 2027): r units reserved in 2026 at $2 cost 2r + 3·max(10 − r, 0)
if demand is high and 2r if low. The stochastic plan reserves 10 (20 in both scenarios); the base
plan (demand 8) reserves 8: 22 if high, 16 if low, mean 20.8 (its EEV).
"""

from __future__ import annotations

import csv
import json
import math

import pytest
from typer.testing import CliRunner

import optimizer as cpo
from optimizer.cli import app
from optimizer.commitments import read_csv
from optimizer.evaluation import out_of_sample
from optimizer.scenarios import read_scenarios
from conftest import offer, product
from test_stochastic import bet, write


def plans(path, file, scale=1.0):
    base = cpo.load(path)
    scenario_set = read_scenarios(file, base)
    stochastic = cpo.solve(base, objective="cost", scenarios=scenario_set)
    first_stage = cpo.solve(base, objective="cost")
    return base, scenario_set, stochastic, {"stochastic": _held(stochastic), "base": first_stage}


def _held(stochastic):
    from optimizer.commitments import Commitments
    from optimizer.data import FrozenDict

    units = {(r["offer"], r["period"]): r["acquired_units"] for r in stochastic.first_stage if r["acquired_units"] > 0}
    return Commitments(FrozenDict(units), None, "the stochastic plan")


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e9])
def test_the_files_own_scenarios_reproduce_sp_and_eev(tmp_path, scale):
    """Held in the file's scenarios, the stochastic plan costs what the stochastic solve says in
    each (20, 20: mean SP = 20) and the base plan its EEV (22, 16: 20.8); CVaR 90% is the worst
    10% of probability, all in the high scenario (20 and 22); the paired difference is exact."""
    path, file = write(tmp_path, bet(8, scale), 0.8, scale)
    base, scenario_set, stochastic, held = plans(path, file)
    result = out_of_sample(base, held, scenario_set, objective="cost")
    cost = {(r["plan"], r["scenario"]): r["objective_usd"] for r in result.rows}
    for row in stochastic.scenarios:
        assert cost["stochastic", row["scenario"]] == pytest.approx(row["objective_usd"], rel=1e-9)
        assert cost["base", row["scenario"]] == pytest.approx(row["eev_usd"], rel=1e-9)
    sp, eev = result.summary
    assert sp["mean_usd"] == pytest.approx(stochastic.summary["objective_usd"], rel=1e-9)
    assert sp["mean_usd"] == pytest.approx(20 * scale) and sp["cvar_usd"] == pytest.approx(20 * scale)
    assert eev["mean_usd"] == pytest.approx(20.8 * scale) and eev["cvar_usd"] == pytest.approx(22 * scale)
    assert (eev["worst_usd"], eev["best_usd"]) == (pytest.approx(22 * scale), pytest.approx(16 * scale))
    assert eev["vs_first_usd"] == pytest.approx(0.8 * scale) and eev["vs_first_stderr_usd"] is None
    assert eev["std_usd"] == pytest.approx(math.sqrt(0.8 * 1.2 ** 2 + 0.2 * 4.8 ** 2) * scale)


def test_quarterly_periods_give_the_same_evaluation(tmp_path):
    path, file = write(tmp_path, bet(8, quarterly=True), 0.8)
    base, scenario_set, _, held = plans(path, file)
    sp, eev = out_of_sample(base, held, scenario_set, objective="cost").summary
    assert (sp["mean_usd"], eev["mean_usd"], eev["cvar_usd"]) == (pytest.approx(20), pytest.approx(20.8),
                                                                  pytest.approx(22))


def test_fresh_draws_are_drawn_from_the_files_distribution(tmp_path):
    """200 draws of the named scenarios: each 1/200, high about 80% of the time; the base plan's
    mean is (22 k + 16 (n − k)) / n for k high draws, the paired differences 2 (high) and −4
    (low), their standard error sqrt(Σ (d − d̄)² / (n (n − 1)))."""
    path, file = write(tmp_path, bet(8), 0.8)
    base, scenario_set, _, held = plans(path, file)
    n = 200
    result = out_of_sample(base, held, scenario_set, sample=n, seed=11, objective="cost")
    rows = [r for r in result.rows if r["plan"] == "base"]
    assert len(rows) == n and all(r["probability"] == pytest.approx(1 / n) for r in rows)
    k = sum(r["description"] == "high" for r in rows)
    assert 0.7 < k / n < 0.9 and sum(r["description"] == "low" for r in rows) == n - k
    sp, eev = result.summary
    assert sp["mean_usd"] == pytest.approx(20) and eev["mean_usd"] == pytest.approx((22 * k + 16 * (n - k)) / n)
    d = [2.0] * k + [-4.0] * (n - k)
    mean = sum(d) / n
    assert eev["vs_first_usd"] == pytest.approx(mean)
    assert eev["vs_first_stderr_usd"] == pytest.approx(math.sqrt(sum((x - mean) ** 2 for x in d) / (n * (n - 1))))
    assert result.seed == 11
    again = out_of_sample(base, held, scenario_set, sample=n, seed=11, objective="cost")
    assert [r["description"] for r in again.rows] == [r["description"] for r in result.rows]


def test_fresh_draws_mix_named_scenarios_and_the_sample(tmp_path):
    """Named scenarios keep their probability, the sample the rest: with high at 0.5 and a sample
    of 0.5 whose draws leave demand at the base's 8, about half the draws are each."""
    path, _ = write(tmp_path, bet(8), 0.8)
    file = tmp_path / "mixed.yaml"
    file.write_text(json.dumps({"until": "2026", "scenarios": [
        {"name": "high", "probability": 0.5,
         "changes": [{"set": "workloads.training.demand", "to": {2026: 0, 2027: 10}}]}],
        "sample": {"n": 4, "seed": 1}}))
    base = cpo.load(path)
    scenario_set = read_scenarios(file, base)
    specs = scenario_set.fresh(base, 400, 5)
    named = sum(s.description == "high" for s in specs)
    assert 160 < named < 240 and len({s.name for s in specs}) == 400
    assert all(s.description == "the base scenario" for s in specs if s.description != "high")


def test_local_dask_workers_give_the_same_rows(tmp_path):
    path, file = write(tmp_path, bet(8), 0.8)
    base, scenario_set, _, held = plans(path, file)
    here = out_of_sample(base, held, scenario_set, sample=6, seed=2, objective="cost", workers=0)
    there = out_of_sample(base, held, scenario_set, sample=6, seed=2, objective="cost", workers=2)
    assert [(r["plan"], r["scenario"]) for r in there.rows] == [(r["plan"], r["scenario"]) for r in here.rows]
    assert [r["objective_usd"] for r in there.rows] == pytest.approx([r["objective_usd"] for r in here.rows])


def test_the_command_evaluates_a_stochastic_plans_first_stage(tmp_path):
    """cpo solve --scenarios --out writes first_stage.csv; cpo evaluate --plan it --scenarios the
    same file gives back its expected cost; the stochastic plan.csv (one plan per scenario) is
    refused at the line of the second plan."""
    path, file = write(tmp_path, bet(8), 0.8)
    runner = CliRunner()
    out = tmp_path / "sp"
    made = runner.invoke(app, ["solve", str(path), "--objective", "cost", "--scenarios", str(file), "--out", str(out)])
    assert made.exit_code == 0, made.output
    run = runner.invoke(app, ["evaluate", str(path), "--objective", "cost", "--plan", str(out / "first_stage.csv"),
                              "--scenarios", str(file), "--workers", "0", "--json"])
    assert run.exit_code == 0, run.output
    document = json.loads(run.stdout)
    assert document["summary"][0]["mean_usd"] == pytest.approx(20)
    assert {r["scenario"] for r in document["rows"]} == {"high", "low"}
    sampled = runner.invoke(app, ["evaluate", str(path), "--objective", "cost", "--plan", str(out / "first_stage.csv"),
                                  "--scenarios", str(file), "--sample", "5", "--workers", "0", "--out",
                                  str(tmp_path / "ev"), "--plot", str(tmp_path / "h.png")])
    assert sampled.exit_code == 0, sampled.output
    with open(tmp_path / "ev" / "evaluate.csv") as handle:
        assert len(list(csv.DictReader(handle))) == 5
    assert (tmp_path / "h.png").stat().st_size > 0
    with open(out / "plan.csv") as handle:
        second = next(i for i, row in enumerate(csv.DictReader(handle), start=2) if row["scenario"] != "high")
    with pytest.raises(cpo.ConfigError, match=f"plan.csv:{second}: scenario: found a second plan"):
        read_csv(out / "plan.csv")


def test_options_that_need_scenarios_are_usage_errors(tmp_path):
    path, file = write(tmp_path, bet(8), 0.8)
    plan = tmp_path / "plan.csv"
    plan.write_text("offer,period,acquired_units\n")
    run = CliRunner().invoke(app, ["evaluate", str(path), "--plan", str(plan), "--sample", "10"])
    assert run.exit_code == 2 and "--sample needs --scenarios" in run.output
    run = CliRunner().invoke(app, ["evaluate", str(path), "--plan", str(plan), "--scenarios", str(file),
                                   str(tmp_path / "w.yaml")])
    assert run.exit_code == 2 and "put the what-ifs in the scenario file" in run.output


@pytest.mark.parametrize("rows, expected", [
    ("v/ghost,2026,5\nv/res,2026,5\n", r"plan.csv:2: offer: found 'v/ghost' signed in 2026, expected an offer the base "
                                       r"scenario can sign then \(no such offer in its catalog\)"),
    ("v/res,2026,5\nv/res,2031,5\n", r"plan.csv:3: period: found 2031, expected periods of the horizon \(2026-2027\)"),
])
def test_a_held_signing_the_base_cannot_make_is_located(tmp_path, rows, expected):
    """A plan's signing in the stage of an offer the catalog does not have (a typo), or in a
    period outside the horizon, is an error at its line: not dropped, so the plan evaluated is
    the one written."""
    path, file = write(tmp_path, bet(8), 0.8)
    plan = tmp_path / "plan.csv"
    plan.write_text("offer,period,acquired_units\n" + rows)
    base = cpo.load(path)
    with pytest.raises(cpo.ConfigError, match=expected):
        out_of_sample(base, {"mine": plan}, read_scenarios(file, base), objective="cost")
    run = CliRunner().invoke(app, ["evaluate", str(path), "--objective", "cost", "--plan", str(plan),
                                   "--scenarios", str(file), "--workers", "0"])
    assert run.exit_code == 1 and "Traceback" not in run.output


def test_a_held_plan_that_breaks_a_policy_rule_is_solved_without_it(tmp_path):
    """A spend-share cap of 50% per vendor, and a second vendor w capped at 5 units ($3): 10 units
    reserved at v ($20 of v's spend in 2027, at most $15 at w) break the rule in the high
    scenario whatever is re-planned. As cpo evaluate does, the scenario is solved without the
    rule and the rule is a finding: reserving 10 costs 20 in both scenarios, mean 20 (not an
    infeasible row left out of the mean)."""
    from conftest import vendor as make_vendor

    doc = bet(8)
    doc["catalog"]["w"] = make_vendor({"q": product()}, {"od": offer("q", 3.0, provider="cloud-b", cap=5)})
    doc["policy"] = {"shares": [{"measure": "spend", "max": 0.5}]}
    path, file = write(tmp_path, doc, 0.8)
    plan = tmp_path / "plan.csv"
    plan.write_text("offer,period,acquired_units\nv/res,2026,10\n")
    base = cpo.load(path)
    result = out_of_sample(base, {"r10": plan}, read_scenarios(file, base), objective="cost")
    high = next(r for r in result.rows if r["scenario"] == "high")
    assert high["objective_usd"] == pytest.approx(20) and "share[vendor,v,spend,2027] max" in high["findings"]
    (summary,) = result.summary
    assert summary["solved"] == 2 and summary["rules_broken"] >= 1 and summary["mean_usd"] == pytest.approx(20)
