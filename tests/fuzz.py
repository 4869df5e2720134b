"""Fuzzing machinery shared by tests/test_fuzz.py and benchmarks/reliability.py.

Two generators, both driven by one integer seed so any failure can be replayed:
- `random_scenario(seed)`: a random *valid* scenario (vendors, offers of every channel, lead
  times and terms, sites with power, installed units, supply pools, share rules on every
  measure, hard or priced resilience, budgets, yearly or quarterly periods). Solving it must
  give an optimal plan that passes verify(), or InfeasibleError with a non-empty diagnosis.
- `mutate(kind, seed)`: one bad edit of an example or vendor file. Running `cpo validate` on
  it must never print a traceback; bad input must exit 1 with every problem located.
"""

from __future__ import annotations

import copy
import math
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
VENDOR_FILES = sorted((ROOT / "vendors").glob("*.yaml"))

MUTATIONS = ("wrong type", "negative number", "nan or inf", "unknown field", "deleted field",
             "YAML syntax", "empty file", "binary file", "share cap above 1", "unknown reference",
             "period outside horizon", "bad --set", "vendor file", "bad what-if")
ALWAYS_INVALID = set(MUTATIONS) - {"deleted field", "negative number", "unknown field"}
"""Kinds that can never give a valid config (the others sometimes do: an optional field
deleted, a sign flipped on a number that may be negative, a key added to a free-form map)."""


# ---------------------------------------------------------------- random valid scenarios


def _members(catalog: dict, group: str) -> set[str]:
    """The members of a tag group among a generated catalog's offers."""
    out = set()
    for vendor_id, vendor in catalog.items():
        for offer in vendor["offers"].values():
            tags = {"vendor": vendor_id, "provider": offer["provider"],
                    **vendor["products"][offer["product"]].get("tags", {})}
            out.add(tags.get(group, "(none)"))
    return out


