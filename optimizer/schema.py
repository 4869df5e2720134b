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

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema,
                      model_validator)
from pydantic.json_schema import SkipJsonSchema

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
        return {text: checked(_number(item, f" at {text}"), f" at {text}")
                for text, item in period_items(value).items()}

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


PERIOD_PATTERN = "^" + PERIOD_KEY.pattern + "$"
"""PERIOD_KEY as a JSON Schema pattern (anchored: JSON Schema patterns search)."""
PERIOD_SCHEMA = {"anyOf": [{"type": "integer", "minimum": 1000, "maximum": 9999},
                           {"type": "string", "pattern": PERIOD_PATTERN}],
                 "examples": [2027, "2027Q3"]}
"""What a period key is in the JSON Schema (the validator, _period_key, is what cpo checks)."""


def _series_schema(minimum: float | None, above: bool = False) -> dict:
    """A Series' JSON Schema: a number, or a non-empty {period: number} mapping (what _series accepts)."""
    number: dict[str, Any] = {"type": "number", "maximum": LARGEST}
    if minimum is None:
        number["minimum"] = -LARGEST
    else:
        number["exclusiveMinimum" if above else "minimum"] = minimum
    mapping = {"type": "object", "minProperties": 1, "propertyNames": {"pattern": PERIOD_PATTERN},
               "additionalProperties": number}
    return {"anyOf": [number, mapping], "examples": [1000, {"2026": 1000, "2028": 2500, "2030Q3": 4000}]}


PeriodKey = Annotated[Any, BeforeValidator(_period_key), WithJsonSchema(PERIOD_SCHEMA)]
"""A year (2027) or a quarter ("2027Q3")."""

Series = Annotated[Any, BeforeValidator(_series(None)), WithJsonSchema(_series_schema(None))]
"""A number, or {period: number}; steps at each key."""
AmountSeries = Annotated[Any, BeforeValidator(_series(0.0)), WithJsonSchema(_series_schema(0.0))]
"""A non-negative Series."""
PositiveSeries = Annotated[Any, BeforeValidator(_series(0.0, above=True)), WithJsonSchema(_series_schema(0.0, True))]
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


_NAMES_SCHEMA = {"type": ["string", "integer"]}
SELECTOR_SCHEMA = {"type": "object", "minProperties": 1,
                   "additionalProperties": {"anyOf": [_NAMES_SCHEMA,
                                                      {"type": "array", "minItems": 1, "items": _NAMES_SCHEMA}]},
                   "examples": [{"vendor": "nvidia", "channel": ["buy", "reserved"]}]}
"""What a selector is in the JSON Schema: {attribute: a name or a list of names} (_selector checks it)."""

Selector = Annotated[Any, BeforeValidator(_selector), WithJsonSchema(SELECTOR_SCHEMA)]
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


AsOf = Annotated[str, BeforeValidator(_as_of),
                 WithJsonSchema({"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$",
                                 "examples": ["2026-05", "2026-05-08"]})]
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
    """Where the figure comes from: a key of the vendor's `sources`, a citation written in place, or
    `assumption: <why>`."""
    note: str | None = None
    """Free text: how the figure was read or derived (e.g. "10.2 kW / 8")."""
    as_of: AsOf | None = None
    """When the fact held: a month like 2026-05, or a day like "2026-05-08" (quoted: YAML reads an unquoted day
    as a date)."""
    kind: Literal[KINDS] | None = None
    """What the figure rests on: datasheet, filing, mlperf, analyst, press, aggregator or assumption
    (vendors/README.md)."""

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
    """The figure solve uses, in the unit of the field it sits under."""
    low: Finite | None = None
    """Low end of the figure's range (with `high`), for an assumed or disputed figure; same unit as `value`."""
    high: Finite | None = None
    """High end of the figure's range (with `low`); same unit as `value`."""


class SourcedAmount(Sourced):
    value: NonNeg
    """The figure solve uses (>= 0), in the unit of the field it sits under (e.g. $ per unit, months, TFLOPS)."""
    low: NonNeg | None = None
    """Low end of the figure's range (with `high`, >= 0); same unit as `value`."""
    high: NonNeg | None = None
    """High end of the figure's range (with `low`, >= 0); same unit as `value`."""


class SourcedPositive(Sourced):
    value: Positive
    """The figure solve uses (> 0), in the unit of the field it sits under (e.g. kW, years)."""
    low: Positive | None = None
    """Low end of the figure's range (with `high`, > 0); same unit as `value`."""
    high: Positive | None = None
    """High end of the figure's range (with `low`, > 0); same unit as `value`."""


class SourcedFraction(Sourced):
    value: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    """The fraction solve uses, in (0, 1] (0.9 = 90%)."""
    low: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    """Low end of the fraction's range (with `high`), in (0, 1]."""
    high: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] | None = None
    """High end of the fraction's range (with `low`), in (0, 1]."""


class SourcedSeries(Provenance):
    """A sourced non-negative Series (e.g. a supply cap in units per year); `low` and `high`
    are numbers or series too, compared with the value at every period any of them names."""

    value: AmountSeries
    """The figure solve uses (>= 0), in the unit of the field it sits under: a number (every period) or
    {period: number} keyed by a year like 2027 or a quarter like 2027Q3."""
    low: AmountSeries | None = None
    """Low end of the range (with `high`): a number or {period: number}, same unit as `value`."""
    high: AmountSeries | None = None
    """High end of the range (with `low`): a number or {period: number}, same unit as `value`."""


