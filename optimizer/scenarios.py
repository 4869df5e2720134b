"""Scenario files: the states of the world a stochastic plan hedges against (schema.ScenariosFile).

    description: Risks to the 2026 plan
    until: 2026                                  # the here-and-now stage: signings to the end of 2026
    risk: {cvar: {alpha: 0.9, weight: 0.5}}      # optional: expected cost + 0.5 CVaR_0.9
    scenarios:                                   # named states, each what-ifs on the base
      - {name: base, probability: 0.6}
      - {name: mi450-slips, probability: 0.2, whatifs: [../whatif/amd-mi450-slip.yaml]}
      - name: nvidia-cut
        probability: 0.2
        changes: [{scale: "supply[nvidia-direct].cap", by: 0.6, from: 2027}]
    sample:                                      # and/or drawn states
      n: 40
      seed: 7
      whatifs: [{whatif: ../whatif/broadcom-delay.yaml, probability: 0.25}]

Every scenario is the base scenario (the config, with the command line's what-ifs and `--set`)
with its what-ifs and changes on top. A sampled scenario applies each listed what-if with its
probability, independently, and draws every catalog figure that has a `low` and a `high` from
the triangular distribution (low, value, high), one quantile per figure (a series moves
together); the draws share `sample.probability` (default: what the named scenarios leave)
equally. Probabilities that do not sum to 1 are normalised, with a note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError, Location, Problem
from .loading import PathKey, format_path, read_yaml, validate_tree

PROBABILITY_TOLERANCE = 1e-9
NOT_DRAWN = ("kw_per_unit",)
"""Ranged figures a sample leaves at their value: a product's power is what sites and MW caps
are planned with (its range is for `cpo sensitivity`); drawn, it would change what the
here-and-now signings count against their caps in each scenario."""


@dataclass(frozen=True)
class ScenarioSpec:
    """One scenario of a set: what-if files and changes on the base, and its probability."""

    name: str
    probability: float
    description: str
    whatifs: tuple[str, ...]
    changes: tuple[tuple[dict, Location], ...]
    location: Location | None = None
    """Where the scenario is written (its entry, or the sample)."""


@dataclass(frozen=True)
class Sampler:
    """How a sample draws scenarios: the what-ifs that happen, each with its probability, and
    (ranges) every ranged catalog figure of the base, from `seed`."""

    n: int
    seed: int
    ranges: bool
    whatifs: tuple[tuple[str, float], ...]
    where: Location | None

    def draw(self, base, until: str, n: int | None = None, seed: int | None = None, mass: float = 1.0,
             prefix: str = "draw") -> list[ScenarioSpec]:
        """n scenarios (default self.n) of probability mass / n each, from `seed` (default
        self.seed). A supply cap is drawn for the periods after `until` only (none, if `until` is the
        horizon's last period): what can be signed here and now is known (stochastic.check_stage)."""
        import numpy as np

        n = self.n if n is None else n
        rng = np.random.default_rng(self.seed if seed is None else seed)
        figures = [f for f in ranged_figures(base.tree.data) if f.path[-2] not in NOT_DRAWN] if self.ranges else []
        periods = [p.name for p in base.data.periods]
        from .data import period_end_time, period_time

        later = [p for p in periods if period_time(p) >= period_end_time(until) - 1e-9]
        stage = (periods[0], later[0]) if later else None
        if not later:  # every period here and now: no supply cap is drawn
            figures = [f for f in figures if "supply_cap" not in f.path]
        width = len(str(n))
        draws = []
        for i in range(n):
            happened = tuple(path for path, probability in self.whatifs if rng.random() < probability)
            quantiles = rng.random(len(figures))
            changes = tuple(({"set": format_path(figure.path),
                              "to": figure.at(u, stage if "supply_cap" in figure.path else None)}, self.where)
                            for figure, u in zip(figures, quantiles))
            parts = [Path(w).stem for w in happened] + ([f"{len(figures)} catalog figures drawn"] if figures else [])
            draws.append(ScenarioSpec(f"{prefix}-{i + 1:0{width}d}", mass / n, " + ".join(parts) or "the base scenario",
                                      happened, changes, self.where))
        return draws


@dataclass(frozen=True)
class ScenarioSet:
    path: Path
    description: str
    until: str
    """The last period of the here-and-now stage (a year or a quarter)."""
    scenarios: tuple[ScenarioSpec, ...]
    alpha: float
    """CVaR's level (0 with no risk measure)."""
    weight: float
    """λ, the weight of CVaR in the objective (0: expected cost alone)."""
    notes: tuple[str, ...] = ()
    sampler: Sampler | None = None
    """The file's sample (for fresh draws: `cpo evaluate --sample`)."""
    named: int = 0
    """How many of `scenarios` (the first) are named in the file; the rest are the sample's draws."""
    until_location: Location | None = None
    """Where `until` is written."""

    @property
    def until_where(self) -> Location:
        return self.until_location or Location(str(self.path))

    def fresh(self, base, n: int, seed: int) -> list[ScenarioSpec]:
        """n new scenarios from the file's distribution, 1/n each: each draw is a named scenario
        with its probability, or (with what the named ones leave) a fresh draw of the sample from
        `seed`. Without a sample the distribution is the named scenarios alone."""
        import numpy as np

        named = self.scenarios[:self.named]
        p = np.array([s.probability for s in named] + [1.0 - sum(s.probability for s in named)])
        p = np.clip(p, 0.0, None) if self.sampler is not None else np.append(p[:-1], 0.0)
        picks = np.random.default_rng(seed).choice(len(p), size=n, p=p / p.sum())
        drawn = iter(self.sampler.draw(base, self.until, n=int((picks == len(named)).sum()), seed=seed + 1)
                     if self.sampler is not None else [])
        width = len(str(n))
        specs = []
        for i, pick in enumerate(picks):
            spec = named[pick] if pick < len(named) else next(drawn)
            description = spec.name if pick < len(named) else spec.description
            specs.append(ScenarioSpec(f"draw-{i + 1:0{width}d}", 1.0 / n, description, spec.whatifs, spec.changes,
                                      spec.location))
        return specs


def read_scenarios(path: str | Path, base) -> ScenarioSet:
    """Read and check a scenario file against the base scenario (api.Scenario): every problem
    located (FILE:LINE: field: found X, expected Y), what-if files checked to exist, the sample
    drawn, probabilities normalised (with a note) where they do not sum to 1."""
    from .schema import ScenariosFile

    path = Path(path)
    tree = read_yaml(path)
    parsed = validate_tree(tree, ScenariosFile)
    from .stochastic import until_problems

    problems: list[Problem] = until_problems(base.data, str(parsed.until), tree.locate(("until",)))
    names = [entry.name for entry in parsed.scenarios]
    problems += [Problem(tree.locate(("scenarios", i, "name")), f"scenarios[{i}].name",
                         f"found {name!r} again (first at scenarios[{names.index(name)}]), expected each name once")
                 for i, name in enumerate(names) if names.index(name) < i]
    if problems:
        raise ConfigError(problems)

    def whatif_path(text: str, where: PathKey) -> str:
        resolved = (path.parent / text).resolve()
        if not resolved.is_file():
            problems.append(Problem(tree.locate(where), format_path(where),
                                    f"found {text!r}: no such file ({resolved}), expected a what-if file "
                                    "(relative to the scenarios file)"))
        return str(resolved)

    scenarios = []
    for i, entry in enumerate(parsed.scenarios):
        layers = tuple(whatif_path(w, ("scenarios", i, "whatifs", k)) for k, w in enumerate(entry.whatifs))
        changes = tuple((change, tree.locate(("scenarios", i, "changes", k))) for k, change in enumerate(entry.changes))
        scenarios.append(ScenarioSpec(entry.name, entry.probability, entry.description or _described(layers, changes),
                                      layers, changes, tree.locate(("scenarios", i))))
    sampler = None
    if parsed.sample is not None:
        sample = parsed.sample
        sampler = Sampler(sample.n, sample.seed, sample.ranges,
                          tuple((whatif_path(s.whatif, ("sample", "whatifs", k)), s.probability)
                                for k, s in enumerate(sample.whatifs)), tree.locate(("sample",)))
        if problems:
            raise ConfigError(problems)
        named = sum(s.probability for s in scenarios)
        mass = parsed.sample.probability if parsed.sample.probability is not None else 1.0 - named
        if mass <= PROBABILITY_TOLERANCE:
            raise ConfigError([Problem(tree.locate(("sample",)), "sample.probability",
                                       f"found the named scenarios' probabilities summing to {named:g}, leaving "
                                       f"{max(mass, 0.0):g} for the sample, expected some left (or give "
                                       "sample.probability, the draws' total)")])
        scenarios += sampler.draw(base, str(parsed.until), mass=mass)
    if problems:
        raise ConfigError(problems)
    scenarios, notes = _normalised(scenarios, tree.locate(("scenarios",)) or Location(str(path)))
    cvar = parsed.risk.cvar
    return ScenarioSet(path, parsed.description or path.stem, parsed.until, tuple(scenarios),
                       cvar.alpha if cvar else 0.0, cvar.weight if cvar else 0.0, tuple(notes), sampler,
                       len(parsed.scenarios), tree.locate(("until",)))


def _described(layers: tuple[str, ...], changes: tuple) -> str:
    parts = [Path(w).stem for w in layers] + [f"{len(changes)} change(s)"] * bool(changes)
    return " + ".join(parts) or "the base scenario"


def _normalised(scenarios: list[ScenarioSpec], where: Location) -> tuple[list[ScenarioSpec], list[str]]:
    """Probabilities summing to 1, or divided by their sum (a note says so); a zero sum is an error."""
    total = sum(s.probability for s in scenarios)
    if total <= 0:
        raise ConfigError([Problem(where, "probability", "found probabilities summing to 0, expected a positive sum "
                                   "(they are normalised to 1)")])
    if abs(total - 1.0) <= PROBABILITY_TOLERANCE:
        return scenarios, []
    from dataclasses import replace

    note = f"the probabilities summed to {total:.6g}; each was divided by it, so that they sum to 1"
    return [replace(s, probability=s.probability / total) for s in scenarios], [note]


# ---------------------------------------------------------------- sampling


@dataclass(frozen=True)
class RangedFigure:
    """A catalog figure with a range: `path` to the number (or series) drawn, and its low, value
    and high (numbers or {period: number} series)."""

    path: PathKey
    low: Any
    value: Any
    high: Any

    def at(self, u: float, stage: tuple[str, str] | None = None) -> Any:
        """The figure at quantile u of the triangular distribution (low, value, high), period by
        period for a series (the same u for all). With `stage` (the horizon's first period, the
        first after the here-and-now stage), the value itself before the second, drawn from it."""
        series = [s for s in (self.low, self.value, self.high) if isinstance(s, dict)]
        if not series and stage is None:
            return triangular(self.low, self.value, self.high, u)
        from .schema import period_items

        keys = {k for s in series for k in period_items(s)} | set(stage or ())
        drawn = {k: triangular(_at(self.low, k), _at(self.value, k), _at(self.high, k), u) for k in keys}
        if stage is not None:
            drawn.update({k: _at(self.value, k) for k in keys if _time(k) < _time(stage[1])})
        return dict(sorted(drawn.items(), key=lambda kv: _time(kv[0])))


def ranged_figures(data: dict) -> list[RangedFigure]:
    """Every figure in the scenario's catalog with both `low` and `high`, in catalog order: the
    `value` they bound (the `efficiency` of a throughput given by `basis`)."""
    found: list[RangedFigure] = []

    def walk(node: Any, path: PathKey) -> None:
        if isinstance(node, dict):
            if "low" in node and "high" in node:
                bounded = "efficiency" if "basis" in node else "value"
                if bounded in node:
                    found.append(RangedFigure(path + (bounded,), node["low"], node[bounded], node["high"]))
                return
            for key, child in node.items():
                walk(child, path + (key,))
        elif isinstance(node, list):
            for k, child in enumerate(node):
                walk(child, path + (k,))

    walk(data.get("catalog", {}), ("catalog",))
    return found


def triangular(low: float, mode: float, high: float, u: float) -> float:
    """The u-quantile of the triangular distribution on [low, high] peaking at mode."""
    if high <= low:
        return float(mode)
    split = (mode - low) / (high - low)
    if u < split:
        return low + math.sqrt(u * (high - low) * (mode - low))
    return high - math.sqrt((1 - u) * (high - low) * (high - mode))


def _time(key: Any) -> float:
    text = str(key)
    return int(text[:4]) + ((int(text[5]) - 1) / 4 if "Q" in text else 0.0)


def _at(series: Any, key: str) -> float:
    """A number, or a {period: number} series' value at period `key` (steps at each key; before
    the first, the first value)."""
    if not isinstance(series, dict):
        return series
    items = sorted(((str(k), v) for k, v in series.items()), key=lambda kv: _time(kv[0]))
    held = [v for k, v in items if _time(k) <= _time(key)]
    return held[-1] if held else items[0][1]
