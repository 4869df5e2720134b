"""The vendor catalog as rows of (vendor, item, field, value, source), for `cpo vendors`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import ConfigError, Problem
from .loading import DEFAULT_CATALOG_DIR, format_path, read_catalog_dir
from .schema import Sourced, SourcedSeries, Throughput, Vendor


def load_catalog(directory: Path | None = None) -> dict[str, Vendor]:
    """Every vendor file in `directory`, validated (errors located in their files)."""
    from pydantic import ValidationError

    from .loading import _problem_from_error

    trees = read_catalog_dir(Path(directory) if directory else DEFAULT_CATALOG_DIR)
    vendors, problems = {}, []
    for vendor_id, tree in trees.items():
        try:
            vendors[vendor_id] = Vendor.model_validate(tree.data)
        except ValidationError as exc:
            for error in exc.errors():
                problem = _problem_from_error(error, tree, Vendor)
                problems.append(Problem(problem.location, format_path(tuple(error["loc"])), problem.message))
    if problems:
        raise ConfigError(problems)
    return vendors


def catalog_rows(directory: Path | None = None, only_vendor: str | None = None,
                 only_assumptions: bool = False) -> list[dict[str, Any]]:
    vendors = load_catalog(directory)
    if only_vendor is not None and only_vendor not in vendors:
        raise ConfigError([Problem(None, "--vendor", f"found {only_vendor!r}, expected one of: "
                                   f"{', '.join(sorted(vendors))}")])
    rows = []
    for vendor_id, vendor in sorted(vendors.items()):
        if only_vendor and vendor_id != only_vendor:
            continue

        def add(item: str, field: str, figure: Any) -> None:
            source = vendor.sources.get(figure.source, figure.source)
            if figure.source in vendor.sources:
                source = f"{figure.source}: {source}"
            value = figure.efficiency if isinstance(figure, Throughput) and figure.basis else figure.value
            if isinstance(figure, Throughput) and figure.basis:
                field = f"{field}.efficiency (x {figure.basis} ratio)"
            rows.append({"vendor": vendor_id, "item": item, "field": field,
                         "value": value, "source": source,
                         "assumption": figure.source.strip().lower().startswith("assumption")})

        if vendor.supply_cap is not None:
            add("vendor", "supply_cap", vendor.supply_cap)
        for product_id, product in vendor.products.items():
            item = f"product {product_id}"
            for spec, figure in product.specs.items():
                add(item, f"specs.{spec}", figure)
            add(item, "kw_per_unit", product.kw_per_unit)
            for profile, figure in product.throughput.items():
                add(item, f"throughput.{profile}", figure)
        for offer_id, offer in vendor.offers.items():
            item = f"offer {offer_id} ({offer.channel}, {offer.provider})"
            for field in ("upfront", "recurring", "term_years", "lead_months", "supply_cap"):
                figure = getattr(offer, field)
                if isinstance(figure, (Sourced, SourcedSeries)):
                    add(item, field, figure)
    if only_assumptions:
        rows = [r for r in rows if r["assumption"]]
    return rows
