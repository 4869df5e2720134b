"""YAML in, one validated `Config` out, with every value's file and line kept for errors.

The effective config is one tree: the scenario file's keys, plus `catalog`, a mapping of
vendor id -> vendor document read from `catalog_dir` (default: the repository's `vendors/`)
and from any inline `catalog:` in the scenario. What-if layers and `--set PATH=VALUE`
overrides edit that tree (see `layers.py`) before pydantic validates it, so an error in
any of them names the file (or `--set`) and line it came from.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError, Location, Problem

DEFAULT_CATALOG_DIR = Path(__file__).resolve().parent.parent / "vendors"

PathKey = tuple[Any, ...]


@dataclass
class Tree:
    """A parsed YAML tree and where each of its values came from (path -> Location)."""

    data: dict[str, Any]
    locations: dict[PathKey, Location] = field(default_factory=dict)

    def locate(self, path: PathKey) -> Location | None:
        """The location of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while True:
            if path in self.locations:
                return self.locations[path]
            if not path:
                return None
            path = path[:-1]


def format_path(path: PathKey) -> str:
    """('policy', 'shares', 0, 'max') -> 'policy.shares[0].max'."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def parse_path(text: str) -> PathKey:
    """'policy.shares[0].max' -> ('policy', 'shares', 0, 'max'). Keys may contain '-'."""
    if not text or text.startswith(".") or text.endswith(".") or ".." in text:
        raise ValueError(f"found {text!r}, expected a dotted path like policy.shares[0].max")
    parts: list[Any] = []
    for token in text.split("."):
        match = re.fullmatch(r"([^\[\]]+)((?:\[\d+\])*)", token)
        if not match:
            raise ValueError(f"found {text!r}, expected a dotted path like policy.shares[0].max")
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return tuple(parts)


class _Constructor(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe loader used only to compose nodes (with their line marks) and construct scalars;
    LibYAML's C parser when PyYAML has it (20x faster), else the pure-Python one."""


def read_yaml(path: Path, prefix: PathKey = ()) -> Tree:
    """Read one YAML file whose top level must be a mapping, keeping each value's line."""
    shown = str(path)
    if not path.exists():
        raise ConfigError([Problem(Location(shown), "", "file not found")])
    if path.is_dir():
        raise ConfigError([Problem(Location(shown), "", "is a directory, expected a YAML file")])
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError([Problem(Location(shown), "", "not a UTF-8 text file, expected YAML")])
    if "\x00" in text:
        raise ConfigError([Problem(Location(shown), "", "binary content, expected YAML text")])
    return parse_yaml(text, shown, prefix)


