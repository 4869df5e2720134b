"""Committed plans (issue #14 item 1): signings the lab already holds, a what-if learned after
them, and the evaluation of a held plan; every answer worked out by hand."""

from __future__ import annotations

import json

import pytest
import yaml

import optimizer as cpo
from conftest import EXAMPLES, acquired, offer, product, scenario_doc, vendor
from optimizer.commitments import Commitments, from_result, read_csv
from optimizer.data import FrozenDict


def reserved_or_on_demand(demand=10, cap=None) -> dict:
    """2026-2027, demand 10 a year: a 2-year reservation at $2 a year (res) or on demand at $3
    (od). The plan: reserve 10 in 2026, $40."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"res": offer("p", 2.0, channel="reserved", provider="r", term=2, cap=cap),
                            "od": offer("p", 3.0)})}
    return scenario_doc(catalog, demand=demand, end=2027)


@pytest.fixture
def files(tmp_path):
    """files(doc, **whatifs) -> (scenario path, {name: what-if path})."""
    def write(doc: dict, **whatifs) -> tuple:
        path = tmp_path / "scenario.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        layers = {}
        for name, changes in whatifs.items():
            layers[name] = tmp_path / f"{name}.yaml"
            layers[name].write_text(yaml.safe_dump({"description": name, "changes": changes}, sort_keys=False))
        return path, layers

    return write


def held_2026(path) -> Commitments:
    return from_result(cpo.solve(cpo.load(path), objective="cost"), 2026)


def test_a_surprise_after_signing_costs_what_the_held_signings_cost(files):
    """Demand in 2027 falls to 0 after the 2026 reservation (2 years, $2) is signed: its 2027 rent
    is still paid, $40; known from the start, 10 on demand in 2026 would do, $30."""
    path, layers = files(reserved_or_on_demand(), drop=[{"set": "workloads.training.demand", "to": {2026: 10, 2027: 0}}])
    held = held_2026(path)
    assert dict(held.units) == {("v/res", "2026"): pytest.approx(10)}
    foresight = cpo.solve(cpo.load(path, whatifs=[layers["drop"]]), objective="cost")
    surprise = cpo.solve(cpo.load(path, whatifs=[layers["drop"]], commitments=held), objective="cost")
    assert foresight.total_cost_usd == pytest.approx(30.0)
    assert surprise.total_cost_usd == pytest.approx(40.0)
    assert surprise.tables["commitments"] == [{"offer": "v/res", "period": "2026", "held_units": pytest.approx(10),
                                               "delivered_units": pytest.approx(10), "status": "held"}]
    # the idle 2027 units run nothing
    assert sum(r["units"] for r in surprise.tables["assignment"] if r["period"] == "2027") == pytest.approx(0)


def test_a_cap_cut_after_signing_delivers_held_orders_pro_rata(files):
    """The reservation's 2026 allocation is cut to 6 after 10 were signed: 6 delivered (60%),
    the rest refunded. 2026's decisions are all made (renting nothing on demand among them), so
    4 H100e go unmet then ($4,000 at the VOLL); in 2027 4 more are reserved for its last year
    ($2 each): $12 + $4,000 + $12 + $8 = $4,032. Known from the start: 4 on demand in 2026
    instead, $44."""
    path, layers = files(reserved_or_on_demand(cap=100),
                         cut=[{"set": "catalog.v.offers.res.supply_cap.value", "to": {2026: 6, 2027: 100}}])
    held = held_2026(path)
    surprise = cpo.solve(cpo.load(path, whatifs=[layers["cut"]], commitments=held), objective="cost")
    foresight = cpo.solve(cpo.load(path, whatifs=[layers["cut"]]), objective="cost")
    assert surprise.total_cost_usd == pytest.approx(4032.0)
    assert foresight.total_cost_usd == pytest.approx(44.0)
    (row,) = surprise.tables["commitments"]
    assert (row["held_units"], row["delivered_units"]) == (pytest.approx(10), pytest.approx(6))
    assert row["status"] == "cut by supply[offer.v/res,2026]: 60.0% delivered, the rest refunded"
    assert acquired(surprise, "v/res", "2026") == pytest.approx(6)
    surprise.verify()


def test_an_order_whose_product_slips_arrives_late(files):
    """The reservation's product slips to 2027 after 10 were signed in 2026: they are signed at
    its new availability and active in 2027 only ($20 of rent). 2026's decisions are made, so
    its demand goes unmet ($10,000); known from the start, 10 on demand in 2026 ($30)."""
    path, layers = files(reserved_or_on_demand(), slip=[{"delay": "catalog.v.offers.res", "by": 1}])
    surprise = cpo.solve(cpo.load(path, whatifs=[layers["slip"]], commitments=held_2026(path)), objective="cost")
    assert surprise.total_cost_usd == pytest.approx(10_020.0)
    assert cpo.solve(cpo.load(path, whatifs=[layers["slip"]]), objective="cost").total_cost_usd == pytest.approx(50.0)
    assert acquired(surprise, "v/res", "2026") == pytest.approx(10)
    active = {r["period"]: r["active_units"] for r in surprise.tables["plan"] if r["offer"] == "v/res"}
    assert active == {"2026": pytest.approx(0), "2027": pytest.approx(10)}


def test_an_order_for_an_offer_a_what_if_removes_is_refunded(files):
    path, layers = files(reserved_or_on_demand(), gone=[{"add": "exclude", "value": [{"offer": "v/res"}]}])
    surprise = cpo.solve(cpo.load(path, whatifs=[layers["gone"]], commitments=held_2026(path)), objective="cost")
    assert surprise.total_cost_usd == pytest.approx(10_030.0)  # 2026 unmet (its decisions made), 2027 on demand
    assert surprise.tables["commitments"][0]["status"] == "refunded: offer not in this scenario"


def test_a_budget_below_held_spend_keeps_the_signings(files):
    """A 2026 budget of $5 after $20 of rent is signed: the contract is paid (the budget row
    never goes below what held signings spend) and nothing new is bought, so 2027 costs its
    $20 of rent; the plan verifies."""
    doc = reserved_or_on_demand()
    doc["policy"] = {"budget_usd_per_year": 1000}
    path, layers = files(doc, broke=[{"set": "policy.budget_usd_per_year", "to": 5}])
    surprise = cpo.solve(cpo.load(path, whatifs=[layers["broke"]], commitments=held_2026(path)), objective="cost")
    assert acquired(surprise, "v/res", "2026") == pytest.approx(10)
    assert surprise.total_cost_usd == pytest.approx(40.0)
    surprise.verify()


def test_commit_until_a_quarter_holds_only_the_quarters_before(files, make_scenario):
    doc = reserved_or_on_demand()
    doc["periods"]["step"] = "quarter"
    result = cpo.solve(make_scenario(doc), objective="cost")
    held = from_result(result, "2026Q2")
    assert held.periods == frozenset({"2026Q1", "2026Q2"})
    assert {period for _, period in held.units} <= {"2026Q1", "2026Q2"}


# ---------------------------------------------------------------- evaluate


def test_evaluating_a_plan_fixes_every_signing(files, tmp_path):
    """A plan of 5 reservations in 2026 and nothing else: 5 H100e unmet in each year at the VOLL
    ($1,000): $10,000 + $20 of rent."""
    path, _ = files(reserved_or_on_demand())
    plan = tmp_path / "plan.csv"
    plan.write_text("offer,period,acquired_units\nv/res,2026,5\n")
    frame = cpo.evaluate(cpo.load(path), plan)
    assert frame.total_cost_usd[0] == pytest.approx(10_020.0)
    assert frame.unmet_h100e_years[0] == pytest.approx(10.0)


def test_evaluating_the_base_plan_reproduces_the_solve_to_the_dollar(tmp_path):
    """examples/openai.yaml: the solve's plan.csv read back and held costs what the solve did."""
    from typer.testing import CliRunner

    from optimizer.cli import app

    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(app, ["solve", str(EXAMPLES / "openai.yaml"), "--objective", "cost", "--out", str(out)]).exit_code == 0
    solved = json.loads((out / "result.json").read_text())["total_cost_usd"]
    run = runner.invoke(app, ["evaluate", str(EXAMPLES / "openai.yaml"), "--plan", str(out / "plan.csv"),
                              "--objective", "cost", "--json"])
    assert run.exit_code == 0, run.output
    evaluated = json.loads(run.stdout)["rows"][0]
    assert evaluated["total_cost_usd"] == pytest.approx(solved, abs=1.0)
    assert evaluated["findings"] == 0 and evaluated["signings_held"] > 0


