"""Outputs as a demanding user sees them: nothing cpo did not write is deleted or overwritten;
a kill at any moment leaves the old or the new complete output; modes follow the umask; every
output records how it was made; a sweep resumes only on the same inputs; an exported model has
cpo's optimum, constant included."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import highspy
import pytest
import yaml
from typer.testing import CliRunner

import optimizer as cpo
from conftest import EXAMPLES, ROOT, scenario_doc, two_vendors
from optimizer import outputs
from optimizer.cli import app
from optimizer.sweeps import read_grid, run_sweep
from test_sweep import PRICE_GRID, base, grid_file  # noqa: F401 (base is a fixture)

TINY = str(ROOT / "tests" / "data" / "tiny.yaml")
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "300"})


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file under `directory` (relative path -> bytes)."""
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def staging_left(directory: Path) -> list[str]:
    return [p.name for p in directory.iterdir() if ".cpo-staging." in p.name]


def complete(directory: Path) -> dict[str, bytes]:
    """Assert `directory` is one whole cpo output: its manifest lists exactly the files there,
    each with its SHA-256; return the files."""
    manifest = json.loads((directory / "manifest.json").read_text())
    files = snapshot(directory)
    assert set(files) == set(manifest["files"]) | {"manifest.json"}, (sorted(files), sorted(manifest["files"]))
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == digest, name
    return files


@pytest.fixture
def user_dir(tmp_path) -> Path:
    """A user's folder holding a scenario (its own catalog inline) and notes."""
    folder = tmp_path / "lab"
    folder.mkdir()
    shutil.copy(TINY, folder / "tiny.yaml")
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "drafts").mkdir()
    (folder / "drafts" / "plan.csv").write_text("mine\n")
    return folder


# ---------------------------------------------------------------- defect 1: --out DIR


@pytest.mark.parametrize("where", ["the scenario's folder", "the working directory"])
def test_solve_out_refuses_a_folder_cpo_did_not_write_and_changes_nothing(user_dir, where, monkeypatch):
    before = snapshot(user_dir)
    if where == "the working directory":
        monkeypatch.chdir(user_dir)
        result = run("solve", "tiny.yaml", "--out", ".")
    else:
        result = run("solve", user_dir / "tiny.yaml", "--out", user_dir)
    assert result.exit_code == 1, result.output
    message = " ".join(result.output.split())
    assert f"error: {user_dir}: found 3 entries (drafts/, notes.txt, tiny.yaml) and no manifest.json of cpo's" \
        in message
    assert "expected a new or empty directory, or one cpo wrote" in message and "nothing was changed" in message
    assert "Traceback" not in result.output
    assert snapshot(user_dir) == before
    assert not staging_left(user_dir) and not staging_left(user_dir.parent)


def test_the_refusal_comes_before_any_solve(user_dir):
    """An infeasible scenario would exit 3 after solving: the --out refusal (exit 1) comes first."""
    result = run("solve", ROOT / "tests" / "data" / "infeasible-budget.yaml", "--out", user_dir)
    assert result.exit_code == 1 and "no manifest.json of cpo's" in result.output
    assert "infeasible" not in result.output


def test_solve_out_twice_replaces_its_own_output_but_never_a_file_added_since(tmp_path):
    out = tmp_path / "runs" / "base"
    assert run("solve", EXAMPLES / "openai.yaml", "--out", out).exit_code == 0
    first = complete(out)
    assert run("solve", EXAMPLES / "openai.yaml", "--out", out, "--objective", "cost").exit_code == 0
    second = complete(out)
    assert json.loads(second["manifest.json"])["options"]["objective"] == "cost"
    assert first["manifest.json"] != second["manifest.json"]
    (out / "my-notes.txt").write_text("keep me\n")
    before = snapshot(out)
    result = run("solve", TINY, "--out", out)
    assert result.exit_code == 1
    assert "found 1 entry (my-notes.txt) that its manifest.json does not list" in " ".join(result.output.split())
    assert snapshot(out) == before
    assert staging_left(out.parent) == []


