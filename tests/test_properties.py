"""Properties every answer must have, on random small scenarios (hypothesis)."""

from __future__ import annotations

import copy

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optimizer as cpo
from conftest import hall, offer, product, scenario_doc, vendor

ABSOLUTE_USD = 1e-6
"""Costs of these scenarios are $1-$1e5: a millionth of a dollar is far inside the LP's relative
tolerance, which follows the scenario's size (model.Scale)."""

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def scenarios(draw):
    n_vendors = draw(st.integers(2, 4))
    catalog = {}
    for v in range(n_vendors):
        offers = {}
        for k in range(draw(st.integers(1, 2))):
            channel = draw(st.sampled_from(["on_demand", "reserved", "buy"]))
            offers[f"o{k}"] = offer(f"p{v}", recurring=draw(st.floats(1, 10)), channel=channel,
                                    provider=f"cloud{v}", upfront=draw(st.floats(0, 20)) if channel == "buy" else 0.0,
                                    term=draw(st.sampled_from([1, 2, 3])), lead_months=draw(st.sampled_from([0, 12])),
                                    cap=draw(st.one_of(st.none(), st.floats(10, 200))))
        catalog[f"v{v}"] = vendor({f"p{v}": product(reference=v == 0, training=draw(st.floats(0.5, 3)))}, offers)
    years = draw(st.integers(1, 3))
    demand = {2026 + t: draw(st.one_of(st.just(0.0), st.floats(1e-3, 300))) for t in range(years)}  # within data.MAX_DEMAND_RATIO
    doc = scenario_doc(catalog, demand=demand, end=2025 + years, voll=draw(st.floats(20, 100)),
                       discount_rate=draw(st.floats(0, 0.15)), sites={"hall": hall()})
    if draw(st.booleans()):
        doc["policy"] = {"shares": [{"group": "vendor", "max": draw(st.floats(0.5, 1.0))}]}
    return doc


def solve_doc(tmp_path, doc, name="s.yaml", objective="cost"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return cpo.solve(cpo.load(path), objective=objective)


@SETTINGS
@given(doc=scenarios(), factor=st.floats(1.0, 3.0))
def test_raising_a_price_never_lowers_cost(tmp_path, doc, factor):
    base = solve_doc(tmp_path, doc)
    dearer = copy.deepcopy(doc)
    dearer["catalog"]["v0"]["offers"]["o0"]["recurring"]["value"] *= factor
    assert solve_doc(tmp_path, dearer, "d.yaml").total_cost_usd >= base.total_cost_usd - 1e-6 * abs(base.total_cost_usd) - 1e-6


@SETTINGS
@given(doc=scenarios())
def test_removing_a_vendor_never_lowers_cost(tmp_path, doc):
    base = solve_doc(tmp_path, doc)
    fewer = copy.deepcopy(doc)
    fewer["vendors"] = [v for v in doc["catalog"] if v != "v1"]
    if "policy" in fewer:  # a share cap could be infeasible with fewer vendors; compare without it
        del fewer["policy"]
        base = solve_doc(tmp_path, {k: v for k, v in doc.items() if k != "policy"}, "b.yaml")
    assert solve_doc(tmp_path, fewer, "f.yaml").total_cost_usd >= base.total_cost_usd - 1e-6 * abs(base.total_cost_usd) - 1e-6


@SETTINGS
@given(doc=scenarios(), scale=st.floats(0.5, 4.0))
def test_scaling_demand_and_caps_scales_cost(tmp_path, doc, scale):
    base = solve_doc(tmp_path, doc)
    scaled = copy.deepcopy(doc)
    scaled["workloads"]["training"]["demand"] = {k: v * scale for k, v in doc["workloads"]["training"]["demand"].items()}
    for v in scaled["catalog"].values():
        for o in v["offers"].values():
            if "supply_cap" in o:
                o["supply_cap"]["value"] *= scale
    assert solve_doc(tmp_path, scaled, "x.yaml").total_cost_usd == pytest.approx(scale * base.total_cost_usd, rel=1e-6, abs=ABSOLUTE_USD)


@SETTINGS
@given(doc=scenarios())
def test_permuting_vendors_changes_nothing_and_plans_verify(tmp_path, doc):
    base = solve_doc(tmp_path, doc)
    base.verify()
    permuted = copy.deepcopy(doc)
    permuted["catalog"] = dict(reversed(list(doc["catalog"].items())))
    other = solve_doc(tmp_path, permuted, "p.yaml")
    assert other.total_cost_usd == pytest.approx(base.total_cost_usd, rel=1e-9, abs=ABSOLUTE_USD)
