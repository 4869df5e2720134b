"""Hostile input: every YAML read (scenario, what-if, vendor file, grid, --set value) goes
through one reader that refuses, located, what could hang, exhaust memory or crash it.

Each case is checked through the library (`cpo.ConfigError` whose problems name the file and
line) and through the CLI (exit 1, the same message, no traceback). Cases that used to hang or
eat memory run in a subprocess with a timeout and a 1 GiB address-space limit, so a regression
fails the test instead of the machine."""

from __future__ import annotations

import importlib
import os
import resource
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import optimizer as cpo
from optimizer import loading
from optimizer.cli import app
from optimizer.errors import Problem
from optimizer.sweeps import read_grid

ROOT = Path(__file__).resolve().parent.parent
TINY = (ROOT / "tests" / "data" / "tiny.yaml").read_text()
NAME_LINE = TINY.splitlines().index("name: tiny") + 1
DEMAND_LINE = TINY.splitlines().index("  training: {demand: 100, voll: 1000}") + 1
LIBRARY = textwrap.dedent("""
    import sys
    import optimizer as cpo
    from optimizer.sweeps import read_grid
    try:
        read_grid(sys.argv[2]) if sys.argv[1] == "grid" else cpo.load(sys.argv[2], whatifs=sys.argv[3:])
    except cpo.ConfigError as exc:
        print("\\n".join(str(p) for p in exc.problems))
        sys.exit(1)
""")


def tiny(tmp_path: Path, name_line: str = "name: tiny", old: str = "name: tiny", file: str = "bad.yaml") -> Path:
    """tests/data/tiny.yaml with one line replaced (by default line NAME_LINE, `name: tiny`)."""
    path = tmp_path / file
    path.write_text(TINY.replace(old, name_line, 1))
    return path


def problems(*args, **options) -> list[str]:
    """cpo.load(*args, **options)'s problems as text; it must raise ConfigError."""
    with pytest.raises(cpo.ConfigError) as caught:
        cpo.load(*args, **options)
    assert caught.value.problems and all(isinstance(p, Problem) for p in caught.value.problems)
    return [str(p) for p in caught.value.problems]


def cli(*args: str) -> str:
    """`cpo ARGS` through CliRunner: exit 1, no traceback; the output on one line."""
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "400"})
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    return " ".join(result.output.split())


def refused(expected: str, config: Path, *whatifs: Path) -> None:
    """Loading `config` (with `whatifs`) gives a problem starting `expected`, through the
    library and through `cpo validate`."""
    found = problems(config, whatifs=whatifs)
    assert any(p.startswith(expected) for p in found), (expected, found)
    assert expected in cli("validate", str(config), *(a for w in whatifs for a in ("--whatif", str(w))))


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def run(*args: str, timeout: float = 60, **options) -> str:
    """A real subprocess (1 GiB of memory at most, `timeout` seconds): exit 1, no traceback;
    its stdout and stderr on one line."""
    completed = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout,
                               preexec_fn=_limited, cwd=ROOT, env={**os.environ, "COLUMNS": "400"}, **options)
    output = completed.stdout + completed.stderr
    assert "Traceback" not in output, output[-2000:]
    assert completed.returncode == 1, output[-2000:]
    return " ".join(output.split())


def run_library(*args: str, timeout: float = 60) -> str:
    """cpo.load (or read_grid, args ("grid", FILE)) in a subprocess: its problems, one line."""
    return run("-c", LIBRARY, *(args if args[0] == "grid" else ("load", *args)), timeout=timeout)


def run_cpo(*args: str, timeout: float = 60, **options) -> str:
    return run("-m", "optimizer", *args, timeout=timeout, **options)


# ---------------------------------------------------------------- 1. anchors, aliases, merge keys