def test_a_listed_name_the_user_replaced_with_a_folder_is_refused(tmp_path):
    out = tmp_path / "run"
    assert run("solve", TINY, "--out", out).exit_code == 0
    (out / "plan.csv").unlink()
    (out / "plan.csv").mkdir()
    (out / "plan.csv" / "mine.txt").write_text("mine\n")
    result = run("solve", TINY, "--out", out)
    assert result.exit_code == 1 and "(plan.csv/)" in result.output
    assert (out / "plan.csv" / "mine.txt").read_text() == "mine\n"


def test_an_output_of_an_earlier_cpo_whose_manifest_lists_no_files_is_refused(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "plan.csv").write_text("offer,vendor\n")
    (out / "manifest.json").write_text(json.dumps({"cpo_version": "0.1.0", "inputs": []}))
    result = run("solve", TINY, "--out", out)
    assert result.exit_code == 1
    assert "found 2 entries (manifest.json, plan.csv) and a manifest.json that lists no files" in \
        " ".join(result.output.split())
    assert (out / "plan.csv").read_text() == "offer,vendor\n"


def test_out_refuses_a_file_at_the_path(tmp_path):
    target = tmp_path / "result"
    target.write_text("a user's file\n")
    result = run("solve", TINY, "--out", target)
    assert result.exit_code == 1
    assert f"{target}: found a file, not a directory" in " ".join(result.output.split())
    assert target.read_text() == "a user's file\n"


def test_out_through_a_symbolic_link_writes_where_it_points_and_keeps_the_link(tmp_path):
    real = tmp_path / "disk" / "run"
    link = tmp_path / "run"
    real.parent.mkdir()
    link.symlink_to(real, target_is_directory=True)
    for _ in range(2):
        assert run("solve", TINY, "--out", link).exit_code == 0
    assert link.is_symlink() and complete(real)


def test_the_manifest_records_how_the_output_was_made(tmp_path):
    out = tmp_path / "run"
    assert run("solve", EXAMPLES / "small-lab.yaml", "--out", out, "--set", "discount_rate=0.05").exit_code == 0
    files = complete(out)
    manifest = json.loads(files["manifest.json"])
    assert manifest["cpo_version"] == cpo.__version__
    assert isinstance(manifest["argv"], list) and manifest["python"] and manifest["platform"]
    assert set(manifest["solver"]) == {"highspy", "pulp", "highs"}
    assert manifest["options"]["solver"] == "highs" and manifest["overrides"] == ["discount_rate=0.05"]
    inputs = {Path(i["file"]).name: i["sha256"] for i in manifest["inputs"]}
    assert inputs["small-lab.yaml"] == hashlib.sha256((EXAMPLES / "small-lab.yaml").read_bytes()).hexdigest()
    assert {"nvidia.yaml", "amd.yaml"} <= set(inputs)  # the catalog's vendor files
    assert len(manifest["effective_config_sha256"]) == 64 and "solve" in manifest["seconds"]


def test_an_interrupt_while_writing_removes_the_staging_and_keeps_the_old_output(tmp_path, monkeypatch):
    out = tmp_path / "run"
    outputs.write_directory(out, {"a.csv": b"old a", "b.csv": b"old b"}, {"cpo_version": "test"})
    before = snapshot(out)
    create, calls = outputs._create, []

    def interrupted(path, data):
        calls.append(path)
        if len(calls) == 2:
            raise KeyboardInterrupt
        create(path, data)

    monkeypatch.setattr(outputs, "_create", interrupted)
    with pytest.raises(KeyboardInterrupt):
        outputs.write_directory(out, {"a.csv": b"new a", "b.csv": b"new b"}, {"cpo_version": "test"})
    assert snapshot(out) == before and staging_left(tmp_path) == []