class Throughput(Provenance):
    """H100e per unit on one workload profile: either `value` directly, or
    `basis` (a spec name) whose ratio to the reference product's spec is multiplied by
    `efficiency` (software maturity and realised utilisation relative to the H100). `value`
    and `efficiency` may be series ({2027: 0.6, 2029: 0.8}: a stack that matures). `low` and
    `high` (numbers or series) bound `efficiency` when a basis is given, else `value`."""

    value: AmountSeries | None = None
    """H100e per unit on this profile, given directly: a number or {period: number} (give this or `basis`)."""
    basis: str | None = None
    """A spec of the product (e.g. fp8_dense_tflops): θ = this product's spec / the reference product's spec x
    `efficiency` (give this or `value`)."""
    efficiency: PositiveSeries = 1.0
    """With `basis`: realised utilisation and software maturity relative to an H100 on CUDA (1.0), a number or
    {period: number} (> 0); ignored with `value`."""
    low: AmountSeries | None = None
    """Low end of the range of `efficiency` (with a basis) or of `value` (H100e per unit), a number or
    {period: number}; with `high`."""
    high: AmountSeries | None = None
    """High end of the range of `efficiency` (with a basis) or of `value` (H100e per unit), a number or
    {period: number}; with `low`."""

    def ranged_field(self) -> str:
        return "efficiency" if self.basis is not None else "value"

    @model_validator(mode="after")
    def _one_way(self):
        if (self.value is None) == (self.basis is None):
            raise ValueError("give either value (H100e per unit) or basis (a spec name), not both or neither")
        return self


class Product(Strict):
    name: str
    """Display name (e.g. H100 SXM)."""
    year: int | None = None
    """Year the product was announced or first shipped (for people; solve does not read it)."""
    reference: bool = False
    """True for the one product that defines 1 H100e (the H100 SXM)."""
    specs: dict[str, SourcedAmount] = {}
    """Datasheet figures by spec name (e.g. fp8_dense_tflops, bf16_dense_tflops, hbm_gb, hbm_tb_s, tdp_w), each
    sourced; a throughput's `basis` names one."""
    kw_per_unit: SourcedPositive
    """IT power per accelerator in kW, including its share of host, network and storage."""
    rack_kw: SourcedPositive | None = None
    """IT power of one rack of the product (kW): what a site's max_rack_kw must allow."""
    cooling: Literal["air", "liquid"] = "air"
    """Whether the product needs liquid cooling at the site."""
    throughput: dict[Id, Throughput]
    """Per workload profile (e.g. pretraining, post_training, inference)."""
    tags: dict[Id, str] = {}
    """Attributes for selectors (e.g. foundry: tsmc, packaging: cowos, memory: sk-hynix); they override the
    vendor's tags of the same key, an offer's override them."""
    note: str | None = None
    """Free text about the product or its figures."""


class Window(Strict):
    """When units can be signed for: periods overlapping [from, end of `to`]."""

    from_: Annotated[PeriodKey, Field(alias="from")]
    """First period units can be signed: a year like 2027 or a quarter like 2027Q3."""
    to: PeriodKey | None = None
    """Last period units can be signed, included: a year or a quarter (default: no end)."""


class Offer(Strict):
    """One way to get a product: (channel, provider), with its prices and terms."""

    product: Id
    """The product offered: a key of this vendor's `products`."""
    channel: Literal["buy", "reserved", "on_demand"]
    """buy (owned, at a lab site that hosts it), reserved (rented for `term_years` at the rent of the period
    signed in) or on_demand (rented one period at a time)."""
    provider: Id
    """Who delivers the units (e.g. self for owned, aws, azure, oracle, coreweave); a selector attribute."""
    region: Id
    """Where the units are (e.g. us, uae); at a lab site that hosts the offer, the site's region replaces it."""
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
    """When units can be signed: {from: PERIOD, to: PERIOD}."""
    supply_cap: SourcedSeries | None = None
    """Units per year this offer can deliver to one customer."""
    goodput: SourcedFraction | None = None
    """Share of the product's throughput this provider delivers (failures, scheduling, network:
    a provider tier), multiplying θ; 1 if absent."""
    tags: dict[Id, str] = {}
    """Attributes for selectors (e.g. pricing: list or deal), over the vendor's and the product's tags."""
    note: str | None = None
    """Free text about the offer or its figures."""

    @model_validator(mode="after")
    def _term(self):
        if self.channel == "on_demand" and self.term_years is not None:
            raise ValueError("on_demand offers last one period; remove term_years")
        if self.channel != "on_demand" and self.term_years is None:
            raise ValueError(f"a {self.channel} offer needs term_years")
        return self


class Vendor(Strict):
    name: str
    """Display name (e.g. NVIDIA)."""
    description: str | None = None
    """One line on what the vendor sells and how."""
    sources: dict[str, str] = {}
    """Citations referenced by key from `source` fields."""
    tags: dict[Id, str] = {}
    """Attributes of every offer of the vendor, for selectors (e.g. hq: us, pricing: list)."""
    products: dict[Id, Product]
    """The vendor's products by id (ids unique across the catalog)."""
    offers: dict[Id, Offer]
    """The ways to get the products (channel, provider, prices, terms) by id."""
    supply_cap: SourcedSeries | None = None
    """Units per year across all of this vendor's offers (the lab's allocation)."""


# ---------------------------------------------------------------- scenario


class Periods(Strict):
    start: Annotated[int, Field(ge=1900, le=2200)]
    """First year of the horizon (e.g. 2026)."""
    end: Annotated[int, Field(ge=1900, le=2200)]
    """Last year of the horizon, included (e.g. 2032)."""
    step: Literal["year", "quarter"] = "year"
    """Period length: year (one period a year) or quarter (four)."""

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
    """What the workload is (free text, for reports)."""


class Site(Strict):
    """A place the lab puts owned (or colocated) accelerators: a power cap in MW."""

    power_mw: AmountSeries
    """Facility power available (IT power x PUE), in MW: a number or {period: MW}; what the running units draw
    must fit in it."""
    pue: Annotated[float, Field(ge=1, le=3, allow_inf_nan=False)]
    """Power usage effectiveness: facility power / IT power, from 1 to 3 (e.g. 1.2)."""
    region: Id
    """The site's region (e.g. us, uae): the region attribute of the units it hosts."""
    energy_usd_per_mwh: NonNeg = 0.0
    """Energy price in $ per MWh of facility power, paid while units run (idle units pay none)."""
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
    """What the site is (free text, for reports)."""
    source: str | None = None
    """Citation for the site's figures."""


