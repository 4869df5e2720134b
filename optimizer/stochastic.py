"""The stochastic plan: one set of here-and-now signings for every scenario, each scenario's own
recourse after them (docs/uncertainty.md has the formulas and a worked example).

Each scenario s of a scenario file (scenarios.py) is the base scenario with its what-ifs, built
as its own model, every family included (shares, resilience, deals), in the base's scale. Its
signings in the here-and-now periods (those ending by `until`) are limited to what the base can
sign then (data.HereAndNow: an order for a product that slips in s arrives late; an offer only
s has is signed after the stage). The scenarios' models sit side by side in one LP, the
deterministic equivalent:

    min  Σ_s p_s f_s + λ (η + 1/(1−α) Σ_s p_s ξ_s)
    stage[o,τ,s]:  x_s[o,τ] − x_{s₀}[o,τ] = 0     τ ≤ until; s₀ the first scenario that has o
    stage_sale[o,τ,t,s]:  sold_s[o,τ,t] − sold_{s₀}[o,τ,t] = 0     t ≤ until (resale: a sale at the
                   start of a stage period is decided now; later sales are each scenario's recourse.
                   Only a quarterly stage has such sales; EEV and a negligible scenario's re-solve
                   hold the signings alone, commitments carry no sales, so theirs are free)
    cvar[s]:       ξ_s + η − f_s ≥ 0,  ξ_s ≥ 0,  η free       (Rockafellar–Uryasev)

f_s is scenario s's deterministic objective (`cost` or `multi-vendor`: cost plus the priced
resilience and concentration terms). Reported, all in the same measure E + λ·CVaR:
- SP, the optimum; WS (wait and see), the same LP without the stage rows: each scenario with
  foresight (solved block by block, beside the SP solve); EEV, with every scenario's here-and-now signings fixed at the base plan's (the
  deterministic plan of the base scenario);
- EVPI = SP − WS ≥ 0 (what knowing the future would be worth), VSS = EEV − SP ≥ 0 (what
  planning for the scenarios saves over planning for the base); regret_s = f_s(SP) − f_s(WS).
WS ≤ SP ≤ EEV holds by construction: WS relaxes SP, EEV restricts it. A scenario cannot change
the signing caps of the here-and-now years (supply, resources, budget): those signings are made
before any scenario is known (check_stage).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pulp

from .errors import ConfigError, InfeasibleError, Location, Problem, SolverError, VerificationError
from .instruments import instrument_columns, values_by_resolve

NEGLIGIBLE = 1e-9
"""A scenario probability the LP cannot weigh: its recourse is re-solved after the plan (_recourse)."""
STAGE_OBJECTIVES = ("cost", "multi-vendor")
"""The deterministic parts a stochastic plan can weigh (max-share and hhi are lexicographic)."""


@dataclass
class Block:
    """One scenario's copy of the model inside the deterministic equivalent."""

    name: str
    probability: float
    description: str
    scenario: Any
    """api.Scenario."""
    model: Any
    """formulation.Model; its columns and rows renumbered to their place in the whole LP."""
    objective: pulp.LpAffineExpression
    """f_s in LP money."""


@dataclass
class StochasticResult:
    """A stochastic plan: the here-and-now signings, each scenario's outcome, and the value of
    information and of the stochastic solution."""

    status: str
    objective: str
    until: str
    summary: dict[str, Any]
    first_stage: list[dict[str, Any]]
    """offer, vendor, product, channel, site, period, acquired_units, base_units, change_units."""
    scenarios: list[dict[str, Any]]
    """One row per scenario: probability, f_s under SP, WS and EEV, regret, cost, unmet, shortfall, mix."""
    results: dict[str, Any] = field(repr=False, default_factory=dict)
    """Scenario name -> its Result under the stochastic plan (results.Result)."""
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict, repr=False)

    def frame(self, table: str):
        import pandas as pd

        return pd.DataFrame({"first_stage": self.first_stage, "scenarios": self.scenarios}[table])

    first_stage_plan = property(lambda self: self.frame("first_stage"), doc="The here-and-now signings.")
    scenario_table = property(lambda self: self.frame("scenarios"), doc="One row per scenario.")

    def to_json(self) -> dict[str, Any]:
        from .results import json_ready

        mix = [{"scenario": name, "vendor": row["member"], "period": row["period"], "share": row["share"]}
               for name, result in self.results.items() for row in result.tables["shares"]
               if row["group"] == "vendor" and row["measure"] == "compute"]
        return json_ready({"status": self.status, "objective": self.objective, "until": self.until,
                           **self.summary, "notes": self.notes, "first_stage": self.first_stage,
                           "scenarios": self.scenarios, "mix": mix})


