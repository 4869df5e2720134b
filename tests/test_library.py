"""The Python API: DataFrames, JSON, verification, solver paths and PuLP hygiene."""

from __future__ import annotations

import gc
import json
import warnings

import pulp
import pytest

import optimizer as cpo
from conftest import EXAMPLES, ROOT, scenario_doc, two_vendors
from optimizer.formulation import build
from optimizer.results import JSON_KEYS
from optimizer.solver import solve_model

TINY = ROOT / "tests" / "data" / "tiny.yaml"


def test_dataframes_have_the_contract_columns():
    result = cpo.solve(cpo.load(TINY), objective="cost")
    assert list(result.plan.columns[:8]) == ["offer", "vendor", "product", "channel", "provider", "site",
                                             "period", "acquired_units"]
    assert result.plan["acquired_units"].sum() == pytest.approx(100)
    assert set(result.assignment.columns) >= {"offer", "vendor", "workload", "period", "units", "h100e"}
    assert set(result.shares.columns) == {"group", "member", "measure", "period", "share"}
    assert set(result.prices.columns) >= {"constraint", "family", "value", "unit"}
    assert result.unmet["h100e"].sum() == pytest.approx(0)


def test_json_document_round_trips_and_is_deterministic():
    first = cpo.solve(cpo.load(TINY), objective="cost").to_json_text()
    second = cpo.solve(cpo.load(TINY), objective="cost").to_json_text()
    assert first == second
    document = json.loads(first)
    assert set(JSON_KEYS) <= set(document)
    assert document["cost_breakdown_usd"].keys() >= {"upfront", "recurring", "unmet", "salvage", "take_or_pay",
                                                     "financing_credit", "resilience"}


def test_verify_catches_a_tampered_plan():
    result = cpo.solve(cpo.load(TINY), objective="cost")
    result.verify()
    key = next(k for k in result.plan_values.assigned)
    result.plan_values.assigned[key] += 5  # run 5 more units than are active
    with pytest.raises(cpo.VerificationError) as caught:
        result.verify()
    assert any(b.startswith("capacity[") for b in caught.value.breaches)


def test_lp_objective_equals_the_cost_recomputed_from_the_plan(make_scenario):
    doc = scenario_doc(two_vendors(), end=2028, discount_rate=0.07, demand={2026: 80, 2027: 120, 2028: 150})
    scenario = make_scenario(doc)
    model = build(scenario.data, "cost")
    solution = solve_model(model, "cost")
    result = cpo.solve(scenario, objective="cost")
    assert solution.objective * model.scale.money == pytest.approx(result.total_cost_usd, rel=1e-9)


@pytest.mark.parametrize("solver", ["highs-pulp", "cbc"])
def test_other_solver_paths_give_the_same_plan(solver, make_scenario):
    if solver == "cbc" and not pulp.COIN_CMD(msg=False).available():
        pytest.skip("CBC not installed (pip install -e '.[cbc]')")
    doc = scenario_doc(two_vendors(), end=2027, demand={2026: 100, 2027: 130})
    scenario = make_scenario(doc)
    fast = cpo.solve(scenario, objective="cost")
    other = cpo.solve(scenario, objective="cost", solver=solver)
    assert other.total_cost_usd == pytest.approx(fast.total_cost_usd, rel=1e-9)
    assert [r["acquired_units"] for r in other.tables["plan"]] == pytest.approx(
        [r["acquired_units"] for r in fast.tables["plan"]])