def test_without_an_exchange_files_are_replaced_one_by_one_and_the_folder_is_never_absent(tmp_path, monkeypatch):
    out = tmp_path / "run"
    outputs.write_directory(out, {"a.csv": b"old a", "gone.csv": b"old"}, {"cpo_version": "test"})
    monkeypatch.setattr(outputs, "_exchange", lambda a, b: False)
    replace = os.replace

    def checked(source, target):
        assert out.is_dir()
        replace(source, target)

    monkeypatch.setattr(outputs.os, "replace", checked)
    outputs.write_directory(out, {"a.csv": b"new a", "b.csv": b"new b"}, {"cpo_version": "test"})
    assert {k: v for k, v in complete(out).items() if k != "manifest.json"} == {"a.csv": b"new a", "b.csv": b"new b"}
    assert staging_left(tmp_path) == []


def test_a_file_added_during_the_swap_is_put_back_and_refused(tmp_path, monkeypatch):
    out = tmp_path / "run"
    outputs.write_directory(out, {"a.csv": b"old"}, {"cpo_version": "test"})
    exchange, calls = outputs._exchange, []

    def racing(a, b):
        calls.append((a, b))
        if len(calls) == 1:  # the user saves a file just before the swap
            (out / "late.txt").write_text("the user's\n")
        return exchange(a, b)

    monkeypatch.setattr(outputs, "_exchange", racing)
    with pytest.raises(outputs.OutputError, match="late.txt"):
        outputs.write_directory(out, {"a.csv": b"new"}, {"cpo_version": "test"})
    assert (out / "late.txt").read_text() == "the user's\n" and (out / "a.csv").read_bytes() == b"old"
    assert staging_left(tmp_path) == []


def test_staging_left_by_a_killed_run_is_removed_by_the_next_and_only_cpo_s_files_go(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = outputs._host()
    stale = tmp_path / f".run.cpo-staging.{host}.{dead.pid}.{'0' * 16}"
    stale.mkdir()
    (stale / "plan.csv").write_text("cpo's\n")
    (stale / "manifest.json").write_text(json.dumps({"cpo_version": "x", "files": {"plan.csv": "..."}}))
    stale_file = tmp_path / f".mix.png.cpo-staging.{host}.{dead.pid}.{'1' * 16}.png"
    stale_file.write_bytes(b"half a png")
    odd = tmp_path / f".other.cpo-staging.{host}.{dead.pid}.{'2' * 16}"
    odd.mkdir()
    (odd / "users-file.txt").write_text("not listed anywhere\n")
    alive = tmp_path / f".run.cpo-staging.{host}.{os.getpid()}.{'3' * 16}"
    alive.mkdir()
    elsewhere = tmp_path / f".run.cpo-staging.another-host.{dead.pid}.{'4' * 16}"
    elsewhere.mkdir()
    assert run("solve", TINY, "--out", tmp_path / "run").exit_code == 0
    assert not stale.exists() and not stale_file.exists()
    assert (odd / "users-file.txt").exists() and alive.exists() and elsewhere.exists()


WRITER = """
import itertools, sys
from optimizer.outputs import write_directory
print("ready", flush=True)
for n in itertools.count():
    version = b"AB"[n % 2:n % 2 + 1]
    write_directory(sys.argv[1], {f"table{i}.csv": version * 100_000 for i in range(12)},
                    {"cpo_version": "test", "n": n})
"""


def _kill_writer_at_random_moments(out: Path, kills: int, writer: str, check) -> None:
    """Start `writer` (rewriting `out` in a loop) `kills` times, SIGKILL it at a random moment
    each time, and `check(out)` after each kill."""
    outputs.write_directory(out, {f"table{i}.csv": b"A" * 100_000 for i in range(12)}, {"cpo_version": "test"})
    rng = random.Random(1)
    for _ in range(kills):
        process = subprocess.Popen([sys.executable, "-c", writer, str(out)], stdout=subprocess.PIPE, cwd=ROOT)
        assert process.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0, 0.08))
        process.send_signal(signal.SIGKILL)
        process.wait()
        check(out)


def _one_version(out: Path) -> None:
    """`out` is one whole output, all of its tables from the same write."""
    files = complete(out)
    assert len({data for name, data in files.items() if name != "manifest.json"}) == 1