# ---------------------------------------------------------------- the stage


def until_problems(data, until: str, where: Location) -> list[Problem]:
    """`until` must end a period of the horizon: with start S and end E of the horizon and e the
    end of `until`, S < e <= E and e is some period's end (a stage ending inside a period, before
    the horizon or after it is an error at `where`)."""
    from .data import period_end_time

    end, periods = period_end_time(until), data.periods
    names = [p.name for p in periods]
    names = names if len(names) <= 4 else [*names[:3], "...", names[-1]]
    expected = f"expected the end of a period of the horizon ({', '.join(names)})"
    if end <= periods[0].start + 1e-9 or end > periods[-1].end + 1e-9:
        side = "before the horizon starts" if end <= periods[0].start + 1e-9 else "after the horizon ends"
        return [Problem(where, "until", f"found {until}, {side} ({periods[0].name}-{periods[-1].name}), {expected}")]
    if not any(abs(p.end - end) < 1e-9 for p in periods):
        inside = next(p.name for p in periods if p.end > end)
        return [Problem(where, "until", f"found {until}, inside the period {inside}, {expected}")]
    return []


def here_and_now(data, until: str, source: str | Location):
    """The base's signings in the periods that end by the end of `until` (data.HereAndNow); a
    `until` that does not end a period of the horizon is an error at `source` (until_problems)."""
    from .data import FrozenDict, HereAndNow, period_end_time

    where = source if isinstance(source, Location) else Location(str(source))
    problems = until_problems(data, until, where)
    if problems:
        raise ConfigError(problems)
    end = period_end_time(until)
    source = where.file
    stage = frozenset(t for t, p in enumerate(data.periods) if p.end <= end + 1e-9)
    signable: dict[str, frozenset] = {}
    for offer in data.offers:
        periods = frozenset(data.periods[t].name for t in offer.signable if t in stage)
        if periods:
            signable[offer.key] = periods
    return HereAndNow(frozenset(data.periods[t].name for t in stage), FrozenDict(signable), source), stage


def check_stage(reference, data, name: str, stage: frozenset[int], where: Location) -> list[Problem]:
    """A scenario that changes a signing cap of a here-and-now year (a supply pool, a resource,
    the budget) is refused: those signings are decided before it is known."""
    problems = []
    years = [year for year in data.years if set(year.periods) <= stage]

    def caps(d) -> dict:
        found = {}
        for family, rows in (("supply", d.supply), ("resource", d.resources)):
            for cap in rows:
                for year in years:
                    found[f"{family}[{cap.name}] in {year.name}"] = sum(cap.cap[t] for t in year.periods)
        for year in years:
            if d.budget[year.periods[0]] is not None:
                found[f"budget in {year.name}"] = sum(d.budget[t] for t in year.periods)
        return found

    before, after = caps(reference), caps(data)
    for what in sorted(set(before) | set(after)):
        old, new = before.get(what), after.get(what)
        if old is None or new is None or abs(old - new) > 1e-9 * max(abs(old), abs(new), 1.0):
            problems.append(Problem(where, f"scenarios[{name}]",
                                    f"found it changing {what} ({_shown(old)} -> {_shown(new)}), inside the "
                                    "here-and-now stage, expected changes after it: those signings are decided "
                                    "before any scenario is known (start the change later, e.g. from: the next "
                                    "year, or end the stage earlier with until)"))
    return problems