def parse_yaml(text: str, shown: str, prefix: PathKey = ()) -> Tree:
    """Parse YAML text (from `shown`) into a Tree rooted at `prefix`."""
    loader = _Constructor(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 if mark else None
        reason = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([Problem(Location(shown, line), "", f"YAML syntax error: {reason}")])
    finally:
        loader.dispose()
    if node is None:
        raise ConfigError([Problem(Location(shown), "", "file is empty, expected a YAML mapping")])
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError([Problem(Location(shown, node.start_mark.line + 1), "",
                                   f"found a {_node_kind(node)}, expected a YAML mapping at the top")])
    tree = Tree({})
    problems: list[Problem] = []
    tree.data = _convert(node, prefix, shown, loader, tree.locations, problems)
    if problems:
        raise ConfigError(problems)
    return tree


def _node_kind(node: yaml.Node) -> str:
    return {yaml.MappingNode: "mapping", yaml.SequenceNode: "list"}.get(type(node), "single value")


def _convert(node, path, shown, loader, locations, problems):
    locations[path] = Location(shown, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(Problem(Location(shown, key_node.start_mark.line + 1),
                                        format_path(path), "found a complex key, expected a plain name"))
                continue
            key = loader.construct_object(key_node)
            if key in out:
                problems.append(Problem(Location(shown, key_node.start_mark.line + 1),
                                        format_path(path + (key,)),
                                        "duplicate key, expected each key once"))
                continue
            out[key] = _convert(value_node, path + (key,), shown, loader, locations, problems)
            locations[path + (key,)] = Location(shown, key_node.start_mark.line + 1)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, path + (i,), shown, loader, locations, problems)
                for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def parse_override(text: str) -> tuple[PathKey, Any]:
    """'policy.shares[0].max=0.5' -> (('policy','shares',0,'max'), 0.5); value read as YAML."""
    location = Location("--set")
    if "=" not in text:
        raise ConfigError([Problem(location, text, "found no '=', expected PATH=VALUE")])
    path_text, value_text = text.split("=", 1)
    try:
        path = parse_path(path_text.strip())
    except ValueError as exc:
        raise ConfigError([Problem(location, "", str(exc))])
    try:
        value = yaml.safe_load(value_text) if value_text.strip() else None
    except yaml.YAMLError:
        raise ConfigError([Problem(location, path_text, f"found {value_text!r}, expected a YAML value")])
    if value is None:
        raise ConfigError([Problem(location, path_text, "found an empty value, expected PATH=VALUE")])
    return path, value


def set_path(tree: Tree, path: PathKey, value: Any, location: Location) -> None:
    """Set `path` in the tree to `value` (creating missing mappings) and record `location`."""
    node: Any = tree.data
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, dict):
            node = node.setdefault(part, {} if not isinstance(path[depth + 1], int) else [])
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            raise ConfigError([Problem(location, format_path(path[: depth + 1]),
                                       "does not exist in the config, expected an existing path")])
    last = path[-1]
    if isinstance(node, dict) and not isinstance(last, int):
        node[last] = copy.deepcopy(value)
    elif isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        node[last] = copy.deepcopy(value)
    else:
        raise ConfigError([Problem(location, format_path(path),
                                   "does not exist in the config, expected an existing path")])
    _relocate(tree, path, value, location)


def _relocate(tree: Tree, path: PathKey, value: Any, location: Location) -> None:
    """Every location under `path` now comes from `location` (one scan to drop the old ones)."""
    depth = len(path)
    for key in [k for k in tree.locations if len(k) >= depth and k[:depth] == path]:
        del tree.locations[key]
    _locate_all(tree.locations, path, value, location)


def _locate_all(locations: dict, path: PathKey, value: Any, location: Location) -> None:
    locations[path] = location
    if isinstance(value, dict):
        for key, item in value.items():
            _locate_all(locations, path + (key,), item, location)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _locate_all(locations, path + (i,), item, location)


def load_tree(config: str | Path) -> Tree:
    """The scenario file plus its vendor catalog, as one located tree (not yet validated)."""
    config = Path(config)
    tree = read_yaml(config)
    data = tree.data
    inline = data.get("catalog") if isinstance(data.get("catalog"), dict) else {}
    catalog_dir_value = data.get("catalog_dir")
    if catalog_dir_value is None and inline:
        catalog_dir = None  # a scenario that brings its own catalog reads no files
    elif catalog_dir_value is None:
        catalog_dir = DEFAULT_CATALOG_DIR
    elif isinstance(catalog_dir_value, str):
        catalog_dir = (config.parent / catalog_dir_value).resolve()
    else:
        raise ConfigError([Problem(tree.locate(("catalog_dir",)), "catalog_dir",
                                   f"found {catalog_dir_value!r}, expected a directory path")])
    catalog: dict[str, Any] = {}
    if catalog_dir is not None:
        for vendor_id, vendor_tree in read_catalog_dir(catalog_dir, tree.locate(("catalog_dir",))).items():
            catalog[vendor_id] = vendor_tree.data
            for key, loc in vendor_tree.locations.items():
                tree.locations[("catalog", vendor_id) + key] = loc
    problems = []
    for vendor_id, doc in inline.items():
        if vendor_id in catalog:
            problems.append(Problem(tree.locate(("catalog", vendor_id)), f"catalog.{vendor_id}",
                                    f"vendor {vendor_id!r} is also in {catalog_dir}, expected it once"))
        catalog[vendor_id] = doc
    if problems:
        raise ConfigError(problems)
    data["catalog"] = catalog
    return tree


