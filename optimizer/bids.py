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
import datetime
import io
import math
import re
from pathlib import Path
from typing import Any

from .errors import ConfigError, Location, Problem, UsageError

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
ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,79}")
"""An offer or vendor id a what-if path can name (a catalog id without '.', which splits paths)."""


def read_sheet(path: str | Path, sheet: str | None = None) -> tuple[list[tuple[int, dict[str, Any]]], str]:
    """(rows as (spreadsheet row number, {column: cell}), the name errors are located by:
    `FILE` for a CSV, `FILE[sheet]` for a workbook). Headers are matched case-insensitively,
    blank rows skipped."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        cells, where = _workbook_cells(path, sheet)
    else:
        from .loading import read_text

        text = read_text(path, "CSV").removeprefix("\ufeff")  # Excel's "CSV UTF-8" starts with a BOM
        first = text.partition("\n")[0]
        delimiter = max(",;\t", key=first.count)  # Excel in many locales separates with ';'
        cells = [list(row) for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
        where = str(path)
    cells = [[c.strip() if isinstance(c, str) and not isinstance(c, Formula) else c for c in row] for row in cells]
    filled = [i for i, row in enumerate(cells) if any(c not in (None, "") for c in row)]
    if not filled:
        raise ConfigError([Problem(Location(where), "", "found an empty sheet, expected a header row and one offer "
                                   "per row")])
    # the header: the first row naming an `offer` column (a title row above it is skipped)
    top = next((i for i in filled if "offer" in [str(c).lower() for c in cells[i]]), filled[0])
    header = [str(c).lower() if c is not None else "" for c in cells[top]]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c and c not in (*REQUIRED, *OPTIONAL)]
    twice = sorted({c for c in header if c and header.count(c) > 1})
    if twice:
        raise ConfigError([Problem(Location(where, top + 1), "header", f"found the column(s) {', '.join(twice)} "
                                   "more than once, expected each column once")])
    if missing or unknown:
        raise ConfigError([Problem(Location(where, top + 1), "header", f"found "
                                   f"{', '.join(missing) + ' missing' if missing else ''}"
                                   f"{'; ' if missing and unknown else ''}"
                                   f"{'unknown column(s) ' + ', '.join(unknown) if unknown else ''}, expected the "
                                   f"columns {', '.join(REQUIRED)} (and optionally {', '.join(OPTIONAL)})")])
    rows = []
    for number, row in enumerate(cells[top + 1:], start=top + 2):
        values = {h: v for h, v in zip(header, row) if h and v not in (None, "")}
        if values:
            rows.append((number, values))
    return rows, where


class Formula(str):
    """A formula cell whose value the workbook does not hold (saved by a program that does not
    compute formulas): what the cell says, so the error can name it."""


def _workbook_cells(path: Path, sheet: str | None) -> tuple[list[list[Any]], str]:
    """The cells of the workbook's sheet (a formula without a saved value as a Formula), and
    `FILE[sheet]`."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        formulas = load_workbook(path, read_only=True)
    except Exception as exc:  # a file openpyxl cannot read is the user's input problem
        raise ConfigError([Problem(Location(str(path)), "", f"found a file that is not a readable workbook "
                                   f"({exc}), expected an .xlsx bid sheet")]) from None
    name = sheet or book.sheetnames[0]
    if name not in book.sheetnames:
        raise ConfigError([Problem(Location(str(path)), "--sheet", f"found {name!r}, expected one of "
                                   f"{', '.join(book.sheetnames)}")])
    cells = []
    for values, written in zip(book[name].iter_rows(values_only=True), formulas[name].iter_rows(values_only=True)):
        cells.append([Formula(f) if v is None and isinstance(f, str) and f.startswith("=") else v
                      for v, f in zip(values, written)])
    return cells, f"{path}[{name}]"


def bid_changes(path: str | Path, vendor: str, sheet: str | None = None) -> tuple[list[tuple[dict, Location]], str]:
    """The what-if changes (each located at its row) of a bid sheet, and where it was read."""
    if not ID.fullmatch(vendor):
        raise UsageError(f"--vendor: found {vendor!r}, expected a catalog vendor id (lowercase letters, digits, "
                         "'_', '-'), e.g. nvidia")
    rows, where = read_sheet(path, sheet)
    problems: list[Problem] = []
    changes = []
    seen: dict[str, int] = {}
    for number, row in rows:
        at = Location(where, number)
        offer = _offer(row, at, problems)
        if offer is None:
            continue
        key = str(row["offer"])
        if not ID.fullmatch(key):
            problems.append(Problem(at, "offer", f"found {key!r}, expected an id of lowercase letters, digits, '_', "
                                    "'-' starting with a letter or digit (it names the offer in what-if paths)"))
            continue
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
            number = _number(row[column])
            if number is None or not math.isfinite(number):
                problems.append(Problem(at, column, f"found {_shown(row[column])}, expected a number"))
            else:
                numbers[column] = number
    years: dict[str, int] = {}
    for column in YEARS:
        if column in row:
            number = _number(row[column])
            if number is None or not number.is_integer():
                problems.append(Problem(at, column, f"found {_shown(row[column])}, expected a year like 2027"))
            else:
                years[column] = int(number)
    if len(problems) > before:
        return None
    source = str(row["source"]).strip()
    provenance = {"source": source, "kind": str(row.get("kind", DEFAULT_KIND)).strip()}
    if "as_of" in row:
        provenance["as_of"] = str(row["as_of"]).strip()[:10]

    def figure(name: str) -> dict[str, Any]:
        ranged = {end: numbers[f"{name}_{end}"] for end in ("low", "high") if f"{name}_{end}" in numbers}
        return {"value": numbers[name], **ranged, **provenance}

    offer: dict[str, Any] = {column: str(row[column]) for column in ("product", "channel", "provider", "region")}
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


def _number(cell: Any) -> float | None:
    """The cell as a number (a number, or text of one), else None (a date, a flag, a formula)."""
    if isinstance(cell, bool) or isinstance(cell, Formula) or not isinstance(cell, (int, float, str)):
        return None
    try:
        return float(cell)
    except ValueError:
        return None


def _shown(cell: Any) -> str:
    """A cell as an error shows it."""
    if isinstance(cell, Formula):
        return (f"the formula {str(cell)!r} with no saved value (save the workbook in Excel or LibreOffice, "
                "or paste values)")
    if isinstance(cell, (datetime.date, datetime.time)):
        return f"the date {cell.isoformat()}"
    return repr(cell)


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