def billion_laughs(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_at_its_first_anchor_in_a_bounded_time_and_memory(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("name: laughs\n" + billion_laughs(9))
    assert len(bomb.read_bytes()) < 2600
    expected = f"{bomb}:2: found the anchor &a0, expected every value written out"
    assert expected in run_library(str(bomb), timeout=30)
    assert expected in run_cpo("validate", str(bomb), timeout=30)


@pytest.mark.parametrize("kind", ["scenario", "whatif", "vendor", "grid"])
def test_an_alias_is_refused_in_every_kind_of_file(tmp_path, kind):
    aliased = "description: x\nchanges:\n  - &c {set: workloads.training.voll, to: 5}\n  - *c\n"
    if kind == "scenario":
        path = tiny(tmp_path, "name: &n tiny\ndescription: *n")
        found, line, args = "the anchor &n", NAME_LINE, [path]
    elif kind == "whatif":
        path = tmp_path / "whatif.yaml"
        path.write_text(aliased)
        found, line, args = "the anchor &c", 3, [tiny(tmp_path), path]
    elif kind == "vendor":
        vendors = tmp_path / "vendors"
        vendors.mkdir()
        path = vendors / "v.yaml"
        path.write_text("vendor: v\nname: V\nproducts: {}\noffers: {}\ntags: {a: x, b: *x}\n")
        scenario = tmp_path / "s.yaml"
        scenario.write_text("name: s\ncatalog_dir: vendors\nperiods: {start: 2026, end: 2026}\n"
                            "workloads: {training: {demand: 1, voll: 1}}\n")
        found, line, args = "the alias *x", 5, [scenario]
    else:
        path = tmp_path / "grid.yaml"
        path.write_text("description: g\nparameters:\n  p: &p {set: workloads.training.voll, values: [1, 2]}\n"
                        "  q: *p\n")
        with pytest.raises(cpo.ConfigError) as caught:
            read_grid(path)
        assert f"{path}:3: found the anchor &p, expected every value written out" in str(caught.value)
        output = cli("sweep", str(tiny(tmp_path)), "--grid", str(path))
        assert f"{path}:3: found the anchor &p" in output
        return
    refused(f"{path}:{line}: found {found}, expected every value written out", *args)


def test_a_star_or_ampersand_inside_text_is_not_an_alias(tmp_path):
    path = tiny(tmp_path, 'name: R & D *lab*\ndescription: "AT&T, *not* an alias: &x *y"')
    assert cpo.load(path).config.name == "R & D *lab*"
    grid = read_grid(ROOT / "examples" / "grids" / "nvidia-price-x-trainium-efficiency.yaml")
    assert len(grid.points) == 9 and "catalog.nvidia.offers.*.upfront" in str(grid.points[0].changes)


@pytest.mark.parametrize("merge", ["<<: 5", "<<: {description: merged}", "<<: [{description: merged}]"])
def test_merge_keys_are_refused_located(tmp_path, merge):
    path = tiny(tmp_path, f"name: tiny\n{merge}")
    refused(f"{path}:{NAME_LINE + 1}: found a merge key (<<), expected the keys written out", path)


# ---------------------------------------------------------------- 2. tags


@pytest.mark.parametrize("value, message", [
    ("!!python/name:os.system x", "name: found the tag !!python/name:os.system, expected no tag"),
    ("!!python/object:os.system {}", "name: found the tag !!python/object:os.system, expected no tag"),
    ("!!python/object/apply:os.system [echo hi]", "name: found the tag !!python/object/apply:os.system"),
    ("!!binary aGVsbG8=", "name: found the tag !!binary, expected no tag"),
    ("!!set {a, b}", "name: found the tag !!set, expected no tag"),
    ("!!omap [{a: 1}]", "name: found the tag !!omap, expected no tag"),
    ("!custom x", "name: found the tag !custom, expected no tag"),
    ("!!timestamp garbage", "name: found the tag !!timestamp, expected no tag"),
    ("2026-01-01", "name: found '2026-01-01', which YAML reads as a date, expected text or a number: quote it"),
    ("!!int abc", "name: found 'abc' tagged !!int, expected a whole number"),
    ("!!float xyz", "name: found 'xyz' tagged !!float, expected a number"),
    ("!!bool maybe", "name: found 'maybe' tagged !!bool, expected true or false"),
    ("!!int ''", "name: found '' tagged !!int, expected a whole number"),
    ("0b_", "name: found '0b_' tagged !!int, expected a whole number"),
    ("0x_", "name: found '0x_' tagged !!int, expected a whole number"),
])
def test_tags_other_than_plain_scalars_and_unreadable_scalars_are_located(tmp_path, value, message):
    path = tiny(tmp_path, f"name: {value}")
    refused(f"{path}:{NAME_LINE}: {message}", path)


def test_plain_standard_tags_still_read(tmp_path):
    path = tiny(tmp_path, "name: !!str 2026\ndescription: !!str yes")
    assert (cpo.load(path).config.name, cpo.load(path).config.description) == ("2026", "yes")
    path = tiny(tmp_path, "training: {demand: !!int '100', voll: !!float 1000}", "training: {demand: 100, voll: 1000}")
    assert cpo.load(path).config.workloads["training"].demand == 100


# ---------------------------------------------------------------- 3. huge numbers


@pytest.mark.parametrize("digits", [5000, 401])
def test_whole_numbers_beyond_a_float_are_located(tmp_path, digits):
    number = "9" * digits
    path = tiny(tmp_path, f"training: {{demand: {number}, voll: {number}}}", "training: {demand: 100, voll: 1000}")
    found = problems(path)
    for field in ("demand", "voll"):
        expected = f"{path}:{DEMAND_LINE}: workloads.training.{field}: found a {digits}-digit number, expected a finite number"
        assert expected in found, found
    assert f"workloads.training.voll: found a {digits}-digit number, expected a finite number" in cli("validate", str(path))


def test_a_huge_number_from_python_is_located_at_set():
    found = problems(ROOT / "tests" / "data" / "tiny.yaml", overrides={"workloads.training.demand": 10**400})
    assert found == ["--set: workloads.training.demand: found a 401-digit number, expected a finite number"]


# ---------------------------------------------------------------- 4. files that are not regular files


@pytest.mark.parametrize("role", ["scenario", "whatif", "vendor", "grid"])
def test_a_fifo_is_refused_unread_wherever_a_file_is_read(tmp_path, role):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    scenario = tiny(tmp_path)
    if role == "scenario":
        library, command = (str(fifo),), ("validate", str(fifo))
    elif role == "whatif":
        library, command = (str(scenario), str(fifo)), ("validate", str(scenario), "--whatif", str(fifo))
    elif role == "vendor":
        scenario = tmp_path / "s.yaml"
        scenario.write_text("name: s\ncatalog_dir: .\nperiods: {start: 2026, end: 2026}\n"
                            "workloads: {training: {demand: 1, voll: 1}}\n")
        library, command = (str(scenario),), ("validate", str(scenario))
    else:
        library, command = ("grid", str(fifo)), ("sweep", str(scenario), "--grid", str(fifo))
    expected = f"{fifo}: is a named pipe (FIFO), expected a regular YAML file"
    assert expected in run_library(*library, timeout=30)
    assert expected in run_cpo(*command, timeout=30)


@pytest.mark.parametrize("device, kind", [("/dev/zero", "a character device"), ("/dev/null", "a character device")])
def test_devices_are_refused_unread(device, kind):
    expected = f"{device}: is {kind}, expected a regular YAML file"
    assert expected in run_library(device, timeout=30)
    assert expected in run_cpo("validate", device, timeout=30)


def test_stdin_as_a_pipe_is_refused_unread():
    output = run_cpo("validate", "/dev/stdin", timeout=30, input="name: x\n")
    assert "/dev/stdin: is a named pipe (FIFO), expected a regular YAML file" in output


def test_a_socket_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(path))
        assert problems(path) == [f"{path}: is a socket, expected a regular YAML file"]
        assert f"{path}: is a socket, expected a regular YAML file" in cli("validate", str(path))


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(4 * 1024 * 1024 + 1)
    assert problems(path) == [f"{path}: is larger than 4 MiB, expected a smaller YAML file"]
    assert f"{path}: is larger than 4 MiB" in cli("validate", str(path))


def test_a_directory_a_dangling_symlink_and_an_unreadable_file_are_located(tmp_path, monkeypatch):
    assert problems(tmp_path) == [f"{tmp_path}: is a directory, expected a regular YAML file"]
    assert f"{tmp_path}: is a directory, expected a regular YAML file" in cli("validate", str(tmp_path))
    link = tmp_path / "link.yaml"
    link.symlink_to(tmp_path / "gone.yaml")
    assert problems(link) == [f"{link}: is a symlink to a missing file, expected a YAML file"]
    assert f"{link}: is a symlink to a missing file" in cli("validate", str(link))
    locked = tiny(tmp_path, file="locked.yaml")
    real_open = os.open

    def denied(path, *args, **kwargs):  # as root, chmod 000 does not stop a read
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    assert problems(locked) == [f"{locked}: permission denied, expected a file you can read"]
    assert f"{locked}: permission denied, expected a file you can read" in cli("validate", str(locked))


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_a_file_without_read_permission_is_located(tmp_path):
    locked = tiny(tmp_path)
    locked.chmod(0)
    assert f"{locked}: permission denied, expected a file you can read" in cli("validate", str(locked))


# ---------------------------------------------------------------- 5. deep nesting


@pytest.mark.parametrize("depth", [100, 900])
@pytest.mark.parametrize("shape", ["list", "mapping"])
def test_deep_nesting_is_capped_and_located(tmp_path, shape, depth):
    nested = "[" * depth + "]" * depth if shape == "list" else "{a: " * depth + "x" + "}" * depth
    path = tiny(tmp_path, f"name: {nested}")
    found = problems(path)
    assert len(found) == 1 and found[0].startswith(f"{path}:{NAME_LINE}: name")
    assert found[0].endswith(f": nested more than 64 levels deep, expected a flatter config")
    assert f"nested more than 64 levels deep" in cli("validate", str(path))


def test_nesting_beyond_the_parser_limit_is_located(tmp_path):
    path = tiny(tmp_path, "name: " + "[" * 100_000 + "]" * 100_000)
    assert problems(path)[0].startswith(f"{path}:{NAME_LINE}: YAML syntax error")
    assert f"{path}:{NAME_LINE}: YAML syntax error" in cli("validate", str(path))


def test_the_pure_python_parser_also_refuses_deep_nesting_and_aliases(tmp_path, monkeypatch):
    monkeypatch.setattr(loading, "_Constructor", yaml.SafeLoader)  # no LibYAML: a recursive composer
    assert cpo.load(tiny(tmp_path, file="ok.yaml")).config.name == "tiny"
    deep = tiny(tmp_path, "name: " + "[" * 5000 + "]" * 5000, file="deep.yaml")
    assert problems(deep) == [f"{deep}: nested too deeply, expected at most 64 levels"]
    date = tiny(tmp_path, "name: 2026-01-01", file="date.yaml")
    assert "which YAML reads as a date" in problems(date)[0]
    bomb = tiny(tmp_path, "name: x\n" + billion_laughs(9), file="bomb.yaml")
    assert problems(bomb)[0].startswith(f"{bomb}:{NAME_LINE + 1}: found the anchor &a0")


# ---------------------------------------------------------------- 6. --set values


@pytest.mark.parametrize("value, message", [
    ("&a x", "found the anchor &a, expected every value written out"),
    ("[*a]", "found the alias *a, expected every value written out"),
    ("!!python/name:os.system x", "found the tag !!python/name:os.system, expected no tag"),
    ("!!int abc", "found 'abc' tagged !!int, expected a whole number"),
    ("2026-01-01", "found '2026-01-01', which YAML reads as a date"),
    ("9" * 5000, "found a 5000-digit number, expected a finite number"),
    ("[" * 200 + "]" * 200, f"nested more than 64 levels deep"),
    ("{<<: {a: 1}}", "found a merge key (<<)"),
])
def test_set_values_go_through_the_same_reader(value, message):
    tiny_file = str(ROOT / "tests" / "data" / "tiny.yaml")
    found = problems(tiny_file, overrides=[f"name={value}"])
    assert len(found) == 1 and found[0].startswith("--set: name") and message in found[0], found
    assert f"--set: name" in cli("validate", tiny_file, "--set", f"name={value}")
    assert message in cli("validate", tiny_file, "--set", f"name={value}")


def test_a_set_path_with_a_wildcard_is_refused_at_set():
    tiny_file = str(ROOT / "tests" / "data" / "tiny.yaml")
    found = problems(tiny_file, overrides=["catalog.*.name=x"])
    assert found == ["--set: found 'catalog.*.name', expected a path without '*' (a what-if's set takes wildcards)"]
    found = problems(tiny_file, overrides=["catalog.cheap.offers.ghost.upfront.value=1"])
    assert all(p.startswith("--set: catalog.cheap.offers.ghost") for p in found), found


# ---------------------------------------------------------------- 7. a period written twice


@pytest.mark.parametrize("series", ["{2026: 5, '2026': 6}", "{'2026': 5, 2026: 6}"])
def test_a_period_written_twice_in_a_series_is_refused(tmp_path, series):
    path = tiny(tmp_path, f"training: {{demand: {series}, voll: 1000}}", "training: {demand: 100, voll: 1000}")
    first, second = ("2026", "'2026'") if series.startswith("{2026") else ("'2026'", "2026")
    expected = (f"{path}:{DEMAND_LINE}: workloads.training.demand: found period 2026 twice ({first} and {second}), "
                "expected each period once")
    assert problems(path) == [expected]
    assert expected in cli("validate", str(path))


def test_a_period_written_twice_in_a_vendor_file_or_reached_by_a_whatif_is_refused(tmp_path):
    cap_line = TINY.splitlines().index("        supply_cap: {value: 60, source: test}") + 1
    path = tiny(tmp_path, "        supply_cap: {value: {2026: 60, '2026': 70}, source: test}",
                "        supply_cap: {value: 60, source: test}")
    expected = (f"{path}:{cap_line}: catalog.cheap.offers.rent.supply_cap.value: found period 2026 twice "
                "(2026 and '2026'), expected each period once")
    assert expected in problems(path)
    whatif = tmp_path / "w.yaml"
    whatif.write_text("description: x\nchanges:\n  - scale: workloads.training.demand\n    by: 2\n    from: 2026\n")
    doubled = tiny(tmp_path, "training: {demand: {2026: 5, '2026': 6}, voll: 1000}",
                   "training: {demand: 100, voll: 1000}", file="doubled.yaml")
    expected = f"{whatif}:3: changes[0].scale: found period 2026 twice (2026 and '2026'), expected each period once"
    assert problems(doubled, whatifs=[whatif]) == [expected]
    assert expected in cli("validate", str(doubled), "--whatif", str(whatif))


def test_a_year_and_a_quarter_of_it_are_different_periods(tmp_path):
    path = tiny(tmp_path, "periods: {start: 2026, end: 2026, step: quarter}", "periods: {start: 2026, end: 2026}")
    path.write_text(path.read_text().replace("demand: 100", "demand: {2026: 100, 2026Q3: 50}"))
    assert cpo.load(path).config.workloads["training"].demand == {"2026": 100.0, "2026Q3": 50.0}


@pytest.mark.parametrize("key", ['"2026\\n"', '"٢٠٢٦"'])
def test_period_keys_are_four_ascii_digits(tmp_path, key):
    path = tiny(tmp_path, f"training: {{demand: {{{key}: 5}}, voll: 1000}}", "training: {demand: 100, voll: 1000}")
    found = problems(path)
    assert len(found) == 1 and "workloads.training.demand: found key" in found[0], found
    assert "expected a year like 2027 or a quarter like 2027Q3" in cli("validate", str(path))


# ---------------------------------------------------------------- 8. catalog_dir from --set and what-ifs


@pytest.fixture
def other_catalog(tmp_path, monkeypatch):
    """A copy of the repo's vendors/ with Nvidia renamed, in tmp_path/other; the cwd is tmp_path."""
    other = tmp_path / "other"
    other.mkdir()
    for vendor in (ROOT / "vendors").glob("*.yaml"):
        (other / vendor.name).write_text(vendor.read_text().replace("name: NVIDIA", "name: Other NVIDIA", 1))
    monkeypatch.chdir(tmp_path)
    return other


def test_set_catalog_dir_reads_that_catalog_relative_to_the_current_directory(other_catalog):
    small_lab = ROOT / "examples" / "small-lab.yaml"
    assert cpo.load(small_lab).config.catalog["nvidia"].name == "NVIDIA"
    for overrides in (["catalog_dir=other"], {"catalog_dir": "other"}):
        scenario = cpo.load(small_lab, overrides=overrides)
        assert scenario.config.catalog["nvidia"].name == "Other NVIDIA"
        assert scenario.tree.locate(("catalog", "nvidia", "name")).file == str(other_catalog / "nvidia.yaml")
    result = CliRunner().invoke(app, ["validate", str(small_lab), "--set", "catalog_dir=other", "--show-effective"])
    assert result.exit_code == 0, result.output


def test_a_missing_catalog_dir_is_located_at_set(other_catalog):
    small_lab = str(ROOT / "examples" / "small-lab.yaml")
    missing = other_catalog.parent / "missing"
    expected = f"--set: catalog_dir: found '{missing}', expected a directory of vendor YAML files"
    assert problems(small_lab, overrides=["catalog_dir=missing"]) == [expected]
    assert expected in cli("validate", small_lab, "--set", "catalog_dir=missing")
    assert problems(small_lab, overrides={"catalog_dir": 5}) == ["--set: catalog_dir: found 5, expected a directory path"]


@pytest.mark.parametrize("change", ["set: catalog_dir\n    to: other", "add: catalog_dir\n    value: other"])
def test_a_whatif_cannot_change_catalog_dir(tmp_path, other_catalog, change):
    scenario = ROOT / "examples" / "small-lab.yaml" if change.startswith("set") else tiny(tmp_path)
    whatif = tmp_path / "w.yaml"
    whatif.write_text(f"description: another catalog\nchanges:\n  - {change}\n")
    operation = change.split(":")[0]
    expected = (f"{whatif}:3: changes[0].{operation}: catalog_dir cannot change in a what-if (the catalog is read "
                "before what-ifs apply), expected it in the scenario, or on the command line: --set catalog_dir=DIR")
    assert problems(scenario, whatifs=[whatif]) == [expected]
    assert expected in cli("validate", str(scenario), "--whatif", str(whatif))


# ---------------------------------------------------------------- 9. huge sweep grids


def test_a_grid_of_billions_of_points_is_refused_before_it_is_built(tmp_path):
    grid = tmp_path / "grid.yaml"
    parameters = {f"p{i}": {"scale": "workloads.training.demand", "values": [1 + j / 100 for j in range(40)]}
                  for i in range(6)}
    grid.write_text(yaml.safe_dump({"description": "huge", "parameters": parameters}))
    expected = (f"{grid}:2: parameters: found 40 x 40 x 40 x 40 x 40 x 40 = 4,096,000,000 points, "
                "expected at most 100,000")
    assert expected in run_library("grid", str(grid), timeout=30)
    assert expected in run_cpo("sweep", str(ROOT / "tests" / "data" / "tiny.yaml"), "--grid", str(grid), timeout=30)


def test_a_points_list_over_the_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(importlib.import_module("optimizer.sweeps"), "MAX_POINTS", 10)  # 100,000 points parse in seconds: the same check, faster
    grid = tmp_path / "grid.yaml"
    grid.write_text("description: many\npoints:\n" + "  - {changes: []}\n" * 11)
    with pytest.raises(cpo.ConfigError) as caught:
        read_grid(grid)
    assert str(caught.value) == f"{grid}:2: points: found 11 points, expected at most 10"


# ---------------------------------------------------------------- 10. keys, bytes, line endings


@pytest.mark.parametrize("key, read_as", [("yes", "True"), ("null", "None"), ("1.5", "1.5"), ("on", "True")])
def test_a_key_yaml_reads_as_a_non_name_is_located(tmp_path, key, read_as):
    path = tiny(tmp_path, f"name: tiny\n{key}: 3")
    refused(f"{path}:{NAME_LINE + 1}: found the key '{key}', which YAML reads as {read_as}, expected a name: quote it",
            path)


def test_a_number_where_an_id_is_expected_names_the_key(tmp_path):
    path = tiny(tmp_path, "  training: {demand: 100, voll: 1000}\n  7: {demand: 1, voll: 1}",
                "  training: {demand: 100, voll: 1000}")
    expected = f"{path}:{DEMAND_LINE + 1}: workloads.7: found the key 7, expected a name: quote it ('7')"
    assert expected in problems(path)
    assert expected in cli("validate", str(path))


def test_a_key_with_a_newline_is_shown_on_one_line(tmp_path):
    path = tiny(tmp_path, '  training: {demand: 100, voll: 1000}\n  "b\\nc": {demand: 1, voll: 1}',
                "  training: {demand: 100, voll: 1000}")
    assert any(p.startswith(f"{path}:{DEMAND_LINE + 1}: workloads['b\\nc']: found 'b\\nc'") for p in problems(path))


def test_nul_bytes_and_bad_utf8_are_located_by_line(tmp_path):
    nul = tmp_path / "nul.yaml"
    nul.write_bytes(TINY.replace("name: tiny", "name: ti\x00ny").encode())
    assert problems(nul) == [f"{nul}:{NAME_LINE}: found a NUL byte (binary content), expected YAML text"]
    latin = tmp_path / "latin.yaml"
    latin.write_bytes(TINY.replace("name: tiny", "name: caf\xe9").encode("latin-1"))
    expected = f"{latin}:{NAME_LINE}: found the byte 0xe9, which is not UTF-8, expected a UTF-8 text file"
    assert problems(latin) == [expected]
    assert expected in cli("validate", str(latin))
    escaped = tiny(tmp_path, 'name: "ti\\0ny"', file="escaped.yaml")
    assert problems(escaped) == [f"{escaped}:{NAME_LINE}: name: found a NUL character (\\0), expected text without one"]


def test_a_byte_order_mark_and_crlf_line_endings_still_read(tmp_path):
    path = tmp_path / "windows.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TINY.replace("\n", "\r\n").encode())
    assert cpo.load(path).config.name == "tiny"
    bad = tmp_path / "windows-bad.yaml"
    bad.write_bytes(b"\xef\xbb\xbf" + TINY.replace("voll: 1000", "voll: -1").replace("\n", "\r\n").encode())
    assert problems(bad) == [f"{bad}:{DEMAND_LINE}: workloads.training.voll: found -1, expected a number > 0"]


YAML_PIECES = ["\n", "\r\n", " ", "  ", "\t", "- ", ": ", "? ", ",", "[", "]", "{", "}", "#", "'", '"', "|", ">",
               "&a ", "*a", "<<: ", "!!int ", "!!float ", "!!binary ", "!!python/name:os.system ", "!x ", "!!set ",
               "0b_", "0x_", "1e999", "9" * 400, ".nan", "2026-01-01", "=", "~", "yes", "null", "name", "2027",
               "'2027'", "2027Q3", "x", "\\0", "\x85", "\ufeff", "%YAML 1.1", "---", "..."]


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(st.sampled_from(YAML_PIECES), max_size=40))
def test_any_text_either_loads_or_is_a_located_config_error(tmp_path_factory, pieces):
    path = tmp_path_factory.mktemp("fuzz") / "any.yaml"
    path.write_text("".join(pieces), encoding="utf-8", newline="")
    try:
        cpo.load(path)
    except cpo.ConfigError as exc:
        assert all(p.location is not None and p.location.file == str(path) for p in exc.problems), exc.problems