class Existing(Strict):
    """Capacity already owned or contracted: active units by period."""

    offer: str
    """`vendor/offer` in the catalog."""
    site: Id | None = None
    """The lab site the units stand at (required when the offer is hosted at sites; omit for cloud)."""
    units: AmountSeries
    """Active units (accelerators) by period: a number or {period: units}."""
    pay_recurring: bool = True
    """Whether these units pay the offer's recurring price (false: prepaid, they pay only energy)."""
    note: str | None = None
    """Free text: what the capacity is and where the figure comes from."""


class SupplyPool(Strict):
    """A cap on acquisitions across the offers it matches (units or facility MW per year)."""

    name: Id
    """The pool's id: names its supply row in reports and prices."""
    match: Selector
    """The offers it caps (a selector, e.g. {vendor: nvidia, channel: buy})."""
    cap: AmountSeries
    """Per year: units signed (measure units) or facility MW of the units signed (measure mw); a number or
    {period: number}."""
    measure: Literal["units", "mw"] = "units"
    """What `cap` counts: units (accelerators) or mw (facility MW of the units signed)."""
    source: str | None = None
    """Citation for the cap."""


class ResourceUse(Strict):
    match: Selector
    """The offers that use the resource (a selector)."""
    per_unit: NonNeg
    """Amount of the resource one unit signed uses, in the resource's `unit` (rules that match the same offer add
    up)."""


class Resource(Strict):
    """A common-mode input consumed by acquisitions (e.g. CoWoS wafers, HBM stacks)."""

    name: Id
    """The resource's id (e.g. hbm, cowos)."""
    unit: str
    """What the resource is counted in (e.g. TB, wafers): the unit of `cap` and `per_unit`."""
    cap: AmountSeries
    """Per year."""
    usage: list[ResourceUse]
    """Which offers use how much of it per unit signed."""
    source: str | None = None
    """Citation for the cap and the usage."""


class ShareRule(Strict):
    """Concentration policy: each member of `group` (or just `member`) holds between
    `min` and `max` of the total `measure` in every period from `from` to `to`."""

    group: Id = "vendor"
    """The attribute whose members are limited: vendor, product, offer, channel, provider, region, site or a tag
    key (e.g. foundry)."""
    member: str | None = None
    """One member of `group` to limit (default: every member)."""
    measure: Literal["compute", "spend", "units", "power"] = "compute"
    """What the share is of: compute (served H100e), spend ($), units (active) or power (facility MW)."""
    max: Fraction | None = None
    """Largest share of the total a member may hold, a fraction (0.5 = 50%)."""
    min: Fraction | None = None
    """Smallest share of the total a member must hold, a fraction."""
    from_: Annotated[PeriodKey | None, Field(alias="from")] = None
    """First period the rule holds: a year like 2027 or a quarter like 2027Q3 (default: the horizon's start)."""
    to: PeriodKey | None = None
    """Last period the rule holds, included: a year or a quarter (default: the horizon's end)."""

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
    """An attribute (e.g. vendor, foundry, memory): one failure for each of its members in turn (N-1); give this
    or `match`."""
    match: Selector | None = None
    """The offers one failure hits (a selector); give this (with `name`) or `group`."""
    name: Id | None = None
    """The failure's id (required with `match`; a group's failures are named group.member)."""
    delivered: Fraction = 0.0
    """Fraction of the hit offers' active units still available during the failure (0: none)."""
    probability: Fraction = 0.0
    """Chance per year that the failure happens, a fraction."""
    duration_years: Positive = 1.0
    """How long the failure lasts, in years."""

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
    """off (failures ignored), priced (a critical shortfall after a failure costs probability x duration x
    VOLL in the multi-vendor objective) or hard (the critical fraction is served after every failure)."""
    critical_fraction: Fraction | dict[Id, Fraction] = 1.0
    """Fraction of demand that must still be served after a failure: one for every workload, or
    {workload: fraction} (workloads not named: 0)."""
    failures: Annotated[list[Failure], Field(min_length=1)]
    """The failures considered (at least one)."""


class Tranche(Strict):
    """A milestone: `credit_usd` earned once the deal's `financing.measure` reaches `reach` in
    period `by` (a warrant tranche vesting at 1 GW, an investment paid at a volume or share)."""

    reach: NonNeg
    """The milestone, in the financing's `measure`: MW, units, a share (a fraction) or $."""
    by: PeriodKey
    """The period by whose end the milestone counts: a year like 2028 or a quarter like 2028Q4."""
    credit_usd: NonNeg
    """$ earned once the milestone is reached (pro rata in the LP)."""
    note: str | None = None
    """Free text about the tranche."""


class Financing(Strict):
    """Vendor financing: an investment or warrant worth `rate` $ per `per` (facility MW or unit
    of the covered offers signed in the window, or $ paid to them in the window), up to `cap_usd`
    in all; and/or milestone `tranches` on `measure` (binaries under --integer, pro rata in the LP)."""

    rate: NonNeg = 0.0
    """$ earned per `per` (e.g. 10e6: $10M per facility MW signed); needs `cap_usd`."""
    per: Literal["mw", "unit", "usd"] = "mw"
    """What `rate` is per: mw (facility MW signed), unit (accelerator signed) or usd ($ paid to the covered
    offers), in the deal's window."""
    cap_usd: NonNeg | None = None
    """The most `rate` can earn in all, in $."""
    measure: Literal["mw", "units", "share", "spend_usd"] = "mw"
    """What tranches count: active facility MW or units of the covered offers in period `by`,
    their share of all demand served in `by`, or their cumulative spend from the window's start."""
    tranches: list[Tranche] = []
    """Milestone payments on `measure`."""
    kind: Literal["credit", "equity"] = "credit"
    """`credit`: a rebate or credit on what the lab pays, which lowers its procurement cost.
    `equity`: an investment in the lab or a warrant (Nvidia's equity, Amazon's investment, AMD's
    warrant): financing, not a discount. Both are worth what they pay and so move the plan, but
    equity never lowers the procurement cost: it is reported on its own line (vendor_equity)."""
    source: Annotated[str, StringConstraints(min_length=1)]
    """Citation for the financing terms."""

    @model_validator(mode="after")
    def _capped(self):
        if self.rate > 0 and self.cap_usd is None:
            raise ValueError("a financing rate needs cap_usd (uncapped, a rate above the price would pay the "
                             "lab to buy without limit)")
        return self


