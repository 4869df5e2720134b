"""The `cpo` command through typer's CliRunner, and once as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from typer.testing import CliRunner

from conftest import EXAMPLES, ROOT, scenario_doc, two_vendors
import optimizer as cpo
from optimizer.cli import app
from optimizer.formulation.model import Scale
from optimizer.results import JSON_KEYS

runner = CliRunner()
TINY = str(ROOT / "tests" / "data" / "tiny.yaml")


def run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_solve_prints_cost_mix_and_prices():
    result = run("solve", TINY, "--objective", "cost")
    assert result.exit_code == 0, result.output
    assert "$240" in result.output
    assert "60%" in result.output and "40%" in result.output
    assert "demand" in result.output and "saving from raising supply pool offer.cheap/rent" in result.output


def test_solve_json_is_the_whole_stdout_with_every_contract_key():
    result = run("solve", TINY, "--json", "--objective", "cost")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert set(JSON_KEYS) <= set(document)
    assert document["total_cost_usd"] == pytest.approx(240.0)
    assert {"group": "vendor", "member": "cheap", "measure": "compute", "period": "2026", "share": 0.6} in document["shares"]
    assert {r["measure"] for r in document["shares"] if r["group"] == "vendor"} >= {"compute", "spend"}
    assert document["plan"][0].keys() >= {"offer", "vendor", "product", "channel", "period", "acquired_units",
                                           "active_units", "spend_usd"}


def test_solve_integer_flag_buys_whole_lots_and_prints_the_gap():
    """Tiny (cheap $2 capped at 60, dear $3, demand 100) in lots of 7: cheap takes 8 lots (56
    units, 63 would break its cap), the other 44 H100e need 7 dear lots (49): 112 + 147 = $259."""
    result = run("solve", TINY, "--objective", "cost", "--integer", "--set", "milp.lot_units=7", "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["mip_gap"] is not None and document["mip_gap"] <= 1e-3
    units = {r["offer"]: r["acquired_units"] for r in document["plan"]}
    assert units == {"cheap/rent": pytest.approx(56), "dear/rent": pytest.approx(49)}
    assert document["total_cost_usd"] == pytest.approx(56 * 2 + 49 * 3)
    printed = run("solve", TINY, "--objective", "cost", "--integer", "--set", "milp.lot_units=7")
    assert "MIP gap" in printed.output


def test_solve_out_writes_csv_json_and_manifest(tmp_path):
    out = tmp_path / "run"
    result = run("solve", TINY, "--out", str(out), "--objective", "cost")
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"plan.csv", "shares.csv", "prices.csv", "result.json", "manifest.json"} <= names
    plan_csv = (out / "plan.csv").read_text().splitlines()
    assert plan_csv[0].startswith("offer,vendor,product,channel")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"][0]["file"].endswith("tiny.yaml")
    assert len(manifest["effective_config_sha256"]) == 64
    # a second run replaces the directory whole, leaving no staging directories behind
    assert run("solve", TINY, "--out", str(out), "--objective", "cost").exit_code == 0
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_bad_input_exits_1_with_located_message_and_no_traceback(tmp_path):
    doc = scenario_doc(two_vendors(), voll=-1)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    result = run("solve", str(path))
    assert result.exit_code == 1
    assert "workloads.training.voll: found -1, expected a number > 0" in result.output
    assert "Traceback" not in result.output


def test_missing_file_exits_1():
    result = run("validate", "no/such.yaml")
    assert result.exit_code == 1
    assert "no/such.yaml: file not found" in result.output


def test_usage_errors_exit_2():
    assert run("solve", TINY, "--objective", "cheapest").exit_code == 2
    assert run("solve").exit_code == 2
    assert run("export", TINY, "model.txt").exit_code == 2


def test_validate_summarises(tmp_path):
    result = run("validate", TINY)
    assert result.exit_code == 0
    assert "ok: tiny: 1 periods (2026-2026), 1 workloads, 2 vendors (cheap, dear)" in " ".join(result.output.split())


def test_vendors_lists_every_figure_with_its_source():
    result = run("vendors", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert {r["vendor"] for r in rows} >= {"nvidia", "aws-trainium", "amd", "broadcom"}
    assert all(r["source"].strip() for r in rows)
    h100 = next(r for r in rows if r["item"] == "product h100" and r["field"] == "specs.fp8_dense_tflops")
    assert h100["value"] == 1979 and "Lockwood" in h100["source"]
    only = json.loads(run("vendors", "--json", "--assumptions").stdout)
    assert only and all(r["assumption"] for r in only)


def test_vendors_table_prints_sources_verbatim_never_as_markup(tmp_path):
    catalog = tmp_path / "vendors"
    catalog.mkdir()
    text = (ROOT / "vendors" / "google-tpu.yaml").read_text()
    marked = "v6e-specs: [bold]FP8[/bold] peak equals BF16 [1]"
    (catalog / "google-tpu.yaml").write_text(text.replace(
        '"v6e-specs: FP8 peak equals BF16 (no FP8 speedup)"', json.dumps(marked), 1))
    result = run("vendors", "--vendors", str(catalog))
    assert result.exit_code == 0, result.output
    assert marked in " ".join(line.strip("│ ") for line in result.output.splitlines())


def test_schema_is_json_schema():
    result = run("schema")
    schema = json.loads(result.stdout)
    assert "workloads" in schema["properties"] and "Vendor" in schema["$defs"]


def test_export_lp_and_mps_read_back_by_highs(tmp_path):
    import highspy

    for suffix in ("lp", "mps"):
        target = tmp_path / f"model.{suffix}"
        assert run("export", TINY, str(target), "--objective", "cost").exit_code == 0
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        assert highs.readModel(str(target)) == highspy.HighsStatus.kOk
        highs.run()
        money = Scale.of(cpo.load(TINY).data).money  # the LP's money unit for this scenario's size
        assert highs.getObjectiveValue() * money == pytest.approx(240.0)


def test_real_subprocess_solves_the_example():
    completed = subprocess.run([sys.executable, "-m", "optimizer", "solve", str(EXAMPLES / "openai.yaml"), "--json"],
                               capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["status"] == "optimal"
    assert len({r["vendor"] for r in document["plan"] if r["served_h100e"] > 0}) >= 3


def test_highs_through_pulp_keeps_json_clean():
    """highspy prints a banner to the real stdout when a process builds its first HiGHS; PuLP's
    adapter builds one too, so --solver highs-pulp --json must absorb it like the default path."""
    completed = subprocess.run([sys.executable, "-m", "optimizer", "solve", TINY, "--objective", "cost",
                                "--solver", "highs-pulp", "--json"], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["total_cost_usd"] == pytest.approx(240.0)


def test_names_and_paths_are_printed_verbatim_never_as_markup(tmp_path):
    doc = scenario_doc(two_vendors(), name="Lab [red]7[/red] [x")
    path = tmp_path / "[markup].yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    solved = run("solve", str(path), "--objective", "cost", "--out", str(tmp_path / "out[1]"))
    assert solved.exit_code == 0, solved.output
    assert "Lab [red]7[/red] [x" in solved.output and "out[1]/" in solved.output
    validated = run("validate", str(path))
    assert validated.exit_code == 0 and "ok: Lab [red]7[/red] [x:" in validated.output


def test_inputs_are_never_modified_and_failed_runs_leave_out_untouched(tmp_path):
    import hashlib

    files = [ROOT / "tests" / "data" / "tiny.yaml", ROOT / "examples" / "small-lab.yaml",
             *sorted((ROOT / "vendors").glob("*.yaml"))]
    before = {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    out = tmp_path / "run"
    assert run("solve", TINY, "--out", str(out), "--objective", "cost").exit_code == 0
    assert run("solve", str(EXAMPLES / "small-lab.yaml"), "--out", str(tmp_path / "lab")).exit_code == 0
    assert {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files} == before
    written = (out / "result.json").read_bytes()
    # an infeasible run and a bad-input run do not touch the existing output directory
    assert run("solve", str(ROOT / "tests" / "data" / "infeasible-budget.yaml"), "--out", str(out)).exit_code == 3
    assert run("solve", TINY, "--out", str(out), "--set", "discount_rate=x").exit_code == 1
    assert (out / "result.json").read_bytes() == written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lab", "run"]


def test_result_json_is_byte_identical_across_runs(tmp_path):
    for name in ("a", "b"):
        assert run("solve", str(EXAMPLES / "small-lab.yaml"), "--out", str(tmp_path / name)).exit_code == 0
    assert (tmp_path / "a" / "result.json").read_bytes() == (tmp_path / "b" / "result.json").read_bytes()


def _cpo(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "optimizer", *args], capture_output=True, text=True, timeout=120)


def test_version_help_and_completion():
    from optimizer import __version__

    assert _cpo("--version").stdout.strip() == f"cpo {__version__}" == _cpo("-V").stdout.strip()
    assert _cpo("-h").stdout.startswith("Usage: cpo") and "Usage: cpo solve" in _cpo("solve", "-h").stdout
    script = _cpo("--show-completion", "bash")
    assert script.returncode == 0 and "_cpo_completion" in script.stdout and "complete" in script.stdout


def test_verbose_logs_each_solve_and_the_highs_log_to_stderr_and_keeps_json_clean():
    completed = _cpo("-v", "solve", TINY, "--objective", "cost", "--json")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout)["total_cost_usd"] == pytest.approx(240)
    lines = completed.stderr.splitlines()
    assert any(line.startswith("cpo.highs: ") and "rows" in line for line in lines)  # HiGHS's own log
    assert any(line.startswith("cpo: ") and "optimal, cost by highs" in line for line in lines)
    quiet = _cpo("solve", TINY, "--objective", "cost")
    assert "cpo.highs" not in quiet.stderr


def test_quiet_shows_no_progress():
    scenarios = str(EXAMPLES / "scenarios" / "openai-risks.yaml")
    loud = _cpo("solve", str(EXAMPLES / "openai.yaml"), "--scenarios", scenarios)
    assert loud.returncode == 0 and "solving the deterministic equivalent" in loud.stderr
    quiet = _cpo("-q", "solve", str(EXAMPLES / "openai.yaml"), "--scenarios", scenarios)
    assert quiet.returncode == 0 and quiet.stderr == "" and "EVPI" in quiet.stdout


@pytest.mark.parametrize("command", ["solve", "compare", "evaluate", "sweep", "frontier", "leverage", "alternatives",
                                     "validate", "vendors", "sources", "sensitivity", "schema", "export"])
def test_help_names_what_each_option_takes_and_short_flags_mean_one_thing(command):
    text = runner.invoke(app, [command, "-h"], env={"COLUMNS": "200"}).output
    options = [line.strip() for line in text.splitlines() if line.strip().startswith("-")]
    assert options and not [line for line in options if "<" in line.split("  ")[0]], text  # FILE.yaml, not <list[Path]>
    for line in options:
        flags = line.split("  ")[0]
        if flags.startswith("-n,"):
            assert "--workers" in flags  # -n is the workers of a Dask cluster, wherever it appears
    assert "docs/sweeps.md" not in text


def test_any_pulp_adapter_and_highs_options_reach_the_solver():
    """pulp:NAME runs PuLP's adapter (its bundled CBC here): the tiny case's hand answer, 240;
    --solver-option passes HiGHS options through (IPM gives the same optimum)."""
    cbc = _cpo("solve", TINY, "--objective", "cost", "--solver", "pulp:PULP_CBC_CMD", "--json")
    assert cbc.returncode == 0, cbc.stderr
    document = json.loads(cbc.stdout)
    assert document["total_cost_usd"] == pytest.approx(240) and document["solver"] == "pulp:PULP_CBC_CMD"
    highs = _cpo("solve", TINY, "--objective", "cost", "--solver", "pulp:HiGHS", "--json")
    assert highs.returncode == 0 and json.loads(highs.stdout)["total_cost_usd"] == pytest.approx(240)  # no banner
    ipm = _cpo("solve", TINY, "--objective", "cost", "--solver-option", "solver=ipm", "--solver-option", "threads=1",
               "--json")
    assert ipm.returncode == 0 and json.loads(ipm.stdout)["total_cost_usd"] == pytest.approx(240)
    unknown = _cpo("solve", TINY, "--solver", "pulp:NOPE")
    assert unknown.returncode == 2 and "pulp:NAME with NAME one of" in unknown.stderr
    bogus = _cpo("solve", TINY, "--solver-option", "no_such_option=1")
    assert bogus.returncode == 2 and "HiGHS has no such option" in bogus.stderr


def test_a_missing_solver_says_how_to_get_one():
    import pulp

    if "GUROBI" in pulp.listSolvers(onlyAvailable=True):
        pytest.skip("Gurobi is installed here")
    missing = _cpo("solve", TINY, "--solver", "pulp:GUROBI")
    assert missing.returncode == 4 and "not available here: install the solver" in missing.stderr


def test_compare_gives_price_moves_as_rows():
    """The tiny case with the dear offer at half price: the marginal cost of compute (the dear
    offer's price, $3 per H100e-year) falls to $1.50, one row with numbers, not text."""
    import tempfile
    from pathlib import Path

    import yaml

    with tempfile.TemporaryDirectory() as folder:
        whatif = Path(folder) / "half.yaml"
        whatif.write_text(yaml.safe_dump({"description": "dear at half price",
                                          "changes": [{"scale": "catalog.dear.offers.rent.recurring", "by": 0.5}]}))
        document = json.loads(run("compare", TINY, str(whatif), "--json").stdout)
    (move,) = document["price_moves"]
    assert (move["scenario"], move["workload"]) == ("half", "training")
    assert move["base_usd_per_h100e_year"] == pytest.approx(3) and move["usd_per_h100e_year"] == pytest.approx(1.5)
    assert move["change"] == pytest.approx(-0.5) and "price_moves" not in document["rows"][0]


def test_a_solution_solved_elsewhere_gives_the_same_report(tmp_path):
    """cpo export, HiGHS alone writes its solution, cpo evaluate --solution reads it: the same
    cost and prices as cpo solve (OpenAI example, multi-vendor); a plain NAME VALUE file (as
    Gurobi writes) gives the tiny case's $240; a plan breaking a row is refused (exit 4)."""
    import highspy

    model = tmp_path / "openai.mps"
    assert runner.invoke(app, ["export", str(EXAMPLES / "openai.yaml"), str(model)]).exit_code == 0
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.readModel(str(model))
    highs.run()
    highs.writeSolution(str(tmp_path / "openai.sol"), 0)
    solved = json.loads(run("solve", str(EXAMPLES / "openai.yaml"), "--json").stdout)
    read = json.loads(run("evaluate", str(EXAMPLES / "openai.yaml"), "--solution", str(tmp_path / "openai.sol"),
                          "--json").stdout)
    assert read["total_cost_usd"] == pytest.approx(solved["total_cost_usd"], rel=1e-8)
    prices = {p["constraint"]: p["value"] for p in read["prices"]}
    for price in solved["prices"][:10]:
        assert prices[price["constraint"]] == pytest.approx(price["value"], rel=1e-5, abs=1e-6)
    plain = tmp_path / "tiny.sol"
    plain.write_text("# Objective value = 0.0024\nx(cheap_rent,2026) 0.6\nx(dear_rent,2026) 0.4\n"
                     "y(cheap_rent,training,2026) 0.6\ny(dear_rent,training,2026) 0.4\n")
    assert json.loads(run("evaluate", TINY, "-o", "cost", "--solution", str(plain), "--json").stdout)[
        "total_cost_usd"] == pytest.approx(240)
    plain.write_text("x(cheap_rent,2026) 0.9\ny(cheap_rent,training,2026) 0.9\nx(dear_rent,2026) 0.1\n"
                     "y(dear_rent,training,2026) 0.1\n")  # 90 units of the cheap offer, capped at 60
    assert run("evaluate", TINY, "-o", "cost", "--solution", str(plain)).exit_code == 4


def test_shell_completion_offers_the_choices():
    import os

    def complete(words: str) -> list[str]:
        env = {**os.environ, "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - (0 if words.endswith(" ")
                                                                                          else 1)),
               "_CPO_COMPLETE": "complete_bash"}
        done = subprocess.run([sys.executable, "-m", "optimizer"], env=env, capture_output=True, text=True, timeout=60)
        return done.stdout.split()

    assert complete("cpo solve x --objective ") == ["multi-vendor", "cost", "max-share", "hhi"]
    assert "pulp:HiGHS" in complete("cpo solve x --solver pulp")
    assert complete("cpo compare x --format m") == ["markdown"]


