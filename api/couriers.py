"""The couriers' socket: assignments in, acts out; a resend of any message is harmless.

A courier sees their own shift events and every event that gives them a job or takes one from
them (never the planner's proposals: a proposal is not an assignment). Acts carry the client's
message ``id``; it becomes the event's idempotency key, so a phone that resends after a dead zone
gets the same answer and the log records the act once. Declining carries no penalty: it is an
event with a reason, and nothing about the courier is counted from it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response, WebSocket
from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.deps import CourierUser, Svc
from api.error_words import say
from api.errors import answers, lang_of, refusals, responses, say_domain
from api.geo import street_path
from api.i18n import Lang, in_words, say_quote
from api.ratelimit import Budgets, Counters, rate_params
from api.schemas import ExportOut, MyJobsOut, Out, PathOut
from api.services import REPLAN_ON, Services
from api.sockets import event_for_courier, hello, refusal, send, serve
from dispatch import commands, proofs
from dispatch.errors import DomainError, InvalidInput, NotFound
from dispatch.events import ADMIN_EVENTS, Event, EventType
from dispatch.intake import check_request, tariff_of
from dispatch.lifecycle import ACTIVE_STATES
from dispatch.model import JobRequest
from dispatch.pricing import repricing_rule, requoted
from dispatch.projections import JobView
from dispatch.shifts import planned_end, shift_breaks
from dispatch.store import positions
from dispatch.store import proofs as kept_proofs
from dispatch.store.access import Principal
from dispatch.text import check_text

router = APIRouter(prefix="/v1/courier", tags=["couriers"], responses=refusals())
E = EventType

ASSIGNING = frozenset({E.PROPOSAL_ACCEPTED, E.JOB_OVERRIDDEN, E.JOB_REASSIGNED})
HIDDEN = frozenset({E.PROPOSAL_MADE, E.PROPOSAL_WITHHELD, E.COURIER_POSITION_SHARED}) | ADMIN_EVENTS
ACTS = (
    "acknowledge",
    "decline",
    "picked_up",
    "delivered",
    "failed",
    "shift_start",
    "shift_pause",
    "shift_resume",
    "shift_end",
    "position",
)


def concerns(event: Event, courier_id: str) -> bool:
    """Whether an event is about the courier: theirs, a job taken from them, or a swap asked of
    them (the colleague hears of the request and of its decision, not only the asker)."""
    if event.type in HIDDEN:
        return False
    p = event.payload
    return courier_id in (p.get("courier_id"), p.get("previous_courier_id"), p.get("with_courier_id"))


def job_for_courier(svc: Services, coop_id: str, job_id: str) -> dict[str, Any]:
    """The job as its courier needs it: where, when, what, and the ETAs the planner computed."""
    job = svc.store.job(coop_id, job_id)
    # A proposal's ETAs are its courier's: after an override or a reassignment they would be
    # someone else's route, so the phone waits for the next plan instead.
    proposal = job.proposal or {}
    explanation = proposal.get("explanation", {}) if proposal.get("courier_id") == job.courier_id else {}
    return {
        "id": job.id,
        "state": job.state.value,
        "courier_id": job.courier_id,
        "pickup": job.request["pickup"],
        "dropoff": job.request["dropoff"],
        "pickup_window": job.request["pickup_window"],
        "dropoff_window": job.request["dropoff_window"],
        "parcels": job.request["parcels"],
        "contact": job.request.get("contact", ""),
        "notes": job.request.get("notes", ""),
        "pickup_eta": explanation.get("pickup_eta"),
        "dropoff_eta": explanation.get("dropoff_eta"),
        #: what the door asks for (photo, signature, name, code): the deliver act waits for it
        "proof_needs": sorted(k.value for k in kept_proofs.requirement_of(svc.store, coop_id, job_id)[0].needs),
    }


def _job_id(data: dict[str, Any]) -> str:
    """The job an act is about, checked before it reaches the database (which cannot store NUL)."""
    job_id = data.get("job_id")
    if not isinstance(job_id, str) or not 1 <= len(job_id) <= 100:
        raise InvalidInput("job_id", "needed_by_act")
    return check_text("job_id", job_id, identifier=True)


def _act(svc: Services, who: Principal, kind: str, key: str, data: dict[str, Any]) -> Event:
    store, coop, me, now = svc.store, who.cooperative_id, who.subject_id, datetime.now(UTC)
    job_id = None if kind.startswith("shift_") else _job_id(data)
    reason = data.get("reason", "")
    if not isinstance(reason, str):
        raise InvalidInput("reason", "must_be_text")
    if len(reason) > 500:
        raise InvalidInput("reason", "too_many_characters", limit=500)
    check_text("reason", reason)
    if kind == "acknowledge":
        return commands.acknowledge(store, coop, str(job_id), courier_id=me, at=now, key=key)
    if kind == "decline":
        return commands.decline(store, coop, str(job_id), courier_id=me, at=now, reason=reason, key=key)
    if kind == "picked_up":
        return commands.pick_up(store, coop, str(job_id), courier_id=me, at=now, key=key)
    if kind == "delivered":  # refused with the reason while a proof the job needs is missing
        given = proofs.Given(recipient_name=data.get("recipient_name"), code=data.get("code"))
        carried = data.get("carried_m", 0.0)
        return proofs.deliver(store, coop, str(job_id), courier_id=me, at=now, given=given, carried_m=carried, key=key)
    if kind == "failed":
        return commands.fail(store, coop, str(job_id), courier_id=me, at=now, reason=reason, key=key)
    if kind == "shift_start":
        end = planned_end(data.get("planned_end"), now)
        breaks = shift_breaks(data.get("breaks"), now, end)
        return commands.start_shift(store, coop, me, at=now, planned_end=end, breaks=breaks, key=key)
    if kind == "shift_pause":
        return commands.pause_shift(store, coop, me, at=now, key=key)
    if kind == "shift_resume":
        return commands.resume_shift(store, coop, me, at=now, key=key)
    if kind == "shift_end":
        return commands.end_shift(store, coop, me, at=now, key=key)
    raise InvalidInput("type", "one_of", values=list(ACTS))


def _malformed(ws: WebSocket, kind: Any, key: Any, data: Any) -> dict[str, Any] | None:
    """The error frame for a message that is not an act at all (in the socket's language); None
    for one that is."""
    if kind not in ACTS:
        return {**refusal(ws, "bad_message", "unknown_message_type", value=repr(kind)), "id": key}
    if not isinstance(key, str) or not 1 <= len(key) <= 100:
        return {**refusal(ws, "bad_message", "act_needs_id"), "id": None}
    try:
        check_text("id", key, identifier=True)  # it becomes an idempotency key in the database
    except InvalidInput as exc:
        return {"type": "error", "id": None, "code": "bad_message", "message": say(exc, lang_of(ws))}
    if not isinstance(data, dict):
        return {**refusal(ws, "bad_message", "data_is_object"), "id": key}
    return None


async def _position(ws: WebSocket, svc: Services, who: Principal, key: str, data: dict[str, Any]) -> dict[str, Any]:
    """Keep a shared position (outside the log, see dispatch/store/positions.py); the answer frame."""
    counters: Counters = ws.app.state.counters
    budgets: Budgets = ws.app.state.budgets
    spent = await counters.spend(budgets.position, f"position:{who.cooperative_id}:{who.subject_id}")
    if spent is not None:  # a phone in a loop: refused with the wait, nothing stored
        item, wait = spent
        said = refusal(ws, "rate_limited", "too_many_positions", **rate_params(item, wait))
        return {**said, "id": key, "retry_after_s": wait}
    try:
        await svc.run(
            positions.record,
            svc.store,
            who.cooperative_id,
            who.subject_id,
            _job_id(data),
            data.get("lon"),
            data.get("lat"),
            datetime.now(UTC),
        )
    except DomainError as exc:
        return {"type": "error", "id": key, **_said(await svc.run(say_domain, ws, exc))}
    return {"type": "result", "id": key, "seq": None}


def _said(error: dict[str, Any]) -> dict[str, Any]:
    """A refusal's frame fields: its code and its words in the socket's language (its hello's
    ``lang``, else the upgrade's ``Accept-Language``)."""
    return {"code": error["code"], "message": error["message"]}


@router.websocket("/ws")
async def courier_socket(ws: WebSocket) -> None:
    svc: Services = ws.app.state.services
    greeted = await hello(ws, svc, frozenset({"courier"}))
    if greeted is None:
        return
    who = greeted.who
    ws.state.who = who  # a refusal names the courier's jobs by their places (api/errors.py)
    me = who.subject_id
    courier = await svc.run(svc.store.courier, who.cooperative_id, me)
    await send(
        ws,
        {
            "type": "welcome",
            "courier": {"id": me, "display_name": courier.display_name, "vehicle": courier.vehicle.kind.value},
            "last_seq": await svc.run(svc.store.cooperative_last_seq, who.cooperative_id),
        },
    )

    async def render(event: Event) -> dict[str, Any] | None:
        if not concerns(event, me):
            return None
        data = event_for_courier(event, me)
        if data is None:
            return None
        if event.job_id is not None and (event.type in ASSIGNING and event.payload.get("courier_id") == me):
            job = await svc.run(job_for_courier, svc, who.cooperative_id, event.job_id)
            if job["courier_id"] != me:  # moved on since (a backlog read later): to whom is not theirs
                job["courier_id"] = None
            data["job"] = job
        return {"type": "event", "seq": event.seq, "id": event.id, "data": data}

    async def handle(message: dict[str, Any]) -> None:
        kind, key, data = message["type"], message.get("id"), message.get("data", {})
        refused = _malformed(ws, kind, key, data)
        if refused is not None:
            await send(ws, refused)
            return
        if kind == "position":
            await send(ws, await _position(ws, svc, who, str(key), data))
            return
        try:
            event = await svc.run(_act, svc, who, kind, key, data)
        except DomainError as exc:
            await send(ws, {"type": "error", "id": key, **_said(await svc.run(say_domain, ws, exc))})
            return
        await send(ws, {"type": "result", "id": key, "seq": event.seq})
        await svc.bus.publish(who.cooperative_id)
        if svc.settings.auto_plan and event.type in REPLAN_ON:
            svc.planner.request(who.cooperative_id)

    await serve(ws, svc, greeted, render, handle)


def _own_job(svc: Services, who: Principal, job_id: str) -> JobView:
    job = svc.store.job(who.cooperative_id, job_id)
    if job.courier_id != who.subject_id:
        raise NotFound("job", job_id)  # another courier's job is none of this courier's business
    return job


@router.get("/jobs/{job_id}/path", **answers(PathOut, also=responses(404)))
async def my_job_path(job_id: str, who: CourierUser, svc: Svc) -> dict[str, Any]:
    """The street path of one of my jobs, for my vehicle and the job's load (the next leg's map)."""

    def compute() -> dict[str, Any]:
        job = _own_job(svc, who, job_id)
        profile = svc.store.courier(who.cooperative_id, who.subject_id).vehicle.kind.profile
        return street_path(svc.city_of(who.cooperative_id).network, job, profile)

    return await svc.run(compute)  # type: ignore[no-any-return]


@router.get("/me/export", **answers(ExportOut))
async def export_my_data(who: CourierUser, svc: Svc) -> Response:
    """Everything Tandem holds about me: my record, every event that concerns me, my ledger."""

    def gather() -> dict[str, Any]:
        courier = svc.store.courier(who.cooperative_id, who.subject_id)
        events: list[dict[str, Any]] = []
        after = 0
        while True:
            page = svc.store.events(who.cooperative_id, after_seq=after, limit=1000)
            # each as their socket reads it: no planner's figures, no note, no colleague's shifts
            mine = (event_for_courier(e, who.subject_id) for e in page if who.subject_id in _people(e))
            events.extend(e for e in mine if e is not None)
            if len(page) < 1000:
                break
            after = page[-1].seq
        return {
            "exported_at": datetime.now(UTC).isoformat(),
            "courier": {
                "id": courier.id,
                "display_name": courier.display_name,
                "contact": courier.contact,
                "vehicle": courier.vehicle.kind.value,
                "payload_kg": courier.vehicle.payload_kg,
                "volume_l": courier.vehicle.volume_l,
                "max_length_cm": courier.vehicle.max_length_cm,
            },
            "events": events,
            "ledger": [e.to_json() for e in svc.store.ledger_of(who.cooperative_id, who.subject_id)],
            "positions": [
                {"job_id": p.job_id, "lon": p.lon, "lat": p.lat, "at": p.at.isoformat()}
                for p in positions.of_courier(svc.store, who.cooperative_id, who.subject_id)
            ],
            # the proofs of delivery I gave (each file at its URL; purged ones say so)
            "proofs": [
                p.to_json(file_route=proofs.COURIER_FILE_ROUTE)
                for p in kept_proofs.proofs_of_courier(svc.store, who.cooperative_id, who.subject_id)
            ],
        }

    data = await svc.run(gather)
    return Response(
        json.dumps(data, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="tandem-my-data.json"'},
    )


def _people(event: Event) -> set[str]:
    return {str(event.payload.get(k)) for k in ("courier_id", "previous_courier_id") if event.payload.get(k)} | (
        {str(event.actor.id)} if event.actor.id else set()
    )


@router.get("/jobs", **answers(MyJobsOut))
async def my_jobs(who: CourierUser, svc: Svc) -> dict[str, Any]:
    """The courier's jobs in hand (for a page that starts without a socket yet)."""
    latest = await svc.planner.current(who.cooperative_id) or {}  # another worker's round, when newer

    def gather() -> dict[str, Any]:
        # The seq first: a socket opened with it then brings every change made after this read.
        last_seq = svc.store.cooperative_last_seq(who.cooperative_id)
        jobs = svc.store.jobs(who.cooperative_id, ACTIVE_STATES)
        mine = [job_for_courier(svc, who.cooperative_id, j.id) for j in jobs if j.courier_id == who.subject_id]
        status = svc.store.courier_statuses(who.cooperative_id).get(who.subject_id)
        mine_ids = {j["id"] for j in mine}
        plan = latest.get("routes", {}).get(who.subject_id, [])
        return {
            "last_seq": last_seq,
            "jobs": mine,
            #: my stops in the order of the latest plan, with the ETAs it computed
            "route": [stop for stop in plan if stop["job_id"] in mine_ids],
            #: my breaks where the same plan takes them, so the route shows them at their place
            "breaks": latest.get("breaks", {}).get(who.subject_id, []),
            "position_retention_hours": svc.settings.position_retention_h,
            "shift": {
                "on_shift": bool(status and status.on_shift),
                "paused": bool(status and status.paused),
                "planned_end": status.planned_end if status else None,
                "breaks": status.breaks if status else [],
            },
        }

    return await svc.run(gather)  # type: ignore[no-any-return]


def _found(name: str, description: str) -> Any:
    """A value found at pickup, bounded as the domain bounds it (``commands.FOUND_RANGE``): below
    0.01 kg a weight scaled the parcels to 0 or infinity; the phone page refuses the same."""
    bottom, top = commands.FOUND_RANGE[name]
    return Field(default=None, ge=bottom, le=top, allow_inf_nan=False, strict=True, description=description)


class WeightReportIn(BaseModel):
    """What the courier found at pickup: the parcels' real weight, all of them together, and/or
    their size (at least one of the three)."""

    model_config = ConfigDict(extra="forbid")
    weight_kg: float | None = _found(
        "weight_kg",
        "What the job's parcels weigh together, in kilograms, as weighed or judged at pickup (0.01 to 1000)",
    )
    volume_l: float | None = _found("volume_l", "Their volume together, litres (0.01 to 10,000)")
    longest_side_cm: float | None = _found("longest_side_cm", "The longest side found, cm (1 to 1000)")

    @model_validator(mode="after")
    def something_found(self) -> WeightReportIn:
        if self.weight_kg is None and self.volume_l is None and self.longest_side_cm is None:
            raise InvalidInput("body", "weight_or_size_found")  # a ValueError, said in the reader's words
        return self


class WeightReportOut(Out):
    job_id: str
    state: str = Field(description="The job's state now: declined when it went back to dispatch")
    weight_kg: float = Field(description="The weight found, the job's from now on")
    declared_weight_kg: float = Field(description="What the client declared")
    volume_l: float | None = Field(description="The volume found, when measured")
    longest_side_cm: float | None = Field(description="The longest side found, when measured")
    back_to_dispatch: bool = Field(description="True: my vehicle cannot carry it; the job is open again")
    reason: dict[str, Any] | None = Field(
        description="Why it went back, as {code, params, text} (text in the Accept-Language asked for)"
    )
    repricing: str = Field(description="The cooperative's rule: none (the quoted price stands) or requote")
    quotes: dict[str, Any] | None = Field(description="With requote: the previous and the new quote")
    seq: int = Field(description="The ParcelReweighed event")


def _requote(svc: Services, coop_id: str, job: JobView, found_kg: float) -> dict[str, Any] | None:
    """Both quotes when the cooperative's rule is to requote, else None.

    Priced on the distance the intake measured the request on, checked as of the time it was
    requested (so its windows, since passed, do not refuse it), by the cooperative's tariff now.
    A request that can no longer be priced (no active vehicle left for it) records the rule
    with no quotes, and the weighing stands: what the courier reported is never lost.
    """
    coop = svc.store.cooperative(coop_id)
    if repricing_rule(coop.settings) != "requote":
        return None
    declared = job.client_declared_kg
    request = JobRequest.from_json(job.request)
    facts = svc.store.intake(coop_id, job.client_id)
    try:
        metres = check_request(
            svc.city_of(coop_id).streets, facts.couriers, request, datetime.fromisoformat(job.requested_at)
        )
    except DomainError as exc:
        return {"rule": "requote", "previous": None, "new": None, "refused": exc.code}
    solidarity = facts.client is not None and facts.client.solidarity
    return requoted(
        tariff_of(coop),
        distance_m=metres,
        declared_kg=declared,
        found_kg=found_kg,
        urgency=request.urgency,
        solidarity=solidarity,
    )


@router.post("/jobs/{job_id}/weight", **answers(WeightReportOut, also=refusals(404, 409)))
async def report_weight(job_id: str, body: WeightReportIn, who: CourierUser, svc: Svc, lang: Lang) -> dict[str, Any]:
    """The parcels of my job weigh more (or less), or are bigger, than declared: said at pickup,
    before the picked-up act (issue 18).

    The job, its ETAs and the ledger's heavy kilograms use what was found from now on. When my
    vehicle cannot carry it (with what I already have on board), the job goes back to dispatch
    with the reason ``heavier_than_declared`` (or ``bigger_than_declared``) and is not proposed
    to me again. The client's webhook (``delivery.updated``) says what was declared and found,
    whether the delivery is open again, and both quotes when the weight changed and the
    cooperative's repricing rule is ``requote``. The same values again are refused as
    ``nothing_to_change`` (409), and so is a report past the fifth for one job
    (``too_many_reports``, 409): each report calls the client's webhook. Of two reports sent at
    once for one job, the second is a ``conflict`` (409) naming the first, so the count holds.
    A report of the size alone keeps the job's weight, whatever it is.
    """
    coop_id, now = who.cooperative_id, datetime.now(UTC)

    def work() -> tuple[commands.Reweighed, JobView, dict[str, Any]]:
        job = _own_job(svc, who, job_id)
        done = commands.report_weight(
            svc.store,
            coop_id,
            job_id,
            courier_id=who.subject_id,
            weight_kg=body.weight_kg,  # None: only the size was found, the job keeps its weight unchecked
            at=now,
            requote=None if body.weight_kg is None else _requote(svc, coop_id, job, body.weight_kg),
            volume_l=body.volume_l,
            longest_side_cm=body.longest_side_cm,
        )
        why = None if done.flagged is None else in_words(svc.store, coop_id, lang, done.flagged.payload["reason"])
        return done, svc.store.job(coop_id, job_id), {"reason": why}

    done, job, said = await svc.run(work)
    await svc.appended(coop_id, [e for e in (done.event, done.sent_back, done.flagged) if e is not None])
    requote = done.event.payload.get("requote")
    return {
        "job_id": job_id,
        "state": job.state.value,
        "weight_kg": done.event.payload["weight_kg"],
        "declared_weight_kg": done.event.payload["declared_weight_kg"],
        "volume_l": done.event.payload.get("volume_l"),
        "longest_side_cm": done.event.payload.get("longest_side_cm"),
        "back_to_dispatch": done.event.payload["back_to_dispatch"],
        "reason": said["reason"],
        "repricing": "none" if requote is None else "requote",
        "quotes": None
        if requote is None
        else {"previous": say_quote(requote["previous"], lang), "new": say_quote(requote["new"], lang)},
        "seq": done.event.seq,
    }
