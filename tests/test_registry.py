"""The registry of row families (optimizer/families.py) is complete: every family any model
builds is in it with its key kinds, verify check, price unit and meaning, relaxation field,
and a line in docs/model.md."""

from __future__ import annotations

import re

import pytest

import optimizer as cpo
from conftest import EXAMPLES, ROOT
from optimizer.families import FAMILIES
from optimizer.formulation import build
from optimizer.solver import solve_model
from optimizer.strategy import frontier_points

DOCS = (ROOT / "docs" / "model.md").read_text()


def families_built() -> set[str]:
    """Every row family the flagship's models hold: with a budget and an HBM shortage (a
    resource), with integers, and under each objective (the lexicographic ones solved, for
    their guards)."""
    names = set()
    path, hbm = EXAMPLES / "openai.yaml", EXAMPLES / "whatif" / "hbm-shortage.yaml"
    cases = [([], ["milp.integer=true"], "multi-vendor"), ([hbm], ["policy.budget_usd_per_year=1e13"], "cost"),
             ([], [], "max-share"), ([], [], "hhi")]
    for whatifs, overrides, objective in cases:
        model = build(cpo.load(path, whatifs=whatifs, overrides=overrides).data, objective)
        if objective in ("max-share", "hhi"):
            solve_model(model, objective)  # adds the guards between stages
        names |= {row.family for row in model.rows}
    return names


def test_every_family_built_is_registered():
    built = families_built() | {"frontier_cap"}
    assert built <= set(FAMILIES), built - set(FAMILIES)
    assert {"resource", "delivery", "lots", "cluster_size", "porting", "unmet_guard"} <= built


def test_the_frontier_cap_is_registered():
    scenario = cpo.load(ROOT / "tests" / "data" / "tiny.yaml")
    assert frontier_points(scenario, points=2)["points"]


@pytest.mark.parametrize("name", list(FAMILIES))
def test_each_family_has_every_part(name):
    family = FAMILIES[name]
    assert set(family.keys) <= set("owtyfgv-")
    assert family.unit and family.field
    if family.internal:
        assert family.check is None
    else:
        assert callable(family.check)
    if family.price is not None:
        assert family.unit.startswith("$")
    else:
        assert family.unit.startswith(("not reported", "reported as"))
    if family.relax is not None:
        assert not family.field.startswith("none")


@pytest.mark.parametrize("name", list(FAMILIES))
def test_each_family_has_its_line_in_docs_model_md(name):
    assert re.search(rf"`{name}\[", DOCS), f"docs/model.md has no formula for {name}[...]"
