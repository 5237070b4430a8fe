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

from api.deps import CourierUser, Svc
from api.errors import answers, refusals, responses
from api.geo import street_path
from api.ratelimit import Budgets, Counters
from api.schemas import ExportOut, MyJobsOut, PathOut
from api.services import REPLAN_ON, Services
from api.sockets import event_json, hello, send, serve
from dispatch import commands, proofs
from dispatch.errors import DomainError, InvalidInput, NotFound
from dispatch.events import ADMIN_EVENTS, Event, EventType
from dispatch.lifecycle import ACTIVE_STATES
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
    if event.type in HIDDEN:
        return False
    return courier_id in (event.payload.get("courier_id"), event.payload.get("previous_courier_id"))


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
        raise InvalidInput("job_id", "this act needs the job's id")
    return check_text("job_id", job_id, identifier=True)


def _act(svc: Services, who: Principal, kind: str, key: str, data: dict[str, Any]) -> Event:
    store, coop, me, now = svc.store, who.cooperative_id, who.subject_id, datetime.now(UTC)
    job_id = None if kind.startswith("shift_") else _job_id(data)
    reason = data.get("reason", "")
    if not isinstance(reason, str) or len(reason) > 500:
        raise InvalidInput("reason", "a reason is text of at most 500 characters")
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
    raise InvalidInput("type", f"unknown act {kind!r}")


def _malformed(kind: Any, key: Any, data: Any) -> dict[str, Any] | None:
    """The error frame for a message that is not an act at all; None for one that is."""
    if kind not in ACTS:
        return {"type": "error", "id": key, "code": "bad_message", "message": f"unknown type {kind!r}"}
    if not isinstance(key, str) or not 1 <= len(key) <= 100:
        return {"type": "error", "id": None, "code": "bad_message", "message": "an act needs an 'id'"}
    try:
        check_text("id", key, identifier=True)  # it becomes an idempotency key in the database
    except InvalidInput as exc:
        return {"type": "error", "id": None, "code": "bad_message", "message": str(exc)}
    if not isinstance(data, dict):
        return {"type": "error", "id": key, "code": "bad_message", "message": "'data' is an object"}
    return None


async def _position(ws: WebSocket, svc: Services, who: Principal, key: str, data: dict[str, Any]) -> dict[str, Any]:
    """Keep a shared position (outside the log, see dispatch/store/positions.py); the answer frame."""
    counters: Counters = ws.app.state.counters
    budgets: Budgets = ws.app.state.budgets
    spent = await counters.spend(budgets.position, f"position:{who.cooperative_id}:{who.subject_id}")
    if spent is not None:  # a phone in a loop: refused with the wait, nothing stored
        item, wait = spent
        why = f"too many positions: at most {item}; try again in {wait} s"
        return {"type": "error", "id": key, "code": "rate_limited", "message": why, "retry_after_s": wait}
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
        return {"type": "error", "id": key, "code": exc.code, "message": str(exc)}
    return {"type": "result", "id": key, "seq": None}


@router.websocket("/ws")
async def courier_socket(ws: WebSocket) -> None:
    svc: Services = ws.app.state.services
    greeted = await hello(ws, svc, frozenset({"courier"}))
    if greeted is None:
        return
    who = greeted.who
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
        data = event_json(event)
        if event.job_id is not None and (event.type in ASSIGNING and event.payload.get("courier_id") == me):
            data["job"] = await svc.run(job_for_courier, svc, who.cooperative_id, event.job_id)
        return {"type": "event", "seq": event.seq, "id": event.id, "data": data}

    async def handle(message: dict[str, Any]) -> None:
        kind, key, data = message["type"], message.get("id"), message.get("data", {})
        refusal = _malformed(kind, key, data)
        if refusal is not None:
            await send(ws, refusal)
            return
        if kind == "position":
            await send(ws, await _position(ws, svc, who, str(key), data))
            return
        try:
            event = await svc.run(_act, svc, who, kind, key, data)
        except DomainError as exc:
            await send(ws, {"type": "error", "id": key, "code": exc.code, "message": str(exc)})
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
        return street_path(svc.network, job, profile)

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
            events.extend(event_json(e) for e in page if who.subject_id in _people(e))
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

    def gather() -> dict[str, Any]:
        # The seq first: a socket opened with it then brings every change made after this read.
        last_seq = svc.store.cooperative_last_seq(who.cooperative_id)
        jobs = svc.store.jobs(who.cooperative_id, ACTIVE_STATES)
        mine = [job_for_courier(svc, who.cooperative_id, j.id) for j in jobs if j.courier_id == who.subject_id]
        status = svc.store.courier_statuses(who.cooperative_id).get(who.subject_id)
        mine_ids = {j["id"] for j in mine}
        plan = (svc.planner.latest.get(who.cooperative_id) or {}).get("routes", {}).get(who.subject_id, [])
        return {
            "last_seq": last_seq,
            "jobs": mine,
            #: my stops in the order of the latest plan, with the ETAs it computed
            "route": [stop for stop in plan if stop["job_id"] in mine_ids],
            "position_retention_hours": svc.settings.position_retention_h,
            "shift": {
                "on_shift": bool(status and status.on_shift),
                "paused": bool(status and status.paused),
                "planned_end": status.planned_end if status else None,
                "breaks": status.breaks if status else [],
            },
        }

    return await svc.run(gather)  # type: ignore[no-any-return]