def random_scenario(seed: int) -> dict:
    rng = random.Random(seed)
    n_periods = rng.randint(1, 4)
    quarterly = rng.random() < 0.2
    catalog = {}
    n_vendors = rng.randint(1, 4)
    workloads = ["train", "serve"][: rng.randint(1, 2)]
    for v in range(n_vendors):
        products = {}
        for p in range(rng.randint(1, 2)):
            throughput = {w: {"value": round(rng.uniform(0.3, 4.0), 3), "source": "fuzz"}
                          for w in workloads if rng.random() < 0.85 or p == 0}
            products[f"p{v}{p}"] = {"name": "fuzz", "reference": v == 0 and p == 0,
                                    "kw_per_unit": {"value": round(rng.uniform(0.5, 3), 3), "source": "fuzz"},
                                    "throughput": throughput,
                                    "tags": {"foundry": rng.choice(["f1", "f2"])}}
        offers = {}
        for k in range(rng.randint(1, 3)):
            channel = rng.choice(["buy", "reserved", "on_demand"])
            product = f"p{v}0" if k == 0 else rng.choice(sorted(products))  # v0/o0 can run every workload
            offer = {"product": product, "channel": channel,
                     "provider": rng.choice(["self", "c1", "c2"]) if channel != "buy" else "self",
                     "region": "us",
                     "upfront": {"value": round(rng.uniform(5, 60), 2) if channel == "buy" else 0.0, "source": "fuzz"},
                     "recurring": {"value": round(rng.uniform(0.5, 20), 2), "source": "fuzz"},
                     "lead_months": {"value": rng.choice([0, 3, 6, 12, 18]), "source": "fuzz"},
                     "available": {"from": 2026 + rng.randint(0, n_periods - 1) if rng.random() < 0.3 else 2025}}
            if channel != "on_demand":
                offer["term_years"] = {"value": rng.choice([1, 2, 3, 5]), "source": "fuzz"}
            if rng.random() < 0.5:
                offer["supply_cap"] = {"value": round(rng.uniform(10, 300), 1), "source": "fuzz"}
            offers[f"o{k}"] = offer
        catalog[f"v{v}"] = {"name": f"vendor {v}", "products": products, "offers": offers}
    years = list(range(2026, 2026 + n_periods))
    doc = {
        "name": f"fuzz {seed}",
        "periods": {"start": 2026, "end": years[-1], "step": "quarter" if quarterly else "year"},
        "discount_rate": round(rng.uniform(0, 0.2), 3),
        "catalog": catalog,
        "workloads": {w: {"demand": {y: round(rng.uniform(0, 400), 1) for y in years},
                          "voll": round(rng.uniform(30, 200), 1)} for w in workloads},
    }
    owned = any(o["channel"] == "buy" for v in catalog.values() for o in v["offers"].values())
    if rng.random() < 0.5 or owned:  # a `buy` offer needs a site
        doc["sites"] = {"dc": {"power_mw": round(rng.uniform(0.05, 1.0), 3), "pue": round(rng.uniform(1, 1.6), 2),
                               "region": "us", "energy_usd_per_mwh": round(rng.uniform(0, 100), 1),
                               "facility_capex_usd_per_kw": round(rng.uniform(0, 5), 2)}}
    if rng.random() < 0.3:
        vendor_id = rng.choice(sorted(catalog))
        offer_id = rng.choice(sorted(catalog[vendor_id]["offers"]))
        entry = {"offer": f"{vendor_id}/{offer_id}", "units": round(rng.uniform(1, 80), 1)}
        if catalog[vendor_id]["offers"][offer_id]["channel"] == "buy" and "sites" in doc:
            entry["site"] = "dc"
        doc["existing"] = [entry]
    if rng.random() < 0.3:
        doc["supply"] = [{"name": "pool", "match": {"foundry": "f1"}, "cap": round(rng.uniform(5, 200), 1),
                          "measure": rng.choice(["units", "mw"])}]
        used = {v["products"][o["product"]]["tags"]["foundry"] for v in catalog.values() for o in v["offers"].values()}
        if "f1" not in used:
            del doc["supply"]
    if rng.random() < 0.4:
        doc["deals"] = [random_deal(rng, sorted(catalog), years)]
    if rng.random() < 0.15:
        doc["milp"] = {"integer": True, "lot_units": rng.choice([1, 4, 8])}
    policy = {}
    if rng.random() < 0.5 and n_vendors > 1:
        rule = {"group": rng.choice(["vendor", "provider", "foundry"]),
                "measure": rng.choice(["compute", "spend", "units", "power"])}
        members = len(_members(catalog, rule["group"]))
        if rng.random() < 0.7:  # a cap on every member: together at least 100%, or only buying nothing meets them
            rule["max"] = math.ceil(rng.uniform(max(0.3, 1 / members), 1.0) * 100) / 100
        else:  # a floor on every member: together at most 100%
            rule["min"] = math.floor(rng.uniform(0.0, 1.0) / members * 100) / 100
        policy["shares"] = [rule]
    if rng.random() < 0.5:
        policy["resilience"] = {"mode": rng.choice(["hard", "priced"]),
                                "critical_fraction": round(rng.uniform(0, 0.9), 2),
                                "failures": [{"group": "vendor", "delivered": round(rng.uniform(0, 0.5), 2),
                                              "probability": round(rng.uniform(0, 0.2), 3)}]}
    if rng.random() < 0.2:
        policy["budget_usd_per_year"] = round(rng.uniform(100, 5000), 0)
    if rng.random() < 0.3:
        policy["hhi_weight_usd_per_year"] = round(rng.uniform(0, 500), 1)
    if policy:
        doc["policy"] = policy
    return doc


def random_deal(rng: random.Random, vendors: list[str], years: list[int]) -> dict:
    """A take-or-pay minimum, financing (rate with a cap, and/or a tranche), a delivery cap."""
    deal = {"name": "deal", "counterparty": "fuzz", "covers": {"vendor": rng.choice(vendors)},
            "from": rng.choice(years), "source": "fuzz"}
    if rng.random() < 0.5:
        deal["min_spend_usd"] = round(rng.uniform(10, 3000), 1)
    if rng.random() < 0.5:
        financing = {"source": "fuzz", "measure": rng.choice(["mw", "units", "share", "spend_usd"])}
        if rng.random() < 0.6:
            financing.update(rate=round(rng.uniform(0.1, 30), 2), per=rng.choice(["mw", "unit", "usd"]),
                             cap_usd=round(rng.uniform(1, 500), 1))
        if rng.random() < 0.6:
            reach = {"mw": 0.05, "units": 40, "share": 0.3, "spend_usd": 500}[financing["measure"]]
            financing["tranches"] = [{"reach": round(reach * rng.uniform(0.2, 2), 3), "by": years[-1],
                                      "credit_usd": round(rng.uniform(1, 300), 1)}]
        deal["financing"] = financing
    if rng.random() < 0.3:
        deal["max_mw"] = round(rng.uniform(0.01, 0.5), 3)
    return deal


