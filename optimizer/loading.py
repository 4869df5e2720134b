"""YAML in, one validated `Config` out, with every value's file and line kept for errors.

The effective config is one tree: the scenario file's keys, plus `catalog`, a mapping of
vendor id -> vendor document read from `catalog_dir` (default: the repository's `vendors/`)
and from any inline `catalog:` in the scenario. What-if layers and `--set PATH=VALUE`
overrides edit that tree (see `layers.py`) before pydantic validates it, so an error in
any of them names the file (or `--set`) and line it came from.
"""

from __future__ import annotations

import copy
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

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
    """('policy', 'shares', 0, 'max') -> 'policy.shares[0].max', on one line: a key with a
    newline or another unprintable character is shown as its repr in brackets, [{key!r}]."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).isprintable():
            out += f"[{str(part)!r}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def parse_path(text: str) -> PathKey:
    """'policy.shares[0].max' -> ('policy', 'shares', 0, 'max'). Keys may contain '-'; no '*'."""
    if not text or text.startswith(".") or text.endswith(".") or ".." in text:
        raise ValueError(f"found {text!r}, expected a dotted path like policy.shares[0].max")
    if "*" in text:
        raise ValueError(f"found {text!r}, expected a path without '*' (a what-if's set takes wildcards)")
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


MAX_FILE_BYTES = 4 * 1024 * 1024
"""The largest YAML file read: 4 MiB (the repository's largest is 20 KB). Parsing takes up to
~110 bytes of memory per byte of YAML (a file of tiny nodes: 4 MiB -> 450 MB and ~10 s)."""
MAX_DEPTH = 64
"""How deeply mappings and lists may nest (the schema needs 8 levels)."""

_STANDARD = "tag:yaml.org,2002:"
_INT = _STANDARD + "int"
_SCALARS = {_STANDARD + name: _Constructor.yaml_constructors[_STANDARD + name]
            for name in ("str", "int", "float", "bool", "null")}
"""The only scalar tags read (implicit or explicit), each with its standard constructor."""
_EXPECTED_BY_TAG = {_INT: "a whole number", _STANDARD + "float": "a number", _STANDARD + "bool": "true or false"}
_COLLECTION_TAGS = {yaml.MappingNode: _STANDARD + "map", yaml.SequenceNode: _STANDARD + "seq"}
_IMPLICIT_MEANING = {_STANDARD + "timestamp": "a date", _STANDARD + "value": "a value key (=)"}
_BEFORE_ANCHOR = "[]{},:?\"'\ufeff"
"""Besides whitespace, what LibYAML lets an anchor (&a) or alias (*a) follow: a flow indicator,
':' or '?', the end of a quoted scalar, a byte-order mark."""


def _may_hold_anchors(text: str) -> bool:
    """False only if the text has no anchor or alias: no '&' or '*' at the start, after
    whitespace or after a _BEFORE_ANCHOR character (so `*` inside a path such as
    catalog.nvidia.offers.*.upfront costs no second parse)."""
    for sign in "&*":
        at = text.find(sign)
        while at >= 0:
            if at == 0 or text[at - 1].isspace() or text[at - 1] in _BEFORE_ANCHOR:
                return True
            at = text.find(sign, at + 1)
    return False


def read_yaml(path: Path, prefix: PathKey = ()) -> Tree:
    """Read one YAML file whose top level must be a mapping, keeping each value's line.

    Reads only a regular file of at most MAX_FILE_BYTES, without ever blocking (a FIFO, a
    device or a socket is refused unread); anything wrong is a ConfigError naming the file."""
    shown = str(path)
    return parse_yaml(read_text(Path(path)), shown, prefix)


def read_text(path: Path, kind: str = "YAML") -> str:
    """The UTF-8 text of `path` (a `kind` file: YAML, CSV), or a ConfigError naming the file (and
    line) saying why not.

    The file is opened non-blocking and checked on its descriptor (no gap between the check
    and the read), and at most MAX_FILE_BYTES + 1 bytes are ever read."""

    shown = str(path)

    def refuse(message: str, line: int | None = None) -> ConfigError:
        """The error for this file (at `line` if given)."""
        return ConfigError([Problem(Location(shown, line), "", message)])

    too_large = f"is larger than {MAX_FILE_BYTES >> 20} MiB, expected a smaller {kind} file"
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except (OSError, ValueError) as exc:
        raise refuse(_unopenable(path, exc, kind)) from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise refuse(f"is {_file_kind(status.st_mode)}, expected a regular {kind} file")
        if status.st_size > MAX_FILE_BYTES:
            raise refuse(too_large)
        raw = bytearray()
        while len(raw) <= MAX_FILE_BYTES:
            chunk = os.read(descriptor, MAX_FILE_BYTES + 1 - len(raw))
            if not chunk:
                break
            raw += chunk
    except OSError as exc:
        raise refuse(f"cannot be read ({exc.strerror}), expected a readable {kind} file") from None
    finally:
        os.close(descriptor)
    if len(raw) > MAX_FILE_BYTES:
        raise refuse(too_large)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise refuse(f"found the byte 0x{raw[exc.start]:02x}, which is not UTF-8, expected a UTF-8 text file",
                     raw.count(b"\n", 0, exc.start) + 1) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise refuse(f"found a NUL byte (binary content), expected {kind} text", text.count("\n", 0, nul) + 1)
    return text


def _unopenable(path: Path, exc: Exception, kind: str) -> str:
    """Why `path` could not be opened, as `found X, expected Y` text."""
    if isinstance(exc, FileNotFoundError):
        return f"is a symlink to a missing file, expected a {kind} file" if os.path.islink(path) else "file not found"
    if isinstance(exc, PermissionError):
        return "permission denied, expected a file you can read"
    if isinstance(exc, IsADirectoryError):
        return f"is a directory, expected a regular {kind} file"
    if isinstance(exc, ValueError):
        return "found a NUL character in the file name, expected a path"
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):  # a socket cannot be opened at all (ENXIO): say what it is
        return f"is {_file_kind(mode)}, expected a regular {kind} file"
    return f"cannot be opened ({exc.strerror}), expected a regular {kind} file"


def _file_kind(mode: int) -> str:
    """'a directory', 'a named pipe (FIFO)', ... for the stat mode of anything but a regular file."""
    kinds = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def parse_yaml(text: str, shown: str, prefix: PathKey = ()) -> Tree:
    """Parse YAML text (from `shown`) into a Tree rooted at `prefix`: a mapping at the top,
    plain values only (see _Reader); every problem a located ConfigError."""
    reader = _Reader(shown)
    node = reader.compose(text, format_path(prefix))
    if node is None:
        raise ConfigError([Problem(Location(shown), "", "file is empty, expected a YAML mapping")])
    if not isinstance(node, yaml.MappingNode):
        raise ConfigError([Problem(reader.at(node.start_mark), "",
                                   f"found a {_node_kind(node)}, expected a YAML mapping at the top")])
    data = reader.convert(node, prefix)
    if reader.problems:
        raise ConfigError(reader.problems)
    return Tree(data, reader.locations)


def _node_kind(node: yaml.Node) -> str:
    """'mapping', 'list' or 'single value'."""
    return {yaml.MappingNode: "mapping", yaml.SequenceNode: "list"}.get(type(node), "single value")


class _Reader:
    """Turns one YAML text into plain values (dict, list, str, int, float, bool, None), each
    located, and refuses, located, what a config never needs and a hostile file could abuse:
    anchors and aliases (the "billion laughs"), merge keys, tags other than the plain scalar
    ones, values those tags cannot read, whole numbers beyond a float, NUL characters, keys
    that are not text or a whole number, and nesting deeper than MAX_DEPTH."""

    def __init__(self, shown: str, lines: bool = True):
        """A reader for text from `shown` (a file name, or --set: `lines` False, no line numbers)."""
        self.shown = shown
        self.lines = lines
        self.locations: dict[PathKey, Location] = {}
        self.problems: list[Problem] = []
        self.loader: Any = None

    def at(self, mark) -> Location:
        """The location of a YAML mark (no line for one-line sources like --set)."""
        return Location(self.shown, mark.line + 1 if self.lines else None)

    def compose(self, text: str, path: str) -> yaml.Node | None:
        """The document's node graph (None if it is empty); a located ConfigError for a syntax
        error, an anchor or an alias (found in the event stream, before any node is shared)."""
        try:
            if _may_hold_anchors(text):
                self._refuse_anchors(text, path)
            self.loader = _Constructor(text)
            try:
                return self.loader.get_single_node()
            finally:
                self.loader.dispose()
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
            reason = getattr(exc, "problem", None) or str(exc)
            location = self.at(mark) if mark else Location(self.shown)
            raise ConfigError([Problem(location, path, f"YAML syntax error: {reason}")]) from None
        except RecursionError:
            raise ConfigError([Problem(Location(self.shown), path,
                                       f"nested too deeply, expected at most {MAX_DEPTH} levels")]) from None

    def _refuse_anchors(self, text: str, path: str) -> None:
        """A ConfigError at the first anchor or alias of the text, if it has one."""
        loader = _Constructor(text)
        try:
            while loader.check_event():
                event = loader.get_event()
                if getattr(event, "anchor", None) is not None:
                    kind, sign = ("alias", "*") if isinstance(event, yaml.AliasEvent) else ("anchor", "&")
                    raise ConfigError([Problem(self.at(event.start_mark), path,
                                               f"found the {kind} {sign}{event.anchor}, expected every value "
                                               "written out: configs use no anchors (&) or aliases (*) "
                                               "(PyYAML writes them for an object used twice: dump copies)")])
        finally:
            loader.dispose()

    def convert(self, node: yaml.Node, path: PathKey, depth: int = 0) -> Any:
        """The node's value, located at `path` (and everything in it); _REFUSED, with a problem
        recorded, where it is refused. Recursion stops at MAX_DEPTH."""
        self.locations[path] = self.at(node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, path)
        if node.tag != _COLLECTION_TAGS[type(node)]:
            return self._refuse(node, path, self._tag_message(node))
        if depth >= MAX_DEPTH:
            return self._refuse(node, path, f"nested more than {MAX_DEPTH} levels deep, expected a flatter config")
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = self._key(key_node, path)
            if key is _REFUSED:
                continue
            if key in out:
                self._refuse(key_node, path + (key,), "duplicate key, expected each key once")
                continue
            out[key] = self.convert(value_node, path + (key,), depth + 1)
            self.locations[path + (key,)] = self.at(key_node.start_mark)
        return out

    def _key(self, node: yaml.Node, path: PathKey) -> Any:
        """A mapping key: text or a whole number (a year); _REFUSED (with a problem) otherwise."""
        if not isinstance(node, yaml.ScalarNode):
            return self._refuse(node, path, "found a complex key, expected a plain name")
        key = self._scalar(node, path)
        if key is _REFUSED or isinstance(key, str) or (isinstance(key, int) and not isinstance(key, bool)):
            return key
        return self._refuse(node, path, f"found the key {node.value!r}, which YAML reads as {key!r}, "
                                        f"expected a name: quote it ('{node.value}')")

    def _scalar(self, node: yaml.ScalarNode, path: PathKey) -> Any:
        """A plain scalar's value; _REFUSED (with a problem) for any other tag or unreadable text."""
        construct = _SCALARS.get(node.tag)
        if construct is None:
            return self._refuse(node, path, self._tag_message(node))
        try:
            value = construct(self.loader, node)
        except (ArithmeticError, LookupError, ValueError, TypeError, yaml.YAMLError):
            if node.tag == _INT and sum(c.isdigit() for c in node.value) > 309:  # Python reads <= 4300 digits
                return self._refuse(node, path, _too_many_digits(node.value))
            short = node.tag.replace(_STANDARD, "!!")
            return self._refuse(node, path, f"found {_describe(node.value)} tagged {short}, "
                                            f"expected {_EXPECTED_BY_TAG[node.tag]}")
        if isinstance(value, str):
            if "\x00" in value:
                return self._refuse(node, path, "found a NUL character (\\0), expected text without one")
        elif isinstance(value, int) and abs(value) > sys.float_info.max:
            return self._refuse(node, path, _too_many_digits(node.value))
        return value

    def _tag_message(self, node: yaml.Node) -> str:
        """Why a node's tag is refused: a merge key, a plain scalar YAML reads as a date, or an
        explicit tag (!!python/..., !!binary, !!set, !custom, ...)."""
        if node.tag == _STANDARD + "merge":
            return "found a merge key (<<), expected the keys written out (configs use no anchors, aliases or merges)"
        meaning = _IMPLICIT_MEANING.get(node.tag)
        if (meaning and isinstance(node, yaml.ScalarNode) and not node.style  # plain: '' in LibYAML, None in Python
                and self.loader.resolve(yaml.ScalarNode, node.value, (True, False)) == node.tag):
            return f"found {node.value!r}, which YAML reads as {meaning}, expected text or a number: quote it"
        short = node.tag.replace(_STANDARD, "!!")
        return (f"found the tag {short}, expected no tag: configs hold only text, numbers, true/false and null "
                "(quote text that starts with !)")

    def _refuse(self, node: yaml.Node, path: PathKey, message: str) -> Any:
        """Record a located problem; _REFUSED stands in for the value."""
        self.problems.append(Problem(self.at(node.start_mark), format_path(path), message))
        return _REFUSED


_REFUSED = object()
"""Stands in for a refused value (its problem recorded); a refused key's entry is left out."""


def _too_many_digits(text: str) -> str:
    """The problem with a whole number too large for a float."""
    return f"found a {sum(c.isdigit() for c in text)}-digit number, expected a finite number"


def override_path(text: Any) -> PathKey:
    """An override's PATH ('policy.shares[0].max') as a path key; a ConfigError at --set if it is not one."""
    if not isinstance(text, str):
        raise ConfigError([Problem(Location("--set"), "", f"found {_describe(text)}, expected a dotted path as text")])
    try:
        return parse_path(text.strip())
    except ValueError as exc:
        raise ConfigError([Problem(Location("--set"), "", str(exc))]) from None


def parse_override(text: str) -> tuple[PathKey, Any]:
    """'policy.shares[0].max=0.5' -> (('policy','shares',0,'max'), 0.5). The value is read as
    YAML by the same reader as files (no anchors, aliases or tags; located at --set)."""
    location = Location("--set")
    if "=" not in text:
        raise ConfigError([Problem(location, text, "found no '=', expected PATH=VALUE")])
    path_text, value_text = text.split("=", 1)
    path = override_path(path_text)
    reader = _Reader("--set", lines=False)
    node = reader.compose(value_text, path_text)
    value = reader.convert(node, path) if node is not None else None
    if reader.problems:
        raise ConfigError(reader.problems)
    if value is None:
        raise ConfigError([Problem(location, path_text, "found an empty value, expected PATH=VALUE")])
    return path, value


def set_path(tree: Tree, path: PathKey, value: Any, location: Location) -> None:
    """Set `path` in the tree to `value` (creating missing mappings) and record `location`
    for it, everything in it and every mapping it created."""
    node: Any = tree.data
    for depth, part in enumerate(path[:-1]):
        if isinstance(node, dict):
            if part not in node:
                node[part] = {} if not isinstance(path[depth + 1], int) else []
                tree.locations[path[: depth + 1]] = location
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            raise ConfigError([Problem(location, format_path(path[: depth + 1]),
                                       "does not exist in the config, expected an existing path")])
    last = path[-1]
    if isinstance(node, dict) and not isinstance(last, int):
        before = node.get(last)
    elif isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node):
        before = node[last]
    else:
        raise ConfigError([Problem(location, format_path(path),
                                   "does not exist in the config, expected an existing path")])
    node[last] = copy.deepcopy(value)
    for old in paths_in(path, before):
        tree.locations.pop(old, None)
    for new in paths_in(path, value):
        tree.locations[new] = location


