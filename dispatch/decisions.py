"""Dispatchers' decisions, with the cost of an override stated before it is made.

An override is never blocked for being slower, later or less fair than the proposal: the
dispatcher knows things the planner does not. It is only refused when it would break a hard
physical limit of the vehicle (payload, volume, parcel length) or give the job to a courier who
is not riding now (off shift, gone home, on a pause: the planner leaves their work aside, so the
job would sit unplanned), and even then a dispatcher may force it with a reason; the cost report
travels with the event, so the log says what was known.
The cost and the limits are reasons as data (``routing/reasons.py``): the edge says them in words.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from dispatch import commands
from dispatch.errors import SHIFT_LIMITS, InvalidInput, limit_refused, shift_refusal
from dispatch.events import Event
from dispatch.planning import build_problem
from dispatch.store import Store
from dispatch.text import says_something
from routing.evaluate import RouteEvaluation
from routing.network import BikeNetwork
from routing.objective import Objective
from routing.problem import Courier, Lock, Problem, Shipment
from routing.reasons import Reason, reason
from routing.solver import SolverSettings, solve

#: Time the small re-plans of one courier's route may take.
COST_BUDGET_S = 0.3


@dataclass(frozen=True)
class OverrideCost:
    job_id: str
    courier_id: str
    extra_minutes: float | None  #: riding and handling added to the courier's route (None: not on shift)
    proposed_extra_minutes: float | None  #: what the planner's proposal cost, for comparison
    lateness_minutes: float  #: lateness the courier's route would pick up (windows treated as soft)
    worked_share_after: float | None
    cooperative_share: float | None
    breaks: tuple[Reason, ...]  #: hard physical limits broken
    summary: tuple[Reason, ...]  #: the cost, part by part

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["breaks"] = [r.to_json() for r in self.breaks]
        data["summary"] = [r.to_json() for r in self.summary]
        return data


def override_cost(
    store: Store,
    coop_id: str,
    network: BikeNetwork,
    job_id: str,
    courier_id: str,
    now: datetime,
    *,
    held_by_nobody: frozenset[str] = frozenset(),
) -> OverrideCost:
    """What giving ``job_id`` to ``courier_id`` would cost, against the proposal; the jobs of
    ``held_by_nobody`` are planned as open ones (``dispatch.planning.build_problem``)."""
    job = store.job(coop_id, job_id)
    record = store.courier(coop_id, courier_id)
    problem, ctx = build_problem(store, coop_id, network, now, held_by_nobody=held_by_nobody)
    if job_id not in ctx.jobs:
        raise InvalidInput("job", "nothing_to_decide", job=job_id, state=job.state.value)
    shipment = problem.shipment(job_id) if job_id in {s.id for s in problem.shipments} else None
    vehicle = record.vehicle
    breaks: list[Reason] = []
    if shipment is not None:
        if shipment.weight_kg > vehicle.payload_kg:
            breaks.append(
                reason(
                    "over_payload",
                    kg=shipment.weight_kg,
                    payload=vehicle.payload_kg,
                    courier=courier_id,
                    vehicle=vehicle.kind.value,
                )
            )
        if shipment.volume_l > vehicle.volume_l:
            breaks.append(reason("over_volume", litres=shipment.volume_l, volume=vehicle.volume_l))
        if shipment.length_cm > vehicle.max_length_cm:
            breaks.append(reason("over_length", cm=shipment.length_cm, max_cm=vehicle.max_length_cm))
    proposed = (job.proposal or {}).get("explanation", {}).get("extra_minutes")
    courier = next((c for c in problem.couriers if c.id == courier_id), None)
    if courier is None:  # not riding now: a limit as a payload is, forced only with a reason
        breaks += shift_limits(store, coop_id, courier_id) or [reason("not_on_shift", courier=courier_id)]
        return OverrideCost(job_id, courier_id, None, proposed, 0.0, None, None, tuple(breaks), tuple(breaks))
    if shipment is None:
        off = (reason("not_on_shift", courier=courier_id),)
        return OverrideCost(job_id, courier_id, None, proposed, 0.0, None, None, tuple(breaks), off)
    committed = {lock.shipment for lock in problem.locks if lock.courier == courier_id} | set(courier.on_board)
    base = _route(problem, courier_id, committed)
    with_job = _route(problem, courier_id, committed | {job_id})
    extra = (with_job.work_s - base.work_s) / 60.0
    late = max(0.0, with_job.lateness_s - base.lateness_s) / 60.0
    shift = courier.shift_length_s
    share = (courier.worked_s_today + with_job.work_s) / shift
    total_shift = sum(c.shift_length_s for c in problem.couriers)
    coop_share = sum(c.worked_s_today for c in problem.couriers) / max(1, total_shift)
    parts = [reason("override_adds", minutes=round(extra, 1), courier=courier_id)]
    if proposed is not None:
        parts.append(reason("proposal_added", minutes=proposed))
    parts.append(_weighed(problem, job.proposal, courier, shipment, base, with_job))
    if late > 0:
        parts.append(reason("lateness_risk", minutes=round(late)))
    parts.extend(breaks)
    return OverrideCost(job_id, courier_id, extra, proposed, late, share, coop_share, tuple(breaks), tuple(parts))


def shift_limits(store: Store, coop_id: str, courier_id: str) -> list[Reason]:
    """:func:`shift_refusal` as the log says now: the planner leaves an off-shift or paused
    courier's work aside, so a job given to them would sit unplanned unless a person forces it."""
    status = store.courier_statuses(coop_id).get(courier_id)
    return shift_refusal(courier_id, bool(status and status.on_shift), bool(status and status.paused))


