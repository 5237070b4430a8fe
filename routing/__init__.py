"""Tandem's planning core, pure: couriers, shipments and travel times in, a Plan with exact ETAs and
a reason for every job out (no web, no database, no clock; it imports nothing from dispatch or api).

The map and vehicles (network, profiles, matrix), the problem, the stages of a round (construct,
insertion, sharing, the OR-Tools model, evaluate, explain, sequenced by solver) and what they share
(the objective, the model's encoding). Each module's role and the stages: docs/ARCHITECTURE.md.

The planning core's public names are importable from here (``from routing import solve, Problem``).
They load on first use, so ``import routing.network`` (a city import, the CLI's ``city info``)
does not pull in OR-Tools, PyVRP and VROOM (whose first import takes about a second).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from routing.evaluate import RouteEvaluation, RouteStop, StopKind, StopTiming, evaluate_route
    from routing.explain import explain
    from routing.insertion import Insertion, insert_shipment
    from routing.network import BikeNetwork, NetworkError, load_network, open_city
    from routing.objective import Objective
    from routing.plan import Alternative, Explanation, Plan
    from routing.problem import Courier, Lock, Problem, ProblemError, Shipment, TravelTimes, travel_times
    from routing.settings import SolverSettings
    from routing.solver import DEFERRED, plan_metrics, solve
    from routing.stats import SolverStats

#: Each public name and the module that defines it.
_EXPORTS = {
    "solve": "routing.solver",
    "plan_metrics": "routing.solver",
    "DEFERRED": "routing.solver",
    "SolverSettings": "routing.settings",
    "SolverStats": "routing.stats",
    "Problem": "routing.problem",
    "Courier": "routing.problem",
    "Shipment": "routing.problem",
    "Lock": "routing.problem",
    "TravelTimes": "routing.problem",
    "ProblemError": "routing.problem",
    "travel_times": "routing.problem",
    "Plan": "routing.plan",
    "Explanation": "routing.plan",
    "Alternative": "routing.plan",
    "RouteStop": "routing.evaluate",
    "StopKind": "routing.evaluate",
    "StopTiming": "routing.evaluate",
    "RouteEvaluation": "routing.evaluate",
    "evaluate_route": "routing.evaluate",
    "explain": "routing.explain",
    "insert_shipment": "routing.insertion",
    "Insertion": "routing.insertion",
    "Objective": "routing.objective",
    "BikeNetwork": "routing.network",
    "NetworkError": "routing.network",
    "load_network": "routing.network",
    "open_city": "routing.network",
}

__all__ = [
    "DEFERRED",
    "Alternative",
    "BikeNetwork",
    "Courier",
    "Explanation",
    "Insertion",
    "Lock",
    "NetworkError",
    "Objective",
    "Plan",
    "Problem",
    "ProblemError",
    "RouteEvaluation",
    "RouteStop",
    "Shipment",
    "SolverSettings",
    "SolverStats",
    "StopKind",
    "StopTiming",
    "TravelTimes",
    "evaluate_route",
    "explain",
    "insert_shipment",
    "load_network",
    "open_city",
    "plan_metrics",
    "solve",
    "travel_times",
]


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (PEP 562), then keep the name here."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'routing' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
