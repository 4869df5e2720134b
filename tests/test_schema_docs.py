"""`cpo schema --kind KIND`: a JSON Schema an editor can use, for every kind of file cpo reads.

Every property of every kind has a description; each schema names its draft (`$schema`) and has
a stable `$id`; every shipped file validates against its kind's schema (with the `jsonschema`
package, a dev extra); the what-if and grid models agree with the readers that check those files.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from optimizer.layers import OPERATIONS, WHATIF_FIELDS
from optimizer.schema import (GRID_PARAMETERS, MAX_GRID_POINTS, SCHEMA_KINDS, WHATIF_CHANGES, Config, GridFile,
                              WhatifFile, json_schema)
from optimizer.sweeps import MAX_POINTS, PARAMETER_VALUE_FIELD

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = {
    "config": sorted((ROOT / "examples").glob("*.yaml")),
    "vendor": sorted((ROOT / "vendors").glob("*.yaml")),
    "whatif": sorted((ROOT / "examples" / "whatif").glob("*.yaml")),
    "grid": sorted((ROOT / "examples" / "grids").glob("*.yaml")),
    "scenarios": sorted((ROOT / "examples" / "scenarios").glob("*.yaml")),
}
KINDS = ("config", "vendor", "whatif", "grid", "scenarios")


def properties(schema: dict) -> list[tuple[str, dict]]:
    """Every property of every object in the schema (its $defs included), as (where, schema)."""
    found: list[tuple[str, dict]] = []

    def walk(node, where: str) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                found.extend((f"{where}.{name}", sub) for name, sub in node["properties"].items())
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(schema, "#")
    return found


def as_json(path: Path):
    """The file as an editor's YAML language server sees it: JSON values, mapping keys as text."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text()), default=str))


def test_the_kinds_are_the_ones_cpo_reads():
    assert tuple(SCHEMA_KINDS) == KINDS
    for kind in KINDS:
        assert SHIPPED[kind], f"no shipped {kind} file to validate"


@pytest.mark.parametrize("kind", KINDS)
def test_every_property_has_a_description(kind):
    found = properties(json_schema(kind))
    assert len(found) > 10
    missing = [where for where, sub in found if not str(sub.get("description", "")).strip()]
    assert not missing, f"{len(missing)} of {len(found)} properties of {kind} lack a description: {missing}"


@pytest.mark.parametrize("kind", KINDS)
def test_schema_names_its_draft_id_and_title(kind):
    schema = json_schema(kind)
    assert list(schema)[:3] == ["$schema", "$id", "title"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://cpo.example/schema/{kind}.json"
    assert schema["title"].startswith("cpo ")


def test_series_selectors_and_periods_say_what_they_accept():
    defs = json_schema("config")["$defs"]
    demand = defs["Workload"]["properties"]["demand"]
    number, mapping = demand["anyOf"]
    assert number["type"] == "number" and number["minimum"] == 0
    assert mapping["type"] == "object" and mapping["propertyNames"]["pattern"] == "^[0-9]{4}(Q[1-4])?$"
    assert mapping["additionalProperties"] == number
    cap = defs["SourcedSeries"]["properties"]["value"]
    assert [part["type"] for part in cap["anyOf"]] == ["number", "object"]
    efficiency = defs["Throughput"]["properties"]["efficiency"]
    assert efficiency["anyOf"][0]["exclusiveMinimum"] == 0
    assert defs["SupplyPool"]["properties"]["match"]["type"] == "object"
    assert defs["Deal"]["properties"]["from"]["anyOf"][1]["pattern"] == "^[0-9]{4}(Q[1-4])?$"
    assert defs["SourcedAmount"]["properties"]["as_of"]["anyOf"][0]["pattern"] == "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$"


def test_cli_prints_each_kind():
    for kind in KINDS:
        done = subprocess.run([sys.executable, "-m", "optimizer", "schema", "--kind", kind],
                              capture_output=True, text=True, check=True)
        assert json.loads(done.stdout) == json_schema(kind)
    done = subprocess.run([sys.executable, "-m", "optimizer", "schema", "--kind", "bogus"], capture_output=True,
                          text=True)
    assert done.returncode != 0 and "vendor" in done.stderr and "grid" in done.stderr


@pytest.mark.parametrize("kind,path", [(kind, path) for kind in KINDS for path in SHIPPED[kind]],
                         ids=lambda value: value.name if isinstance(value, Path) else value)
def test_shipped_files_validate(kind, path):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json_schema(kind)
    validator = jsonschema.Draft202012Validator(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(as_json(path))]
    assert not errors, errors


@pytest.mark.parametrize("kind,document", [
    ("whatif", {"description": "x", "changes": [{"scale": "supply[a].cap", "by": 0.5, "to": 1}]}),
    ("whatif", {"description": "x", "changes": [{"set": "a", "scale": "b", "to": 1}]}),
    ("whatif", {"description": "x", "changes": []}),
    ("whatif", {"changes": [{"remove": "a"}]}),
    ("whatif", {"description": "x", "changes": [{"delay": "a", "by": 0.3}]}),
    ("grid", {"parameters": {"p": {"scale": "a", "values": [1]}}, "points": [{"changes": []}]}),
    ("grid", {"description": "neither"}),
    ("grid", {"parameters": {"p": {"scale": "a", "set": "b", "values": [1]}}}),
    ("config", {"name": "x", "periods": {"start": 2026, "end": 2027}, "workloads": {"w": {"demand": {"2026x": 1},
                                                                                            "voll": 1}}}),
    ("config", {"name": "x", "periods": {"start": 2026, "end": 2027}, "workloads": {"w": {"demand": -1, "voll": 1}}}),
    ("scenarios", {"until": 2027, "scenarios": [{"name": "a", "probability": 1, "changes": [{"bogus": 1}]}]}),
])
def test_schemas_refuse_what_cpo_refuses(kind, document):
    jsonschema = pytest.importorskip("jsonschema")
    assert list(jsonschema.Draft202012Validator(json_schema(kind)).iter_errors(document))


def test_whatif_models_follow_the_reader():
    """layers.read_whatif is what checks a what-if: one model per operation, with its fields."""
    assert tuple(WHATIF_CHANGES) == OPERATIONS
    for operation, model in WHATIF_CHANGES.items():
        fields = {info.alias or name for name, info in model.model_fields.items()}
        assert fields == {operation, *WHATIF_FIELDS[operation]}, operation


def test_grid_models_follow_the_reader():
    """sweeps.read_grid is what checks a grid: a parameter is set, scale or delay with values (scale
    also from/until, as the what-if change it fills), points at most MAX_POINTS."""
    assert set(GRID_PARAMETERS) == set(PARAMETER_VALUE_FIELD)
    for operation, model in GRID_PARAMETERS.items():
        fields = {info.alias or name for name, info in model.model_fields.items()}
        assert fields == {operation, "values", *(set(WHATIF_FIELDS[operation]) - {PARAMETER_VALUE_FIELD[operation]})}
    assert MAX_GRID_POINTS == MAX_POINTS
    assert GridFile.model_fields["objective"].annotation == Config.model_fields["objective"].annotation | None
    assert set(GridFile.model_fields) == {"description", "whatifs", "objective", "parameters", "points"}


@pytest.mark.parametrize("path", SHIPPED["whatif"] + SHIPPED["grid"], ids=lambda path: path.name)
def test_shipped_whatifs_and_grids_fit_the_models(path):
    model = WhatifFile if path.parent.name == "whatif" else GridFile
    model.model_validate(yaml.safe_load(path.read_text()))
