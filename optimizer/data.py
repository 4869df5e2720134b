"""Validated config -> the indexed tables the model is built from.

Every unit conversion happens here, once: lead times and terms become the share of each
period a signing is active, caps per year become caps per period, site energy prices and
facility capex fold into each offer's costs, spec ratios and efficiencies become throughput in
H100e. Everything downstream works in periods (index t), offer instances (index o) and
workloads (name w). The tables are immutable (frozen dataclasses, tuples, FrozenDict): every
instance owns its own; a step that restricts one (eligibility) returns new instances.

An *offer instance* is a catalog offer at one place: a `buy` offer hosted by two lab sites
becomes two instances (`nvidia/gb300-own@abilene`, `...@milam`), each with that site's power,
PUE, energy price and facility capex; an offer no site hosts (cloud) is one instance, and a
`buy` offer no site hosts is an error (_check_buy_offers_hosted).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from .errors import ConfigError, Location, Problem
from .loading import PathKey, Tree, format_path
from .schema import Config

HOURS_PER_YEAR = 8760.0
MAX_DEMAND_RATIO = 1e8
"""The most a scenario's largest positive demand may be above its smallest: the LP keeps about
nine significant digits, so a 1e-6 H100e tier beside a 1e9 one would sit inside the solver's
tolerance (its hard resilience met on paper only). Such a scenario is refused, not solved."""
NONE_MEMBER = "(none)"
CORE_ATTRIBUTES = ("vendor", "product", "offer", "channel", "provider", "region", "site")


class FrozenDict(dict):
    """A dict that refuses every change after it is built. The indexed data is shared by the
    model, the plan, verify() and every re-solve, so no step may edit what another reads (a
    θ table shared across site instances and edited in place once gave a wrong plan)."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("cpo's indexed data is immutable: build a new table instead")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self):
        return FrozenDict, (dict(self),)


@dataclass(frozen=True)
class Period:
    name: str
    start: float
    """Start time in years (2026.0, 2026.25 for 2026Q2)."""
    years: float
    """Length Δ_t in years."""

    @property
    def end(self) -> float:
        return self.start + self.years


@dataclass(frozen=True)
class Year:
    """A calendar year of the horizon and its periods (one, or four quarters): caps and budgets
    given per year hold over the year's periods together."""

    name: str
    periods: tuple[int, ...]


Activity = tuple[tuple[int, float], ...]
"""((period, fraction of the period active), ...)."""


@dataclass(frozen=True)
class OfferInstance:
    key: str
    """`vendor/offer` or `vendor/offer@site`."""
    catalog_key: str
    attrs: FrozenDict
    """vendor, product, offer, channel, provider, region, site and every tag."""
    upfront: tuple[float, ...]
    """$ per unit signed in each period, including the site's facility capex."""
    recurring: tuple[float, ...]
    """$ per unit-year by period (energy apart): what an active unit pays in that period, or
    (a reservation: `locked`) what a unit signed in it pays for its term."""
    energy: float
    """Site energy in $ per unit-year a unit *runs* (kW x PUE x the site's $/MWh): an idle unit
    draws no power and pays none; installed prepaid units pay it too (they prepay the vendor,
    not the power bill)."""
    locked: bool
    """A reservation's rent is fixed when it is signed (rent(τ, t) = recurring[τ])."""
    kw: float
    """IT kW per unit."""
    pue: float
    lead_years: float
    """Years from signing (at the start of a period) to active."""
    term_years: float
    """Years active per acquisition (on demand: the period signed in)."""
    commitment: float
    """How much of a year one signing commits, min(1, term_years): what it counts against
    per-year supply and resource caps and per-unit financing, so that renting a unit on demand
    for each quarter of a year counts once, as renting it for the year does."""
    signable: tuple[int, ...]
    """Periods in which units can be signed (and become active inside the horizon)."""
    signed_at: FrozenDict
    """τ -> when in τ units are signed (years): the period's start, or `available.from` if later.
    The upfront is paid then (discounted at δ(signed_at[τ]))."""
    activity: FrozenDict
    """τ -> Activity: the share of each period a unit signed in τ is active, from τ's start +
    lead for term years (a lead or term inside a period counts the fraction of it)."""
    theta: FrozenDict
    """Workload -> H100e per unit in each period (a tuple: efficiencies may ramp; goodput
    applied), for the workloads it may run (absent: cannot run it)."""
    existing: tuple[float, ...]
    """Installed active units per period."""
    existing_paying: tuple[float, ...]
    """Installed units per period that pay the vendor's recurring price."""
    list_price: FrozenDict
    """The vendor's own prices by period from the catalog: {"upfront": (...), "recurring": (...)}
    (before site costs)."""
    salvage_fraction: FrozenDict
    """Share of the upfront of a unit signed in period τ still unexpired at the horizon's end."""
    derived: str | None = None
    """`option` or `package` for an instance an option or a package derives from a catalog
    instance (`derived_instance`): outside the catalog's supply caps, signable only in the
    instrument's periods, at its prices; its attribute of that name is the instrument's name."""

    def salvage(self, tau: int) -> float:
        """$ per unit signed in τ given back at the horizon's end (undiscounted): upfront x fraction."""
        return self.upfront[tau] * self.salvage_fraction.get(tau, 0.0)

    @property
    def owned(self) -> bool:
        """A `buy` offer: its units can be sold (a sale ends their rent and salvage); a
        reservation's can only be sublet (the lab keeps paying its rent)."""
        return self.attrs["channel"] == "buy"

    def rent(self, tau: int, t: int, list_price: bool = False) -> float:
        """$ per unit-year a unit signed in τ pays while active in t: the price of t, or of τ for
        a reservation (its rent is fixed when signed); the vendor's own price if `list_price`."""
        prices = self.list_price["recurring"] if list_price else self.recurring
        return prices[tau if self.locked else t]

    def rate(self, w: str, t: int) -> float:
        """θ[o,w,t]: H100e per unit on w in t (0 where o may not run w)."""
        rates = self.theta.get(w)
        return rates[t] if rates else 0.0

    @property
    def vendor(self) -> str:
        return self.attrs["vendor"]

    @property
    def site(self) -> str | None:
        site = self.attrs["site"]
        return None if site == NONE_MEMBER else site

    @property
    def mw_per_unit(self) -> float:
        """Facility MW per unit: kW x PUE / 1000."""
        return self.kw * self.pue / 1000.0

    def financed_per_unit(self, per: str) -> float:
        """What one unit signed counts toward financing paid per MW (facility MW) or per unit
        (1), times its commitment."""
        return (self.mw_per_unit if per == "mw" else 1.0) * self.commitment

    @cached_property
    def _signings_by_period(self) -> tuple[Activity, ...]:
        by_period: list[list[tuple[int, float]]] = [[] for _ in self.existing]
        for tau in self.signable:
            for t, fraction in self.activity[tau]:
                by_period[t].append((tau, fraction))
        return tuple(tuple(items) for items in by_period)

    def signings_active_at(self, t: int) -> Activity:
        """((τ, a), ...): signings whose units are active for a share a > 0 of period t, so that
        A[o,t] = E[o,t] + Σ a[o,τ,t] x[o,τ]."""
        return self._signings_by_period[t]

    def can_be_active(self, t: int) -> bool:
        return self.existing[t] > 0 or bool(self.signings_active_at(t))


@dataclass(frozen=True)
class WorkloadData:
    name: str
    demand: tuple[float, ...]
    """H100e per period."""
    voll: float
    critical: float
    """ρ_w: fraction of demand that must survive a failure."""


@dataclass(frozen=True)
class CapRow:
    """Σ_o coef[o] · (acquisitions or active units of o at t) <= cap[t]: supply pools,
    resources, site power, deal delivery."""

    name: str
    coef: FrozenDict
    cap: tuple[float | None, ...]
    unit: str
    source: str | None = None
    path: tuple = ()
    """The config field the cap comes from (for diagnoses)."""
    per_year: bool = True
    """The config gives the cap per year, so it holds over each calendar year's periods together
    (Σ_{t∈year} use ≤ Σ_{t∈year} value_t x Δ_t, cap[t] = value_t x Δ_t); otherwise it is a level
    every period (MW of power or delivery)."""


@dataclass(frozen=True)
class ShareData:
    rule: int
    """Index in policy.shares."""
    group: str
    member: str
    measure: str
    periods: tuple[int, ...]
    low: float | None
    high: float | None
    members: frozenset[int]
    """Offer instances in the member."""


@dataclass(frozen=True)
class CountData:
    """A vendor-count rule (policy.vendor_counts[rule]): in each of `periods` (those with demand),
    at least `low` members of `group` serve at least `min_share` of demand each, at most `high`
    serve any."""

    rule: int
    """Index in policy.vendor_counts."""
    group: str
    low: int | None
    high: int | None
    min_share: float
    periods: tuple[int, ...]
    members: FrozenDict
    """Member name -> frozenset of its offer instances."""


@dataclass(frozen=True)
class FailureData:
    name: str
    offers: frozenset[int]
    delivered: float
    probability: float
    """Per year."""
    duration_years: float


@dataclass(frozen=True)
class ThetaGroup:
    """Offer instances with the same throughput θ on every workload (e.g. one product at
    several sites and channels). After a failure their surviving units are interchangeable, so
    the recourse re-assigns them together (formulation: z[f,g,w,t])."""

    name: str
    offers: tuple[int, ...]
    theta: FrozenDict
    """Workload -> H100e per unit in each period, as the members' θ."""

    def rate(self, w: str, t: int) -> float:
        rates = self.theta.get(w)
        return rates[t] if rates else 0.0


@dataclass(frozen=True)
class TrancheData:
    reach: float
    by: int
    credit: float


