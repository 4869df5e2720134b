"""`cpo import` (issue #16, spreadsheets in): a bid sheet becomes a what-if adding its offers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import optimizer as cpo
from optimizer.bids import bid_changes, import_bids
from optimizer.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HEADER = "offer,product,channel,provider,region,upfront,recurring,term_years,lead_months,available_from,source\n"


def test_the_example_workbook_and_csv_give_the_same_offers_and_the_plan_can_use_them(tmp_path):
    """Both example sheets import to the same changes; applied to the OpenAI example, the offers
    are in the catalog with the row's source, and more offers never make the least cost higher."""
    from_xlsx, _ = bid_changes(EXAMPLES / "bids.xlsx", "nvidia")
    from_csv, _ = bid_changes(EXAMPLES / "bids.csv", "nvidia")
    assert [c for c, _ in from_xlsx] == [c for c, _ in from_csv] and len(from_csv) == 2
    out = tmp_path / "bids.yaml"
    assert import_bids(EXAMPLES / "bids.xlsx", "nvidia", out, check=EXAMPLES / "openai.yaml") == 2
    first = yaml.safe_load(out.read_text())["changes"][0]
    assert first["add"] == "catalog.nvidia.offers.gb300-lambda-bid"
    assert first["value"]["recurring"] == {"value": 31500.0, "low": 28000.0, "high": 36000.0, "kind": "datasheet",
                                           "as_of": "2026-11", "source": first["value"]["recurring"]["source"]}
    assert "Lambda's quote" in first["value"]["recurring"]["source"]
    base = cpo.load(EXAMPLES / "openai.yaml")
    with_bids = cpo.load(EXAMPLES / "openai.yaml", whatifs=[out])
    assert {"nvidia/gb300-lambda-bid", "nvidia/rubin-lambda-bid"} <= {o.key for o in with_bids.data.offers}
    cheapest = cpo.solve(base, objective="cost").minimised_usd
    assert cpo.solve(with_bids, objective="cost").minimised_usd <= cheapest * (1 + 1e-9)


@pytest.mark.parametrize("rows, expected", [
    ("a,h100,reserved,lambda,us,0,abc,1,3,2026,quote\n", "bids.csv:2: recurring: found 'abc', expected a number"),
    ("a,h100,reserved,lambda,us,0,100,1,3,soon,quote\n", "bids.csv:2: available_from: found 'soon', expected a year"),
    ("a,h100,reserved,lambda,us,0,100,1,3,2026,\n", "bids.csv:2: source: found an empty cell, expected a value"),
    ("a,h100,reserved,lambda,us,0,100,1,3,2026,q\na,h100,reserved,lambda,us,0,90,1,3,2026,q\n",
     "bids.csv:3: offer: found 'a' again (first at row 2)"),
])
def test_a_bad_cell_is_an_error_at_its_row_and_column(tmp_path, rows, expected):
    sheet = tmp_path / "bids.csv"
    sheet.write_text(HEADER + rows)
    with pytest.raises(cpo.ConfigError) as caught:
        bid_changes(sheet, "nvidia")
    assert any(str(p).endswith(expected) or expected in str(p) for p in caught.value.problems), caught.value.problems


def test_a_missing_column_and_a_catalog_problem_are_located(tmp_path):
    sheet = tmp_path / "bids.csv"
    sheet.write_text("offer,product\na,h100\n")
    with pytest.raises(cpo.ConfigError, match=r"bids.csv:1: header: found channel, provider"):
        bid_changes(sheet, "nvidia")
    sheet.write_text(HEADER.replace("term_years,", "") + "a,h100,reserved,lambda,us,0,100,3,2026,quote\n")
    with pytest.raises(cpo.ConfigError, match=r"bids.csv:2: catalog.nvidia.offers.a: a reserved offer needs term_years"):
        import_bids(sheet, "nvidia", tmp_path / "w.yaml", check=EXAMPLES / "openai.yaml")
    assert not (tmp_path / "w.yaml").exists()


