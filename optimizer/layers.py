"""What-if layers: small YAML files that change a scenario, never copies of it.

    description: Nvidia cuts our direct allocation by 40% from 2027.
    changes:
      - scale: supply[nvidia-direct].cap     # a number, a {period: value} series or a sourced figure
        by: 0.6
        from: 2027                           # optional: only periods from (and until) these
      - set: policy.shares[0].max
        to: 0.5
      - delay: catalog.amd.offers.mi450-own  # an offer (or its `available`): shift the window
        by: 1                                # years (quarters as 0.25)
      - remove: catalog.broadcom.offers.titan2-own
      - add: catalog.cerebras                # a new key (vendor, offer, site, ...)
        value: {...}
      - append: supply                       # a new list item
        value: {name: cerebras-750mw, ...}

Paths are dotted (`policy.shares[0].max`); `[name]` picks the list item whose `name` (or
`offer`) is that name, and `*` matches every key or item, so `catalog.nvidia.offers.*.upfront`
scales every Nvidia upfront price; set, scale, delay and remove also take a list of paths. Layers apply in order, then `--set` overrides; every change
records where it came from, so validation errors point at the what-if file and line.

A what-if cannot change `catalog_dir` (the catalog it edits is read before any layer applies):
that is refused at the change's line; `--set catalog_dir=DIR` picks another catalog.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, Location, Problem
from .loading import PathKey, Tree, format_path, paths_in, read_yaml, set_path
from .schema import period_items

OPERATIONS = ("set", "scale", "delay", "remove", "add", "append")
WHATIF_FIELDS = {"set": ("to",), "scale": ("by", "from", "until"), "delay": ("by",), "remove": (),
                 "add": ("value",), "append": ("value",)}
NAME_KEYS = ("name", "offer")


@dataclass(frozen=True)
class Change:
    """One applied change, for `cpo validate --show-effective`."""

    path: str
    before: Any
    after: Any
    location: Location


def read_whatif(path: Path) -> tuple[str, list[tuple[dict, Location, PathKey]], Tree]:
    """The description and the changes (each with its location) of a what-if file."""
    tree = read_yaml(path)
    data = tree.data
    problems = []
    unknown = sorted(set(data) - {"description", "changes"})
    for key in unknown:
        problems.append(Problem(tree.locate((key,)), key, "unknown field, expected one of: changes, description"))
    description = data.get("description")
    if not isinstance(description, str) or not description.strip():
        problems.append(Problem(tree.locate(("description",)), "description",
                                f"found {description!r}, expected a one-line description of the what-if"))
    changes = data.get("changes")
    if not isinstance(changes, list) or not changes:
        problems.append(Problem(tree.locate(("changes",)), "changes",
                                "expected a list of changes (set, scale, delay, remove, add, append)"))
        raise ConfigError(problems)
    parsed = []
    for i, change in enumerate(changes):
        where = ("changes", i)
        if not isinstance(change, dict):
            problems.append(Problem(tree.locate(where), format_path(where), f"found {change!r}, expected a mapping"))
            continue
        operations = [op for op in OPERATIONS if op in change]
        if len(operations) != 1:
            problems.append(Problem(tree.locate(where), format_path(where),
                                    f"found {sorted(change)}, expected exactly one of: {', '.join(OPERATIONS)}"))
            continue
        operation = operations[0]
        allowed = {operation, *WHATIF_FIELDS[operation]}
        for key in sorted(set(change) - allowed):
            problems.append(Problem(tree.locate(where + (key,)), format_path(where + (key,)),
                                    f"unknown field for {operation}, expected: {', '.join(sorted(allowed))}"))
        for key in {"set": ("to",), "scale": ("by",), "delay": ("by",), "add": ("value",),
                    "append": ("value",)}.get(operation, ()):
            if key not in change:
                problems.append(Problem(tree.locate(where), format_path(where), f"{operation} needs {key}"))
        parsed.append((change, tree.locate(where + (operation,)) or tree.locate(where), where))
    if problems:
        raise ConfigError(problems)
    return description.strip(), parsed, tree


def apply_whatif(tree: Tree, path: Path) -> list[Change]:
    """Apply a what-if file's changes, in order, to the scenario tree."""
    _, changes, whatif_tree = read_whatif(Path(path))
    applied: list[Change] = []
    problems: list[Problem] = []
    for change, location, where in changes:
        try:
            applied += apply_change(tree, change, location, whatif_tree, where)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return applied