def test_no_pulp_deprecation_warning_from_our_calls(tmp_path):
    """PuLP 3.3 warns about APIs PuLP 4 removes; build, solve (both paths) and export use none."""
    scenario = cpo.load(TINY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cpo.solve(scenario, objective="cost")
        cpo.solve(scenario, objective="max-share", solver="highs-pulp")
        from optimizer.export import export_model

        export_model(scenario, tmp_path / "m.lp")
        export_model(scenario, tmp_path / "m.mps")
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    assert not deprecations, [str(w.message) for w in deprecations]


def test_a_solve_leaves_no_cyclic_garbage():
    """cpo.solve keeps the cyclic collector paused and relies on reference counting to free the
    model (api.solve): a reference cycle in the model or the session would break that."""
    scenario = cpo.load(ROOT / "examples" / "openai.yaml")
    gc.collect()
    gc.disable()
    try:
        result = cpo.solve(scenario)
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert result.status == "optimal"


def test_gc_pauses_nest_across_threads():
    """Two solves in two threads: the collector stays paused until the last pause ends, then
    resumes (a pause that restored the state it saw on entry left it off for good)."""
    import threading

    from optimizer.formulation import paused_gc

    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen = {}

    def first():
        with paused_gc():
            first_in.set()
            second_in.wait()
        first_out.set()

    def second():
        first_in.wait()
        with paused_gc():
            second_in.set()
            first_out.wait()
            seen["while the second pause runs"] = gc.isenabled()
        seen["after both"] = gc.isenabled()

    assert gc.isenabled()
    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert seen == {"while the second pause runs": False, "after both": True}


def test_rows_are_named_by_family_and_keys():
    scenario = cpo.load(TINY)
    model = build(scenario.data, "cost")
    names = [model.row_name(row) for row in model.rows]
    assert names == ["capacity[cheap/rent,2026]", "capacity[dear/rent,2026]", "demand[training,2026]",
                     "supply[offer.cheap/rent,2026]", "supply[offer.dear/rent,2026]"]
    demand = model.row_by_key[("demand", ("training", 0))]
    assert demand.position == 2
    named = model.named_problem(model.objectives["cost"])
    assert named.get_constraint_by_name("demand(training,2026)") is demand.constraint
    assert len(named.constraints()) == len(model.rows)
    assert [v.name for v in model.columns][:2] == ["x(cheap_rent,2026)", "x(dear_rent,2026)"]


@pytest.mark.parametrize("example, unique", [("openai", False), ("small-lab", True), ("trainium-lab", True)])
def test_fast_path_equals_plain_pulp_path_on_the_examples(example, unique):
    """HiGHS through passModel and HiGHS through PuLP's own adapter: the same optimal cost, and
    the same plan where the optimum is unique (the OpenAI example has tied alternatives: offers
    whose costs per H100e coincide, so the two paths may pick different ones)."""
    scenario = cpo.load(ROOT / "examples" / f"{example}.yaml")
    fast = cpo.solve(scenario, objective="cost")
    plain = cpo.solve(scenario, objective="cost", solver="highs-pulp")
    assert plain.total_cost_usd == pytest.approx(fast.total_cost_usd, rel=1e-9)
    if unique:
        signed = lambda r: {(x["offer"], x["period"]): x["acquired_units"] for x in r.tables["plan"]}  # noqa: E731
        assert signed(plain) == pytest.approx(signed(fast), abs=1e-6)


def test_session_resolve_after_a_change_equals_a_fresh_solve(make_scenario):
    """Excluding an offer by bounds in a warm session gives the same answer as a new model
    without it (what leverage and frontier re-solves rely on)."""
    from optimizer.solver import open_session

    doc = scenario_doc(two_vendors(), end=2027, demand={2026: 100, 2027: 130})
    scenario = make_scenario(doc)
    model = build(scenario.data, "cost")
    session = open_session(model, model.objectives["cost"])
    base = session.run()
    cheap = [v for (o, t), v in model.family("x").items() if model.data.offers[o].vendor == "cheap"]
    session.set_upper_bounds(cheap, [0.0] * len(cheap))
    without = session.run()
    fresh = cpo.solve(make_scenario({**doc, "vendors": ["dear"], "catalog": doc["catalog"]}), objective="cost")
    money = model.scale.money
    assert base.objective * money == pytest.approx(60 * 2 + 40 * 3 + (60 * 2 + 70 * 3))
    assert without.objective * money == pytest.approx(fresh.total_cost_usd)
    session.set_upper_bounds(cheap, [None] * len(cheap))
    assert session.run().objective == pytest.approx(base.objective)


def test_import_cpo_is_the_optimizer_package():
    import cpo
    import optimizer

    assert cpo is optimizer and cpo.solve is optimizer.solve


def test_a_scenario_and_a_result_say_what_they_are_in_a_line_and_in_a_notebook():
    scenario = cpo.load(TINY)
    text = repr(scenario)
    assert len(text) < 300 and "tiny" in text.lower() and "offers" in text
    result = cpo.solve(scenario, objective="cost")
    line = repr(result)
    assert line.startswith("<Result ") and "optimal" in line and "$0.00B" in line  # $240 in billions
    summary = result.summary()
    assert summary["total_cost_usd"] == pytest.approx(240) and summary["status"] == "optimal"
    assert summary["share_cheap"] + summary["share_dear"] == pytest.approx(1.0)
    page = result._repr_html_()
    assert page.count("<table") == 2 and "Vendor shares" in page


def test_bad_arguments_are_usage_errors():
    scenario = cpo.load(TINY)
    with pytest.raises(cpo.UsageError, match="objective: found 'bogus'"):
        cpo.solve(scenario, objective="bogus")
    with pytest.raises(cpo.UsageError, match="solver: found 'nope'"):
        cpo.solve(scenario, solver="nope")
    assert issubclass(cpo.UsageError, ValueError) and issubclass(cpo.UsageError, cpo.CpoError)


def test_periods_in_frames_are_ordered_as_time():
    """Quarters sort as time, not as text: 2026Q4 < 2027Q1 and the last period is the maximum."""
    result = cpo.solve(cpo.load(TINY, overrides={"periods.end": 2027, "periods.step": "quarter"}), objective="cost")
    periods = result.unmet["period"]
    assert periods.dtype.ordered and list(periods.cat.categories) == [p.name for p in result.data.periods]
    assert periods.max() == "2027Q4" and (periods > "2026Q4").sum() == 4 * len(result.data.workloads)


@pytest.mark.parametrize("arguments, expected", [({"workers": -1}, "workers: found -1"),
                                                 ({"workers": 1.5}, "workers: found 1.5"),
                                                 ({"progress": 5}, "progress: found 5")])
def test_sweep_refuses_a_bad_argument_before_starting_workers(arguments, expected):
    """workers=-1 used to start a Dask cluster of -1 workers and hang."""
    scenario = cpo.load(EXAMPLES / "small-lab.yaml")
    with pytest.raises(cpo.UsageError, match=expected):
        cpo.sweep(scenario, EXAMPLES / "grids" / "nvidia-price-x-trainium-efficiency.yaml", **arguments)