@dataclass(frozen=True)
class TiersData:
    """A deal's volume tiers over its spend P = min(paid, C) (docs/model.md, "Volume tiers"):
    tier k starts at b_k (b_0 = 0, rising) with discount d_k (never falling), C the ceiling.
    The rebate is max over k of the affine d_k P − K_k (for all_units only where P >= b_k)."""

    kind: str
    """all_units or incremental."""
    ceiling: float
    """C, undiscounted $: spend above it earns no more."""
    starts: tuple[float, ...]
    """b_k, undiscounted $."""
    discounts: tuple[float, ...]
    """d_k, fractions."""

    @cached_property
    def intercepts(self) -> tuple[float, ...]:
        """K_k: 0 for all_units; d_k b_k − Σ_{j<k} d_j (b_{j+1} − b_j) for incremental (the
        rebate inside tier k is what the tiers below earn whole plus d_k on the spend above b_k)."""
        if self.kind == "all_units":
            return (0.0,) * len(self.starts)
        below = [sum(self.discounts[j] * (self.starts[j + 1] - self.starts[j]) for j in range(k))
                 for k in range(len(self.starts))]
        return tuple(d * b - earned for d, b, earned in zip(self.discounts, self.starts, below))

    def counted(self, paid: float) -> float:
        """P = min(paid, C): the spend the tiers count."""
        return min(max(paid, 0.0), self.ceiling)

    def reached(self, paid: float) -> int:
        """The highest tier k with P >= b_k (within 1e-9 of b_k: a plan that meets a threshold
        to the solver's tolerance reaches it)."""
        spend = self.counted(paid)
        return max(k for k, b in enumerate(self.starts) if spend >= b * (1 - 1e-9))

    def rebate(self, paid: float) -> float:
        """The contract's rebate: d_k P − K_k at the tier reached (all_units: d_k P; incremental:
        Σ_k d_k clamp(P − b_k, 0, b_{k+1} − b_k), the same number)."""
        k = self.reached(paid)
        return self.discounts[k] * self.counted(paid) - self.intercepts[k]


DEAL_MEASURES = {"mw": "power", "units": "units", "share": "compute", "spend_usd": "paid"}
"""A tranche's `financing.measure` -> the per-offer measure it sums (plan.measure, measure_terms)."""
SHARE_MEASURES = ("compute", "units", "power", "spend")
"""The measures a share rule can cap (and the shares table reports)."""
MEASURE_KINDS = {"compute": "units", "units": "units", "power": "mw", "spend": "money", "paid": "money"}
"""The quantity kind (formulation.model.Scale) of each per-offer measure."""
TRANCHE_KINDS = {measure: MEASURE_KINDS[DEAL_MEASURES[measure]] for measure in DEAL_MEASURES}
"""The quantity kind of a tranche's measure (a share tranche counts served H100e)."""


@dataclass(frozen=True)
class DealData:
    name: str
    counterparty: str
    offers: frozenset[int]
    window: tuple[int, ...]
    """Periods the deal covers."""
    exclusive: tuple[str, ...]
    """Workloads that may run only on the deal's offers."""
    min_spend: float | None
    """Take-or-pay minimum over the window, undiscounted $."""
    delivery: CapRow | None
    """max_mw: active facility MW of the deal's offers allowed per period (0 before the window,
    None after it, never below the MW already installed), or None."""
    rate: float
    per: str
    """mw, unit or usd: what `rate` is paid per, on acquisitions in the window."""
    cap: float | None
    measure: str
    tranches: tuple[TrancheData, ...]
    path: tuple
    equity: bool = False
    """The financing is equity or a warrant (financing.kind): never part of procurement cost."""
    tiers: TiersData | None = None
    """Volume tiers on the deal's spend (volume_tiers), or None."""

    def tranche_periods(self, tranche: TrancheData) -> tuple[int, ...]:
        """Periods a tranche's measure sums: cumulative spend from the window's start to `by`,
        otherwise `by` alone."""
        return tuple(t for t in self.window if t <= tranche.by) if self.measure == "spend_usd" else (tranche.by,)


@dataclass(frozen=True)
class LadderStep:
    """One ladder_up/ladder_down pair: M(after) − M(before) <= up and M(before) − M(after) <= down,
    the periods' starts at most a year apart; None where the ladder gives no such cap."""

    before: int
    after: int
    up: float | None
    down: float | None


LADDER_MEASURES = {"units": "units", "mw": "power"}
"""A ladder's `measure` -> the per-offer measure it sums (plan.measure, measure_terms)."""


@dataclass(frozen=True)
class LadderData:
    name: str
    rule: int
    """Index in policy.ladders."""
    measure: str
    """The per-offer measure M sums: units (active units) or power (facility MW)."""
    offers: frozenset[int]
    steps: tuple[LadderStep, ...]


STAGGER_KINDS = {"units": "units", "mw": "mw", "usd": "money"}
"""The quantity kind (formulation.model.Scale) of a stagger's measure."""


@dataclass(frozen=True)
class StaggerData:
    name: str
    rule: int
    """Index in policy.staggers."""
    measure: str
    """units, mw or usd."""
    max_share: float
    signings: FrozenDict
    """(o, τ) -> (calendar year the term's last day falls in, measure per unit signed), for the
    matched term signings (on-demand excluded)."""

    @property
    def years(self) -> tuple[str, ...]:
        """The calendar years the signings' terms end in, in order (after the horizon too)."""
        return tuple(sorted({year for year, _ in self.signings.values()}))


@dataclass(frozen=True)
class ResaleData:
    """A resale rule: units of its offers' signings may be sold (owned) or sublet (reserved)
    at the start of its periods, for curve(age) of their list upfront (sale) or rent (sublease)."""

    name: str
    """The rule's index in `resale` (it names the resale_cap rows)."""
    offers: frozenset[int]
    """The buy and reserved offer instances the rule matches."""
    curve: tuple[tuple[float, float], ...]
    """((age in years since signing, fraction), ...) by rising age."""
    periods: tuple[int, ...]
    """Periods units may be sold at the start of."""
    cap: tuple[float, ...] | None
    """Units per period (max_units_per_year x Δ_t), or None."""
    path: tuple
    source: str

    def fraction(self, age: float) -> float:
        """f(age): linear between the curve's points, flat before the first and after the last."""
        points = self.curve
        if age <= points[0][0]:
            return points[0][1]
        for (a0, f0), (a1, f1) in zip(points, points[1:]):
            if age <= a1:
                return f0 + (f1 - f0) * (age - a0) / (a1 - a0)
        return points[-1][1]


@dataclass(frozen=True)
class OptionData:
    """A capacity option (schema.CapacityOption) on its derived instances `copies`."""

    name: str
    counterparty: str
    copies: tuple[int, ...]
    measure: str
    """units or mw: what `size` and `fee` count."""
    size: float
    """Q: units, or MW of facility power, of right at most."""
    fee: float
    """$ per unit (or MW) of right, paid at the start of `reserve`."""
    reserve: int
    window: tuple[int, ...]
    """The exercise periods (the copies are signable only in them)."""
    path: tuple

    def coef(self, offer: "OfferInstance") -> float:
        """What one unit of a copy signed uses of the right: c_o, or kW·PUE/1000 · c_o (mw)."""
        return (offer.mw_per_unit if self.measure == "mw" else 1.0) * offer.commitment


@dataclass(frozen=True)
class PackageItemData:
    copy: int
    """The derived instance the item is signed on."""
    period: int
    units: float


@dataclass(frozen=True)
class PackageData:
    """A package bid (schema.Package): items signed on derived instances for `payments`."""

    name: str
    counterparty: str
    items: tuple[PackageItemData, ...]
    payments: tuple[tuple[float, float], ...]
    """(time in years, $): paid at the start of each payment period."""
    path: tuple

    def price(self, data: "ModelData") -> float:
        """Σ_k δ(s_k) payment_k: the whole bundle's price, present value ($)."""
        return sum(data.discount_at(time) * usd for time, usd in self.payments)


@dataclass(frozen=True)
class MilpData:
    integer: bool = False
    lot_units: float = 1.0
    min_cluster: FrozenDict = field(default_factory=FrozenDict)
    """Workload -> units of one offer that must run it in every period with demand."""
    porting: tuple[tuple[str, str, float], ...] = ()
    """(vendor, workload, one-off $)."""
    mip_gap: float = 0.001