def _shown(value) -> str:
    return "none" if value is None else f"{value:,.6g}"


# ---------------------------------------------------------------- the deterministic equivalent


def load_blocks(base, scenario_set, progress: Callable[[str], None] | None = None):
    """(blocks' scenarios, stage): every scenario of the set loaded on the base, its here-and-now
    signings limited to the base's; every problem located, all at once."""
    from .api import load

    stage, periods = here_and_now(base.data, scenario_set.until, scenario_set.until_where)
    scenarios, problems = [], []
    for i, spec in enumerate(scenario_set.scenarios):
        if progress is not None:
            progress(f"loading scenario {i + 1} of {len(scenario_set.scenarios)}: {spec.name}")
        try:
            loaded = load(base.path, whatifs=(*base.whatifs, *spec.whatifs), changes=spec.changes,
                          overrides=list(base.override_items), here_and_now=stage)
        except ConfigError as exc:
            problems += [Problem(p.location, p.path, f"(scenario {spec.name}) {p.message}") for p in exc.problems]
            continue
        problems += check_stage(base.data, loaded.data, spec.name, periods,
                                spec.location or Location(str(scenario_set.path)))
        scenarios.append(loaded)
    if problems:
        raise ConfigError(problems)
    return scenarios, periods


def assemble(blocks: list[Block], stage: frozenset[int], alpha: float, weight: float):
    """The deterministic equivalent as one formulation.Model (the blocks' columns and rows in
    order, then the stage and CVaR rows) and its objective."""
    from .formulation import Model

    first = blocks[0].model
    whole = Model(first.data, pulp.LpProblem("cpo-stochastic", pulp.LpMinimize), scale=first.scale)
    for s, block in enumerate(blocks):
        model = block.model
        columns, rows = len(whole.columns), len(whole.rows)
        for var in model.columns:
            var.column += columns
        for row in model.rows:
            row.position += rows
        whole.columns.extend(model.columns)
        whole.rows.extend(model.rows)
        for family in ("lots",):
            for key, var in model.family(family).items():
                whole.vars.setdefault(family, {})[(s, *key)] = var
    shared: dict[tuple, pulp.LpVariable] = {}
    for s, block in enumerate(blocks):
        for family, column, key, kind in _here_and_now_columns(block.model.data, stage):
            var = block.model.family(family)[column]
            if (family, key) in shared:
                whole.add_row(STAGE_ROWS[family], (*key, block.name), [(var, 1.0), (shared[(family, key)], -1.0)],
                              "==", 0.0, whole.scale.of_kind(kind))
            else:
                shared[(family, key)] = var
    objective = pulp.LpAffineExpression()
    for block in blocks:
        objective += block.probability * block.objective
    if weight > 0:
        eta = whole.add_var("cvar_eta", ())
        eta.lowBound = None
        objective += weight * eta
        for block in blocks:
            excess = whole.add_var("cvar_excess", (block.name,))
            terms = {excess: 1.0, eta: 1.0}
            for var, coef in block.objective.items():
                terms[var] = terms.get(var, 0.0) - coef
            whole.add_row("cvar", (block.name,), terms, ">=", float(block.objective.constant), whole.scale.money)
            objective += weight * block.probability / (1 - alpha) * excess
    return whole, objective


def risk_measure(costs: np.ndarray, probabilities: np.ndarray, alpha: float, weight: float) -> tuple[float, float]:
    """(E[cost], CVaR_α[cost]) of a discrete distribution: CVaR the expected cost of the worst
    1 − α of probability (the scenario at the boundary counted in part)."""
    expected = float(probabilities @ costs)
    if weight <= 0:
        return expected, expected
    order = np.argsort(-costs, kind="stable")
    tail, left, total = 1 - alpha, 1 - alpha, 0.0
    for i in order:
        take = min(probabilities[i], left)
        total += take * costs[i]
        left -= take
        if left <= 1e-15:
            break
    return expected, total / tail