def test_a_solution_file_for_another_model_cut_short_or_out_of_bounds_is_a_located_error(tmp_path):
    """Never a plan 'refused by the independent check' (exit 4) listing hundreds of rows, nor an
    'optimal' report of the wrong model: the file's line and what is wrong with it (exit 1)."""
    import highspy

    def highs_solution(objective: str) -> str:
        model = tmp_path / f"{objective}.mps"
        assert runner.invoke(app, ["export", str(EXAMPLES / "small-lab.yaml"), str(model), "-o", objective]
                             ).exit_code == 0
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.readModel(str(model))
        highs.run()
        highs.writeSolution(str(tmp_path / f"{objective}.sol"), 0)
        return (tmp_path / f"{objective}.sol").read_text()

    def error(config: str, text: str, *options: str) -> str:
        file = tmp_path / "given.sol"
        file.write_text(text)
        done = run("evaluate", config, "--solution", str(file), *options)
        assert done.exit_code == 1 and "Traceback" not in done.output, done.output
        return done.output

    assert "given.sol:1: found 'x(other_rent,2026)' (and 0 more) not in this model" in error(
        TINY, "x(other_rent,2026) 0.5\nx(cheap_rent,2026) 0.5\n", "-o", "cost")
    assert "given.sol:2: x(cheap_rent,2026): found -0.6, expected a value in [0, inf]" in error(
        TINY, "x(dear_rent,2026) 0.4\nx(cheap_rent,2026) -0.6\n", "-o", "cost")
    full = highs_solution("multi-vendor")
    lines = full.splitlines()
    cut = "\n".join(lines[:len(lines) // 3]) + "\n"
    at = next(i for i, line in enumerate(lines) if line.startswith("# Rows"))  # the primal rows, cut
    stated = int(lines[at].split()[2])
    read = len(cut.splitlines()) - at - 1
    assert f"given.sol:{at + 1}: found values for {read} of the {stated} rows the file states here" in error(
        str(EXAMPLES / "small-lab.yaml"), cut)
    cost = highs_solution("cost")
    assert "given.sol:7: found a solution of" in error(str(EXAMPLES / "small-lab.yaml"), cost, "-o", "multi-vendor")
    assert "not in this model" in error(str(EXAMPLES / "small-lab.yaml"), full, "-o", "cost")
    assert "not in this model" in error(str(EXAMPLES / "small-lab.yaml"), full, "--set", "periods.step=quarter")


def test_a_solver_option_the_adapter_also_gets_from_cpo_is_the_users():
    """--solver-option msg=1 used to fail: 'getSolver() got multiple values for keyword argument msg'."""
    done = run("solve", TINY, "-o", "cost", "--solver", "pulp:PULP_CBC_CMD", "--solver-option", "msg=1", "--json")
    assert done.exit_code == 0, done.output
    assert "got multiple values" not in done.output
