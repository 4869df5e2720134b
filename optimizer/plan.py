"""A plan in real units (units, H100e, dollars), and everything computed from it and the data.

Reports and `verify` both start here, from the plan and the scenario data alone; nothing in
this module reads the LP. Formulas match docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from .data import DEAL_MEASURES, DealData, LadderData, LadderStep, ModelData, OptionData, PackageData, StaggerData


@dataclass
class Plan:
    acquired: dict[tuple[int, int], float]
    """x[o,t] units signed."""
    assigned: dict[tuple[int, str, int], float]
    """y[o,w,t] units running w."""
    data: ModelData = field(repr=False)
    decisions: dict[str, dict[tuple, float]] = field(default_factory=dict, repr=False)
    """The solver's other columns in real units, by family (u H100e, short and credit $, vest,
    cluster and ported fractions, sigma, q, m shares, lots): what verify() checks the deal,
    integer and concentration rows with. Nothing reported is read from them, but for `sold`,
    the units sold or sublet (a decision of the plan, like x: see `sold`)."""

    @property
    def sold(self) -> dict[tuple[int, int, int], float]:
        """sold[o,τ,t]: units of the signing (o,τ) sold or sublet at the start of t."""
        return self.decisions.get("sold", {})

    def kept(self, o: int, tau: int, t: int) -> float:
        """K[o,τ,t] = x[o,τ] − Σ_{t'≤t} sold[o,τ,t']: units of the signing still the lab's in t."""
        sales = self.data.sales.get((o, tau))
        sold = sum(self.sold.get((o, tau, u), 0.0) for u in sales[0] if u <= t) if sales else 0.0
        return self.acquired.get((o, tau), 0.0) - sold

    def active(self, o: int, t: int) -> float:
        """A[o,t] = E[o,t] + Σ_τ a[o,τ,t] K[o,τ,t]."""
        return self._active[o][t]

    @cached_property
    def _active(self) -> list[list[float]]:
        """A[o,t] for every offer and period (computed once: the plan is fixed after construction)."""
        return [[offer.existing[t] + sum(share * self.kept(o, tau, t) for tau, share in offer.signings_active_at(t))
                 for t in self.data.T] for o, offer in enumerate(self.data.offers)]

    def active_paying(self, o: int, t: int) -> float:
        """Active units that pay the vendor's recurring price (installed units may be prepaid)."""
        offer = self.data.offers[o]
        return self.active(o, t) - offer.existing[t] + offer.existing_paying[t]

    @cached_property
    def held(self) -> "Plan":
        """The signings the lab already holds (data.fixed) and the installed units alone, nothing
        running: the use caps are grandfathered to (formulation.Model.grandfather)."""
        return Plan(dict(self.data.fixed), {}, self.data)

    def served_demand(self, w: str, t: int) -> float:
        """H100e of w served in t: Σ_o θ[o,w] y[o,w,t]."""
        return self._served_demand.get((w, t), 0.0)

    @cached_property
    def _served_demand(self) -> dict[tuple[str, int], float]:
        served: dict[tuple[str, int], float] = {}
        for (o, w, t), units in self.assigned.items():
            served[(w, t)] = served.get((w, t), 0.0) + units * self.data.offers[o].rate(w, t)
        return served

    @cached_property
    def unmet(self) -> dict[tuple[str, int], float]:
        """H100e of each workload's demand not served: max(0, D[w,t] − served), computed, never
        read from the solver (whose u may sit inside its tolerance for a tiny demand)."""
        return {(w, t): max(workload.demand[t] - self.served_demand(w, t), 0.0)
                for w, workload in self.data.workloads.items() for t in self.data.T}

    def served(self, o: int, t: int) -> float:
        """H100e served by offer o in t: Σ_w θ[o,w,t] y[o,w,t]."""
        return self._served_by_offer.get((o, t), 0.0)

    @cached_property
    def _served_by_offer(self) -> dict[tuple[int, int], float]:
        served: dict[tuple[int, int], float] = {}
        for (o, w, t), units in self.assigned.items():
            served[(o, t)] = served.get((o, t), 0.0) + units * self.data.offers[o].rate(w, t)
        return served

    def upfront_cash(self, o: int, t: int) -> float:
        """upfront_o(t) x[o,t]: the price of the period the units are signed in."""
        return self.data.offers[o].upfront[t] * self.acquired.get((o, t), 0.0)

    def _signed_rent(self, o: int, t: int, list_price: bool) -> float:
        """Σ_τ a[o,τ,t] rent_o(τ,t) R[o,τ,t]: the rent of the units signed in the horizon active in t
        (R: K for an owned offer, whose units sold pay none; x for a reservation, sublet or not)."""
        offer = self.data.offers[o]
        return sum(share * offer.rent(tau, t, list_price)
                   * (self.kept(o, tau, t) if offer.owned else self.acquired.get((o, tau), 0.0))
                   for tau, share in offer.signings_active_at(t))

    def recurring_cash(self, o: int, t: int) -> float:
        """Δ_t [Σ_τ a rent_o(τ,t) x[o,τ] + recurring_o(t) E^pay[o,t]]: the rent of signed units and
        the vendor's recurring on the installed units that pay it."""
        offer = self.data.offers[o]
        return self.data.periods[t].years * (self._signed_rent(o, t, False) + offer.recurring[t] * offer.existing_paying[t])

    def energy_cash(self, o: int, t: int) -> float:
        """Δ_t energy_o Σ_w y[o,w,t]: site energy for the units that run (idle units draw none)."""
        offer = self.data.offers[o]
        return self.data.periods[t].years * offer.energy * self.running(o, t) if offer.energy else 0.0

    def running(self, o: int, t: int) -> float:
        """Σ_w y[o,w,t]: units of o running in t."""
        return sum(self.assigned.get((o, w, t), 0.0) for w in self.data.offers[o].theta)

    def spend(self, o: int, t: int) -> float:
        """Cash out for o in t: upfront_cash + recurring_cash + energy_cash (undiscounted)."""
        return self.upfront_cash(o, t) + self.recurring_cash(o, t) + self.energy_cash(o, t)

    def paid(self, o: int, t: int) -> float:
        """Paid to the vendor for o in t, at its list prices (no site facility capex or energy)."""
        offer = self.data.offers[o]
        return (offer.list_price["upfront"][t] * self.acquired.get((o, t), 0.0)
                + self.data.periods[t].years * (self._signed_rent(o, t, True)
                                                + offer.list_price["recurring"][t] * offer.existing_paying[t]))

    def measure(self, o: int, t: int, measure: str) -> float:
        """m_o(t): compute (H100e served), units (active), power (MW), spend ($), paid (to the
        vendor, $)."""
        if measure == "compute":
            return self.served(o, t)
        if measure == "units":
            return self.active(o, t)
        if measure == "power":
            return self.data.offers[o].mw_per_unit * self.active(o, t)
        if measure == "paid":
            return self.paid(o, t)
        return self.spend(o, t)

    def ladder_level(self, ladder: LadderData, t: int) -> float:
        """M_l(t) = Σ_{o∈l} m_o A[o,t]: the ladder's active units or facility MW, installed included."""
        return sum(self.measure(o, t, ladder.measure) for o in ladder.offers)

    def ladder_cap(self, ladder: LadderData, step: LadderStep, sign: float) -> float | None:
        """The cap of a ladder step (sign 1: ladder_up, −1: ladder_down; None: none given), never
        below what the installed and held units (data.fixed) alone move: a rise of contracts
        already signed is delivered, and a fall is allowed where no free signing of the ladder's
        offers could refill it (one active more in the later period than in the earlier)."""
        cap = step.up if sign > 0 else step.down
        if cap is None:
            return None
        data = self.data
        refillable = sign < 0 and any(
            dict(offer.activity[tau]).get(step.after, 0.0) > dict(offer.activity[tau]).get(step.before, 0.0)
            for o in ladder.offers for offer in [data.offers[o]] for tau in offer.signable if (o, tau) not in data.fixed)
        if refillable:
            return cap
        held = self.held
        return max(cap, sign * (held.ladder_level(ladder, step.after) - held.ladder_level(ladder, step.before)))

    def stagger_ending(self, stagger: StaggerData) -> dict[str, float]:
        """Per calendar year of the stagger: Σ m_o(τ) x[o,τ] over its signings whose terms end in it."""
        ending = dict.fromkeys(stagger.years, 0.0)
        for key, (year, per_unit) in stagger.signings.items():
            ending[year] += per_unit * self.acquired.get(key, 0.0)
        return ending

    def stagger_excess(self, stagger: StaggerData, year: str) -> float:
        """The stagger row's left-hand side: what ends in `year` minus max_share x all the group's signings."""
        ending = self.stagger_ending(stagger)
        return ending[year] - stagger.max_share * sum(ending.values())

    def vendor_share_of_demand(self, vendor: str, t: int) -> float:
        """σ[v,t]: H100e the vendor serves in t over all demand in t."""
        demand = sum(w.demand[t] for w in self.data.workloads.values())
        if demand <= 0:
            return 0.0
        return sum(self.served(o, t) for o, off in enumerate(self.data.offers) if off.vendor == vendor) / demand

    def resale_income(self) -> float:
        """Σ_{o,τ,t} income[o,τ,t] sold[o,τ,t] (present value; data.ModelData.resale_income)."""
        return sum(self.data.resale_income(o, tau, t) * units for (o, tau, t), units in self.sold.items())

    def cost_breakdown(self) -> dict[str, float]:
        """Discounted $: upfront, recurring, energy, unmet (at VOLL), salvage (negative; on units
        still held at the end), resale (negative), take-or-pay shortfalls, financing credits
        (negative), porting, vendor_equity (negative: the equity-kind financing, which results.py
        keeps out of the procurement cost), volume_rebate (negative: the deals' volume tiers,
        tier_outcomes), option fees (δ(s_reserve) fee · reserve) and package prices
        (Σ_k δ(s_k) payment_k · take)."""
        data = self.data
        upfront = recurring = energy = salvage = 0.0
        end = data.end_discount
        for o, offer in enumerate(data.offers):
            for t in data.T:
                if t in offer.signed_at:
                    upfront += data.discount_at(offer.signed_at[t]) * self.upfront_cash(o, t)
                recurring += data.discount[t] * self.recurring_cash(o, t)
                energy += data.discount[t] * self.energy_cash(o, t)
            for tau in offer.salvage_fraction:
                salvage -= end * offer.salvage(tau) * self.kept(o, tau, data.T[-1])
        unmet = sum(data.discount[t] * data.workloads[w].voll * data.periods[t].years * h
                    for (w, t), h in self.unmet.items())
        outcomes = self.deal_outcomes
        return {"upfront": upfront, "recurring": recurring, "energy": energy, "unmet": unmet, "salvage": salvage,
                "resale": -self.resale_income(),
                "take_or_pay": sum(d.shortfall_pv for d in outcomes),
                "financing_credit": -sum(d.credit_pv for d in outcomes if not d.deal.equity),
                "porting": sum(data.discount[0] * amount * self.ported(v, w) for v, w, amount in data.milp.porting),
                "volume_rebate": -sum(r.rebate_pv for r in self.tier_outcomes),
                "vendor_equity": -sum(d.credit_pv for d in outcomes if d.deal.equity),
                "option_fees": sum(data.discount[p.reserve] * p.fee * self.reserved(p) for p in data.options),
                "packages": sum(p.price(data) * self.taken(p) for p in data.packages)}

    @cached_property
    def tier_outcomes(self) -> list["TierOutcome"]:
        """Per deal with volume tiers, from its spend in the window (deal_outcomes): the tier the
        spend reaches and the contract's rebate (data.TiersData.rebate), paid at the end of the
        window (the tier choice is binary in every solve)."""
        data, out = self.data, []
        for outcome in self.deal_outcomes:
            tiers = outcome.deal.tiers
            if tiers is None:
                continue
            rebate = tiers.rebate(outcome.spend)
            end = data.end_of_period_discount(outcome.deal.window[-1])
            out.append(TierOutcome(outcome.deal, outcome.spend, tiers.reached(outcome.spend), rebate, rebate * end))
        return out

    def served_share(self, offers, t: int) -> float:
        """Σ_{o∈offers} served_o(t) / Σ_w D[w,t]: the offers' share of all demand in t (0 without demand)."""
        demand = sum(w.demand[t] for w in self.data.workloads.values())
        return sum(self.served(o, t) for o in offers) / demand if demand > 0 else 0.0

    def deal_measure(self, deal: DealData, periods, measure: str) -> float:
        """Σ_{o∈d, t∈periods} m_o(t) for one of `measure`'s measures (power, paid, ...)."""
        return sum(self.measure(o, t, measure) for o in deal.offers for t in periods)

    @cached_property
    def deal_outcomes(self) -> list["DealOutcome"]:
        """Per deal, from the plan: spend in the window and the take-or-pay shortfall
        max(0, M − spend); financing credit earned per period, rate x basis, filled in period
        order up to the cap; each tranche's vested share (all or nothing under --integer,
        min(1, measure / reach) in the LP, as the relaxed model does)."""
        data = self.data
        out = []
        for deal in data.deals:
            spend = self.deal_measure(deal, deal.window, "paid")
            shortfall = max(deal.min_spend - spend, 0.0) if deal.min_spend is not None else 0.0
            end = data.end_of_period_discount(deal.window[-1]) if deal.window else 1.0
            credit = credit_pv = 0.0
            room = deal.cap if deal.cap is not None else float("inf")
            for t in deal.window if deal.rate > 0 else []:
                earned = min(deal.rate * self.financing_basis(deal, t), room)
                room -= earned
                credit += earned
                credit_pv += data.discount[t] * earned
            vested = []
            for tranche in deal.tranches:
                value = self.deal_measure(deal, deal.tranche_periods(tranche), DEAL_MEASURES[deal.measure])
                if deal.measure == "share":
                    demand = sum(w.demand[tranche.by] for w in data.workloads.values())
                    value = value / demand if demand > 0 else 0.0
                share = _reached(value, tranche.reach, data.milp.integer)
                vested.append(share)
                credit += share * tranche.credit
                credit_pv += share * tranche.credit * data.end_of_period_discount(tranche.by)
            out.append(DealOutcome(deal, spend, shortfall, shortfall * end, credit, credit_pv, vested))
        return out

    def reserved(self, option: OptionData) -> float:
        """Units (or MW) of the option's right bought: the solver's reserve[p] (plan.decisions)."""
        return self.decisions.get("reserve", {}).get((option.name,), 0.0)

    def exercised(self, option: OptionData, t: int) -> float:
        """Units (or MW) of the right used by signings in t: Σ_{o∈copies} coef_o x[o,t]."""
        return sum(option.coef(self.data.offers[o]) * self.acquired.get((o, t), 0.0) for o in option.copies)

    def taken(self, package: PackageData) -> float:
        """The share of the package taken: the solver's take[p] (plan.decisions), whose items
        x[copy_i, τ_i] = N_i · take verify() checks."""
        return self.decisions.get("take", {}).get((package.name,), 0.0)

    def financing_basis(self, deal: DealData, t: int) -> float:
        """What a deal's financing rate is paid on in t: $ paid to its offers (per: usd), or
        their units or facility MW signed, times commitment (per: unit, mw)."""
        if deal.per == "usd":
            return self.deal_measure(deal, [t], "paid")
        return sum(self.data.offers[o].financed_per_unit(deal.per) * self.acquired.get((o, t), 0.0)
                   for o in deal.offers)

    def ported(self, vendor: str, workload: str) -> float:
        """Whether vendor's stack is up for workload: the largest share of w's demand the vendor
        serves in any period (the relaxed model pays pro rata), or 0/1 under --integer."""
        data = self.data
        largest = 0.0
        for t in data.T:
            demand = data.workloads[workload].demand[t]
            served = self.vendor_served(vendor, workload, t)
            if demand > 0:
                largest = max(largest, served / demand)
        if data.milp.integer:
            return 1.0 if largest > 1e-6 else 0.0
        return min(largest, 1.0)

    def vendor_served(self, vendor: str, workload: str, t: int) -> float:
        """H100e of `workload` the vendor's offers serve in t."""
        return sum(offer.rate(workload, t) * self.assigned.get((o, workload, t), 0.0)
                   for o, offer in enumerate(self.data.offers) if offer.vendor == vendor)


def _reached(value: float, reach: float, integer: bool) -> float:
    if reach <= 0:
        return 1.0
    if integer:
        return 1.0 if value >= reach * (1 - 1e-6) else 0.0
    return min(value / reach, 1.0)


@dataclass(frozen=True)
class DealOutcome:
    deal: DealData
    spend: float
    """Undiscounted $ paid to the covered offers in the window."""
    shortfall: float
    shortfall_pv: float
    credit: float
    """Undiscounted $ of financing earned (rate-based and tranches)."""
    credit_pv: float
    vested: list[float]
    """Per tranche: the share earned."""


@dataclass(frozen=True)
class TierOutcome:
    deal: DealData
    spend: float
    """Undiscounted $ paid to the covered offers in the window (the tiers count min(spend, C))."""
    tier: int
    """The highest tier the spend reaches (its from_usd at most min(spend, C))."""
    rebate: float
    """Undiscounted $ of rebate the contract pays on this spend (the tier reached's d_k P − K_k)."""
    rebate_pv: float