def check_objective(objective: str) -> str:
    """The objective, if a stochastic plan can weigh it (STAGE_OBJECTIVES); else a ConfigError."""
    if objective not in STAGE_OBJECTIVES:
        raise ConfigError([Problem(Location("--objective"), "", f"found {objective}, expected one of "
                                   f"{', '.join(STAGE_OBJECTIVES)} with --scenarios (max-share and hhi are "
                                   "lexicographic, solved in stages, which a stochastic plan does not weigh)")])
    return objective


def deterministic_equivalent(base, scenario_set, objective: str, progress: Callable[[str], None] | None = None):
    """(blocks, stage, whole, objective expression, seconds when loading ended): every scenario
    loaded (load_blocks) and built in the base's scale, side by side in one model (assemble)."""
    from .formulation import Scale, build
    from .solver import multi_vendor_objective

    say = progress or (lambda message: None)
    scenarios, stage = load_blocks(base, scenario_set, say)
    loaded = time.perf_counter()
    scale = Scale.of(base.data)
    blocks = []
    for spec, scenario in zip(scenario_set.scenarios, scenarios):
        say(f"building scenario {len(blocks) + 1} of {len(scenarios)}")
        model = build(scenario.data, objective, scale=scale)
        part = model.objectives["cost"] if objective == "cost" else multi_vendor_objective(model)
        blocks.append(Block(spec.name, spec.probability, spec.description, scenario, model, part))
    whole, expression = assemble(blocks, stage, scenario_set.alpha, scenario_set.weight)
    return blocks, stage, whole, expression, loaded


def solve_stochastic(base, scenario_set, objective: str | None = None, solver: str = "highs",
                     time_limit: float | None = None, progress: Callable[[str], None] | None = None,
                     verify: bool = True) -> StochasticResult:
    """The stochastic plan of `base` (api.Scenario) over `scenario_set` (scenarios.ScenarioSet)."""
    from .api import solve
    from .formulation import paused_gc
    from .solver import HighsSession

    objective = check_objective(objective or base.config.objective)
    if solver != "highs":
        raise ConfigError([Problem(Location("--solver"), "", f"found {solver}, expected highs with --scenarios "
                                   "(the stochastic plan re-solves in HiGHS for WS and EEV; export it with "
                                   "cpo export --scenarios for other solvers)")])
    started = time.perf_counter()
    say = progress or (lambda message: None)
    with paused_gc():
        blocks, stage, whole, expression, loaded = deterministic_equivalent(base, scenario_set, objective, say)
        built = time.perf_counter()
        say("solving the base scenario (for EEV)")
        base_result = solve(base, objective=objective, solver=solver, time_limit=time_limit)
        based = time.perf_counter()
        deadline = time.monotonic() + time_limit if time_limit is not None else None
        say(f"solving the deterministic equivalent: {len(whole.columns):,} columns, {len(whole.rows):,} rows "
            "(and, beside it, each scenario with foresight)")
        with ThreadPoolExecutor(1) as beside:  # HiGHS releases the GIL: WS and EEV use the second core
            ws = beside.submit(_wait_and_see, blocks, objective, solver)
            eev = beside.submit(_expected_value_solution, base, scenario_set, base_result, stage, objective, solver)
            session = HighsSession(whole, expression, deadline)
            sp = session.run()
            if sp.status == "infeasible":
                raise InfeasibleError(*_infeasible(blocks, objective, solver))
            if not sp.has_plan:
                raise SolverError(f"highs stopped without a usable stochastic plan: {sp.message}")
            columns = instrument_columns([block.model for block in blocks])
            if columns:
                say("options and packages: their values by re-solving the deterministic equivalent")
                sp.instrument_values = values_by_resolve(session, expression, columns)
            solved = time.perf_counter()
            say("wait and see, and the base plan's signings, in every scenario")
            f_ws, (f_eev, eev_notes) = ws.result(), eev.result()
        say("reporting each scenario")
        result = _report(base, blocks, whole, sp, f_ws, f_eev, base_result, stage, scenario_set, objective, verify,
                         eev_notes)
    result.seconds = {"load": loaded - started, "build": built - loaded, "base": based - built, "solve": solved - based,
                      "report": time.perf_counter() - solved, "total": time.perf_counter() - started}
    return result


