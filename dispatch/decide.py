"""A dispatcher's decision on a job, as one call: which act it is, and whether the job's state allows it.

Every door a decision comes in by (the console's API today, a script tomorrow) gets the same
rules: accept binds the proposal's courier while they are on shift; unassign goes straight to its
command; override gives an open job and reassign moves an assigned one, each at the cost stated
first (dispatch/decisions.py) and, to a courier off shift or paused as past a vehicle's limit,
only forced with a reason; reassign also hands a parcel already on board over to another
courier, refused at a physical limit of their vehicle or when they are off shift or paused,
unless forced with a reason (a handover at a meeting point, issue 18); a job whose courier's work
the planner leaves aside (on a pause, off shift) is weighed and moved as an open job would be, to
the courier it goes to (``_held_by_nobody``). A stale decision is left
to the store, whose Conflict names who acted meanwhile: that says more than a complaint about the
state the job is in now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any, Literal

from dispatch import commands
from dispatch.decisions import OverrideCost, bound_extra, decide_override, override_cost, shift_limits
from dispatch.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    InvalidInput,
    PhysicalLimit,
    shift_refusal,
)
from dispatch.events import ActorKind, Event
from dispatch.lifecycle import FINAL_STATES, OPEN_STATES, JobState
from dispatch.model import JobRequest, Vehicle
from dispatch.planning import PlanningContext, build_problem
from dispatch.projections import AcceptedOffShift, JobView
from dispatch.store import Store
from dispatch.store.erasure import erased_label
from dispatch.text import says_something
from dispatch.views import couriers_in_rotation
from routing.evaluate import RouteEvaluation, RouteStop, StopKind, evaluate_route
from routing.insertion import cheapest_insertion
from routing.network import BikeNetwork
from routing.objective import Objective
from routing.problem import Courier, Problem, Shipment
from routing.reasons import Reason, reason

Action = Literal["accept", "override", "reassign", "unassign"]
#: The states a job may be reassigned from: someone has it. Once it is picked up, a reassignment is
#: a handover (a meeting point): the parcel moves on board to the other courier, who only has its
#: drop-off left to ride (issue 18: the courier who picked it up had to go home).
REASSIGNABLE = frozenset({JobState.ASSIGNED, JobState.ACKNOWLEDGED, JobState.PICKED_UP})


class ProposedToCourierOffShift(IllegalTransition):
    """A proposal to a courier who is no longer on shift (sent home, shift ended): accepting it
    would bind a job to someone who will not ride it (attack finding 3), so it is refused; the
    next round proposes the job to someone on shift, or a dispatcher overrides it."""

    code = "courier_off_shift"

    def __init__(self, job_id: str, name: str) -> None:
        super().__init__(job_id, JobState.PROPOSED.value, "accept")
        self.why, self.params = "proposed_to_off_shift", {**self.params, "name": name}


class HandoverLimit(PhysicalLimit):
    """A handover the other courier cannot take as things stand: their vehicle's limits, or they
    are off shift or paused. The same code as a physical limit, so the console offers ``force``."""

    def __init__(self, limits: tuple[Reason, ...]) -> None:
        super().__init__(limits)
        self.why = "handover_limit"


class JobFinished(IllegalTransition):
    """A decision on a delivered, failed or cancelled job: its state forbids every act (409, as
    any act the job's state forbids), and the message says none would do."""

    def __init__(self, job_id: str, state: str, act: str) -> None:
        super().__init__(job_id, state, act)
        self.why = "job_finished"


def accept_proposal(
    store: Store, coop_id: str, job_id: str, *, dispatcher_id: str, at: datetime, expected_seq: int | None = None
) -> Event:
    """Accept the job's proposal, unless its courier is off shift now. The job is read once and
    the acceptance is guarded by that read's seq: a proposal put aside meanwhile (the courier
    sent home) makes it a Conflict, never an acceptance of what was checked before. The courier's
    own shift end does not move the job's seq, so the acceptance is also marked to stand only
    while they are on shift, checked again in the append's transaction (review item 10): the
    check here names them early, that one holds in a race."""
    job = store.job(coop_id, job_id)
    if expected_seq is None and job.state not in OPEN_STATES and job.state not in FINAL_STATES:
        # Sent without saying what was seen (accept-all, a client's program): another desk took
        # the job (accepted, overrode) before this accept arrived. A conflict naming who did what,
        # as for a stale expected_seq, not "is assigned: it cannot be accepted now" (a CI run's
        # race of an accept and an override). Who sent the seq they saw knew it was taken.
        raise _acted_meanwhile(store, coop_id, job, job_id, job.last_seq)
    seq = job.last_seq if expected_seq is None else expected_seq
    courier_id = (job.proposal or {}).get("courier_id")
    if job.state is JobState.PROPOSED and seq == job.last_seq and courier_id is not None:
        status = store.courier_statuses(coop_id).get(str(courier_id))
        if status is None or not status.on_shift:
            raise ProposedToCourierOffShift(job_id, store.courier(coop_id, str(courier_id)).display_name)
    try:
        return commands.accept(
            store, coop_id, job_id, dispatcher_id=dispatcher_id, at=at, expected_seq=seq, only_on_shift=True
        )
    except AcceptedOffShift as exc:
        raise ProposedToCourierOffShift(job_id, store.courier(coop_id, exc.courier_id).display_name) from exc


@dataclass(frozen=True)
class Decision:
    """What a dispatcher decided; ``expected_seq`` is the last seq they saw of the job."""

    action: Action
    courier_id: str | None = None
    reason: str = ""
    force: bool = False
    expected_seq: int | None = None


def _last_act(store: Store, coop_id: str, job: JobView) -> tuple[str, str]:
    """The job's last event, as a refusal names it: its type and who (``"<kind> <id>"``, as a
    :class:`~dispatch.errors.Conflict` names them; the edge says a member by their name)."""
    last = store.events(coop_id, after_seq=job.last_seq - 1, limit=1)
    if not last:
        return "acted", ActorKind.SYSTEM.value
    actor = last[0].actor
    return last[0].type.value, f"{actor.kind.value} {actor.id}" if actor.id else actor.kind.value


def _acted_meanwhile(store: Store, coop_id: str, job: JobView, job_id: str, expected_seq: int) -> Conflict:
    """The conflict naming the job's last act and who did it (the edge says a member by name)."""
    last_act, by = _last_act(store, coop_id, job)
    return Conflict(job_id, expected_seq, job.last_seq, last_act, by)


def _check_state(store: Store, coop_id: str, job: JobView, job_id: str, decision: Decision) -> None:
    """Refuse a decision the job's state does not allow, naming the act that would do (or saying
    that none would: a finished job is nobody's to move). An override of a job someone took
    meanwhile (another dispatcher's accept, seen before the dialog was confirmed) names who did
    what, as a conflict does: the dispatcher learns why the job is no longer open."""
    if decision.expected_seq is not None and decision.expected_seq != job.last_seq:
        return  # stale: the store's Conflict says who acted, which is what the dispatcher needs
    state = job.state.value
    if job.state in FINAL_STATES:
        raise JobFinished(job_id, state, decision.action)
    if decision.action == "override" and job.state not in OPEN_STATES:
        last_act, by = _last_act(store, coop_id, job)
        raise InvalidInput("action", "use_reassign", job=job_id, state=state, last_act=last_act, by=by)
    if decision.action == "reassign" and job.state not in REASSIGNABLE:
        raise InvalidInput("action", "use_override", job=job_id, state=state)
    if decision.action == "unassign" and job.state is JobState.PICKED_UP:
        raise InvalidInput("action", "on_board_use_reassign", job=job_id)


def decision_cost(
    store: Store, coop_id: str, network: BikeNetwork, job_id: str, courier_id: str, now: datetime
) -> OverrideCost:
    """What giving ``job_id`` to ``courier_id`` would cost, said before deciding: an override's
    or a reassignment's cost against the plan, or a handover's physical limits."""
    job = store.job(coop_id, job_id)
    if job.state is JobState.PICKED_UP:
        return handover_cost(store, coop_id, job_id, courier_id)
    held = _held_by_nobody(store, coop_id, job)
    return override_cost(store, coop_id, network, job_id, courier_id, now, held_by_nobody=held)


def _held_by_nobody(store: Store, coop_id: str, job: JobView) -> frozenset[str]:
    """``job``, when its courier's work is left out of planning (not on shift, on a pause,
    deactivated: ``courier_off_shift``, no planning problem has it), so that it is planned as an
    open job and weighed for the courier it would go to as any reassignment is: the other
    courier's route with and without it (``build_problem(held_by_nobody=...)``). Otherwise
    nothing: the planner has the job where it is."""
    if job.state not in (JobState.ASSIGNED, JobState.ACKNOWLEDGED) or job.courier_id is None:
        return frozenset()
    status = store.courier_statuses(coop_id).get(job.courier_id)
    if status and status.on_shift and not status.paused and store.courier(coop_id, job.courier_id).active:
        return frozenset()
    return frozenset({job.id})


def handover_cost(store: Store, coop_id: str, job_id: str, courier_id: str) -> OverrideCost:
    """A parcel on board handed over at a meeting point: what the other courier's vehicle must
    hold, with what they already carry on board. The minutes are not compared: where they meet
    is for the two couriers to say, and the next round plans only the drop-off from there (the
    parcel is on board with them: ``dispatch/planning.py``).

    A courier off shift or on a pause is a limit too, as a vehicle's payload is: the planner
    leaves their work aside (``courier_off_shift``), so the parcel would sit unplanned unless a
    person forces it and says why (the reason is what the log keeps of it)."""
    parcel = JobRequest.from_json(store.job(coop_id, job_id).request)
    vehicle = store.courier(coop_id, courier_id).vehicle
    carried = [
        JobRequest.from_json(j.request)
        for j in store.jobs(coop_id, (JobState.PICKED_UP,))
        if j.courier_id == courier_id and j.id != job_id
    ]
    on_board = (sum(r.weight_kg for r in carried), sum(r.volume_l for r in carried))
    limits = _vehicle_limits(parcel, vehicle, courier_id, on_board) + shift_limits(store, coop_id, courier_id)
    return OverrideCost(job_id, courier_id, None, None, 0.0, None, None, tuple(limits), tuple(limits))


def _hand_over(
    store: Store, coop_id: str, job_id: str, decision: Decision, *, dispatcher_id: str, now: datetime
) -> tuple[Event, OverrideCost]:
    """Reassign a parcel on board: refused at a physical limit of the other vehicle, or to a
    courier off shift or paused, unless forced with a reason, like an override; the parcel stays
    on board, now with the other courier."""
    assert decision.courier_id is not None
    cost = handover_cost(store, coop_id, job_id, decision.courier_id)
    return _move(store, coop_id, job_id, decision, cost, dispatcher_id=dispatcher_id, now=now)


def _move(
    store: Store,
    coop_id: str,
    job_id: str,
    decision: Decision,
    cost: OverrideCost,
    *,
    dispatcher_id: str,
    now: datetime,
) -> tuple[Event, OverrideCost]:
    """Write a handover at the cost stated first: refused at a limit it breaks unless forced with
    a reason (its limits include the other courier being off shift or paused)."""
    assert decision.courier_id is not None
    if store.job(coop_id, job_id).courier_id == decision.courier_id:  # said before any limit of theirs
        raise InvalidInput("courier_id", "already_with", job=job_id, courier=decision.courier_id)
    if cost.breaks and not decision.force:
        raise HandoverLimit(cost.breaks)
    if cost.breaks and not says_something(decision.reason):
        raise InvalidInput("reason", "forced_needs_reason")
    event = commands.reassign(
        store,
        coop_id,
        job_id,
        decision.courier_id,
        dispatcher_id=dispatcher_id,
        at=now,
        reason=decision.reason,
        expected_seq=decision.expected_seq,
        extra={**bound_extra(cost), "handover": True},
    )
    return event, cost


def decide(
    store: Store,
    coop_id: str,
    network: BikeNetwork,
    job_id: str,
    decision: Decision,
    *,
    dispatcher_id: str,
    now: datetime,
) -> tuple[Event, OverrideCost | None]:
    """Record ``decision`` on ``job_id``; an override or reassignment also returns what it costs.

    The job is read once, and the act is decided against that read: its seq guards the append
    even when the dispatcher sent no ``expected_seq`` (outside tester's finding 1). Otherwise an
    accept landing while an override was weighed made the override a reassignment nobody chose,
    and the courier just given the job lost it without a conflict."""
    job = store.job(coop_id, job_id)
    sent = decision.expected_seq
    if sent is not None and sent != job.last_seq:
        # stale: who acted meanwhile comes first, before what the decision would cost (an outside
        # attack: an override of a job another desk had accepted heard "over the payload, force
        # it", and only once forced "Sami accepted the proposal")
        raise _acted_meanwhile(store, coop_id, job, job_id, sent)
    seq = job.last_seq if sent is None else sent
    decision = replace(decision, expected_seq=seq)
    if decision.action == "accept":
        return accept_proposal(store, coop_id, job_id, dispatcher_id=dispatcher_id, at=now, expected_seq=sent), None
    if decision.action == "unassign":
        _check_state(store, coop_id, job, job_id, decision)
        event = commands.unassign(
            store, coop_id, job_id, dispatcher_id=dispatcher_id, at=now, reason=decision.reason, expected_seq=seq
        )
        return event, None
    if decision.courier_id is None:
        raise InvalidInput("courier_id", "needs_courier", action=decision.action)
    _check_state(store, coop_id, job, job_id, decision)
    chosen = store.courier(coop_id, decision.courier_id)
    if not chosen.active:  # an erasure is final: no "reactivate them first" for an erased courier
        erased = chosen.display_name == erased_label(chosen.id)
        raise InvalidInput("courier_id", "courier_erased_for_good" if erased else "courier_deactivated_give")
    if job.state is JobState.PICKED_UP:
        return _hand_over(store, coop_id, job_id, decision, dispatcher_id=dispatcher_id, now=now)
    return decide_override(
        store,
        coop_id,
        network,
        job_id,
        decision.courier_id,
        dispatcher_id=dispatcher_id,
        now=now,
        reason=decision.reason,
        force=decision.force,
        expected_seq=seq,
        held_by_nobody=_held_by_nobody(store, coop_id, job),  # paused/off shift: weighed as if open
    )


class NotOpen(IllegalTransition):
    """The side-by-side costs are those of giving an open job: a job someone has is moved by a
    reassignment, whose cost is asked courier by courier (``decision_cost``)."""

    def __init__(self, job_id: str, state: str) -> None:
        super().__init__(job_id, state, "override")
        self.why = "not_open"


@dataclass(frozen=True)
class CourierOption:
    """One courier's line in the override dialog: their shift, their load against their vehicle's
    capacity, and either what giving them the job costs or why they cannot take it (refusals:
    a physical limit of the vehicle, off shift, on a pause). Never a figure about the person."""

    courier_id: str
    on_shift: bool
    paused: bool
    proposed: bool  #: the planner proposed the job to them
    load_kg: float  #: the most their route holds at once now (off shift: what is on board)
    load_l: float
    payload_kg: float
    volume_l: float
    with_job_kg: float | None  #: the same with the job (None: refused)
    with_job_l: float | None
    extra_minutes: float | None  #: riding and handling the job adds to their route (None: refused)
    objective_minutes: float | None  #: the same weighed by the planner's objective
    lateness_minutes: float | None
    cost: tuple[Reason, ...]  #: the cost part by part
    refusals: tuple[Reason, ...]  #: why they cannot take it as things stand

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["cost"] = [r.to_json() for r in self.cost]
        data["refusals"] = [r.to_json() for r in self.refusals]
        return data


#: A planned route as the planner process hands it out: per courier, (job id, "pickup"|"dropoff").
PlannedRoutes = Mapping[str, Sequence[tuple[str, str]]]


def override_options(
    store: Store,
    coop_id: str,
    network: BikeNetwork,
    job_id: str,
    now: datetime,
    *,
    planned: PlannedRoutes | None = None,
    round_number: int = 0,
) -> tuple[JobView, list[CourierOption]]:
    """Every courier in the day's rotation with what giving them the open job ``job_id`` costs,
    side by side: one snapshot of the cooperative and one travel matrix for all of them.

    Every courier on shift is weighed against the same baseline, what they have now: what a
    person gave them, what is on board, and the other jobs proposed to them, in the order of
    the latest plan (``planned``) where it has them. The proposal's figure is measured that way
    (``routing.explain``: the planned route with the job, against the same route without it),
    so the proposed courier's cost here is the proposal's figure (equal on 8 couriers and 40
    jobs), where a plan gone stale since (a courier moved, a job given elsewhere) makes it
    differ by what changed, as it should. ``decision_cost`` (asked courier by courier, and kept
    with a decision) differs: it re-plans only the locked and on-board work with and without
    the job in a fresh 0.3 s search, so the other jobs proposed to the same courier, which share
    the rides, are not in its baseline (14 to 26 min against the proposal's 5 to 6). With them
    added to its re-plans it came no closer (3 to 80 min: a short search of a longer route), so
    the dialog weighs routes as the planner explained them, with the exact evaluator."""
    job = store.job(coop_id, job_id)
    if job.state not in OPEN_STATES:
        raise NotOpen(job_id, job.state.value)
    problem, ctx = build_problem(store, coop_id, network, now)
    shipment = next((s for s in problem.shipments if s.id == job_id), None)
    request = JobRequest.from_json(job.request)
    objective = Objective.of(problem, [s.id for s in problem.shipments])
    statuses = store.courier_statuses(coop_id)
    records = {c.id: c for c in store.couriers(coop_id)}
    in_problem = {c.id: c for c in problem.couriers}
    proposed_to = (job.proposal or {}).get("courier_id")
    options = []
    for listed in couriers_in_rotation(store, coop_id, now, round_number):
        if not listed["active"]:
            continue  # deactivated: nobody to give work to until reactivated
        cid = listed["id"]
        status = statuses.get(cid)
        vehicle = records[cid].vehicle
        on_shift, paused = bool(status and status.on_shift), bool(status and status.paused)
        who = _Who(cid, on_shift, paused, cid == proposed_to, vehicle, tuple(_vehicle_limits(request, vehicle, cid)))
        courier = in_problem.get(cid)
        if courier is None or shipment is None:
            shift = shift_refusal(cid, on_shift, paused)
            left_out = [] if shift or shipment is not None else [ctx.skipped.get(job_id, reason("fits_nowhere"))]
            options.append(who.refused(_on_board(ctx, cid), [*who.limits, *shift, *left_out]))
            continue
        stops = _baseline(problem, ctx, courier, job_id, (planned or {}).get(cid, ()))
        options.append(_weigh(problem, objective, courier, stops, shipment, who))
    return job, options


def _vehicle_limits(
    parcel: JobRequest, vehicle: Vehicle, courier_id: str, on_board: tuple[float, float] = (0, 0)
) -> list[Reason]:
    """The physical limits of ``vehicle`` the parcel breaks, with ``on_board`` (kg, litres)
    already carried: a refusal, never a cost."""
    kg, litres = parcel.weight_kg + on_board[0], parcel.volume_l + on_board[1]
    limits: list[Reason] = []
    if kg > vehicle.payload_kg:
        limits.append(
            reason("over_payload", kg=kg, payload=vehicle.payload_kg, courier=courier_id, vehicle=vehicle.kind.value)
        )
    if litres > vehicle.volume_l:
        limits.append(reason("over_volume", litres=litres, volume=vehicle.volume_l))
    if parcel.longest_side_cm > vehicle.max_length_cm:
        limits.append(reason("over_length", cm=parcel.longest_side_cm, max_cm=vehicle.max_length_cm))
    return limits


def _on_board(ctx: PlanningContext, courier_id: str) -> tuple[float, float]:
    """Kilograms and litres a courier has picked up and not delivered (off shift too)."""
    kg = litres = 0.0
    for view in ctx.jobs.values():
        if view.state is JobState.PICKED_UP and view.courier_id == courier_id:
            try:
                parcel = JobRequest.from_json(view.request)
            except (DomainError, ValueError, TypeError, KeyError):
                continue  # unreadable: the planner leaves it out with its reason, so does the load
            kg, litres = kg + parcel.weight_kg, litres + parcel.volume_l
    return kg, litres


@dataclass(frozen=True)
class _Who:
    """A courier's line before its cost: who, their shift, their vehicle, what it refuses."""

    courier_id: str
    on_shift: bool
    paused: bool
    proposed: bool
    vehicle: Vehicle
    limits: tuple[Reason, ...]

    def refused(self, load: tuple[float, float], refusals: list[Reason]) -> CourierOption:
        return CourierOption(
            self.courier_id, self.on_shift, self.paused, self.proposed, round(load[0], 2), round(load[1], 2),
            self.vehicle.payload_kg, self.vehicle.volume_l, None, None, None, None, None, (), tuple(refusals),
        )  # fmt: skip


def _baseline(
    problem: Problem, ctx: PlanningContext, courier: Courier, job_id: str, planned: Sequence[tuple[str, str]]
) -> list[RouteStop]:
    """What the courier has now, in the latest plan's order where it has it: locks, parcels on
    board and the other jobs proposed to them (and ``job_id`` where the plan put it with them);
    what the plan does not have is put in where it costs least, else at the end."""
    known = {s.id for s in problem.shipments}
    mine = {lock.shipment for lock in problem.locks if lock.courier == courier.id} | set(courier.on_board)
    mine |= {
        j for j, v in ctx.jobs.items() if v.state in OPEN_STATES and (v.proposal or {}).get("courier_id") == courier.id
    }
    mine = (mine & known) - {job_id}
    stops = [
        RouteStop(sid, StopKind(kind))
        for sid, kind in planned
        if (sid in mine or sid == job_id) and sid in known and not (kind == "pickup" and sid in courier.on_board)
    ]
    for sid in sorted(mine - {s.shipment for s in stops}):
        ends = [RouteStop(sid, StopKind.DROPOFF)]
        found = None
        if sid not in courier.on_board:
            ends.insert(0, RouteStop(sid, StopKind.PICKUP))
            base = evaluate_route(problem, courier, stops)
            found = cheapest_insertion(problem, courier, stops, problem.shipment(sid), base)
        stops = found[1] if found is not None else stops + ends
    return stops


def _weigh(
    problem: Problem, objective: Objective, courier: Courier, stops: list[RouteStop], shipment: Shipment, who: _Who
) -> CourierOption:
    """The cost of adding ``shipment`` to ``stops`` (already in them where the plan put it): the
    riding and handling it adds, the planner's objective on it, the lateness it risks; or the
    refusal of a vehicle too small for the parcel, or for the load the route would hold."""
    base_stops = [s for s in stops if s.shipment != shipment.id]
    base = evaluate_route(problem, courier, base_stops)
    load = (base.max_load_kg, base.max_volume_l)
    if who.limits:
        return who.refused(load, list(who.limits))
    with_stops = stops
    if len(base_stops) == len(stops):
        found = cheapest_insertion(problem, courier, base_stops, shipment, base)
        ends = [RouteStop(shipment.id, StopKind.PICKUP), RouteStop(shipment.id, StopKind.DROPOFF)]
        with_stops = found[1] if found is not None else base_stops + ends  # late, maybe: said so below
    after = evaluate_route(problem, courier, with_stops)
    if after.over_capacity:
        return who.refused(load, _capacity_limits(after, who))
    extra = (after.work_s - base.work_s) / 60.0
    weighed = objective.route_cost(problem, courier, base, after, shipment) / 60.0
    late = max(0.0, after.lateness_s - base.lateness_s) / 60.0
    cost = [reason("override_adds", minutes=round(extra, 1), courier=courier.id)]
    cost.append(reason("objective_cost", minutes=round(weighed, 1)))
    if late > 0:
        cost.append(reason("lateness_risk", minutes=round(late)))
    return CourierOption(
        who.courier_id, who.on_shift, who.paused, who.proposed, round(load[0], 2), round(load[1], 2),
        who.vehicle.payload_kg, who.vehicle.volume_l, round(after.max_load_kg, 2), round(after.max_volume_l, 2),
        round(extra, 1), round(weighed, 1), round(late, 1), tuple(cost), (),
    )  # fmt: skip


def _capacity_limits(route: RouteEvaluation, who: _Who) -> list[Reason]:
    """The loads a route with the job would carry past the vehicle's capacity, at its fullest."""
    vehicle, limits = who.vehicle, []
    if route.max_load_kg > vehicle.payload_kg + 1e-9:
        kg = round(route.max_load_kg, 2)
        limits.append(
            reason(
                "over_payload", kg=kg, payload=vehicle.payload_kg, courier=who.courier_id, vehicle=vehicle.kind.value
            )
        )
    if route.max_volume_l > vehicle.volume_l + 1e-9:
        limits.append(reason("over_volume", litres=round(route.max_volume_l, 2), volume=vehicle.volume_l))
    return limits