def _whole_files(out: Path) -> None:
    """`out` exists with a manifest, and each table is whole (from one write or another)."""
    files = snapshot(out)
    assert "manifest.json" in files
    assert {data for name, data in files.items() if name != "manifest.json"} <= {b"A" * 100_000, b"B" * 100_000}


def test_a_folder_killed_at_random_moments_is_always_the_old_or_the_new_complete_output(tmp_path):
    _kill_writer_at_random_moments(tmp_path / "out", 40, WRITER, _one_version)
    outputs.write_directory(tmp_path / "out", {"x.csv": b"x"}, {"cpo_version": "test"})
    assert staging_left(tmp_path) == []


def test_without_an_exchange_a_killed_folder_is_never_absent_and_holds_only_whole_files(tmp_path):
    writer = "import optimizer.outputs as o\no._exchange = lambda a, b: False\n" + WRITER
    _kill_writer_at_random_moments(tmp_path / "out", 15, writer, _whole_files)


SLOW_CLI = """
import sys, time
import optimizer.outputs as outputs
create = outputs._create
def slow(path, data):
    print("writing", file=sys.stderr, flush=True)
    time.sleep(0.02)
    create(path, data)
outputs._create = slow
from optimizer.cli import main
sys.argv = ["cpo", *sys.argv[1:]]
main()
"""


def _start_slow_solve(out: Path, objective: str) -> subprocess.Popen:
    """`cpo solve TINY --out OUT` whose every file write takes 20 ms, once it starts writing."""
    process = subprocess.Popen([sys.executable, "-c", SLOW_CLI, "solve", TINY, "--out", str(out), "--objective",
                                objective], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT)
    assert process.stderr.readline() == b"writing\n"
    return process


def test_cpo_solve_killed_while_writing_leaves_the_old_or_the_new_output(tmp_path):
    out = tmp_path / "run"
    results = {}
    for objective in ("cost", "multi-vendor"):
        assert run("solve", TINY, "--out", out, "--objective", objective).exit_code == 0
        results[objective] = (out / "result.json").read_bytes()
    rng = random.Random(2)
    for k in range(6):
        process = _start_slow_solve(out, ("cost", "multi-vendor")[k % 2])
        time.sleep(rng.uniform(0, 0.4))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert complete(out)["result.json"] in results.values()
    assert run("solve", TINY, "--out", out).exit_code == 0
    assert staging_left(tmp_path) == []


def test_sigterm_exits_143_after_removing_the_staging(tmp_path):
    out = tmp_path / "run"
    assert run("solve", TINY, "--out", out, "--objective", "cost").exit_code == 0
    before = snapshot(out)
    process = _start_slow_solve(out, "multi-vendor")
    time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 143
    stderr = process.stderr.read()
    assert b"terminated" in stderr and b"Traceback" not in stderr
    assert snapshot(out) == before and staging_left(tmp_path) == []


# ---------------------------------------------------------------- modes


def test_every_output_gets_the_users_umask(tmp_path):
    whatif = tmp_path / "half.yaml"
    whatif.write_text(yaml.safe_dump({"description": "dear at half price",
                                      "changes": [{"scale": "catalog.dear.offers.rent.recurring", "by": 0.5}]}))
    cpo_ = f"{sys.executable} -m optimizer"
    script = (f"umask 027 && {cpo_} solve {TINY} --out solved && {cpo_} export {TINY} model.mps && "
              f"{cpo_} compare {TINY} {whatif} --out compared --plot mix.png && "
              f"{cpo_} sweep {TINY} --grid {grid_file(tmp_path, PRICE_GRID)} --workers 0 --out swept")
    completed = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert completed.returncode == 0, completed.stderr
    modes = {p.relative_to(tmp_path).as_posix(): p.stat().st_mode & 0o777 for p in tmp_path.rglob("*")
             if p.name not in ("half.yaml", "grid.yaml")}
    assert {"solved", "compared", "swept", "swept/points"} <= set(modes)
    assert all(mode == (0o750 if (tmp_path / name).is_dir() else 0o640) for name, mode in modes.items()), modes