def _wait_and_see(blocks, objective: str, solver: str) -> np.ndarray:
    """f_s under WS: each scenario solved alone, its here-and-now signings limited as in the
    deterministic equivalent but its own (no stage rows): the equivalent without its stage rows,
    block by block."""
    from .api import solve

    return np.array([solve(block.scenario, objective=objective, solver=solver, verify=False).minimised_usd
                     for block in blocks])


def _expected_value_solution(base, scenario_set, base_result, stage, objective: str, solver: str):
    """(f_s under EEV, notes): the base plan's here-and-now signings held in each scenario
    (commitments.py: a cap below them delivers them pro rata, a slip late, a removed offer
    refunds them; budget and delivery rows honour them), the rest re-planned; None for all if
    some scenario's hard rules cannot be met around them."""
    from .api import load, solve
    from .commitments import from_result

    data = base_result.data
    held = from_result(base_result).over(frozenset(data.periods[t].name for t in stage), "here and now")
    costs, changed = [], []
    for spec in scenario_set.scenarios:
        scenario = load(base.path, whatifs=(*base.whatifs, *spec.whatifs), changes=spec.changes,
                        overrides=list(base.override_items), commitments=held)
        try:
            result = solve(scenario, objective=objective, solver=solver, verify=False)
        except InfeasibleError:
            return None, [f"EEV: the base plan's here-and-now signings cannot be carried in scenario {spec.name!r} "
                          "(a hard rule, budget or delivery schedule of it forbids them), so VSS is unbounded"]
        costs.append(result.minimised_usd)
        if any(row["status"] != "held" for row in result.tables["commitments"]):
            changed.append(spec.name)
    notes = [f"EEV: in {len(changed)} scenario(s) ({', '.join(changed[:3])}{', ...' if len(changed) > 3 else ''}) "
             "some of the base plan's here-and-now signings are cut, late or refunded (cpo evaluate --scenarios "
             "lists them), as a contract held is"] if changed else []
    return np.array(costs), notes


def _infeasible(blocks, objective, solver) -> tuple[str, list[str]]:
    """Why the stochastic plan has no solution: a scenario infeasible alone (its diagnosis), or
    no one first stage every scenario's hard rules accept."""
    from .api import solve

    for block in blocks:
        try:
            solve(block.scenario, objective=objective, solver=solver, verify=False)
        except InfeasibleError as exc:
            return f"scenario {block.name!r} has no feasible plan even alone; to make it feasible:", exc.diagnosis
    return ("every scenario has a plan alone, but no one set of here-and-now signings suits them all:",
            ["a hard rule (a share rule, hard resilience, a budget or a deal's delivery) of one scenario forbids "
             "what another needs signed now; relax it in that scenario, or end the stage earlier (until)"])


# ---------------------------------------------------------------- reporting