def read_catalog_dir(directory: Path, origin: Location | None = None) -> dict[str, Tree]:
    """Every `*.yaml` vendor file in `directory`, keyed by the id in its `vendor:` field."""
    if not directory.is_dir():
        raise ConfigError([Problem(origin or Location(str(directory)), "catalog_dir",
                                   f"found {str(directory)!r}, expected a directory of vendor YAML files")])
    trees: dict[str, Tree] = {}
    problems: list[Problem] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            vendor_tree = read_yaml(path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        vendor_id = vendor_tree.data.get("vendor")
        if not isinstance(vendor_id, str):
            problems.append(Problem(Location(str(path), 1), "vendor",
                                    f"found {vendor_id!r}, expected the vendor's id, e.g. vendor: nvidia"))
            continue
        if vendor_id in trees:
            problems.append(Problem(vendor_tree.locate(("vendor",)), "vendor",
                                    f"vendor id {vendor_id!r} is used by two files, expected it once"))
            continue
        vendor_tree.data.pop("vendor")
        trees[vendor_id] = vendor_tree
    if problems:
        raise ConfigError(problems)
    return trees


# ---------------------------------------------------------------- validation

_EXPECTED = {
    "float_type": "a number", "float_parsing": "a number", "int_type": "a whole number",
    "int_parsing": "a whole number", "int_from_float": "a whole number",
    "string_type": "text", "bool_type": "true or false", "bool_parsing": "true or false",
    "dict_type": "a mapping", "model_type": "a mapping", "list_type": "a list",
    "finite_number": "a finite number",
}


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem_from_error(error: dict, tree: Tree) -> Problem:
    from . import schema

    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    found = _describe(error.get("input"))
    if kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
    elif kind == "missing":
        message = "missing, expected a value for this required field"
    elif kind == "extra_forbidden":
        allowed = allowed_fields(schema.Config, loc[:-1])
        suggestion = ""
        if allowed:
            import difflib

            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            suggestion = f" (did you mean {close[0]!r}?)" if close else ""
            message = f"unknown field{suggestion}, expected one of: {', '.join(sorted(allowed))}"
        else:
            message = "unknown field, expected no such key here"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        sign = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=",
                "less_than": "<"}[kind]
        bound = next(iter(ctx.values()))
        message = f"found {found}, expected a number {sign} {bound:g}"
    elif kind == "literal_error":
        message = f"found {found}, expected {ctx.get('expected')}"
    elif kind == "string_pattern_mismatch":
        message = (f"found {found}, expected an id of lowercase letters, digits, '_', '.', '-' "
                   "starting with a letter or digit")
    elif kind == "too_short":
        message = f"found {found}, expected at least {ctx.get('min_length')} item(s)"
    elif kind in _EXPECTED:
        message = f"found {found}, expected {_EXPECTED[kind]}"
    else:
        message = f"found {found}, expected {error['msg'][0].lower()}{error['msg'][1:]}"
    return Problem(tree.locate(loc), format_path(loc), message)


def allowed_fields(model: Any, loc: PathKey) -> list[str]:
    """Field names (aliases where set) allowed at `loc` inside pydantic `model`."""
    import typing

    from pydantic import BaseModel

    def unwrap(annotation: Any) -> Any:
        while True:
            origin = typing.get_origin(annotation)
            if origin is typing.Annotated:
                annotation = typing.get_args(annotation)[0]
                continue
            if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
                arms = [a for a in typing.get_args(annotation) if a is not type(None)]
                preferred = [a for a in arms if (isinstance(a, type) and issubclass(a, BaseModel))
                             or typing.get_origin(a) in (dict, list)]
                annotation = (preferred or arms)[0]
                continue
            return annotation

    current: Any = model
    for part in loc:
        current = unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = next((f for name, f in current.model_fields.items()
                          if name == part or f.alias == part), None)
            if field is None:
                return []
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        elif typing.get_origin(current) is list:
            current = typing.get_args(current)[0]
        else:
            return []
    current = unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def validate_tree(tree: Tree):
    """Validate the tree against the schema; every error at once, located."""
    from pydantic import ValidationError

    from .schema import Config

    try:
        return Config.model_validate(tree.data)
    except ValidationError as exc:
        raise ConfigError([_problem_from_error(e, tree) for e in exc.errors()]) from None
