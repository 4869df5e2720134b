"""One headline everywhere: `total_cost_usd` is the procurement cost in every command, file and
table, whatever the objective; the expected disruption is its own figure. And each example's
headline is pinned, so a change that moves it is seen and explained."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import optimizer as cpo
from conftest import EXAMPLES, ROOT, scenario_doc, two_vendors
from optimizer.cli import app
from optimizer.comparison import run_outcomes
from optimizer.strategy import frontier_points, leverage_document
from optimizer.sweeps import Grid, Point, run_point

# Present-value procurement cost of each example under its default objective (multi-vendor) and
# under `cost`, to 1e-6. These move when the catalog (vendors/*.yaml), the example or the model
# changes: update them in the same commit, saying what moved them.
HEADLINES = {
    ("openai", "multi-vendor"): 785_592_911_255.34,
    ("openai", "cost"): 784_032_086_614.97,
    ("small-lab", "multi-vendor"): 305_643_050.030,
    ("small-lab", "cost"): 303_611_783.760,
    ("trainium-lab", "multi-vendor"): 184_185_594_439.16,
    ("trainium-lab", "cost"): 181_011_763_079.70,
}


@pytest.mark.parametrize("example, objective", list(HEADLINES))
def test_each_examples_headline_is_pinned(example, objective):
    result = cpo.solve(cpo.load(EXAMPLES / f"{example}.yaml"), objective=objective)
    assert result.total_cost_usd == pytest.approx(HEADLINES[(example, objective)], rel=1e-6)


def priced_doc() -> dict:
    """Cheap $2 and dear $3, priced N-1 at p = 0.0005: all cheap ($200 of procurement) and $25 of
    expected disruption (50 H100e short if cheap fails, x $1000 x 0.0005)."""
    return scenario_doc(two_vendors(cheap_cap=None), policy={"resilience": {
        "mode": "priced", "critical_fraction": 0.5, "failures": [{"group": "vendor", "probability": 0.0005}]}})


def test_every_command_reports_the_same_procurement_cost(make_scenario, tmp_path):
    scenario = make_scenario(priced_doc())
    solved = cpo.solve(scenario)
    assert solved.total_cost_usd == pytest.approx(200.0)
    assert solved.expected_disruption_usd == pytest.approx(25.0)
    assert solved.risk_adjusted_cost_usd == pytest.approx(225.0)
    document = solved.to_json()
    assert document["total_cost_usd"] == document["procurement_cost_usd"] == pytest.approx(200.0)
    assert document["risk_adjusted_cost_usd"] == pytest.approx(225.0)
    assert frontier_points(scenario, points=2)["chosen"]["total_cost_usd"] == pytest.approx(200.0)
    assert leverage_document(scenario)["total_cost_usd"] == pytest.approx(200.0)
    assert run_outcomes(scenario, [])[0].total_cost_usd == pytest.approx(200.0)
    grid = Grid(tmp_path / "g.yaml", "none", (), None, ())
    row = run_point(str(scenario.path), grid.whatifs, Point(0, "base", {}, ()), None)
    assert row["total_cost_usd"] == pytest.approx(200.0)
    assert row["expected_disruption_usd"] == pytest.approx(25.0)


def test_the_cost_objective_reports_its_own_disruption(make_scenario):
    result = cpo.solve(make_scenario(priced_doc()), objective="cost")
    assert (result.total_cost_usd, result.expected_disruption_usd) == pytest.approx((200.0, 25.0))


def test_the_terminal_lists_disruption_once(make_scenario):
    path = make_scenario(priced_doc()).path
    output = CliRunner().invoke(app, ["solve", str(path)]).stdout
    assert output.count("expected disruption") == 1
    assert "resilience" not in output.split("Share of demand")[0]
    assert "procurement cost" in output and "risk-adjusted cost" in output


def test_a_plan_not_proven_optimal_exits_5_with_a_warning(monkeypatch):
    """HiGHS stopped at its time limit with a feasible plan: the plan is printed (and verified),
    the status says time_limit, a warning says why, exit 5 (it once exited 0)."""
    import optimizer.solver as solver

    original = solver.run_highs

    def stopped_at_the_limit(highs, model):
        solution = original(highs, model)
        solution.status, solution.message = "time_limit", "Time limit reached"
        return solution

    monkeypatch.setattr(solver, "run_highs", stopped_at_the_limit)
    tiny = str(ROOT / "tests" / "data" / "tiny.yaml")
    result = CliRunner().invoke(app, ["solve", tiny])
    assert result.exit_code == 5, result.output
    assert "status time_limit" in result.stdout and "$240" in result.stdout
    assert "warning: Time limit reached" in result.stderr and "not proven optimal" in result.stderr
    document = json.loads(CliRunner().invoke(app, ["solve", tiny, "--json"]).stdout)
    assert document["status"] == "time_limit" and document["total_cost_usd"] == pytest.approx(240.0)


def test_a_milp_stopped_above_its_gap_is_not_called_optimal(make_scenario, monkeypatch):
    """The staged MILP takes its status from the gap it proved: told to stop at the first
    integer plan of each stage, a 1e-6 mip_gap is not met on a knapsack of lots."""
    import optimizer.solver as solver

    monkeypatch.setitem(solver.HIGHS_OPTIONS, "mip_max_improving_sols", 1)
    financing = {"measure": "units", "tranches": [{"reach": 90, "by": 2026, "credit_usd": 50}], "source": "test"}
    doc = scenario_doc(two_vendors(cheap_cap=None), demand=1000, milp={"integer": True, "lot_units": 7, "mip_gap": 1e-6},
                       deals=[{"name": "d", "counterparty": "Dear", "covers": {"vendor": "dear"}, "from": 2026,
                               "financing": financing, "source": "test"}])
    result = cpo.solve(make_scenario(doc))
    assert result.status in ("optimal", "time_limit")
    assert (result.status == "optimal") == (result.mip_gap <= 1e-6 * (1 + 1e-9))


THREADS_SCRIPT = """
import os, sys, threading
import optimizer as cpo
before = os.fstat(1)
scenario = cpo.load(sys.argv[1])
def work():
    for _ in range(3):
        cpo.solve(scenario, objective="cost")
