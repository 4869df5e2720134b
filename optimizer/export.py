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
    import highspy

    from .formulation import build
    from .outputs import OutputError, staged_file
    from .solver import multi_vendor_objective

    objective = objective or scenario.config.objective
    model = build(scenario.data, objective)
    highs = _named_highs(model, multi_vendor_objective(model) if objective == "multi-vendor" else
                         model.objectives["cost"])
    header = _header(scenario, objective, COMMENT[Path(file).suffix.lower()], model.scale)
    expected = "a new path or a model file cpo wrote (first line: Written by cpo)"
    with staged_file(file, _is_cpo_model, expected) as staging:
        if highs.writeModel(str(staging)) == highspy.HighsStatus.kError:
            raise OutputError(f"{file}: HiGHS could not write the model")
        staging.write_bytes(header + staging.read_bytes())
    return len(model.rows), len(model.columns), model.scale


def _named_highs(model, objective):
    """A Highs holding the model and `objective` as cpo solves them, its columns and rows named
    `family(part,...)` (valid LP and MPS names: data.solver_name)."""
    from .solver import compile_arrays, quiet_highs

    highs = quiet_highs()
    compile_arrays(model, objective).load_into(highs)
    for family, columns in model.vars.items():
        for key, var in columns.items():
            highs.passColName(var.column, model._solver_label(family, key))
    for row in model.rows:
        highs.passRowName(row.position, model._solver_label(row.family, row.key))
    return highs


def _header(scenario, objective: str, comment: str, scale) -> bytes:
    """cpo's mark, then the manifest (compact JSON, ASCII), as two comment lines."""
    from .outputs import cpo_version, manifest

    made = manifest(scenario, {"command": "export", "objective": objective})
    return (f"{comment}{MARK}{cpo_version()}: {json.dumps(scenario.name)}, objective {objective}; "
            f"{scale.describe()}\n{comment}manifest: {json.dumps(made, sort_keys=True)}\n").encode()


def _is_cpo_model(path: Path) -> bool:
    """Whether the file at `path` starts with cpo's mark (`\\ Written by cpo` or `* ...`)."""
    with open(path, "rb") as stream:
        first = stream.readline(200)
    return any(first.startswith((comment + MARK).encode()) for comment in COMMENT.values())