class VolumeTier(Strict):
    """One step of a volume discount: once the deal's spend reaches `from_usd`, `discount` applies."""

    from_usd: NonNeg
    """Spend (undiscounted $ paid to the covered offers at list prices over the window) where the tier starts;
    the first tier starts at 0 and each starts above the one before."""
    discount: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
    """The tier's rebate, a fraction of spend in [0, 1) (0.05 = 5%); never below the tier before's."""


class VolumeTiers(Strict):
    """A volume discount on a deal's spend, paid as a rebate at the end of the window: `all_units`
    (the tier the spend reaches discounts every dollar) or `incremental` (each tier discounts the
    dollars inside it). Spend above `up_to_usd` earns no more. Both make the cost concave in volume,
    so the tier reached is a binary under --integer; the LP relaxation is an optimistic bound
    (docs/model.md)."""

    kind: Literal["all_units", "incremental"]
    """all_units: the highest tier reached discounts all the spend; incremental: each tier discounts the
    spend between its from_usd and the next tier's."""
    up_to_usd: Positive
    """The program's ceiling: spend above it earns no more rebate (above the last tier's from_usd)."""
    tiers: Annotated[list[VolumeTier], Field(min_length=1)]
    """The tiers, from_usd strictly rising from 0, discounts never falling."""
    source: Annotated[str, StringConstraints(min_length=1)]
    """Citation for the tiers (or "assumption: ...")."""


class Deal(Strict):
    """A contract with a counterparty over the offers it `covers`, from `from` to `to`."""

    name: Id
    """The deal's id (unique among deals)."""
    counterparty: str
    """Who the contract is with (e.g. Oracle)."""
    covers: Selector
    """The offers the deal covers (a selector, e.g. {provider: oracle})."""
    from_: Annotated[PeriodKey, Field(alias="from")]
    """First period of the deal's window: a year like 2027 or a quarter like 2027Q3."""
    to: PeriodKey | None = None
    """Last period of the window, included: a year or a quarter (default: the horizon's end)."""
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
    """Vendor financing that comes with the deal."""
    volume_tiers: VolumeTiers | None = None
    """A volume discount on the deal's spend (rebate tiers), paid at the end of the window."""
    source: Annotated[str, StringConstraints(min_length=1)]
    """Citation for the deal's terms."""
    note: str | None = None
    """Free text about the deal."""


class Resale(Strict):
    """Selling owned units (`buy` offers) or subletting reserved ones before their term ends:
    units of a signing sold at the start of a period leave the lab's capacity from then on."""

    match: Selector
    """The offers whose units may be sold (`buy`) or sublet (`reserved`), a selector; on-demand offers it
    matches are left out, and it must match at least one owned or reserved offer (each offer in one rule)."""
    curve: Annotated[dict[NonNeg, Fraction], Field(min_length=1)]
    """{age in years since signing: fraction}: what a unit sold fetches, as a fraction of its list upfront, or
    what a sublet unit earns per year, as a fraction of its rent; linear between the ages given, flat before the
    first and after the last."""
    from_: Annotated[PeriodKey | None, Field(alias="from")] = None
    """First period units may be sold at the start of: a year or a quarter (default: the horizon's start)."""
    to: PeriodKey | None = None
    """Last period units may be sold at the start of, included (default: the horizon's end)."""
    max_units_per_year: NonNeg | None = None
    """Most units the rule's offers may sell (or sublet) per calendar year (default: no cap)."""
    source: Annotated[str, StringConstraints(min_length=1)]
    """Citation for the curve (a used-GPU price index, a broker's quote, or 'assumption: ...')."""


class Strike(Strict):
    """What exercising an option pays per unit, in place of the offer's own prices."""

    upfront_usd: NonNeg | None = None
    """$ per unit signed on exercise, paid to the vendor (default: the offer's own upfront; a lab
    site's facility capex is still added)."""
    recurring_usd: NonNeg | None = None
    """$ per unit-year while active (default: the offer's own recurring)."""


class OptionWindow(Strict):
    """The periods an option can be exercised in: units signed from `from` to `to`, included."""

    from_: Annotated[PeriodKey, Field(alias="from")]
    """First period of exercise: a year like 2027 or a quarter like 2027Q3."""
    to: PeriodKey
    """Last period of exercise, included: a year or a quarter."""


