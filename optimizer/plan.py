"""A plan in real units (units, H100e, dollars), and everything computed from it and the data.

Reports and `verify` both start here, from the plan and the scenario data alone; nothing in
this module reads the LP. Formulas match docs/model.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from .data import ModelData


@dataclass
class Plan:
    acquired: dict[tuple[int, int], float]
    """x[o,t] units signed."""
    assigned: dict[tuple[int, str, int], float]
    """y[o,w,t] units running w."""
    unmet: dict[tuple[str, int], float]
    """u[w,t] H100e."""
    data: ModelData = field(repr=False)

    def active(self, o: int, t: int) -> float:
        """A[o,t] = E[o,t] + Σ_{τ active at t} x[o,τ]."""
        return self._active[o][t]

    @cached_property
    def _active(self) -> list[list[float]]:
        """A[o,t] for every offer and period (computed once: `acquired` is fixed after construction)."""
        return [[offer.existing[t] + sum(self.acquired.get((o, tau), 0.0) for tau in offer.signings_active_at(t))
                 for t in self.data.T] for o, offer in enumerate(self.data.offers)]

    def active_paying(self, o: int, t: int) -> float:
        """Active units that pay recurring (installed units may be prepaid)."""
        offer = self.data.offers[o]
        return self.active(o, t) - offer.existing[t] + offer.existing_paying[t]

    def served(self, o: int, t: int) -> float:
        """H100e served by offer o in t: Σ_w θ[o,w] y[o,w,t]."""
        offer = self.data.offers[o]
        return sum(theta * self.assigned.get((o, w, t), 0.0) for w, theta in offer.theta.items())

    def upfront_cash(self, o: int, t: int) -> float:
        return self.data.offers[o].upfront * self.acquired.get((o, t), 0.0)

    def recurring_cash(self, o: int, t: int) -> float:
        return self.data.offers[o].recurring * self.data.periods[t].years * self.active_paying(o, t)

    def spend(self, o: int, t: int) -> float:
        """Cash out for o in t: upfront_o x[o,t] + recurring_o Δ_t A[o,t] (undiscounted)."""
        return self.upfront_cash(o, t) + self.recurring_cash(o, t)

    def measure(self, o: int, t: int, measure: str) -> float:
        """m_o(t): compute (H100e served), units (active), power (MW), spend ($)."""
        if measure == "compute":
            return self.served(o, t)
        if measure == "units":
            return self.active(o, t)
        if measure == "power":
            return self.data.offers[o].mw_per_unit * self.active(o, t)
        return self.spend(o, t)

    def vendor_share_of_demand(self, vendor: str, t: int) -> float:
        demand = sum(w.demand[t] for w in self.data.workloads.values())
        if demand <= 0:
            return 0.0
        return sum(self.served(o, t) for o, off in enumerate(self.data.offers) if off.vendor == vendor) / demand

    def cost_breakdown(self) -> dict[str, float]:
        """Discounted $: upfront, recurring, unmet (at VOLL) and salvage (negative)."""
        data = self.data
        upfront = recurring = salvage = 0.0
        for o, offer in enumerate(data.offers):
            for t in data.T:
                upfront += data.discount[t] * self.upfront_cash(o, t)
                recurring += data.discount[t] * self.recurring_cash(o, t)
            for tau in offer.salvage_fraction:
                salvage -= data.end_discount * offer.salvage(tau) * self.acquired.get((o, tau), 0.0)
        unmet = sum(data.discount[t] * data.workloads[w].voll * data.periods[t].years * h
                    for (w, t), h in self.unmet.items())
        return {"upfront": upfront, "recurring": recurring, "unmet": unmet, "salvage": salvage}
