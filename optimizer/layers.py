"""What-if layers: small YAML files that change a scenario (built in the what-if issue)."""

from __future__ import annotations

from pathlib import Path

from .errors import ConfigError, Location, Problem
from .loading import Tree


def apply_whatif(tree: Tree, path: Path) -> None:
    raise ConfigError([Problem(Location(str(path)), "", "what-if layers are not supported yet")])
