"""What the planner hands back: routes with exact ETAs, and a reason for every job.

A :class:`Plan` is a proposal, nothing more. Each served job carries an :class:`Explanation` a
dispatcher can read in a glance: why this courier, what it costs, what the alternatives cost.
Each unserved job carries the reason it could not be served.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from routing.evaluate import RouteEvaluation
from routing.reasons import Reason
from routing.stats import SolverStats


@dataclass(frozen=True)
class Alternative:
    courier: str
    extra_minutes: float | None  #: None: this courier cannot take the job without breaking a limit
    why_not: Reason | None = None  #: why this courier cannot take it, when they cannot


@dataclass(frozen=True)
class Explanation:
    shipment: str
    courier: str
    extra_minutes: float  #: riding and handling the job adds to this courier's route
    load_after_pickup_kg: float
    payload_kg: float
    worked_share_after: float  #: the courier's worked time over shift after this plan
    cooperative_share_after: float  #: the same for the whole cooperative, for comparison
    reasons: tuple[Reason, ...]  #: codes with parameters: the edge says them in the reader's language
    alternatives: tuple[Alternative, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "shipment": self.shipment,
            "courier": self.courier,
            "extra_minutes": round(self.extra_minutes, 1),
            "load_after_pickup_kg": round(self.load_after_pickup_kg, 1),
            "payload_kg": self.payload_kg,
            "worked_share_after": round(self.worked_share_after, 3),
            "cooperative_share_after": round(self.cooperative_share_after, 3),
            "reasons": [r.to_json() for r in self.reasons],
            "alternatives": [
                {
                    "courier": a.courier,
                    "extra_minutes": None if a.extra_minutes is None else round(a.extra_minutes, 1),
                    "why_not": None if a.why_not is None else a.why_not.to_json(),
                }
                for a in self.alternatives
            ],
        }


@dataclass(frozen=True)
class Plan:
    routes: dict[str, RouteEvaluation]  #: by courier id, every courier (empty routes too)
    unassigned: dict[str, Reason]  #: shipment id -> why it could not be served
    explanations: dict[str, Explanation] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    solver: SolverStats = field(default_factory=SolverStats)  #: what each stage of the round did

    def assignment(self) -> dict[str, str]:
        """Shipment id -> courier id, for every served shipment."""
        return {stop.shipment: courier for courier, route in self.routes.items() for stop in route.stops}

    def sequence(self, courier: str) -> list[tuple[str, str]]:
        return [(s.shipment, s.kind.value) for s in self.routes[courier].stops]