def _weighed(
    problem: Problem,
    proposal: dict[str, Any] | None,
    courier: Courier,
    shipment: Shipment,
    base: RouteEvaluation,
    with_job: RouteEvaluation,
) -> Reason:
    """The override and the proposal weighed by the planner's own objective (routing.objective:
    riding, the day's shares, heavy loads, the end of a shift), so that a dispatcher sees the
    whole cost the planner saw, not only the minutes."""
    objective = Objective.of(problem, [s.id for s in problem.shipments])
    mine = objective.route_cost(problem, courier, base, with_job, shipment) / 60.0
    other = next((c for c in problem.couriers if proposal and c.id == proposal.get("courier_id")), None)
    if other is None or other.id == courier.id:
        return reason("objective_cost", minutes=round(mine, 1))
    committed = {lock.shipment for lock in problem.locks if lock.courier == other.id} | set(other.on_board)
    before, after = _route(problem, other.id, committed), _route(problem, other.id, committed | {shipment.id})
    theirs = objective.route_cost(problem, other, before, after, shipment) / 60.0
    return reason("objective_vs_proposal", minutes=round(mine, 1), proposal=round(theirs, 1))


def _route(problem: Problem, courier_id: str, shipments: set[str]) -> RouteEvaluation:
    """The best route of one courier for exactly these shipments (windows soft, so lateness shows)."""
    courier = next(c for c in problem.couriers if c.id == courier_id)
    sub = Problem(
        couriers=(courier,),
        shipments=tuple(s for s in problem.shipments if s.id in shipments),
        travel=problem.travel,
        now=problem.now,
        soft_windows=True,
        locks=tuple(Lock(s, courier_id) for s in shipments if s not in courier.on_board),
        heavy_threshold_kg=problem.heavy_threshold_kg,
    )
    return solve(sub, SolverSettings(time_budget_s=COST_BUDGET_S, explain=False)).routes[courier_id]


def decide_override(
    store: Store,
    coop_id: str,
    network: BikeNetwork,
    job_id: str,
    courier_id: str,
    *,
    dispatcher_id: str,
    now: datetime,
    reason: str = "",
    force: bool = False,
    expected_seq: int | None = None,
    held_by_nobody: frozenset[str] = frozenset(),
) -> tuple[Event, OverrideCost]:
    """Give a job to another courier than proposed (or reassign it), recording the cost: past a
    limit (the vehicle's, or the courier not riding now) only with ``force`` and a reason.
    ``held_by_nobody``: the job's courier is paused or off shift, so it is weighed as if open."""
    if store.job(coop_id, job_id).courier_id == courier_id:  # said before any limit of theirs
        raise InvalidInput("courier_id", "already_with", job=job_id, courier=courier_id)
    cost = override_cost(store, coop_id, network, job_id, courier_id, now, held_by_nobody=held_by_nobody)
    if cost.breaks and not force:
        raise limit_refused(cost.breaks)
    if cost.breaks and not says_something(reason):
        raise InvalidInput("reason", "forced_needs_reason")
    job = store.job(coop_id, job_id)
    act = commands.reassign if job.courier_id is not None else commands.override
    event = act(
        store,
        coop_id,
        job_id,
        courier_id,
        dispatcher_id=dispatcher_id,
        at=now,
        reason=reason,
        expected_seq=expected_seq,
        extra=bound_extra(cost),
    )
    return event, cost


def bound_extra(cost: OverrideCost) -> dict[str, Any]:
    """What a binding decision's event carries beside the job and courier: its cost, whether it
    was forced, and, unless a person forced it past the courier's shift, ``only_if_riding``: the
    log's fold then refuses it in the append's own transaction when the courier is off shift or
    on a pause by then (a shift ending does not move the job's seq, so the seq guard cannot see
    a courier who stopped between the cost and the act)."""
    extra: dict[str, Any] = {"cost": cost.to_json(), "forced": bool(cost.breaks)}
    if not any(b.code in SHIFT_LIMITS for b in cost.breaks):
        extra["only_if_riding"] = True
    return extra