def apply_change(tree: Tree, change: dict, location: Location, source: Tree | None = None,
                 where: PathKey = ()) -> list[Change]:
    """Apply one change ({scale: PATH, by: 0.6, ...}) to the tree; return what changed."""
    operation = next(op for op in OPERATIONS if op in change)
    if isinstance(change[operation], list) and operation in ("set", "scale", "delay", "remove"):
        return [applied for pattern in change[operation]
                for applied in apply_change(tree, {**change, operation: pattern}, location, source, where)]

    def fail(message: str, field: str = operation) -> ConfigError:
        at = source.locate(where + (field,)) if source else location
        return ConfigError([Problem(at or location, format_path(where + (field,)) if where else field, message)])

    pattern = change[operation]
    if not isinstance(pattern, str):
        raise fail(f"found {pattern!r}, expected a config path like supply[nvidia-direct].cap")
    try:
        tokens = _tokens(pattern)
    except ValueError as exc:
        raise fail(str(exc)) from None
    if operation in ("add", "append"):
        parent_paths = _resolve(tree.data, tokens[:-1] if operation == "add" else tokens, pattern, fail)
        out = []
        for parent in parent_paths:
            node = _get(tree.data, parent)
            if operation == "add":
                key = tokens[-1]
                if not isinstance(node, dict):
                    raise fail(f"{format_path(parent)} is not a mapping, expected one to add {key!r} to")
                if key in node:
                    raise fail(f"{format_path(parent + (key,))} already exists, expected a new key (use set to replace)")
                target = parent + (key,)
            else:
                if not isinstance(node, list):
                    raise fail(f"{format_path(parent)} is not a list, expected one to append to")
                target = parent + (len(node),)
                node.append(None)
            _refuse_catalog_dir([target], fail)
            set_path(tree, target, change["value"], location)
            out.append(Change(format_path(target), None, change["value"], location))
        return out
    paths = _resolve(tree.data, tokens, pattern, fail)
    _refuse_catalog_dir(paths, fail)
    out = []
    for path in paths:
        before = copy.deepcopy(_get(tree.data, path))
        if operation == "set":
            set_path(tree, path, change["to"], location)
        elif operation == "remove":
            _remove(tree, path)
        elif operation == "scale":
            factor = change["by"]
            if isinstance(factor, bool) or not isinstance(factor, (int, float)) or factor < 0:
                raise fail(f"found {factor!r}, expected a non-negative number", "by")
            set_path(tree, path, _scaled(before, factor, change.get("from"), change.get("until"),
                                         tree.data.get("periods", {}).get("start"), fail, location), location)
        elif operation == "delay":
            years = change["by"]
            if isinstance(years, bool) or not isinstance(years, (int, float)) or (years * 4) % 1:
                raise fail(f"found {years!r}, expected a number of years (quarters as 0.25)", "by")
            window_path = path + ("available",) if isinstance(before, dict) and "available" in before else path
            window = _get(tree.data, window_path)
            if not isinstance(window, dict) or "from" not in window:
                raise fail(f"{format_path(path)} has no availability window, expected an offer or its `available`")
            shifted = {k: (_shift(v, years) if k in ("from", "to") else v) for k, v in window.items()}
            before = copy.deepcopy(window)
            set_path(tree, window_path, shifted, location)
            path = window_path
        after = _get(tree.data, path) if operation != "remove" else None
        out.append(Change(format_path(path), before, after, location))
    return out


def _refuse_catalog_dir(paths: list[PathKey], fail) -> None:
    """A what-if may not change catalog_dir: the catalog was read (from it) before any layer applied."""
    if any(path[:1] == ("catalog_dir",) for path in paths):
        raise fail("catalog_dir cannot change in a what-if (the catalog is read before what-ifs apply), "
                   "expected it in the scenario, or on the command line: --set catalog_dir=DIR")


# ---------------------------------------------------------------- paths


def _tokens(pattern: str) -> list:
    """'supply[nvidia-direct].cap' -> ['supply', ('name', 'nvidia-direct'), 'cap']; '*' stays."""
    if not pattern or pattern.startswith(".") or pattern.endswith(".") or ".." in pattern:
        raise ValueError(f"found {pattern!r}, expected a dotted path like supply[nvidia-direct].cap")
    tokens: list = []
    for part in pattern.split("."):
        match = re.fullmatch(r"([^\[\]]+)((?:\[[^\[\]]+\])*)", part)
        if not match:
            raise ValueError(f"found {pattern!r}, expected a dotted path like supply[nvidia-direct].cap")
        tokens.append(match.group(1))
        for selector in re.findall(r"\[([^\[\]]+)\]", match.group(2)):
            index = re.fullmatch(r"[0-9]+", selector)
            tokens.append(int(selector) if index else "*" if selector == "*" else ("name", selector))
    return tokens


def _resolve(data: Any, tokens: list, pattern: str, fail) -> list[PathKey]:
    """Every concrete path the tokens match; an error naming the first part that matches nothing."""
    paths: list[PathKey] = [()]
    for depth, token in enumerate(tokens):
        following: list[PathKey] = []
        for path in paths:
            node = _get(data, path)
            if token == "*":
                if isinstance(node, dict):
                    following += [path + (k,) for k in node]
                elif isinstance(node, list):
                    following += [path + (i,) for i in range(len(node))]
            elif isinstance(token, tuple):
                if isinstance(node, list):
                    following += [path + (i,) for i, item in enumerate(node)
                                  if isinstance(item, dict) and any(item.get(k) == token[1] for k in NAME_KEYS)]
            elif isinstance(token, int):
                if isinstance(node, list) and 0 <= token < len(node):
                    following.append(path + (token,))
            elif isinstance(node, dict) and token in node:
                following.append(path + (token,))
        if not following:
            shown = format_path(tuple(t if not isinstance(t, tuple) else t[1] for t in tokens[: depth + 1]))
            hint = _hint(data, paths, token)
            raise fail(f"{pattern}: {shown} does not exist in the scenario{hint}, expected an existing path")
        paths = following
    return paths