@dataclass(frozen=True)
class ModelData:
    name: str
    periods: tuple[Period, ...]
    discount_rate: float
    discount: tuple[float, ...]
    """δ_t = (1 + r)^-(start_t - start_0)."""
    offers: tuple[OfferInstance, ...]
    workloads: FrozenDict
    """name -> WorkloadData."""
    vendors: tuple[str, ...]
    supply: tuple[CapRow, ...]
    resources: tuple[CapRow, ...]
    power: tuple[CapRow, ...]
    budget: tuple[float | None, ...]
    shares: tuple[ShareData, ...]
    failures: tuple[FailureData, ...]
    resilience_mode: str
    hhi_weight: float
    objective: str
    groups: tuple[str, ...]
    """Attribute keys shares are reported by (vendor first)."""
    deals: tuple[DealData, ...] = ()
    milp: MilpData = field(default_factory=MilpData)
    vendor_counts: tuple[CountData, ...] = ()
    """policy.vendor_counts, resolved to members and periods."""
    theta_groups: tuple[ThetaGroup, ...] = ()
    fixed: FrozenDict = field(default_factory=FrozenDict)
    """(o, τ) -> units of the signings the lab already holds (commitments) this scenario
    delivers: x fixed there."""
    dropped: tuple = ()
    """Commitments whose offer is not in this scenario: (instance key, period, units), refunded."""
    cut: FrozenDict = field(default_factory=FrozenDict)
    """(o, τ) -> (units held, the cap row that cut them): held signings above what this
    scenario's signing caps allow in their year, delivered pro rata (fixed), the rest refunded."""
    ladders: tuple[LadderData, ...] = ()
    staggers: tuple[StaggerData, ...] = ()
    resale: tuple[ResaleData, ...] = ()
    options: tuple[OptionData, ...] = ()
    packages: tuple[PackageData, ...] = ()

    @cached_property
    def sales(self) -> FrozenDict:
        """(o, τ) -> (periods t units of the signing may be sold or sublet at the start of, rule):
        t in its rule's periods, after the units became active (s_t > σ_τ + lead) and while they
        still are (a[o,τ,t] > 0)."""
        out = {}
        for rule in self.resale:
            for o in sorted(rule.offers):
                offer = self.offers[o]
                for tau in offer.signable:
                    delivered = offer.signed_at[tau] + offer.lead_years
                    active = {t for t, _ in offer.activity[tau]}
                    periods = tuple(t for t in rule.periods
                                    if t in active and self.periods[t].start > delivered + ACTIVE_EPSILON)
                    if periods:
                        out[(o, tau)] = (periods, rule)
        return FrozenDict(out)

    def resale_income(self, o: int, tau: int, t: int, discounted: bool = True) -> float:
        """$ one unit of the signing (o,τ) sold or sublet at the start of t brings, f = f(s_t − σ_τ):
        a sale δ(s_t) f list_upfront_o(τ); a sublease Σ_{t'≥t} δ_t' Δ_t' a[o,τ,t'] f list_rent_o(τ,t')
        (for the rest of its term); undiscounted if not `discounted`."""
        offer, start = self.offers[o], self.periods[t].start
        fraction = self.sales[(o, tau)][1].fraction(start - offer.signed_at[tau])
        if offer.owned:
            return fraction * offer.list_price["upfront"][tau] * (self.discount_at(start) if discounted else 1.0)
        return fraction * sum((self.discount[u] if discounted else 1.0) * self.periods[u].years * share
                              * offer.rent(tau, u, list_price=True) for u, share in offer.activity[tau] if u >= t)

    @property
    def T(self) -> range:
        return range(len(self.periods))

    @cached_property
    def years(self) -> tuple[Year, ...]:
        """The calendar years of the horizon, in order."""
        by_year: dict[str, list[int]] = {}
        for t, period in enumerate(self.periods):
            by_year.setdefault(period.name[:4], []).append(t)
        return tuple(Year(name, tuple(periods)) for name, periods in by_year.items())

    def discount_at(self, time: float) -> float:
        """δ at a time in years: (1 + r)^-(time − start_0)."""
        return (1 + self.discount_rate) ** -(time - self.periods[0].start)

    @property
    def end_discount(self) -> float:
        """δ at the end of the horizon (salvage)."""
        return self.discount_at(self.periods[-1].end)

    def end_of_period_discount(self, t: int) -> float:
        """δ at the end of period t: a take-or-pay shortfall is paid at the end of its window's
        last period, a tranche's credit at the end of its `by` period."""
        return self.discount_at(self.periods[t].end)

    @property
    def delivery(self) -> tuple[CapRow, ...]:
        """The deals' delivery schedules (max_mw), as caps on active MW like site power."""
        return tuple(deal.delivery for deal in self.deals if deal.delivery is not None)

    def group_members(self, group: str) -> dict[str, list[int]]:
        """Member name -> offer instances, for an attribute key."""
        members: dict[str, list[int]] = {}
        for o, offer in enumerate(self.offers):
            members.setdefault(offer.attrs.get(group, NONE_MEMBER), []).append(o)
        return dict(sorted(members.items()))


# ---------------------------------------------------------------- periods and series


def make_periods(config: Config) -> list[Period]:
    spec = config.periods
    if spec.step == "year":
        return [Period(str(y), float(y), 1.0) for y in range(spec.start, spec.end + 1)]
    return [Period(f"{y}Q{q}", y + (q - 1) / 4, 0.25)
            for y in range(spec.start, spec.end + 1) for q in range(1, 5)]


def period_time(key: Any) -> float:
    """2027 -> 2027.0, '2027Q3' -> 2027.5."""
    text = str(key)
    match = re.fullmatch(r"(\d{4})(?:Q([1-4]))?", text)
    if not match:
        raise ValueError(f"found {key!r}, expected a year like 2027 or a quarter like 2027Q3")
    return int(match.group(1)) + (int(match.group(2)) - 1) / 4 if match.group(2) else float(match.group(1))


def period_end_time(key: Any) -> float:
    """End of a year or quarter key: 2027 -> 2028.0, '2027Q3' -> 2027.75."""
    return period_time(key) + (0.25 if "Q" in str(key) else 1.0)


def per_period(series: float | dict[str, float], periods) -> tuple[float, ...]:
    """A cap given per year, as a cap per period: value x Δ_t."""
    return tuple(value * period.years for value, period in zip(resolve_series(series, periods), periods))


def resolve_series(series: float | dict[str, float], periods) -> list[float]:
    """A Series' value in every period: the series steps at each key (before the first key, the
    first value), and a period takes its time-weighted average, so a quarter key in a yearly
    horizon counts for the part of the year it holds (demand {2026: 0, 2026Q3: 10} is 5 in
    2026), as the quarterly version of the same scenario sees it."""
    if not isinstance(series, dict):
        return [float(series)] * len(periods)
    points = sorted((period_time(k), v) for k, v in series.items())
    values = []
    for period in periods:
        value = points[0][1]
        total, at = 0.0, period.start
        for time, v in points:
            if time >= period.end - 1e-9:
                break
            if time > at + 1e-9:
                total += value * (time - at)
                at = time
            value = v
        values.append((total + value * (period.end - at)) / period.years)
    return values


# ---------------------------------------------------------------- building