def test_every_file_and_folder_is_fsynced(tmp_path, monkeypatch):
    synced = []
    fsync = os.fsync

    def recording(descriptor):
        synced.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        fsync(descriptor)

    monkeypatch.setattr(outputs.os, "fsync", recording)
    out = tmp_path / "run"
    outputs.write_directory(out, {"a.csv": b"a", "b.csv": b"b"}, {"cpo_version": "test"})
    outputs.write_file(tmp_path / "f.txt", b"f")
    names = [Path(p).name.split(".cpo-staging.")[0].lstrip(".") for p in synced]
    assert names[:4] == ["manifest.json", "a.csv", "b.csv", "run"]  # the files, then their folder
    assert names[4] == tmp_path.name  # the parent, after the rename
    assert names[5:] == ["f.txt", tmp_path.name]


# ---------------------------------------------------------------- defect 2: every output path


def test_compare_out_refuses_a_users_compare_csv_and_replaces_its_own(tmp_path):
    whatif = tmp_path / "half.yaml"
    whatif.write_text(yaml.safe_dump({"description": "dear at half price",
                                      "changes": [{"scale": "catalog.dear.offers.rent.recurring", "by": 0.5}]}))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "compare.csv").write_text("my own comparison\n")
    result = run("compare", TINY, whatif, "--out", mine)
    assert result.exit_code == 1 and "(compare.csv)" in result.output
    assert (mine / "compare.csv").read_text() == "my own comparison\n"
    out = tmp_path / "compared"
    for _ in range(2):
        assert run("compare", TINY, whatif, "--out", out).exit_code == 0
    files = complete(out)
    assert set(files) == {"compare.csv", "mix.csv", "price_moves.csv", "manifest.json"}
    inputs = [Path(i["file"]).name for i in json.loads(files["manifest.json"])["inputs"]]
    assert inputs == ["tiny.yaml", "half.yaml"]
    assert run("compare", TINY, whatif, "--out", out, "--plot", out / "mix.png").exit_code == 2


def test_frontier_and_leverage_out_are_cpo_folders(tmp_path):
    for command, name in (("frontier", "frontier.csv"), ("leverage", "leverage.csv")):
        out = tmp_path / command
        for _ in range(2):
            assert run(command, TINY, "--out", out).exit_code == 0
        assert set(complete(out)) == {name, "manifest.json"}


def test_plot_refuses_a_png_cpo_did_not_write_and_replaces_its_own(tmp_path):
    from PIL import Image

    theirs = tmp_path / "theirs.png"
    Image.new("RGB", (4, 4)).save(theirs)
    before = theirs.read_bytes()
    result = run("frontier", TINY, "--points", "2", "--plot", theirs)
    assert result.exit_code == 1 and f"{theirs}: found a file cpo did not write" in " ".join(result.output.split())
    assert theirs.read_bytes() == before
    ours = tmp_path / "frontier.png"
    for _ in range(2):
        assert run("frontier", TINY, "--points", "2", "--plot", ours).exit_code == 0
    with Image.open(ours) as image:
        assert image.info["Software"] == f"cpo {cpo.__version__}"
        assert json.loads(image.info["cpo-manifest"])["options"]["command"] == "frontier"
    assert staging_left(tmp_path) == []


def test_export_refuses_a_model_file_cpo_did_not_write_and_replaces_its_own(tmp_path):
    theirs = tmp_path / "theirs.lp"
    theirs.write_text("\\ a model I wrote by hand\nminimize\n obj: x\nend\n")
    result = run("export", TINY, theirs)
    assert result.exit_code == 1 and "found a file cpo did not write" in result.output
    assert theirs.read_text().startswith("\\ a model I wrote by hand")
    for suffix in ("lp", "mps"):
        ours = tmp_path / f"model.{suffix}"
        for _ in range(2):
            assert run("export", TINY, ours).exit_code == 0
        first, second = ours.read_text().splitlines()[:2]
        assert first.startswith(("\\ Written by cpo", "* Written by cpo"))
        assert json.loads(second.split("manifest: ", 1)[1])["options"]["command"] == "export"


