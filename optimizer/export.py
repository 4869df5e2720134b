"""`cpo export`: the model as an LP or MPS file for any other solver.

HiGHS writes the file from the arrays cpo solves (so the objective's constant, e.g. the
recurring cost of installed paying units, is kept: PuLP's writers drop it), with cpo's
readable row and column names. Two comment lines come first: `Written by cpo <version>` (what
marks the file as cpo's, so a later export may replace it) and the manifest as JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

COMMENT = {".lp": "\\ ", ".mps": "* "}
MARK = "Written by cpo "


def export_model(scenario, file: Path, objective: str | None = None):
    """Write the model (in LP units, model.Scale) and return (rows, columns, scale).

    `cost` and `multi-vendor` export their objective; `max-share` and `hhi` export their first
    (cost) stage, since the later stages depend on its solution. The file replaces `file`
    atomically, and only if it is new or cpo wrote it (outputs.staged_file)."""
    from .formulation import build
    from .solver import multi_vendor_objective

    objective = objective or scenario.config.objective
    model = build(scenario.data, objective)
    highs = _named_highs(model, multi_vendor_objective(model) if objective == "multi-vendor" else
                         model.objectives["cost"], [("", model.vars, model.rows, model)])
    _write(highs, file, _header(scenario, objective, COMMENT[Path(file).suffix.lower()], model.scale))
    return len(model.rows), len(model.columns), model.scale


def export_stochastic(scenario, scenario_set, file: Path, objective: str | None = None):
    """Write the stochastic plan's deterministic equivalent (stochastic.deterministic_equivalent:
    min Σ p_s f_s + λ CVaR, the stage rows) as export_model writes a model: scenario k's columns
    and rows named `s<k>_family(part,...)`, the stage and CVaR rows and columns by their family.
    Returns (rows, columns, scale)."""
    from .stochastic import check_objective, deterministic_equivalent

    objective = check_objective(objective or scenario.config.objective)
    blocks, _, whole, expression, _ = deterministic_equivalent(scenario, scenario_set, objective)
    own = {family: columns for family, columns in whole.vars.items() if family != "lots"}  # lots: the blocks'
    parts = [(f"s{k}_", block.model.vars, block.model.rows, block.model) for k, block in enumerate(blocks)]
    parts.append(("", own, [row for row in whole.rows if row.family in ("stage", "cvar")], whole))
    highs = _named_highs(whole, expression, parts)
    header = _header(scenario, objective, COMMENT[Path(file).suffix.lower()], whole.scale,
                     f"stochastic plan over {len(blocks)} scenarios of {scenario_set.path}")
    _write(highs, file, header)
    return len(whole.rows), len(whole.columns), whole.scale


def _write(highs, file: Path, header: bytes) -> None:
    """HiGHS writes the model to `file` (atomically, if new or cpo's), after cpo's header."""
    import highspy

    from .outputs import OutputError, staged_file

    expected = "a new path or a model file cpo wrote (first line: Written by cpo)"
    with staged_file(file, _is_cpo_model, expected) as staging:
        if highs.writeModel(str(staging)) == highspy.HighsStatus.kError:
            raise OutputError(f"{file}: HiGHS could not write the model")
        staging.write_bytes(header + staging.read_bytes())


def _named_highs(model, objective, parts):
    """A Highs holding the model and `objective` as cpo solves them, its columns and rows named
    `prefix family(part,...)` (valid LP and MPS names: data.solver_name) for each part: (prefix,
    columns by family, rows, the model whose labels they use)."""
    from .solver import compile_arrays, quiet_highs

    highs = quiet_highs()
    compile_arrays(model, objective).load_into(highs)
    for prefix, columns_by_family, rows, labeller in parts:
        for family, columns in columns_by_family.items():
            for key, var in columns.items():
                highs.passColName(var.column, prefix + labeller._solver_label(family, key))
        for row in rows:
            highs.passRowName(row.position, prefix + labeller._solver_label(row.family, row.key))
    return highs


def _header(scenario, objective: str, comment: str, scale, what: str = "") -> bytes:
    """cpo's mark (and `what` the model is, if not the scenario's own), then the manifest
    (compact JSON, ASCII), as two comment lines."""
    from .outputs import cpo_version, manifest

    made = manifest(scenario, {"command": "export", "objective": objective, **({"model": what} if what else {})})
    return (f"{comment}{MARK}{cpo_version()}: {json.dumps(scenario.name)}{', ' + what if what else ''}, objective "
            f"{objective}; {scale.describe()}\n{comment}manifest: {json.dumps(made, sort_keys=True)}\n").encode()


def _is_cpo_model(path: Path) -> bool:
    """Whether the file at `path` starts with cpo's mark (`\\ Written by cpo` or `* ...`)."""
    with open(path, "rb") as stream:
        first = stream.readline(200)
    return any(first.startswith((comment + MARK).encode()) for comment in COMMENT.values())
