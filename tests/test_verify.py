"""verify() is a second opinion: a formulation with a family dropped, a coefficient doubled or a
cost term changed (a mutant) gives a plan verify() refuses, on a scenario where the mutated
part matters. Each mutant below is checked to change the plan or its cost first (otherwise it
would prove nothing), then to be caught.

What verify() checks is feasibility (every row, recomputed) and the cost (every term,
recomputed, against the solver's). A mutant that only moves an objective coefficient and so
leads to another *feasible* plan whose costs it states truthfully is a worse plan, not a wrong
one: the hand-computed and property tests catch those."""

from __future__ import annotations

import pytest

import optimizer as cpo
from conftest import hall, offer, product, scenario_doc, two_vendors, vendor
from test_ladders import ramp, rolloff, stagger_doc
from optimizer.formulation import constraints, model as model_module, objective as objective_module, variables


def deal(**fields) -> dict:
    return {"name": "d", "counterparty": "Dear Co", "covers": {"vendor": "dear"}, "from": 2026,
            "source": "test"} | fields


def site_doc() -> dict:
    """Owned units ($1 + $1 upfront + $0.13 of energy, 1 kW) at a 0.09 MW site with PUE 1.5
    (60 units fit), cloud at $3."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"own": offer("p", 1.0, channel="buy", provider="self", upfront=1.0, term=1),
                            "rent": offer("p", 3.0)})}
    return scenario_doc(catalog, sites={"dc": {"power_mw": 0.09, "pue": 1.5, "region": "us",
                                               "energy_usd_per_mwh": 0.01}})


def salvage_doc() -> dict:
    """A 4-year life bought in 2026 for a 2-year horizon: half the upfront comes back."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"own": offer("p", 1.0, channel="buy", provider="self", upfront=10.0, term=4)})}
    return scenario_doc(catalog, end=2027, discount_rate=0.1, sites={"hall": hall()})


def resale_doc(cap: float | None = None, end=None) -> dict:
    """Owned units ($10, $1 opex, 2 years) signable in 2026 and 2027 (to `end`), rented at $8,
    demand 100 then 40, sold at 0.6 of the upfront at age 1 (tests/test_resale.py)."""
    catalog = {"v": vendor({"p": product(reference=True)},
                           {"own": offer("p", 1.0, channel="buy", provider="self", upfront=10.0, term=2, end=end)}),
               "c": vendor({"q": product()}, {"rent": offer("q", 8.0)})}
    rule = {"match": {"vendor": "v"}, "curve": {0: 0.8, 1: 0.6, 2: 0.2}, "source": "test"}
    if cap is not None:
        rule["max_units_per_year"] = cap
    return scenario_doc(catalog, demand={2026: 100, 2027: 40}, end=2027, sites={"hall": hall()}, resale=[rule])


def sales_weighted(factor: float):
    """A mutant whose resale_held rows count each unit sold `factor` times (Σ factor·sold ≤ x)."""
    def patch(monkeypatch):
        original = model_module.Model.add_row

        def add_row(self, name, key, terms, sense, rhs, rhs_scale):
            if name == "resale_held":
                terms = [(v, c * factor if c > 0 else c) for v, c in terms]
            return original(self, name, key, terms, sense, rhs, rhs_scale)

        monkeypatch.setattr(model_module.Model, "add_row", add_row)
    return patch


def hard_doc() -> dict:
    return scenario_doc(two_vendors(cheap_cap=None), policy={"resilience": {
        "mode": "hard", "critical_fraction": 0.4, "failures": [{"group": "vendor"}]}})


def priced_doc(probability: float = 0.1) -> dict:
    return scenario_doc(two_vendors(cheap_cap=None), policy={"resilience": {
        "mode": "priced", "critical_fraction": 0.5, "failures": [{"group": "vendor", "probability": probability}]}})


def tranche_doc() -> dict:
    financing = {"measure": "units", "tranches": [{"reach": 100, "by": 2026, "credit_usd": 150}], "source": "test"}
    return scenario_doc(two_vendors(cheap_cap=None), deals=[deal(financing=financing)])


def financing_doc() -> dict:
    financing = {"rate": 1.5, "per": "unit", "cap_usd": 45, "source": "test"}
    return scenario_doc(two_vendors(cheap_cap=None), deals=[deal(financing=financing)])


