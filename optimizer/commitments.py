"""Signings the lab already holds, and what a surprise does to them.

A `Commitments` fixes x[o,τ] for the periods it covers: the signings listed, and 0 for every
other offer signed then. It comes from a plan cpo made (the base plan's signings up to a year:
`--commit-until`) or from the lab's own file (`--committed PLAN.csv`, the columns of plan.csv).
Loaded with a scenario (`cpo.load(..., commitments=...)`), it is part of the model's data, and
a surprise never makes it impossible to honour:
- an order whose product slipped stays signed and arrives late (its signing time is the
  later availability, plus the lead; data._signing_times);
- units that cannot run (a site lost power, demand fell) sit idle, with no power or energy;
- a scenario's signing caps (supply pools, resources) bind held signings too: above what a
  cap allows in their year they are delivered pro rata, the rest refunded (data._cut_to_caps),
  so a plan that holds signings is never cheaper than one that knew the scenario from the start;
- the lab's budget and a deal's delivery schedule are never below what held signings use
  (formulation.Model.grandfather): a contract signed is paid, and delivered, whatever they say;
- unserved demand is unmet at VOLL, a missed minimum a take-or-pay shortfall;
- a commitment whose offer is gone from the scenario is dropped, as refunded (data.dropped).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .data import FrozenDict, HereAndNow, period_end_time, period_time
from .errors import ConfigError, Location, Problem

PLAN_COLUMNS = ("offer", "period", "acquired_units")
"""The columns of plan.csv a commitments file needs (others are ignored)."""


@dataclass(frozen=True)
class Commitments:
    """(offer instance key, period name) -> units signed; `periods`: the periods these are the
    whole signings of (any other offer signed then: 0); `source`: where they came from."""

    units: FrozenDict
    periods: frozenset | None
    """None: every period of the horizon (a whole plan, `evaluate`)."""
    source: str
    lines: FrozenDict | None = field(default=None, compare=False)
    """(offer, period) -> the line of the file it was read from (read_csv), for located errors."""

    def until(self, year) -> "Commitments":
        """Only the signings of periods that end by the end of `year` (2026, or '2026Q2')."""
        end = period_end_time(year)
        named = self.periods if self.periods is not None else {period for _, period in self.units}
        return self.over(frozenset(p for p in named if period_end_time(p) <= end + 1e-9), f"until {year}")

    def over(self, periods: frozenset, why: str = "") -> "Commitments":
        """The signings of `periods` only, and those periods fixed to them (0 for an offer not
        listed): e.g. a plan's here-and-now stage, named by the horizon."""
        return Commitments(FrozenDict({k: v for k, v in self.units.items() if k[1] in periods}), frozenset(periods),
                           f"{self.source} {why}".strip(), self.lines)

    def here_and_now(self) -> HereAndNow:
        """The stage these signings make: in their periods, only they are signed."""
        signable: dict[str, set[str]] = {}
        for (key, period), units in self.units.items():
            if units > 0:
                signable.setdefault(key, set()).add(period)
        return HereAndNow(self.periods, FrozenDict({k: frozenset(v) for k, v in signable.items()}), self.source)

    def whole(self) -> "Commitments":
        """The same signings as a whole plan: every period of the horizon fixed (0 where none)."""
        return Commitments(self.units, None, self.source, self.lines)

    def unheld(self, data, stage: HereAndNow) -> list[Problem]:
        """The signings that cannot be held in a here-and-now `stage` of the base `data`, located at
        their line: one in a period the horizon does not have, or one in the stage of an offer
        the base cannot sign then (not in its catalog, or not available in that period), which
        would otherwise be dropped without a trace."""
        horizon = [p.name for p in data.periods]
        problems = []
        for (key, period), units in sorted(self.units.items()):
            where = Location(self.source, (self.lines or {}).get((key, period)))
            if units <= 0:
                continue
            if period not in horizon:
                problems.append(Problem(where, "period", f"found {period}, expected periods of the horizon "
                                        f"({horizon[0]}-{horizon[-1]})"))
            elif period in stage.periods and period not in stage.signable.get(key, ()):
                why = (f"it is not available in {period}" if any(offer.key == key for offer in data.offers)
                       else "no such offer in its catalog")
                problems.append(Problem(where, "offer", f"found {key!r} signed in {period}, expected an offer the "
                                        f"base scenario can sign then ({why})"))
        return problems

    def rows(self) -> list[dict]:
        """One row per signing, as plan.csv has them."""
        return [{"offer": key, "period": period, "acquired_units": units}
                for (key, period), units in sorted(self.units.items(), key=lambda kv: (period_time(kv[0][1]), kv[0][0]))]


def from_result(result, year=None) -> Commitments:
    """The signings of a solved plan: all of them (a whole plan), or those of the periods that
    end by the end of `year`."""
    data = result.data
    units = {(data.offers[o].key, data.periods[t].name): value
             for (o, t), value in result.plan_values.acquired.items() if value > 0}
    held = Commitments(FrozenDict(units), frozenset(p.name for p in data.periods), f"the plan of {data.name!r}")
    return held.until(year) if year is not None else held


def read_csv(path: str | Path) -> Commitments:
    """A plan.csv-like file (offer, period, acquired_units): the periods it names are fixed to
    its signings. Every problem located as FILE:LINE: column: found X, expected Y."""
    from .loading import read_text

    path = Path(path)
    text = read_text(path, "CSV")
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in PLAN_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ConfigError([Problem(Location(str(path), 1), "", f"found columns {reader.fieldnames or []}, expected "
                                   f"{', '.join(PLAN_COLUMNS)} (the columns of plan.csv)")])
    units: dict[tuple[str, str], float] = {}
    lines: dict[tuple[str, str], int] = {}
    problems = []
    plans: dict[str, int] = {}
    for line, row in enumerate(reader, start=2):
        where = Location(str(path), line)
        plans.setdefault(row.get("scenario") or "", line)
        if len(plans) == 2:
            problems.append(Problem(where, "scenario", f"found a second plan (scenario {row['scenario']!r}, after "
                                    f"{next(iter(plans))!r}), expected the signings of one plan "
                                    "(a stochastic plan's plan.csv holds one per scenario: give its first_stage.csv)"))
        try:
            period_time(row["period"])
        except ValueError as exc:
            problems.append(Problem(where, "period", str(exc)))
            continue
        try:
            value = float(row["acquired_units"])
        except ValueError:
            problems.append(Problem(where, "acquired_units", f"found {row['acquired_units']!r}, expected a number"))
            continue
        if not value >= 0 or value == float("inf"):
            problems.append(Problem(where, "acquired_units", f"found {value:g}, expected a finite number >= 0"))
            continue
        key = (row["offer"], str(row["period"]))
        units[key] = units.get(key, 0.0) + value
        lines.setdefault(key, line)
    if problems:
        raise ConfigError(problems)
    return Commitments(FrozenDict(units), frozenset(period for _, period in units), str(path), FrozenDict(lines))
