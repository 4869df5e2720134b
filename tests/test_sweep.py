"""Sweeps: rows equal sequential solves; a bad point is recorded and the rest finish; an
interrupted sweep resumes; a real Dask scheduler and worker on localhost run one."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

import optimizer as cpo
from conftest import scenario_doc, two_vendors
from optimizer.cli import app
from optimizer.sweeps import read_grid, run_sweep


@pytest.fixture
def base(tmp_path) -> Path:
    path = tmp_path / "base.yaml"
    path.write_text(yaml.safe_dump(scenario_doc(two_vendors(), end=2027, demand={2026: 100, 2027: 120}),
                                   sort_keys=False))
    return path


def grid_file(tmp_path, document: dict) -> Path:
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


PRICE_GRID = {"description": "cheap price x dear price", "objective": "cost",
              "parameters": {"cheap": {"scale": "catalog.cheap.offers.rent.recurring", "values": [0.5, 1.0, 2.0]},
                             "dear": {"scale": "catalog.dear.offers.rent.recurring", "values": [1.0, 1.5]}}}


def test_grid_is_the_cartesian_product(tmp_path):
    grid = read_grid(grid_file(tmp_path, PRICE_GRID))
    assert [p.parameters for p in grid.points] == [
        {"cheap": c, "dear": d} for c in (0.5, 1.0, 2.0) for d in (1.0, 1.5)]


def test_sweep_rows_equal_sequential_solves(tmp_path, base):
    grid = read_grid(grid_file(tmp_path, PRICE_GRID))
    rows = run_sweep(base, grid, workers=0)
    for row in rows:
        overrides = {"catalog.cheap.offers.rent.recurring.value": 2.0 * row["cheap"],
                     "catalog.dear.offers.rent.recurring.value": 3.0 * row["dear"]}
        alone = cpo.solve(cpo.load(base, overrides=overrides), objective="cost")
        assert row["total_cost_usd"] == pytest.approx(alone.total_cost_usd, rel=1e-9)
    # by hand: cheap 0.5 -> $1 x 60 + $3 x 40 (2026) and $1 x 60 + $3 x 60 (2027)
    assert rows[0]["total_cost_usd"] == pytest.approx(60 + 120 + 60 + 180)


def test_bad_and_infeasible_points_are_recorded_and_the_rest_finish(tmp_path, base):
    document = {"description": "mixed", "objective": "cost", "points": [
        {"name": "ok", "changes": [{"scale": "catalog.cheap.offers.rent.recurring", "by": 2}]},
        {"name": "typo", "changes": [{"scale": "catalog.cheep.offers.rent.recurring", "by": 2}]},
        {"name": "negative", "changes": [{"set": "workloads.training.voll", "to": -1}]},
        {"name": "infeasible", "changes": [{"add": "policy", "value": {"budget_usd_per_year": 1}},
                                            {"add": "existing", "value": [{"offer": "cheap/rent", "units": 10}]}]},
        {"name": "also-ok", "changes": [{"set": "workloads.training.voll", "to": 500}]},
    ]}
    rows = run_sweep(base, read_grid(grid_file(tmp_path, document)), out=tmp_path / "out", workers=0)
    status = {r["name"]: r["status"] for r in rows}
    assert status == {"ok": "optimal", "typo": "bad input", "negative": "bad input", "infeasible": "infeasible",
                      "also-ok": "optimal"}
    typo = next(r for r in rows if r["name"] == "typo")
    assert "catalog.cheep does not exist" in typo["reason"] and "grid.yaml" in typo["reason"]
    assert "raise policy.budget_usd_per_year" in next(r for r in rows if r["name"] == "infeasible")["reason"]
    assert (tmp_path / "out" / "results.csv").read_text().count("\n") == 6


def test_an_interrupted_sweep_resumes_without_redoing_points(tmp_path, base):
    grid = read_grid(grid_file(tmp_path, PRICE_GRID))
    out = tmp_path / "out"
    seen = []

    def stop_after_two(row):
        seen.append(row["point"])
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(base, grid, out=out, workers=0, on_result=stop_after_two)
    assert sorted(p.name for p in (out / "points").iterdir()) == ["00000.json", "00001.json"]
    with pytest.raises(cpo.ConfigError, match="--resume"):
        run_sweep(base, grid, out=out, workers=0)
    resumed = []
    rows = run_sweep(base, grid, out=out, workers=0, resume=True, on_result=lambda r: resumed.append(r["point"]))
    assert resumed == [2, 3, 4, 5]
    assert [r["point"] for r in rows] == list(range(6))
    fresh = run_sweep(base, grid, workers=0)
    assert [r["total_cost_usd"] for r in rows] == pytest.approx([r["total_cost_usd"] for r in fresh])


def test_resume_refuses_another_grid(tmp_path, base):
    out = tmp_path / "out"
    run_sweep(base, read_grid(grid_file(tmp_path, PRICE_GRID)), out=out, workers=0)
    other = dict(PRICE_GRID, description="another")
    with pytest.raises(cpo.ConfigError, match="the grid file: found sha256"):
        run_sweep(base, read_grid(grid_file(tmp_path, other)), out=out, workers=0, resume=True)


def test_grid_errors_are_located(tmp_path, base):
    path = grid_file(tmp_path, {"parameters": {"x": {"scale": "a.b", "values": []}}})
    result = CliRunner().invoke(app, ["sweep", str(base), "--grid", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: parameters.x: expected exactly one of set, scale, delay" in " ".join(result.output.split())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(shutil.which("dask") is None and not Path(sys.executable).with_name("dask").exists(),
                    reason="dask command not installed")
def test_a_real_dask_scheduler_and_worker_run_a_sweep(tmp_path, base):
    dask = shutil.which("dask") or str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                  "--dashboard-address", ":0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        time.sleep(1.5)
        worker = subprocess.Popen([dask, "worker", address, "--nworkers", "1", "--nthreads", "1",
                                   "--dashboard-address", ":0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        from distributed import Client

        with Client(address, timeout="30s") as client:
            client.wait_for_workers(1, timeout=60)
        out = tmp_path / "out"
        result = CliRunner().invoke(app, ["sweep", str(base), "--grid", str(grid_file(tmp_path, PRICE_GRID)),
                                          "--scheduler", address, "--out", str(out), "--json"])
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)
        assert [r["total_cost_usd"] for r in rows] == pytest.approx(
            [r["total_cost_usd"] for r in run_sweep(base, read_grid(tmp_path / "grid.yaml"), workers=0)])
        assert len(list((out / "points").glob("*.json"))) == 6
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def test_the_library_sweeps_a_scenario_with_its_overrides_and_reports_progress(tmp_path, base):
    """cpo.sweep(Scenario): the scenario's own --set holds at every point (the dear offer at
    $2.5 before the grid scales it), and progress(row) is told of each point."""
    grid = grid_file(tmp_path, PRICE_GRID)
    scenario = cpo.load(base, overrides={"catalog.dear.offers.rent.recurring.value": 2.5})
    seen = []
    frame = cpo.sweep(scenario, grid, workers=0, progress=seen.append)
    assert sorted(r["point"] for r in seen) == list(range(6)) and len(frame) == 6
    first = frame.iloc[0]  # cheap 0.5 ($1), dear 1.0 x the overridden $2.5
    assert first.total_cost_usd == pytest.approx(60 * 1 + 40 * 2.5 + 60 * 1 + 60 * 2.5)