def tiers_doc(ceiling: float = 1000.0, starts=(0, 150, 330), discounts=(0.0, 0.1, 0.3)) -> dict:
    """All-units tiers on dear (by default 10% from $150, 30% from $330, up to `ceiling`) under --integer."""
    tiers = {"kind": "all_units", "up_to_usd": ceiling, "source": "test",
             "tiers": [{"from_usd": b, "discount": d} for b, d in zip(starts, discounts)]}
    return scenario_doc(two_vendors(), deals=[deal(volume_tiers=tiers)], milp={"integer": True})


def counts_doc(a_cap=60, **rule) -> dict:
    """Three vendors, a at $2 (capped at `a_cap`), b at $3 (capped at 30), c at $4, and a vendor-count rule."""
    catalog = {"a": vendor({"a1": product(reference=True)}, {"rent": offer("a1", 2.0, provider="pa", cap=a_cap)}),
               "b": vendor({"b1": product()}, {"rent": offer("b1", 3.0, provider="pb", cap=30)}),
               "c": vendor({"c1": product()}, {"rent": offer("c1", 4.0, provider="pc")})}
    return scenario_doc(catalog, policy={"vendor_counts": [rule]}, milp={"integer": True})


def drop(name):
    """A mutant formulation without one constraint family."""
    return lambda monkeypatch: monkeypatch.setattr(constraints, name, lambda model: None)


def without_columns(name: str, *builders: str):
    """A mutant that never creates a family of columns (variables.<name>) and the rows that use
    them (constraints.<builder>)."""
    def patch(monkeypatch):
        monkeypatch.setattr(variables, name, lambda model, *args, **kwargs: None)
        for builder in builders:
            monkeypatch.setattr(constraints, builder, lambda model: None)
    return patch


def scale_rows(family: str, factor: float, part: str = "terms"):
    """A mutant whose rows of `family` have every coefficient (or the right-hand side) x factor."""
    def patch(monkeypatch):
        original = model_module.Model.add_row

        def add_row(self, name, key, terms, sense, rhs, rhs_scale):
            if name == family:
                if part == "terms":
                    terms = [(v, c * factor) for v, c in (terms.items() if isinstance(terms, dict) else terms)]
                else:
                    rhs *= factor
            return original(self, name, key, terms, sense, rhs, rhs_scale)

        monkeypatch.setattr(model_module.Model, "add_row", add_row)
    return patch


def scale_objective(part: str, factor: float):
    """A mutant whose objective part (cost, resilience, hhi) is multiplied by `factor`."""
    def patch(monkeypatch):
        original = getattr(objective_module, part)
        monkeypatch.setattr(objective_module, part, lambda model, *args: original(model, *args) * factor)
    return patch


def salvage_times(factor: float):
    """A mutant whose objective gives back `factor` times the salvage."""
    def patch(monkeypatch):
        original = objective_module.cost

        def cost(model):
            expression = original(model)
            data, per_lp = model.data, model.scale.units / model.scale.money
            for (o, tau), var in model.family("x").items():
                expression[var] = expression.get(var, 0.0) - (factor - 1) * data.end_discount * data.offers[o].salvage(tau) * per_lp
            return expression
        monkeypatch.setattr(objective_module, "cost", cost)
    return patch


def deal_terms_times(factor: float):
    def patch(monkeypatch):
        original = objective_module.deal_terms
        monkeypatch.setattr(objective_module, "deal_terms", lambda model: [(v, c * factor) for v, c in original(model)])
    return patch