def test_sweep_out_refuses_a_folder_that_holds_no_sweep(tmp_path, user_dir):
    before = snapshot(user_dir)
    result = run("sweep", TINY, "--grid", grid_file(tmp_path, PRICE_GRID), "--workers", "0", "--out", user_dir)
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "found 3 entries (drafts/, notes.txt, tiny.yaml) and no sweep.json of cpo's" in message
    assert snapshot(user_dir) == before


def test_a_failed_results_write_leaves_no_staging(tmp_path, monkeypatch):
    import pandas as pd

    def broken(self, path, **options):
        Path(path).write_text("half")
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    out = tmp_path / "out"
    with pytest.raises(OSError, match="disk full"):
        run_sweep(TINY, read_grid(grid_file(tmp_path, PRICE_GRID)), out=out, workers=0)
    assert not (out / "results.csv").exists() and staging_left(out) == []
    assert len(list((out / "points").glob("*.json"))) == 6


# ---------------------------------------------------------------- defect 3: sweep --resume


def _interrupted(tmp_path: Path, base: Path, after: int = 2) -> Path:
    """A sweep of PRICE_GRID on `base`, stopped (KeyboardInterrupt) after `after` points."""
    out = tmp_path / "out"
    seen = []

    def stop(row):
        seen.append(row)
        if len(seen) == after:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(base, read_grid(grid_file(tmp_path, PRICE_GRID)), out=out, workers=0, on_result=stop)
    return out


def test_resume_refuses_a_scenario_changed_at_the_same_path(tmp_path, base):
    out = _interrupted(tmp_path, base)
    before = snapshot(out)
    base.write_text(yaml.safe_dump(scenario_doc(two_vendors(cheap_price=2.5), end=2027,
                                                demand={2026: 100, 2027: 120}), sort_keys=False))
    result = run("sweep", base, "--grid", tmp_path / "grid.yaml", "--workers", "0", "--out", out, "--resume")
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert f"--resume: {out}: the scenario (its effective config after the grid's what-ifs, catalog included): " \
           "found sha256" in message and "expected the same to resume" in message
    assert "the grid file" not in message and "Traceback" not in result.output
    assert snapshot(out) == before


def test_resume_refuses_a_changed_whatif_and_another_solver(tmp_path, base):
    whatif = tmp_path / "dear.yaml"
    whatif.write_text(yaml.safe_dump({"description": "dear -10%",
                                      "changes": [{"scale": "catalog.dear.offers.rent.recurring", "by": 0.9}]}))
    grid = grid_file(tmp_path, {**PRICE_GRID, "whatifs": ["dear.yaml"]})
    out = tmp_path / "out"
    run_sweep(base, read_grid(grid), out=out, workers=0)
    whatif.write_text(yaml.safe_dump({"description": "dear -10%",
                                      "changes": [{"scale": "catalog.dear.offers.rent.recurring", "by": 0.8}]}))
    with pytest.raises(cpo.ConfigError) as caught:
        run_sweep(base, read_grid(grid), out=out, workers=0, resume=True, solver="highs-pulp")
    found = [p.message.split(":")[0] for p in caught.value.problems]
    assert found == ["the scenario (its effective config after the grid's what-ifs, catalog included)",
                     "the grid's what-if files", "the solver"]


def test_resume_keeps_going_when_only_a_comment_or_the_path_changed(tmp_path, base):
    out = _interrupted(tmp_path, base)
    moved = tmp_path / "moved.yaml"
    moved.write_text("# the same scenario, moved\n" + base.read_text())
    rows = run_sweep(moved, read_grid(tmp_path / "grid.yaml"), out=out, workers=0, resume=True)
    assert [r["point"] for r in rows] == list(range(6))


COLUMNS = ["point", "name", "cheap", "dear", "status", "reason", "total_cost_usd", "objective_usd",
           "expected_disruption_usd", "unmet_share", "share_cheap", "share_dear", "seconds"]