def test_the_command_never_overwrites_a_file_it_did_not_write(tmp_path):
    mine = tmp_path / "notes.yaml"
    mine.write_text("my notes\n")
    run = CliRunner().invoke(app, ["import", str(EXAMPLES / "bids.csv"), "--vendor", "nvidia", "--out", str(mine)])
    assert run.exit_code == 1 and mine.read_text() == "my notes\n"
    out = tmp_path / "bids.yaml"
    for _ in range(2):  # its own file it may replace
        run = CliRunner().invoke(app, ["import", str(EXAMPLES / "bids.csv"), "--vendor", "nvidia", "--out", str(out)])
        assert run.exit_code == 0, run.output


def _workbook(path, rows, edit=None):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "offers"
    for row in rows:
        book.active.append(row)
    if edit:
        edit(book.active)
    book.save(path)
    return path


ROW = ["a", "h100", "reserved", "lambda", "us", 0, 100, 1, 3, 2026, "quote"]


def test_excel_csv_dialects_a_bom_and_semicolons_read_like_the_plain_csv(tmp_path):
    """Excel's "CSV UTF-8" starts with a BOM, and in many locales it separates with ';'."""
    plain = tmp_path / "plain.csv"
    plain.write_text(HEADER + "a,h100,reserved,lambda,us,0,100,1,3,2026,quote\n")
    bom = tmp_path / "bom.csv"
    bom.write_text(plain.read_text(), encoding="utf-8-sig")
    semi = tmp_path / "semi.csv"
    semi.write_text(plain.read_text().replace(",", ";"))
    expected = [c for c, _ in bid_changes(plain, "nvidia")[0]]
    assert [c for c, _ in bid_changes(bom, "nvidia")[0]] == expected
    assert [c for c, _ in bid_changes(semi, "nvidia")[0]] == expected


def test_a_title_row_blank_rows_and_blank_looking_cells_are_skipped(tmp_path):
    header = HEADER.strip().split(",")
    rows = [["Lambda bids, Q4"], [], header, ROW, ["  ", " "], [], ["b", *ROW[1:]]]
    sheet = _workbook(tmp_path / "b.xlsx", rows, lambda ws: ws.merge_cells("A1:E1"))
    changes, where = bid_changes(sheet, "nvidia")
    assert [c["add"] for c, _ in changes] == ["catalog.nvidia.offers.a", "catalog.nvidia.offers.b"]
    assert [at.line for _, at in changes] == [4, 7]


@pytest.mark.parametrize("column, cell, expected", [
    (6, "=90+10", "recurring: found the formula '=90+10' with no saved value"),
    (9, __import__("datetime").datetime(2026, 1, 1), "available_from: found the date 2026-01-01"),
    (9, 2026.5, "available_from: found 2026.5, expected a year like 2027"),
    (8, True, "lead_months: found True, expected a number"),
    (8, "nan", "lead_months: found 'nan', expected a number"),
    (0, "gb300.v2", "offer: found 'gb300.v2', expected an id"),
    (0, "gb300-λ", "offer: found 'gb300-λ', expected an id"),
])
def test_a_cell_excel_holds_but_the_column_does_not_take_is_located(tmp_path, column, cell, expected):
    """A formula never computed (openpyxl and other writers save none), a date, a fraction of a
    year, a checkbox, NaN, an id a what-if path cannot name: errors at the row, never a guess."""
    row = list(ROW)
    row[column] = cell
    sheet = _workbook(tmp_path / "b.xlsx", [HEADER.strip().split(","), row])
    with pytest.raises(cpo.ConfigError) as caught:
        bid_changes(sheet, "nvidia")
    assert len(caught.value.problems) == 1
    assert str(caught.value.problems[0]).startswith(f"{sheet}[offers]:2: {expected}"), caught.value.problems


def test_a_repeated_column_and_a_bad_vendor_are_refused(tmp_path):
    sheet = tmp_path / "bids.csv"
    sheet.write_text(HEADER.strip() + ",source\n" + "a,h100,reserved,lambda,us,0,100,1,3,2026,q,r\n")
    with pytest.raises(cpo.ConfigError, match=r"bids.csv:1: header: found the column\(s\) source more than once"):
        bid_changes(sheet, "nvidia")
    result = CliRunner().invoke(app, ["import", str(EXAMPLES / "bids.csv"), "--vendor", "NV.x",
                                      "--out", str(tmp_path / "w.yaml")])
    assert result.exit_code == 2 and "--vendor: found 'NV.x'" in result.output
    assert not (tmp_path / "w.yaml").exists()
