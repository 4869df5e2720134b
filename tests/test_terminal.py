"""Tables at an 80-column terminal (issue #16): no number is ever split across lines.

Every table-printing command runs twice, at 80 columns and at 400; every money, percentage and
unit-suffixed figure printed at 80 columns must be one the wide run prints whole (a split
`$1.08` / `T` leaves the fragment `$1.08`, which the wide run never prints). Names may be cut
with an ellipsis; a table that cannot fit runs past 80 columns rather than split a number.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer import cli
from optimizer.cli import app

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
OPENAI = str(EXAMPLES / "openai.yaml")
FIGURE = re.compile(r"(?:-?\$[\d,]+(?:\.\d+)?[kMBT]?|-?[\d,]+(?:\.\d+)?%|\b\d[\d,]*(?:\.\d+)?[kMBT]?\b)(?!…)")
"""Money, percentages, counts (1.2k) and plain numbers; not the digits of a name cut with an ellipsis."""


def output(args: list[str], width: int, monkeypatch) -> str:
    monkeypatch.setattr(cli.out_console, "width", width)
    run = CliRunner().invoke(app, args)
    assert run.exit_code in (0, 5), run.output
    return run.stdout


COMMANDS = {
    "solve": ["solve", OPENAI, "--prices"],
    "compare": ["compare", OPENAI, str(EXAMPLES / "whatif" / "amd-mi450-slip.yaml"),
                str(EXAMPLES / "whatif" / "hbm-shortage.yaml"), "--commit-until", "2026", "--jobs", "1"],
    "frontier": ["frontier", OPENAI, "--points", "8"],
    "leverage": ["leverage", OPENAI],
    "alternatives": ["alternatives", OPENAI, "--slack", "0.01", "--plans", "2"],
    "stochastic": ["solve", OPENAI, "--scenarios", str(EXAMPLES / "scenarios" / "openai-risks.yaml")],
    "sources": ["sources"],
    "vendors": ["vendors", "--vendor", "amd"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_no_number_is_split_at_80_columns(command, monkeypatch):
    narrow = output(COMMANDS[command], 80, monkeypatch)
    wide = output(COMMANDS[command], 400, monkeypatch)
    whole = set(FIGURE.findall(wide))
    split = sorted(set(FIGURE.findall(narrow)) - whole)
    assert not split, f"figures split at 80 columns: {split[:10]}"
    assert FIGURE.findall(narrow), "the command printed no figure at all"


def test_names_are_cut_with_an_ellipsis_and_text_columns_keep_a_readable_width(monkeypatch):
    narrow = output(COMMANDS["solve"], 80, monkeypatch)
    rows = [line for line in narrow.splitlines() if line.startswith("│ amd/mi450-own@stargat")]
    assert rows and all("…" in row for row in rows)
    assert all(len(line) <= 80 for line in narrow.splitlines() if line.startswith(("┃ offer", "│ amd/")))


def test_tables_print_as_markdown_or_csv_for_pasting(monkeypatch):
    import csv
    import io

    markdown = output(["solve", OPENAI, "--format", "markdown"], 80, monkeypatch)
    assert "| component | $ |\n|---|---:|\n| upfront |" in markdown
    assert "| procurement cost | $785.59B |" in markdown
    text = output(["compare", OPENAI, str(EXAMPLES / "whatif" / "amd-mi450-slip.yaml"), "--format", "csv",
                   "--jobs", "1"], 80, monkeypatch)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("scenario,"))
    rows = list(csv.reader(io.StringIO("\n".join(lines[start:start + 3]))))
    assert rows[0][:2] == ["scenario", "total cost"] and rows[1][:2] == ["base", "$785.59B"]
    assert len({len(row) for row in rows}) == 1  # whole rows, however wide