def test_results_columns_are_the_same_whether_points_were_resumed_or_not(tmp_path, base):
    out = _interrupted(tmp_path, base)
    resumed = run_sweep(base, read_grid(tmp_path / "grid.yaml"), out=out, workers=0, resume=True)
    header = (out / "results.csv").read_text().splitlines()[0]
    assert header == ",".join(COLUMNS)
    assert all(list(row) == COLUMNS for row in resumed)
    fresh_out = tmp_path / "fresh"
    run_sweep(base, read_grid(tmp_path / "grid.yaml"), out=fresh_out, workers=0)
    assert (fresh_out / "results.csv").read_text().splitlines()[0] == header
    manifest = json.loads((out / "sweep.json").read_text())
    assert set(manifest["files"]) == {"results.csv", *(f"points/{i:05d}.json" for i in range(6))}
    assert manifest["files"]["results.csv"] == hashlib.sha256((out / "results.csv").read_bytes()).hexdigest()
    assert {Path(i["file"]).name for i in manifest["inputs"]} == {"base.yaml", "grid.yaml"}


# ---------------------------------------------------------------- defect 4: cpo export


def _lp_optimum(scenario, objective: str) -> tuple[float, float]:
    """cpo's own LP optimum ($M, the objective's constant included), and that constant."""
    from optimizer.formulation import build
    from optimizer.solver import multi_vendor_objective, solve_model

    model = build(scenario.data, objective)
    expression = multi_vendor_objective(model) if objective == "multi-vendor" else model.objectives["cost"]
    return solve_model(model, objective).objective, float(expression.constant)


def _highs_optimum(path: Path) -> float:
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    assert highs.readModel(str(path)) == highspy.HighsStatus.kOk
    highs.run()
    assert highs.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return highs.getObjectiveValue()


@pytest.mark.parametrize("example", ["installed paying units", "openai.yaml"])
def test_an_exported_model_solves_to_cpo_s_optimum_constant_included(tmp_path, example, make_scenario):
    from optimizer.export import export_model

    if example == "openai.yaml":
        scenario, objective = cpo.load(EXAMPLES / "openai.yaml"), "multi-vendor"
    else:
        doc = scenario_doc(two_vendors(cheap_cap=60_000), demand=100_000.0,
                           existing=[{"offer": "cheap/rent", "units": 10_000}])
        scenario, objective = make_scenario(doc), "cost"
    optimum, constant = _lp_optimum(scenario, objective)
    assert constant > 0.01 * abs(optimum)
    for suffix in ("lp", "mps"):
        target = tmp_path / f"model.{suffix}"
        export_model(scenario, target, objective)
        assert _highs_optimum(target) == pytest.approx(optimum, rel=1e-7)


def test_format_xlsx_writes_one_workbook_with_a_sheet_per_table_holding_the_csv_values(tmp_path):
    import pandas as pd
    from typer.testing import CliRunner

    from optimizer.cli import app
    from optimizer.results import TABLES

    example = str(Path(__file__).resolve().parent.parent / "examples" / "small-lab.yaml")
    runner = CliRunner()
    assert runner.invoke(app, ["solve", example, "--out", str(tmp_path / "csv")]).exit_code == 0
    made = runner.invoke(app, ["solve", example, "--out", str(tmp_path / "xlsx"), "--format", "xlsx"])
    assert made.exit_code == 0, made.output
    assert sorted(p.name for p in (tmp_path / "xlsx").iterdir()) == ["manifest.json", "result.json", "tables.xlsx"]
    sheets = pd.read_excel(tmp_path / "xlsx" / "tables.xlsx", sheet_name=None)
    assert list(sheets) == list(TABLES)
    for table in ("plan", "prices", "unmet"):
        expected = pd.read_csv(tmp_path / "csv" / f"{table}.csv")
        pd.testing.assert_frame_equal(sheets[table], expected, check_dtype=False)
    manifest = json.loads((tmp_path / "xlsx" / "manifest.json").read_text())
    assert "tables.xlsx" in manifest["files"]
    bad = runner.invoke(app, ["solve", example, "--out", str(tmp_path / "bad"), "--format", "pdf"])
    assert bad.exit_code == 2 and not (tmp_path / "bad").exists()