def _hint(data, paths, token) -> str:
    import difflib

    options: set[str] = set()
    for path in paths:
        node = _get(data, path)
        if isinstance(node, dict):
            options |= {str(k) for k in node}
        elif isinstance(node, list):
            options |= {str(item.get(k)) for item in node if isinstance(item, dict) for k in NAME_KEYS if k in item}
    name = token[1] if isinstance(token, tuple) else str(token)
    close = difflib.get_close_matches(name, sorted(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _get(data: Any, path: PathKey) -> Any:
    node = data
    for part in path:
        node = node[part]
    return node


def _remove(tree: Tree, path: PathKey) -> None:
    """Remove `path` and its locations; later items of a list move up, their locations too.
    The time it takes is the size of what is removed or moved, never the whole tree."""
    parent = _get(tree.data, path[:-1])
    removed = parent[path[-1]]
    del parent[path[-1]]
    for old in paths_in(path, removed):
        tree.locations.pop(old, None)
    if isinstance(parent, list):
        moved = {}
        for index in range(path[-1], len(parent)):
            for old in paths_in(path[:-1] + (index + 1,), parent[index]):
                if old in tree.locations:
                    moved[path[:-1] + (index,) + old[len(path):]] = tree.locations.pop(old)
        tree.locations.update(moved)


# ---------------------------------------------------------------- values


def _period_time(key: Any) -> float:
    from .data import period_time

    return period_time(key)


def _scaled(value: Any, factor: float, start: Any, until: Any, horizon_start: Any, fail, location) -> Any:
    """value x factor: a number, a {period: number} series (only keys in [start, until]), or a
    sourced figure {value: ..., source: ...} whose source then notes the what-if."""
    if isinstance(value, dict) and "value" in value and "source" in value:
        scaled = dict(value)
        scaled["value"] = _scaled(value["value"], factor, start, until, horizon_start, fail, location)
        window = f" from {start}" if start is not None else ""
        window += f" until {until}" if until is not None else ""
        scaled["source"] = f"{value['source']} [what-if {location}: x{factor:g}{window}]"
        return scaled
    if start is None and until is None:
        if _is_number(value):
            return value * factor
        if isinstance(value, dict) and value and all(_is_number(v) for v in value.values()):
            return {k: v * factor for k, v in value.items()}
        raise fail(f"found {_kind(value)}, expected a number, a {{period: number}} series or a sourced figure")

    def time_of(key: Any, field: str) -> float:
        """The key's time, or the what-if's error at `field` (from or until)."""
        try:
            return _period_time(key)
        except ValueError as exc:
            raise fail(str(exc), field) from None

    lo = time_of(start, "from") if start is not None else float("-inf")
    hi = time_of(until, "until") + (0.25 if "Q" in str(until) else 1.0) if until is not None else float("inf")
    if _is_number(value):
        value = {str(horizon_start): value}
    if not (isinstance(value, dict) and value and all(_is_number(v) for v in value.values())):
        raise fail(f"found {_kind(value)}, expected a number or a {{period: number}} series to scale over periods")
    try:
        series = period_items(value)
    except ValueError as exc:
        raise fail(str(exc)) from None
    breakpoints = ([str(start)] if start is not None else []) + ([str(_next_key(until))] if until is not None else [])
    for key in breakpoints:
        if key not in series:
            series[key] = _value_at(series, _period_time(key))
    return {k: (v * factor if lo <= _period_time(k) < hi else v)
            for k, v in sorted(series.items(), key=lambda kv: _period_time(kv[0]))}


def _value_at(series: dict, time: float) -> float:
    """The series' value at `time`: the last key at or before it, else the first (data.py's rule)."""
    points = sorted((_period_time(k), v) for k, v in series.items())
    value = points[0][1]
    for at, v in points:
        if at <= time + 1e-9:
            value = v
    return value


def _next_key(key: Any) -> str:
    """The period after a year or quarter key: 2027 -> '2028', '2027Q4' -> '2028Q1'."""
    return _shift(key, 0.25 if "Q" in str(key) else 1.0)


def _shift(key: Any, years: float) -> Any:
    """A period key moved by `years`, in the key's own granularity where it can be."""
    time = _period_time(key) + years
    year, quarter = int(time // 1), int(round((time % 1) * 4)) + 1
    if "Q" in str(key) or quarter != 1:
        return f"{year}Q{quarter}"
    return year if isinstance(key, int) else str(year)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    return {dict: "a mapping", list: "a list", str: f"text {value!r}"}.get(type(value), repr(value))
