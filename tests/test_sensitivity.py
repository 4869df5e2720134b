"""`cpo sensitivity`: each ranged figure re-solved at its low and its high end, ranked by how far
it moves the procurement cost and the vendor mix; checked by hand on a small scenario."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from conftest import scenario_doc, two_vendors
from optimizer.cli import app
from optimizer.sensitivity import ranged_figures, sensitivity_document


def ranged_doc() -> dict:
    """Architecture.md's example with ranges: cheap $2 (range 1-4, cap 60, range 50-80) and dear
    $3 (range 2.5-3.5) for 100 H100e; dear's throughput is a basis ratio (1000/1000 TFLOPS x
    efficiency 1.0, range 0.8-1.25); a spec no throughput reads has a range too. Base cost
    60 x 2 + 40 x 3 = 240."""
    catalog = two_vendors(cheap_cap=60)
    cheap, dear = catalog["cheap"], catalog["dear"]
    cheap["products"]["c1"]["specs"] = {"tflops": {"value": 1000, "source": "test", "kind": "datasheet",
                                                   "as_of": "2025-01"},
                                        "tdp_w": {"value": 700, "low": 500, "high": 900, "source": "assumption: test"}}
    dear["products"]["d1"]["specs"] = {"tflops": {"value": 1000, "source": "test", "kind": "datasheet",
                                                  "as_of": "2025-01"}}
    dear["products"]["d1"]["throughput"] = {"training": {"basis": "tflops", "efficiency": 1.0, "low": 0.8,
                                                         "high": 1.25, "source": "assumption: test"}}
    cheap["offers"]["rent"]["recurring"].update(low=1.0, high=4.0)
    cheap["offers"]["rent"]["supply_cap"].update(low=50, high=80)
    dear["offers"]["rent"]["recurring"].update(low=2.5, high=3.5)
    return scenario_doc(catalog, objective="cost")


# By hand, each figure alone at low | high (procurement cost; cheap's share of served compute):
#   cheap recurring 1 | 4:   60x1 + 40x3 = 180 (60%)  | all dear 100 x 3 = 300 (0%)   swing 120
#   dear efficiency 0.8 | 1.25: 120 + 50 units x 3 = 270 | 120 + 32 x 3 = 216          swing 54
#   dear recurring 2.5 | 3.5: 120 + 100 = 220          | 120 + 140 = 260               swing 40
#   cheap cap 50 | 80:       100 + 150 = 250 (50%)     | 160 + 60 = 220 (80%)          swing 30
EXPECTED = [
    ("cheap/rent recurring", 180.0, 300.0, 120.0, -0.6),
    ("dear/d1 throughput.training.efficiency", 270.0, 216.0, 54.0, 0.0),
    ("dear/rent recurring", 220.0, 260.0, 40.0, 0.0),
    ("cheap/rent supply_cap", 250.0, 220.0, 30.0, 0.2),
]


def test_only_figures_the_solve_reads_are_moved(make_scenario):
    scenario = make_scenario(ranged_doc())
    figures = {f.label: f for f in ranged_figures(scenario)}
    assert sorted(figures) == sorted(label for label, *_ in EXPECTED)  # the unused tdp_w is not moved
    assert figures["dear/d1 throughput.training.efficiency"].path == "catalog.dear.products.d1.throughput.training.efficiency"
    assert (figures["cheap/rent recurring"].low, figures["cheap/rent recurring"].high) == (1.0, 4.0)


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_tornado_is_the_hand_computed_one(make_scenario, jobs):
    document = sensitivity_document(make_scenario(ranged_doc()), jobs=jobs)
    assert document["base_cost_usd"] == pytest.approx(240.0)
    assert document["base_shares"] == pytest.approx({"cheap": 0.6, "dear": 0.4})
    rows = document["rows"]
    assert [r["figure"] for r in rows] == [label for label, *_ in EXPECTED]
    for row, (label, low, high, swing, cheap_move) in zip(rows, EXPECTED):
        assert (row["cost_low_usd"], row["cost_high_usd"], row["swing_usd"]) == pytest.approx((low, high, swing)), label
        if cheap_move:
            assert row["share_move_vendor"] in ("cheap", "dear")
            assert abs(row["share_move"]) == pytest.approx(abs(cheap_move)), label
        else:
            assert row["share_move"] == pytest.approx(0.0, abs=1e-9), label


def test_ranked_by_vendor_mix(make_scenario):
    """By the largest share move: cheap recurring (60 points at high), cheap cap (20), then the
    two that move cost only (ties by name)."""
    rows = sensitivity_document(make_scenario(ranged_doc()), rank="mix", jobs=1)["rows"]
    assert [r["figure"] for r in rows] == ["cheap/rent recurring", "cheap/rent supply_cap",
                                           "dear/d1 throughput.training.efficiency", "dear/rent recurring"]
    assert rows[0]["share_move_end"] == "high" and rows[1]["share_move_end"] == "high"


def test_the_command_prints_plots_and_writes(make_scenario, tmp_path):
    path = make_scenario(ranged_doc()).path
    runner = CliRunner()
    shown = runner.invoke(app, ["sensitivity", str(path), "--top", "2", "--jobs", "1"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "cheap/rent recurring" in shown.stdout and "dear/rent recurring" not in shown.stdout
    assert "$120" in shown.stdout and "the 2 of 4 ranged figures" in shown.stdout
    result = runner.invoke(app, ["sensitivity", str(path), "--json", "--jobs", "1", "--plot", str(tmp_path / "t.png"),
                                 "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert [r["figure"] for r in document["rows"]][0] == "cheap/rent recurring"
    assert (tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"
    table = (tmp_path / "out" / "sensitivity.csv").read_text().splitlines()
    assert table[0].startswith("figure,path,low,base,high,cost_low_usd,cost_high_usd,swing_usd") and len(table) == 5
    assert (tmp_path / "out" / "manifest.json").exists()
    refused = runner.invoke(app, ["sensitivity", str(path), "--rank", "size"])
    assert refused.exit_code == 2


def test_a_scenario_without_ranges_has_an_empty_tornado(make_scenario):
    document = sensitivity_document(make_scenario(scenario_doc(two_vendors(), objective="cost")), jobs=1)
    assert document["rows"] == [] and document["base_cost_usd"] == pytest.approx(240.0)