def test_a_held_plan_that_breaks_a_share_rule_is_evaluated_with_the_rule_as_a_finding(files, tmp_path):
    """A rule that another vendor take at least 30% of the spend, against a plan of 10
    reservations and nothing else: no operation can meet it, so the plan is solved without the
    rule, $40, and the rule is listed."""
    doc = reserved_or_on_demand()
    doc["catalog"]["w"] = vendor({"q": product()}, {"od": offer("q", 3.0, provider="other")})
    doc["policy"] = {"shares": [{"group": "vendor", "member": "w", "measure": "spend", "min": 0.3}]}
    path, _ = files(doc)
    plan = tmp_path / "plan.csv"
    plan.write_text("offer,period,acquired_units\nv/res,2026,10\n")
    row = cpo.evaluate(cpo.load(path), plan).iloc[0]
    assert row.status == "optimal"
    assert row.total_cost_usd == pytest.approx(40.0)
    assert row.findings >= 1 and "share" in row.finding_details


def test_the_library_functions_are_not_shadowed_by_their_modules():
    """`cpo.compare`, `cpo.sweep` and `cpo.evaluate` stay functions once every module is imported."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(cpo.__path__):
        if module.name != "__main__":  # (runs the command line)
            importlib.import_module(f"optimizer.{module.name}")
    for name in cpo.__all__:
        assert not isinstance(getattr(cpo, name), type(cpo)), name


@pytest.mark.parametrize("objective", ["cost", "multi-vendor"])
def test_the_surprise_cost_of_each_shipped_what_if_is_at_least_its_foresight_cost(objective):
    """In the objective each minimises, holding the base plan's 2026 signings never helps; under
    cost that is procurement itself (under multi-vendor procurement alone may fall: the MI450 slip
    held costs $3.4B less to buy, and more in priced risk and concentration)."""
    frame = cpo.compare(cpo.load(EXAMPLES / "openai.yaml"), sorted((EXAMPLES / "whatif").glob("*.yaml")),
                        objective=objective, commit_until=2026)
    assert (frame.status == "optimal").all() and (frame.surprise_status == "optimal").all()
    slack = 1e-9 * frame.objective_usd
    assert (frame.surprise_objective_usd >= frame.objective_usd - slack).all(), frame[["scenario",
                                                                                         "cost_of_committing_usd"]]
    assert (frame.cost_of_committing_usd >= 0).all()
    assert frame.cost_of_committing_usd[0] == 0  # the base, held, is the base
    if objective == "cost":
        assert (frame.surprise_cost_usd >= frame.total_cost_usd - 1e-9 * frame.total_cost_usd).all()


# ---------------------------------------------------------------- the file


@pytest.mark.parametrize("text, expected", [
    ("offer,units\n", "found columns ['offer', 'units'], expected offer, period, acquired_units"),
    ("offer,period,acquired_units\nv/res,2026,lots\n", ":2: acquired_units: found 'lots', expected a number"),
    ("offer,period,acquired_units\nv/res,2026,-1\n", ":2: acquired_units: found -1, expected a finite number >= 0"),
    ("offer,period,acquired_units\nv/res,26,1\n", ":2: period: "),
])
def test_a_bad_plan_file_is_located(tmp_path, text, expected):
    plan = tmp_path / "plan.csv"
    plan.write_text(text)
    with pytest.raises(cpo.ConfigError) as error:
        read_csv(plan)
    assert expected in str(error.value)


def test_a_plan_file_naming_a_period_outside_the_horizon_is_an_error(files, tmp_path):
    path, _ = files(reserved_or_on_demand())
    held = Commitments(FrozenDict({("v/res", "2030"): 1.0}), frozenset({"2030"}), "plan.csv")
    with pytest.raises(cpo.ConfigError, match="plan.csv: period: found 2030, expected periods of the horizon"):
        cpo.load(path, commitments=held)


def test_cli_committed_fixes_the_files_signings(files, tmp_path):
    from typer.testing import CliRunner

    from optimizer.cli import app

    path, _ = files(reserved_or_on_demand())
    plan = tmp_path / "plan.csv"
    plan.write_text("offer,period,acquired_units\nv/od,2026,10\n")
    run = CliRunner().invoke(app, ["solve", str(path), "--objective", "cost", "--committed", str(plan), "--json"])
    assert run.exit_code == 0, run.output
    document = json.loads(run.stdout)
    # 2026 is held (10 on demand, $30, no reservation then); 2027: a reservation's last year, $20
    assert document["total_cost_usd"] == pytest.approx(50.0)


def test_a_sweep_with_commit_until_holds_the_base_plans_signings_at_every_point(files, tmp_path):
    """The 2027 demand scaled by 0 and 1: held, the 2026 reservation's 2027 rent is paid at both
    ($40, $40); with foresight the first point costs $30."""
    path, _ = files(reserved_or_on_demand())
    grid = tmp_path / "grid.yaml"
    grid.write_text(yaml.safe_dump({"objective": "cost", "parameters": {"demand_2027": {
        "scale": "workloads.training.demand", "values": [0.0, 1.0], "from": 2027}}}))
    held = cpo.sweep(path, grid, workers=0, commit_until="2026")
    free = cpo.sweep(path, grid, workers=0)
    assert held.total_cost_usd.tolist() == pytest.approx([40.0, 40.0])
    assert free.total_cost_usd.tolist() == pytest.approx([30.0, 40.0])