class CapacityOption(Strict):
    """A capacity option: a right, bought for a fee at the start of `reserve`, to sign up to
    `units` (or `mw` of facility power) of the offers it `covers` during `exercise`, outside the
    catalog's supply caps (vendor and offer supply_cap: that is what the right buys), at the
    `strike` prices. Exercised units are offers like any other (site power, scenario supply
    pools, deals and shares apply); their attribute `option` is the option's name."""

    name: Id
    """The option's id (unique among options and packages)."""
    counterparty: str
    """Who sells the right (e.g. AMD)."""
    covers: Selector
    """The offers the right can be exercised on (a selector, e.g. {offer: amd/mi450-own})."""
    units: Positive | None = None
    """Size of the right in units (one of units and mw): Σ commitment x units signed on exercise."""
    mw: Positive | None = None
    """Size of the right in MW of facility power (units x kW x PUE / 1000, times commitment)."""
    reserve: PeriodKey | None = None
    """Period the right is bought in, its fee paid at its start (default: the horizon's start);
    at or before the exercise window."""
    exercise: OptionWindow
    """When the right can be exercised."""
    strike: Strike = Strike()
    """Prices paid on exercise (default: the offer's own)."""
    fee_usd_per_unit: NonNeg | None = None
    """Fee per unit of right bought (options sized in units)."""
    fee_usd_per_mw: NonNeg | None = None
    """Fee per MW of right bought (options sized in mw)."""
    source: Annotated[str, StringConstraints(min_length=1)]
    """Citation for the option's terms (or `assumption: ...`)."""
    note: str | None = None
    """Free text about the option."""

    @model_validator(mode="after")
    def _sized_and_priced(self):
        if (self.units is None) == (self.mw is None):
            raise ValueError("found " + ("both units and mw" if self.units is not None else "neither units nor mw")
                             + ", expected one of them (the size of the right)")
        fee, other = ("fee_usd_per_unit", "fee_usd_per_mw") if self.units is not None else ("fee_usd_per_mw",
                                                                                          "fee_usd_per_unit")
        if getattr(self, other) is not None or getattr(self, fee) is None:
            raise ValueError(f"found {other if getattr(self, other) is not None else 'no fee'}, expected {fee} "
                             f"(an option sized in {'units' if self.units is not None else 'mw'} is priced per "
                             f"{'unit' if self.units is not None else 'MW'})")
        return self


def _payments(value: Any) -> dict[str, float]:
    """A validator: a non-empty {period: $} mapping, each number finite (negative allowed)."""
    if not isinstance(value, dict):
        raise ValueError(f"found {shown(value)}, expected a mapping of periods to dollars like {{2027: 1.0e+9}}")
    return _series(None)(value)


Payments = Annotated[Any, BeforeValidator(_payments), WithJsonSchema(_series_schema(None)["anyOf"][1])]
"""{period: $}: amounts paid at the start of each period (negative: received)."""


class PackageItem(Strict):
    """One line of a package: `units` of one offer instance signed in `period`."""

    covers: Selector
    """Picks exactly one offer instance (e.g. {offer: nvidia/rubin-own, site: abilene})."""
    period: PeriodKey
    """The period the units are signed in."""
    units: Positive
    """Units signed."""


class Package(Strict):
    """A package bid: a bundle of items taken whole (or, in the LP, a share of it at the same
    share of its price) for `payments` in place of the items' vendor prices (a lab site's
    facility capex and energy are still paid)."""

    name: Id
    """The package's id (unique among options and packages)."""
    counterparty: str
    """Who bids the bundle."""
    items: Annotated[list[PackageItem], Field(min_length=1)]
    """What the bundle holds."""
    payments: Payments
    """The bundle's price: $ paid at the start of each period, {2027: 4.0e+9, 2028: 4.0e+9};
    negative amounts are received (financing)."""
    source: Annotated[str, StringConstraints(min_length=1)]
    """Citation for the bid (or `assumption: ...`)."""
    note: str | None = None
    """Free text about the package."""


class Porting(Strict):
    """One-off cost of bringing a vendor's software stack up for a workload."""

    vendor: Id
    """The vendor whose software stack is brought up (a catalog vendor id)."""
    workload: Id
    """The workload it is brought up for (a workload id)."""
    cost_usd: NonNeg
    """One-off cost in $, paid at the horizon's start if the vendor runs the workload."""
    source: Annotated[str, StringConstraints(min_length=1)]
    """Citation for the cost."""


class Milp(Strict):
    """Integer options. Without `integer` (or `cpo solve --integer`) the model is an LP: binaries
    are relaxed to [0, 1] (tranches vest pro rata, porting is paid pro rata)."""

    integer: bool = False
    """Solve as a MILP: whole lots, binary tranches, clusters and porting (as `cpo solve --integer`)."""
    lot_units: Positive = 1.0
    """Units are bought in whole lots of this size (e.g. 72 for an NVL72 rack)."""
    min_cluster_units: dict[Id, Positive] = {}
    """Per workload: in every period with demand, at least this many units of one offer run it."""
    porting: list[Porting] = []
    """One-off costs of bringing vendors' stacks up for workloads."""
    mip_gap: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.001
    """Relative MIP gap at which HiGHS stops."""


class VendorCount(Strict):
    """A rule on how many members of `group` serve demand in every period from `from` to `to`:
    at least `min` members each serving at least `min_share` of demand, and/or at most `max`
    members serving any of it (binaries under --integer; the LP relaxation is weaker, docs/model.md)."""

    group: Id = "vendor"
    """The attribute whose members are counted: vendor, provider, site or a tag key (e.g. foundry)."""
    min: Annotated[int, Field(ge=1)] | None = None
    """Fewest members that each serve at least `min_share` of demand (e.g. 2: never a single vendor)."""
    max: Annotated[int, Field(ge=1)] | None = None
    """Most members that serve any demand (e.g. 3: no more than three stacks to run)."""
    min_share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)] = 0.05
    """Share of all demand (served H100e over demand) a member needs to count toward `min`, a fraction."""
    from_: Annotated[PeriodKey | None, Field(alias="from")] = None
    """First period the rule holds: a year like 2027 or a quarter like 2027Q3 (default: the horizon's start)."""
    to: PeriodKey | None = None
    """Last period the rule holds, included: a year or a quarter (default: the horizon's end)."""

    @model_validator(mode="after")
    def _bounds(self):
        if self.max is None and self.min is None:
            raise ValueError("give min, max or both")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ValueError(f"found min {self.min} above max {self.max}, expected min <= max")
        return self


