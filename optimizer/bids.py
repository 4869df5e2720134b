"""`cpo import`: a vendor's bid sheet (spreadsheet or CSV, one offer per row) as a what-if layer
that adds the offers to the catalog, every figure carrying the row's source.

    offer, product, channel, provider, region, upfront, recurring, term_years, lead_months,
    available_from, available_to, supply_cap, source, as_of, kind, note
    (optional: upfront_low, upfront_high, recurring_low, recurring_high)

The what-if (`add: catalog.<vendor>.offers.<offer>`, one change per row) is applied like any
other: `cpo solve CONFIG --whatif bids.yaml`, `cpo compare CONFIG bids.yaml`. A cell that is
not what its column takes is an error at its sheet, row and column; with a CONFIG to check
against, every row is validated against its catalog too (an unknown product, a window outside
the horizon), located at the row.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from .errors import ConfigError, Location, Problem

REQUIRED = ("offer", "product", "channel", "provider", "region", "upfront", "recurring", "lead_months",
            "available_from", "source")
OPTIONAL = ("term_years", "available_to", "supply_cap", "as_of", "kind", "note", "upfront_low", "upfront_high",
            "recurring_low", "recurring_high")
NUMBERS = ("upfront", "recurring", "term_years", "lead_months", "supply_cap", "upfront_low", "upfront_high",
           "recurring_low", "recurring_high")
YEARS = ("available_from", "available_to")
DEFAULT_KIND = "datasheet"
"""A bid is the vendor's own price: the kind of a figure whose row names none."""
MARK = "# Written by cpo import"


def read_sheet(path: str | Path, sheet: str | None = None) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    """(rows as (spreadsheet row number, {column: cell}), the name errors are located by:
    `FILE` for a CSV, `FILE[sheet]` for a workbook). Headers are matched case-insensitively,
    blank rows skipped."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # a file openpyxl cannot read is the user's input problem
            raise ConfigError([Problem(Location(str(path)), "", f"found a file that is not a readable workbook "
                                       f"({exc}), expected an .xlsx bid sheet")]) from None
        name = sheet or book.sheetnames[0]
        if name not in book.sheetnames:
            raise ConfigError([Problem(Location(str(path)), "--sheet", f"found {name!r}, expected one of "
                                       f"{', '.join(book.sheetnames)}")])
        cells = [list(row) for row in book[name].iter_rows(values_only=True)]
        where = f"{path}[{name}]"
    else:
        from .loading import read_text

        cells = [list(row) for row in csv.reader(io.StringIO(read_text(path, "CSV")))]
        where = str(path)
    if not cells:
        raise ConfigError([Problem(Location(where), "", "found an empty sheet, expected a header row and one offer "
                                   "per row")])
    header = [str(c).strip().lower() if c is not None else "" for c in cells[0]]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c and c not in (*REQUIRED, *OPTIONAL)]
    if missing or unknown:
        raise ConfigError([Problem(Location(where, 1), "header", f"found {', '.join(missing) + ' missing' if missing else ''}"
                                   f"{'; ' if missing and unknown else ''}"
                                   f"{'unknown column(s) ' + ', '.join(unknown) if unknown else ''}, expected the "
                                   f"columns {', '.join(REQUIRED)} (and optionally {', '.join(OPTIONAL)})")])
    rows = []
    for number, row in enumerate(cells[1:], start=2):
        values = {h: v for h, v in zip(header, row) if h and v not in (None, "")}
        if values:
            rows.append((number, values))
    return rows, where


def bid_changes(path: str | Path, vendor: str, sheet: str | None = None) -> tuple[list[tuple[dict, Location]], str]:
    """The what-if changes (each located at its row) of a bid sheet, and where it was read."""
    rows, where = read_sheet(path, sheet)
    problems: list[Problem] = []
    changes = []
    seen: dict[str, int] = {}
    for number, row in rows:
        at = Location(where, number)
        offer = _offer(row, at, problems)
        if offer is None:
            continue
        key = str(row["offer"]).strip()
        if key in seen:
            problems.append(Problem(at, "offer", f"found {key!r} again (first at row {seen[key]}), expected each "
                                    "offer once"))
            continue
        seen[key] = number
        changes.append(({"add": f"catalog.{vendor}.offers.{key}", "value": offer}, at))
    if problems:
        raise ConfigError(problems)
    return changes, where


def _offer(row: dict[str, Any], at: Location, problems: list[Problem]) -> dict[str, Any] | None:
    """One row as a catalog offer; None (problems added) if a cell is not what its column takes."""
    before = len(problems)
    for column in REQUIRED:
        if column not in row:
            problems.append(Problem(at, column, "found an empty cell, expected a value"))
    numbers: dict[str, float] = {}
    for column in NUMBERS:
        if column in row:
            try:
                numbers[column] = float(row[column])
            except (TypeError, ValueError):
                problems.append(Problem(at, column, f"found {row[column]!r}, expected a number"))
    years: dict[str, int] = {}
    for column in YEARS:
        if column in row:
            try:
                years[column] = int(float(row[column]))
            except (TypeError, ValueError):
                problems.append(Problem(at, column, f"found {row[column]!r}, expected a year like 2027"))
    if len(problems) > before:
        return None
    source = str(row["source"]).strip()
    provenance = {"source": source, "kind": str(row.get("kind", DEFAULT_KIND)).strip()}
    if "as_of" in row:
        provenance["as_of"] = str(row["as_of"]).strip()[:10]

    def figure(name: str) -> dict[str, Any]:
        ranged = {end: numbers[f"{name}_{end}"] for end in ("low", "high") if f"{name}_{end}" in numbers}
        return {"value": numbers[name], **ranged, **provenance}

    offer: dict[str, Any] = {column: str(row[column]).strip() for column in ("product", "channel", "provider", "region")}
    offer.update(upfront=figure("upfront"), recurring=figure("recurring"),
                 lead_months={"value": numbers["lead_months"], **provenance})
    if "term_years" in numbers:
        offer["term_years"] = {"value": numbers["term_years"], **provenance}
    if "supply_cap" in numbers:
        offer["supply_cap"] = {"value": numbers["supply_cap"], **provenance}
    offer["available"] = {"from": years["available_from"], **({"to": years["available_to"]} if "available_to" in years
                                                                 else {})}
    if "note" in row:
        offer["note"] = str(row["note"])
    return offer


def whatif_text(changes: list[tuple[dict, Location]], where: str, vendor: str) -> str:
    """The what-if file: cpo's mark, a description, the changes (YAML)."""
    import yaml

    document = {"description": f"{len(changes)} offer(s) from {vendor}'s bid sheet {Path(where).name}",
                "changes": [change for change, _ in changes]}
    return f"{MARK} from {where}\n" + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)


def import_bids(path: str | Path, vendor: str, out: str | Path, sheet: str | None = None,
                check: str | Path | None = None) -> int:
    """Read the bid sheet, check it (and, with `check`, a scenario with it applied), write the
    what-if to `out` atomically, only over a file cpo wrote; return the number of offers."""
    from .outputs import staged_file

    changes, where = bid_changes(path, vendor, sheet)
    if check is not None:
        from .api import load

        load(check, changes=changes)
    text = whatif_text(changes, where, vendor)
    with staged_file(Path(out), _is_cpo_whatif, "a new path or a what-if cpo import wrote (first line: "
                     f"{MARK})") as staging:
        staging.write_text(text)
    return len(changes)


def _is_cpo_whatif(path: Path) -> bool:
    with open(path, "rb") as stream:
        return stream.readline(200).startswith(MARK.encode())
