"""A simulated day on the real code paths: a simulated clock, clients, couriers and a dispatcher.

Everything that happens goes through :mod:`dispatch.commands` and :func:`dispatch.planning.planning_round`
into a real store, exactly as through the API; only the clock and the people are simulated. A
request passes the intake the API applies first (:func:`dispatch.intake.quote_request`: windows,
a vehicle that can carry it, the area served, each vehicle's distance from a street): one the API
would refuse is refused here too, recorded with the API's code, and never planned (issue 19).
The simulated dispatcher follows a *policy* (accept every proposal, accept with a share of
overrides, or re-apply what a person decided on the recorded day); simulated couriers
acknowledge, ride their route at the pace of the speed model (the planner's exact ETAs, breaks
included) with seeded noise, and report pickups and deliveries. A shift starts with the breaks the
day file gives it, and a courier the day says must stop (``unavailable_from``) is taken off by the
dispatcher's live act (:func:`dispatch.commands.courier_unavailable`); the simulated dispatcher
then hands each parcel left on their bike over to a courier on shift who can carry it (a
meeting point). Same seed, same day, same result.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from dispatch import commands
from dispatch.days import Day, DayRequest, FleetMember
from dispatch.decisions import decide_override
from dispatch.errors import DomainError, InvalidInput
from dispatch.intake import StreetDistances, quote_request
from dispatch.lifecycle import JobState
from dispatch.model import JobRequest, Vehicle
from dispatch.planning import RoundResult, planning_round
from dispatch.store import Store
from routing.evaluate import StopKind
from routing.network import BikeNetwork
from routing.plan import Plan
from routing.solver import SolverSettings
from routing.travel_cache import TravelCache

DISPATCHER = "simulated-dispatcher"


@dataclass(frozen=True)
class Policy:
    """How the simulated dispatcher decides, and the planner's knobs for the day."""

    name: str = "accept-proposals"  #: accept-proposals | as-happened
    override_rate: float = 0.0  #: with accept-proposals: share of proposals given to another courier
    fairness_weight: float | None = None  #: None: the cooperative's (0.5)
    #: The members' riding budget for the day (0.05: sharing may add at most 5 % riding);
    #: "cooperative": the replayed cooperative's own setting; None: the weight alone decides.
    riding_budget: float | str | None = "cooperative"
    budget_s: float = 0.3  #: planning time budget per round
    plan_every: timedelta = timedelta(minutes=5)  #: how often the planner runs while jobs are open
    decision_delay: timedelta = timedelta(seconds=45)  #: a person reads the proposal, then decides
    extra_couriers: tuple[str, ...] = ()  #: what-if: more vehicles (kinds) for the whole day
    noise: float = 0.10  #: spread of riding times around the planner's ETAs (log-normal sigma)
    #: The search is limited by ``iterations`` instead of the clock, so the same seed gives the
    #: same day to the last second; off: the planner searches for ``budget_s`` and may differ
    #: run to run.
    repeatable: bool = True
    #: The work each repeatable round may do (routing.solver.SolverSettings.iterations).
    iterations: int = 40

    def label(self) -> str:
        parts = [self.name]
        if self.override_rate:
            parts.append(f"override {self.override_rate:g}")
        if self.fairness_weight is not None:
            parts.append(f"fairness {self.fairness_weight:g}")
        if self.riding_budget != "cooperative":
            budget = self.riding_budget
            parts.append("no riding budget" if budget is None else f"riding budget {budget:+.0%}")
        if self.extra_couriers:
            parts.append("+" + "+".join(self.extra_couriers))
        return ", ".join(parts)


@dataclass
class Leg:
    """A stop as it was ridden: for km, riding minutes and the minutes heavy loads cost."""

    courier: str
    job: str
    kind: str
    metres: float
    seconds: float
    seconds_empty: float  #: the same leg without the load on board
    load_kg: float


