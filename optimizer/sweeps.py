"""Sweeps: many variations of a scenario, solved on a Dask cluster, streamed to disk.

A grid file (YAML) names the variations:

    description: Nvidia prices against Trainium efficiency
    whatifs: [whatif/as-of-2025-12.yaml]         # optional layers under every point (relative to the grid)
    objective: cost                              # optional
    parameters:                                  # the cartesian product of their values
      nvidia_price:
        scale: catalog.nvidia.offers.*.upfront   # any what-if change; the value fills `by` (or `to` for set)
        values: [0.8, 1.0, 1.2]
      trainium_efficiency:
        scale: catalog.aws-trainium.products.*.throughput.*.efficiency
        values: [0.6, 0.8, 1.0]
    # or, instead of parameters, an explicit list:
    points:
      - {name: cheap-nvidia, changes: [{scale: catalog.nvidia.offers.*.upfront, by: 0.8}]}

Each point becomes one task: load the scenario, apply the grid's what-ifs and the point's
changes, solve, reduce to one row. Tasks run on Dask distributed: a local cluster of
`workers` processes, or an existing cluster at `scheduler`. Each finished point is written
at once to `OUT/points/NNNNN.json` (atomically), so a killed sweep loses nothing and `resume`
skips what is done, provided the inputs' content is unchanged (`OUT/sweep.json` keeps their
hashes); at the end the rows are gathered into `OUT/results.csv` (or .parquet).
A point that fails (a bad change, an infeasible scenario) is a row with its status and reason.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from .errors import ConfigError, Location, Problem
from .loading import format_path, read_yaml

PARAMETER_VALUE_FIELD = {"set": "to", "scale": "by", "delay": "by"}


@dataclass(frozen=True)
class Point:
    index: int
    name: str
    parameters: dict[str, Any]
    changes: tuple[tuple[dict, Location], ...]


@dataclass(frozen=True)
class Grid:
    path: Path
    description: str
    whatifs: tuple[str, ...]
    objective: str | None
    points: tuple[Point, ...]


MAX_POINTS = 100_000
"""The most points one grid may make (each point is a solve)."""


def read_grid(path: str | Path) -> Grid:
    """Parse and check a grid file (structure only: a point's changes are checked when it runs).
    A grid of more than MAX_POINTS points is refused before any point is built."""
    path = Path(path)
    tree = read_yaml(path)
    data = tree.data
    problems: list[Problem] = []

    def problem(where: tuple, message: str) -> None:
        problems.append(Problem(tree.locate(where), format_path(where), message))

    for key in sorted(set(data) - {"description", "whatifs", "objective", "parameters", "points"}):
        problem((key,), "unknown field, expected one of: description, objective, parameters, points, whatifs")
    description = data.get("description") or path.stem
    whatifs = data.get("whatifs") or []
    if not isinstance(whatifs, list) or not all(isinstance(w, str) for w in whatifs):
        problem(("whatifs",), f"found {whatifs!r}, expected a list of what-if files")
        whatifs = []
    whatifs = tuple(str((path.parent / w).resolve()) for w in whatifs)
    objective = data.get("objective")
    points: list[Point] = []
    if ("parameters" in data) == ("points" in data):
        problem((), "expected either parameters (a cartesian grid) or points (an explicit list), not both or neither")
    elif "parameters" in data:
        points = _product(data["parameters"], tree, problem)
    else:
        points = _listed(data["points"], tree, problem)
    if problems:
        raise ConfigError(problems)
    return Grid(path, str(description), whatifs, objective, tuple(points))


def _product(parameters: Any, tree, problem) -> list[Point]:
    """The cartesian product of the parameters' values, counted before it is built."""
    if not isinstance(parameters, dict) or not parameters:
        problem(("parameters",), "expected a mapping of parameter name -> {<operation>: PATH, values: [...]}")
        return []
    axes = []
    for name, spec in parameters.items():
        where = ("parameters", name)
        operations = [op for op in PARAMETER_VALUE_FIELD if isinstance(spec, dict) and op in spec]
        if len(operations) != 1 or not isinstance(spec.get("values"), list) or not spec["values"]:
            problem(where, "expected exactly one of set, scale, delay (with a path) and a non-empty list of values")
            continue
        operation = operations[0]
        extra = set(spec) - {operation, "values", "from", "until"}
        if extra:
            problem(where + (sorted(extra)[0],), "unknown field, expected one of: from, until, values and the operation")
            continue
        location = tree.locate(where + (operation,))
        template = {k: v for k, v in spec.items() if k != "values"}
        axes.append([(name, value, ({**template, PARAMETER_VALUE_FIELD[operation]: value}, location))
                     for value in spec["values"]])
    count = 1
    for axis in axes:
        count *= len(axis)
    if count > MAX_POINTS:
        sizes = " x ".join(str(len(axis)) for axis in axes)
        problem(("parameters",), f"found {sizes} = {count:,} points, expected at most {MAX_POINTS:,}: "
                                 "use fewer values, or list the points wanted under points:")
        return []
    points = []
    for index, combination in enumerate(itertools.product(*axes)):
        values = {name: value for name, value, _ in combination}
        label = ",".join(f"{name}={value}" for name, value in values.items())
        points.append(Point(index, label, values, tuple(change for _, _, change in combination)))
    return points


def _listed(items: Any, tree, problem) -> list[Point]:
    """The points listed, each with its changes located."""
    if not isinstance(items, list) or not items:
        problem(("points",), "expected a non-empty list of {name, changes}")
        return []
    if len(items) > MAX_POINTS:
        problem(("points",), f"found {len(items):,} points, expected at most {MAX_POINTS:,}")
        return []
    points = []
    for index, item in enumerate(items):
        where = ("points", index)
        if not isinstance(item, dict) or not isinstance(item.get("changes"), list):
            problem(where, "expected {name: ..., changes: [...]}")
            continue
        changes = tuple((change, tree.locate(where + ("changes", k))) for k, change in enumerate(item["changes"]))
        points.append(Point(index, str(item.get("name", f"point{index}")), {}, changes))
    return points


# ---------------------------------------------------------------- one point


def run_point(config: str, grid_whatifs: tuple[str, ...], point: Point, objective: str | None,
              solver: str = "highs", commitments=None, overrides: tuple = (), relax: bool = False) -> dict[str, Any]:
    """Solve one point (with `commitments` held: the point as a surprise after them; `overrides`
    as api.load's, applied last); every outcome (including bad input and infeasibility) becomes
    a row: cost, the objective minimised, unmet demand, vendor shares of served compute. With
    `relax`, held signings that cannot meet the point's policy rules are solved without them, the
    rules broken in `findings` (evaluation.relaxed, as cpo evaluate does)."""
    from .api import load, solve
    from .errors import CpoError, InfeasibleError

    started = time.perf_counter()
    row: dict[str, Any] = {"point": point.index, "name": point.name, **point.parameters}
    findings: list[str] = []
    try:
        scenario = load(config, whatifs=grid_whatifs, changes=point.changes, commitments=commitments,
                        overrides=list(overrides))
        try:
            result = solve(scenario, objective=objective, solver=solver)
        except InfeasibleError:
            if not relax or commitments is None:
                raise
            from .evaluation import relaxed

            result, findings = relaxed(scenario, objective, solver)
    except ConfigError as exc:
        return {**row, "status": "bad input", "reason": "; ".join(str(p) for p in exc.problems),
                "seconds": time.perf_counter() - started}
    except CpoError as exc:
        status = "infeasible" if type(exc).__name__ == "InfeasibleError" else "failed"
        reason = "; ".join(getattr(exc, "diagnosis", [])[:2]) or str(exc).splitlines()[0]
        return {**row, "status": status, "reason": reason, "seconds": time.perf_counter() - started}
    years = {p.name: p.years for p in result.data.periods}
    served = {v: 0.0 for v in result.data.vendors}
    for plan_row in result.tables["plan"]:
        served[plan_row["vendor"]] += plan_row["served_h100e"] * years[plan_row["period"]]
    total_served = sum(served.values()) or 1.0
    demand = sum(r["demand_h100e"] * years[r["period"]] for r in result.tables["unmet"]) or 1.0
    unmet = sum(r["h100e"] * years[r["period"]] for r in result.tables["unmet"])
    return {**row, "status": result.status, "reason": "", "total_cost_usd": result.total_cost_usd,
            "objective_usd": result.minimised_usd, "expected_disruption_usd": result.expected_disruption_usd,
            "unmet_share": unmet / demand,
            **{f"share_{v}": s / total_served for v, s in served.items()},
            **({"findings": "; ".join(findings)} if relax else {}), "seconds": time.perf_counter() - started}


# ---------------------------------------------------------------- the sweep


def run_sweep(config: str | Path, grid: Grid, out: Path | None = None, workers: int | None = None,
              scheduler: str | None = None, resume: bool = False, solver: str = "highs",
              on_result: Callable[[dict], None] | None = None, fmt: str = "csv",
              commit_until: str | int | None = None, overrides: tuple = ()) -> list[dict[str, Any]]:
    """Run every point not already done in `out`; return all rows, in point order, their keys in
    the order of results.csv's columns (_columns).

    commit_until: a year (or quarter): the base plan's signings up to then are held at every
    point, which comes as a surprise after them (commitments.py).
    overrides: (PATH, value) pairs applied to the base at every point (api.load's), e.g. a
    Scenario's own `--set`.

    workers: processes of a local Dask cluster (default: the cores); 0 runs in this process.
    scheduler: address of an existing Dask scheduler (tcp://HOST:PORT) instead of a local cluster.
    out: the sweep's directory (see _prepare_out); its sweep.json records how it was made and,
    at the end, the SHA-256 of every file written."""
    config = str(Path(config).resolve())
    held = _held_signings(config, grid, solver, commit_until, overrides) if commit_until is not None else None
    done: dict[int, dict] = {}
    if out is not None:
        out = Path(out)
        made = _sweep_manifest(config, grid, solver, commit_until, overrides)
        done = _prepare_out(out, made, resume)
    todo = [p for p in grid.points if p.index not in done]

    def finished(row: dict) -> None:
        """Keep a finished point's row: on disk at once (a kill loses nothing), then in memory."""
        if out is not None:
            _write_json(out / "points" / f"{row['point']:05d}.json", row)
        done[row["point"]] = row
        if on_result is not None:
            on_result(row)

    if todo:
        run_tasks(run_point, [(config, grid.whatifs, point, grid.objective, solver, held, overrides) for point in todo],
                  workers, scheduler, finished)
    columns = _columns(done.values(), grid)
    rows = [{key: done[i][key] for key in columns if key in done[i]} for i in sorted(done)]
    if out is not None:
        write_rows(rows, columns, out, fmt)
        _write_json(out / SWEEP_MANIFEST, {**made, "files": _file_hashes(out)})
    return rows


def _held_signings(config: str, grid: Grid, solver: str, commit_until, overrides: tuple = ()):
    """The base plan's signings (the grid's what-ifs on the scenario) up to `commit_until`."""
    from .api import load, solve
    from .commitments import from_result

    return from_result(solve(load(config, whatifs=grid.whatifs, overrides=list(overrides)), objective=grid.objective,
                             solver=solver),
                       commit_until)


def run_tasks(function: Callable[..., dict], tasks: list[tuple], workers: int | None, scheduler: str | None,
              finished: Callable[[dict], None]) -> None:
    """function(*task) for every task: in this process (workers 0, no scheduler), or on Dask (a
    local cluster of `workers` processes, default the cores, or the cluster at `scheduler`),
    calling `finished(row)` in this process as each completes; the client and cluster always
    close."""
    if workers == 0 and scheduler is None:
        for task in tasks:
            finished(function(*task))
        return
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(scheduler, timeout="30s")
    try:
        futures = [client.submit(function, *task, pure=False, key=f"cpo-task-{i}-{time.time_ns()}")
                   for i, task in enumerate(tasks)]
        for future in as_completed(futures):
            finished(future.result())
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


SWEEP_MANIFEST = "sweep.json"
RESUME_KEY = {
    "effective_config_sha256": "the scenario (its effective config after the grid's what-ifs, catalog included)",
    "whatifs_sha256": "the grid's what-if files",
    "grid_sha256": "the grid file",
    "solver": "the solver",
    "objective": "the objective",
    "cpo_version": "the cpo version",
    "commit_until": "--commit-until",
}
"""What a resumed sweep must share with the interrupted one, by content (not by path), and
what each is called when it differs."""


def _sweep_manifest(config: str, grid: Grid, solver: str, commit_until=None, overrides: tuple = ()) -> dict[str, Any]:
    """sweep.json: how the sweep is made (outputs.manifest of the base scenario, the grid an
    input), the number of points, and `resume_key` (RESUME_KEY's fields)."""
    from .api import load
    from .outputs import cpo_version, effective_config_sha256, file_hash, manifest

    base = load(config, whatifs=grid.whatifs, overrides=list(overrides))
    objective = grid.objective or base.config.objective
    key = {"effective_config_sha256": effective_config_sha256(base),
           "whatifs_sha256": [file_hash(w) for w in grid.whatifs], "grid_sha256": file_hash(grid.path),
           "solver": solver, "objective": objective, "cpo_version": cpo_version(),
           "commit_until": None if commit_until is None else str(commit_until)}
    return {**manifest(base, {"command": "sweep", "solver": solver, "objective": objective,
                              "commit_until": key["commit_until"]}, inputs=[grid.path]),
            "points": len(grid.points), "resume_key": key}


def _prepare_out(out: Path, made: dict[str, Any], resume: bool) -> dict[int, dict]:
    """Check (or create) the sweep directory `out` and write its sweep.json (`made`); the rows
    already done, when resuming. Refuses, changing nothing: a non-empty directory without a
    sweep.json (OutputError); a sweep, without `resume` (ConfigError at --out); with `resume`, a
    sweep made from other inputs (ConfigError at --resume, one problem per RESUME_KEY field
    that differs). cpo never deletes anything in a sweep directory."""
    from .outputs import directory_entries, listing, refusal, remove_stale_staging

    entries = directory_entries(out, "a new or empty directory, or a cpo sweep to --resume") or []
    if entries:
        before = _read_sweep_manifest(out)
        if before is None:
            raise refusal(out, f"{listing(entries)} and no {SWEEP_MANIFEST} of cpo's",
                          "a new or empty directory, or a cpo sweep to --resume")
        if not resume:
            raise ConfigError([Problem(Location("--out"), str(out), "already holds a sweep, expected an empty "
                                       "or new directory (or --resume to finish that sweep)")])
        differences = _differences(before.get("resume_key"), made["resume_key"])
        if differences:
            raise ConfigError([Problem(Location("--resume"), str(out), line) for line in differences])
    (out / "points").mkdir(parents=True, exist_ok=True)
    for directory in (out, out / "points"):
        remove_stale_staging(directory)
    _write_json(out / SWEEP_MANIFEST, made)
    rows = (json.loads(file.read_text()) for file in sorted((out / "points").glob("[0-9]*.json")))
    return {row["point"]: row for row in rows}


def _read_sweep_manifest(out: Path) -> dict | None:
    """`out`'s sweep.json, or None if there is none or it is not one cpo wrote."""
    try:
        document = json.loads((out / SWEEP_MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) and "points" in document else None


def _differences(before: Any, now: dict[str, Any]) -> list[str]:
    """One sentence per RESUME_KEY field in which the interrupted sweep (`before`) and this one differ."""
    if not isinstance(before, dict):
        return ["holds a sweep made by an earlier cpo, whose sweep.json records no content hashes; expected a "
                "sweep this cpo can check (start it again in a new --out)"]
    return [f"{meaning}: found {_shown(before.get(field))} in the interrupted sweep, {_shown(now[field])} now; "
            "expected the same to resume (or start a new --out)"
            for field, meaning in RESUME_KEY.items() if before.get(field) != now[field]]


def _shown(value: Any) -> str:
    """A key's value as the message shows it: hashes shortened to 12 digits."""
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    if isinstance(value, str) and len(value) == 64:
        return f"sha256 {value[:12]}"
    return repr(value)


def _write_json(target: Path, document: Any) -> None:
    """`document` as indented JSON with sorted keys, written atomically (outputs.write_file;
    _prepare_out removed stale staging from the sweep's folders once)."""
    from .outputs import write_file

    write_file(target, (json.dumps(document, indent=1, sort_keys=True, default=str) + "\n").encode(), tidy=False)


def _file_hashes(out: Path) -> dict[str, str]:
    """SHA-256 of results.* and of each point file, by path relative to `out`."""
    from .outputs import file_hash

    files = sorted([*out.glob("results.*"), *(out / "points").glob("[0-9]*.json")])
    return {file.relative_to(out).as_posix(): file_hash(file) for file in files}


FIGURES = ("total_cost_usd", "objective_usd", "expected_disruption_usd", "unmet_share")


def _columns(rows: Iterable[dict], grid: Grid) -> list[str]:
    """results.csv's columns, the same whether points were resumed or not: point, name, the
    grid's parameters in grid order, status, reason, FIGURES, share_<vendor> sorted, seconds;
    then any other key, sorted. Only keys some row has."""
    keys = set().union(*rows)
    parameters = dict.fromkeys(name for point in grid.points for name in point.parameters)
    shares = sorted(key for key in keys if key.startswith("share_"))
    known = list(dict.fromkeys(key for key in ("point", "name", *parameters, "status", "reason", *FIGURES, *shares,
                                               "seconds") if key in keys))
    return known + sorted(keys - set(known))


def write_rows(rows: list[dict], columns: list[str], out: Path, fmt: str = "csv") -> Path:
    """The tidy table of all rows, `columns` in that order, CSV or Parquet, atomically."""
    import pandas as pd

    from .outputs import staged_file

    frame = pd.DataFrame(rows, columns=columns)
    target = out / f"results.{fmt}"
    with staged_file(target) as staging:
        if fmt == "parquet":
            frame.to_parquet(staging, index=False)
        else:
            frame.to_csv(staging, index=False)
    return target


def sweep(scenario, grid: str | Path, out: str | Path | None = None, workers: int | None = None,
          scheduler: str | None = None, resume: bool = False, solver: str = "highs", fmt: str = "csv",
          commit_until: str | int | None = None, progress: Callable[[dict], None] | None = None):
    """Library entry: run a grid file's sweep on `scenario` (a path, or a Scenario: its what-ifs
    under the grid's, its overrides at every point); a DataFrame with one row per point (with
    `commit_until`, each point a surprise after the base plan's signings up to then);
    progress(row) as each point finishes."""
    import pandas as pd

    from .errors import UsageError

    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 0):
        raise UsageError(f"workers: found {workers!r}, expected a whole number >= 0 (0 or None: one per CPU)")
    if progress is not None and not callable(progress):
        raise UsageError(f"progress: found {progress!r}, expected a function called with each point's row")
    parsed = read_grid(grid)
    overrides: tuple = ()
    if not isinstance(scenario, (str, Path)):
        from dataclasses import replace

        parsed = replace(parsed, whatifs=(*scenario.whatifs, *parsed.whatifs))
        overrides, scenario = tuple(scenario.override_items), scenario.path
    rows = run_sweep(scenario, parsed, Path(out) if out else None, workers, scheduler, resume, solver,
                     on_result=progress, fmt=fmt, commit_until=commit_until, overrides=overrides)
    return pd.DataFrame(rows)
