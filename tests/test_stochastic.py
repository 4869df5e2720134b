"""The stochastic plan (issue #14 items 2-3): scenario files, the deterministic equivalent, CVaR,
WS, EEV, EVPI and VSS, each worked out by hand on a two-scenario, two-offer case.

The case: nothing to serve in 2026; in 2027 demand is high (10 H100e) with probability p or low
(0). A reservation signed in 2026 (the here-and-now stage) runs through 2027 for $2 a unit; in
2027 on-demand capacity costs $3. With r units reserved now:
    cost_high = 2r + 3·max(10 − r, 0),  cost_low = 2r.
"""

from __future__ import annotations

import json

import pytest
import yaml

import optimizer as cpo
from conftest import acquired, offer, product, scenario_doc, vendor


def bet(base_demand_2027: float, scale: float = 1.0, quarterly: bool = False) -> dict:
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"res": offer("p", 2.0, channel="reserved", provider="r", term=2, lead_months=12, end=2026),
                            "od": offer("p", 3.0)})}
    doc = scenario_doc(catalog, demand={2026: 0, 2027: base_demand_2027 * scale}, end=2027)
    if quarterly:
        doc["periods"]["step"] = "quarter"
    return doc


def write(tmp_path, doc: dict, p_high: float, scale: float = 1.0, until="2026", risk=None) -> tuple:
    path = tmp_path / "lab.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    scenarios = {"until": until, "scenarios": [
        {"name": "high", "probability": p_high,
         "changes": [{"set": "workloads.training.demand", "to": {2026: 0, 2027: 10 * scale}}]},
        {"name": "low", "probability": round(1 - p_high, 12),
         "changes": [{"set": "workloads.training.demand", "to": {2026: 0, 2027: 0}}]}]}
    if risk:
        scenarios["risk"] = risk
    file = tmp_path / "risks.yaml"
    file.write_text(yaml.safe_dump(scenarios, sort_keys=False))
    return path, file


def reserved(result) -> float:
    return sum(r["acquired_units"] for r in result.first_stage if r["offer"] == "v/res")


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e9])
def test_sp_ws_eev_evpi_and_vss_by_hand(tmp_path, scale):
    """p = 0.8, the base planning for the mean demand (8). E[cost] = 0.8(30 − r) + 0.2·2r = 24 − 0.4r:
    reserve 10, SP = 20. WS: reserve 10 if high (20), nothing if low (0): 16; EVPI = 4. The base
    plan reserves 8: high 16 + 6, low 16: EEV = 20.8; VSS = 0.8."""
    path, file = write(tmp_path, bet(8, scale), 0.8, scale)
    result = cpo.solve(cpo.load(path), objective="cost", scenarios=file)
    summary = result.summary
    assert reserved(result) == pytest.approx(10 * scale)
    assert summary["objective_usd"] == pytest.approx(20 * scale)
    assert summary["expected_cost_usd"] == pytest.approx(20 * scale)
    assert summary["ws_usd"] == pytest.approx(16 * scale)
    assert summary["eev_usd"] == pytest.approx(20.8 * scale)
    assert summary["evpi_usd"] == pytest.approx(4 * scale)
    assert summary["vss_usd"] == pytest.approx(0.8 * scale)
    rows = {r["scenario"]: r for r in result.scenarios}
    assert rows["high"]["objective_usd"] == pytest.approx(20 * scale)
    assert rows["low"]["objective_usd"] == pytest.approx(20 * scale)
    assert rows["low"]["regret_usd"] == pytest.approx(20 * scale)  # with foresight, nothing
    assert rows["high"]["regret_usd"] == pytest.approx(0, abs=1e-9 * scale)
    (res,) = [r for r in result.first_stage if r["offer"] == "v/res"]
    assert res["base_units"] == pytest.approx(8 * scale) and res["change_units"] == pytest.approx(2 * scale)


def test_quarterly_periods_give_the_same_answer(tmp_path):
    """The same bet in quarters (the stage ends with 2026Q4): a unit-year costs the same."""
    path, file = write(tmp_path, bet(8, quarterly=True), 0.8)
    summary = cpo.solve(cpo.load(path), objective="cost", scenarios=file).summary
    assert (summary["objective_usd"], summary["ws_usd"], summary["eev_usd"]) == (
        pytest.approx(20), pytest.approx(16), pytest.approx(20.8))


