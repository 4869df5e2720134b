"""The vendor catalog as figures: the rows `cpo vendors` prints, the sourcing table of `cpo
sources`, the problems and warnings `cpo validate` reports, and the walk every one of them (and
`cpo sensitivity`) shares.

A figure is any sourced number of a vendor file (schema.Provenance: `Sourced`, `SourcedAmount`,
`SourcedPositive`, `SourcedSeries`, `Throughput`), found wherever it sits, so a figure a new
schema field adds is walked without a change here.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any, Iterator

from pydantic import BaseModel

from .errors import ConfigError, Problem
from .loading import DEFAULT_CATALOG_DIR, PathKey, Tree, format_path, read_catalog_dir
from .schema import Provenance, Throughput, Vendor, names_ai_wiki, range_problem

PRICE_FIELDS = ("upfront", "recurring")
"""The offer figures `cpo validate` checks for age and for resting only on an aggregator."""
STALE_MONTHS = 12
"""A price older than this many months before the scenario's first period (or today, if that is
earlier) draws a warning."""
STATUSES = ("dated", "ranged assumption", "neither")
"""How a figure is grounded: dated (as_of and a kind other than assumption), an assumption
carrying a low-high range, or neither (to fix)."""


# ---------------------------------------------------------------- reading and walking


def read_vendors(directory: Path | None = None) -> dict[str, tuple[Vendor, Tree]]:
    """Every vendor file in `directory` (default: the repo's vendors/), validated, with its
    located tree; every problem at once, located in its file (a `sources:` entry citing an
    AI-maintained wiki and a value outside its range included)."""
    from pydantic import ValidationError

    from .loading import _problem_from_error

    trees = read_catalog_dir(Path(directory) if directory else DEFAULT_CATALOG_DIR)
    vendors, problems = {}, []
    for vendor_id, tree in trees.items():
        try:
            vendor = Vendor.model_validate(tree.data)
        except ValidationError as exc:
            for error in exc.errors():
                problem = _problem_from_error(error, tree, Vendor)
                problems.append(Problem(problem.location, format_path(tuple(error["loc"])), problem.message))
            continue
        problems += source_problems(vendor, tree) + range_problems(vendor, tree)
        vendors[vendor_id] = (vendor, tree)
    if problems:
        raise ConfigError(problems)
    return vendors


def load_catalog(directory: Path | None = None) -> dict[str, Vendor]:
    """Every vendor file in `directory`, validated (errors located in their files)."""
    return {vendor_id: vendor for vendor_id, (vendor, _) in read_vendors(directory).items()}


def figures(node: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, Provenance]]:
    """(path inside `node`, figure) for every sourced figure in a vendor (or any part of one),
    in the schema's field order (products, then offers)."""
    if isinstance(node, Provenance):
        yield path, node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from figures(getattr(node, name), path + (name,))
    elif isinstance(node, dict):
        for key, item in node.items():
            yield from figures(item, path + (key,))


def source_problems(vendor: Vendor, tree: Tree, prefix: PathKey = ()) -> list[Problem]:
    """A problem for each entry of the vendor's `sources:` that cites an AI-maintained wiki
    (figures citing one in place are refused by the schema), located in `tree` at `prefix`."""
    problems = []
    for key, citation in vendor.sources.items():
        wiki = names_ai_wiki(citation)
        if wiki is not None:
            path = prefix + ("sources", key)
            problems.append(Problem(tree.locate(path), format_path(path),
                                    f"found a citation of {wiki}, an AI-maintained wiki, expected a primary "
                                    "source or a human-edited publication"))
    return problems


def range_problems(vendor: Vendor, tree: Tree, prefix: PathKey = (),
                   changed: frozenset[str] = frozenset()) -> list[Problem]:
    """A problem for each figure whose value (efficiency, for a throughput given by basis) lies
    outside its low-high range, located in `tree` at `prefix`; figures whose formatted path is in
    `changed` (moved by a what-if or --set, which may take a value anywhere) are left out."""
    problems = []
    for path, figure in figures(vendor):
        field = figure.ranged_field()
        where = prefix + path
        if getattr(figure, "low", None) is None or _touched(format_path(where), changed):
            continue
        problem = range_problem(figure.low, getattr(figure, field), figure.high, field)
        if problem:
            problems.append(Problem(tree.locate(where + (field,)), format_path(where), problem))
    return problems


def _touched(path: str, changed: frozenset[str]) -> bool:
    """Whether a change wrote `path` or a field inside it."""
    return any(c == path or c.startswith(path + ".") for c in changed)


def status(figure: Provenance) -> str:
    """One of STATUSES."""
    if figure.is_assumption:
        return "ranged assumption" if getattr(figure, "low", None) is not None else "neither"
    return "dated" if figure.as_of and figure.kind else "neither"


# ---------------------------------------------------------------- cpo vendors


def describe(vendor: Vendor, path: PathKey) -> tuple[str, str]:
    """(item, field) naming a figure for people: ('product h100', 'specs.fp8_dense_tflops'),
    ('offer h100-aws (on_demand, aws)', 'recurring'), ('vendor', 'supply_cap')."""
    if path[0] == "products":
        return f"product {path[1]}", format_path(path[2:])
    if path[0] == "offers":
        offer = vendor.offers[path[1]]
        return f"offer {path[1]} ({offer.channel}, {offer.provider})", format_path(path[2:])
    return "vendor", format_path(path)


def catalog_rows(directory: Path | None = None, only_vendor: str | None = None,
                 only_assumptions: bool = False) -> list[dict[str, Any]]:
    """One row per figure: vendor, item, field, value (the efficiency for a throughput given by
    basis), low, high, as_of, kind, source (a key of `sources:` followed by its citation),
    assumption (an assumption or derived from one) and status (one of STATUSES)."""
    vendors = load_catalog(directory)
    if only_vendor is not None and only_vendor not in vendors:
        raise ConfigError([Problem(None, "--vendor", f"found {only_vendor!r}, expected one of: "
                                   f"{', '.join(sorted(vendors))}")])
    rows = figure_rows({k: v for k, v in vendors.items() if not only_vendor or k == only_vendor})
    if only_assumptions:
        rows = [r for r in rows if r["assumption"]]
    return rows


def figure_rows(vendors: dict[str, Vendor]) -> list[dict[str, Any]]:
    """catalog_rows' rows for these vendors (a directory's, or a scenario's catalog after its
    what-ifs)."""
    rows = []
    for vendor_id, vendor in sorted(vendors.items()):
        for path, figure in figures(vendor):
            item, field = describe(vendor, path)
            if isinstance(figure, Throughput) and figure.basis:
                field = f"{field}.efficiency (x {figure.basis} ratio)"
            source = figure.source
            if source in vendor.sources:
                source = f"{source}: {vendor.sources[source]}"
            rows.append({"vendor": vendor_id, "item": item, "field": field,
                         "value": getattr(figure, figure.ranged_field()), "low": getattr(figure, "low", None),
                         "high": getattr(figure, "high", None), "as_of": figure.as_of, "kind": figure.kind,
                         "source": source, "assumption": figure.is_assumption, "status": status(figure)})
    return rows


# ---------------------------------------------------------------- cpo sources


def sourcing_rows(directory: Path | None = None) -> list[dict[str, Any]]:
    """Per vendor file: how many figures are dated, ranged assumptions, or neither; a last row
    `total`."""
    rows = []
    for vendor_id, (vendor, tree) in sorted(read_vendors(directory).items()):
        location = tree.locate(("name",))
        counts = {name: 0 for name in STATUSES}
        for _, figure in figures(vendor):
            counts[status(figure)] += 1
        rows.append({"file": Path(location.file).name if location else vendor_id, "vendor": vendor_id,
                     "figures": sum(counts.values()), **counts})
    total = {"file": "total", "vendor": "", **{k: sum(r[k] for r in rows) for k in ("figures", *STATUSES)}}
    return rows + [total]


def ungrounded(directory: Path | None = None) -> list[str]:
    """`vendor item field` of every figure that is neither dated nor a ranged assumption."""
    return [f"{r['vendor']} {r['item']} {r['field']}" for r in catalog_rows(directory) if r["status"] == "neither"]


# ---------------------------------------------------------------- cpo validate


def scenario_problems(scenario) -> list[Problem]:
    """Located errors in the scenario's catalog that the schema cannot see: a `sources:` entry
    citing an AI-maintained wiki, a value outside its range (unless a what-if or --set moved it)."""
    changed = frozenset(change.path for change in scenario.changes)
    problems = []
    for vendor_id, vendor in scenario.config.catalog.items():
        prefix = ("catalog", vendor_id)
        problems += source_problems(vendor, scenario.tree, prefix)
        problems += range_problems(vendor, scenario.tree, prefix, changed)
    return problems


def price_warnings(scenario, today: datetime.date) -> list[Problem]:
    """A located warning for each price (upfront, recurring) of an offer the scenario can use
    that is older than STALE_MONTHS before the scenario's first period (or `today`, if earlier),
    or rests only on an aggregator. A price of zero (nothing up front) is a term of the offer,
    not a price that ages: it draws none."""
    offers = {o.catalog_key for o in scenario.data.offers}
    start = datetime.date(scenario.config.periods.start, 1, 1)
    reference = min(start, today)
    cutoff = _months_before(reference, STALE_MONTHS)
    warnings = []
    for vendor_id in scenario.data.vendors:
        for offer_id, offer in scenario.config.catalog[vendor_id].offers.items():
            if f"{vendor_id}/{offer_id}" not in offers:
                continue
            for field in PRICE_FIELDS:
                figure = getattr(offer, field)
                if not any(_values(figure.value)):
                    continue
                path = ("catalog", vendor_id, "offers", offer_id, field)
                where = scenario.tree.locate(path)
                if figure.as_of and _date(figure.as_of) < cutoff:
                    anchor = "the scenario's first period" if reference == start else "today"
                    warnings.append(Problem(where, format_path(path),
                                            f"price as of {figure.as_of}, more than {STALE_MONTHS} months before "
                                            f"{reference:%Y-%m} ({anchor}), expected one from {cutoff:%Y-%m} or later"))
                if figure.kind == "aggregator":
                    warnings.append(Problem(where, format_path(path),
                                            "price rests only on an aggregator (kind aggregator), expected it "
                                            "confirmed by the provider's price list or a filing"))
    return warnings


def _values(value: Any) -> list[float]:
    """A number or a {period: number} series' numbers."""
    return list(value.values()) if isinstance(value, dict) else [value]


def _date(as_of: str) -> datetime.date:
    """'2026-05' -> 2026-05-01; '2026-05-08' -> 2026-05-08."""
    parts = [int(p) for p in as_of.split("-")]
    return datetime.date(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)


def _months_before(day: datetime.date, months: int) -> datetime.date:
    """The first of the month `months` before `day`'s month."""
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)