def test_charts_give_each_vendor_one_colour_and_show_a_what_if_with_no_plan(monkeypatch, tmp_path):
    from optimizer import report

    assert report.vendor_colours(["nvidia", "amd", "broadcom"]) == report.vendor_colours(["broadcom", "nvidia", "amd"])
    assert len(set(report.vendor_colours(["a", "b", "c", "d"]).values())) == 4
    captured = {}
    monkeypatch.setattr(report, "_save_figure", lambda figure, target, manifest: captured.setdefault("figure", figure))
    rows = [{"scenario": "base", "total_cost_usd": 1.0, "delta_fraction": 0.0, "status": "optimal", "share_a": 0.6,
             "share_b": 0.4},
            {"scenario": "no-plan", "total_cost_usd": None, "delta_fraction": None, "status": "infeasible",
             "share_a": None,
             "share_b": None}]
    report.plot_vendor_mix(rows, tmp_path / "mix.png", "mix", {})
    axis = captured["figure"].axes[0]
    assert [t.get_text() for t in axis.get_xticklabels()] == ["base", "no-plan"]
    assert "infeasible" in [t.get_text() for t in axis.texts]
    legend = [t.get_text() for t in axis.get_legend().get_texts()]
    assert legend == ["b", "a"]  # the top of the stack first
    colours = report.vendor_colours(["a", "b"])
    assert [matplotlib_hex(p.get_facecolor()) for p in axis.patches[:1]] == [colours["a"]]


def matplotlib_hex(rgba) -> str:
    import matplotlib

    return matplotlib.colors.to_hex(rgba)


def test_xlsx_keeps_text_that_looks_like_a_formula_as_text_and_says_what_it_wrote(tmp_path):
    """A what-if file named `=1+2.yaml` (or a note starting with '=') is a name in the workbook,
    never a formula Excel runs; `--out --format xlsx` reports the workbook, not CSVs."""
    import openpyxl
    from typer.testing import CliRunner

    from optimizer.cli import app
    from optimizer.report import table_files

    book = table_files({"a.csv": ([{"name": '=HYPERLINK("http://x")', "n": 1.5}], ["name", "n"])}, "xlsx")
    cells = openpyxl.load_workbook(io.BytesIO(book["tables.xlsx"]))["a"][2]
    assert [(c.value, c.data_type) for c in cells] == [('=HYPERLINK("http://x")', "s"), (1.5, "n")]
    examples = Path(__file__).resolve().parent.parent / "examples"
    whatif = tmp_path / "=1+2.yaml"
    shutil.copy(examples / "whatif" / "trainium-discount.yaml", whatif)
    made = CliRunner().invoke(app, ["compare", str(examples / "small-lab.yaml"), str(whatif), "--out",
                                    str(tmp_path / "c"), "--format", "xlsx", "--jobs", "1"])
    assert made.exit_code == 0, made.output
    sheet = openpyxl.load_workbook(tmp_path / "c" / "tables.xlsx")["compare"]
    assert [(c.value, c.data_type) for c in sheet["A"]][2] == ("=1+2", "s")
    solved = CliRunner().invoke(app, ["solve", str(examples / "small-lab.yaml"), "--out", str(tmp_path / "s"),
                                      "--format", "xlsx"])
    assert "(tables.xlsx, result.json, manifest.json)" in solved.output


def test_markdown_keeps_a_cell_with_a_newline_or_a_pipe_in_its_row():
    from optimizer.report import FitTable

    table = FitTable()
    table.add_column("name")
    table.add_column("n", justify="right")
    table.add_row('a|b\nc, "d"', "1")
    assert table._as_text("markdown").splitlines() == ["| name | n |", "|---|---:|", '| a\\|b<br>c, "d" | 1 |']