def test_a_stage_ending_inside_a_period_is_an_error(tmp_path):
    path, file = write(tmp_path, bet(8), 0.8, until="2026Q2")
    with pytest.raises(cpo.ConfigError, match=r"risks.yaml:1: until: found 2026Q2, inside the period 2026"):
        cpo.solve(cpo.load(path), objective="cost", scenarios=file)


def test_the_expected_cost_prefers_no_reservation_at_a_low_probability(tmp_path):
    """p = 0.2: E = 6 + 1.4r, reserve nothing; SP = 6 (= WS: the reservation is never worth its
    price in expectation... but in the high scenario it would have been: WS = 0.2·20 = 4)."""
    path, file = write(tmp_path, bet(2), 0.2)
    result = cpo.solve(cpo.load(path), objective="cost", scenarios=file)
    assert reserved(result) == pytest.approx(0, abs=1e-9)
    assert result.summary["objective_usd"] == pytest.approx(6)
    assert result.summary["ws_usd"] == pytest.approx(4)
    assert result.summary["evpi_usd"] == pytest.approx(2)


def test_cvar_with_alpha_zero_is_the_expected_cost(tmp_path):
    """CVaR_0 is the mean: the plan of expectation alone, objective (1 + λ)·6."""
    path, file = write(tmp_path, bet(2), 0.2, risk={"cvar": {"alpha": 0.0, "weight": 2.0}})
    result = cpo.solve(cpo.load(path), objective="cost", scenarios=file)
    assert reserved(result) == pytest.approx(0, abs=1e-9)
    assert result.summary["cvar_usd"] == pytest.approx(result.summary["expected_cost_usd"])
    assert result.summary["objective_usd"] == pytest.approx(18)


def test_a_heavy_cvar_weight_hedges_against_the_worst_case(tmp_path):
    """α = 0.9: CVaR is the high scenario's cost, 30 − r (the worst 10% of outcomes). With λ = 2,
    6 + 1.4r + 2(30 − r) falls to r = 10 (both scenarios then cost 20): E = 20, CVaR = 20,
    objective 60 (reserving nothing: 6 + 60 = 66)."""
    path, file = write(tmp_path, bet(2), 0.2, risk={"cvar": {"alpha": 0.9, "weight": 2.0}})
    result = cpo.solve(cpo.load(path), objective="cost", scenarios=file)
    assert reserved(result) == pytest.approx(10)
    assert result.summary["expected_cost_usd"] == pytest.approx(20)
    assert result.summary["cvar_usd"] == pytest.approx(20)
    assert result.summary["objective_usd"] == pytest.approx(60)
    assert result.summary["evpi_usd"] >= -1e-9 and result.summary["vss_usd"] >= -1e-9


def test_probabilities_that_do_not_sum_to_one_are_normalised_with_a_note(tmp_path):
    path, file = write(tmp_path, bet(8), 0.8)
    document = yaml.safe_load(file.read_text())
    document["scenarios"][0]["probability"], document["scenarios"][1]["probability"] = 0.4, 0.1
    file.write_text(yaml.safe_dump(document))
    result = cpo.solve(cpo.load(path), objective="cost", scenarios=file)
    assert [r["probability"] for r in result.scenarios] == pytest.approx([0.8, 0.2])
    assert result.summary["objective_usd"] == pytest.approx(20)
    assert "summed to 0.5" in result.notes[0]