@dataclass
class Outcome:
    status: str
    """optimal, infeasible (diagnosed) or a failure description."""
    ok: bool
    detail: str = ""


def check_scenario(doc: dict, workdir: Path, objective: str = "multi-vendor") -> Outcome:
    """Solve a random scenario: optimal and verified, or infeasible with a diagnosis."""
    import optimizer as cpo

    path = workdir / "fuzz.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    try:
        result = cpo.solve(cpo.load(path), objective=objective)
    except cpo.InfeasibleError as exc:
        return Outcome("infeasible", bool(exc.diagnosis), "; ".join(exc.diagnosis))
    except Exception as exc:  # any other error is a finding
        return Outcome("error", False, f"{type(exc).__name__}: {exc}")
    try:
        result.verify()
    except cpo.VerificationError as exc:
        return Outcome("unverified", False, str(exc))
    return Outcome(result.status, result.status == "optimal")


# ---------------------------------------------------------------- mutations of the examples


def _paths(node, prefix=()):
    """Every (path, value) in a YAML tree."""
    yield prefix, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


def _set(doc, path, value):
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _delete(doc, path):
    node = doc
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


@dataclass
class Mutant:
    kind: str
    scenario: Path
    overrides: list[str]
    description: str
    whatifs: tuple[str, ...] = ()


def mutate(kind: str, seed: int, workdir: Path) -> Mutant:
    """Write one mutated copy of an example (and, for `vendor file`, of the catalog) to workdir."""
    rng = random.Random(seed)
    example = rng.choice(EXAMPLES)
    doc = yaml.safe_load(example.read_text())
    catalog = workdir / "vendors"
    if catalog.exists():
        shutil.rmtree(catalog)
    shutil.copytree(ROOT / "vendors", catalog)
    doc["catalog_dir"] = "vendors"
    target = workdir / "scenario.yaml"
    overrides: list[str] = []
    numbers = [(p, v) for p, v in _paths(doc) if isinstance(v, (int, float)) and not isinstance(v, bool)
               and p and p[0] != "catalog_dir"]
    mappings = [(p, v) for p, v in _paths(doc) if isinstance(v, dict)]
    description = kind
    text = None
    if kind == "wrong type":
        path, _ = rng.choice(numbers)
        _set(doc, path, rng.choice(["lots", [1, 2], {"a": 1}]))
        description = f"{_fmt(path)} set to a non-number"
    elif kind == "negative number":
        path, value = rng.choice(numbers)
        _set(doc, path, -abs(value) - 1)
        description = f"{_fmt(path)} made negative"
    elif kind == "nan or inf":
        path, _ = rng.choice(numbers)
        _set(doc, path, rng.choice([float("nan"), float("inf"), float("-inf")]))
        description = f"{_fmt(path)} set to nan/inf"
    elif kind == "unknown field":
        path, node = rng.choice(mappings)
        node["bogus_field"] = 1
        description = f"unknown key under {_fmt(path)}"
    elif kind == "deleted field":
        path, _ = rng.choice([(p, v) for p, v in _paths(doc) if p and isinstance(p[-1], str)])
        _delete(doc, path)
        description = f"{_fmt(path)} deleted"
    elif kind == "share cap above 1":
        doc.setdefault("policy", {}).setdefault("shares", []).append({"group": "vendor", "max": rng.uniform(1.01, 5)})
    elif kind == "unknown reference":
        choice = rng.randrange(4)
        if choice == 3:
            doc.setdefault("deals", []).append({"name": "ghost", "counterparty": "nobody", "from": 2026,
                                                "covers": {"vendor": "no-such-vendor"}, "source": "fuzz"})
        elif choice == 0:
            doc["vendors"] = list(doc.get("vendors") or []) + ["no-such-vendor"]
        elif choice == 1:
            doc.setdefault("existing", []).append({"offer": "nvidia/no-such-offer", "units": 5})
        else:
            doc.setdefault("supply", []).append({"name": "x", "match": {"vendor": "no-such-vendor"}, "cap": 1})
    elif kind == "period outside horizon":
        workload = rng.choice(sorted(doc["workloads"]))
        doc["workloads"][workload]["demand"] = {2099: 1000}
    elif kind == "bad --set":
        overrides = [rng.choice(["discount_rate=abc", "policy.shares[7].max=0.5", "workloads.nope.voll=1",
                                 "periods.start=soon", "no-equals-sign", "=3", "policy..x=1"])]
    elif kind == "bad what-if":
        whatif = workdir / "whatif.yaml"
        change = rng.choice([
            {"scale": "catalog.nvidia.offers.no-such-offer.upfront", "by": 0.5},
            {"set": "policy.shares[9].max", "to": 0.5},
            {"scale": "workloads.*.voll", "by": "half"},
            {"delay": "workloads", "by": 1},
            {"remove": "sites.atlantis"},
            {"add": "periods", "value": {"start": 2026}},
            {"set": "discount_rate", "to": "soon"},
            {"explode": "everything"},
        ])
        whatif.write_text(yaml.safe_dump({"description": "fuzz", "changes": [change]}))
        target.write_text(yaml.safe_dump(doc, sort_keys=False))
        return Mutant(kind, target, [], f"{example.name}: what-if {change}", (str(whatif),))
    elif kind == "vendor file":
        vendor_file = rng.choice(sorted(catalog.glob("*.yaml")))
        vendor_doc = yaml.safe_load(vendor_file.read_text())
        vendor_numbers = [(p, v) for p, v in _paths(vendor_doc) if isinstance(v, (int, float))
                          and not isinstance(v, bool)]
        path, _ = rng.choice(vendor_numbers)
        _set(vendor_doc, path, rng.choice(["lots", float("nan"), [1]]))
        vendor_file.write_text(yaml.safe_dump(vendor_doc, sort_keys=False))
        description = f"{vendor_file.name}: {_fmt(path)} broken"
    text = yaml.safe_dump(doc, sort_keys=False)
    if kind == "YAML syntax":
        text, at = _break_syntax(text, rng)
        description = f"syntax error at line {at + 1}"
    elif kind == "empty file":
        text = ""
    if kind == "binary file":
        target.write_bytes(bytes(rng.randrange(256) for _ in range(200)) + b"\x00")
    else:
        target.write_text(text)
    return Mutant(kind, target, overrides, f"{example.name}: {description}")