MUTANTS = {
    "capacity dropped": (lambda: scenario_doc(two_vendors()), "cost", drop("capacity")),
    "demand dropped": (lambda: scenario_doc(two_vendors()), "cost", drop("demand")),
    "demand halved": (lambda: scenario_doc(two_vendors()), "cost", scale_rows("demand", 0.5, "rhs")),
    "supply dropped": (lambda: scenario_doc(two_vendors()), "cost", drop("supply")),
    "supply cap doubled": (lambda: scenario_doc(two_vendors()), "cost", scale_rows("supply", 2.0, "rhs")),
    "resource dropped": (lambda: scenario_doc(two_vendors(cheap_cap=None), resources=[
        {"name": "wafers", "unit": "wafer", "cap": 30, "usage": [{"match": {"vendor": "cheap"}, "per_unit": 0.5}]}]),
        "cost", drop("resource")),
    "power dropped": (site_doc, "cost", drop("power")),
    "PUE dropped from power": (site_doc, "cost", scale_rows("power", 1 / 1.5)),
    "budget dropped": (lambda: scenario_doc(two_vendors(), voll=10.0, policy={"budget_usd_per_year": 150}),
                       "cost", drop("budget")),
    "share dropped": (lambda: scenario_doc(two_vendors(cheap_cap=None), policy={"shares": [
        {"group": "vendor", "max": 0.6}]}), "cost", drop("concentration")),
    "hard resilience dropped": (hard_doc, "cost", drop("resilience")),
    "cover's throughput doubled": (hard_doc, "cost", scale_rows("cover", 2.0)),
    "cover dropped (priced)": (priced_doc, "multi-vendor", scale_rows("cover", 0.0, "rhs")),
    "disruption cost doubled": (lambda: priced_doc(0.0003), "multi-vendor", scale_objective("resilience", 2.0)),
    "take-or-pay dropped": (lambda: scenario_doc(two_vendors(), deals=[deal(min_spend_usd=400)]), "cost",
                            drop("take_or_pay")),
    "financing rate dropped": (financing_doc, "cost", scale_rows("financing", 0.0)),
    "financing cap dropped": (financing_doc, "cost", scale_rows("financing_cap", 0.0)),
    "tranche dropped": (tranche_doc, "cost", drop("tranches")),
    "deal credits doubled": (tranche_doc, "cost", deal_terms_times(2.0)),
    "delivery dropped": (lambda: scenario_doc(two_vendors(cheap_cap=None), end=2027, deals=[
        deal(name="late", covers={"vendor": "cheap"}, **{"from": 2027}, max_mw=0.06)]), "cost", drop("delivery")),
    "salvage dropped": (salvage_doc, "cost", salvage_times(0.0)),
    "salvage inflated by half": (salvage_doc, "cost", salvage_times(1.5)),
    "cost halved": (lambda: scenario_doc(two_vendors()), "cost", scale_objective("cost", 0.5)),
    "lots dropped": (lambda: scenario_doc(two_vendors(cheap_cap=None), milp={"integer": True, "lot_units": 72}),
                     "cost", drop("integer_lots")),
    "cluster dropped": (lambda: scenario_doc(two_vendors(), milp={"integer": True, "min_cluster_units": {"training": 70}}),
                        "cost", scale_rows("cluster_size", 0.0)),
    "porting dropped": (lambda: scenario_doc(two_vendors(cheap_cap=None, dear_price=1.5), milp={
        "integer": True, "porting": [{"vendor": "dear", "workload": "training", "cost_usd": 40, "source": "test"}]}),
        "cost", drop("porting")),
    "tier split dropped": (tiers_doc, "cost", scale_rows("tier_split", 0.0)),
    "tier ceiling dropped": (lambda: tiers_doc(ceiling=400), "cost", scale_rows("tier_ceiling", 0.0)),
    "tier reach dropped": (tiers_doc, "cost", scale_rows("tier_reach", 0.0)),
    "tier pick dropped": (lambda: tiers_doc(100, (0, 50), (0.1, 0.2)), "cost", scale_rows("tier_pick", 0.0)),
    "count use dropped": (lambda: counts_doc(max=2), "cost", scale_rows("count_use", 0.0)),
    "count floor dropped": (lambda: counts_doc(None, min=3, min_share=0.1), "cost", scale_rows("count_floor", 0.0)),
    "count max dropped": (lambda: counts_doc(max=2), "cost", scale_rows("count_max", 0.0)),
    "count min dropped": (lambda: counts_doc(None, min=3, min_share=0.1), "cost", scale_rows("count_min", 0.0, "rhs")),
    "sales counted half (resale_held)": (resale_doc, "cost", sales_weighted(0.5)),
    "resale cap doubled": (lambda: resale_doc(cap=50), "cost", scale_rows("resale_cap", 2.0, "rhs")),
    "resale income up by half": (lambda: resale_doc(end=2026), "cost", scale_objective("resale", 1.5)),
    "vendor shares dropped": (lambda: scenario_doc(two_vendors(cheap_cap=None)), "max-share",
                              scale_rows("vendor_share", 0.0)),
    "HHI cuts dropped": (lambda: scenario_doc(two_vendors(cheap_cap=None), policy={"hhi_weight_usd_per_year": 200}),
                         "multi-vendor", scale_rows("hhi_cut", 0.0)),
    "max-share rows dropped": (lambda: scenario_doc(two_vendors(cheap_cap=None)), "max-share",
                               scale_rows("max_share", 0.0)),
    "ladder rise dropped": (lambda: ramp(max_increase=150), "cost", scale_rows("ladder_up", 0.0)),
    "ladder fall dropped": (rolloff, "cost", drop("ladders")),
    "stagger dropped": (stagger_doc, "cost", scale_rows("stagger", 0.0)),
    "recourse never built (hard)": (hard_doc, "cost", without_columns("recourse", "resilience")),
    "concentration columns never built (max-share)": (lambda: scenario_doc(two_vendors(cheap_cap=None)), "max-share",
                                                      without_columns("concentration")),
    "concentration columns never built (hhi)": (lambda: scenario_doc(two_vendors(cheap_cap=None)), "hhi",
                                                without_columns("concentration")),
    "concentration columns never built (HHI weight)": (lambda: scenario_doc(two_vendors(cheap_cap=None), policy={
        "hhi_weight_usd_per_year": 200}), "multi-vendor", without_columns("concentration")),
}