class Ladder(Strict):
    """Laddering: the active contracted capacity M(t) of the offers it matches (installed units
    included) may rise by at most `max_increase` and fall by at most `max_decrease` within any 12
    months: M(t) − M(t') for every two periods of the window whose starts are at most a year
    apart (consecutive years; up to four quarters back), so a yearly and a quarterly horizon
    read the same per-year figure alike."""

    name: Id
    """The ladder's id (unique among ladders): names its ladder_up and ladder_down rows."""
    match: Selector | None = None
    """The offers whose active capacity is laddered (a selector; default: every offer, on-demand included)."""
    measure: Literal["units", "mw"] = "units"
    """What M counts: active units (accelerators) or their facility MW (kW x PUE / 1000 per unit)."""
    max_increase: AmountSeries | None = None
    """The most M may rise within any 12 months, in `measure` per year; a number or {period: number}
    (a step into period t is capped by t's value)."""
    max_decrease: AmountSeries | None = None
    """The most M may fall within any 12 months (contracts ending faster must be replaced), in `measure`
    per year; a number or {period: number} (the later period's value)."""
    from_: Annotated[PeriodKey | None, Field(alias="from")] = None
    """First period of the window: a year like 2027 or a quarter like 2027Q3 (default: the horizon's start)."""
    to: PeriodKey | None = None
    """Last period of the window, included (default: the horizon's end)."""
    source: str | None = None
    """Why the lab ladders (a policy, a board limit, an assumption)."""

    @model_validator(mode="after")
    def _bounds(self):
        if self.max_increase is None and self.max_decrease is None:
            raise ValueError("give max_increase, max_decrease or both")
        return self


class Stagger(Strict):
    """Staggered commitments: of the term signings (reserved and owned; on-demand excluded) of the
    offers it matches, at most `max_share` may end in any one calendar year (the year the term's
    last day falls in, after the horizon too), counted in `measure`."""

    name: Id
    """The stagger's id (unique among staggers): names its stagger rows."""
    match: Selector | None = None
    """The offers whose signings are staggered (a selector; default: every offer with a term)."""
    measure: Literal["units", "mw", "usd"] = "units"
    """What is counted per signing: units, facility MW, or usd, the obligation it signs (upfront + recurring
    of the signing period x term, per unit, undiscounted)."""
    max_share: Annotated[float, Field(gt=0, le=1, allow_inf_nan=False)]
    """Largest share of the group's signings (in `measure`) whose terms end in one calendar year, a fraction."""
    source: str | None = None
    """Why the lab staggers (renewal risk, a board limit, an assumption)."""


class Policy(Strict):
    shares: list[ShareRule] = []
    """Concentration rules: share caps and floors per member of a group."""
    resilience: Resilience | None = None
    """N-1 and common-mode failures (default: none)."""
    hhi_weight_usd_per_year: NonNeg = 0.0
    """Penalty in $ per year per unit of HHI of vendor shares of demand (HHI in [0, 1])."""
    budget_usd_per_year: AmountSeries | None = None
    """Cash out (upfront + recurring) allowed per year."""
    vendor_counts: list[VendorCount] = []
    """How many vendors (or providers, sites, tag members) serve demand: at least N with a real share, at most M."""
    ladders: list[Ladder] = []
    """Laddering: caps on how fast the active capacity of a group of offers may rise or fall."""
    staggers: list[Stagger] = []
    """Staggered commitments: caps on the share of a group's term signings ending in one calendar year."""


class Config(Strict):
    """A scenario and the vendor catalog it uses."""

    name: str
    """The scenario's name (in reports)."""
    description: str | None = None
    """What the scenario is (free text, for reports)."""
    catalog_dir: str | None = None
    """Directory of vendor YAML files, relative to the scenario (default: the repo's vendors/).
    `--set catalog_dir=DIR` (or overrides={"catalog_dir": DIR}) reads the catalog from DIR
    instead, relative to the current directory; a what-if cannot change it."""
    vendors: list[Id] | None = None
    """Catalog vendors in play (default: all)."""
    exclude: list[Selector] = []
    """Offers to leave out, e.g. [{pricing: deal}] for prices only a very large customer gets."""
    catalog: dict[Id, Vendor] = {}
    """Vendors written in the scenario, by vendor id, beside those read from `catalog_dir` (a vendor file's
    content without `vendor:`)."""
    periods: Periods
    """The planning horizon: start and end years and the period length."""
    discount_rate: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] = 0.0
    """Yearly discount rate for present values, in [0, 1) (0.08 = 8% a year; 0: undiscounted)."""
    cloud_pue: Annotated[float, Field(ge=1, le=3, allow_inf_nan=False)] = 1.2
    """PUE used to report the facility power of capacity at no lab site (cloud)."""
    workloads: Annotated[dict[Id, Workload], Field(min_length=1)]
    """The demands to serve, by workload id (at least one)."""
    sites: dict[Id, Site] = {}
    """The lab's own sites (power caps for owned units), by site id."""
    existing: list[Existing] = []
    """Capacity already owned or contracted."""
    supply: list[SupplyPool] = []
    """Caps on acquisitions across the offers each pool matches."""
    resources: list[Resource] = []
    """Common-mode inputs with a cap, used by acquisitions (e.g. HBM, CoWoS)."""
    policy: Policy = Policy()
    """Concentration rules, resilience, the HHI penalty and the budget."""
    deals: list[Deal] = []
    """Contracts with counterparties: take-or-pay, delivery schedules, exclusivity, financing."""
    resale: list[Resale] = []
    """Selling owned units and subletting reserved ones before their term ends (default: none)."""
    options: list[CapacityOption] = []
    """Capacity options: rights bought for a fee to sign capacity later (docs/model.md)."""
    packages: list[Package] = []
    """Package bids: bundles of signings taken whole for one price (docs/model.md)."""
    milp: Milp = Milp()
    """Integer options (lots, clusters, porting, the MIP gap)."""
    objective: Literal["multi-vendor", "cost", "max-share", "hhi"] = "multi-vendor"
    """What solve minimises (`cpo solve --objective` overrides it; docs/model.md)."""
    sources: dict[str, str] = {}
    """Citations for the scenario's own figures."""