@pytest.mark.parametrize("change, expected", [
    ({"until": "2026", "scenarios": []}, "found no scenarios"),
    ({"until": "soon", "scenarios": [{"name": "a", "probability": 1}]}, "until: found 'soon', expected a year"),
    ({"until": 2026, "scenarios": [{"name": "a", "probability": 1.5}]}, "scenarios[0].probability: found 1.5"),
    ({"until": 2026, "scenarios": [{"name": "a", "probability": 1, "whatifs": ["nowhere.yaml"]}]},
     "scenarios[0].whatifs[0]: found 'nowhere.yaml': no such file"),
    ({"until": 2026, "scenarios": [{"name": "a", "probability": 0.5}, {"name": "a", "probability": 0.5}]},
     "risks.yaml:4: scenarios[1].name: found 'a' again (first at scenarios[0]), expected each name once"),
    ({"until": 2020, "scenarios": [{"name": "a", "probability": 1}]},
     "risks.yaml:4: until: found 2020, before the horizon starts (2026-2027)"),
    ({"until": 2025, "scenarios": [{"name": "a", "probability": 1}]}, "until: found 2025, before the horizon starts"),
    ({"until": 2030, "scenarios": [{"name": "a", "probability": 1}]},
     "risks.yaml:4: until: found 2030, after the horizon ends (2026-2027)"),
    ({"until": "2026Q2", "scenarios": [{"name": "a", "probability": 1}]},
     "risks.yaml:4: until: found 2026Q2, inside the period 2026"),
    ({"until": 2026, "scenarios": [{"name": "a", "probability": 1, "weight": 2}]}, "scenarios[0].weight: unknown field"),
])
def test_a_bad_scenarios_file_is_located(tmp_path, change, expected):
    path, file = write(tmp_path, bet(8), 0.8)
    file.write_text(yaml.safe_dump(change))
    with pytest.raises(cpo.ConfigError) as error:
        cpo.solve(cpo.load(path), objective="cost", scenarios=file)
    assert expected in str(error.value)
    assert str(file) in str(error.value)


def test_a_scenario_changing_a_here_and_now_cap_is_refused(tmp_path):
    doc = bet(8)
    doc["catalog"]["v"]["offers"]["res"]["supply_cap"] = {"value": 100, "source": "test"}
    path, file = write(tmp_path, doc, 0.8)
    document = yaml.safe_load(file.read_text())
    document["scenarios"][0]["changes"].append({"set": "catalog.v.offers.res.supply_cap.value", "to": 5})
    file.write_text(yaml.safe_dump(document))
    with pytest.raises(cpo.ConfigError, match=r"changing supply\[offer.v/res\] in 2026 \(100 -> 5\), inside the "
                                              "here-and-now stage"):
        cpo.solve(cpo.load(path), objective="cost", scenarios=file)


def test_an_order_that_slips_in_one_scenario_arrives_late_there(tmp_path):
    """Demand 10 in 2027 for sure; in one scenario (p = 0.5) the reservation's product slips a
    year. The order signed in 2026 stays signed there and arrives late: active from 2028, after
    the horizon, so it pays no rent in it and 2027 is served on demand ($30). On time, r reserved
    cost 2r + 3(10 − r) = 30 − r; so E = 30 − r/2: reserve 10, E = 25 (= WS: 0.5·20 + 0.5·30)."""
    path, file = write(tmp_path, bet(10), 0.5)
    document = {"until": 2026, "scenarios": [
        {"name": "on-time", "probability": 0.5},
        {"name": "slip", "probability": 0.5, "changes": [{"delay": "catalog.v.offers.res", "by": 1}]}]}
    file.write_text(yaml.safe_dump(document))
    result = cpo.solve(cpo.load(path), objective="cost", scenarios=file)
    assert reserved(result) == pytest.approx(10)
    assert result.summary["objective_usd"] == pytest.approx(25)
    assert result.summary["ws_usd"] == pytest.approx(25)
    rows = {r["scenario"]: r for r in result.scenarios}
    assert rows["slip"]["objective_usd"] == pytest.approx(30)


def test_the_cli_prints_the_plan_and_writes_json(tmp_path):
    from typer.testing import CliRunner

    from optimizer.cli import app

    path, file = write(tmp_path, bet(8), 0.8)
    runner = CliRunner()
    run = runner.invoke(app, ["solve", str(path), "--objective", "cost", "--scenarios", str(file), "--json"])
    assert run.exit_code == 0, run.output
    document = json.loads(run.stdout)
    assert document["evpi_usd"] == pytest.approx(4) and document["vss_usd"] == pytest.approx(0.8)
    assert {r["scenario"] for r in document["scenarios"]} == {"high", "low"}
    shown = runner.invoke(app, ["solve", str(path), "--objective", "cost", "--scenarios", str(file)],
                          env={"COLUMNS": "100"})
    assert shown.exit_code == 0, shown.output
    assert "EVPI" in shown.output and "VSS" in shown.output and "v/res" in shown.output
    out = tmp_path / "out"
    written = runner.invoke(app, ["solve", str(path), "--objective", "cost", "--scenarios", str(file), "--out", str(out)])
    assert written.exit_code == 0, written.output
    assert {p.name for p in out.iterdir()} >= {"first_stage.csv", "scenarios.csv", "result.json", "manifest.json",
                                               "mix.csv"}


