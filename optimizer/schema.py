"""The config schema: pydantic models that forbid unknown fields (`cpo schema` prints it).

Units are in the field names or docstrings: money in US dollars, compute in H100-equivalents
(H100e), power in MW of facility power unless a name says kW, time in years or months.
Period-indexed values (`Series`) are a number (every period) or a mapping from a year
(`2027`) or quarter (`"2027Q3"`) to a number; a value holds from its key until the next key,
and periods before the first key take the first value.
"""

from __future__ import annotations

import math
import re
import sys
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints,
                      model_validator)

PERIOD_KEY = re.compile(r"[0-9]{4}(Q[1-4])?")
"""A year (2027) or a quarter (2027Q3), in ASCII digits; match the whole text (fullmatch)."""
PROFILES_HINT = "pretraining, post_training, inference"

Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]
"""Identifiers: lowercase letters, digits, '_', '.', '-' (they name rows and CSV keys)."""

LARGEST = 1e15
"""No figure of a config is larger (in size): demand, caps, prices and budgets of any real lab
are far below it, while a solver fed 1e300 rejects the model instead of the field being named."""

Finite = Annotated[float, Field(ge=-LARGEST, le=LARGEST, allow_inf_nan=False)]
NonNeg = Annotated[float, Field(ge=0, le=LARGEST, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, le=LARGEST, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


def _number(value: Any, where: str) -> float:
    """`value` (a number, or text that reads as one) as a finite float; otherwise a ValueError
    saying what was found `where` (e.g. ' at 2027') and that a finite number was expected."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"found {value!r}{where}, expected a number")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"found {value!r}{where}, expected a number") from None
    if not isinstance(value, (int, float)):
        raise ValueError(f"found a {type(value).__name__}{where}, expected a number")
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise ValueError(f"found a {_digit_count(value)}-digit number{where}, expected a finite number")
    if not math.isfinite(value):
        raise ValueError(f"found {value}{where}, expected a finite number")
    if abs(value) > LARGEST:
        raise ValueError(f"found {value:g}{where}, expected a number of size at most {LARGEST:g}")
    return float(value)


def _digit_count(number: int) -> int:
    """Decimal digits of |number|, without str() (Python refuses to print over 4300 digits)."""
    number = max(abs(number), 1)
    estimate = int(number.bit_length() * math.log10(2))  # the count is this or one more
    return estimate + (number >= 10**estimate)


def shown(value: Any) -> str:
    """repr(value) for messages, or `a N-digit number` for a whole number too long to print."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 4000:
        return f"a {_digit_count(value)}-digit number"
    return repr(value)


def _series(minimum: float | None, above: bool = False):
    """A validator: a number, or a {period: number} mapping with each period once, every
    number finite and (if `minimum` is given) at least `minimum`, or above it if `above`."""

    def parse(value: Any) -> float | dict[str, float]:
        def checked(number: float, where: str) -> float:
            if minimum is not None and (number <= minimum if above else number < minimum):
                raise ValueError(f"found {number:g}{where}, expected a number {'>' if above else '>='} {minimum:g}")
            return number

        if not isinstance(value, dict):
            return checked(_number(value, ""), "")
        if not value:
            raise ValueError("found an empty mapping, expected a number or {year: number}")
        return {text: checked(_number(item, f" at {text}"), f" at {text}") for text, item in period_items(value).items()}

    return parse


def _period_text(value: Any) -> str | None:
    """The period a year (2027 or '2027') or a quarter ('2027Q3') names, as text; else None."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    text = str(value)
    return text if PERIOD_KEY.fullmatch(text) else None


def _period_key(value: Any) -> str:
    """A validator: a period key as text ('2027', '2027Q3'), or a ValueError saying what was found."""
    text = _period_text(value)
    if text is None:
        raise ValueError(f"found {value!r}, expected a year like 2027 or a quarter like 2027Q3")
    return text


def period_items(mapping: dict) -> dict[str, Any]:
    """{2027: a, '2028Q1': b} -> {'2027': a, '2028Q1': b}, in order. A ValueError for a key that
    is no period, or for a period written twice (2027 and '2027'), never a silent overwrite."""
    out: dict[str, Any] = {}
    spelled: dict[str, Any] = {}
    for key, item in mapping.items():
        text = _period_text(key)
        if text is None:
            raise ValueError(f"found key {key!r}, expected a year like 2027 or a quarter like 2027Q3")
        if text in out:
            raise ValueError(f"found period {text} twice ({spelled[text]!r} and {key!r}), expected each period once")
        out[text], spelled[text] = item, key
    return out


PeriodKey = Annotated[Any, BeforeValidator(_period_key)]
"""A year (2027) or a quarter ("2027Q3")."""

Series = Annotated[Any, BeforeValidator(_series(None))]
"""A number, or {period: number}; steps at each key."""
AmountSeries = Annotated[Any, BeforeValidator(_series(0.0))]
"""A non-negative Series."""
PositiveSeries = Annotated[Any, BeforeValidator(_series(0.0, above=True))]
"""A positive Series (e.g. an efficiency that ramps as software matures)."""


def _selector(value: Any) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict) or not value:
        raise ValueError("found a non-mapping, expected a mapping like {vendor: nvidia, channel: buy}")
    out: dict[str, tuple[str, ...]] = {}
    for key, item in value.items():
        items = item if isinstance(item, list) else [item]
        if not items or not all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in items):
            raise ValueError(f"found {item!r} for {key!r}, expected a name or a list of names")
        out[str(key)] = tuple(str(i) for i in items)
    return out


Selector = Annotated[Any, BeforeValidator(_selector)]
"""Picks offers by attribute: {vendor: nvidia}, {channel: [buy, reserved]}, {foundry: tsmc}.
Attributes are vendor, product, offer, channel, provider, region, site, and every tag key."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, defer_build=True,
                              use_attribute_docstrings=True)


# ---------------------------------------------------------------- vendor catalog


AI_MAINTAINED_WIKIS = ("grokipedia",)
"""Sites whose articles an AI writes and maintains: never a source for a figure."""
KINDS = ("datasheet", "filing", "mlperf", "analyst", "press", "aggregator", "assumption")
"""What a figure rests on: a vendor's datasheet or price list, a company filing, an MLCommons
result, an analyst's estimate, a press report, an aggregator (a site compiling others' figures),
or an assumption (or a figure derived from one)."""
AS_OF = re.compile(r"([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?")


def _as_of(value: Any) -> str:
    """A validator: `YYYY-MM` or `YYYY-MM-DD` naming a real month or day."""
    import datetime

    match = AS_OF.fullmatch(value) if isinstance(value, str) else None
    if match is not None:
        year, month, day = (int(part) if part else 1 for part in match.groups())
        try:
            datetime.date(year, month, day)
            return value
        except ValueError:
            pass
    raise ValueError(f"found {value!r}, expected a date like 2026-05 or 2026-05-08 (quoted)")


AsOf = Annotated[str, BeforeValidator(_as_of)]
"""When a fact held: a month (2026-05) or a day ("2026-05-08", quoted in YAML)."""


def names_ai_wiki(text: str) -> str | None:
    """The AI-maintained wiki that `text` cites, if any."""
    lowered = text.lower()
    return next((wiki for wiki in AI_MAINTAINED_WIKIS if wiki in lowered), None)


def _key_time(key: str) -> float:
    """'2027' -> 2027.0, '2027Q3' -> 2027.5."""
    return int(key[:4]) + (int(key[5]) - 1) / 4 if "Q" in key else float(key)


def _at(series: Any, key: str | None) -> float:
    """A number, or a {period: number} series' value at period `key` (steps at each key; before
    the first key, the first value)."""
    if not isinstance(series, dict):
        return series
    items = sorted(series.items(), key=lambda kv: _key_time(kv[0]))
    if key is None:
        return items[0][1]
    held = [v for k, v in items if _key_time(k) <= _key_time(key)]
    return held[-1] if held else items[0][1]


def range_problem(low: Any, base: Any, high: Any, name: str) -> str | None:
    """Why `low <= base <= high` (or, with `base` None, `low <= high`) fails at some period
    (numbers or {period: number} series), or None."""
    keys = sorted({k for s in (low, base, high) if isinstance(s, dict) for k in s}, key=_key_time)
    for key in keys or [None]:
        lo, hi = _at(low, key), _at(high, key)
        mid = lo if base is None else _at(base, key)
        if not lo <= mid <= hi:
            where = f" at {key}" if key else ""
            if base is None:
                return f"found low {lo:g} above high {hi:g}{where}, expected low <= high"
            return (f"found low {lo:g}, {name} {mid:g}, high {hi:g}{where}, expected low <= {name} <= high "
                    f"(the {name} is what solve uses; low and high bound it)")
    return None


class Provenance(Strict):
    """Where a figure comes from and how far to trust it: `source` (a key of the vendor's
    `sources`, a citation, or `assumption: <why>`), `as_of` (when the fact held), `kind` (what it
    rests on, one of KINDS) and, for an assumed or disputed figure, `low` and `high` around the
    value solve uses (on `efficiency` for a throughput given by `basis`). The schema checks that
    low <= high; that a vendor file's value lies between them is checked on the catalog as
    written (catalog.range_problems), since a what-if or a sweep may move a value anywhere."""

    source: Annotated[str, StringConstraints(min_length=1)]
    note: str | None = None
    as_of: AsOf | None = None
    kind: Literal[KINDS] | None = None

    @property
    def is_assumption(self) -> bool:
        """An assumption, or derived from one (kind assumption)."""
        return self.kind == "assumption" or self.source.strip().lower().startswith("assumption")

    def ranged_field(self) -> str:
        """The field `low` and `high` bound (and a sensitivity run moves)."""
        return "value"

    @model_validator(mode="after")
    def _provenance(self):
        wiki = names_ai_wiki(self.source)
        if wiki is not None:
            raise ValueError(f"found a source citing {wiki}, an AI-maintained wiki, expected a primary source, "
                             "a human-edited publication or `assumption: <why>`")
        starts = self.source.strip().lower().startswith("assumption")
        if starts and self.kind not in (None, "assumption"):
            raise ValueError(f"found kind {self.kind} for a source starting with 'assumption', "
                             "expected kind: assumption")
        derived = "derived from" in f"{self.source} {self.note or ''}".lower()
        if self.kind == "assumption" and not starts and not derived:
            raise ValueError("found kind assumption, expected a source starting with 'assumption: <why>', or "
                             "'derived from ...' in the source or note naming the assumption it rests on")
        low, high = getattr(self, "low", None), getattr(self, "high", None)
        if (low is None) != (high is None):
            raise ValueError("found only one of low and high, expected both (a range) or neither")
        problem = range_problem(low, None, high, "") if low is not None else None
        if problem:
            raise ValueError(problem)
        return self


class Sourced(Provenance):
    """A sourced figure (see Provenance)."""

    value: Finite
    low: Finite | None = None
    high: Finite | None = None


class SourcedAmount(Sourced):
    value: NonNeg
    low: NonNeg | None = None
    high: NonNeg | None = None


class SourcedPositive(Sourced):
    value: Positive
    low: Positive | None = None
    high: Positive | None = None


class SourcedFraction(Sourced):
    value: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    low: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    high: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None


class SourcedSeries(Provenance):
    """A sourced non-negative Series (e.g. a supply cap in units per year); `low` and `high`
    are numbers or series too, compared with the value at every period any of them names."""

    value: AmountSeries
    low: AmountSeries | None = None
    high: AmountSeries | None = None


class Throughput(Provenance):
    """H100e per unit on one workload profile: either `value` directly, or
    `basis` (a spec name) whose ratio to the reference product's spec is multiplied by
    `efficiency` (software maturity and realised utilisation relative to the H100). `value`
    and `efficiency` may be series ({2027: 0.6, 2029: 0.8}: a stack that matures). `low` and
    `high` (numbers or series) bound `efficiency` when a basis is given, else `value`."""

    value: AmountSeries | None = None
    basis: str | None = None
    efficiency: PositiveSeries = 1.0
    low: AmountSeries | None = None
    high: AmountSeries | None = None

    def ranged_field(self) -> str:
        return "efficiency" if self.basis is not None else "value"

    @model_validator(mode="after")
    def _one_way(self):
        if (self.value is None) == (self.basis is None):
            raise ValueError("give either value (H100e per unit) or basis (a spec name), not both or neither")
        return self


class Product(Strict):
    name: str
    year: int | None = None
    reference: bool = False
    """True for the one product that defines 1 H100e (the H100 SXM)."""
    specs: dict[str, SourcedAmount] = {}
    kw_per_unit: SourcedPositive
    """IT power per accelerator in kW, including its share of host, network and storage."""
    rack_kw: SourcedPositive | None = None
    """IT power of one rack of the product (kW): what a site's max_rack_kw must allow."""
    cooling: Literal["air", "liquid"] = "air"
    """Whether the product needs liquid cooling at the site."""
    throughput: dict[Id, Throughput]
    """Per workload profile (e.g. pretraining, post_training, inference)."""
    tags: dict[Id, str] = {}
    note: str | None = None


class Window(Strict):
    """When units can be signed for: periods overlapping [from, end of `to`]."""

    from_: Annotated[PeriodKey, Field(alias="from")]
    to: PeriodKey | None = None


class Offer(Strict):
    """One way to get a product: (channel, provider), with its prices and terms."""

    product: Id
    channel: Literal["buy", "reserved", "on_demand"]
    provider: Id
    region: Id
    upfront: SourcedSeries
    """$ per unit at signing (buy: hardware; reserved: prepayment); a series for a price that
    moves ({2026: 60000, 2028: 45000}): a unit pays the price of the period it is signed in."""
    recurring: SourcedSeries
    """$ per unit-year while active (buy: opex excluding site energy; cloud: the rent); a series
    for a price that moves: a reserved unit pays the rent of the period it is signed in for its
    whole term, an owned or on-demand unit the price of each period it is active."""
    term_years: SourcedPositive | None = None
    """Years active per acquisition (buy: useful life; reserved: commitment). Not for on_demand."""
    lead_months: SourcedAmount
    """Months from signing to active, not rounded to periods: units signed at time s are active
    over [s + lead/12, s + lead/12 + term) and each period counts the share of its length that
    window covers (signed at the start of 2026 with a 6-month lead, a unit serves half of 2026)."""
    available: Window
    supply_cap: SourcedSeries | None = None
    """Units per year this offer can deliver to one customer."""
    goodput: SourcedFraction | None = None
    """Share of the product's throughput this provider delivers (failures, scheduling, network:
    a provider tier), multiplying θ; 1 if absent."""
    tags: dict[Id, str] = {}
    note: str | None = None

    @model_validator(mode="after")
    def _term(self):
        if self.channel == "on_demand" and self.term_years is not None:
            raise ValueError("on_demand offers last one period; remove term_years")
        if self.channel != "on_demand" and self.term_years is None:
            raise ValueError(f"a {self.channel} offer needs term_years")
        return self


class Vendor(Strict):
    name: str
    description: str | None = None
    sources: dict[str, str] = {}
    """Citations referenced by key from `source` fields."""
    tags: dict[Id, str] = {}
    products: dict[Id, Product]
    offers: dict[Id, Offer]
    supply_cap: SourcedSeries | None = None
    """Units per year across all of this vendor's offers (the lab's allocation)."""


# ---------------------------------------------------------------- scenario


class Periods(Strict):
    start: Annotated[int, Field(ge=1900, le=2200)]
    end: Annotated[int, Field(ge=1900, le=2200)]
    step: Literal["year", "quarter"] = "year"

    @model_validator(mode="after")
    def _order(self):
        if self.end < self.start:
            raise ValueError(f"found end {self.end} before start {self.start}, expected end >= start")
        return self


class Workload(Strict):
    demand: AmountSeries
    """Sustained compute needed, in H100e (a capacity, not an amount of work)."""
    voll: Positive
    """Value of lost load: $ per H100e-year of unmet demand."""
    profile: Id | None = None
    """Throughput profile in the catalog (default: the workload's own name)."""
    eligible: Selector | None = None
    """Offers allowed to run this workload (default: all); e.g. {provider: azure}."""
    description: str | None = None


class Site(Strict):
    """A place the lab puts owned (or colocated) accelerators: a power cap in MW."""

    power_mw: AmountSeries
    pue: Annotated[float, Field(ge=1, le=3, allow_inf_nan=False)]
    region: Id
    energy_usd_per_mwh: NonNeg = 0.0
    facility_capex_usd_per_kw: NonNeg = 0.0
    """Non-accelerator capex per kW of facility power a unit needs (building, cooling,
    electrical), paid with the unit's upfront."""
    hosts: Selector = {"channel": ("buy",)}
    """Offers this site hosts (default: every `buy` offer), as far as its racks allow."""
    max_rack_kw: Positive | None = None
    """The densest rack the site can power and cool (kW); a product whose `rack_kw` is higher
    cannot land here (a 200 kW rack in a 40 kW colocation cage)."""
    liquid_cooling: bool = True
    """Whether the site has liquid cooling; a product that needs it (`cooling: liquid`) cannot
    land where it has not."""
    description: str | None = None
    source: str | None = None


class Existing(Strict):
    """Capacity already owned or contracted: active units by period."""

    offer: str
    """`vendor/offer` in the catalog."""
    site: Id | None = None
    units: AmountSeries
    pay_recurring: bool = True
    note: str | None = None


class SupplyPool(Strict):
    """A cap on acquisitions across the offers it matches (units or facility MW per year)."""

    name: Id
    match: Selector
    cap: AmountSeries
    measure: Literal["units", "mw"] = "units"
    source: str | None = None


class ResourceUse(Strict):
    match: Selector
    per_unit: NonNeg


class Resource(Strict):
    """A common-mode input consumed by acquisitions (e.g. CoWoS wafers, HBM stacks)."""

    name: Id
    unit: str
    cap: AmountSeries
    """Per year."""
    usage: list[ResourceUse]
    source: str | None = None


class ShareRule(Strict):
    """Concentration policy: each member of `group` (or just `member`) holds between
    `min` and `max` of the total `measure` in every period from `from` to `to`."""

    group: Id = "vendor"
    member: str | None = None
    measure: Literal["compute", "spend", "units", "power"] = "compute"
    max: Fraction | None = None
    min: Fraction | None = None
    from_: Annotated[PeriodKey | None, Field(alias="from")] = None
    to: PeriodKey | None = None

    @model_validator(mode="after")
    def _bounds(self):
        if self.max is None and self.min is None:
            raise ValueError("give max, min or both")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ValueError(f"found min {self.min} above max {self.max}, expected min <= max")
        return self


class Failure(Strict):
    """A disruption: every offer matched (or each member of `group` in turn) delivers only
    `delivered` of its units, with `probability` per year, for `duration_years`."""

    group: Id | None = None
    match: Selector | None = None
    name: Id | None = None
    delivered: Fraction = 0.0
    probability: Fraction = 0.0
    duration_years: Positive = 1.0

    @model_validator(mode="after")
    def _one_way(self):
        if (self.group is None) == (self.match is None):
            raise ValueError("give either group (one failure per member) or match (one failure)")
        if self.match is not None and self.name is None:
            raise ValueError("a failure given by match needs a name")
        return self


class Resilience(Strict):
    """N-1 and common-mode resilience. `hard`: after any one failure, the critical fraction
    of each workload's demand must still be served. `priced`: a shortfall costs its
    probability x duration x VOLL in the multi-vendor objective."""

    mode: Literal["off", "priced", "hard"] = "priced"
    critical_fraction: Fraction | dict[Id, Fraction] = 1.0
    failures: Annotated[list[Failure], Field(min_length=1)]


class Tranche(Strict):
    """A milestone: `credit_usd` earned once the deal's `financing.measure` reaches `reach` in
    period `by` (a warrant tranche vesting at 1 GW, an investment paid at a volume or share)."""

    reach: NonNeg
    by: PeriodKey
    credit_usd: NonNeg
    note: str | None = None


class Financing(Strict):
    """Vendor financing: an investment or warrant worth `rate` $ per `per` (facility MW or unit
    of the covered offers signed in the window, or $ paid to them in the window), up to `cap_usd`
    in all; and/or milestone `tranches` on `measure` (binaries under --integer, pro rata in the LP)."""

    rate: NonNeg = 0.0
    per: Literal["mw", "unit", "usd"] = "mw"
    cap_usd: NonNeg | None = None
    measure: Literal["mw", "units", "share", "spend_usd"] = "mw"
    """What tranches count: active facility MW or units of the covered offers in period `by`,
    their share of all demand served in `by`, or their cumulative spend from the window's start."""
    tranches: list[Tranche] = []
    kind: Literal["credit", "equity"] = "credit"
    """`credit`: a rebate or credit on what the lab pays, which lowers its procurement cost.
    `equity`: an investment in the lab or a warrant (Nvidia's equity, Amazon's investment, AMD's
    warrant): financing, not a discount. Both are worth what they pay and so move the plan, but
    equity never lowers the procurement cost: it is reported on its own line (vendor_equity)."""
    source: Annotated[str, StringConstraints(min_length=1)]

    @model_validator(mode="after")
    def _capped(self):
        if self.rate > 0 and self.cap_usd is None:
            raise ValueError("a financing rate needs cap_usd (uncapped, a rate above the price would pay the "
                             "lab to buy without limit)")
        return self


class Deal(Strict):
    """A contract with a counterparty over the offers it `covers`, from `from` to `to`."""

    name: Id
    counterparty: str
    covers: Selector
    from_: Annotated[PeriodKey, Field(alias="from")]
    to: PeriodKey | None = None
    min_spend_usd: NonNeg | None = None
    """Take-or-pay: cash paid to the covered offers over the window, or the shortfall is paid
    at the window's end (undiscounted $, like the contract)."""
    max_mw: AmountSeries | None = None
    """Delivery schedule: active facility MW of the covered offers per period in the window
    (installed units included); nothing new is delivered before the window's start."""
    exclusive: list[Id] = []
    """Workloads that may run only on the covered offers (e.g. API inference on Azure), over the
    whole horizon."""
    financing: Financing | None = None
    source: Annotated[str, StringConstraints(min_length=1)]
    note: str | None = None


class Porting(Strict):
    """One-off cost of bringing a vendor's software stack up for a workload."""

    vendor: Id
    workload: Id
    cost_usd: NonNeg
    source: Annotated[str, StringConstraints(min_length=1)]


class Milp(Strict):
    """Integer options. Without `integer` (or `cpo solve --integer`) the model is an LP: binaries
    are relaxed to [0, 1] (tranches vest pro rata, porting is paid pro rata)."""

    integer: bool = False
    lot_units: Positive = 1.0
    """Units are bought in whole lots of this size (e.g. 72 for an NVL72 rack)."""
    min_cluster_units: dict[Id, Positive] = {}
    """Per workload: in every period with demand, at least this many units of one offer run it."""
    porting: list[Porting] = []
    mip_gap: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.001
    """Relative MIP gap at which HiGHS stops."""


class Policy(Strict):
    shares: list[ShareRule] = []
    resilience: Resilience | None = None
    hhi_weight_usd_per_year: NonNeg = 0.0
    """Penalty in $ per year per unit of HHI of vendor shares of demand (HHI in [0, 1])."""
    budget_usd_per_year: AmountSeries | None = None
    """Cash out (upfront + recurring) allowed per year."""


class Config(Strict):
    """A scenario and the vendor catalog it uses."""

    name: str
    description: str | None = None
    catalog_dir: str | None = None
    """Directory of vendor YAML files, relative to the scenario (default: the repo's vendors/).
    `--set catalog_dir=DIR` (or overrides={"catalog_dir": DIR}) reads the catalog from DIR
    instead, relative to the current directory; a what-if cannot change it."""
    vendors: list[Id] | None = None
    """Catalog vendors in play (default: all)."""
    exclude: list[Selector] = []
    """Offers to leave out, e.g. [{pricing: deal}] for prices only a very large customer gets."""
    catalog: dict[Id, Vendor] = {}
    periods: Periods
    discount_rate: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.0
    cloud_pue: Annotated[float, Field(ge=1, le=3, allow_inf_nan=False)] = 1.2
    """PUE used to report the facility power of capacity at no lab site (cloud)."""
    workloads: Annotated[dict[Id, Workload], Field(min_length=1)]
    sites: dict[Id, Site] = {}
    existing: list[Existing] = []
    supply: list[SupplyPool] = []
    resources: list[Resource] = []
    policy: Policy = Policy()
    deals: list[Deal] = []
    milp: Milp = Milp()
    objective: Literal["multi-vendor", "cost", "max-share", "hhi"] = "multi-vendor"
    sources: dict[str, str] = {}
    """Citations for the scenario's own figures."""


# ---------------------------------------------------------------- scenario files (decisions under uncertainty)


MAX_SCENARIOS = 1000
"""The most scenarios one stochastic plan may have (each is a copy of the model)."""


class NamedScenario(Strict):
    """One state of the world: what-if layers and changes on the base scenario, and its probability."""

    name: Id
    probability: Fraction
    description: str | None = None
    whatifs: list[str] = []
    """What-if files, relative to the scenarios file, applied in order on the base."""
    changes: list[dict[str, Any]] = []
    """What-if changes (as in a what-if file), applied after `whatifs`."""


class SampledWhatif(Strict):
    """A what-if that happens in a sampled scenario with this probability (independently of the others)."""

    whatif: str
    probability: Fraction


class Sample(Strict):
    """Scenarios drawn at random: each catalog figure with a `low` and `high` drawn from the
    triangular distribution (low, value, high), and each of `whatifs` applied with its probability."""

    n: Annotated[int, Field(ge=1, le=MAX_SCENARIOS)]
    seed: int = 0
    ranges: bool = True
    """Draw the catalog's ranged figures (false: the what-ifs alone)."""
    whatifs: list[SampledWhatif] = []
    probability: Fraction | None = None
    """The draws' total probability (default: what the named scenarios leave), shared equally."""


class CVaR(Strict):
    """Conditional value at risk: the expected cost of the worst 1 − alpha of outcomes, weighed in."""

    alpha: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
    weight: NonNeg
    """λ in expected cost + λ·CVaR_alpha."""


class Risk(Strict):
    cvar: CVaR | None = None


class ScenariosFile(Strict):
    """A stochastic plan's scenarios: `until` ends the here-and-now stage (signings up to then
    are decided once, for every scenario); named scenarios and/or a sample; a risk measure."""

    description: str | None = None
    until: PeriodKey
    scenarios: Annotated[list[NamedScenario], Field(max_length=MAX_SCENARIOS)] = []
    sample: Sample | None = None
    risk: Risk = Risk()

    @model_validator(mode="after")
    def _some_scenarios(self):
        if not self.scenarios and self.sample is None:
            raise ValueError("found no scenarios, expected a list under scenarios, a sample, or both")
        if len(self.scenarios) + (self.sample.n if self.sample else 0) > MAX_SCENARIOS:
            raise ValueError(f"found {len(self.scenarios) + self.sample.n} scenarios, expected at most {MAX_SCENARIOS}")
        return self