def _report(base, blocks, whole, sp, f_ws: np.ndarray, f_eev: np.ndarray | None, base_result, stage,
            scenario_set, objective, verify, eev_notes: list[str]) -> StochasticResult:
    from .results import _value, make_result
    from .solver import Solution

    money = whole.scale.money
    p = np.array([b.probability for b in blocks])

    def costs(solution) -> np.ndarray:
        return np.array([_value(b.objective, solution) * money for b in blocks]) if solution.has_plan else None

    f_sp = costs(sp)
    alpha, weight = scenario_set.alpha, scenario_set.weight
    expected, cvar = risk_measure(f_sp, p, alpha, weight)
    measure = lambda f: (lambda e, c: e + weight * c)(*risk_measure(f, p, alpha, weight))  # noqa: E731
    sp_value, ws_value = measure(f_sp), measure(f_ws)
    eev_value = measure(f_eev) if f_eev is not None else None
    results, rows = {}, []
    for s, block in enumerate(blocks):
        duals = sp.row_duals / block.probability if block.probability > 0 else np.zeros_like(sp.row_duals)
        solution = Solution(sp.status, True, f_sp[s] / money, sp.values, duals, "highs", sp.seconds, sp.message,
                            mip_gap=sp.mip_gap, instrument_values=sp.instrument_values)
        result = make_result(block.model, solution, objective)
        if block.probability <= NEGLIGIBLE:
            result = _recourse(base, scenario_set.scenarios[s], result, stage, objective)
            f_sp[s] = result.minimised_usd
        if verify:
            result.verify()
        results[block.name] = result
        rows.append(_scenario_row(block, result, f_sp[s], f_ws[s], None if f_eev is None else f_eev[s]))
    if verify:
        _verify_stage(blocks, results, stage, whole.scale.units)
        solver_value = sp.objective * money
        if abs(solver_value - sp_value) > 1e-6 * max(abs(sp_value), money):
            raise VerificationError([f"the stochastic objective recomputed from the scenarios ({sp_value:.9g}) differs "
                                     f"from the solver's ({solver_value:.9g})"])
    summary = {
        "scenario": base_result.data.name, "scenarios_file": str(scenario_set.path), "scenario_count": len(blocks),
        "cvar_alpha": alpha if weight > 0 else None, "cvar_weight": weight,
        "expected_cost_usd": expected, "cvar_usd": cvar if weight > 0 else None, "objective_usd": sp_value,
        "ws_usd": ws_value, "eev_usd": eev_value, "evpi_usd": sp_value - ws_value,
        "vss_usd": eev_value - sp_value if eev_value is not None else None,
        "base_plan_cost_usd": base_result.objective_value_usd,
        "mip_gap": sp.mip_gap,
    }
    notes = [*scenario_set.notes, *eev_notes]
    if eev_value is not None and eev_value < sp_value - 1e-9 * abs(sp_value):
        notes.append("VSS < 0: held as contracts, the base plan's signings are honoured beyond what a scenario's budget "
                     "or delivery rows allow (commitments.py), which the stochastic plan's own signings must obey")
    return StochasticResult(sp.status, objective, scenario_set.until, summary,
                            _first_stage_rows(blocks, results, base_result, stage), rows, results, notes)


def _recourse(base, spec, result, stage, objective: str):
    """A scenario of negligible probability (p_s <= NEGLIGIBLE) weighs nothing in the LP, so its
    recourse there is any feasible one: its outcome under the stochastic plan is re-solved, the
    plan's here-and-now signings held (commitments.py, as cpo evaluate --scenarios holds them),
    so that f_s(SP) is its best recourse, min f_s(x_s) with x_s[o,τ] = x[o,τ] for τ ≤ until."""
    from .api import load, solve
    from .commitments import from_result

    held = from_result(result).over(frozenset(result.data.periods[t].name for t in stage), "here and now")
    scenario = load(base.path, whatifs=(*base.whatifs, *spec.whatifs), changes=spec.changes,
                    overrides=list(base.override_items), commitments=held)
    return solve(scenario, objective=objective, verify=False)


def _scenario_row(block, result, sp: float, ws: float, eev: float | None) -> dict[str, Any]:
    from .results import difference

    years = {p.name: p.years for p in result.data.periods}
    unmet = sum(r["h100e"] * years[r["period"]] for r in result.tables["unmet"])
    demand = sum(r["demand_h100e"] * years[r["period"]] for r in result.tables["unmet"])
    served: dict[str, float] = {v: 0.0 for v in result.data.vendors}
    for row in result.tables["plan"]:
        served[row["vendor"]] += row["served_h100e"] * years[row["period"]]
    total = sum(served.values())
    return {"scenario": block.name, "description": block.description, "probability": block.probability,
            "objective_usd": sp, "ws_usd": ws, "eev_usd": eev, "regret_usd": difference(sp, ws),
            "total_cost_usd": result.total_cost_usd, "unmet_share": unmet / demand if demand else None,
            "shortfall_usd": sum(r["shortfall_usd"] for r in result.tables["deals"]),
            **{f"share_{v}": served[v] / total if total else None for v in sorted(served)}}