def paths_in(path: PathKey, value: Any) -> Iterator[PathKey]:
    """`path`, then the path of everything inside `value` (a value found at `path`); the time
    it takes is the size of `value`, never the size of the whole tree."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths_in(path + (key,), item)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from paths_in(path + (i,), item)


_FROM_SCENARIO = object()
"""load_tree's default catalog_dir: the one the scenario names."""


def load_tree(config: str | Path, catalog_dir: Any = _FROM_SCENARIO) -> Tree:
    """The scenario file plus its vendor catalog, as one located tree (not yet validated).

    The catalog is read from the scenario's `catalog_dir` (relative to the scenario's folder),
    or from `catalog_dir` when given (a --set override: relative to the current directory)."""
    config = Path(config)
    tree = read_yaml(config)
    data = tree.data
    inline = data.get("catalog") if isinstance(data.get("catalog"), dict) else {}
    if catalog_dir is not _FROM_SCENARIO:
        directory, origin = _directory(catalog_dir, Path.cwd(), Location("--set")), Location("--set")
    elif data.get("catalog_dir") is not None:
        origin = tree.locate(("catalog_dir",))
        directory = _directory(data["catalog_dir"], config.parent, origin)
    else:  # a scenario that brings its own catalog reads no files
        directory, origin = (None if inline else DEFAULT_CATALOG_DIR), None
    catalog: dict[str, Any] = {}
    if directory is not None:
        for vendor_id, vendor_tree in read_catalog_dir(directory, origin).items():
            catalog[vendor_id] = vendor_tree.data
            for key, loc in vendor_tree.locations.items():
                tree.locations[("catalog", vendor_id) + key] = loc
    problems = []
    for vendor_id, doc in inline.items():
        if vendor_id in catalog:
            problems.append(Problem(tree.locate(("catalog", vendor_id)), f"catalog.{vendor_id}",
                                    f"vendor {vendor_id!r} is also in {directory}, expected it once"))
        catalog[vendor_id] = doc
    if problems:
        raise ConfigError(problems)
    data["catalog"] = catalog
    return tree