def test_overrides_from_python_keep_their_values_through_compare(tmp_path):
    """compare re-loads the scenario with its overrides: as (path, value) pairs, so the text
    'yes' stays text (re-read as YAML it was true) and the what-if applies on top."""
    from optimizer.comparison import run_outcomes

    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    scenario = cpo.load(path, overrides={"name": "yes", "workloads.training.demand": 50})
    assert scenario.override_items == (("name", "yes"), ("workloads.training.demand", 50))
    assert [o.total_cost_usd for o in run_outcomes(scenario, [])] == [100.0]


def test_a_huge_whole_number_from_python_is_located_not_printed(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    with pytest.raises(cpo.ConfigError) as caught:
        cpo.load(path, overrides={"discount_rate": 10**5000})
    assert [str(p) for p in caught.value.problems] == ["--set: discount_rate: found a 5001-digit number, expected a number"]


def test_figures_beyond_a_quadrillion_are_located_errors(tmp_path):
    """A demand of 1e300 once reached HiGHS, which rejected the model (exit 4): it is a field error."""
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    result = cli("solve", str(path), "--set", "workloads.training.demand=1e300")
    assert "--set: workloads.training.demand: found 1e+300, expected a number of size at most 1e+15" in result


def test_error_lines_are_never_wrapped_in_a_narrow_terminal(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY.replace("voll: 1000", "voll: -1"))
    completed = subprocess.run([sys.executable, "-m", "optimizer", "validate", str(path)], capture_output=True,
                               text=True, env={**os.environ, "COLUMNS": "40"}, cwd=ROOT)
    assert completed.returncode == 1
    assert f"  - {path}:{DEMAND_LINE}: workloads.training.voll: found -1, expected a number > 0\n" in completed.stderr
