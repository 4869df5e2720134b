"""The library entry points: `load` a scenario, `solve` it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from .data import ModelData, build_data
from .errors import InfeasibleError, SolverError, UsageError
from .loading import Location, Tree, load_tree, override_path, parse_override, set_path, validate_tree
from .schema import Config


@dataclass(repr=False)
class Scenario:
    """A validated scenario: its config (catalog included), where each value came from, and
    the indexed data the model is built from."""

    config: Config
    tree: Tree = field(repr=False)
    data: ModelData = field(repr=False)
    path: Path
    whatifs: tuple[str, ...] = ()
    overrides: tuple[str, ...] = ()
    """The overrides as `PATH=VALUE` text (for manifests and messages)."""
    override_items: tuple[tuple[str, Any], ...] = ()
    """The same overrides as (PATH, value) pairs, in order: what re-loading the scenario takes
    (compare), since text would re-read a value ('yes' as true)."""
    changes: tuple = ()
    """Every value the what-ifs and overrides changed (layers.Change), in order."""
    load_seconds: float = 0.0
    commitments: Any = None
    """The signings the lab holds (commitments.Commitments), fixed in the model, or None."""

    @property
    def name(self) -> str:
        return self.config.name

    def __repr__(self) -> str:
        data = self.data
        layers = f", whatifs={[Path(w).name for w in self.whatifs]}" if self.whatifs else ""
        overrides = f", overrides={list(self.overrides)}" if self.overrides else ""
        held = ", with held signings" if self.commitments is not None else ""
        return (f"<Scenario {self.name!r} from {self.path}: {data.periods[0].name}-{data.periods[-1].name} "
                f"({len(data.periods)} periods), {len(data.workloads)} workloads, {len(data.vendors)} vendors, "
                f"{len(data.offers)} offers{layers}{overrides}{held}>")


def load(config: str | Path, whatifs: Iterable[str | Path] = (),
         overrides: Mapping[str, Any] | Iterable[str | tuple[str, Any]] | None = None,
         changes: Iterable[tuple[dict, Location]] = (), commitments=None, here_and_now=None) -> Scenario:
    """Read a scenario and its vendor catalog, apply what-if layers, then `changes` (what-if
    changes given directly, e.g. a sweep point's, each with its location), then overrides;
    validate.

    `overrides` is {"policy.resilience.critical_fraction": 0.8}, ["PATH=VALUE", ...] (the value
    read as YAML) or [(PATH, value), ...]. An override of `catalog_dir` picks the catalog read
    (relative to the current directory). `commitments` (commitments.Commitments, from a plan or
    a plan.csv) are signings the lab already holds: fixed in the model, and honoured whatever
    the what-ifs do (commitments.py). `here_and_now` (data.HereAndNow) limits what can be signed
    in its periods (a stochastic plan's first stage, stochastic.py).
    Raises ConfigError listing every located problem.
    """
    from .layers import Change, apply_change, apply_whatif

    started = time.perf_counter()
    pairs = overrides.items() if isinstance(overrides, Mapping) else overrides or []
    items = [(*parse_override(item), item) if isinstance(item, str)
             else (override_path(item[0]), item[1], f"{item[0]}={_shown(item[1])}") for item in pairs]
    catalog_dirs = [value for path, value, _ in items if path == ("catalog_dir",)]
    tree = load_tree(config, catalog_dirs[-1]) if catalog_dirs else load_tree(config)
    whatifs = tuple(str(w) for w in whatifs)
    extra_changes = list(changes)
    changes: list = []
    for whatif in whatifs:
        changes += apply_whatif(tree, Path(whatif))
    for change, location in extra_changes:
        changes += apply_change(tree, change, location)
    applied = []
    for path, value, text in items:
        before = _lookup(tree.data, path)
        set_path(tree, path, value, Location("--set"))
        changes.append(Change(text.split("=", 1)[0], before, value, Location("--set")))
        applied.append(text)
    validated = validate_tree(tree)
    data = build_data(validated, tree, commitments, here_and_now)
    override_items = tuple((text.split("=", 1)[0], value) for _, value, text in items)
    return Scenario(validated, tree, data, Path(config), whatifs, tuple(applied), override_items, tuple(changes),
                    time.perf_counter() - started, commitments)


def _shown(value: Any) -> str:
    """A value as text for `PATH=VALUE` (a number too long to print is shown by its size)."""
    from .schema import shown

    return value if isinstance(value, str) else shown(value)


def _lookup(data: Any, path) -> Any:
    """The value at `path`, or None where it does not exist yet."""
    node = data
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def solve(scenario: Scenario, objective: str | None = None, solver: str = "highs",
          time_limit: float | None = None, verify: bool = True, progress=None, scenarios=None,
          solver_options: dict | None = None):
    """Solve the scenario; return a Result (see results.py).

    objective: multi-vendor (default from the scenario), cost, max-share or hhi.
    solver: highs (default), cbc, highs-pulp or pulp:NAME (any PuLP adapter, e.g. pulp:GUROBI);
    solver_options: HiGHS options ({"solver": "ipm", "threads": 2}), or the PuLP adapter's
    keyword arguments.
    progress: progress(stage, best_usd, bound_usd, seconds), called about once a second while
    a MILP runs (solver.Progress).
    scenarios: a scenario file (path, or scenarios.ScenarioSet): the stochastic plan instead, a
    stochastic.StochasticResult (objective cost or multi-vendor; progress(message) is told each
    step).
    A plan the solver found but did not prove optimal (a time or gap limit) comes back with
    status `time_limit` and a `message`, verified like any other.
    Raises InfeasibleError (with a diagnosis), SolverError, or VerificationError.
    """
    if scenarios is not None:
        from .scenarios import ScenarioSet, read_scenarios
        from .stochastic import solve_stochastic

        scenario_set = scenarios if isinstance(scenarios, ScenarioSet) else read_scenarios(scenarios, scenario)
        return solve_stochastic(scenario, scenario_set, objective, solver, time_limit, progress, verify)
    from .formulation import OBJECTIVES, build, paused_gc
    from .results import make_result
    from .solver import solve_model

    objective = objective or scenario.config.objective
    if objective not in OBJECTIVES:
        raise UsageError(f"objective: found {objective!r}, expected one of {', '.join(OBJECTIVES)}")
    started = time.perf_counter()
    # The cyclic collector stays paused from the build to the report (see paused_gc). The model
    # holds no reference cycles, so it is freed by reference counting when dropped below, and
    # the collector never scans its objects (on the large benchmark each scan of the live model
    # took 0.2-0.3 s, several times per solve).
    with paused_gc():
        model = build(scenario.data, objective)
        built = time.perf_counter()
        solution = solve_model(model, objective, solver, time_limit, progress, solver_options)
        if solution.status == "infeasible":
            from .diagnose import diagnose

            diagnosis = diagnose(model)
            raise InfeasibleError(f"scenario {scenario.name!r} has no feasible plan; to make it feasible:",
                                  diagnosis.lines(), diagnosis)
        if not solution.has_plan:
            raise SolverError(f"{solution.solver} stopped without a usable plan: {solution.message}")
        solved = time.perf_counter()
        result = make_result(model, solution, objective)
        del model
        if verify:
            result.verify()
    result.seconds.update(load=scenario.load_seconds, build=built - started, solve=solved - built,
                          report=time.perf_counter() - solved)
    LOG.info("%s: %s, %s by %s in %.2f s (load %.2f s, build %.2f s, report and verify %.2f s)", scenario.name,
             result.status, objective, result.solver, result.seconds["solve"], result.seconds["load"],
             result.seconds["build"], result.seconds["report"])
    return result


LOG = logging.getLogger("cpo")