def _directory(value: Any, base: Path, origin: Location | None) -> Path:
    """`value` (a catalog_dir) as an absolute directory path, relative paths from `base`."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError([Problem(origin, "catalog_dir", f"found {_describe(value)}, expected a directory path")])
    return (base / value).resolve()


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
        vendor_tree.locations.pop(("vendor",))
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
    from .schema import shown

    text = shown(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _problem_from_error(error: dict, tree: Tree, model: Any = None) -> Problem:
    """One pydantic error as a located Problem; `model` (default schema.Config) names the fields
    an unknown one could have been."""
    from .schema import Config

    model = model or Config

    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    found = _describe(error.get("input"))
    about_key = loc[-1:] == ("[key]",) or kind == "invalid_key"  # a mapping key is wrong, not its value
    if loc[-1:] == ("[key]",):
        loc = loc[:-1]
    where = tree.locate(loc)
    shown = format_path(loc[:-1] + (str(loc[-1]),)) if about_key else format_path(loc)
    if about_key and kind in ("string_type", "invalid_key"):
        message = f"found the key {loc[-1]!r}, expected a name: quote it ('{loc[-1]}')"
    elif kind == "value_error":
        message = str(ctx.get("error", error["msg"]))
    elif kind == "missing":
        message = "missing, expected a value for this required field"
    elif kind == "extra_forbidden":
        allowed = allowed_fields(model, loc[:-1])
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
    return Problem(where, shown, message)


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


def validate_tree(tree: Tree, model: Any = None):
    """Validate the tree against `model` (a pydantic model; default the scenario's schema.Config);
    every error at once, located."""
    from pydantic import ValidationError

    from .schema import Config

    model = model or Config
    try:
        return model.model_validate(tree.data)
    except ValidationError as exc:
        raise ConfigError([_problem_from_error(e, tree, model) for e in exc.errors()]) from None