def talk():
    for i in range(300):
        os.write(1, f"line {i}\\n".encode())
threads = [threading.Thread(target=work) for _ in range(8)] + [threading.Thread(target=talk)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
after = os.fstat(1)
os.write(1, f"same fd 1: {(after.st_dev, after.st_ino) == (before.st_dev, before.st_ino)}\\n".encode())
"""


def test_highs_in_threads_never_leaves_stdout_redirected():
    """A fresh process solving in eight threads at once (its first HiGHS instances built
    concurrently, HiGHS's banner absorbed) while another thread writes: afterwards file
    descriptor 1 is what it was, every line written arrived, and no banner did."""
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, "-c", THREADS_SCRIPT, str(ROOT / "tests" / "data" / "tiny.yaml")],
                               capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[-1] == "same fd 1: True"
    assert sorted(lines[:-1], key=lambda s: int(s.split()[1])) == [f"line {i}" for i in range(300)]


def test_pulp_is_pinned_below_4_until_a_test_proves_pulp_4():
    """PuLP 4 (Python >= 3.12) removed the expression and constraint constructors the build uses."""
    import tomllib

    import pulp

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirement = next(d for d in project["dependencies"] if d.lower().startswith("pulp"))
    assert "<4" in requirement.replace(" ", "")
    assert int(pulp.__version__.split(".")[0]) < 4


def test_a_milp_reports_its_progress(make_scenario):
    """cpo.solve(progress=...) is told the stage, the best plan and the bound while HiGHS
    branches (the CLI prints it on stderr)."""
    doc = scenario_doc(two_vendors(cheap_cap=None), demand=1000, milp={"integer": True, "lot_units": 7})
    seen = []
    result = cpo.solve(make_scenario(doc), progress=lambda *state: seen.append(state))
    assert result.status == "optimal" and seen
    stage, best, bound, seconds = seen[-1]
    assert stage.startswith("MILP") and seconds >= 0
    assert bound <= result.total_cost_usd * (1 + 1e-9)