def test_the_exported_deterministic_equivalent_has_the_stochastic_optimum(tmp_path):
    """cpo export --scenarios: HiGHS alone on the file reaches SP (20, in the file's money unit),
    scenario k's columns prefixed s<k>_, the stage rows named."""
    path, file = write(tmp_path, bet(8), 0.8)
    highs, rows, columns, scale = exported(tmp_path, path, file)
    assert (highs.getNumRow(), highs.getNumCol()) == (rows, columns)
    assert highs.getInfo().objective_function_value * scale.money == pytest.approx(20)
    names = highs.getLp().col_names_
    assert any(n.startswith("s0_x(v_res,2026)") for n in names) and any(n.startswith("s1_") for n in names)
    assert any(n.startswith("stage(v_res,2026,low)") for n in highs.getLp().row_names_)


def three(tmp_path, scale: float = 1.0, quarterly: bool = False, risk=None, extra=()) -> tuple:
    """The bet with three demand levels: 10, 5 or 0 in 2027 with probabilities 0.5, 0.3 and 0.2;
    the base plans for the mean, 6.5. Reserving r: cost_d = 2r + 3·max(d − r, 0)."""
    path, file = write(tmp_path, bet(6.5, scale, quarterly), 0.5, scale, risk=risk)
    document = yaml.safe_load(file.read_text())
    demand = lambda d: [{"set": "workloads.training.demand", "to": {2026: 0, 2027: d * scale}}]  # noqa: E731
    document["scenarios"] = [{"name": name, "probability": p, "changes": demand(d)}
                             for name, p, d in (("high", 0.5, 10), ("mid", 0.3, 5), ("low", 0.2, 0), *extra)]
    file.write_text(yaml.safe_dump(document, sort_keys=False))
    return path, file


@pytest.mark.parametrize("scale, quarterly", [(1e-6, False), (1.0, False), (1e9, False), (1.0, True)])
def test_three_scenarios_with_unequal_probabilities_by_hand(tmp_path, scale, quarterly):
    """E(r) = 19.5 − 0.4r on [0, 5], 15 + 0.5r on [5, 10]: reserve 5, SP = 17.5 (25, 10, 10).
    WS = 0.5·20 + 0.3·10 + 0.2·0 = 13, EVPI = 4.5. The base reserves 6.5: 23.5, 13, 13, EEV = 18.25,
    VSS = 0.75."""
    path, file = three(tmp_path, scale, quarterly)
    result = cpo.solve(cpo.load(path), objective="cost", scenarios=file)
    summary = result.summary
    assert reserved(result) == pytest.approx(5 * scale)
    assert (summary["objective_usd"], summary["ws_usd"], summary["eev_usd"]) == (
        pytest.approx(17.5 * scale), pytest.approx(13 * scale), pytest.approx(18.25 * scale))
    assert (summary["evpi_usd"], summary["vss_usd"]) == (pytest.approx(4.5 * scale), pytest.approx(0.75 * scale))
    rows = {r["scenario"]: (r["objective_usd"], r["ws_usd"], r["eev_usd"]) for r in result.scenarios}
    assert rows == {"high": pytest.approx((25 * scale, 20 * scale, 23.5 * scale)),
                    "mid": pytest.approx((10 * scale, 10 * scale, 13 * scale)),
                    "low": pytest.approx((10 * scale, 0, 13 * scale), abs=1e-9 * scale)}


@pytest.mark.parametrize("scale", [1e-6, 1.0, 1e9])
def test_cvar_at_alpha_099_with_a_large_weight_by_hand(tmp_path, scale):
    """α = 0.99, λ = 10: the worst 1% is the high scenario, cost 30 − r; E + 10(30 − r) falls to
    r = 10 (every scenario 20): SP = 20 + 200 = 220. WS: (20, 10, 0), E 13, CVaR 20: 213. EEV:
    (23.5, 13, 13), E 18.25, CVaR 23.5: 253.25."""
    path, file = three(tmp_path, scale, risk={"cvar": {"alpha": 0.99, "weight": 10}})
    summary = cpo.solve(cpo.load(path), objective="cost", scenarios=file).summary
    assert (summary["objective_usd"], summary["expected_cost_usd"], summary["cvar_usd"]) == (
        pytest.approx(220 * scale), pytest.approx(20 * scale), pytest.approx(20 * scale))
    assert (summary["ws_usd"], summary["eev_usd"]) == (pytest.approx(213 * scale), pytest.approx(253.25 * scale))
    assert (summary["evpi_usd"], summary["vss_usd"]) == (pytest.approx(7 * scale), pytest.approx(33.25 * scale))