@pytest.mark.parametrize("name", list(MUTANTS))
def test_verify_catches_the_mutant(make_scenario, monkeypatch, name):
    build_doc, objective, mutate = MUTANTS[name]
    scenario = make_scenario(build_doc())
    honest = cpo.solve(scenario, objective=objective)
    mutate(monkeypatch)
    mutant = cpo.solve(scenario, objective=objective, verify=False)
    changed = (mutant.plan_values.acquired != pytest.approx(honest.plan_values.acquired)
               or sum(mutant.solver_parts_usd.values()) != pytest.approx(sum(honest.solver_parts_usd.values())))
    assert changed, "the mutant changes neither the plan nor its cost here: pick a scenario where it binds"
    with pytest.raises(cpo.VerificationError):
        mutant.verify()


def test_every_family_the_model_builds_is_mutated_above():
    """The mutants cover every family whose absence or change could go unseen."""
    from optimizer.families import FAMILIES

    mutated = {"capacity", "demand", "supply", "resource", "power", "budget", "share", "recourse", "cover",
               "take_or_pay", "financing", "financing_cap", "tranche", "delivery", "lots", "cluster_size",
               "porting", "vendor_share", "hhi_cut", "max_share", "tier_split", "tier_ceiling", "tier_reach",
               "tier_pick", "count_use", "count_floor", "count_max", "count_min", "resale_held", "resale_cap"}
    covered_elsewhere = {"cluster_pick"}  # checked with cluster_size: the same cluster columns
    mutated |= {"ladder_up", "ladder_down", "stagger"}
    covered_elsewhere |= {"option", "option_size", "package"}  # tests/test_options.py, tests/test_packages.py
    assert set(FAMILIES) - {n for n, f in FAMILIES.items() if f.internal} == mutated | covered_elsewhere


def test_leverage_and_frontier_refuse_plans_verify_refuses(make_scenario, monkeypatch):
    """`cpo leverage` once printed figures from a plan that verify() refuses: every plan the
    strategy commands report is verified (exit 4 from the CLI)."""
    from typer.testing import CliRunner

    from optimizer.cli import app
    from optimizer.strategy import frontier_points, leverage_document

    scenario = make_scenario(scenario_doc(two_vendors()))
    drop("supply")(monkeypatch)
    with pytest.raises(cpo.VerificationError):
        leverage_document(scenario)
    with pytest.raises(cpo.VerificationError):
        frontier_points(scenario, points=2)
    result = CliRunner().invoke(app, ["leverage", str(scenario.path)])
    assert result.exit_code == 4 and "fails an independent check" in result.stderr