def _break_syntax(text: str, rng: random.Random) -> tuple[str, int]:
    """Insert a broken line where it really breaks the YAML (inside a quoted or folded string
    it would just become text)."""
    lines = text.splitlines()
    while True:
        at = rng.randrange(len(lines))
        broken = lines[:at] + [rng.choice(["key: [unclosed", "{a: 1", "\tbad: tab", "- : : ]"])] + lines[at:]
        candidate = "\n".join(broken) + "\n"
        try:
            yaml.safe_load(candidate)
        except yaml.YAMLError:
            return candidate, at


def _fmt(path) -> str:
    from optimizer.loading import format_path

    return format_path(path)


def check_mutant(mutant: Mutant) -> Outcome:
    """`cpo validate` on the mutant: never a traceback; exit 1 with every problem located
    (FILE:LINE or --set); a config that is still valid exits 0."""
    from typer.testing import CliRunner

    from optimizer.cli import app

    args = (["validate", str(mutant.scenario)] + [a for o in mutant.overrides for a in ("--set", o)]
            + [a for w in mutant.whatifs for a in ("--whatif", w)])
    result = CliRunner().invoke(app, args, env={"COLUMNS": "400"})
    output = result.output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return Outcome("crash", False, f"{type(result.exception).__name__}: {result.exception}")
    if "Traceback" in output:
        return Outcome("traceback", False, output[-500:])
    if result.exit_code == 0:
        ok = mutant.kind not in ALWAYS_INVALID
        return Outcome("accepted", ok, "" if ok else "bad input accepted")
    if result.exit_code != 1:
        return Outcome(f"exit {result.exit_code}", False, output[-500:])
    problems = [line.strip()[2:] for line in output.splitlines() if line.strip().startswith("- ")]
    located = bool(problems) and all(_located(p) for p in problems)
    return Outcome("rejected, located" if located else "rejected, unlocated", located, output[-500:])


def _located(problem: str) -> bool:
    """`FILE:LINE: ...`, `FILE: ...` (whole-file problems) or `--set: ...`."""
    head = problem.split(": ", 1)[0]
    if head == "--set":
        return True
    file_part, _, line = head.rpartition(":")
    if file_part and line.isdigit():
        return Path(file_part).suffix == ".yaml"
    return head.endswith(".yaml")


def replay(seed: int) -> dict:
    """The random scenario for a seed (handy when a fuzz failure is reported)."""
    return copy.deepcopy(random_scenario(seed))