@pytest.mark.parametrize("first", [False, True])
def test_a_scenario_of_probability_zero_reports_its_best_recourse(tmp_path, first):
    """A spike to 100 with probability 0 weighs nothing in SP (17.5, reserve 5), but its row is
    its best recourse after the 5 reserved: 10 + 3·95 = 295 (not any feasible one, e.g. 310 with
    the reservation left idle); WS 200, EEV 13 + 3·93.5 = 293.5."""
    path, file = three(tmp_path, extra=[("spike", 0.0, 100)])
    if first:
        document = yaml.safe_load(file.read_text())
        document["scenarios"].insert(0, document["scenarios"].pop())
        file.write_text(yaml.safe_dump(document, sort_keys=False))
    result = cpo.solve(cpo.load(path), objective="cost", scenarios=file)
    assert result.summary["objective_usd"] == pytest.approx(17.5)
    spike = next(r for r in result.scenarios if r["scenario"] == "spike")
    assert (spike["objective_usd"], spike["ws_usd"], spike["eev_usd"]) == (
        pytest.approx(295), pytest.approx(200), pytest.approx(293.5))
    assert acquired(result.results["spike"], "v/od", "2027") == pytest.approx(95)


def test_a_sample_with_every_period_here_and_now_draws_no_supply_cap(tmp_path):
    """until the horizon's last period: no supply cap is drawn (all of it is signed now), so the
    sample is not refused as changing here-and-now caps; prices are still drawn."""
    doc = bet(8)
    doc["catalog"]["v"]["offers"]["od"]["supply_cap"] = {"value": 100, "low": 50, "high": 200, "source": "t"}
    doc["catalog"]["v"]["offers"]["od"]["recurring"].update(low=2.5, high=4.0)
    path, file = write(tmp_path, doc, 0.8, until="2027")
    document = yaml.safe_load(file.read_text())
    document["sample"] = {"n": 3, "seed": 1, "probability": 0.5}
    file.write_text(yaml.safe_dump(document))
    result = cpo.solve(cpo.load(path), objective="cost", scenarios=file)
    assert len(result.scenarios) == 5 and "summed to 1.5" in result.notes[0]


def test_a_bad_change_is_reported_before_the_base_is_solved(tmp_path):
    """The scenarios are loaded first: a change to a path that does not exist is an error at its
    line, with nothing solved."""
    path, file = write(tmp_path, bet(8), 0.8)
    file.write_text("until: 2026\nscenarios:\n  - name: a\n    probability: 1\n"
                    "    changes: [{set: workloads.nothing.demand, to: 3}]\n")
    told = []
    with pytest.raises(cpo.ConfigError, match=r"risks.yaml:5: set: \(scenario a\) workloads.nothing.demand"):
        cpo.solve(cpo.load(path), objective="cost", scenarios=file, progress=told.append)
    assert not any("solving" in message for message in told)


def test_the_exported_equivalent_with_cvar_has_the_stochastic_optimum(tmp_path):
    """cpo export --scenarios with a risk measure names the CVaR columns (cvar_eta(), one
    cvar_excess per scenario) and HiGHS alone on the file reaches SP = 220 (quarterly, 1e9)."""
    path, file = three(tmp_path, 1e9, True, risk={"cvar": {"alpha": 0.99, "weight": 10}})
    highs, _, _, scale = exported(tmp_path, path, file)
    assert highs.getInfo().objective_function_value * scale.money == pytest.approx(220e9)
    assert {"cvar_eta()", "cvar_excess(high)", "cvar_excess(low)"} <= set(highs.getLp().col_names_)


def exported(tmp_path, path, file):
    """(HiGHS after solving the exported deterministic equivalent alone, rows, columns, scale)."""
    import highspy

    from optimizer.export import export_stochastic
    from optimizer.scenarios import read_scenarios

    base = cpo.load(path)
    rows, columns, scale = export_stochastic(base, read_scenarios(file, base), tmp_path / "de.mps", "cost")
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.readModel(str(tmp_path / "de.mps"))
    highs.run()
    return highs, rows, columns, scale