class _Problems:
    """Collects located cross-reference errors so all are reported at once."""

    def __init__(self, tree: Tree):
        self.tree = tree
        self.items: list[Problem] = []

    def add(self, path: PathKey, message: str) -> None:
        self.items.append(Problem(self.tree.locate(path), format_path(path), message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)


@dataclass(frozen=True)
class HereAndNow:
    """Signings decided before a scenario is known: in `periods` (names; None: the whole
    horizon) only the periods `signable` lists per offer instance key can be signed, whatever
    the scenario says of availability (an order for a product that slipped arrives late); an
    offer only the scenario has is signed after them. From commitments (what the lab holds) or
    from the reference scenario of a stochastic plan (what can be signed now)."""

    periods: frozenset | None
    signable: FrozenDict
    """Instance key -> frozenset of period names."""
    source: str


def build_data(config: Config, tree: Tree, commitments=None, here_and_now: HereAndNow | None = None) -> ModelData:
    """Check cross-references and turn the config into indexed, immutable tables. `commitments`
    (commitments.Commitments) are signings the lab already holds: fixed in the model, and its
    here-and-now stage; `here_and_now` a stage without fixed values (a stochastic plan's)."""
    problems = _Problems(tree)
    periods = tuple(make_periods(config))
    stage = here_and_now if here_and_now is not None else commitments.here_and_now() if commitments else None
    committed = _stage_signings(stage, periods, problems)
    rate = config.discount_rate
    discount = tuple((1 + rate) ** -(p.start - periods[0].start) for p in periods)

    _check_series_in_horizon(config, periods, problems)
    vendors = _vendors_in_play(config, problems)
    reference = _reference_product(config, vendors, problems)
    if reference is None:
        problems.raise_if_any()

    offers = _offer_instances(config, vendors, periods, reference, committed, problems)
    offers = _without_excluded(config, offers, problems)
    _check_buy_offers_hosted(config, offers, problems)
    _check_unique_names([o.key for o in offers], "offer", problems)
    known = _known_attributes(offers)

    def select(selector: dict[str, tuple[str, ...]], path: PathKey) -> set[int]:
        return _select(selector, offers, known, path, problems)

    offers = _with_existing(config, offers, periods, problems)
    offers, options, packages = _instruments(config, offers, periods, select, problems)
    known = _known_attributes(offers)
    known.update({kind: known[kind] | {NONE_MEMBER} for kind in DERIVED_KINDS if kind in known})
    deals = _deals(config, offers, periods, select, problems)
    resale = _resale(config, offers, periods, select, problems)
    offers = eligible(config, offers, deals, select)
    workloads = _workloads(config, offers, periods, problems)
    milp = _milp(config, vendors, offers, periods, problems)
    supply = _supply_rows(config, vendors, offers, periods, select)
    resources = _resource_rows(config, offers, periods, select)
    power = tuple(CapRow(name, FrozenDict({o: off.mw_per_unit for o, off in enumerate(offers) if off.site == name}),
                         tuple(resolve_series(site.power_mw, periods)), "MW", site.source,
                         ("sites", name, "power_mw"), False)
                  for name, site in config.sites.items())
    budget = tuple(per_period(config.policy.budget_usd_per_year, periods)
                   if config.policy.budget_usd_per_year is not None else [None] * len(periods))
    shares = _share_rules(config, offers, periods, known, problems)
    failures = _failures(config, offers, known, select, problems)
    vendor_counts = _vendor_counts(config, offers, periods, known, workloads, problems)
    ladders = _ladders(config, offers, periods, select, problems)
    staggers = _staggers(config, offers, select, problems, check_reach=stage is None)
    problems.raise_if_any()

    resilience = config.policy.resilience
    groups = ("vendor",) + tuple(sorted(k for k in known if k != "vendor"))
    fixed, dropped = _fixed_signings(commitments, offers, periods)
    data = ModelData(
        name=config.name, periods=periods, discount_rate=rate, discount=discount, offers=tuple(offers),
        workloads=workloads, vendors=tuple(sorted({o.vendor for o in offers})),
        supply=supply, resources=resources, power=power, budget=budget, shares=shares,
        failures=failures, resilience_mode=resilience.mode if resilience else "off",
        hhi_weight=config.policy.hhi_weight_usd_per_year, objective=config.objective,
        groups=groups, deals=deals, milp=milp, theta_groups=_theta_groups(offers), fixed=fixed, dropped=dropped,
        vendor_counts=vendor_counts,
        ladders=ladders, staggers=staggers,
        resale=resale,
        options=options, packages=packages,
    )
    return _cut_to_caps(data) if fixed else data


@dataclass(frozen=True)
class _StageSignings:
    periods: frozenset[int]
    """The here-and-now periods (indices)."""
    signable: dict[str, frozenset[int]]
    """Instance key -> the here-and-now periods it is signed in."""


def _stage_signings(stage: HereAndNow | None, periods, problems: _Problems) -> _StageSignings:
    """The here-and-now stage as period indices (a period the horizon does not have is an error
    at the stage's source)."""
    if stage is None:
        return _StageSignings(frozenset(), {})
    index = {p.name: t for t, p in enumerate(periods)}
    named = set(stage.periods or ()) | {p for ts in stage.signable.values() for p in ts}
    unknown = sorted(named - set(index))
    if unknown:
        problems.items.append(Problem(Location(stage.source), "period", f"found {', '.join(unknown)}, expected "
                                      f"periods of the horizon ({periods[0].name}-{periods[-1].name})"))
    stage_periods = frozenset(index.values()) if stage.periods is None else frozenset(
        index[p] for p in stage.periods if p in index)
    return _StageSignings(stage_periods, {key: frozenset(index[p] for p in ts if p in index)
                                          for key, ts in stage.signable.items()})


def _fixed_signings(commitments, offers, periods) -> tuple[FrozenDict, tuple]:
    """x[o,τ] fixed at the units held (the here-and-now stage lets only held signings be made:
    _schedule), and the commitments whose offer is not in this scenario (removed, excluded, its
    site gone) dropped: (key, period, units) each."""
    if commitments is None:
        return FrozenDict(), ()
    fixed = {(o, tau): commitments.units.get((offer.key, periods[tau].name), 0.0)
             for o, offer in enumerate(offers) for tau in offer.signable
             if (offer.key, periods[tau].name) in commitments.units}
    keys = {offer.key for offer in offers}
    dropped = tuple(sorted((key, period, units) for (key, period), units in commitments.units.items()
                           if units > 0 and key not in keys))
    return FrozenDict(fixed), dropped


CUT_TOLERANCE = 1e-9
"""Relative excess of held signings over a cap below which nothing is cut (rounding)."""


def _cut_to_caps(data: ModelData) -> ModelData:
    """Held signings cut pro rata to the signing caps of their calendar year (supply pools and
    resources): where Σ_{τ∈y} Σ_o c[k,o] held[o,τ] > Σ_{τ∈y} cap[k,τ], every held signing in k
    and y delivers the share r = cap / held use of it (the smallest r of the caps it is in), the
    rest refunded. A shortage or an allocation cut a scenario brings limits what the vendor can
    deliver of orders signed before it; the plan then obeys every cap the scenario has, so
    holding signings never makes it cheaper than knowing the scenario from the start."""
    ratio: dict[tuple[int, int], tuple[float, str]] = {}
    for family, caps in (("supply", data.supply), ("resource", data.resources)):
        for cap in caps:
            for year in data.years:
                used = sum(c * data.fixed.get((o, t), 0.0) for t in year.periods for o, c in cap.coef.items())
                limit = sum(cap.cap[t] for t in year.periods)
                if used > limit * (1 + CUT_TOLERANCE):
                    share = limit / used
                    for t in year.periods:
                        for o in cap.coef:
                            if data.fixed.get((o, t), 0.0) > 0 and share < ratio.get((o, t), (1.0, ""))[0]:
                                ratio[(o, t)] = (share, f"{family}[{cap.name},{year.name}]")
    if not ratio:
        return data
    fixed = {key: units * ratio[key][0] if key in ratio else units for key, units in data.fixed.items()}
    cut = {key: (data.fixed[key], row) for key, (_, row) in ratio.items()}
    return replace(data, fixed=FrozenDict(fixed), cut=FrozenDict(cut))


def _check_series_in_horizon(config: Config, periods: list[Period], problems: _Problems) -> None:
    """A scenario series whose first key is after the horizon would apply its first value to
    every period: almost certainly a typo, so it is an error."""
    end = periods[-1].start + periods[-1].years
    series = [(("workloads", w, "demand"), wl.demand) for w, wl in config.workloads.items()]
    series += [(("sites", s, "power_mw"), site.power_mw) for s, site in config.sites.items()]
    series += [(("existing", i, "units"), e.units) for i, e in enumerate(config.existing)]
    series += [(("supply", i, "cap"), p.cap) for i, p in enumerate(config.supply)]
    series += [(("resources", i, "cap"), r.cap) for i, r in enumerate(config.resources)]
    series += [(("policy", "budget_usd_per_year"), config.policy.budget_usd_per_year)]
    for path, value in series:
        if isinstance(value, dict):
            first = min(value, key=period_time)
            if period_time(first) >= end:
                problems.add(path + (first,), f"found period {first}, after the horizon "
                             f"{periods[0].name}-{periods[-1].name}; expected a period inside it")


def _vendors_in_play(config: Config, problems: _Problems) -> list[str]:
    if config.vendors is None:
        return sorted(config.catalog)
    for i, name in enumerate(config.vendors):
        if name not in config.catalog:
            problems.add(("vendors", i), f"found {name!r}, expected a catalog vendor: "
                         f"{', '.join(sorted(config.catalog)) or '(catalog is empty)'}")
    return [v for v in config.vendors if v in config.catalog]


def _reference_product(config: Config, vendors: list[str], problems: _Problems):
    refs = [(v, p) for v in sorted(config.catalog) for p, prod in config.catalog[v].products.items()
            if prod.reference]
    if len(refs) != 1:
        problems.add(("catalog",), f"found {len(refs)} products with reference: true "
                     f"({', '.join(f'{v}/{p}' for v, p in refs) or 'none'}), expected exactly one "
                     "(the product that defines 1 H100e)")
        return None
    vendor, product = refs[0]
    return config.catalog[vendor].products[product]


def _throughput(product, profile: str, reference, periods, path: PathKey, problems: _Problems) -> tuple[float, ...]:
    """θ per period: the direct value, or spec / reference spec x efficiency, each a series."""
    spec = product.throughput[profile]
    if spec.value is not None:
        return tuple(resolve_series(spec.value, periods))
    mine = product.specs.get(spec.basis)
    ref = reference.specs.get(spec.basis)
    if mine is None:
        problems.add(path + ("basis",), f"found basis {spec.basis!r}, expected one of this product's "
                     f"specs: {', '.join(sorted(product.specs)) or '(none)'}")
        return (0.0,) * len(periods)
    if ref is None or ref.value <= 0:
        problems.add(path + ("basis",), f"found basis {spec.basis!r}, which the reference product "
                     "does not give, expected a spec it has")
        return (0.0,) * len(periods)
    return tuple(mine.value / ref.value * efficiency for efficiency in resolve_series(spec.efficiency, periods))


def _fits(product, site) -> bool:
    """Whether the site can power and cool the product's racks (max_rack_kw, liquid_cooling)."""
    dense = site.max_rack_kw is not None and product.rack_kw is not None and product.rack_kw.value > site.max_rack_kw
    return not dense and (site.liquid_cooling or product.cooling != "liquid")


def _signing_times(offer, periods, committed: frozenset[int], path: PathKey, problems: _Problems) -> dict[int, float]:
    """Period -> when in it units are signed: its start, or the offer's `available.from` if that
    is later (a product available from 2027Q3 signed in the year 2027 is signed mid-2027), for
    the periods overlapping [from, end of `to`] and the `committed` ones: an order the lab
    already holds stays signed even if the product slipped past it, and arrives late."""
    try:
        start = period_time(offer.available.from_)
        end = period_end_time(offer.available.to) if offer.available.to is not None else math.inf
    except ValueError as exc:
        problems.add(path + ("available",), str(exc))
        return {}
    return {t: max(p.start, start) for t, p in enumerate(periods)
            if (p.start < end and p.end > start) or t in committed}


@dataclass(frozen=True)
class _Schedule:
    """When an offer instance's signings happen, are active, and what is left of them at the end."""

    signable: tuple[int, ...]
    signed_at: FrozenDict
    activity: FrozenDict
    salvage: FrozenDict


def _schedule(offer, periods, committed: frozenset[int], stage: frozenset[int], path: PathKey,
              problems: _Problems) -> _Schedule:
    """Signings active inside the horizon (and `committed` ones, even if they deliver nothing in
    it; in the here-and-now periods `stage`, only those): their signing times, the share of each
    period they are active, and (owned units) the share of the upfront unexpired at the
    horizon's end."""
    lead = offer.lead_months.value / 12.0
    term = offer.term_years.value if offer.term_years else periods[0].years
    signed = _signing_times(offer, periods, committed, path, problems)
    active = {tau: activity(periods, signed[tau] + lead, offer.term_years.value if offer.term_years
                            else periods[tau].years) for tau in signed}
    signable = tuple(tau for tau in signed
                     if (active[tau] or tau in committed) and (tau not in stage or tau in committed))
    salvage = {}
    if offer.channel == "buy":
        for tau in signable:
            remaining = min(max(signed[tau] + lead + term - periods[-1].end, 0.0), term)
            if remaining > 0:
                salvage[tau] = remaining / term
    return _Schedule(signable, FrozenDict({tau: signed[tau] for tau in signable}),
                     FrozenDict({tau: active[tau] for tau in signable}), FrozenDict(salvage))


ACTIVE_EPSILON = 1e-9
"""Overlaps shorter than this many years are no overlap (month arithmetic in floats)."""


def activity(periods: tuple[Period, ...], start: float, years: float) -> Activity:
    """((t, a), ...): the share a of each period t that [start, start + years) covers (times
    taken from the horizon's start and shares rounded to 1e-12, so that 10 months of a year
    is 0.1666..67, not 2026.8333's float error)."""
    origin = periods[0].start
    start -= origin
    end, out = start + years, []
    for t, period in enumerate(periods):
        overlap = min(end, period.end - origin) - max(start, period.start - origin)
        if overlap > ACTIVE_EPSILON:
            out.append((t, min(round(overlap / period.years, 12), 1.0)))
    return tuple(out)


def _offer_instances(config, vendors, periods, reference, committed, problems) -> list[OfferInstance]:
    """One instance per catalog offer and hosting site (or one, for an offer no site hosts),
    each with its own tables; `committed` is the here-and-now stage (_StageSignings: which
    instances are signed in its periods)."""
    T = len(periods)
    products_seen: dict[str, str] = {}
    instances: list[OfferInstance] = []
    for vendor_id in vendors:
        vendor = config.catalog[vendor_id]
        for product_id in vendor.products:
            if product_id in products_seen:
                problems.add(("catalog", vendor_id, "products", product_id),
                             f"product id {product_id!r} is also used by vendor "
                             f"{products_seen[product_id]!r}, expected ids unique across the catalog")
            products_seen[product_id] = vendor_id
        for offer_id, offer in vendor.offers.items():
            path = ("catalog", vendor_id, "offers", offer_id)
            product = vendor.products.get(offer.product)
            if product is None:
                problems.add(path + ("product",), f"found {offer.product!r}, expected a product of "
                             f"{vendor_id}: {', '.join(sorted(vendor.products))}")
                continue
            attrs = {**vendor.tags, **product.tags, **offer.tags,
                     "vendor": vendor_id, "product": offer.product, "offer": f"{vendor_id}/{offer_id}",
                     "channel": offer.channel, "provider": offer.provider, "region": offer.region,
                     "site": NONE_MEMBER}
            theta = {}
            goodput = offer.goodput.value if offer.goodput else 1.0
            for w, workload in config.workloads.items():
                profile = workload.profile or w
                if profile in product.throughput:
                    rates = _throughput(product, profile, reference, periods,
                                        ("catalog", vendor_id, "products", offer.product, "throughput", profile),
                                        problems)
                    theta[w] = tuple(rate * goodput for rate in rates)
            hosts = [s for s, site in config.sites.items()
                     if all(attrs.get(k, NONE_MEMBER) in v for k, v in site.hosts.items()) and _fits(product, site)]
            list_upfront = tuple(resolve_series(offer.upfront.value, periods))
            list_recurring = tuple(resolve_series(offer.recurring.value, periods))
            for site_id in hosts or [None]:
                site = config.sites[site_id] if site_id else None
                pue = site.pue if site else config.cloud_pue
                mw_per_unit = product.kw_per_unit.value * pue / 1000.0
                facility = site.facility_capex_usd_per_kw * mw_per_unit * 1000.0 if site else 0.0
                energy = site.energy_usd_per_mwh * mw_per_unit * HOURS_PER_YEAR if site else 0.0
                instance_attrs = dict(attrs)
                if site:
                    instance_attrs.update(site=site_id, region=site.region)
                key = f"{vendor_id}/{offer_id}" + (f"@{site_id}" if site_id else "")
                schedule = _schedule(offer, periods, committed.signable.get(key, frozenset()), committed.periods, path,
                                     problems)
                instances.append(OfferInstance(
                    key=key,
                    catalog_key=f"{vendor_id}/{offer_id}", attrs=FrozenDict(instance_attrs),
                    upfront=tuple(price + facility for price in list_upfront),
                    recurring=list_recurring, energy=energy,
                    locked=offer.channel == "reserved",
                    kw=product.kw_per_unit.value, pue=pue, lead_years=offer.lead_months.value / 12.0,
                    term_years=offer.term_years.value if offer.term_years else periods[0].years,
                    commitment=min(1.0, offer.term_years.value if offer.term_years else periods[0].years),
                    signable=schedule.signable, signed_at=schedule.signed_at, activity=schedule.activity,
                    theta=FrozenDict(theta), existing=(0.0,) * T, existing_paying=(0.0,) * T,
                    list_price=FrozenDict(upfront=list_upfront, recurring=list_recurring),
                    salvage_fraction=schedule.salvage))
    return instances


def solver_name(name: str) -> str:
    """A name every LP/MPS reader accepts: `demand[a-b,2026]` -> `demand(a_b,2026)`. Brackets
    become parentheses and other characters but letters, digits and _.,@# become '_' (PuLP and
    HiGHS's LP reader reject '-', '/', '[', ']', ':', '=')."""
    return re.sub(r"[^A-Za-z0-9_.,@()#]", "_", name.replace("[", "(").replace("]", ")"))


def _without_excluded(config, offers, problems) -> list[OfferInstance]:
    """Drop the offer instances any `exclude` selector matches."""
    known = _known_attributes(offers)
    dropped: set[int] = set()
    for i, selector in enumerate(config.exclude):
        dropped |= _select(selector, offers, known, ("exclude", i), problems)
    return [offer for o, offer in enumerate(offers) if o not in dropped]


def _check_buy_offers_hosted(config, offers, problems) -> None:
    """A `buy` offer in play (not excluded) needs a site that hosts it: owned units without one
    would pay no facility, no energy and draw on no power cap. An offer no site hosts is an
    instance without a site (see _offer_instances), so each such `buy` instance is an error."""
    for offer in offers:
        if offer.attrs["channel"] == "buy" and offer.attrs["site"] == NONE_MEMBER:
            vendor_id, offer_id = offer.catalog_key.split("/")
            sites = ", ".join(config.sites) or "none"
            problems.add(("catalog", vendor_id, "offers", offer_id, "channel"),
                         f"found `buy` offer {offer.catalog_key!r} that no site hosts (sites: {sites}), expected a "
                         "site whose hosts match it and whose racks fit it (max_rack_kw, liquid_cooling), "
                         "or the offer excluded (exclude)")


def _check_unique_names(keys: list[str], what: str, problems: _Problems) -> None:
    """Two ids must not collide once written for a solver (solver_name)."""
    seen: dict[str, str] = {}
    for key in keys:
        flat = solver_name(key)
        if flat in seen and seen[flat] != key:
            problems.add(("catalog",), f"{what} ids {seen[flat]!r} and {key!r} differ only in characters "
                         "written as '_' in model files, expected ids that stay distinct")
        seen[flat] = key


def _known_attributes(offers: list[OfferInstance]) -> dict[str, set[str]]:
    known: dict[str, set[str]] = {k: set() for k in CORE_ATTRIBUTES}
    for offer in offers:
        for key, value in offer.attrs.items():
            known.setdefault(key, set()).add(value)
    return known


def _select(selector, offers, known, path, problems) -> set[int]:
    """Offer instances whose attributes match every key of the selector."""
    for key, values in selector.items():
        if key not in known:
            problems.add(path + (key,), f"found attribute {key!r}, expected one of: "
                         f"{', '.join(sorted(known))}")
            return set()
        unknown = [v for v in values if v not in known[key]]
        if unknown:
            problems.add(path + (key,), f"found {', '.join(map(repr, unknown))}, expected one of: "
                         f"{', '.join(sorted(known[key]))}")
            return set()
    chosen = {o for o, offer in enumerate(offers)
              if all(offer.attrs.get(k, NONE_MEMBER) in v for k, v in selector.items())}
    if not chosen:
        problems.add(path, "matches no offer, expected a selector that picks at least one offer")
    return chosen


def _with_existing(config, offers, periods, problems) -> list[OfferInstance]:
    """The instances with their installed units (`existing`), as new instances."""
    index = {o.key: i for i, o in enumerate(offers)}
    installed = [[0.0] * len(periods) for _ in offers]
    paying = [[0.0] * len(periods) for _ in offers]
    for i, item in enumerate(config.existing):
        key = item.offer + (f"@{item.site}" if item.site else "")
        if key not in index:
            sited = sorted(k for k in index if k.startswith(item.offer + "@"))
            hint = (f"; this offer is at sites, add site: one of {', '.join(s.split('@')[1] for s in sited)}"
                    if sited and not item.site else "")
            problems.add(("existing", i, "offer" if not item.site else "site"),
                         f"found {key!r}, expected an offer instance in play{hint}")
            continue
        o = index[key]
        for t, n in enumerate(resolve_series(item.units, periods)):
            installed[o][t] += n
            if item.pay_recurring:
                paying[o][t] += n
    return [replace(offer, existing=tuple(installed[o]), existing_paying=tuple(paying[o]))
            for o, offer in enumerate(offers)]


def eligible(config, offers, deals, select) -> list[OfferInstance]:
    """The instances with θ limited to the workloads each may run, as new instances: a
    workload's `eligible` selector keeps only the offers it picks, and a deal's `exclusive`
    workloads run only on the deal's offers (several: on the offers of all of them)."""
    allowed = {}
    for w, workload in config.workloads.items():
        chosen = set(range(len(offers)))
        if workload.eligible is not None:
            chosen &= select(workload.eligible, ("workloads", w, "eligible"))
        for deal in deals:
            if w in deal.exclusive:
                chosen &= deal.offers
        allowed[w] = chosen
    return [replace(offer, theta=FrozenDict({w: th for w, th in offer.theta.items() if o in allowed[w]}))
            for o, offer in enumerate(offers)]


def _workloads(config, offers, periods, problems) -> FrozenDict:
    resilience = config.policy.resilience
    critical = resilience.critical_fraction if resilience else 0.0
    if isinstance(critical, dict):
        for w in critical:
            if w not in config.workloads:
                problems.add(("policy", "resilience", "critical_fraction", w),
                             f"found workload {w!r}, expected one of: {', '.join(config.workloads)}")
    out = {}
    for w, workload in config.workloads.items():
        if not any(rate > 0 for offer in offers for rate in offer.theta.get(w, ())):
            profile = workload.profile or w
            problems.add(("workloads", w), f"no offer can run profile {profile!r}, expected at least one "
                         "product with that throughput (check profile and eligible)")
        rho = critical.get(w, 0.0) if isinstance(critical, dict) else critical
        out[w] = WorkloadData(w, tuple(resolve_series(workload.demand, periods)), workload.voll, rho)
    _check_demand_range(out, periods, problems)
    return FrozenDict(out)


def _check_demand_range(workloads: dict, periods, problems: _Problems) -> None:
    """Positive demands at most MAX_DEMAND_RATIO apart (see there)."""
    demands = [(d, w, periods[t].name) for w, workload in workloads.items()
               for t, d in enumerate(workload.demand) if d > 0]
    if not demands:
        return
    (low, w_low, t_low), (high, w_high, t_high) = min(demands), max(demands)
    if high > MAX_DEMAND_RATIO * low:
        problems.add(("workloads", w_low, "demand"),
                     f"found {low:g} H100e in {t_low} and {high:g} H100e ({w_high}, {t_high}), a factor {high / low:.1e} "
                     f"apart, expected demands within a factor {MAX_DEMAND_RATIO:.0e} of each other (the LP keeps about "
                     "nine significant digits): write 0 where a demand is nothing, and solve workloads this far apart "
                     "as scenarios of their own")


def _supply_rows(config, vendors, offers, periods, select) -> tuple[CapRow, ...]:
    rows = []
    for vendor_id in vendors:
        vendor = config.catalog[vendor_id]
        if vendor.supply_cap is not None:
            rows.append(CapRow(f"vendor.{vendor_id}",
                               FrozenDict({o: off.commitment for o, off in enumerate(offers)
                                          if off.vendor == vendor_id and off.derived is None}),
                               per_period(vendor.supply_cap.value, periods), "units", vendor.supply_cap.source,
                               ("catalog", vendor_id, "supply_cap", "value")))
        for offer_id, offer in vendor.offers.items():
            if offer.supply_cap is not None:
                key = f"{vendor_id}/{offer_id}"
                rows.append(CapRow(f"offer.{key}",
                                   FrozenDict({o: off.commitment for o, off in enumerate(offers)
                                              if off.catalog_key == key and off.derived is None}),
                                   per_period(offer.supply_cap.value, periods), "units", offer.supply_cap.source,
                                   ("catalog", vendor_id, "offers", offer_id, "supply_cap", "value")))
    for i, pool in enumerate(config.supply):
        chosen = select(pool.match, ("supply", i, "match"))
        coef = {o: (1.0 if pool.measure == "units" else offers[o].mw_per_unit) * offers[o].commitment
                for o in sorted(chosen)}
        rows.append(CapRow(pool.name, FrozenDict(coef), per_period(pool.cap, periods),
                           "units" if pool.measure == "units" else "MW", pool.source, ("supply", i, "cap")))
    return tuple(r for r in rows if r.coef)


def _resource_rows(config, offers, periods, select) -> tuple[CapRow, ...]:
    """Σ_o q[o,k] x[o,t] <= Q[k,t]: q sums the per_unit of every usage rule matching o."""
    rows = []
    for i, resource in enumerate(config.resources):
        coef: dict[int, float] = {}
        for k, use in enumerate(resource.usage):
            for o in select(use.match, ("resources", i, "usage", k, "match")):
                coef[o] = coef.get(o, 0.0) + use.per_unit * offers[o].commitment
        rows.append(CapRow(resource.name, FrozenDict({o: c for o, c in sorted(coef.items()) if c > 0}),
                           per_period(resource.cap, periods), resource.unit, resource.source, ("resources", i, "cap")))
    return tuple(rows)


def _rule_periods(rule, periods, path, problems) -> tuple[int, ...]:
    """The periods from `from` to the end of `to`; a bound inside a period (a quarter of a yearly
    horizon) is an error: the rule would hold for the whole period or not at all."""
    try:
        start = period_time(rule.from_) if rule.from_ is not None else -math.inf
        end = period_end_time(rule.to) if rule.to is not None else math.inf
    except ValueError as exc:
        problems.add(path, str(exc))
        return ()
    for field, key, time in (("from", rule.from_, start), ("to", rule.to, end)):
        inside = next((p for p in periods if p.start + 1e-9 < time < p.end - 1e-9), None)
        if inside is not None:
            bound = "starts" if field == "from" else "ends"
            problems.add(path + (field,), f"found {key!r}, which {bound} inside the period {inside.name}, expected "
                         f"a {field} on the horizon's periods (a year here, or periods.step: quarter)")
            return ()
    chosen = tuple(t for t, p in enumerate(periods) if start <= p.start + 1e-9 and p.start < end)
    if not chosen:
        problems.add(path, f"covers no period of the horizon {periods[0].name}-{periods[-1].name}, "
                     "expected from/to inside it")
    return chosen


def _share_rules(config, offers, periods, known, problems) -> tuple[ShareData, ...]:
    rules = []
    for i, rule in enumerate(config.policy.shares):
        path = ("policy", "shares", i)
        if rule.group not in known:
            problems.add(path + ("group",), f"found {rule.group!r}, expected one of: {', '.join(sorted(known))}")
            continue
        members: dict[str, set[int]] = {}
        for o, offer in enumerate(offers):
            members.setdefault(offer.attrs.get(rule.group, NONE_MEMBER), set()).add(o)
        if rule.member is not None and rule.member not in members:
            problems.add(path + ("member",), f"found {rule.member!r}, expected a member of "
                         f"{rule.group}: {', '.join(sorted(members))}")
            continue
        chosen_periods = _rule_periods(rule, periods, path, problems)
        names = [rule.member] if rule.member is not None else sorted(set(members) - {NONE_MEMBER})
        for member in names:
            rules.append(ShareData(i, rule.group, member, rule.measure, chosen_periods, rule.min, rule.max,
                                   frozenset(members[member])))
    _check_share_sums(rules, len(offers), periods, problems)
    return tuple(rules)


def _check_share_sums(rules: list[ShareData], offers: int, periods, problems: _Problems) -> None:
    """Floors on the members of one group and measure that add up to more than 100% in a period,
    or caps on every member that add up to less, leave only the plan that buys nothing (every
    share of zero): an error, not an "optimal" plan serving nothing."""
    for t, period in enumerate(periods):
        by_group: dict[tuple[str, str], dict[str, list[ShareData]]] = {}
        for rule in rules:
            if t in rule.periods:
                by_group.setdefault((rule.group, rule.measure), {}).setdefault(rule.member, []).append(rule)
        for (group, measure), members in by_group.items():
            floors = {m: max(r.low for r in rs if r.low is not None) for m, rs in members.items()
                      if any(r.low is not None for r in rs)}
            caps = {m: min(r.high for r in rs if r.high is not None) for m, rs in members.items()
                    if any(r.high is not None for r in rs)}
            covered = set().union(*(rs[0].members for m, rs in members.items() if m in caps)) if caps else set()
            where = ("policy", "shares", min(r.rule for rs in members.values() for r in rs))
            if sum(floors.values()) > 1 + 1e-9:
                problems.add(where, f"found {measure} share floors on {group} adding up to "
                             f"{sum(floors.values()):.0%} in {period.name} ({_listing(floors)}), expected at most 100%")
            elif len(covered) == offers and sum(caps.values()) < 1 - 1e-9:
                problems.add(where, f"found {measure} share caps on every {group} adding up to "
                             f"{sum(caps.values()):.0%} in {period.name} ({_listing(caps)}), expected at least 100% "
                             "(otherwise only a plan that buys nothing meets them)")


def _vendor_counts(config, offers, periods, known, workloads, problems) -> tuple[CountData, ...]:
    """policy.vendor_counts: each rule's members (every member of its group but offers without
    the attribute) and its periods with demand. A `min` that no plan can meet is refused where it
    is written: more members than can serve demand in one of its periods (an offer that can be
    active then and runs a workload with demand), or min x min_share above all of demand."""
    rules = []
    for i, rule in enumerate(config.policy.vendor_counts):
        path = ("policy", "vendor_counts", i)
        if rule.group not in known:
            problems.add(path + ("group",), f"found {rule.group!r}, expected one of: {', '.join(sorted(known))}")
            continue
        members: dict[str, set[int]] = {}
        for o, offer in enumerate(offers):
            member = offer.attrs.get(rule.group, NONE_MEMBER)
            if member != NONE_MEMBER:
                members.setdefault(member, set()).add(o)
        demand = [sum(w.demand[t] for w in workloads.values()) for t in range(len(periods))]
        chosen = tuple(t for t in _rule_periods(rule, periods, path, problems) if demand[t] > 0)
        if rule.min is not None:
            if rule.min * rule.min_share > 1 + 1e-9:
                problems.add(path + ("min_share",), f"found min {rule.min} x min_share {rule.min_share:g} = "
                             f"{rule.min * rule.min_share:.0%} of demand, expected at most 100%")
            for t in chosen:
                able = sorted(m for m, os in members.items() if any(
                    offers[o].can_be_active(t) and any(offers[o].rate(w, t) > 0 for w, wl in workloads.items()
                                                       if wl.demand[t] > 0) for o in os))
                if len(able) < rule.min:
                    problems.add(path + ("min",), f"found {rule.min}, expected at most the {len(able)} {rule.group} "
                                 f"member(s) that can serve demand in {periods[t].name}"
                                 + (f" ({', '.join(able)})" if able else ""))
                    break
        rules.append(CountData(i, rule.group, rule.min, rule.max, rule.min_share, chosen,
                               FrozenDict({m: frozenset(os) for m, os in sorted(members.items())})))
    return tuple(rules)


def _listing(bounds: dict[str, float]) -> str:
    return ", ".join(f"{member} {value:.0%}" for member, value in sorted(bounds.items()))


def _failures(config, offers, known, select, problems) -> tuple[FailureData, ...]:
    resilience = config.policy.resilience
    if resilience is None or resilience.mode == "off":
        return ()
    out = []
    for i, failure in enumerate(resilience.failures):
        path = ("policy", "resilience", "failures", i)
        if failure.group is not None:
            if failure.group not in known:
                problems.add(path + ("group",), f"found {failure.group!r}, expected one of: "
                             f"{', '.join(sorted(known))}")
                continue
            members: dict[str, set[int]] = {}
            for o, offer in enumerate(offers):
                members.setdefault(offer.attrs.get(failure.group, NONE_MEMBER), set()).add(o)
            for member, chosen in sorted(members.items()):
                if member == NONE_MEMBER:
                    continue
                out.append(FailureData(f"{failure.group}.{member}", frozenset(chosen), failure.delivered,
                                       failure.probability, failure.duration_years))
        else:
            chosen = select(failure.match, path + ("match",))
            out.append(FailureData(failure.name, frozenset(chosen), failure.delivered,
                                   failure.probability, failure.duration_years))
    return tuple(out)


def _deals(config, offers, periods, select, problems) -> tuple[DealData, ...]:
    out = []
    names = [p.name for p in periods]
    seen: set[str] = set()
    for i, deal in enumerate(config.deals):
        path = ("deals", i)
        if solver_name(deal.name) in seen:
            problems.add(path + ("name",), f"found {deal.name!r} again, expected deal names that are unique")
        seen.add(solver_name(deal.name))
        chosen = select(deal.covers, path + ("covers",))
        window = _rule_periods(deal, periods, path, problems)
        for k, w in enumerate(deal.exclusive):
            if w not in config.workloads:
                problems.add(path + ("exclusive", k),
                             f"found workload {w!r}, expected one of: {', '.join(config.workloads)}")
        tranches = []
        financing = deal.financing
        for k, tranche in enumerate(financing.tranches if financing else []):
            end = period_end_time(tranche.by)  # by 2028: by the end of 2028 (2028Q4 in quarters)
            by = max((t for t, p in enumerate(periods) if p.start < end - 1e-9), default=None)
            where = path + ("financing", "tranches", k, "by")
            if by is None or end < periods[0].end - 1e-9 or end > periods[-1].end + 1e-9:
                problems.add(where, f"found {tranche.by!r}, expected a period of the horizon ({names[0]}-{names[-1]})")
                continue
            if abs(periods[by].end - end) > 1e-9:
                problems.add(where, f"found {tranche.by!r}, which ends inside the period {periods[by].name}, expected "
                             "a period of the horizon (a year here, or periods.step: quarter)")
                continue
            if financing.measure != "spend_usd" and by not in window:
                problems.add(where, f"found {tranche.by!r}, expected a period inside the deal's window "
                             "(the milestone counts the deal's own capacity)")
                continue
            if financing.measure == "share" and not sum(resolve_series(w.demand, periods)[by]
                                                        for w in config.workloads.values()):
                problems.add(where, f"found {tranche.by!r}, a period without demand, expected one where a share "
                             "of demand means something")
                continue
            tranches.append(TrancheData(tranche.reach, by, tranche.credit_usd))
        delivery = None
        if deal.max_mw is not None:
            values = resolve_series(deal.max_mw, periods)
            start = min(window, default=len(periods))
            coef = {o: offers[o].mw_per_unit for o in sorted(chosen)}
            cap = tuple(None if t >= start and t not in window
                        else max(0.0 if t < start else values[t], sum(c * offers[o].existing[t] for o, c in coef.items()))
                        for t in range(len(periods)))
            delivery = CapRow(deal.name, FrozenDict(coef), cap, "MW", deal.source, path + ("max_mw",), False)
        out.append(DealData(deal.name, deal.counterparty, frozenset(chosen), window, tuple(deal.exclusive),
                            deal.min_spend_usd, delivery,
                            financing.rate if financing else 0.0, financing.per if financing else "mw",
                            financing.cap_usd if financing else None, financing.measure if financing else "mw",
                            tuple(tranches), path, bool(financing and financing.kind == "equity"),
                            _volume_tiers(deal.volume_tiers, path + ("volume_tiers",), problems)))
    return tuple(out)


def _volume_tiers(spec, path, problems) -> TiersData | None:
    """A deal's volume_tiers, checked: the first tier from 0, from_usd strictly rising, discounts
    never falling, the ceiling above the last tier's start (otherwise that tier is never reached)."""
    if spec is None:
        return None
    starts = [tier.from_usd for tier in spec.tiers]
    discounts = [tier.discount for tier in spec.tiers]
    ok = True
    if starts[0] != 0:
        problems.add(path + ("tiers", 0, "from_usd"), f"found {starts[0]:g}, expected 0 (the first tier starts at "
                     "the first dollar)")
        ok = False
    for k in range(1, len(starts)):
        if starts[k] <= starts[k - 1]:
            problems.add(path + ("tiers", k, "from_usd"), f"found {starts[k]:g} after {starts[k - 1]:g}, expected "
                         "from_usd strictly rising")
            ok = False
        if discounts[k] < discounts[k - 1]:
            problems.add(path + ("tiers", k, "discount"), f"found {discounts[k]:g} after {discounts[k - 1]:g}, "
                         "expected discounts that never fall with volume")
            ok = False
    if spec.up_to_usd <= starts[-1]:
        problems.add(path + ("up_to_usd",), f"found {spec.up_to_usd:g}, expected more than the last tier's from_usd "
                     f"{starts[-1]:g} (spend above the ceiling earns no more, so that tier could never be reached)")
        ok = False
    return TiersData(spec.kind, spec.up_to_usd, tuple(starts), tuple(discounts)) if ok else None


def _unique_names(rules, path: tuple, problems: _Problems) -> None:
    """Rule names must stay distinct as solver names (they key rows)."""
    seen: set[str] = set()
    for i, rule in enumerate(rules):
        if solver_name(rule.name) in seen:
            problems.add(path + (i, "name"), f"found {rule.name!r} again, expected names that are unique")
        seen.add(solver_name(rule.name))


def _ladders(config, offers, periods, select, problems) -> tuple[LadderData, ...]:
    """Each ladder's offers and steps: every two periods of its window whose starts are at most a
    year apart, capped by the later period's max_increase / max_decrease (per year: the most M may
    move within any 12 months)."""
    out = []
    _unique_names(config.policy.ladders, ("policy", "ladders"), problems)
    for i, rule in enumerate(config.policy.ladders):
        path = ("policy", "ladders", i)
        chosen = select(rule.match, path + ("match",)) if rule.match is not None else set(range(len(offers)))
        window = _rule_periods(rule, periods, path, problems)
        up = resolve_series(rule.max_increase, periods) if rule.max_increase is not None else None
        down = resolve_series(rule.max_decrease, periods) if rule.max_decrease is not None else None
        steps = tuple(LadderStep(before, after, up[after] if up else None, down[after] if down else None)
                      for after in window for before in window
                      if before < after and periods[after].start - periods[before].start <= 1 + 1e-9)
        if window and not steps:
            problems.add(path, f"covers only {periods[window[0]].name}, expected a window of at least two periods "
                         "(a ladder limits the change between them)")
        out.append(LadderData(rule.name, i, LADDER_MEASURES[rule.measure], frozenset(chosen), steps))
    return tuple(out)


def _stagger_signings(offers, chosen, measure: str) -> dict[tuple[int, int], tuple[str, float]]:
    """(o, τ) -> (calendar year of the term's last day, measure per unit) for the term signings
    (on-demand excluded) of the chosen offers; usd counts upfront + recurring x term of τ."""
    signings = {}
    for o in sorted(chosen):
        offer = offers[o]
        if offer.attrs["channel"] == "on_demand":
            continue
        per_unit = {"units": 1.0, "mw": offer.mw_per_unit}.get(measure)
        for tau in offer.signable:
            end = offer.signed_at[tau] + offer.lead_years + offer.term_years
            value = per_unit if per_unit is not None else offer.upfront[tau] + offer.recurring[tau] * offer.term_years
            signings[(o, tau)] = (str(math.floor(end - 1e-9)), value)
    return signings


def _staggers(config, offers, select, problems, check_reach: bool) -> tuple[StaggerData, ...]:
    """Each stagger's term signings and the year each ends in. A max_share below 1 / (the number
    of years the signings can end in) leaves only the plan that signs none of them: an error
    (`check_reach`; not under held signings, whose stage may allow fewer years)."""
    out = []
    _unique_names(config.policy.staggers, ("policy", "staggers"), problems)
    for i, rule in enumerate(config.policy.staggers):
        path = ("policy", "staggers", i)
        chosen = select(rule.match, path + ("match",)) if rule.match is not None else set(range(len(offers)))
        data = StaggerData(rule.name, i, rule.measure, rule.max_share,
                           FrozenDict(_stagger_signings(offers, chosen, rule.measure)))
        years = data.years
        if chosen and not years:
            problems.add(path + ("match",), "found only on-demand offers (or none signable), expected offers with a "
                         "term (reserved or buy) whose ends can be staggered")
        elif check_reach and years and rule.max_share * len(years) < 1 - 1e-9:
            problems.add(path + ("max_share",), f"found {rule.max_share:g} with the matched terms ending in only "
                         f"{len(years)} calendar years ({', '.join(years)}), expected at least "
                         f"1/{len(years)} = {1 / len(years):.4g} (otherwise only a plan that signs none of them meets it)")
        out.append(data)
    return tuple(out)


def _resale(config, offers, periods, select, problems) -> tuple[ResaleData, ...]:
    """The resale rules: each must match a buy or reserved offer (on-demand ones are left out:
    nothing is held to sell), and an offer is in one rule at most."""
    out, seen = [], {}
    for i, rule in enumerate(config.resale):
        path = ("resale", i)
        chosen = select(rule.match, path + ("match",))
        held = frozenset(o for o in chosen if offers[o].attrs["channel"] in ("buy", "reserved"))
        if not held:
            problems.add(path + ("match",), f"found {len(chosen)} offers, none of them buy or reserved, expected "
                         "at least one owned (buy) or reserved offer to sell or sublet")
            continue
        for o in sorted(held):
            if o in seen:
                problems.add(path + ("match",), f"found {offers[o].key}, also matched by resale[{seen[o]}], "
                             "expected each offer in one resale rule at most")
                break
            seen[o] = i
        window = _rule_periods(rule, periods, path, problems)
        cap = per_period(rule.max_units_per_year, periods) if rule.max_units_per_year is not None else None
        out.append(ResaleData(str(i), held, tuple(sorted(rule.curve.items())), window, cap, path, rule.source))
    return tuple(out)


DERIVED_KINDS = ("option", "package")
"""The instruments that derive offer instances, and the attribute naming the instrument on them
(a catalog instance has none: `(none)` in selectors and share tables)."""


def derived_instance(offer: OfferInstance, kind: str, name: str, signable: set[int],
                     upfront: float | None, recurring: float | None) -> OfferInstance:
    """A copy of a catalog instance for an option or a package (`kind`): key `<key>#<name>`,
    attribute `<kind>: <name>`, signable only in `signable` (of the instance's own signable
    periods), no installed units, and the vendor's prices replaced where given ($ per unit and
    per unit-year, every period; the site's facility capex is still added to the upfront)."""
    keep = tuple(tau for tau in offer.signable if tau in signable)
    facility = tuple(total - own for total, own in zip(offer.upfront, offer.list_price["upfront"]))
    list_upfront = offer.list_price["upfront"] if upfront is None else (float(upfront),) * len(facility)
    list_recurring = offer.list_price["recurring"] if recurring is None else (float(recurring),) * len(facility)
    return replace(
        offer, key=f"{offer.key}#{name}", attrs=FrozenDict({**offer.attrs, kind: name}), derived=kind,
        upfront=tuple(price + capex for price, capex in zip(list_upfront, facility)), recurring=list_recurring,
        list_price=FrozenDict(upfront=list_upfront, recurring=list_recurring), signable=keep,
        signed_at=FrozenDict({tau: offer.signed_at[tau] for tau in keep}),
        activity=FrozenDict({tau: offer.activity[tau] for tau in keep}),
        salvage_fraction=FrozenDict({tau: f for tau, f in offer.salvage_fraction.items() if tau in keep}),
        existing=(0.0,) * len(offer.existing), existing_paying=(0.0,) * len(offer.existing))


def _instruments(config, offers, periods, select, problems):
    """Options and packages, and the offer instances they derive (derived_instance) appended
    to `offers`: (offers, options, packages). Their selectors pick catalog instances."""
    derived: list[OfferInstance] = []
    seen: set[str] = set()
    options, packages = [], []
    for kind, items in (("option", config.options), ("package", config.packages)):
        for i, item in enumerate(items):
            path = (kind + "s", i)
            if solver_name(item.name) in seen:
                problems.add(path + ("name",), f"found {item.name!r} again, expected names unique among options "
                             "and packages")
            seen.add(solver_name(item.name))
            build = _option if kind == "option" else _package
            made = build(item, offers, periods, select, path, len(offers) + len(derived), problems)
            if made is not None:
                instrument, copies = made
                derived += copies
                (options if kind == "option" else packages).append(instrument)
    return offers + derived, tuple(options), tuple(packages)


def _period_index(key, periods, path, problems) -> int | None:
    """The horizon period that starts at `key` (a year or a quarter), or None with a located error."""
    try:
        time = period_time(key)
    except ValueError as exc:
        problems.add(path, str(exc))
        return None
    index = next((t for t, p in enumerate(periods) if abs(p.start - time) < 1e-9), None)
    if index is None:
        problems.add(path, f"found {key!r}, expected a period of the horizon ({periods[0].name}-{periods[-1].name}; "
                     "a quarter needs periods.step: quarter)")
    return index


def _option(option, offers, periods, select, path, first, problems):
    """An option's data and its copies (numbered from `first`), each covered catalog instance
    signable in the exercise window."""
    chosen = sorted(select(option.covers, path + ("covers",)))
    window = _rule_periods(option.exercise, periods, path + ("exercise",), problems)
    reserve = 0 if option.reserve is None else _period_index(option.reserve, periods, path + ("reserve",), problems)
    if not chosen or not window or reserve is None:
        return None
    if reserve > window[0]:
        problems.add(path + ("reserve",), f"found {option.reserve!r}, after the exercise window's start "
                     f"{periods[window[0]].name}, expected the right bought at or before it")
        return None
    copies = [derived_instance(offers[o], "option", option.name, set(window), option.strike.upfront_usd,
                               option.strike.recurring_usd) for o in chosen]
    copies = [c for c in copies if c.signable]
    if not copies:
        problems.add(path + ("exercise",), f"found no covered offer signable in {periods[window[0]].name}-"
                     f"{periods[window[-1]].name}, expected the window to overlap a covered offer's availability")
        return None
    measure = "units" if option.units is not None else "mw"
    fee = option.fee_usd_per_unit if measure == "units" else option.fee_usd_per_mw
    data = OptionData(option.name, option.counterparty, tuple(range(first, first + len(copies))), measure,
                      option.units if measure == "units" else option.mw, fee, reserve, window, path)
    return data, copies


def _package(package, offers, periods, select, path, first, problems):
    """A package's data and its copies: one per catalog instance its items pick, signable in
    the items' periods at no vendor price (the payments are the price)."""
    lines: list[tuple[int, int, float]] = []
    for k, item in enumerate(package.items):
        where = path + ("items", k)
        chosen = sorted(select(item.covers, where + ("covers",)))
        t = _period_index(item.period, periods, where + ("period",), problems)
        if len(chosen) > 1:
            problems.add(where + ("covers",), f"found {len(chosen)} offer instances ({', '.join(offers[o].key for o in chosen[:4])}"
                         f"{', ...' if len(chosen) > 4 else ''}), expected a selector that picks exactly one")
        elif chosen and t is not None:
            if t not in offers[chosen[0]].signable:
                problems.add(where + ("period",), f"found {item.period!r}, when {offers[chosen[0]].key} cannot be "
                             "signed (its availability, or its units would not be active in the horizon), expected "
                             "a period it can be signed in")
            elif any((o, tau) == (chosen[0], t) for o, tau, _ in lines):
                problems.add(where, f"found {offers[chosen[0]].key} in {periods[t].name} again, expected one item "
                             "per offer and period")
            else:
                lines.append((chosen[0], t, item.units))
    payments = []
    start, end = periods[0].start, periods[-1].end
    for key, usd in package.payments.items():
        time = period_time(key)
        if not start - 1e-9 <= time < end - 1e-9:
            problems.add(path + ("payments", key), f"found {key!r}, expected a payment inside the horizon "
                         f"({periods[0].name}-{periods[-1].name})")
        else:
            payments.append((time, usd))
    if len(lines) != len(package.items) or len(payments) != len(package.payments):
        return None
    instances = sorted({o for o, _, _ in lines})
    copies = [derived_instance(offers[o], "package", package.name, {t for p, t, _ in lines if p == o}, 0.0, 0.0)
              for o in instances]
    items = tuple(PackageItemData(first + instances.index(o), t, units) for o, t, units in lines)
    return PackageData(package.name, package.counterparty, items, tuple(payments), path), copies


MAX_LOTS = 1e8
"""The most lots a MILP may count in one signing: HiGHS leaves demand unmet and calls it optimal
when lot counts reach 1e9 (two offers, lots of one unit, 1e9 H100e of demand), and a count that
large is not held exactly within its tolerances anyway."""


def _milp(config, vendors, offers, periods, problems) -> MilpData:
    milp = config.milp
    if milp.integer:
        _check_lot_counts(config, offers, periods, problems)
    for w in milp.min_cluster_units:
        if w not in config.workloads:
            problems.add(("milp", "min_cluster_units", w),
                         f"found workload {w!r}, expected one of: {', '.join(config.workloads)}")
            continue
        demand = resolve_series(config.workloads[w].demand, periods)
        bare = [p.name for t, p in enumerate(periods)
                if demand[t] > 0 and not any(o.rate(w, t) > 0 and o.can_be_active(t) for o in offers)]
        if bare:
            problems.add(("milp", "min_cluster_units", w), f"found no offer that can run {w} in {', '.join(bare)}, "
                         "expected one to host the minimum cluster in every period with demand")
    porting = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(milp.porting):
        if (item.vendor, item.workload) in seen:
            problems.add(("milp", "porting", i), f"found {item.vendor}/{item.workload} again, expected one porting "
                         "cost per vendor and workload")
            continue
        seen.add((item.vendor, item.workload))
        if item.vendor not in vendors:
            problems.add(("milp", "porting", i, "vendor"), f"found {item.vendor!r}, expected a vendor in play: "
                         f"{', '.join(vendors)}")
        elif item.workload not in config.workloads:
            problems.add(("milp", "porting", i, "workload"), f"found {item.workload!r}, expected one of: "
                         f"{', '.join(config.workloads)}")
        else:
            porting.append((item.vendor, item.workload, item.cost_usd))
    return MilpData(milp.integer, milp.lot_units, FrozenDict(milp.min_cluster_units), tuple(porting), milp.mip_gap)


def _check_lot_counts(config, offers, periods, problems) -> None:
    """Under --integer, the units a period's largest demand needs on the least productive offer,
    in lots, must stay within MAX_LOTS."""
    demand = max((max(resolve_series(w.demand, periods)) for w in config.workloads.values()), default=0.0)
    rates = [rate for offer in offers for rates in offer.theta.values() for rate in rates if rate > 0]
    if demand > 0 and rates:
        lots = demand / min(rates) / config.milp.lot_units
        if lots > MAX_LOTS:
            problems.add(("milp", "lot_units"), f"found {config.milp.lot_units:g} unit(s) per lot, so a signing could "
                         f"count {lots:.3g} lots (demand up to {demand:.3g} H100e), expected lots large enough to "
                         f"keep counts under {MAX_LOTS:.0e} (lot_units of at least {demand / min(rates) / MAX_LOTS:.3g}): "
                         "the solver does not hold larger integers exactly")


def _theta_groups(offers: list[OfferInstance]) -> tuple[ThetaGroup, ...]:
    """Offers grouped by identical θ, named after the first member's product (made unique)."""
    members: dict[tuple, list[int]] = {}
    for o, offer in enumerate(offers):
        profile = tuple(sorted((w, rates) for w, rates in offer.theta.items() if any(rates)))
        if profile:
            members.setdefault(profile, []).append(o)
    groups, used = [], set()
    for profile, chosen in members.items():
        name = base = offers[chosen[0]].attrs["product"]
        number = 1
        while name in used:
            number += 1
            name = f"{base}-{number}"
        used.add(name)
        groups.append(ThetaGroup(name, tuple(chosen), FrozenDict(profile)))
    return tuple(groups)
