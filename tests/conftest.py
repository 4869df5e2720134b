"""Builders for tiny inline scenarios whose answers can be computed by hand."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import optimizer as cpo

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


def product(kw: float = 1.0, reference: bool = False, tags: dict | None = None, **throughput) -> dict:
    """A product with direct H100e throughput per workload, e.g. product(training=1.0)."""
    return {"name": "test product", "reference": reference, "kw_per_unit": {"value": kw, "source": "test"},
            "throughput": {w: {"value": v, "source": "test"} for w, v in (throughput or {"training": 1.0}).items()},
            "tags": tags or {}}


def offer(product_id: str, recurring: float = 1.0, channel: str = "on_demand", provider: str = "cloud",
          upfront: float = 0.0, term: float | None = None, lead_months: float = 0.0, start=2026, end=None,
          cap=None) -> dict:
    doc = {"product": product_id, "channel": channel, "provider": provider, "region": "us",
           "upfront": {"value": upfront, "source": "test"}, "recurring": {"value": recurring, "source": "test"},
           "lead_months": {"value": lead_months, "source": "test"}, "available": {"from": start}}
    if end is not None:
        doc["available"]["to"] = end
    if channel != "on_demand":
        doc["term_years"] = {"value": term or 1.0, "source": "test"}
    if cap is not None:
        doc["supply_cap"] = {"value": cap, "source": "test"}
    return doc


def vendor(products: dict, offers: dict, supply_cap=None) -> dict:
    doc = {"name": "test vendor", "products": products, "offers": offers}
    if supply_cap is not None:
        doc["supply_cap"] = {"value": supply_cap, "source": "test"}
    return doc


def hall(power_mw: float = 1000.0) -> dict:
    """A site owned units need (a `buy` offer no site hosts is refused) that changes nothing a
    test counts: no energy or facility cost, the cloud's PUE (1.2), power to spare."""
    return {"power_mw": power_mw, "pue": 1.2, "region": "us", "source": "test"}


def two_vendors(cheap_cap=60, dear_cap=None, cheap_price=2.0, dear_price=3.0) -> dict:
    """Architecture.md's example: cheap ($2, cap 60) and dear ($3) on-demand capacity."""
    return {
        "cheap": vendor({"c1": product(reference=True)}, {"rent": offer("c1", cheap_price, cap=cheap_cap)}),
        "dear": vendor({"d1": product()}, {"rent": offer("d1", dear_price, provider="cloud-b", cap=dear_cap)}),
    }


def scenario_doc(catalog: dict, demand=100.0, voll: float = 1000.0, start: int = 2026, end: int = 2026,
                 **extra) -> dict:
    doc = {"name": "test", "periods": {"start": start, "end": end}, "catalog": catalog,
           "workloads": {"training": {"demand": demand, "voll": voll}}}
    doc.update(extra)
    return doc


class NoAliasDumper(yaml.SafeDumper):
    """Writes a value used twice in full: cpo refuses YAML anchors and aliases."""

    def ignore_aliases(self, data):
        return True


@pytest.fixture
def make_scenario(tmp_path):
    """Write a scenario document to a YAML file and load it: make_scenario(doc, overrides=...)."""
    counter = iter(range(10_000))

    def make(doc: dict, **load_options) -> cpo.Scenario:
        path = tmp_path / f"scenario{next(counter)}.yaml"
        path.write_text(yaml.dump(copy.deepcopy(doc), Dumper=NoAliasDumper, sort_keys=False))
        return cpo.load(path, **load_options)

    return make


@pytest.fixture
def solve(make_scenario):
    """make_scenario + solve: solve(doc, objective="cost") -> Result."""

    def run(doc: dict, objective: str = "cost", **options) -> cpo.solve:
        return cpo.solve(make_scenario(doc), objective=objective, **options)

    return run


def price(result, constraint: str) -> float:
    """The reported price of one constraint (by its name)."""
    rows = [r for r in result.tables["prices"] if r["constraint"] == constraint]
    assert rows, f"{constraint} not among {[r['constraint'] for r in result.tables['prices']]}"
    return rows[0]["value"]


def acquired(result, offer_key: str, period: str | None = None) -> float:
    return sum(r["acquired_units"] for r in result.tables["plan"]
               if r["offer"] == offer_key and (period is None or r["period"] == period))


def share(result, member: str, period: str, group: str = "vendor", measure: str = "compute") -> float:
    return next(r["share"] for r in result.tables["shares"]
                if (r["group"], r["member"], r["measure"], r["period"]) == (group, member, measure, period))