# ---------------------------------------------------------------- scenario files (decisions under uncertainty)


MAX_SCENARIOS = 1000
"""The most scenarios one stochastic plan may have (each is a copy of the model)."""


class NamedScenario(Strict):
    """One state of the world: what-if layers and changes on the base scenario, and its probability."""

    name: Id
    """The scenario's id (unique in the file)."""
    probability: Fraction
    """The scenario's probability, a fraction (probabilities not summing to 1 are normalised, with a note)."""
    description: str | None = None
    """One line on what happens (default: made from its what-ifs and changes)."""
    whatifs: list[str] = []
    """What-if files, relative to the scenarios file, applied in order on the base."""
    changes: list[dict[str, Any]] = []
    """What-if changes (as in a what-if file), applied after `whatifs`."""


class SampledWhatif(Strict):
    """A what-if that happens in a sampled scenario with this probability (independently of the others)."""

    whatif: str
    """A what-if file, relative to the scenarios file."""
    probability: Fraction
    """Chance that a draw applies it, a fraction."""


class Sample(Strict):
    """Scenarios drawn at random: each catalog figure with a `low` and `high` drawn from the
    triangular distribution (low, value, high), and each of `whatifs` applied with its probability."""

    n: Annotated[int, Field(ge=1, le=MAX_SCENARIOS)]
    """How many scenarios to draw (1 to 1000)."""
    seed: int = 0
    """Random seed of the draws (the same seed gives the same draws)."""
    ranges: bool = True
    """Draw the catalog's ranged figures (false: the what-ifs alone)."""
    whatifs: list[SampledWhatif] = []
    """What-ifs a draw may apply, each with its own probability."""
    probability: Fraction | None = None
    """The draws' total probability (default: what the named scenarios leave), shared equally."""


class CVaR(Strict):
    """Conditional value at risk: the expected cost of the worst 1 − alpha of outcomes, weighed in."""

    alpha: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)]
    """The level, in [0, 1): CVaR is the expected cost of the worst 1 - alpha of outcomes (0.9: the worst 10%)."""
    weight: NonNeg
    """λ in expected cost + λ·CVaR_alpha."""


class Risk(Strict):
    cvar: CVaR | None = None
    """Weigh in the CVaR of cost (default: expected cost alone)."""


class ScenariosFile(Strict):
    """A stochastic plan's scenarios: `until` ends the here-and-now stage (signings up to then
    are decided once, for every scenario); named scenarios and/or a sample; a risk measure."""

    description: str | None = None
    """One line on what the file is (default: the file's name)."""
    until: PeriodKey
    """The last period of the here-and-now stage: a year like 2027 or a quarter like 2027Q3."""
    scenarios: Annotated[list[NamedScenario], Field(max_length=MAX_SCENARIOS)] = []
    """Named scenarios, each with its probability."""
    sample: Sample | None = None
    """Scenarios drawn at random."""
    risk: Risk = Risk()
    """A risk measure (default: none, expected cost alone)."""

    @model_validator(mode="after")
    def _some_scenarios(self):
        if not self.scenarios and self.sample is None:
            raise ValueError("found no scenarios, expected a list under scenarios, a sample, or both")
        if len(self.scenarios) + (self.sample.n if self.sample else 0) > MAX_SCENARIOS:
            raise ValueError(f"found {len(self.scenarios) + self.sample.n} scenarios, expected at most {MAX_SCENARIOS}")
        return self


# ---------------------------------------------------------------- file kinds for `cpo schema` (editor completion)
# A vendor file is a Vendor with its id; what-if and grid files are read by layers.read_whatif and
# sweeps.read_grid (located messages, paths checked against the scenario), and the models below
# only describe them for the JSON Schema: tests/test_schema_docs.py holds them to those readers.


class VendorFile(Vendor):
    """One vendors/*.yaml file: a vendor of the catalog (vendors/README.md)."""

    vendor: Id
    """The vendor's id: its key in the catalog, in selectors ({vendor: nvidia}) and in a scenario's `vendors`."""


ConfigPath = Annotated[str, StringConstraints(min_length=1)]
"""A dotted path into the scenario: `policy.shares[0].max`, `supply[nvidia-direct].cap` (`[name]` picks the
list item with that name or offer), `catalog.nvidia.offers.*.upfront` (`*` matches every key or item)."""
ConfigPaths = ConfigPath | Annotated[list[ConfigPath], Field(min_length=1)]
"""A path, or a list of paths each changed the same way."""
Delay = Annotated[float, Field(multiple_of=0.25, allow_inf_nan=False)]
"""Years, in quarters (0.25); negative moves earlier."""
Factor = Annotated[float, Field(ge=0, allow_inf_nan=False)]
"""A non-negative multiplier."""


class SetChange(Strict):
    """Replace what the path holds with `to`."""

    set: ConfigPaths
    """The config path (or paths) to replace, e.g. policy.shares[0].max."""
    to: Any
    """The new value: a number, a {period: number} series, text, a list or a mapping."""


class ScaleChange(Strict):
    """Multiply a number, a {period: number} series or a sourced figure's value by `by`."""

    scale: ConfigPaths
    """The config path (or paths) to scale, e.g. supply[nvidia-direct].cap or catalog.nvidia.offers.*.upfront."""
    by: Factor
    """The factor (>= 0; 0.6 cuts by 40%)."""
    from_: Annotated[PeriodKey | None, Field(alias="from")] = None
    """Scale only from this period on: a year like 2027 or a quarter like 2027Q3 (default: every period)."""
    until: PeriodKey | None = None
    """Scale only to the end of this period: a year or a quarter (default: every later period)."""


class DelayChange(Strict):
    """Shift an offer's availability window (its `available` from and to) by `by` years."""

    delay: ConfigPaths
    """An offer (catalog.VENDOR.offers.OFFER) or its `available`, or a list of them."""
    by: Delay
    """Years to shift the window by, in quarters (0.25); negative moves it earlier."""