def _first_stage_rows(blocks, results, base_result, stage) -> list[dict[str, Any]]:
    """The here-and-now signings (the same in every scenario: those of the first scenario that
    has each offer), beside the base plan's."""
    from .results import difference

    base = {(r["offer"], r["period"]): r["acquired_units"] for r in base_result.tables["plan"]}
    periods = {base_result.data.periods[t].name for t in stage}
    rows: dict[tuple[str, str], dict] = {}
    for block in blocks:
        for row in results[block.name].tables["plan"]:
            key = (row["offer"], row["period"])
            if row["period"] in periods and key not in rows and row["acquired_units"] > 0:
                rows[key] = {k: row[k] for k in ("offer", "vendor", "product", "channel", "site", "period",
                                                  "acquired_units")}
    for key, units in base.items():
        if key[1] in periods and key not in rows and units > 0:
            offer = next(r for r in base_result.tables["plan"] if (r["offer"], r["period"]) == key)
            rows[key] = {**{k: offer[k] for k in ("offer", "vendor", "product", "channel", "site", "period")},
                         "acquired_units": 0.0}
    out = []
    for key, row in sorted(rows.items(), key=lambda kv: (kv[0][1], kv[1]["vendor"], kv[0][0])):
        held = base.get(key, 0.0)
        out.append({**row, "base_units": held, "change_units": difference(row["acquired_units"], held)})
    return out


STAGE_ROWS = {"x": "stage", "sold": "stage_sale", "reserve": "stage"}
"""The row tying each here-and-now column family across scenarios."""


def _here_and_now_columns(data, stage: frozenset[int]):
    """(family, column key, key across scenarios, quantity kind) of the here-and-now columns:
    signings x[o,τ] (offer key, τ) and sales sold[o,τ,t] (offer key, τ, t) in the stage's periods
    (a sale at the start of a stage period is decided now, as a signing is; later ones are each
    scenario's), and the right reserve[p] of every option reserved in the stage
    ("option:<name>", "reserve"): its exercises after the stage are each scenario's."""
    names = [p.name for p in data.periods]
    for o, offer in enumerate(data.offers):
        for t in offer.signable:
            if t in stage:
                yield "x", (o, t), (offer.key, names[t]), "units"
    for (o, tau), (periods, _) in data.sales.items():
        for t in periods:
            if t in stage:
                yield "sold", (o, tau, t), (data.offers[o].key, names[tau], names[t]), "units"
    for option in data.options:
        if option.reserve in stage:
            yield "reserve", (option.name,), (f"option:{option.name}", "reserve"), option.measure


def _verify_stage(blocks, results, stage, units: float) -> None:
    """The second opinion on the stage rows: every scenario signs (and sells) the same
    here-and-now units of every offer it has, and buys the same right of every option reserved in
    the stage (read from each scenario's plan, not from the LP's rows)."""
    signed: dict[tuple, tuple[str, float]] = {}
    breaches = []
    for block in blocks:
        result = results[block.name]
        plan = result.plan_values
        values = {"x": plan.acquired, "sold": plan.sold,
                  "reserve": {(option.name,): plan.reserved(option) for option in result.data.options}}
        for family, column, key, _ in _here_and_now_columns(result.data, stage):
            value = values[family].get(column, 0.0)
            seen = signed.get((family, key))
            if seen is not None and abs(seen[1] - value) > 1e-5 * units + 1e-6 * abs(value):
                breaches.append(f"{STAGE_ROWS[family]}[{','.join(key)}]: {value:.9g} in {block.name} but "
                                f"{seen[1]:.9g} in {seen[0]}")
            signed.setdefault((family, key), (block.name, value))
    if breaches:
        raise VerificationError(breaches)