@dataclass
class SimulationRecord:
    """What a simulated day leaves besides the store's log: ridden legs and planning rounds."""

    legs: list[Leg] = field(default_factory=list)
    rounds: int = 0
    planning_seconds: list[float] = field(default_factory=list)
    job_ids: dict[str, str] = field(default_factory=dict)  #: day request id -> job id
    #: day request id -> the intake's refusal, as the API answers it (code, field, message)
    refused: dict[str, dict[str, str]] = field(default_factory=dict)
    courier_ids: dict[str, str] = field(default_factory=dict)  #: fleet id -> courier id


class Simulation:
    """Runs one day against a store; actions are (time, order, callable) in a heap."""

    def __init__(
        self, store: Store, coop_id: str, client_id: str, network: BikeNetwork, day: Day, policy: Policy, seed: int
    ) -> None:
        self.store, self.coop, self.client, self.network, self.day, self.policy = (
            store,
            coop_id,
            client_id,
            network,
            day,
            policy,
        )
        self.rng = random.Random(seed)
        self.queue: list[tuple[datetime, int, Callable[[datetime], None]]] = []
        self.counter = itertools.count()
        self.record = SimulationRecord()
        self.previous: Plan | None = None
        self.travel_cache = TravelCache()  # one per day: replaying it twice searches the same
        self.streets = StreetDistances(network)  #: the intake's street distances, as the API keeps them
        self.next_round: datetime | None = None
        self.happened: dict[str, DayRequest] = {}
        self.made = 0
        #: courier -> (the time the route's ETAs count from, the stops still ahead)
        self.routes: dict[str, tuple[datetime, list[tuple[datetime, str, JobState, Leg]]]] = {}
        self.scripted: set[str] = set()  #: as-happened jobs that follow their recorded times
        self.riding: dict[str, str] = {}  #: courier -> the job whose stop they are riding to
        self.gone: set[str] = set()  #: couriers a dispatcher took off (``unavailable_from``)

    # ------------------------------------------------------------------ the clock

    def at(self, when: datetime, action: Callable[[datetime], None]) -> None:
        heapq.heappush(self.queue, (when, next(self.counter), action))

    def run(self, until: datetime) -> SimulationRecord:
        while self.queue:
            when, _, action = heapq.heappop(self.queue)
            if when > until:
                break
            action(when)
        return self.record

    # ------------------------------------------------------------------ the day's people

    def _id(self, name: str) -> str:
        """Ids in a fixed order (the planner lists couriers by id), unique to this cooperative."""
        self.made += 1
        return f"r{self.made:03d}-" + uuid.uuid5(uuid.NAMESPACE_URL, f"{self.coop}:{name}").hex[:28]

    def setup(self) -> None:
        for member in self.day.couriers:
            courier = self.store.add_courier(
                self.coop, member.name, Vehicle.of_kind(member.vehicle), courier_id=self._id(f"courier:{member.id}")
            )
            self.record.courier_ids[member.id] = courier.id
            self.at(member.shift_start, self._shift(courier.id, member.shift_end, member))
            if member.unavailable_from is not None:
                self.at(member.unavailable_from, self._unavailable(courier.id))
        for i, kind in enumerate(self.policy.extra_couriers):
            member = self.day.couriers[0]
            courier = self.store.add_courier(
                self.coop, f"Extra {i + 1}", Vehicle.of_kind(kind), courier_id=self._id(f"extra:{i}")
            )
            self.record.courier_ids[f"extra-{i + 1}"] = courier.id
            self.at(
                min(c.shift_start for c in self.day.couriers),
                self._shift(courier.id, max(c.shift_end for c in self.day.couriers) or member.shift_end),
            )
        for item in self.day.requests:
            self.at(item.request_time, self._request(item))

    def _shift(self, courier_id: str, end: datetime, member: FleetMember | None = None) -> Callable[[datetime], None]:
        breaks = member.breaks if member is not None else ()

        def start(now: datetime) -> None:
            commands.start_shift(self.store, self.coop, courier_id, at=now, planned_end=end, breaks=breaks)
            self.at(end, lambda t: self._end_shift(courier_id, t))

        return start

    def _unavailable(self, courier_id: str) -> Callable[[datetime], None]:
        """The day says this courier must stop now: the dispatcher's one act, as live."""

        def stop(now: datetime) -> None:
            done = commands.courier_unavailable(
                self.store, self.coop, courier_id, dispatcher_id=DISPATCHER, at=now, reason="unavailable (day file)"
            )
            self.gone.add(courier_id)
            self.routes.pop(courier_id, None)
            self.riding.pop(courier_id, None)
            for job_id in done.on_board:
                self.at(now + self.policy.decision_delay, self._hand_over(job_id, courier_id))
            self._plan_soon(now)  # the live act asks for a round at once, too

        return stop

    def _hand_over(self, job_id: str, gone: str) -> Callable[[datetime], None]:
        """A parcel on the bike of a courier who stopped: the simulated dispatcher gives it to a
        courier on shift whose vehicle can carry it besides their own load (picked with the seed,
        never by a figure about them), who meets them for it; none yet: try again shortly."""

        def decide(now: datetime) -> None:
            job = self.store.job(self.coop, job_id)
            if job.state is not JobState.PICKED_UP or job.courier_id != gone:
                return  # a person (the recorded day) decided already
            able = self._able_to_carry(job_id)
            if not able:
                if now < self.day.end():
                    self.at(now + timedelta(minutes=5), self._hand_over(job_id, gone))
                return
            target = self.rng.choice(able)
            try:
                commands.reassign(
                    self.store,
                    self.coop,
                    job_id,
                    target,
                    dispatcher_id=DISPATCHER,
                    at=now,
                    reason="handover: meeting point",
                )
            except DomainError:
                return
            self._plan_soon(now)

        return decide

    def _able_to_carry(self, job_id: str) -> list[str]:
        """Couriers on shift (not gone) whose vehicle takes the job with what they already carry."""
        request = JobRequest.from_json(self.store.job(self.coop, job_id).request)
        on_board = self.store.jobs(self.coop, (JobState.PICKED_UP,))
        vehicles = {c.id: c.vehicle for c in self.store.couriers(self.coop)}
        able = []
        for cid, status in sorted(self.store.courier_statuses(self.coop).items()):
            vehicle = vehicles.get(cid)
            if vehicle is None or not status.on_shift or cid in self.gone:
                continue
            load = sum(j.weight_kg for j in on_board if j.courier_id == cid)
            if (
                vehicle.payload_kg >= load + request.weight_kg
                and vehicle.volume_l >= request.volume_l
                and vehicle.max_length_cm >= request.longest_side_cm
            ):
                able.append(cid)
        return able

    def _end_shift(self, courier_id: str, now: datetime) -> None:
        status = self.store.courier_statuses(self.coop).get(courier_id)
        if status is None or not status.on_shift:
            return
        if status.active_jobs:  # nobody drops a parcel at the end of a shift: finish first
            self.at(now + timedelta(minutes=5), lambda t: self._end_shift(courier_id, t))
            return
        commands.end_shift(self.store, self.coop, courier_id, at=now)

    def _request(self, item: DayRequest) -> Callable[[datetime], None]:
        def ask(now: datetime) -> None:
            try:  # the API's intake: a request it would refuse leaves no job here either
                quote_request(self.store, self.streets, self.coop, self.client, item.request, now)
            except InvalidInput as refusal:
                self.record.refused[item.id] = {"code": refusal.code, "field": refusal.field, "message": str(refusal)}
                return
            job = commands.request_job(
                self.store,
                self.coop,
                self.client,
                item.request,
                at=now,
                idempotency_key=f"day:{item.id}",
                # In the order of the day's requests: a random id broke the planner's ties (a job
                # order, equal deadlines) differently in every process (issue 15: a sweep on Dask
                # gave other figures than the same days one by one).
                job_id=self._id(f"job:{item.id}"),
            )
            self.record.job_ids[item.id] = job.id
            self.happened[job.id] = item
            self._plan_soon(now)
            if self.policy.name == "as-happened" and item.happened.courier and item.happened.decided_at:
                self.scripted.add(job.id)
                self.at(max(now, item.happened.decided_at), self._as_happened(job.id, item))

        return ask

    # ------------------------------------------------------------------ planner and dispatcher

    def _plan_soon(self, now: datetime) -> None:
        if self.next_round is None or self.next_round < now:
            self.next_round = now + timedelta(seconds=5)
            self.at(self.next_round, self._plan)

    def _plan(self, now: datetime) -> None:
        import time

        started = time.perf_counter()
        result = planning_round(
            self.store,
            self.coop,
            self.network,
            now,
            budget_s=self.policy.budget_s,
            # A repeatable replay builds each round's plan afresh: inserting the new jobs into the
            # last plan is faster but measured worse (on time 0.96 against 1.00, 10 % more riding
            # and work less evenly shared on a 60-job day), and the live planner searches further.
            # The live planner's path: each round starts from the previous plan, searches, and
            # weighs fairness as the cooperative set it (issue 15: replays planned by
            # construction only, which ignores the fairness weight).
            previous=self.previous,
            fairness_weight=self.policy.fairness_weight,
            riding_budget_share=self.policy.riding_budget,
            # No explanations: nobody reads them in a replay, and they cost a fifth of each round.
            # Repeatable: the search is limited by work, not the clock, so the same seed gives
            # the same day on any machine; the generous time limit is only a safety net.
            settings=SolverSettings(time_budget_s=60.0, iterations=self.policy.iterations, explain=False)
            if self.policy.repeatable
            else SolverSettings(time_budget_s=self.policy.budget_s, explain=False),
            travel_cache=self.travel_cache,
        )
        self.record.planning_seconds.append(time.perf_counter() - started)
        self.record.rounds += 1
        self.previous = result.plan
        self._schedule_rides(result, now)
        for event in result.proposals:
            self.at(now + self.policy.decision_delay, self._decide(str(event.payload["job_id"]), event.seq))
        open_jobs = [
            j
            for j in self.store.jobs(self.coop)
            if j.state not in (JobState.DELIVERED, JobState.FAILED, JobState.CANCELLED)
        ]
        if open_jobs:
            self.next_round = now + self.policy.plan_every
            self.at(self.next_round, self._plan)
        else:
            self.next_round = None

    def _decide(self, job_id: str, seen_seq: int) -> Callable[[datetime], None]:
        def decide(now: datetime) -> None:
            if job_id in self.scripted:
                return  # as happened: the recorded decision comes at its recorded time
            job = self.store.job(self.coop, job_id)
            if job.state is not JobState.PROPOSED or job.last_seq != seen_seq or job.proposal is None:
                return  # a newer proposal came: the dispatcher decides on that one
            target = self._choice(job_id, str(job.proposal["courier_id"]))
            try:
                if target == job.proposal["courier_id"]:
                    commands.accept(
                        self.store, self.coop, job_id, dispatcher_id=DISPATCHER, at=now, expected_seq=seen_seq
                    )
                else:
                    decide_override(
                        self.store,
                        self.coop,
                        self.network,
                        job_id,
                        target,
                        dispatcher_id=DISPATCHER,
                        now=now,
                        reason=self.policy.name,
                        expected_seq=seen_seq,
                    )
            except DomainError:
                commands.accept(self.store, self.coop, job_id, dispatcher_id=DISPATCHER, at=now)
            self.at(now + timedelta(seconds=30), self._acknowledge(job_id))
            self._plan_soon(now)  # the next round times the new assignment in its courier's route

        return decide

    def _as_happened(self, job_id: str, item: DayRequest) -> Callable[[datetime], None]:
        """A recorded decision, at its recorded time, then the courier's recorded acts."""
        happened = item.happened

        def decide(now: datetime) -> None:
            target = self.record.courier_ids.get(happened.courier or "")
            job = self.store.job(self.coop, job_id)
            if target is None or job.state not in (
                JobState.REQUESTED,
                JobState.PROPOSED,
                JobState.DECLINED,
                JobState.UNASSIGNED,
            ):
                return
            if job.proposal is not None and job.proposal["courier_id"] == target and job.state is JobState.PROPOSED:
                commands.accept(self.store, self.coop, job_id, dispatcher_id=DISPATCHER, at=now)
            else:
                commands.override(
                    self.store, self.coop, job_id, target, dispatcher_id=DISPATCHER, at=now, reason="as happened"
                )
            steps = (
                (happened.acknowledged_at or now + timedelta(seconds=30), JobState.ACKNOWLEDGED),
                (happened.picked_up_at, JobState.PICKED_UP),
                (happened.delivered_at, JobState.DELIVERED),
            )
            for when, state in steps:
                if when is not None:
                    self.at(max(now, when), self._step(job_id, target, state))

        return decide

    def _step(self, job_id: str, courier_id: str, state: JobState) -> Callable[[datetime], None]:
        def act(now: datetime) -> None:
            job = self.store.job(self.coop, job_id)
            if job.courier_id != courier_id or courier_id in self.gone:
                return
            try:
                if state is JobState.ACKNOWLEDGED and job.state is JobState.ASSIGNED:
                    commands.acknowledge(self.store, self.coop, job_id, courier_id=courier_id, at=now)
                elif state is JobState.PICKED_UP and job.state is JobState.ACKNOWLEDGED:
                    commands.pick_up(self.store, self.coop, job_id, courier_id=courier_id, at=now)
                elif state is JobState.DELIVERED and job.state is JobState.PICKED_UP:
                    commands.deliver(self.store, self.coop, job_id, courier_id=courier_id, at=now)
                    self.record.legs.append(Leg(courier_id, job_id, "dropoff", 0.0, 0.0, 0.0, 0.0))
            except DomainError:
                return
            self._plan_soon(now)

        return act

    def _choice(self, job_id: str, proposed: str) -> str:
        if self.policy.name == "as-happened":
            recorded = self.happened[job_id].happened.courier
            return self.record.courier_ids.get(recorded or "", proposed)
        if self.policy.override_rate and self.rng.random() < self.policy.override_rate:
            on_shift = [c for c, s in self.store.courier_statuses(self.coop).items() if s.on_shift and c != proposed]
            if on_shift:
                return self.rng.choice(sorted(on_shift))
        return proposed

    # ------------------------------------------------------------------ couriers

    def _acknowledge(self, job_id: str) -> Callable[[datetime], None]:
        def ack(now: datetime) -> None:
            job = self.store.job(self.coop, job_id)
            if job.state is JobState.ASSIGNED and job.courier_id:
                commands.acknowledge(self.store, self.coop, job_id, courier_id=job.courier_id, at=now)

        return ack

    def _schedule_rides(self, result: RoundResult, now: datetime) -> None:
        """Each courier's route from this round; one who is not riding sets off for its first stop.

        A stop is reached at the plan's ETA, stretched by seeded noise, and that timing holds:
        later rounds do not re-time a leg already under way (each round plans from "now", so
        re-timing would make a courier who is riding never arrive). After each stop the courier
        goes on to the next one of the route they hold, so a round is needed only when a route
        runs out or something new happens (a request, a decision).
        """
        problem, ctx = result.problem, result.context
        couriers = {c.id: c for c in problem.couriers}
        for courier_id, route in result.plan.routes.items():
            travel = problem.travel[couriers[courier_id].profile]
            place = couriers[courier_id].start
            ahead: list[tuple[datetime, str, JobState, Leg]] = []
            for stop in route.stops:
                job = ctx.jobs.get(stop.shipment)
                empty = travel.leg_seconds(place, stop.place, 0.0)
                # the load on the way *to* this stop: before the pickup or the drop-off is made
                weight = problem.shipment(stop.shipment).weight_kg
                carried = stop.load_kg - weight if stop.kind is StopKind.PICKUP else stop.load_kg + weight
                place = stop.place
                if job is None or job.courier_id != courier_id or stop.shipment in self.scripted:
                    continue  # a proposal, not yet decided, or a job that follows its recorded times
                wanted = JobState.PICKED_UP if stop.kind is StopKind.PICKUP else JobState.DELIVERED
                leg = Leg(courier_id, stop.shipment, stop.kind.value, stop.leg_m, stop.leg_s, empty, max(0.0, carried))
                ahead.append((ctx.at(stop.start), stop.shipment, wanted, leg))
            self.routes[courier_id] = (now, ahead)
            if courier_id not in self.riding:
                self._next_stop(courier_id, now)
        for held in self.store.jobs(self.coop, (JobState.ASSIGNED, JobState.ACKNOWLEDGED, JobState.PICKED_UP)):
            if held.courier_id is None or held.courier_id in self.riding or held.id in self.scripted:
                continue
            if held.courier_id in self.gone:
                continue  # on the bike of a courier who stopped: the handover decides
            # In hand but out of the plan (e.g. the shift's planned end has passed): a courier
            # finishes what they carry; the next step comes about ten minutes later.
            wanted = JobState.DELIVERED if held.state is JobState.PICKED_UP else JobState.PICKED_UP
            kind = "dropoff" if wanted is JobState.DELIVERED else "pickup"
            leg = Leg(held.courier_id, held.id, kind, 0.0, 600.0, 600.0, 0.0)
            self._set_off(held.courier_id, held.id, wanted, now + timedelta(minutes=10), leg)

    def _recorded(self, job_id: str, wanted: JobState) -> datetime | None:
        if self.policy.name != "as-happened" or job_id not in self.happened:
            return None
        happened = self.happened[job_id].happened
        return happened.picked_up_at if wanted is JobState.PICKED_UP else happened.delivered_at

    def _next_stop(self, courier_id: str, now: datetime) -> bool:
        """Set off for the next stop of the route the courier holds; False when there is none."""
        planned_at, ahead = self.routes.get(courier_id, (now, []))
        while ahead:
            eta, job_id, wanted, leg = ahead.pop(0)
            # The plan's time from its round to this stop, counted from now, with noise.
            ride = max(0.0, (eta - planned_at).total_seconds())
            self.routes[courier_id] = (eta, ahead)
            when = now + timedelta(seconds=ride * math.exp(self.rng.gauss(0, self.policy.noise)))
            recorded = self._recorded(job_id, wanted)
            self._set_off(courier_id, job_id, wanted, max(now, recorded or when), leg)
            return True
        return False

    def _set_off(self, courier_id: str, job_id: str, wanted: JobState, when: datetime, leg: Leg) -> None:
        self.riding[courier_id] = job_id
        self.at(when, self._ride(job_id, courier_id, wanted, leg))

    def _ride(self, job_id: str, courier_id: str, wanted: JobState, leg: Leg) -> Callable[[datetime], None]:
        def arrive(now: datetime) -> None:
            self.riding.pop(courier_id, None)
            try:
                self._arrive(job_id, courier_id, wanted, leg, now)
            finally:
                if not self._next_stop(courier_id, now):
                    self._plan_soon(now)  # the route ran out: the courier needs a new one

        return arrive

    def _arrive(self, job_id: str, courier_id: str, wanted: JobState, leg: Leg, now: datetime) -> None:
        job = self.store.job(self.coop, job_id)
        if job.courier_id != courier_id or courier_id in self.gone:
            return  # taken from this courier meanwhile, or they stopped
        try:
            if job.state is JobState.ASSIGNED:
                commands.acknowledge(self.store, self.coop, job_id, courier_id=courier_id, at=now)
                job = self.store.job(self.coop, job_id)
            if wanted is JobState.PICKED_UP and job.state is JobState.ACKNOWLEDGED:
                commands.pick_up(self.store, self.coop, job_id, courier_id=courier_id, at=now)
            elif wanted is JobState.DELIVERED and job.state is JobState.PICKED_UP:
                commands.deliver(self.store, self.coop, job_id, courier_id=courier_id, at=now, carried_m=leg.metres)
            else:
                return
        except DomainError:
            return
        self.record.legs.append(leg)


def run_day(store: Store, network: BikeNetwork, day: Day, policy: Policy, *, seed: int) -> tuple[str, SimulationRecord]:
    """Simulate ``day`` in a new cooperative of ``store``; returns its id and the record."""
    coop = store.create_cooperative(f"replay {day.name}", timezone=day.timezone)
    client, _ = store.add_client(coop.id, "replayed clients")
    sim = Simulation(store, coop.id, client.id, network, day, policy, seed)
    sim.setup()
    record = sim.run(until=day.end() + timedelta(hours=3))
    return coop.id, record