class RemoveChange(Strict):
    """Delete a key or a list item."""

    remove: ConfigPaths
    """The config path (or paths) to delete, e.g. deals[cerebras-20b] or catalog.broadcom.offers.titan2-own."""


class AddChange(Strict):
    """Add a new key to a mapping (use set to replace an existing one)."""

    add: ConfigPath
    """The new key's path, e.g. catalog.cerebras or sites.new-campus (its parent must exist)."""
    value: Any
    """What the new key holds (a vendor, an offer, a site, a list, ...)."""


class AppendChange(Strict):
    """Append an item to a list."""

    append: ConfigPath
    """The list's path, e.g. supply, deals or policy.resilience.failures."""
    value: Any
    """The new item (a supply pool, a deal, a failure, ...)."""


WhatifChange = SetChange | ScaleChange | DelayChange | RemoveChange | AddChange | AppendChange
"""One change of a what-if: exactly one operation (set, scale, delay, remove, add, append) and its fields."""
WHATIF_CHANGES = {"set": SetChange, "scale": ScaleChange, "delay": DelayChange, "remove": RemoveChange,
                  "add": AddChange, "append": AppendChange}


class WhatifFile(Strict):
    """A what-if layer (examples/whatif/*.yaml, docs/whatifs.md): changes applied in order to a scenario."""

    description: Annotated[str, StringConstraints(pattern=r"\S")]
    """One line on what the what-if is (in reports)."""
    changes: Annotated[list[WhatifChange], Field(min_length=1)]
    """The changes, applied in order."""


class GridSet(Strict):
    """A parameter that sets a path to each of its values."""

    set: ConfigPaths
    """The config path (or paths) each value replaces."""
    values: Annotated[list[Any], Field(min_length=1)]
    """The values (each fills `to`)."""


class GridScale(Strict):
    """A parameter that scales a path by each of its values."""

    scale: ConfigPaths
    """The config path (or paths) each value scales."""
    values: Annotated[list[Factor], Field(min_length=1)]
    """The factors (each fills `by`; >= 0)."""
    from_: Annotated[PeriodKey | None, Field(alias="from")] = None
    """Scale only from this period on: a year like 2027 or a quarter like 2027Q3 (default: every period)."""
    until: PeriodKey | None = None
    """Scale only to the end of this period: a year or a quarter (default: every later period)."""


class GridDelay(Strict):
    """A parameter that delays an offer by each of its values."""

    delay: ConfigPaths
    """An offer (catalog.VENDOR.offers.OFFER) or its `available`, or a list of them."""
    values: Annotated[list[Delay], Field(min_length=1)]
    """Years to shift by, in quarters (each fills `by`)."""


GridParameter = GridSet | GridScale | GridDelay
GRID_PARAMETERS = {"set": GridSet, "scale": GridScale, "delay": GridDelay}


class GridPoint(Strict):
    """One point of a grid given as a list: a name and its what-if changes."""

    name: str | None = None
    """The point's name in the results (default: pointN)."""
    changes: list[WhatifChange]
    """What-if changes applied to the scenario at this point."""


MAX_GRID_POINTS = 100_000
"""sweeps.MAX_POINTS: the most points one grid may make."""


class GridFile(Strict):
    """A sweep's grid (examples/grids/*.yaml, `cpo sweep CONFIG --grid FILE`): either `parameters`, whose values'
    cartesian product are the points, or `points`, listed."""

    model_config = ConfigDict(json_schema_extra={"oneOf": [{"required": ["parameters"]}, {"required": ["points"]}]})

    description: str | None = None
    """One line on what the grid varies (default: the file's name)."""
    whatifs: list[str] = []
    """What-if files applied under every point, relative to the grid file."""
    objective: Literal["multi-vendor", "cost", "max-share", "hhi"] | None = None
    """What every point's solve minimises (default: the scenario's objective)."""
    parameters: Annotated[dict[str, GridParameter], Field(min_length=1)] | SkipJsonSchema[None] = None
    """Parameters by name, each one operation (set, scale or delay) on a path and its values."""
    points: Annotated[list[GridPoint], Field(min_length=1, max_length=MAX_GRID_POINTS)] | SkipJsonSchema[None] = None
    """The points, listed (instead of parameters)."""


SCHEMA_ID = "https://cpo.example/schema/{kind}.json"
"""The `$id` of each kind's JSON Schema: a stable identifier, not an address to fetch (nothing is served there)."""
SCHEMA_KINDS: dict[str, tuple[type[Strict], str]] = {
    "config": (Config, "cpo scenario: a scenario file (examples/*.yaml) and the vendor catalog it uses"),
    "vendor": (VendorFile, "cpo vendor file: one vendors/*.yaml file of the catalog"),
    "whatif": (WhatifFile, "cpo what-if file: a layer of changes on a scenario (examples/whatif/*.yaml)"),
    "grid": (GridFile, "cpo grid file: the points of a sweep (examples/grids/*.yaml)"),
    "scenarios": (ScenariosFile, "cpo scenarios file: the scenarios of a stochastic plan (examples/scenarios/*.yaml)"),
}
"""`cpo schema --kind KIND`: the model of each kind of file, and its schema's title."""


def json_schema(kind: str = "config") -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one kind of file (a key of SCHEMA_KINDS), with `$schema`, `$id` and
    a title; a named scenario's `changes` are what-if changes, as in a what-if file."""
    model, title = SCHEMA_KINDS[kind]
    body = model.model_json_schema(by_alias=True)
    if kind == "scenarios":
        whatif = WhatifFile.model_json_schema(by_alias=True)
        body["$defs"].update({k: v for k, v in whatif["$defs"].items() if k not in body["$defs"]})
        changes = body["$defs"]["NamedScenario"]["properties"]["changes"]
        changes["items"] = whatif["properties"]["changes"]["items"]
    body.pop("title", None)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID.format(kind=kind),
            "title": title, **body}
